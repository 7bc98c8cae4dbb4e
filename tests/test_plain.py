"""The NumPy twins of the kernels (``kmeansx._kernels.plain``) give the kernels' bits.

Small ``"auto"`` fits run them instead of compiling the kernels, so every output
of every twin is compared with its kernel's for equality (``assert_array_equal``:
zeros may differ in sign only), on shapes that reach every branch: one row, a
short last block, several chunks, one to many features (the kernels' loop and
their BLAS products), one cluster, ties, duplicate points, weights and zero
weights, float32 and float64. Then whole fits, k-means++ rows, ``predict``,
``transform`` and ``score`` through both paths, and a check that a small fit calls
no kernel at all.
"""

from __future__ import annotations

import importlib
import pkgutil

import numba
import numpy as np
import pytest

import conftest
from kmeansx import KMeans
from kmeansx._algorithms import registry
from kmeansx._data import column_means, float64_weights, row_sq_norms
from kmeansx._init import KPP_CHUNK_ROWS, kmeans_plusplus_init
from kmeansx._kernels import _jit, assign, distances, kmeanspp, plain, stats
from kmeansx._kernels._chunks import chunk_size_for, n_chunks_for

DTYPES = [np.float64, np.float32]
eq = np.testing.assert_array_equal


@pytest.fixture(autouse=True)
def twins_without_a_budget(monkeypatch):
    """Small "auto" fits take the twins here, whatever time earlier tests spent in
    them (past the budget a process takes the kernels)."""
    monkeypatch.setattr(registry, "PLAIN_BUDGET_SECONDS", float("inf"))


@_jit.jit()
def _numba_dot(a, b, out):
    np.dot(a, b, out)


def data(n, d, dtype, seed, kind="blobs"):
    """Blobs, or small integers (many exact ties and duplicate rows)."""
    if kind == "ints":
        rng = np.random.default_rng(seed)
        return np.ascontiguousarray(rng.integers(-3, 4, size=(n, d)), dtype=dtype)
    return conftest.blobs(n, d, 5, dtype, seed=seed, spread=2.0)


def sample_weight(n, dtype, kind, seed):
    """Equal weights as the estimator holds them (a stride-0 view), or drawn ones
    with some zeros."""
    if kind == "equal":
        return np.broadcast_to(np.ones(1, dtype=dtype), (n,))
    return conftest.weights(n, dtype, seed=seed, zeros=0.1)


# -- BLAS products ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "m,k,n", [(1, 1, 1), (1, 7, 1), (5, 3, 1), (1, 6, 9), (3, 5, 256), (40, 17, 6)]
)
def test_dot_as_numba_is_the_compiled_product(dtype, m, k, n):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.normal(size=(m, k)).astype(dtype)
    b = rng.normal(size=(k, n)).astype(dtype)
    want, got = np.empty((m, n), dtype), np.empty((m, n), dtype)
    _numba_dot(a, b, want)
    plain.dot_as_numba(a, b, got)
    eq(got, want)


def test_dot_as_numba_on_many_shapes():
    rng = np.random.default_rng(0)
    for trial in range(200):
        dtype = DTYPES[trial % 2]
        m, k, n = (int(v) for v in rng.integers(1, [300, 70, 80]))
        a = rng.normal(size=(m, k)).astype(dtype)
        b = rng.normal(size=(k, n)).astype(dtype)
        want, got = np.empty((m, n), dtype), np.empty((m, n), dtype)
        _numba_dot(a, b, want)
        plain.dot_as_numba(a, b, got)
        eq(got, want, err_msg=f"{dtype.__name__} {m}x{k} @ {k}x{n}")


# -- statistics and Lloyd's pass ----------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,chunk", [(1, 256), (700, 256), (700, 100), (5000, 1024)])
def test_column_sums(dtype, n, chunk):
    X = data(n, 3, dtype, n) * dtype(1e3)
    want = np.empty((n_chunks_for(n, chunk), 3))
    got = np.full_like(want, np.nan)
    stats.column_sums(X, chunk, want)
    plain.column_sums(X, chunk, got)
    eq(got, want)
    eq(column_means(X, plain=True), column_means(X))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,d", [(1, 1), (33, 2), (700, 2), (5000, 5), (300, 40)])
@pytest.mark.parametrize("centered", [False, True])
def test_row_sq_norms(dtype, n, d, centered):
    X = data(n, d, dtype, n + d) * dtype(1e3) + dtype(50.0)
    x_mean = column_means(X) if centered else None
    eq(row_sq_norms(X, x_mean, plain=True), row_sq_norms(X, x_mean))


def pass_buffers(n, k, d, chunk, *, update, inertia):
    n_chunks = n_chunks_for(n, chunk)
    k_, d_ = (k, d) if update else (0, 0)
    return (
        np.full((n_chunks, k_, d_), np.nan),
        np.full((n_chunks, max(k_, 1)), 0.0 if not update else np.nan),
        np.full(n_chunks if inertia else 0, np.nan),
        np.full(n_chunks, -1, dtype=np.int64),
    )


NAMES = ("sums", "weights", "inertia", "changed")
PASS_SHAPES = [
    (1, 1, 1),
    (300, 2, 3),
    (700, 1, 4),
    (700, 3, 1),
    (900, 4, 7),
    (600, 5, 3),
    (1300, 9, 6),
    (2000, 17, 2),
    (257, 6, 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,d,k", PASS_SHAPES)
@pytest.mark.parametrize("kind", ["blobs", "ints"])
@pytest.mark.parametrize("mode", ["update+inertia", "update", "final"])
def test_assign_update_dense(dtype, n, d, k, kind, mode):
    seed = n + 10 * d + k
    X = data(n, d, dtype, seed, kind)
    w = sample_weight(n, dtype, "drawn" if seed % 2 else "equal", seed)
    x_mean = column_means(X) if kind == "blobs" else None
    rng = np.random.default_rng(seed)
    centers = np.ascontiguousarray(X[rng.choice(n, k, replace=n < k)])
    if x_mean is not None:
        centers = centers - x_mean
    extra = () if x_mean is None else (x_mean,)
    for chunk in {chunk_size_for(n, k, d), 512}:
        update = mode != "final"
        inertia = mode != "update"
        want = pass_buffers(n, k, d, chunk, update=update, inertia=inertia)
        got = pass_buffers(n, k, d, chunk, update=update, inertia=inertia)
        previous = rng.integers(0, k, n).astype(np.int32)
        want_labels, got_labels = previous.copy(), previous.copy()
        assign.assign_update_dense(X, w, centers, chunk, want_labels, *want, *extra)
        plain.assign_update_dense(X, w, centers, chunk, got_labels, *got, *extra)
        eq(got_labels, want_labels)
        for g, wt, name in zip(got, want, NAMES, strict=True):
            eq(g, wt, err_msg=f"{name}, chunk {chunk}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_distances(dtype):
    X = data(600, 5, dtype, 3)
    centers = np.ascontiguousarray(X[[0, 7, 300]])
    labels = np.random.default_rng(0).integers(0, 3, 600).astype(np.int32)
    x_mean = column_means(X)
    for extra in ((), (x_mean,)):
        want, got = np.empty(600), np.full(600, np.nan)
        distances.sq_distance_to_label_dense(X, centers, labels, want, *extra)
        plain.sq_distance_to_label_dense(X, centers, labels, got, *extra)
        eq(got, want)
    want, got = np.empty((600, 3)), np.full((600, 3), np.nan)
    distances.sq_distances_dense(X, centers, want)
    plain.sq_distances_dense(X, centers, got)
    eq(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("n", "d", "kind"), [(1, 3, "blobs"), (600, 1, "blobs"), (600, 5, "ints")]
)
def test_two_nearest(dtype, n, d, kind):
    X = data(n, d, dtype, 4, kind)
    rng = np.random.default_rng(1)
    centers = X[rng.choice(n, 7)].astype(np.float64) + rng.integers(0, 2, (7, d))
    x_mean = column_means(X)
    args = (np.ascontiguousarray(-2.0 * centers.T), (centers**2).sum(axis=1))
    for extra in ((), (x_mean,)):
        want = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n)
        got = np.full(n, -1, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan)
        distances.two_nearest_dense(X, *args, *want, *extra)
        plain.two_nearest_dense(X, *args, *got, *extra)
        for g, w in zip(got, want, strict=True):
            eq(g, w)


# -- k-means++ ----------------------------------------------------------------------


def kpp_state(dtype, seed, n, d, k, kind="blobs"):
    X = data(n, d, dtype, seed, kind)
    w = float64_weights(sample_weight(n, dtype, "drawn", seed))
    x_mean = column_means(X)
    centers = np.ascontiguousarray(X[:k] - x_mean)
    closest = np.empty(n)
    assign_ = np.zeros(n, dtype=np.uint8)
    for a in range(k):
        diff = (X - x_mean).astype(np.float64) - centers[a].astype(np.float64)
        dist = (diff**2).sum(axis=1)
        closer = (dist < closest) | (a == 0)
        closest[closer], assign_[closer] = dist[closer], a
    return X, w, x_mean, centers, closest, assign_


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk", [KPP_CHUNK_ROWS, 512, 300])
@pytest.mark.parametrize("n,d", [(700, 2), (1500, 6), (5000, 3), (1, 2)])
def test_kmeans_plusplus_pieces(dtype, chunk, n, d):
    k = min(n, 4)
    X, w, x_mean, centers, closest, assign_ = kpp_state(dtype, n + d, n, d, k)
    n_chunks = n_chunks_for(n, chunk)

    want = (np.empty(n), np.full(n, 9, np.uint8), np.empty(n_chunks))
    got = (np.empty(n), np.full(n, 9, np.uint8), np.empty(n_chunks))
    kmeanspp.closest_first_dense(X, w, centers[0], chunk, *want, x_mean)
    plain.closest_first_dense(X, w, centers[0], chunk, *got, x_mean)
    for g, wt in zip(got, want, strict=True):
        eq(g, wt)

    chunk_pot = np.array(
        [w[lo : lo + chunk] @ closest[lo : lo + chunk] for lo in range(0, n, chunk)]
    )
    total = chunk_pot.sum()
    rng = np.random.default_rng(n)
    targets = np.concatenate([rng.uniform(0, total, 40), [0.0, total, 2 * total]])
    want_rows = np.empty(targets.shape[0], np.int64)
    got_rows = np.full(targets.shape[0], -1, np.int64)
    args = (w, closest, chunk, np.cumsum(chunk_pot), targets)
    kmeanspp.sample_by_potential(*args, want_rows)
    plain.sample_by_potential(*args, got_rows)
    eq(got_rows, want_rows)

    picked = np.unique(np.concatenate([want_rows[:5], want_rows[:1]]))
    cand = np.ascontiguousarray((X[picked] - x_mean).astype(np.float64))
    cand_sq = np.einsum("ij,ij->i", cand, cand)
    c64 = centers.astype(np.float64)
    cc = ((c64[:, None, :] - cand[None, :, :]) ** 2).sum(axis=2) * (1 - 1e-12)
    x_sq = row_sq_norms(X, x_mean)
    want = (np.full(n, 7, np.uint16), np.full((n_chunks, len(picked)), np.nan))
    got = (np.full(n, 7, np.uint16), np.full((n_chunks, len(picked)), np.nan))
    common = (
        x_sq,
        w,
        closest,
        assign_,
        np.ascontiguousarray(cand.T.astype(dtype)),
        cand_sq,
        cc,
    )
    kmeanspp.candidate_deltas_dense(X, *common, chunk, *want, x_mean)
    plain.candidate_deltas_dense(X, *common, chunk, *got, x_mean)
    eq(got[0], want[0])
    eq(got[1], want[1])

    closer = want[0]
    new_center = (X[picked[-1]] - x_mean).astype(dtype)
    t = len(picked) - 1
    state = [(closest.copy(), assign_.copy(), np.empty(n_chunks)) for _ in range(2)]
    kmeanspp.closest_add_dense(X, w, new_center, closer, t, k, chunk, *state[0], x_mean)
    plain.closest_add_dense(X, w, new_center, closer, t, k, chunk, *state[1], x_mean)
    for g, wt in zip(state[1], state[0], strict=True):
        eq(g, wt)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["blobs", "ints"])
@pytest.mark.parametrize("n,d,k", [(400, 2, 8), (1200, 7, 12), (300, 3, 40), (5, 2, 5)])
def test_kmeans_plusplus_same_rows(dtype, kind, n, d, k):
    for seed in range(4):
        X = data(n, d, dtype, seed, kind)
        w = sample_weight(n, dtype, "drawn" if seed % 2 else "equal", seed)
        x_mean = column_means(X)
        x_sq = row_sq_norms(X, x_mean)
        runs = [
            kmeans_plusplus_init(
                X, k, w, np.random.RandomState(seed), x_sq, x_mean=x_mean, plain=p
            )
            for p in (False, True)
        ]
        eq(runs[1][1], runs[0][1])
        eq(runs[1][0], runs[0][0])


# -- whole fits -------------------------------------------------------------------


def fit_both(X, k, monkeypatch, sample_weight=None, **params):
    """The same fit by the kernels and by their twins."""
    fits = []
    for below in (0, 1 << 40):
        monkeypatch.setattr(registry, "PLAIN_BELOW", below)
        km = KMeans(k, record_history=True, **params)
        fits.append(km.fit(X, sample_weight=sample_weight))
    return fits


def assert_same_fit(kernel, twin):
    eq(twin.labels_, kernel.labels_)
    assert twin.n_iter_ == kernel.n_iter_
    eq(twin.cluster_centers_, kernel.cluster_centers_)
    assert twin.inertia_ == kernel.inertia_
    eq(twin.history_.centers, kernel.history_.centers)
    eq(twin.history_.inertia, kernel.history_.inertia)
    eq(twin.history_.n_changed, kernel.history_.n_changed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["blobs", "ints"])
@pytest.mark.parametrize(
    "n,d,k", [(200, 2, 5), (1500, 3, 8), (800, 9, 4), (300, 4, 20)]
)
def test_fits_are_the_kernels_fits(monkeypatch, dtype, kind, n, d, k):
    for seed in range(3):
        X = data(n, d, dtype, seed, kind)
        w = None if seed % 2 else conftest.weights(n, dtype, seed=seed, zeros=0.1)
        params = dict(random_state=seed, n_init=2, tol=0 if seed == 2 else 1e-4)
        kernel, twin = fit_both(X, k, monkeypatch, w, **params)
        assert_same_fit(kernel, twin)


@pytest.mark.parametrize("init", ["random", "array"])
def test_other_inits_and_empty_clusters(monkeypatch, init):
    # Many duplicate points and more clusters than a start can keep apart: the
    # clusters that empty are relocated by the same rule on both paths.
    X = np.repeat(data(40, 2, np.float64, 5, "ints"), 5, axis=0)
    start = X[:12] if init == "array" else "random"
    kernel, twin = fit_both(X, 12, monkeypatch, init=start, random_state=1)
    assert_same_fit(kernel, twin)


def test_predict_transform_score(monkeypatch):
    X = data(500, 3, np.float64, 2)
    kernel, twin = fit_both(X, 4, monkeypatch, random_state=0)
    new = data(300, 3, np.float64, 9)
    monkeypatch.setattr(registry, "PLAIN_BELOW", 0)
    want = (kernel.predict(new), kernel.transform(new), kernel.score(new))
    monkeypatch.setattr(registry, "PLAIN_BELOW", 1 << 40)
    got = (kernel.predict(new), kernel.transform(new), kernel.score(new))
    eq(got[0], want[0])
    eq(got[1], want[1])
    assert got[2] == want[2]


def test_which_fits_run_plain():
    X = np.zeros((200, 2))
    assert registry.runs_plain(X, 8)
    assert not registry.runs_plain(X, 8, "lloyd")  # an explicit algorithm: kernels
    n = registry.PLAIN_BELOW // 2 + 1
    assert not registry.runs_plain(np.zeros((n, 2)), 1)
    import scipy.sparse as sp

    assert not registry.runs_plain(sp.csr_matrix(X), 8)


KERNEL_TYPES = (_jit.ParallelKernel, numba.core.registry.CPUDispatcher)


def _kernel_objects():
    import kmeansx._kernels as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"kmeansx._kernels.{info.name}")
        for name, obj in vars(module).items():
            kernel = isinstance(
                obj, (_jit.ParallelKernel, numba.core.registry.CPUDispatcher)
            )
            if kernel and getattr(obj, "py_func", None) is not None:
                yield module, name


def test_a_small_auto_fit_calls_no_kernel(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a small fit called a Numba kernel")

    for module, name in _kernel_objects():
        monkeypatch.setattr(module, name, forbidden)
    X = data(200, 2, np.float64, 0)
    km = KMeans(5, random_state=0, n_init=3).fit(X)
    km.predict(X)
    km.transform(X)
    km.score(X)
    KMeans(3, init="random", random_state=0).fit(X.astype(np.float32))


def test_the_lessons_steps(monkeypatch):
    from kmeansx import steps

    X = data(300, 3, np.float64, 4, "ints")
    results = []
    for below in (0, 1 << 40):
        monkeypatch.setattr(registry, "PLAIN_BELOW", below)
        centers, rows = steps.kmeans_plusplus(X, 6, random_state=3)
        labels = steps.assign(X, centers)
        far = centers + np.array([100.0, 0.0, 0.0])  # every cluster empties
        results.append(
            (
                rows,
                steps.distances(X, centers),
                labels,
                steps.update(X, labels, centers),
                steps.update(X, steps.assign(X, far), far),
                steps.inertia(X, centers),
                steps.inertia(X, centers, labels),
            )
        )
    for got, want in zip(results[1], results[0], strict=True):
        eq(got, want)


def test_past_the_budget_a_process_takes_the_kernels(monkeypatch):
    monkeypatch.setattr(registry, "_plain_seconds", [0.0])
    monkeypatch.setattr(registry, "PLAIN_BUDGET_SECONDS", 1.0)
    X = data(200, 2, np.float64, 0)
    assert registry.runs_plain(X, 3)
    KMeans(3, random_state=0).fit(X)
    spent = registry._plain_seconds[0]
    assert spent > 0
    KMeans(3, random_state=0, algorithm="lloyd").fit(X)  # kernels: not counted
    assert registry._plain_seconds[0] == spent
    registry.spend_plain(1.0)
    assert not registry.runs_plain(X, 3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [2, 7])
def test_near_ties_go_as_in_the_kernel(dtype, d):
    # Centers 1 to 10^4 ulps apart: every row is a near-tie between some of them,
    # which the kernel's ranking (and its tie rule, if it has one) decides.
    n, k = 900, 6
    X = data(n, d, dtype, d)
    eps = np.finfo(dtype).eps
    scale = np.array([0.0, 1.0, -1.0, 30.0, -300.0, 1e4], dtype=dtype)[:, None]
    centers = np.ascontiguousarray(X[:1] * (1 + scale * eps), dtype=dtype)
    chunk = chunk_size_for(n, k, d)
    w = np.ones(n, dtype)
    got = pass_buffers(n, k, d, chunk, update=True, inertia=True)
    want = pass_buffers(n, k, d, chunk, update=True, inertia=True)
    got_labels, want_labels = np.zeros(n, np.int32), np.zeros(n, np.int32)
    assign.assign_update_dense(X, w, centers, chunk, want_labels, *want)
    plain.assign_update_dense(X, w, centers, chunk, got_labels, *got)
    eq(got_labels, want_labels)
    for g, wt in zip(got, want, strict=True):
        eq(g, wt)
