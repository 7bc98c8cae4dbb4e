"""Initial centers: random rows and greedy k-means++.

Both take a ``numpy.random.RandomState`` and draw from it in the same order as
scikit-learn, so that the same seed picks the same starting rows as scikit-learn's
``KMeans`` (up to float rounding in the potentials).
"""

from __future__ import annotations

import numpy as np

from kmeansx._data import dense_rows, is_sparse, kernel_view, row_sq_norms
from kmeansx._kernels import kmeanspp as _kpp
from kmeansx._kernels._chunks import chunk_size_for, n_chunks_for


def random_init(X, n_clusters: int, sample_weight, random_state):
    """``n_clusters`` distinct rows drawn with probability proportional to weight."""
    n_samples = X.shape[0]
    indices = random_state.choice(
        n_samples, size=n_clusters, replace=False, p=sample_weight / sample_weight.sum()
    )
    return dense_rows(X, indices).astype(X.dtype, copy=False), indices


def kmeans_plusplus_init(
    X, n_clusters: int, sample_weight, random_state, x_sqnorm=None, n_local_trials=None
):
    """Greedy k-means++ (Arthur & Vassilvitskii 2007, with local trials).

    Each new center is the best of ``n_local_trials`` (default ``2 + ln k``)
    candidates drawn with probability proportional to ``w * D(x)^2``, scored by the
    potential they would leave.
    """
    n_samples, n_features = X.shape
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    if x_sqnorm is None:
        x_sqnorm = row_sq_norms(X)
    view = kernel_view(X)
    sparse = is_sparse(X)
    closest_update = _kpp.closest_update_csr if sparse else _kpp.closest_update_dense
    potentials = (
        _kpp.candidate_potentials_csr if sparse else _kpp.candidate_potentials_dense
    )
    weight = np.asarray(sample_weight, dtype=np.float64)
    chunk = chunk_size_for(n_samples, n_local_trials, n_features)
    pot_out = np.empty((n_chunks_for(n_samples, chunk), n_local_trials))

    centers = np.empty((n_clusters, n_features), dtype=X.dtype)
    indices = np.full(n_clusters, -1, dtype=np.int64)
    first = random_state.choice(n_samples, p=weight / weight.sum())
    centers[0] = dense_rows(X, [first])[0]
    indices[0] = first
    closest = np.full(n_samples, np.inf)
    closest_update(view, x_sqnorm, centers[0], closest)
    current_pot = float(closest @ weight)

    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        candidate_ids = np.searchsorted(np.cumsum(weight * closest), rand_vals)
        np.clip(candidate_ids, None, n_samples - 1, out=candidate_ids)
        candidates = dense_rows(X, candidate_ids).astype(X.dtype, copy=False)
        potentials(view, x_sqnorm, weight, closest, candidates, chunk, pot_out)
        candidate_pots = pot_out.sum(axis=0)
        best = int(np.argmin(candidate_pots))
        current_pot = float(candidate_pots[best])
        centers[c] = candidates[best]
        indices[c] = candidate_ids[best]
        closest_update(view, x_sqnorm, centers[c], closest)
    return centers, indices
