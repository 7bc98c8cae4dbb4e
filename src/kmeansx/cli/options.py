"""What the commands share: options with the API's names, their parsing, and the
boundary where bad input becomes one line on stderr and status 2."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import os
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, NamedTuple

import typer


class Scale(str, Enum):
    standard = "standard"
    robust = "robust"
    none = "none"


class Refine(str, Enum):
    hartigan = "hartigan"
    breathing = "breathing"
    breathing_hartigan = "breathing+hartigan"


class Metric(str, Enum):
    euclidean = "euclidean"
    cosine = "cosine"


# Options shared by several commands, with the API's names. Flags show no metavar
# (Typer would print <bool>).
Data = Annotated[
    Path, typer.Argument(help="Input table: .csv, .tsv or .parquet.", metavar="DATA")
]
Columns = Annotated[
    str | None,
    typer.Option(
        "--columns",
        "-c",
        help='Columns to use, e.g. "Annual Income,Age". Default: every numeric '
        "column except identifiers (id, *_id, CustomerID, 1..n), an index column "
        "and labels (target, class, cluster); the command says which.",
    ),
]
Exclude = Annotated[
    str | None,
    typer.Option("--exclude", help='Columns never to use, e.g. "Age,Region".'),
]
ScaleOpt = Annotated[
    Scale, typer.Option("--scale", help="Scale columns first (standard, robust, none).")
]
RandomState = Annotated[
    int | None, typer.Option("--random-state", help="Seed, for reproducible results.")
]
NInit = Annotated[int, typer.Option("--n-init", min=1, help="Restarts per fit.")]
Dropna = Annotated[
    bool,
    typer.Option(
        "--dropna",
        help="Drop rows with missing values in the columns (and say how many).",
        metavar="",
    ),
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the rows with a cluster column."),
]
Force = Annotated[
    bool, typer.Option("--force", help="Replace existing outputs.", metavar="")
]
Json = Annotated[
    bool, typer.Option("--json", help="Print JSON instead of tables.", metavar="")
]
RefineOpt = Annotated[
    Refine | None,
    typer.Option(
        "--refine",
        help="Refine each fit: Hartigan's moves (hartigan), breathing k-means "
        "(breathing), or both (breathing+hartigan).",
    ),
]
MetricOpt = Annotated[
    Metric,
    typer.Option(
        "--metric",
        help="euclidean, or cosine: rows compared by angle (SphericalKMeans), as for "
        "embeddings; with cosine, --scale none keeps the rows' own directions.",
    ),
]


# How to read a CSV file: sniffed unless given; in their own panel of --help.
_CSV = "Reading CSV files"
Sep = Annotated[
    str | None,
    typer.Option(
        "--sep",
        help="Column delimiter: , ; tab or |. Default: sniffed from the first lines "
        "(said when not a comma).",
        rich_help_panel=_CSV,
    ),
]
Decimal = Annotated[
    str | None,
    typer.Option(
        "--decimal",
        help="Decimal mark. Default: '.', or ',' in a file not separated by commas "
        "whose numbers are written 1,5.",
        rich_help_panel=_CSV,
    ),
]
Thousands = Annotated[
    str | None,
    typer.Option(
        "--thousands",
        help="Thousands separator, e.g. ',' to read 1,234 as a number. Default: none.",
        rich_help_panel=_CSV,
    ),
]
Encoding = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding, e.g. latin-1 or cp1252. Default: UTF-8, or Latin-1 (said "
        "on stderr) for a file that is not UTF-8.",
        rich_help_panel=_CSV,
    ),
]
ParseDates = Annotated[
    str | None,
    typer.Option(
        "--parse-dates",
        help="Columns to read as dates. Default: none (dates stay text; either way "
        "they are not clustered on).",
        rich_help_panel=_CSV,
    ),
]


class CsvOptions(NamedTuple):
    """The CSV options as given on the command line (None: sniffed or none)."""

    sep: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    parse_dates: str | None = None


# The option behind each field of CsvOptions, in --help's order.
_CSV_OPTIONS = dict(
    sep=Sep,
    decimal=Decimal,
    thousands=Thousands,
    encoding=Encoding,
    parse_dates=ParseDates,
)


def reads_csv(command):
    """Give a command the CSV options, last in its --help, as one ``csv`` argument.

    Typer builds a command's options from its signature: the wrapper shows the
    command's own parameters (less ``csv``), then the CSV options, and hands
    those to the command as a :class:`CsvOptions`, which it parses with
    :func:`csv_dialect` where its checks of the other options allow.
    """
    own = inspect.signature(command, eval_str=True).parameters
    params = [p for name, p in own.items() if name != "csv"] + [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=a
        )
        for name, a in _CSV_OPTIONS.items()
    ]

    @functools.wraps(command)
    def with_csv(*args, **kwargs):
        csv = CsvOptions(*(kwargs.pop(name, None) for name in CsvOptions._fields))
        return command(*args, csv=csv, **kwargs)

    with_csv.__signature__ = inspect.Signature(params)
    # Typer reads the type hints too: the same resolved ones, CSV options included.
    with_csv.__annotations__ = {p.name: p.annotation for p in params}
    return with_csv


def csv_dialect(csv: CsvOptions) -> dict:
    """The CSV options as :func:`kmeansx.io.read_table` takes them."""
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    sep = csv.sep
    if sep is not None:
        sep = named.get(sep.strip().lower(), sep)
        if len(sep) != 1:
            fail(f"--sep must be one character (, ; | or tab), got {sep!r}.")
    return dict(
        sep=sep,
        decimal=csv.decimal,
        thousands=csv.thousands,
        encoding=csv.encoding,
        parse_dates=parse_list(csv.parse_dates, "--parse-dates", "Signup"),
    )


def read_input(path: Path, dialect: dict):
    """Read a table, saying on stderr what was sniffed; CSV rows indexed by line.

    The index of a CSV table is its line numbers (the header is line 1), under the
    name "line", so that every message about a row names the line to look at.
    """
    from kmeansx.cli import format as fmt
    from kmeansx.io import read_table_file

    table = read_table_file(path, **dialect)
    df = table.frame
    if table.lines is not None:
        import pandas as pd

        df.index = pd.Index(table.lines, name="line")
    for text in fmt.reading_notes(path, table):
        note(text)
    return df


# Notes raised inside user_errors(): printed when it ends well, else made part of
# the one line of the error (they may explain it: a file read as Latin-1, say).
_NOTES: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "kmeansx_notes", default=None
)


def note(text: str) -> None:
    """A line for stderr, ``kmeansx: note: ...``; inside :func:`user_errors`, held
    until the command's work has ended (see there)."""
    pending = _NOTES.get()
    if pending is None:
        typer.echo(f"kmeansx: note: {one_line(text)}", err=True)
    else:
        pending.append(one_line(text))


def check_metric(metric: Metric, refine: Refine | None) -> str:
    """The API's ``metric``; ``--refine`` with ``--metric cosine`` fails."""
    if metric is Metric.cosine and refine is not None:
        fail("--metric cosine fits SphericalKMeans, which --refine does not apply to.")
    return metric.value


def refine_value(refine: Refine | None) -> str | None:
    """The API's ``refine``: None, or the option's value."""
    return None if refine is None else refine.value


def one_line(message: str) -> str:
    return " ".join(str(message).split())


def fail(message: str):
    typer.echo(f"kmeansx: error: {one_line(message)}", err=True)
    raise typer.Exit(2)


def _k_max(m: re.Match) -> str:
    return f"use --k-max {int(m[2]) - 1}"


# The library's messages name its parameters (force=True, k_range=range(1, 11));
# on the command line the same advice names the options.
CLI_WORDS = [
    (re.compile(r"pass force=True \(--force\)"), "pass --force"),
    (re.compile(r"\(dropna=True, or --dropna\)"), "(--dropna)"),
    (re.compile(r"\(columns=\[\.\.\.\], --columns\)"), "with --columns"),
    (re.compile(r"use k_range=range\((\d+), (\d+)\)"), _k_max),
    (re.compile(r"k_range goes up to (\d+)"), r"--k-max is \1"),
    (re.compile(r"widen k_range"), "widen the range of k (--k-max)"),
    (re.compile(r"pass n_clusters=<int>"), "pass -k N"),
    (re.compile(r"use scale=None"), "use --scale none"),
    (re.compile(r"\(scale='(\w+)'\)"), r"(--scale \1)"),
    (re.compile(r"use metric='euclidean'"), "use --metric euclidean"),
    (re.compile(r"\(metric='cosine'\)"), "(--metric cosine)"),
    (re.compile(r"n_clusters=(\d+)"), r"-k \1"),
    (
        re.compile(
            r"(, )?select numeric columns, or encode or drop these \(for instance "
            r"df\.drop\(columns=\[[^]]*\]\)\)"
        ),
        lambda m: (
            ", or leave it out of --columns" if m[1] else "leave it out of --columns"
        ),
    ),
    (
        re.compile(
            r"convert it first, e\.g\. df\[[^]]*\] = pd\.to_numeric\(df\[[^]]*\]\)"
        ),
        "read it as numbers with --decimal or --thousands, or fix the file",
    ),
]


def cli_words(message: str) -> str:
    """A library message as the command line says it: options, not parameters.

    Examples
    --------
    >>> from kmeansx.cli.options import cli_words
    >>> cli_words("x exists; pass force=True (--force) to replace it.")
    'x exists; pass --force to replace it.'
    >>> cli_words("only 60 distinct points; use k_range=range(1, 61).")
    'only 60 distinct points; use --k-max 60.'
    """
    for pattern, repl in CLI_WORDS:
        message = pattern.sub(repl, message)
    return message


@contextlib.contextmanager
def user_errors():
    """Bad input (ValueError, missing or existing files) -> one line, status 2.

    The notes made inside (:func:`note`) go to stderr once the block ends well;
    on an error they end its line, in brackets, so that stderr holds one line.
    """
    pending = []
    token = _NOTES.set(pending)
    try:
        yield
    except (ValueError, OSError, ImportError) as e:
        message = cli_words(str(e)) or type(e).__name__
        if pending:
            message = f"{message.rstrip()} [{'; '.join(pending)}]"
        fail(message)
    finally:
        _NOTES.reset(token)
    for text in pending:
        typer.echo(f"kmeansx: note: {text}", err=True)


def console():
    """Where the tables go: the terminal's width, or 120 columns off a terminal."""
    from rich.console import Console

    out = Console()
    return out if out.is_terminal else Console(width=120)


def report_console(prepared, *, columns_given: bool):
    """The :func:`console` for a command's report, opened with what the one
    preparation of the table chose: the columns (unless given), the rows dropped."""
    from kmeansx.cli import format as fmt

    out = console()
    lines = (
        [] if columns_given else [fmt.columns_line(prepared.columns, prepared.left_out)]
    )
    lines.append(fmt.dropped_line(prepared))
    for line in filter(None, lines):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    return out


def parse_list(text: str | None, option: str = "--columns", example: str = "A,B"):
    """``"A, B"`` -> ``["A", "B"]``; None stays None (every column, every method)."""
    if text is None:
        return None
    items = [c.strip() for c in text.split(",") if c.strip()]
    if not items:
        fail(f"{option} is empty; name the {option[2:]}, e.g. {option} '{example}'.")
    return items


def parse_n_clusters(text: str):
    if text.strip().lower() == "auto":
        return "auto"
    try:
        k = int(text)
    except ValueError:
        fail(f"--n-clusters must be 'auto' or a whole number >= 1, got {text!r}.")
    if k < 1:
        fail(f"--n-clusters must be 'auto' or a whole number >= 1, got {k}.")
    return k


def scale_value(scale: Scale) -> str | None:
    """The API's ``scale``: None for ``--scale none``."""
    return None if scale is Scale.none else scale.value


def check_outputs(paths, *, force: bool, inputs) -> None:
    """Refuse, before any work, outputs that exist (without --force) or are inputs."""
    from kmeansx.io import check_output

    seen = {}
    for p in paths:
        if p is None:
            continue
        check_output(p, force=force, inputs=inputs)
        key = os.path.realpath(p)
        if key in seen:
            raise ValueError(
                f"{seen[key]} and {p} are the same file; give each output its own path."
            )
        seen[key] = p
