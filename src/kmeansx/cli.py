"""The ``kmeansx`` command: a thin client of choose_k, segment, save/load and plot.

Options carry the API's parameter names (``--n-clusters``, ``--scale``,
``--random-state``, ``--n-init``, ``--dropna``, ``--force``). Bad input or usage
exits with status 2 and one line on stderr, never a traceback. Heavy modules are
imported inside the commands so that ``kmeansx --help`` stays quick.
"""

from __future__ import annotations

import contextlib
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

try:  # Typer >= 0.26 vendors click; earlier versions use click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException

PLOT_FILES = (
    "elbow.png",
    "scores.png",
    "silhouette.png",
    "clusters.png",
    "centroid_paths.png",
    "animation.gif",
)


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


class _Group(TyperGroup):
    """Usage errors as one line on stderr (status 2), not a rich panel."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):  # fmt: skip
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except ClickException as e:
            # With no arguments the help has just been printed: nothing to add.
            if type(e).__name__ != "NoArgsIsHelpError":
                ctx = getattr(e, "ctx", None)
                where = ctx.command_path if ctx is not None else "kmeansx"
                typer.echo(
                    f"kmeansx: error: {_one_line(e.format_message())} "
                    f"(see '{where} --help')",
                    err=True,
                )
            rv = e.exit_code
        except typer.Abort:
            typer.echo("kmeansx: aborted", err=True)
            rv = 1
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_Group,
    name="kmeansx",
    help="Exact, fast k-means: choose k, segment a table, label new rows, see it move.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class Scale(str, Enum):
    standard = "standard"
    robust = "robust"
    none = "none"


def _fail(message: str):
    typer.echo(f"kmeansx: error: {_one_line(message)}", err=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def _user_errors():
    """Bad input (ValueError, missing or existing files) -> one line, status 2."""
    try:
        yield
    except (ValueError, OSError, ImportError) as e:
        _fail(str(e) or type(e).__name__)


def _console():
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=120)


def _columns(text: str | None):
    if text is None:
        return None
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        _fail("--columns is empty; name the columns, e.g. --columns 'A,B'.")
    return cols


def _n_clusters(text: str):
    if text.strip().lower() == "auto":
        return "auto"
    try:
        k = int(text)
    except ValueError:
        _fail(f"--n-clusters must be 'auto' or a whole number >= 1, got {text!r}.")
    if k < 1:
        _fail(f"--n-clusters must be 'auto' or a whole number >= 1, got {k}.")
    return k


def _scale(scale: Scale):
    return None if scale is Scale.none else scale.value


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
Force = Annotated[bool, typer.Option("--force", help="Replace existing outputs.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def write_plots(seg, df, directory: Path, *, force: bool) -> dict:
    """Write every picture of a segmentation into ``directory``: name -> path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kmeansx import plot
    from kmeansx.io import atomic_write

    directory.mkdir(parents=True, exist_ok=True)
    drawings = {
        "silhouette.png": lambda ax: plot.silhouette(seg, df, ax),
        "clusters.png": lambda ax: plot.clusters(seg, df, ax),
        "centroid_paths.png": lambda ax: plot.centroid_paths(seg, df, ax),
    }
    if seg.choice is not None:
        drawings = {
            "elbow.png": lambda ax: plot.elbow(seg.choice, ax),
            "scores.png": lambda ax: plot.scores(seg.choice, ax),
            **drawings,
        }
    written = {}
    for name, draw in drawings.items():
        fig, ax = plt.subplots(figsize=(7, 5))
        try:
            draw(ax)
            fig.tight_layout()
            with atomic_write(directory / name, force=force) as tmp:
                fig.savefig(tmp, dpi=100)
        finally:
            plt.close(fig)
        written[name] = directory / name
    gif = directory / "animation.gif"
    written["animation.gif"] = plot.animate(seg, df, gif, force=force)
    return written


def _check_outputs(paths, *, force: bool, inputs) -> None:
    from kmeansx.io import check_output

    for p in paths:
        if p is not None:
            check_output(p, force=force, inputs=inputs)


@app.command()
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
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the rows with a cluster column."),
    ] = None,
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
):
    """Segment a table: choose k (or take yours), fit, profile, save."""
    k = _n_clusters(n_clusters)
    cols = _columns(columns)
    if dask or scheduler is not None:  # kmeansx._backends.dask_cli does the work
        with _user_errors():
            from kmeansx import _report
            from kmeansx._backends.dask_cli import fit_command

            summary = fit_command(
                data,
                columns=cols,
                n_clusters=k,
                scale=_scale(scale),
                random_state=random_state,
                n_init=n_init,
                output=output,
                scheduler=scheduler,
                force=force,
                console=None if json else _console(),
                dropna=dropna,
                model=model,
                plots=plots,
            )
        if json:
            typer.echo(_report.to_json(summary))
        return
    with _user_errors():
        from kmeansx import _report, save, segment
        from kmeansx.io import read_table, write_table

        _check_outputs([output, model], force=force, inputs=[data])
        if plots is not None and plots.exists():
            if not plots.is_dir():
                raise NotADirectoryError(f"--plots {plots} is a file, not a directory.")
            _check_outputs([plots / n for n in PLOT_FILES], force=force, inputs=[data])
        df = read_table(data)
        seg = segment(
            df,
            cols,
            k,
            scale=_scale(scale),
            random_state=random_state,
            dropna=dropna,
            n_init=n_init,
            record_history=plots is not None,
        )
        outputs = {}
        if output is not None:
            out = df.copy()
            out["cluster"] = seg.labels
            outputs["output"] = write_table(out, output, force=force, inputs=[data])
        if model is not None:
            outputs["model"] = save(seg, model, force=force)
        if plots is not None:
            outputs.update(write_plots(seg, df, plots, force=force))
    if json:
        typer.echo(_report.to_json(_report.segmentation_json(seg, outputs)))
        return
    console = _console()
    if seg.choice is not None:
        console.print(_report.choice_table(seg.choice))
        console.print(_report.choice_summary(seg.choice))
    console.print(_report.profile_table(seg.profile, seg.columns))
    for name, path in outputs.items():
        console.print(f"wrote {name}: {path}", highlight=False)


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="A model file from kmeansx fit.")],
    data: Data,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the rows with a cluster column."),
    ] = None,
    dropna: Dropna = False,
    json: Json = False,
    force: Force = False,
):
    """Label the rows of a new table with a saved model."""
    with _user_errors():
        import pandas as pd

        from kmeansx import _report, load
        from kmeansx._tables import prepare
        from kmeansx.io import read_table, write_table

        _check_outputs([output], force=force, inputs=[data, model])
        fitted = load(model)
        df = read_table(data)
        if hasattr(fitted, "scaler"):
            labels = fitted.predict(df, dropna=dropna)
        else:
            names = getattr(fitted, "feature_names_in_", None)
            names = list(names) if names is not None else None
            prepared = prepare(df, names, dropna=dropna)
            if names is None:
                names = prepared.columns
            values = pd.DataFrame(prepared.values, columns=names)
            if getattr(fitted, "feature_names_in_", None) is None:
                values = values.to_numpy()
            labels = pd.Series(fitted.predict(values), name="cluster")
            if dropna:
                full = pd.Series(pd.NA, index=df.index, name="cluster", dtype="Int64")
                full[prepared.kept] = labels.to_numpy()
                labels = full
            else:
                labels.index = df.index
        out = None
        if output is not None:
            table = df.copy()
            table["cluster"] = labels
            out = write_table(table, output, force=force, inputs=[data, model])
    if json:
        sizes = labels.value_counts(dropna=False).sort_index()
        typer.echo(
            _report.to_json(
                {
                    "n_rows": len(labels),
                    "sizes": {
                        "missing" if pd.isna(k) else str(k): int(v)
                        for k, v in sizes.items()
                    },
                    "output": None if out is None else str(out),
                }
            )
        )
        return
    console = _console()
    console.print(_report.sizes_table(labels))
    if out is not None:
        console.print(f"wrote output: {out}", highlight=False)
    else:
        console.print("Pass -o FILE to write the rows with their cluster.")


@app.command("choose-k")
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
):
    """How many clusters? Five methods side by side, and one recommendation."""
    if k_max < k_min:
        _fail(f"--k-max ({k_max}) must be >= --k-min ({k_min}).")
    with _user_errors():
        from kmeansx import _report, choose_k
        from kmeansx.io import read_table
        from kmeansx.selection import METHODS

        _check_outputs([plot], force=force, inputs=[data])
        df = read_table(data)
        choice = choose_k(
            df,
            range(k_min, k_max + 1),
            METHODS if methods is None else _columns(methods),
            columns=_columns(columns),
            scale=_scale(scale),
            dropna=dropna,
            random_state=random_state,
            n_init=n_init,
        )
        if plot is not None:
            _choice_figure(choice, plot, force=force)
    if json:
        typer.echo(_report.to_json(_report.choice_json(choice)))
        return
    console = _console()
    console.print(_report.choice_table(choice))
    console.print(_report.choice_summary(choice))
    if plot is not None:
        console.print(f"wrote plot: {plot}", highlight=False)


def _choice_figure(choice, path: Path, *, force: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kmeansx import plot
    from kmeansx.io import atomic_write

    has_scores = any(m != "elbow" for m in choice.recommended)
    fig, axes = plt.subplots(1, 1 + has_scores, figsize=(6 + 6 * has_scores, 4.5))
    axes = list(axes) if has_scores else [axes]
    try:
        plot.elbow(choice, axes[0])
        if has_scores:
            plot.scores(choice, axes[1])
        fig.tight_layout()
        with atomic_write(path, force=force) as tmp:
            fig.savefig(tmp, dpi=100)
    finally:
        plt.close(fig)


@app.command()
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the pictures.")
    ] = Path("kmeansx-demo"),
    random_state: RandomState = 0,
    force: Force = False,
):
    """The whole workflow on the built-in wine data, and why to standardize first."""
    with _user_errors():
        from kmeansx._demo import run_demo

        run_demo(output, random_state=random_state, force=force, console=_console())


def main() -> None:
    """Entry point of the ``kmeansx`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
