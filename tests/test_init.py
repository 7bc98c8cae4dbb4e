"""Initial centers: greedy k-means++ draws as scikit-learn does, k-means|| is sound.

The pruned k-means++ kernels must keep the sampling law: the same draws from the
``RandomState`` in the same order, the same candidates, the same choice among
them, so the same rows as the NumPy reference and as scikit-learn. Every k-means++
and k-means|| kernel is checked against its oracle in ``reference.py``.
"""

from __future__ import annotations

import functools

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus

import conftest
import reference as ref
from kmeansx import KMeans
from kmeansx._algorithms.lloyd import assign_labels
from kmeansx._init import (
    KPP_CHUNK_ROWS,
    kmeans_parallel_init,
    kmeans_plusplus_init,
    weighted_choice,
)
from kmeansx._kernels import kmeanspp as kpp

DTYPES = [np.float64, np.float32]


blobs = functools.partial(conftest.blobs, spread=4.0)


# -- greedy k-means++ -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(400, 2, 8), (600, 20, 30), (300, 5, 1)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kmeans_plusplus_draws_as_the_reference(dtype, weighted, shape, seed):
    n, d, k = shape
    X = blobs(n, d, 6, dtype, seed=n + seed)
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 3.0, n) if weighted else np.ones(n)
    centers, indices = kmeans_plusplus_init(X, k, w, np.random.RandomState(seed))
    _, want = ref.kmeans_plusplus(X, k, w, np.random.RandomState(seed))
    np.testing.assert_array_equal(indices, want)
    np.testing.assert_array_equal(centers, X[indices])
    assert centers.dtype == dtype


@pytest.mark.parametrize("n_local_trials", [1, 3, 17, 70])
def test_kmeans_plusplus_any_number_of_trials(n_local_trials):
    X = blobs(500, 4, 5, np.float64, seed=3)
    w = np.ones(500)
    _, got = kmeans_plusplus_init(
        X, 12, w, np.random.RandomState(4), n_local_trials=n_local_trials
    )
    _, want = ref.kmeans_plusplus(
        X, 12, w, np.random.RandomState(4), n_local_trials=n_local_trials
    )
    np.testing.assert_array_equal(got, want)


def test_kmeans_plusplus_more_centers_than_a_byte_numbers():
    # Owners are kept in the narrowest unsigned int: 300 centers need two bytes.
    X = blobs(1500, 3, 40, np.float64, seed=9)
    w = np.ones(1500)
    _, got = kmeans_plusplus_init(X, 300, w, np.random.RandomState(10))
    _, want = ref.kmeans_plusplus(X, 300, w, np.random.RandomState(10))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kmeans_plusplus_same_rows_as_sklearn(dtype):
    X = blobs(2000, 8, 10, dtype, seed=5)
    for seed in range(4):
        _, got = kmeans_plusplus_init(X, 25, np.ones(2000), np.random.RandomState(seed))
        _, want = sk_kmeans_plusplus(X, 25, random_state=seed)
        np.testing.assert_array_equal(got, want)


def test_kmeans_plusplus_sparse_and_dense_agree():
    X = blobs(300, 6, 4, np.float64, seed=6)
    X[X < 0] = 0.0
    w = np.ones(300)
    _, dense = kmeans_plusplus_init(X, 9, w, np.random.RandomState(7))
    _, sparse = kmeans_plusplus_init(sp.csr_matrix(X), 9, w, np.random.RandomState(7))
    np.testing.assert_array_equal(dense, sparse)


def test_kmeans_plusplus_duplicates_and_zero_weights():
    rng = np.random.default_rng(8)
    X = np.ascontiguousarray(rng.normal(size=(4, 3))[rng.integers(4, size=200)])
    w = rng.uniform(0.5, 2.0, 200)
    w[::3] = 0.0
    _, got = kmeans_plusplus_init(X, 6, w, np.random.RandomState(9))
    _, want = ref.kmeans_plusplus(X, 6, w, np.random.RandomState(9))
    np.testing.assert_array_equal(got, want)
    # Rows of zero weight are never drawn while others remain at a distance.
    assert np.all(w[got[:4]] > 0)


def test_kmeans_plusplus_same_bits_on_one_and_two_threads():
    X = blobs(20_000, 8, 12, np.float32, seed=10)  # parallel compilation
    w = np.ones(20_000)
    threads = numba.get_num_threads()
    got = []
    try:
        for n_threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n_threads)
            got.append(kmeans_plusplus_init(X, 20, w, np.random.RandomState(11))[1])
    finally:
        numba.set_num_threads(threads)
    for other in got[1:]:
        np.testing.assert_array_equal(other, got[0])


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("n", [1, 7, 70_000, 200_001])
def test_weighted_choice_draws_as_numpy(n, plain):
    """The first center's draw, compiled and by its NumPy twin: NumPy's row and
    NumPy's state afterwards."""
    rng = np.random.default_rng(n)
    for case in range(12):
        w = rng.uniform(0.0, 2.0, n) if case % 2 else np.ones(n)
        if case % 3 == 0:
            w[rng.integers(n, size=n // 2)] = 0.0
            w[-1] = 1.0
        for seed in range(3):
            ours, numpys = np.random.RandomState(seed), np.random.RandomState(seed)
            got = weighted_choice(w, ours, plain)
            assert got == numpys.choice(n, p=w / w.sum())
            assert ours.random_sample() == numpys.random_sample()


# -- the k-means++ kernels against their oracles -------------------------------------


def kpp_state(dtype, seed, n=700, d=6, k=5):
    X = blobs(n, d, 4, dtype, seed=seed)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, n)
    centers = np.ascontiguousarray(X[:k])
    closest = ref.sq_distances(X, centers)
    assign = np.argmin(closest, axis=1).astype(np.int32)
    return X, w, centers, closest.min(axis=1), assign


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk", [KPP_CHUNK_ROWS, 100])
@pytest.mark.parametrize("d", [2, 6])  # 2 features take loops of their own
def test_closest_first(dtype, chunk, d):
    X, w, centers, _, _ = kpp_state(dtype, 12, d=d)
    n_chunks = -(-700 // chunk)
    closest, assign = np.empty(700), np.full(700, 9, dtype=np.int32)
    pot = np.empty(n_chunks)
    kpp.closest_first_dense(X, w, centers[0], chunk, closest, assign, pot)
    want = ref.sq_distances(X, centers[:1])[:, 0]
    np.testing.assert_allclose(closest, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(assign, 0)
    np.testing.assert_allclose(
        pot, [w[lo:hi] @ want[lo:hi] for lo, hi in ref.chunk_bounds(700, chunk)]
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk", [KPP_CHUNK_ROWS, 100])
@pytest.mark.parametrize("d", [2, 6])  # 2 features take loops of their own
def test_candidate_deltas_and_closest_add(dtype, chunk, d):
    X, w, centers, closest, assign = kpp_state(dtype, 13, d=d)
    origin = np.zeros((1, d))
    cand = np.ascontiguousarray(X[[5, 50, 300, 301, 650, 5]])  # a repeat as well
    cand64 = cand.astype(np.float64)
    c64 = centers.astype(np.float64)
    cc_sq = ref.sq_distances(c64, cand64) * (1 - 1e-12)
    n_chunks = -(-700 // chunk)
    delta = np.full((n_chunks, 6), np.nan)
    closer = np.empty(700, dtype=np.uint16)
    kpp.candidate_deltas_dense(
        X,
        ref.sq_distances(X, origin)[:, 0],
        w,
        closest,
        assign,
        np.ascontiguousarray(cand.T),  # the products run in X's dtype
        (cand64**2).sum(axis=1),
        cc_sq,
        chunk,
        closer,
        delta,
    )
    want, want_closer = ref.candidate_deltas(X, w, closest, cand, chunk)
    # float32 products round at 2^-24 of |x| |c|: the scores and the bits of rows
    # that close to a tie may differ from the float64 reference by that much.
    rel = 1e-9 if dtype == np.float64 else 1e-5
    scale = (w * ref.sq_distances(X, origin)[:, 0]).sum()
    assert np.all(np.abs(delta - want) <= rel * scale)
    dist = ref.sq_distances(X, cand)
    clear = np.abs(dist - closest[:, None]) > rel * (1 + dist)
    bits = (closer[:, None].astype(np.int64) >> np.arange(6)) & 1
    want_bits = (want_closer[:, None] >> np.arange(6)) & 1
    np.testing.assert_array_equal(bits[clear], want_bits[clear])
    # Adding candidate 2 moves exactly the rows it was closer to.
    got_closest, got_assign = closest.copy(), assign.copy()
    pot = np.empty(n_chunks)
    kpp.closest_add_dense(
        X, w, cand[2], closer, 2, 5, chunk, got_closest, got_assign, pot
    )
    moved = (closer.astype(np.int64) >> 2) & 1 == 1
    np.testing.assert_array_equal(got_assign[moved], 5)
    np.testing.assert_array_equal(got_assign[~moved], assign[~moved])
    np.testing.assert_allclose(
        got_closest, np.where(moved, dist[:, 2], closest), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        pot, [w[lo:hi] @ got_closest[lo:hi] for lo, hi in ref.chunk_bounds(700, chunk)]
    )


def test_sample_by_potential():
    rng = np.random.default_rng(14)
    w = rng.uniform(0.0, 2.0, 1000)
    closest = rng.uniform(0.0, 5.0, 1000)
    closest[100:200] = 0.0
    chunk = 64
    chunk_pot = np.array(
        [w[lo:hi] @ closest[lo:hi] for lo, hi in ref.chunk_bounds(1000, chunk)]
    )
    total = chunk_pot.sum()
    targets = np.concatenate([rng.uniform(0, total, 50), [0.0, total, 2 * total]])
    out = np.empty(len(targets), dtype=np.int64)
    kpp.sample_by_potential(w, closest, chunk, np.cumsum(chunk_pot), targets, out)
    want = ref.sample_by_potential(w, closest, targets)
    # Summing by chunk moves the boundaries by rounding only.
    cum = np.cumsum(w * closest)
    clear = np.min(np.abs(cum[None, :] - targets[:, None]), axis=1) > 1e-9 * total
    np.testing.assert_array_equal(out[clear], want[clear])
    assert np.all((closest[out[:50]] > 0) & (w[out[:50]] > 0))


# -- k-means|| ----------------------------------------------------------------------


def test_uniform_of_row_matches_the_oracle():
    rows = np.arange(0, 5000, 7)
    got = np.array([kpp.uniform_of_row(12345, r) for r in rows])
    np.testing.assert_array_equal(got, ref.uniform_of_row(12345, rows))
    u = ref.uniform_of_row(99, np.arange(100_000))
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01


@pytest.mark.parametrize("dtype", DTYPES)
def test_kpar_nearest_and_keep(dtype):
    X = blobs(900, 20, 5, dtype, seed=15)
    x_sqnorm = ref.sq_distances(X, np.zeros((1, 20)))[:, 0]
    closest = np.full(900, np.inf)
    nearest = np.full(900, -1, dtype=np.int64)
    want_closest, want_nearest = closest.copy(), nearest.copy()
    base = 0
    for rows in ([3], [10, 400, 401], list(range(100, 140))):
        cands = np.ascontiguousarray(X[rows])
        kpp.kpar_nearest_dense(X, x_sqnorm, cands, base, 256, closest, nearest)
        want_closest, want_nearest = ref.kpar_nearest(
            X, cands, base, want_closest, want_nearest
        )
        base += len(rows)
        scale = x_sqnorm + (cands.astype(float) ** 2).sum(axis=1).max()
        tol = 64 * 20 * np.finfo(dtype).eps * scale
        assert np.all(np.abs(closest - want_closest) <= tol)
        d = ref.sq_distances(X, X[np.concatenate([[3], [10, 400, 401]])])
        assert nearest.min() >= 0
    w = np.random.default_rng(16).uniform(0.0, 2.0, 900)
    w[:50] = 0.0
    keep = np.empty(900, dtype=np.int64)
    scale = 20.0 / float(w @ closest)
    m = kpp.kpar_keep(w, closest, 1000, 77, scale, keep)
    np.testing.assert_array_equal(keep[:m], ref.kpar_keep(w, closest, 1000, 77, scale))
    assert np.all(keep[:m] >= 50)  # zero weight: never kept
    assert 0 < m < 100
    del d


def test_kmeans_parallel_blocks_draw_as_one_call():
    # The draws of a round depend on the global row only: split in blocks, the
    # rows kept are the same.
    rng = np.random.default_rng(17)
    w = rng.uniform(0.5, 1.5, 1000)
    closest = rng.uniform(0.0, 1.0, 1000)
    keep = np.empty(1000, dtype=np.int64)
    m = kpp.kpar_keep(w, closest, 0, 5, 0.01, keep)
    whole = keep[:m].copy()
    parts = []
    for lo in range(0, 1000, 300):
        hi = min(lo + 300, 1000)
        mb = kpp.kpar_keep(w[lo:hi], closest[lo:hi], lo, 5, 0.01, keep)
        parts.append(keep[:mb] + lo)
    np.testing.assert_array_equal(np.concatenate(parts), whole)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kmeans_parallel_quality_and_determinism(dtype):
    X = blobs(3000, 6, 20, dtype, seed=18)
    w = np.ones(3000)
    pots = {"k-means++": [], "k-means||": []}
    for seed in range(4):
        c_par = kmeans_parallel_init(X, 20, w, np.random.RandomState(seed))
        assert c_par.shape == (20, 6) and c_par.dtype == dtype
        again = kmeans_parallel_init(X, 20, w, np.random.RandomState(seed))
        np.testing.assert_array_equal(c_par, again)
        c_pp = kmeans_plusplus_init(X, 20, w, np.random.RandomState(seed))[0]
        for name, c in (("k-means||", c_par), ("k-means++", c_pp)):
            pots[name].append(assign_labels(X, w.astype(dtype), c)[1])
    # Both find the 20 blobs' scale; k-means|| is not worse than k-means++ by much.
    assert np.mean(pots["k-means||"]) <= 1.25 * np.mean(pots["k-means++"])


def test_kmeans_parallel_fewer_candidates_than_clusters():
    X = np.repeat(np.eye(3), 4, axis=0)  # three distinct points, twelve rows
    centers = kmeans_parallel_init(X, 5, np.ones(12), np.random.RandomState(0))
    assert centers.shape == (5, 3)
    assert np.all(np.isfinite(centers))


@pytest.mark.parametrize("sparse", [False, True])
def test_estimator_with_kmeans_parallel(sparse):
    X = blobs(1500, 5, 6, np.float64, seed=19)
    X[X < -4] = 0.0
    data = sp.csr_matrix(X) if sparse else X
    km = KMeans(6, init="k-means||", random_state=0).fit(data)
    again = KMeans(6, init="k-means||", random_state=0).fit(data)
    np.testing.assert_array_equal(km.labels_, again.labels_)
    pp = KMeans(6, random_state=0).fit(data)
    assert km.inertia_ <= 1.5 * pp.inertia_
