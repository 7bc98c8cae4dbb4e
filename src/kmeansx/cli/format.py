"""What the commands print: pure functions from results to rich tables, text and JSON.

Nothing here reads files, fits models or prints; each function returns a value, so
the formatting is tested apart from the commands.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from rich.table import Table

from kmeansx.selection import LABELS


def number(value, digits: int = 4) -> str:
    """A compact human form: ``4`` significant digits, thousands as they are."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _plain(value):
    """JSON-ready: NaN and NA become null, numpy scalars Python numbers."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [_plain(r) for r in value.to_dict(orient="records")]
    return value


def to_json(obj) -> str:
    """``obj`` as JSON text (NaN as null, keys as strings).

    Examples
    --------
    >>> from kmeansx.cli.format import to_json
    >>> to_json({"k": 3, "score": float("nan")})
    '{\\n  "k": 3,\\n  "score": null\\n}'
    """
    return json.dumps(_plain(obj), indent=2, allow_nan=False)


def choice_table(choice) -> Table:
    """One row per k: inertia and each method's score; recommendations marked."""
    table = Table(title="Choosing k", title_justify="left")
    cols = [c for c in choice.table.columns if c not in ("k", "gap_sd")]
    table.add_column("k", justify="right")
    for c in cols:
        table.add_column(LABELS.get(c, c), justify="right")
    for _, row in choice.table.iterrows():
        k = int(row["k"])
        cells = [f"[bold]{k}[/bold]" if k == choice.recommended_k else str(k)]
        for c in cols:
            text = number(row[c])
            if choice.recommended.get(c) == k:
                text = f"[bold green]{text} *[/bold green]"
            cells.append(text)
        table.add_row(*cells)
    table.caption = "* the k that method recommends"
    return table


def choice_summary(choice) -> str:
    """The recommendation, and a warning when it sits at an end of the range.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from kmeansx.cli.format import choice_summary
    >>> choice = SimpleNamespace(table=pd.DataFrame({"k": [1, 2, 3]}),
    ...                          recommended_k=3, reason="k = 3: because.")
    >>> print(choice_summary(choice))  # doctest: +NORMALIZE_WHITESPACE
    Recommended k = 3. k = 3: because. k = 3 is the largest k searched: there may
    be more clusters; search further with --k-max 6.
    """
    text = f"Recommended k = {choice.recommended_k}. {choice.reason}"
    ks = [int(k) for k in choice.table["k"]]
    k = choice.recommended_k
    if k is None or len(ks) < 2:
        return text
    if k == max(ks):
        text += (
            f" k = {k} is the largest k searched: there may be more clusters; "
            f"search further with --k-max {2 * k}."
        )
    elif k == min(ks) and k > 1:
        text += (
            f" k = {k} is the smallest k searched: there may be fewer clusters; "
            "search from --k-min 1."
        )
    return text


def choice_report(choice) -> list:
    """What ``choose-k`` prints: the table of every k, then the recommendation."""
    return [choice_table(choice), choice_summary(choice)]


def choice_json(choice, prepared=None) -> dict:
    table = {}
    if prepared is not None:
        n_dropped = int((~prepared.kept).sum())
        table = _table_keys(
            prepared.columns, prepared.left_out, prepared.values.shape[0], n_dropped
        )
    return {
        **table,
        "recommended_k": choice.recommended_k,
        "recommended": choice.recommended,
        "reason": choice.reason,
        "scale": choice.scale,
        "n_samples": choice.n_samples,
        "table": choice.table,
    }


Z_CAPTION = (
    "z: how many overall standard deviations a segment's mean sits from the "
    "overall mean. distance (z): how far the segment's center sits from the "
    "overall mean, all columns together (the length of its z's)."
)
COSINE_CAPTION = (
    "z: how many overall standard deviations a segment's mean sits from the "
    "overall mean. cosine distance: 1 - cos of the angle between the segment's "
    "center and the rows' mean direction (0: the same direction, 1: at right "
    "angles), measured on the scaled columns the rows were clustered by."
)


def _distance(profile: pd.DataFrame) -> tuple[str, str]:
    """The profile's distance column ("distance (z)", or "cosine distance" for a
    segmentation by angle) and the caption that explains it."""
    if "cosine distance" in profile.columns:
        return "cosine distance", COSINE_CAPTION
    return "distance (z)", Z_CAPTION


# A profile of more columns than this lists each segment's most distinct ones.
MAX_PROFILE_ROWS = 20
_CELL = 16  # "12,345 (+1.23)" and the table's borders


def profile_table(
    profile: pd.DataFrame, columns, title: str = "Segments", width: int | None = None
) -> Table:
    """The profile, laid out to fit ``width`` (see :func:`profile_columns_table`).

    Segments as columns (:func:`profile_columns_table`) while they fit in
    ``width`` characters and the columns are few; otherwise segments as rows,
    with each segment's columns furthest from the mean
    (:func:`profile_rows_table`).
    """
    label = max(len(f"{c} (mean, z)") for c in columns) + 4
    need = label + _CELL * len(profile.index)
    if len(columns) > MAX_PROFILE_ROWS or (width is not None and need > width):
        return profile_rows_table(profile, columns, title, width)
    return profile_columns_table(profile, columns, title)


def profile_columns_table(
    profile: pd.DataFrame, columns, title: str = "Segments"
) -> Table:
    """Segments as columns; size, share, then each column's mean with its z-score.

    Examples
    --------
    >>> import io
    >>> import pandas as pd
    >>> from rich.console import Console
    >>> from kmeansx import segment
    >>> from kmeansx.cli.format import profile_table
    >>> seg = segment(pd.DataFrame({"a": [0.0, 1.0, 10.0, 11.0]}), n_clusters=2,
    ...               random_state=0)
    >>> console = Console(width=80, record=True, file=io.StringIO())
    >>> console.print(profile_columns_table(seg.profile, seg.columns))
    >>> "a (mean, z)" in console.export_text()
    True
    """
    table = Table(title=title, title_justify="left")
    table.add_column("", style="bold")
    for s in profile.index:
        table.add_column(f"segment {s}", justify="right")
    table.add_row("size", *[str(int(v)) for v in profile["size"]])
    table.add_row("share", *[f"{v:.0%}" for v in profile["share"]])
    for c in columns:
        cells = [
            f"{number(m)} ({z:+.2f})"
            for m, z in zip(profile[c], profile[f"{c} (z)"], strict=True)
        ]
        table.add_row(f"{c} (mean, z)", *cells)
    distance, caption = _distance(profile)
    table.add_row(distance, *[f"{v:.2f}" for v in profile[distance]])
    table.caption = caption
    table.caption_justify = "left"
    return table


def _top_count(width: int | None) -> int:
    """How many columns per segment fit a line: 3 at 80 characters, at most 6."""
    return max(2, min(6, ((width or 120) - 36) // 24))


def profile_rows_table(
    profile: pd.DataFrame, columns, title: str = "Segments", width: int | None = None
) -> Table:
    """Segments as rows: size, share, distance (z), and the columns that set each
    segment apart (largest |z| first), for profiles too wide to show whole.

    Examples
    --------
    >>> import io
    >>> import numpy as np, pandas as pd
    >>> from rich.console import Console
    >>> from kmeansx import segment
    >>> from kmeansx.cli.format import profile_rows_table
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(60, 8))).add_prefix("c")
    >>> df.loc[:29, ["c6", "c7"]] += 10
    >>> seg = segment(df, n_clusters=2, random_state=0)
    >>> console = Console(width=100, record=True, file=io.StringIO())
    >>> console.print(profile_rows_table(seg.profile, seg.columns, width=100))
    >>> "c7" in console.export_text()
    True
    """
    top = min(_top_count(width), len(columns))
    distance, caption = _distance(profile)
    table = Table(title=title, title_justify="left")
    table.add_column("segment", justify="right")
    table.add_column("size", justify="right")
    table.add_column("share", justify="right")
    table.add_column(distance, justify="right")
    table.add_column(f"furthest from the mean: column mean (z), top {top}")
    z = profile[[f"{c} (z)" for c in columns]].to_numpy()
    for i, s in enumerate(profile.index):
        order = np.argsort(-np.abs(np.nan_to_num(z[i])), kind="stable")[:top]
        cells = [
            f"{columns[j]} {number(profile[columns[j]].iloc[i])} ({z[i, j]:+.2f})"
            for j in order
        ]
        table.add_row(
            str(s),
            str(int(profile["size"].iloc[i])),
            f"{profile['share'].iloc[i]:.0%}",
            f"{profile[distance].iloc[i]:.2f}",
            ", ".join(cells),
        )
    table.caption = (
        f"{top} of {len(columns)} columns shown per segment; every column's mean "
        "and z: --json (profile), the rows with their cluster: -o FILE. " + caption
    )
    table.caption_justify = "left"
    return table


def segmentation_report(seg, width: int | None = None) -> list:
    """What ``fit`` and the demo print: how k was chosen (if it was), the profile."""
    chosen = [] if seg.choice is None else choice_report(seg.choice)
    title = "Segments by angle (cosine)" if seg.metric == "cosine" else "Segments"
    return [*chosen, profile_table(seg.profile, seg.columns, title, width=width)]


def _shown(columns, most: int = 12) -> str:
    names = [str(c) for c in columns]
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[: most - 2]) + f", ..., {names[-1]} ({len(names)} columns)"


def columns_line(columns, left_out: dict) -> str:
    """One line: the columns clustered on, and those left out and why.

    Examples
    --------
    >>> from kmeansx.cli.format import columns_line
    >>> columns_line(["Age", "Income"], {"CustomerID": "an identifier"})
    'using columns: Age, Income; left out: CustomerID (an identifier)'
    """
    text = f"using columns: {_shown(columns)}"
    if left_out:
        text += "; left out: " + ", ".join(
            f"{c} ({why})" for c, why in left_out.items()
        )
    if any(why == "numbers written as text" for why in left_out.values()):
        text += " (read them as numbers with --thousands or --decimal)"
    return text


def dropped_line(prepared) -> str | None:
    """``--dropna``: how many rows were dropped, and where; None if none were."""
    from kmeansx._validation import format_where

    dropped = ~prepared.kept
    n = int(dropped.sum())
    if not prepared.dropna or n == 0:
        return None
    where = format_where(prepared.index[dropped], prepared.index)
    return (
        f"dropped {n} of {len(dropped)} rows with a missing value ({where}); their "
        "cluster is left empty"
    )


def reading_notes(path, table) -> list[str]:
    """What reading a CSV file assumed that a reader might not expect."""
    from kmeansx._csv import NAMES

    notes = []
    sep = getattr(table, "sep", ",")
    if getattr(table, "sniffed_sep", False) and sep not in (",", "\t"):
        what = f"read {path} as {NAMES.get(sep, repr(sep))}-separated"
        if table.sniffed_decimal:
            what += ", with ',' as the decimal mark"
        notes.append(what + " (--sep and --decimal choose otherwise)")
    elif getattr(table, "sniffed_sep", False) and sep == "\t":
        notes.append(f"read {path} as tab-separated (--sep chooses otherwise)")
    elif getattr(table, "sniffed_decimal", False):
        notes.append(f"read {path} with ',' as the decimal mark (--decimal .)")
    if getattr(table, "not_utf8", None):
        notes.append(
            f"{path} is not UTF-8 ({table.not_utf8}): read it as Latin-1; pass "
            "--encoding (e.g. cp1252) if names or text look wrong"
        )
    return notes


def _table_keys(columns, left_out, n_samples, n_dropped) -> dict:
    return {
        "columns": [str(c) for c in columns],
        "left_out": {str(c): why for c, why in left_out.items()},
        "n_samples": int(n_samples),
        "n_dropped": int(n_dropped),
    }


def segmentation_json(seg, outputs: dict, prepared=None) -> dict:
    """``fit --json``, in memory; :func:`dask_fit_json` gives the same keys."""
    n_dropped = 0 if prepared is None else int((~prepared.kept).sum())
    sizes = seg.profile["size"].tolist()
    return {
        "n_clusters": int(len(seg.centers)),
        **_table_keys(seg.columns, seg.left_out, sum(sizes), n_dropped),
        "scale": seg.scaler.method,
        "metric": seg.metric,
        "n_iter": int(seg.model.n_iter_),
        "inertia": seg.inertia,
        "sizes": sizes,
        "recommended_k": None if seg.choice is None else seg.choice.recommended_k,
        "reason": None if seg.choice is None else seg.choice.reason,
        "centers": seg.centers.reset_index(),
        "profile": seg.profile.reset_index(),
        "outputs": {k: str(v) for k, v in outputs.items()},
    }


def dask_fit_json(summary: dict) -> dict:
    """``fit --dask --json``: the keys of :func:`segmentation_json`.

    No k is chosen on Dask (``recommended_k`` and ``reason`` are null), and the
    profile, which needs every row's column means and deviations, is null.
    """
    centers = [
        {"segment": j, **dict(zip(summary["columns"], center, strict=True))}
        for j, center in enumerate(summary["centers"])
    ]
    return {
        "n_clusters": summary["n_clusters"],
        **_table_keys(summary["columns"], summary["left_out"], summary["n_samples"], 0),
        "scale": summary["scale"],
        "metric": summary["metric"],
        "n_iter": summary["n_iter"],
        "inertia": summary["inertia"],
        "sizes": summary["sizes"],
        "recommended_k": None,
        "reason": None,
        "centers": centers,
        "profile": None,
        "outputs": {} if not summary["output"] else {"output": summary["output"]},
    }


def stream_fit_json(seg) -> dict:
    """``fit --mini-batch --json``: the keys of :func:`segmentation_json` (no k
    chosen: ``recommended_k`` and ``reason`` are null; ``n_iter`` counts the
    passes), and how the stream was fitted (``mini_batch``)."""
    fit, survey = seg.fit, seg.fit.survey
    return {
        "n_clusters": int(len(seg.centers)),
        **_table_keys(
            survey.columns,
            survey.left_out,
            survey.n_kept,
            survey.n_rows - survey.n_kept,
        ),
        "scale": fit.scaler.method,
        "metric": "euclidean",
        "n_iter": int(fit.passes),
        "inertia": seg.inertia,
        "sizes": [int(v) for v in seg.sizes],
        "recommended_k": None,
        "reason": None,
        "centers": seg.centers.reset_index(),
        "profile": seg.profile.reset_index(),
        "outputs": {k: str(v) for k, v in seg.outputs.items()},
        "mini_batch": {
            "files": seg.n_files,
            "batch_size": int(fit.model.batch_size),
            "passes": int(fit.passes),
            "n_steps": int(fit.model.n_steps_),
            "init_sample": int(survey.sample.shape[0]),
        },
    }


def stream_fit_lines(seg) -> list[str]:
    """``fit --mini-batch``: what was read and how it was fitted, in one line each."""
    fit, survey = seg.fit, seg.fit.survey
    lines = []
    dropped = survey.n_rows - survey.n_kept
    if dropped:
        lines.append(
            f"dropped {dropped} of {survey.n_rows} rows with a missing value; their "
            "cluster is left empty"
        )
    files = f" from {seg.n_files} files" if seg.n_files > 1 else ""
    lines.append(
        f"{survey.n_kept:,} rows{files}: k-means++ on a uniform sample of "
        f"{survey.sample.shape[0]:,} rows, then {fit.passes} pass(es) of mini-batches "
        f"of {fit.model.batch_size} rows ({fit.model.n_steps_:,} steps); inertia "
        f"{seg.inertia:.6g}" + (" (on the scaled columns)" if fit.scaler.method else "")
    )
    return lines


def sizes_table(labels: pd.Series, title: str = "Rows per cluster") -> Table:
    counts = labels.value_counts(dropna=False).sort_index()
    table = Table(title=title, title_justify="left")
    table.add_column("cluster", justify="right")
    table.add_column("rows", justify="right")
    for c, n in counts.items():
        table.add_row("missing" if pd.isna(c) else str(c), str(int(n)))
    return table


def predictions_json(labels: pd.Series, output) -> dict:
    """``predict --json``: rows, rows per cluster (``missing`` for <NA>), output."""
    sizes = labels.value_counts(dropna=False).sort_index()
    return {
        "n_rows": len(labels),
        "sizes": {
            "missing" if pd.isna(k) else str(k): int(v) for k, v in sizes.items()
        },
        "output": None if output is None else str(output),
    }


def dask_fit_report(summary: dict) -> list:
    """What ``fit --dask`` prints: centers in data units, then one line of totals."""
    table = Table(title=f"{summary['n_clusters']} clusters (centers in data units)")
    table.add_column("cluster", justify="right")
    table.add_column("size", justify="right")
    for name in summary["columns"]:
        table.add_column(str(name), justify="right")
    for j, (size, center) in enumerate(
        zip(summary["sizes"], summary["centers"], strict=True)
    ):
        table.add_row(str(j), str(size), *(f"{v:.4g}" for v in center))
    totals = (
        f"{summary['n_samples']} rows, {summary['n_iter']} iterations, "
        f"inertia {summary['inertia']:.6g}"
        + (" (on the scaled columns)" if summary["scale"] else "")
    )
    wrote = [f"wrote output: {summary['output']}"] if summary["output"] else []
    return [table, totals, *wrote]


def comparison_tables(runs: dict, X: pd.DataFrame, cultivar) -> list:
    """The wine comparison of the demo, clusters matched to the cultivars.

    ``runs`` maps a name ("unscaled", "standardized") to a run of
    :func:`kmeansx.cli.demo_wine.compare_scaling`: clusters numbered after the
    cultivar they match, so that column c of every run, and row c, are cultivar
    c's. Three tables: wines per cultivar and cluster (the diagonal counts the
    agreements), the summary, and the centers beside the cultivars' means.
    """
    cultivar = pd.Series(np.asarray(cultivar))
    n = len(cultivar)
    counts = cultivar.value_counts().sort_index()
    matched = Table(
        title="Wines per cultivar (rows) and cluster (columns); each cluster "
        "numbered after the cultivar it matches",
        title_justify="left",
    )
    matched.add_column("cultivar")
    matched.add_column("wines", justify="right")
    for name, run in runs.items():
        for c in range(run["contingency"].shape[1]):
            matched.add_column(f"{name} {c}", justify="right")
    for c, total in counts.items():
        row = [str(c), str(int(total))]
        for run in runs.values():
            row += [
                f"[bold]{v}[/bold]" if j == c else str(v)
                for j, v in enumerate(run["contingency"][c])
            ]
        matched.add_row(*row)
    matched.caption = "On the diagonal (bold): wines in the cluster of their cultivar."

    summary = Table(title="Agreement with the cultivars", title_justify="left")
    for name, justify in [
        ("", "left"),
        ("cluster sizes", "right"),
        ("agree (diagonal)", "right"),
        ("ARI", "right"),
        ("inertia on standardized data", "right"),
    ]:
        summary.add_column(name, justify=justify)
    for name, run in runs.items():
        diagonal = int(np.trace(run["contingency"]))
        summary.add_row(
            name,
            " / ".join(str(int(s)) for s in run["sizes"]),
            f"{diagonal} of {n} ({run['agreement']:.0%})",
            f"{run['ari']:.2f}",
            number(run["inertia_standardized"]),
        )
    summary.caption = (
        "ARI: adjusted Rand index, 1 = the cultivars exactly, 0 = chance. Each fit's "
        "own inertia is not shown: the unscaled fit sums squared raw units (mostly "
        f"{X.var(ddof=0).idxmax()}'s) and the standardized one squared standard "
        "deviations, so the two numbers do not compare; here both partitions are "
        "scored on the same standardized columns."
    )

    means = X.groupby(cultivar.to_numpy()).mean()
    centers = Table(
        title="Centers in original units beside each cultivar's mean: "
        "mean / unscaled / standardized",
        title_justify="left",
    )
    centers.add_column("measurement", max_width=28)
    for c in counts.index:
        centers.add_column(f"cultivar {c}", justify="right")
    for col in X.columns:
        row = [str(col)]
        for c in counts.index:
            cells = [means.loc[c, col]]
            cells += [
                run["centers"].loc[c, col] if c in run["centers"].index else np.nan
                for run in runs.values()
            ]
            row.append(" / ".join(number(v) for v in cells))
        centers.add_row(*row)
    return [matched, summary, centers]


def comparison_verdict(runs: dict, variance_share: pd.Series) -> str:
    """One sentence: why standardize, in the numbers just shown."""
    raw, std = runs["unscaled"]["ari"], runs["standardized"]["ari"]
    top = variance_share.idxmax()
    return (
        f"Standardizing raises the agreement with the cultivars from ARI {raw:.2f} to "
        f"{std:.2f}: unscaled, {top} holds {variance_share[top]:.1%} of the total "
        "variance, so it alone decides which center is nearest."
    )
