"""The ``kmeansx`` command: a thin client of choose_k, segment, save/load and plot.

Options carry the API's parameter names (``--n-clusters``, ``--scale``,
``--random-state``, ``--n-init``, ``--dropna``, ``--force``). Bad input or usage
exits with status 2 and one line on stderr, never a traceback; the library's
advice is said in options (``--force``, not ``force=True``). A CSV table's rows
are indexed by their line in the file, so messages name lines. Heavy modules are
imported inside the commands so that ``kmeansx --help`` stays quick.

- :mod:`~kmeansx.cli.app`: the Typer app, usage errors on one line, ``main``.
- :mod:`~kmeansx.cli.options`: the options the commands share, their parsing, and
  the boundary where bad input becomes one line and status 2.
- :mod:`~kmeansx.cli.fit`, :mod:`~kmeansx.cli.predict`,
  :mod:`~kmeansx.cli.choose_k`, :mod:`~kmeansx.cli.demo`: the commands.
- :mod:`~kmeansx.cli.dask`: ``kmeansx fit --dask``, Parquet files on a cluster.
- :mod:`~kmeansx.cli.figures`: the pictures the commands write.
- :mod:`~kmeansx.cli.format`: what the commands print, as pure functions.
- :mod:`~kmeansx.cli.progress`: the progress bar of a long fit (a terminal only).
"""

from kmeansx.cli.app import app, main

__all__ = ["app", "main"]
