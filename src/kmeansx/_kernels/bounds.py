"""Shared pieces of the exact bound-based algorithms (Elkan, Hamerly, Yinyang).

Exactness contract
------------------
Lloyd ranks centers by ``||c||^2 - 2 x.c`` computed in the data's dtype, and
rounding decides its near-ties. The bound-based kernels reproduce its labels:

* Every bound is a Euclidean distance kept *outward-rounded*: upper bounds are
  stored times ``1 + rel`` and lower bounds times ``1 - rel`` (``rel`` = 2^-20 for
  float32 storage, about ``(d + 8) * 2^-52`` for float64), which covers the
  rounding of the stored value and of the arithmetic that produced it.
* A center is pruned only when ``lb^2 - ub^2 > margin_i``, where ``margin_i =
  coef * (||x_i|| + max_j ||c_j||)^2`` bounds (with a factor of 2 to spare) the
  rounding of Lloyd's ranking value and of ours for row ``i``:
  ``coef = 4 * gamma_{d+2} + 2^-40`` with ``gamma_m = m u / (1 - m u)`` and ``u``
  the dtype's unit roundoff (the ``2^-40`` covers the absolute error of bounds
  drifting over many iterations). Lloyd therefore can never pick a pruned center.
* Among the surviving centers, a row whose best and second-best squared
  distances differ by at most ``margin_i`` is *ambiguous*: rounding may decide it.
  The kernels leave its label alone, set ``flags_out[i] = 1`` and make its bounds
  valid for any of the near-tied centers; the driver then asks Lloyd's own kernel
  for the label (see ``kmeansx._accelerated``). Exact ties are always ambiguous.

Partial sums mirror Lloyd's: the same fixed chunks, rows added in order, the same
float64 expressions, so the centers are the same bit for bit.
"""

from __future__ import annotations

import numpy as np

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit

# From this many features on, a block of distances goes through one GEMM; below
# it a fused loop is faster than a small BLAS call.
GEMM_MIN_FEATURES = 16


@jit()
def prunable(lb, ub, margin):
    """True when a center at distance >= ``lb`` cannot beat one at <= ``ub``."""
    return lb > ub and (lb - ub) * (lb + ub) > margin


@jit()
def row_margin(X, i, coef, max_norm):
    """``(||x_i||^2, margin_i)``: the row's squared norm and its rounding margin."""
    xsq = 0.0
    for f in range(X.shape[1]):
        v = np.float64(X[i, f])
        xsq += v * v
    s = np.sqrt(xsq) + max_norm
    return xsq, coef * s * s


@jit()
def sq_dist(X, i, centers, j):
    """``||X[i] - centers[j]||^2`` from differences, in float64."""
    sq = 0.0
    for f in range(X.shape[1]):
        diff = np.float64(X[i, f]) - np.float64(centers[j, f])
        sq += diff * diff
    return sq


@jit()
def block_sq_dists(X, rows, m, xsq, centers, centers_T, c_sqnorm, gather, dots):
    """``dots[r, j] = ||X[rows[r]] - centers[j]||^2`` for ``r < m`` (norm expansion).

    One GEMM over the gathered rows from ``GEMM_MIN_FEATURES`` features on, a fused
    loop below. The error is within a quarter of the row's margin (module docstring).
    ``gather`` is (BLOCK_ROWS, d) and ``dots`` (BLOCK_ROWS, k), both of X's dtype.
    """
    n_clusters, n_features = centers.shape
    if n_features >= GEMM_MIN_FEATURES:
        for r in range(m):
            i = rows[r]
            for f in range(n_features):
                gather[r, f] = X[i, f]
        # Leading-row slices of C-ordered buffers are contiguous, as np.dot needs.
        np.dot(gather[:m], centers_T, dots[:m])
        for r in range(m):
            for j in range(n_clusters):
                dots[r, j] = xsq[r] + c_sqnorm[j] - 2.0 * np.float64(dots[r, j])
    else:
        for r in range(m):
            i = rows[r]
            for j in range(n_clusters):
                dot = 0.0
                for f in range(n_features):
                    dot += np.float64(X[i, f]) * np.float64(centers[j, f])
                dots[r, j] = xsq[r] + c_sqnorm[j] - 2.0 * dot


@jit()
def accumulate_row(
    X, i, sample_weight, centers, label, c, want_inertia, update, sums_out, weights_out
):
    """Lloyd's per-row M-step sums for chunk ``c``; returns the weighted sq distance.

    The expressions and their order are those of Lloyd's kernel, so the partial
    sums (and so the centers) are the same bit for bit.
    """
    n_features = X.shape[1]
    w = np.float64(sample_weight[i])
    inertia = 0.0
    if want_inertia:
        sq = 0.0
        for f in range(n_features):
            diff = np.float64(X[i, f]) - np.float64(centers[label, f])
            sq += diff * diff
        inertia = sq * w
    if update:
        weights_out[c, label] += w
        for f in range(n_features):
            sums_out[c, label, f] += w * np.float64(X[i, f])
    return inertia


@jit()
def chunk_partials(
    X, sample_weight, centers, labels, chunk_size, c, sums_out, weights_out, inertia_out
):
    """Recompute chunk ``c``'s partial sums from final labels (after a replay)."""
    n_samples = X.shape[0]
    start = c * chunk_size
    stop = min(start + chunk_size, n_samples)
    update = sums_out.shape[1] > 0
    want_inertia = inertia_out.shape[0] > 0
    if update:
        sums_out[c][:] = 0.0
        weights_out[c][:] = 0.0
    inertia = 0.0
    for i in range(start, stop):
        inertia += accumulate_row(
            X,
            i,
            sample_weight,
            centers,
            labels[i],
            c,
            want_inertia,
            update,
            sums_out,
            weights_out,
        )
    if want_inertia:
        inertia_out[c] = inertia


@jit()
def new_block_buffers(n_features, n_clusters, dtype_like):
    """Per-thread scratch: row ids, norms, margins, gathered rows, distances."""
    return (
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty((BLOCK_ROWS, n_features), dtype=dtype_like.dtype),
        np.empty((BLOCK_ROWS, n_clusters), dtype=dtype_like.dtype),
    )


@jit()
def store_upper(value, rel):
    return value * (1.0 + rel)


@jit()
def store_lower(value, rel):
    return value * (1.0 - rel)
