"""Assignment (E-step) fused with the nearest-center search and partial M-step sums.

Squared distances are ranked as ``||c||^2 - 2 x.c`` (the ``||x||^2`` term does not
change the argmin), the same expansion scikit-learn uses. For a block of rows the
products come from one GEMM, ``(-2 C) @ X_block.T``, laid out center-major so the
argmin runs across rows as vector selects: the argmin, not the arithmetic, is what
costs at low dimension when it is a chain of unpredictable branches. Ties go to
the lowest center index. Sums, weights and inertia accumulate in float64 in one slot
per fixed-size chunk; the caller adds the slots in chunk order.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.centered import value
from kmeansx._kernels.partials import chunk_partials, chunk_rows


@jit()
def sq_norms(centers, dtype_like):
    """Squared norm of each row, summed in order, in ``dtype_like``'s dtype.

    A plain loop, not ``np.dot``: Numba's parallel compiler rewrites ``np.dot`` into
    its own reduction, which would make the serial and parallel kernels differ.
    """
    n_clusters, n_features = centers.shape
    out = np.empty(n_clusters, dtype=dtype_like.dtype)
    for j in range(n_clusters):
        acc = dtype_like.dtype.type(0)
        for f in range(n_features):
            acc += centers[j, f] * centers[j, f]
        out[j] = acc
    return out


# Ranking values of two centers that differ by less than their rounding are a tie,
# which goes to the lower index (as in scikit-learn, and as exact arithmetic would
# have it for points exactly as far from both). A later center takes a row only
# when it ranks lower by more than ``tie_margins``: TIE_FACTOR * gamma_{d+2} *
# (||x||^2 + max_j ||c_j||^2), where each ranking value rounds by at most
# gamma_{d+2} * (||x|| + ||c||)^2 <= 2 gamma_{d+2} * (||x||^2 + ||c||^2); a factor
# 2 to spare. The bound kernels widen their ambiguity margins by as much (see
# ``kmeansx._algorithms.bounded.margin_coef``), so that they leave every row this
# rule could decide to Lloyd's replay.
TIE_FACTOR = 8.0


@jit()
def tie_coef(X, n_features):
    """``TIE_FACTOR * gamma_{d+2}`` in the unit roundoff of ``X``'s dtype."""
    u = 2.0**-24 if X.itemsize == 4 else 2.0**-53
    m = (n_features + 2) * u
    return TIE_FACTOR * m / (1.0 - m)


@jit()
def tie_margins(X_T, m, coef, c_sqmax, tie_out):
    """``tie_out[r] = coef * (||X_T[:, r]||^2 + c_sqmax)`` for columns ``r < m``."""
    for r in range(m):
        tie_out[r] = c_sqmax
    for f in range(X_T.shape[0]):
        for r in range(m):
            tie_out[r] += X_T[f, r] * X_T[f, r]
    for r in range(m):
        tie_out[r] *= coef


@jit()
def prepare_centers(centers):
    """``-2 * centers`` and the squared norms of the centers, in their dtype.

    A loop, not ``centers * -2``: an array expression costs a second to compile.
    """
    n_clusters, n_features = centers.shape
    centers_m2 = np.empty((n_clusters, n_features), dtype=centers.dtype)
    minus_two = centers.dtype.type(-2)
    for j in range(n_clusters):
        for f in range(n_features):
            centers_m2[j, f] = centers[j, f] * minus_two
    return centers_m2, sq_norms(centers, centers[0, :1])


# Up to this many features the products are summed in a loop along the rows (in
# vector lanes), not by BLAS: at such widths a GEMM call costs more than its work.
SMALL_D = 4


@jit()
def _small_dot(centers_m2, X_T, m, dots):
    for j in range(centers_m2.shape[0]):
        for r in range(m):
            dots[j, r] = centers_m2[j, 0] * X_T[0, r]
        for f in range(1, centers_m2.shape[1]):
            c = centers_m2[j, f]
            for r in range(m):
                dots[j, r] += c * X_T[f, r]


@jit()
def transpose_block(X_b, x_mean, X_T):
    """``X_T[:, :m]``: the (centered) rows of ``X_b``, feature-major.

    Feature by feature, so that the stores run along ``X_T``'s rows and the mean is
    one number a pass (2-3x faster than row by row); two features are written out,
    as a loop of two costs several times the copy itself.
    """
    m, n_features = X_b.shape
    if n_features == 2:
        for r in range(m):
            X_T[0, r] = value(X_b, x_mean, r, 0)
            X_T[1, r] = value(X_b, x_mean, r, 1)
        return
    for f in range(n_features):
        for r in range(m):
            X_T[f, r] = value(X_b, x_mean, r, f)


@jit()
def select_nearest(dots, c_sqnorm, tie, m, best_out, label_out):
    """Smallest ``dots[j, r] + c_sqnorm[j]`` of columns ``r < m``, and its ``j``.

    Selects across rows, which vectorize; ``label_out`` holds the index as a float
    of ``best_out``'s dtype so that the lanes have one width. A later ``j`` wins
    only by more than ``tie[r]`` (zeros: exact comparisons), so ties keep the
    lowest ``j``.
    """
    for r in range(m):
        best_out[r] = np.inf
        label_out[r] = 0
    for j in range(dots.shape[0]):
        c_sq = c_sqnorm[j]
        j_as_float = best_out.dtype.type(j)
        for r in range(m):
            dist = dots[j, r] + c_sq
            closer = dist < best_out[r] - tie[r]
            best_out[r] = dist if closer else best_out[r]
            label_out[r] = j_as_float if closer else label_out[r]


@jit()
def _select_nearest_2d(centers_m2, X_T, c_sqnorm, tie, m, best_out, label_out):
    """:func:`select_nearest` of the products ``centers_m2 @ X_T`` at two
    features, each product made where it is compared (the features added in
    order, as :func:`_small_dot`): none stored and read back, 1.3x faster."""
    for r in range(m):
        best_out[r] = np.inf
        label_out[r] = 0
    for j in range(centers_m2.shape[0]):
        c_sq = c_sqnorm[j]
        c0, c1 = centers_m2[j, 0], centers_m2[j, 1]
        j_as_float = best_out.dtype.type(j)
        for r in range(m):
            dist = (c0 * X_T[0, r] + c1 * X_T[1, r]) + c_sq
            closer = dist < best_out[r] - tie[r]
            best_out[r] = dist if closer else best_out[r]
            label_out[r] = j_as_float if closer else label_out[r]


@jit()
def nearest_block(X_b, centers_m2, centers_sqnorm, scratch, labels_out, x_mean=None):
    """Nearest center of the rows of ``X_b``, a block of dense ``X`` (at most
    ``BLOCK_ROWS`` rows).

    ``scratch = (X_T, dots, best, label, tie)`` are per-thread buffers of shapes
    (d, BLOCK_ROWS), (k, BLOCK_ROWS) and (BLOCK_ROWS,), all of X's dtype (labels are
    held as floats so the selects work on lanes of one width). Near-ties go to the
    lower index (``TIE_FACTOR``).
    """
    X_T, dots, best, label, tie = scratch
    n_clusters, n_features = centers_m2.shape
    m = X_b.shape[0]
    if m < X_T.shape[1]:
        # np.dot writes only into contiguous outputs: a short last block gets its own.
        X_T = np.empty((n_features, m), dtype=X_b.dtype)
        dots = np.empty((n_clusters, m), dtype=X_b.dtype)
    transpose_block(X_b, x_mean, X_T)
    tie_margins(X_T, m, tie_coef(X_b, n_features), np.max(centers_sqnorm), tie)
    if n_features == 2:
        _select_nearest_2d(centers_m2, X_T, centers_sqnorm, tie, m, best, label)
    else:
        if n_features > SMALL_D:
            np.dot(centers_m2, X_T, dots)
        else:
            _small_dot(centers_m2, X_T, m, dots)
        select_nearest(dots, centers_sqnorm, tie, m, best, label)
    for r in range(m):
        labels_out[r] = np.int32(label[r])


@jit()
def new_scratch(n_features, n_clusters, dtype_like):
    return (
        np.empty((n_features, BLOCK_ROWS), dtype=dtype_like.dtype),
        np.empty((n_clusters, BLOCK_ROWS), dtype=dtype_like.dtype),
        np.empty(BLOCK_ROWS, dtype=dtype_like.dtype),
        np.empty(BLOCK_ROWS, dtype=dtype_like.dtype),
        np.empty(BLOCK_ROWS, dtype=dtype_like.dtype),
    )


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
    x_mean=None,
):
    """One Lloyd pass over dense ``X``: labels plus per-chunk partial sums.

    ``labels_inout`` holds the previous labels and receives the new ones;
    ``changed_out[c]`` counts the labels chunk ``c`` changed. ``sums_out``,
    ``weights_out`` and ``inertia_out`` have shapes (n_chunks, k, d), (n_chunks, k)
    and (n_chunks,). They are separate arguments because Numba's parfors do not
    write through arrays unpacked from a tuple. Sums of shape (n_chunks, 0, 0) skip
    the M-step sums (prediction and the final assignment), and an inertia of shape
    (0,) skips the inertia, which then costs nothing in the iterations that do not
    report it. ``x_mean`` (X's dtype) centers the rows as they are read
    (:mod:`kmeansx._kernels.centered`).
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    centers_m2, centers_sqnorm = prepare_centers(centers)
    for c in prange(changed_out.shape[0]):
        start, stop = chunk_rows(c, chunk_size, n_samples)
        scratch = new_scratch(n_features, n_clusters, X[:1, 0])
        block_labels = np.empty(BLOCK_ROWS, dtype=np.int32)
        changed = 0
        for b0 in range(start, stop, BLOCK_ROWS):
            b1 = min(b0 + BLOCK_ROWS, stop)
            # Views of the block indexed from 0: Numba then knows no index is
            # negative and drops its wraparound test from the loops below.
            X_b = X[b0:b1]
            labels_b = labels_inout[b0:b1]
            nearest_block(
                X_b, centers_m2, centers_sqnorm, scratch, block_labels, x_mean
            )
            for r in range(X_b.shape[0]):
                label = block_labels[r]
                if labels_b[r] != label:
                    changed += 1
                    labels_b[r] = label
        changed_out[c] = changed
        chunk_partials(
            X,
            sample_weight,
            centers,
            labels_inout,
            None,
            chunk_size,
            c,
            sums_out,
            weights_out,
            inertia_out,
            x_mean,
        )


@jit()
def _nearest_csr_row(data, indices, lo, hi, centers_T, centers_sqnorm, tie, dots):
    """Label of one CSR row and its ``||c||^2 - 2 x.c`` to that label; a later
    center wins only by more than ``tie``."""
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
        if dist < best - tie:
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

    Wide sparse data has few chunks (one slot of sums is ``k x d`` float64), often
    one, so the work is not split by chunk: the rows are labeled in blocks of
    ``BLOCK_ROWS`` in parallel, then each chunk's sums are added one label per
    task. Every slot and every inertia is still the sum of its chunk's rows in row
    order, as one thread would add them: the same bits at any thread count.
    """
    data, indices, indptr = X_csr
    n_samples = indptr.shape[0] - 1
    n_clusters = centers.shape[0]
    n_chunks = changed_out.shape[0]
    update = sums_out.shape[1] > 0
    want_inertia = inertia_out.shape[0] > 0
    centers_T = np.ascontiguousarray(centers.T)
    centers_sqnorm = sq_norms(centers, np.zeros(1))
    # The products are summed in float64 whatever the data's dtype.
    coef = tie_coef(centers_sqnorm, centers.shape[1])
    c_sqmax = np.max(centers_sqnorm)
    row_inertia = np.empty(n_samples if want_inertia else 0)
    per_chunk = -(-chunk_size // BLOCK_ROWS)
    block_changed = np.zeros(n_chunks * per_chunk, dtype=np.int64)
    for b in prange(n_chunks * per_chunk):
        c = b // per_chunk
        start = c * chunk_size + (b % per_chunk) * BLOCK_ROWS
        stop = min(start + BLOCK_ROWS, (c + 1) * chunk_size, n_samples)
        dots = np.empty(n_clusters, dtype=np.float64)
        changed = 0
        for i in range(start, stop):
            lo = indptr[i]
            hi = indptr[i + 1]
            x_sqnorm = 0.0
            for p in range(lo, hi):
                x_sqnorm += np.float64(data[p]) * np.float64(data[p])
            tie = coef * (x_sqnorm + c_sqmax)
            label, best = _nearest_csr_row(
                data, indices, lo, hi, centers_T, centers_sqnorm, tie, dots
            )
            if labels_inout[i] != label:
                changed += 1
                labels_inout[i] = label
            if want_inertia:
                row_inertia[i] = max(x_sqnorm + best, 0.0) * np.float64(
                    sample_weight[i]
                )
        block_changed[b] = changed
    for c in prange(n_chunks):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        changed_out[c] = block_changed[c * per_chunk : (c + 1) * per_chunk].sum()
        if want_inertia:
            inertia = 0.0
            for i in range(start, stop):
                inertia += row_inertia[i]
            inertia_out[c] = inertia
    if update:
        for q in prange(n_chunks * n_clusters):
            c = q // n_clusters
            j = q % n_clusters
            _label_sums_csr(
                X_csr,
                sample_weight,
                labels_inout,
                chunk_size,
                c,
                j,
                sums_out,
                weights_out,
            )


@jit()
def _label_sums_csr(
    X_csr, sample_weight, labels, chunk_size, c, j, sums_out, weights_out
):
    """Chunk ``c``'s weighted sum and weight of its rows of label ``j``, in row
    order."""
    data, indices, indptr = X_csr
    start = c * chunk_size
    stop = min(start + chunk_size, indptr.shape[0] - 1)
    sums = sums_out[c, j]
    sums[:] = 0.0
    weight = 0.0
    for i in range(start, stop):
        if labels[i] != j:
            continue
        w = np.float64(sample_weight[i])
        weight += w
        for p in range(indptr[i], indptr[i + 1]):
            sums[indices[p]] += w * np.float64(data[p])
    weights_out[c, j] = weight
