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
are the same bit for bit. A pass that keeps its chunks' slots from the pass before
sums again only the labels a row joined or left: the others' rows, and so their
sums, are unchanged.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.centered import value


class BoundParams(NamedTuple):
    """The scalars of one bound pass, read by name in the kernels.

    Python ``bool``/``float``/``int`` fields, so that every pass compiles to one
    signature.
    """

    first: bool  # no bounds yet: every row is scanned
    coef: float  # of the rounding margins (module docstring)
    max_norm: float  # the largest center norm, rounded up
    rel: float  # outward rounding of the stored bounds
    shift_max: float  # the largest center move since the last pass
    shift_second: float  # the second largest
    shift_argmax: int  # the center that moved most
    incremental: bool  # the sums slots hold the last pass's: redo changed labels


class BoundArrays(NamedTuple):
    """The arrays a bound pass reads, by name; each algorithm fills those it uses
    and leaves the others empty (one type, one compiled signature per dtype)."""

    x_norm: np.ndarray  # (n,) float32: upper bounds of the row norms
    centers_m2: np.ndarray  # (k, d): -2 * centers (Yinyang: sorted by group)
    c_sqnorm: np.ndarray  # (k,): ||c||^2 in the data's dtype (Yinyang: sorted)
    shift: np.ndarray  # (k,): outward-rounded move of each center
    half_min: np.ndarray  # (k,): half the distance to the nearest other center
    half_cc: np.ndarray  # (k, k), Elkan: half the distances between centers
    cum: np.ndarray  # offsets of the lazy bounds: Elkan per center, Yinyang per group
    group_of: np.ndarray  # (k,) int64, Yinyang: the group of each center
    order: np.ndarray  # (k,) int64, Yinyang: original index of each sorted center
    group_start: np.ndarray  # (n_groups + 1,) int64, Yinyang: group g's sorted
    # centers are group_start[g]:group_start[g + 1]


@jit()
def prunable(lb, ub, margin):
    """True when a center at distance >= ``lb`` cannot beat one at <= ``ub``."""
    return lb > ub and (lb - ub) * (lb + ub) > margin


@jit()
def _center_value(centers, j, f):
    # No centers (None): the distance to the origin; Numba compiles the test away.
    if centers is None:
        return 0.0
    return np.float64(centers[j, f])


@jit()
def sq_dist(X, i, centers, j, x_mean=None):
    """``||X[i] - centers[j]||^2`` from differences, in float64 (four partial
    sums in a fixed order); ``centers=None`` gives ``||X[i]||^2``."""
    n_features = X.shape[1]
    s0 = s1 = s2 = s3 = 0.0
    f = 0
    while f + 4 <= n_features:
        d0 = np.float64(value(X, x_mean, i, f)) - _center_value(centers, j, f)
        d1 = np.float64(value(X, x_mean, i, f + 1)) - _center_value(centers, j, f + 1)
        d2 = np.float64(value(X, x_mean, i, f + 2)) - _center_value(centers, j, f + 2)
        d3 = np.float64(value(X, x_mean, i, f + 3)) - _center_value(centers, j, f + 3)
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
        f += 4
    while f < n_features:
        d0 = np.float64(value(X, x_mean, i, f)) - _center_value(centers, j, f)
        s0 += d0 * d0
        f += 1
    return (s0 + s1) + (s2 + s3)


@jit()
def row_sqnorm(X, i, x_mean=None):
    """``||X[i]||^2`` in float64, summed as :func:`sq_dist` sums."""
    return sq_dist(X, i, None, 0, x_mean)


@jit()
def open_block(info, params, b0, stop, marg_out):
    """The block of rows from ``b0`` (``BLOCK_ROWS`` of them, within the chunk
    that ends at ``stop``): returns its end, with ``marg_out[r]`` the rounding
    margin of row ``b0 + r``, from the upper bound of its norm."""
    b1 = min(b0 + BLOCK_ROWS, stop)
    x_norm_b = info.x_norm[b0:b1]  # indexed from 0: see accumulate_block
    for r in range(x_norm_b.shape[0]):
        s = np.float64(x_norm_b[r]) + params.max_norm
        marg_out[r] = params.coef * s * s
    return b1


@jit()
def block_scan(X, rows, m, centers_m2, c_sqnorm, scratch, xsq_out, x_mean=None):
    """Lloyd's ranking values ``||c||^2 - 2 x.c`` of rows ``rows[:m]`` to all centers.

    One GEMM, center-major, in X's dtype (as Lloyd's kernel); the best and
    second-best values and the best center of each row are then found with selects
    across rows (ties keep the lower index; a tie makes best == second). Returns
    the (k, m) values; ``best``, ``second``, ``label`` are left in ``scratch``
    (:class:`ScanScratch`) and the rows' squared norms (float64) in ``xsq_out``.
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


class ScanScratch(NamedTuple):
    """:func:`block_scan`'s buffers, of X's dtype."""

    gather: np.ndarray  # the rows, feature-major (flat, d * BLOCK_ROWS)
    dots: np.ndarray  # their ranking values, center-major (flat, k * BLOCK_ROWS)
    best: np.ndarray
    second: np.ndarray
    label: np.ndarray  # the best center, as a float (lanes of one width)


class BlockScratch(NamedTuple):
    """Per-thread buffers of one block's rows."""

    rows: np.ndarray  # the rows to scan
    xsq: np.ndarray  # their squared norms
    marg: np.ndarray  # their rounding margins
    scan: ScanScratch


@jit()
def new_scratch(n_features, n_clusters, dtype_like):
    """Per-thread block buffers (:class:`BlockScratch`), for up to two blocks of
    rows (Hamerly lets rows in doubt gather over blocks before it scans them)."""
    dtype = dtype_like.dtype
    rows = 2 * BLOCK_ROWS
    return BlockScratch(
        rows=np.empty(rows, dtype=np.int64),
        xsq=np.empty(rows, dtype=np.float64),
        marg=np.empty(rows, dtype=np.float64),
        scan=ScanScratch(
            gather=np.empty(n_features * rows, dtype=dtype),
            dots=np.empty(n_clusters * rows, dtype=dtype),
            best=np.empty(rows, dtype=dtype),
            second=np.empty(rows, dtype=dtype),
            label=np.empty(rows, dtype=dtype),
        ),
    )


@jit()
def settle(labels, flags, i, label, clear, counts):
    """Row ``i`` once its two best centers are known: it takes ``label`` when they
    are ``clear``ly apart, else it is ambiguous, keeps its label and is flagged for
    Lloyd's replay. ``counts`` (changed, flagged) counts both."""
    if not clear:
        flags[i] = 1
        counts[1] += 1
    elif labels[i] != label:
        labels[i] = label
        counts[0] += 1


@jit()
def store_upper(value, rel):
    return value * (1.0 + rel)


@jit()
def store_lower(value, rel):
    return value * (1.0 - rel)
