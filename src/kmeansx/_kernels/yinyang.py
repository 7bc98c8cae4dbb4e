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
labels are original indices. The pass over the chunks is
:mod:`kmeansx._kernels.bound_pass`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kmeansx._kernels import bounds
from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.centered import value

# Above this share of (pending row, group) pairs to evaluate, one GEMM over all
# centers beats a GEMM per group over the rows that need it.
DENSE_SHARE = 0.25


class BlockState(NamedTuple):
    """Per-thread buffers of one block's pending rows (``BLOCK_ROWS`` each)."""

    rows: np.ndarray  # the row
    old: np.ndarray  # its old label (-1 in the first pass)
    dist_old: np.ndarray  # squared distance to the old label
    best: np.ndarray  # best squared distance
    second: np.ndarray  # second best
    best_label: np.ndarray
    best_group: np.ndarray  # group of the best label
    best_min2: np.ndarray  # that group's second best
    xsq: np.ndarray  # squared norm
    marg: np.ndarray  # rounding margin
    need: np.ndarray  # (BLOCK_ROWS, n_groups) int8: groups to evaluate
    sel: np.ndarray  # the block rows that need one group
    gather: np.ndarray  # gathered rows, flat
    dots: np.ndarray  # their ranking values, flat
    # Per group: min, argmin, second min, old label; 1-d arrays of X's dtype, as
    # selects across rows vectorize only on those.
    gmin: np.ndarray
    garg: np.ndarray
    gmin2: np.ndarray
    gold: np.ndarray


class RowBounds(NamedTuple):
    """What a pass writes per row: the arrays of :func:`label_chunk`."""

    labels: np.ndarray
    upper: np.ndarray
    glower: np.ndarray
    lower: np.ndarray
    flags: np.ndarray


@jit()
def _new_state(n_features, n_clusters, n_groups, dtype_like):
    dtype = dtype_like.dtype
    return BlockState(
        rows=np.empty(BLOCK_ROWS, dtype=np.int64),
        old=np.empty(BLOCK_ROWS, dtype=np.int64),
        dist_old=np.empty(BLOCK_ROWS, dtype=np.float64),
        best=np.empty(BLOCK_ROWS, dtype=np.float64),
        second=np.empty(BLOCK_ROWS, dtype=np.float64),
        best_label=np.empty(BLOCK_ROWS, dtype=np.int64),
        best_group=np.empty(BLOCK_ROWS, dtype=np.int64),
        best_min2=np.empty(BLOCK_ROWS, dtype=np.float64),
        xsq=np.empty(BLOCK_ROWS, dtype=np.float64),
        marg=np.empty(BLOCK_ROWS, dtype=np.float64),
        need=np.zeros((BLOCK_ROWS, n_groups), dtype=np.int8),
        sel=np.empty(BLOCK_ROWS, dtype=np.int64),
        gather=np.empty(n_features * BLOCK_ROWS, dtype=dtype),
        dots=np.empty(n_clusters * BLOCK_ROWS, dtype=dtype),
        gmin=np.empty(BLOCK_ROWS, dtype=dtype),
        garg=np.empty(BLOCK_ROWS, dtype=dtype),
        gmin2=np.empty(BLOCK_ROWS, dtype=dtype),
        gold=np.empty(BLOCK_ROWS, dtype=dtype),
    )


@jit()
def _fold_group(dots, off, g, mg, info, rel, st, lower_inout):
    """Fold group ``g``'s ranking values ``dots[s - off, q]`` into the rows' state.

    ``st.sel[q]`` is the block row of column ``q``. The group's smallest and second
    smallest values (the old label excluded) are found with selects across rows;
    the group bound is stored and the row's best and second best updated.
    """
    gmin, garg, gmin2, gold, sel = st.gmin, st.garg, st.gmin2, st.gold, st.sel
    inf = gmin.dtype.type(np.inf)
    for q in range(mg):
        gmin[q] = inf
        garg[q] = -1
        gmin2[q] = inf
        gold[q] = st.old[sel[q]]
    for s in range(info.group_start[g], info.group_start[g + 1]):
        c_sq = info.c_sqnorm[s]
        o = gmin.dtype.type(info.order[s])
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
        min1 = np.float64(gmin[q]) + st.xsq[r]
        min2 = np.float64(gmin2[q]) + st.xsq[r]
        lower_inout[st.rows[r], g] = bounds.store_lower(
            np.sqrt(max(min1 - st.marg[r], 0.0)) + info.cum[g], rel
        )
        b = st.best[r]
        st.second[r] = min(st.second[r], max(min1, b), min2)
        if min1 < b:
            st.best[r] = min1
            st.best_label[r] = np.int64(garg[q])
            st.best_group[r] = g
            st.best_min2[r] = min2


@jit()
def _gather(X, st, m, n_features, x_mean):
    """Rows ``st.rows[st.sel[q]]``, ``q < m``, as a contiguous (d, m) array."""
    X_T = st.gather[: n_features * m].reshape(n_features, m)
    for q in range(m):
        i = st.rows[st.sel[q]]
        for f in range(n_features):
            X_T[f, q] = value(X, x_mean, i, f)
    return X_T


@jit()
def _evaluate_groups(X, m, info, rel, st, lower_inout, x_mean):
    """Distances of the block's pending rows to the groups they could not rule out.

    Dense blocks (many pairs to evaluate) get one GEMM over all centers and every
    group evaluated; sparse ones a GEMM per group over the rows that need it.
    """
    group_start, need = info.group_start, st.need
    n_clusters, n_features = info.centers_m2.shape
    n_groups = group_start.shape[0] - 1
    pairs = 0
    for r in range(m):
        for g in range(n_groups):
            pairs += need[r, g]
    if pairs > DENSE_SHARE * m * n_groups:
        for r in range(m):
            st.sel[r] = r
        X_T = _gather(X, st, m, n_features, x_mean)
        dots = st.dots[: n_clusters * m].reshape(n_clusters, m)
        np.dot(info.centers_m2, X_T, dots)
        for g in range(n_groups):
            _fold_group(dots, 0, g, m, info, rel, st, lower_inout)
        return
    for g in range(n_groups):
        g0 = group_start[g]
        g1 = group_start[g + 1]
        mg = 0
        for r in range(m):
            if need[r, g] != 0:
                st.sel[mg] = r
                mg += 1
        if mg == 0:
            continue
        X_T = _gather(X, st, mg, n_features, x_mean)
        dots = st.dots[: (g1 - g0) * mg].reshape(g1 - g0, mg)
        np.dot(info.centers_m2[g0:g1], X_T, dots)
        _fold_group(dots, g0, g, mg, info, rel, st, lower_inout)


@jit()
def _screen(X, centers, info, params, b0, b1, rb, st, x_mean):
    """Rows ``b0:b1`` after the centers moved: those whose bounds settle them get
    them stored; the others (every row in the first pass) become the block's
    pending rows ``st.rows[:m]``, with ``st.need`` the groups each must evaluate.
    Returns ``m``; a loop over the block, so that no call is made per row."""
    shift, half_min, cum, rel = info.shift, info.half_min, info.cum, params.rel
    labels, upper, glower, lower = rb.labels, rb.upper, rb.glower, rb.lower
    need, margs = st.need, st.marg
    n_groups = cum.shape[0]
    m = 0
    for r in range(b1 - b0):
        i = b0 + r
        marg = margs[r]
        if params.first:
            a = -1
            da = np.inf
            for g in range(n_groups):
                need[m, g] = 1
        else:
            a = labels[i]
            u = np.float64(upper[i]) + shift[a]
            drop = params.shift_second if a == params.shift_argmax else params.shift_max
            low = np.float64(glower[i]) - drop
            lb = max(low, 2.0 * half_min[a] - u)
            if bounds.prunable(lb, u, marg):
                upper[i] = bounds.store_upper(u, rel)
                glower[i] = bounds.store_lower(low, rel)
                continue
            da = bounds.sq_dist(X, i, centers, a, x_mean)
            u = np.sqrt(da)
            lb = max(low, 2.0 * half_min[a] - u)
            if bounds.prunable(lb, u, marg):
                upper[i] = bounds.store_upper(u, rel)
                glower[i] = bounds.store_lower(low, rel)
                continue
            # The group bounds now; the global one is their minimum.
            low = np.inf
            any_group = False
            for g in range(n_groups):
                lbg = np.float64(lower[i, g]) - cum[g]
                low = min(low, lbg)
                pending = not bounds.prunable(lbg, u, marg)
                need[m, g] = pending
                any_group = any_group or pending
            if not any_group:
                upper[i] = bounds.store_upper(u, rel)
                glower[i] = bounds.store_lower(low, rel)
                continue
        st.rows[m] = i
        st.old[m] = a
        st.dist_old[m] = da
        st.best[m] = da
        st.second[m] = np.inf
        st.best_label[m] = a
        st.best_group[m] = info.group_of[a] if a >= 0 else -1
        st.best_min2[m] = np.inf
        st.xsq[m] = bounds.row_sqnorm(X, i, x_mean)
        margs[m] = marg
        m += 1
    return m


@jit()
def _settle(X, centers, info, rel, m, st, rb, counts, x_mean):
    """The pending rows ``st.rows[:m]`` once their groups are evaluated: labels
    (:func:`.bounds.settle`) and bounds."""
    cum, group_of = info.cum, info.group_of
    labels, upper, glower, lower = rb.labels, rb.upper, rb.glower, rb.lower
    for r in range(m):
        i = st.rows[r]
        marg = st.marg[r]
        a = st.old[r]
        gb = st.best_group[r]
        label = st.best_label[r]
        ambiguous = st.second[r] - st.best[r] <= marg
        bounds.settle(labels, rb.flags, i, label, not ambiguous, counts)
        if ambiguous:
            # Valid whichever of the near-tied centers Lloyd picks: the group
            # bounds keep every center but the old label.
            upper[i] = bounds.store_upper(np.sqrt(max(st.best[r] + marg, 0.0)), rel)
        elif label == a:
            upper[i] = bounds.store_upper(np.sqrt(st.dist_old[r]), rel)
        else:
            u = np.sqrt(bounds.sq_dist(X, i, centers, label, x_mean))
            upper[i] = bounds.store_upper(u, rel)
            lower[i, gb] = bounds.store_lower(
                np.sqrt(max(st.best_min2[r] - marg, 0.0)) + cum[gb], rel
            )
        if a >= 0 and (ambiguous or label != a):
            # The old label is now one of the others of its group.
            ga = group_of[a]
            lbg = np.float64(lower[i, ga]) - cum[ga]
            da = np.sqrt(st.dist_old[r])
            if da < lbg:
                lower[i, ga] = bounds.store_lower(da + cum[ga], rel)
        low = np.inf
        for g in range(cum.shape[0]):
            low = min(low, np.float64(lower[i, g]) - cum[g])
        glower[i] = bounds.store_lower(low, rel)


@jit()
def label_chunk(
    X, centers, info, params, start, stop, labels, upper, glower, lower, flags, x_mean
):
    """Yinyang on rows ``start:stop``: labels and bounds. ``glower`` (n,) is the
    eager global lower bound and ``lower`` (n, n_groups) the lazy group bounds.
    Returns as :func:`kmeansx._kernels.hamerly.label_chunk`."""
    rb = RowBounds(labels, upper, glower, lower, flags)
    st = _new_state(X.shape[1], centers.shape[0], info.cum.shape[0], X[:1, 0])
    counts = np.zeros(2, dtype=np.int64)
    for b0 in range(start, stop, BLOCK_ROWS):
        b1 = bounds.open_block(info, params, b0, stop, st.marg)
        m = _screen(X, centers, info, params, b0, b1, rb, st, x_mean)
        if m > 0:
            _evaluate_groups(X, m, info, params.rel, st, lower, x_mean)
            _settle(X, centers, info, params.rel, m, st, rb, counts, x_mean)
    return counts[0], counts[1]
