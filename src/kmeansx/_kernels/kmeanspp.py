"""k-means++ sampling: the distances to a candidate center, fused with the potential.

The greedy k-means++ of scikit-learn keeps, for each point, the squared distance to
its closest chosen center, and scores each of a few candidate centers by the
weighted potential ``sum_i w_i * min(closest_i, d(x_i, candidate)^2)``. These
kernels do that in one parallel pass without an (n_candidates, n_samples) matrix;
potentials are summed per fixed-size chunk and the caller adds the chunks in order.
``x_mean`` centers the rows of dense ``X`` as they are read (:mod:`.centered`).
Distances use the norm expansion ``||x||^2 + ||c||^2 - 2 x.c``, clipped at 0, as
scikit-learn's ``euclidean_distances`` does.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels._jit import jit
from kmeansx._kernels.assign import select_nearest, transpose_block
from kmeansx._kernels.centered import value


@jit()
def _dot_dense_row(X, i, center, x_mean=None):
    dot = 0.0
    for f in range(X.shape[1]):
        dot += np.float64(value(X, x_mean, i, f)) * np.float64(center[f])
    return dot


@jit()
def _dot_csr_row(data, indices, lo, hi, center):
    dot = 0.0
    for p in range(lo, hi):
        dot += np.float64(data[p]) * np.float64(center[indices[p]])
    return dot


@jit(parallel=True)
def candidate_potentials_dense(
    X, x_sqnorm, sample_weight, closest, candidates, chunk_size, pot_out, x_mean=None
):
    """``pot_out[c, t]``: chunk ``c``'s potential if candidate ``t`` were added."""
    n_samples = X.shape[0]
    n_candidates = candidates.shape[0]
    cand_sqnorm = np.empty(n_candidates)
    for t in range(n_candidates):
        cand_sqnorm[t] = _dot_dense_row(candidates, t, candidates[t])
    for c in prange(pot_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        for t in range(n_candidates):
            pot = 0.0
            for i in range(start, stop):
                d = (
                    x_sqnorm[i]
                    + cand_sqnorm[t]
                    - 2.0 * _dot_dense_row(X, i, candidates[t], x_mean)
                )
                d = min(max(d, 0.0), closest[i])
                pot += d * sample_weight[i]
            pot_out[c, t] = pot


@jit(parallel=True)
def closest_update_dense(X, x_sqnorm, center, closest_inout, x_mean=None):
    """``closest[i] = min(closest[i], ||X[i] - center||^2)``."""
    c_sqnorm = _dot_dense_row(center.reshape(1, -1), 0, center)
    for i in prange(X.shape[0]):
        d = x_sqnorm[i] + c_sqnorm - 2.0 * _dot_dense_row(X, i, center, x_mean)
        d = max(d, 0.0)
        if d < closest_inout[i]:
            closest_inout[i] = d


@jit(parallel=True)
def candidate_potentials_csr(
    X_csr, x_sqnorm, sample_weight, closest, candidates, chunk_size, pot_out
):
    """:func:`candidate_potentials_dense` for ``X_csr = (data, indices, indptr)``;
    ``candidates`` are dense rows."""
    data, indices, indptr = X_csr
    n_samples = indptr.shape[0] - 1
    n_candidates = candidates.shape[0]
    cand_sqnorm = np.empty(n_candidates)
    for t in range(n_candidates):
        cand_sqnorm[t] = _dot_dense_row(candidates, t, candidates[t])
    for c in prange(pot_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        for t in range(n_candidates):
            pot = 0.0
            for i in range(start, stop):
                dot = _dot_csr_row(
                    data, indices, indptr[i], indptr[i + 1], candidates[t]
                )
                d = x_sqnorm[i] + cand_sqnorm[t] - 2.0 * dot
                d = min(max(d, 0.0), closest[i])
                pot += d * sample_weight[i]
            pot_out[c, t] = pot


@jit(parallel=True)
def closest_update_csr(X_csr, x_sqnorm, center, closest_inout):
    """:func:`closest_update_dense` for ``X_csr = (data, indices, indptr)``."""
    data, indices, indptr = X_csr
    c_sqnorm = _dot_dense_row(center.reshape(1, -1), 0, center)
    for i in prange(indptr.shape[0] - 1):
        dot = _dot_csr_row(data, indices, indptr[i], indptr[i + 1], center)
        d = max(x_sqnorm[i] + c_sqnorm - 2.0 * dot, 0.0)
        if d < closest_inout[i]:
            closest_inout[i] = d


# -- pruned k-means++ (dense) ---------------------------------------------------------
#
# Greedy k-means++ spends its time scoring candidates: for each, every point's
# distance. The kernels below skip a point whenever the triangle inequality proves
# that no candidate can come closer to it than its closest center: if
# ``||cand - c_a||^2 >= 4 * closest_i`` (``a`` the point's closest center) then
# ``||x_i - cand|| >= sqrt(closest_i)``. Once there are a few centers most points
# are skipped. The rows of a block that are not skipped are multiplied by all the
# candidates in one small GEMM (the norm expansion as scikit-learn's
# ``euclidean_distances``, clipped at 0), in X's dtype: float64 data follows
# scikit-learn's law to the bit; float32 rows are gathered as they are, half the
# bytes of a float64 copy (the gather is where the pass spends its time at high
# dimension), and their scores round as float32 products do. The distances kept,
# ``closest``, are float64 from differences either way. Potentials are summed per
# fixed-size chunk as changes to the chunk's potential, and the caller adds the
# chunks in order.


@jit()
def _sq_dist_row(X, i, center, x_mean):
    sq = 0.0
    for f in range(X.shape[1]):
        diff = np.float64(value(X, x_mean, i, f)) - np.float64(center[f])
        sq += diff * diff
    return sq


@jit()
def _sq_dist_row_2(X, i, c0, c1, x_mean):
    """:func:`_sq_dist_row` at two features, the center's as float64 ``c0, c1``:
    the same sum in the same order. The kernels take it in a loop of their own, as
    the loop over two features kept their row loops from vectorizing (6x slower in
    float32, 1.6x in float64), and a test inside the row loop as well."""
    d0 = np.float64(value(X, x_mean, i, 0)) - c0
    d1 = np.float64(value(X, x_mean, i, 1)) - c1
    return d0 * d0 + d1 * d1


@jit(parallel=True)
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
    """Distances to the first center; ``chunk_pot_out[c]``: chunk ``c``'s potential."""
    n_samples, n_features = X.shape
    c0 = np.float64(center[0]) if n_features == 2 else 0.0
    c1 = np.float64(center[1]) if n_features == 2 else 0.0
    for c in prange(chunk_pot_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        # Views indexed from 0: see candidate_deltas_dense.
        X_v = X[start:stop]
        closest_v = closest_out[start:stop]
        assign_v = assign_out[start:stop]
        weight_v = sample_weight[start:stop]
        pot = 0.0
        if n_features == 2:
            for j in range(X_v.shape[0]):
                d = _sq_dist_row_2(X_v, j, c0, c1, x_mean)
                closest_v[j] = d
                assign_v[j] = 0
                pot += np.float64(weight_v[j]) * d
        else:
            for j in range(X_v.shape[0]):
                d = _sq_dist_row(X_v, j, center, x_mean)
                closest_v[j] = d
                assign_v[j] = 0
                pot += np.float64(weight_v[j]) * d
        chunk_pot_out[c] = pot


@jit(parallel=True)
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
    """``delta_out[c, t]``: how much candidate ``t`` lowers chunk ``c``'s potential.

    ``cand_T`` (d, t), in X's dtype, holds the candidates as columns (the products
    are X's dtype; the distances float64) and ``cc_sq[a, t]``
    (at most) the squared distance from chosen center ``a`` to candidate ``t``: a
    row that no candidate can reach is skipped (module comment). Bit ``t`` of
    ``closer_out[i]`` tells whether candidate ``t`` is closer to row ``i`` than its
    closest center.
    """
    n_samples, n_features = X.shape
    n_candidates = cand_T.shape[1]
    # A row is in reach of some candidate iff its nearest one is. (Loops rather
    # than np.min and np.zeros, whose implementations take longer to compile.)
    cc_min = np.empty(cc_sq.shape[0])
    for a in range(cc_sq.shape[0]):
        least = cc_sq[a, 0]
        for t in range(1, n_candidates):
            least = min(least, cc_sq[a, t])
        cc_min[a] = least
    for c in prange(delta_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        delta = np.empty(n_candidates)
        for t in range(n_candidates):
            delta[t] = 0.0
        rows = np.empty(BLOCK_ROWS, dtype=np.uint32)
        X_b = np.empty((BLOCK_ROWS, n_features), dtype=X.dtype)
        dots = np.empty((BLOCK_ROWS, n_candidates), dtype=X.dtype)
        for b0 in range(start, stop, BLOCK_ROWS):
            b1 = min(b0 + BLOCK_ROWS, stop)
            # Views of the block indexed from 0 (and unsigned row numbers below):
            # Numba then drops its negative-index test, which kept these loops
            # from vectorizing (4x slower).
            X_v = X[b0:b1]
            closest_v = closest[b0:b1]
            assign_v = assign[b0:b1]
            closer_v = closer_out[b0:b1]
            m = 0
            for j in range(closest_v.shape[0]):
                closer_v[j] = 0
                rows[m] = j
                m += cc_min[assign_v[j]] < 4.0 * closest_v[j]
            if m == 0:
                continue
            for r in range(m):
                j = rows[r]
                for f in range(n_features):
                    X_b[r, f] = value(X_v, x_mean, j, f)
            # Leading-row slices of C-ordered buffers are contiguous, as np.dot needs.
            np.dot(X_b[:m], cand_T, dots[:m])
            x_sqnorm_v = x_sqnorm[b0:b1]
            weight_v = sample_weight[b0:b1]
            for r in range(m):
                j = rows[r]
                r2 = closest_v[j]
                w = np.float64(weight_v[j])
                bits = 0
                for t in range(n_candidates):
                    dot = np.float64(dots[r, t])
                    dist = max(x_sqnorm_v[j] + cand_sqnorm[t] - 2.0 * dot, 0.0)
                    gain = min(dist - r2, 0.0)
                    delta[t] += w * gain
                    bits |= np.int64(gain < 0.0) << t
                closer_v[j] = bits
        for t in range(n_candidates):
            delta_out[c, t] = delta[t]


@jit(parallel=True)
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
    """Move to the new center (candidate ``t``, center number ``index``) the rows
    :func:`candidate_deltas_dense` marked as closer to it (their distance computed
    again, from differences), and sum each chunk's potential afresh (so that a
    potential that reaches 0 is 0, as scikit-learn's)."""
    n_samples, n_features = X.shape
    bit = np.int64(1) << t
    c0 = np.float64(center[0]) if n_features == 2 else 0.0
    c1 = np.float64(center[1]) if n_features == 2 else 0.0
    for c in prange(chunk_pot_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        # Views indexed from 0: see candidate_deltas_dense.
        X_v = X[start:stop]
        closer_v = closer[start:stop]
        closest_v = closest_inout[start:stop]
        assign_v = assign_inout[start:stop]
        weight_v = sample_weight[start:stop]
        pot = 0.0
        if n_features == 2:
            for j in range(closest_v.shape[0]):
                if np.int64(closer_v[j]) & bit:
                    closest_v[j] = _sq_dist_row_2(X_v, j, c0, c1, x_mean)
                    assign_v[j] = index
                pot += np.float64(weight_v[j]) * closest_v[j]
        else:
            for j in range(closest_v.shape[0]):
                if np.int64(closer_v[j]) & bit:
                    closest_v[j] = _sq_dist_row(X_v, j, center, x_mean)
                    assign_v[j] = index
                pot += np.float64(weight_v[j]) * closest_v[j]
        chunk_pot_out[c] = pot


@jit()
def first_choice(weight, total, u):
    """NumPy's ``choice(n, p=weight / total)`` for the uniform ``u``: the first row
    whose ``cumsum(p) / cumsum(p)[-1]`` exceeds ``u``. One pass finds the sum's
    last value, and a second, as far as that row, the row: sequential sums, so
    that each is NumPy's ``cumsum`` to the bit, and no array of n."""
    n_samples = weight.shape[0]
    last = 0.0
    for i in range(n_samples):
        last += np.float64(weight[i]) / total
    running = 0.0
    for i in range(n_samples):
        running += np.float64(weight[i]) / total
        if running / last > u:
            return i
    return n_samples - 1


@jit()
def _first_reaching(sorted_values, v):
    """``np.searchsorted(sorted_values, v)``: the first index whose value is >= v
    (a bisection: NumPy's implementation takes seconds to compile)."""
    lo = 0
    hi = sorted_values.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_values[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit()
def sample_by_potential(sample_weight, closest, chunk_size, chunk_cumpot, targets, out):
    """``out[t]``: the first row whose cumulative ``w * closest`` reaches
    ``targets[t]`` (NumPy's ``searchsorted`` on the cumulative sum, clipped to the
    last row), found through the chunks' cumulative potentials."""
    n_samples = closest.shape[0]
    n_chunks = chunk_cumpot.shape[0]
    for t in range(targets.shape[0]):
        v = targets[t]
        c = _first_reaching(chunk_cumpot, v)
        if c >= n_chunks:
            out[t] = n_samples - 1
            continue
        acc = chunk_cumpot[c - 1] if c > 0 else 0.0
        i = c * chunk_size
        stop = min(i + chunk_size, n_samples)
        found = stop - 1
        while i < stop:
            acc += np.float64(sample_weight[i]) * closest[i]
            if acc >= v:
                found = i
                break
            i += 1
        out[t] = found


# -- k-means|| (Bahmani et al. 2012) --------------------------------------------------
#
# Per-block pieces: each is a pure function of a block of rows and the global index
# of its first row, so that a Dask backend can run them block by block and get the
# same candidates as one in-memory call. The uniform draw of row ``i`` in a round is
# a hash of the round's seed and ``i`` (SplitMix64), independent of the blocking.

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@jit()
def uniform_of_row(seed, row):
    """A uniform in [0, 1) that depends only on ``seed`` and the global ``row``."""
    z = np.uint64(seed) + (np.uint64(row) + np.uint64(1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit(parallel=True)
def kpar_nearest_dense(
    X, x_sqnorm, cands, base, chunk_size, closest_inout, nearest_inout, x_mean=None
):
    """Lower ``closest`` (squared distance to the nearest candidate) and ``nearest``
    (its index) of every row with the candidates ``cands``, numbered from ``base``.

    One GEMM per block of rows, candidate-major, and the minimum found with selects
    across rows; distances by the norm expansion in X's dtype, clipped at 0.
    """
    n_samples, n_features = X.shape
    n_cands = cands.shape[0]
    cands_m2 = cands * cands.dtype.type(-2)
    c_sqnorm = np.empty(n_cands, dtype=cands.dtype)
    for j in range(n_cands):
        acc = 0.0
        for f in range(n_features):
            acc += np.float64(cands[j, f]) * np.float64(cands[j, f])
        c_sqnorm[j] = acc
    for c in prange(-(-n_samples // chunk_size)):
        start = c * chunk_size
        stop = min(start + chunk_size, n_samples)
        X_T = np.empty((n_features, BLOCK_ROWS), dtype=X.dtype)
        dots = np.empty((n_cands, BLOCK_ROWS), dtype=X.dtype)
        best = np.empty(BLOCK_ROWS, dtype=X.dtype)
        label = np.empty(BLOCK_ROWS, dtype=X.dtype)
        exact = np.zeros(BLOCK_ROWS, dtype=X.dtype)  # the nearest, not a tie rule
        for b0 in range(start, stop, BLOCK_ROWS):
            m = min(b0 + BLOCK_ROWS, stop) - b0
            if m < BLOCK_ROWS:
                X_T = np.empty((n_features, m), dtype=X.dtype)
                dots = np.empty((n_cands, m), dtype=X.dtype)
            transpose_block(X[b0 : b0 + m], x_mean, X_T)
            np.dot(cands_m2, X_T, dots)
            select_nearest(dots, c_sqnorm, exact, m, best, label)
            for r in range(m):
                i = b0 + r
                d = max(x_sqnorm[i] + np.float64(best[r]), 0.0)
                if d < closest_inout[i]:
                    closest_inout[i] = d
                    nearest_inout[i] = base + np.int64(label[r])


@jit()
def kpar_keep(sample_weight, closest, first_row, seed, scale, keep_out):
    """Rows kept in a round: ``u_i < scale * w_i * closest_i`` with ``u_i`` the
    row's uniform (``scale`` = oversampling / potential); returns how many, their
    local indices in ``keep_out``."""
    n = closest.shape[0]
    m = 0
    for i in range(n):
        u = uniform_of_row(seed, first_row + i)
        if u < scale * np.float64(sample_weight[i]) * closest[i]:
            keep_out[m] = i
            m += 1
    return m
