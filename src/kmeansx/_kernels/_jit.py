"""The one Numba policy of kmeansx.

Every kernel is compiled through :func:`jit` so that caching, fastmath and the GIL
are decided here and nowhere else (``tests/test_kernels_policy.py`` enforces it).
"""

from __future__ import annotations

import functools
import os
import types

import numba
import numpy as np

# k-means seeds its minima with +inf and must see NaN if one slips through, so the
# flags that assume finite values ("nnan", "ninf") are deliberately left out. So
# are "reassoc" and "contract": they let LLVM reorder sums and fuse multiply-adds
# differently in each compiled copy of a loop (the serial and parallel kernels,
# a vector body and its remainder), and the same input must give the same bits
# whatever the thread count. The heavy arithmetic is in BLAS anyway.
FASTMATH_FLAGS = frozenset({"nsz", "arcp", "afn"})

# Compiled kernels are cached on disk next to the sources; KMEANSX_NUMBA_CACHE=0
# turns that off (read-only installs, or when debugging the compiler).
CACHE = os.environ.get("KMEANSX_NUMBA_CACHE", "1") != "0"


# Below this many elements in its array arguments a parallel kernel runs its serial
# compilation: the work is then smaller than what waking, and on a busy machine
# waiting for, a team of threads costs.
SERIAL_BELOW = 1 << 16


def _compile(fn, parallel: bool):
    return numba.njit(
        cache=CACHE, nogil=True, fastmath=set(FASTMATH_FLAGS), parallel=parallel
    )(fn)


def _renamed(fn, suffix: str):
    """A copy of ``fn`` under another name, so its on-disk cache entry is its own."""
    copy = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__
    )
    copy.__qualname__ = fn.__qualname__ + suffix
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
