"""Hamerly's algorithm (2010): one upper and one lower bound per point.

``upper[i]`` bounds the distance to the point's center, ``lower[i]`` the distance
to every other center. A point is skipped when ``max(lower, cc_min/2 ...)``
proves its center is still the nearest (with the rounding margin of
:mod:`kmeansx._kernels.bounds`); otherwise its upper bound is tightened, and if
that does not settle it, its distances to all centers are computed, a block of
such rows at a time (one GEMM at high dimension). The pass over the chunks is
:mod:`kmeansx._kernels.bound_pass`.
"""

from __future__ import annotations

import numpy as np

from kmeansx._kernels import bounds
from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit


@jit()
def _screen(X, centers, info, params, b0, b1, labels, upper, lower, sc, m0, x_mean):
    """Rows ``b0:b1`` after the centers moved: those whose bounds no longer prove
    their label go to ``sc.rows[m0:m0 + m]`` (their margins, which
    :func:`.bounds.open_block` left from ``sc.marg[m0]`` on, to ``sc.marg[m0:m0 +
    m]``), the others get their moved bounds stored. Returns ``m``; a loop over
    the block, so that no call is made per row."""
    shift, half_min, rel = info.shift, info.half_min, params.rel
    rows, margs = sc.rows[m0:], sc.marg[m0:]
    m = 0
    for r in range(b1 - b0):
        i = b0 + r
        marg = margs[r]
        if not params.first:
            a = labels[i]
            u = np.float64(upper[i]) + shift[a]
            drop = params.shift_second if a == params.shift_argmax else params.shift_max
            low = np.float64(lower[i]) - drop
            lb = max(low, 2.0 * half_min[a] - u)
            if not bounds.prunable(lb, u, marg):
                u = np.sqrt(bounds.sq_dist(X, i, centers, a, x_mean))
                lb = max(low, 2.0 * half_min[a] - u)
            if bounds.prunable(lb, u, marg):
                upper[i] = bounds.store_upper(u, rel)
                lower[i] = bounds.store_lower(low, rel)
                continue
        rows[m] = i
        margs[m] = marg
        m += 1
    return m


@jit()
def _settle(X, centers, rel, m, labels, upper, lower, flags, sc, counts, x_mean):
    """The scanned rows ``sc.rows[:m]``: labels and bounds from the two best
    centers (:func:`.bounds.settle`)."""
    for r in range(m):
        i = sc.rows[r]
        marg = sc.marg[r]
        best = np.float64(sc.scan.best[r]) + sc.xsq[r]
        second = np.float64(sc.scan.second[r]) + sc.xsq[r]
        label = np.int32(sc.scan.label[r])
        clear = second - best > marg
        bounds.settle(labels, flags, i, label, clear, counts)
        if clear:
            u = np.sqrt(bounds.sq_dist(X, i, centers, label, x_mean))
            upper[i] = bounds.store_upper(u, rel)
            lower[i] = bounds.store_lower(np.sqrt(max(second - marg, 0.0)), rel)
        else:
            # Valid whichever of the near-tied centers Lloyd picks.
            upper[i] = bounds.store_upper(np.sqrt(max(best + marg, 0.0)), rel)
            lower[i] = bounds.store_lower(np.sqrt(max(best - marg, 0.0)), rel)


@jit()
def label_chunk(
    X, centers, info, params, start, stop, labels, upper, lower, _lowers, flags, x_mean
):
    """Hamerly on rows ``start:stop``: labels and bounds. Returns how many rows
    changed label and how many are ambiguous (:func:`.bounds.settle`)."""
    sc = bounds.new_scratch(X.shape[1], centers.shape[0], X[:1, 0])
    counts = np.zeros(2, dtype=np.int64)
    # Rows in doubt wait in sc.rows[:m] until a block's worth has gathered (or
    # the chunk ends): once the centers settle a block holds one or two of them,
    # and one scan of many rows costs little more than one of a few.
    m = 0
    for b0 in range(start, stop, BLOCK_ROWS):
        b1 = bounds.open_block(info, params, b0, stop, sc.marg[m:])
        m += _screen(
            X, centers, info, params, b0, b1, labels, upper, lower, sc, m, x_mean
        )
        if m >= BLOCK_ROWS or (b1 == stop and m > 0):
            bounds.block_scan(
                X, sc.rows, m, info.centers_m2, info.c_sqnorm, sc.scan, sc.xsq, x_mean
            )
            _settle(
                X,
                centers,
                params.rel,
                m,
                labels,
                upper,
                lower,
                flags,
                sc,
                counts,
                x_mean,
            )
            m = 0
    return counts[0], counts[1]
