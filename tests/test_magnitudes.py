"""Data at extreme magnitudes clusters as its rescaled copy would.

Squared distances of values near 1e200 overflow and those of values near 1e-200
underflow; a fit scales such data by a power of two (exact), and reports centers,
distances and inertia in the data's units, warning when the inertia itself is out
of float64's range.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from kmeansx import KMeans


def two_groups(dtype=np.float64, n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 8.0])
    return X.astype(dtype)


def fit(X, **params):
    return KMeans(2, random_state=0, **params).fit(X)


@pytest.mark.parametrize("scale", [1e200, 1e-200, 1e300, 1e-300, 2.0**-1000])
def test_float64_at_extreme_scales_clusters_as_at_scale_one(scale):
    X = two_groups()
    base = fit(X)
    expected = base.inertia_ * scale * scale
    if 0 < expected < np.inf:
        km = fit(X * scale)
    else:
        with pytest.warns(RuntimeWarning, match="inertia_ is out of float64's range"):
            km = fit(X * scale)
    np.testing.assert_array_equal(km.labels_, base.labels_)
    assert km.n_iter_ == base.n_iter_
    np.testing.assert_allclose(km.cluster_centers_ / scale, base.cluster_centers_)
    if 0 < expected < np.inf:
        np.testing.assert_allclose(km.inertia_, expected, rtol=1e-12)
    else:
        assert km.inertia_ == expected  # inf or 0, said by the warning
    np.testing.assert_array_equal(km.predict(X * scale), base.labels_)
    np.testing.assert_allclose(km.transform(X * scale) / scale, base.transform(X))


@pytest.mark.parametrize("scale", [1e19, 1e20, 1e-19, 1e-25])
def test_float32_near_its_limits_clusters_as_at_scale_one(scale):
    X = two_groups(np.float32)
    base = fit(X)
    km = fit((X.astype(np.float64) * scale).astype(np.float32))
    np.testing.assert_array_equal(km.labels_, base.labels_)
    assert km.cluster_centers_.dtype == np.float32
    # float32 data times ``scale`` rounds again: centers agree to float32's
    # precision relative to the data's range (a center near 0 has no relative one).
    np.testing.assert_allclose(
        km.cluster_centers_.astype(np.float64) / scale,
        base.cluster_centers_,
        rtol=1e-5,
        atol=1e-5 * np.abs(X).max(),
    )
    np.testing.assert_allclose(km.inertia_, base.inertia_ * scale * scale, rtol=1e-5)


def test_mixed_columns_cluster_on_the_large_one():
    X = two_groups()
    rng = np.random.default_rng(1)
    mixed = np.column_stack([X[:, 0] * 1e200, rng.normal(size=len(X)) * 1e-200])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the inertia overflows
        km = fit(mixed)
    np.testing.assert_array_equal(km.labels_, fit(X[:, :1]).labels_)
    assert np.isfinite(km.cluster_centers_).all()


def test_ordinary_data_is_not_copied_or_changed():
    # The common case takes no scaling: the same bits as before the feature.
    X = two_groups()
    a, b = fit(X), fit(X * 2.0**10)
    np.testing.assert_array_equal(a.cluster_centers_ * 2.0**10, b.cluster_centers_)
    assert a.inertia_ * 2.0**20 == b.inertia_
