"""``KMeans`` on Dask arrays and DataFrames, run on the current ``distributed`` client.

The estimator calls these functions when ``X`` is a Dask collection (see
:func:`kmeansx._backends.is_dask_collection`). Input is checked here, in passes over
the blocks, with the messages of the in-memory checks. A fit runs the same driver
as in memory (:func:`kmeansx._fit.fit_kmeans`) on a
:class:`~kmeansx._backends._dask_source.DaskSource`, whose step
(:mod:`kmeansx._backends._dask_step`) runs the per-block work of
:mod:`kmeansx._backends._dask_blocks`.

Without a ``distributed`` client, Dask's local scheduler runs the same tasks in this
process.
"""

from __future__ import annotations

import contextlib
import numbers

import dask.array as da
import numpy as np
from dask import is_dask_collection
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from kmeansx import _validation as V
from kmeansx._backends import _dask_blocks as B
from kmeansx._backends._dask_run import (
    DaskData,
    Runner,
    block_sources,
    current_client,
)
from kmeansx._backends._dask_source import DaskSource
from kmeansx._data import scale_exponent, scaled

__all__ = ["open_source", "names_view", "predict", "transform", "score"]
__all__ += ["as_dask_array"]


# -- input -------------------------------------------------------------------------


def as_dask_array(X, name: str = "X"):
    """A 2-D float32/float64 Dask array with one block across the columns."""
    if hasattr(X, "columns") and hasattr(X, "to_dask_array"):
        V.check_numeric_columns(X, name=name)
        X = X.to_dask_array()
    elif hasattr(X, "to_dask_array"):  # a Series: one feature
        X = X.to_dask_array()
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} is a {type(X).__name__}; the Dask backend takes a "
            "dask.array.Array or a dask DataFrame of numeric columns."
        )
    V.check_shape_2d(X, name=name)
    if X.dtype.kind not in "fiub":
        raise ValueError(
            f"{name} has dtype {X.dtype}; k-means needs numbers: convert it with "
            f"{name}.astype(float)."
        )
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    if X.dtype != dtype:
        X = X.astype(dtype)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def _columns(X, n_features: int) -> list[str]:
    names = getattr(X, "columns", None)
    return (
        [str(c) for c in names]
        if names is not None
        else list(map(str, range(n_features)))
    )


def _as_weight_array(sample_weight, n_samples: int):
    if is_dask_collection(sample_weight):
        w = sample_weight
        if hasattr(w, "to_dask_array"):
            w = w.to_dask_array()
        if w.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D of shape (n_samples,), got shape {w.shape}."
            )
        if np.isnan(w.shape[0]):
            w = w.compute_chunk_sizes()
        return w
    w = np.asarray(sample_weight)
    if w.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D of shape (n_samples,), got shape {w.shape}."
        )
    return da.from_array(w, chunks=max(1, min(n_samples, 2**20)))


def _prepare_weights(sample_weight, counts, dtype, runner):
    """Per-block weights (Delayed, aligned with X's blocks) and their block sums."""
    n = int(counts.sum())
    if sample_weight is None:
        return None, counts.astype(np.float64)
    if isinstance(sample_weight, numbers.Number):
        value = np.asarray(sample_weight, dtype=dtype)
        return [value] * len(counts), counts * float(value)
    w = _as_weight_array(sample_weight, n)
    if w.shape[0] != n:
        raise ValueError(
            f"sample_weight has {w.shape[0]} entries but X has {n} samples "
            f"(sample_weight.shape == ({w.shape[0]},), expected ({n},))."
        )
    if w.dtype.kind not in "fiub":
        raise ValueError("sample_weight must hold numbers.")
    w = w.astype(dtype).rechunk((tuple(int(c) for c in counts),))
    blocks = block_sources(w)
    stats = runner.compute(
        [runner.task(B.weight_stats, wb, name=runner.name("wstats")) for wb in blocks]
    )
    offset = 0
    for (_, first_bad, first_neg), count in zip(stats, counts, strict=True):
        if first_bad >= 0:
            raise ValueError(
                f"sample_weight contains NaN or inf at row(s) {offset + first_bad}."
            )
        if first_neg >= 0:
            raise ValueError(
                "sample_weight must be non-negative; negative at row(s) "
                f"{offset + first_neg}."
            )
        offset += int(count)
    sums = np.array([s[0] for s in stats])
    if not sums.sum() > 0:
        raise ValueError("sample_weight sums to zero; at least one weight must be > 0.")
    return blocks, sums


def prepare(
    X, sample_weight, n_clusters: int, runner: Runner, columns, spherical=False
) -> DaskData:
    """One pass for the shape, mean, variance and finiteness; one over the weights.

    Data whose squared distances would overflow or underflow is clustered as
    ``X * 2**exponent`` (exact; see ``kmeansx._data.scale_exponent``): a second
    pass then takes the statistics of the scaled blocks. ``spherical`` (cosine
    k-means) takes one pass for the rows of zeros instead, and clusters the rows
    scaled to unit length (lazily, block by block), read as they are (no mean
    subtracted): the statistics are then those of the unit rows.
    """
    n_features = X.shape[1]
    stats = _block_stats(X, runner)
    counts = np.array([s[0] for s in stats], dtype=np.int64)
    n = int(counts.sum())
    if n == 0:
        raise ValueError(
            f"X is empty: found 0 sample(s) (shape=(0, {n_features})) while a minimum "
            "of 1 is required."
        )
    offset = 0
    for count, _, _, bad, _ in stats:
        if bad is not None:
            row, col, is_nan = bad
            names = _columns(columns, n_features)
            raise ValueError(
                f"X contains {'NaN' if is_nan else 'inf'} in column {names[col]!r} "
                f"(row(s) {offset + row}); k-means needs finite values: drop those "
                "rows (df.dropna()) or impute them first."
            )
        offset += count
    V.check_n_clusters(n_clusters, n)
    largest = max(s[4] for s in stats)
    exponent = 0 if spherical else scale_exponent(largest, n_features, X.dtype)
    if spherical:
        _check_nonzero_rows(X, counts, runner)
        X = X.map_blocks(B.unit_block, dtype=X.dtype)
        stats = _block_stats(X, runner)
    if exponent:
        X = X.map_blocks(scaled, exponent, dtype=X.dtype)
        stats = _block_stats(X, runner)
    sums = np.zeros(n_features)
    for s in stats:
        sums += s[1]
    mean = sums / n
    m2 = np.zeros(n_features)
    for count, block_sums, block_m2, _, _ in stats:
        if count:
            m2 += block_m2 + count * (block_sums / count - mean) ** 2
    weights, block_weight = _prepare_weights(sample_weight, counts, X.dtype, runner)
    # No centered copy is held, in the cluster's memory or in a task's: the kernels
    # center rows as they read them (kmeansx._kernels.centered), as in memory.
    return DaskData(
        array=X,
        blocks=block_sources(X),
        weights=weights,
        counts=counts,
        n_features=n_features,
        dtype=X.dtype,
        mean=mean,
        mean_variance=float(np.mean(m2 / n)),
        block_weight=block_weight,
        exponent=exponent,
        spherical=spherical,
    )


def _check_nonzero_rows(X, counts, runner: Runner) -> None:
    found = runner.compute(
        [
            runner.task(B.zero_rows, xb, name=runner.name("zeros"))
            for xb in block_sources(X)
        ]
    )
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    zero = np.concatenate(
        [z + offset for z, offset in zip(found, offsets, strict=True)]
    )
    if zero.size:
        raise V.zero_rows_error(zero.astype(np.int64))


def _block_stats(X, runner: Runner) -> list:
    return runner.compute(
        [
            runner.task(B.block_stats, xb, name=runner.name("stats"))
            for xb in block_sources(X)
        ]
    )


# -- the estimator's methods -------------------------------------------------------


def names_view(X):
    """What scikit-learn reads feature names from (``_check_feature_names``): a
    DataFrame's empty pandas meta, else ``X`` itself."""
    meta = getattr(X, "_meta", None) if hasattr(X, "columns") else None
    return meta if hasattr(meta, "columns") else X


@contextlib.contextmanager
def open_source(X, sample_weight, n_clusters: int, columns=None, spherical=False):
    """The :class:`~kmeansx._backends._dask_source.DaskSource` of one fit on the
    current client: one pass checks the data (``columns`` names its columns in
    messages), and the fit's state is dropped from the workers at the end.
    ``spherical``: cosine k-means on the unit rows (see :func:`prepare`)."""
    runner = Runner(current_client())
    try:
        data = prepare(X, sample_weight, n_clusters, runner, columns, spherical)
        yield DaskSource(data, runner)
    finally:
        runner.close()


def _check_fitted_input(estimator, X):
    check_is_fitted(estimator)
    _check_feature_names(estimator, names_view(X), reset=False)
    X = as_dask_array(X)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )
    centers = np.ascontiguousarray(estimator.cluster_centers_, dtype=X.dtype)
    return X, centers


def predict(estimator, X, spherical: bool = False):
    """Labels of the nearest centers, as a Dask array of int32 (lazy);
    ``spherical``: of the rows scaled to unit length (cosine k-means)."""
    X, centers = _check_fitted_input(estimator, X)
    if spherical:
        X = X.map_blocks(B.unit_block, dtype=X.dtype)
    return _by_block(X, B.predict_block, centers, np.dtype(np.int32), columns=None)


def transform(estimator, X, spherical: bool = False):
    """Distances to every center, as a Dask array (lazy), in X's dtype;
    ``spherical``: cosine distances ``1 - cos`` (cosine k-means)."""
    X, centers = _check_fitted_input(estimator, X)
    fn = B.cosine_block if spherical else B.transform_block
    return _by_block(X, fn, centers, X.dtype, columns=len(centers))


def _by_block(X, fn, centers, dtype, *, columns: int | None):
    """``fn(block, centers)`` over the row blocks: one value per row
    (``columns=None``) or ``columns`` per row."""
    if columns is None:
        return X.map_blocks(
            fn, centers, dtype=dtype, drop_axis=1, meta=np.empty(0, dtype)
        )
    return X.map_blocks(
        fn,
        centers,
        dtype=dtype,
        chunks=(X.chunks[0], (columns,)),
        meta=np.empty((0, 0), dtype),
    )


def score(estimator, X, sample_weight=None, spherical: bool = False) -> float:
    """Opposite of the weighted inertia of ``X`` on the fitted centers (computed);
    ``spherical``: ``sum w (1 - cos)`` of the unit rows (cosine k-means)."""
    X, centers = _check_fitted_input(estimator, X)
    if spherical:
        X = X.map_blocks(B.unit_block, dtype=X.dtype)
    runner = Runner(current_client())
    blocks = block_sources(X)
    counts = np.array([np.nan if np.isnan(c) else c for c in X.chunks[0]])
    if sample_weight is not None and np.isnan(counts).any():
        X = X.compute_chunk_sizes()
        counts = np.asarray(X.chunks[0])
    weights = None
    if sample_weight is not None:
        weights, _ = _prepare_weights(
            sample_weight, counts.astype(np.int64), X.dtype, runner
        )
    tasks = [
        runner.task(
            B.score_block,
            xb,
            None if weights is None else weights[b],
            centers,
            name=runner.name("score"),
        )
        for b, xb in enumerate(blocks)
    ]
    inertia = float(np.sum(runner.compute(tasks)))
    return -(0.5 * inertia if spherical else inertia)
