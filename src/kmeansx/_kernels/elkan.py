"""Elkan's algorithm (2003): an upper bound and one lower bound per point and center.

The ``n x k`` lower bounds are kept *lazily*: ``lower[i, j]`` stores the bound
plus the total distance center ``j`` had moved when it was stored (``cum[j]``), so
the bound now is ``lower[i, j] - cum[j]`` and no pass over all ``n x k`` bounds is
needed per iteration. A point is skipped when half the distance from its center
to the nearest other center, or each center's lower bound, proves its center is
still the nearest (with the rounding margin of :mod:`kmeansx._kernels.bounds`).
The pass over the chunks is :mod:`kmeansx._kernels.bound_pass`.
"""

from __future__ import annotations

import numpy as np

from kmeansx._kernels import bounds
from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit


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
        if bounds.prunable(lb, ub, marg):
            continue
        if not tight:
            tight = True
            best = bounds.sq_dist(X, i, centers, a, x_mean)
            ub = np.sqrt(best)
            lower_inout[i, a] = bounds.store_lower(ub + cum[a], rel)
            lb = max(
                np.float64(lower_inout[i, j]) - cum[j], 2.0 * half_cc[best_j, j] - ub
            )
            if bounds.prunable(lb, ub, marg):
                continue
        dj = bounds.sq_dist(X, i, centers, j, x_mean)
        lower_inout[i, j] = bounds.store_lower(np.sqrt(dj) + cum[j], rel)
        if dj < best:
            second = best
            best = dj
            best_j = j
            ub = np.sqrt(dj)
        elif dj < second:
            second = dj
    return best_j, best, second, tight, ub


@jit()
def label_chunk(
    X, centers, info, params, start, stop, labels, upper, _lower, lower, flags, x_mean
):
    """Elkan on rows ``start:stop``: labels and bounds; ``lower`` is (n, k) and
    lazy (module docstring). Returns as
    :func:`kmeansx._kernels.hamerly.label_chunk`."""
    sc = bounds.new_scratch(X.shape[1], centers.shape[0], X[:1, 0])
    counts = np.zeros(2, dtype=np.int64)
    rel = params.rel
    shift, half_min, half_cc, cum = info.shift, info.half_min, info.half_cc, info.cum
    rows, xsq, margs, scan = sc.rows, sc.xsq, sc.marg, sc.scan
    for b0 in range(start, stop, BLOCK_ROWS):
        b1 = bounds.open_block(info, params, b0, stop, margs)
        if params.first:
            # Every row scanned, and all its lower bounds set.
            for r in range(b1 - b0):
                rows[r] = b0 + r
            dots = bounds.block_scan(
                X,
                rows,
                b1 - b0,
                info.centers_m2,
                info.c_sqnorm,
                scan,
                xsq,
                x_mean,
            )
            for r in range(b1 - b0):
                for j in range(centers.shape[0]):
                    v = np.float64(dots[j, r]) + xsq[r] - margs[r]
                    lower[b0 + r, j] = bounds.store_lower(
                        np.sqrt(max(v, 0.0)) + cum[j], rel
                    )
        for r in range(b1 - b0):
            i = b0 + r
            marg = margs[r]
            if params.first:
                label = np.int32(scan.label[r])
                best = np.float64(scan.best[r]) + xsq[r]
                second = np.float64(scan.second[r]) + xsq[r]
                if second - best > marg:
                    # Exact distances make a tighter upper bound.
                    best = bounds.sq_dist(X, i, centers, label, x_mean)
                    second = np.inf
            else:
                a = labels[i]
                u = np.float64(upper[i]) + shift[a]
                if bounds.prunable(2.0 * half_min[a] - u, u, marg):
                    upper[i] = bounds.store_upper(u, rel)
                    continue
                label, best, second, tight, u = _elkan_row(
                    X, i, centers, half_cc, cum, a, u, marg, rel, lower, x_mean
                )
                if not tight:
                    upper[i] = bounds.store_upper(u, rel)
                    continue
            clear = second - best > marg
            bounds.settle(labels, flags, i, label, clear, counts)
            # Ambiguous: valid whichever of the near-tied centers Lloyd picks.
            upper[i] = bounds.store_upper(
                np.sqrt(best if clear else max(best + marg, 0.0)), rel
            )
    return counts[0], counts[1]
