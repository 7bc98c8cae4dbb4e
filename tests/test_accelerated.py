"""Elkan, Hamerly and Yinyang give Lloyd's run: the same labels at every iteration.

From the same initial centers every exact algorithm must reproduce Lloyd's labels
at every iteration, ``n_iter``, and centers and inertia to float rounding; the
kernels' bounds must be valid bounds and their sums Lloyd's sums; the choice of
"auto" and the fallbacks (Elkan's memory budget, sparse input) are checked too.
"""

from __future__ import annotations

import functools

import numba
import numpy as np
import pytest
import scipy.sparse as sp

import conftest
import reference as ref
from conftest import start, weights
from kmeansx import KMeans
from kmeansx._algorithms import bounded as acc
from kmeansx._algorithms import elkan as _elkan
from kmeansx._algorithms import registry
from kmeansx._algorithms.elkan import ElkanStep
from kmeansx._algorithms.hamerly import HamerlyStep
from kmeansx._algorithms.lloyd import LloydStep, assign_labels
from kmeansx._algorithms.registry import choose_algorithm, resolve_algorithm
from kmeansx._algorithms.relocation import average_centers
from kmeansx._algorithms.yinyang import YinyangStep, group_centers, n_groups_for
from kmeansx._kernels import bounds, partials
from kmeansx._kernels._chunks import BLOCK_ROWS
from kmeansx._kernels.assign import tie_coef

lloyd = functools.partial(registry.run, "lloyd")
RUNS = {
    name: functools.partial(registry.run, name)
    for name in ("elkan", "hamerly", "yinyang")
}
STEPS = {"elkan": ElkanStep, "hamerly": HamerlyStep, "yinyang": YinyangStep}
DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-12, np.float32: 1e-5}


# Overlapping Gaussian blobs, centered: many points near cluster borders.
blobs = functools.partial(conftest.blobs, centered=True)


def tie_data(dtype):
    """900 integer points and 16 centers, four of them halfway between points:
    exact ties for Lloyd's replay."""
    rng = np.random.default_rng(7)
    X = rng.integers(0, 6, size=(900, 3)).astype(dtype)
    init = np.array(
        [[0.5, 0.5, 0.5], [1.5, 0.5, 0.5], [0.5, 1.5, 0.5], [4.5, 4.5, 0.5]] * 4,
        dtype=dtype,
    )
    init[4:] += np.arange(12, dtype=dtype)[:, None] * 0.25
    return X, init


def assert_same_run(ours, lloyds, dtype):
    assert ours.n_iter == lloyds.n_iter
    np.testing.assert_array_equal(ours.labels, lloyds.labels)
    np.testing.assert_allclose(ours.centers, lloyds.centers, rtol=RTOL[dtype], atol=0)
    np.testing.assert_allclose(ours.inertia, lloyds.inertia, rtol=RTOL[dtype])
    if lloyds.history is not None:
        np.testing.assert_array_equal(ours.history.n_changed, lloyds.history.n_changed)
        np.testing.assert_allclose(
            ours.history.centers, lloyds.history.centers, rtol=RTOL[dtype], atol=1e-12
        )
        np.testing.assert_allclose(
            ours.history.inertia, lloyds.history.inertia, rtol=RTOL[dtype]
        )


# -- whole runs against Lloyd ---------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(RUNS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "shape", [(600, 2, 6, 5), (700, 20, 12, 40), (300, 3, 2, 1), (400, 5, 4, 25)]
)
def test_same_run_as_lloyd(algorithm, dtype, weighted, shape):
    n, d, k_true, k = shape
    X = blobs(n, d, k_true, dtype, seed=n + d)
    w = weights(n, dtype, weighted, seed=k)
    init = start(X, k, seed=d)
    ours = RUNS[algorithm](X, w, init, max_iter=60, record_history=True)
    lloyds = lloyd(X, w, init, max_iter=60, record_history=True)
    assert_same_run(ours, lloyds, dtype)


@pytest.mark.parametrize("algorithm", sorted(RUNS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_labels_at_every_iteration(algorithm, dtype):
    X = blobs(500, 4, 5, dtype, seed=3)
    w = np.ones(500, dtype=dtype)
    init = start(X, 20, seed=4)
    n_iter = lloyd(X, w, init, max_iter=100).n_iter
    assert n_iter > 3
    for t in range(1, n_iter + 1):
        ours = RUNS[algorithm](X, w, init, max_iter=t)
        lloyds = lloyd(X, w, init, max_iter=t)
        np.testing.assert_array_equal(ours.labels, lloyds.labels)
        assert ours.n_iter == lloyds.n_iter


@pytest.mark.parametrize("algorithm", sorted(RUNS))
@pytest.mark.parametrize("tol", [1e-3, 1e-1])
def test_tol_stops_where_lloyd_does(algorithm, tol):
    X = blobs(800, 6, 8, np.float64, seed=5)
    w = np.ones(800)
    init = start(X, 16, seed=6)
    tol_abs = tol * float(np.mean(np.var(X, axis=0)))
    ours = RUNS[algorithm](X, w, init, tol=tol_abs, record_history=True)
    lloyds = lloyd(X, w, init, tol=tol_abs, record_history=True)
    assert_same_run(ours, lloyds, np.float64)


@pytest.mark.parametrize("algorithm", sorted(RUNS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_ties_go_where_lloyd_sends_them(algorithm, dtype, monkeypatch):
    # Many exact ties, which rounding decides; the kernels must hand those rows
    # to Lloyd's replay.
    X, init = tie_data(dtype)
    w = np.ones(900, dtype=dtype)
    calls = []
    replay = acc.lloyd_labels_of_rows

    def spy(*args):
        calls.append(len(args[3]))
        return replay(*args)

    monkeypatch.setattr(acc, "lloyd_labels_of_rows", spy)
    ours = RUNS[algorithm](X, w, init, max_iter=50, record_history=True)
    lloyds = lloyd(X, w, init, max_iter=50, record_history=True)
    assert_same_run(ours, lloyds, dtype)
    assert calls and sum(calls) > 0


@pytest.mark.parametrize("algorithm", sorted(RUNS))
def test_duplicates_and_empty_clusters(algorithm):
    # Five distinct points, many copies, eight clusters: empty clusters are
    # relocated and duplicate centers tie, as in Lloyd.
    rng = np.random.default_rng(8)
    base = rng.normal(size=(5, 3))
    X = np.ascontiguousarray(base[rng.integers(5, size=300)])
    init = np.ascontiguousarray(X[:8])
    w = rng.uniform(0.5, 2.0, 300)
    ours = RUNS[algorithm](X, w, init, max_iter=30, record_history=True)
    lloyds = lloyd(X, w, init, max_iter=30, record_history=True)
    assert_same_run(ours, lloyds, np.float64)


def test_far_outlier_and_large_offsets():
    # Rows far from the origin make the rounding margins large: still exact.
    X = blobs(500, 4, 6, np.float32, seed=9)
    X[:5] += 1e4
    X += 300.0
    w = np.ones(500, dtype=np.float32)
    init = start(X, 12, seed=10)
    lloyds = lloyd(X, w, init, max_iter=40, record_history=True)
    for run in RUNS.values():
        assert_same_run(
            run(X, w, init, max_iter=40, record_history=True), lloyds, np.float32
        )


@pytest.mark.parametrize("algorithm", sorted(RUNS))
def test_same_bits_on_one_and_two_threads(algorithm):
    # Large enough for the parallel compilation (see _jit.SERIAL_BELOW).
    X = blobs(6000, 16, 10, np.float32, seed=11)
    w = np.ones(6000, dtype=np.float32)
    init = start(X, 30, seed=12)
    threads = numba.get_num_threads()
    runs = []
    try:
        for n_threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n_threads)
            runs.append(RUNS[algorithm](X, w, init, max_iter=15, record_history=True))
    finally:
        numba.set_num_threads(threads)
    for other in runs[1:]:
        np.testing.assert_array_equal(other.labels, runs[0].labels)
        np.testing.assert_array_equal(other.centers, runs[0].centers)
        np.testing.assert_array_equal(other.history.centers, runs[0].history.centers)
        assert other.inertia == runs[0].inertia


# -- the replay of ambiguous rows -----------------------------------------------------


def test_replay_gives_lloyds_labels_for_any_rows():
    # The replay relies on Lloyd's block layout: every row, replayed, must get the
    # label Lloyd's own pass gives it, float32 rounding included.
    X = blobs(3000, 20, 3, np.float32, seed=13, spread=0.3)
    w = np.ones(3000, dtype=np.float32)
    centers = start(X, 9, seed=14)
    want = assign_labels(X, w, centers)[0]
    chunk = acc.chunk_size_for(3000, 9, 20)
    assert 3000 // chunk > 2
    rows = np.arange(3000)
    np.testing.assert_array_equal(
        acc.lloyd_labels_of_rows(X, w, centers, rows, chunk), want
    )
    some = np.random.default_rng(15).choice(3000, 40, replace=False)
    some.sort()
    np.testing.assert_array_equal(
        acc.lloyd_labels_of_rows(X, w, centers, some, chunk), want[some]
    )


def knife_edge_rows(centers, n_rows, rng):
    """Rows between two centers whose squared distances differ by about Lloyd's
    tie margin: which center Lloyd's kernel picks is decided by rounding."""
    k, d = centers.shape
    c = centers.astype(np.float64)
    out = np.empty((n_rows, d))
    coef = tie_coef(centers, d)
    c_sqmax = float((c * c).sum(axis=1).max())
    for i in range(n_rows):
        a, b = rng.choice(k, 2, replace=False)
        mid = (c[a] + c[b]) / 2
        gap = c[b] - c[a]
        gap_norm = np.linalg.norm(gap)
        margin = coef * (mid @ mid + c_sqmax)
        delta = margin / (2.0 * gap_norm) * (1.0 + rng.uniform(-0.05, 0.05))
        out[i] = mid + delta * gap / gap_norm
    return out.astype(centers.dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_replay_packs_rows_by_position_with_lloyds_labels(dtype):
    # The replay packs rows of many blocks into few, each at its position in its
    # block; rows that rounding decides must still get Lloyd's labels.
    rng = np.random.default_rng(16)
    n_blocks, d = 48, 20
    n = n_blocks * BLOCK_ROWS
    X = blobs(n, d, 5, dtype, seed=16, spread=0.5)
    centers = start(X, 9, seed=17)
    chunk = acc.chunk_size_for(n, 9, d)
    # Knife-edge rows at 6 positions of every other block: 6 rows share each.
    blocks = np.arange(0, n_blocks, 2) * BLOCK_ROWS
    rows = (blocks[:, None] + rng.choice(BLOCK_ROWS, 6, replace=False)).ravel()
    rows.sort()
    X[rows] = knife_edge_rows(centers, rows.shape[0], rng)
    w = np.ones(n, dtype=dtype)
    want = assign_labels(X, w, centers)[0]
    exact = ref.sq_distances(X[rows], centers).argmin(axis=1)
    assert np.any(want[rows] != exact)  # rounding and the tie rule decide some
    assert len(np.unique(want[rows])) > 2
    np.testing.assert_array_equal(
        acc.lloyd_labels_of_rows(X, w, centers, rows, chunk), want[rows]
    )
    # one row alone still takes a full block (a lone row's product would be BLAS's
    # gemv, which rounds otherwise)
    alone = [
        acc.lloyd_labels_of_rows(X, w, centers, rows[i : i + 1], chunk)[0]
        for i in range(rows.shape[0])
    ]
    np.testing.assert_array_equal(alone, want[rows])
    # and with the last, short block of X among them
    X2, w2 = X[: n - 100], w[: n - 100]
    rows2 = np.concatenate([rows[rows < n - 356], [n - 101, n - 150]])
    want2 = assign_labels(X2, w2, centers)[0]
    np.testing.assert_array_equal(
        acc.lloyd_labels_of_rows(X2, w2, centers, rows2, chunk), want2[rows2]
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered", [False, True])
def test_label_partials_redo_only_the_chosen_labels_in_row_order(dtype, centered):
    # After a replay only the labels the replayed rows ended in are resummed; they
    # must come out as Lloyd's (row order: the same bits), the rest untouched.
    rng = np.random.default_rng(16)
    X = np.ascontiguousarray(rng.normal(size=(700, 5)) + 40.0, dtype=dtype)
    w = rng.uniform(0.5, 2.0, 700).astype(dtype)
    labels = rng.integers(0, 6, 700).astype(np.int32)
    x_mean = X.mean(axis=0).astype(dtype) if centered else None
    rows = X if x_mean is None else X - x_mean
    want = ref.partial_sums(rows, w, np.zeros((6, 5)), labels, 100)
    chunks = np.array([1, 3, 6])
    redo = np.zeros((3, 6), dtype=np.bool_)
    redo[0, [0, 4]] = redo[1, 2] = redo[2, [1, 2, 5]] = True
    sums = want.sums.copy()
    weights = want.weights.copy()
    for q, c in enumerate(chunks):
        sums[c, redo[q]] = np.nan
        weights[c, redo[q]] = np.nan
    extra = () if x_mean is None else (x_mean,)
    partials.label_partials(X, w, labels, 100, chunks, redo, sums, weights, *extra)
    np.testing.assert_array_equal(sums, want.sums)
    np.testing.assert_array_equal(weights, want.weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered", [False, True])
def test_resum_changed_redoes_the_labels_rows_joined_left_or_hold_flagged(
    dtype, centered
):
    # A pass that only resums what changed: the labels rows joined or left, and
    # those of flagged rows (left out for the replay), summed as Lloyd sums them;
    # every other slot kept as it was.
    rng = np.random.default_rng(22)
    n, k, chunk = 700, 6, 100
    X = np.ascontiguousarray(rng.normal(size=(n, 5)) + 40.0, dtype=dtype)
    w = rng.uniform(0.5, 2.0, n).astype(dtype)
    before = rng.integers(0, k, n).astype(np.int32)
    labels = before.copy()
    labels[[5, 130, 131, 650]] = [(before[i] + 1) % k for i in (5, 130, 131, 650)]
    flags = np.zeros(n, dtype=np.int8)
    flags[[140, 420]] = 1
    x_mean = X.mean(axis=0).astype(dtype) if centered else None
    rows = X if x_mean is None else X - x_mean
    old = ref.partial_sums(rows, w, np.zeros((k, 5)), before, chunk)
    kept = flags == 0
    want = ref.partial_sums(rows[kept], w[kept], np.zeros((k, 5)), labels[kept], 1)
    sums, weights = old.sums.copy(), old.weights.copy()
    for c in range(n // chunk):
        partials.resum_changed(
            X,
            w,
            labels,
            flags,
            before[c * chunk : (c + 1) * chunk],
            chunk,
            c,
            sums,
            weights,
            x_mean,
        )
    # Chunk by chunk, every slot is the sum of its kept rows, in row order.
    for c in range(n // chunk):
        lo, hi = c * chunk, (c + 1) * chunk
        sel = kept[lo:hi]
        own = ref.partial_sums(
            rows[lo:hi][sel], w[lo:hi][sel], np.zeros((k, 5)), labels[lo:hi][sel], chunk
        )
        touched = np.zeros(k, dtype=bool)
        moved = (before[lo:hi] != labels[lo:hi]) | ~sel
        touched[before[lo:hi][moved]] = touched[labels[lo:hi][moved]] = True
        np.testing.assert_array_equal(sums[c, touched], own.sums[0, touched])
        np.testing.assert_array_equal(weights[c, touched], own.weights[0, touched])
        np.testing.assert_array_equal(sums[c, ~touched], old.sums[c, ~touched])
    # And the totals are the kept rows' (every changed label was redone).
    np.testing.assert_allclose(sums.sum(axis=0), want.sums.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("algorithm", sorted(STEPS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", ["blobs", "ties"])
def test_passes_without_inertia_give_lloyds_sums_bit_for_bit(algorithm, dtype, data):
    # Without the inertia a pass resums only the labels that changed, from its
    # slots of the pass before: at every pass its sums must be Lloyd's, bit for bit.
    if data == "ties":
        X, centers = tie_data(dtype)
        w = np.ones(X.shape[0], dtype=dtype)
    else:
        X = blobs(4000, 6, 10, dtype, seed=23)
        w = weights(4000, dtype, True, seed=24)
        centers = start(X, 30, seed=25)
    k = centers.shape[0]
    step = STEPS[algorithm](X, w, k, inertia=False)
    lloyds = LloydStep(X, w, k, inertia=False)
    assert step.n_chunks > 1 or data == "ties"
    few = 0
    for _ in range(25):
        sums, wsum, _, n_changed = step.run(centers)
        want = lloyds.run(centers)
        np.testing.assert_array_equal(step.labels, lloyds.labels)
        np.testing.assert_array_equal(sums, want[0])
        np.testing.assert_array_equal(wsum, want[1])
        assert n_changed == want[3]
        few += step.sums_held and 0 < n_changed < X.shape[0] // 20
        step.relocate_empty(centers, sums, wsum)
        lloyds.relocate_empty(centers, want[0], want[1])
        centers = average_centers(sums, wsum, dtype)
    assert few > 0


@pytest.mark.parametrize("algorithm", sorted(RUNS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_runs_without_history_give_lloyds_centers_bit_for_bit(algorithm, dtype):
    X = blobs(5000, 8, 12, dtype, seed=26)
    w = weights(5000, dtype, True, seed=27)
    init = start(X, 40, seed=28)
    ours = RUNS[algorithm](X, w, init, max_iter=80)
    lloyds = lloyd(X, w, init, max_iter=80)
    assert ours.n_iter == lloyds.n_iter > 5
    np.testing.assert_array_equal(ours.labels, lloyds.labels)
    np.testing.assert_array_equal(ours.centers, lloyds.centers)
    assert ours.inertia == lloyds.inertia


def test_margin_coef_covers_the_dtype():
    for dtype in DTYPES:
        eps = np.finfo(dtype).eps
        assert acc.margin_coef(dtype, 10) > 4 * 12 * eps / 2
    assert acc.storage_rel(np.float32, 10) > np.finfo(np.float32).eps
    assert acc.storage_rel(np.float64, 10) > np.finfo(np.float64).eps


# -- kernels against the NumPy oracle -------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [3, 24])
def test_block_scan_ranks_as_lloyd(dtype, d):
    X = blobs(300, d, 4, dtype, seed=16)
    centers = start(X, 7, seed=17)
    rows = np.arange(40, 40 + bounds.BLOCK_ROWS, dtype=np.int64)
    m = 200
    info = acc.CenterInfo(centers, None, full_cc=False)
    _, _, _, scratch = bounds.new_scratch(d, 7, X[:1, 0])
    xsq = np.empty(bounds.BLOCK_ROWS)
    values = bounds.block_scan(X, rows, m, info.centers_m2, info.c_sqnorm, scratch, xsq)
    np.testing.assert_allclose(
        xsq[:m], ref.sq_distances(X[rows[:m]], np.zeros((1, d)))[:, 0], rtol=1e-12
    )
    best, second, label = ref.ranking(X[rows[:m]], centers)
    scale = ref.sq_distances(X[rows[:m]], np.zeros((1, d)))[:, 0] + (
        np.sqrt((centers.astype(float) ** 2).sum(axis=1)).max() ** 2
    )
    tol = 64 * d * np.finfo(dtype).eps * scale
    assert np.all(np.abs(scratch[2][:m] - best) <= tol)
    assert np.all(np.abs(scratch[3][:m] - second) <= tol)
    clear = second - best > 2 * tol
    np.testing.assert_array_equal(scratch[4][:m][clear], label[clear])
    want = (centers.astype(float) ** 2).sum(axis=1)[:, None] - 2.0 * (
        centers.astype(float) @ X[rows[:m]].astype(float).T
    )
    assert np.all(np.abs(values - want) <= tol[None, :])


@pytest.mark.parametrize("algorithm", sorted(STEPS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_pass_gives_lloyds_labels_sums_and_valid_bounds(algorithm, dtype):
    X = blobs(1500, 8, 6, dtype, seed=18)
    w = weights(1500, dtype, True, seed=19)
    rng = np.random.default_rng(20)
    centers = start(X, 24, seed=21)
    step = STEPS[algorithm](X, w, 24, inertia=True)
    labels = step.labels
    for move in [0.0, 0.5, 0.05, 0.0, 2.0, 0.01]:
        centers = np.ascontiguousarray(
            centers + move * rng.normal(size=centers.shape), dtype=dtype
        )
        previous = labels.copy()
        sums, wsum, inertia, n_changed = step.run(centers)
        np.testing.assert_array_equal(labels, assign_labels(X, w, centers)[0])
        want = ref.partial_sums(X, w, centers, labels, step.chunk, previous)
        np.testing.assert_allclose(sums, want.sums.sum(axis=0), rtol=1e-10)
        np.testing.assert_allclose(wsum, want.weights.sum(axis=0), rtol=1e-10)
        np.testing.assert_allclose(inertia, want.inertia.sum(), rtol=1e-10)
        assert n_changed == want.n_changed.sum()
        assert ref.upper_bounds_hold(X, centers, labels, step.upper)
        if algorithm == "hamerly":
            assert ref.lower_bounds_hold(X, centers, step.lower, exclude=labels)
        elif algorithm == "elkan":
            lower = step.lower.astype(float) - step.cum[None, :]
            assert ref.lower_bounds_hold(X, centers, lower)
        else:
            lower = step.lower.astype(float) - step.cum[None, :]
            assert ref.group_lower_bounds_hold(X, centers, labels, lower, step.group_of)
            assert ref.lower_bounds_hold(X, centers, step.glower, exclude=labels)


# -- memory budgets, groups, sparse input and "auto" ---------------------------------


def test_elkan_falls_back_to_hamerly_beyond_its_budget(monkeypatch):
    X = blobs(400, 5, 4, np.float64, seed=22)
    w = np.ones(400)
    init = start(X, 10, seed=23)
    assert _elkan.elkan_bounds_bytes(400, 10, np.float64) == 400 * 10 * 8
    lloyds = lloyd(X, w, init, max_iter=40, record_history=True)

    class NoElkan(ElkanStep):
        def __init__(self, *args, **kwargs):
            raise AssertionError("Elkan's bounds were allocated beyond the budget")

    monkeypatch.setitem(registry.STEPS, "elkan", NoElkan)
    elkan = RUNS["elkan"]
    small = elkan(X, w, init, max_iter=40, record_history=True, memory_budget=1000)
    assert_same_run(small, lloyds, np.float64)
    with pytest.raises(AssertionError, match="beyond the budget"):
        elkan(X, w, init, max_iter=40, memory_budget=400 * 10 * 8)


def test_yinyang_groups():
    centers = blobs(95, 4, 5, np.float64, seed=24)
    group = group_centers(centers, 10)
    np.testing.assert_array_equal(group, group_centers(centers, 10))
    assert group.shape == (95,) and group.min() == 0
    np.testing.assert_array_equal(np.unique(group), np.arange(group.max() + 1))
    assert n_groups_for(1000, 95, np.float64) == 10
    assert n_groups_for(1000, 5, np.float64) == 1
    assert n_groups_for(1000, 95, np.float64, memory_budget=1000 * 8 * 3) == 3
    X = blobs(500, 4, 5, np.float64, seed=25)
    w = np.ones(500)
    init = start(X, 40, seed=26)
    lloyds = lloyd(X, w, init, max_iter=40, record_history=True)
    few = RUNS["yinyang"](
        X, w, init, max_iter=40, record_history=True, memory_budget=500 * 8
    )
    assert_same_run(few, lloyds, np.float64)


@pytest.mark.parametrize("algorithm", ["elkan", "hamerly", "yinyang", "auto"])
def test_sparse_input_runs_lloyd(algorithm):
    X = sp.random(300, 12, density=0.3, format="csr", random_state=27)
    assert resolve_algorithm(algorithm, X, 5) == "lloyd"
    init = X[:5].toarray()
    ours = KMeans(5, init=init, algorithm=algorithm).fit(X)
    lloyds = KMeans(5, init=init, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(ours.labels_, lloyds.labels_)
    np.testing.assert_array_equal(ours.cluster_centers_, lloyds.cluster_centers_)


def test_auto_rule():
    assert choose_algorithm(100_000, 2, 8, np.float32) == "lloyd"
    assert choose_algorithm(200_000, 16, 64, np.float32) == "hamerly"
    assert choose_algorithm(200_000, 8, 15, np.float64) == "lloyd"
    assert choose_algorithm(1_000_000, 8, 16, np.float64) == "lloyd"
    assert choose_algorithm(200_000, 16, 63, np.float32) == "lloyd"
    assert choose_algorithm(100_000, 256, 64, np.float64) == "hamerly"
    assert choose_algorithm(1_000_000, 32, 256, np.float32) == "hamerly"
    assert choose_algorithm(200_000, 128, 1024, np.float64) == "hamerly"
    assert choose_algorithm(1000, 128, 1024, np.float64, sparse=True) == "lloyd"
    X = blobs(100, 3, 3, np.float64, seed=28)
    assert resolve_algorithm("auto", X, 20) == choose_algorithm(100, 3, 20, X.dtype)
    assert resolve_algorithm("elkan", X, 20) == "elkan"


@pytest.mark.parametrize("algorithm", ["auto", "elkan", "hamerly", "yinyang"])
def test_estimator_gives_lloyds_fit(algorithm):
    X = blobs(700, 6, 8, np.float32, seed=29)
    ours = KMeans(20, random_state=0, algorithm=algorithm, record_history=True).fit(X)
    lloyds = KMeans(20, random_state=0, algorithm="lloyd", record_history=True).fit(X)
    assert ours.n_iter_ == lloyds.n_iter_
    np.testing.assert_array_equal(ours.labels_, lloyds.labels_)
    np.testing.assert_allclose(
        ours.cluster_centers_, lloyds.cluster_centers_, rtol=1e-5
    )
    np.testing.assert_allclose(ours.inertia_, lloyds.inertia_, rtol=1e-5)
    np.testing.assert_array_equal(ours.history_.n_changed, lloyds.history_.n_changed)
