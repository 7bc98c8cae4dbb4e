"""The centers' update: weighted means, and the relocation of empty clusters."""

from __future__ import annotations

import numpy as np

from kmeansx._data import is_sparse, kernel_view
from kmeansx._kernels import distances as _dist
from kmeansx._kernels import plain as _plain


def sq_distance_to_label(X, centers, labels, x_mean=None, plain=False) -> np.ndarray:
    """Squared distance of every row to its own center, in float64 (``plain``:
    by the NumPy twin of the dense kernel, :mod:`kmeansx._kernels.plain`)."""
    out = np.empty(X.shape[0])
    if is_sparse(X):
        _dist.sq_distance_to_label_csr(kernel_view(X), centers, labels, out)
    else:
        dense = _plain if plain else _dist
        dense.sq_distance_to_label_dense(X, centers, labels, out, x_mean)
    return out


def relocate_empty_clusters(
    X, sample_weight, centers_old, labels, sums, weights, x_mean=None, plain=False
):
    """Move each empty cluster onto one of the points farthest from their centers.

    As scikit-learn: the farthest points (by ``argpartition``) each leave their
    cluster's sums and seed an empty cluster; edits ``sums`` and ``weights``.
    ``X`` may be any set of candidate rows holding the farthest points (the Dask
    backend passes each block's farthest).
    """
    empty = np.flatnonzero(weights == 0)
    n_empty = empty.shape[0]
    if n_empty == 0:
        return
    distances = sq_distance_to_label(X, centers_old, labels, x_mean, plain)
    if distances.max() == 0:
        # Every point sits on its center (fewer distinct points than clusters):
        # moving one would only empty another cluster. scikit-learn stops here too.
        return
    far = np.argpartition(distances, -n_empty)[: -n_empty - 1 : -1]
    for new_id, far_idx in zip(empty, far, strict=True):
        weight = float(sample_weight[far_idx])
        old_id = labels[far_idx]
        row = X[far_idx]
        if is_sparse(X):
            row = np.asarray(row.toarray()).ravel()
        elif x_mean is not None:
            row = row - x_mean
        sums[old_id] -= row * weight
        sums[new_id] = row * weight
        weights[new_id] = weight
        weights[old_id] -= weight


def average_centers(sums, weights, dtype) -> np.ndarray:
    """Weighted means; a cluster still empty after relocation sits on the heaviest.

    scikit-learn means to do the same ("at the location of the biggest cluster"),
    but an empty cluster listed before the heaviest one receives that cluster's
    weighted sum instead of its mean; we place it on the mean.
    """
    return _means(sums, weights).astype(dtype)


def _means(sums, weights) -> np.ndarray:
    full = weights > 0
    if full.all():
        # The common case, without the masked copies (a fit's fixed cost on small
        # data): the same divisions.
        return np.divide(sums, weights[:, None], dtype=np.float64)
    centers = np.array(sums, dtype=np.float64)
    centers[full] /= weights[full, None]
    centers[~full] = centers[int(np.argmax(weights))]
    return centers


def unit_centers(sums, weights, previous) -> np.ndarray:
    """Spherical k-means' update: :func:`average_centers` scaled to unit length,
    in ``previous``'s dtype.

    The scaling is done in float64, after any relocation, so that every center a
    pass reads has unit length. A center whose points cancel out (their weighted
    sum is zero: it has no direction) keeps its previous position.
    """
    centers = _means(sums, weights)
    norms = np.sqrt(np.einsum("ij,ij->i", centers, centers))
    moved = norms > 0
    centers[moved] /= norms[moved, None]
    centers[~moved] = previous[~moved]
    return centers.astype(previous.dtype)
