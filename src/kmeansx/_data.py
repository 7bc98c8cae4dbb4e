"""The prepared form of ``X`` that drivers and kernels share: dense or CSR."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from kmeansx._kernels import stats
from kmeansx._kernels._chunks import chunk_size_for, n_chunks_for


def is_sparse(X) -> bool:
    return sp.issparse(X)


def kernel_view(X):
    """What a kernel takes: the C-contiguous array, or ``(data, indices, indptr)``."""
    if sp.issparse(X):
        return (
            X.data,
            X.indices.astype(np.int64, copy=False),
            X.indptr.astype(np.int64, copy=False),
        )
    return X


def row_sq_norms(X) -> np.ndarray:
    """Squared norm of every row, in float64."""
    if sp.issparse(X):
        # Square in float64: float32 squares summed in float32 lose ~1e-7 relative.
        X = X.astype(np.float64)
        return np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    return np.einsum("ij,ij->i", X, X, dtype=np.float64)


def dense_rows(X, rows) -> np.ndarray:
    """Rows of ``X`` as a dense array (copies)."""
    out = X[rows]
    return out.toarray() if sp.issparse(out) else np.array(out)


def mean_variance(X, centered: bool = False) -> float:
    """Mean over features of the variance of each feature (for ``tol``).

    ``centered=True`` says dense ``X`` already has mean zero: one pass, in float64.
    """
    if centered and not sp.issparse(X):
        return float(np.einsum("ij,ij->", X, X, dtype=np.float64) / X.size)
    if sp.issparse(X):
        mean = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        sq = np.asarray(X.multiply(X).mean(axis=0), dtype=np.float64).ravel()
        return float(np.mean(sq - mean**2))
    return float(np.mean(np.var(X, axis=0)))


def center(X, copy: bool):
    """Subtract the column means from dense ``X``; return (centered X, the means).

    Means are summed in float64 per fixed-size chunk (thread-count independent)
    and kept in X's dtype, the precision the data is centered in.
    """
    n_samples, n_features = X.shape
    chunk = chunk_size_for(n_samples, 1, n_features)
    sums = np.empty((n_chunks_for(n_samples, chunk), n_features))
    stats.column_sums(X, chunk, sums)
    mean = (sums.sum(axis=0) / n_samples).astype(X.dtype)
    out = np.empty_like(X) if copy else X
    stats.subtract_rows(X, mean, out)
    return out, mean
