"""Squared Euclidean distances, computed from differences (not the norm expansion).

These serve ``transform``, the lesson's ``distances`` step and empty-cluster
relocation, where the distance itself (not only its argmin) is the result; and
breathing k-means' two nearest centers of every row (:func:`two_nearest_dense`,
by the norm expansion: one GEMM per block, as the rows meet every center).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.centered import value


@jit(parallel=True)
def sq_distances_dense(X, centers, out):
    """``out[i, j] = ||X[i] - centers[j]||^2`` for dense ``X``; out is (n, k)."""
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    for i in prange(n_samples):
        for j in range(n_clusters):
            sq = 0.0
            for f in range(n_features):
                diff = np.float64(X[i, f]) - np.float64(centers[j, f])
                sq += diff * diff
            out[i, j] = sq


@jit(parallel=True)
def sq_distances_csr(X_csr, centers, out):
    """:func:`sq_distances_dense` for ``X_csr = (data, indices, indptr)``."""
    data, indices, indptr = X_csr
    n_samples = indptr.shape[0] - 1
    n_clusters, n_features = centers.shape
    for i in prange(n_samples):
        for j in range(n_clusters):
            sq = 0.0
            for f in range(n_features):
                c = np.float64(centers[j, f])
                sq += c * c
            for p in range(indptr[i], indptr[i + 1]):
                v = np.float64(data[p])
                c = np.float64(centers[j, indices[p]])
                sq += v * v - 2.0 * v * c
            out[i, j] = max(sq, 0.0)


@jit(parallel=True)
def sq_distance_to_label_dense(X, centers, labels, out, x_mean=None):
    """``out[i] = ||X[i] - centers[labels[i]]||^2``; out is (n,) float64.

    ``x_mean`` centers the rows as they are read (:mod:`kmeansx._kernels.centered`).
    """
    n_samples, n_features = X.shape
    for i in prange(n_samples):
        label = labels[i]
        sq = 0.0
        for f in range(n_features):
            diff = np.float64(value(X, x_mean, i, f)) - np.float64(centers[label, f])
            sq += diff * diff
        out[i] = sq


@jit(parallel=True)
def sq_distance_to_label_csr(X_csr, centers, labels, out):
    """:func:`sq_distance_to_label_dense` for ``X_csr = (data, indices, indptr)``.

    From differences, as the dense kernel, not the norm expansion: a point on its
    center must get exactly 0 (empty-cluster relocation tests for that).
    """
    data, indices, indptr = X_csr
    n_samples = indptr.shape[0] - 1
    n_features = centers.shape[1]
    for i in prange(n_samples):
        label = labels[i]
        diff = np.empty(n_features)
        for f in range(n_features):
            diff[f] = np.float64(centers[label, f])
        for p in range(indptr[i], indptr[i + 1]):
            diff[indices[p]] -= np.float64(data[p])
        sq = 0.0
        for f in range(n_features):
            sq += diff[f] * diff[f]
        out[i] = sq


@jit(parallel=True)
def two_nearest_dense(
    X, centers_m2_T, c_sqnorm, nearest_out, d1_out, d2_out, x_mean=None
):
    """Every row's nearest center, and its squared distances to the nearest and
    the second-nearest (ties: the lower index first; a tie makes them equal).

    ``centers_m2_T`` (d, k) is ``-2 * centers.T`` and ``c_sqnorm`` the centers'
    squared norms, float64. Per block of ``BLOCK_ROWS`` rows, in float64: the rows
    (centered in X's dtype, :mod:`.centered`) times ``centers_m2_T`` in one GEMM,
    plus ``c_sqnorm``, ranks the centers; the row's squared norm is added to the
    two values kept, clipped at 0.
    """
    n_samples, n_features = X.shape
    n_centers = c_sqnorm.shape[0]
    for b in prange(-(-n_samples // BLOCK_ROWS)):
        b0 = b * BLOCK_ROWS
        m = min(b0 + BLOCK_ROWS, n_samples) - b0
        rows = np.empty((m, n_features))
        x_sq = np.empty(m)
        for r in range(m):
            acc = 0.0
            for f in range(n_features):
                v = np.float64(value(X, x_mean, b0 + r, f))
                rows[r, f] = v
                acc += v * v
            x_sq[r] = acc
        ranks = np.empty((m, n_centers))
        np.dot(rows, centers_m2_T, ranks)
        for r in range(m):
            best = np.inf
            second = np.inf
            label = 0
            for j in range(n_centers):
                v = ranks[r, j] + c_sqnorm[j]
                if v < best:
                    second = best
                    best = v
                    label = j
                elif v < second:
                    second = v
            nearest_out[b0 + r] = label
            d1_out[b0 + r] = max(x_sq[r] + best, 0.0)
            d2_out[b0 + r] = max(x_sq[r] + second, 0.0)
