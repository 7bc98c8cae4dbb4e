"""Restarts and the choice of the best run, around mean-centered data."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from kmeansx._auto import run_algorithm
from kmeansx._data import column_means, is_sparse, mean_variance, row_sq_norms
from kmeansx._history import KMeansHistory
from kmeansx._init import kmeans_parallel_init, kmeans_plusplus_init, random_init
from kmeansx._kernels._jit import single_threaded_blas


@dataclass
class FitResult:
    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    history: KMeansHistory | None


def same_clustering(labels1, labels2, n_clusters: int) -> bool:
    """True when ``labels2`` is a relabelling of ``labels1`` (scikit-learn's test)."""
    pairs = np.unique(labels1.astype(np.int64) * n_clusters + labels2)
    return np.unique(pairs // n_clusters).shape[0] == pairs.shape[0]


def initial_centers(
    X, n_clusters, init, sample_weight, random_state, x_sqnorm, x_mean=None
):
    """Centers from ``init`` ("k-means++", "random", an array or a callable), in
    the space of ``X - x_mean`` when ``x_mean`` is given."""
    if isinstance(init, str) and init == "k-means++":
        return kmeans_plusplus_init(
            X, n_clusters, sample_weight, random_state, x_sqnorm=x_sqnorm, x_mean=x_mean
        )[0]
    if isinstance(init, str) and init == "random":
        return random_init(X, n_clusters, sample_weight, random_state, x_mean)[0]
    if isinstance(init, str) and init == "k-means||":
        return kmeans_parallel_init(
            X, n_clusters, sample_weight, random_state, x_sqnorm=x_sqnorm, x_mean=x_mean
        )
    if callable(init):
        # A user's function sees the centered data, as in scikit-learn: only this
        # init makes a centered copy.
        data = X if x_mean is None else X - x_mean
        centers = init(data, n_clusters, random_state=random_state)
        centers = np.asarray(
            centers.toarray() if hasattr(centers, "toarray") else centers, dtype=X.dtype
        )
        check_centers_shape(centers, n_clusters, X.shape[1])
        return np.ascontiguousarray(centers)
    return np.array(init, dtype=X.dtype, order="C")


def check_centers_shape(centers, n_clusters: int, n_features: int) -> None:
    if centers.ndim != 2 or centers.shape[0] != n_clusters:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the "
            f"number of clusters {n_clusters}."
        )
    if centers.shape[1] != n_features:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the "
            f"number of features of the data {n_features}."
        )


def fit_kmeans(
    X,
    sample_weight,
    *,
    n_clusters: int,
    init,
    n_init: int,
    max_iter: int,
    tol: float,
    verbose: int,
    random_state: np.random.RandomState,
    copy_x: bool,
    record_history: bool,
    algorithm: str = "lloyd",
) -> FitResult:
    """Run ``n_init`` runs of ``algorithm`` on prepared input; keep the lowest inertia.

    Dense data is centered on its mean (as scikit-learn does) so that the norm
    expansion used for ranking distances loses less precision; the kernels subtract
    the mean as they read ``X`` (:mod:`kmeansx._kernels.centered`), so the data is
    neither copied nor modified, whatever ``copy_x``.
    """
    del copy_x  # nothing is copied: see above
    sparse = is_sparse(X)
    X_mean = None
    if not sparse:
        X_mean = column_means(X)
        if not isinstance(init, str) and not callable(init):
            init = np.asarray(init) - X_mean
    # Variances are invariant under the centering; on centered data they take one
    # pass instead of np.var's two.
    tol_abs = mean_variance(X, x_mean=X_mean) * tol if tol > 0 else 0.0
    # Only k-means++ and k-means|| need the row norms; other inits skip the pass.
    x_sqnorm = (
        row_sq_norms(X, X_mean) if isinstance(init, str) and init != "random" else None
    )

    best = None
    with single_threaded_blas():
        for run_index in range(n_init):
            centers_init = initial_centers(
                X, n_clusters, init, sample_weight, random_state, x_sqnorm, X_mean
            )
            if run_index == n_init - 1:
                x_sqnorm = None  # not held through the last run (peak memory)
            if verbose:
                print("Initialization complete")
            run = run_algorithm(
                algorithm,
                X,
                sample_weight,
                centers_init,
                max_iter=max_iter,
                tol=tol_abs,
                verbose=bool(verbose),
                record_history=record_history,
                x_mean=X_mean,
            )
            if best is None or (
                run.inertia < best.inertia
                and not same_clustering(run.labels, best.labels, n_clusters)
            ):
                best = run

    distinct = np.count_nonzero(np.bincount(best.labels, minlength=n_clusters))
    if distinct < n_clusters:
        warnings.warn(
            f"Number of distinct clusters ({distinct}) found smaller than "
            f"n_clusters ({n_clusters}). Possibly due to duplicate points in X.",
            ConvergenceWarning,
            stacklevel=3,
        )
    centers, history = best.centers, best.history
    if X_mean is not None:
        centers = centers + X_mean.astype(centers.dtype)
        if history is not None:
            history = history.shifted(X_mean.astype(centers.dtype))
    return FitResult(centers, best.labels, best.inertia, best.n_iter, history)
