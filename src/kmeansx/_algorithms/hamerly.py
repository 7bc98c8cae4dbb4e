"""One run of Hamerly's exact algorithm (Hamerly 2010), with Lloyd's semantics.

Two bounds per point (``2 * n`` float32 values, whatever the data's dtype) let
most points skip the distance computations once the centers settle. From the
same initial centers the labels at every iteration, ``n_iter``, the centers and
the inertia are Lloyd's (see :mod:`kmeansx._algorithms.bounded` for how rounding
is kept out of it).
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.bounded import BOUND_DTYPE, NO_LOWERS, BoundedStep
from kmeansx._kernels.bound_pass import hamerly_pass


class HamerlyStep(BoundedStep):
    kernel = hamerly_pass

    def __init__(self, X, sample_weight, n_clusters: int, **options):
        super().__init__(X, sample_weight, n_clusters, **options)
        self.upper = np.empty(X.shape[0], dtype=BOUND_DTYPE)
        self.lower = np.empty(X.shape[0], dtype=BOUND_DTYPE)

    def _bounds(self):
        return self.upper, self.lower, NO_LOWERS
