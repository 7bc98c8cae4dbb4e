"""``kmeansx predict``: label the rows of a new table with a saved model.

Rows are labeled by :meth:`kmeansx.segment.SegmentModel.predict`, as ``segment``'s
own models label them: a plain KMeans file is wrapped as a segment model without
scaling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kmeansx.cli.options import (
    Data,
    Dropna,
    Force,
    Json,
    Output,
    check_outputs,
    console,
    user_errors,
)


def predict(
    model: Annotated[Path, typer.Argument(help="A model file from kmeansx fit.")],
    data: Data,
    output: Output = None,
    dropna: Dropna = False,
    json: Json = False,
    force: Force = False,
):
    """Label the rows of a new table with a saved model."""
    with user_errors():
        from kmeansx import load
        from kmeansx.cli import format as fmt
        from kmeansx.io import all_or_nothing, read_table, write_table
        from kmeansx.segment import SegmentModel

        check_outputs([output], force=force, inputs=[data, model])
        fitted = load(model)
        df = read_table(data)
        if not isinstance(fitted, SegmentModel):
            # Fitted on an array, a model knows no names: it takes every column.
            names = getattr(fitted, "feature_names_in_", None)
            columns = list(df.columns) if names is None else None
            fitted = SegmentModel.from_kmeans(fitted, columns)
        labels = fitted.predict(df, dropna=dropna)
        out = None
        if output is not None:
            table = df.copy()
            table["cluster"] = labels
            with all_or_nothing():
                out = write_table(table, output, force=force, inputs=[data, model])
    if json:
        typer.echo(fmt.to_json(fmt.predictions_json(labels, out)))
        return
    shown = console()
    shown.print(fmt.sizes_table(labels))
    if out is not None:
        shown.print(f"wrote output: {out}", highlight=False)
    else:
        shown.print("Pass -o FILE to write the rows with their cluster.")
