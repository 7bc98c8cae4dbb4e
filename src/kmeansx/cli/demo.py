"""``kmeansx demo``: the whole workflow on built-in data.

``--data wine`` (the default) first shows why to standardize, on scikit-learn's wine
data, whose cultivars give the clusters an answer to be checked against;
``--data mall`` runs the lesson's analysis on its Mall Customers table.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kmeansx.cli.demo_wine import SCALING_FIGURE
from kmeansx.cli.figures import PLOT_FILES
from kmeansx.cli.options import Force, RandomState, console, user_errors

DEMO_FILES = (*PLOT_FILES, SCALING_FIGURE, "segments.csv", "model.kmx")
MARKER = ".kmeansx-demo"
# A segment's mean this many standard deviations from the overall mean reads as
# "high" or "low" in the Mall demo's one-line descriptions.
HIGH_LOW_Z = 0.5


class DemoData(str, Enum):
    wine = "wine"
    mall = "mall"


def demo(
    data: Annotated[
        DemoData,
        typer.Option(
            "--data",
            help="wine: why to standardize, then the workflow, on 178 wines whose "
            "cultivars are known. mall: the lesson's analysis of 200 mall customers.",
        ),
    ] = DemoData.wine,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write the pictures, table and model."
        ),
    ] = Path("kmeansx-demo"),
    random_state: RandomState = 0,
    force: Force = False,
):
    """The whole workflow on built-in data: choose k, fit, profile, pictures."""
    with user_errors():
        run_demo(
            output,
            data=DemoData(data).value,
            random_state=random_state,
            force=force,
            console=console(),
        )


def claim_directory(output: Path, *, force: bool) -> bool:
    """Make ``output`` the demo's own directory; True if it was already.

    The demo replaces its own files on every run (the directory holds a marker
    saying so), but it refuses, without ``force``, a directory it did not create
    where one of its file names is already taken.
    """
    from kmeansx.io import atomic_write, check_parent, make_directory

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise NotADirectoryError(f"--output {output} is a file, not a directory.")
    owned = (output / MARKER).exists()
    if not owned and not force:
        taken = [name for name in DEMO_FILES if (output / name).exists()]
        if taken:
            raise FileExistsError(
                f"{output} already holds {taken[0]}, not written by kmeansx demo; "
                "pass --force to replace it or choose another --output."
            )
    check_parent(output, create=True)
    make_directory(output)
    with atomic_write(output / MARKER, force=True) as tmp:
        tmp.write_text(
            "Written by `kmeansx demo`, which replaces its own files here on each "
            "run.\n"
        )
    return owned


def run_demo(output, *, data="wine", random_state=0, force=False, console) -> dict:
    """Print the demo and write its pictures, table and model: name -> path."""
    from kmeansx.io import all_or_nothing

    output = Path(output)
    # Every file or none: a failure midway leaves no half-written demo directory.
    with all_or_nothing():
        owned = claim_directory(output, force=force)
        run = _wine if data == "wine" else _mall
        written = run(output, random_state, console)
    if owned:
        # A picture of the other data's demo, from an earlier run here, would read
        # as this one's. Only in the demo's own directory: --force on another one
        # allows replacing files, not deleting them.
        for name in DEMO_FILES:
            if name not in written:
                (output / name).unlink(missing_ok=True)
    _list_outputs(written, output, console)
    return written


def _wine(output: Path, random_state, console) -> dict:
    from kmeansx._tables import prepare
    from kmeansx.cli import format as fmt
    from kmeansx.cli.demo_wine import compare_scaling, write_scaling_figure
    from kmeansx.datasets import load_wine

    X, cultivar = load_wine()
    # Each scaling prepared once: the standardized table also serves the workflow
    # and its pictures.
    tables = {"unscaled": prepare(X), "standardized": prepare(X, scale="standard")}
    console.rule("1. Why standardize first")
    console.print(
        f"The wine data: {X.shape[0]} wines, {X.shape[1]} measurements on very "
        "different scales, and the 3 cultivars they came from (which k-means never "
        "sees). k-means numbers its clusters arbitrarily: each fit's clusters are "
        "numbered here after the cultivar they match, so the columns line up."
    )
    runs = compare_scaling(tables, cultivar, random_state)
    for table in fmt.comparison_tables(runs, X, cultivar):
        console.print(table)
    share = X.var(ddof=0) / X.var(ddof=0).sum()
    console.print(fmt.comparison_verdict(runs, share), style="bold")
    written = {
        SCALING_FIGURE: write_scaling_figure(
            X, cultivar, runs, output / SCALING_FIGURE, force=True
        )
    }
    console.rule("2. The workflow: choose k, fit, profile, pictures")
    seg = _segment(tables["standardized"], random_state, console)
    from sklearn.metrics import adjusted_rand_score

    console.print(
        f"Agreement of these {len(seg.centers)} segments with the cultivars: "
        f"ARI {adjusted_rand_score(cultivar, seg.labels):.2f}."
    )
    table = X.assign(cultivar=cultivar, cluster=seg.labels)
    written.update(_write(seg, tables["standardized"], table, output, "wine data"))
    return written


def _mall(output: Path, random_state, console) -> dict:
    from kmeansx._tables import prepare
    from kmeansx.datasets import MALL_COLUMNS, load_mall_customers

    customers = load_mall_customers()
    prepared = prepare(customers, MALL_COLUMNS, scale="standard")
    sd = customers[MALL_COLUMNS].std(ddof=0)
    console.rule("1. The lesson's data")
    console.print(
        f"The Mall Customers: {len(customers)} loyalty-card members. The lesson "
        f"segments them on {MALL_COLUMNS[0]} (thousands of dollars) and "
        f"{MALL_COLUMNS[1]} (1-99), standardized first so that each column counts by "
        f"its spread, not its units (here the spreads are close: standard "
        f"deviations {sd.iloc[0]:.1f} and {sd.iloc[1]:.1f}). CustomerID and Age are "
        "left out.",
        highlight=False,
    )
    console.rule("2. The lesson's workflow: choose k, fit, profile, pictures")
    seg = _segment(prepared, random_state, console)
    inertia = seg.choice.table.set_index("k")["inertia"]
    shown = [k for k in (2, 3, 4, 5) if k in inertia.index]
    console.print(
        "Inertia on the standardized columns for k = 2..5: "
        + ", ".join(f"{inertia[k]:.2f}" for k in shown)
        + " (the lesson prints 269.69, 157.70, 108.92, 65.57).",
        highlight=False,
    )
    for line in describe_segments(seg.profile, seg.columns):
        console.print(line, highlight=False)
    table = customers.assign(cluster=seg.labels)
    return _write(seg, prepared, table, output, "Mall customers")


def describe_segments(profile, columns) -> list[str]:
    """One line per segment: each column's mean read as high, average or low.

    Examples
    --------
    >>> import pandas as pd
    >>> profile = pd.DataFrame({"size": [3, 1], "share": [0.75, 0.25],
    ...                         "a": [1.0, 9.0], "a (z)": [-0.6, 1.7]})
    >>> describe_segments(profile, ["a"])
    ['segment 0 (3 rows, 75%): low a', 'segment 1 (1 rows, 25%): high a']
    """
    lines = []
    for s, row in profile.iterrows():
        words = []
        for c in columns:
            z = row[f"{c} (z)"]
            level = (
                "high" if z > HIGH_LOW_Z else "low" if z < -HIGH_LOW_Z else "average"
            )
            words.append(f"{level} {c}")
        lines.append(
            f"segment {s} ({int(row['size'])} rows, {row['share']:.0%}): "
            + ", ".join(words)
        )
    return lines


def _segment(prepared, random_state, console):
    """Choose k, fit, and print the choice and the profile."""
    from kmeansx import segment
    from kmeansx.cli import format as fmt

    seg = segment(
        prepared, n_clusters="auto", random_state=random_state, record_history=True
    )
    for item in fmt.segmentation_report(seg):
        console.print(item)
    return seg


def _write(seg, prepared, table, output: Path, data: str) -> dict:
    """Every picture of the segmentation (titled with ``data`` and the columns),
    the labeled table and the model."""
    from kmeansx import save
    from kmeansx.cli.figures import figure_title, write_plots
    from kmeansx.io import write_table

    title = figure_title(data, seg.columns)
    written = write_plots(seg, prepared, output, force=True, title=title)
    written["segments.csv"] = write_table(table, output / "segments.csv", force=True)
    written["model.kmx"] = save(seg, output / "model.kmx", force=True)
    return written


def _list_outputs(written: dict, output: Path, console) -> None:
    console.print(f"Wrote {len(written)} files to {output}/:", highlight=False)
    for path in written.values():
        console.print(f"  {path}", highlight=False)
    console.print(
        f"Label new rows with: kmeansx predict {output / 'model.kmx'} NEW.csv "
        "-o labeled.csv",
        highlight=False,
    )
