"""The step protocol: what the loop (:mod:`kmeansx._algorithms.loop`) drives.

A step is one algorithm's pass over one data set, built once per run with the
buffers it reuses. Every step, in memory or on Dask, has:

- ``dtype``: the data's dtype, which the centers are kept in;
- ``run(centers, final=False)``: assign every row to its nearest center and
  return ``(sums, weights, inertia, n_changed)``, the M-step's weighted sums
  (float64, ``(k, d)`` and ``(k,)``), the inertia (0 unless the step was built
  to compute it) and how many rows changed cluster; ``final=True`` is the last
  pass of a run: no sums, the inertia always;
- ``relocate_empty(centers, sums, weights)``: seed the empty clusters of that
  pass with the farthest points (edits ``sums`` and ``weights``);
- ``labels``: the labels of the last pass (on Dask, once the final pass has
  brought them back).
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.relocation import relocate_empty_clusters

# The most bytes per-point-and-center bounds may take (Elkan's n x k lower bounds,
# Yinyang's group bounds) before a run takes fewer bounds.
MEMORY_BUDGET_BYTES = 2**30


class InMemoryStep:
    """What every in-memory step holds: the data, the weights, the labels.

    ``x_mean`` (dense ``X`` only) is subtracted from the rows as the kernels read
    them (:mod:`kmeansx._kernels.centered`); the centers live in that centered
    space. ``inertia`` asks every pass for the inertia, which the iterations only
    need for history, verbose output and callbacks. ``memory_budget`` bounds the
    memory of the algorithms that keep bounds per point and center.
    """

    def __init__(
        self,
        X,
        sample_weight,
        n_clusters: int,
        *,
        inertia: bool,
        x_mean=None,
        memory_budget: int = MEMORY_BUDGET_BYTES,
    ):
        self.X = X
        self.sample_weight = sample_weight
        self.n_clusters = n_clusters
        self.x_mean = x_mean
        self.dtype = X.dtype
        self.memory_budget = memory_budget
        self.inertia = inertia
        self.labels = np.full(X.shape[0], -1, dtype=np.int32)

    @classmethod
    def fits(cls, n_samples: int, n_clusters: int, memory_budget: int) -> bool:
        """Whether this step's memory fits ``memory_budget`` for this problem."""
        return True

    def relocate_empty(self, centers, sums, weights) -> None:
        relocate_empty_clusters(
            self.X, self.sample_weight, centers, self.labels, sums, weights, self.x_mean
        )


def chunk_totals(partial) -> tuple:
    """``(sums, weights, inertia, n_changed)`` of a pass from its per-chunk
    partials, added in chunk order (the same bits at any thread count). One chunk
    (a small data set) is its own total, without four reductions a pass: plus 0.0,
    as the reduction gives it (a -0.0 becomes 0.0)."""
    sums, weights, inertia, changed = partial
    if changed.shape[0] == 1:
        return sums[0] + 0.0, weights[0] + 0.0, inertia.sum(), int(changed[0])
    return sums.sum(axis=0), weights.sum(axis=0), inertia.sum(), int(changed.sum())
