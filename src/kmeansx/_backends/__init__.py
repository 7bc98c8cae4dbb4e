"""Backends beyond the in-memory one, imported only when their input shows up.

``import kmeansx`` must stay cheap and must not import Dask, so the estimator asks
:func:`is_dask_collection` (a look at the type's module, nothing imported) and only
then calls :func:`dask_backend`, which imports Dask or says how to install it.
"""

from __future__ import annotations

from types import ModuleType

# The README's command (kmeansx installs from its checkout, not from an index).
INSTALL_HINT = 'pip install -e ".[dask]"'


def is_dask_collection(X) -> bool:
    """True for Dask arrays, DataFrames and Series, without importing Dask."""
    module = type(X).__module__ or ""
    return module == "dask" or module.startswith(("dask.", "dask_expr"))


def require_dask(*modules: str) -> None:
    """Import Dask (and ``modules``) or raise an ImportError naming the extra."""
    for name in ("dask", "dask.array", *modules):
        try:
            __import__(name)
        except ImportError as exc:
            raise ImportError(
                f"kmeansx's Dask backend needs {name.split('.')[0]!r}, which is not "
                f"installed; install it from the kmeansx checkout with: {INSTALL_HINT}"
            ) from exc


def dask_backend() -> ModuleType:
    """The Dask backend module (:mod:`kmeansx._backends.dask`), imported on demand."""
    require_dask()
    from kmeansx._backends import dask as backend

    return backend
