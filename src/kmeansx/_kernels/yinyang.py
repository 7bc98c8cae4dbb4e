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

Centers are passed sorted by group (the group fields of
:class:`~kmeansx._kernels.bounds.CenterArrays`); labels are original indices.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.bounds import (
    gather_rows,
    leave_to_replay,
    prunable,
    row_sqnorm,
    run_chunk,
    sq_dist,
    store_lower,
    store_upper,
)

# Above this share of (pending row, group) pairs to evaluate, one GEMM over all
# centers beats a GEMM per group over the rows that need it.
DENSE_SHARE = 0.25


class _BlockState(NamedTuple):
    """Per-thread buffers of one block's pending rows (``BLOCK_ROWS`` long)."""

    rows: np.ndarray  # global index
    old: np.ndarray  # label before the pass (-1 in the first)
    dist_old: np.ndarray  # squared distance to it
    xsq: np.ndarray  # squared norm
    marg: np.ndarray  # rounding margin
    best: np.ndarray  # best squared distance found
    second: np.ndarray  # second best
    best_label: np.ndarray
    best_group: np.ndarray  # the group of best_label
    best_min2: np.ndarray  # that group's second best
    need: np.ndarray  # (BLOCK_ROWS, n_groups): groups to evaluate
    sel: np.ndarray  # block rows (indices into the above) of one group's GEMM
    pick: np.ndarray  # their global indices
    gather: np.ndarray  # (d * BLOCK_ROWS,): the rows gathered
    dots: np.ndarray  # (k * BLOCK_ROWS,): their ranking values
    # Per column of a group's GEMM, in the data's dtype: min, argmin, second min,
    # old label; 1-d arrays, as selects across rows vectorize only on those.
    gmin: np.ndarray
    garg: np.ndarray
    gmin2: np.ndarray
    gold: np.ndarray


@jit()
def _new_state(n_features, n_clusters, n_groups, dtype_like):
    dtype = dtype_like.dtype
    return _BlockState(
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(BLOCK_ROWS, dtype=np.float64),
        np.zeros((BLOCK_ROWS, n_groups), dtype=np.int8),
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(BLOCK_ROWS, dtype=np.int64),
        np.empty(n_features * BLOCK_ROWS, dtype=dtype),
        np.empty(n_clusters * BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
        np.empty(BLOCK_ROWS, dtype=dtype),
    )


@jit()
def _fold_group(dots, off, g, mg, cinfo, rel, st, lower_inout):
    """Fold group ``g``'s ranking values ``dots[s - off, q]`` into the rows' state.

    ``st.sel[q]`` is the block row of column ``q``. The group's smallest and
    second smallest values (the old label excluded) are found with selects across
    rows; the group bound is stored and the row's best and second best updated.
    """
    # The bundles' fields, read once, out of the loops (here and below).
    c_sqnorm, order, cum = cinfo.c_sqnorm, cinfo.order, cinfo.cum
    rows, old, sel, xsq_b, marg_b = st.rows, st.old, st.sel, st.xsq, st.marg
    best, second, best_label = st.best, st.second, st.best_label
    best_group, best_min2 = st.best_group, st.best_min2
    gmin, garg, gmin2, gold = st.gmin, st.garg, st.gmin2, st.gold
    inf = gmin.dtype.type(np.inf)
    for q in range(mg):
        gmin[q] = inf
        garg[q] = -1
        gmin2[q] = inf
        gold[q] = old[sel[q]]
    for s in range(cinfo.group_start[g], cinfo.group_start[g + 1]):
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


# Compiled into the block, as _settle_rows below.
@jit(inline=True)
def _evaluate_groups(X, m, cinfo, rel, st, lower_inout, x_mean):
    """Distances of the block's pending rows to the groups they could not rule out.

    Dense blocks (many pairs to evaluate) get one GEMM over all centers and every
    group evaluated; sparse ones a GEMM per group over the rows that need it.
    """
    centers_m2, group_start = cinfo.centers_m2, cinfo.group_start
    rows, need, sel, pick = st.rows, st.need, st.sel, st.pick
    n_groups = group_start.shape[0] - 1
    pairs = 0
    for r in range(m):
        for g in range(n_groups):
            pairs += need[r, g]
    if pairs > DENSE_SHARE * m * n_groups:
        for r in range(m):
            sel[r] = r
        X_T = gather_rows(X, rows, m, st.gather, x_mean)
        n_clusters = centers_m2.shape[0]
        dots = st.dots[: n_clusters * m].reshape(n_clusters, m)
        np.dot(centers_m2, X_T, dots)
        for g in range(n_groups):
            _fold_group(dots, 0, g, m, cinfo, rel, st, lower_inout)
        return
    for g in range(n_groups):
        mg = 0
        for r in range(m):
            if need[r, g] != 0:
                sel[mg] = r
                pick[mg] = rows[r]
                mg += 1
        if mg == 0:
            continue
        g0 = group_start[g]
        g1 = group_start[g + 1]
        X_T = gather_rows(X, pick, mg, st.gather, x_mean)
        dots = st.dots[: (g1 - g0) * mg].reshape(g1 - g0, mg)
        np.dot(centers_m2[g0:g1], X_T, dots)
        _fold_group(dots, g0, g, mg, cinfo, rel, st, lower_inout)


# Compiled into the block: its call, once per block, cost 6% of a pass on 10^4
# rows in two dimensions.
@jit(inline=True)
def _settle_rows(X, m, cinfo, rel, st, labels_inout, bounds_inout, flags_out, x_mean):
    """Labels and bounds of the evaluated rows; returns how many labels changed and
    how many rows were left to the replay."""
    upper_inout, glower_inout = bounds_inout.upper, bounds_inout.glower
    lower_inout = bounds_inout.lower
    centers, cum, group_of = cinfo.centers, cinfo.cum, cinfo.group_of
    rows, old, dist_old, marg_b = st.rows, st.old, st.dist_old, st.marg
    best, second, best_label = st.best, st.second, st.best_label
    best_group, best_min2 = st.best_group, st.best_min2
    n_groups = cum.shape[0]
    changed = 0
    flagged = 0
    for r in range(m):
        i = rows[r]
        marg = marg_b[r]
        a = old[r]
        gb = best_group[r]
        ambiguous = second[r] - best[r] <= marg
        if ambiguous:
            # The group bounds keep every center but the old label: valid too.
            flagged += leave_to_replay(i, best[r], marg, rel, upper_inout, flags_out)
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
    return changed, flagged


@jit()
def _yinyang_block(
    X,
    b0,
    b1,
    cinfo,
    params,
    st,
    labels_inout,
    bounds_inout,
    flags_out,
    x_mean,
):
    """Labels and bounds of rows ``b0:b1`` (the block of :func:`run_chunk`)."""
    upper_inout, glower_inout = bounds_inout.upper, bounds_inout.glower
    lower_inout = bounds_inout.lower
    centers, shift, half_min = cinfo.centers, cinfo.shift, cinfo.half_min
    cum, group_of = cinfo.cum, cinfo.group_of
    first, rel = params.first, params.rel
    shift_max, shift_second = params.shift_max, params.shift_second
    rows, old, dist_old, xsq_b, marg_b = st.rows, st.old, st.dist_old, st.xsq, st.marg
    best, second, best_label = st.best, st.second, st.best_label
    best_group, best_min2, need = st.best_group, st.best_min2, st.need
    n_groups = cum.shape[0]
    # The bound test, row by row: the global bound, then the group bounds. The
    # rows it cannot settle are gathered in front, with the groups they need.
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
            drop = shift_second if a == params.shift_argmax else shift_max
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
    if m == 0:
        return 0, 0
    _evaluate_groups(X, m, cinfo, rel, st, lower_inout, x_mean)
    return _settle_rows(
        X, m, cinfo, rel, st, labels_inout, bounds_inout, flags_out, x_mean
    )


@jit(parallel=True)
def yinyang_pass(
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
    """One Yinyang pass: labels, bounds and Lloyd's per-chunk partial sums.

    Arguments as in :func:`kmeansx._kernels.hamerly.hamerly_pass`, but
    ``cinfo.centers_m2`` and ``cinfo.c_sqnorm`` in sorted order, ``cinfo.cum``
    per group and the groups given; ``bounds_inout.glower`` (n,) is the eager
    global lower bound and ``bounds_inout.lower`` (n, n_groups) the lazy group
    bounds.
    """
    n_features = X.shape[1]
    n_clusters = cinfo.centers.shape[0]
    n_groups = cinfo.group_start.shape[0] - 1
    for c in prange(changed_out.shape[0]):
        st = _new_state(n_features, n_clusters, n_groups, X[:1, 0])
        changed_out[c], flagged_out[c] = run_chunk(
            _yinyang_block,
            c,
            chunk_size,
            X,
            sample_weight,
            x_norm,
            cinfo,
            params,
            st,
            labels_inout,
            bounds_inout,
            flags_out,
            sums_out,
            weights_out,
            inertia_out,
            x_mean,
        )
