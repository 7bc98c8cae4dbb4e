"""``kmeansx demo``: why standardize, then the whole workflow, on the wine data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kmeansx.cli.figures import PLOT_FILES
from kmeansx.cli.options import Force, RandomState, console, user_errors

DEMO_FILES = (*PLOT_FILES, "segments.csv", "model.kmx")
MARKER = ".kmeansx-demo"


def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the pictures.")
    ] = Path("kmeansx-demo"),
    random_state: RandomState = 0,
    force: Force = False,
):
    """The whole workflow on the built-in wine data, and why to standardize first."""
    with user_errors():
        run_demo(output, random_state=random_state, force=force, console=console())


def claim_directory(output: Path, *, force: bool) -> None:
    """Make ``output`` the demo's own directory.

    The demo replaces its own files on every run (the directory holds a marker
    saying so), but it refuses, without ``force``, a directory it did not create
    where one of its file names is already taken.
    """
    from kmeansx.io import atomic_write, check_parent, make_directory

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise NotADirectoryError(f"--output {output} is a file, not a directory.")
    if not (output / MARKER).exists() and not force:
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


def compare_scaling(tables: dict, cultivar, random_state) -> dict:
    """KMeans(n_clusters=3) on each prepared table, against the cultivars.

    ``tables`` maps a name ("unscaled", "standardized") to the wine data prepared
    with that scaling (:func:`kmeansx._tables.prepare`).
    """
    from sklearn.metrics import adjusted_rand_score

    from kmeansx import segment

    runs = {}
    for name, table in tables.items():
        seg = segment(
            table, n_clusters=3, scale=table.scaler.method, random_state=random_state
        )
        runs[name] = {
            "sizes": seg.profile["size"].tolist(),
            "inertia": seg.inertia,
            "ari": adjusted_rand_score(cultivar, seg.labels),
            "centers": seg.centers,
        }
    return runs


def run_demo(output, *, random_state=0, force=False, console) -> dict:
    """Print the comparison and the workflow; write pictures, table and model."""
    from kmeansx._tables import prepare
    from kmeansx.datasets import load_wine
    from kmeansx.io import all_or_nothing

    output = Path(output)
    # Every file or none: a failure midway leaves no half-written demo directory.
    with all_or_nothing():
        claim_directory(output, force=force)
        X, cultivar = load_wine()
        # Each scaling prepared once: the standardized table also serves the
        # workflow and its pictures.
        tables = {"unscaled": prepare(X), "standardized": prepare(X, scale="standard")}
        console.rule("1. Why standardize first")
        _why_standardize(X, cultivar, tables, random_state, console)
        console.rule("2. The workflow: choose k, fit, profile, pictures")
        return _workflow(
            X, cultivar, tables["standardized"], random_state, output, console
        )


def _why_standardize(X, cultivar, tables, random_state, console) -> None:
    from kmeansx.cli import format as fmt

    console.print(
        f"The wine data: {X.shape[0]} wines, {X.shape[1]} measurements on very "
        "different scales, and the 3 cultivars they came from (which k-means never "
        "sees)."
    )
    runs = compare_scaling(tables, cultivar, random_state)
    summary, centers = fmt.comparison_tables(runs, X.columns)
    console.print(summary)
    console.print(centers)
    share = X.var(ddof=0) / X.var(ddof=0).sum()
    console.print(fmt.comparison_verdict(runs, share), style="bold")


def _workflow(X, cultivar, standardized, random_state, output: Path, console) -> dict:
    """Choose k, fit, profile, then every picture, the labeled table and the model."""
    from sklearn.metrics import adjusted_rand_score

    from kmeansx import save, segment
    from kmeansx.cli import format as fmt
    from kmeansx.cli.figures import write_plots
    from kmeansx.io import write_table

    seg = segment(
        standardized, n_clusters="auto", random_state=random_state,
        record_history=True,
    )  # fmt: skip
    for item in fmt.segmentation_report(seg):
        console.print(item)
    ari = adjusted_rand_score(cultivar, seg.labels)
    console.print(
        f"Agreement of these {len(seg.centers)} segments with the cultivars: "
        f"ARI {ari:.2f}."
    )
    written = write_plots(seg, standardized, output, force=True)
    table = X.assign(cultivar=cultivar, cluster=seg.labels)
    written["segments.csv"] = write_table(table, output / "segments.csv", force=True)
    written["model.kmx"] = save(seg, output / "model.kmx", force=True)
    console.print(f"Wrote {len(written)} files to {output}/:", highlight=False)
    for path in written.values():
        console.print(f"  {path}", highlight=False)
    console.print(
        f"Label new wines with: kmeansx predict {output / 'model.kmx'} NEW.csv "
        "-o labeled.csv",
        highlight=False,
    )
    return written
