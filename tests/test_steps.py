"""The lesson's steps (``kmeansx.steps``) on arrays and DataFrames, and the lesson's
loop built from them against ``KMeans``."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

import kmeansx
import reference as ref
from kmeansx import KMeans, steps


def lesson_loop(X, centers, max_iter=100, sample_weight=None):
    """The lesson's loop: assign, update, stop when the centers stop moving."""
    for i in range(max_iter):
        labels = steps.assign(X, centers)
        new = steps.update(X, labels, centers, sample_weight=sample_weight)
        if np.array_equal(new, centers):
            return new, labels, i + 1
        centers = new
    return centers, steps.assign(X, centers), max_iter


def _problems():
    X, _ = make_blobs(250, n_features=2, centers=4, cluster_std=2.5, random_state=3)
    yield "blobs", X, 4
    rng = np.random.default_rng(0)
    yield "uniform", rng.uniform(size=(200, 3)), 5


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("problem", list(_problems()), ids=lambda p: p[0])
def test_lesson_loop_equals_kmeans(problem, weighted):
    _, X, k = problem
    rng = np.random.default_rng(1)
    w = rng.uniform(0.5, 2.0, len(X)) if weighted else None
    init = steps.random_centers(X, k, random_state=0)
    centers, labels, n_iter = lesson_loop(X, init, sample_weight=w)
    km = KMeans(k, init=init, n_init=1, tol=0).fit(X, sample_weight=w)
    assert n_iter == km.n_iter_
    np.testing.assert_array_equal(labels, km.labels_)
    np.testing.assert_allclose(centers, km.cluster_centers_, rtol=1e-12, atol=1e-12)
    got = steps.inertia(X, centers, labels, sample_weight=w)
    assert got == pytest.approx(km.inertia_, rel=1e-10)
    assert steps.inertia(X, centers, sample_weight=w) == pytest.approx(got, rel=1e-12)


def test_lesson_loop_on_a_dataframe():
    X, _ = make_blobs(120, n_features=2, centers=3, random_state=5)
    df = pd.DataFrame(X, columns=["Annual Income", "Spending Score"])
    init = steps.random_centers(df, 3, random_state=1)
    centers, labels, n_iter = lesson_loop(df, init)
    assert isinstance(labels, pd.Series) and labels.index.equals(df.index)
    km = KMeans(3, init=init, n_init=1, tol=0).fit(df)
    np.testing.assert_array_equal(labels.to_numpy(), km.labels_)
    assert n_iter == km.n_iter_


def test_standardize_matches_standard_scaler():
    rng = np.random.default_rng(2)
    X = rng.normal(loc=[10.0, -3.0, 5.0], scale=[100.0, 0.01, 1.0], size=(50, 3))
    X[:, 2] = 7.0  # a constant column: centered, not scaled
    Z, mean, scale = steps.standardize(X)
    sc = StandardScaler().fit(X)
    np.testing.assert_allclose(Z, sc.transform(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mean, sc.mean_, rtol=1e-12)
    np.testing.assert_allclose(scale, sc.scale_, rtol=1e-12)
    np.testing.assert_allclose(Z * scale + mean, X, rtol=1e-12)

    df = pd.DataFrame(X, columns=["a", "b", "c"], index=range(100, 150))
    Zdf = steps.standardize(df).data
    assert isinstance(Zdf, pd.DataFrame)
    assert list(Zdf.columns) == ["a", "b", "c"] and Zdf.index.equals(df.index)
    np.testing.assert_allclose(Zdf.to_numpy(), Z)


def test_random_centers_are_distinct_rows():
    X = np.arange(40.0).reshape(20, 2)
    for data in (X, pd.DataFrame(X, columns=["x", "y"])):
        c = steps.random_centers(data, 5, random_state=3)
        assert c.shape == (5, 2)
        rows = {tuple(r) for r in X}
        assert all(tuple(r) in rows for r in c)
        assert len({tuple(r) for r in c}) == 5
    np.testing.assert_array_equal(
        steps.random_centers(X, 5, random_state=3),
        steps.random_centers(X, 5, random_state=3),
    )


def test_distances_assign_inertia_on_arrays_and_frames():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 2))
    centers = X[[0, 10, 20]] + 0.1
    df = pd.DataFrame(X, columns=["income", "score"], index=range(1, 61))
    want = np.sqrt(ref.sq_distances(X, centers))
    np.testing.assert_allclose(steps.distances(X, centers), want, rtol=1e-12)
    dist_df = steps.distances(df, centers)
    assert isinstance(dist_df, pd.DataFrame) and dist_df.index.equals(df.index)
    np.testing.assert_allclose(dist_df.to_numpy(), want, rtol=1e-12)

    labels, _ = ref.nearest(X, centers)
    np.testing.assert_array_equal(steps.assign(X, centers), labels)
    series = steps.assign(df, centers)
    assert series.name == "cluster" and series.index.equals(df.index)
    np.testing.assert_array_equal(series.to_numpy(), labels)
    assert np.issubdtype(series.dtype, np.integer)

    w = rng.uniform(0.5, 2.0, 60)
    want_inertia = float(ref.sq_distance_to_label(X, centers, labels) @ w)
    assert steps.inertia(X, centers, labels, sample_weight=w) == pytest.approx(
        want_inertia, rel=1e-12
    )
    assert steps.inertia(df, centers, series) == pytest.approx(
        float(ref.sq_distance_to_label(X, centers, labels).sum()), rel=1e-12
    )


def test_update_is_the_weighted_mean():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(80, 3))
    labels = rng.integers(0, 4, 80)
    labels[:4] = np.arange(4)  # every cluster has a point
    w = rng.uniform(0.1, 3.0, 80)
    centers = X[:4]
    got = steps.update(X, labels, centers, sample_weight=w)
    for j in range(4):
        np.testing.assert_allclose(
            got[j], np.average(X[labels == j], axis=0, weights=w[labels == j])
        )
    got_df = steps.update(pd.DataFrame(X), pd.Series(labels), centers)
    np.testing.assert_allclose(got_df[1], X[labels == 1].mean(axis=0))


def test_update_keeps_an_empty_cluster():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(50, 2))
    centers = np.vstack([X[:2], [[40.0, 40.0]]])
    labels = steps.assign(X, centers)
    assert not (labels == 2).any()  # the lesson's groupby would drop cluster 2
    new = steps.update(X, labels, centers)
    assert new.shape == (3, 2) and np.isfinite(new).all()
    # It moved onto the point farthest from its center, which left its cluster.
    d = ref.sq_distance_to_label(X, centers, labels)
    far = int(np.argmax(d))
    np.testing.assert_array_equal(new[2], X[far])
    old = labels[far]
    rest = (labels == old) & (np.arange(50) != far)
    np.testing.assert_allclose(new[old], X[rest].mean(axis=0))
    sums = np.stack([X[labels == j].sum(0) for j in range(3)])
    weights = np.bincount(labels, minlength=3).astype(float)
    ref.relocate_empty_clusters(X, np.ones(50), centers, labels, sums, weights)
    np.testing.assert_allclose(new, ref.average_centers(sums, weights))


def test_kmeans_plusplus_mirrors_sklearn_signature():
    ours = inspect.signature(kmeansx.kmeans_plusplus)
    theirs = inspect.signature(sk_kmeans_plusplus)
    assert list(ours.parameters) == list(theirs.parameters)
    for name, p in theirs.parameters.items():
        assert ours.parameters[name].kind == p.kind, name
        assert ours.parameters[name].default == p.default, name
    assert kmeansx.kmeans_plusplus is steps.kmeans_plusplus


@pytest.mark.parametrize("fmt", ["dense", "csr", "dataframe"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("seed", [0, 1, 42])
def test_kmeans_plusplus_picks_sklearns_rows(fmt, weighted, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4))
    if fmt == "csr":
        X[X < 0.3] = 0.0
    w = rng.uniform(0.1, 2.0, 300) if weighted else None
    data = {
        "dense": X,
        "csr": sp.csr_matrix(X),
        "dataframe": pd.DataFrame(X, columns=list("abcd")),
    }[fmt]
    centers, indices = kmeansx.kmeans_plusplus(
        data, 7, sample_weight=w, random_state=seed
    )
    sk_centers, sk_indices = sk_kmeans_plusplus(
        sp.csr_matrix(X) if fmt == "csr" else X, 7, sample_weight=w, random_state=seed
    )
    np.testing.assert_array_equal(indices, sk_indices)
    np.testing.assert_array_equal(centers, sk_centers)
    assert centers.shape == (7, 4) and indices.shape == (7,)


def test_kmeans_plusplus_options():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    norms = (X.astype(np.float64) ** 2).sum(1)
    centers, idx = kmeansx.kmeans_plusplus(
        X, 5, x_squared_norms=norms, random_state=2, n_local_trials=1
    )
    sk_centers, sk_idx = sk_kmeans_plusplus(
        X, 5, x_squared_norms=norms, random_state=2, n_local_trials=1
    )
    assert centers.dtype == np.float32 == sk_centers.dtype
    np.testing.assert_array_equal(idx, sk_idx)
    # With one trial per center it is plain k-means++ (no greedy choice): the
    # reference draws the same rows from the same RandomState stream.
    _, want = ref.kmeans_plusplus(
        X, 5, np.ones(200), np.random.RandomState(2), n_local_trials=1
    )
    np.testing.assert_array_equal(idx, want)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", None])
def test_init_functions_name_a_bad_n_clusters(bad):
    X = np.arange(10.0).reshape(5, 2)
    for fn in (steps.random_centers, steps.kmeans_plusplus):
        with pytest.raises(ValueError, match="'n_clusters' parameter .* must be"):
            fn(X, bad)


@pytest.mark.parametrize("bad", [0, -2, 1.5])
def test_kmeans_plusplus_names_a_bad_n_local_trials(bad):
    X = np.arange(10.0).reshape(5, 2)
    with pytest.raises(ValueError, match="'n_local_trials' parameter"):
        steps.kmeans_plusplus(X, 2, n_local_trials=bad)


def test_kmeans_plusplus_refuses_norms_of_the_wrong_shape():
    X = np.arange(10.0).reshape(5, 2)
    with pytest.raises(ValueError, match="x_squared_norms must hold the 5 rows"):
        steps.kmeans_plusplus(X, 2, x_squared_norms=np.ones(3))


@pytest.mark.parametrize("labels", [[0, 0, 2], [0, -1, 1], [0.5, 0, 1], ["a", 0, 1]])
def test_inertia_and_update_refuse_labels_outside_the_centers(labels):
    X = np.array([[0.0], [1.0], [5.0]])
    centers = np.array([[0.0], [5.0]])
    for call in (
        lambda: steps.inertia(X, centers, labels),
        lambda: steps.update(X, labels, centers),
    ):
        with pytest.raises(ValueError, match=r"labels must be integers in 0\.\.1"):
            call()
