"""Data the test files share: seeded generators, imported as ``from conftest import
blobs`` (pytest puts ``tests/`` on ``sys.path``). Slow NumPy oracles live in
``reference.py``, not here.

- ``blobs``: points around Gaussian centers, moved, centered or cast as a test needs
  (test_accelerated, test_centering, test_dask, test_determinism, test_init).
- ``start``: k distinct rows of X, the initial centers of a run (test_accelerated,
  test_dask, test_kernels, test_lloyd_parity).
- ``weights``: uniform sample weights, or ones, optionally with some zeros
  (test_accelerated, test_kernels).
- ``groups``: n points around each of given centers in turn (test_plot,
  test_selection).
- ``MALL_CUSTOMERS``: the lesson's data file as the package ships it (test_lesson,
  test_dataset_command); ``kmeansx.datasets.load_mall_customers()`` reads it.

Every generator takes a seed or a ``numpy.random.Generator``; given a Generator it
draws from it, so that the caller can go on drawing from the same stream.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np

MALL_CUSTOMERS = Path(str(files("kmeansx") / "data" / "mall_customers.csv"))


def blobs(
    n,
    d,
    k,
    dtype=np.float64,
    seed=0,
    *,
    spread=3.0,
    loc=0.0,
    offset=0.0,
    centered=False,
):
    """``n`` points of unit variance around ``k`` centers drawn N(loc, spread²).

    With a small ``spread`` the blobs overlap: many points near cluster borders.
    ``offset`` is added to every point (after the noise, unlike ``loc``), and
    ``centered=True`` subtracts the column means; both in float64, before the cast
    to ``dtype``. Returns a C-contiguous array of shape (n, d).
    """
    rng = np.random.default_rng(seed)
    centers = rng.normal(loc, spread, size=(k, d))
    X = centers[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    if offset:
        X = X + offset
    if centered:
        X = X - X.mean(axis=0)
    return np.ascontiguousarray(X, dtype=dtype)


def start(X, k, seed):
    """``k`` distinct rows of dense ``X`` drawn without replacement: a fresh,
    C-contiguous array of shape (k, n_features) in ``X``'s dtype."""
    rng = np.random.default_rng(seed)
    return np.ascontiguousarray(X[rng.choice(X.shape[0], k, replace=False)])


def weights(
    n, dtype=np.float64, weighted=True, seed=0, *, low=0.2, high=3.0, zeros=0.0
):
    """Sample weights U(low, high) of which about a share ``zeros`` are set to 0,
    or ones when not ``weighted`` (nothing drawn then)."""
    if not weighted:
        return np.ones(n, dtype=dtype)
    rng = np.random.default_rng(seed)
    w = rng.uniform(low, high, n)
    if zeros:
        w[rng.uniform(size=n) < zeros] = 0.0
    return w.astype(dtype)


def groups(seed, centers, n, sd):
    """``n`` points N(center, sd²) around each of ``centers`` in turn: a float64
    array of shape (n * len(centers), len(centers[0])), ordered by group."""
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(c, sd, size=(n, len(c))) for c in centers])
