"""Hartigan refinement of a converged run: single-point moves that lower the inertia.

Lloyd's loop stops where no point is nearer another center; Hartigan's rule also
counts how the two centers move with the point, so it escapes some of Lloyd's
fixed points (every Hartigan optimum is a Lloyd fixed point, not the converse).
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.loop import RunResult
from kmeansx._data import float64_weights
from kmeansx._kernels import hartigan as _hartigan

# Passes over the data before the refinement stops even if points still move.
MAX_PASSES = 100


def refine_hartigan(
    X, sample_weight, run: RunResult, x_mean=None, max_passes: int = MAX_PASSES
) -> tuple[RunResult, int]:
    """``run`` refined by Hartigan's moves, and how many points moved.

    Passes visit the points in index order (see
    :func:`kmeansx._kernels.hartigan.hartigan_pass`) until a pass moves none or
    ``max_passes`` passes ran. The centers and inertia returned are recomputed
    from the final labels (weighted means, float64), in ``run.centers``' dtype and
    the space of ``X - x_mean``. Dense ``X`` only.
    """
    n_clusters = run.centers.shape[0]
    weight = float64_weights(sample_weight)
    labels = run.labels.astype(np.int32, copy=True)
    centers = run.centers.astype(np.float64, copy=True)
    weights = np.empty(n_clusters)
    _hartigan.weighted_means(X, weight, labels, x_mean, centers, weights)
    sizes = np.bincount(labels, minlength=n_clusters).astype(np.int64)
    # Visits so far, each point's last check and each cluster's last change.
    state = (
        np.zeros(1, dtype=np.int64),
        np.full(X.shape[0], -1, dtype=np.int64),
        np.full(n_clusters, -1, dtype=np.int64),
    )
    n_moves = 0
    for _ in range(max_passes):
        moved = _hartigan.hartigan_pass(
            X, weight, labels, centers, weights, sizes, x_mean, state
        )
        n_moves += moved
        if moved == 0:
            break
    if n_moves:
        # The incremental updates drift by rounding: the reported centers are the
        # means of the final labels, and the inertia is theirs.
        _hartigan.weighted_means(X, weight, labels, x_mean, centers, weights)
        inertia = _hartigan.labelled_inertia(X, weight, labels, centers, x_mean)
        refined = RunResult(
            labels,
            float(inertia),
            centers.astype(run.centers.dtype),
            run.n_iter,
            run.history,
        )
        return refined, n_moves
    return run, 0
