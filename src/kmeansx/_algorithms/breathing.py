"""Breathing k-means (Fritzke 2021): a converged run refined by adding centers
where the error is largest and removing those that are least useful.

Lloyd's loop, and Hartigan's single-point moves after it, stop in the local
minimum that the start leads to. Breathing moves several centers at once: it
"breathes in" ``m`` new centers beside the ``m`` centers of largest error (the
weighted sum of squared distances of their points), runs a few iterations of the
loop with ``k + m`` centers, then "breathes out" the ``m`` centers whose removal
costs least, and runs the loop with ``k`` again, to convergence. A cycle that
lowers the inertia is kept and ``m`` stays; otherwise ``m`` drops by one, and the
refinement ends at ``m = 0``. The result is never worse than the run it started
from.
(B. Fritzke, "Breathing K-Means: Superior K-Means Solutions through Dynamic
K-Values", arXiv:2006.15666.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kmeansx._algorithms.loop import RunResult
from kmeansx._algorithms.relocation import sq_distance_to_label
from kmeansx._data import float64_weights
from kmeansx._kernels import distances as _dist
from kmeansx._kernels import plain as _plain

# The breathing depth: centers added and removed in the first cycles (the paper's
# default; deeper is slower and sometimes better).
BREATHING_DEPTH = 5
# Iterations of the loop after breathing in, at most. That loop only settles the
# new centers for the utilities that choose which centers go; the loop after
# breathing out runs to convergence. Fritzke's reference runs both to convergence;
# capped, breathing's medians in benchmarks/bench_quality.py were the same or lower
# in every cell, in 10-35% less time (at 200k x 16, k=64: 0.63 s -> 0.44 s, the
# same optimum): a split blob's two halves otherwise take dozens of iterations to
# settle in cycles that end up rejected.
INHALE_MAX_ITER = 3
# A cycle counts as an improvement when it lowers the inertia by this fraction.
MIN_GAIN = 1e-4
# New centers sit this fraction of the root-mean-square error from their parent.
OFFSET_SCALE = 0.01
# Cycles before the refinement stops even if they still lower the inertia (each
# kept one lowers it by MIN_GAIN; they end long before this in practice).
MAX_CYCLES = 500


def refine_breathing(
    X,
    sample_weight,
    run: RunResult,
    run_from: Callable[..., RunResult],
    random_state: np.random.RandomState,
    x_mean=None,
    plain: bool = False,
    depth: int = BREATHING_DEPTH,
) -> tuple[RunResult, int]:
    """``run`` refined by breathing, and how many cycles ran.

    ``run_from(centers, max_iter)`` runs the fit's loop (its algorithm, its
    ``max_iter`` or less and its ``tol``) from ``centers``, in the space of
    ``X - x_mean``: at most ``INHALE_MAX_ITER`` iterations after breathing in, the
    fit's ``max_iter`` (``max_iter=None``) after breathing out; the offsets of the
    new centers are drawn from ``random_state``. The result's ``n_iter`` sums the
    iterations of every loop run, and its history is ``run``'s. At most
    ``MAX_CYCLES`` cycles run. Nothing is done for one cluster, an inertia of 0,
    or fewer than ``n_clusters + 1`` rows. Dense ``X`` only.
    """
    n_samples = X.shape[0]
    n_clusters = run.centers.shape[0]
    weight = float64_weights(sample_weight)
    m = min(depth, n_clusters, n_samples - n_clusters)
    if n_clusters < 2 or m < 1 or run.inertia == 0:
        return run, 0
    best, n_iter, cycles = run, run.n_iter, 0
    while m > 0 and cycles < MAX_CYCLES:
        cycles += 1
        grown = _breathe_in(X, weight, best, m, random_state, x_mean, plain)
        inhaled = run_from(grown, INHALE_MAX_ITER)
        kept = _breathe_out(X, weight, inhaled.centers, m, x_mean, plain)
        exhaled = run_from(inhaled.centers[kept], None)
        n_iter += inhaled.n_iter + exhaled.n_iter
        if exhaled.inertia < best.inertia * (1 - MIN_GAIN):
            best = exhaled
        else:
            m -= 1
    refined = RunResult(best.labels, best.inertia, best.centers, n_iter, run.history)
    return refined, cycles


def _breathe_in(X, weight, run, m, random_state, x_mean, plain) -> np.ndarray:
    """``run``'s centers and ``m`` new ones, each a small random offset from one of
    the ``m`` centers of largest error (ties: the lower index)."""
    n_clusters, n_features = run.centers.shape
    d2 = sq_distance_to_label(X, run.centers, run.labels, x_mean, plain)
    error = np.bincount(run.labels, weights=weight * d2, minlength=n_clusters)
    parents = np.argsort(-error, kind="stable")[:m]
    rms = np.sqrt(error.sum() / weight.sum())
    offsets = (random_state.uniform(size=(m, n_features)) - 0.5) * (OFFSET_SCALE * rms)
    grown = run.centers[parents].astype(np.float64) + offsets
    return np.concatenate([run.centers, grown.astype(run.centers.dtype)])


def _breathe_out(X, weight, centers, m, x_mean, plain) -> np.ndarray:
    """Indices of the centers to keep: all but ``m``, removed by lowest utility
    (the weighted increase of the inertia if the center alone went: its points'
    distance to their second-nearest center less the nearest). A removed center's
    nearest other center is frozen (kept), so that two neighbours do not both go,
    while enough centers are left to remove."""
    n_centers = centers.shape[0]
    nearest, d1, d2 = two_nearest(X, centers, x_mean, plain)
    utility = np.bincount(nearest, weights=weight * (d2 - d1), minlength=n_centers)
    c = centers.astype(np.float64)
    c_sq = np.einsum("ij,ij->i", c, c)
    cc = c_sq[:, None] + c_sq[None, :] - 2.0 * (c @ c.T)  # (k, k), not (k, k, d)
    np.fill_diagonal(cc, np.inf)
    neighbour = np.argmin(cc, axis=1)
    removed, frozen = [], set()
    for j in np.argsort(utility, kind="stable"):
        if j in frozen:
            continue
        removed.append(j)
        if len(removed) == m:
            break
        if len(frozen) + m < n_centers:
            frozen.add(int(neighbour[j]))
    keep = np.ones(n_centers, dtype=bool)
    keep[removed] = False
    return np.flatnonzero(keep)


def two_nearest(
    X, centers, x_mean=None, plain: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every row of ``X - x_mean``: its nearest center, and its squared
    distances (float64) to the nearest and the second-nearest center (ties: the
    lower index first), by :func:`kmeansx._kernels.distances.two_nearest_dense`
    (``plain``: its NumPy twin)."""
    n_samples = X.shape[0]
    c = np.asarray(centers, dtype=np.float64)
    nearest = np.empty(n_samples, dtype=np.int64)
    d1 = np.empty(n_samples)
    d2 = np.empty(n_samples)
    kernels = _plain if plain else _dist
    extra = () if x_mean is None else (x_mean,)
    kernels.two_nearest_dense(
        X,
        np.ascontiguousarray(-2.0 * c.T),
        np.einsum("ij,ij->i", c, c),
        nearest,
        d1,
        d2,
        *extra,
    )
    return nearest, d1, d2
