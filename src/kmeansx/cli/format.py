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
    return f"Recommended k = {choice.recommended_k}. {choice.reason}"


def choice_report(choice) -> list:
    """What ``choose-k`` prints: the table of every k, then the recommendation."""
    return [choice_table(choice), choice_summary(choice)]


def choice_json(choice) -> dict:
    return {
        "recommended_k": choice.recommended_k,
        "recommended": choice.recommended,
        "reason": choice.reason,
        "scale": choice.scale,
        "n_samples": choice.n_samples,
        "table": choice.table,
    }


def profile_table(profile: pd.DataFrame, columns, title: str = "Segments") -> Table:
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
    >>> console.print(profile_table(seg.profile, seg.columns))
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
    table.add_row("distance (z)", *[f"{v:.2f}" for v in profile["distance (z)"]])
    table.caption = "z: how many overall standard deviations from the overall mean"
    return table


def segmentation_report(seg) -> list:
    """What ``fit`` and the demo print: how k was chosen (if it was), the profile."""
    chosen = [] if seg.choice is None else choice_report(seg.choice)
    return [*chosen, profile_table(seg.profile, seg.columns)]


def segmentation_json(seg, outputs: dict) -> dict:
    return {
        "n_clusters": int(len(seg.centers)),
        "columns": list(seg.columns),
        "scale": seg.scaler.method,
        "inertia": seg.inertia,
        "recommended_k": None if seg.choice is None else seg.choice.recommended_k,
        "reason": None if seg.choice is None else seg.choice.reason,
        "profile": seg.profile.reset_index(),
        "centers": seg.centers.reset_index(),
        "outputs": {k: str(v) for k, v in outputs.items()},
    }


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
