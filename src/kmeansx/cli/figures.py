"""The pictures the commands write: every picture of a segmentation, and the
choose-k figure. PNGs and the GIF are written atomically, matplotlib on Agg."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PLOT_FILES = (
    "elbow.png",
    "scores.png",
    "silhouette.png",
    "clusters.png",
    "centroid_paths.png",
    "animation.gif",
)


def check_plot_outputs(directory: Path, *, force: bool, inputs) -> None:
    """Refuse, before any work, a file for a directory, or pictures to overwrite."""
    from kmeansx.cli.options import check_outputs
    from kmeansx.io import check_parent

    for other in inputs:
        if other is not None and os.path.realpath(other) == os.path.realpath(directory):
            raise ValueError(
                f"--plots {directory} is also a file of this command (input or "
                "output); give the pictures their own directory."
            )
    check_parent(directory, create=True)
    if directory.exists():
        if not directory.is_dir():
            raise NotADirectoryError(f"--plots {directory} is a file, not a directory.")
        check_outputs([directory / n for n in PLOT_FILES], force=force, inputs=inputs)


def figure_title(data, columns, shown: int = 4) -> str:
    """What the pictures are of: the file's name and the columns clustered.

    Examples
    --------
    >>> figure_title("data/mall.csv", ["Annual Income", "Spending Score"])
    'mall.csv: Annual Income, Spending Score'
    """
    cols = [str(c) for c in columns]
    named = ", ".join(cols[:shown])
    if len(cols) > shown:
        named += f" and {len(cols) - shown} more columns"
    return f"{Path(data).name}: {named}"


def write_plots(seg, X, directory: Path, *, force: bool, title=None) -> dict:
    """Write every picture of a segmentation into ``directory``: name -> path.

    ``X`` is the table ``seg`` was fitted on, or better its Prepared form (see
    :func:`kmeansx._tables.prepare`): then no picture prepares or scales it again.
    ``title`` names the data on every picture (see :func:`figure_title`).
    ``scores.png`` is every method of the choice of k in its own units.
    """
    from kmeansx import plot
    from kmeansx.io import make_directory

    make_directory(directory)
    t = {"title": title}
    drawings = {
        "silhouette.png": lambda ax: plot.silhouette(seg, X, ax, **t),
        "clusters.png": lambda ax: plot.clusters(seg, X, ax, **t),
        "centroid_paths.png": lambda ax: plot.centroid_paths(seg, X, ax, **t),
    }
    if not _silhouette_defined(seg.labels):
        # Silhouettes need 2 <= clusters < rows; there is nothing to draw otherwise.
        del drawings["silhouette.png"]
    written = {}
    if seg.choice is not None:
        with _figure(figsize=(7, 5)) as (fig, ax):
            plot.elbow(seg.choice, ax, **t)
            written["elbow.png"] = _save(fig, directory / "elbow.png", force=force)
        path = directory / "scores.png"
        written["scores.png"] = write_choice_figure(seg.choice, path, force=force, **t)
    for name, draw in drawings.items():
        with _figure(figsize=(7, 5)) as (fig, ax):
            draw(ax)
            written[name] = _save(fig, directory / name, force=force)
    gif = directory / "animation.gif"
    written["animation.gif"] = plot.animate(seg, X, gif, force=force, **t)
    return written


def _silhouette_defined(labels) -> bool:
    import numpy as np

    return 2 <= len(np.unique(labels)) <= len(labels) - 1


def write_choice_figure(choice, path: Path, *, force: bool, title=None) -> Path:
    """Every method in its own small panel, and the recommendation, in one PNG."""
    import matplotlib.pyplot as plt

    from kmeansx import plot

    _agg()
    fig = plot.choose_k(choice, title=title)[0].figure
    try:
        return _save(fig, path, force=force)
    finally:
        plt.close(fig)


def _agg() -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, whatever the environment says


@contextlib.contextmanager
def _figure(*args, **kwargs):
    """``plt.subplots(...)`` on Agg, closed whatever happens."""
    _agg()
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(*args, **kwargs)
    try:
        yield fig, axes
    finally:
        plt.close(fig)


def _save(fig, path: Path, *, force: bool) -> Path:
    from kmeansx.io import atomic_write

    fig.tight_layout()
    with atomic_write(path, force=force) as tmp:
        fig.savefig(tmp, dpi=100)
    return path
