"""The exact algorithms by name, the ``"auto"`` rule, and one run of any of them.

Every algorithm gives Lloyd's result (labels at every iteration, ``n_iter_``,
centers and inertia equal to float rounding); they differ only in speed and
memory. Sparse input always runs Lloyd's kernels: the bound-based kernels are
dense only, and an explicit request on sparse input runs Lloyd too, which gives
the same result. A step whose bounds would not fit the memory budget
(:meth:`~kmeansx._algorithms.step.InMemoryStep.fits`; Elkan's ``n x k`` bounds)
gives way to Hamerly's, which needs two bounds per point.

The "auto" rule comes from ``benchmarks/bench_algorithms.py`` (2 cores): bounds
pay once computing a point's distances to all centers costs more than keeping
them, so Lloyd wins for few clusters; from k=64 on Hamerly was fastest or within
noise of the fastest at B, C and D (float32 and float64), with the least memory of
the three (two bounds per point). Below k=64, whole fits from the same k-means++
centers (``benchmarks/bench_auto.py``, best of 3, 2026-12-04, after the bound
passes came to resum only the labels that changed) gave Lloyd in 30 of 32 cells
(Hamerly/Lloyd 1.04-4.48: blobs and uniform data, 1M x 8, 200k x 16, 200k x 4 and
100k x 2 at k=16 and 32, float32 and float64); Hamerly won only blobs at 200k x 16,
k=32 (0.96 float32, 0.67 float64). Per iteration, once the centers settle, Hamerly
is ahead from k=16 on at d >= 8, but a whole fit also pays its first passes, where
the centers move far. Uniform data, which has no clusters for the bounds to
exploit, favours Lloyd most. At k=64 Hamerly won three of four cells at 200k x 16
(0.28-0.84); float32 uniform data still favoured Lloyd (1.22), a loss "auto"
accepts for a rule on k alone. At 100k x 256, k=64 (``--sizes F``), Hamerly,
Elkan and Yinyang ran 1.3-1.7x faster than Lloyd.

Spherical (cosine) k-means on :data:`SPHERICAL_LLOYD_FEATURES` features or more
runs Lloyd's kernels under "auto". Unit rows of embedding-like data
(``benchmarks/bench_spherical.py``'s generator, 50k rows, float32, one thread, CPU
time of a whole fit, Lloyd against Hamerly) at d=384 gave Lloyd every time: k=256,
1.58 s against 1.96 (1.48 against 1.88 and 1.47 against 1.55 with tighter
clusters), k=64, 1.30 against 1.46. There a pass of Lloyd's is a blocked GEMM at
BLAS speed, the runs converge in few iterations, and Hamerly's bounds, which rarely
prune on rows crowded at similar angles, do not pay back their first pass. Below,
the winner depended on the data: Lloyd by 10-37% at k=256 (d=32 to 128) and d=16,
Hamerly by 16-30% at k=64 with d=64 or 128.
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.elkan import ElkanStep
from kmeansx._algorithms.hamerly import HamerlyStep
from kmeansx._algorithms.lloyd import LloydStep, PlainLloydStep
from kmeansx._algorithms.loop import LoopOptions, RunResult, run_loop
from kmeansx._algorithms.step import MEMORY_BUDGET_BYTES
from kmeansx._algorithms.yinyang import YinyangStep
from kmeansx._data import is_sparse

# One entry per exact algorithm: its step class.
STEPS = {
    "lloyd": LloydStep,
    "elkan": ElkanStep,
    "hamerly": HamerlyStep,
    "yinyang": YinyangStep,
}
ALGORITHMS = tuple(STEPS)

# What a step too big for the memory budget gives way to.
FALLBACK = "hamerly"

# "auto": fewer clusters than this run Lloyd's kernels, more run Hamerly's.
AUTO_MIN_CLUSTERS = 64

# "auto" for spherical k-means: from this many features on, Lloyd's kernels (see
# the module's docstring).
SPHERICAL_LLOYD_FEATURES = 256

# "auto" on dense data with less work per pass than this (n_samples * n_clusters *
# n_features) runs Lloyd's step and k-means++ by the NumPy twins of their kernels
# (kmeansx._kernels.plain): the same result bit for bit, without the seconds of
# compiling the kernels on a machine whose cache is empty. Below it a NumPy pass
# costs at most a few milliseconds (benchmarks/bench_coldstart.py).
PLAIN_BELOW = 1 << 17

# The twins cost more per fit than the compiled kernels (2-5x at these sizes,
# `bench_coldstart.py twins`); what they save is compiling, seconds once per
# machine. So once a process has spent this long in fits by the twins (a sweep
# of many small fits), it takes the kernels: compiling them, if the cache lacks
# them, costs about as much again, and every later fit runs at full speed (rent,
# then buy: never much more than twice the better of the two).
PLAIN_BUDGET_SECONDS = 5.0
_plain_seconds = [0.0]


def spend_plain(seconds: float) -> None:
    """Count ``seconds`` spent in a fit by the twins against the budget."""
    _plain_seconds[0] += seconds


def runs_plain(X, n_clusters: int, algorithm: str = "auto") -> bool:
    """Whether a fit of ``algorithm`` on ``X`` takes the NumPy twins of the kernels:
    "auto", dense ``X``, less work per pass than :data:`PLAIN_BELOW`, and less than
    :data:`PLAIN_BUDGET_SECONDS` spent in them so far in this process.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._algorithms.registry import runs_plain
    >>> runs_plain(np.zeros((200, 2)), 5), runs_plain(np.zeros((200, 2)), 5, "lloyd")
    (True, False)
    """
    if algorithm != "auto" or is_sparse(X):
        return False
    if _plain_seconds[0] >= PLAIN_BUDGET_SECONDS:
        return False
    n_samples, n_features = X.shape
    return n_samples * n_features * n_clusters < PLAIN_BELOW


def choose_algorithm(
    n_samples: int,
    n_features: int,
    n_clusters: int,
    dtype,
    sparse: bool = False,
    spherical: bool = False,
) -> str:
    """The algorithm "auto" runs for data of this shape and dtype (``spherical``:
    the unit rows of cosine k-means).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._algorithms.registry import choose_algorithm
    >>> choose_algorithm(100_000, 2, 8, np.float32)
    'lloyd'
    >>> choose_algorithm(1_000_000, 8, 16, np.float64)
    'lloyd'
    >>> choose_algorithm(200_000, 128, 1024, np.float32)
    'hamerly'
    >>> choose_algorithm(200_000, 384, 256, np.float32, spherical=True)
    'lloyd'
    """
    del n_samples, dtype  # the measured winner depended on neither
    if sparse or n_clusters < AUTO_MIN_CLUSTERS:
        return "lloyd"
    if spherical and n_features >= SPHERICAL_LLOYD_FEATURES:
        return "lloyd"
    return "hamerly"


def resolve_algorithm(
    algorithm: str,
    X,
    n_clusters: int,
    memory_budget: int = MEMORY_BUDGET_BYTES,
    spherical: bool = False,
) -> str:
    """The algorithm that actually runs: "auto" resolved, Lloyd for sparse ``X``,
    Hamerly for a step whose bounds would exceed ``memory_budget``."""
    if is_sparse(X):
        return "lloyd"
    n_samples, n_features = X.shape
    if algorithm == "auto":
        algorithm = choose_algorithm(
            n_samples, n_features, n_clusters, np.dtype(X.dtype), spherical=spherical
        )
    if not STEPS[algorithm].fits(n_samples, n_clusters, memory_budget):
        return FALLBACK
    return algorithm


def step_factory(
    algorithm: str,
    X,
    sample_weight,
    n_clusters: int,
    *,
    x_mean=None,
    memory_budget: int = MEMORY_BUDGET_BYTES,
    plain: bool = False,
    spherical: bool = False,
):
    """``new_step(inertia)`` for the loop: the step of the algorithm that runs
    (``plain``, for dense ``X``: Lloyd's by the NumPy twins of its kernels, which
    gives every algorithm's result; ``spherical``: for the "auto" rule)."""
    if plain and not is_sparse(X):
        step_class = PlainLloydStep
    else:
        name = resolve_algorithm(algorithm, X, n_clusters, memory_budget, spherical)
        step_class = STEPS[name]

    def new_step(inertia: bool):
        return step_class(
            X,
            sample_weight,
            n_clusters,
            inertia=inertia,
            x_mean=x_mean,
            memory_budget=memory_budget,
        )

    return new_step


def run(
    algorithm: str,
    X,
    sample_weight,
    centers_init,
    *,
    x_mean=None,
    memory_budget: int = MEMORY_BUDGET_BYTES,
    **loop,
) -> RunResult:
    """One run of ``algorithm`` (any of :data:`ALGORITHMS` or "auto") from
    ``centers_init``, in memory; ``x_mean`` centers dense ``X`` as it is read.

    ``loop`` holds the :class:`~kmeansx._algorithms.loop.LoopOptions`
    (``max_iter``, ``tol``, absolute, ``verbose``, ``record_history``,
    ``callback``).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._algorithms.registry import run
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> result = run("hamerly", X, np.ones(4), X[[0, 2]])
    >>> result.labels.tolist(), result.n_iter
    ([0, 0, 1, 1], 2)
    """
    new_step = step_factory(
        algorithm,
        X,
        sample_weight,
        centers_init.shape[0],
        x_mean=x_mean,
        memory_budget=memory_budget,
    )
    return run_loop(new_step, centers_init, LoopOptions(**loop))
