"""``kmeansx choose-k``: how many clusters? Five methods side by side, one vote."""

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
    RandomState,
    RefineOpt,
    Scale,
    ScaleOpt,
    check_outputs,
    console,
    fail,
    parse_list,
    refine_value,
    scale_value,
    user_errors,
)


def choose_k_command(
    data: Data,
    columns: Columns = None,
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
    scale: ScaleOpt = Scale.standard,
    random_state: RandomState = None,
    n_init: NInit = 10,
    dropna: Dropna = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write the elbow and the scores to this PNG."),
    ] = None,
    json: Json = False,
    force: Force = False,
    refine: RefineOpt = None,
):
    """How many clusters? Five methods side by side, and one recommendation."""
    if k_max < k_min:
        fail(f"--k-max ({k_max}) must be >= --k-min ({k_min}).")
    with user_errors():
        from kmeansx import choose_k
        from kmeansx.cli import format as fmt
        from kmeansx.cli.figures import figure_title, write_choice_figure
        from kmeansx.io import all_or_nothing, read_table
        from kmeansx.selection import METHODS

        check_outputs([plot], force=force, inputs=[data])
        df = read_table(data)
        choice = choose_k(
            df,
            range(k_min, k_max + 1),
            METHODS
            if methods is None
            else parse_list(methods, "--methods", "silhouette,gap"),
            columns=parse_list(columns),
            scale=scale_value(scale),
            dropna=dropna,
            random_state=random_state,
            n_init=n_init,
            refine=refine_value(refine),
        )
        if plot is not None:
            with all_or_nothing():
                write_choice_figure(
                    choice, plot, force=force, title=figure_title(data, choice.columns)
                )
    if json:
        typer.echo(fmt.to_json(fmt.choice_json(choice)))
        return
    shown = console()
    for item in fmt.choice_report(choice):
        shown.print(item)
    if plot is not None:
        shown.print(f"wrote plot: {plot}", highlight=False)
