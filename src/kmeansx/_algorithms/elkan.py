"""One run of Elkan's exact algorithm (Elkan 2003), with Lloyd's semantics.

Elkan keeps a lower bound per point and center: ``n * k`` float32 values
(:data:`kmeansx._algorithms.bounded.BOUND_DTYPE`, whatever the data's dtype). They
are kept only when they fit in ``memory_budget`` bytes (default
:data:`kmeansx._algorithms.step.MEMORY_BUDGET_BYTES`, 1 GiB); beyond it the
registry runs Hamerly's algorithm instead (:meth:`ElkanStep.fits`), which needs
two bounds per point and gives the same, exact, result.
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.bounded import BOUND_DTYPE, NO_ROW_BOUNDS, BoundedStep
from kmeansx._kernels.bound_pass import elkan_pass


def elkan_bounds_bytes(n_samples: int, n_clusters: int, dtype=BOUND_DTYPE) -> int:
    """Bytes of Elkan's lower bounds for this problem."""
    return n_samples * n_clusters * np.dtype(dtype).itemsize


class ElkanStep(BoundedStep):
    kernel = elkan_pass
    full_cc = True

    @classmethod
    def fits(cls, n_samples: int, n_clusters: int, memory_budget: int) -> bool:
        return elkan_bounds_bytes(n_samples, n_clusters) <= memory_budget

    def __init__(self, X, sample_weight, n_clusters: int, **options):
        super().__init__(X, sample_weight, n_clusters, **options)
        self.upper = np.empty(X.shape[0], dtype=BOUND_DTYPE)
        self.lower = np.empty((X.shape[0], n_clusters), dtype=BOUND_DTYPE)
        # Total distance each center has moved: the offset of the lazy bounds.
        self.cum = np.zeros(n_clusters)

    def _arrays(self, centers, info):
        self.cum += info.shift
        return super()._arrays(centers, info, cum=self.cum)

    def _bounds(self):
        return self.upper, NO_ROW_BOUNDS, self.lower
