"""Lloyd's algorithm over Dask blocks, with the semantics of the in-memory ``lloyd``.

One pass per iteration: each block task runs the in-memory kernel on its rows (its
labels stay on its worker), a fixed tree adds the partial sums, and the driver
moves the centers, which it then sends once to every worker. Convergence, the
relocation of empty clusters, history and the final assignment are those of the
in-memory run, so that from the same initial centers both give the same result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from kmeansx._backends import _dask_blocks as B
from kmeansx._backends._dask_init import initial_centers
from kmeansx._backends._dask_run import DaskData, Runner
from kmeansx._fit import FitResult, same_clustering
from kmeansx._history import KMeansHistory
from kmeansx._lloyd import RunResult, average_centers, relocate_empty_clusters

# callback(iteration, inertia, n_changed, center_shift): after every iteration.
Callback = Callable[[int, float, int, float], None]


def _relocate_empty(data, runner, key, iteration, sums, weights, shared):
    """Seed each empty cluster with one of the farthest points, as in memory.

    Each block sends its ``n_empty`` farthest points; the in-memory rule then runs
    on those candidates, which hold the farthest points of the whole data set.
    """
    n_empty = int(np.count_nonzero(weights == 0))
    if n_empty == 0:
        return
    mean_f, centers_f, centers = shared
    tasks = runner.per_block(
        B.far_block,
        data,
        lambda b: (mean_f, centers_f, (*key, b), iteration, n_empty),
        "far",
        pinned=True,
    )
    found = runner.compute(tasks)
    points = np.concatenate([f[0] for f in found])
    point_w = np.concatenate([f[1] for f in found])
    point_labels = np.concatenate([f[2] for f in found])
    relocate_empty_clusters(points, point_w, centers, point_labels, sums, weights)


def lloyd_dask(
    data: DaskData,
    runner: Runner,
    centers_init: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    verbose: bool = False,
    record_history: bool = False,
    callback: Callback | None = None,
) -> RunResult:
    """One Lloyd run over Dask blocks from ``centers_init`` (centered, in X's dtype)."""
    dtype = data.dtype
    centers = np.ascontiguousarray(centers_init, dtype=dtype)
    mean_f = runner.share(data.shift)
    want_inertia = record_history or verbose or callback is not None
    key = runner.state_key("labels")
    hist_centers = [centers.copy()] if record_history else None
    hist_inertia: list[float] = []
    hist_changed: list[int] = []

    centers_f = runner.share(centers)
    prev_f = None
    i = 0
    for i in range(max_iter):
        tasks = runner.per_block(
            B.lloyd_block,
            data,
            lambda b, c=centers_f, p=prev_f, it=i: (
                mean_f,
                c,
                p,
                (*key, b),
                it,
                want_inertia,
            ),
            "lloyd",
            pinned=True,
        )
        sums, weights, inertia, n_changed, wheres = runner.compute(
            runner.tree(tasks, "sum")
        )
        runner.follow(wheres)
        if verbose:
            print(f"Iteration {i}, inertia {inertia}.")
        _relocate_empty(
            data, runner, key, i, sums, weights, (mean_f, centers_f, centers)
        )
        new_centers = average_centers(sums, weights, dtype)
        shift_sq = float(((new_centers - centers) ** 2).sum())
        centers = np.ascontiguousarray(new_centers)
        prev_f, centers_f = centers_f, runner.share(centers)
        if record_history:
            hist_centers.append(centers.copy())
            hist_inertia.append(float(inertia))
            hist_changed.append(int(n_changed))
        if callback is not None:
            callback(i, float(inertia), int(n_changed), shift_sq)
        if n_changed == 0:
            if verbose:
                print(f"Converged at iteration {i}: strict convergence.")
            break
        if shift_sq <= tol:
            if verbose:
                print(
                    f"Converged at iteration {i}: center shift {shift_sq} within "
                    f"tolerance {tol}."
                )
            break

    # As in memory: one more pass assigns every point to the final centers and
    # gives the inertia; the labels come back to the driver here, and only here.
    tasks = runner.per_block(
        B.final_block, data, lambda b: (mean_f, centers_f), "final", pinned=True
    )
    found = runner.compute(tasks)
    labels = (
        np.concatenate([f[0] for f in found]) if found else np.empty(0, dtype=np.int32)
    )
    inertia = float(np.sum([f[1] for f in found]))
    history = None
    if record_history:
        history = KMeansHistory(
            np.stack(hist_centers),
            np.asarray(hist_inertia),
            np.asarray(hist_changed, dtype=np.int64),
        )
    return RunResult(labels, inertia, centers, i + 1, history)


def fit_dask(
    data: DaskData,
    runner: Runner,
    *,
    n_clusters: int,
    init,
    n_init: int,
    max_iter: int,
    tol: float,
    verbose: int,
    random_state: np.random.RandomState,
    record_history: bool,
    callback: Callback | None = None,
) -> FitResult:
    """``n_init`` runs on prepared Dask data; the lowest inertia wins, as in memory."""
    tol_abs = data.mean_variance * tol if tol > 0 else 0.0
    best = None
    for _ in range(n_init):
        centers_init = initial_centers(data, runner, n_clusters, init, random_state)
        if verbose:
            print("Initialization complete")
        run = lloyd_dask(
            data,
            runner,
            centers_init,
            max_iter=max_iter,
            tol=tol_abs,
            verbose=bool(verbose),
            record_history=record_history,
            callback=callback,
        )
        if best is None or (
            run.inertia < best.inertia
            and not same_clustering(run.labels, best.labels, n_clusters)
        ):
            best = run

    distinct = np.unique(best.labels).shape[0]
    if distinct < n_clusters:
        warnings.warn(
            f"Number of distinct clusters ({distinct}) found smaller than "
            f"n_clusters ({n_clusters}). Possibly due to duplicate points in X.",
            ConvergenceWarning,
            stacklevel=4,
        )
    mean = data.mean.astype(data.dtype)
    centers = best.centers + mean
    history = best.history.shifted(mean) if best.history is not None else None
    return FitResult(centers, best.labels, best.inertia, best.n_iter, history)
