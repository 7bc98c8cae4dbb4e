"""Properties of Lloyd's algorithm that must hold on any data (hypothesis).

Examples are few and small so the file runs in seconds, and derandomized so that
CI sees the same examples every run.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

import reference as ref
from kmeansx import KMeans

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
coordinates = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def problems(draw, min_clusters=1, max_clusters=5, distinct=False):
    """(X, sample_weight or None, k) with 1..4 features and k <= n_samples.

    ``distinct=True`` makes every coordinate different, so no two rows coincide.
    """
    k = draw(st.integers(min_clusters, max_clusters))
    n = draw(st.integers(max(k, 2), 40))
    d = draw(st.integers(1, 4))
    X = draw(arrays(np.float64, (n, d), elements=coordinates, unique=distinct))
    weighted = draw(st.booleans())
    w = draw(arrays(np.float64, n, elements=st.floats(0.1, 10.0))) if weighted else None
    return X, w, k


def _fit(X, w, k, **params):
    # Duplicate points may leave fewer distinct clusters than k: that warning is
    # expected here (warnings are errors in this suite).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(k, n_init=1, random_state=0, **params).fit(X, sample_weight=w)


def _scale(X, centers):
    """The size of the terms squared distances are computed from."""
    return (X**2).sum(1).max() + (centers**2).sum(1).max() + 1.0


@SETTINGS
@given(problems(), st.sampled_from(["k-means++", "random"]))
def test_inertia_never_rises(problem, init):
    # Each assignment and each update (a mean, or an empty cluster moved onto a
    # point) can only lower the inertia, in exact arithmetic. In floating point the
    # centers are rounded means and the inertia a rounded sum, so equal values may
    # come out a few ulps apart: 1e-12 relative, far above that rounding and far
    # below any real step of the algorithm.
    # Where the inertia is (near) zero, what matters is the rounding of the centers
    # themselves: a point on its center may end up an ulp of its coordinates away,
    # (2e-16 |x|)^2 ~ 1e-31 of the total sum of squares; 1e-28 of it covers that.
    X, w, k = problem
    hist = _fit(X, w, k, init=init, tol=0, record_history=True).history_
    inertia = hist.inertia
    weights = np.ones(len(X)) if w is None else w
    total = float(((X - np.average(X, axis=0, weights=weights)) ** 2).sum(1) @ weights)
    slack = 1e-12 * inertia[:-1] + 1e-28 * total
    assert np.all(inertia[1:] <= inertia[:-1] + slack), inertia


@SETTINGS
@given(problems())
def test_every_label_is_the_nearest_center(problem):
    X, w, k = problem
    km = _fit(X, w, k)
    centers = km.cluster_centers_
    d = ref.sq_distances(X, centers)
    rows = np.arange(len(X))
    # Ties up to the rounding of ||c||^2 - 2 x.c on centered data may go either way.
    tol = 1e-12 * _scale(X, centers)
    assert np.all(d[rows, km.labels_] <= d.min(axis=1) + tol)


@settings(SETTINGS, suppress_health_check=list(HealthCheck))
@given(problems(min_clusters=2, distinct=True), st.randoms(use_true_random=False))
def test_permuting_rows_permutes_labels(problem, rnd):
    X, w, k = problem
    init = X[:k].copy()
    km = _fit(X, w, k, init=init, tol=0, record_history=True)
    # Along the whole run, every assignment is decided by a clear margin and no
    # cluster empties (relocation breaks ties between equally far points by row
    # order): otherwise a rounding difference from the new summation order could
    # legitimately decide differently.
    for centers in km.history_.centers:
        labels, margin = ref.nearest(X, centers)
        assume(margin.min() > 1e-9 * _scale(X, centers))
        assume(np.bincount(labels, minlength=k).min() > 0)
    perm = np.array(rnd.sample(range(len(X)), len(X)))
    km_p = _fit(X[perm], None if w is None else w[perm], k, init=init, tol=0)
    np.testing.assert_array_equal(km_p.labels_, km.labels_[perm])
    assert km_p.n_iter_ == km.n_iter_
    np.testing.assert_allclose(
        km_p.cluster_centers_, km.cluster_centers_, atol=1e-9 * np.abs(X).max()
    )


@SETTINGS
@given(problems(min_clusters=1, max_clusters=1))
def test_one_cluster_is_the_weighted_mean(problem):
    X, w, _ = problem
    km = _fit(X, w, 1)
    mean = np.average(X, axis=0, weights=w)
    atol = 1e-12 * (np.abs(X).max() + 1.0)
    np.testing.assert_allclose(km.cluster_centers_[0], mean, rtol=1e-12, atol=atol)
    assert (km.labels_ == 0).all()
    weights = np.ones(len(X)) if w is None else w
    want = float(((X - mean) ** 2).sum(1) @ weights)
    assert np.isclose(km.inertia_, want, rtol=1e-9, atol=1e-12 * _scale(X, mean[None]))


@SETTINGS
@given(
    problems(min_clusters=3, max_clusters=8),
    st.sampled_from(["breathing", "breathing+hartigan"]),
)
def test_refining_never_ends_above_the_plain_run(problem, refine):
    # Breathing keeps a cycle only when it lowers the inertia, and Hartigan's moves
    # each lower it: from the same start, neither can end above Lloyd alone (1e-12
    # relative and 1e-28 of the total sum of squares: rounding, as above).
    X, w, k = problem
    plain = _fit(X, w, k, tol=0)
    with warnings.catch_warnings():
        # On rows like 1e-285, a lower inertia can fall below float64's range once
        # unscaled: reported as 0, with this warning (by design).
        warnings.filterwarnings("ignore", "inertia_ is out of float64's range")
        refined = _fit(X, w, k, tol=0, refine=refine)
    weights = np.ones(len(X)) if w is None else w
    total = float(((X - np.average(X, axis=0, weights=weights)) ** 2).sum(1) @ weights)
    assert refined.inertia_ <= plain.inertia_ * (1 + 1e-12) + 1e-28 * total
    assert refined.cluster_centers_.shape == plain.cluster_centers_.shape
    assert np.isfinite(refined.cluster_centers_).all()
