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
  ``coef = (4 + TIE_FACTOR + 1) * gamma_{d+2} + 2^-40`` with ``gamma_m = m u / (1 -
  m u)`` and ``u`` the dtype's unit roundoff (the ``2^-40`` covers the absolute
  error of bounds drifting over many iterations; the ``TIE_FACTOR + 1`` covers
  Lloyd's tie margins, within which a lower index wins: see
  :mod:`kmeansx._kernels.assign`). Lloyd therefore can never pick a pruned center.
* Among the surviving centers, a row whose best and second-best squared
  distances differ by at most ``margin_i`` is *ambiguous*: rounding may decide it.
  The kernels leave its label alone, set ``flags_out[i] = 1`` and make its bounds
  valid for any of the near-tied centers; the driver then asks Lloyd's own kernel
  for the label (see ``kmeansx._accelerated``). Exact ties are always ambiguous.

Partial sums are Lloyd's own code (:mod:`kmeansx._kernels.partials`): the same
fixed chunks, rows added in order, the same float64 expressions, so the centers
are the same bit for bit.
"""

from __future__ import annotations

import numpy as np

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.centered import value


@jit()
def prunable(lb, ub, margin):
    """True when a center at distance >= ``lb`` cannot beat one at <= ``ub``."""
    return lb > ub and (lb - ub) * (lb + ub) > margin


@jit()
def row_sqnorm(X, i, x_mean=None):
    """``||X[i]||^2`` in float64; four partial sums (fixed order) shorten the chain."""
    n_features = X.shape[1]
    s0 = s1 = s2 = s3 = 0.0
    f = 0
    while f + 4 <= n_features:
        v0 = np.float64(value(X, x_mean, i, f))
        v1 = np.float64(value(X, x_mean, i, f + 1))
        v2 = np.float64(value(X, x_mean, i, f + 2))
        v3 = np.float64(value(X, x_mean, i, f + 3))
        s0 += v0 * v0
        s1 += v1 * v1
        s2 += v2 * v2
        s3 += v3 * v3
        f += 4
    while f < n_features:
        v0 = np.float64(value(X, x_mean, i, f))
        s0 += v0 * v0
        f += 1
    return (s0 + s1) + (s2 + s3)


@jit()
def sq_dist(X, i, centers, j, x_mean=None):
    """``||X[i] - centers[j]||^2`` from differences, in float64 (four partial
    sums in a fixed order)."""
    n_features = X.shape[1]
    s0 = s1 = s2 = s3 = 0.0
    f = 0
    while f + 4 <= n_features:
        d0 = np.float64(value(X, x_mean, i, f)) - np.float64(centers[j, f])
        d1 = np.float64(value(X, x_mean, i, f + 1)) - np.float64(centers[j, f + 1])
        d2 = np.float64(value(X, x_mean, i, f + 2)) - np.float64(centers[j, f + 2])
        d3 = np.float64(value(X, x_mean, i, f + 3)) - np.float64(centers[j, f + 3])
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
        f += 4
    while f < n_features:
        d0 = np.float64(value(X, x_mean, i, f)) - np.float64(centers[j, f])
        s0 += d0 * d0
        f += 1
    return (s0 + s1) + (s2 + s3)


@jit()
def block_margins(x_norm, b0, b1, coef, max_norm, marg_out):
    """Rows ``b0:b1``: rounding margins from (upper bounds of) the row norms."""
    x_norm_b = x_norm[b0:b1]  # indexed from 0: see accumulate_block
    for r in range(x_norm_b.shape[0]):
        s = np.float64(x_norm_b[r]) + max_norm
        marg_out[r] = coef * s * s


@jit()
def block_scan(X, rows, m, centers_m2, c_sqnorm, scratch, xsq_out, x_mean=None):
    """Lloyd's ranking values ``||c||^2 - 2 x.c`` of rows ``rows[:m]`` to all centers.

    One GEMM, center-major, in X's dtype (as Lloyd's kernel); the best and
    second-best values and the best center of each row are then found with selects
    across rows (ties keep the lower index; a tie makes best == second). Returns
    the (k, m) values; ``best``, ``second``, ``label`` are left in ``scratch`` and
    the rows' squared norms (float64) in ``xsq_out``.
    """
    gather_flat, dots_flat, best, second, label = scratch
    n_clusters, n_features = centers_m2.shape
    # Contiguous (d, m) and (k, m) views of flat buffers, as np.dot needs.
    X_T = gather_flat[: n_features * m].reshape(n_features, m)
    dots = dots_flat[: n_clusters * m].reshape(n_clusters, m)
    for r in range(m):
        i = rows[r]
        for f in range(n_features):
            X_T[f, r] = value(X, x_mean, i, f)
    for r in range(m):
        xsq_out[r] = 0.0
    for f in range(n_features):
        for r in range(m):
            v = np.float64(X_T[f, r])
            xsq_out[r] += v * v
    np.dot(centers_m2, X_T, dots)
    for r in range(m):
        best[r] = np.inf
        second[r] = np.inf
        label[r] = 0
    for j in range(n_clusters):
        c_sq = c_sqnorm[j]
        j_as_float = X.dtype.type(j)
        for r in range(m):
            v = dots[j, r] + c_sq
            dots[j, r] = v
            b = best[r]
            closer = v < b
            second[r] = min(second[r], max(v, b))
            best[r] = v if closer else b
            label[r] = j_as_float if closer else label[r]
    return dots


@jit()
def new_scratch(n_features, n_clusters, dtype_like):
    """Per-thread block buffers: row ids, norms, margins and :func:`block_scan`'s."""
    dtype = dtype_like.dtype
    return (
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        (
            np.empty(n_features * BLOCK_ROWS, dtype=dtype),
            np.empty(n_clusters * BLOCK_ROWS, dtype=dtype),
            np.empty(BLOCK_ROWS, dtype=dtype),
            np.empty(BLOCK_ROWS, dtype=dtype),
            np.empty(BLOCK_ROWS, dtype=dtype),
        ),
    )


@jit()
def store_upper(value, rel):
    return value * (1.0 + rel)


@jit()
def store_lower(value, rel):
    return value * (1.0 - rel)
