"""Which exact algorithm runs a fit: the ``algorithm`` parameter, and "auto".

Every algorithm gives Lloyd's result (labels at every iteration, ``n_iter_``,
centers and inertia equal to float rounding); they differ only in speed and
memory. Sparse input always runs Lloyd's kernels: the bound-based kernels are
dense only, and an explicit request on sparse input runs Lloyd too, which gives
the same result.

The "auto" rule comes from ``benchmarks/bench_algorithms.py`` (results in
``benchmarks/RESULTS-accelerated.md``, 2 cores): bounds pay once computing a
point's distances to all centers costs more than keeping them, so Lloyd wins for
few clusters (A: k=8); from k=64 on Hamerly was fastest or within noise of the
fastest at every size and dtype measured (B, C, D, float32 and float64), with the
least memory of the three (two bounds per point). Neither n nor the dtype changed
the winner.
"""

from __future__ import annotations

import numpy as np

from kmeansx._data import is_sparse
from kmeansx._elkan import elkan
from kmeansx._hamerly import hamerly
from kmeansx._lloyd import RunResult, lloyd
from kmeansx._yinyang import yinyang

ALGORITHMS = ("lloyd", "elkan", "hamerly", "yinyang")

# "auto": fewer clusters than this run Lloyd's kernels, more run Hamerly's.
AUTO_MIN_CLUSTERS = 16


def choose_algorithm(
    n_samples: int, n_features: int, n_clusters: int, dtype, sparse: bool = False
) -> str:
    """The algorithm "auto" runs for data of this shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._auto import choose_algorithm
    >>> choose_algorithm(100_000, 2, 8, np.float32)
    'lloyd'
    >>> choose_algorithm(200_000, 128, 1024, np.float32)
    'hamerly'
    """
    del n_samples, n_features, dtype  # the measured winner depended on none
    if sparse or n_clusters < AUTO_MIN_CLUSTERS:
        return "lloyd"
    return "hamerly"


def resolve_algorithm(algorithm: str, X, n_clusters: int) -> str:
    """The algorithm that actually runs: "auto" resolved, Lloyd for sparse ``X``."""
    sparse = is_sparse(X)
    if sparse:
        return "lloyd"
    if algorithm == "auto":
        n_samples, n_features = X.shape
        return choose_algorithm(
            n_samples, n_features, n_clusters, np.dtype(X.dtype), sparse
        )
    return algorithm


def run_algorithm(
    algorithm: str,
    X,
    sample_weight,
    centers_init,
    *,
    max_iter: int,
    tol: float,
    verbose: bool,
    record_history: bool,
    x_mean=None,
) -> RunResult:
    """One run of ``algorithm`` (any of :data:`ALGORITHMS` or "auto"); ``x_mean``
    centers dense ``X`` as it is read."""
    run = {
        "lloyd": lloyd,
        "elkan": elkan,
        "hamerly": hamerly,
        "yinyang": yinyang,
    }[resolve_algorithm(algorithm, X, centers_init.shape[0])]
    return run(
        X,
        sample_weight,
        centers_init,
        max_iter=max_iter,
        tol=tol,
        verbose=verbose,
        record_history=record_history,
        x_mean=x_mean,
    )
