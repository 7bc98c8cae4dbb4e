"""Assignment (E-step) fused with the nearest-center search and partial M-step sums.

Squared distances are ranked as ``||c||^2 - 2 x.c`` (the ``||x||^2`` term does not
change the argmin), the same expansion scikit-learn uses, computed by a fused loop
for few features and by one GEMM per block of rows for many. Ties go to the lowest
center index. Sums, weights and inertia accumulate in float64 in one slot per
fixed-size chunk; the caller adds the slots in chunk order.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._chunks import BLOCK_ROWS, GEMM_MIN_FEATURES
from kmeansx._kernels._jit import jit


@jit()
def _nearest_block(X, b0, b1, centers, centers_T, centers_sqnorm, dots, labels_out):
    """Labels of rows ``b0:b1`` of dense ``X``; ``dots`` is a scratch block."""
    n_clusters, n_features = centers.shape
    if n_features >= GEMM_MIN_FEATURES:
        m = b1 - b0
        np.dot(X[b0:b1], centers_T, dots[:m])
        for r in range(m):
            best = np.inf
            label = 0
            for j in range(n_clusters):
                dist = centers_sqnorm[j] - 2.0 * dots[r, j]
                if dist < best:
                    best = dist
                    label = j
            labels_out[r] = label
    else:
        for r in range(b1 - b0):
            i = b0 + r
            best = np.inf
            label = 0
            for j in range(n_clusters):
                dot = 0.0
                for f in range(n_features):
                    dot += X[i, f] * centers[j, f]
                dist = centers_sqnorm[j] - 2.0 * dot
                if dist < best:
                    best = dist
                    label = j
            labels_out[r] = label


@jit(parallel=True)
def assign_update_dense(
    X,
    sample_weight,
    centers,
    chunk_size,
    labels_inout,
    sums_out,
    weights_out,
    inertia_out,
    changed_out,
):
    """One Lloyd pass over dense ``X``: labels plus per-chunk partial sums.

    ``labels_inout`` holds the previous labels and receives the new ones.
    The per-chunk outputs ``sums_out, weights_out, inertia_out, changed_out`` have
    shapes (n_chunks, k, d), (n_chunks, k), (n_chunks,), (n_chunks,); they are
    separate arguments because Numba's parfors do not write through arrays unpacked
    from a tuple. Sums of shape (n_chunks, 0, 0) skip the M-step sums (prediction and the final
    assignment); inertia and n_changed are always filled.
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    update = sums_out.shape[1] > 0
    centers_T = np.ascontiguousarray(centers.T)
    centers_sqnorm = np.empty(n_clusters, dtype=centers.dtype)
    for j in range(n_clusters):
        centers_sqnorm[j] = np.dot(centers[j], centers[j])
    for c in prange(inertia_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        if update:
            sums_out[c][:] = 0.0
            weights_out[c][:] = 0.0
        dots = np.empty((BLOCK_ROWS, n_clusters), dtype=X.dtype)
        block_labels = np.empty(BLOCK_ROWS, dtype=np.int32)
        inertia = 0.0
        changed = 0
        for b0 in range(start, stop, BLOCK_ROWS):
            b1 = min(b0 + BLOCK_ROWS, stop)
            _nearest_block(
                X, b0, b1, centers, centers_T, centers_sqnorm, dots, block_labels
            )
            for r in range(b1 - b0):
                i = b0 + r
                label = block_labels[r]
                if labels_inout[i] != label:
                    changed += 1
                    labels_inout[i] = label
                w = np.float64(sample_weight[i])
                sq = 0.0
                for f in range(n_features):
                    diff = np.float64(X[i, f]) - np.float64(centers[label, f])
                    sq += diff * diff
                inertia += sq * w
                if update:
                    weights_out[c, label] += w
                    for f in range(n_features):
                        sums_out[c, label, f] += w * np.float64(X[i, f])
        inertia_out[c] = inertia
        changed_out[c] = changed


@jit()
def _nearest_csr_row(data, indices, lo, hi, centers_T, centers_sqnorm, dots):
    """Label of one CSR row and its ``||c||^2 - 2 x.c`` to that label."""
    n_clusters = centers_sqnorm.shape[0]
    dots[:] = 0.0
    for p in range(lo, hi):
        v = data[p]
        row = centers_T[indices[p]]
        for j in range(n_clusters):
            dots[j] += v * row[j]
    best = np.inf
    label = 0
    for j in range(n_clusters):
        dist = centers_sqnorm[j] - 2.0 * dots[j]
        if dist < best:
            best = dist
            label = j
    return label, best


@jit(parallel=True)
def assign_update_csr(
    X_csr,
    sample_weight,
    centers,
    chunk_size,
    labels_inout,
    sums_out,
    weights_out,
    inertia_out,
    changed_out,
):
    """:func:`assign_update_dense` for ``X_csr = (data, indices, indptr)``.

    Pass sums of shape (n_chunks, 0, 0) to skip the M-step sums
    (prediction and the final assignment); n_changed is still counted.
    """
    data, indices, indptr = X_csr
    n_samples = indptr.shape[0] - 1
    n_clusters = centers.shape[0]
    update = sums_out.shape[1] > 0
    centers_T = np.ascontiguousarray(centers.T)
    centers_sqnorm = np.empty(n_clusters, dtype=np.float64)
    for j in range(n_clusters):
        centers_sqnorm[j] = np.dot(centers[j], centers[j])
    for c in prange(inertia_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        if update:
            sums_out[c][:] = 0.0
            weights_out[c][:] = 0.0
        dots = np.empty(n_clusters, dtype=np.float64)
        inertia = 0.0
        changed = 0
        for i in range(start, stop):
            lo = indptr[i]
            hi = indptr[i + 1]
            label, best = _nearest_csr_row(
                data, indices, lo, hi, centers_T, centers_sqnorm, dots
            )
            if labels_inout[i] != label:
                changed += 1
                labels_inout[i] = label
            w = np.float64(sample_weight[i])
            x_sqnorm = 0.0
            for p in range(lo, hi):
                x_sqnorm += np.float64(data[p]) * np.float64(data[p])
            inertia += max(x_sqnorm + best, 0.0) * w
            if update:
                weights_out[c, label] += w
                for p in range(lo, hi):
                    sums_out[c, label, indices[p]] += w * np.float64(data[p])
        inertia_out[c] = inertia
        changed_out[c] = changed
