"""Elkan's algorithm (2003): an upper bound and one lower bound per point and center.

The ``n x k`` lower bounds are kept *lazily*: ``lower[i, j]`` stores the bound
plus the total distance center ``j`` had moved when it was stored (``cum[j]``), so
the bound now is ``lower[i, j] - cum[j]`` and no pass over all ``n x k`` bounds is
needed per iteration. A point is skipped when half the distance from its center
to the nearest other center, or each center's lower bound, proves its center is
still the nearest (with the rounding margin of :mod:`kmeansx._kernels.bounds`).
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


@jit()
def _elkan_row(X, i, centers, half_cc, cum, a, u, marg, rel, lower_inout, x_mean):
    """Elkan's inner loop for row ``i``; returns (label, best, second, tight, u).

    ``best`` and ``second`` are the two smallest squared distances computed (only
    when ``tight``: some center could not be pruned and the distance to ``a`` was
    computed); otherwise ``u`` is the (moved) upper bound.
    """
    n_clusters = centers.shape[0]
    best_j = a
    best = np.inf
    second = np.inf
    tight = False
    ub = u
    for j in range(n_clusters):
        if j == best_j:
            continue
        lb = max(np.float64(lower_inout[i, j]) - cum[j], 2.0 * half_cc[best_j, j] - ub)
        if prunable(lb, ub, marg):
            continue
        if not tight:
            tight = True
            best = sq_dist(X, i, centers, a, x_mean)
            ub = np.sqrt(best)
            lower_inout[i, a] = store_lower(ub + cum[a], rel)
            lb = max(
                np.float64(lower_inout[i, j]) - cum[j], 2.0 * half_cc[best_j, j] - ub
            )
            if prunable(lb, ub, marg):
                continue
        dj = sq_dist(X, i, centers, j, x_mean)
        lower_inout[i, j] = store_lower(np.sqrt(dj) + cum[j], rel)
        if dj < best:
            second = best
            best = dj
            best_j = j
            ub = np.sqrt(dj)
        elif dj < second:
            second = dj
    return best_j, best, second, tight, ub


@jit(parallel=True)
def elkan_pass(
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
    """One Elkan pass: labels, bounds and Lloyd's per-chunk partial sums.

    ``cinfo = (x_norm, centers_m2, c_sqnorm, shift, half_cc, half_min, cum,
    params)``,
    ``params`` as in :func:`kmeansx._kernels.hamerly.hamerly_pass`; ``lower_inout``
    is (n, k) and lazy (module docstring). Outputs and ambiguous rows as in
    Hamerly's pass.
    """
    x_norm, centers_m2, c_sqnorm, shift, half_cc, half_min, cum, params = cinfo
    first = params[0] != 0.0
    coef = params[1]
    max_norm = params[2]
    rel = params[3]
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
            if first:
                for r in range(b1 - b0):
                    rows[r] = b0 + r
                dots = block_scan(
                    X, rows, b1 - b0, centers_m2, c_sqnorm, scratch, xsq_b, x_mean
                )
                for r in range(b1 - b0):
                    i = b0 + r
                    for j in range(n_clusters):
                        v = np.float64(dots[j, r]) + xsq_b[r] - marg_b[r]
                        lower_inout[i, j] = store_lower(
                            np.sqrt(max(v, 0.0)) + cum[j], rel
                        )
            for r in range(b1 - b0):
                i = b0 + r
                marg = marg_b[r]
                if first:
                    label = np.int32(label_b[r])
                    best = np.float64(best_b[r]) + xsq_b[r]
                    second = np.float64(second_b[r]) + xsq_b[r]
                    tight = True
                    if second - best > marg:
                        # Exact distances make a tighter upper bound.
                        best = sq_dist(X, i, centers, label, x_mean)
                        second = np.inf
                    u = 0.0
                else:
                    a = labels_inout[i]
                    u = np.float64(upper_inout[i]) + shift[a]
                    if prunable(2.0 * half_min[a] - u, u, marg):
                        upper_inout[i] = store_upper(u, rel)
                        continue
                    label, best, second, tight, u = _elkan_row(
                        X,
                        i,
                        centers,
                        half_cc,
                        cum,
                        a,
                        u,
                        marg,
                        rel,
                        lower_inout,
                        x_mean,
                    )
                if not tight:
                    upper_inout[i] = store_upper(u, rel)
                elif second - best > marg:
                    upper_inout[i] = store_upper(np.sqrt(best), rel)
                    if labels_inout[i] != label:
                        changed += 1
                        labels_inout[i] = label
                else:
                    # Valid whichever of the near-tied centers Lloyd picks.
                    flags_out[i] = 1
                    flagged += 1
                    upper_inout[i] = store_upper(np.sqrt(max(best + marg, 0.0)), rel)
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
