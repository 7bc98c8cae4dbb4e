"""Segment a table larger than memory: mini-batch k-means over a stream of chunks.

:func:`segment_stream` is :func:`kmeansx.segment` for a file (or a folder of
files) read a chunk at a time (:mod:`kmeansx._stream`), in passes:

1. A survey (:mod:`kmeansx._stream_survey`): the columns are chosen from the
   first chunk as in memory, and every row is checked and read once for the
   mean and standard deviation of every column and for a uniform sample of
   ``init_size`` rows.
2. The initial centers: k-means++ on the scaled sample (the best of ``n_init``
   by the sample's inertia).
3. One step of :meth:`kmeansx.MiniBatchKMeans.partial_fit` on the sample (so
   that every center starts with the weight of its share of the rows: a file
   sorted by cluster does not empty the centers of the clusters it has not
   reached), then ``passes`` passes of ``partial_fit`` over the rows in file
   order, ``batch_size`` scaled rows a step (the last batch of a pass may be
   shorter).
4. A last pass labels every row: sizes, inertia, the profile in the columns'
   own units, and the rows with their ``cluster`` written to a temporary file
   renamed over the output at the end (with the model file, all or nothing).

Memory holds a chunk or two of rows, the sample and the model, whatever the
size of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from kmeansx._csv import table_kind
from kmeansx._minibatch import MiniBatchKMeans
from kmeansx._stream import TableStream, chunk_values, open_stream
from kmeansx._stream_survey import Survey, scaler_for, survey
from kmeansx._tables import Scaler, check_scale
from kmeansx.io import all_or_nothing, atomic_write, check_output, save
from kmeansx.segment import SegmentModel, profile_from_means
from kmeansx.steps import inertia as sample_inertia
from kmeansx.steps import kmeans_plusplus


def batches(stream: TableStream, columns, scaler: Scaler, dropna: bool, size: int):
    """The kept rows of the stream, scaled, in file order, ``size`` at a time
    (the last batch may be shorter); yields ``(batch, rows_read)``."""
    pending, n_pending, n_rows = [], 0, 0
    for chunk in stream.chunks(columns):
        values, _ = chunk_values(chunk, columns, dropna)
        n_rows += chunk.frame.shape[0]
        Z = scaler.transform(values)
        start = 0
        if pending and n_pending + Z.shape[0] >= size:
            start = size - n_pending
            yield np.concatenate([*pending, Z[:start]]), n_rows
            pending, n_pending = [], 0
        while not pending and start + size <= Z.shape[0]:
            yield Z[start : start + size], n_rows
            start += size
        if start < Z.shape[0]:
            pending.append(Z[start:])
            n_pending += Z.shape[0] - start
    if pending:
        yield np.concatenate(pending), n_rows


@dataclass(frozen=True)
class StreamFit:
    """A mini-batch fit of a stream, before labelling.

    ``model`` is fitted on the scaled columns (``scaler``); ``init`` is its
    initial centers, k-means++ on ``survey.sample``.
    """

    model: MiniBatchKMeans
    scaler: Scaler
    survey: Survey
    passes: int
    init: np.ndarray
    dropna: bool = False


def initial_centers(Z, n_clusters: int, n_init: int, random_state) -> np.ndarray:
    """The best of ``n_init`` k-means++ runs on the scaled sample ``Z``, by its
    inertia on ``Z``."""
    n_distinct = np.unique(Z, axis=0).shape[0]
    if n_clusters > n_distinct:
        raise ValueError(
            f"n_clusters={n_clusters} is larger than the number of distinct points "
            f"in the sample of {Z.shape[0]} rows the centers start from "
            f"({n_distinct}); ask for at most {n_distinct} clusters, or a larger "
            "sample (init_size)."
        )
    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centers = kmeans_plusplus(Z, n_clusters, random_state=random_state)[0]
        value = sample_inertia(Z, centers)
        if value < best_inertia:
            best, best_inertia = centers, value
    return best


def fit_stream(
    stream: TableStream,
    n_clusters: int,
    *,
    columns=None,
    exclude=None,
    scale="standard",
    dropna: bool = False,
    batch_size: int = 1024,
    passes: int = 3,
    init_size: int | None = None,
    n_init: int = 1,
    random_state=None,
    progress=None,
) -> StreamFit:
    """Survey the stream, start from k-means++ on its sample, then ``passes``
    passes of ``partial_fit`` over it (see the module's notes)."""
    for name, value, low in (
        ("n_clusters", n_clusters, 1),
        ("batch_size", batch_size, 1),
        ("passes", passes, 1),
        ("n_init", n_init, 1),
    ):
        if not isinstance(value, int | np.integer) or isinstance(value, bool):
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}.")
    scale = check_scale(scale)
    if scale not in ("standard", None):
        scaler_for(None, scale)  # the error that says why
    if init_size is None:  # scikit-learn's MiniBatchKMeans's default
        init_size = max(3 * batch_size, 3 * n_clusters)
    rs = check_random_state(random_state)
    found = survey(
        stream,
        columns,
        exclude=exclude,
        dropna=dropna,
        sample_size=init_size,
        random_state=rs,
        progress=progress,
    )
    if n_clusters > found.n_kept:
        raise ValueError(
            f"n_clusters={n_clusters} is larger than the number of rows "
            f"({found.n_kept}); ask for at most {found.n_kept} clusters."
        )
    scaler = scaler_for(found, scale)
    sample = scaler.transform(found.sample)
    init = initial_centers(sample, n_clusters, n_init, rs)
    model = MiniBatchKMeans(
        n_clusters,
        init=init,
        n_init=1,
        batch_size=batch_size,
        init_size=found.sample.shape[0],
        compute_labels=False,
        # An int, so that the model file keeps it.
        random_state=int(rs.randint(np.iinfo(np.int32).max)),
    )
    # The first step is on the sample: every center starts with the weight of
    # its share of all the rows. Started on the first batch instead, a file sorted
    # by cluster would leave most centers empty, and moved onto its first rows.
    model.partial_fit(sample)
    for p in range(passes):
        for batch, n_rows in batches(stream, found.columns, scaler, dropna, batch_size):
            model.partial_fit(batch)
            if progress is not None:
                progress(f"pass {p + 1} of {passes}", n_rows, found.n_rows)
    return StreamFit(model, scaler, found, passes, init, dropna)


@dataclass(frozen=True)
class StreamSegmentation:
    """The result of :func:`segment_stream`: what :func:`kmeansx.segment` gives,
    without the labels (written to ``outputs["output"]`` if asked).

    Attributes
    ----------
    centers : DataFrame
        In the columns' own units, one row per segment.
    profile : DataFrame
        As :attr:`kmeansx.segment.Segmentation.profile`.
    sizes : ndarray of int
    inertia : float
        On the scaled columns, of the final centers, over every kept row.
    model : SegmentModel
        The MiniBatchKMeans with the columns and the scaling.
    fit : StreamFit
    n_files : int
    outputs : dict
        "output" and "model": the paths written.
    """

    centers: pd.DataFrame
    profile: pd.DataFrame
    sizes: np.ndarray
    inertia: float
    model: SegmentModel
    fit: StreamFit
    n_files: int
    outputs: dict = field(default_factory=dict)

    @property
    def columns(self) -> list:
        return list(self.fit.survey.columns)


class _Writer:
    """Rows with their cluster, appended chunk by chunk to a CSV or Parquet file."""

    def __init__(self, path: Path, kind: str, sep: str = ","):
        self.path, self.kind, self.sep = path, kind, sep
        self._file = None
        self._parquet = None

    def write(self, frame: pd.DataFrame, chunk) -> None:
        if self.kind == "csv":
            if self._file is None:
                self._file = open(self.path, "w", newline="", encoding="utf-8")
                frame.to_csv(self._file, index=False, sep=self.sep)
            else:
                frame.to_csv(self._file, index=False, sep=self.sep, header=False)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self._parquet = pq.ParquetWriter(self.path, table.schema)
        else:
            try:
                table = pa.Table.from_pandas(
                    frame, schema=self._parquet.schema, preserve_index=False
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as e:
                raise ValueError(
                    f"{chunk.where(0)} on: a column changed type from the first rows "
                    f"({str(e).splitlines()[0]}), which one Parquet output cannot "
                    "hold; write the output as CSV."
                ) from None
        self._parquet.write_table(table)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._parquet is not None:
            self._parquet.close()


def label_stream(stream: TableStream, fit: StreamFit, output=None, *, progress=None):
    """The last pass: every kept row's cluster; ``(sizes, inertia, means)``, and
    the rows with a ``cluster`` column written to ``output`` (a path opened here
    as CSV or Parquet by its suffix) if given."""
    model, scaler, found = fit.model, fit.scaler, fit.survey
    cols, dropna = found.columns, fit.dropna
    k, d = model.n_clusters, len(cols)
    centers = model.cluster_centers_.astype(np.float64)
    sizes = np.zeros(k, dtype=np.int64)
    sums = np.zeros((k, d))
    inertia, n_rows = 0.0, 0
    writer = None
    if output is not None:
        output = Path(output)
        sep = "\t" if output.suffix.lower() == ".tsv" else ","
        writer = _Writer(output, table_kind(output), sep)
    try:
        for chunk in stream.chunks(None if writer is not None else cols):
            values, kept = chunk_values(chunk, cols, dropna)
            n_rows += chunk.frame.shape[0]
            Z = scaler.transform(values)
            labels = model.predict(Z)
            inertia += float(((Z - centers[labels]) ** 2).sum())
            sizes += np.bincount(labels, minlength=k)
            for j in range(d):
                sums[:, j] += np.bincount(labels, weights=values[:, j], minlength=k)
            if writer is not None:
                rows = chunk.frame.copy()
                if dropna:  # as in memory: <NA> for the rows dropped
                    cluster = pd.Series(pd.NA, index=rows.index, dtype="Int64")
                    cluster[slice(None) if kept is None else kept] = labels
                    rows["cluster"] = cluster
                else:
                    rows["cluster"] = labels
                writer.write(rows, chunk)
            if progress is not None:
                progress("labelling", n_rows, found.n_rows)
    finally:
        if writer is not None:
            writer.close()
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / sizes[:, None]
    return sizes, inertia, means


def segment_stream(
    data,
    n_clusters: int,
    *,
    dialect=None,
    output=None,
    model=None,
    force: bool = False,
    progress=None,
    on_open=None,
    **params,
) -> StreamSegmentation:
    """Segment a CSV or Parquet file, or a folder of them, larger than memory.

    Mini-batch k-means (:class:`kmeansx.MiniBatchKMeans`) over the rows read a
    chunk at a time; see the module's notes for the passes.

    Parameters
    ----------
    data : path-like
        A ``.csv``/``.tsv``/``.parquet`` file or a folder of files of one format.
    n_clusters : int
    dialect : CsvDialect, default=None
        How to read CSV files (sniffed where not given).
    output : path-like, default=None
        Write every row with its ``cluster`` (CSV or Parquet, by suffix).
    model : path-like, default=None
        Save the :class:`kmeansx.segment.SegmentModel` (columns, scaling and
        the MiniBatchKMeans) there.
    force : bool, default=False
        Replace existing outputs (never an input).
    progress : callable, default=None
        ``progress(description, rows_done, rows_total_or_None)`` after every chunk.
    on_open : callable, default=None
        Called with the opened :class:`kmeansx._stream.TableStream` before the
        rows are read.
    **params
        The fit's parameters, passed to :func:`fit_stream`: ``columns``,
        ``exclude``, ``dropna`` (as :func:`kmeansx.segment`; the default columns
        are chosen on the first chunk), ``scale`` ("standard", the default: the
        whole stream's means and standard deviations, or None), ``batch_size``
        (1024 rows a step), ``passes`` (3), ``init_size`` (the sample k-means++
        starts from: ``3 * batch_size`` rows, at least ``3 * n_clusters``),
        ``n_init`` (k-means++ runs on the sample, the best kept; 1) and
        ``random_state``.

    Returns
    -------
    StreamSegmentation

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, pathlib
    >>> from kmeansx._stream_fit import segment_stream
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (500, 2)), rng.normal(8, 1, (500, 2))])
    >>> pd.DataFrame(X, columns=["a", "b"]).to_parquet(d / "big.parquet")
    >>> seg = segment_stream(d / "big.parquet", 2, batch_size=100, random_state=0)
    >>> seg.sizes.tolist(), sorted(seg.centers["a"].round().astype(int))
    ([500, 500], [0, 8])
    """
    stream = open_stream(data, dialect)
    seen = {}
    for path in (output, model):
        if path is None:
            continue
        check_output(path, force=force, inputs=stream.files)
        _refuse_inside(Path(path), Path(data))
        key = Path(path).resolve()
        if key in seen:
            raise ValueError(
                f"{seen[key]} and {path} are the same file; give each output its "
                "own path."
            )
        seen[key] = path
    if on_open is not None:
        on_open(stream)
    fit = fit_stream(stream, n_clusters, progress=progress, **params)
    found = fit.survey
    segment_model = SegmentModel(fit.model, fit.scaler, tuple(found.columns))
    written = {}
    # Every file or none: a failure in the last pass leaves no output behind.
    with all_or_nothing():
        if output is not None:
            with atomic_write(output, force=force, inputs=stream.files) as tmp:
                sizes, inertia, means = label_stream(
                    stream, fit, tmp, progress=progress
                )
            written["output"] = Path(output)
        else:
            sizes, inertia, means = label_stream(stream, fit, progress=progress)
        if model is not None:
            written["model"] = save(segment_model, model, force=force)
    profile = profile_from_means(sizes, means, found.mean, found.std, found.columns)
    return StreamSegmentation(
        centers=segment_model.centers,
        profile=profile,
        sizes=sizes,
        inertia=inertia,
        model=segment_model,
        fit=fit,
        n_files=len(stream.files),
        outputs=written,
    )


def _refuse_inside(output: Path, data: Path) -> None:
    """An output inside the folder read would be read with it next time."""
    if data.is_dir() and data.resolve() in output.resolve().parents:
        raise ValueError(
            f"{output} is inside {data}, the folder read: it would be read as input "
            "next time; write it elsewhere."
        )
