"""``kmeansx demo``: why standardize, then the whole workflow, on the wine data."""

from __future__ import annotations

from pathlib import Path

DEMO_FILES = (
    "elbow.png",
    "scores.png",
    "silhouette.png",
    "clusters.png",
    "centroid_paths.png",
    "animation.gif",
    "segments.csv",
    "model.kmx",
)
MARKER = ".kmeansx-demo"


def claim_directory(output: Path, *, force: bool) -> None:
    """Make ``output`` the demo's own directory.

    The demo replaces its own files on every run (the directory holds a marker
    saying so), but it refuses, without ``force``, a directory it did not create
    where one of its file names is already taken.
    """
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
    output.mkdir(parents=True, exist_ok=True)
    (output / MARKER).write_text(
        "Written by `kmeansx demo`, which replaces its own files here on each run.\n"
    )


def compare_scaling(X, cultivar, random_state) -> dict:
    """KMeans(n_clusters=3) without and with standardizing, against the cultivars."""
    from sklearn.metrics import adjusted_rand_score

    from kmeansx import segment

    runs = {}
    for name, scale in (("unscaled", None), ("standardized", "standard")):
        seg = segment(X, n_clusters=3, scale=scale, random_state=random_state)
        runs[name] = {
            "sizes": seg.profile["size"].tolist(),
            "inertia": seg.inertia,
            "ari": adjusted_rand_score(cultivar, seg.labels),
            "centers": seg.centers,
        }
    return runs


def run_demo(output, *, random_state=0, force=False, console) -> dict:
    """Print the comparison and the workflow; write pictures, table and model."""
    from sklearn.metrics import adjusted_rand_score

    from kmeansx import _report, save, segment
    from kmeansx.cli import write_plots
    from kmeansx.datasets import load_wine
    from kmeansx.io import write_table

    output = Path(output)
    claim_directory(output, force=force)
    X, cultivar = load_wine()
    console.rule("1. Why standardize first")
    console.print(
        f"The wine data: {X.shape[0]} wines, {X.shape[1]} measurements on very "
        "different scales, and the 3 cultivars they came from (which k-means never "
        "sees)."
    )
    runs = compare_scaling(X, cultivar, random_state)
    summary, centers = _report.comparison_tables(runs, X.columns)
    console.print(summary)
    console.print(centers)
    share = X.var(ddof=0) / X.var(ddof=0).sum()
    console.print(_report.comparison_verdict(runs, share), style="bold")

    console.rule("2. The workflow: choose k, fit, profile, pictures")
    seg = segment(
        X, n_clusters="auto", scale="standard", random_state=random_state,
        record_history=True,
    )  # fmt: skip
    console.print(_report.choice_table(seg.choice))
    console.print(_report.choice_summary(seg.choice))
    console.print(_report.profile_table(seg.profile, seg.columns))
    ari = adjusted_rand_score(cultivar, seg.labels)
    console.print(
        f"Agreement of these {len(seg.centers)} segments with the cultivars: "
        f"ARI {ari:.2f}."
    )
    written = write_plots(seg, X, output, force=True)
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
