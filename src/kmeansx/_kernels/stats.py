"""Column means: one parallel pass over a tall, narrow array.

NumPy's ``X.mean(axis=0)`` on a (n, 2) array runs a two-element inner loop n times
and costs as much as a whole Lloyd iteration; this runs over fixed-size chunks.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._jit import jit


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
