"""What the commands share: options with the API's names, their parsing, and the
boundary where bad input becomes one line on stderr and status 2."""

from __future__ import annotations

import contextlib
import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class Scale(str, Enum):
    standard = "standard"
    robust = "robust"
    none = "none"


class Refine(str, Enum):
    hartigan = "hartigan"


# Options shared by several commands, with the API's names.
Data = Annotated[Path, typer.Argument(help="Input table: .csv, .tsv or .parquet.")]
Columns = Annotated[
    str | None,
    typer.Option("--columns", "-c", help='Columns to use, e.g. "Annual Income,Age".'),
]
ScaleOpt = Annotated[
    Scale, typer.Option("--scale", help="Scale columns first (standard, robust, none).")
]
RandomState = Annotated[
    int | None, typer.Option("--random-state", help="Seed, for reproducible results.")
]
NInit = Annotated[int, typer.Option("--n-init", min=1, help="Restarts per fit.")]
Dropna = Annotated[
    bool, typer.Option("--dropna", help="Drop rows with missing values in the columns.")
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the rows with a cluster column."),
]
Force = Annotated[bool, typer.Option("--force", help="Replace existing outputs.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
RefineOpt = Annotated[
    Refine | None,
    typer.Option("--refine", help="Refine each fit by Hartigan's moves (hartigan)."),
]


def refine_value(refine: Refine | None) -> str | None:
    """The API's ``refine``: None, or the option's value."""
    return None if refine is None else refine.value


def one_line(message: str) -> str:
    return " ".join(str(message).split())


def fail(message: str):
    typer.echo(f"kmeansx: error: {one_line(message)}", err=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def user_errors():
    """Bad input (ValueError, missing or existing files) -> one line, status 2."""
    try:
        yield
    except (ValueError, OSError, ImportError) as e:
        fail(str(e) or type(e).__name__)


def console():
    """Where the tables go: the terminal's width, or 120 columns off a terminal."""
    from rich.console import Console

    out = Console()
    return out if out.is_terminal else Console(width=120)


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
