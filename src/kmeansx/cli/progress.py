"""A progress bar for a long fit: on a terminal's stderr, and only once it is long.

A fit of a few seconds shows nothing, and neither does one whose stderr is a pipe
or a file, so that tests, scripts and ``--json`` stay clean; past ``delay`` seconds
a transient bar counts the restarts (``--n-init``) and shows the current run's
iteration and inertia, driven by :meth:`kmeansx.KMeans.fit`'s ``callback``; for a
fit read from a file in chunks (``fit --mini-batch``), the pass under way and its
rows.
"""

from __future__ import annotations

import time

DELAY = 2.0


class _DelayedBar:
    """A transient rich bar on stderr, opened only after ``delay`` seconds of
    work and only on a terminal (decided once)."""

    def __init__(self, *, console=None, delay=DELAY, clock=None):
        self.delay = delay
        self._clock = clock or time.monotonic
        self._console = console
        self._bar = None
        self._task = None
        self._start = None
        self._checked = False  # whether to show was decided (once)
        self.shown = False

    def __enter__(self):
        self._start = self._clock()
        return self

    def _ready(self) -> bool:
        """Whether the bar is drawn now (opening it once the delay is past)."""
        if not self._checked:
            if self._clock() - self._start < self.delay:
                return False
            self._checked = True
            self._open()
        return self._bar is not None

    def _columns(self) -> list:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn

        return [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import Progress

        console = self._console or Console(stderr=True)
        if not console.is_terminal:
            return
        self.shown = True
        self._bar = Progress(*self._columns(), console=console, transient=True)
        self._task = self._bar.add_task("", total=self._total())
        self._bar.start()

    def _total(self):
        return None

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


class FitProgress(_DelayedBar):
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
        super().__init__(console=console, delay=delay, clock=clock)
        self.n_init = int(n_init)
        self.description = description
        self._run = 0

    def _total(self):
        return self.n_init

    def __call__(self, iteration, inertia, n_changed, center_shift) -> None:
        if iteration == 0:
            self._run += 1
        if self._ready():
            self._bar.update(
                self._task,
                completed=self._run - 1,
                description=f"{self.description}: run {self._run} of {self.n_init}, "
                f"iteration {iteration + 1}, inertia {inertia:.6g}",
            )


class StreamProgress(_DelayedBar):
    """``progress`` for a fit read from a file in chunks
    (:func:`kmeansx._stream_fit.segment_stream`): the pass under way and its rows,
    after ``delay`` seconds, on a terminal only.

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> from kmeansx.cli.progress import StreamProgress
    >>> ticks = iter([0.0, 0.5, 3.0, 3.1, 3.2])
    >>> out = Console(file=io.StringIO(), force_terminal=True)
    >>> with StreamProgress(console=out, clock=lambda: next(ticks)) as p:
    ...     p("reading", 1000, None)  # at 0.5 s: nothing yet
    ...     shown_early = p.shown
    ...     p("pass 1 of 3", 2000, 5000)  # at 3.0 s: the bar appears
    >>> shown_early, p.shown
    (False, True)
    """

    def _columns(self) -> list:
        from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

        return [
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
        ]

    def __call__(self, description: str, rows_done: int, rows_total) -> None:
        if self._ready():
            self._bar.update(
                self._task,
                description=description,
                completed=rows_done,
                total=rows_total,
            )
