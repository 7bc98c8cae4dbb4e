"""The same ``random_state`` gives the same result, bit for bit, at any number of
Numba threads: chunks have a fixed size and their partial sums are added in chunk
order, whatever thread computed them."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import scipy.sparse as sp

import kmeansx
from conftest import blobs
from kmeansx import KMeans
from kmeansx._kernels import _jit

ALGORITHMS = ["lloyd", "elkan"]
# More rows than one chunk holds, so that several chunks (and threads) share a pass.
N_SAMPLES = 2500
needs_two_threads = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2, reason="Numba has a single thread here"
)


# Each way a pass can run: the serial compilation (small input), the parallel one
# on one thread, and on two. All must give the same bits.
MODES = [("serial", 1), ("parallel", 1), ("parallel", 2)]


@pytest.fixture
def in_mode(monkeypatch):
    """Run a callable in a (compilation, thread count) mode, then restore."""
    before = numba.get_num_threads()

    def run(mode, fn, *args, **kwargs):
        compilation, n_threads = mode
        # Parallel kernels pick their serial compilation below SERIAL_BELOW elements.
        below = 0 if compilation == "parallel" else 2**62
        monkeypatch.setattr(_jit, "SERIAL_BELOW", below)
        numba.set_num_threads(n_threads)
        try:
            return fn(*args, **kwargs)
        finally:
            numba.set_num_threads(before)

    return run


def make_data(fmt, dtype, n_features):
    rng = np.random.default_rng(12)
    X = blobs(N_SAMPLES, n_features, 8, seed=rng, spread=4.0)
    if fmt == "csr":
        X[rng.uniform(size=X.shape) < 0.5] = 0.0
        return sp.csr_matrix(X.astype(dtype))
    return X.astype(dtype)


def fit(X, algorithm, init):
    km = KMeans(
        8,
        init=init,
        n_init=2,
        random_state=7,
        algorithm=algorithm,
        record_history=True,
    )
    return km.fit(X)


@needs_two_threads
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("n_features", [3, 20])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_fit_is_bitwise_identical_in_every_mode(
    in_mode, fmt, dtype, n_features, init, algorithm
):
    X = make_data(fmt, dtype, n_features)
    new = X[:300]
    first, *others = (in_mode(m, fit, X, algorithm, init) for m in MODES)
    for mode, other in zip(MODES[1:], others, strict=True):
        assert other.n_iter_ == first.n_iter_, mode
        np.testing.assert_array_equal(other.labels_, first.labels_)
        assert other.cluster_centers_.tobytes() == first.cluster_centers_.tobytes()
        assert other.inertia_ == first.inertia_, mode
        h1, h2 = first.history_, other.history_
        assert h2.centers.tobytes() == h1.centers.tobytes(), mode
        np.testing.assert_array_equal(h2.n_changed, h1.n_changed)
        assert h2.inertia.tobytes() == h1.inertia.tobytes(), (
            mode,
            h2.inertia - h1.inertia,
        )
        for method in ("predict", "score", "transform"):
            a = in_mode(MODES[0], getattr(first, method), new)
            b = in_mode(mode, getattr(first, method), new)
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (mode, method)


@needs_two_threads
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_kmeans_plusplus_is_bitwise_identical_in_every_mode(
    in_mode, fmt, dtype, weighted
):
    X = make_data(fmt, dtype, 5)
    w = np.random.default_rng(3).uniform(0.5, 2.0, N_SAMPLES) if weighted else None
    (c1, i1), *others = (
        in_mode(m, kmeansx.kmeans_plusplus, X, 12, sample_weight=w, random_state=5)
        for m in MODES
    )
    for c2, i2 in others:
        np.testing.assert_array_equal(i1, i2)
        assert c1.tobytes() == c2.tobytes()


@needs_two_threads
def test_refined_fit_is_bitwise_identical_in_every_mode(in_mode):
    X = make_data("dense", np.float32, 3)

    def fit_refined():
        refine = "breathing+hartigan"
        return KMeans(8, n_init=2, random_state=7, refine=refine).fit(X)

    first, *others = (in_mode(m, fit_refined) for m in MODES)
    for mode, other in zip(MODES[1:], others, strict=True):
        assert other.n_iter_ == first.n_iter_, mode
        np.testing.assert_array_equal(other.labels_, first.labels_)
        assert other.cluster_centers_.tobytes() == first.cluster_centers_.tobytes()
        assert other.inertia_ == first.inertia_, mode


def test_the_same_seed_twice_is_identical():
    X = make_data("dense", np.float64, 3)
    a, b = fit(X, "lloyd", "k-means++"), fit(X, "lloyd", "k-means++")
    assert a.cluster_centers_.tobytes() == b.cluster_centers_.tobytes()
    assert a.inertia_ == b.inertia_
    c = KMeans(8, n_init=2, random_state=8).fit(X)
    assert c.cluster_centers_.tobytes() != a.cluster_centers_.tobytes()


def csr_pass(X, w, centers, chunk_size, n_threads):
    """One parallel CSR Lloyd pass on ``n_threads``: labels, sums, weights,
    inertia and changed counts."""
    from kmeansx._data import kernel_view
    from kmeansx._kernels import assign
    from kmeansx._kernels._chunks import n_chunks_for

    n_chunks = n_chunks_for(X.shape[0], chunk_size)
    k, d = centers.shape
    out = (
        np.empty((n_chunks, k, d)),
        np.empty((n_chunks, k)),
        np.empty(n_chunks),
        np.empty(n_chunks, dtype=np.int64),
    )
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    before = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        assign.assign_update_csr.parallel(
            kernel_view(X), w, centers, chunk_size, labels, *out
        )
    finally:
        numba.set_num_threads(before)
    return labels, *out


@needs_two_threads
def test_assign_update_csr_inertia_ignores_thread_count(monkeypatch):
    """The kernel alone: same input, 1 or 2 threads, every output the same bits."""
    X = make_data("csr", np.float64, 3)
    w = np.ones(N_SAMPLES)
    for seed in range(10):
        centers = np.random.default_rng(seed).normal(scale=4.0, size=(8, 3))
        one, two = csr_pass(X, w, centers, 256, 1), csr_pass(X, w, centers, 256, 2)
        for name, a, b in zip(
            ["labels", "sums", "weights", "inertia", "n_changed"], one, two, strict=True
        ):
            assert a.tobytes() == b.tobytes(), (seed, name, np.flatnonzero(a != b))


@needs_two_threads
@pytest.mark.parametrize("chunk_size", [300, 2048, N_SAMPLES])
def test_assign_update_csr_sums_each_chunk_in_row_order(chunk_size):
    """Wide sparse data has few chunks (one, often): the kernel splits a pass by
    blocks of rows and by label, and every slot must still be its chunk's rows
    added in row order, as one thread adds them, at 1 or 2 threads."""
    X = make_data("csr", np.float64, 6)
    w = np.random.default_rng(3).uniform(0.5, 2.0, N_SAMPLES)
    centers = np.random.default_rng(4).normal(scale=4.0, size=(8, 6))
    results = [csr_pass(X, w, centers, chunk_size, t) for t in (1, 2)]
    for a, b in zip(*results, strict=True):
        assert a.tobytes() == b.tobytes()
    labels, sums, weights, _, n_changed = results[0]
    # Row by row, in order, in Python's float64: the bits one thread would give.
    want_sums, want_weights = np.zeros_like(sums), np.zeros_like(weights)
    for i in range(N_SAMPLES):
        c, j = i // chunk_size, labels[i]
        want_weights[c, j] += w[i]
        for p in range(X.indptr[i], X.indptr[i + 1]):
            want_sums[c, j, X.indices[p]] += w[i] * X.data[p]
    assert sums.tobytes() == want_sums.tobytes()
    assert weights.tobytes() == want_weights.tobytes()
    assert n_changed.sum() == N_SAMPLES  # every row left its label -1


@pytest.mark.parametrize("n_chunks", [1, 3])
def test_chunk_totals_are_the_reductions_bit_for_bit(n_chunks):
    from kmeansx._algorithms.step import chunk_totals

    rng = np.random.default_rng(5)
    sums = rng.normal(size=(n_chunks, 4, 3))
    sums[:, 0, 0] = -0.0  # a signed zero: the reduction gives +0.0
    sums[0, 1, 1] = np.inf
    weights = rng.random((n_chunks, 4))
    weights[:, 2] = -0.0
    inertia = rng.random(n_chunks)
    changed = rng.integers(0, 9, n_chunks)
    got = chunk_totals((sums, weights, inertia, changed))
    want = (sums.sum(axis=0), weights.sum(axis=0), inertia.sum(), int(changed.sum()))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))
    assert not np.shares_memory(got[0], sums) and not np.shares_memory(got[1], weights)
