"""Breathing k-means (``KMeans(refine="breathing")``) against its NumPy oracle."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

import reference as ref
from conftest import blobs, start, weights
from kmeansx import KMeans
from kmeansx._algorithms import breathing
from kmeansx.datasets import load_mall_customers


def _mall():
    table = load_mall_customers()[["Annual Income", "Spending Score"]]
    return StandardScaler().fit_transform(table.to_numpy(float))


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("centered", [False, True])
def test_two_nearest_matches_the_reference(dtype, centered, plain):
    # 600 rows: blocks of 256 and a short last one.
    X = blobs(600, 4, 6, dtype=dtype, seed=11, spread=1.0, offset=50.0)
    mean = X.mean(axis=0) if centered else None
    Xc = X - mean if centered else X
    centers = start(Xc, 9, seed=12)
    nearest, d1, d2 = breathing.two_nearest(X, centers, mean, plain)
    d = ref.sq_distances(Xc, centers)
    part = np.sort(d, axis=1)
    np.testing.assert_array_equal(nearest, np.argmin(d, axis=1))
    scale = np.abs(d).max()
    np.testing.assert_allclose(d1, part[:, 0], atol=1e-9 * scale)
    np.testing.assert_allclose(d2, part[:, 1], atol=1e-9 * scale)


def test_two_nearest_ties_keep_the_lower_index_and_equal_distances():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 3.0]])
    centers = np.array([[-1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    for plain in (False, True):
        nearest, d1, d2 = breathing.two_nearest(X, centers, None, plain)
        np.testing.assert_array_equal(nearest, [0, 1, 1])
        np.testing.assert_array_equal(d1, [1.0, 0.0, 9.0])
        np.testing.assert_array_equal(d2, [1.0, 0.0, 9.0])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("k", [3, 8])
def test_fit_matches_the_reference(weighted, k):
    X = blobs(400, 2, 10, seed=13, spread=3.0)
    w = weights(400, weighted=weighted, seed=14)
    centers0 = start(X, k, seed=15)
    expected = ref.breathing(X, w, centers0, np.random.RandomState(4))
    km = KMeans(
        k, init=centers0, n_init=1, tol=0.0, random_state=4, refine="breathing"
    ).fit(X, sample_weight=w)
    np.testing.assert_array_equal(km.labels_, expected.labels)
    np.testing.assert_allclose(km.cluster_centers_, expected.centers, rtol=1e-10)
    np.testing.assert_allclose(km.inertia_, expected.inertia, rtol=1e-10)
    assert km.n_iter_ == expected.n_iter
    plain = KMeans(k, init=centers0, n_init=1, tol=0.0).fit(X, sample_weight=w)
    assert km.n_iter_ > plain.n_iter_  # every cycle's loops are counted


def test_it_escapes_lloyds_local_minima_on_the_lessons_data():
    X = _mall()
    better = 0
    for seed in range(6):
        plain = KMeans(8, random_state=seed).fit(X)
        refined = KMeans(8, random_state=seed, refine="breathing").fit(X)
        assert refined.inertia_ <= plain.inertia_ * (1 + 1e-12)
        better += refined.inertia_ < plain.inertia_ * (1 - 1e-3)
    assert better >= 3


def test_then_hartigan_is_no_worse_and_counts_its_moves():
    X = _mall()
    a = KMeans(9, random_state=1, refine="breathing").fit(X)
    b = KMeans(9, random_state=1, refine="breathing+hartigan").fit(X)
    assert b.inertia_ <= a.inertia_ * (1 + 1e-12)
    assert not hasattr(a, "n_moves_")
    assert b.n_moves_ >= 0
    # Hartigan's moves start from breathing's result: the same result when none.
    if b.n_moves_ == 0:
        np.testing.assert_array_equal(a.labels_, b.labels_)


def test_integer_weights_equal_repeated_rows():
    X = blobs(120, 3, 5, seed=16, spread=2.0)
    counts = np.random.default_rng(17).integers(1, 4, size=120)
    centers0 = start(X, 6, seed=18)
    fit = dict(init=centers0, n_init=1, tol=0.0, random_state=2, refine="breathing")
    a = KMeans(6, **fit).fit(X, sample_weight=counts.astype(float))
    b = KMeans(6, **fit).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-10)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-10)


def test_deterministic_and_float32_keeps_its_dtype():
    X = blobs(1500, 3, 12, dtype=np.float32, seed=19, spread=2.0)
    a = KMeans(10, random_state=3, n_init=2, refine="breathing").fit(X)
    b = KMeans(10, random_state=3, n_init=2, refine="breathing").fit(X)
    assert a.cluster_centers_.dtype == np.float32
    assert a.cluster_centers_.tobytes() == b.cluster_centers_.tobytes()
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_history_is_the_first_loops():
    X = blobs(500, 2, 8, seed=20, spread=2.0)
    plain = KMeans(8, random_state=5, record_history=True).fit(X)
    refined = KMeans(8, random_state=5, record_history=True, refine="breathing")
    refined.fit(X)
    np.testing.assert_array_equal(refined.history_.centers, plain.history_.centers)
    assert refined.n_iter_ > plain.n_iter_


@pytest.mark.parametrize(
    "X, k",
    [
        (np.arange(12.0).reshape(6, 2), 4),  # fewer rows than k + 5
        (np.repeat(np.arange(5.0), 4)[:, None], 4),  # few distinct points
        (np.ones((10, 2)), 1),  # one cluster
    ],
    ids=["few-rows", "duplicates", "one-cluster"],
)
def test_small_and_degenerate_inputs(X, k):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fewer distinct clusters than k
        plain = KMeans(k, random_state=0).fit(X)
        refined = KMeans(k, random_state=0, refine="breathing").fit(X)
    assert refined.inertia_ <= plain.inertia_ * (1 + 1e-12) + 1e-12
    assert refined.cluster_centers_.shape == (k, X.shape[1])
    assert np.isfinite(refined.cluster_centers_).all()


@pytest.mark.parametrize("refine", ["breathing", "breathing+hartigan"])
def test_sparse_and_dask_are_refused(refine):
    with pytest.raises(ValueError, match="needs dense X"):
        KMeans(2, refine=refine).fit(sp.csr_matrix(np.eye(5)))
    da = pytest.importorskip("dask.array")
    X = da.from_array(blobs(100, 2, 2, seed=0), chunks=50)
    with pytest.raises(ValueError, match="not available on Dask"):
        KMeans(2, refine=refine).fit(X)


def test_choose_k_segment_and_the_cli_take_it(tmp_path):
    import json

    import pandas as pd
    from typer.testing import CliRunner

    from kmeansx import choose_k, segment
    from kmeansx.cli import app

    X = blobs(150, 2, 3, seed=0, spread=4.0)
    df = pd.DataFrame({"Annual Income": X[:, 0], "Spending Score": X[:, 1]})
    kw = dict(random_state=0, n_init=1, progress=False)
    a = choose_k(df, range(2, 6), ["elbow"], **kw)
    b = choose_k(df, range(2, 6), ["elbow"], refine="breathing", **kw)
    assert (b.table["inertia"] <= a.table["inertia"] * (1 + 1e-12)).all()
    seg = segment(df, n_clusters=3, random_state=0, n_init=1, refine="breathing")
    assert seg.model.refine == "breathing"

    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    fit = CliRunner().invoke(
        app, ["fit", str(path), "-k", "3", "--random-state", "0", "--refine",
              "breathing+hartigan", "--json"],
    )  # fmt: skip
    assert fit.exit_code == 0, fit.output
    assert json.loads(fit.stdout)["n_clusters"] == 3


def test_every_exact_algorithm_breathes_alike():
    X = blobs(600, 3, 10, seed=21, spread=2.0)
    fits = {
        algorithm: KMeans(
            7, random_state=6, algorithm=algorithm, refine="breathing"
        ).fit(X)
        for algorithm in ("lloyd", "elkan", "hamerly", "yinyang", "auto")
    }
    lloyd = fits.pop("lloyd")
    for algorithm, km in fits.items():
        np.testing.assert_array_equal(km.labels_, lloyd.labels_, err_msg=algorithm)
        assert km.n_iter_ == lloyd.n_iter_, algorithm
        np.testing.assert_allclose(km.inertia_, lloyd.inertia_, rtol=1e-12)
        np.testing.assert_allclose(
            km.cluster_centers_, lloyd.cluster_centers_, rtol=1e-12, atol=1e-12
        )
