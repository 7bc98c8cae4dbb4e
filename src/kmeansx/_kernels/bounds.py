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
  for the label (see :mod:`kmeansx._algorithms.bounded`). Exact ties are always
  ambiguous.

Every pass walks Lloyd's fixed chunks and blocks of rows (:func:`run_chunk`) and
sums each block with Lloyd's own code (:mod:`kmeansx._kernels.partials`), so the
centers are the same bit for bit.

Kernel arguments
----------------
Every pass takes the same arguments. What it reads besides the rows comes in two
named tuples built by the drivers (:mod:`kmeansx._algorithms.bounded`):
:class:`PassParams`, its scalars, and :class:`CenterArrays`, its arrays about the
centers; the bounds it keeps come in a :class:`Bounds`. Numba compiles one
specialization per combination of field types, so the drivers cast every field
to the type declared here. Numba's parallel loops drop writes made through a
tuple in the loop's own body (numba#5872, #7135): a pass hands its tuples whole to
the jitted functions that write through them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.centered import value
from kmeansx._kernels.partials import accumulate_block, open_chunk


class PassParams(NamedTuple):
    """The scalars of one pass (types fixed: see the module docstring)."""

    #: No bounds yet (the run's first pass): every row is scanned.
    first: bool
    #: ``coef`` of the rounding margins (module docstring).
    coef: float
    #: The largest center norm, rounded up.
    max_norm: float
    #: Relative outward rounding of the stored bounds.
    rel: float
    #: The largest distance a center moved since the last pass, and the second
    #: largest (rounded up): what a bound on all the other centers drops by.
    shift_max: float
    shift_second: float
    #: The center that moved the most.
    shift_argmax: int


class CenterArrays(NamedTuple):
    """The arrays a pass reads about the centers.

    ``centers_m2`` and ``c_sqnorm`` are Lloyd's ranking terms in the data's dtype
    (Yinyang passes them sorted by group); the rest is indexed by center, in
    float64 unless said otherwise. A field the algorithm does not use is empty.
    """

    #: (k, d), the data's dtype.
    centers: np.ndarray
    #: (k, d), ``-2 * centers``.
    centers_m2: np.ndarray
    #: (k,), the squared norms.
    c_sqnorm: np.ndarray
    #: (k,): how far each center moved since the last pass (rounded up).
    shift: np.ndarray
    #: (k,): half the distance to the nearest other center (rounded down); zeros
    #: where not computed (the test then proves nothing).
    half_min: np.ndarray
    #: (k, k): half the distances between centers (Elkan).
    half_cc: np.ndarray
    #: Offsets of the lazy lower bounds: per center (Elkan), per group (Yinyang).
    cum: np.ndarray
    #: Yinyang's groups (int64): ``order[s]`` is the original index of sorted
    #: center ``s``; group ``g`` holds sorted centers ``group_start[g]:group_start[g
    #: + 1]``; ``group_of[j]`` is the group of center ``j``.
    order: np.ndarray
    group_start: np.ndarray
    group_of: np.ndarray


class Bounds(NamedTuple):
    """The bounds a pass keeps, stored outward-rounded (float32).

    A field the algorithm does not keep is empty.
    """

    #: (n,): of each row's distance to its center.
    upper: np.ndarray
    #: Hamerly (n,): of the distance to every other center; Elkan (n, k): to each
    #: center; Yinyang (n, n_groups): to each center of the group but the row's
    #: own. Elkan's and Yinyang's are lazy (see their modules).
    lower: np.ndarray
    #: Yinyang (n,): the smallest of ``lower``, kept eagerly.
    glower: np.ndarray


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
    x_norm_b = x_norm[b0:b1]  # indexed from 0: Numba then drops its wraparound test
    for r in range(x_norm_b.shape[0]):
        s = np.float64(x_norm_b[r]) + max_norm
        marg_out[r] = coef * s * s


class BlockScratch(NamedTuple):
    """Per-thread buffers of one block of rows (``BLOCK_ROWS`` long unless said)."""

    #: The block's rows still pending, by global index.
    rows: np.ndarray
    #: Their squared norms (float64).
    xsq: np.ndarray
    #: Their rounding margins (float64).
    marg: np.ndarray
    #: (d * BLOCK_ROWS,), the data's dtype: the rows gathered feature-major.
    gather: np.ndarray
    #: (k * BLOCK_ROWS,), the data's dtype: their ranking values, center-major.
    dots: np.ndarray
    #: The data's dtype: the best and second-best ranking values, and the best
    #: center's index (as a float, so that the selects work on lanes of one width).
    best: np.ndarray
    second: np.ndarray
    label: np.ndarray


@jit()
def new_scratch(n_features, n_clusters, dtype_like):
    """A :class:`BlockScratch` for rows of ``dtype_like``'s dtype."""
    dtype = dtype_like.dtype
    return BlockScratch(
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(n_features * BLOCK_ROWS, dtype=dtype),
        np.empty(n_clusters * BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
    )


@jit()
def gather_rows(X, rows, m, gather, x_mean=None):
    """Rows ``rows[:m]`` of ``X`` (centered), feature-major: a contiguous (d, m)
    view of the flat buffer ``gather``, as ``np.dot`` needs."""
    n_features = X.shape[1]
    X_T = gather[: n_features * m].reshape(n_features, m)
    for r in range(m):
        i = rows[r]
        for f in range(n_features):
            X_T[f, r] = value(X, x_mean, i, f)
    return X_T


@jit()
def block_scan(X, m, centers_m2, c_sqnorm, scratch, x_mean=None):
    """Lloyd's ranking values ``||c||^2 - 2 x.c`` of rows ``scratch.rows[:m]`` to
    all centers.

    One GEMM, center-major, in X's dtype (as Lloyd's kernel); the best and
    second-best values and the best center of each row are then found with selects
    across rows (ties keep the lower index; a tie makes best == second). Returns
    the (k, m) values; ``best``, ``second``, ``label`` are left in ``scratch`` and
    the rows' squared norms (float64) in ``scratch.xsq``.
    """
    n_clusters = centers_m2.shape[0]
    best, second, label, xsq = scratch.best, scratch.second, scratch.label, scratch.xsq
    X_T = gather_rows(X, scratch.rows, m, scratch.gather, x_mean)
    for r in range(m):
        xsq[r] = 0.0
    for f in range(X_T.shape[0]):
        for r in range(m):
            v = np.float64(X_T[f, r])
            xsq[r] += v * v
    dots = scratch.dots[: n_clusters * m].reshape(n_clusters, m)
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
def store_upper(value, rel):
    return value * (1.0 + rel)


@jit()
def store_lower(value, rel):
    return value * (1.0 - rel)


@jit()
def relabel(i, label, labels_inout):
    """Give row ``i`` its new label; returns 1 if it changed, else 0."""
    if labels_inout[i] == label:
        return 0
    labels_inout[i] = label
    return 1


@jit()
def leave_to_replay(i, best, marg, rel, upper_inout, flags_out):
    """An ambiguous row keeps its label and is flagged for the replay; its upper
    bound holds whichever of the near-tied centers (squared distances within
    ``marg`` of ``best``) Lloyd picks. Returns 1, the count of flagged rows."""
    flags_out[i] = 1
    upper_inout[i] = store_upper(np.sqrt(max(best + marg, 0.0)), rel)
    return 1


@jit(inline=True)
def run_chunk(
    block,
    c,
    chunk_size,
    X,
    sample_weight,
    x_norm,
    cinfo,
    params,
    scratch,
    labels_inout,
    bounds_inout,
    flags_out,
    sums_out,
    weights_out,
    inertia_out,
    x_mean,
):
    """Chunk ``c`` of a pass: ``block`` on each of its blocks of rows, then Lloyd's
    sums of the block (:mod:`kmeansx._kernels.partials`); writes the chunk's sums,
    weights and inertia, and returns how many labels changed and how many rows
    were left to the replay.

    ``block(X, b0, b1, cinfo, params, scratch, labels_inout, bounds_inout,
    flags_out, x_mean)`` is the algorithm: it settles the labels and bounds of rows
    ``b0:b1``, whose margins are in ``scratch.marg``, flags the ambiguous ones and
    returns those two counts. Compiled into the body of each pass
    (``jit(inline=True)``), where ``block`` is a direct call: passed to a compiled
    function, a function would keep the pass out of the on-disk cache.
    """
    start, stop = open_chunk(c, chunk_size, X.shape[0], sums_out, weights_out)
    centers, marg = cinfo.centers, scratch.marg
    inertia = 0.0
    changed = 0
    flagged = 0
    for b0 in range(start, stop, BLOCK_ROWS):
        b1 = min(b0 + BLOCK_ROWS, stop)
        block_margins(x_norm, b0, b1, params.coef, params.max_norm, marg)
        n_changed, n_flagged = block(
            X,
            b0,
            b1,
            cinfo,
            params,
            scratch,
            labels_inout,
            bounds_inout,
            flags_out,
            x_mean,
        )
        changed += n_changed
        flagged += n_flagged
        # While the block's rows are in cache.
        inertia = accumulate_block(
            X,
            sample_weight,
            centers,
            labels_inout,
            flags_out,
            b0,
            b1,
            c,
            inertia,
            sums_out,
            weights_out,
            inertia_out,
            x_mean,
        )
    if inertia_out.shape[0] > 0:
        inertia_out[c] = inertia
    return changed, flagged
