"""``kmeansx warmup``, and the notice a command prints while kernels compile.

Numba compiles each kmeansx kernel for this machine the first time a run needs it
and keeps it in its cache (:func:`kmeansx._kernels._jit.cache_location`); later
runs load it in milliseconds. Small fits need none (``"auto"`` runs NumPy twins of
the kernels, :mod:`kmeansx._kernels.plain`). ``warmup`` compiles them all now: it
runs every path of the library once on tiny data, with every kernel forced, once
serial and once parallel (float32 and float64, dense and CSR, with and without
weights, every algorithm and init, empty-cluster relocation, Hartigan's and
breathing refinements, predict/transform/score, bisecting, the lesson's steps),
so that each kernel compiles for the argument types real runs give it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field

import typer

from kmeansx.cli.options import Json

NOTICE = "compiling kernels for this machine, first run only..."
# True while ``warmup`` runs: it shows its own spinner.
_QUIET = False


# -- what the library runs --------------------------------------------------------


def _data(dtype, sparse: bool):
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)) + np.repeat(np.eye(3) * 6, 20, axis=0)
    X[::7, 1] = 0.0  # zeros, so that the CSR form is sparse
    X = X.astype(dtype)
    return sp.csr_matrix(X) if sparse else X


def _paths(dtype, sparse: bool, weighted: bool):
    """Every in-memory path of ``KMeans`` on one kind of data."""
    import numpy as np

    from kmeansx import BisectingKMeans, KMeans
    from kmeansx._algorithms.registry import ALGORITHMS

    X = _data(dtype, sparse)
    w = np.linspace(0.5, 2.0, X.shape[0]).astype(dtype) if weighted else None
    for algorithm in ALGORITHMS if not sparse else ("lloyd",):
        km = KMeans(3, algorithm=algorithm, n_init=1, random_state=0)
        km.fit(X, sample_weight=w)
    km.predict(X)
    km.transform(X)
    km.score(X, sample_weight=w)
    for init in ("k-means||", "random"):
        KMeans(3, init=init, n_init=1, random_state=0).fit(X, sample_weight=w)
    # A start far from the data empties a cluster: relocation.
    far = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 0.0], [1e3, 1e3, 1e3]], dtype=dtype)
    KMeans(3, init=far, n_init=1).fit(X, sample_weight=w)
    if not sparse:
        # Points on a line that Lloyd leaves where Hartigan moves one.
        line = np.zeros((6, 3), dtype=dtype)
        line[:, 0] = [0.0, 2.0, 3.0, 5.5, 9.0, 10.0]
        km = KMeans(3, init=line[[0, 3, 4]], n_init=1, refine="hartigan")
        km.fit(line, sample_weight=None if w is None else w[:6])
        KMeans(3, n_init=1, random_state=0, refine="breathing").fit(X, sample_weight=w)
        # A row exactly between two centers: the bound-based steps replay it, in
        # passes without the inertia and (history) with it.
        ties = np.zeros((11, 3), dtype=dtype)
        ties[:5, 0], ties[5:10, 0] = -2.0, 2.0
        for algorithm in ALGORITHMS:
            for history in (False, True):
                km = KMeans(
                    2,
                    init=ties[[0, 5]],
                    n_init=1,
                    algorithm=algorithm,
                    record_history=history,
                )
                km.fit(ties, sample_weight=None if w is None else w[:11])
    BisectingKMeans(3, random_state=0).fit(X, sample_weight=w)


def _lesson(dtype):
    from kmeansx import steps

    X = _data(dtype, False)
    centers = steps.kmeans_plusplus(X, 3, random_state=0)[0]
    # More local trials than the pruned k-means++ marks: its plain kernels.
    steps.kmeans_plusplus(X, 3, random_state=0, n_local_trials=70)
    labels = steps.assign(X, centers)
    steps.distances(X, centers)
    steps.update(X, labels, centers)
    steps.inertia(X, centers, labels)
    steps.inertia(X, centers)


def workloads():
    """``(name, run)``: every path of the library, each on tiny data."""
    import numpy as np

    out = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        for sparse in (False, True):
            for weighted in (False, True):
                label = f"{name}, {'CSR' if sparse else 'dense'}, " + (
                    "weights" if weighted else "no weights"
                )
                out.append((label, _bound(_paths, dtype, sparse, weighted)))
        out.append((f"{name}, the lesson's steps", _bound(_lesson, dtype)))
    return out


def _bound(fn, *args):
    return lambda: fn(*args)


@contextlib.contextmanager
def kernels_forced(serial: bool):
    """Every run takes the Numba kernels (no NumPy twins), all in their serial
    compilation or all in their parallel one."""
    from kmeansx._algorithms import registry
    from kmeansx._kernels import _jit

    saved = registry.PLAIN_BELOW, _jit.SERIAL_BELOW
    registry.PLAIN_BELOW = 0
    _jit.SERIAL_BELOW = sys.maxsize if serial else 0
    try:
        yield
    finally:
        registry.PLAIN_BELOW, _jit.SERIAL_BELOW = saved


# -- compiling everything ---------------------------------------------------------


@dataclass
class WarmupSummary:
    """What :func:`compile_all` did: kernel variants compiled now, those the cache
    already held (a kernel called only from other kernels counts once, when they
    compile), the time and the cache's place. ``tests/test_warmup.py`` checks
    that the paths reach every kernel."""

    compiled: list = field(default_factory=list)
    cached: list = field(default_factory=list)
    seconds: float = 0.0
    cache: str | None = None

    def as_json(self) -> dict:
        return {
            "compiled": len(self.compiled),
            "from_cache": len(self.cached),
            "seconds": round(self.seconds, 1),
            "cache": self.cache,
            "kernels": sorted(set(self.compiled) | set(self.cached)),
        }


def compile_all(progress=None) -> WarmupSummary:
    """Run :func:`workloads` serial and parallel with the kernels forced; return
    what compiled. ``progress(name)`` is called before each workload."""
    from kmeansx._kernels import _jit

    before = _jit.kernel_stats()
    start = time.perf_counter()
    for serial in (True, False):
        with kernels_forced(serial):
            for name, run in workloads():
                if progress is not None:
                    progress(f"{name} ({'serial' if serial else 'parallel'})")
                run()
    after = _jit.kernel_stats()
    summary = WarmupSummary(
        seconds=time.perf_counter() - start, cache=_jit.cache_location()
    )
    for name, (hits, misses) in after.items():
        old_hits, old_misses = before.get(name, (0, 0))
        summary.compiled += [name] * (misses - old_misses)
        summary.cached += [name] * (hits - old_hits)
    return summary


def summary_lines(summary: WarmupSummary) -> list[str]:
    """What ``kmeansx warmup`` prints."""
    n_kernels = len(set(summary.compiled) | set(summary.cached))
    lines = [
        f"compiled {len(summary.compiled)} kernel variants ({n_kernels} kernels) in "
        f"{summary.seconds:.1f} s; {len(summary.cached)} were already in the cache."
    ]
    if summary.cache is None:
        lines.append(
            "cache: off (KMEANSX_NUMBA_CACHE=0, or no writable place for it): "
            "kernels compile again in every new process."
        )
    else:
        lines.append(f"cache: {summary.cache}")
    return lines


def warmup(json: Json = False):
    """Compile every kernel now (minutes, once per machine and install).

    Kernels otherwise compile the first time a run needs them (small tables never
    need them); they are kept in Numba's cache, by default next to the installed
    sources (NUMBA_CACHE_DIR moves it, KMEANSX_NUMBA_CACHE=0 turns it off).
    """
    from kmeansx.cli import format as fmt

    global _QUIET
    _QUIET = True  # this command's own spinner says it
    try:
        with _status(f"warmup: {NOTICE}") as update:
            summary = compile_all(progress=update)
    finally:
        _QUIET = False
    if json:
        typer.echo(fmt.to_json(summary.as_json()))
        return
    for line in summary_lines(summary):
        typer.echo(line)


# -- the notice -----------------------------------------------------------------


class _status:
    """A spinner with a message on stderr (a terminal), or the message once."""

    def __init__(self, message: str):
        self.message = message
        self._live = None

    def __enter__(self):
        from rich.console import Console

        console = Console(stderr=True)
        if console.is_terminal:
            self._live = console.status(self.message)
            self._live.start()
        else:
            typer.echo(f"kmeansx: {self.message}", err=True)
        return self.update

    def update(self, detail: str) -> None:
        if self._live is not None:
            self._live.update(f"{self.message} {detail}")

    def __exit__(self, *exc):
        if self._live is not None:
            self._live.stop()


@contextlib.contextmanager
def compile_notice():
    """While a command runs: when a kernel starts compiling, say so once on stderr
    (``compiling kernels for this machine, first run only...``) and spin while
    compiling. Cached kernels and NumPy twins compile nothing: then nothing is
    said. Standard output (tables, ``--json``) is never touched."""
    from kmeansx._kernels import _jit

    state = {"said": False, "live": None}

    def started():
        if _QUIET:
            return
        from rich.console import Console

        console = Console(stderr=True)
        if not state["said"]:
            state["said"] = True
            if not console.is_terminal:
                typer.echo(f"kmeansx: {NOTICE}", err=True)
        if console.is_terminal:
            state["live"] = console.status(NOTICE)
            state["live"].start()

    def ended():
        if state["live"] is not None:
            state["live"].stop()
            state["live"] = None

    with _jit.on_compile(started, ended):
        try:
            yield
        finally:
            ended()
