"""Yinyang k-means (Ding et al. 2015): one lower bound per point and group of centers.

The centers are split into groups (about k/10); ``lower[i, g]`` bounds the
distance from point ``i`` to every center of group ``g`` but its own. The bounds
are kept lazily (as Elkan's): the stored value less ``cum[g]``, the total of the
group's largest moves, is the bound now. A global bound (the smallest of them,
kept eagerly) skips most points outright; the others tighten their upper bound
and compute distances only to the groups their bounds cannot rule out. Those
groups are evaluated in blocks: for each group, the block's rows that need it
are gathered and multiplied by the group's centers in one GEMM, so the work keeps
vector speed at high dimension. Rounding margins, ambiguous rows and partial sums
are those of :mod:`kmeansx._kernels.bounds`.

Centers are passed sorted by group (``order[s]`` is the original index of sorted
center ``s``; group ``g`` holds sorted centers ``group_start[g]:group_start[g+1]``);
labels are original indices.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.bounds import (
    block_margins,
    prunable,
    row_sqnorm,
    sq_dist,
    store_lower,
    store_upper,
)
from kmeansx._kernels.centered import value
from kmeansx._kernels.partials import accumulate_block

# Above this share of (pending row, group) pairs to evaluate, one GEMM over all
# centers beats a GEMM per group over the rows that need it.
DENSE_SHARE = 0.25


@jit()
def _new_state(n_features, n_clusters, n_groups, dtype_like):
    dtype = dtype_like.dtype
    return (
        np.empty(BLOCK_ROWS, dtype=np.int64),  # rows
        np.empty(BLOCK_ROWS, dtype=np.int64),  # old label
        np.empty(BLOCK_ROWS, dtype=np.float64),  # squared distance to old label
        np.empty(BLOCK_ROWS, dtype=np.float64),  # best squared distance
        np.empty(BLOCK_ROWS, dtype=np.float64),  # second best
        np.empty(BLOCK_ROWS, dtype=np.int64),  # best label
        np.empty(BLOCK_ROWS, dtype=np.int64),  # group of the best label
        np.empty(BLOCK_ROWS, dtype=np.float64),  # its group's second best
        np.zeros((BLOCK_ROWS, n_groups), dtype=np.int8),  # groups to evaluate
        np.empty(BLOCK_ROWS, dtype=np.int64),  # rows of the block in one group
        np.empty(n_features * BLOCK_ROWS, dtype=dtype),  # gathered rows
        np.empty(n_clusters * BLOCK_ROWS, dtype=dtype),  # their ranking values
        # Per group: min, argmin, second min, old label; 1-d arrays, as selects
        # across rows vectorize only on those.
        np.empty(BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
    )


@jit()
def _fold_group(
    dots,
    off,
    g,
    g0,
    g1,
    mg,
    sel,
    xsq_b,
    marg_b,
    c_sqnorm,
    order,
    cum,
    rel,
    state,
    lower_inout,
):
    """Fold group ``g``'s ranking values ``dots[s - off, q]`` into the rows' state.

    ``sel[q]`` is the block row of column ``q``. The group's smallest and second
    smallest values (the old label excluded) are found with selects across rows;
    the group bound is stored and the row's best and second best updated.
    """
    rows, old, _, best, second, best_label, best_group, best_min2 = state[:8]
    gmin, garg, gmin2, gold = state[12:16]
    inf = gmin.dtype.type(np.inf)
    for q in range(mg):
        gmin[q] = inf
        garg[q] = -1
        gmin2[q] = inf
        gold[q] = old[sel[q]]
    for s in range(g0, g1):
        c_sq = c_sqnorm[s]
        o = gmin.dtype.type(order[s])
        for q in range(mg):
            v = dots[s - off, q] + c_sq
            v = inf if gold[q] == o else v
            b = gmin[q]
            closer = v < b
            gmin2[q] = min(gmin2[q], max(v, b))
            gmin[q] = v if closer else b
            garg[q] = o if closer else garg[q]
    for q in range(mg):
        r = sel[q]
        min1 = np.float64(gmin[q]) + xsq_b[r]
        min2 = np.float64(gmin2[q]) + xsq_b[r]
        lower_inout[rows[r], g] = store_lower(
            np.sqrt(max(min1 - marg_b[r], 0.0)) + cum[g], rel
        )
        b = best[r]
        second[r] = min(second[r], max(min1, b), min2)
        if min1 < b:
            best[r] = min1
            best_label[r] = np.int64(garg[q])
            best_group[r] = g
            best_min2[r] = min2


@jit()
def _evaluate_groups(
    X,
    m,
    xsq_b,
    marg_b,
    centers_m2,
    c_sqnorm,
    groups,
    cum,
    rel,
    state,
    lower_inout,
    x_mean,
):
    """Distances of the block's pending rows to the groups they could not rule out.

    Dense blocks (many pairs to evaluate) get one GEMM over all centers and every
    group evaluated; sparse ones a GEMM per group over the rows that need it.
    """
    order, group_start = groups
    rows = state[0]
    need, sel, gather_flat, dots_flat = state[8:12]
    n_clusters, n_features = centers_m2.shape
    n_groups = group_start.shape[0] - 1
    pairs = 0
    for r in range(m):
        for g in range(n_groups):
            pairs += need[r, g]
    if pairs > DENSE_SHARE * m * n_groups:
        X_T = gather_flat[: n_features * m].reshape(n_features, m)
        for r in range(m):
            i = rows[r]
            sel[r] = r
            for f in range(n_features):
                X_T[f, r] = value(X, x_mean, i, f)
        dots = dots_flat[: n_clusters * m].reshape(n_clusters, m)
        np.dot(centers_m2, X_T, dots)
        for g in range(n_groups):
            _fold_group(
                dots,
                0,
                g,
                group_start[g],
                group_start[g + 1],
                m,
                sel,
                xsq_b,
                marg_b,
                c_sqnorm,
                order,
                cum,
                rel,
                state,
                lower_inout,
            )
        return
    for g in range(n_groups):
        g0 = group_start[g]
        g1 = group_start[g + 1]
        mg = 0
        for r in range(m):
            if need[r, g] != 0:
                sel[mg] = r
                mg += 1
        if mg == 0:
            continue
        X_T = gather_flat[: n_features * mg].reshape(n_features, mg)
        for q in range(mg):
            i = rows[sel[q]]
            for f in range(n_features):
                X_T[f, q] = value(X, x_mean, i, f)
        dots = dots_flat[: (g1 - g0) * mg].reshape(g1 - g0, mg)
        np.dot(centers_m2[g0:g1], X_T, dots)
        _fold_group(
            dots,
            g0,
            g,
            g0,
            g1,
            mg,
            sel,
            xsq_b,
            marg_b,
            c_sqnorm,
            order,
            cum,
            rel,
            state,
            lower_inout,
        )


@jit(parallel=True)
def yinyang_pass(
    X,
    sample_weight,
    centers,
    cinfo,
    groups,
    chunk_size,
    labels_inout,
    upper_inout,
    glower_inout,
    lower_inout,
    flags_out,
    sums_out,
    weights_out,
    inertia_out,
    changed_out,
    flagged_out,
    x_mean=None,
):
    """One Yinyang pass: labels, bounds and Lloyd's per-chunk partial sums.

    ``cinfo = (x_norm, centers_m2, c_sqnorm, shift, half_min, group_of, cum,
    params)``: upper bounds of the row norms,
    ``centers_m2`` (-2 times the centers) and ``c_sqnorm`` in sorted order, the
    rest by original index but ``cum`` (per group); ``params`` as in
    :func:`kmeansx._kernels.hamerly.hamerly_pass`. ``groups = (order,
    group_start)``. ``glower_inout`` (n,) is the eager global lower bound and
    ``lower_inout`` (n, n_groups) the lazy group bounds. Outputs and ambiguous
    rows as in Hamerly's pass.
    """
    x_norm, centers_m2, c_sqnorm, shift, half_min, group_of, cum, params = cinfo
    order, group_start = groups
    first = params[0] != 0.0
    coef = params[1]
    max_norm = params[2]
    rel = params[3]
    shift_max = params[4]
    shift_second = params[5]
    shift_argmax = np.int64(params[6])
    n_samples, n_features = X.shape
    n_groups = group_start.shape[0] - 1
    n_clusters = centers.shape[0]
    update = sums_out.shape[1] > 0
    want_inertia = inertia_out.shape[0] > 0
    for c in prange(changed_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        if update:
            sums_out[c][:] = 0.0
            weights_out[c][:] = 0.0
        state = _new_state(n_features, n_clusters, n_groups, X[:1, 0])
        rows, old, dist_old, best, second, best_label, best_group, best_min2 = state[:8]
        need = state[8]
        xsq_b = np.empty(BLOCK_ROWS)
        marg_b = np.empty(BLOCK_ROWS)
        inertia = 0.0
        changed = 0
        flagged = 0
        for b0 in range(start, stop, BLOCK_ROWS):
            b1 = min(b0 + BLOCK_ROWS, stop)
            block_margins(x_norm, b0, b1, coef, max_norm, marg_b)
            m = 0
            for r in range(b1 - b0):
                i = b0 + r
                marg = marg_b[r]
                if first:
                    a = -1
                    da = np.inf
                    for g in range(n_groups):
                        need[m, g] = 1
                else:
                    a = labels_inout[i]
                    u = np.float64(upper_inout[i]) + shift[a]
                    drop = shift_second if a == shift_argmax else shift_max
                    low = np.float64(glower_inout[i]) - drop
                    lb = max(low, 2.0 * half_min[a] - u)
                    if prunable(lb, u, marg):
                        upper_inout[i] = store_upper(u, rel)
                        glower_inout[i] = store_lower(low, rel)
                        continue
                    da = sq_dist(X, i, centers, a, x_mean)
                    u = np.sqrt(da)
                    lb = max(low, 2.0 * half_min[a] - u)
                    if prunable(lb, u, marg):
                        upper_inout[i] = store_upper(u, rel)
                        glower_inout[i] = store_lower(low, rel)
                        continue
                    # The group bounds now; the global one is their minimum.
                    low = np.inf
                    any_group = False
                    for g in range(n_groups):
                        lbg = np.float64(lower_inout[i, g]) - cum[g]
                        low = min(low, lbg)
                        if prunable(lbg, u, marg):
                            need[m, g] = 0
                        else:
                            need[m, g] = 1
                            any_group = True
                    if not any_group:
                        upper_inout[i] = store_upper(u, rel)
                        glower_inout[i] = store_lower(low, rel)
                        continue
                rows[m] = i
                old[m] = a
                dist_old[m] = da
                best[m] = da
                second[m] = np.inf
                best_label[m] = a
                best_group[m] = group_of[a] if a >= 0 else -1
                best_min2[m] = np.inf
                xsq_b[m] = row_sqnorm(X, i, x_mean)
                marg_b[m] = marg
                m += 1
            if m > 0:
                _evaluate_groups(
                    X,
                    m,
                    xsq_b,
                    marg_b,
                    centers_m2,
                    c_sqnorm,
                    groups,
                    cum,
                    rel,
                    state,
                    lower_inout,
                    x_mean,
                )
            for r in range(m):
                i = rows[r]
                marg = marg_b[r]
                a = old[r]
                gb = best_group[r]
                ambiguous = second[r] - best[r] <= marg
                if ambiguous:
                    # Valid whichever of the near-tied centers Lloyd picks: the
                    # group bounds keep every center but the old label.
                    flags_out[i] = 1
                    flagged += 1
                    upper_inout[i] = store_upper(np.sqrt(max(best[r] + marg, 0.0)), rel)
                else:
                    label = best_label[r]
                    if label == a:
                        upper_inout[i] = store_upper(np.sqrt(dist_old[r]), rel)
                    else:
                        u = np.sqrt(sq_dist(X, i, centers, label, x_mean))
                        upper_inout[i] = store_upper(u, rel)
                        lower_inout[i, gb] = store_lower(
                            np.sqrt(max(best_min2[r] - marg, 0.0)) + cum[gb], rel
                        )
                        changed += 1
                        labels_inout[i] = label
                if a >= 0 and (ambiguous or best_label[r] != a):
                    # The old label is now one of the others of its group.
                    ga = group_of[a]
                    lbg = np.float64(lower_inout[i, ga]) - cum[ga]
                    da = np.sqrt(dist_old[r])
                    if da < lbg:
                        lower_inout[i, ga] = store_lower(da + cum[ga], rel)
                low = np.inf
                for g in range(n_groups):
                    low = min(low, np.float64(lower_inout[i, g]) - cum[g])
                glower_inout[i] = store_lower(low, rel)
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
