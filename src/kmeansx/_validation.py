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


def format_rows(rows: Sequence) -> str:
    """The first few row labels, and how many rows in all when there are more.

    Every message that locates rows, here and in the tables of ``segment`` and
    ``choose_k``, lists them this way.

    Examples
    --------
    >>> from kmeansx._validation import format_rows
    >>> format_rows(range(8))
    '0, 1, 2, 3, 4, ... (8 rows in all)'
    """
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:_SHOW_ROWS])
    more = len(rows) - _SHOW_ROWS
    return shown + (f", ... ({len(rows)} rows in all)" if more > 0 else "")


def format_where(rows, index=None) -> str:
    """``"row 3, 9"``, or ``"line 5, 11"`` when ``index`` holds a file's line numbers.

    A table read from CSV by the command line is indexed by its lines (the header
    being line 1) under the name ``"line"``, so that a message points into the
    file; any other index is spoken of in rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx._validation import format_where
    >>> format_where([5, 11], pd.Index([2, 5, 11], name="line"))
    'line 5, 11'
    >>> format_where([3])
    'row 3'
    """
    word = "line" if getattr(index, "name", None) == "line" else "row"
    return f"{word} {format_rows(rows)}"


def _column_names(X, n_features: int) -> list[str]:
    names = getattr(X, "columns", None)
    if names is None:
        return [str(f) for f in range(n_features)]
    return [str(c) for c in names]


def _holds_only_numbers(column) -> bool:
    import pandas as pd

    # Object columns of Python numbers pass, as NumPy object arrays of numbers do;
    # a lazy (Dask) column is judged by its dtype alone: its values stay remote.
    if not isinstance(column, pd.Series) or not pd.api.types.is_object_dtype(column):
        return False
    return all(isinstance(v, numbers.Number) for v in column.dropna())


def non_numeric_columns(X) -> list:
    """The columns of a table (pandas or Dask) that k-means cannot read as numbers.

    A column passes with a numeric or boolean dtype, or, in memory, with dtype
    object and only numbers in it. Complex columns pass here: see
    :func:`check_numeric_columns`.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx._validation import non_numeric_columns
    >>> non_numeric_columns(pd.DataFrame({"a": [1.0], "b": ["x"], "c": [True]}))
    ['b']
    """
    import pandas as pd

    bad = []
    for j, (col, dtype) in enumerate(zip(X.columns, X.dtypes, strict=True)):
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            continue
        # By position: a table may hold two columns of one name.
        column = X.iloc[:, j] if isinstance(X, pd.DataFrame) else None
        if not _holds_only_numbers(column):
            bad.append(col)
    return bad


def _drop(col) -> str:
    return (
        "select numeric columns, or encode or drop these (for instance "
        f"df.drop(columns=[{col!r}]))"
    )


def _what_it_holds(X, col) -> tuple[str, str]:
    """For an in-memory column: what it holds and at which rows, and the fix."""
    import pandas as pd

    column = X.iloc[:, list(X.columns).index(col)]
    if pd.api.types.is_datetime64_any_dtype(column):
        return f": column {col!r} holds dates", _drop(col)
    if not (
        pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)
    ):
        return f": column {col!r} has dtype {column.dtype}", _drop(col)
    # Text is what pd.to_numeric cannot read: "twelve" is located, "12.5" is not.
    text = (pd.to_numeric(column, errors="coerce").isna() & column.notna()).to_numpy()
    if text.any():
        value = column.to_numpy()[text][0]
        rows = format_where(column.index[text], column.index)
        return (
            f": column {col!r} holds text ({value!r} at {rows})",
            f"fix or drop those values, {_drop(col)}",
        )
    return (
        f": column {col!r} holds numbers stored as text",
        f"convert it first, e.g. df[{col!r}] = pd.to_numeric(df[{col!r}])",
    )


def check_numeric_columns(X, *, name: str = "X") -> None:
    """Raise if a table has a column that k-means cannot use, naming it.

    The one check of columns for every surface: ``KMeans`` and the lesson's steps,
    the tables of ``segment``, ``choose_k`` and the command line, and Dask
    DataFrames. In memory the message also says what the first bad column holds
    and at which rows; a Dask DataFrame is judged by its dtypes (its values stay
    remote). Anything without ``columns`` and ``dtypes`` (an array) passes: see
    :func:`check_object_array`.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx._validation import check_numeric_columns
    >>> df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "2"]})
    >>> try:
    ...     check_numeric_columns(df)
    ... except ValueError as e:
    ...     print(str(e).split(";")[0])
    X has non-numeric column(s) 'b': column 'b' holds text ('x' at row 0)
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    import pandas as pd

    complex_ = [
        col
        for col, dtype in zip(X.columns, dtypes, strict=True)
        if pd.api.types.is_complex_dtype(dtype)
    ]
    if complex_:
        raise ValueError(
            f"{name} has complex column(s) {', '.join(map(repr, complex_))}; k-means "
            "needs real numbers: keep the real part or the modulus (np.abs) first."
        )
    bad = non_numeric_columns(X)
    if not bad:
        return
    where, fix = "", _drop(bad[0])
    if isinstance(X, pd.DataFrame):
        where, fix = _what_it_holds(X, bad[0])
    raise ValueError(
        f"{name} has non-numeric column(s) {', '.join(map(repr, bad))}{where}; "
        f"k-means needs numbers: {fix}."
    )


def check_object_array(X, *, name: str = "X") -> None:
    """Raise a located error for text inside an array-like that is not a DataFrame."""
    if hasattr(X, "columns") or sp.issparse(X):
        return
    try:
        arr = np.asarray(X)
    except Exception:  # ragged lists: let the shape checks speak
        return
    if arr.dtype.kind == "c":
        # Else scikit-learn's message prints the whole array; its first words stay
        # (its estimator checks match them).
        raise ValueError(
            f"Complex data not supported: {name} holds complex numbers (dtype "
            f"{arr.dtype}); k-means needs real numbers: keep the real part or the "
            "modulus (np.abs) first."
        )
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
            f"{format_rows(labels)}); k-means needs finite values: drop those rows "
            f"({drop}) or impute them first."
        )


def zero_rows_error(zero, *, name: str = "X", index=None) -> ValueError:
    """The error for rows of zeros at positions ``zero`` (``index``: a DataFrame's
    row labels): cosine k-means needs a direction for every row."""
    labels = list(np.asarray(index)[zero]) if index is not None else list(zero)
    return ValueError(
        f"{name} has a row of zeros at row(s) {format_rows(labels)}: it has no "
        "direction, so it has no cosine to any center. Drop those rows (keep "
        f"{name}[np.abs({name}).sum(axis=1) > 0]) or use KMeans, which takes them."
    )


def check_int(name: str, value, low: int) -> None:
    """An estimator's whole-number parameter: an int (a bool is not one) >= low."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}.")


def check_tol(tol) -> None:
    if not isinstance(tol, numbers.Real) or tol < 0:
        raise ValueError(f"tol must be a float >= 0, got {tol!r}.")


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
            f"sample_weight contains NaN or inf at row(s) {format_rows(bad)}."
        )
    neg = np.flatnonzero(w < 0)
    if neg.size:
        raise ValueError(
            "sample_weight must be non-negative; negative at row(s) "
            f"{format_rows(neg)}."
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
