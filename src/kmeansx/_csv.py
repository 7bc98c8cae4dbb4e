"""CSV files as people write them: the delimiter, the decimal mark, the encoding.

A spreadsheet saved in much of Europe writes ``;`` between columns and ``,`` before
decimals; a database export may use tabs; an older tool writes Latin-1. This module
reads such a file without being told, says what it assumed, and keeps each row's
line in the file, so that a message can point at it.

- The delimiter is sniffed from the first lines: the one of ``,``, ``;``, tab and
  ``|`` that splits the header and every sampled line into the same number (more
  than one) of fields; a comma when none does (a one-column file).
- With a delimiter other than a comma and no decimal mark given, columns that read
  as text but are all numbers with a decimal comma (``1,5``) are read with ``,``
  as the decimal mark, unless that would turn a column of numbers into text.
- A file that is not UTF-8 (and no encoding given) is read as Latin-1, which
  decodes every byte; the result says so, with the first byte UTF-8 refused.
- Dates are parsed only in the columns named in ``parse_dates``.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
DELIMITERS = (",", ";", "\t", "|")
NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_SAMPLE_LINES = 50
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+(,\d+)?\s*$")


def table_kind(path) -> str:
    """ "csv" or "parquet", from the file's suffix; an error naming both otherwise.

    Examples
    --------
    >>> from kmeansx._csv import table_kind
    >>> table_kind("sales.TSV"), table_kind("part-0.parquet")
    ('csv', 'parquet')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise ValueError(
        f"{path}: unknown table format {suffix or '(no suffix)'!r}; use .csv (or "
        ".tsv) or .parquet."
    )


@dataclass(frozen=True)
class CsvDialect:
    """How to read a CSV file, as given: None is sniffed (see the module's notes).

    Attributes
    ----------
    sep : str or None
        The delimiter; None sniffs it (a tab for ``.tsv`` files when the sample
        does not tell).
    decimal : str or None
        The decimal mark; None is ``"."``, or ``","`` where the file shows it.
    thousands : str or None
        The thousands separator, if the file writes one (``"1,234"``).
    encoding : str or None
        None reads UTF-8 (a byte-order mark is skipped), or Latin-1 for a file
        that is not UTF-8.
    parse_dates : list of str or None
        Columns to read as dates; no other column is.
    """

    sep: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    parse_dates: list | None = None

    def given(self) -> list[str]:
        """The names of the settings given (an empty ``parse_dates`` is none)."""
        marks = ("sep", "decimal", "thousands", "encoding")
        given = [k for k in marks if getattr(self, k) is not None]
        return given + (["parse_dates"] if self.parse_dates else [])


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read: the table, and how it was read.

    Attributes
    ----------
    frame : DataFrame
        The rows, on a RangeIndex (as :func:`pandas.read_csv` gives them).
    lines : ndarray of int or None
        The line in the file where each row starts (the header is line 1); None
        for a file whose records could not be matched to lines.
    sep, decimal, thousands, encoding : str or None
        What was used.
    sniffed_sep, sniffed_decimal : bool
        Whether the delimiter or the decimal mark was chosen here, not given.
    not_utf8 : str or None
        Where UTF-8 failed ("byte 0xe9 on line 3") when the file was read as
        Latin-1 instead.
    """

    frame: object
    lines: np.ndarray | None
    sep: str
    decimal: str
    thousands: str | None
    encoding: str
    sniffed_sep: bool = False
    sniffed_decimal: bool = False
    not_utf8: str | None = None
    parse_dates: list = field(default_factory=list)


def sniff_sep(text: str, default: str = ",") -> str:
    """The delimiter that splits every sampled line into the header's fields.

    Examples
    --------
    >>> from kmeansx._csv import sniff_sep
    >>> sniff_sep("a;b\\n1,5;2\\n3;4,25\\n")
    ';'
    >>> sniff_sep("just one column\\n1\\n")
    ','
    """
    lines = text.splitlines()[:_SAMPLE_LINES]
    best, best_fields = default, 1
    for sep in DELIMITERS:
        try:
            rows = [r for r in csv.reader(lines, delimiter=sep) if r]
        except csv.Error:
            continue
        # The last sampled line may be cut short by the sample's end.
        if len(rows) > 2:
            rows = rows[:-1]
        if not rows:
            continue
        n = len(rows[0])
        if n > best_fields and all(len(r) == n for r in rows):
            best, best_fields = sep, n
    return best


def _first_bad_utf8(raw: bytes) -> str | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        return f"byte 0x{raw[e.start]:02x} on line {line}"
    return None


def _record_starts(lines, sep: str):
    """The line on which each record of ``lines`` (the header first) starts,
    skipping blank lines as pandas does; stops at what the csv module refuses."""
    reader = csv.reader(lines, delimiter=sep)
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if row and not (len(row) == 1 and not row[0].strip()):
                yield start
    except csv.Error:  # what pandas read, the csv module refuses: no lines
        return


def _record_lines(text: str, sep: str, n_rows: int) -> np.ndarray | None:
    """The line each data record starts on, skipping blank lines as pandas does.

    None when the count does not match the rows pandas read (a dialect this
    reckoning does not follow): then messages speak of rows instead.
    """
    # The common case, no blank line and no line break inside a quoted field.
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    plain = "\n\n" not in text and '"' not in text and "\r" not in text
    if plain and n_lines == n_rows + 1:
        return np.arange(2, n_rows + 2)
    starts = list(_record_starts(io.StringIO(text, newline=""), sep))[1:]
    return np.asarray(starts) if len(starts) == n_rows else None


def record_line(path: Path, table: CsvTable, row: int) -> int | None:
    """The line of ``path`` on which data row ``row`` (1: the first after the
    header) starts, read as ``table`` was; None past the rows the csv module can
    follow. It reads the file up to that row: for an error message, once."""
    with open(path, encoding=table.encoding, newline="") as f:
        starts = _record_starts(f, table.sep)
        return next(itertools.islice(starts, row, None), None)


def _text_columns(df) -> list:
    import pandas as pd

    return [
        c
        for c in df.columns
        if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])
    ]


def _decimal_comma_columns(df) -> list:
    """Text columns whose every value is a number written with a decimal comma."""
    found = []
    for c in _text_columns(df):
        values = df[c].dropna().astype(str)
        if (
            len(values)
            and values.str.fullmatch(_DECIMAL_COMMA.pattern).all()
            and values.str.contains(",", regex=False).any()
        ):
            found.append(c)
    return found


def read_csv(path, dialect: CsvDialect | None = None) -> CsvTable:
    """Read a CSV file, sniffing what ``dialect`` does not give.

    Parameters
    ----------
    path : path-like
    dialect : CsvDialect, default=None
        What was given of the delimiter, decimal mark, thousands separator,
        encoding and date columns; None sniffs all that can be.

    Returns
    -------
    CsvTable

    Raises
    ------
    ValueError
        The file cannot be read with these settings; the message says why.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from kmeansx._csv import read_csv
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a;b\\n1,5;2\\n3;4,25\\n")
    >>> t = read_csv(p)
    >>> t.sep, t.decimal, t.frame["b"].tolist(), t.lines.tolist()
    (';', ',', [2.0, 4.25], [2, 3])
    """

    path = Path(path)
    dialect = dialect or CsvDialect()
    text, encoding, not_utf8 = _decode(path.read_bytes(), dialect.encoding)
    return _table(path, text, dialect, encoding, not_utf8, lines=True)


def _table(path: Path, text: str, dialect: CsvDialect, encoding, not_utf8, *, lines):
    """The table of ``text`` (a file's, or its head's) in the dialect given or
    sniffed; with each row's line if ``lines``."""
    import pandas as pd

    sep, decimal, thousands = dialect.sep, dialect.decimal, dialect.thousands
    sniffed_sep = sep is None
    if sep is None:
        default = "\t" if path.suffix.lower() == ".tsv" else ","
        sep = sniff_sep(text, default)
    dates = list(dialect.parse_dates or [])

    def read(dec: str):
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            decimal=dec,
            thousands=thousands,
            parse_dates=dates or False,
        )

    df, sniffed_decimal = _read_sniffing_decimal(read, decimal, sep)
    return CsvTable(
        frame=df,
        lines=_record_lines(text, sep, len(df)) if lines else None,
        sep=sep,
        decimal="," if sniffed_decimal else (decimal or "."),
        thousands=thousands,
        encoding=encoding,
        sniffed_sep=sniffed_sep,
        sniffed_decimal=sniffed_decimal,
        not_utf8=not_utf8,
        parse_dates=dates,
    )


def _read_sniffing_decimal(read, decimal: str | None, sep: str):
    """``(frame, sniffed)``: ``read(decimal)``, or ``read(",")`` where the decimal
    mark is not given, the file is not comma-separated and its text columns are
    all numbers with a decimal comma (unless a column of numbers became text)."""
    df = read(decimal or ".")
    if decimal is None and sep != "," and _decimal_comma_columns(df):
        again = read(",")
        if not set(_text_columns(again)) - set(_text_columns(df)):
            return again, True
    return df, False


# How much of a file sniff_csv reads: its head, cut at a line's end.
_HEAD_BYTES = 1 << 20


def sniff_csv(path, dialect: CsvDialect | None = None) -> CsvTable:
    """How to read a CSV file a chunk at a time, from its head (the first MiB).

    The same rules as :func:`read_csv`, applied to the head alone: the delimiter,
    a decimal comma, and the encoding (UTF-8, or Latin-1 where the head is not
    UTF-8; a file that is UTF-8 in its head only fails later, in the chunk that
    is not). ``frame`` holds the head's rows; ``encoding`` is what to give
    :func:`pandas.read_csv` (``utf-8-sig`` past a byte-order mark); ``lines`` is
    None.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from kmeansx._csv import sniff_csv
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a;b\\n1,5;2\\n3;4,25\\n")
    >>> t = sniff_csv(p)
    >>> t.sep, t.decimal, t.frame.shape
    (';', ',', (2, 2))
    """

    path = Path(path)
    dialect = dialect or CsvDialect()
    with open(path, "rb") as f:
        raw = f.read(_HEAD_BYTES + 1)
    if len(raw) > _HEAD_BYTES:  # whole lines only
        raw = raw[: raw.rfind(b"\n", 0, _HEAD_BYTES) + 1] or raw[:_HEAD_BYTES]
    text, encoding, not_utf8 = _decode(raw, dialect.encoding)
    if dialect.encoding is None and encoding == "utf-8" and raw[:3] == b"\xef\xbb\xbf":
        encoding = "utf-8-sig"
    return _table(path, text, dialect, encoding, not_utf8, lines=False)


def _decode(raw: bytes, encoding: str | None) -> tuple[str, str, str | None]:
    """(text, the encoding used, where UTF-8 failed) for a file's bytes.

    None as ``encoding`` reads UTF-16 where a byte-order mark says so, else
    UTF-8, or Latin-1 where UTF-8 fails.
    """
    not_utf8 = None
    if encoding is None and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # its byte-order mark says so (Excel's "Unicode text")
    if encoding is None:
        if b"\x00" in raw[: 1 << 16]:
            # Latin-1 would decode it, but no text file holds NUL bytes.
            raise ValueError(
                "it holds NUL bytes, so it is not text: is it a spreadsheet or a "
                "compressed file? Export it as CSV."
            )
        not_utf8 = _first_bad_utf8(raw)
        encoding = "latin-1" if not_utf8 else "utf-8"
    try:
        text = raw.decode(encoding)
    except LookupError:
        raise ValueError(
            f"unknown encoding {encoding!r}; try utf-8, latin-1 or cp1252."
        ) from None
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ValueError(
            f"it is not {encoding}: byte 0x{raw[e.start]:02x} on line {line} cannot "
            "be decoded; try another encoding (latin-1 reads any byte)."
        ) from None
    return text.removeprefix("\ufeff"), encoding, not_utf8


@dataclass(frozen=True)
class ParquetTable:
    """A Parquet file read: the table; it has no lines, and no dialect to sniff."""

    frame: object
    lines: None = None
