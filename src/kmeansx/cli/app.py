"""The Typer app: the commands, usage errors on one line, and ``main``."""

from __future__ import annotations

import contextlib
import sys
import warnings

import typer
from typer.core import TyperGroup

from kmeansx.cli.choose_k import choose_k_command
from kmeansx.cli.dataset import dataset
from kmeansx.cli.demo import demo
from kmeansx.cli.fit import fit
from kmeansx.cli.options import one_line
from kmeansx.cli.predict import predict
from kmeansx.cli.warmup import compile_notice, warmup

try:  # Typer >= 0.26 vendors click; earlier versions use click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException


@contextlib.contextmanager
def _warnings_as_notes():
    """A Python warning reaches the user as one plain line, once, not as
    ``file:line: SomeWarning: ...`` with a source line under it.

    The known causes on small or odd tables are fixed where they arise; this is
    the net for the rest (a library's deprecation, say).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = set()
            for w in caught:
                text = one_line(str(w.message))
                if text and text not in seen:
                    seen.add(text)
                    typer.echo(f"kmeansx: note: {text}", err=True)


class _Group(TyperGroup):
    """Usage errors as one line on stderr (status 2), not a rich panel."""

    def get_help_option(self, ctx):
        return _no_metavar(super().get_help_option(ctx))

    def get_command(self, ctx, cmd_name):
        # Every command's --help, whoever registers it, shows no "<bool>".
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _no_metavar(command.get_help_option(ctx))
        return command

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):  # fmt: skip
        try:
            with _warnings_as_notes(), compile_notice():
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
                    f"kmeansx: error: {one_line(e.format_message())} "
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


def _no_metavar(option):
    if option is not None:
        option.metavar = ""
    return option


def _version(value: bool) -> None:
    if value:
        from kmeansx._version import __version__

        typer.echo(f"kmeansx {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=_Group,
    name="kmeansx",
    help="Exact, fast k-means: choose k, segment a table, label new rows, see it move.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


# The options of kmeansx itself, before a command (--version).
@app.callback()
def _options(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print the version and exit.",
        metavar="",
    ),
) -> None:
    pass


# In this order in --help.
app.command()(fit)
app.command()(predict)
app.command("choose-k")(choose_k_command)
app.command()(demo)
app.command()(dataset)
app.command()(warmup)


def main() -> None:
    """Entry point of the ``kmeansx`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
