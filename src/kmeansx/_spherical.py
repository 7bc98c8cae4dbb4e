"""``SphericalKMeans``: k-means by angle (cosine), on the same exact kernels."""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from kmeansx import _validation as V
from kmeansx._algorithms.lloyd import assign_labels
from kmeansx._backends import dask_backend, is_dask_collection
from kmeansx._backends.memory import MemorySource
from kmeansx._data import is_sparse, kernel_view, unit_rows_checked
from kmeansx._estimator import KMeans, keep_params
from kmeansx._kernels import distances as _dist


class SphericalKMeans(KMeans):
    """Spherical (cosine) k-means: clusters of rows by angle, with unit centers.

    Every row of ``X`` is scaled to unit length; each iteration assigns every row
    to the center of largest cosine similarity, then moves every center to the
    weighted mean of its rows scaled back to unit length (Dhillon & Modha 2001).
    The objective is

        ``inertia_ = sum_i w_i (1 - cos(x_i, c_{label_i}))``,

    the weighted cosine distance of every row to its center. On unit vectors
    ``||x - c||^2 = 2 (1 - cos(x, c))``, so the nearest center by angle is the
    nearest by Euclidean distance: every exact algorithm of :class:`KMeans`
    serves, and gives the labels of the plain spherical Lloyd loop at every
    iteration. Text embeddings, TF-IDF rows and other data where only the
    direction matters are its use.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters, k.
    init : {"k-means++", "k-means||", "random"}, callable or array-like of shape \
            (n_clusters, n_features), default="k-means++"
        As in :class:`KMeans`, on the unit rows: "k-means++" draws with
        probability proportional to ``w * D^2 = 2 w (1 - cos)`` to the nearest
        center chosen so far; "k-means||" is its scalable form (its candidates'
        Lloyd iterations are spherical); "random" draws distinct rows. An array
        (no row of zeros) or a callable's result is scaled to unit length.
    n_init : "auto" or int, default="auto"
        Runs from different starts; the lowest inertia is kept ("auto": 1 for
        "k-means++" or an array, 10 for "random" or a callable).
    max_iter : int, default=300
        The most iterations in one run.
    tol : float, default=1e-4
        Convergence when the summed squared shift of the (unit) centers is at most
        ``tol`` times the mean variance of the features of the unit rows. A run
        also stops as soon as no label changes.
    verbose : int, default=0
        Print the inertia at every iteration and why a run stopped.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization; the same seed gives the same result, bit for
        bit, whatever the number of threads.
    copy_x : bool, default=True
        Dense ``X`` is scaled to unit rows in a copy; with ``copy_x=False`` a
        C-contiguous float32 or float64 array is scaled in place (it is modified:
        its rows come back with unit length), which saves the copy. Sparse ``X``
        is never modified: its unit rows are a new ``data`` array sharing
        ``indices`` and ``indptr`` (never a dense copy).
    algorithm : {"auto", "lloyd", "elkan", "hamerly", "yinyang"}, default="auto"
        As in :class:`KMeans`; all give the same result. Sparse input runs
        Lloyd's kernels, and so does "auto" on 256 features or more (measured
        faster there on embedding-like rows).
    record_history : bool, default=False
        Keep ``history_``: the (unit) centers, the inertia ``sum w (1 - cos)``
        and the number of rows that changed cluster at every iteration of the
        kept run.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Unit-length centers.
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        ``sum_i w_i (1 - cos(x_i, c_{label_i}))``.
    n_iter_ : int
    history_ : KMeansHistory
        Only when ``record_history=True``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.

    Notes
    -----
    A row of zeros has no direction: it is an error (naming the row) in ``fit``
    and in ``predict``, ``transform`` and ``score``. A center whose rows cancel out
    (a weighted sum of zero) keeps its previous position. ``transform`` gives the
    cosine distances ``1 - cos``, and ``score`` the opposite of the inertia. Dask
    collections run through the same driver, block by block: their rows are
    scaled to unit length as each block is read (never stored), after one pass
    that checks for rows of zeros; ``predict``, ``transform`` and ``score`` on
    them are lazy or computed as :class:`KMeans`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import SphericalKMeans
    >>> X = np.array([[1.0, 0.1], [2.0, 0.0], [0.0, 1.0], [0.1, 3.0]])
    >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
    >>> skm.labels_[0] == skm.labels_[1] != skm.labels_[2] == skm.labels_[3]
    np.True_
    >>> np.linalg.norm(skm.cluster_centers_, axis=1).round(6).tolist()
    [1.0, 1.0]
    >>> skm.transform([[5.0, 0.0]]).min() < 0.01
    np.True_
    """

    # Hartigan's moves are for squared Euclidean k-means: never on the sphere.
    refine = None
    _spherical = True

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="auto",
        record_history=False,
    ):
        keep_params(self, locals())

    def fit(self, X, y=None, sample_weight=None, *, callback=None):
        """Compute spherical k-means clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array or DataFrame} of shape \
                (n_samples, n_features)
            Training data, no row of zeros. float32 stays float32 (sums are
            float64); other types become float64. A Dask collection is clustered
            block by block on the current ``distributed`` client.
        y : Ignored
        sample_weight : array-like of shape (n_samples,) or float, default=None
            Weight of each sample.
        callback : callable, default=None
            Called after every iteration as ``callback(iteration, inertia,
            n_changed, center_shift)``, the inertia being ``sum w (1 - cos)``.

        Returns
        -------
        self : SphericalKMeans
            The fitted estimator.

        Examples
        --------
        >>> from kmeansx import SphericalKMeans
        >>> X = [[1, 0], [3, 0.1], [0, 2], [0.1, 1]]
        >>> SphericalKMeans(2, random_state=0).fit(X).inertia_ < 0.01
        True
        """
        return super().fit(X, y, sample_weight, callback=callback)

    @contextlib.contextmanager
    def _source(self, X, sample_weight):
        """The unit rows of ``X`` as a source, and ``init`` checked (unit)."""
        if is_dask_collection(X):
            backend = dask_backend()
            names = backend.names_view(X)
            columns = X if hasattr(X, "columns") else None
            X = backend.as_dask_array(X)
            init = self._check_init(X.shape[1], X.dtype)
            _check_feature_names(self, names, reset=True)
            self.n_features_in_ = X.shape[1]
            with backend.open_source(
                X, sample_weight, self.n_clusters, columns, spherical=True
            ) as source:
                yield source, init
            return
        index = getattr(X, "index", None)
        X = self._check_X(X, reset=True)
        V.check_n_clusters(self.n_clusters, X.shape[0])
        sample_weight = V.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        init = self._check_init(X.shape[1], X.dtype)
        X = self._unit(X, index, copy=self.copy_x)
        yield MemorySource(X, sample_weight, init, spherical=True), init

    def _check_init(self, n_features: int, dtype):
        init = super()._check_init(n_features, dtype)
        if isinstance(init, np.ndarray):
            init = unit_rows_checked(
                init, lambda zero: V.zero_rows_error(zero, name="init")
            )
        return init

    @staticmethod
    def _unit(X, index=None, *, copy: bool = True):
        """``X`` checked for rows of zeros and scaled to unit rows."""
        if not sp.issparse(X) and not (copy or X.flags.writeable):
            copy = True
        return unit_rows_checked(
            X, lambda zero: V.zero_rows_error(zero, index=index), copy=copy
        )

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return ``labels_``.

        Examples
        --------
        >>> from kmeansx import SphericalKMeans
        >>> X = [[1, 0], [2, 0.1], [0, 1], [0.1, 3]]
        >>> labels = SphericalKMeans(2, random_state=0).fit_predict(X)
        >>> bool(labels[0] == labels[1] and labels[2] == labels[3])
        True
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then return the cosine distances of every sample to every center.

        Examples
        --------
        >>> from kmeansx import SphericalKMeans
        >>> SphericalKMeans(2, random_state=0).fit_transform([[1, 0], [0, 1]]).shape
        (2, 2)
        """
        self.fit(X, sample_weight=sample_weight)
        return self.transform(X)

    def predict(self, X, sample_weight=None):
        """The center of largest cosine similarity for each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            No row of zeros.
        sample_weight : array-like of shape (n_samples,), default=None
            Checked for shape; labels do not depend on weights.

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from kmeansx import SphericalKMeans
        >>> skm = SphericalKMeans(2, random_state=0).fit([[1, 0], [0, 1]])
        >>> bool((skm.predict([[5, 1], [1, 5]]) == skm.labels_).all())
        True
        """
        if is_dask_collection(X):
            return dask_backend().predict(self, X, spherical=True)
        return self._labels_inertia(X, sample_weight)[0]

    def score(self, X, y=None, sample_weight=None):
        """Opposite of ``sum w (1 - cos)`` of ``X`` to its nearest fitted centers.

        Examples
        --------
        >>> from kmeansx import SphericalKMeans
        >>> skm = SphericalKMeans(1, random_state=0).fit([[1.0, 0.0], [0.0, 1.0]])
        >>> round(skm.score([[1.0, 0.0], [0.0, 1.0]]), 6)
        -0.585786
        """
        if is_dask_collection(X):
            return dask_backend().score(self, X, sample_weight, spherical=True)
        return -self._labels_inertia(X, sample_weight)[1]

    def transform(self, X):
        """Cosine distance ``1 - cos`` of each sample to each center.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            In X's dtype, between 0 and 2.

        Examples
        --------
        >>> from kmeansx import SphericalKMeans
        >>> skm = SphericalKMeans(1, init=[[1.0, 0.0]]).fit([[1.0, 0.0]])
        >>> skm.transform([[0.0, 2.0], [-3.0, 0.0]]).round(6).tolist()
        [[1.0], [2.0]]
        """
        if is_dask_collection(X):
            return dask_backend().transform(self, X, spherical=True)
        check_is_fitted(self)
        index = getattr(X, "index", None)
        return self._transform(self._check_X(X, reset=False), index)

    def _labels_inertia(self, X, sample_weight):
        check_is_fitted(self)
        index = getattr(X, "index", None)
        X = self._check_X(X, reset=False)
        sample_weight = V.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)
        labels, inertia = assign_labels(self._unit(X, index), sample_weight, centers)
        return labels, 0.5 * inertia

    def _transform(self, X, index=None):
        X = self._unit(X, index)
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)
        out = np.empty((X.shape[0], centers.shape[0]))
        kernel = _dist.sq_distances_csr if is_sparse(X) else _dist.sq_distances_dense
        kernel(kernel_view(X), centers, out)
        out *= 0.5
        return out.astype(X.dtype, copy=False)
