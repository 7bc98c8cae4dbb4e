"""The one Numba policy of kmeansx.

Every kernel is compiled through :func:`jit` so that caching, fastmath and the GIL
are decided here and nowhere else (``tests/test_kernels_policy.py`` enforces it).
"""

from __future__ import annotations

import contextlib
import functools
import os
import types
import warnings

import numba
import numpy as np

# k-means seeds its minima with +inf and must see NaN if one slips through, so the
# flags that assume finite values ("nnan", "ninf") are deliberately left out. So
# are "reassoc" and "contract": they let LLVM reorder sums and fuse multiply-adds
# differently in each compiled copy of a loop (the serial and parallel kernels,
# a vector body and its remainder), and the same input must give the same bits
# whatever the thread count. The heavy arithmetic is in BLAS anyway.
FASTMATH_FLAGS = frozenset({"nsz", "arcp", "afn"})

# Compiled kernels are cached on disk, where Numba puts them: NUMBA_CACHE_DIR if
# set, else the __pycache__ next to the sources, else (a read-only install) the
# user's cache folder (~/.cache/numba on Linux). KMEANSX_NUMBA_CACHE=0 turns it off
# (when debugging the compiler). With no writable place at all, kernels compile
# uncached, after one warning, instead of failing at import.
# Numba checks only a kernel's own source file for changes: after editing a
# function that kernels in other files call (bounds.py, partials.py, the
# label_chunk functions that bound_pass.py calls), delete the cache (the *.nbi and
# *.nbc files) or the callers run the old code.
CACHE = os.environ.get("KMEANSX_NUMBA_CACHE", "1") != "0"


# Below this many elements in its array arguments a parallel kernel runs its serial
# compilation: the work is then smaller than what waking, and on a busy machine
# waiting for, a team of threads costs.
SERIAL_BELOW = 1 << 16


def _compile(fn, parallel: bool):
    global CACHE
    options = dict(nogil=True, fastmath=set(FASTMATH_FLAGS), parallel=parallel)
    try:
        return numba.njit(cache=CACHE, **options)(fn)
    except RuntimeError as e:
        # Numba found no writable cache folder (a read-only install with a
        # read-only home): run uncached rather than fail at import.
        if not CACHE or "no locator available" not in str(e):
            raise
        CACHE = False
        warnings.warn(
            "kmeansx: no writable folder for Numba's cache, so kernels compile "
            "again in every new process (seconds each). Set NUMBA_CACHE_DIR to a "
            "writable folder to keep them.",
            RuntimeWarning,
            stacklevel=2,
        )
        return numba.njit(cache=False, **options)(fn)


def _renamed(fn, suffix: str):
    """A copy of ``fn`` under another name, so its on-disk cache entry is its own."""
    return specialized(fn, fn.__name__ + suffix)


def specialized(fn, name: str, **names):
    """A copy of ``fn`` named ``name``, in which the globals ``names`` are bound
    to other objects: one source compiled as several kernels, each with its own
    signatures and cache entry (``bound_pass.py``: one pass per algorithm).

    The copy reads ``fn``'s module as it is when this runs; it should reach the
    kernels it calls through their modules (``partials.chunk_partials``), so that
    it sees what they are when it runs."""
    globals_ = {**fn.__globals__, **names} if names else fn.__globals__
    copy = types.FunctionType(fn.__code__, globals_, name, fn.__defaults__)
    copy.__qualname__ = fn.__qualname__.replace(fn.__name__, name)
    copy.__module__ = fn.__module__
    copy.__doc__ = fn.__doc__
    return copy


def _n_elements(args) -> int:
    total = 0
    for arg in args:
        if isinstance(arg, np.ndarray):
            total += arg.size
        elif isinstance(arg, tuple):
            total += _n_elements(arg)
    return total


class ParallelKernel:
    """A kernel compiled twice: parallel over its chunks, and serial for small input.

    Both compilations run the same source, whose ``prange`` loops walk fixed-size
    chunks, so they give the same bits. Call it like a function; ``.parallel`` and
    ``.serial`` are the two Numba dispatchers (compiled on first use).
    """

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self.parallel = _compile(fn, parallel=True)
        self.serial = _compile(_renamed(fn, "_serial"), parallel=False)

    def __call__(self, *args):
        small = _n_elements(args) < SERIAL_BELOW
        return (self.serial if small else self.parallel)(*args)


def jit(*, parallel: bool = False):
    """Return the decorator every kmeansx kernel is compiled with.

    ``parallel=True`` gives a :class:`ParallelKernel`, to be called from Python
    drivers; other kernels are plain Numba functions, callable from kernels too.
    """
    if parallel:
        return ParallelKernel
    return lambda fn: _compile(fn, parallel=False)


_controller = None


def single_threaded_blas():
    """Context in which BLAS runs on one thread.

    Kernels call BLAS from inside their own parallel loops; a multithreaded BLAS
    there would start threads per block and oversubscribe the cores. The controller
    scans the loaded libraries once, so entering this costs microseconds.
    """
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


# -- what is compiled, and where it is kept -------------------------------------------


def dispatchers():
    """``{name: dispatcher}`` of every kernel: both compilations of a
    :class:`ParallelKernel` (``name`` and ``name (serial)``)."""
    import importlib
    import pkgutil

    import kmeansx._kernels as package

    out = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in vars(module).items():
            full = f"{info.name}.{name}"
            if isinstance(obj, ParallelKernel) and obj.__module__ == module.__name__:
                out[full] = obj.parallel
                out[f"{full} (serial)"] = obj.serial
            elif isinstance(obj, numba.core.registry.CPUDispatcher):
                if obj.py_func.__module__ == module.__name__:
                    out[full] = obj
    return out


def kernel_stats() -> dict:
    """``{name: (loaded from the cache, compiled)}``: how many signatures of each
    kernel this process took from Numba's cache and how many it compiled."""
    out = {}
    for name, disp in dispatchers().items():
        stats = disp.stats
        out[name] = (sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
    return out


def cache_location() -> str | None:
    """The folder Numba keeps this install's compiled kernels in (None when
    caching is off)."""
    if not CACHE:
        return None
    # Every kernel module sits in one folder: any kernel's cache says where.
    return next(iter(dispatchers().values())).stats.cache_path


@contextlib.contextmanager
def on_compile(started, ended):
    """Call ``started()`` when Numba starts compiling anything (a cache miss: a
    kernel loaded from the cache compiles nothing) and ``ended()`` when that
    compilation, with every one nested in it, is done."""
    from numba.core import event

    class Listener(event.Listener):
        depth = 0

        def on_start(self, ev):
            self.depth += 1
            if self.depth == 1:
                started()

        def on_end(self, ev):
            self.depth -= 1
            if self.depth == 0:
                ended()

    with event.install_listener("numba:compile", Listener()):
        yield
