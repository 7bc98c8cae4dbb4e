"""Tables in, numbers out: column choice, missing values, and scaling.

Shared by :func:`kmeansx.choose_k`, :func:`kmeansx.segment`, :mod:`kmeansx.plot`,
the model files and the command line, so that every surface picks columns, reports
a bad column or row (through :mod:`kmeansx._validation`) and scales the same way.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from kmeansx._validation import check_numeric_columns, format_rows

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

    @cached_property
    def n_distinct(self) -> int:
        """How many distinct rows: at most this many clusters (counted once)."""
        return int(np.unique(self.values, axis=0).shape[0])


def prepare(X, columns=None, *, dropna: bool = False, scale=None) -> Prepared:
    """Select, check, convert and scale: a clear error for every kind of bad input.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
    columns : list of str, default=None
        None takes every column.
    dropna : bool, default=False
        Drop the rows with a missing value instead of raising.
    scale : {"standard", "robust", None}, default=None
        The scaling to fit on the kept rows (see :class:`Scaler`).

    Returns
    -------
    Prepared
    """
    scale = check_scale(scale)
    df = as_frame(X)
    if df.shape[0] == 0:
        raise ValueError("the table has no rows.")
    cols = select_columns(df, columns)
    sub = df[cols]
    check_numeric_columns(sub, name="the table")
    values = sub.apply(pd.to_numeric).to_numpy(dtype=np.float64, na_value=np.nan)
    kept = _check_finite_rows(values, cols, df.index, dropna)
    values = np.ascontiguousarray(values[kept] if not kept.all() else values)
    scaler = Scaler.fit(values, scale)
    # Unscaled, the values are what the model sees: no copy.
    scaled = values if scale is None else scaler.transform(values)
    return Prepared(values, cols, df.index, kept, dropna, scaler, scaled)


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
        rows = index[inf_rows[:, j]]
        raise ValueError(
            f"column {cols[j]!r} holds infinity at row {format_rows(rows)}; replace "
            "or drop those rows."
        )
    kept = finite.all(axis=1)
    if not kept.all():
        if not dropna:
            j = int(np.flatnonzero(~finite.all(axis=0))[0])
            rows = index[~finite[:, j]]
            raise ValueError(
                f"column {cols[j]!r} has missing values at row {format_rows(rows)}; "
                "drop those rows (dropna=True, or --dropna) or fill them first."
            )
        if not kept.any():
            raise ValueError("no rows left after dropping rows with missing values.")
    return kept


def check_k(n_clusters: int, prepared: Prepared) -> None:
    """k must not exceed the rows nor the distinct points (named fixes)."""
    n = prepared.values.shape[0]
    if n_clusters > n:
        raise ValueError(
            f"n_clusters={n_clusters} is larger than the number of rows ({n}); ask "
            f"for at most {n} clusters."
        )
    distinct = prepared.n_distinct
    if n_clusters > distinct:
        raise ValueError(
            f"n_clusters={n_clusters} is larger than the number of distinct points "
            f"({distinct} among {n} rows); ask for at most {distinct} clusters."
        )
