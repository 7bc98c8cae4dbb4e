"""Soak: thousands of fits in one process leak neither memory nor warnings.

Marked ``soak`` and left out of ``make test`` (``addopts`` deselects it); run it
with ``make soak``. Shapes, dtypes, dense or sparse, algorithms, inits and
weights are drawn from a seeded Generator.
"""

from __future__ import annotations

import itertools
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from kmeansx import KMeans

N_FITS = 2000
WARM_UP = 100
MAX_GROWTH_BYTES = 50 * 2**20


def resident_bytes() -> int:
    """This process's resident memory now (Linux's /proc), not its peak."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import resource

    return pages * resource.getpagesize()


ALGORITHMS = ["lloyd", "elkan", "hamerly", "yinyang", "auto"]
INITS = ["k-means++", "random", "k-means||"]


def random_fit(rng: np.random.Generator, **fixed) -> None:
    """One fit of a random shape; ``fixed`` pins any of dtype, sparse, weighted,
    algorithm and init, or asks for a ``large`` shape."""
    if fixed.get("large"):  # enough elements for the parallel compilations
        n, d = 3000, 24
    else:
        n, d = int(rng.integers(2, 3000)), int(rng.integers(1, 24))
    k = int(rng.integers(1, min(n, 24) + 1))
    dtype = np.dtype(
        fixed.get("dtype", np.float32 if rng.random() < 0.5 else np.float64)
    )
    X = rng.normal(size=(n, d)).astype(dtype)
    if fixed.get("sparse", rng.random() < 0.2):
        # Half the cells zero, but never the first column: rows stay distinct, so
        # every fit can fill its k clusters (duplicates would warn, by design).
        X[:, 1:][rng.random((n, d - 1)) < 0.5] = 0
        X = sp.csr_matrix(X)
    weighted = fixed.get("weighted", rng.random() < 0.3)
    w = rng.uniform(0.1, 2.0, n) if weighted else None
    algorithm = fixed.get("algorithm", rng.choice(ALGORITHMS))
    if algorithm == "elkan" and k == 1:
        algorithm = "lloyd"  # elkan with one cluster warns by design
    init = fixed.get("init", rng.choice(INITS))
    km = KMeans(
        k,
        init=init,
        n_init=int(rng.integers(1, 3)),
        max_iter=int(rng.integers(1, 50)),
        algorithm=algorithm,
        random_state=int(rng.integers(1 << 31)),
        record_history=bool(rng.random() < 0.2),
    )
    km.fit(X, sample_weight=w)
    assert km.labels_.shape == (n,) and np.isfinite(km.inertia_)


@pytest.mark.soak
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_two_thousand_fits_keep_memory_flat_and_warn_nothing():
    rng = np.random.default_rng(2026)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Every kernel specialization, serial and parallel, compiles here (a
        # compilation holds on to memory), not inside the measurement.
        keys = ("dtype", "sparse", "weighted", "algorithm", "init", "large")
        for combo in itertools.product(
            [np.float32, np.float64],
            [False, True],
            [False, True],
            ALGORITHMS,
            INITS,
            [False, True],
        ):
            random_fit(rng, **dict(zip(keys, combo, strict=True)))
        for _ in range(WARM_UP):
            random_fit(rng)
        after_warm_up = resident_bytes()
        for _ in range(N_FITS - WARM_UP):
            random_fit(rng)
    growth = resident_bytes() - after_warm_up
    assert growth < MAX_GROWTH_BYTES, f"memory grew by {growth / 2**20:.1f} MiB"
