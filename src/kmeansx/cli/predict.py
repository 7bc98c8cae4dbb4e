"""``kmeansx predict``: label the rows of a new table with a saved model.

Rows are labeled by :meth:`kmeansx.segment.SegmentModel.predict`, as ``segment``'s
own models label them: a plain KMeans file is wrapped as a segment model without
scaling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kmeansx.cli import options as opt


@opt.reads_csv
def predict(
    model: Annotated[
        Path,
        typer.Argument(help="A model file from kmeansx fit --model.", metavar="MODEL"),
    ],
    data: opt.Data,
    output: opt.Output = None,
    dropna: opt.Dropna = False,
    json: opt.Json = False,
    force: opt.Force = False,
    *,
    csv: opt.CsvOptions,
):
    """Label the rows of a new table with a saved model.

    The model picks its own columns from the table (by name) and scales them as
    at fit time; other columns are kept in the output.

    Examples:

        kmeansx predict seg.kmx new_customers.csv -o labeled.csv

        kmeansx predict seg.kmx new_customers.csv --dropna --json
    """
    dialect = opt.csv_dialect(csv)
    with opt.user_errors():
        from kmeansx import load
        from kmeansx.cli import format as fmt
        from kmeansx.io import all_or_nothing, write_table
        from kmeansx.segment import SegmentModel

        opt.check_outputs([output], force=force, inputs=[data, model])
        fitted = load(model)
        df = opt.read_input(data, dialect)
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
    shown = opt.console()
    missing = int(labels.isna().sum())
    if missing:
        shown.print(
            f"dropped {missing} of {len(labels)} rows with a missing value; their "
            "cluster is left empty",
            highlight=False,
        )
    shown.print(fmt.sizes_table(labels))
    if out is not None:
        shown.print(f"wrote output: {out}", highlight=False)
    else:
        shown.print("Pass -o FILE to write the rows with their cluster.")
