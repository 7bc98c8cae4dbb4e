"""The lesson's steps as functions: standardize, initialize, assign, update, inertia.

Each works on NumPy arrays and on DataFrames, runs on the same kernels as
:class:`kmeansx.KMeans`, and never builds more than the result asks for. Labels are
integers ``0 .. k-1``. Looping ``assign`` and ``update`` from the same centers gives
the same result as ``KMeans(init=centers, n_init=1, tol=0)``.

Examples
--------
>>> import numpy as np
>>> from kmeansx import steps
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
>>> centers = X[[0, 1]]
>>> for _ in range(10):
...     labels = steps.assign(X, centers)
...     new = steps.update(X, labels, centers)
...     if np.array_equal(new, centers):
...         break
...     centers = new
>>> centers.tolist(), steps.inertia(X, centers, labels)
([[0.0, 0.5], [10.0, 0.5]], 1.0)
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from kmeansx import _validation as V
from kmeansx._algorithms.lloyd import assign_labels
from kmeansx._algorithms.registry import runs_plain
from kmeansx._algorithms.relocation import average_centers, relocate_empty_clusters
from kmeansx._data import row_sq_norms
from kmeansx._init import kmeans_plusplus_init, random_init
from kmeansx._kernels import distances as _dist
from kmeansx._kernels import plain as _plain

__all__ = [
    "Standardized",
    "standardize",
    "random_centers",
    "kmeans_plusplus",
    "distances",
    "assign",
    "update",
    "inertia",
]


def _as_array(X, name: str = "X") -> np.ndarray:
    V.check_shape_2d(X, name=name)
    V.check_numeric_columns(X, name=name)
    V.check_object_array(X, name=name)
    arr = np.asarray(X)
    arr = np.ascontiguousarray(
        arr, dtype=arr.dtype if arr.dtype == np.float32 else np.float64
    )
    V.check_finite(
        arr,
        name=name,
        columns=getattr(X, "columns", None),
        index=getattr(X, "index", None),
    )
    return arr


def _as_array_or_csr(X, name: str = "X"):
    """:func:`_as_array`, or a checked CSR matrix for scipy.sparse input."""
    if not sp.issparse(X):
        return _as_array(X, name=name)
    V.check_shape_2d(X, name=name)
    dtype = X.dtype if X.dtype == np.float32 else np.float64
    X = sp.csr_matrix(X, dtype=dtype)
    X.sort_indices()
    V.check_finite(X, name=name)
    return X


def _centers(centers, X: np.ndarray) -> np.ndarray:
    c = _as_array(centers, name="centers")
    if c.shape[1] != X.shape[1]:
        raise ValueError(
            f"centers have {c.shape[1]} features but X has {X.shape[1]}; both must "
            "describe the same columns."
        )
    return np.ascontiguousarray(c, dtype=X.dtype)


def _weights(sample_weight, X: np.ndarray) -> np.ndarray:
    return V.check_sample_weight(sample_weight, X.shape[0], X.dtype)


def _labels(labels, n_samples: int, n_clusters: int) -> np.ndarray:
    lab = np.asarray(labels)
    if lab.shape != (n_samples,):
        raise ValueError(f"labels must have shape ({n_samples},), got {lab.shape}.")
    whole = lab.dtype.kind in "iub" or (
        lab.dtype.kind == "f" and np.array_equal(lab, np.round(lab))
    )
    if lab.size and (not whole or lab.min() < 0 or lab.max() >= n_clusters):
        raise ValueError(
            f"labels must be integers in 0..{n_clusters - 1} (one per center)."
        )
    return lab.astype(np.int32)


# scikit-learn's parameter validation: an error names the parameter and what it
# accepts (InvalidParameterError, a ValueError and a TypeError).
_POSITIVE_INT = Interval(numbers.Integral, 1, None, closed="left")
_INIT_PARAMS = {
    "X": ["array-like", "sparse matrix"],
    "n_clusters": [_POSITIVE_INT],
    "random_state": ["random_state"],
}


class Standardized(NamedTuple):
    """The result of :func:`standardize`: the data, and the mean and scale used."""

    data: object
    mean: np.ndarray
    scale: np.ndarray


def standardize(X) -> Standardized:
    """Rescale every column to mean 0 and standard deviation 1 (population std).

    A constant column is centered and left unscaled (scale 1), as scikit-learn's
    ``StandardScaler`` does. A DataFrame comes back as a DataFrame.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)

    Returns
    -------
    Standardized
        ``(data, mean, scale)``; ``data * scale + mean`` gives ``X`` back.

    Examples
    --------
    >>> from kmeansx.steps import standardize
    >>> Z, mean, scale = standardize([[1.0, 10.0], [3.0, 30.0]])
    >>> Z.tolist(), mean.tolist(), scale.tolist()
    ([[-1.0, -1.0], [1.0, 1.0]], [2.0, 20.0], [1.0, 10.0])
    """
    arr = _as_array(X).astype(np.float64)
    mean = arr.mean(axis=0)
    scale = arr.std(axis=0)
    scale[scale == 0] = 1.0
    data = (arr - mean) / scale
    if hasattr(X, "columns"):
        import pandas as pd

        data = pd.DataFrame(data, index=X.index, columns=X.columns)
    return Standardized(data, mean, scale)


@validate_params(_INIT_PARAMS, prefer_skip_nested_validation=True)
def random_centers(X, n_clusters: int, *, random_state=None) -> np.ndarray:
    """``n_clusters`` distinct rows of ``X`` picked at random: the lesson's start.

    Examples
    --------
    >>> from kmeansx.steps import random_centers
    >>> random_centers([[0.0], [1.0], [2.0]], 2, random_state=0).shape
    (2, 1)
    """
    arr = _as_array(X)
    V.check_n_clusters(n_clusters, arr.shape[0])
    rs = check_random_state(random_state)
    return random_init(arr, n_clusters, np.ones(arr.shape[0]), rs)[0]


@validate_params(
    {
        **_INIT_PARAMS,
        "sample_weight": ["array-like", None],
        "x_squared_norms": ["array-like", None],
        "n_local_trials": [_POSITIVE_INT, None],
    },
    prefer_skip_nested_validation=True,
)
def kmeans_plusplus(
    X,
    n_clusters: int,
    *,
    sample_weight=None,
    x_squared_norms=None,
    random_state=None,
    n_local_trials=None,
):
    """Initial centers by greedy k-means++, as ``sklearn.cluster.kmeans_plusplus``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    n_clusters : int
    sample_weight : array-like of shape (n_samples,), default=None
    x_squared_norms : array-like of shape (n_samples,), default=None
        Squared norms of the rows, computed when not given.
    random_state : int, RandomState instance or None, default=None
    n_local_trials : int, default=None
        Candidates tried per center; ``2 + int(ln(n_clusters))`` when None.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        The rows of ``X`` that became centers.

    Examples
    --------
    >>> from kmeansx import kmeans_plusplus
    >>> centers, indices = kmeans_plusplus([[0.0], [0.1], [9.0]], 2, random_state=0)
    >>> sorted(centers.ravel().round(1).tolist())[-1]
    9.0
    """
    arr = _as_array_or_csr(X)
    V.check_n_clusters(n_clusters, arr.shape[0])
    w = _weights(sample_weight, arr)
    plain = runs_plain(arr, n_clusters)
    if x_squared_norms is None:
        norms = row_sq_norms(arr, plain=plain)
    else:
        norms = np.asarray(x_squared_norms, dtype=np.float64)
        if norms.shape != (arr.shape[0],) or not np.isfinite(norms).all():
            raise ValueError(
                f"x_squared_norms must hold the {arr.shape[0]} rows' finite squared "
                f"norms, shape ({arr.shape[0]},); got shape {norms.shape}. Leave it "
                "None to have them computed."
            )
    return kmeans_plusplus_init(
        arr,
        n_clusters,
        w,
        check_random_state(random_state),
        norms,
        n_local_trials,
        plain=plain,
    )


def distances(X, centers):
    """Euclidean distance from every point to every center.

    This is the one step that returns an (n_samples, n_clusters) table, because the
    table is what it is asked for; :func:`assign` never builds it.

    Examples
    --------
    >>> from kmeansx.steps import distances
    >>> distances([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]]).tolist()
    [[5.0, 1.0]]
    """
    arr = _as_array(X)
    c = _centers(centers, arr)
    out = np.empty((arr.shape[0], c.shape[0]))
    kernels = _plain if runs_plain(arr, c.shape[0]) else _dist
    kernels.sq_distances_dense(arr, c, out)
    np.sqrt(out, out=out)
    if hasattr(X, "index"):
        import pandas as pd

        return pd.DataFrame(out, index=X.index)
    return out


def assign(X, centers):
    """The index of the nearest center of every point (ties go to the lowest).

    Examples
    --------
    >>> from kmeansx.steps import assign
    >>> assign([[0.0], [4.0], [9.0]], [[1.0], [8.0]]).tolist()
    [0, 0, 1]
    """
    arr = _as_array(X)
    c = _centers(centers, arr)
    ones = np.ones(arr.shape[0], dtype=arr.dtype)
    labels = assign_labels(arr, ones, c, plain=runs_plain(arr, c.shape[0]))[0]
    if hasattr(X, "index"):
        import pandas as pd

        return pd.Series(labels, index=X.index, name="cluster")
    return labels


def update(X, labels, centers, *, sample_weight=None) -> np.ndarray:
    """Move every center to the (weighted) mean of its points.

    Unlike the lesson's ``groupby``, which silently drops a cluster that lost all
    its points, an empty cluster is kept: its center moves onto the point farthest
    from its own center (that point leaves its old cluster), as in
    :class:`kmeansx.KMeans`. ``centers`` are the centers the labels came from.

    Returns
    -------
    new_centers : ndarray of shape (n_clusters, n_features)

    Examples
    --------
    >>> from kmeansx.steps import update
    >>> update([[0.0], [2.0], [10.0]], [0, 0, 1], [[0.0], [9.0]]).tolist()
    [[1.0], [10.0]]
    """
    arr = _as_array(X)
    c = _centers(centers, arr)
    k = c.shape[0]
    lab = _labels(labels, arr.shape[0], k)
    w = _weights(sample_weight, arr).astype(np.float64)
    sums = np.zeros((k, arr.shape[1]))
    np.add.at(sums, lab, arr * w[:, None])
    weights = np.bincount(lab, weights=w, minlength=k).astype(np.float64)
    plain = runs_plain(arr, k)
    relocate_empty_clusters(arr, w, c, lab, sums, weights, plain=plain)
    return average_centers(sums, weights, arr.dtype)


def inertia(X, centers, labels=None, *, sample_weight=None) -> float:
    """The within-cluster sum of squares: what k-means minimizes.

    With ``labels=None`` every point counts with its nearest center.

    Examples
    --------
    >>> from kmeansx.steps import inertia
    >>> inertia([[0.0], [2.0]], [[1.0]])
    2.0
    """
    arr = _as_array(X)
    c = _centers(centers, arr)
    w = _weights(sample_weight, arr)
    plain = runs_plain(arr, c.shape[0])
    if labels is None:
        return assign_labels(arr, w, c, plain=plain)[1]
    lab = _labels(labels, arr.shape[0], c.shape[0])
    out = np.empty(arr.shape[0])
    (_plain if plain else _dist).sq_distance_to_label_dense(arr, c, lab, out)
    return float(out @ w.astype(np.float64))
