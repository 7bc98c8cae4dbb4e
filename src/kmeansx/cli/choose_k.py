"""``kmeansx choose-k``: how many clusters? Five methods side by side, one vote."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kmeansx.cli import options as opt


@opt.reads_csv
def choose_k_command(
    data: opt.Data,
    columns: opt.Columns = None,
    exclude: opt.Exclude = None,
    k_min: Annotated[int, typer.Option("--k-min", min=1, help="Smallest k.")] = 1,
    k_max: Annotated[int, typer.Option("--k-max", min=1, help="Largest k.")] = 10,
    methods: Annotated[
        str | None,
        typer.Option(
            "--methods",
            help="Comma-separated: elbow, silhouette, gap, calinski_harabasz, "
            "davies_bouldin (default: all).",
        ),
    ] = None,
    scale: opt.ScaleOpt = opt.Scale.standard,
    random_state: opt.RandomState = None,
    n_init: opt.NInit = 10,
    dropna: opt.Dropna = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write the elbow and the scores to this PNG."),
    ] = None,
    json: opt.Json = False,
    force: opt.Force = False,
    refine: opt.RefineOpt = None,
    metric: opt.MetricOpt = opt.Metric.euclidean,
    *,
    csv: opt.CsvOptions,
):
    """How many clusters? Five methods side by side, and one recommendation.

    It fits k = --k-min to --k-max (1 to 10) and scores each k by the elbow,
    silhouette, gap statistic, Calinski-Harabasz and Davies-Bouldin; the k most
    methods recommend wins. Without --columns it uses every numeric column except
    identifiers, an index column and labels, and says which.

    Examples:

        kmeansx choose-k customers.csv

        kmeansx choose-k customers.csv --k-max 15 --methods silhouette,gap

        kmeansx choose-k customers.csv --exclude Age --plot k.png --json

        kmeansx choose-k embeddings.parquet --metric cosine --scale none
    """
    if k_max < k_min:
        opt.fail(f"--k-max ({k_max}) must be >= --k-min ({k_min}).")
    metric_value = opt.check_metric(metric, refine)
    dialect = opt.csv_dialect(csv)
    given = opt.parse_list(columns)
    with opt.user_errors():
        from kmeansx import choose_k
        from kmeansx._tables import prepare
        from kmeansx.cli import format as fmt
        from kmeansx.cli.figures import figure_title, write_choice_figure
        from kmeansx.io import all_or_nothing
        from kmeansx.selection import METHODS

        opt.check_outputs([plot], force=force, inputs=[data])
        df = opt.read_input(data, dialect)
        prepared = prepare(
            df,
            given,
            dropna=dropna,
            scale=opt.scale_value(scale),
            exclude=opt.parse_list(exclude, "--exclude", "Age"),
        )
        choice = choose_k(
            prepared,
            range(k_min, k_max + 1),
            METHODS
            if methods is None
            else opt.parse_list(methods, "--methods", "silhouette,gap"),
            scale=opt.scale_value(scale),
            dropna=dropna,
            random_state=random_state,
            n_init=n_init,
            refine=opt.refine_value(refine),
            metric=metric_value,
        )
        if plot is not None:
            with all_or_nothing():
                write_choice_figure(
                    choice, plot, force=force, title=figure_title(data, choice.columns)
                )
    if json:
        typer.echo(
            fmt.to_json(fmt.choice_json(choice, prepared) | {"metric": metric_value})
        )
        return
    shown = opt.report_console(prepared, columns_given=given)
    for item in fmt.choice_report(choice):
        shown.print(item)
    if plot is not None:
        shown.print(f"wrote plot: {plot}", highlight=False)
