"""From the same initial centers, kmeansx's Lloyd equals scikit-learn's, iteration by
iteration, and equals the plain-NumPy Lloyd of ``tests/reference.py``.

How "every iteration" is compared: a run capped at ``max_iter=t`` that has not
converged ends with a final E-step, so its ``labels_`` are the assignment to the
centers after t updates, i.e. the labels of iteration t + 1 of the uncapped run,
and its ``inertia_`` is that assignment's inertia. Capping both libraries at every
t = 1 .. n_iter therefore compares the labels, centers and inertia of every
iteration. kmeansx's ``history_`` of the uncapped run must tell the same story:
``history_.centers[t]`` is the capped run's centers and ``history_.inertia[t]`` its
inertia. Runs use ``tol=0`` there so that only strict convergence or the cap stops
them; a separate test uses the default ``tol``.

Every exact algorithm of kmeansx, as the registry lists them (``ALGORITHMS``: Lloyd,
Elkan, Hamerly, Yinyang), must match scikit-learn's Lloyd; one added to the registry
is tested here too. On sparse input each of them runs Lloyd's kernels.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import load_iris, load_wine, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import reference as ref
from conftest import start
from kmeansx import KMeans
from kmeansx._algorithms.registry import ALGORITHMS, run

RTOL = {np.float64: 1e-9, np.float32: 1e-5}


def _blobs(rng):
    X, _ = make_blobs(300, n_features=2, centers=4, cluster_std=1.5, random_state=0)
    return X, 4


def _uniform(rng):
    return rng.uniform(size=(200, 3)), 4


def _anisotropic(rng):
    X, _ = make_blobs(300, n_features=2, centers=3, random_state=1)
    return X @ np.array([[0.6, -0.6], [-0.4, 0.8]]), 3


def _wine(rng):
    return StandardScaler().fit_transform(load_wine().data), 3


def _iris(rng):
    return load_iris().data, 3


def _many_features(rng):
    # 20 features: the dense E-step's GEMM path (if it has several).
    X, _ = make_blobs(300, n_features=20, centers=6, cluster_std=4.0, random_state=2)
    return X, 6


DATASETS = {
    "blobs": _blobs,
    "uniform": _uniform,
    "anisotropic": _anisotropic,
    "wine-standardized": _wine,
    "iris": _iris,
    "20-features": _many_features,
}


def make_problem(name, dtype, fmt, weighted, seed=0):
    """Data, weights (or None) and initial centers, all seeded per case."""
    rng = np.random.default_rng(seed)
    X, k = DATASETS[name](rng)
    if fmt == "csr":
        X = X * (rng.uniform(size=X.shape) < 0.6)  # real sparsity
    X = X.astype(dtype)
    w = rng.uniform(0.5, 2.0, size=X.shape[0]) if weighted else None
    init = start(X, k, rng)
    return (sp.csr_matrix(X) if fmt == "csr" else X), w, init


def fit_both(X, w, init, algorithm="lloyd", **params):
    k = init.shape[0]
    params = {"n_init": 1, **params}
    ours = KMeans(k, init=init, algorithm=algorithm, **params)
    ours.fit(X, sample_weight=w)
    theirs = SKKMeans(k, init=init, algorithm="lloyd", **params)
    theirs.fit(X, sample_weight=w)
    return ours, theirs


@functools.cache
def sklearn_capped_runs(name, fmt, weighted):
    """scikit-learn's Lloyd capped at every t up to convergence (shared by the
    parametrizations over kmeansx's algorithms: they all compare to these)."""
    X, w, init = make_problem(name, np.float64, fmt, weighted)
    k = init.shape[0]
    runs = [None]
    while runs[-1] is None or runs[-1].n_iter_ == len(runs) - 1:
        t = len(runs)
        runs.append(SKKMeans(k, init=init, n_init=1, tol=0, max_iter=t).fit(X, None, w))
    # The last run stopped before its cap t = n_iter + 1: it repeats the run
    # capped at n_iter, which converged strictly at its cap.
    return runs[1:-1]


def assert_same_run(ours, theirs, dtype, labels=True):
    if labels:
        assert ours.n_iter_ == theirs.n_iter_
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=RTOL[dtype])
    scale = np.abs(theirs.cluster_centers_).max()
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=0, atol=RTOL[dtype] * scale
    )
    assert ours.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("name", list(DATASETS))
def test_every_iteration_matches_sklearn_float64(name, fmt, weighted, algorithm):
    X, w, init = make_problem(name, np.float64, fmt, weighted)
    sk_runs = sklearn_capped_runs(name, fmt, weighted)
    k = init.shape[0]
    full = KMeans(k, init=init, n_init=1, tol=0, algorithm=algorithm)
    full.set_params(record_history=True).fit(X, sample_weight=w)
    hist = full.history_
    # sk_runs[t - 1] is capped at t; the last one converged strictly at its cap.
    assert_same_run(full, sk_runs[-1], np.float64)
    assert len(hist) == full.n_iter_ == len(sk_runs)
    for t, theirs in enumerate(sk_runs, start=1):
        ours = KMeans(k, init=init, n_init=1, tol=0, max_iter=t, algorithm=algorithm)
        ours.fit(X, sample_weight=w)
        assert_same_run(ours, theirs, np.float64)
        scale = np.abs(theirs.cluster_centers_).max()
        np.testing.assert_allclose(
            hist.centers[t], theirs.cluster_centers_, rtol=0, atol=1e-9 * scale
        )
        if t < full.n_iter_:
            np.testing.assert_allclose(hist.inertia[t], theirs.inertia_, rtol=1e-9)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("name", list(DATASETS))
def test_float32_matches_sklearn(name, fmt, weighted, algorithm):
    # scikit-learn sums float32 data in float32, kmeansx in float64, so the runs
    # may part on a near-tie (iris, with its one-decimal values, has exact ties):
    # the final inertia and centers are compared, to 1e-5, and the iteration count
    # to kmeansx's own float64 run, which float64 sums follow.
    X, w, init = make_problem(name, np.float32, fmt, weighted)
    ours, theirs = fit_both(X, w, init, algorithm, tol=0)
    assert_same_run(ours, theirs, np.float32, labels=False)
    X64, w64, init64 = make_problem(name, np.float64, fmt, weighted)
    ours64 = KMeans(init.shape[0], init=init64, n_init=1, tol=0, algorithm=algorithm)
    assert ours.n_iter_ == ours64.fit(X64, sample_weight=w64).n_iter_
    assert ours.transform(X[:5]).dtype == np.float32


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("name", ["blobs", "wine-standardized", "20-features"])
def test_default_tol_matches_sklearn(name, fmt, dtype, algorithm):
    X, w, init = make_problem(name, dtype, fmt, True, seed=1)
    ours, theirs = fit_both(X, w, init, algorithm)
    assert_same_run(ours, theirs, dtype, labels=dtype == np.float64)


def _relocation_problem(fmt):
    """Inits that leave clusters empty at the first assignment."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    far = np.vstack([X[:3], [[50.0, 50.0]], X[[3]]])  # nobody is near center 3
    duplicated = np.vstack([X[:3], X[:2]])  # ties go to 0 and 1: 3 and 4 are empty
    return (sp.csr_matrix(X) if fmt == "csr" else X), far, duplicated


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_empty_clusters_relocate_as_sklearn(fmt, weighted, algorithm):
    X, far, duplicated = _relocation_problem(fmt)
    w = np.random.default_rng(4).uniform(0.5, 2, X.shape[0]) if weighted else None
    for init in (far, duplicated):
        for max_iter in (1, 2, 300):
            ours, theirs = fit_both(X, w, init, algorithm, tol=0, max_iter=max_iter)
            assert_same_run(ours, theirs, np.float64)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_fewer_distinct_points_than_clusters_as_sklearn(fmt):
    # Every point sits on a center after one step: nothing to relocate, and the
    # empty cluster sits on the heaviest cluster's center.
    rng = np.random.default_rng(5)
    X = np.repeat(rng.normal(size=(3, 2)), 5, axis=0)
    init = X[[0, 5, 10, 0]]
    Xf = sp.csr_matrix(X) if fmt == "csr" else X
    with pytest.warns(ConvergenceWarning, match="Number of distinct clusters"):
        ours = KMeans(4, init=init, n_init=1).fit(Xf)
    with pytest.warns(ConvergenceWarning, match="Number of distinct clusters"):
        theirs = SKKMeans(4, init=init, n_init=1).fit(Xf)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_)
    assert ours.inertia_ == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(ours.cluster_centers_).all()


def test_an_empty_cluster_before_the_heaviest_sits_on_its_mean():
    # scikit-learn 1.9 gives such a cluster the heaviest cluster's weighted *sum*
    # (its averaging loop has not reached the heaviest cluster yet); kmeansx and
    # the reference put it on the heaviest cluster's mean, as scikit-learn's own
    # comment intends. Here cluster 1 is empty and cluster 3 is the heaviest.
    X = np.repeat(np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]]), [5, 5, 7], axis=0)
    init = X[[0, 0, 5, 10]]
    with pytest.warns(ConvergenceWarning):
        km = KMeans(4, init=init, n_init=1, tol=0).fit(X)
    want = ref.lloyd(X, np.ones(len(X)), init)
    np.testing.assert_allclose(km.cluster_centers_, want.centers, atol=1e-12)
    np.testing.assert_allclose(km.cluster_centers_[1], [3.0, 3.0], atol=1e-12)
    assert km.n_iter_ == want.n_iter


@pytest.mark.parametrize("tol", [0.0, 1e-4])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("name", ["blobs", "uniform", "anisotropic", "20-features"])
def test_lloyd_driver_matches_reference(name, fmt, weighted, tol):
    """The driver on X as given (no centering) against the NumPy Lloyd.

    Continuous data only: on data with exact ties (iris's one-decimal values) the
    oracle's differences and the kernels' norm expansion may round a tie apart.
    """
    X, w, init = make_problem(name, np.float64, fmt, weighted, seed=2)
    w = np.ones(X.shape[0]) if w is None else w
    tol_abs = ref.tolerance(X, tol)
    got = run("lloyd", X, w, init, max_iter=300, tol=tol_abs, record_history=True)
    want = ref.lloyd(X, w, init, max_iter=300, tol=tol_abs)
    assert got.n_iter == want.n_iter
    np.testing.assert_array_equal(got.labels, want.labels)
    np.testing.assert_allclose(got.inertia, want.inertia, rtol=1e-9)
    np.testing.assert_allclose(got.centers, want.centers, rtol=1e-9, atol=1e-12)
    hist = got.history
    np.testing.assert_allclose(hist.centers, np.stack(want.history_centers), atol=1e-9)
    np.testing.assert_allclose(hist.inertia, want.history_inertia, rtol=1e-9)
    np.testing.assert_array_equal(hist.n_changed, want.history_n_changed)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_estimator_matches_reference(fmt, algorithm):
    X, w, init = make_problem("anisotropic", np.float64, fmt, True, seed=3)
    km = KMeans(3, init=init, n_init=1, tol=0, algorithm=algorithm).fit(X, None, w)
    want = ref.lloyd(X, w, init)
    assert km.n_iter_ == want.n_iter
    np.testing.assert_array_equal(km.labels_, want.labels)
    np.testing.assert_allclose(km.inertia_, want.inertia, rtol=1e-9)
    np.testing.assert_allclose(km.cluster_centers_, want.centers, atol=1e-9)
