"""``kmeansx fit``: segment a table, write what was asked for, print the profile.

The table is read, selected, checked and scaled once (:func:`kmeansx._tables.prepare`);
``segment`` and every picture take that prepared form. ``--dask`` hands the work to
:mod:`kmeansx.cli.dask`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kmeansx.cli import options as opt


@opt.reads_csv
def fit(
    data: opt.Data,
    columns: opt.Columns = None,
    exclude: opt.Exclude = None,
    n_clusters: Annotated[
        str,
        typer.Option(
            "--n-clusters",
            "-k",
            help="A number, or auto: choose it by five methods over k = 1..--k-max.",
        ),
    ] = "auto",
    k_max: Annotated[
        int,
        typer.Option("--k-max", min=2, help="Largest k that -k auto tries."),
    ] = 10,
    scale: opt.ScaleOpt = opt.Scale.standard,
    random_state: opt.RandomState = None,
    n_init: opt.NInit = 10,
    dropna: opt.Dropna = False,
    output: opt.Output = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Save the model (.kmx).")
    ] = None,
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Write PNGs and a GIF here.")
    ] = None,
    json: opt.Json = False,
    force: opt.Force = False,
    dask: Annotated[
        bool,
        typer.Option(
            "--dask", help="Parquet files (folder or quoted glob) on Dask.", metavar=""
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (default: local)."),
    ] = None,
    refine: opt.RefineOpt = None,
    metric: opt.MetricOpt = opt.Metric.euclidean,
    mini_batch: Annotated[
        bool,
        typer.Option(
            "--mini-batch",
            help="Stream a file (or a folder of files) larger than memory: "
            "mini-batch k-means over chunks; needs -k N.",
            metavar="",
        ),
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size", min=1, help="Rows per mini-batch step (--mini-batch)."
        ),
    ] = 1024,
    passes: Annotated[
        int,
        typer.Option(
            "--passes",
            min=1,
            help="Passes of mini-batch steps over the rows (--mini-batch).",
        ),
    ] = 3,
    *,
    csv: opt.CsvOptions,
):
    """Segment a table: choose k (or take yours), fit, profile, save.

    Without --columns it clusters on every numeric column except identifiers,
    an index column and labels, and says which it used. With -k auto (the
    default) it tries k = 1 to --k-max (10) and takes the k most of five methods
    recommend.

    Examples:

        kmeansx fit customers.csv

        kmeansx fit customers.csv -c "Annual Income,Spending Score" -k 5 -o out.csv

        kmeansx fit sales.csv --exclude "Year" --model seg.kmx --plots pictures

        kmeansx fit export.csv --sep ";" --decimal "," --json

        kmeansx fit big.parquet --mini-batch -k 8 -o labels.parquet

        kmeansx fit embeddings.csv --metric cosine --scale none -k 20

    With --metric cosine the rows are compared by angle (SphericalKMeans),
    after --scale: standard compares the rows' deviations from the column
    means, none their own directions (embeddings, counts). The profile's
    distance is then the cosine distance, 1 - cos.
    """
    params = dict(
        n_clusters=opt.parse_n_clusters(n_clusters),
        columns=opt.parse_list(columns),
        scale=opt.scale_value(scale),
        random_state=random_state,
        n_init=n_init,
        dropna=dropna,
        metric=opt.check_metric(metric, refine),
    )
    if metric is opt.Metric.cosine and plots is not None:
        opt.fail(
            "--plots is not available with --metric cosine yet: the pictures "
            "measure Euclidean distances."
        )
    dialect = opt.csv_dialect(csv)
    excluded = opt.parse_list(exclude, "--exclude", "Age")
    # Where to write and whether to overwrite: the same for the three paths.
    outputs = dict(output=output, model=model, force=force)
    if mini_batch:
        _refuse_with_mini_batch(params, dask or scheduler is not None, plots, refine)
        params.update(exclude=excluded, batch_size=batch_size, passes=passes)
        _fit_streaming(data, dialect, params, json, **outputs)
        return
    for option, value, default in (
        ("--batch-size", batch_size, 1024),
        ("--passes", passes, 3),
    ):
        if value != default:
            opt.fail(f"{option} is for --mini-batch; add --mini-batch or leave it out.")
    if dask or scheduler is not None:
        if refine is not None:
            opt.fail(f"--refine {refine.value} is not available with --dask.")
        named = [f"--{k.replace('_', '-')}" for k, v in dialect.items() if v]
        if named:
            opt.fail(
                f"{named[0]} is for CSV files; --dask reads Parquet: leave it out."
            )
        params["exclude"] = excluded
        _fit_on_dask(data, params, plots, json, scheduler, **outputs)
        return
    params["refine"] = opt.refine_value(refine)
    params["k_range"] = range(1, k_max + 1)
    given = params["columns"] is not None
    with opt.user_errors():
        seg, prepared, outputs = _fit_in_memory(
            data, dialect, excluded, params, output, model, plots, force
        )
    _print(seg, prepared, outputs, json, columns_given=given)


def _fit_in_memory(data, dialect, exclude, params, output, model, plots, force):
    """Check the outputs, read and prepare the table once, segment, write."""
    from kmeansx import save, segment
    from kmeansx._tables import prepare
    from kmeansx.cli.figures import check_plot_outputs, figure_title, write_plots
    from kmeansx.cli.progress import FitProgress
    from kmeansx.io import all_or_nothing, write_table

    opt.check_outputs([output, model], force=force, inputs=[data])
    if plots is not None:
        check_plot_outputs(plots, force=force, inputs=[data, output, model])
    df = opt.read_input(data, dialect)
    # The one preparation of this command: segment and every picture take it.
    prepared = prepare(
        df,
        params.pop("columns"),
        dropna=params["dropna"],
        scale=params["scale"],
        exclude=exclude,
    )
    with FitProgress(params["n_init"], "fitting") as progress:
        seg = segment(
            prepared, **params, record_history=plots is not None, callback=progress
        )
    outputs = {}
    # Every file or none: a late failure (a picture, say) leaves no table behind.
    with all_or_nothing():
        if output is not None:
            rows = df.copy()
            rows["cluster"] = seg.labels
            outputs["output"] = write_table(rows, output, force=force, inputs=[data])
        if model is not None:
            outputs["model"] = save(seg, model, force=force)
        if plots is not None:
            title = figure_title(data, seg.columns)
            outputs.update(write_plots(seg, prepared, plots, force=force, title=title))
    return seg, prepared, outputs


def _print(seg, prepared, outputs: dict, json: bool, *, columns_given: bool) -> None:
    from kmeansx.cli import format as fmt

    if json:
        typer.echo(fmt.to_json(fmt.segmentation_json(seg, outputs, prepared)))
        return
    out = opt.report_console(prepared, columns_given=columns_given)
    for item in fmt.segmentation_report(seg, width=out.width):
        out.print(item)
    for name, path in outputs.items():
        out.print(f"wrote {name}: {path}", highlight=False)


def _fit_on_dask(data, params, plots, json, scheduler, **outputs):
    from kmeansx.cli import format as fmt

    with opt.user_errors():
        from kmeansx.cli.dask import fit_command

        summary = fit_command(
            data, **params, scheduler=scheduler, plots=plots, **outputs
        )
    if json:
        typer.echo(fmt.to_json(fmt.dask_fit_json(summary)))
        return
    out = opt.console()
    if params["columns"] is None:
        out.print(
            fmt.columns_line(summary["columns"], summary["left_out"]),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for item in fmt.dask_fit_report(summary):
        out.print(item, highlight=False)


def _refuse_with_mini_batch(params, dask, plots, refine) -> None:
    if params.pop("metric") != "euclidean":
        opt.fail(
            "--metric cosine is not available with --mini-batch: the streamed fit is "
            "MiniBatchKMeans, by Euclidean distance."
        )
    if params["n_clusters"] == "auto":
        opt.fail(
            "--mini-batch needs a number of clusters (-k N); choose k in memory on a "
            "sample of the rows first (kmeansx choose-k)."
        )
    for given, option, why in (
        (dask, "--dask", "they are two ways to fit data larger than memory"),
        (plots is not None, "--plots", "the pictures need every row in memory"),
        (refine is not None, "--refine", "refining needs every row in memory"),
    ):
        if given:
            opt.fail(f"{option} is not available with --mini-batch: {why}.")


def _fit_streaming(data, dialect, params, json, **outputs):
    """Wire the options to :func:`kmeansx._stream_fit.segment_stream`, print."""
    from kmeansx._csv import CsvDialect
    from kmeansx._stream_fit import segment_stream
    from kmeansx.cli import format as fmt
    from kmeansx.cli.progress import StreamProgress

    def notes(stream):
        for text in fmt.reading_notes(stream.files[0], stream.csv or object()):
            opt.note(text)

    with opt.user_errors(), StreamProgress() as progress:
        seg = segment_stream(
            data,
            params.pop("n_clusters"),
            dialect=CsvDialect(**dialect),
            progress=progress,
            on_open=notes,
            **params,
            **outputs,
        )
    if json:
        typer.echo(fmt.to_json(fmt.stream_fit_json(seg)))
        return
    out = opt.console()
    given = params["columns"] is not None
    lines = [] if given else [fmt.columns_line(seg.columns, seg.fit.survey.left_out)]
    for line in lines + fmt.stream_fit_lines(seg):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    out.print(fmt.profile_table(seg.profile, seg.columns, width=out.width))
    for name, path in seg.outputs.items():
        out.print(f"wrote {name}: {path}", highlight=False)
