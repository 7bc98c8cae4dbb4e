"""``KMeans``: scikit-learn's estimator API over kmeansx's exact, fast kernels."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_feature_names,
    check_is_fitted,
    validate_data,
)

from kmeansx import _validation as V
from kmeansx._algorithms.lloyd import assign_labels
from kmeansx._algorithms.registry import STEPS, runs_plain
from kmeansx._backends import dask_backend, is_dask_collection
from kmeansx._backends.memory import MemorySource
from kmeansx._data import is_sparse, kernel_view, max_abs, scale_exponent, scaled
from kmeansx._fit import FitResult, fit_kmeans
from kmeansx._kernels import distances as _dist
from kmeansx._kernels import plain as _plain

ALGORITHMS = (*STEPS, "auto")
REFINEMENTS = (None, "hartigan", "breathing", "breathing+hartigan")


def keep_params(estimator, params: dict) -> None:
    """Store an estimator's ``__init__`` arguments as given, by name.

    scikit-learn reads the parameters off the explicit ``__init__`` signature
    (``get_params``) and expects them stored unchanged (``clone``); every
    estimator's ``__init__`` is its signature and ``keep_params(self, locals())``.
    """
    for name, value in params.items():
        if name != "self":
            setattr(estimator, name, value)


class KMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """K-means clustering, exact and fast; a drop-in for ``sklearn.cluster.KMeans``.

    Lloyd's algorithm: assign every point to its nearest center (Euclidean
    distance), move every center to the weighted mean of its points, and repeat
    until no point changes cluster, the centers move less than ``tol``, or
    ``max_iter`` is reached. Parameters, defaults, fitted attributes and results
    follow scikit-learn: from the same initial centers the labels at every
    iteration, ``n_iter_``, the centers and the inertia are the same.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters, k.
    init : {"k-means++", "k-means||", "random"}, callable or array-like of shape \
            (n_clusters, n_features), default="k-means++"
        "k-means++" is greedy k-means++ (``2 + ln k`` local trials per center,
        weighted by ``sample_weight``); "k-means||" is its scalable form (Bahmani
        et al. 2012: 5 rounds drawing about ``2 k`` candidates each, then
        k-means++ and Lloyd iterations on the weighted candidates); "random" draws
        ``n_clusters`` distinct rows with probability proportional to their
        weight; an array gives the initial centers; a callable is called as
        ``init(X, n_clusters, random_state=rs)``.
    n_init : "auto" or int, default="auto"
        How many runs from different starts; the run with the lowest inertia is
        kept. "auto" means 1 for "k-means++" or an array, 10 for "random" or a
        callable.
    max_iter : int, default=300
        The most iterations in one run.
    tol : float, default=1e-4
        Convergence when the summed squared center shift is at most ``tol`` times
        the mean variance of the features. A run also stops as soon as no label
        changes.
    verbose : int, default=0
        Print the inertia at every iteration and why a run stopped.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization. The same seed gives the same result, bit for bit,
        whatever the number of threads.
    copy_x : bool, default=True
        Accepted for compatibility with scikit-learn, with no effect: dense ``X`` is
        centered on its mean as the kernels read it, so a fit neither copies nor
        modifies it (scikit-learn copies it, or centers it in place with
        ``copy_x=False``).
    algorithm : {"auto", "lloyd", "elkan", "hamerly", "yinyang"}, default="auto"
        All are exact: from the same initial centers they give Lloyd's labels at
        every iteration, the same ``n_iter_``, and centers and inertia equal to
        float rounding; they differ in speed and memory. "elkan" (Elkan 2003)
        keeps a lower bound per point and center, only while those ``n * k``
        bounds fit in 1 GiB (``kmeansx._algorithms.step.MEMORY_BUDGET_BYTES``), and
        otherwise runs "hamerly"; "hamerly" (Hamerly 2010) keeps two bounds per
        point; "yinyang" (Ding et al. 2015) one per point and group of about 10
        centers. "auto" runs "lloyd" for fewer than 64 clusters and "hamerly"
        otherwise (the fastest measured by ``benchmarks/bench_algorithms.py``);
        on small dense data (``n_samples * n_clusters * n_features`` below
        ``kmeansx._algorithms.registry.PLAIN_BELOW``) it runs Lloyd's step and
        k-means++ in plain NumPy, which gives the kernels' result bit for bit and
        needs no compilation on a first run. Sparse input always runs Lloyd's
        kernels, whatever is asked (the result is the same).
    record_history : bool, default=False
        Keep ``history_``: the centers, inertia and number of points that changed
        cluster at every iteration of the kept run.
    refine : {None, "hartigan", "breathing", "breathing+hartigan"}, default=None
        "hartigan" refines every run, once Lloyd's loop has converged, by
        Hartigan's single-point moves: a point moves from cluster i to j when
        ``w n_j / (n_j + w) d2(x, c_j) < w n_i / (n_i - w) d2(x, c_i)`` (weighted
        sizes ``n``, weight ``w``), which lowers the inertia; the two centers move
        with it at once. Passes visit the points in index order, each point going
        to the cluster of the largest decrease, and repeat until a pass moves no
        point (or after 100 passes); a point alone in its cluster never moves.
        Then the best run is chosen, and ``cluster_centers_`` are the weighted
        means of the final ``labels_``. It reaches lower inertia than Lloyd alone
        for about the cost of one more run.

        "breathing" refines every run by breathing k-means (Fritzke,
        arXiv:2006.15666), which moves several centers at once: it adds 5 centers
        beside the 5 of largest error (a random offset of 1% of the RMS error,
        drawn from ``random_state``), runs at most 3 iterations of the loop with
        ``n_clusters + 5``, then removes the 5 whose loss raises the inertia
        least (never two nearest neighbours at once) and runs the loop with
        ``n_clusters`` again, to convergence; a cycle that lowers the inertia by
        at least 0.01% is kept, else the depth drops by one, until 0. Each loop
        runs ``algorithm`` with ``tol`` and ``max_iter`` (at most 3 iterations
        after breathing in), and no ``callback``. It is never worse than the run
        it refines, and mostly better than ``n_init=10``, for 2-5 times one plain
        fit (``benchmarks/bench_quality.py``). "breathing+hartigan" runs
        Hartigan's moves on the result.

        Dense in-memory data only (not sparse, not Dask). ``history_`` records
        the first Lloyd loop only.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        Weighted sum of squared distances of samples to their closest center.
    n_iter_ : int
        Iterations of the kept run (with ``refine="breathing"``, of all its
        loops).
    n_moves_ : int
        Only when ``refine`` includes "hartigan": how many single-point moves the
        refinement made in the kept run (0 when Lloyd's result was already a
        Hartigan optimum).
    history_ : KMeansHistory
        Only when ``record_history=True``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.

    Notes
    -----
    Data whose squared distances would overflow or underflow (magnitudes near
    1e154 or 1e-139 in float64, 1e17 or 1e-13 in float32) is clustered as its
    copy scaled by a power of two, which is exact; centers, distances and inertia
    come back in the data's units. When the inertia itself is out of float64's
    range it is reported as inf or 0 with a RuntimeWarning. A callable ``init``
    then sees the scaled, centered data.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> km.predict([[0, 0], [12, 3]]).tolist() == [km.labels_[0], km.labels_[3]]
    True
    """

    # Cosine k-means (SphericalKMeans) fits through the same ``fit``.
    _spherical = False

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
        refine=None,
    ):
        keep_params(self, locals())

    # -- validation at the boundary -------------------------------------------------

    def _check_params(self) -> int:
        V.check_int("n_clusters", self.n_clusters, 1)
        V.check_int("max_iter", self.max_iter, 1)
        V.check_tol(self.tol)
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"algorithm must be one of {ALGORITHMS}, got {self.algorithm!r}."
            )
        if self.refine is not None and not (
            isinstance(self.refine, str) and self.refine in REFINEMENTS
        ):
            raise ValueError(
                "refine must be None, 'hartigan', 'breathing' or "
                f"'breathing+hartigan', got {self.refine!r}."
            )
        init = self.init
        if isinstance(init, str):
            if init not in ("k-means++", "k-means||", "random"):
                raise ValueError(
                    f"init must be 'k-means++', 'random', 'k-means||', an array or "
                    f"a callable, got {init!r}."
                )
        elif not callable(init) and not hasattr(init, "__len__"):
            raise ValueError(
                f"init must be 'k-means++', 'random', an array or a callable, got "
                f"{init!r}."
            )
        if self.n_init == "auto":
            # As scikit-learn: one run for k-means++ or explicit centers, ten for
            # "random" or a callable (both may be random).
            if (isinstance(init, str) and init == "random") or callable(init):
                return 10
            return 1
        V.check_int("n_init", self.n_init, 1)
        n_init = int(self.n_init)
        if not isinstance(init, str) and not callable(init) and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init "
                f"in {type(self).__name__} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        return n_init

    def _algorithm(self) -> str:
        if self.algorithm == "elkan" and self.n_clusters == 1:
            # As scikit-learn: one cluster has no center distances to prune with.
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using "
                "'lloyd' instead.",
                RuntimeWarning,
                stacklevel=3,
            )
            return "lloyd"
        return self.algorithm

    def _check_X(self, X, *, reset: bool):
        V.check_shape_2d(X)
        V.check_numeric_columns(X)
        V.check_object_array(X)
        index = getattr(X, "index", None)
        columns = getattr(X, "columns", None)
        X = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            copy=False,
            accept_large_sparse=False,
            ensure_all_finite=False,
        )
        V.check_finite(X, columns=columns, index=index)
        if sp.issparse(X):
            X.sort_indices()
        return X

    # -- fitting ------------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None, *, callback=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array or DataFrame} of shape \
                (n_samples, n_features)
            Training data. float32 stays float32 (sums are float64); other types
            become float64. A DataFrame's column names are kept. A Dask collection
            is clustered block by block on the current ``distributed`` client.
        y : Ignored
        sample_weight : array-like of shape (n_samples,) or float, default=None
            Weight of each sample; None gives every sample weight 1, a number
            (finite, > 0) gives every sample that weight. Equal weights are held
            as one number, not an array of n_samples.
        callback : callable, default=None
            Called after every iteration of every run as ``callback(iteration,
            inertia, n_changed, center_shift)`` (``center_shift``: the summed
            squared move of the centers), in memory and on Dask alike: for progress
            bars and logs.

        Returns
        -------
        self : KMeans
            The fitted estimator.

        Examples
        --------
        >>> from kmeansx import KMeans
        >>> KMeans(2, random_state=0).fit([[0, 0], [0, 1], [9, 9], [9, 8]]).n_iter_
        2
        """
        n_init = self._check_params()
        with self._source(X, sample_weight) as (source, init):
            result = fit_kmeans(
                source,
                n_clusters=self.n_clusters,
                init=init,
                n_init=n_init,
                max_iter=self.max_iter,
                tol=self.tol,
                verbose=self.verbose,
                random_state=check_random_state(self.random_state),
                record_history=self.record_history,
                algorithm=self._algorithm(),
                callback=callback,
                refine=self.refine,
                spherical=self._spherical,
            )
        self._set_fitted(result)
        return self

    @contextlib.contextmanager
    def _source(self, X, sample_weight):
        """``X`` and ``init`` checked once: ``(source, init)`` for the fit driver."""
        if is_dask_collection(X):  # Dask arrays and DataFrames: kmeansx._backends
            if self.refine is not None:
                raise ValueError(
                    f"refine={self.refine!r} is not available on Dask collections: "
                    "fit in memory (X.compute()) or use refine=None."
                )
            backend = dask_backend()
            names = backend.names_view(X)
            columns = X if hasattr(X, "columns") else None
            X = backend.as_dask_array(X)
            init = self._check_init(X.shape[1], X.dtype)
            _check_feature_names(self, names, reset=True)
            self.n_features_in_ = X.shape[1]
            with backend.open_source(
                X, sample_weight, self.n_clusters, columns
            ) as source:
                yield source, init
            return
        X = self._check_X(X, reset=True)
        if self.refine is not None and sp.issparse(X):
            raise ValueError(
                f"refine={self.refine!r} needs dense X; got a sparse matrix: pass "
                "X.toarray() or use refine=None."
            )
        V.check_n_clusters(self.n_clusters, X.shape[0])
        sample_weight = V.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        init = self._check_init(X.shape[1], X.dtype)
        plain = runs_plain(X, self.n_clusters, self.algorithm)
        yield MemorySource(X, sample_weight, init, plain), init

    def _check_init(self, n_features: int, dtype):
        init = self.init
        if isinstance(init, str) or callable(init):
            return init
        return V.check_init_centers(init, self.n_clusters, n_features, dtype)

    def _set_fitted(self, result: FitResult) -> None:
        """The fitted attributes, from a fit (in memory or on Dask) or a model
        file."""
        self.cluster_centers_ = result.centers
        self._n_features_out = result.centers.shape[0]
        self.labels_ = result.labels
        self.inertia_ = result.inertia
        self.n_iter_ = result.n_iter
        if result.history is not None:
            self.history_ = result.history
        if result.n_moves is not None:
            self.n_moves_ = result.n_moves

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return ``labels_``: the cluster of every sample.

        Examples
        --------
        >>> from kmeansx import KMeans
        >>> KMeans(2, random_state=0).fit_predict([[0], [1], [10], [11]]).tolist()
        [1, 1, 0, 0]
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then return the distances of every sample to every center.

        Examples
        --------
        >>> from kmeansx import KMeans
        >>> KMeans(2, random_state=0).fit_transform([[0], [1], [10], [11]]).shape
        (4, 2)
        """
        self.fit(X, sample_weight=sample_weight)
        if is_dask_collection(X):
            return dask_backend().transform(self, X)
        return self._transform(self._check_X(X, reset=False))

    # -- using a fitted model ------------------------------------------------------

    def predict(self, X, sample_weight=None):
        """The nearest center of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None
            Checked for shape; labels do not depend on weights.

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from kmeansx import KMeans
        >>> km = KMeans(2, random_state=0).fit([[0], [1], [10], [11]])
        >>> (km.predict([[2], [9]]) == km.labels_[[0, 2]]).all()
        np.True_
        """
        if is_dask_collection(X):  # Dask arrays and DataFrames: kmeansx._backends
            return dask_backend().predict(self, X)
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        sample_weight = V.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        return self._assign(X, sample_weight)[0]

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the (weighted) inertia of ``X`` on the fitted centers.

        Examples
        --------
        >>> from kmeansx import KMeans
        >>> km = KMeans(1, random_state=0).fit([[0.0], [2.0]])
        >>> km.score([[0.0], [2.0]])
        -2.0
        """
        if is_dask_collection(X):  # Dask arrays and DataFrames: kmeansx._backends
            return dask_backend().score(self, X, sample_weight)
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        sample_weight = V.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        return -self._assign(X, sample_weight)[1]

    def transform(self, X):
        """Euclidean distance of each sample to each center.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)

        Examples
        --------
        >>> from kmeansx import KMeans
        >>> km = KMeans(1, random_state=0).fit([[0.0, 0.0], [0.0, 2.0]])
        >>> km.transform([[3.0, 1.0]]).tolist()
        [[3.0]]
        """
        if is_dask_collection(X):  # Dask arrays and DataFrames: kmeansx._backends
            return dask_backend().transform(self, X)
        check_is_fitted(self)
        return self._transform(self._check_X(X, reset=False))

    def _scaled(self, X):
        """``X`` and the centers in X's dtype, both times the power of two that
        keeps their squared distances in range (see ``_data.scale_exponent``)."""
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)
        largest = max(max_abs(X), max_abs(centers))
        exponent = scale_exponent(largest, X.shape[1], X.dtype)
        if exponent:
            X, centers = scaled(X, exponent), scaled(centers, exponent)
        return X, centers, exponent

    def _small(self, X, n_clusters: int) -> bool:
        # MiniBatchKMeans borrows these methods and has no ``algorithm``: its
        # predictions take the same "auto" rule.
        return runs_plain(X, n_clusters, getattr(self, "algorithm", "auto"))

    def _assign(self, X, sample_weight):
        X, centers, exponent = self._scaled(X)
        plain = self._small(X, centers.shape[0])
        labels, inertia = assign_labels(X, sample_weight, centers, plain=plain)
        with np.errstate(over="ignore", under="ignore"):
            return labels, float(np.ldexp(inertia, -2 * exponent))

    def _transform(self, X):
        X, centers, exponent = self._scaled(X)
        out = np.empty((X.shape[0], centers.shape[0]))
        if self._small(X, centers.shape[0]):
            _plain.sq_distances_dense(X, centers, out)
        elif is_sparse(X):
            _dist.sq_distances_csr(kernel_view(X), centers, out)
        else:
            _dist.sq_distances_dense(X, centers, out)
        np.sqrt(out, out=out)
        return np.ldexp(out, -exponent).astype(X.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
