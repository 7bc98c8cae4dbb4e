"""Tables in, numbers out: column choice, located input errors, and scaling.

Shared by :func:`kmeansx.choose_k`, :func:`kmeansx.segment` and the model files, so
that every surface reports a bad column or row the same way and scales the same way.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

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
class Prepared:
    """The numeric part of a table: ``values`` are the kept rows of ``columns``."""

    values: np.ndarray
    columns: list
    index: pd.Index
    kept: np.ndarray

    @property
    def n_distinct(self) -> int:
        return int(np.unique(self.values, axis=0).shape[0])


def prepare(X, columns=None, *, dropna: bool = False) -> Prepared:
    """Select, check and convert: a clear error for every kind of bad input."""
    df = as_frame(X)
    if df.shape[0] == 0:
        raise ValueError("the table has no rows.")
    cols = select_columns(df, columns)
    sub = df[cols]
    check_numeric_columns(sub, name="the table")
    values = sub.apply(pd.to_numeric).to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    inf_rows = np.isinf(values)
    if inf_rows.any():
        j = int(np.flatnonzero(inf_rows.any(axis=0))[0])
        rows = df.index[inf_rows[:, j]]
        raise ValueError(
            f"column {cols[j]!r} holds infinity at row {format_rows(rows)}; replace "
            "or drop those rows."
        )
    kept = finite.all(axis=1)
    if not kept.all():
        if not dropna:
            j = int(np.flatnonzero(~finite.all(axis=0))[0])
            rows = df.index[~finite[:, j]]
            raise ValueError(
                f"column {cols[j]!r} has missing values at row {format_rows(rows)}; "
                "drop those rows (dropna=True, or --dropna) or fill them first."
            )
        values = values[kept]
        if values.shape[0] == 0:
            raise ValueError("no rows left after dropping rows with missing values.")
    return Prepared(np.ascontiguousarray(values), cols, df.index, kept)


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
    def fit(cls, values: np.ndarray, method) -> Scaler:
        method = check_scale(method)
        d = values.shape[1]
        if method is None:
            return cls(None, np.zeros(d), np.ones(d))
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
