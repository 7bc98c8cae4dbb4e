"""What runs on the Dask workers: one block of rows at a time, on the in-memory kernels.

Every function here takes NumPy blocks (or an :class:`InlineBlock`, the only thing
that imports Dask here) and returns small NumPy results. Results are pure functions
of the arguments: the state kept between
iterations (a block's labels, its distances to the k-means|| candidates) lives in a
per-process cache that only saves work. When a block's task lands on a worker that
lacks that state (a restarted worker, a stolen task, a recomputed result) the task
rebuilds it from the previous centers, so a fit gives the same result whatever
happens to the workers.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numba
import numpy as np

from kmeansx._data import max_abs, row_norms, scale_exponent, scaled, unit_rows_checked
from kmeansx._init import KPP_CHUNK_ROWS
from kmeansx._kernels import assign as _assign
from kmeansx._kernels import distances as _dist
from kmeansx._kernels import kmeanspp as _kpp
from kmeansx._kernels._chunks import BLOCK_ROWS, chunk_size_for, n_chunks_for
from kmeansx._kernels._jit import single_threaded_blas

# Rows of a block go to the kernels piece by piece, about this many bytes at a
# time: views when the kernel centers the rows itself (the Lloyd passes), a reused
# scratch buffer when a piece must be centered first (k-means||'s row norms).
PIECE_BYTES = 4 * 2**20

# One kernel call at a time per process: each call already uses the worker's
# threads, and this keeps Numba's thread pool from being entered concurrently.
_KERNEL_LOCK = threading.Lock()

# (fit token, state name, block) -> (step, value); see the module docstring.
_STATE: dict[tuple, tuple[int, object]] = {}
_STATE_LOCK = threading.Lock()


def _worker():
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def where() -> str:
    """The address of the worker running the current task ("" outside a worker)."""
    worker = _worker()
    return worker.address if worker is not None else ""


@contextmanager
def kernel_context():
    """Serialize kernel calls; on a worker, use as many threads as it has slots."""
    with _KERNEL_LOCK:
        worker = _worker()
        if worker is not None:
            threads = max(1, int(getattr(worker, "nthreads", 1)))
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        with single_threaded_blas():
            yield


# -- per-process state ---------------------------------------------------------------


def take_state(key, step: int):
    """Remove and return the value stored under ``key`` at ``step``, else None."""
    with _STATE_LOCK:
        found = _STATE.pop(key, None)
    return found[1] if found is not None and found[0] == step else None


def peek_state(key, step: int):
    with _STATE_LOCK:
        found = _STATE.get(key)
    return found[1] if found is not None and found[0] == step else None


def put_state(key, step: int, value) -> None:
    with _STATE_LOCK:
        _STATE[key] = (step, value)


def drop_state(prefix: tuple) -> int:
    """Forget the entries whose key starts with ``prefix``; returns how many."""
    with _STATE_LOCK:
        keys = [key for key in _STATE if key[: len(prefix)] == prefix]
        for key in keys:
            del _STATE[key]
    return len(keys)


# -- blocks --------------------------------------------------------------------------


class InlineBlock:
    """A block's own small lazy graph, computed inside the task that reads the block.

    For data that is not in the cluster's memory (Parquet files, a random
    generator), the task that needs a block reads or generates it where it runs:
    no separate task, and no copy of the block from another worker.
    """

    __slots__ = ("blob", "key")

    def __init__(self, graph: dict, key):
        import cloudpickle

        self.blob = cloudpickle.dumps(graph)
        self.key = key

    def compute(self):
        import pickle

        from dask.local import get_sync

        return get_sync(pickle.loads(self.blob), self.key)


def rows(x) -> np.ndarray:
    """The rows of a block, computing it here when it comes as an InlineBlock."""
    if isinstance(x, InlineBlock):
        x = x.compute()
    return np.asarray(x)


def _weights(w, n: int, dtype) -> np.ndarray:
    if w is None:
        return np.ones(n, dtype=dtype)
    if isinstance(w, InlineBlock):
        w = w.compute()
    if np.ndim(w) == 0:
        return np.full(n, w, dtype=dtype)
    return np.ascontiguousarray(w, dtype=dtype)


def centered_pieces(x: np.ndarray, mean, chunk: int):
    """Yield ``(start, stop, x[start:stop] - mean)``, pieces of whole chunks.

    A piece holds about :data:`PIECE_BYTES` of rows (and at least one chunk per
    thread); the buffer is reused, so the centered copy stays small. ``mean=None``
    gives the rows as they are, as views: for a kernel that is handed the mean and
    centers the rows as it reads them, or for a block centered already.
    """
    n, d = x.shape
    per = max(1, PIECE_BYTES // max(1, chunk * d * x.dtype.itemsize))
    step = max(per, numba.get_num_threads()) * chunk
    if mean is None:
        x = np.ascontiguousarray(x)
        for start in range(0, n, step):
            stop = min(start + step, n)
            yield start, stop, x[start:stop]
        return
    buf = np.empty((min(step, n), d), dtype=x.dtype)
    for start in range(0, n, step):
        stop = min(start + step, n)
        piece = buf[: stop - start]
        np.subtract(x[start:stop], mean, out=piece)
        yield start, stop, piece


def _centered(rows, mean, dtype):
    return rows.astype(dtype) if mean is None else (rows - mean).astype(dtype)


def run_pieces(x, w, mean, centers, labels, update: bool, inertia: bool = True):
    """Assign ``labels`` in place over the whole block; the block's partial result.

    Returns ``(sums, weights, inertia, n_changed)``: sums (k, d) and weights (k,)
    in float64 (None when ``update`` is False); the inertia is 0.0 unless asked
    for. The block is cut in fixed-size chunks (a function of its shape) whose
    sums are added one after the other, in order, however the chunks are grouped
    into pieces: the result depends on the block's rows only, never on threads.
    """
    n, d = x.shape
    k = centers.shape[0]
    chunk = chunk_size_for(n, k, d)
    kk, dd = (k, d) if update else (0, 0)
    sums = np.zeros((k, d)) if update else None
    weights = np.zeros(k) if update else None
    total_inertia = 0.0
    changed = 0
    # The kernel centers the rows as it reads them: pieces are views.
    extra = () if mean is None else (mean,)
    for start, stop, piece in centered_pieces(x, None, chunk):
        n_chunks = n_chunks_for(stop - start, chunk)
        ps = np.empty((n_chunks, kk, dd))
        pw = np.empty((n_chunks, max(kk, 1)))
        pi = np.empty(n_chunks if inertia else 0)
        pc = np.empty(n_chunks, dtype=np.int64)
        _assign.assign_update_dense(
            piece,
            w[start:stop],
            centers,
            chunk,
            labels[start:stop],
            ps,
            pw,
            pi,
            pc,
            *extra,
        )
        for c in range(n_chunks):
            if update:
                sums += ps[c]
                weights += pw[c]
            if inertia:
                total_inertia += pi[c]
        changed += int(pc.sum())
    return sums, weights, float(total_inertia), changed


def block_stats(x):
    """``(n_rows, column sums, M2 about the block's mean, first bad cell or None,
    largest magnitude)``.

    M2 is the sum of squared deviations from the block's own mean, in float64, so
    blocks combine into an exact two-pass variance (Chan et al.). The largest
    magnitude (NaN or inf when a cell is not finite) tells the driver whether the
    data must be scaled (``kmeansx._data.scale_exponent``).
    """
    x = rows(x)
    n, d = x.shape
    largest = max_abs(x)
    if not np.isfinite(largest):
        bad_rows, bad_cols = np.nonzero(~np.isfinite(x))
        order = np.lexsort((bad_rows, bad_cols))[0]
        row, col = int(bad_rows[order]), int(bad_cols[order])
        bad = (row, col, bool(np.isnan(x[row, col])))
        return n, np.zeros(d), np.zeros(d), bad, largest
    sums = x.sum(axis=0, dtype=np.float64)
    m2 = np.zeros(d)
    if n:
        mean = sums / n
        step = max(1, PIECE_BYTES // (8 * d))
        for start in range(0, n, step):
            dev = x[start : start + step].astype(np.float64) - mean
            m2 += np.einsum("ij,ij->j", dev, dev)
    return n, sums, m2, None, largest


def zero_rows(x) -> np.ndarray:
    """The rows of zeros of a block (local positions): spherical k-means' check."""
    return np.flatnonzero(row_norms(rows(x)) == 0)


def unit_block(x):
    """A block's rows scaled to unit length (spherical k-means), in its dtype.

    A fit checks for rows of zeros first (:func:`zero_rows`, naming them by their
    global position); this check names a block's own row, for predictions."""

    def zero_error(zero):
        return ValueError(
            f"X has a row of zeros at row {int(zero[0])} of one of its blocks: it "
            "has no direction, so it has no cosine to any center. Drop the rows of "
            "zeros first."
        )

    return unit_rows_checked(np.ascontiguousarray(rows(x)), zero_error)


def weight_stats(w):
    """``(sum, first non-finite row or -1, first negative row or -1)`` of a block."""
    w = rows(w).astype(np.float64)
    nonfinite = np.flatnonzero(~np.isfinite(w))
    negative = np.flatnonzero(w < 0)
    first_bad = int(nonfinite[0]) if nonfinite.size else -1
    first_neg = int(negative[0]) if negative.size else -1
    return float(w[np.isfinite(w)].sum()), first_bad, first_neg


def lloyd_block(x, w, mean, centers, centers_prev, key, iteration: int, inertia):
    """One Lloyd pass over a block: ``(sums, weights, inertia, n_changed, [where])``.

    The labels of the previous pass come from this process's cache, or are rebuilt
    from ``centers_prev`` (they are, by definition, the nearest of those centers).
    """
    x = rows(x)
    w = _weights(w, x.shape[0], x.dtype)
    with kernel_context():
        labels = take_state(key, iteration - 1)
        if labels is None:
            labels = np.full(x.shape[0], -1, dtype=np.int32)
            if iteration > 0:
                run_pieces(x, w, mean, centers_prev, labels, False, False)
        part = run_pieces(x, w, mean, centers, labels, True, inertia)
    put_state(key, iteration, labels)
    return (*part, [where()])


def final_block(x, w, mean, centers):
    """Labels of a block on the final centers and its inertia."""
    x = rows(x)
    w = _weights(w, x.shape[0], x.dtype)
    labels = np.full(x.shape[0], -1, dtype=np.int32)
    with kernel_context():
        inertia = run_pieces(x, w, mean, centers, labels, False)[2]
    return labels, inertia


def far_block(x, w, mean, centers, key, iteration: int, n_far: int):
    """The ``n_far`` points of a block farthest from their centers (for relocation).

    Returns ``(centered_rows, weights, labels)``, farthest first.
    """
    x = rows(x)
    w = _weights(w, x.shape[0], x.dtype)
    dist = np.empty(x.shape[0])
    with kernel_context():
        labels = peek_state(key, iteration)
        if labels is None:
            labels = np.full(x.shape[0], -1, dtype=np.int32)
            run_pieces(x, w, mean, centers, labels, False, False)
        extra = () if mean is None else (mean,)
        for start, stop, piece in centered_pieces(x, None, BLOCK_ROWS):
            _dist.sq_distance_to_label_dense(
                piece, centers, labels[start:stop], dist[start:stop], *extra
            )
    local = top_rows(dist, n_far)
    points = _centered(x[local], mean, x.dtype)
    return points, w[local], labels[local]


def top_rows(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest values, largest first, ties to the lowest index."""
    n = min(n, values.shape[0])
    if n == 0:
        return np.empty(0, dtype=np.int64)
    idx = np.argpartition(values, -n)[-n:] if values.shape[0] > n else np.arange(n)
    order = np.lexsort((idx, -values[idx]))
    return idx[order].astype(np.int64)


def rows_of(x, mean, local_rows):
    """Centered rows ``local_rows`` of a block."""
    x = rows(x)
    return _centered(x[np.asarray(local_rows, dtype=np.int64)], mean, x.dtype)


def combine(*parts):
    """Add partial results elementwise, in the order given; lists are concatenated."""
    out = list(parts[0])
    for part in parts[1:]:
        for i, value in enumerate(part):
            if isinstance(value, list):
                out[i] = out[i] + value
            elif value is not None:
                out[i] = out[i] + value
    return tuple(out)


# -- prediction on raw (uncentered) blocks, as the in-memory predict does -------------


def _in_range(x, centers):
    """A block and the centers, times the power of two that keeps their squared
    distances in range (as the in-memory ``KMeans._scaled``), and that power."""
    x = np.ascontiguousarray(rows(x), dtype=centers.dtype)
    largest = max(max_abs(x), max_abs(centers))
    exponent = scale_exponent(largest, x.shape[1], x.dtype)
    if exponent:
        return scaled(x, exponent), scaled(centers, exponent), exponent
    return x, centers, 0


def predict_block(x, centers):
    x, centers, _ = _in_range(x, centers)
    labels = np.full(x.shape[0], -1, dtype=np.int32)
    ones = np.ones(x.shape[0], x.dtype)
    with kernel_context():
        run_pieces(x, ones, np.zeros_like(centers[0]), centers, labels, False, False)
    return labels


def transform_block(x, centers):
    x, centers, exponent = _in_range(x, centers)
    out = np.empty((x.shape[0], centers.shape[0]))
    with kernel_context():
        _dist.sq_distances_dense(x, centers, out)
    np.sqrt(out, out=out)
    return np.ldexp(out, -exponent).astype(x.dtype, copy=False)


def cosine_block(x, centers):
    """Cosine distances ``1 - cos`` of a block's rows to unit ``centers``."""
    x = unit_block(x)
    out = np.empty((x.shape[0], centers.shape[0]))
    with kernel_context():
        _dist.sq_distances_dense(x, centers, out)
    out *= 0.5
    return out.astype(x.dtype, copy=False)


def score_block(x, w, centers):
    x, centers, exponent = _in_range(x, centers)
    w = _weights(w, x.shape[0], x.dtype)
    labels = np.full(x.shape[0], -1, dtype=np.int32)
    with kernel_context():
        inertia = run_pieces(x, w, np.zeros_like(centers[0]), centers, labels, False)[2]
    with np.errstate(over="ignore", under="ignore"):
        return float(np.ldexp(inertia, -2 * exponent))


# -- k-means|| (scalable k-means++), on the in-memory path's per-block kernels ------


def _kpar_state(x, mean, cands, bounds, key, rnd: int):
    """Squared distance of each row to its nearest candidate, and that candidate.

    ``cands[bounds[r]:bounds[r + 1]]`` were added at round ``r``. The state of
    round ``rnd - 1`` is extended with round ``rnd``'s candidates, or, when this
    process lacks it, every round is replayed in the same order, which gives the
    same values bit for bit.
    """
    n = x.shape[0]
    state = take_state(key, rnd - 1)
    if state is None:
        closest = np.full(n, np.inf)
        nearest = np.full(n, -1, dtype=np.int64)
        rounds = range(rnd + 1)
    else:
        closest, nearest = state
        rounds = range(rnd, rnd + 1)
    for start, stop, piece in centered_pieces(x, mean, KPP_CHUNK_ROWS):
        sq_norms = np.einsum("ij,ij->i", piece, piece, dtype=np.float64)
        for r in rounds:
            lo, hi = bounds[r], bounds[r + 1]
            if hi > lo:
                _kpp.kpar_nearest_dense(
                    piece,
                    sq_norms,
                    cands[lo:hi],
                    lo,
                    KPP_CHUNK_ROWS,
                    closest[start:stop],
                    nearest[start:stop],
                )
    put_state(key, rnd, (closest, nearest))
    return closest, nearest


def kpar_add(x, w, mean, cands, bounds, key, rnd: int):
    """Add round ``rnd``'s candidates: ``(potential, weight per candidate, [where])``.

    The potential is ``sum w * D(x)^2``; the weights, of the rows nearest to each
    candidate so far, are what the last round's reclustering needs.
    """
    x = rows(x)
    w = _weights(w, x.shape[0], x.dtype).astype(np.float64)
    with kernel_context():
        closest, nearest = _kpar_state(x, mean, cands, bounds, key, rnd)
    counts = np.bincount(nearest, weights=w, minlength=bounds[rnd + 1])
    return float(closest @ w), counts, [where()]


def kpar_keep(x, w, mean, cands, bounds, key, rnd: int, offset: int, seed, scale):
    """The rows a round keeps: ``(centered rows, global rows, [where])``.

    Row ``i`` is kept when the uniform hashed from ``seed`` and its global
    position is below ``scale * w_i * D(x_i)^2``: the in-memory draw, block by block.
    """
    x = rows(x)
    w = _weights(w, x.shape[0], x.dtype).astype(np.float64)
    state = peek_state(key, rnd)
    if state is None:
        with kernel_context():
            state = _kpar_state(x, mean, cands, bounds, key, rnd)
    keep = np.empty(x.shape[0], dtype=np.int64)
    m = _kpp.kpar_keep(w, state[0], offset, seed, scale, keep)
    return rows_of(x, mean, keep[:m]), keep[:m] + offset, [where()]
