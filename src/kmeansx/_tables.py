"""Tables in, numbers out: column choice, missing values, and scaling.

Shared by :func:`kmeansx.choose_k`, :func:`kmeansx.segment`, :mod:`kmeansx.plot`,
the model files and the command line, so that every surface picks columns, reports
a bad column or row (through :mod:`kmeansx._validation`) and scales the same way.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from kmeansx._validation import (
    check_numeric_columns,
    format_where,
    non_numeric_columns,
)

SCALES = ("standard", "robust", None)


def check_scale(scale) -> str | None:
    """``scale`` as stored: "standard", "robust" or None ("none" is accepted)."""
    if isinstance(scale, str) and scale.lower() == "none":
        return None
    if scale not in SCALES:
        raise ValueError(f"scale must be 'standard', 'robust' or None, got {scale!r}.")
    return scale


def suggest(name, choices) -> str:
    """Return " did you mean X?" for the names near ``name``, or ""."""
    choices = [str(c) for c in choices]
    lower = {c.lower(): c for c in choices}
    near = []
    if str(name).lower() in lower:
        near.append(lower[str(name).lower()])
    near += difflib.get_close_matches(str(name), choices, n=3, cutoff=0.5)
    near = list(dict.fromkeys(near))
    if not near:
        return ""
    return " did you mean " + " or ".join(repr(c) for c in near) + "?"


def as_frame(X) -> pd.DataFrame:
    """A DataFrame view of ``X``; arrays get columns ``x0, x1, ...``."""
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        raise ValueError(
            "X is one column (a Series); pass a DataFrame, e.g. df[['A']] instead "
            "of df['A']."
        )
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(
            f"Expected a 2-D table (n_samples, n_features), got shape {arr.shape}; "
            "reshape with X.reshape(-1, 1) for one feature."
        )
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])


def select_columns(df: pd.DataFrame, columns=None) -> list:
    """The columns to cluster on, checked to exist (with the closest names if not)."""
    if columns is None:
        cols = list(df.columns)
    else:
        if isinstance(columns, str):
            columns = [columns]
        cols = list(columns)
        if not cols:
            raise ValueError("columns is empty; name at least one column.")
        have = list(df.columns)
        for c in cols:
            if c not in have:
                listed = ", ".join(repr(str(h)) for h in have)
                raise ValueError(
                    f"column {c!r} not found;{suggest(c, have)} the table has: "
                    f"{listed}."
                )
        dup = [c for c in cols if cols.count(c) > 1]
        if dup:
            raise ValueError(f"column {dup[0]!r} is listed twice in columns.")
    if not cols:
        raise ValueError("the table has no columns.")
    return cols


# Names that say "identifier": id, *_id, "Customer ID", CustomerID, customerId, and
# codes and numbers of things (zip_code, account_no). Matched on integer columns only.
_ID_NAME = re.compile(
    r"(?i:^(id|uuid|guid)$|^id[\s_.-]|[\s_.-](id|uuid|code|key|no|nr|number)$)"
    r"|[a-z0-9](ID|Id)$"
)
# What pandas calls a column without a header (a written index), and index names.
_INDEX_NAME = re.compile(r"(?i)^(unnamed: \d+|index|idx|row|rownum|row_?number|#)?$")
# Classes and the labels of an earlier clustering: not measurements to cluster on.
_LABEL_NAMES = {"target", "label", "labels", "class", "cluster", "segment", "y"}
# Below this many rows, unique consecutive integers are as likely a measurement.
_MIN_ROWS_FOR_RUN = 10
# Text that is numbers written with a thousands separator or a decimal comma.
_NUMBER_TEXT = re.compile(r"^\s*[+-]?\d{1,3}([,. \u00a0']\d{3})*([.,]\d+)?\s*$")
# Text that is dates: 2024-01-31 (and a time), 31/01/2024, 1.2.24.
_DATE_TEXT = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2}([ T][\d:.]+)?|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})\s*$"
)


@dataclass(frozen=True)
class ColumnChoice:
    """The columns to cluster on, and the ones left out with the reason.

    Attributes
    ----------
    columns : list
        The columns used, in the table's order (or the order given).
    left_out : dict
        Column -> why it was left out: "an identifier", "an index column", "a
        label", "text", "numbers written as text", "dates, as text", "a date",
        "a category", "excluded" (asked for). Empty when the columns were named.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx._tables import choose_columns
    >>> df = pd.DataFrame({"CustomerID": [1, 2, 3], "Gender": ["F", "M", "F"],
    ...                    "Age": [19, 21, 20], "Income": [15.0, 15.5, 16.0]})
    >>> choice = choose_columns(df)
    >>> choice.columns, choice.left_out
    (['Age', 'Income'], {'CustomerID': 'an identifier', 'Gender': 'text'})
    """

    columns: list
    left_out: dict = field(default_factory=dict)


def _integral(column: pd.Series) -> bool:
    """Whole numbers only: an integer dtype, or floats without fractions."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return False
    if pd.api.types.is_integer_dtype(column.dtype):
        return True
    if not pd.api.types.is_float_dtype(column.dtype):
        return False
    values = column.dropna().to_numpy()
    # Infinity is no whole number (and its remainder would warn).
    if not values.size or not np.isfinite(values).all():
        return False
    return bool(np.all(values % 1 == 0))


def _consecutive_unique(column: pd.Series) -> bool:
    """One integer per row, each once, with no gaps: 1..n, 0..n-1, 1001..1000+n."""
    values = column.to_numpy()
    n = values.shape[0]
    if n < _MIN_ROWS_FOR_RUN or column.isna().any():
        return False
    return bool(values.max() - values.min() == n - 1) and column.is_unique


def why_left_out(name, column) -> str | None:
    """Why the default choice leaves a column out, or None to use it.

    ``column`` is a Series, or only a dtype (a Dask column, whose values stay
    remote): then identifiers are recognised by their name alone.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx._tables import why_left_out
    >>> why_left_out("store_id", pd.Series([3, 3, 7])), why_left_out("Age", [1.5])
    ('an identifier', None)
    """
    if not isinstance(column, pd.Series) and not hasattr(column, "kind"):
        column = pd.Series(column)
    dtype = column.dtype if isinstance(column, pd.Series) else column
    text_name = str(name)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "a date"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "a duration"
    if isinstance(dtype, pd.CategoricalDtype):
        return "a category"
    if isinstance(column, pd.Series) and non_numeric_columns(column.to_frame()):
        values = column.dropna().astype(str)
        if len(values) and values.str.fullmatch(_NUMBER_TEXT.pattern).all():
            return "numbers written as text"
        if len(values) and values.str.fullmatch(_DATE_TEXT.pattern).all():
            return "dates, as text"
        return "text"
    if not isinstance(column, pd.Series):
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ):
            return "text"
        integral = pd.api.types.is_integer_dtype(dtype) and not (
            pd.api.types.is_bool_dtype(dtype)
        )
    else:
        integral = _integral(column)
    if not integral:
        return None
    if _INDEX_NAME.fullmatch(text_name):
        return "an index column"
    if _ID_NAME.search(text_name):
        return "an identifier"
    if text_name.strip().lower() in _LABEL_NAMES:
        return "a label"
    if isinstance(column, pd.Series) and _consecutive_unique(column):
        return "an identifier"
    return None


def choose_columns(df: pd.DataFrame, columns=None, *, exclude=None) -> ColumnChoice:
    """The columns to cluster on: the ones named, or a safe default.

    Without ``columns``, every numeric column is used except those that would
    cluster on bookkeeping rather than measurements: identifiers (integer columns
    named like ``id``, ``*_id``, ``Customer ID``, ``CustomerID``, ``*_code``, or
    holding each of n consecutive integers once, in tables of 10 rows or more),
    an unnamed index column (``Unnamed: 0``), labels (integer columns named
    ``target``, ``label``, ``class``, ``cluster``, ``segment``, ``y``), and text,
    dates and categories. Named columns are used as named: a named column of
    text or dates is refused later, by :func:`prepare`, with its rows.

    Parameters
    ----------
    df : DataFrame
    columns : list of str, default=None
        The columns to use; None chooses as above.
    exclude : list of str, default=None
        Columns never to use, on top of the choice (each must exist).

    Returns
    -------
    ColumnChoice

    Raises
    ------
    ValueError
        A named or excluded column is not in the table, or no column is left.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx._tables import choose_columns
    >>> df = pd.DataFrame({"id": [1, 2], "a": [0.5, 1.5], "b": [2.0, 1.0]})
    >>> choose_columns(df, exclude=["b"]).left_out
    {'id': 'an identifier', 'b': 'excluded'}
    """
    exclude = [] if exclude is None else select_columns(df, exclude)
    if columns is not None:
        cols = select_columns(df, columns)
        left = {c: "excluded" for c in cols if c in exclude}
        cols = [c for c in cols if c not in exclude]
        if not cols:
            raise ValueError("every column named is also excluded; nothing is left.")
        return ColumnChoice(cols, left)
    cols, left = [], {}
    for j, name in enumerate(df.columns):
        # By position: a table may hold two columns of one name.
        reason = "excluded" if name in exclude else why_left_out(name, df.iloc[:, j])
        if reason is None:
            cols.append(name)
        else:
            left[name] = reason
    if not df.shape[1]:
        raise ValueError("the table has no columns.")
    if not cols:
        listed = ", ".join(f"{c} ({why})" for c, why in left.items())
        raise ValueError(
            f"no numeric column to cluster on: left out {listed}; name the columns "
            "to use (columns=[...], --columns)."
        )
    return ColumnChoice(cols, left)


@dataclass(frozen=True)
class Scaler:
    """How columns were scaled before clustering: ``(x - center) / scale``.

    ``method`` is "standard" (mean and population standard deviation), "robust"
    (median and interquartile range) or None (no scaling: center 0, scale 1). A
    constant column keeps scale 1, as scikit-learn's scalers do.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._tables import Scaler
    >>> s = Scaler.fit(np.array([[1.0, 10.0], [3.0, 30.0]]), "standard")
    >>> s.transform(np.array([[3.0, 10.0]])).tolist()
    [[1.0, -1.0]]
    """

    method: str | None
    center: np.ndarray
    scale: np.ndarray

    @classmethod
    def identity(cls, n_features: int) -> Scaler:
        """No scaling: center 0, scale 1."""
        return cls(None, np.zeros(n_features), np.ones(n_features))

    @classmethod
    def fit(cls, values: np.ndarray, method) -> Scaler:
        method = check_scale(method)
        if method is None:
            return cls.identity(values.shape[1])
        if method == "standard":
            center, scale = values.mean(axis=0), values.std(axis=0)
        else:
            q25, center, q75 = np.percentile(values, [25, 50, 75], axis=0)
            scale = q75 - q25
        scale = np.where(scale == 0, 1.0, scale)
        return cls(method, center.astype(np.float64), scale.astype(np.float64))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float64) - self.center) / self.scale

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * self.scale + self.center


@dataclass(frozen=True)
class Prepared:
    """A table made ready for k-means, once: selected, checked, converted, scaled.

    :func:`prepare` makes it; :func:`kmeansx.segment`, :func:`kmeansx.choose_k`
    and the pictures of :mod:`kmeansx.plot` take it in place of the table and use
    it as it is (see :func:`as_prepared`), so that one ``kmeansx fit`` reads,
    checks and scales its table once.

    Attributes
    ----------
    values : ndarray of shape (n_kept, n_columns)
        The kept rows of ``columns``, float64, in the columns' own units.
    columns : list
        The columns, in order.
    index : Index
        The table's index, every row (kept or not).
    kept : ndarray of bool of shape (n_rows,)
        The rows in ``values``: all of them unless ``dropna`` dropped some.
    dropna : bool
        Whether rows with a missing value were dropped (their label is then
        ``<NA>``) rather than refused.
    scaler : Scaler
        Fitted on ``values`` (method None: no scaling).
    scaled : ndarray of shape (n_kept, n_columns)
        ``scaler.transform(values)``: what the model sees.
    left_out : dict
        The table's columns left out by the default choice, with the reason (see
        :func:`choose_columns`); empty when the columns were named or ``X`` is an
        array.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx._tables import prepare
    >>> df = pd.DataFrame({"a": [1.0, 3.0, None], "name": ["x", "y", "z"]})
    >>> p = prepare(df, ["a"], dropna=True, scale="standard")
    >>> p.values.ravel().tolist(), p.scaled.ravel().tolist(), p.kept.tolist()
    ([1.0, 3.0], [-1.0, 1.0], [True, True, False])
    """

    values: np.ndarray
    columns: list
    index: pd.Index
    kept: np.ndarray
    dropna: bool
    scaler: Scaler
    scaled: np.ndarray
    left_out: dict = field(default_factory=dict)

    @cached_property
    def n_distinct(self) -> int:
        """How many distinct rows: at most this many clusters (counted once)."""
        return int(np.unique(self.values, axis=0).shape[0])

    @cached_property
    def n_directions(self) -> int:
        """How many distinct directions among the scaled rows: at most this many
        clusters by angle (rows that differ only in length count once)."""
        norms = np.linalg.norm(self.scaled, axis=1, keepdims=True)
        unit = self.scaled / np.where(norms == 0, 1.0, norms)
        # Rows of one direction may scale to unit rows a rounding apart.
        return int(np.unique(np.round(unit, 12), axis=0).shape[0])

    def n_groups(self, metric: str = "euclidean") -> int:
        """At most this many clusters: distinct rows, or directions for cosine."""
        return self.n_directions if metric == "cosine" else self.n_distinct


def prepare(
    X, columns=None, *, dropna: bool = False, scale=None, exclude=None
) -> Prepared:
    """Select, check, convert and scale: a clear error for every kind of bad input.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
    columns : list of str, default=None
        None takes, from a DataFrame, its numeric columns less identifiers, an
        index column and labels (see :func:`choose_columns`; ``left_out`` says
        which and why), and every column of an array.
    dropna : bool, default=False
        Drop the rows with a missing value instead of raising.
    scale : {"standard", "robust", None}, default=None
        The scaling to fit on the kept rows (see :class:`Scaler`).
    exclude : list of str, default=None
        Columns never to use.

    Returns
    -------
    Prepared
    """
    scale = check_scale(scale)
    df = as_frame(X)
    if df.shape[0] == 0:
        raise ValueError("the table has no rows.")
    if isinstance(X, pd.DataFrame) or columns is not None or exclude is not None:
        choice = choose_columns(df, columns, exclude=exclude)
    else:  # an array's columns are all the user's numbers
        choice = ColumnChoice(select_columns(df))
    cols = choice.columns
    sub = df[cols]
    check_numeric_columns(sub, name="the table")
    values = sub.apply(pd.to_numeric).to_numpy(dtype=np.float64, na_value=np.nan)
    kept = _check_finite_rows(values, cols, df.index, dropna)
    values = np.ascontiguousarray(values[kept] if not kept.all() else values)
    scaler = Scaler.fit(values, scale)
    # Unscaled, the values are what the model sees: no copy.
    scaled = values if scale is None else scaler.transform(values)
    return Prepared(
        values, cols, df.index, kept, dropna, scaler, scaled, choice.left_out
    )


def as_prepared(X, columns=None, *, dropna: bool = False, scale=None) -> Prepared:
    """``prepare(X, ...)``, or ``X`` itself when it is a Prepared table already.

    A Prepared table is used as it is, so that a command prepares its table once;
    the arguments must then be the ones it was prepared with (columns=None takes
    its own), never silently different.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx._tables import as_prepared, prepare
    >>> p = prepare(pd.DataFrame({"a": [1.0, 3.0]}), scale="standard")
    >>> as_prepared(p, scale="standard") is p
    True
    """
    if not isinstance(X, Prepared):
        return prepare(X, columns, dropna=dropna, scale=scale)
    if isinstance(columns, str):
        columns = [columns]
    given = {"columns": X.columns if columns is None else list(columns)}
    given.update(dropna=dropna, scale=check_scale(scale))
    own = {"columns": X.columns, "dropna": X.dropna, "scale": X.scaler.method}
    for name, value in given.items():
        if value != own[name]:
            raise ValueError(
                f"X is a table prepared with {name}={own[name]!r}, not {value!r}; "
                f"pass {name}={own[name]!r} or the table itself."
            )
    return X


def _check_finite_rows(values, cols, index, dropna: bool) -> np.ndarray:
    """The rows to keep; infinity always raises, a missing value unless dropna."""
    finite = np.isfinite(values)
    inf_rows = np.isinf(values)
    if inf_rows.any():
        j = int(np.flatnonzero(inf_rows.any(axis=0))[0])
        where = format_where(index[inf_rows[:, j]], index)
        raise ValueError(
            f"column {cols[j]!r} holds infinity at {where}; replace or drop those rows."
        )
    kept = finite.all(axis=1)
    if not kept.all():
        if not dropna:
            j = int(np.flatnonzero(~finite.all(axis=0))[0])
            where = format_where(index[~finite[:, j]], index)
            raise ValueError(
                f"column {cols[j]!r} has missing values at {where}; drop those rows "
                "(dropna=True, or --dropna) or fill them first."
            )
        if not kept.any():
            raise ValueError("no rows left after dropping rows with missing values.")
    return kept


def check_k(n_clusters: int, prepared: Prepared, metric: str = "euclidean") -> None:
    """k must not exceed the rows nor the distinct points, or for ``metric=
    "cosine"`` the distinct directions (named fixes)."""
    n = prepared.values.shape[0]
    if n_clusters > n:
        raise ValueError(
            f"n_clusters={n_clusters} is larger than the number of rows ({n}); ask "
            f"for at most {n} clusters."
        )
    distinct = prepared.n_groups(metric)
    what = "directions" if metric == "cosine" else "points"
    if n_clusters > distinct:
        raise ValueError(
            f"n_clusters={n_clusters} is larger than the number of distinct {what} "
            f"({distinct} among {n} rows); ask for at most {distinct} clusters."
        )
