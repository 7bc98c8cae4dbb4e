"""Lloyd's step: every point against every center, one kernel call a pass."""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.relocation import relocate_empty_clusters
from kmeansx._algorithms.step import InMemoryStep, chunk_totals
from kmeansx._data import is_sparse, kernel_view
from kmeansx._kernels import assign as _assign
from kmeansx._kernels import plain as _plain
from kmeansx._kernels._chunks import chunk_size_for, n_chunks_for
from kmeansx._kernels._jit import single_threaded_blas


class LloydStep(InMemoryStep):
    """Lloyd's pass, with buffers for one data set reused by every pass over it.

    ``update=False`` builds a step that only assigns (no M-step sums), as
    :func:`assign_labels` does.
    """

    def __init__(
        self, X, sample_weight, n_clusters: int, *, update: bool = True, **options
    ):
        super().__init__(X, sample_weight, n_clusters, **options)
        n_samples, n_features = X.shape
        self.view = kernel_view(X)
        self.kernel = (
            _assign.assign_update_csr if is_sparse(X) else _assign.assign_update_dense
        )
        self.extra = () if self.x_mean is None else (self.x_mean,)
        self.chunk = chunk_size_for(n_samples, n_clusters, n_features)
        n_chunks = n_chunks_for(n_samples, self.chunk)
        k, d = (n_clusters, n_features) if update else (0, 0)
        # A pass without the M-step leaves the weights' slots alone: zeros, so that
        # the caller's sum of them is 0 and not of whatever memory held (a NaN there
        # raised "invalid value encountered in reduce" now and then).
        self.partial = (
            np.empty((n_chunks, k, d)),
            (np.empty if update else np.zeros)((n_chunks, max(k, 1))),
            np.empty(n_chunks if self.inertia else 0),
            np.empty(n_chunks, dtype=np.int64),
        )
        # The last assignment of a run: no sums, always the inertia.
        self.final_partial = (
            np.empty((n_chunks, 0, 0)),
            np.zeros((n_chunks, 1)),
            np.empty(n_chunks),
            np.empty(n_chunks, dtype=np.int64),
        )

    def run(self, centers, *, final: bool = False):
        """Assign in place; return (sums, weights, inertia, n_changed)."""
        partial = self.final_partial if final else self.partial
        self.kernel(
            self.view,
            self.sample_weight,
            centers,
            self.chunk,
            self.labels,
            *partial,
            *self.extra,
        )
        return chunk_totals(partial)


class PlainLloydStep(LloydStep):
    """Lloyd's pass by the NumPy twins of its kernels (:mod:`kmeansx._kernels.plain`):
    the same labels, sums and inertia bit for bit, and nothing to compile. For small
    dense problems, where compiling the kernels would cost more than the whole fit
    (``"auto"`` below :data:`kmeansx._algorithms.registry.PLAIN_BELOW`)."""

    def __init__(self, X, sample_weight, n_clusters: int, **options):
        super().__init__(X, sample_weight, n_clusters, **options)
        self.kernel = _plain.assign_update_dense

    def relocate_empty(self, centers, sums, weights) -> None:
        relocate_empty_clusters(
            self.X,
            self.sample_weight,
            centers,
            self.labels,
            sums,
            weights,
            self.x_mean,
            plain=True,
        )


def assign_labels(
    X, sample_weight, centers, x_mean=None, plain: bool = False, inertia: bool = True
):
    """Labels of the nearest centers and the inertia (no update); ``x_mean``
    centers dense ``X`` as it is read; ``plain`` (dense ``X``) assigns by the NumPy
    twin of the kernel. ``inertia=False`` skips the inertia (returned as 0.0): the
    labels are the same, without a distance from differences per row."""
    step_class = PlainLloydStep if plain and not is_sparse(X) else LloydStep
    step = step_class(
        X,
        sample_weight,
        centers.shape[0],
        inertia=inertia,
        x_mean=x_mean,
        update=False,
    )
    with single_threaded_blas():
        return step.labels, float(step.run(centers)[2])
