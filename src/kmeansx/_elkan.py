"""One run of Elkan's exact algorithm (Elkan 2003), with Lloyd's semantics.

Elkan keeps a lower bound per point and center: ``n * k`` float32 values
(:data:`kmeansx._accelerated.BOUND_DTYPE`, whatever the data's dtype). They are
kept only when they fit in ``memory_budget`` bytes (default
:data:`MEMORY_BUDGET_BYTES`, 1 GiB); beyond it the run falls back to Hamerly's
algorithm (:func:`kmeansx._hamerly.hamerly`), which needs two bounds per point and
gives the same, exact, result.
"""

from __future__ import annotations

import numpy as np

from kmeansx._accelerated import BOUND_DTYPE, BoundedStep
from kmeansx._hamerly import HamerlyStep
from kmeansx._kernels import elkan as _elkan
from kmeansx._lloyd import RunResult, run_loop

# The most bytes Elkan's n x k lower bounds may take before a run falls back to
# Hamerly's algorithm.
MEMORY_BUDGET_BYTES = 2**30


def elkan_bounds_bytes(n_samples: int, n_clusters: int, dtype=BOUND_DTYPE) -> int:
    """Bytes of Elkan's lower bounds for this problem."""
    return n_samples * n_clusters * np.dtype(dtype).itemsize


class ElkanStep(BoundedStep):
    full_cc = True

    def __init__(self, X, sample_weight, n_clusters: int, inertia: bool, x_mean=None):
        super().__init__(X, sample_weight, n_clusters, inertia, x_mean)
        self.upper = np.empty(X.shape[0], dtype=BOUND_DTYPE)
        self.lower = np.empty((X.shape[0], n_clusters), dtype=BOUND_DTYPE)
        # Total distance each center has moved: the offset of the lazy bounds.
        self.cum = np.zeros(n_clusters)

    def _kernel(self, centers, info, labels, partial):
        self.cum += info.shift
        cinfo = (
            self.x_norm,
            info.centers_m2,
            info.c_sqnorm,
            info.shift,
            info.half_cc,
            info.half_min,
            self.cum,
            self.params(info),
        )
        _elkan.elkan_pass(
            self.X,
            self.sample_weight,
            centers,
            cinfo,
            self.chunk,
            labels,
            self.upper,
            self.lower,
            self.flags,
            *partial,
            self.flagged,
            *self.extra,
        )


def elkan(
    X,
    sample_weight,
    centers_init,
    *,
    max_iter: int = 300,
    tol: float = 0.0,
    verbose: bool = False,
    record_history: bool = False,
    memory_budget: int | None = None,
    x_mean=None,
) -> RunResult:
    """One run of Elkan's algorithm from ``centers_init``; dense ``X`` only.

    Same contract and result as :func:`kmeansx._lloyd.lloyd`. When the ``n x k``
    lower bounds need more than ``memory_budget`` bytes (default
    :data:`MEMORY_BUDGET_BYTES`), runs Hamerly's algorithm instead.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._elkan import elkan
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> run = elkan(X, np.ones(4), X[[0, 2]])
    >>> run.labels.tolist(), run.n_iter
    ([0, 0, 1, 1], 2)
    """
    budget = MEMORY_BUDGET_BYTES if memory_budget is None else memory_budget
    fits = elkan_bounds_bytes(X.shape[0], centers_init.shape[0]) <= budget
    return run_loop(
        ElkanStep if fits else HamerlyStep,
        X,
        sample_weight,
        centers_init,
        max_iter=max_iter,
        tol=tol,
        verbose=verbose,
        record_history=record_history,
        x_mean=x_mean,
    )
