"""Restarts: ``n_init`` runs from different starts, and the choice of the best.

One driver for every backend: the data comes as a *source* (in memory:
:class:`kmeansx._backends.memory.MemorySource`; on Dask:
:class:`kmeansx._backends.dask_source.DaskSource`) that gives the initial centers
and the step each run's loop (:func:`kmeansx._algorithms.loop.run_loop`) drives. A
source has ``mean`` (what the data is centered on as it is read, or None),
``mean_variance`` (for ``tol``), ``initial_centers(init, n_clusters,
random_state, last)`` (centered, in the data's dtype; ``last`` for the last run,
after which the source may free what only the initialization needs) and
``new_step(algorithm, n_clusters)`` (the ``new_step(inertia)`` of the loop).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from kmeansx._algorithms.breathing import refine_breathing
from kmeansx._algorithms.hartigan import refine_hartigan
from kmeansx._algorithms.loop import Callback, LoopOptions, RunResult, run_loop
from kmeansx._algorithms.registry import spend_plain
from kmeansx._data import unit_rows_checked
from kmeansx._history import KMeansHistory
from kmeansx._kernels._jit import single_threaded_blas


@dataclass
class FitResult:
    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    history: KMeansHistory | None
    n_moves: int | None = None


def same_clustering(labels1, labels2, n_clusters: int) -> bool:
    """True when ``labels2`` is a relabelling of ``labels1`` (scikit-learn's test)."""
    pairs = np.unique(labels1.astype(np.int64) * n_clusters + labels2)
    return np.unique(pairs // n_clusters).shape[0] == pairs.shape[0]


def fit_kmeans(
    source,
    *,
    n_clusters: int,
    init,
    n_init: int,
    max_iter: int,
    tol: float,
    verbose: int,
    random_state: np.random.RandomState,
    record_history: bool,
    algorithm: str = "lloyd",
    callback: Callback | None = None,
    refine: str | None = None,
    spherical: bool = False,
) -> FitResult:
    """Run ``n_init`` runs of ``algorithm`` on a prepared source; keep the lowest
    inertia (a later run must also be a different clustering, as in scikit-learn).

    ``tol`` is relative: it is scaled by the mean variance of the features.
    Centers, history included, come back in the data's own coordinates.

    ``refine="hartigan"`` refines every run by Hartigan's moves
    (:func:`kmeansx._algorithms.hartigan.refine_hartigan`, in-memory dense
    sources only) before the best run is chosen; the result's ``n_moves`` counts
    the moves of the kept run (None without refinement). ``refine="breathing"``
    refines every run by breathing k-means
    (:func:`kmeansx._algorithms.breathing.refine_breathing`), whose loops run
    ``algorithm`` with the same ``tol`` and ``max_iter`` (at most a few
    iterations after breathing in).

    ``spherical=True`` runs cosine (spherical) k-means on a source of unit rows
    (not centered): every run starts from its initial centers scaled to unit
    length, the loop keeps them so (``LoopOptions.spherical``), and the inertia is
    ``sum w (1 - cos)``.
    """
    tol_abs = source.mean_variance * tol if tol > 0 else 0.0
    loop = LoopOptions(
        max_iter, tol_abs, bool(verbose), record_history, callback, spherical
    )
    best = None
    start = time.perf_counter()
    with single_threaded_blas():
        for run_index in range(n_init):
            centers_init = source.initial_centers(
                init, n_clusters, random_state, last=run_index == n_init - 1
            )
            if spherical:
                centers_init = _unit_initial_centers(centers_init)
            if verbose:
                print("Initialization complete")
            run = run_loop(source.new_step(algorithm, n_clusters), centers_init, loop)
            run, moves = _refined(run, refine, source, algorithm, loop, random_state)
            if best is None or (
                run.inertia < best.inertia
                and not same_clustering(run.labels, best.labels, n_clusters)
            ):
                best, best_moves = run, moves
    if getattr(source, "plain", False):
        spend_plain(time.perf_counter() - start)

    distinct = np.count_nonzero(np.bincount(best.labels, minlength=n_clusters))
    if distinct < n_clusters:
        warnings.warn(
            f"Number of distinct clusters ({distinct}) found smaller than "
            f"n_clusters ({n_clusters}). Possibly due to duplicate points in X.",
            ConvergenceWarning,
            stacklevel=3,
        )
    centers, history, inertia = best.centers, best.history, best.inertia
    if source.mean is not None:
        mean = source.mean.astype(centers.dtype)
        centers = centers + mean
        if history is not None:
            history = history.shifted(mean)
    if source.exponent:
        centers, inertia, history = _unscaled(centers, inertia, history, source)
    return FitResult(centers, best.labels, inertia, best.n_iter, history, best_moves)


def _refined(run: RunResult, refine, source, algorithm, loop, random_state):
    """``run`` refined as ``refine`` asks (in-memory dense sources), and the
    number of Hartigan moves (None without Hartigan's moves)."""
    moves = None
    if refine in ("breathing", "breathing+hartigan"):
        # The breaths' loops report nothing of their own: no history, callback
        # or per-iteration printing.
        quiet = replace(loop, verbose=False, record_history=False, callback=None)

        def run_from(centers, max_iter):
            step = source.new_step(algorithm, centers.shape[0])
            if max_iter is None or max_iter >= quiet.max_iter:
                return run_loop(step, centers, quiet)
            return run_loop(step, centers, replace(quiet, max_iter=max_iter))

        before = run.inertia
        run, cycles = refine_breathing(
            source.X,
            source.sample_weight,
            run,
            run_from,
            random_state,
            source.mean,
            getattr(source, "plain", False),
        )
        if loop.verbose:
            print(f"Breathing: {cycles} cycles, inertia {before} -> {run.inertia}")
    if refine in ("hartigan", "breathing+hartigan"):
        run, moves = refine_hartigan(source.X, source.sample_weight, run, source.mean)
        if loop.verbose:
            print(f"Hartigan refinement: {moves} moves, inertia {run.inertia}")
    return run, moves


def _unit_initial_centers(centers) -> np.ndarray:
    """Initial centers scaled to unit length (spherical k-means)."""

    def zero_error(zero):
        return ValueError(
            f"The initial center(s) {zero.tolist()} have zero length: cosine "
            "k-means needs a direction for every center. Return nonzero centers "
            "from the init callable, or use init='k-means++'."
        )

    return unit_rows_checked(centers, zero_error)


def _unscaled(centers, inertia, history, source):
    """Centers and inertia of data the source scaled by ``2**exponent``, back in
    the data's units (exact, unless the inertia itself is out of float64's range:
    then it is inf or 0, with a warning)."""
    e = source.exponent
    centers = np.ldexp(centers, -e).astype(centers.dtype)
    with np.errstate(over="ignore", under="ignore"):  # said below, once
        if history is not None:
            history = KMeansHistory(
                np.ldexp(history.centers, -e).astype(history.centers.dtype),
                np.ldexp(history.inertia, -2 * e),
                history.n_changed,
            )
        result = float(np.ldexp(inertia, -2 * e))
    if inertia > 0 and not 0 < result < np.inf:
        warnings.warn(
            f"inertia_ is out of float64's range on this data: it is {inertia!r} "
            f"times 2**{-2 * e}, reported as {result!r}. The labels and "
            "cluster_centers_ are exact; rescale the data to compare inertias.",
            RuntimeWarning,
            stacklevel=4,
        )
    return centers, result, history
