"""k-means++ sampling: the distances to a candidate center, fused with the potential.

The greedy k-means++ of scikit-learn keeps, for each point, the squared distance to
its closest chosen center, and scores each of a few candidate centers by the
weighted potential ``sum_i w_i * min(closest_i, d(x_i, candidate)^2)``. These
kernels do that in one parallel pass without an (n_candidates, n_samples) matrix;
potentials are summed per fixed-size chunk and the caller adds the chunks in order.
Distances use the norm expansion ``||x||^2 + ||c||^2 - 2 x.c``, clipped at 0, as
scikit-learn's ``euclidean_distances`` does.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._jit import jit


@jit()
def _dot_dense_row(X, i, center):
    dot = 0.0
    for f in range(X.shape[1]):
        dot += np.float64(X[i, f]) * np.float64(center[f])
    return dot


@jit()
def _dot_csr_row(data, indices, lo, hi, center):
    dot = 0.0
    for p in range(lo, hi):
        dot += np.float64(data[p]) * np.float64(center[indices[p]])
    return dot


@jit(parallel=True)
def candidate_potentials_dense(
    X, x_sqnorm, sample_weight, closest, candidates, chunk_size, pot_out
):
    """``pot_out[c, t]``: chunk ``c``'s potential if candidate ``t`` were added."""
    n_samples = X.shape[0]
    n_candidates = candidates.shape[0]
    cand_sqnorm = np.empty(n_candidates)
    for t in range(n_candidates):
        cand_sqnorm[t] = _dot_dense_row(candidates, t, candidates[t])
    for c in prange(pot_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        for t in range(n_candidates):
            pot = 0.0
            for i in range(start, stop):
                d = x_sqnorm[i] + cand_sqnorm[t] - 2.0 * _dot_dense_row(
                    X, i, candidates[t]
                )
                d = min(max(d, 0.0), closest[i])
                pot += d * sample_weight[i]
            pot_out[c, t] = pot


@jit(parallel=True)
def closest_update_dense(X, x_sqnorm, center, closest_inout):
    """``closest[i] = min(closest[i], ||X[i] - center||^2)``."""
    c_sqnorm = _dot_dense_row(center.reshape(1, -1), 0, center)
    for i in prange(X.shape[0]):
        d = x_sqnorm[i] + c_sqnorm - 2.0 * _dot_dense_row(X, i, center)
        d = max(d, 0.0)
        if d < closest_inout[i]:
            closest_inout[i] = d


@jit(parallel=True)
def candidate_potentials_csr(
    X_csr, x_sqnorm, sample_weight, closest, candidates, chunk_size, pot_out
):
    """:func:`candidate_potentials_dense` for ``X_csr = (data, indices, indptr)``;
    ``candidates`` are dense rows."""
    data, indices, indptr = X_csr
    n_samples = indptr.shape[0] - 1
    n_candidates = candidates.shape[0]
    cand_sqnorm = np.empty(n_candidates)
    for t in range(n_candidates):
        cand_sqnorm[t] = _dot_dense_row(candidates, t, candidates[t])
    for c in prange(pot_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        for t in range(n_candidates):
            pot = 0.0
            for i in range(start, stop):
                dot = _dot_csr_row(data, indices, indptr[i], indptr[i + 1], candidates[t])
                d = x_sqnorm[i] + cand_sqnorm[t] - 2.0 * dot
                d = min(max(d, 0.0), closest[i])
                pot += d * sample_weight[i]
            pot_out[c, t] = pot


@jit(parallel=True)
def closest_update_csr(X_csr, x_sqnorm, center, closest_inout):
    """:func:`closest_update_dense` for ``X_csr = (data, indices, indptr)``."""
    data, indices, indptr = X_csr
    c_sqnorm = _dot_dense_row(center.reshape(1, -1), 0, center)
    for i in prange(indptr.shape[0] - 1):
        dot = _dot_csr_row(data, indices, indptr[i], indptr[i + 1], center)
        d = max(x_sqnorm[i] + c_sqnorm - 2.0 * dot, 0.0)
        if d < closest_inout[i]:
            closest_inout[i] = d
