"""Soak: thousands of fits in one process leak neither memory nor warnings.

Marked ``soak`` and left out of ``make test`` (``addopts`` deselects it); run it
with ``make soak``. Shapes, dtypes, dense or sparse, algorithms, inits and
weights are drawn from a seeded Generator.
"""

from __future__ import annotations

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


def random_fit(rng: np.random.Generator) -> None:
    n = int(rng.integers(2, 3000))
    d = int(rng.integers(1, 24))
    k = int(rng.integers(1, min(n, 24) + 1))
    dtype = np.float32 if rng.random() < 0.5 else np.float64
    X = rng.normal(size=(n, d)).astype(dtype)
    if rng.random() < 0.2:
        X = sp.random(n, d, density=0.5, format="csr", random_state=rng, dtype=dtype)
        X.data += 0.1  # no explicit zeros standing for distinct points
    w = rng.uniform(0.1, 2.0, n) if rng.random() < 0.3 else None
    algorithm = rng.choice(["lloyd", "elkan", "hamerly", "yinyang", "auto"])
    if algorithm == "elkan" and k == 1:
        algorithm = "lloyd"  # elkan with one cluster warns by design
    init = rng.choice(["k-means++", "random", "k-means||"])
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
        for _ in range(WARM_UP):
            random_fit(rng)
        after_warm_up = resident_bytes()
        for _ in range(N_FITS - WARM_UP):
            random_fit(rng)
    growth = resident_bytes() - after_warm_up
    assert growth < MAX_GROWTH_BYTES, f"memory grew by {growth / 2**20:.1f} MiB"
