"""A progress bar for a long fit: on a terminal's stderr, and only once it is long.

A fit of a few seconds shows nothing, and neither does one whose stderr is a pipe
or a file, so that tests, scripts and ``--json`` stay clean; past ``delay`` seconds
a transient bar counts the restarts (``--n-init``) and shows the current run's
iteration and inertia, driven by :meth:`kmeansx.KMeans.fit`'s ``callback``.
"""

from __future__ import annotations

import time

DELAY = 2.0


class FitProgress:
    """``callback`` for :meth:`kmeansx.KMeans.fit` (through :func:`kmeansx.segment`)
    that shows a bar after ``delay`` seconds, on a terminal only.

    Parameters
    ----------
    n_init : int
        The runs to count.
    description : str
        What is being fitted, e.g. "fitting k=5".
    console : rich Console, default=None
        Where to draw; None is stderr.
    delay : float, default=2.0
        Seconds of fitting before the bar appears.
    clock : callable, default=time.monotonic

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> from kmeansx.cli.progress import FitProgress
    >>> ticks = iter([0.0, 0.5, 3.0, 3.1])
    >>> out = Console(file=io.StringIO(), force_terminal=True)
    >>> with FitProgress(2, "fitting k=3", console=out, clock=lambda: next(ticks)) as p:
    ...     p(0, 10.0, 5, 1.0)  # at 0.5 s: nothing yet
    ...     shown_early = p.shown
    ...     p(1, 9.0, 0, 0.0)  # at 3.0 s: the bar appears
    >>> shown_early, p.shown
    (False, True)
    """

    def __init__(self, n_init, description, *, console=None, delay=DELAY, clock=None):
        self.n_init = int(n_init)
        self.description = description
        self.delay = delay
        self._clock = clock or time.monotonic
        self._console = console
        self._bar = None
        self._task = None
        self._run = 0
        self._start = None
        self._checked = False  # whether to show was decided (once)
        self.shown = False

    def __enter__(self):
        self._start = self._clock()
        return self

    def __call__(self, iteration, inertia, n_changed, center_shift) -> None:
        if iteration == 0:
            self._run += 1
        if not self._checked:
            if self._clock() - self._start < self.delay:
                return
            self._checked = True
            self._open()
        if self._bar is not None:
            self._bar.update(
                self._task,
                completed=self._run - 1,
                description=f"{self.description}: run {self._run} of {self.n_init}, "
                f"iteration {iteration + 1}, inertia {inertia:.6g}",
            )

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        console = self._console or Console(stderr=True)
        if not console.is_terminal:
            return
        self.shown = True
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task(self.description, total=self.n_init)
        self._bar.start()

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
