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
def _elkan_row(X, i, centers, half_cc, cum, a, u, marg, rel, lower_inout, x_mean):
    """Elkan's inner loop for row ``i``; returns (label, best, second, tight, u).

    ``best`` and ``second`` are the two smallest squared distances computed (only
    when ``tight``: some center could not be pruned and the distance to ``a`` was
    computed); otherwise ``u`` is the (moved) upper bound. Called per row: it
    takes the arrays it reads, not the whole ``cinfo``, whose fields Numba would
    pass one by one.
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


@jit()
def _elkan_block(
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
    centers, half_cc, cum = cinfo.centers, cinfo.half_cc, cinfo.cum
    shift, half_min = cinfo.shift, cinfo.half_min
    first, rel = params.first, params.rel
    xsq_b, marg_b = scratch.xsq, scratch.marg
    best_b, second_b, label_b = scratch.best, scratch.second, scratch.label
    if first:
        # No bounds yet: every row against every center (one GEMM), its lower
        # bounds from the ranking values less the margin.
        for r in range(b1 - b0):
            scratch.rows[r] = b0 + r
        dots = block_scan(X, b1 - b0, cinfo.centers_m2, cinfo.c_sqnorm, scratch, x_mean)
        for r in range(b1 - b0):
            for j in range(dots.shape[0]):
                v = np.float64(dots[j, r]) + xsq_b[r] - marg_b[r]
                lower_inout[b0 + r, j] = store_lower(np.sqrt(max(v, 0.0)) + cum[j], rel)
    changed = 0
    flagged = 0
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
                X, i, centers, half_cc, cum, a, u, marg, rel, lower_inout, x_mean
            )
        if not tight:
            upper_inout[i] = store_upper(u, rel)
        elif second - best > marg:
            upper_inout[i] = store_upper(np.sqrt(best), rel)
            changed += relabel(i, label, labels_inout)
        else:
            flagged += leave_to_replay(i, best, marg, rel, upper_inout, flags_out)
    return changed, flagged


@jit(parallel=True)
def elkan_pass(
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
    """One Elkan pass: labels, bounds and Lloyd's per-chunk partial sums.

    Arguments as in :func:`kmeansx._kernels.hamerly.hamerly_pass`, but
    ``cinfo.half_cc`` and ``cinfo.cum`` (per center) used, and
    ``bounds_inout.lower`` (n, k) and lazy (module docstring).
    """
    n_features = X.shape[1]
    n_clusters = cinfo.centers.shape[0]
    for c in prange(changed_out.shape[0]):
        scratch = new_scratch(n_features, n_clusters, X[:1, 0])
        changed_out[c], flagged_out[c] = run_chunk(
            _elkan_block,
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
