"""``kmeansx warmup``, the compile notice and the cache policy, without compiling.

Compiling every kernel takes minutes, so nothing here does: the warmup's paths are
run with every kernel replaced by its Python source (which records that it was
reached, serial or parallel), and the command and the notice are driven by stubs
and by Numba's compile events fired by hand.
"""

from __future__ import annotations

import json
import sys
import warnings

import numba
import numpy as np
import pytest
from numba.core import event
from typer.testing import CliRunner

from kmeansx._kernels import _jit
from kmeansx.cli import app
from kmeansx.cli import warmup as wu

runner = CliRunner()


def _python_kernels(monkeypatch):
    """Every kernel runs its Python source and records its name; returns the
    names reached."""
    reached = set()
    by_id = {}
    for name, disp in _jit.dispatchers().items():

        def run(*args, _name=name, _py=disp.py_func):
            reached.add(_name)
            return _py(*args)

        by_id[id(disp)] = run
    parallel = {}
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("kmeansx"):
            continue
        for attr, obj in list(vars(module).items()):
            if isinstance(obj, _jit.ParallelKernel):
                parallel[id(obj)] = obj
            elif id(obj) in by_id:
                monkeypatch.setattr(module, attr, by_id[id(obj)])
    for kernel in parallel.values():
        monkeypatch.setattr(kernel, "parallel", by_id[id(kernel.parallel)])
        monkeypatch.setattr(kernel, "serial", by_id[id(kernel.serial)])
    return reached


def test_warmup_reaches_every_kernel_serial_and_parallel(monkeypatch):
    reached = _python_kernels(monkeypatch)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # Python arithmetic where the kernels wrap around (uint64 hashes) warns.
        warnings.simplefilter("ignore")
        for serial in (True, False):
            with wu.kernels_forced(serial):
                for _, run in wu.workloads():
                    run()
    missing = sorted(set(_jit.dispatchers()) - reached)
    assert not missing, f"kmeansx warmup does not compile: {missing}"


def test_kernels_forced_restores_the_policy():
    from kmeansx._algorithms import registry

    before = registry.PLAIN_BELOW, _jit.SERIAL_BELOW
    with wu.kernels_forced(serial=False):
        assert registry.PLAIN_BELOW == 0 and _jit.SERIAL_BELOW == 0
    assert (registry.PLAIN_BELOW, _jit.SERIAL_BELOW) == before


def test_warmup_command_reports_what_it_compiled(monkeypatch):
    ran = []
    stats = iter(
        [
            {"assign.a": (0, 0), "assign.b": (1, 0), "stats.c": (0, 0)},
            {"assign.a": (0, 2), "assign.b": (2, 0), "stats.c": (0, 0)},
        ]
    )
    monkeypatch.setattr(wu, "workloads", lambda: [("stub", lambda: ran.append(1))])
    monkeypatch.setattr(_jit, "kernel_stats", lambda: next(stats))
    monkeypatch.setattr(_jit, "cache_location", lambda: "/some/cache")
    result = runner.invoke(app, ["warmup"])
    assert result.exit_code == 0, result.output
    assert ran == [1, 1]  # serial, then parallel
    assert "compiled 2 kernel variants (2 kernels)" in result.stdout
    assert "1 were already in the cache" in result.stdout
    assert "cache: /some/cache" in result.stdout

    stats = iter([{"assign.a": (0, 0)}, {"assign.a": (0, 1)}])
    result = runner.invoke(app, ["warmup", "--json"])
    got = json.loads(result.stdout)
    assert got["compiled"] == 1 and got["cache"] == "/some/cache"
    assert got["kernels"] == ["assign.a"] and got["from_cache"] == 0


def test_warmup_says_when_the_cache_is_off():
    lines = wu.summary_lines(wu.WarmupSummary(compiled=["a"], cache=None))
    assert any("cache: off" in line for line in lines)


def _compile_event():
    event.start_event("numba:compile", data={})
    event.start_event("numba:compile", data={})  # a nested compilation
    event.end_event("numba:compile", data={})
    event.end_event("numba:compile", data={})


def test_the_notice_only_when_something_compiles(capsys):
    with wu.compile_notice():
        pass
    assert capsys.readouterr().err == ""
    with wu.compile_notice():
        _compile_event()
        _compile_event()
    out = capsys.readouterr()
    assert out.err.count(wu.NOTICE) == 1  # once, however many compilations
    assert out.out == ""


def test_a_small_cli_fit_compiles_nothing_and_says_nothing(tmp_path, monkeypatch):
    from kmeansx._algorithms import registry

    monkeypatch.setattr(registry, "PLAIN_BUDGET_SECONDS", float("inf"))
    calls = []
    monkeypatch.setattr(wu, "NOTICE", "NOTICE-MARK")
    path = tmp_path / "t.csv"
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(50, 2)) + np.repeat([[0, 0], [5, 5]], 25, axis=0)
    path.write_text("a,b\n" + "\n".join(f"{x},{y}" for x, y in rows))
    with _jit.on_compile(lambda: calls.append(1), lambda: None):
        result = runner.invoke(app, ["fit", str(path), "-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert calls == []
    assert "NOTICE-MARK" not in result.output
    json.loads(result.stdout)


def test_a_read_only_install_runs_uncached(monkeypatch):
    real = numba.njit

    def njit(*args, cache=False, **options):
        if cache:
            raise RuntimeError(
                "cannot cache function 'f': no locator available for file 'f.py'"
            )
        return real(*args, cache=cache, **options)

    monkeypatch.setattr(_jit, "CACHE", True)
    monkeypatch.setattr(numba, "njit", njit)
    with pytest.warns(RuntimeWarning, match="NUMBA_CACHE_DIR"):
        kernel = _jit.jit()(lambda x: x + 1)
    assert _jit.CACHE is False
    assert isinstance(kernel._cache, numba.core.caching.NullCache)
    assert _jit.cache_location() is None
    assert kernel(1) == 2


def test_the_cache_location_is_a_folder():
    where = _jit.cache_location()
    assert where is None or where.endswith("__pycache__") or "numba" in where
