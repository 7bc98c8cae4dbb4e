"""Hamerly's algorithm (2010): one upper and one lower bound per point.

``upper[i]`` bounds the distance to the point's center, ``lower[i]`` the distance
to every other center. A point is skipped when ``max(lower, cc_min/2 ...)``
proves its center is still the nearest (with the rounding margin of
:mod:`kmeansx._kernels.bounds`); otherwise its upper bound is tightened, and if
that does not settle it, its distances to all centers are computed, a block of
such rows at a time (one GEMM at high dimension).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._jit import jit
from kmeansx._kernels.bounds import (
    block_scan,
    leave_to_replay,
    new_scratch,
    prunable,
    relabel,
    run_chunk,
    sq_dist,
    store_lower,
    store_upper,
)


@jit()
def _hamerly_block(
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
):
    """Labels and bounds of rows ``b0:b1`` (the block of :func:`run_chunk`)."""
    # The bundles' fields, read once, out of the loops.
    upper_inout, lower_inout = bounds_inout.upper, bounds_inout.lower
    centers, shift, half_min = cinfo.centers, cinfo.shift, cinfo.half_min
    first, rel = params.first, params.rel
    shift_max, shift_second = params.shift_max, params.shift_second
    rows, xsq_b, marg_b = scratch.rows, scratch.xsq, scratch.marg
    # The bound test, row by row; the rows it cannot settle are gathered in front
    # (their ids in rows, their margins moved to the front of marg_b).
    m = 0
    for r in range(b1 - b0):
        i = b0 + r
        if not first:
            marg = marg_b[r]
            a = labels_inout[i]
            u = np.float64(upper_inout[i]) + shift[a]
            drop = shift_second if a == params.shift_argmax else shift_max
            low = np.float64(lower_inout[i]) - drop
            lb = max(low, 2.0 * half_min[a] - u)
            if not prunable(lb, u, marg):
                u = np.sqrt(sq_dist(X, i, centers, a, x_mean))
                lb = max(low, 2.0 * half_min[a] - u)
            if prunable(lb, u, marg):
                upper_inout[i] = store_upper(u, rel)
                lower_inout[i] = store_lower(low, rel)
                continue
        rows[m] = i
        marg_b[m] = marg_b[r]
        m += 1
    if m == 0:
        return 0, 0
    # The others against every center, in one GEMM.
    block_scan(X, m, cinfo.centers_m2, cinfo.c_sqnorm, scratch, x_mean)
    best_b, second_b, label_b = scratch.best, scratch.second, scratch.label
    changed = 0
    flagged = 0
    for r in range(m):
        i = rows[r]
        marg = marg_b[r]
        best = np.float64(best_b[r]) + xsq_b[r]
        second = np.float64(second_b[r]) + xsq_b[r]
        if second - best > marg:
            label = np.int32(label_b[r])
            u = np.sqrt(sq_dist(X, i, centers, label, x_mean))
            upper_inout[i] = store_upper(u, rel)
            lower_inout[i] = store_lower(np.sqrt(max(second - marg, 0.0)), rel)
            changed += relabel(i, label, labels_inout)
        else:
            flagged += leave_to_replay(i, best, marg, rel, upper_inout, flags_out)
            # Its lower bound too holds for any of the near-tied centers.
            lower_inout[i] = store_lower(np.sqrt(max(best - marg, 0.0)), rel)
    return changed, flagged


@jit(parallel=True)
def hamerly_pass(
    X,
    sample_weight,
    x_norm,
    cinfo,
    params,
    chunk_size,
    labels_inout,
    bounds_inout,
    flags_out,
    sums_out,
    weights_out,
    inertia_out,
    changed_out,
    flagged_out,
    x_mean=None,
):
    """One Hamerly pass: labels, bounds and Lloyd's per-chunk partial sums.

    ``x_norm`` holds upper bounds of the row norms, ``cinfo`` is a
    :class:`~kmeansx._kernels.bounds.CenterArrays` (``half_cc``, ``cum`` and the
    groups unused) and ``params`` a :class:`~kmeansx._kernels.bounds.PassParams`.
    ``bounds_inout`` is a :class:`~kmeansx._kernels.bounds.Bounds` (``upper``
    and ``lower`` (n,); ``glower`` unused). Ambiguous rows keep their label and
    get ``flags_out[i] = 1``; ``flagged_out[c]`` counts them per chunk, whose
    partial sums leave them out until the caller's replay settles them. Outputs as
    in ``assign_update_dense``.
    """
    n_features = X.shape[1]
    n_clusters = cinfo.centers.shape[0]
    for c in prange(changed_out.shape[0]):
        scratch = new_scratch(n_features, n_clusters, X[:1, 0])
        changed_out[c], flagged_out[c] = run_chunk(
            _hamerly_block,
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
        )
