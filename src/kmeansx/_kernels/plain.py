"""Plain-NumPy twins of the kernels a small fit needs: the same bits, no compilation.

Compiling the Numba kernels costs seconds, once per machine; a small fit costs
milliseconds. For small problems the drivers can call these functions instead
(``"auto"`` does, below :data:`kmeansx._algorithms.registry.PLAIN_BELOW`). Each one
has its kernel's signature and fills the same outputs with the same values, bit
for bit: the same expressions in the same precision, every sum added in the
kernel's order (sequential sums are ``np.bincount``, ``np.cumsum`` or one add per
feature, never NumPy's pairwise ``sum``), the same fixed chunks and blocks, and
the kernels' products through the very BLAS calls Numba's ``np.dot`` makes
(:func:`dot_as_numba`). The labels, centers, inertia and k-means++ rows of a run
therefore do not depend on which of the two ran (``tests/test_plain.py`` holds
every function to its kernel). Zeros may differ in sign only (the kernels'
``nsz`` flag leaves that sign unspecified).

Work is vectorized over whole arrays where the kernel's result does not depend on
the blocking, and the sums are split by chunk with one ``np.bincount`` per feature
(bucket ``chunk * k + label``), so a pass costs a few NumPy calls whatever the
number of chunks. Temporaries are ``(n_samples, n_clusters)`` at most: the
threshold keeps them small.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

from kmeansx._kernels import assign as _assign
from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels.assign import SMALL_D

# -- np.dot as Numba's compiled code calls BLAS -----------------------------------

_BLAS = {}


def _blas(name: str):
    """Numba's own BLAS helper ``numba_<name>`` (what compiled ``np.dot`` calls: the
    BLAS of SciPy's ``cython_blas``), as a ctypes function."""
    fn = _BLAS.get(name)
    if fn is None:
        from numba import _helperlib

        P, V, C = ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_char
        args = {
            "xxgemm": (C, C, C, P, P, P, V, V, P, V, P, V, V, P),
            "xxgemv": (C, C, P, P, V, V, P, V, V, V),
            "xxdot": (C, C, P, V, V, V),
        }[name]
        proto = ctypes.CFUNCTYPE(ctypes.c_int, *args)
        fn = _BLAS[name] = proto(_helperlib.c_helpers[name])
    return fn


@functools.cache
def _scalars(dtype):
    """BLAS's letter for ``dtype`` and the addresses of a 1 and a 0 in it (the array
    that holds them comes along, so that it lives as long as the cache)."""
    one_zero = np.array([1, 0], dtype=dtype)
    kind = b"d" if one_zero.dtype == np.float64 else b"s"
    address = _address(one_zero)
    return kind, address, address + one_zero.itemsize, one_zero


def _address(a) -> int:
    return a.__array_interface__["data"][0]


def dot_as_numba(a, b, out) -> None:
    """``np.dot(a, b, out)`` as a Numba kernel computes it, bit for bit.

    ``a`` (m, k), ``b`` (k, n) and ``out`` (m, n) are C-contiguous, of one dtype
    (float32 or float64). Numba calls BLAS ``gemm``, or ``gemv``/``dot`` when ``a``
    or ``b`` is a vector held as a matrix (``numba/np/linalg.py``, ``dot_3_mm``);
    each gives other roundings, so the same choice and arguments are made here.
    """
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0 or k == 0:
        out[...] = 0
        return
    kind, alpha, beta, _ = _scalars(a.dtype)
    pa, pb, po = _address(a), _address(b), _address(out)
    if m == 1 and n == 1:
        status = _blas("xxdot")(kind, b"\0", k, pa, pb, po)
    elif n == 1:  # matrix @ vector: a, C order, is a transposed Fortran matrix
        status = _blas("xxgemv")(kind, b"t", k, m, alpha, pa, k, pb, beta, po)
    elif m == 1:  # vector @ matrix
        status = _blas("xxgemv")(kind, b"n", n, k, alpha, pb, n, pa, beta, po)
    else:  # out.T = b.T @ a.T in Fortran order
        status = _blas("xxgemm")(
            kind, b"n", b"n", n, m, k, alpha, pb, n, pa, k, beta, po, n
        )
    if status != 0:  # pragma: no cover - only an unknown kind fails
        raise RuntimeError(f"BLAS call failed with status {status}")


# -- shared pieces ----------------------------------------------------------------


def _f64(a):
    """``a`` in float64 (no copy when it is)."""
    return np.asarray(a, dtype=np.float64)


def _centered(X, x_mean):
    """``value(X, x_mean, i, f)`` of every element: in X's dtype."""
    return X if x_mean is None else X - x_mean


def _sq_dist_rows(Xc, centers):
    """``sum_f (float64(Xc[i, f]) - float64(centers[i, f]))**2``, added over ``f``
    in order (``centers`` broadcasts against the rows)."""
    diff = _f64(Xc) - _f64(centers)
    sq = diff[:, 0] * diff[:, 0]
    for f in range(1, diff.shape[1]):
        sq = sq + diff[:, f] * diff[:, f]
    return sq


def _chunk_sums(chunk_of, values, n_chunks):
    """Per chunk, the sum of ``values`` in row order (from 0.0): the kernels'
    ``pot += ...`` over a chunk (``np.bincount`` adds its weights one by one)."""
    return np.bincount(chunk_of, weights=values, minlength=n_chunks)


@functools.lru_cache(maxsize=16)
def _chunk_ids(n_samples, chunk_size):
    """The chunk of every row (shared between calls: read-only)."""
    ids = np.arange(n_samples, dtype=np.intp) // chunk_size
    ids.flags.writeable = False
    return ids


def _block_of(rows, chunk_size):
    """The block of each row as the kernels walk them: ``BLOCK_ROWS`` rows at a
    time from the start of every chunk (numbers increase with the rows)."""
    per_chunk = -(-chunk_size // BLOCK_ROWS)
    return (rows // chunk_size) * per_chunk + (rows % chunk_size) // BLOCK_ROWS


def _runs(keys):
    """``(lo, hi)`` of every run of equal values in sorted ``keys``."""
    cuts = np.diff(keys).nonzero()[0] + 1
    return zip(
        np.concatenate(([0], cuts)).tolist(),
        np.concatenate((cuts, [keys.shape[0]])).tolist(),
        strict=True,
    )


# -- per-column statistics (kmeansx._kernels.stats) --------------------------------


def column_sums(X, chunk_size, sums_out):
    """:func:`kmeansx._kernels.stats.column_sums`."""
    chunk_of = _chunk_ids(X.shape[0], chunk_size)
    for f in range(X.shape[1]):
        column = _f64(X[:, f])
        sums_out[:, f] = _chunk_sums(chunk_of, column, sums_out.shape[0])


def row_sq_norms(X, out, x_mean=None):
    """:func:`kmeansx._kernels.stats.row_sq_norms`."""
    Xc = _f64(_centered(X, x_mean))
    acc = np.zeros(X.shape[0])
    for f in range(X.shape[1]):
        acc = acc + Xc[:, f] * Xc[:, f]
    out[:] = acc


# -- Lloyd's pass (kmeansx._kernels.assign) ------------------------------------------


def _sq_norms(centers):
    """:func:`kmeansx._kernels.assign.sq_norms` in the centers' dtype."""
    acc = centers[:, 0] * centers[:, 0]
    for f in range(1, centers.shape[1]):
        acc = acc + centers[:, f] * centers[:, f]
    return acc


def _products(centers_m2, Xc, chunk_size):
    """``dots[j, i]``: ``-2 c_j . x_i`` of every row, in X's dtype, as
    :func:`kmeansx._kernels.assign.nearest_block` forms it: a loop over the features
    up to ``SMALL_D``, one BLAS product per block of rows above."""
    n_clusters, n_features = centers_m2.shape
    if n_features <= SMALL_D:
        dots = centers_m2[:, :1] * Xc[:, 0]
        for f in range(1, n_features):
            dots = dots + centers_m2[:, f : f + 1] * Xc[:, f]
        return dots
    dots = np.empty((n_clusters, Xc.shape[0]), dtype=Xc.dtype)
    block_of = _block_of(np.arange(Xc.shape[0]), chunk_size)
    for b0, b1 in _runs(block_of):
        out = np.empty((n_clusters, b1 - b0), dtype=Xc.dtype)
        dot_as_numba(centers_m2, np.ascontiguousarray(Xc[b0:b1].T), out)
        dots[:, b0:b1] = out
    return dots


def _tie_margins(Xc, c_sqnorm, tie_factor):
    """Per row, how much a later center must rank lower by to take the row, as the
    kernel's tie rule computes it (``tie_coef``, ``tie_margins``); None when the
    kernel has no such rule (exact comparisons)."""
    if not tie_factor:
        return None
    u = 2.0**-24 if Xc.dtype.itemsize == 4 else 2.0**-53
    m = (Xc.shape[1] + 2) * u
    coef = tie_factor * m / (1.0 - m)
    tie = np.full(Xc.shape[0], c_sqnorm.max(), dtype=Xc.dtype)
    for f in range(Xc.shape[1]):
        tie = tie + Xc[:, f] * Xc[:, f]
    return (_f64(tie) * coef).astype(Xc.dtype)


def nearest(Xc, centers, chunk_size):
    """The label of every row of centered ``Xc``: the lowest ``j`` of the least
    ``||c_j||^2 - 2 c_j . x``, as :func:`kmeansx._kernels.assign.select_nearest`
    (with the kernel's tie margins, if it has them: a later center takes a row
    only when it ranks lower by more)."""
    centers_m2 = centers * centers.dtype.type(-2)
    c_sqnorm = _sq_norms(centers)
    dist = _products(centers_m2, Xc, chunk_size)
    dist += c_sqnorm[:, None]
    tie = _tie_margins(Xc, c_sqnorm, _assign.TIE_FACTOR)
    if tie is None:
        return np.argmin(dist, axis=0).astype(np.int32)
    # The kernel's scan over the centers, one center at a time for all rows.
    best = np.full(Xc.shape[0], np.inf, dtype=dist.dtype)
    labels = np.zeros(Xc.shape[0], dtype=np.int32)
    for j in range(dist.shape[0]):
        closer = dist[j] < best - tie
        best = np.where(closer, dist[j], best)
        labels[closer] = j
    return labels


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
    """:func:`kmeansx._kernels.assign.assign_update_dense`."""
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    n_chunks = changed_out.shape[0]
    Xc = _centered(X, x_mean)
    labels = nearest(Xc, centers, chunk_size)
    chunk_of = _chunk_ids(n_samples, chunk_size)
    changed = labels != labels_inout
    if n_chunks == 1:
        changed_out[0] = np.count_nonzero(changed)
    else:
        changed_out[:] = np.bincount(chunk_of[changed], minlength=n_chunks)
    labels_inout[:] = labels
    w = _f64(sample_weight)
    if inertia_out.shape[0] > 0:
        sq = _sq_dist_rows(Xc, centers[labels])
        inertia_out[:] = _chunk_sums(chunk_of, sq * w, n_chunks)
    if sums_out.shape[1] > 0:
        # One bucket per chunk and label: np.bincount adds each bucket's rows in
        # row order, as the kernel's chunk does.
        bucket = labels if n_chunks == 1 else chunk_of * n_clusters + labels
        size = n_chunks * n_clusters
        shape = (n_chunks, n_clusters)
        weights_out[:] = np.bincount(bucket, w, size).reshape(shape)
        for f in range(n_features):
            wx = w * _f64(Xc[:, f])
            sums_out[:, :, f] = np.bincount(bucket, wx, size).reshape(shape)


# -- distances (kmeansx._kernels.distances) -----------------------------------------


def sq_distance_to_label_dense(X, centers, labels, out, x_mean=None):
    """:func:`kmeansx._kernels.distances.sq_distance_to_label_dense`."""
    out[:] = _sq_dist_rows(_centered(X, x_mean), centers[labels])


def sq_distances_dense(X, centers, out):
    """:func:`kmeansx._kernels.distances.sq_distances_dense`."""
    for j in range(centers.shape[0]):
        out[:, j] = _sq_dist_rows(X, centers[j : j + 1])


def two_nearest_dense(
    X, centers_m2_T, c_sqnorm, nearest_out, d1_out, d2_out, x_mean=None
):
    """:func:`kmeansx._kernels.distances.two_nearest_dense`."""
    Xc = _f64(_centered(X, x_mean))
    x_sq = np.empty(X.shape[0])
    row_sq_norms(Xc, x_sq)  # the centered float64 rows it would make again
    for b0 in range(0, X.shape[0], BLOCK_ROWS):
        b1 = min(b0 + BLOCK_ROWS, X.shape[0])
        here = np.arange(b1 - b0)
        ranks = np.empty((b1 - b0, c_sqnorm.shape[0]))
        dot_as_numba(np.ascontiguousarray(Xc[b0:b1]), centers_m2_T, ranks)
        ranks += c_sqnorm
        first = np.argmin(ranks, axis=1)
        nearest_out[b0:b1] = first
        d1_out[b0:b1] = np.maximum(x_sq[b0:b1] + ranks[here, first], 0.0)
        ranks[here, first] = np.inf
        d2_out[b0:b1] = np.maximum(x_sq[b0:b1] + ranks.min(axis=1), 0.0)


# -- greedy k-means++ (kmeansx._kernels.kmeanspp) ------------------------------------


def closest_first_dense(
    X,
    sample_weight,
    center,
    chunk_size,
    closest_out,
    assign_out,
    chunk_pot_out,
    x_mean=None,
):
    """:func:`kmeansx._kernels.kmeanspp.closest_first_dense`."""
    closest_out[:] = _sq_dist_rows(_centered(X, x_mean), center[None, :])
    assign_out[:] = 0
    w = _f64(sample_weight)
    chunk_of = _chunk_ids(X.shape[0], chunk_size)
    chunk_pot_out[:] = _chunk_sums(chunk_of, w * closest_out, chunk_pot_out.shape[0])


def sample_by_potential(sample_weight, closest, chunk_size, chunk_cumpot, targets, out):
    """:func:`kmeansx._kernels.kmeanspp.sample_by_potential`.

    The kernel walks a target's chunk adding ``w * closest`` to the chunks before
    it and stops at the first row that reaches the target; those running sums
    never decrease (every term is >= 0), so a ``searchsorted`` finds that row.
    """
    n_samples = closest.shape[0]
    n_chunks = chunk_cumpot.shape[0]
    chunks = np.searchsorted(chunk_cumpot, targets)
    out[chunks >= n_chunks] = n_samples - 1
    for c in np.unique(chunks[chunks < n_chunks]).tolist():
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        lead = chunk_cumpot[c - 1] if c > 0 else 0.0
        pot = _f64(sample_weight[start:stop]) * closest[start:stop]
        pot[0] += lead
        running = np.cumsum(pot)
        mine = chunks == c
        found = np.searchsorted(running, targets[mine])
        out[mine] = np.minimum(start + found, stop - 1)


def candidate_deltas_dense(
    X,
    x_sqnorm,
    sample_weight,
    closest,
    assign,
    cand_T,
    cand_sqnorm,
    cc_sq,
    chunk_size,
    closer_out,
    delta_out,
    x_mean=None,
):
    """:func:`kmeansx._kernels.kmeanspp.candidate_deltas_dense`."""
    n_chunks, n_candidates = delta_out.shape
    in_reach = cc_sq.min(axis=1)[assign] < 4.0 * closest
    closer_out[:] = 0
    delta_out[:] = 0.0
    rows = in_reach.nonzero()[0]
    if rows.shape[0] == 0:
        return
    X_rows = np.ascontiguousarray(_centered(X[rows], x_mean), dtype=X.dtype)
    dots = np.empty((rows.shape[0], n_candidates), dtype=X.dtype)
    # One product per block: the block's rows in reach.
    if X.shape[0] <= min(BLOCK_ROWS, chunk_size):
        dot_as_numba(X_rows, cand_T, dots)
    else:
        for lo, hi in _runs(_block_of(rows, chunk_size)):
            dot_as_numba(X_rows[lo:hi], cand_T, dots[lo:hi])
    dots = _f64(dots)
    dist = np.maximum(x_sqnorm[rows][:, None] + cand_sqnorm[None, :] - 2.0 * dots, 0.0)
    gain = np.minimum(dist - closest[rows][:, None], 0.0)
    w_gain = _f64(sample_weight[rows])[:, None] * gain
    if n_chunks == 1:  # np.cumsum adds the rows in order
        delta_out[0] = np.cumsum(w_gain, axis=0)[-1]
    else:
        chunk_of = rows // chunk_size
        for t in range(n_candidates):
            delta_out[:, t] = _chunk_sums(chunk_of, w_gain[:, t], n_chunks)
    bits = (gain < 0.0).astype(np.int64) << np.arange(n_candidates, dtype=np.int64)
    closer_out[rows] = bits.sum(axis=1)


def closest_add_dense(
    X,
    sample_weight,
    center,
    closer,
    t,
    index,
    chunk_size,
    closest_inout,
    assign_inout,
    chunk_pot_out,
    x_mean=None,
):
    """:func:`kmeansx._kernels.kmeanspp.closest_add_dense`."""
    moved = (closer.astype(np.int64) & (np.int64(1) << t)).nonzero()[0]
    if moved.shape[0]:
        Xc = _centered(X[moved], x_mean)
        closest_inout[moved] = _sq_dist_rows(Xc, center[None, :])
        assign_inout[moved] = index
    w = _f64(sample_weight)
    chunk_of = _chunk_ids(X.shape[0], chunk_size)
    chunk_pot_out[:] = _chunk_sums(chunk_of, w * closest_inout, chunk_pot_out.shape[0])
