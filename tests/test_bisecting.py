"""``BisectingKMeans`` against scikit-learn's, and its tree at every k."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import BisectingKMeans as SKBisectingKMeans
from sklearn.datasets import make_blobs
from sklearn.utils.estimator_checks import parametrize_with_checks

from kmeansx import BisectingKMeans


def _expected_failed_checks(estimator):
    # The same two checks scikit-learn lists for its own BisectingKMeans: the
    # initial draws differ between weighted and repeated rows.
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "sample_weight is not equivalent to removing/repeating samples."
        ),
        "check_sample_weight_equivalence_on_sparse_data": (
            "sample_weight is not equivalent to removing/repeating samples."
        ),
    }


# The parameters scikit-learn's test suite gives its BisectingKMeans.
@parametrize_with_checks(
    [
        BisectingKMeans(n_clusters=2, n_init=2, max_iter=5),
        BisectingKMeans(n_clusters=2, bisecting_strategy="largest_cluster"),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _blobs(seed, n=600, k=6, std=0.4):
    X, _ = make_blobs(n, centers=k, cluster_std=std, random_state=seed)
    return X


@pytest.mark.parametrize("strategy", ["biggest_inertia", "largest_cluster"])
@pytest.mark.parametrize("init", ["random", "k-means++"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_tree_as_sklearn_on_separated_blobs(strategy, init, seed):
    X = _blobs(seed)
    params = dict(random_state=seed, bisecting_strategy=strategy, init=init, n_init=2)
    ours = BisectingKMeans(6, **params).fit(X)
    theirs = SKBisectingKMeans(6, **params).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, atol=1e-9
    )
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-10)
    Y = _blobs(seed + 10)
    np.testing.assert_array_equal(ours.predict(Y), theirs.predict(Y))
    np.testing.assert_allclose(ours.score(Y), theirs.score(Y), rtol=1e-10)
    np.testing.assert_allclose(ours.transform(Y), theirs.transform(Y), atol=1e-9)


def test_weighted_float32_and_sparse_match_sklearn():
    X = _blobs(3).astype(np.float32)
    w = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    for data in (X, sp.csr_matrix(X)):
        ours = BisectingKMeans(5, random_state=0).fit(data, sample_weight=w)
        theirs = SKBisectingKMeans(5, random_state=0).fit(data, sample_weight=w)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        assert ours.cluster_centers_.dtype == np.float32
        np.testing.assert_allclose(
            ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-5, atol=1e-4
        )


def test_every_k_from_one_fit():
    X = _blobs(4, k=5)
    bkm = BisectingKMeans(5, random_state=0).fit(X)
    tree = bkm.tree_
    assert tree.parent.shape == (9,) and tree.parent[0] == -1
    inertias = [bkm.inertia_for(k) for k in range(1, 6)]
    assert all(a > b for a, b in zip(inertias, inertias[1:], strict=False))
    np.testing.assert_allclose(inertias[0], ((X - X.mean(0)) ** 2).sum(), rtol=1e-10)
    for k in range(1, 6):
        labels, centers = bkm.labels_for(k), bkm.centers_for(k)
        assert sorted(set(labels.tolist())) == list(range(k))
        # Each cluster's center is the mean of its rows; inertia is theirs.
        np.testing.assert_allclose(
            centers, [X[labels == j].mean(0) for j in range(k)], atol=1e-9
        )
        np.testing.assert_allclose(
            bkm.inertia_for(k), ((X - centers[labels]) ** 2).sum(), rtol=1e-10
        )
        # The clustering at k is the one a fit with n_clusters=k gives.
        alone = BisectingKMeans(k, random_state=0).fit(X)
        np.testing.assert_array_equal(alone.labels_, labels)
    np.testing.assert_array_equal(bkm.labels_for(5), bkm.labels_)
    # Children hold their parent's rows: sizes and weights add up.
    for node in range(9):
        left, right = tree.children[node]
        if left >= 0:
            assert tree.sizes[left] + tree.sizes[right] == tree.sizes[node]
            assert tree.parent[left] == tree.parent[right] == node
    with pytest.raises(ValueError, match="k must be an int in"):
        bkm.labels_for(6)


def test_bad_parameters_are_refused():
    X = _blobs(0)
    with pytest.raises(ValueError, match="bisecting_strategy"):
        BisectingKMeans(2, bisecting_strategy="widest").fit(X)
    with pytest.raises(ValueError, match="init must be"):
        BisectingKMeans(2, init="k-means||").fit(X)
    with pytest.raises(ValueError, match="n_init"):
        BisectingKMeans(2, n_init=0).fit(X)


def test_parameters_equal_sklearn():
    assert BisectingKMeans().get_params() == SKBisectingKMeans().get_params()


def test_choose_k_bisecting_scores_every_k_from_one_tree():
    from kmeansx import choose_k

    corners = [[0, 0], [10, 0], [0, 10], [10, 10]]
    X, _ = make_blobs(300, centers=corners, cluster_std=1.0, random_state=5)
    choice = choose_k(
        X, range(1, 7), random_state=0, n_init=1, progress=False,
        strategy="bisecting", gap_references=3,
    )  # fmt: skip
    assert choice.recommended == dict.fromkeys(choice.methods, 4)
    tree = BisectingKMeans(6, n_init=1, random_state=0).fit(X)
    np.testing.assert_allclose(
        choice.table["inertia"], [tree.inertia_for(k) for k in range(1, 7)]
    )
    with pytest.raises(ValueError, match="strategy must be"):
        choose_k(X, range(1, 3), strategy="tree", progress=False)
    with pytest.raises(ValueError, match="refine is for strategy='kmeans'"):
        choose_k(
            X, range(1, 3), strategy="bisecting", refine="hartigan", progress=False
        )
