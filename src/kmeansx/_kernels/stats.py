"""Per-column and per-row statistics: one pass each, no temporaries.

NumPy's ``X.mean(axis=0)`` on a (n, 2) array runs a two-element inner loop n times
and costs as much as a whole Lloyd iteration; these run over fixed-size chunks.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._jit import jit
from kmeansx._kernels.bounds import row_sqnorm
from kmeansx._kernels.centered import value


@jit(parallel=True)
def column_sums(X, chunk_size, sums_out):
    """``sums_out[c]``: the float64 column sums of chunk ``c``; shape (n_chunks, d)."""
    n_samples, n_features = X.shape
    for c in prange(sums_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        for f in range(n_features):
            sums_out[c, f] = 0.0
        for i in range(start, stop):
            for f in range(n_features):
                sums_out[c, f] += np.float64(X[i, f])


# Relative headroom of :func:`row_norm_bounds`: above float32's rounding (2^-24)
# and that of the float64 sum and square root.
NORM_BOUND_REL = 2.0**-20


@jit(parallel=True)
def row_norm_bounds(X, chunk_size, out, x_mean=None):
    """``out[i] >= ||X[i] - x_mean||``, float32, at most ``NORM_BOUND_REL`` above.

    The bound-based algorithms size their rounding margins from the row norms; a
    float32 upper bound, made here without a float64 array of n, is all they need.
    """
    n_samples = X.shape[0]
    for c in prange(-(-n_samples // chunk_size)):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        X_v = X[start:stop]
        out_v = out[start:stop]
        for j in range(X_v.shape[0]):
            out_v[j] = np.sqrt(row_sqnorm(X_v, j, x_mean)) * (1.0 + NORM_BOUND_REL)


# Rows per block of :func:`row_sq_norms`: the block's rows are the vector lanes of
# its loop over the features, and they stay in the L1 cache while it runs (32 rows
# of 128 float64 features are 32 KiB).
NORM_BLOCK_ROWS = 32


@jit()
def row_sq_norms(X, out, x_mean=None):
    """``out[i] = ||X[i] - x_mean||^2`` in float64, the squares added in feature
    order from 0.0 (the difference taken in X's dtype, as :mod:`.centered` reads).

    The loop over rows is the inner one, so that it vectorizes, where a loop over
    a row's features is a chain of dependent adds (and at two features, one that
    does not vectorize at all). Serial: one thread reads X nearly as fast as two,
    and a parallel kernel takes twice as long to compile.
    """
    n_samples, n_features = X.shape
    for b0 in range(0, n_samples, NORM_BLOCK_ROWS):
        b1 = min(b0 + NORM_BLOCK_ROWS, n_samples)
        # Views indexed from 0: Numba drops its negative-index test on them.
        X_v = X[b0:b1]
        out_v = out[b0:b1]
        for j in range(X_v.shape[0]):
            out_v[j] = 0.0
        for f in range(n_features):
            for j in range(X_v.shape[0]):
                v = np.float64(value(X_v, x_mean, j, f))
                out_v[j] += v * v
