"""What the exact bound-based steps share, and Lloyd's replay.

Elkan, Hamerly and Yinyang differ only in the bounds their kernels keep. This
module holds what they share: the step's buffers and pass (run by the loop every
algorithm shares, :mod:`kmeansx._algorithms.loop`), the per-iteration center
information the kernels prune with, and the replay that settles ambiguous rows.

A row is ambiguous when two surviving centers are so close to it that rounding
decides which one Lloyd picks (see :mod:`kmeansx._kernels.bounds`). Its label is
then taken from Lloyd's own kernel run on a block of the shape Lloyd would have
computed it in, with the row at the same position (the layout of
:mod:`kmeansx._kernels._chunks`), so that the labels are Lloyd's bit for bit. In
float64 this is rare outside exact ties; in float32 it touches about one row in
ten thousand per iteration.
"""

from __future__ import annotations

import numba
import numpy as np

from kmeansx._algorithms.lloyd import assign_labels
from kmeansx._algorithms.step import InMemoryStep, chunk_totals
from kmeansx._data import take_weights
from kmeansx._kernels import partials as _partials
from kmeansx._kernels import stats
from kmeansx._kernels._chunks import BLOCK_ROWS, chunk_size_for, n_chunks_for
from kmeansx._kernels.assign import TIE_FACTOR
from kmeansx._kernels.bounds import BoundArrays, BoundParams

# Beyond this share of Lloyd's blocks, one full Lloyd pass settles ambiguous rows
# faster than gathering the blocks.
FULL_REPLAY_SHARE = 0.5

# Up to this many blocks a replay runs on one thread: waking the others would cost
# more than the work (results do not depend on the thread count).
SERIAL_REPLAY_BLOCKS = 32


def margin_coef(dtype, n_features: int) -> float:
    """``coef`` of the rounding margin (see :mod:`kmeansx._kernels.bounds`), widened
    by more than Lloyd's tie margins (``kmeansx._kernels.assign.TIE_FACTOR``): a row
    that Lloyd's tie rule could give to another center than the nearest is then
    ambiguous, and Lloyd's replay labels it."""
    u = np.finfo(dtype).eps / 2
    m = (n_features + 2) * u
    gamma = m / (1.0 - m)
    return (4.0 + TIE_FACTOR + 1.0) * gamma + 2.0**-40


# Bounds are kept in float32 whatever X's dtype, rounded outward by
# ``storage_rel(BOUND_DTYPE, d)``: half the memory of float64 bounds, for a pruning
# looser by about 1e-6 relative (the decisions stay exact: see the module).
BOUND_DTYPE = np.dtype(np.float32)

# What a step passes for the kernel arguments it does not use.
NO_INDEX = np.empty(0, dtype=np.int64)
NO_OFFSETS = np.empty(0)
NO_ROW_BOUNDS = np.empty(0, dtype=BOUND_DTYPE)
NO_LOWERS = np.empty((0, 0), dtype=BOUND_DTYPE)


def storage_rel(dtype, n_features: int) -> float:
    """Relative outward rounding of stored bounds."""
    if np.dtype(dtype) == np.float32:
        return 2.0**-20
    return max(2.0**-44, (n_features + 8) * 2.0**-52)


def lloyd_block_start(rows: np.ndarray, chunk: int) -> np.ndarray:
    """First row of the block Lloyd's kernel computes each of ``rows`` in."""
    c0 = (rows // chunk) * chunk
    return c0 + ((rows - c0) // BLOCK_ROWS) * BLOCK_ROWS


def lloyd_labels_of_rows(
    X, sample_weight, centers, rows, chunk: int, x_mean=None
) -> np.ndarray:
    """The labels Lloyd's pass over all of ``X`` gives ``rows``, bit for bit.

    Lloyd computes a row's ranking values inside one block of rows (one GEMM,
    :func:`kmeansx._kernels.assign.nearest_block`), and BLAS rounding depends on
    the block's shape and on where in it the row sits, not on the other rows'
    values: column ``r`` of ``centers @ X_T`` is made from column ``r`` of ``X_T``
    alone, by the code path of its position. So each row is replayed at its own
    position ``r`` in a full block of rows: the rows are packed by position, as
    many full blocks as the most rows that share one position (Lloyd's chunks are
    whole blocks, so every packed block is one of its blocks again), and replayed
    in one call; a row of a short block (the last of ``X`` or of a chunk) is
    replayed in its own block. The tests check the labels against Lloyd's pass on
    data whose near-ties rounding decides.
    """
    n_samples = X.shape[0]
    starts = lloyd_block_start(rows, chunk)
    ends = np.minimum(
        np.minimum(starts + BLOCK_ROWS, (starts // chunk + 1) * chunk), n_samples
    )
    full = ends - starts == BLOCK_ROWS
    slots, n_packed = _packed_slots(rows[full] - starts[full])
    short = np.unique(starts[~full])
    n_blocks = -(-n_samples // BLOCK_ROWS)
    if n_packed + short.shape[0] > FULL_REPLAY_SHARE * n_blocks:
        return assign_labels(X, sample_weight, centers, x_mean, inertia=False)[0][rows]
    out = np.empty(rows.shape[0], dtype=np.int32)
    threads = numba.get_num_threads()
    if n_packed + short.shape[0] <= SERIAL_REPLAY_BLOCKS:
        numba.set_num_threads(1)
    try:
        if n_packed:
            # Every position of a packed block holds a row: a row of X at that
            # position in its block (what fills it does not change the others).
            idx = np.tile(starts[full][0] + np.arange(BLOCK_ROWS), n_packed)
            idx[slots] = rows[full]
            weight = take_weights(sample_weight, idx)
            labels = assign_labels(X[idx], weight, centers, x_mean, inertia=False)[0]
            out[full] = labels[slots]
        for b0 in short.tolist():
            sel = starts == b0
            b1 = int(ends[sel][0])
            labels = assign_labels(
                X[b0:b1], sample_weight[b0:b1], centers, x_mean, inertia=False
            )[0]
            out[sel] = labels[rows[sel] - b0]
    finally:
        numba.set_num_threads(threads)
    return out


def _packed_slots(positions: np.ndarray) -> tuple[np.ndarray, int]:
    """Where each row goes when rows are packed by their position in a block: the
    ``i``-th row (in order) at position ``p`` goes to slot ``i * BLOCK_ROWS + p``.
    Returns the slots and the number of blocks they fill."""
    if positions.shape[0] == 0:
        return positions, 0
    order = np.argsort(positions, kind="stable")
    sorted_pos = positions[order]
    rank_sorted = np.arange(order.shape[0]) - np.searchsorted(sorted_pos, sorted_pos)
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    return rank * BLOCK_ROWS + positions, int(rank.max()) + 1


class CenterInfo:
    """What every bound kernel needs about the centers of one pass.

    ``shift[j]``: outward-rounded distance center ``j`` moved since the last pass;
    ``half_cc[a, j]``: inward-rounded half distance between centers ``a`` and ``j``
    (only when asked); ``half_min[a]``: the smallest of those over ``j != a``;
    ``max_norm``: the largest center norm (for the rounding margins).
    """

    def _half_cc(self, c64, sqnorm, a0, a1, rel):
        """Half distances of centers ``a0:a1`` to all, +inf on the diagonal."""
        d = c64.shape[1]
        # ||a - b||^2 by expansion, less its float64 rounding, so never too large.
        cc = sqnorm[a0:a1, None] + sqnorm[None, :] - 2.0 * (c64[a0:a1] @ c64.T)
        cc -= 4.0 * (d + 2) * 2.0**-53 * (2.0 * self.max_norm) ** 2
        half = 0.5 * np.sqrt(np.maximum(cc, 0.0)) * (1.0 - rel)
        half[np.arange(a1 - a0), np.arange(a0, a1)] = np.inf
        return half

    def __init__(self, centers, previous, *, full_cc: bool, half_min: bool = True):
        k, d = centers.shape
        c64 = centers.astype(np.float64)
        rel = (d + 8) * 2.0**-52
        if previous is None:
            self.shift = np.zeros(k)
        else:
            diff = c64 - previous.astype(np.float64)
            self.shift = np.sqrt(np.einsum("ij,ij->i", diff, diff)) * (1.0 + rel)
        sqnorm = np.einsum("ij,ij->i", c64, c64)
        # Lloyd's ranking terms, in the data's dtype.
        self.c_sqnorm = sqnorm.astype(centers.dtype)
        self.centers_m2 = centers * centers.dtype.type(-2)
        self.max_norm = float(np.sqrt(sqnorm.max())) * (1.0 + rel)
        if full_cc:
            self.half_cc = self._half_cc(c64, sqnorm, 0, k, rel)
            self.half_min = self.half_cc.min(axis=1)
        elif not half_min:
            # Without the test, a bound of 0 proves nothing and costs nothing.
            self.half_cc = np.empty((0, 0))
            self.half_min = np.zeros(k)
        else:
            # Row blocks keep the memory at O(k) for the algorithms that need only
            # the minimum.
            self.half_cc = np.empty((0, 0))
            self.half_min = np.empty(k)
            for a0 in range(0, k, 256):
                a1 = min(a0 + 256, k)
                half = self._half_cc(c64, sqnorm, a0, a1, rel)
                self.half_min[a0:a1] = half.min(axis=1)
        order = np.argsort(self.shift)[::-1]
        self.shift_max = float(self.shift[order[0]])
        self.shift_argmax = int(order[0])
        self.shift_second = float(self.shift[order[1]]) if k > 1 else 0.0


class BoundedStep(InMemoryStep):
    """One pass of a bound-based kernel over ``X``, with the replay of ambiguous rows.

    Subclasses set ``kernel`` (their pass, from :mod:`kmeansx._kernels.bound_pass`),
    ``full_cc`` (Elkan's k x k half distances) or ``half_min`` (only their row
    minima; O(k^2 d) per pass, which Yinyang skips), and implement
    :meth:`_bounds`; those whose kernel reads more arrays than
    :class:`CenterInfo`'s extend :meth:`_arrays`.
    """

    kernel = None
    full_cc = False
    half_min = True

    def __init__(self, X, sample_weight, n_clusters: int, **options):
        super().__init__(X, sample_weight, n_clusters, **options)
        n_samples, n_features = X.shape
        # The kernels take ``x_mean`` after their own arguments.
        self.extra = () if self.x_mean is None else (self.x_mean,)
        self.chunk = chunk_size_for(n_samples, n_clusters, n_features)
        self.n_chunks = n_chunks_for(n_samples, self.chunk)
        self.coef = margin_coef(X.dtype, n_features)
        self.rel = storage_rel(BOUND_DTYPE, n_features)
        self.flags = np.zeros(n_samples, dtype=np.int8)
        # Upper bounds of the row norms, for the rounding margins (float32 rounded
        # up: half the memory of the norms themselves).
        self.x_norm = np.empty(n_samples, dtype=np.float32)
        stats.row_norm_bounds(X, self.chunk, self.x_norm, *self.extra)
        self.flagged = np.zeros(self.n_chunks, dtype=np.int64)
        self.previous = None
        self.first = True
        # Whether partial_update's slots hold the sums of the current labels: a
        # pass then sums again only the labels that changed (bound_pass).
        self.sums_held = False
        nc, k, d = self.n_chunks, n_clusters, n_features
        self.partial_update = (
            np.empty((nc, k, d)),
            np.empty((nc, k)),
            np.empty(nc if self.inertia else 0),
            np.empty(nc, dtype=np.int64),
        )
        self.partial_final = (
            np.empty((nc, 0, 0)),
            np.zeros((nc, 1)),  # not written: see LloydStep
            np.empty(nc),
            np.empty(nc, dtype=np.int64),
        )

    def _params(self, info: CenterInfo, incremental: bool) -> BoundParams:
        # Python scalars of fixed types: one compiled signature for every pass.
        return BoundParams(
            first=bool(self.first),
            coef=float(self.coef),
            max_norm=float(info.max_norm),
            rel=float(self.rel),
            shift_max=float(info.shift_max),
            shift_second=float(info.shift_second),
            shift_argmax=int(info.shift_argmax),
            incremental=bool(incremental),
        )

    def _arrays(self, centers, info: CenterInfo, **own) -> BoundArrays:
        """The kernel's arrays: ``info``'s, then ``own`` (a subclass's), the rest
        empty."""
        arrays = dict(
            x_norm=self.x_norm,
            centers_m2=info.centers_m2,
            c_sqnorm=info.c_sqnorm,
            shift=info.shift,
            half_min=info.half_min,
            half_cc=info.half_cc,
            cum=NO_OFFSETS,
            group_of=NO_INDEX,
            order=NO_INDEX,
            group_start=NO_INDEX,
        )
        return BoundArrays(**{**arrays, **own})

    def _bounds(self) -> tuple:  # pragma: no cover
        """``(upper, lower, lowers)``, as the kernels of
        :mod:`kmeansx._kernels.bound_pass` take them."""
        raise NotImplementedError

    def run(self, centers, *, final: bool = False):
        """Assign in place; return (sums, weights, inertia, n_changed)."""
        info = CenterInfo(
            centers, self.previous, full_cc=self.full_cc, half_min=self.half_min
        )
        partial = self.partial_final if final else self.partial_update
        # The slots of partial_update hold the sums of the labels as they stand
        # once a pass that summed into them has been replayed; the final pass
        # moves labels without them. The inertia needs every row anyway.
        incremental = self.sums_held and not final and not self.inertia
        arrays = self._arrays(centers, info)
        self.kernel(
            self.X,
            self.sample_weight,
            centers,
            arrays,
            self._params(info, incremental),
            self.chunk,
            self.labels,
            *self._bounds(),
            self.flags,
            *partial,
            self.flagged,
            *self.extra,
        )
        self.first = False
        self.previous = centers.copy()
        extra = self._replay(centers, self.labels, partial)
        self.sums_held = not final
        sums, weights, inertia, n_changed = chunk_totals(partial)
        return sums, weights, inertia, n_changed + extra

    def _replay(self, centers, labels, partial) -> int:
        """Settle the flagged rows with Lloyd's kernel; redo their chunks' sums."""
        chunks = np.flatnonzero(self.flagged)
        if chunks.shape[0] == 0:
            return 0
        chunk = self.chunk
        # The kernels flag with 1, so the flags read as booleans, which NumPy
        # scans an order of magnitude faster than int8 (1M rows: 0.1 ms).
        rows = np.flatnonzero(self.flags.view(np.bool_))
        new = lloyd_labels_of_rows(
            self.X, self.sample_weight, centers, rows, chunk, self.x_mean
        )
        extra = int(np.count_nonzero(new != labels[rows]))
        labels[rows] = new
        self.flags[rows] = 0
        self.flagged[chunks] = 0
        sums, weights, inertia, _ = partial
        if inertia.shape[0] == 0:
            # Only the sums of the labels the replayed rows ended in are wrong.
            redo = np.zeros((chunks.shape[0], self.n_clusters), dtype=np.bool_)
            redo[np.searchsorted(chunks, rows // chunk), new] = True
            _partials.label_partials(
                self.X,
                self.sample_weight,
                labels,
                chunk,
                chunks,
                redo,
                sums,
                weights,
                *self.extra,
            )
            return extra
        # A chunk's inertia adds all its rows in order: redo the chunk.
        for c in chunks:
            _partials.chunk_partials(
                self.X,
                self.sample_weight,
                centers,
                labels,
                self.flags,
                chunk,
                c,
                sums,
                weights,
                inertia,
                *self.extra,
            )
        return extra
