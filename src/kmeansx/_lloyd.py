"""One Lloyd run: the assign/update loop, convergence, history and the final E-step.

The loop stays in Python with one kernel call per iteration, which leaves room for
history and verbose output at no measurable cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmeansx._data import is_sparse, kernel_view
from kmeansx._history import KMeansHistory
from kmeansx._kernels import assign as _assign
from kmeansx._kernels import distances as _dist
from kmeansx._kernels._chunks import chunk_size_for, n_chunks_for
from kmeansx._kernels._jit import single_threaded_blas


@dataclass
class RunResult:
    labels: np.ndarray
    inertia: float
    centers: np.ndarray
    n_iter: int
    history: KMeansHistory | None = None


class _Pass:
    """Buffers for one data set, reused by every pass over it.

    ``update`` asks for the M-step sums; ``inertia`` for the inertia, which the
    iterations only need for history and verbose output.
    """

    def __init__(
        self,
        X,
        sample_weight,
        n_clusters: int,
        update: bool,
        inertia: bool,
        x_mean=None,
    ):
        n_samples, n_features = X.shape
        self.view = kernel_view(X)
        self.sample_weight = sample_weight
        self.kernel = (
            _assign.assign_update_csr if is_sparse(X) else _assign.assign_update_dense
        )
        # Dense X is centered as it is read (kmeansx._kernels.centered).
        self.extra = () if x_mean is None else (x_mean,)
        self.chunk = chunk_size_for(n_samples, n_clusters, n_features)
        n_chunks = n_chunks_for(n_samples, self.chunk)
        k, d = (n_clusters, n_features) if update else (0, 0)
        # A pass without the M-step leaves the weights' slots alone: zeros, so that
        # the caller's sum of them is 0 and not of whatever memory held (a NaN there
        # raised "invalid value encountered in reduce" now and then).
        self.partial = (
            np.empty((n_chunks, k, d)),
            (np.empty if update else np.zeros)((n_chunks, max(k, 1))),
            np.empty(n_chunks if inertia else 0),
            np.empty(n_chunks, dtype=np.int64),
        )
        # The last assignment of a run: no sums, always the inertia.
        self.final_partial = (
            np.empty((n_chunks, 0, 0)),
            np.zeros((n_chunks, 1)),
            np.empty(n_chunks),
            np.empty(n_chunks, dtype=np.int64),
        )

    def run(self, centers, labels, *, final: bool = False):
        """Assign in place; return (sums, weights, inertia, n_changed).

        ``final=True`` is the last assignment of a run: no sums, and the inertia.
        """
        partial = self.final_partial if final else self.partial
        self.kernel(
            self.view,
            self.sample_weight,
            centers,
            self.chunk,
            labels,
            *partial,
            *self.extra,
        )
        sums, weights, inertia, changed = partial
        # Fixed-order reductions over fixed-size chunks: thread-count independent.
        return sums.sum(axis=0), weights.sum(axis=0), inertia.sum(), int(changed.sum())


def assign_labels(X, sample_weight, centers, x_mean=None):
    """Labels of the nearest centers and the inertia (no update); ``x_mean``
    centers dense ``X`` as it is read."""
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    step = _Pass(
        X, sample_weight, centers.shape[0], update=False, inertia=True, x_mean=x_mean
    )
    with single_threaded_blas():
        return labels, float(step.run(centers, labels)[2])


def sq_distance_to_label(X, centers, labels, x_mean=None) -> np.ndarray:
    out = np.empty(X.shape[0])
    if is_sparse(X):
        _dist.sq_distance_to_label_csr(kernel_view(X), centers, labels, out)
    else:
        _dist.sq_distance_to_label_dense(X, centers, labels, out, x_mean)
    return out


def relocate_empty_clusters(
    X, sample_weight, centers_old, labels, sums, weights, x_mean=None
):
    """Move each empty cluster onto one of the points farthest from their centers.

    As scikit-learn: the farthest points (by ``argpartition``) each leave their
    cluster's sums and seed an empty cluster; edits ``sums`` and ``weights``.
    """
    empty = np.flatnonzero(weights == 0)
    n_empty = empty.shape[0]
    if n_empty == 0:
        return
    distances = sq_distance_to_label(X, centers_old, labels, x_mean)
    if distances.max() == 0:
        # Every point sits on its center (fewer distinct points than clusters):
        # moving one would only empty another cluster. scikit-learn stops here too.
        return
    far = np.argpartition(distances, -n_empty)[: -n_empty - 1 : -1]
    for new_id, far_idx in zip(empty, far, strict=True):
        weight = float(sample_weight[far_idx])
        old_id = labels[far_idx]
        row = X[far_idx]
        if is_sparse(X):
            row = np.asarray(row.toarray()).ravel()
        elif x_mean is not None:
            row = row - x_mean
        sums[old_id] -= row * weight
        sums[new_id] = row * weight
        weights[new_id] = weight
        weights[old_id] -= weight


def average_centers(sums, weights, dtype) -> np.ndarray:
    """Weighted means; a cluster still empty after relocation sits on the heaviest.

    scikit-learn means to do the same ("at the location of the biggest cluster"),
    but an empty cluster listed before the heaviest one receives that cluster's
    weighted sum instead of its mean; we place it on the mean.
    """
    centers = np.array(sums, dtype=np.float64)
    full = weights > 0
    centers[full] /= weights[full, None]
    centers[~full] = centers[int(np.argmax(weights))]
    return centers.astype(dtype)


def lloyd(
    X,
    sample_weight,
    centers_init,
    *,
    max_iter: int = 300,
    tol: float = 0.0,
    verbose: bool = False,
    record_history: bool = False,
    x_mean=None,
) -> RunResult:
    """One run of Lloyd's algorithm from ``centers_init`` (scikit-learn's semantics).

    Stops at strict convergence (no label changed), when the squared center shift
    is within ``tol`` (an absolute value: the caller scales it), or at ``max_iter``;
    in the last two cases a final assignment makes the labels match the centers.
    """
    return run_loop(
        lloyd_step,
        X,
        sample_weight,
        centers_init,
        max_iter=max_iter,
        tol=tol,
        verbose=verbose,
        record_history=record_history,
        x_mean=x_mean,
    )


def lloyd_step(X, sample_weight, n_clusters: int, inertia: bool, x_mean=None) -> _Pass:
    """Lloyd's pass: every point against every center."""
    return _Pass(
        X, sample_weight, n_clusters, update=True, inertia=inertia, x_mean=x_mean
    )


def run_loop(
    make_step,
    X,
    sample_weight,
    centers_init,
    *,
    max_iter: int,
    tol: float,
    verbose: bool,
    record_history: bool,
    x_mean=None,
) -> RunResult:
    """Lloyd's loop around the passes of ``make_step(X, sample_weight, k, inertia,
    x_mean)``; ``x_mean`` (dense ``X`` only) is subtracted from the rows as they are
    read, the centers living in the centered space.

    Every exact algorithm shares it: a step's ``run(centers, labels)`` assigns and
    returns ``(sums, weights, inertia, n_changed)``; ``run(..., final=True)`` is the
    last assignment, which makes the labels match the final centers.
    """
    n_samples = X.shape[0]
    n_clusters = centers_init.shape[0]
    dtype = X.dtype
    centers = np.ascontiguousarray(centers_init, dtype=dtype)
    labels = np.full(n_samples, -1, dtype=np.int32)
    step = make_step(X, sample_weight, n_clusters, record_history or verbose, x_mean)
    hist_centers = [centers.copy()] if record_history else None
    hist_inertia: list[float] = []
    hist_changed: list[int] = []
    with single_threaded_blas():
        i = 0
        for i in range(max_iter):
            sums, weights, inertia, n_changed = step.run(centers, labels)
            if verbose:
                print(f"Iteration {i}, inertia {inertia}.")
            relocate_empty_clusters(
                X, sample_weight, centers, labels, sums, weights, x_mean
            )
            new_centers = average_centers(sums, weights, dtype)
            shift_sq = float(((new_centers - centers) ** 2).sum())
            centers = np.ascontiguousarray(new_centers)
            if record_history:
                hist_centers.append(centers.copy())
                hist_inertia.append(float(inertia))
                hist_changed.append(n_changed)
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

        # The labels of a strict convergence already match the centers; otherwise a
        # final assignment makes them match. Either way one more pass for the inertia.
        inertia = step.run(centers, labels, final=True)[2]
    history = None
    if record_history:
        history = KMeansHistory(
            np.stack(hist_centers),
            np.asarray(hist_inertia),
            np.asarray(hist_changed, dtype=np.int64),
        )
    return RunResult(labels, float(inertia), centers, i + 1, history)
