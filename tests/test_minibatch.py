"""``kmeansx.MiniBatchKMeans`` against scikit-learn's and the NumPy reference of one
step: the estimator checks, the same draws and centers as scikit-learn, nested
batches ending at Lloyd's fixed point, the polish, streams, determinism, sparse
input, weights and bad input."""

from __future__ import annotations

import doctest
import warnings

import numba
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.cluster import MiniBatchKMeans as SKMiniBatchKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

import kmeansx._algorithms.minibatch as mb_algorithms
import kmeansx._minibatch as mb_module
import reference as ref
from conftest import blobs
from kmeansx import KMeans, MiniBatchKMeans
from kmeansx._kernels import _jit


def _expected_failed_checks(estimator):
    # The two checks scikit-learn lists for its own MiniBatchKMeans: batches are
    # drawn from n weighted rows or from sum(w) repeated rows, so the two fits see
    # different batches (one step on given rows is weight-equivalent: tested below).
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "sample_weight is not equivalent to removing/repeating samples."
        ),
        "check_sample_weight_equivalence_on_sparse_data": (
            "sample_weight is not equivalent to removing/repeating samples."
        ),
    }


# The parameters scikit-learn's test suite gives its MiniBatchKMeans, and ours.
@parametrize_with_checks(
    [
        MiniBatchKMeans(n_init=2, n_clusters=2, max_iter=5, batch_size=10),
        MiniBatchKMeans(n_clusters=2, batch_size=10, growing_batch=True),
        MiniBatchKMeans(n_clusters=2, batch_size=10, max_iter=5, final_lloyd=3),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_docstring_examples_run():
    for module in (mb_module, mb_algorithms):
        failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failed == 0 and attempted > 0 or module is mb_algorithms


def test_parameters_and_defaults_equal_sklearn():
    ours, theirs = MiniBatchKMeans().get_params(), SKMiniBatchKMeans().get_params()
    assert set(ours) - set(theirs) == {"growing_batch", "final_lloyd"}
    assert {k: ours[k] for k in theirs} == theirs
    assert ours["growing_batch"] is False and ours["final_lloyd"] == 0


# -- one step against the NumPy reference --------------------------------------------


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_partial_fit_steps_equal_the_reference(fmt, dtype):
    rng = np.random.default_rng(0)
    X = blobs(600, 5, 4, dtype=dtype, seed=1, offset=3.0)
    w = rng.uniform(0.5, 2.0, 600).astype(dtype)
    init = X[[0, 1, 2, 3]].astype(np.float64)
    data = sp.csr_matrix(X) if fmt == "csr" else X
    mbk = MiniBatchKMeans(4, init=init, reassignment_ratio=0.0, random_state=0)
    centers, counts = init, np.zeros(4)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for chunk in (slice(0, 200), slice(200, 450), slice(450, 600)):
        mbk.partial_fit(data[chunk], sample_weight=w[chunk])
        step = ref.minibatch_step(X[chunk], w[chunk], centers, counts)
        centers, counts = step.centers, step.counts
        np.testing.assert_allclose(mbk.cluster_centers_, centers, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(mbk._state.counts, counts, rtol=rtol)
        assert mbk.cluster_centers_.dtype == dtype
        # labels_ and inertia_ are those of the chunk on the new centers.
        labels, _ = ref.nearest(X[chunk], mbk.cluster_centers_)
        np.testing.assert_array_equal(mbk.labels_, labels)
    assert mbk.n_steps_ == 3


def test_one_step_labels_and_inertia_equal_the_reference():
    X = blobs(500, 3, 5, seed=2)
    w = np.random.default_rng(1).uniform(0.1, 3.0, 500)
    centers = X[:5].copy()
    counts = np.array([0.0, 3.0, 10.0, 0.5, 100.0])
    step = ref.minibatch_step(X, w, centers, counts)
    labels, inertia = mb_algorithms.minibatch_step(X, w, centers, counts)
    np.testing.assert_array_equal(labels, step.labels)
    np.testing.assert_allclose(inertia, step.inertia, rtol=1e-12)
    np.testing.assert_allclose(centers, step.centers, rtol=1e-12)
    np.testing.assert_allclose(counts, step.counts, rtol=1e-12)


# -- scikit-learn's draws and results ------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"init": "random"},
        {"tol": 1e-3},
        {"batch_size": 64, "n_init": 2},
        {"batch_size": 100, "reassignment_ratio": 0.5, "max_iter": 20},
        {"max_no_improvement": None, "max_iter": 3},
        {"compute_labels": False},
    ],
)
@pytest.mark.parametrize("fmt", ["dense", "csr", "float32"])
def test_same_random_state_same_result_as_sklearn(params, fmt):
    X, _ = make_blobs(1000, n_features=4, centers=6, cluster_std=0.8, random_state=3)
    w = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    if fmt == "float32":
        X = X.astype(np.float32)
    elif fmt == "csr":
        X = sp.csr_matrix(X)
    ours = MiniBatchKMeans(6, random_state=7, **params).fit(X, sample_weight=w)
    theirs = SKMiniBatchKMeans(6, random_state=7, **params).fit(X, sample_weight=w)
    assert ours.n_steps_ == theirs.n_steps_ and ours.n_iter_ == theirs.n_iter_
    rtol = 1e-4 if fmt == "float32" else 1e-9
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol, atol=rtol
    )
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=rtol)
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype
    if params.get("compute_labels", True):
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    else:
        assert not hasattr(ours, "labels_")
    Y = X[:300]
    np.testing.assert_array_equal(ours.predict(Y), theirs.predict(Y))
    np.testing.assert_allclose(ours.transform(Y), theirs.transform(Y), rtol=rtol)
    np.testing.assert_allclose(ours.score(Y), theirs.score(Y), rtol=rtol)


def test_partial_fit_stream_matches_sklearn():
    X = blobs(3000, 4, 5, seed=4)
    ours, theirs = (
        MiniBatchKMeans(5, random_state=0),
        SKMiniBatchKMeans(5, random_state=0),
    )
    for start in range(0, 3000, 400):
        ours.partial_fit(X[start : start + 400])
        theirs.partial_fit(X[start : start + 400])
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9
    )
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_steps_ == theirs.n_steps_ == 8


def test_same_clustering_and_inertia_as_sklearn_over_seeds():
    ratios = []
    for seed in range(5):
        X, y = make_blobs(
            20000, n_features=8, centers=10, cluster_std=0.5, random_state=seed
        )
        params = dict(batch_size=512, random_state=seed + 100, n_init=3)
        ours = MiniBatchKMeans(10, **params).fit(X)
        theirs = SKMiniBatchKMeans(10, **params).fit(X)
        assert adjusted_rand_score(ours.labels_, theirs.labels_) == 1.0
        ratios.append(ours.inertia_ / theirs.inertia_)
    assert abs(np.median(ratios) - 1) < 0.02


# -- nested batches and the polish ---------------------------------------------------


@pytest.mark.parametrize("fmt", ["dense", "csr", "float32"])
def test_growing_batch_reaches_the_lloyd_fixed_point(fmt):
    X = blobs(5000, 6, 8, seed=5, spread=2.0)
    w = np.random.default_rng(5).uniform(0.5, 2.0, X.shape[0])
    data = {"dense": X, "csr": sp.csr_matrix(X), "float32": X.astype(np.float32)}[fmt]
    nested = MiniBatchKMeans(8, batch_size=100, growing_batch=True, random_state=0)
    nested.fit(data, sample_weight=w)
    # Most of the work was done on batches smaller than the data.
    assert nested.n_steps_ > nested.n_iter_
    lloyd = KMeans(8, init=nested.cluster_centers_, tol=0.0).fit(data, sample_weight=w)
    np.testing.assert_array_equal(lloyd.labels_, nested.labels_)
    rtol = 1e-5 if fmt == "float32" else 1e-12
    np.testing.assert_allclose(
        lloyd.cluster_centers_, nested.cluster_centers_, rtol=rtol
    )
    np.testing.assert_allclose(lloyd.inertia_, nested.inertia_, rtol=rtol)
    assert lloyd.n_iter_ <= 2  # one pass to assign, one to see nothing changes


def test_final_lloyd_polish_lowers_the_inertia_to_a_fixed_point():
    X = blobs(8000, 4, 12, seed=6, spread=1.5)
    params = dict(batch_size=256, random_state=1)
    plain = MiniBatchKMeans(12, **params).fit(X)
    polished = MiniBatchKMeans(12, final_lloyd=300, **params).fit(X)
    assert polished.inertia_ <= plain.inertia_
    lloyd = KMeans(12, init=polished.cluster_centers_, tol=0.0).fit(X)
    np.testing.assert_array_equal(lloyd.labels_, polished.labels_)
    np.testing.assert_allclose(lloyd.inertia_, polished.inertia_, rtol=1e-12)
    assert polished.n_steps_ > plain.n_steps_
    # The polish starts from the mini-batch centers: the same first phase.
    few = MiniBatchKMeans(12, final_lloyd=1, **params).fit(X)
    assert few.n_steps_ == plain.n_steps_ + 1


# -- determinism, sparse input, weights ------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"growing_batch": True}, {"final_lloyd": 5}])
def test_same_bits_at_any_thread_count(monkeypatch, params):
    X = blobs(20000, 8, 16, dtype=np.float32, seed=7)
    results = []
    before = numba.get_num_threads()
    try:
        for serial_below, n_threads in (
            (2**62, 1),
            (0, 1),
            (0, numba.config.NUMBA_NUM_THREADS),
        ):
            monkeypatch.setattr(_jit, "SERIAL_BELOW", serial_below)
            numba.set_num_threads(n_threads)
            mbk = MiniBatchKMeans(16, batch_size=2048, random_state=3, **params).fit(X)
            results.append((mbk.cluster_centers_, mbk.labels_, mbk.inertia_))
    finally:
        numba.set_num_threads(before)
    for centers, labels, inertia in results[1:]:
        np.testing.assert_array_equal(centers, results[0][0])
        np.testing.assert_array_equal(labels, results[0][1])
        assert inertia == results[0][2]


@pytest.mark.parametrize("params", [{}, {"growing_batch": True}])
def test_sparse_gives_the_dense_result(params):
    rng = np.random.default_rng(8)
    X = blobs(3000, 20, 5, seed=8)
    X[rng.uniform(size=X.shape) < 0.6] = 0.0
    dense = MiniBatchKMeans(5, batch_size=200, random_state=2, **params).fit(X)
    csr = MiniBatchKMeans(5, batch_size=200, random_state=2, **params).fit(
        sp.csr_matrix(X)
    )
    np.testing.assert_array_equal(dense.labels_, csr.labels_)
    np.testing.assert_allclose(dense.cluster_centers_, csr.cluster_centers_, atol=1e-10)
    np.testing.assert_allclose(dense.inertia_, csr.inertia_, rtol=1e-10)


def test_zero_weight_rows_never_move_the_centers():
    X = blobs(200, 3, 3, seed=9)
    far = np.full((40, 3), 1e3)
    both = np.vstack([X[:100], far, X[100:]])
    w = np.r_[np.ones(100), np.zeros(40), np.ones(100)]
    init = X[:3]
    for fmt in (np.asarray, sp.csr_matrix):
        with_zeros = MiniBatchKMeans(3, init=init, reassignment_ratio=0.0)
        without = MiniBatchKMeans(3, init=init, reassignment_ratio=0.0)
        for _ in range(3):
            with_zeros.partial_fit(fmt(both), sample_weight=w)
            without.partial_fit(fmt(X))
        # Sparse rows are read as they are: the same sums, bit for bit. Dense
        # chunks are centered on the first chunk's mean, which the far rows move.
        exact = fmt is sp.csr_matrix
        np.testing.assert_allclose(
            with_zeros.cluster_centers_,
            without.cluster_centers_,
            rtol=0 if exact else 1e-12,
        )
    # In fit, a row of weight 0 is never drawn into a batch.
    fitted = MiniBatchKMeans(3, batch_size=20, random_state=0).fit(
        both, sample_weight=w
    )
    assert np.abs(fitted.cluster_centers_).max() < 100


def test_integer_weights_equal_repeated_rows_in_a_step():
    X = blobs(150, 4, 3, seed=10)
    counts = np.random.default_rng(10).integers(0, 4, 150)
    init = X[[0, 50, 100]]
    weighted = MiniBatchKMeans(3, init=init, reassignment_ratio=0.0)
    repeated = MiniBatchKMeans(3, init=init, reassignment_ratio=0.0)
    for _ in range(2):
        weighted.partial_fit(X, sample_weight=counts.astype(float))
        repeated.partial_fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(
        weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-12
    )
    np.testing.assert_allclose(weighted._state.counts, repeated._state.counts)


# -- streams ---------------------------------------------------------------------------


def test_partial_fit_takes_an_iterator_of_chunks():
    X = blobs(2000, 3, 4, seed=11)
    one_by_one = MiniBatchKMeans(4, random_state=0)
    for start in range(0, 2000, 250):
        one_by_one.partial_fit(X[start : start + 250])
    streamed = MiniBatchKMeans(4, random_state=0).partial_fit(
        X[start : start + 250] for start in range(0, 2000, 250)
    )
    np.testing.assert_array_equal(
        streamed.cluster_centers_, one_by_one.cluster_centers_
    )
    assert streamed.n_steps_ == 8
    with pytest.raises(ValueError, match="sample_weight must be None"):
        MiniBatchKMeans(4).partial_fit(iter([X]), sample_weight=np.ones(2000))


def test_a_chunk_of_another_width_names_both_widths():
    X = blobs(500, 3, 4, seed=12)
    mbk = MiniBatchKMeans(4, random_state=0).partial_fit(X[:250])
    with pytest.raises(ValueError, match="X has 4 features.*expecting 3 features"):
        mbk.partial_fit(np.ones((10, 4)))
    stream = (np.ones((50, d)) * np.arange(50)[:, None] for d in (3, 3, 2))
    with pytest.raises(ValueError, match="X has 2 features.*expecting 3 features"):
        MiniBatchKMeans(4, random_state=0).partial_fit(stream)


def test_fit_then_partial_fit_goes_on_from_the_fitted_centers():
    X = blobs(3000, 3, 4, seed=13)
    mbk = MiniBatchKMeans(4, random_state=0).fit(X)
    steps = mbk.n_steps_
    mbk.partial_fit(X[:500])
    assert mbk.n_steps_ == steps + 1
    assert mbk.labels_.shape == (500,)


# -- input and attributes --------------------------------------------------------------


def test_dataframe_names_float32_and_fit_predict():
    X = blobs(1000, 3, 4, dtype=np.float32, seed=14)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    mbk = MiniBatchKMeans(4, random_state=0).fit(df)
    assert list(mbk.feature_names_in_) == ["a", "b", "c"]
    assert mbk.cluster_centers_.dtype == np.float32
    assert mbk.transform(df).dtype == np.float32
    labels = MiniBatchKMeans(4, random_state=0, compute_labels=False).fit_predict(X)
    np.testing.assert_array_equal(labels, mbk.labels_)


def _message(fn):
    with pytest.raises(ValueError) as info:
        fn()
    return str(info.value)


@pytest.mark.parametrize(
    "bad",
    [
        np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]),
        np.array([[0.0, 1.0], [np.inf, 2.0], [3.0, 4.0]]),
        np.empty((0, 2)),
        np.ones((2, 2)),  # fewer rows than clusters
        np.ones(5),
    ],
)
def test_bad_input_gives_kmeans_errors(bad):
    expected = _message(lambda: KMeans(3).fit(bad))
    assert _message(lambda: MiniBatchKMeans(3).fit(bad)) == expected
    assert _message(lambda: MiniBatchKMeans(3).partial_fit(bad)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"batch_size": 0},
        {"max_no_improvement": -1},
        {"reassignment_ratio": -0.1},
        {"final_lloyd": -1},
        {"growing_batch": "yes"},
        {"init": "kmeans"},
        {"n_init": 0},
    ],
)
def test_bad_parameters_are_named(params):
    name = next(iter(params))
    with pytest.raises(ValueError, match=name):
        MiniBatchKMeans(2, **params).fit(np.arange(20.0).reshape(10, 2))


def test_explicit_init_with_n_init_warns_once_like_sklearn():
    X = blobs(300, 2, 3, seed=16)
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        MiniBatchKMeans(3, init=X[:3], n_init=3).fit(X)
    mbk = MiniBatchKMeans(3, init=X[:3], n_init=3)
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        mbk.partial_fit(X[:100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mbk.partial_fit(X[100:])


def test_small_init_size_warns_like_sklearn():
    X = blobs(500, 2, 4, seed=15)
    with pytest.warns(RuntimeWarning, match="init_size=2 should be larger"):
        MiniBatchKMeans(4, init_size=2, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MiniBatchKMeans(4, init_size=20, random_state=0).fit(X)


@pytest.mark.parametrize("scale", [2.0**505, 2.0**-505])
def test_extreme_magnitudes_are_clustered_exactly_scaled(scale):
    X = blobs(2000, 3, 4, seed=17)
    for params in ({}, {"growing_batch": True}):
        plain = MiniBatchKMeans(4, random_state=0, **params).fit(X)
        big = MiniBatchKMeans(4, random_state=0, **params).fit(X * scale)
        assert big._exponent != 0  # clustered as X * 2**exponent
        np.testing.assert_array_equal(big.labels_, plain.labels_)
        np.testing.assert_allclose(big.cluster_centers_, plain.cluster_centers_ * scale)
        np.testing.assert_allclose(big.inertia_, plain.inertia_ * scale**2)
    stream = MiniBatchKMeans(4, random_state=0)
    for start in range(0, 2000, 500):
        stream.partial_fit(X[start : start + 500] * scale)
    assert np.isfinite(stream.cluster_centers_).all()
    assert np.abs(stream.cluster_centers_).max() > scale


def test_verbose_output_matches_sklearn(capsys):
    X = blobs(600, 3, 4, seed=1)
    params = dict(random_state=0, verbose=1, batch_size=100, tol=1e-3, n_init=2)
    lines = []
    for cls in (MiniBatchKMeans, SKMiniBatchKMeans):
        cls(4, init="random", **params).fit(X)
        lines.append(capsys.readouterr().out.splitlines())
    ours, theirs = lines
    assert len(ours) == len(theirs) > 5
    for a, b in zip(ours, theirs, strict=True):
        # The same words and step numbers; the inertias to float rounding.
        words_a, words_b = a.split(), b.split()
        assert len(words_a) == len(words_b)
        for u, v in zip(words_a, words_b, strict=True):
            try:
                assert float(u.rstrip(",")) == pytest.approx(float(v.rstrip(",")))
            except ValueError:
                assert u == v
