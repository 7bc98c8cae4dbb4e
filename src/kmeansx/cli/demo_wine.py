"""The wine demo's first part: why standardize, told by matching clusters to cultivars.

k-means numbers its clusters arbitrarily, so cluster 0 of one fit and cluster 0 of
another need not be the same group. Each fit's clusters are renumbered after the
cultivar they overlap most (an assignment on the cultivar x cluster table,
:func:`match_labels`), which matches the unscaled and the standardized clusters to
each other too: every table and the picture then line up column by column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCALING_FIGURE = "scaling.png"


def contingency(reference, labels, n_reference: int, n_clusters: int) -> np.ndarray:
    """Counts of rows per (reference class, cluster): shape (n_reference, n_clusters).

    Examples
    --------
    >>> contingency([0, 0, 1], [1, 1, 0], 2, 2).tolist()
    [[0, 2], [1, 0]]
    """
    table = np.zeros((n_reference, n_clusters), dtype=np.int64)
    np.add.at(table, (np.asarray(reference), np.asarray(labels)), 1)
    return table


def match_labels(reference, labels, n_reference: int, n_clusters: int) -> np.ndarray:
    """Renumber clusters after the reference classes they overlap most.

    The renumbering maximizes the rows whose new label equals their reference
    class (scipy's ``linear_sum_assignment`` on :func:`contingency`). With more
    clusters than classes the unmatched clusters take the numbers after the
    classes, in their own order.

    Returns
    -------
    ndarray of shape (n_clusters,)
        ``mapping[old_label]`` is the new label.

    Examples
    --------
    >>> match_labels([0, 0, 1, 1, 2], [2, 2, 0, 0, 1], 3, 3).tolist()
    [1, 2, 0]
    """
    from scipy.optimize import linear_sum_assignment

    table = contingency(reference, labels, n_reference, n_clusters)
    rows, cols = linear_sum_assignment(table, maximize=True)
    mapping = np.full(n_clusters, -1, dtype=np.int64)
    mapping[cols] = rows
    unmatched = np.flatnonzero(mapping < 0)
    mapping[unmatched] = n_reference + np.arange(len(unmatched))
    return mapping


def within_sum_of_squares(Z: np.ndarray, labels: np.ndarray) -> float:
    """Inertia of a partition of ``Z``: squared distances to its own cluster means.

    Lets two partitions be compared on the same data, whatever data each was
    fitted on.

    Examples
    --------
    >>> import numpy as np
    >>> within_sum_of_squares(np.array([[0.0], [2.0], [10.0]]), np.array([0, 0, 1]))
    2.0
    """
    total = 0.0
    for c in np.unique(labels):
        part = Z[labels == c]
        total += float(((part - part.mean(axis=0)) ** 2).sum())
    return total


def compare_scaling(tables: dict, cultivar, random_state) -> dict:
    """KMeans(n_clusters=3) on each prepared table, matched to the cultivars.

    ``tables`` maps a name ("unscaled", "standardized") to the wine data prepared
    with that scaling (:func:`kmeansx._tables.prepare`). Each run's ``labels``,
    ``sizes``, ``contingency`` (cultivars x clusters; its diagonal counts the
    agreements) and ``centers`` (rows in the new numbering, original units) are
    in the matched numbering; ``agreement`` is the share of wines on the
    diagonal, ``ari`` the adjusted Rand index (which needs no matching), and
    ``inertia_standardized`` the partition's inertia on the standardized
    columns: the one inertia both runs can be compared on.
    """
    from sklearn.metrics import adjusted_rand_score

    from kmeansx import segment

    truth = np.asarray(cultivar)
    n_cultivars = int(truth.max()) + 1
    Z = tables["standardized"].scaled
    runs = {}
    for name, table in tables.items():
        seg = segment(
            table, n_clusters=3, scale=table.scaler.method, random_state=random_state
        )
        raw = seg.labels.to_numpy(dtype=np.int64)
        k = len(seg.centers)
        mapping = match_labels(truth, raw, n_cultivars, k)
        labels = mapping[raw]
        counts = contingency(truth, labels, n_cultivars, k)
        centers = seg.centers.copy()
        centers.index = mapping[np.asarray(seg.centers.index)]
        runs[name] = {
            "labels": labels,
            "sizes": np.bincount(labels, minlength=k).tolist(),
            "contingency": counts,
            "agreement": np.trace(counts) / len(truth),
            "ari": adjusted_rand_score(truth, labels),
            "inertia_standardized": within_sum_of_squares(Z, labels),
            "centers": centers.sort_index(),
        }
    return runs


def picture_columns(X: pd.DataFrame, runs: dict) -> tuple[str, str]:
    """The two measurements the picture plots, in original units.

    x: the one with the largest variance, which decides the unscaled clusters;
    y: among the others, the one whose standardized cluster centers lie furthest
    apart (in standard deviations), which shows the standardized clusters best.
    """
    x = X.var(ddof=0).idxmax()
    centers = runs["standardized"]["centers"]
    spread = (centers.max() - centers.min()) / X.std(ddof=0)
    return x, spread.drop(x).idxmax()


def draw_scaling(X: pd.DataFrame, cultivar, runs: dict, axes) -> list:
    """Three panels on ``axes``: the cultivars, then each run's matched clusters.

    Same color, same number: cultivar c and the clusters matched to it. A wine
    whose cluster is not its cultivar is drawn as a cross.
    """
    x, y = picture_columns(X, runs)
    truth = np.asarray(cultivar)
    panels = [("cultivars (what k-means never sees)", truth)]
    for name, run in runs.items():
        panels.append(
            (
                f"{name}: {run['agreement']:.0%} agree (ARI {run['ari']:.2f})",
                run["labels"],
            )
        )
    for ax, (title, labels) in zip(axes, panels, strict=True):
        for c in np.unique(labels):
            rows = labels == c
            right, wrong = rows & (labels == truth), rows & (labels != truth)
            color = f"C{c}"
            ax.scatter(X[x][right], X[y][right], s=14, color=color, label=f"{c}")
            if wrong.any():
                ax.scatter(X[x][wrong], X[y][wrong], s=30, color=color, marker="x")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.legend(title="cultivar / cluster", fontsize=8, title_fontsize=8)
    axes[0].figure.suptitle(
        "k-means with 3 clusters on the wine data, clusters numbered after the "
        "cultivar they match; x: not that cultivar"
    )
    return list(axes)


def write_scaling_figure(X, cultivar, runs: dict, path, *, force: bool):
    """:func:`draw_scaling` as one PNG, written atomically."""
    from kmeansx.cli.figures import _figure, _save

    with _figure(1, 1 + len(runs), figsize=(6 * (1 + len(runs)), 5)) as (fig, axes):
        draw_scaling(X, cultivar, runs, axes)
        return _save(fig, path, force=force)
