"""``kmeansx fit``: segment a table, write what was asked for, print the profile.

The table is read, selected, checked and scaled once (:func:`kmeansx._tables.prepare`);
``segment`` and every picture take that prepared form. ``--dask`` hands the work to
:mod:`kmeansx.cli.dask`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kmeansx.cli.options import (
    Columns,
    Data,
    Dropna,
    Force,
    Json,
    NInit,
    Output,
    RandomState,
    RefineOpt,
    Scale,
    ScaleOpt,
    check_outputs,
    console,
    fail,
    parse_list,
    parse_n_clusters,
    refine_value,
    scale_value,
    user_errors,
)


def fit(
    data: Data,
    columns: Columns = None,
    n_clusters: Annotated[
        str, typer.Option("--n-clusters", "-k", help="A number, or auto to choose it.")
    ] = "auto",
    scale: ScaleOpt = Scale.standard,
    random_state: RandomState = None,
    n_init: NInit = 10,
    dropna: Dropna = False,
    output: Output = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Save the model (.kmx).")
    ] = None,
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Write PNGs and a GIF here.")
    ] = None,
    json: Json = False,
    force: Force = False,
    dask: Annotated[
        bool,
        typer.Option("--dask", help="Parquet files (folder or quoted glob) on Dask."),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (default: local)."),
    ] = None,
    refine: RefineOpt = None,
):
    """Segment a table: choose k (or take yours), fit, profile, save."""
    params = dict(
        n_clusters=parse_n_clusters(n_clusters),
        columns=parse_list(columns),
        scale=scale_value(scale),
        random_state=random_state,
        n_init=n_init,
        dropna=dropna,
    )
    if dask or scheduler is not None:
        if refine is not None:
            fail(f"--refine {refine.value} is not available with --dask.")
        _fit_on_dask(data, params, output, model, plots, json, force, scheduler)
        return
    params["refine"] = refine_value(refine)
    with user_errors():
        seg, outputs = _fit_in_memory(data, params, output, model, plots, force)
    _print(seg, outputs, json)


def _fit_in_memory(data, params, output, model, plots, force):
    """Check the outputs, read and prepare the table once, segment, write."""
    from kmeansx import save, segment
    from kmeansx._tables import prepare
    from kmeansx.cli.figures import check_plot_outputs, figure_title, write_plots
    from kmeansx.io import all_or_nothing, read_table, write_table

    check_outputs([output, model], force=force, inputs=[data])
    if plots is not None:
        check_plot_outputs(plots, force=force, inputs=[data, output, model])
    df = read_table(data)
    # The one preparation of this command: segment and every picture take it.
    prepared = prepare(
        df, params["columns"], dropna=params["dropna"], scale=params["scale"]
    )
    seg = segment(prepared, **params, record_history=plots is not None)
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
    return seg, outputs


def _print(seg, outputs: dict, json: bool) -> None:
    from kmeansx.cli import format as fmt

    if json:
        typer.echo(fmt.to_json(fmt.segmentation_json(seg, outputs)))
        return
    out = console()
    for item in fmt.segmentation_report(seg):
        out.print(item)
    for name, path in outputs.items():
        out.print(f"wrote {name}: {path}", highlight=False)


def _fit_on_dask(data, params, output, model, plots, json, force, scheduler):
    from kmeansx.cli import format as fmt

    with user_errors():
        from kmeansx.cli.dask import fit_command

        summary = fit_command(
            data,
            **params,
            output=output,
            scheduler=scheduler,
            force=force,
            model=model,
            plots=plots,
        )
    if json:
        typer.echo(fmt.to_json(summary))
        return
    out = console()
    for item in fmt.dask_fit_report(summary):
        out.print(item, highlight=False)
