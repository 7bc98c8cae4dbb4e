"""The one Numba policy: every kernel is compiled through ``_kernels/_jit.py``.

A kernel that calls ``numba.njit`` itself, or passes its own ``fastmath``/``cache``
flags, escapes the policy (and, with "nnan"/"ninf", the NaN and inf semantics that
k-means needs: minima are seeded with +inf). The source is read as an AST, so
comments and docstrings do not count.
"""

from __future__ import annotations

import ast
import importlib
import math
import pkgutil
from pathlib import Path

import numba
import numba.core.caching
import numpy as np
import pytest

import kmeansx
from kmeansx._kernels import _jit

SRC = Path(kmeansx.__file__).resolve().parent
POLICY = SRC / "_kernels" / "_jit.py"
SOURCES = sorted(p for p in SRC.rglob("*.py") if p != POLICY)
JIT_NAMES = {"njit", "jit", "generated_jit", "vectorize", "guvectorize", "cfunc"}
POLICY_FLAGS = {"fastmath", "cache", "nogil", "error_model", "boundscheck", "nopython"}


def _numba_uses(tree: ast.AST) -> list[str]:
    """Every way a module reaches a Numba compiler without going through _jit."""
    found = []
    numba_aliases = {"numba"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numba" or alias.name.startswith("numba."):
                    numba_aliases.add(alias.asname or alias.name)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("numba"):
            for alias in node.names:
                if alias.name in JIT_NAMES:
                    found.append(f"line {node.lineno}: from {node.module} import")
        if isinstance(node, ast.Attribute) and node.attr in JIT_NAMES:
            base = node.value
            if isinstance(base, ast.Name) and base.id in numba_aliases:
                found.append(f"line {node.lineno}: {base.id}.{node.attr}")
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in POLICY_FLAGS and _is_jit_call(node):
                    found.append(f"line {node.lineno}: jit(..., {kw.arg}=...)")
    return found


def _is_jit_call(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in JIT_NAMES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_compiles_outside_the_policy(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    uses = _numba_uses(tree)
    assert not uses, (
        f"{path.relative_to(SRC)} compiles with Numba outside _kernels/_jit.py "
        f"({'; '.join(uses)}): decorate with `@jit()` or `@jit(parallel=True)` "
        "from kmeansx._kernels._jit instead."
    )


def test_the_checker_catches_violations():
    bad = """
import numba
import numba.core.caching
from numba import njit
import numba as nb

@njit
def a(x): return x

@nb.njit(fastmath=True)
def b(x): return x

@jit(cache=False)
def c(x): return x
"""
    uses = _numba_uses(ast.parse(bad))
    assert len(uses) == 4, uses


def test_the_policy_keeps_nan_and_inf():
    flags = set(_jit.FASTMATH_FLAGS)
    assert flags, "the policy names its fastmath flags"
    assert not flags & {"nnan", "ninf", "fast"}, flags
    assert flags <= {"nnan", "ninf", "nsz", "arcp", "contract", "afn", "reassoc"}


def _kernel_modules():
    import kmeansx._kernels as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        yield importlib.import_module(f"kmeansx._kernels.{info.name}")


def _dispatchers():
    for module in _kernel_modules():
        for name, obj in vars(module).items():
            if isinstance(obj, _jit.ParallelKernel):
                yield f"{module.__name__}.{name}", obj.parallel
                yield f"{module.__name__}.{name} (serial)", obj.serial
            elif isinstance(obj, numba.core.registry.CPUDispatcher):
                if obj.py_func.__module__ == module.__name__:
                    yield f"{module.__name__}.{name}", obj


def test_every_kernel_carries_the_policy_options():
    kernels = dict(_dispatchers())
    assert len(kernels) >= 8, sorted(kernels)
    for name, disp in kernels.items():
        opts = disp.targetoptions
        assert set(opts.get("fastmath", ())) == set(_jit.FASTMATH_FLAGS), name
        assert opts.get("nogil") is True, name
        # Numba keeps the cache switch on the dispatcher, not in its options.
        cached = not isinstance(disp._cache, numba.core.caching.NullCache)
        assert cached == _jit.CACHE, name


@_jit.jit()
def _min_and_nan(values):
    best = np.inf
    nan_seen = False
    for v in values:
        if np.isnan(v):
            nan_seen = True
        elif v < best:
            best = v
    return best, nan_seen, math.isinf(best)


def test_compiled_code_sees_nan_and_inf():
    assert _min_and_nan(np.array([np.nan, 3.0, 2.0])) == (2.0, True, False)
    assert _min_and_nan(np.array([np.nan])) == (np.inf, True, True)


def test_parallel_kernels_are_compiled_parallel_and_serial():
    kernels = {
        name: obj
        for module in _kernel_modules()
        for name, obj in vars(module).items()
        if isinstance(obj, _jit.ParallelKernel)
    }
    assert kernels
    for name, kernel in kernels.items():
        assert kernel.parallel.targetoptions.get("parallel"), name
        assert not kernel.serial.targetoptions.get("parallel"), name


def test_small_and_large_inputs_take_the_serial_and_parallel_paths(monkeypatch):
    from kmeansx._kernels import stats

    calls = []
    kernel = stats.column_sums
    for which in ("serial", "parallel"):
        compiled = getattr(kernel, which)
        monkeypatch.setattr(
            kernel, which, lambda *a, _w=which, _c=compiled: calls.append(_w) or _c(*a)
        )
    small = np.ones((10, 2))
    large = np.ones((_jit.SERIAL_BELOW, 2))
    kernel(small, 16, np.empty((1, 2)))
    kernel(large, large.shape[0], np.empty((1, 2)))
    assert calls == ["serial", "parallel"]
