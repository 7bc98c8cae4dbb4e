"""One run of Yinyang k-means (Ding et al. 2015), exact, with Lloyd's semantics.

The centers are split once, at the start, into about ``k / 10`` groups by a few
Lloyd iterations over the initial centers themselves (seeded deterministically,
without touching the caller's random state). Each point keeps an upper bound, a
global lower bound and one lower bound per group: ``n * (n_groups + 2)`` float32
values, whatever the data's dtype. The group bounds are kept within
``memory_budget`` bytes (default
:data:`kmeansx._algorithms.step.MEMORY_BUDGET_BYTES`) by using fewer groups.
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.bounded import BOUND_DTYPE, BoundedStep
from kmeansx._algorithms.step import MEMORY_BUDGET_BYTES
from kmeansx._kernels.bound_pass import yinyang_pass

# Centers per group, as in the paper (k / 10 groups).
CENTERS_PER_GROUP = 10
# Lloyd iterations that group the initial centers.
GROUPING_ITER = 5


def n_groups_for(
    n_samples: int, n_clusters: int, dtype=BOUND_DTYPE, memory_budget=None
) -> int:
    """About k/10 groups, fewer when their bounds would exceed the budget."""
    budget = MEMORY_BUDGET_BYTES if memory_budget is None else memory_budget
    wanted = max(1, round(n_clusters / CENTERS_PER_GROUP))
    affordable = budget // max(1, n_samples * np.dtype(dtype).itemsize)
    return int(max(1, min(wanted, affordable)))


def group_centers(centers: np.ndarray, n_groups: int) -> np.ndarray:
    """Group of each center: ``GROUPING_ITER`` Lloyd iterations over the centers.

    Starts from ``n_groups`` centers spread over the index range (deterministic).
    Empty groups are dropped, so the result has values ``0..g-1`` for some
    ``g <= n_groups``.
    """
    c64 = centers.astype(np.float64)
    k = c64.shape[0]
    seeds = np.linspace(0, k - 1, n_groups).round().astype(np.int64)
    means = c64[seeds]
    for _ in range(GROUPING_ITER):
        d = (
            np.einsum("ij,ij->i", c64, c64)[:, None]
            - 2.0 * c64 @ means.T
            + np.einsum("ij,ij->i", means, means)[None, :]
        )
        group = np.argmin(d, axis=1)
        for g in range(means.shape[0]):
            members = group == g
            if members.any():
                means[g] = c64[members].mean(axis=0)
    _, group = np.unique(group, return_inverse=True)
    return group.astype(np.int64)


class YinyangStep(BoundedStep):
    kernel = yinyang_pass
    # The group bounds do the pruning; the k x k center distances would cost
    # more than they save at the large k Yinyang is for.
    half_min = False

    def __init__(self, X, sample_weight, n_clusters: int, **options):
        super().__init__(X, sample_weight, n_clusters, **options)
        n_samples = X.shape[0]
        self.n_groups = n_groups_for(
            n_samples, n_clusters, BOUND_DTYPE, self.memory_budget
        )
        self.upper = np.empty(n_samples, dtype=BOUND_DTYPE)
        self.glower = np.empty(n_samples, dtype=BOUND_DTYPE)
        self.lower = None
        self.group_of = None

    def _set_groups(self, centers):
        group = group_centers(centers, self.n_groups)
        self.group_of = group
        self.order = np.argsort(group, kind="stable").astype(np.int64)
        counts = np.bincount(group)
        self.group_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.lower = np.empty((self.X.shape[0], counts.shape[0]), dtype=BOUND_DTYPE)
        self.cum = np.zeros(counts.shape[0])

    def _arrays(self, centers, info):
        if self.group_of is None:
            self._set_groups(centers)
        # A group's bounds drop by the most any of its centers moved.
        group_shift = np.zeros(self.cum.shape[0])
        np.maximum.at(group_shift, self.group_of, info.shift)
        self.cum += group_shift
        return super()._arrays(
            centers,
            info,
            centers_m2=np.ascontiguousarray(info.centers_m2[self.order]),
            c_sqnorm=np.ascontiguousarray(info.c_sqnorm[self.order]),
            cum=self.cum,
            group_of=self.group_of,
            order=self.order,
            group_start=self.group_start,
        )

    def _bounds(self):
        return self.upper, self.glower, self.lower
