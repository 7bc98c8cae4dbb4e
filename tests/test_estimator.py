"""``kmeansx.KMeans`` as a drop-in for ``sklearn.cluster.KMeans``: the estimator
checks, the parameters, the fitted attributes, the methods, the warnings and the
verbose output, and ``history_``."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from kmeansx import KMeans, KMeansHistory


def _expected_failed_checks(estimator):
    return {
        # Fitting with integer weights is not the same as fitting with repeated
        # rows, for kmeansx as for scikit-learn's own KMeans (which lists the same
        # two checks as expected failures): the weighted k-means++ draws its
        # candidates with the random state from n rows, the repeated data from
        # sum(w) rows, so the two fits start from different centers and may end in
        # different local optima. Lloyd's iterations themselves are
        # weight-equivalent; tests/test_lloyd_parity.py checks them from the same
        # start.
        "check_sample_weight_equivalence_on_dense_data": (
            "initial draws differ between weighted and repeated rows"
        ),
        "check_sample_weight_equivalence_on_sparse_data": (
            "initial draws differ between weighted and repeated rows"
        ),
    }


# The parameters scikit-learn's own test suite gives its KMeans for these checks:
# the default 8 clusters on the checks' tiny data sets would warn about fewer
# distinct clusters, and warnings are errors here.
@parametrize_with_checks(
    [
        KMeans(n_clusters=2, n_init=2, max_iter=5),
        KMeans(n_clusters=2, n_init=2, max_iter=5, algorithm="elkan"),
        KMeans(n_clusters=2, init="random", record_history=True),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    # Some checks set n_clusters=1: with algorithm="elkan" that warns, as
    # scikit-learn's own KMeans does (tested below), and is no failure.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "algorithm='elkan' doesn't make sense", RuntimeWarning
        )
        check(estimator)


@pytest.fixture
def blobs():
    X, _ = make_blobs(300, n_features=3, centers=4, cluster_std=1.2, random_state=0)
    return X


# -- parameters ---------------------------------------------------------------------


def test_parameters_and_defaults_equal_sklearn():
    ours, theirs = KMeans().get_params(), SKKMeans().get_params()
    # record_history and refine are ours alone; "elkan" is accepted as in
    # scikit-learn (it is exact, so results equal Lloyd's).
    assert set(ours) - set(theirs) == {"record_history", "refine"}
    assert set(theirs) <= set(ours)
    # algorithm defaults to "auto" (an exact choice among lloyd/hamerly/yinyang).
    assert {k: ours[k] for k in theirs if k != "algorithm"} == {
        k: v for k, v in theirs.items() if k != "algorithm"
    }
    assert ours["algorithm"] == "auto"
    assert ours["record_history"] is False
    assert ours["refine"] is None
    assert KMeans(algorithm="elkan").get_params()["algorithm"] == "elkan"


def test_set_params_clone_and_repr():
    km = KMeans(3, random_state=0).set_params(n_init=4, tol=0.0)
    twin = clone(km)
    assert twin is not km and twin.get_params() == km.get_params()
    assert "n_init=4" in repr(km)
    assert not hasattr(twin, "cluster_centers_")


# -- fitted attributes and methods ---------------------------------------------------


def test_fitted_attributes(blobs):
    km = KMeans(4, random_state=0).fit(blobs)
    sk = SKKMeans(4, random_state=0).fit(blobs)
    assert km.cluster_centers_.shape == (4, 3) and km.cluster_centers_.dtype == float
    assert km.labels_.shape == (300,) and km.labels_.dtype == sk.labels_.dtype
    assert isinstance(km.inertia_, float) and km.inertia_ > 0
    assert isinstance(km.n_iter_, int) and km.n_iter_ >= 1
    assert km.n_features_in_ == 3
    assert not hasattr(km, "feature_names_in_")
    assert not hasattr(km, "history_")
    assert list(km.get_feature_names_out()) == list(sk.get_feature_names_out())


def test_methods_agree_with_sklearn(blobs):
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(blobs))
    init = blobs[[0, 100, 200, 299]]
    km = KMeans(4, init=init, n_init=1).fit(blobs, sample_weight=w)
    sk = SKKMeans(4, init=init, n_init=1).fit(blobs, sample_weight=w)
    new = blobs[:50] + 0.3
    np.testing.assert_array_equal(km.predict(new), sk.predict(new))
    np.testing.assert_array_equal(km.predict(blobs), km.labels_)
    np.testing.assert_allclose(km.transform(new), sk.transform(new), rtol=1e-10)
    assert km.score(new) == pytest.approx(sk.score(new), rel=1e-10)
    assert km.score(new, sample_weight=w[:50]) == pytest.approx(
        sk.score(new, sample_weight=w[:50]), rel=1e-10
    )
    assert km.score(blobs, sample_weight=w) == pytest.approx(-km.inertia_, rel=1e-10)
    # predict takes sample_weight and ignores it, as scikit-learn does.
    np.testing.assert_array_equal(
        km.predict(new, sample_weight=w[:50]), sk.predict(new)
    )

    fresh = KMeans(4, init=init, n_init=1)
    np.testing.assert_array_equal(fresh.fit_predict(blobs, sample_weight=w), km.labels_)
    np.testing.assert_allclose(
        KMeans(4, init=init, n_init=1).fit_transform(blobs, sample_weight=w),
        km.transform(blobs),
    )


def test_sparse_input_gives_the_dense_result(blobs):
    X = blobs.copy()
    X[np.abs(X) < 1.0] = 0.0
    init = X[[0, 100, 200, 299]]
    dense = KMeans(4, init=init, n_init=1).fit(X)
    csr = KMeans(4, init=init, n_init=1).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(csr.labels_, dense.labels_)
    np.testing.assert_allclose(csr.cluster_centers_, dense.cluster_centers_)
    np.testing.assert_allclose(csr.inertia_, dense.inertia_, rtol=1e-9)
    np.testing.assert_allclose(
        csr.transform(sp.csr_matrix(X[:20])), dense.transform(X[:20]), atol=1e-7
    )


def test_works_in_pipeline_and_grid_search(blobs):
    pipe = Pipeline([("scale", StandardScaler()), ("km", KMeans(4, random_state=0))])
    labels = pipe.fit_predict(blobs)
    np.testing.assert_array_equal(labels, pipe.named_steps["km"].labels_)
    assert pipe.transform(blobs).shape == (300, 4)
    assert pipe.score(blobs) == pytest.approx(-pipe.named_steps["km"].inertia_)

    grid = {"n_clusters": [2, 3, 4, 5]}
    ours = GridSearchCV(KMeans(random_state=0), grid, cv=3).fit(blobs)
    theirs = GridSearchCV(SKKMeans(random_state=0), grid, cv=3).fit(blobs)
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"],
        theirs.cv_results_["mean_test_score"],
        rtol=1e-9,
    )


# -- dtypes and input types ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_float32_is_kept_end_to_end(blobs, fmt):
    X = blobs.astype(np.float32)
    Xf = sp.csr_matrix(X) if fmt == "csr" else X
    km = KMeans(4, random_state=0, record_history=True).fit(Xf)
    assert km.cluster_centers_.dtype == np.float32
    assert km.transform(Xf).dtype == np.float32
    assert km.fit_transform(Xf).dtype == np.float32
    assert km.history_.centers.dtype == np.float32
    assert km.predict(Xf).dtype == km.labels_.dtype
    sk = SKKMeans(4, random_state=0).fit(Xf)
    assert km.inertia_ == pytest.approx(sk.inertia_, rel=1e-5)


def test_integer_input_is_converted(blobs):
    X = np.round(blobs * 10).astype(np.int64)
    km = KMeans(4, random_state=0).fit(X)
    ref = KMeans(4, random_state=0).fit(X.astype(np.float64))
    assert km.cluster_centers_.dtype == np.float64
    np.testing.assert_array_equal(km.labels_, ref.labels_)
    np.testing.assert_array_equal(km.predict(X[:10]), ref.predict(X[:10].astype(float)))


def test_dataframe_feature_names_are_kept(blobs):
    df = pd.DataFrame(blobs, columns=["income", "score", "age"])
    km = KMeans(4, random_state=0).fit(df)
    np.testing.assert_array_equal(km.feature_names_in_, ["income", "score", "age"])
    np.testing.assert_array_equal(km.predict(df), km.labels_)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        km.predict(blobs)
    with pytest.raises(ValueError, match="feature names should match"):
        km.predict(df.rename(columns={"age": "height"}))


# -- n_init and init -------------------------------------------------------------------


def _count_inits(capsys, km, X):
    km.set_params(verbose=1).fit(X)
    return capsys.readouterr().out.count("Initialization complete")


def test_n_init_auto_as_sklearn(blobs, capsys):
    def first_rows(X, n_clusters, random_state):
        return X[:n_clusters].copy()

    cases = ["k-means++", "random", first_rows, blobs[:4]]
    for init in cases:
        ours = _count_inits(capsys, KMeans(4, init=init, random_state=0), blobs)
        theirs = _count_inits(capsys, SKKMeans(4, init=init, random_state=0), blobs)
        assert ours == theirs, init
    assert _count_inits(capsys, KMeans(4, n_init=3, random_state=0), blobs) == 3


def test_callable_init_receives_the_data_and_random_state(blobs):
    seen = []

    def init(X, n_clusters, random_state):
        seen.append((X.shape, n_clusters, type(random_state)))
        return X[:n_clusters].copy()

    KMeans(4, init=init, n_init=1, random_state=0).fit(blobs)
    assert seen == [((300, 3), 4, np.random.RandomState)]


def test_explicit_init_with_n_init_warns_like_sklearn(blobs):
    init = blobs[:4]
    with pytest.warns(RuntimeWarning) as ours:
        km = KMeans(4, init=init, n_init=5).fit(blobs)
    with pytest.warns(RuntimeWarning) as theirs:
        SKKMeans(4, init=init, n_init=5).fit(blobs)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    one = KMeans(4, init=init, n_init=1).fit(blobs)
    np.testing.assert_array_equal(km.labels_, one.labels_)


def test_fewer_distinct_points_warns_like_sklearn():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 4, axis=0)
    with pytest.warns(ConvergenceWarning) as ours:
        km = KMeans(4, random_state=0).fit(X)
    with pytest.warns(ConvergenceWarning) as theirs:
        SKKMeans(4, random_state=0).fit(X)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert np.unique(km.labels_).shape[0] == 3
    assert np.isfinite(km.cluster_centers_).all()


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_same_random_state_same_result_as_sklearn(blobs, init, seed):
    X = blobs + np.random.default_rng(seed).normal(scale=0.5, size=blobs.shape)
    km = KMeans(5, init=init, n_init=3, random_state=seed).fit(X)
    sk = SKKMeans(5, init=init, n_init=3, random_state=seed).fit(X)
    np.testing.assert_array_equal(km.labels_, sk.labels_)
    assert km.n_iter_ == sk.n_iter_
    np.testing.assert_allclose(km.cluster_centers_, sk.cluster_centers_, atol=1e-10)
    assert km.inertia_ == pytest.approx(sk.inertia_, rel=1e-9)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_same_random_state_same_kmeans_plusplus_start_as_sklearn(blobs, fmt):
    # KMeans centers dense data before drawing; the start, shifted back, is
    # scikit-learn's kmeans_plusplus on the centered data with the same seed.
    X = blobs if fmt == "dense" else sp.csr_matrix(np.maximum(blobs, 0))
    km = KMeans(6, random_state=3, record_history=True).fit(X)
    mean = blobs.mean(axis=0) if fmt == "dense" else 0.0
    X_centered = blobs - mean if fmt == "dense" else X
    start, _ = sk_kmeans_plusplus(X_centered, 6, random_state=3)
    np.testing.assert_allclose(km.history_.centers[0], start + mean, atol=1e-12)


# -- verbose ---------------------------------------------------------------------------

NUMBER = re.compile(r"-?\d+\.?\d*(?:e-?\d+)?")


def _verbose_lines(capsys, est, X):
    est.fit(X)
    lines = capsys.readouterr().out.splitlines()
    return [NUMBER.sub("#", s) for s in lines], [
        [float(v) for v in NUMBER.findall(s)] for s in lines
    ]


@pytest.mark.parametrize("tol", [0.0, 1e-2])
def test_verbose_output_matches_sklearn(capsys, tol):
    X = np.random.default_rng(0).uniform(size=(300, 2))
    params = dict(n_clusters=8, random_state=0, verbose=1, tol=tol, n_init=2)
    ours_text, ours_nums = _verbose_lines(capsys, KMeans(**params), X)
    sk_text, sk_nums = _verbose_lines(capsys, SKKMeans(**params), X)
    assert ours_text == sk_text
    assert any("within tolerance" in s for s in ours_text) == (tol > 0)
    for mine, theirs in zip(ours_nums, sk_nums, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9)


# -- history_ --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_history(blobs, fmt):
    X = sp.csr_matrix(blobs) if fmt == "csr" else blobs
    km = KMeans(4, init=blobs[[0, 1, 2, 3]], n_init=1, tol=0, record_history=True)
    km.fit(X)
    hist = km.history_
    assert isinstance(hist, KMeansHistory)
    n_iter = km.n_iter_
    assert len(hist) == n_iter
    assert hist.centers.shape == (n_iter + 1, 4, 3)
    assert hist.inertia.shape == hist.n_changed.shape == (n_iter,)
    np.testing.assert_allclose(hist.centers[0], blobs[[0, 1, 2, 3]], atol=1e-12)
    np.testing.assert_array_equal(hist.centers[-1], km.cluster_centers_)
    assert hist.n_changed[0] == blobs.shape[0]
    assert hist.n_changed[-1] == 0  # tol=0: it stopped on strict convergence
    assert (hist.n_changed[:-1] > 0).all()
    # Strict convergence: the last assignment is the final one.
    assert hist.inertia[-1] == pytest.approx(km.inertia_, rel=1e-12)
    frame = hist.to_frame()
    assert list(frame.columns) == ["iteration", "inertia", "n_changed"]
    assert frame["iteration"].tolist() == list(range(1, n_iter + 1))
    np.testing.assert_array_equal(frame["n_changed"], hist.n_changed)


def test_history_keeps_the_best_run(blobs):
    km = KMeans(4, init="random", n_init=4, random_state=0, record_history=True)
    km.fit(blobs)
    assert len(km.history_) == km.n_iter_
    np.testing.assert_array_equal(km.history_.centers[-1], km.cluster_centers_)


def test_copy_x_false_leaves_the_data_untouched(blobs):
    X = blobs.copy()
    km = KMeans(4, random_state=0, copy_x=False).fit(X)
    np.testing.assert_array_equal(X, blobs)
    ref = KMeans(4, random_state=0).fit(blobs)
    np.testing.assert_array_equal(km.labels_, ref.labels_)


def test_elkan_with_one_cluster_warns_and_runs_lloyd_like_sklearn(blobs):
    X = blobs
    msg = "algorithm='elkan' doesn't make sense for a single cluster"
    with pytest.warns(RuntimeWarning, match=msg):
        ours = KMeans(n_clusters=1, algorithm="elkan", random_state=0).fit(X)
    with pytest.warns(RuntimeWarning, match=msg):
        theirs = SKKMeans(n_clusters=1, algorithm="elkan", random_state=0).fit(X)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_)
    assert ours.n_iter_ == theirs.n_iter_
