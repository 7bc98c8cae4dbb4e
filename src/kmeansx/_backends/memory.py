"""In-memory data as a source for the restarts driver (:mod:`kmeansx._fit`).

Dense data is centered on its mean (as scikit-learn does) so that the norm
expansion used for ranking distances loses less precision; the kernels subtract the
mean as they read ``X`` (:mod:`kmeansx._kernels.centered`), so the data is neither
copied nor modified.
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.registry import step_factory
from kmeansx._data import (
    column_means,
    is_sparse,
    max_abs,
    mean_variance,
    row_sq_norms,
    scale_exponent,
    scaled,
)
from kmeansx._init import (
    callable_init,
    kmeans_parallel_init,
    kmeans_plusplus_init,
    random_init,
)


class MemorySource:
    """Validated ``X`` (dense C-contiguous or CSR with sorted indices) and weights.

    Only k-means++ and k-means|| need the row norms: they are computed for them
    alone, and dropped once the last run's initialization is done (peak memory).

    ``spherical``: ``X``'s rows have unit length, for cosine k-means; the data is
    then read as it is (not centered: centering would take the rows off the unit
    sphere the centers are kept on), and k-means|| refines its candidates by
    spherical k-means.
    ``plain`` (dense ``X``, see :func:`kmeansx._algorithms.registry.runs_plain`)
    runs the mean, k-means++ and Lloyd's steps by the NumPy twins of their kernels:
    the same result, nothing to compile.
    """

    def __init__(
        self, X, sample_weight, init, plain: bool = False, *, spherical: bool = False
    ):
        # Data whose squared distances would overflow or underflow is clustered
        # as X * 2**exponent (exact), and the driver scales the result back.
        self.exponent = scale_exponent(max_abs(X), X.shape[1], X.dtype)
        if self.exponent:
            X = scaled(X, self.exponent)
        self.X = X
        self.sample_weight = sample_weight
        self.dtype = X.dtype
        self.spherical = spherical
        self.plain = plain and not is_sparse(X)
        self.mean = None if is_sparse(X) or spherical else column_means(X, self.plain)
        wants_norms = isinstance(init, str) and init != "random"
        self.x_sqnorm = row_sq_norms(X, self.mean, self.plain) if wants_norms else None
        # Variances are invariant under the centering; on centered data they take
        # one pass instead of np.var's two, and none when k-means++ has the
        # centered rows' squared norms already.
        if self.x_sqnorm is not None and self.mean is not None:
            self.mean_variance = float(self.x_sqnorm.sum()) / X.size
        else:
            self.mean_variance = mean_variance(X, x_mean=self.mean)

    def initial_centers(self, init, n_clusters: int, random_state, last: bool):
        """Centers from ``init``, in the space of ``X - mean``."""
        if not isinstance(init, str) and not callable(init):
            init = np.ldexp(np.asarray(init), self.exponent).astype(self.dtype)
        centers = initial_centers(
            self.X,
            n_clusters,
            init,
            self.sample_weight,
            random_state,
            self.x_sqnorm,
            self.mean,
            self.spherical,
            self.plain,
        )
        if last:
            self.x_sqnorm = None
        return centers

    def new_step(self, algorithm: str, n_clusters: int):
        return step_factory(
            algorithm,
            self.X,
            self.sample_weight,
            n_clusters,
            x_mean=self.mean,
            plain=self.plain,
            spherical=self.spherical,
        )


def initial_centers(
    X,
    n_clusters: int,
    init,
    sample_weight,
    random_state,
    x_sqnorm,
    x_mean=None,
    spherical: bool = False,
    plain: bool = False,
) -> np.ndarray:
    """Centers from ``init`` ("k-means++", "random", "k-means||", an array or a
    callable), in the space of ``X - x_mean`` when ``x_mean`` is given;
    ``spherical`` refines k-means||'s candidates by spherical k-means; ``plain``
    runs k-means++ by the NumPy twins of its kernels."""
    seed = (X, n_clusters, sample_weight, random_state)
    if isinstance(init, str) and init == "k-means++":
        centers = kmeans_plusplus_init(
            *seed, x_sqnorm=x_sqnorm, x_mean=x_mean, plain=plain
        )[0]
    elif isinstance(init, str) and init == "random":
        centers = random_init(*seed, x_mean)[0]
    elif isinstance(init, str) and init == "k-means||":
        centers = kmeans_parallel_init(
            *seed, x_sqnorm=x_sqnorm, x_mean=x_mean, spherical=spherical
        )
    elif callable(init):
        # A user's function sees the centered data, as in scikit-learn: only this
        # init makes a centered copy.
        data = X if x_mean is None else X - x_mean
        centers = callable_init(init, data, n_clusters, random_state, X.dtype)
    else:
        centers = np.asarray(init) if x_mean is None else np.asarray(init) - x_mean
    return np.ascontiguousarray(centers, dtype=X.dtype)
