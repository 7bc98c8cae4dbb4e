"""One run of Hamerly's exact algorithm (Hamerly 2010), with Lloyd's semantics.

Two bounds per point (``2 * n`` float32 values, whatever the data's dtype) let
most points skip the distance computations once the centers settle. From the
same initial centers the labels at every iteration, ``n_iter``, the centers and
the inertia are Lloyd's (see :mod:`kmeansx._accelerated` for how rounding is kept
out of it).
"""

from __future__ import annotations

import numpy as np

from kmeansx._accelerated import BOUND_DTYPE, BoundedStep
from kmeansx._kernels import hamerly as _hamerly
from kmeansx._lloyd import RunResult, run_loop


class HamerlyStep(BoundedStep):
    def __init__(self, X, sample_weight, n_clusters: int, inertia: bool, x_mean=None):
        super().__init__(X, sample_weight, n_clusters, inertia, x_mean)
        self.upper = np.empty(X.shape[0], dtype=BOUND_DTYPE)
        self.lower = np.empty(X.shape[0], dtype=BOUND_DTYPE)

    def _kernel(self, centers, info, labels, partial):
        cinfo = (
            self.x_norm,
            info.centers_m2,
            info.c_sqnorm,
            info.shift,
            info.half_min,
            self.params(info),
        )
        _hamerly.hamerly_pass(
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


def hamerly(
    X,
    sample_weight,
    centers_init,
    *,
    max_iter: int = 300,
    tol: float = 0.0,
    verbose: bool = False,
    record_history: bool = False,
    x_mean=None,
) -> RunResult:
    """One run of Hamerly's algorithm from ``centers_init``; dense ``X`` only.

    Same contract and result as :func:`kmeansx._lloyd.lloyd`.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._hamerly import hamerly
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> run = hamerly(X, np.ones(4), X[[0, 2]])
    >>> run.labels.tolist(), run.n_iter
    ([0, 0, 1, 1], 2)
    """
    return run_loop(
        HamerlyStep,
        X,
        sample_weight,
        centers_init,
        max_iter=max_iter,
        tol=tol,
        verbose=verbose,
        record_history=record_history,
        x_mean=x_mean,
    )
