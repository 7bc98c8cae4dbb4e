"""Tables larger than memory, read a chunk at a time.

A :class:`TableStream` is one CSV or Parquet file, or a folder of them (one
format), read in order, a chunk of rows at a time: Parquet by record batches
(:meth:`pyarrow.parquet.ParquetFile.iter_batches`, which reads one row group at
a time, without buffering the file), CSV by :func:`pandas.read_csv` with a
``chunksize`` and the dialect sniffed from the first file's head
(:func:`kmeansx._csv.sniff_csv`). Every chunk knows its file and the number of
its first row there, so that a bad value is named by file, line (CSV) or row
(Parquet) and column. What could be checked before reading the rows is checked
when the stream is opened: the formats, empty files, and that every file has the
columns of the first.

Memory: one chunk (``read_rows`` rows, about 2 MiB of numbers) and, for Parquet,
the row group it comes from.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kmeansx._csv import CsvDialect, CsvTable, record_line, sniff_csv, table_kind
from kmeansx._validation import non_numeric_columns

# A chunk holds about this many bytes of float64 numbers, within the bounds below.
READ_BYTES = 2 << 20
MIN_READ_ROWS, MAX_READ_ROWS = 1024, 1 << 16


@dataclass(frozen=True)
class Chunk:
    """Rows of one file: ``frame``, whose first row is row ``first_row`` of
    ``path`` (rows count from 1 after the header); ``csv``, how a CSV file is
    read."""

    path: Path
    first_row: int
    frame: pd.DataFrame
    csv: CsvTable | None = None

    def where(self, i: int) -> str:
        """Where the ``i``-th row of the chunk is: the file and, for a CSV file,
        the line the row starts on (blank lines and line breaks inside quotes
        counted), else its row."""
        row = self.first_row + int(i)
        line = record_line(self.path, self.csv, row) if self.csv else None
        return f"{self.path}, line {line}" if line else f"{self.path}, row {row}"


@dataclass
class TableStream:
    """One table file, or a folder of them, read a chunk at a time.

    Attributes
    ----------
    files : list of Path
        In the order they are read (a folder's files sorted by path).
    kind : {"csv", "parquet"}
    columns : list
        The columns of the first file; every file has them (in any order).
    csv : CsvTable or None
        How CSV files are read (sniffed from the first file's head, or given).
    n_rows : int or None
        The rows of all files, where known before reading (Parquet metadata).
    read_rows : int
        Rows per chunk.
    """

    files: list
    kind: str
    columns: list
    csv: CsvTable | None = None
    n_rows: int | None = None
    read_rows: int = MIN_READ_ROWS
    head: pd.DataFrame | None = field(default=None, repr=False)

    def chunks(self, columns=None) -> Iterator[Chunk]:
        """Every file's rows in order, a chunk at a time; ``columns`` only (every
        column when None), in the first file's order."""
        names = self.columns if columns is None else list(columns)
        for path in self.files:
            if self.kind == "parquet":
                yield from _parquet_chunks(path, names, self.read_rows)
            else:
                yield from _csv_chunks(path, names, self.csv, self.read_rows)


def _files(path: Path) -> list[Path]:
    """The table files of a folder (recursively, sorted), or the file itself."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    if not path.is_dir():
        table_kind(path)
        return [path]
    # Hidden files and those named _* are bookkeeping (Spark's _SUCCESS and
    # _metadata, temporaries): not rows.
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    )
    if not files:
        raise FileNotFoundError(f"{path} holds no CSV or Parquet files.")
    kinds = {}
    for p in files:
        try:
            kinds.setdefault(table_kind(p), p)
        except ValueError:
            raise ValueError(
                f"{path} holds {p}, which is neither CSV nor Parquet; a folder to "
                "read must hold table files only (move the others out)."
            ) from None
    if len(kinds) > 1:
        raise ValueError(
            f"{path} mixes CSV files ({kinds['csv']}) and Parquet files "
            f"({kinds['parquet']}); a folder is read as one table of one format: "
            "put each format in its own folder."
        )
    return files


def _read_rows(n_columns: int) -> int:
    return int(
        np.clip(READ_BYTES // (8 * max(n_columns, 1)), MIN_READ_ROWS, MAX_READ_ROWS)
    )


def open_stream(path, dialect: CsvDialect | None = None) -> TableStream:
    """Open a CSV or Parquet file, or a folder of them, for reading in chunks.

    Parameters
    ----------
    path : path-like
        A file (``.csv``, ``.tsv``, ``.txt``, ``.parquet``) or a folder of files
        of one of those formats (sorted by path; names starting with ``.`` or
        ``_`` are skipped).
    dialect : CsvDialect, default=None
        For CSV: what is given of the delimiter, decimal mark, thousands
        separator, encoding and dates; the rest is sniffed from the first file's
        head and used for every file.

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``, or a folder without table files.
    ValueError
        A folder of mixed formats or with other files, an empty file, a file
        with no rows, or a file whose columns are not the first file's.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from kmeansx._stream import open_stream
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for i in range(2):
    ...     pd.DataFrame({"a": [i, i + 0.5]}).to_csv(d / f"part{i}.csv", index=False)
    >>> stream = open_stream(d)
    >>> [(c.path.name, c.first_row, len(c.frame)) for c in stream.chunks()]
    [('part0.csv', 1, 2), ('part1.csv', 1, 2)]
    """
    path = Path(path)
    files = _files(path)
    kind = table_kind(files[0])
    dialect = dialect or CsvDialect()
    given = dialect.given()
    if kind == "parquet" and given:
        raise ValueError(
            f"{given[0]} is for CSV files; {path} is Parquet, which stores its "
            "types: leave it out."
        )
    for p in files:
        if p.stat().st_size == 0:
            raise ValueError(f"{p} is empty: no header and no rows.")
    if kind == "parquet":
        return _open_parquet(files)
    return _open_csv(files, dialect)


def _check_columns(p: Path, columns: list, first: Path, expected: list) -> None:
    if set(map(str, columns)) != set(map(str, expected)) or len(columns) != len(
        expected
    ):
        missing = [str(c) for c in expected if c not in columns]
        extra = [str(c) for c in columns if c not in expected]
        what = "; ".join(
            filter(
                None,
                [
                    missing and f"missing {', '.join(missing)}",
                    extra and f"extra {', '.join(extra)}",
                ],
            )
        )
        raise ValueError(
            f"{p} does not have the columns of {first} ({what or 'a column twice'}): "
            "every file read as one table must have the same columns."
        )


def _parquet_file(p: Path):
    import pyarrow.parquet as pq

    try:
        # pre_buffer=False: the default reads ahead, up to the whole file.
        return pq.ParquetFile(p, pre_buffer=False)
    except Exception as e:  # pyarrow's ArrowInvalid, OSError...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"{p} could not be read as parquet: {first}") from None


def _open_parquet(files: list[Path]) -> TableStream:
    columns, n_rows = None, 0
    for p in files:
        pf = _parquet_file(p)
        names = list(pf.schema_arrow.names)
        if columns is None:
            columns, first = names, p
        else:
            _check_columns(p, names, first, columns)
        n_rows += pf.metadata.num_rows
    if n_rows == 0:
        where = files[0] if len(files) == 1 else f"{files[0].parent} (every file)"
        raise ValueError(f"{where} has columns but no rows.")
    return TableStream(
        files, "parquet", columns, None, n_rows, _read_rows(len(columns))
    )


def _header(p: Path, table: CsvTable) -> list:
    """The header of ``p`` as written (a name given twice is refused: pandas would
    rename it)."""
    with open(p, newline="", encoding=table.encoding, errors="replace") as f:
        header = next((row for row in csv.reader(f, delimiter=table.sep) if row), [])
    seen = set()
    for name in header:
        if name in seen:
            raise ValueError(
                f"{p}: the header names column {name!r} twice; give each column "
                "its own name."
            )
        seen.add(name)
    return header


def _open_csv(files: list[Path], dialect: CsvDialect) -> TableStream:
    try:
        table = sniff_csv(files[0], dialect)
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as e:
        raise _csv_error(files[0], e) from None
    columns = list(table.frame.columns)
    if not columns:
        raise ValueError(f"{files[0]} is empty: no header and no rows.")
    _header(files[0], table)
    for p in files[1:]:
        try:
            names = list(_read_csv(p, table, nrows=0).columns)
        except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as e:
            raise _csv_error(p, e) from None
        _header(p, table)
        _check_columns(p, names, files[0], columns)
    if len(files) == 1 and table.frame.shape[0] == 0:
        raise ValueError(f"{files[0]} has a header but no rows.")
    stream = TableStream(files, "csv", columns, table, None, _read_rows(len(columns)))
    stream.head = table.frame
    return stream


def _read_csv(p: Path, table: CsvTable, **kwargs):
    return pd.read_csv(
        p,
        sep=table.sep,
        decimal=table.decimal,
        thousands=table.thousands,
        encoding=table.encoding,
        parse_dates=table.parse_dates or False,
        **kwargs,
    )


def _csv_error(p: Path, e: Exception) -> ValueError:
    if isinstance(e, UnicodeDecodeError):
        byte = e.object[e.start]
        return ValueError(
            f"{p} is not {e.encoding} past its first lines (byte 0x{byte:02x}); give "
            "its encoding (latin-1 or cp1252, say: encoding=..., --encoding)."
        )
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return ValueError(f"{p} could not be read as csv: {first}")


def _csv_chunks(p: Path, names: list, table: CsvTable, rows: int) -> Iterator[Chunk]:
    # Every field is parsed (no usecols), so that a row of another width is an
    # error naming its line, not silently cut.
    first_row = 1
    try:
        with _read_csv(p, table, chunksize=rows) as reader:
            for frame in reader:
                yield Chunk(p, first_row, frame[names], table)
                first_row += frame.shape[0]
    except (UnicodeDecodeError, pd.errors.ParserError) as e:
        raise _csv_error(p, e) from None


def _parquet_chunks(p: Path, names: list, rows: int) -> Iterator[Chunk]:
    pf = _parquet_file(p)
    first_row = 1
    try:
        for batch in pf.iter_batches(batch_size=rows, columns=names):
            frame = batch.to_pandas()
            yield Chunk(p, first_row, frame)
            first_row += frame.shape[0]
    except OSError as e:
        raise ValueError(f"{p} could not be read as parquet: {e}") from None


# -- the numbers of a chunk ---------------------------------------------------------


def chunk_values(chunk: Chunk, columns: list, dropna: bool):
    """``(values, kept)``: the chunk's ``columns`` as float64 (the kept rows) and
    which rows were kept (None: all), or an error naming the file, row and column
    of the first value that is not a number (text, infinity, or a missing value
    without ``dropna``)."""
    sub = chunk.frame[columns]
    bad = non_numeric_columns(sub)
    if bad:
        column = sub[bad[0]]
        numbers = pd.to_numeric(column, errors="coerce")
        i = int(
            np.flatnonzero(numbers.isna().to_numpy() & column.notna().to_numpy())[0]
        )
        raise ValueError(
            f"{chunk.where(i)}: column {bad[0]!r} holds {column.iloc[i]!r}, not a "
            "number; fix the file, or leave the column out."
        )
    values = sub.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    if finite.all():
        return values, None
    kept = finite.all(axis=1)
    # The first row that is refused: infinity always, a missing value unless dropna.
    inf = np.isinf(values)
    refused = inf.any(axis=1) if dropna else ~kept
    if refused.any():
        i = int(np.flatnonzero(refused)[0])
        j = int(np.flatnonzero(~finite[i])[0])
        if inf[i].any():
            j = int(np.flatnonzero(inf[i])[0])
            raise ValueError(
                f"{chunk.where(i)}: column {columns[j]!r} holds infinity; replace or "
                "drop that row."
            )
        raise ValueError(
            f"{chunk.where(i)}: column {columns[j]!r} has a missing value; drop those "
            "rows (dropna=True, or --dropna) or fill them first."
        )
    return np.ascontiguousarray(values[kept]), kept


def first_chunk(stream: TableStream) -> pd.DataFrame:
    """The first rows of the stream (those the default column choice looks at)."""
    if stream.head is not None and stream.head.shape[0]:
        return stream.head
    for chunk in stream.chunks():
        if chunk.frame.shape[0]:
            return chunk.frame
    return pd.DataFrame(columns=stream.columns)
