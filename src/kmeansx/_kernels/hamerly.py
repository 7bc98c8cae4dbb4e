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

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.bounds import (
    block_margins,
    block_scan,
    new_scratch,
    prunable,
    sq_dist,
    store_lower,
    store_upper,
)
from kmeansx._kernels.partials import accumulate_block


@jit(parallel=True)
def hamerly_pass(
    X,
    sample_weight,
    centers,
    cinfo,
    chunk_size,
    labels_inout,
    upper_inout,
    lower_inout,
    flags_out,
    sums_out,
    weights_out,
    inertia_out,
    changed_out,
    flagged_out,
    x_mean=None,
):
    """One Hamerly pass: labels, bounds and Lloyd's per-chunk partial sums.

    ``cinfo = (x_norm, centers_m2, c_sqnorm, shift, half_min, params)`` with
    ``x_norm`` upper bounds of the row norms and ``params =
    [first, coef, max_norm, rel, shift_max, shift_second, shift_argmax]`` (see
    ``kmeansx._accelerated``). Ambiguous rows keep their label and get
    ``flags_out[i] = 1``; ``flagged_out[c]`` counts them per chunk, whose partial
    sums leave them out until the caller's replay settles them. Outputs as in
    ``assign_update_dense``.
    """
    x_norm, centers_m2, c_sqnorm, shift, half_min, params = cinfo
    first = params[0] != 0.0
    coef = params[1]
    max_norm = params[2]
    rel = params[3]
    shift_max = params[4]
    shift_second = params[5]
    shift_argmax = np.int64(params[6])
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    update = sums_out.shape[1] > 0
    want_inertia = inertia_out.shape[0] > 0
    for c in prange(changed_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        if update:
            sums_out[c][:] = 0.0
            weights_out[c][:] = 0.0
        rows, xsq_b, marg_b, scratch = new_scratch(n_features, n_clusters, X[:1, 0])
        best_b, second_b, label_b = scratch[2], scratch[3], scratch[4]
        inertia = 0.0
        changed = 0
        flagged = 0
        for b0 in range(start, stop, BLOCK_ROWS):
            b1 = min(b0 + BLOCK_ROWS, stop)
            block_margins(x_norm, b0, b1, coef, max_norm, marg_b)
            m = 0
            for r in range(b1 - b0):
                i = b0 + r
                if not first:
                    marg = marg_b[r]
                    a = labels_inout[i]
                    u = np.float64(upper_inout[i]) + shift[a]
                    drop = shift_second if a == shift_argmax else shift_max
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
            if m > 0:
                block_scan(X, rows, m, centers_m2, c_sqnorm, scratch, xsq_b, x_mean)
                for r in range(m):
                    i = rows[r]
                    marg = marg_b[r]
                    best = np.float64(best_b[r]) + xsq_b[r]
                    second = np.float64(second_b[r]) + xsq_b[r]
                    if second - best > marg:
                        label = np.int32(label_b[r])
                        u = np.sqrt(sq_dist(X, i, centers, label, x_mean))
                        upper_inout[i] = store_upper(u, rel)
                        lower_inout[i] = store_lower(
                            np.sqrt(max(second - marg, 0.0)), rel
                        )
                        if labels_inout[i] != label:
                            changed += 1
                            labels_inout[i] = label
                    else:
                        # Valid whichever of the near-tied centers Lloyd picks.
                        flags_out[i] = 1
                        flagged += 1
                        u = np.sqrt(max(best + marg, 0.0))
                        upper_inout[i] = store_upper(u, rel)
                        lower_inout[i] = store_lower(
                            np.sqrt(max(best - marg, 0.0)), rel
                        )
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
        if want_inertia:
            inertia_out[c] = inertia
        changed_out[c] = changed
        flagged_out[c] = flagged
