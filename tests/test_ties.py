"""Points exactly as far from two centers go to the lower center index, on every
path: each algorithm, float32 and float64, dense and CSR, Dask, predict.

The data sit on small grids, so a tie is a true tie, which the kernels' rounding
(on data centered on its mean) would otherwise break either way; within the
rounding of their ranking values a lower index wins (``TIE_FACTOR`` in
``kmeansx._kernels.assign``). On decimal data such as iris the same rule gives the
answer of exact rational arithmetic (``test_decimal_ties_...``).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SKKMeans

from kmeansx import KMeans
from kmeansx.steps import assign, update
from reference import lloyd, nearest

ALGORITHMS = ["lloyd", "elkan", "hamerly", "yinyang", "auto"]


def issue_layout():
    """Each [1, 1, 1] row is at squared distance 1 from both initial centers."""
    X = np.array(
        [[1, 1, 0]] * 24 + [[1, 0, 1]] * 24 + [[0, 0, 1]] * 8 + [[1, 1, 1]] * 4
    )
    return X.astype(float), np.array([[1.0, 1, 0], [1, 0, 1]])


def mirrored_grid():
    """A 7 x 5 integer grid, twice over, and centers mirrored about its middle
    column, whose points tie."""
    grid = np.array([[i, j] for i in range(7) for j in range(5)], dtype=float)
    return np.vstack([grid, grid]), np.array([[1.0, 2.0], [5.0, 2.0]])


def cross():
    """Points on the axes; the two on the vertical axis tie between the centers
    at (-1, 0) and (1, 0), and so does the origin."""
    X = np.array([[-2, 0], [-1, 0], [0, 0], [1, 0], [2, 0], [0, 1], [0, -1]], float)
    return np.repeat(X, 3, axis=0), np.array([[-1.0, 0.0], [1.0, 0.0]])


LAYOUTS = {"issue": issue_layout, "mirrored grid": mirrored_grid, "cross": cross}


def _fit(X, init, algorithm, **kw):
    kw = {"n_init": 1, "tol": 0.0, "record_history": True} | kw
    return KMeans(len(init), init=init, algorithm=algorithm, **kw).fit(X)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_ties_go_to_the_lower_index_at_every_iteration(layout, algorithm, dtype, fmt):
    X, init = LAYOUTS[layout]()
    ref = lloyd(X, np.ones(len(X)), init)
    ties = nearest(X, init)[1] == 0
    assert ties.any()  # the layout does hold exact ties at the start
    Xf = X.astype(dtype)
    km = _fit(sp.csr_matrix(Xf) if fmt == "csr" else Xf, init.astype(dtype), algorithm)
    assert km.n_iter_ == ref.n_iter
    np.testing.assert_array_equal(km.labels_, ref.labels)
    for t, centers in enumerate(ref.history_centers):
        np.testing.assert_allclose(km.history_.centers[t], centers, atol=1e-5)
    assert km.inertia_ == pytest.approx(ref.inertia, rel=1e-6)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_same_answer_as_scikit_learn_and_the_lesson_steps(layout):
    X, init = LAYOUTS[layout]()
    ours = _fit(X, init, "auto")
    theirs = SKKMeans(len(init), init=init, n_init=1, tol=0.0).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-12)
    centers = init
    for _ in range(ours.n_iter_):
        labels = assign(X, centers)
        centers = update(X, labels, centers)
    np.testing.assert_array_equal(assign(X, centers), ours.labels_)


def test_the_issue_example_keeps_the_lower_inertia():
    X, init = issue_layout()
    for algorithm in ALGORITHMS:
        km = _fit(X, init, algorithm)
        assert km.inertia_ == pytest.approx(66 / 7, rel=1e-12)
        assert (km.labels_[-4:] == 0).all()


def test_predict_and_transform_rank_ties_to_the_lower_index():
    X = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 0.0], [4.0, 0.0]])
    km = KMeans(2, init=X[:2], n_init=1).fit(X)
    midway = np.array([[2.0, 0.0], [2.0, 5.0], [2.0, -3.0]])
    expected, _ = nearest(midway, km.cluster_centers_)
    np.testing.assert_array_equal(km.predict(midway), expected)
    np.testing.assert_array_equal(km.predict(midway.astype(np.float32)), expected)


@pytest.mark.parametrize("chunks", [5, 17, 64])
def test_dask_gives_the_ties_to_the_lower_index(chunks):
    da = pytest.importorskip("dask.array")
    X, init = issue_layout()
    memory = _fit(X, init, "lloyd", record_history=False)
    on_dask = KMeans(2, init=init, n_init=1, tol=0.0).fit(da.from_array(X, chunks))
    np.testing.assert_array_equal(np.asarray(on_dask.labels_), memory.labels_)
    assert on_dask.inertia_ == pytest.approx(66 / 7, rel=1e-12)


def _exact_lloyd_centers(X, init, n_iter):
    """Lloyd in exact rational arithmetic on decimal data, ties to the lowest
    index: the centers after each iteration, as floats."""
    from fractions import Fraction

    Xq = [[Fraction(str(v)) for v in row] for row in X.tolist()]
    C = [[Fraction(str(v)) for v in row] for row in init.tolist()]
    history = []
    for _ in range(n_iter):
        labels = []
        for x in Xq:
            d = [sum((a - b) ** 2 for a, b in zip(x, c, strict=True)) for c in C]
            labels.append(d.index(min(d)))
        for j in range(len(C)):
            rows = [x for x, lab in zip(Xq, labels, strict=True) if lab == j]
            C[j] = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
        history.append(np.array([[float(v) for v in c] for c in C]))
    return history


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_decimal_ties_follow_exact_arithmetic(algorithm, fmt):
    from sklearn.datasets import load_iris

    X = load_iris().data  # one decimal: four rows tie between centers 1 and 2
    init = X[[94, 76, 125]]
    d = ((X[:, None, :] - init[None]) ** 2).sum(axis=2)
    assert (np.abs(d[:, 1] - d[:, 2]) < 1e-12).sum() == 4
    exact = _exact_lloyd_centers(X, init, 4)
    Xf = sp.csr_matrix(X) if fmt == "csr" else X
    km = KMeans(3, init=init, n_init=1, tol=0.0, max_iter=4, algorithm=algorithm)
    history = km.set_params(record_history=True).fit(Xf).history_
    for t, centers in enumerate(exact, start=1):
        # A tie given the other way moves a center by about 0.02.
        np.testing.assert_allclose(history.centers[t], centers, rtol=0, atol=1e-12)
