"""Every Numba kernel against its plain-NumPy oracle in ``tests/reference.py``.

Dense and CSR, float32 and float64, with and without sample weights, n not a
multiple of the chunk or block size, a range of d (the dense E-step is one GEMM per
block at every d), one cluster, duplicate points and duplicate centers.
Where two centers are (nearly) equally close, either label is right; everything
else must match the oracle label for label, and the sums must match for the labels
the kernel chose.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import scipy.sparse as sp

import reference as ref
from conftest import start, weights
from kmeansx._data import kernel_view, row_sq_norms
from kmeansx._kernels import _jit, assign, distances, kmeanspp, stats
from kmeansx._kernels._chunks import BLOCK_ROWS, n_chunks_for
from kmeansx._kernels.assign import SMALL_D

# The dense E-step once switched from a fused loop to a GEMM at 16 features; the
# shapes keep d on both sides of that mark.

DTYPES = [np.float64, np.float32]
FORMATS = ["dense", "csr"]
# (n_samples, n_features, n_clusters): the products summed in a loop (up to
# SMALL_D features), by BLAS, exactly at the switch, one cluster, and n not a
# multiple of BLOCK_ROWS or of the chunk.
SHAPES = [
    (601, 3, 5),
    (517, 20, 7),
    (300, SMALL_D, 4),
    (130, 2, 1),
    (BLOCK_ROWS + 1, SMALL_D + 1, 3),
    (700, 2, 6),  # two features: the copy and the M-step are written out
]
# Relative size of a distance difference that rounding can produce.
LABEL_RTOL = {np.float64: 1e-10, np.float32: 2e-5}


@pytest.fixture(autouse=True, params=["serial", "parallel"])
def compilation(request, monkeypatch):
    """Every test runs each parallel kernel's serial and parallel compilations
    (a ParallelKernel takes the serial one below ``SERIAL_BELOW`` elements)."""
    below = 2**62 if request.param == "serial" else 0
    monkeypatch.setattr(_jit, "SERIAL_BELOW", below)
    return request.param


def pick(module, name, fmt):
    """The ``_dense`` or ``_csr`` variant of a kernel."""
    return getattr(module, f"{name}_{'csr' if fmt == 'csr' else 'dense'}")


def make_data(shape, dtype, fmt, seed, *, duplicates=False, density=0.4):
    n, d, k = shape
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + rng.uniform(-3, 3, size=d)
    if fmt == "csr":
        X[rng.uniform(size=X.shape) > density] = 0.0
        X[: min(n, 3)] = 0.0  # rows with no stored value at all
    if duplicates:
        X[n // 2 : 2 * (n // 2)] = X[: n // 2]
    X = X.astype(dtype)
    centers = start(X, k, rng)
    if fmt == "csr":
        # Centers of a sparse problem are dense and generic, as after an update.
        centers = (centers + rng.normal(scale=0.1, size=centers.shape)).astype(dtype)
        X = sp.csr_matrix(X)
    return X, centers


def make_weights(n, dtype, weighted, seed):
    """About a tenth of them zero; drawn from ``seed + 1`` (the data from ``seed``)."""
    return weights(n, dtype, weighted, seed + 1, low=0.1, zeros=0.1)


def row_scale(X, centers):
    """Per row, the size of the terms a distance is computed from."""
    return row_sq_norms(X) + float((np.asarray(centers, np.float64) ** 2).sum(1).max())


def assert_labels_nearest(X, centers, labels, dtype):
    """Labels equal the oracle's except where two centers are tied up to rounding."""
    want, margin = ref.nearest(X, centers)
    tol = LABEL_RTOL[dtype] * row_scale(X, centers)
    clear = margin > tol
    np.testing.assert_array_equal(labels[clear], want[clear])
    d = ref.sq_distances(X, centers)
    rows = np.arange(d.shape[0])
    assert np.all(d[rows, labels] - d[rows, want] <= tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_features", [1, 2, 3, 7])
@pytest.mark.parametrize("centered", [False, True])
def test_transpose_block_holds_the_centered_rows_feature_major(
    dtype, n_features, centered
):
    rng = np.random.default_rng(n_features)
    X = (rng.normal(size=(BLOCK_ROWS - 5, n_features)) + 50.0).astype(dtype)
    x_mean = X.mean(axis=0).astype(dtype) if centered else None
    X_T = np.full((n_features, BLOCK_ROWS), np.nan, dtype=dtype)
    assign.transpose_block(X, x_mean, X_T)
    want = (X if x_mean is None else X - x_mean).T
    np.testing.assert_array_equal(X_T[:, : X.shape[0]], want)
    assert np.isnan(X_T[:, X.shape[0] :]).all()  # past the block: untouched


def run_assign(X, w, centers, chunk, labels, update=True):
    n, d = X.shape
    k = centers.shape[0]
    n_chunks = n_chunks_for(n, chunk)
    sums = np.full((n_chunks, k, d) if update else (n_chunks, 0, 0), np.nan)
    weights = np.full((n_chunks, k if update else 1), np.nan)
    inertia = np.full(n_chunks, np.nan)
    changed = np.full(n_chunks, -7, dtype=np.int64)
    kernel = pick(assign, "assign_update", "csr" if sp.issparse(X) else "dense")
    kernel(kernel_view(X), w, centers, chunk, labels, sums, weights, inertia, changed)
    return sums, weights, inertia, changed


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("chunk", [BLOCK_ROWS, 2 * BLOCK_ROWS, 100])
def test_assign_update(dtype, fmt, weighted, shape, chunk):
    seed = zlib.crc32(repr((fmt, shape, chunk)).encode())
    X, centers = make_data(shape, dtype, fmt, seed)
    w = make_weights(shape[0], dtype, weighted, seed)
    rng = np.random.default_rng(seed + 2)
    labels_prev = rng.integers(-1, shape[2], size=shape[0]).astype(np.int32)
    labels = labels_prev.copy()

    sums, weights, inertia, changed = run_assign(X, w, centers, chunk, labels)

    assert labels.dtype == np.int32
    assert_labels_nearest(X, centers, labels, dtype)
    want = ref.partial_sums(X, w, centers, labels, chunk, labels_prev)
    scale = ref.partial_sums(X, w, np.zeros_like(centers), labels, chunk).inertia
    np.testing.assert_allclose(sums, want.sums, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(weights, want.weights, rtol=1e-12, atol=1e-12)
    # Dense inertia comes from differences (float64 exact for float32 input); CSR
    # uses ||x||^2 + (||c||^2 - 2 x.c), whose rounding scales with the norms.
    if fmt == "dense":
        np.testing.assert_allclose(inertia, want.inertia, rtol=1e-12, atol=0)
    else:
        tol = LABEL_RTOL[dtype] * (scale + want.inertia) + 1e-12
        assert np.all(np.abs(inertia - want.inertia) <= tol)
    np.testing.assert_array_equal(changed, want.n_changed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[1]])
def test_assign_only_fills_labels_inertia_and_moves(dtype, fmt, shape):
    """Sums of shape (n_chunks, 0, 0) skip the M-step (prediction, final E-step)."""
    X, centers = make_data(shape, dtype, fmt, 3)
    w = make_weights(shape[0], dtype, True, 3)
    labels = np.full(shape[0], -1, dtype=np.int32)
    _, _, inertia, changed = run_assign(X, w, centers, BLOCK_ROWS, labels, False)
    assert_labels_nearest(X, centers, labels, dtype)
    want = ref.partial_sums(X, w, centers, labels, BLOCK_ROWS, np.full_like(labels, -1))
    np.testing.assert_allclose(inertia.sum(), want.inertia.sum(), rtol=1e-6)
    np.testing.assert_array_equal(changed, want.n_changed)
    # A second pass from its own labels moves nothing.
    _, _, _, changed = run_assign(X, w, centers, BLOCK_ROWS, labels, False)
    assert changed.sum() == 0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("n_features", [2, SMALL_D + 1])
def test_assign_ties_go_to_the_lowest_center(dtype, fmt, n_features):
    """Small integers make every distance exact, so ties are exact ties."""
    rng = np.random.default_rng(11)
    X = rng.integers(-3, 4, size=(300, n_features)).astype(dtype)
    X[150:] = X[:150]  # duplicate points
    centers = X[[0, 1, 2, 0, 1]].copy()  # duplicate centers: 3 and 4 never win
    centers[2] = 0.0  # the origin is equidistant from many grid points
    Xk = sp.csr_matrix(X) if fmt == "csr" else X
    w = np.ones(300, dtype=dtype)
    labels = np.full(300, -1, dtype=np.int32)
    sums, weights, _, _ = run_assign(Xk, w, centers, BLOCK_ROWS, labels)
    want = ref.assign_update(X, w, centers, np.full(300, -1), BLOCK_ROWS)
    np.testing.assert_array_equal(labels, want.labels)
    assert not np.isin(labels, [3, 4]).any()
    np.testing.assert_array_equal(weights, want.weights)
    np.testing.assert_array_equal(sums, want.sums)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[1], SHAPES[3]])
def test_assign_duplicate_points(dtype, fmt, shape):
    X, centers = make_data(shape, dtype, fmt, 5, duplicates=True)
    w = make_weights(shape[0], dtype, True, 5)
    labels = np.full(shape[0], -1, dtype=np.int32)
    sums, weights, _, _ = run_assign(X, w, centers, BLOCK_ROWS, labels)
    half = shape[0] // 2
    np.testing.assert_array_equal(labels[half : 2 * half], labels[:half])
    assert_labels_nearest(X, centers, labels, dtype)
    want = ref.partial_sums(X, w, centers, labels, BLOCK_ROWS)
    np.testing.assert_allclose(sums, want.sums, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(weights, want.weights, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[1], SHAPES[3]])
def test_sq_distances(dtype, fmt, shape):
    X, centers = make_data(shape, dtype, fmt, 7)
    out = np.full((shape[0], shape[2]), np.nan)
    kernel = pick(distances, "sq_distances", fmt)
    kernel(kernel_view(X), centers, out)
    want = ref.sq_distances(X, centers)
    if fmt == "dense":  # from differences in float64: exact up to summation order
        np.testing.assert_allclose(out, want, rtol=1e-13, atol=0)
    else:  # the norm expansion, clipped at 0
        atol = 1e-13 * row_scale(X, centers)[:, None]
        assert np.all(np.abs(out - want) <= atol) and np.all(out >= 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[1], SHAPES[3]])
def test_sq_distance_to_label(dtype, fmt, shape):
    X, centers = make_data(shape, dtype, fmt, 8)
    labels = np.random.default_rng(8).integers(0, shape[2], shape[0]).astype(np.int32)
    out = np.full(shape[0], np.nan)
    kernel = pick(distances, "sq_distance_to_label", fmt)
    kernel(kernel_view(X), centers, labels, out)
    want = ref.sq_distance_to_label(X, centers, labels)
    # From differences in both layouts: relocation needs an exact 0 on a center.
    np.testing.assert_allclose(out, want, rtol=1e-13, atol=0)
    first = X[3:6]  # rows 0-2 of the CSR data are empty
    on_center = np.ascontiguousarray(ref.dense(first).astype(dtype))
    out = np.full(3, np.nan)
    kernel(kernel_view(first), on_center, np.arange(3, dtype=np.int32), out)
    np.testing.assert_array_equal(out, 0.0)


def kpp_state(shape, dtype, fmt, weighted, seed):
    X, centers = make_data(shape, dtype, fmt, seed)
    w = make_weights(shape[0], np.float64, weighted, seed)
    x_sqnorm = row_sq_norms(X)
    closest = ref.closest_update(X, centers[0], np.full(shape[0], np.inf))
    return X, w, x_sqnorm, closest, centers


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[1], (70, 4, 3)])
@pytest.mark.parametrize("chunk", [BLOCK_ROWS, 100])
def test_candidate_potentials(dtype, fmt, weighted, shape, chunk):
    X, w, x_sqnorm, closest, centers = kpp_state(shape, dtype, fmt, weighted, 9)
    candidates = np.ascontiguousarray(centers[1:] if len(centers) > 1 else centers)
    pot = np.full((n_chunks_for(shape[0], chunk), candidates.shape[0]), np.nan)
    kernel = pick(kmeanspp, "candidate_potentials", fmt)
    kernel(kernel_view(X), x_sqnorm, w, closest, candidates, chunk, pot)
    want = ref.candidate_potentials(X, w, closest, candidates, chunk)
    # Norm expansion in float64: the error scales with the norms, not the distances.
    scale = np.stack(
        [
            (w[lo:hi] * row_scale(X[lo:hi], candidates)).sum()
            for lo, hi in ref.chunk_bounds(shape[0], chunk)
        ]
    )
    assert pot.shape == want.shape
    assert np.all(np.abs(pot - want) <= 1e-12 * scale[:, None])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[1]])
def test_closest_update(dtype, fmt, shape):
    X, _, x_sqnorm, closest, centers = kpp_state(shape, dtype, fmt, False, 10)
    kernel = pick(kmeanspp, "closest_update", fmt)
    got = closest.copy()
    kernel(kernel_view(X), x_sqnorm, centers[1], got)
    want = ref.closest_update(X, centers[1], closest)
    assert np.all(np.abs(got - want) <= 1e-12 * row_scale(X, centers[1:2]))
    assert np.all(got <= closest)
    # From +inf (how k-means++ seeds it), every row gets its distance.
    got = np.full(shape[0], np.inf)
    kernel(kernel_view(X), x_sqnorm, centers[0], got)
    want = ref.sq_distances(X, centers[:1])[:, 0]
    assert np.all(np.abs(got - want) <= 1e-12 * row_scale(X, centers[:1]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[3], (BLOCK_ROWS + 1, 1, 1)])
@pytest.mark.parametrize("chunk", [BLOCK_ROWS, 100])
def test_column_sums(dtype, shape, chunk):
    X, _ = make_data(shape, dtype, "dense", 11)
    got = np.empty((n_chunks_for(shape[0], chunk), shape[1]))
    stats.column_sums(X, chunk, got)
    want = ref.column_sums(X, chunk)
    scale = np.abs(X).astype(np.float64).sum(axis=0)
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= 1e-13 * scale)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[3], SHAPES[1], (33, 1, 1)])
@pytest.mark.parametrize("centered", [False, True])
def test_row_sq_norms(dtype, shape, centered):
    X, _ = make_data(shape, dtype, "dense", 13)
    X = X + dtype(50.0)  # off the origin: centering matters
    x_mean = X.mean(axis=0).astype(dtype) if centered else None
    got = np.full(shape[0], np.nan)
    stats.row_sq_norms(X, got, *(() if x_mean is None else (x_mean,)))
    want = ref.row_norms(X, x_mean) ** 2
    np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[3], (BLOCK_ROWS + 1, 1, 1)])
@pytest.mark.parametrize("centered", [False, True])
def test_row_norm_bounds_are_tight_upper_bounds(dtype, shape, centered):
    X, _ = make_data(shape, dtype, "dense", 12)
    X = X + dtype(50.0)  # off the origin: centering matters
    x_mean = X.mean(axis=0).astype(dtype) if centered else None
    got = np.empty(shape[0], dtype=np.float32)
    stats.row_norm_bounds(X, 100, got, *(() if x_mean is None else (x_mean,)))
    want = ref.row_norms(X, x_mean)
    assert np.all(got >= want)
    assert np.all(got <= want * (1 + 2 * stats.NORM_BOUND_REL) + 1e-300)
