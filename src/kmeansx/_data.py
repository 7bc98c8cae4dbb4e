"""The prepared form of ``X`` that drivers and kernels share: dense or CSR."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from kmeansx._kernels import plain as _plain
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


def is_uniform_view(weight) -> bool:
    """Whether ``weight`` is equal weights seen through a stride-0 view
    (:func:`kmeansx._validation.uniform_weights`): one number, no n-long array."""
    return weight.ndim == 1 and weight.shape[0] > 0 and weight.strides[0] == 0


def float64_weights(sample_weight) -> np.ndarray:
    """``sample_weight`` in float64; a stride-0 view stays one, not an n-long copy."""
    w = np.asarray(sample_weight)
    if is_uniform_view(w):
        return np.broadcast_to(w[:1].astype(np.float64), w.shape)
    return np.asarray(w, dtype=np.float64)


def take_weights(sample_weight, rows) -> np.ndarray:
    """``sample_weight[rows]``; a stride-0 view stays one, so that a kernel called
    on some rows gets the array type it was compiled for."""
    if is_uniform_view(sample_weight):
        return np.broadcast_to(sample_weight[:1], (len(rows),))
    return sample_weight[rows]


def weighted_bincount(labels, weight, minlength: int) -> np.ndarray:
    """``np.bincount(labels, weights=weight, minlength=...)`` without the n-long
    copy NumPy makes of a stride-0 ``weight``."""
    if is_uniform_view(weight):
        counts = np.bincount(labels, minlength=minlength)
        return counts * np.float64(weight[0])
    return np.bincount(labels, weights=weight, minlength=minlength)


# Bytes per block when dense X is centered block by block (a transient copy).
CENTER_BLOCK_BYTES = 1 << 20


def centered_blocks(X, x_mean):
    """``(r0, r1, X[r0:r1] - x_mean)`` over dense ``X``, in X's dtype: the values
    a centered copy would hold, one bounded block at a time."""
    rows = max(1, CENTER_BLOCK_BYTES // max(1, X.shape[1] * X.itemsize))
    for r0 in range(0, X.shape[0], rows):
        r1 = min(r0 + rows, X.shape[0])
        yield r0, r1, X[r0:r1] - x_mean


def row_sq_norms(X, x_mean=None, plain: bool = False) -> np.ndarray:
    """Squared norm of every row (of ``X - x_mean`` if given, dense), in float64.

    Dense rows are summed in feature order (:func:`kmeansx._kernels.stats.row_sq_norms`,
    or with ``plain`` its NumPy twin: the same bits, nothing to compile).
    """
    if sp.issparse(X):
        # Square in float64: float32 squares summed in float32 lose ~1e-7 relative.
        X = X.astype(np.float64)
        return np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    out = np.empty(X.shape[0])
    extra = () if x_mean is None else (x_mean,)
    (_plain if plain else stats).row_sq_norms(X, out, *extra)
    return out


def dense_rows(X, rows) -> np.ndarray:
    """Rows of ``X`` as a dense array (copies)."""
    out = X[rows]
    return out.toarray() if sp.issparse(out) else np.array(out)


def mean_variance(X, x_mean=None) -> float:
    """Mean over features of the variance of each feature (for ``tol``).

    ``x_mean``, the column means of dense ``X``, makes it one pass over ``X -
    x_mean``, in float64.
    """
    if x_mean is not None and not sp.issparse(X):
        total = 0.0
        for _, _, block in centered_blocks(X, x_mean):
            total += float(np.einsum("ij,ij->", block, block, dtype=np.float64))
        return total / X.size
    if sp.issparse(X):
        mean = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        sq = np.asarray(X.multiply(X).mean(axis=0), dtype=np.float64).ravel()
        return float(np.mean(sq - mean**2))
    return float(np.mean(np.var(X, axis=0)))


def column_means(X, plain: bool = False) -> np.ndarray:
    """Column means of dense ``X`` in X's dtype, the precision it is centered in.

    Summed in float64 per fixed-size chunk (thread-count independent); ``plain``
    sums with the NumPy twin of the kernel (:mod:`kmeansx._kernels.plain`, the
    same bits, nothing to compile).
    """
    n_samples, n_features = X.shape
    chunk = chunk_size_for(n_samples, 1, n_features)
    sums = np.empty((n_chunks_for(n_samples, chunk), n_features))
    (_plain if plain else stats).column_sums(X, chunk, sums)
    return (sums.sum(axis=0) / n_samples).astype(X.dtype)


# Headroom kept above the largest squared distance a pass can form (sums of a few
# of them, per chunk, before the float64 reductions).
_OVERFLOW_HEADROOM = 2.0**16


def max_abs(X) -> float:
    """The largest magnitude in ``X`` (finite, checked input), without an
    ``abs`` copy: the larger of ``-min`` and ``max``."""
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return 0.0
    return float(max(-values.min(), values.max()))


def scale_exponent(largest: float, n_features: int, dtype) -> int:
    """The power of two to multiply data by so that its squared distances neither
    overflow nor sink into subnormals in ``dtype``; 0 when they already fit.

    Values up to ``largest`` in magnitude give squared distances up to ``4 d
    largest^2``; differences of a few ulps of ``largest`` must square to a normal
    number. Outside that range the data is brought to magnitudes in [1, 2): a
    power of two scales every value exactly, so the scaled data clusters exactly as
    the data would on an exponent range wide enough.

    Examples
    --------
    >>> import numpy as np
    >>> scale_exponent(3.0, 2, np.float64)
    0
    >>> scale_exponent(1e200, 2, np.float64)
    -664
    """
    if not largest > 0:
        return 0
    info = np.finfo(dtype)
    # Compared as square roots: the square itself may overflow a Python float.
    limit = np.sqrt(float(info.max) / (4.0 * n_features * _OVERFLOW_HEADROOM))
    too_large = largest > limit
    too_small = largest < np.sqrt(float(info.tiny)) / float(info.eps)
    if not (too_large or too_small):
        return 0
    return 1 - int(np.frexp(largest)[1])


def scaled(X, exponent: int):
    """``X * 2**exponent`` (a copy, in X's dtype; exact)."""
    if sp.issparse(X):
        out = X.copy()
        out.data = np.ldexp(X.data, exponent).astype(X.dtype, copy=False)
        return out
    return np.ldexp(X, exponent).astype(X.dtype, copy=False)


def row_norms(X) -> np.ndarray:
    """Euclidean norm of every row (dense or CSR), in float64, also for rows whose
    squares would overflow or underflow float64 (those are scaled by their largest
    magnitude first); 0 only for rows of zeros."""
    if sp.issparse(X):
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        data = X.data.astype(np.float64)
        sq = np.bincount(rows, weights=data * data, minlength=X.shape[0])
    else:
        sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    norms = np.sqrt(sq)
    for i in np.flatnonzero(~((sq > 0) & (sq < np.inf))):
        row = dense_rows(X, [i])[0].astype(np.float64)
        largest = float(np.abs(row).max()) if row.size else 0.0
        if largest > 0:
            norms[i] = largest * float(np.sqrt(np.sum((row / largest) ** 2)))
    return norms


def unit_rows_checked(X, zero_error, *, copy: bool = True):
    """``X``'s rows scaled to unit length (:func:`unit_rows`); rows of zeros have
    no direction, and raise ``zero_error(positions)``, the caller's error naming
    them."""
    norms = row_norms(X)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise zero_error(zero)
    return unit_rows(X, norms, copy=copy)


def unit_rows(X, norms, *, copy: bool = True):
    """``X`` with every row divided by its norm (``norms``, none zero), in X's
    dtype: rows of unit length, as cosine (spherical) k-means reads them.

    Dense ``X`` is divided in place when ``copy=False``; a CSR matrix gets a new
    ``data`` array (its ``indices`` and ``indptr`` are shared), and is never made
    dense.
    """
    if sp.issparse(X):
        scale = np.repeat(norms, np.diff(X.indptr))
        data = np.divide(X.data, scale).astype(X.dtype, copy=False)
        out = sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape, copy=False)
        out.has_sorted_indices = X.has_sorted_indices
        return out
    out = X if not copy else np.empty_like(X, order="C")
    # float64 division, rounded once to X's dtype (the ufunc casts in buffers, so
    # float32 data takes no float64 copy).
    np.divide(X, norms[:, None], out=out, casting="same_kind")
    return out
