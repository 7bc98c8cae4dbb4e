"""``kmeansx dataset``: write a built-in data set to a file, to try the commands on."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kmeansx.cli.options import Force, console, user_errors


class Name(str, Enum):
    mall = "mall"
    wine = "wine"


#: Where ``kmeansx dataset NAME`` writes without ``--output``.
DEFAULT_FILES = {Name.mall: "mall_customers.csv", Name.wine: "wine.csv"}


def dataset(
    name: Annotated[
        Name,
        typer.Argument(
            help="mall: the lesson's 200 Mall Customers (CustomerID, Age, Annual "
            "Income, Spending Score). wine: scikit-learn's 178 wines, 13 "
            "measurements (without the cultivar)."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write: .csv, .tsv or .parquet. Default: mall_customers.csv "
            "or wine.csv in the current directory.",
        ),
    ] = None,
    force: Force = False,
):
    """Write a built-in data set to a file.

    Example: kmeansx dataset mall -o mall_customers.csv, then
    kmeansx choose-k mall_customers.csv --columns "Annual Income,Spending Score".
    """
    with user_errors():
        path = Path(DEFAULT_FILES[name]) if output is None else output
        table = dataset_table(name)
        write_dataset(table, path, force=force)
    console().print(
        f"wrote {name.value}: {table.shape[0]} rows x {table.shape[1]} columns "
        f"({', '.join(map(str, table.columns))}) to {path}",
        highlight=False,
    )


def dataset_table(name: Name):
    """The table ``kmeansx dataset NAME`` writes.

    The wine table leaves the cultivar out: it is the answer the demo compares the
    clusters with, and a column of 0, 1, 2 in the file would be clustered with the
    measurements by any command not given ``--columns``.
    """
    from kmeansx.datasets import load_mall_customers, load_wine

    if name is Name.mall:
        return load_mall_customers()
    return load_wine().data


def write_dataset(table, path: Path, *, force: bool) -> Path:
    """Write ``table`` atomically; an existing file is kept unless ``force``."""
    from kmeansx.io import write_table

    return write_table(table, path, force=force)
