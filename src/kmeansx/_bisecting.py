"""``BisectingKMeans``: scikit-learn's bisecting k-means, over kmeansx's runs.

Every split is a 2-means on one cluster's rows, run by kmeansx's loop
(:func:`kmeansx._algorithms.loop.run_loop`) on a :class:`MemorySource` of those
rows; the whole tree is kept, so that the clustering at every k from 1 to
``n_clusters`` comes from one fit.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from kmeansx import _validation as V
from kmeansx._algorithms.loop import LoopOptions, run_loop
from kmeansx._backends.memory import MemorySource
from kmeansx._data import dense_rows, take_weights
from kmeansx._estimator import ALGORITHMS, KMeans, keep_params
from kmeansx._kernels._jit import single_threaded_blas

STRATEGIES = ("biggest_inertia", "largest_cluster")


@dataclass(frozen=True)
class BisectingTree:
    """The tree of a bisecting fit; node ``0`` is the root (all rows), and split
    ``s`` (``s = 0, 1, ...``) made nodes ``2 s + 1`` (left) and ``2 s + 2`` (right).

    Attributes
    ----------
    parent : ndarray of shape (n_nodes,)
        The parent of each node (-1 for the root).
    children : ndarray of shape (n_nodes, 2)
        Left and right child of each node, -1 for a leaf.
    centers : ndarray of shape (n_nodes, n_features)
        The center of each node's rows (the 2-means center it was split off with).
    sizes : ndarray of shape (n_nodes,)
        Rows in each node.
    weights : ndarray of shape (n_nodes,)
        Their total ``sample_weight``.
    inertia : ndarray of shape (n_nodes,)
        Weighted sum of squared distances of each node's rows to its center.
    """

    parent: np.ndarray
    children: np.ndarray
    centers: np.ndarray
    sizes: np.ndarray
    weights: np.ndarray
    inertia: np.ndarray

    @property
    def n_leaves(self) -> int:
        return (self.parent.shape[0] + 1) // 2

    def leaves(self, k: int) -> list[int]:
        """The nodes that are the clusters after ``k - 1`` splits, left to right
        (the order of their labels)."""
        if not 1 <= k <= self.n_leaves:
            raise ValueError(f"k must be in [1, {self.n_leaves}], got {k!r}.")
        out, stack = [], [0]
        while stack:
            node = stack.pop()
            left, right = self.children[node]
            # Node 2 s + 1 was made by split s: that split is among the first k - 1.
            if left >= 0 and (left - 1) // 2 < k - 1:
                stack += [right, left]
            else:
                out.append(node)
        return out


class BisectingKMeans(KMeans):
    """Bisecting k-means; a drop-in for ``sklearn.cluster.BisectingKMeans``.

    Start with every row in one cluster; then, ``n_clusters - 1`` times, split one
    cluster in two by 2-means (``n_init`` runs of kmeansx's exact Lloyd-type
    iterations, the lowest inertia kept): the cluster of the biggest inertia
    (``bisecting_strategy="biggest_inertia"``) or of the most rows
    (``"largest_cluster"``). Same parameters, semantics and fitted attributes as
    scikit-learn's, and also the whole tree (``tree_``) and the clustering at every
    k from 1 to ``n_clusters`` (:meth:`labels_for`, :meth:`centers_for`,
    :meth:`inertia_for`), which :func:`kmeansx.choose_k` uses with
    ``strategy="bisecting"``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters: leaves of the tree.
    init : {"k-means++", "random"} or callable, default="random"
        The initialization of each 2-means (see :class:`kmeansx.KMeans`).
    n_init : int, default=1
        Runs per split; the lowest inertia is kept (a later run must beat it by a
        relative 1e-6, as in scikit-learn).
    random_state : int, RandomState instance or None, default=None
        Seeds every split's initialization, one stream for the whole fit.
    max_iter : int, default=300
        The most iterations of each 2-means.
    verbose : int, default=0
    tol : float, default=1e-4
        As scikit-learn's ``BisectingKMeans``: an absolute bound on the summed
        squared center shift of each 2-means (not scaled by the variance).
    copy_x : bool, default=True
        Accepted for compatibility; the data is never modified.
    algorithm : {"lloyd", "elkan", "auto", "hamerly", "yinyang"}, default="lloyd"
        The exact algorithm of each 2-means (all give the same result).
    bisecting_strategy : {"biggest_inertia", "largest_cluster"}, \
            default="biggest_inertia"

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
        The leaf of each row (not always its nearest center).
    inertia_ : float
        Weighted sum of squared distances of the rows to their leaf's center.
    tree_ : BisectingTree
        Parent, children, center, size, weight and inertia of every node.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmeansx import BisectingKMeans
    >>> X, _ = make_blobs(300, centers=4, cluster_std=0.5, random_state=0)
    >>> bkm = BisectingKMeans(n_clusters=4, random_state=0).fit(X)
    >>> bkm.cluster_centers_.shape
    (4, 2)
    >>> [len(set(bkm.labels_for(k))) for k in (1, 2, 3, 4)]
    [1, 2, 3, 4]
    >>> bool(bkm.inertia_for(2) > bkm.inertia_for(4) == bkm.inertia_)
    True
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="random",
        n_init=1,
        random_state=None,
        max_iter=300,
        verbose=0,
        tol=1e-4,
        copy_x=True,
        algorithm="lloyd",
        bisecting_strategy="biggest_inertia",
    ):
        keep_params(self, locals())

    def _check_params(self) -> int:
        for name in ("n_clusters", "max_iter", "n_init"):
            V.check_int(name, getattr(self, name), 1)
        V.check_tol(self.tol)
        if not (callable(self.init) or self.init in ("k-means++", "random")):
            raise ValueError(
                f"init must be 'k-means++', 'random' or a callable, got {self.init!r}."
            )
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"algorithm must be one of {ALGORITHMS}, got {self.algorithm!r}."
            )
        if self.bisecting_strategy not in STRATEGIES:
            raise ValueError(
                f"bisecting_strategy must be one of {STRATEGIES}, got "
                f"{self.bisecting_strategy!r}."
            )
        return int(self.n_init)

    def fit(self, X, y=None, sample_weight=None):
        """Compute bisecting k-means clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : BisectingKMeans

        Examples
        --------
        >>> from kmeansx import BisectingKMeans
        >>> X = [[0, 0], [0, 1], [9, 9], [9, 8]]
        >>> BisectingKMeans(2, random_state=0).fit(X).labels_.tolist()
        [1, 1, 0, 0]
        """
        n_init = self._check_params()
        X = self._check_X(X, reset=True)
        V.check_n_clusters(self.n_clusters, X.shape[0])
        weight = V.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        random_state = check_random_state(self.random_state)
        k, n_features = self.n_clusters, X.shape[1]
        n_nodes = 2 * k - 1
        parent = np.full(n_nodes, -1, dtype=np.int64)
        children = np.full((n_nodes, 2), -1, dtype=np.int64)
        centers = np.zeros((n_nodes, n_features))
        sizes = np.zeros(n_nodes, dtype=np.int64)
        weights = np.zeros(n_nodes)
        inertia = np.zeros(n_nodes)
        rows = {0: np.arange(X.shape[0])}
        centers[0] = _weighted_mean(X, weight, rows[0])
        sizes[0], weights[0] = X.shape[0], float(np.sum(weight, dtype=np.float64))
        inertia[0] = _inertia(X, weight, rows[0], centers[0])
        # The score the next split is chosen by; scikit-learn gives the root 0.
        score = {0: 0.0}
        tree = BisectingTree(parent, children, centers, sizes, weights, inertia)
        for s in range(k - 1):
            leaves = tree.leaves(s + 1)
            # The first leaf (left to right) of the highest score, as scikit-learn.
            node = max(leaves, key=score.__getitem__)
            labels, two_centers = self._bisect(
                X, weight, rows[node], n_init, random_state
            )
            for side in (0, 1):
                child = 2 * s + 1 + side
                mine = rows[node][labels == side]
                rows[child] = mine
                parent[child] = node
                children[node, side] = child
                centers[child] = two_centers[side]
                sizes[child] = mine.shape[0]
                weights[child] = float(np.sum(take_weights(weight, mine)))
                inertia[child] = _inertia(X, weight, mine, centers[child])
                score[child] = (
                    inertia[child]
                    if self.bisecting_strategy == "biggest_inertia"
                    else sizes[child]
                )
            del rows[node]
        self.tree_ = tree
        self._row_leaf = np.empty(X.shape[0], dtype=np.int64)
        for node in tree.leaves(k):
            self._row_leaf[rows[node]] = node
        self.labels_ = self.labels_for(k)
        self.cluster_centers_ = self.centers_for(k).astype(X.dtype)
        self.inertia_ = self.inertia_for(k)
        self._n_features_out = k
        return self

    def _bisect(self, X, weight, rows, n_init: int, random_state):
        """2-means on ``X[rows]``: the labels (0 or 1) and centers (data's units)
        of the best of ``n_init`` runs."""
        X_sub = X[rows]
        w_sub = take_weights(weight, rows)
        init = self.init
        source = MemorySource(X_sub, w_sub, init)
        # scikit-learn's bisection takes ``tol`` as absolute (unscaled).
        tol = self.tol * 4.0**source.exponent
        options = LoopOptions(self.max_iter, tol, bool(self.verbose))
        algorithm = self.algorithm
        best = None
        with single_threaded_blas():
            for run_index in range(n_init):
                start = source.initial_centers(
                    init, 2, random_state, last=run_index == n_init - 1
                )
                run = run_loop(source.new_step(algorithm, 2), start, options)
                if best is None or run.inertia < best.inertia * (1 - 1e-6):
                    best = run
        centers = best.centers.astype(np.float64)
        if source.mean is not None:
            centers = centers + source.mean
        if source.exponent:
            centers = np.ldexp(centers, -source.exponent)
        if self.verbose:
            print(f"New centroids from bisection: {centers}")
        return best.labels, centers

    # -- every k from one fit --------------------------------------------------------

    def _check_k(self, k) -> int:
        check_is_fitted(self, "tree_")
        if not isinstance(k, numbers.Integral) or not 1 <= k <= self.n_clusters:
            raise ValueError(f"k must be an int in [1, {self.n_clusters}], got {k!r}.")
        return int(k)

    def labels_for(self, k: int) -> np.ndarray:
        """The labels of the training rows after ``k - 1`` splits (``labels_`` for
        ``k = n_clusters``); clusters are numbered left to right in the tree.

        Examples
        --------
        >>> from kmeansx import BisectingKMeans
        >>> X = [[0, 0], [0, 1], [5, 5], [9, 9], [9, 8]]
        >>> bkm = BisectingKMeans(3, random_state=0).fit(X)
        >>> bkm.labels_for(1).tolist()
        [0, 0, 0, 0, 0]
        """
        k = self._check_k(k)
        leaves = self.tree_.leaves(k)
        label_of = np.full(self.tree_.parent.shape[0], -1, dtype=np.int32)
        label_of[leaves] = np.arange(k, dtype=np.int32)
        # Every node takes the label of its ancestor among the leaves at k.
        for node in range(label_of.shape[0]):
            if label_of[node] < 0 and self.tree_.parent[node] >= 0:
                label_of[node] = label_of[self.tree_.parent[node]]
        return label_of[self._row_leaf]

    def centers_for(self, k: int) -> np.ndarray:
        """The ``k`` centers after ``k - 1`` splits, in the order of
        :meth:`labels_for` (float64).

        Examples
        --------
        >>> from kmeansx import BisectingKMeans
        >>> bkm = BisectingKMeans(2, random_state=0).fit([[0.0], [2.0], [10.0]])
        >>> bkm.centers_for(1).tolist()
        [[4.0]]
        """
        k = self._check_k(k)
        return self.tree_.centers[self.tree_.leaves(k)].copy()

    def inertia_for(self, k: int) -> float:
        """The inertia of the clustering after ``k - 1`` splits.

        Examples
        --------
        >>> from kmeansx import BisectingKMeans
        >>> bkm = BisectingKMeans(2, random_state=0).fit([[0.0], [2.0], [10.0]])
        >>> bkm.inertia_for(1), bkm.inertia_for(2)
        (56.0, 2.0)
        """
        k = self._check_k(k)
        return float(self.tree_.inertia[self.tree_.leaves(k)].sum())

    # -- a fitted model ---------------------------------------------------------------

    def predict(self, X):
        """The leaf each row reaches down the tree, nearer child at each split
        (as scikit-learn's ``BisectingKMeans.predict``).

        Examples
        --------
        >>> from kmeansx import BisectingKMeans
        >>> bkm = BisectingKMeans(2, random_state=0).fit([[0], [1], [10], [11]])
        >>> (bkm.predict([[2], [9]]) == bkm.labels_[[0, 2]]).all()
        np.True_
        """
        check_is_fitted(self, "tree_")
        X = self._check_X(X, reset=False)
        tree = self.tree_
        leaves = tree.leaves(self.n_clusters)
        label_of = {node: i for i, node in enumerate(leaves)}
        labels = np.empty(X.shape[0], dtype=np.int32)
        ones = np.ones(X.shape[0], dtype=X.dtype)
        stack = [(0, np.arange(X.shape[0]))]
        while stack:
            node, rows = stack.pop()
            if node in label_of:
                labels[rows] = label_of[node]
                continue
            if rows.shape[0] == 0:
                continue
            left, right = tree.children[node]
            side = _nearest(X, ones, rows, tree.centers[[left, right]])
            stack += [(left, rows[side == 0]), (right, rows[side == 1])]
        return labels


def _nearest(X, weight, rows, centers) -> np.ndarray:
    """Index of the nearest of ``centers`` for each of ``X[rows]`` (ties: 0)."""
    probe = KMeans(centers.shape[0])
    probe.cluster_centers_ = centers
    return probe._assign(X[rows], take_weights(weight, rows))[0]


def _weighted_mean(X, weight, rows) -> np.ndarray:
    data = dense_rows(X, rows).astype(np.float64)
    w = np.asarray(take_weights(weight, rows), dtype=np.float64)
    total = w.sum()
    return (w @ data) / total if total > 0 else data.mean(axis=0)


def _inertia(X, weight, rows, center) -> float:
    """Weighted sum of squared distances of ``X[rows]`` to ``center``."""
    if rows.shape[0] == 0:
        return 0.0
    probe = KMeans(1)
    probe.cluster_centers_ = center[None, :]
    return probe._assign(X[rows], take_weights(weight, rows))[1]
