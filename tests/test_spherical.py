"""``SphericalKMeans``: every exact algorithm against the NumPy spherical Lloyd of
``tests/reference.py`` (labels at every iteration, centers and inertia to float
rounding), dense and CSR, weights, float32 and float64, at any thread count; its
inits, predict/transform/score, and its errors on bad input."""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone

import reference as ref
from kmeansx import KMeans, SphericalKMeans, choose_k
from kmeansx._algorithms import registry
from kmeansx._algorithms.registry import ALGORITHMS
from kmeansx._kernels import _jit

RTOL = {np.float64: 1e-9, np.float32: 1e-5}


def directions(n, d, k, seed, *, spread=0.35, dtype=np.float64, fmt="dense"):
    """``n`` rows around ``k`` random directions, of norms from 0.01 to 100 (so
    that only the direction tells the clusters apart), with negative values."""
    rng = np.random.default_rng(seed)
    axes = rng.normal(size=(k, d))
    axes /= np.linalg.norm(axes, axis=1)[:, None]
    X = axes[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d)) / np.sqrt(d)
    X *= 10.0 ** rng.uniform(-2, 2, size=(n, 1))
    if fmt == "csr":
        X[rng.uniform(size=X.shape) < 0.5] = 0.0
        X[np.arange(n), rng.integers(d, size=n)] = rng.uniform(0.5, 1.0, n)
        return sp.csr_matrix(X.astype(dtype))
    return np.ascontiguousarray(X, dtype=dtype)


def first_rows(X, k, seed):
    rng = np.random.default_rng(seed)
    rows = rng.choice(X.shape[0], k, replace=False)
    return ref.dense(X[rows]).astype(X.dtype)


def fit_history(X, w, init, algorithm, **params):
    params = {"n_init": 1, "tol": 0.0, "record_history": True, **params}
    skm = SphericalKMeans(init.shape[0], init=init, algorithm=algorithm, **params)
    return skm.fit(X, sample_weight=w)


def assert_matches(skm, want, dtype, *, history=True):
    assert skm.n_iter_ == want.n_iter
    np.testing.assert_array_equal(skm.labels_, want.labels)
    np.testing.assert_allclose(skm.inertia_, want.inertia, rtol=RTOL[dtype])
    np.testing.assert_allclose(skm.cluster_centers_, want.centers, atol=RTOL[dtype])
    assert skm.cluster_centers_.dtype == dtype
    if history:
        hist = skm.history_
        np.testing.assert_allclose(
            hist.centers, np.stack(want.history_centers), atol=RTOL[dtype]
        )
        np.testing.assert_allclose(hist.inertia, want.history_inertia, rtol=1e-6)
        np.testing.assert_array_equal(hist.n_changed, want.history_n_changed)


# -- exactness ------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_every_iteration_matches_spherical_lloyd(fmt, weighted, algorithm):
    X = directions(600, 12, 20, seed=1, spread=0.9, fmt=fmt)
    w = np.random.default_rng(2).uniform(0.2, 3.0, 600) if weighted else None
    init = first_rows(X, 20, seed=3)
    skm = fit_history(X, w, init, algorithm)
    want = ref.spherical_lloyd(X, np.ones(600) if w is None else w, init)
    assert want.n_iter > 3  # the bounds are exercised over several iterations
    assert_matches(skm, want, np.float64)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_float32_matches_spherical_lloyd(fmt, algorithm):
    X = directions(500, 10, 8, seed=4, spread=0.5, dtype=np.float32, fmt=fmt)
    w = np.random.default_rng(5).uniform(0.5, 2.0, 500).astype(np.float32)
    init = first_rows(X, 8, seed=6)
    skm = fit_history(X, w, init, algorithm)
    assert_matches(skm, ref.spherical_lloyd(X, w, init), np.float32)


@pytest.mark.parametrize("algorithm", ["elkan", "hamerly", "yinyang", "auto"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_accelerated_give_lloyds_labels_every_iteration(dtype, algorithm):
    # Overlapping clusters, k >= 64 ("auto" runs Hamerly): many rows near borders.
    X = directions(3000, 16, 64, seed=7, spread=1.5, dtype=dtype)
    init = first_rows(X, 64, seed=8)
    lloyd = fit_history(X, None, init, "lloyd")
    fast = fit_history(X, None, init, algorithm)
    assert fast.n_iter_ == lloyd.n_iter_
    np.testing.assert_array_equal(fast.labels_, lloyd.labels_)
    np.testing.assert_array_equal(fast.history_.n_changed, lloyd.history_.n_changed)
    np.testing.assert_allclose(fast.history_.centers, lloyd.history_.centers, atol=0)
    assert fast.inertia_ == lloyd.inertia_


@pytest.mark.parametrize("tol", [1e-4, 1e-2])
def test_tol_stops_where_the_reference_does(tol):
    X = directions(600, 8, 6, seed=9, spread=1.2)
    init = first_rows(X, 6, seed=10)
    skm = fit_history(X, None, init, "hamerly", tol=tol)
    want = ref.spherical_lloyd(
        X, np.ones(600), init, tol=ref.tolerance(ref.unit(X), tol)
    )
    assert_matches(skm, want, np.float64)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_empty_clusters_relocate_and_stay_unit(fmt, algorithm):
    # Every row in the positive orthant; two centers point away from all of them.
    X = abs(directions(300, 5, 3, seed=11, fmt=fmt))
    init = first_rows(X, 5, seed=12)
    init[3] = -np.ones(5, dtype=init.dtype)
    init[4] = -np.arange(1, 6, dtype=init.dtype)
    skm = fit_history(X, None, init, algorithm)
    want = ref.spherical_lloyd(X, np.ones(300), init)
    assert want.history_n_changed[0] == 300
    assert_matches(skm, want, np.float64)
    norms = np.linalg.norm(skm.history_.centers, axis=2)
    np.testing.assert_allclose(norms, 1.0, atol=1e-15)


def test_a_center_whose_rows_cancel_keeps_its_place():
    # [1, 0] and [-1, 0] tie between both centers (cos 0): both go to center 0,
    # whose mean is then zero, with no direction.
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.1, 2.0]])
    init = np.array([[0.0, -1.0], [0.0, 1.0]])
    skm = fit_history(X, None, init, "lloyd")
    want = ref.spherical_lloyd(X, np.ones(4), init)
    assert_matches(skm, want, np.float64)
    # The first update finds center 0's rows cancelling: it stays where it was.
    assert want.history_n_changed[0] == 4
    np.testing.assert_array_equal(skm.history_.centers[1][0], [0.0, -1.0])


def test_the_rows_scale_does_not_matter():
    X = directions(400, 6, 5, seed=13)
    scales = np.ldexp(1.0, np.random.default_rng(14).integers(-30, 30, 400))
    a = SphericalKMeans(5, random_state=0).fit(X)
    b = SphericalKMeans(5, random_state=0).fit(X * scales[:, None])
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.inertia_ == b.inertia_


def test_rows_far_out_of_range_are_scaled_exactly():
    X = directions(300, 4, 3, seed=15)
    tiny = SphericalKMeans(3, random_state=0).fit(X * 1e-300)
    huge = SphericalKMeans(3, random_state=0).fit(X * 1e300)
    plain = SphericalKMeans(3, random_state=0).fit(X)
    np.testing.assert_array_equal(tiny.labels_, plain.labels_)
    np.testing.assert_array_equal(huge.labels_, plain.labels_)
    np.testing.assert_allclose(huge.inertia_, plain.inertia_, rtol=1e-12)


@pytest.mark.parametrize("algorithm", ["hamerly", "lloyd"])
@pytest.mark.parametrize("init", ["k-means++", "k-means||", "random"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_same_bits_at_any_thread_count(fmt, init, algorithm, monkeypatch):
    X = directions(5000, 16, 12, seed=16, spread=1.0, fmt=fmt)
    w = np.random.default_rng(17).uniform(0.5, 2.0, 5000)
    before = numba.get_num_threads()
    results = []
    monkeypatch.setattr(_jit, "SERIAL_BELOW", 0)  # the parallel compilation
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            skm = SphericalKMeans(
                12, init=init, n_init=2, random_state=3, algorithm=algorithm
            )
            results.append(skm.fit(X, sample_weight=w))
    finally:
        numba.set_num_threads(before)
    a, b = results
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.inertia_ == b.inertia_ and a.n_iter_ == b.n_iter_


def test_auto_runs_lloyd_on_unit_rows(monkeypatch):
    # Measured (see the registry): on unit rows of many features Lloyd's blocked
    # GEMM beats the bounds. KMeans, and fewer features, keep Hamerly.
    chosen = []
    resolve = registry.resolve_algorithm

    def recording(*args, **kwargs):
        chosen.append(resolve(*args, **kwargs))
        return chosen[-1]

    monkeypatch.setattr(registry, "resolve_algorithm", recording)
    d = registry.SPHERICAL_LLOYD_FEATURES
    k = registry.AUTO_MIN_CLUSTERS  # Hamerly's, below SPHERICAL_LLOYD_FEATURES
    X = directions(1000, d, k, seed=40)  # above the NumPy twins' size
    init = first_rows(X, k, 41)
    auto = fit_history(X, None, init, "auto")
    assert chosen == ["lloyd"]
    chosen.clear()
    KMeans(k, init=init, n_init=1).fit(X)
    SphericalKMeans(k, init=init[:, :-1], n_init=1).fit(X[:, :-1])
    assert chosen == ["hamerly", "hamerly"]
    want = ref.spherical_lloyd(X, np.ones(1000), init, max_iter=300, tol=0.0)
    assert_matches(auto, want, np.float64)


# -- initializations ------------------------------------------------------------------


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_seeding_picks_unit_rows(init):
    X = directions(400, 6, 5, seed=18)
    skm = SphericalKMeans(5, init=init, n_init=1, max_iter=1, record_history=True)
    skm.set_params(random_state=0).fit(X)
    U = ref.unit(X)
    start = skm.history_.centers[0]
    # Each initial center is one of the unit rows (to the rounding of a rescale).
    dist = ref.sq_distances(start, U).min(axis=1)
    np.testing.assert_allclose(dist, 0.0, atol=1e-28)


def test_kmeans_plusplus_draws_as_on_the_unit_rows():
    # k-means++ on the unit rows: the same rows KMeans's k-means++ draws on them
    # (its D^2 is 2 (1 - cos)), whatever each row's length.
    X = directions(400, 6, 5, seed=19)
    U = ref.unit(X)
    ours = SphericalKMeans(5, n_init=1, max_iter=1, record_history=True)
    ours.set_params(random_state=4).fit(X)
    euclid = KMeans(5, n_init=1, max_iter=1, record_history=True, random_state=4)
    euclid.fit(U)
    np.testing.assert_allclose(
        ours.history_.centers[0], euclid.history_.centers[0], atol=1e-12
    )


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_kmeans_parallel_gives_unit_centers(fmt):
    X = directions(2000, 8, 10, seed=20, fmt=fmt)
    skm = SphericalKMeans(10, init="k-means||", n_init=1, max_iter=1)
    skm.set_params(record_history=True, random_state=0).fit(X)
    norms = np.linalg.norm(skm.history_.centers[0], axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-15)
    assert (
        skm.inertia_
        < SphericalKMeans(10, init="random", n_init=1)
        .set_params(random_state=0, max_iter=1)
        .fit(X)
        .inertia_
        * 1.5
    )


def test_array_and_callable_inits_are_scaled_to_unit_length():
    X = directions(300, 4, 3, seed=21)
    init = first_rows(X, 3, seed=22)
    a = fit_history(X, None, init, "lloyd")
    b = fit_history(X, None, init * np.array([[3.0], [0.01], [70.0]]), "lloyd")
    c = SphericalKMeans(3, init=lambda X, k, random_state: init, n_init=1, tol=0.0)
    c.fit(X)
    for other in (b, c):
        np.testing.assert_array_equal(other.labels_, a.labels_)
        np.testing.assert_allclose(other.cluster_centers_, a.cluster_centers_, 1e-15)
    np.testing.assert_allclose(np.linalg.norm(a.history_.centers[0], axis=1), 1.0)


def test_n_init_keeps_the_best_run():
    X = directions(500, 6, 8, seed=23, spread=1.5)
    one = SphericalKMeans(8, init="random", n_init=1, random_state=5).fit(X)
    many = SphericalKMeans(8, init="random", n_init=6, random_state=5).fit(X)
    assert many.inertia_ <= one.inertia_


# -- using a fitted model -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_transform_score(fmt, dtype):
    X = directions(700, 8, 6, seed=24, dtype=dtype, fmt=fmt)
    w = np.random.default_rng(25).uniform(0.5, 2.0, 700)
    skm = SphericalKMeans(6, random_state=0).fit(X, sample_weight=w)
    np.testing.assert_array_equal(skm.predict(X), skm.labels_)
    np.testing.assert_allclose(
        -skm.score(X, sample_weight=w), skm.inertia_, rtol=RTOL[dtype]
    )
    T = skm.transform(X)
    assert T.dtype == dtype and T.shape == (700, 6)
    want = 1.0 - ref.unit(X) @ ref.dense(skm.cluster_centers_).T
    np.testing.assert_allclose(T, want, atol=10 * RTOL[dtype])
    np.testing.assert_array_equal(T.argmin(axis=1), skm.labels_)
    np.testing.assert_allclose(
        skm.fit_transform(X, sample_weight=w), T, atol=10 * RTOL[dtype]
    )
    U = ref.unit(X)
    cos = U[np.arange(700), :] @ ref.dense(skm.cluster_centers_).T
    cos_own = cos[np.arange(700), skm.labels_]
    np.testing.assert_allclose(skm.inertia_, w @ (1 - cos_own), rtol=RTOL[dtype])


def test_estimator_api():
    skm = SphericalKMeans(3, random_state=0, algorithm="elkan")
    assert "refine" not in skm.get_params()
    assert clone(skm).get_params() == skm.get_params()
    df = pd.DataFrame(directions(60, 3, 3, seed=26), columns=["a", "b", "c"])
    skm.fit(df)
    assert list(skm.feature_names_in_) == ["a", "b", "c"]
    assert skm.get_feature_names_out().tolist() == [
        "sphericalkmeans0",
        "sphericalkmeans1",
        "sphericalkmeans2",
    ]


def test_copy_x():
    X = directions(200, 4, 3, seed=27)
    kept = X.copy()
    SphericalKMeans(3, random_state=0).fit(X)
    np.testing.assert_array_equal(X, kept)
    a = SphericalKMeans(3, random_state=0).fit(X)
    b = SphericalKMeans(3, random_state=0, copy_x=False).fit(X)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0)  # scaled in place
    np.testing.assert_array_equal(a.labels_, b.labels_)
    S = directions(200, 4, 3, seed=28, fmt="csr")
    data = S.data.copy()
    SphericalKMeans(3, random_state=0, copy_x=False).fit(S)
    np.testing.assert_array_equal(S.data, data)  # sparse input is never modified


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_a_row_of_zeros_is_named(fmt):
    X = directions(50, 3, 2, seed=29)
    X[[7, 31]] = 0.0
    X = sp.csr_matrix(X) if fmt == "csr" else X
    with pytest.raises(ValueError, match=r"row of zeros at row\(s\) 7, 31.*Drop"):
        SphericalKMeans(2).fit(X)
    skm = SphericalKMeans(2, random_state=0).fit(directions(50, 3, 2, seed=29))
    for method in (skm.predict, skm.transform, skm.score):
        with pytest.raises(ValueError, match=r"row\(s\) 7, 31"):
            method(X)


def test_a_row_of_zeros_is_named_by_its_index_label():
    df = pd.DataFrame(directions(20, 2, 2, seed=30), index=[f"r{i}" for i in range(20)])
    df.iloc[4] = 0.0
    with pytest.raises(ValueError, match=r"row\(s\) r4"):
        SphericalKMeans(2).fit(df)


def test_bad_inits():
    X = directions(50, 3, 2, seed=31)
    with pytest.raises(ValueError, match=r"init has a row of zeros at row\(s\) 1"):
        SphericalKMeans(2, init=[[1.0, 0, 0], [0, 0, 0]]).fit(X)
    with pytest.raises(ValueError, match=r"initial center\(s\) \[0, 1\] have zero"):
        SphericalKMeans(2, init=lambda X, k, random_state: np.zeros((2, 3))).fit(X)


def test_nan_and_too_many_clusters():
    X = directions(20, 3, 2, seed=32)
    with pytest.raises(ValueError, match="should be >= n_clusters"):
        SphericalKMeans(21).fit(X)
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN in column .*row\(s\) 5"):
        SphericalKMeans(2).fit(X)


# -- Dask (the local scheduler runs the same tasks as a cluster) ---------------------


@pytest.mark.parametrize("init", ["array", "random", "k-means||", "k-means++"])
def test_dask_gives_the_in_memory_fit(init):
    da = pytest.importorskip("dask.array")
    X = directions(3000, 6, 8, seed=33, spread=0.8).astype(np.float32)
    w = np.random.default_rng(34).uniform(0.5, 2.0, 3000).astype(np.float32)
    start = first_rows(X, 8, seed=35) if init == "array" else init
    params = {"init": start, "n_init": 1, "random_state": 2, "record_history": True}
    ours = SphericalKMeans(8, **params).fit(X, sample_weight=w)
    lazy = SphericalKMeans(8, **params).fit(
        da.from_array(X, chunks=700), sample_weight=da.from_array(w, chunks=700)
    )
    np.testing.assert_array_equal(lazy.labels_, ours.labels_)
    assert lazy.n_iter_ == ours.n_iter_
    np.testing.assert_allclose(lazy.inertia_, ours.inertia_, rtol=1e-5)
    np.testing.assert_allclose(lazy.cluster_centers_, ours.cluster_centers_, atol=1e-6)
    np.testing.assert_array_equal(lazy.history_.n_changed, ours.history_.n_changed)
    Xd = da.from_array(X, chunks=700)
    np.testing.assert_array_equal(lazy.predict(Xd).compute(), ours.predict(X))
    np.testing.assert_allclose(
        lazy.transform(Xd).compute(), ours.transform(X), atol=1e-6
    )
    np.testing.assert_allclose(
        lazy.score(Xd, sample_weight=w), ours.score(X, sample_weight=w), rtol=1e-5
    )


def test_dask_rows_of_zeros_are_named_by_position():
    da = pytest.importorskip("dask.array")
    X = directions(100, 3, 2, seed=36)
    X[[12, 77]] = 0.0
    with pytest.raises(ValueError, match=r"row of zeros at row\(s\) 12, 77"):
        SphericalKMeans(2).fit(da.from_array(X, chunks=30))
    skm = SphericalKMeans(2, random_state=0).fit(directions(100, 3, 2, seed=36))
    with pytest.raises(ValueError, match="row of zeros"):
        skm.predict(da.from_array(X, chunks=30)).compute()


# -- choose_k ----------------------------------------------------------------------


def test_choose_k_by_angle():
    # Three directions, rows of lengths from 0.01 to 100: by angle, three clusters.
    X = directions(300, 3, 3, seed=37, spread=0.15)
    choice = choose_k(X, range(1, 7), metric="cosine", random_state=0, progress=False)
    assert choice.recommended_k == 3
    skm = SphericalKMeans(3, n_init=10, random_state=1).fit(X)
    np.testing.assert_allclose(choice.table["inertia"][2], skm.inertia_, rtol=1e-6)


def test_choose_k_metric_checks():
    X = directions(40, 3, 2, seed=38)
    with pytest.raises(ValueError, match="metric must be"):
        choose_k(X, range(1, 3), metric="manhattan", progress=False)
    with pytest.raises(ValueError, match="strategy='kmeans'"):
        choose_k(X, range(1, 3), metric="cosine", strategy="bisecting", progress=False)
    X[3] = 0.0
    with pytest.raises(ValueError, match=r"row of zeros at row\(s\) 3"):
        choose_k(X, range(1, 3), metric="cosine", progress=False)


def test_a_model_file_keeps_the_cosine(tmp_path):
    from kmeansx import load, save

    X = directions(200, 4, 3, seed=39)
    skm = SphericalKMeans(3, random_state=0, record_history=True).fit(X)
    back = load(save(skm, tmp_path / "sph.kmx"))
    assert type(back) is SphericalKMeans
    assert back.get_params() == skm.get_params()
    np.testing.assert_array_equal(back.transform(X), skm.transform(X))
    assert back.score(X) == skm.score(X)


def test_sparse_rows_are_never_made_dense(monkeypatch):
    X = directions(3000, 40, 6, seed=40, fmt="csr")
    ok = sp.csr_matrix.toarray

    def toarray(self, *args, **kwargs):
        # Single rows (relocation) and a few seeds are fine; X itself never.
        assert self.shape[0] < 100, f"densified {self.shape}"
        return ok(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", toarray)
    for init in ("k-means++", "k-means||", "random"):
        skm = SphericalKMeans(6, init=init, random_state=0).fit(X)
        skm.predict(X), skm.transform(X), skm.score(X)


def test_the_callback_sees_the_cosine_objective():
    X = directions(500, 6, 4, seed=41, spread=1.0)
    seen = []
    skm = SphericalKMeans(4, random_state=0, record_history=True, tol=0.0)
    skm.fit(X, callback=lambda i, inertia, n, shift: seen.append(inertia))
    np.testing.assert_array_equal(seen, skm.history_.inertia)
    # The last iteration's objective, on the centers before its update.
    U, C = ref.unit(X), skm.history_.centers[-2]
    want = (1 - (U @ C.T).max(axis=1)).sum()
    np.testing.assert_allclose(seen[-1], want, rtol=1e-9)
