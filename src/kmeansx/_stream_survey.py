"""The first pass over a stream: the columns, every row checked, the moments of
every column and a uniform sample of rows.

The columns are chosen on the first chunk as in memory
(:func:`kmeansx._tables.choose_columns`); the means and standard deviations are
merged chunk by chunk (Chan, Golub and LeVeque), in float64, so that
``--scale standard`` scales a stream as :class:`kmeansx._tables.Scaler` scales a
table in memory; the sample (for k-means++) is the rows of the smallest random
keys, one key a row in stream order, so it does not depend on the chunks' sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmeansx._stream import TableStream, chunk_values, first_chunk
from kmeansx._tables import Scaler, check_scale, choose_columns


@dataclass(frozen=True)
class Survey:
    """What one read of the stream gives before fitting.

    Attributes
    ----------
    columns, left_out
        As :func:`kmeansx._tables.choose_columns` chose on the first chunk.
    n_rows, n_kept : int
        Rows read, and rows kept (``dropna`` drops the others).
    mean, std : ndarray of shape (n_columns,)
        Of the kept rows, float64 (population standard deviation).
    sample : ndarray of shape (n_sample, n_columns)
        A uniform sample of the kept rows without replacement, in file order,
        in the columns' own units.
    """

    columns: list
    left_out: dict
    n_rows: int
    n_kept: int
    mean: np.ndarray
    std: np.ndarray
    sample: np.ndarray


class _Moments:
    """Column means and sums of squared deviations, merged chunk by chunk (Chan,
    Golub and LeVeque), in float64."""

    def __init__(self, n_features: int):
        self.n = 0
        self.mean = np.zeros(n_features)
        self.m2 = np.zeros(n_features)

    def add(self, values: np.ndarray) -> None:
        n_b = values.shape[0]
        if n_b == 0:
            return
        mean_b = values.mean(axis=0)
        m2_b = ((values - mean_b) ** 2).sum(axis=0)
        n = self.n + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (n_b / n)
        self.m2 = self.m2 + m2_b + delta**2 * (self.n * n_b / n)
        self.n = n

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.m2 / max(self.n, 1))


class _Reservoir:
    """A uniform sample of ``size`` rows of a stream: the rows of the smallest
    random keys (one key a row, drawn in stream order, so the sample does not
    depend on the chunks' sizes)."""

    def __init__(self, size: int, n_features: int, random_state):
        self.size = size
        self.random_state = random_state
        self.keys = np.empty(0)
        self.order = np.empty(0, dtype=np.int64)
        self.rows = np.empty((0, n_features))
        self.seen = 0

    def add(self, values: np.ndarray) -> None:
        keys = self.random_state.random_sample(values.shape[0])
        order = np.arange(self.seen, self.seen + values.shape[0])
        self.seen += values.shape[0]
        if self.keys.shape[0] >= self.size:
            take = keys < self.keys.max()
            keys, order, values = keys[take], order[take], values[take]
        keys = np.concatenate([self.keys, keys])
        order = np.concatenate([self.order, order])
        rows = np.concatenate([self.rows, values])
        if keys.shape[0] > self.size:
            keep = np.argpartition(keys, self.size - 1)[: self.size]
            keys, order, rows = keys[keep], order[keep], rows[keep]
        self.keys, self.order, self.rows = keys, order, rows

    def sample(self) -> np.ndarray:
        return self.rows[np.argsort(self.order, kind="stable")]


def survey(
    stream: TableStream,
    columns=None,
    *,
    exclude=None,
    dropna: bool = False,
    sample_size: int = 3072,
    random_state=None,
    progress=None,
) -> Survey:
    """Choose the columns, check every row, and gather the moments and a sample.

    ``random_state`` (a RandomState) draws the sample's keys. ``progress`` is
    called as ``progress(description, rows_done, rows_total)``.
    """
    choice = choose_columns(first_chunk(stream), columns, exclude=exclude)
    cols = choice.columns
    moments = _Moments(len(cols))
    reservoir = _Reservoir(sample_size, len(cols), random_state)
    n_rows = 0
    for chunk in stream.chunks(cols):
        values, _ = chunk_values(chunk, cols, dropna)
        n_rows += chunk.frame.shape[0]
        moments.add(values)
        reservoir.add(values)
        if progress is not None:
            progress("reading (means, spreads, a sample)", n_rows, stream.n_rows)
    if moments.n == 0:
        raise ValueError(
            "no rows left after dropping rows with missing values."
            if n_rows
            else f"{stream.files[0]} has a header but no rows."
        )
    return Survey(
        cols,
        dict(choice.left_out),
        n_rows,
        moments.n,
        moments.mean,
        moments.std,
        reservoir.sample(),
    )


def scaler_for(survey: Survey, scale) -> Scaler:
    """The :class:`kmeansx._tables.Scaler` of the whole stream (as in memory)."""
    scale = check_scale(scale)
    if scale is None:
        return Scaler.identity(len(survey.columns))
    if scale != "standard":
        raise ValueError(
            f"scale={scale!r} needs every value of a column at once (medians and "
            "quartiles); a stream is scaled with scale='standard' or None."
        )
    std = np.where(survey.std == 0, 1.0, survey.std)
    return Scaler("standard", survey.mean.copy(), std)
