"""The one Numba policy of kmeansx.

Every kernel is compiled through :func:`jit` so that caching, fastmath and the GIL
are decided here and nowhere else (``tests/test_kernels_policy.py`` enforces it).
"""

from __future__ import annotations

import os

import numba

# k-means seeds its minima with +inf and must see NaN if one slips through, so the
# flags that assume finite values ("nnan", "ninf") are deliberately left out.
FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})

# Compiled kernels are cached on disk next to the sources; KMEANSX_NUMBA_CACHE=0
# turns that off (read-only installs, or when debugging the compiler).
CACHE = os.environ.get("KMEANSX_NUMBA_CACHE", "1") != "0"


def jit(*, parallel: bool = False):
    """Return the decorator every kmeansx kernel is compiled with."""
    return numba.njit(
        cache=CACHE, nogil=True, fastmath=set(FASTMATH_FLAGS), parallel=parallel
    )


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
