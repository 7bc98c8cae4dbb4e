"""Hartigan refinement (``KMeans(refine="hartigan")``) against its NumPy oracle."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import reference as ref
from conftest import blobs, start, weights
from kmeansx import KMeans
from kmeansx._algorithms.hartigan import refine_hartigan
from kmeansx._algorithms.loop import RunResult
from kmeansx._kernels import hartigan as _hartigan


def _labels(X, k, seed):
    """Labels of a poor start: nearest of k random rows (many moves to make)."""
    return ref.nearest(X, start(X, k, seed))[0].astype(np.int32)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_passes_match_the_reference(dtype, weighted):
    X = blobs(300, 3, 6, dtype=dtype, seed=1, spread=1.5)
    w = weights(300, weighted=weighted, seed=2)
    labels0 = _labels(X, 6, seed=3)
    expected = ref.hartigan(X, w, labels0)
    centers0 = ref.average_centers(
        *[np.asarray(a) for a in _sums(X, w, labels0, 6)]
    ).astype(dtype)
    run = RunResult(labels0.copy(), 0.0, centers0, 1)
    got, n_moves = refine_hartigan(X, w, run)
    assert n_moves == expected.n_moves > 0
    np.testing.assert_array_equal(got.labels, expected.labels)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(got.centers, expected.centers, rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(got.inertia, expected.inertia, rtol=1e-12)


def _sums(X, w, labels, k):
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, np.asarray(X, dtype=np.float64) * w[:, None])
    return sums, np.bincount(labels, weights=w, minlength=k)


def test_centered_reading_matches_a_centered_copy():
    X = blobs(200, 2, 4, seed=4, offset=1e3)
    mean = X.mean(axis=0)
    labels0 = _labels(X - mean, 4, seed=5)
    w = np.ones(200)
    run = RunResult(labels0.copy(), 0.0, np.zeros((4, 2)), 1)
    a, moves_a = refine_hartigan(X, w, run, x_mean=mean)
    b, moves_b = refine_hartigan(
        X - mean, w, RunResult(labels0.copy(), 0.0, np.zeros((4, 2)), 1)
    )
    assert moves_a == moves_b > 0
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)


def test_a_point_alone_never_moves():
    X = np.array([[0.0], [10.0], [10.5], [11.0]])
    labels = np.array([0, 1, 1, 1], dtype=np.int32)
    centers = np.array([[0.0], [10.5]])
    weights_ = np.array([1.0, 3.0])
    sizes = np.array([1, 3], dtype=np.int64)
    state = (np.zeros(1, np.int64), np.full(4, -1, np.int64), np.full(2, -1, np.int64))
    moved = _hartigan.hartigan_pass(
        X, np.ones(4), labels, centers, weights_, sizes, None, state
    )
    assert moved == 0
    assert labels.tolist() == [0, 1, 1, 1]


def test_every_move_lowers_the_inertia_and_ends_at_a_lloyd_fixed_point():
    X = blobs(2000, 2, 12, seed=6, spread=2.0)
    for seed in range(5):
        plain = KMeans(12, random_state=seed).fit(X)
        refined = KMeans(12, random_state=seed, refine="hartigan").fit(X)
        assert refined.inertia_ <= plain.inertia_
        if refined.n_moves_ == 0:
            assert refined.inertia_ == plain.inertia_
        # A Hartigan optimum has every point at its nearest center.
        np.testing.assert_array_equal(refined.predict(X), refined.labels_)
        np.testing.assert_allclose(refined.score(X), -refined.inertia_, rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_no_single_move_lowers_the_inertia_at_the_end(weighted):
    # Overlapping clusters from poor starts: many moves before the end.
    X = blobs(1500, 2, 10, seed=11, spread=2.5)
    w = weights(1500, weighted=weighted, seed=12)
    km = KMeans(10, init="random", n_init=1, random_state=4, refine="hartigan")
    km.fit(X, sample_weight=w)
    assert km.n_moves_ > 0
    labels, centers = km.labels_, km.cluster_centers_
    n = np.bincount(labels, weights=w, minlength=10)
    d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    rows = np.arange(X.shape[0])
    own = n[labels]
    # What leaving costs (a point holding all of its cluster's weight stays) and
    # what joining each other cluster adds: Hartigan's criterion.
    with np.errstate(divide="ignore"):
        leave = np.where(own > w, w * own / (own - w), np.inf) * d2[rows, labels]
    join = w[:, None] * n[None, :] / (n[None, :] + w[:, None]) * d2
    join[rows, labels] = np.inf
    movable = w > 0
    gain = leave[movable] - join[movable].min(axis=1)
    assert gain.max() <= 1e-9 * km.inertia_


def test_default_is_off_and_unchanged():
    X = blobs(500, 2, 5, seed=7)
    a = KMeans(5, random_state=0).fit(X)
    b = KMeans(5, random_state=0, refine=None).fit(X)
    assert not hasattr(a, "n_moves_")
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.inertia_ == b.inertia_


def test_deterministic_and_weighted():
    X = blobs(1500, 3, 8, seed=8, spread=1.5)
    w = weights(1500, seed=9, zeros=0.1)
    a = KMeans(8, random_state=3, refine="hartigan", n_init=3).fit(X, sample_weight=w)
    b = KMeans(8, random_state=3, refine="hartigan", n_init=3).fit(X, sample_weight=w)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.n_moves_ == b.n_moves_


def test_float32_keeps_its_dtype():
    X = blobs(800, 2, 6, dtype=np.float32, seed=10, spread=1.5)
    km = KMeans(6, random_state=0, refine="hartigan").fit(X)
    assert km.cluster_centers_.dtype == np.float32


@pytest.mark.parametrize("bad", ["lloyd", "Hartigan", 1, True])
def test_bad_values_are_refused(bad):
    expected = "refine must be None, 'hartigan', 'breathing' or 'breathing\\+hartigan'"
    with pytest.raises(ValueError, match=expected):
        KMeans(2, refine=bad).fit([[0.0], [1.0], [2.0]])


def test_sparse_is_refused():
    X = sp.csr_matrix(np.eye(5))
    with pytest.raises(ValueError, match="needs dense X"):
        KMeans(2, refine="hartigan").fit(X)


def test_dask_is_refused():
    da = pytest.importorskip("dask.array")
    X = da.from_array(blobs(100, 2, 2, seed=0), chunks=50)
    with pytest.raises(ValueError, match="not available on Dask"):
        KMeans(2, refine="hartigan").fit(X)


def _table(seed=0):
    import pandas as pd

    X = blobs(150, 2, 3, seed=seed, spread=4.0)
    return pd.DataFrame({"Annual Income": X[:, 0], "Spending Score": X[:, 1]})


def test_choose_k_and_segment_pass_refine():
    from kmeansx import choose_k, segment

    df = _table()
    a = choose_k(df, range(2, 5), ["elbow"], random_state=0, n_init=1, progress=False)
    b = choose_k(
        df, range(2, 5), ["elbow"], random_state=0, n_init=1, progress=False,
        refine="hartigan",
    )  # fmt: skip
    assert (b.table["inertia"] <= a.table["inertia"] * (1 + 1e-12)).all()
    seg = segment(df, n_clusters=3, random_state=0, n_init=1, refine="hartigan")
    assert seg.model.refine == "hartigan"
    assert hasattr(seg.model, "n_moves_")


def test_cli_refine_option(tmp_path):
    import json

    from typer.testing import CliRunner

    from kmeansx.cli import app

    path = tmp_path / "t.csv"
    _table().to_csv(path, index=False)
    runner = CliRunner()
    fit = runner.invoke(
        app, ["fit", str(path), "-k", "3", "--random-state", "0", "--refine",
              "hartigan", "--json"],
    )  # fmt: skip
    assert fit.exit_code == 0, fit.output
    assert json.loads(fit.stdout)["n_clusters"] == 3
    choose = runner.invoke(
        app, ["choose-k", str(path), "--k-max", "4", "--methods", "elbow",
              "--random-state", "0", "--refine", "hartigan", "--json"],
    )  # fmt: skip
    assert choose.exit_code == 0, choose.output
    bad = runner.invoke(app, ["fit", str(path), "-k", "3", "--refine", "lloyd"])
    assert bad.exit_code == 2
    dask = runner.invoke(
        app, ["fit", str(path), "-k", "3", "--dask", "--refine", "hartigan"]
    )
    assert dask.exit_code == 2
    assert "--refine hartigan is not available with --dask" in dask.stderr
