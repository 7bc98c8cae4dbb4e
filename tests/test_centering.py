"""A fit centers dense data as the kernels read it, instead of on a copy.

The kernels subtract the column means where they read ``X``
(``kmeansx._kernels.centered``): every algorithm and every init must give the very
bits they give on an explicitly centered copy, and a fit must neither copy nor
modify the data.
"""

from __future__ import annotations

import functools
import tracemalloc

import numpy as np
import pytest

import reference as ref
from conftest import blobs
from kmeansx import KMeans
from kmeansx._algorithms.registry import ALGORITHMS, run
from kmeansx._backends.memory import initial_centers
from kmeansx._data import column_means, mean_variance, row_sq_norms
from kmeansx._init import kmeans_plusplus_init
from kmeansx._kernels import assign, centered, distances, kmeanspp

DTYPES = [np.float64, np.float32]


# Blobs far from the origin, where centering matters to the norm expansion.
offset_blobs = functools.partial(blobs, offset=1e3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("init", ["k-means++", "random", "k-means||"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_bits_as_on_a_centered_copy(dtype, init, algorithm):
    X = offset_blobs(3000, 5, 7, dtype, seed=1)
    w = np.random.default_rng(2).uniform(0.5, 2.0, 3000).astype(dtype)
    x_mean = column_means(X)
    assert x_mean.dtype == dtype
    Xc = X - x_mean  # the centered copy a fit used to make
    runs = []
    for data, shift in ((Xc, None), (X, x_mean)):
        rs = np.random.RandomState(3)
        x_sqnorm = row_sq_norms(data, shift) if init != "random" else None
        c0 = initial_centers(data, 9, init, w, rs, x_sqnorm, shift)
        runs.append(
            (
                c0,
                run(
                    algorithm,
                    data,
                    w,
                    c0,
                    max_iter=50,
                    tol=1e-4 * mean_variance(data, x_mean=shift),
                    verbose=False,
                    record_history=True,
                    x_mean=shift,
                ),
            )
        )
    (c_copy, copy), (c_fly, fly) = runs
    np.testing.assert_array_equal(c_fly, c_copy)
    assert fly.n_iter == copy.n_iter
    np.testing.assert_array_equal(fly.labels, copy.labels)
    np.testing.assert_array_equal(fly.centers, copy.centers)
    assert fly.inertia == copy.inertia
    np.testing.assert_array_equal(fly.history.centers, copy.history.centers)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kernels_read_the_rows_less_the_mean(dtype):
    X = offset_blobs(700, 6, 4, dtype, seed=4)
    x_mean = column_means(X)
    Xc = X - x_mean
    centers = np.ascontiguousarray(Xc[[3, 300, 600]])
    labels = np.array([0, 1, 2] * 233 + [0], dtype=np.int32)
    got, want = np.empty(700), np.empty(700)
    distances.sq_distance_to_label_dense(X, centers, labels, got, x_mean)
    distances.sq_distance_to_label_dense(Xc, centers, labels, want)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(
        want, ref.sq_distance_to_label(Xc, centers, labels), rtol=1e-12
    )
    np.testing.assert_allclose(
        row_sq_norms(X, x_mean),
        np.einsum("ij,ij->i", Xc, Xc, dtype=np.float64),
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        mean_variance(X, x_mean=x_mean),
        np.var(X.astype(np.float64), axis=0).mean(),
        rtol=1e-6 if dtype == np.float32 else 1e-12,
    )
    assert centered.value(X, x_mean, 5, 2) == Xc[5, 2]
    assert centered.value(X, None, 5, 2) == X[5, 2]
    for kernel in (assign.assign_update_dense, kmeanspp.kpar_nearest_dense):
        assert "x_mean" in kernel.py_func.__code__.co_varnames


@pytest.mark.parametrize("dtype", DTYPES)
def test_kmeans_plusplus_on_the_fly_draws_the_same_rows(dtype):
    X = offset_blobs(5000, 8, 10, dtype, seed=5)
    x_mean = column_means(X)
    Xc = X - x_mean
    w = np.ones(5000)
    for trials in (None, 70):  # the pruned and the plain kernels
        a = kmeans_plusplus_init(
            X, 12, w, np.random.RandomState(6), n_local_trials=trials, x_mean=x_mean
        )
        b = kmeans_plusplus_init(
            Xc, 12, w, np.random.RandomState(6), n_local_trials=trials
        )
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[0], b[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_fit_makes_no_copy_of_the_data_and_leaves_it_as_it_was(dtype, algorithm):
    X = offset_blobs(100_000, 32, 20, dtype, seed=7)
    before = X.copy()
    # Compile (or load) outside the measurement every kernel the fit calls: the
    # same fit once (a smaller one may not reach, say, the replay of ambiguous rows).
    KMeans(20, n_init=1, max_iter=3, random_state=0, algorithm=algorithm).fit(X)
    tracemalloc.start()
    try:
        km = KMeans(20, n_init=1, max_iter=3, random_state=0, algorithm=algorithm)
        km.fit(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(X, before)
    # A centered copy alone would be X.nbytes (128 or 256 bytes a row); what a fit
    # keeps is a few numbers per row (k-means++'s norms and distances, a byte each
    # for owner and marks; then labels and float32 bounds), and blocks and
    # per-center arrays of fixed size. Equal weights are a view: no bytes a row.
    assert peak < 24 * X.shape[0] + 2**20, (peak, X.nbytes)
    np.testing.assert_allclose(
        km.cluster_centers_.mean(axis=0), X.mean(axis=0, dtype=np.float64), rtol=0.05
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("init", ["k-means++", "random", "k-means||"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_equal_weights_as_a_view_give_the_bits_of_an_array_of_ones(
    dtype, init, algorithm
):
    # sample_weight=None (and a number) become a stride-0 view, not an n-long array.
    X = offset_blobs(3000, 5, 7, dtype, seed=9)
    params = dict(init=init, n_init=2, random_state=3, algorithm=algorithm)
    a = KMeans(7, **params).fit(X)
    b = KMeans(7, **params).fit(X, sample_weight=np.ones(3000, dtype=dtype))
    c = KMeans(7, **params).fit(X, sample_weight=2.5)
    d = KMeans(7, **params).fit(X, sample_weight=np.full(3000, 2.5, dtype=dtype))
    for one, other in ((a, b), (c, d)):
        np.testing.assert_array_equal(one.labels_, other.labels_)
        np.testing.assert_array_equal(one.cluster_centers_, other.cluster_centers_)
        assert one.inertia_ == other.inertia_
        assert one.n_iter_ == other.n_iter_
    np.testing.assert_array_equal(a.predict(X), b.predict(X, np.ones(3000)))
    assert a.score(X) == b.score(X, sample_weight=np.ones(3000))
