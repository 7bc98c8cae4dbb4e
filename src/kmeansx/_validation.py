"""Every input check, shared by all surfaces.

Errors say what is wrong, where (column and rows) and how to fix it, so that no bad
value reaches a Numba kernel.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

_SHOW_ROWS = 5


def _fmt_rows(rows: Sequence) -> str:
    shown = ", ".join(str(r) for r in list(rows)[:_SHOW_ROWS])
    more = len(rows) - _SHOW_ROWS
    return shown + (f", ... ({len(rows)} rows in all)" if more > 0 else "")


def _column_names(X, n_features: int) -> list[str]:
    names = getattr(X, "columns", None)
    if names is None:
        return [str(f) for f in range(n_features)]
    return [str(c) for c in names]


def check_numeric_columns(X, *, name: str = "X") -> None:
    """Raise if a DataFrame has a column that is not numeric, naming it."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    import pandas as pd

    bad = []
    for col, dtype in zip(X.columns, dtypes, strict=True):
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
            continue
        if not pd.api.types.is_numeric_dtype(dtype):
            bad.append(col)
    if bad:
        col = bad[0]
        values = X[col]
        sample = next(
            (v for v in values if not isinstance(v, numbers.Number)), values.iloc[0]
        )
        listed = ", ".join(repr(c) for c in bad)
        raise ValueError(
            f"{name} has non-numeric column(s) {listed} (for instance {sample!r} in "
            f"column {col!r}); k-means needs numbers: select numeric columns, or "
            f"encode or drop these (for instance df.drop(columns=[{col!r}]))."
        )


def check_object_array(X, *, name: str = "X") -> None:
    """Raise a located error for text inside an array-like that is not a DataFrame."""
    if hasattr(X, "columns") or sp.issparse(X):
        return
    try:
        arr = np.asarray(X)
    except Exception:  # ragged lists: let the shape checks speak
        return
    if arr.dtype.kind not in "OUS":
        return
    if arr.ndim != 2:
        return
    for (i, j), v in np.ndenumerate(arr):
        if isinstance(v, numbers.Number) and not isinstance(v, bool | np.bool_):
            continue
        try:
            float(v)
        except ValueError:
            raise ValueError(
                f"{name} has a non-numeric value {v!r} at row {i}, column {j}; "
                "k-means needs numbers: convert or drop that column."
            ) from None
        except TypeError as exc:
            # Not even text (a dict, a list): a TypeError, as NumPy and
            # scikit-learn raise, keeping float()'s "argument must be a string or
            # a real number" and saying where.
            raise TypeError(
                f"{name} has a value of type {type(v).__name__} at row {i}, column "
                f"{j}: {exc}; k-means needs numbers."
            ) from None


def check_finite(X, *, name: str = "X", columns=None, index=None) -> None:
    """Raise naming the column and rows that hold NaN or infinity."""
    data = X.data if sp.issparse(X) else X
    # A NaN or an infinity makes the sum NaN or infinite, so a finite sum proves
    # every value finite without np.isfinite's mask (n * d bytes: a quarter of
    # float32 data). Only a sum that overflows goes on to the mask.
    if data.size == 0 or np.isfinite(data.sum(dtype=np.float64)):
        return
    if np.isfinite(data).all():
        return
    dense_bad = ~np.isfinite(X.toarray() if sp.issparse(X) else X)
    n_features = dense_bad.shape[1]
    names = list(columns) if columns is not None else _column_names(X, n_features)
    for j in range(n_features):
        rows = np.flatnonzero(dense_bad[:, j])
        if rows.size == 0:
            continue
        col = (X.toarray() if sp.issparse(X) else X)[rows, j]
        what = "NaN" if np.isnan(col).any() else "inf"
        labels = list(np.asarray(index)[rows]) if index is not None else list(rows)
        # dropna() leaves infinities in place: say how to drop those too.
        drop = (
            "df.dropna()"
            if what == "NaN"
            else "df.replace([np.inf, -np.inf], np.nan).dropna()"
        )
        raise ValueError(
            f"{name} contains {what} in column {names[j]!r} (row(s) "
            f"{_fmt_rows(labels)}); k-means needs finite values: drop those rows "
            f"({drop}) or impute them first."
        )


def check_n_clusters(n_clusters: int, n_samples: int) -> None:
    if n_samples < n_clusters:
        raise ValueError(
            f"n_samples={n_samples} should be >= n_clusters={n_clusters}: there are "
            f"fewer samples than clusters; ask for at most {n_samples} clusters."
        )


def uniform_weights(value, n_samples: int, dtype) -> np.ndarray:
    """``n_samples`` weights all equal to ``value``: a read-only view with stride 0,
    so that the default weights cost no memory (an n-long array of float64 ones is
    3% of a float64 dataset of 32 features, 12% at 8)."""
    return np.broadcast_to(np.full(1, value, dtype=dtype), (n_samples,))


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray:
    """Return a 1-D weight array of ``dtype``: equal weights (None or a number) as
    :func:`uniform_weights`, an array checked and made contiguous."""
    if sample_weight is None:
        return uniform_weights(1, n_samples, dtype)
    if isinstance(sample_weight, numbers.Number):
        w = uniform_weights(sample_weight, n_samples, dtype)
        if not np.isfinite(w[:1]).all() or (n_samples and not w[0] > 0):
            raise ValueError(
                f"sample_weight={sample_weight!r}: a single weight must be a finite "
                "number > 0."
            )
        return w
    w = np.asarray(sample_weight)
    if w.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D of shape (n_samples,), got shape {w.shape}."
        )
    if w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {w.shape[0]} entries but X has {n_samples} samples "
            f"(sample_weight.shape == ({w.shape[0]},), expected ({n_samples},))."
        )
    try:
        w = w.astype(dtype)
    except (TypeError, ValueError):
        raise ValueError("sample_weight must hold numbers.") from None
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        raise ValueError(
            f"sample_weight contains NaN or inf at row(s) {_fmt_rows(bad)}."
        )
    neg = np.flatnonzero(w < 0)
    if neg.size:
        raise ValueError(
            f"sample_weight must be non-negative; negative at row(s) {_fmt_rows(neg)}."
        )
    if n_samples and not w.sum() > 0:
        raise ValueError("sample_weight sums to zero; at least one weight must be > 0.")
    return np.ascontiguousarray(w)


def check_shape_2d(X, *, name: str = "X") -> None:
    """Raise a clear error for 1-D, 3-D or empty input (before any conversion)."""
    shape = getattr(X, "shape", None)
    if shape is None:
        try:
            shape = np.asarray(X, dtype=object).shape
        except Exception:
            return
    if len(shape) == 1:
        raise ValueError(
            "Expected 2D array, got 1D array instead: "
            f"{name} has shape {tuple(shape)}. Reshape your data with "
            "X.reshape(-1, 1) if it is one feature, or "
            "X.reshape(1, -1) if it is one sample."
        )
    if len(shape) > 2:
        raise ValueError(
            f"Expected 2D array, got {len(shape)}D: {name} has shape {tuple(shape)}; "
            "pass (n_samples, n_features)."
        )
    if len(shape) == 2 and shape[0] == 0:
        raise ValueError(
            f"{name} is empty: found 0 sample(s) (shape={tuple(shape)}) while a "
            "minimum of 1 is required."
        )
    if len(shape) == 2 and shape[1] == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape={tuple(shape)}) while a minimum of 1 is "
            "required."
        )


def check_centers_shape(centers, n_clusters: int, n_features: int) -> None:
    """Initial centers must be ``(n_clusters, n_features)``."""
    if centers.ndim != 2 or centers.shape[0] != n_clusters:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the "
            f"number of clusters {n_clusters}."
        )
    if centers.shape[1] != n_features:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the "
            f"number of features of the data {n_features}."
        )


def check_init_centers(init, n_clusters: int, n_features: int, dtype) -> np.ndarray:
    """Initial centers given as an array: the right shape, finite, in ``dtype``."""
    centers = np.asarray(init, dtype=dtype)
    check_centers_shape(centers, n_clusters, n_features)
    if not np.isfinite(centers).all():
        raise ValueError("init contains NaN or inf; pass finite centers.")
    return centers
