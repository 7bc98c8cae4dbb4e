"""``MiniBatchKMeans``: scikit-learn's mini-batch k-means on kmeansx's kernels, with
nested (growing) batches and a final exact Lloyd polish."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from kmeansx import _validation as V
from kmeansx._algorithms import minibatch as mb
from kmeansx._algorithms.lloyd import assign_labels
from kmeansx._algorithms.registry import run as run_exact
from kmeansx._backends import is_dask_collection
from kmeansx._backends.memory import initial_centers
from kmeansx._data import (
    column_means,
    max_abs,
    mean_variance,
    row_sq_norms,
    scale_exponent,
    scaled,
    take_weights,
)
from kmeansx._estimator import KMeans, keep_params
from kmeansx._init import callable_init
from kmeansx._kernels._jit import single_threaded_blas

INITS = ("k-means++", "k-means||", "random")


class MiniBatchKMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Mini-batch k-means; a drop-in for ``sklearn.cluster.MiniBatchKMeans``.

    Each step draws ``batch_size`` rows (with replacement, in proportion to
    ``sample_weight``), assigns them to the nearest centers with kmeansx's fused
    kernel, and moves each center to the running mean of every row it was ever
    given (learning rate ``1 / count`` per center). Centers whose count falls
    below ``reassignment_ratio`` times the largest are moved onto random rows of
    the batch. The run stops after ``max_iter`` passes' worth of rows, when the
    centers move less than ``tol``, or when an exponentially weighted average of
    the batch inertia has not improved for ``max_no_improvement`` steps. Same
    parameters, defaults, fitted attributes and random draws as scikit-learn's:
    from the same ``random_state`` the same rows are drawn and the centers agree
    to float rounding. The sums are float64 even for float32 data; results are
    the same whatever the number of threads.

    Two options go further. ``growing_batch=True`` runs nested mini-batches
    (Newling and Fleuret 2016): every batch holds the previous one plus as many
    new rows, each step is a Lloyd iteration on the whole batch, and the batch
    doubles once the centers move less than the sampling noise of their means;
    when the batch is the whole data set the iterations are exact Lloyd
    iterations, so the run ends at a fixed point of Lloyd's algorithm (the
    centers ``KMeans(init=cluster_centers_)`` would return unchanged), with
    most of the work done on small batches. ``final_lloyd=n`` runs up to ``n``
    exact Lloyd iterations on all the data after the mini-batch phase (a polish
    through the exact algorithms of :class:`kmeansx.KMeans`).

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "k-means||", "random"}, callable or array-like of shape \
            (n_clusters, n_features), default="k-means++"
        As in :class:`kmeansx.KMeans`, on ``init_size`` rows drawn at random; a
        callable is called as ``init(X_subset, n_clusters, random_state=rs)``.
    max_iter : int, default=100
        The most passes over the data: at most ``max_iter * n_samples //
        batch_size`` steps (with ``growing_batch``, at most ``max_iter *
        n_samples`` rows processed).
    batch_size : int, default=1024
        Rows per step (with ``growing_batch``: of the first batch).
    verbose : int, default=0
    compute_labels : bool, default=True
        Compute ``labels_`` and ``inertia_`` on all the data once the centers are
        found (otherwise ``inertia_`` is an estimate from the batches).
    random_state : int, RandomState instance or None, default=None
    tol : float, default=0.0
        Stop when the summed squared shift of the centers in one step is at most
        ``tol`` times the mean variance of the features (0: never). With
        ``growing_batch`` or ``final_lloyd``, the same bound ends the Lloyd
        iterations on all the data, as ``KMeans``'s ``tol`` (0: only when no
        label changes).
    max_no_improvement : int or None, default=10
        Stop after this many steps without improvement of the smoothed batch
        inertia (None: never). Not used by ``growing_batch``, whose batches double
        on the noise criterion above.
    init_size : int or None, default=None
        Rows the initialization runs on (default ``3 * batch_size``, at least
        ``3 * n_clusters``).
    n_init : "auto" or int, default="auto"
        Initializations tried (each on its own ``init_size`` rows); the one of
        the lowest inertia on a common validation subset is kept. "auto": 1 for
        "k-means++" or an array, 3 for "random" or a callable.
    reassignment_ratio : float, default=0.01
        Centers with a count below this fraction of the largest are moved onto
        random rows (every ``10 * n_clusters`` rows seen, or as soon as one is
        empty). Not used by ``growing_batch``, which relocates empty clusters as
        Lloyd's loop does.
    growing_batch : bool, default=False
        Nested batches that double until they hold all the data, ending at a
        Lloyd fixed point (see above). The batches are copies of the rows, up to
        about all of them (memory: up to another ``X``).
    final_lloyd : int, default=0
        Exact Lloyd iterations on all the data after the mini-batch phase (it
        stops earlier at convergence); 0: none. ``labels_`` then match the final
        centers.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
        Only when ``compute_labels=True`` (or after a full Lloyd phase).
    inertia_ : float
        Weighted sum of squared distances of the samples to their closest center
        (an estimate from the batches when ``compute_labels=False``).
    n_iter_ : int
        Passes over the data (rows processed / n_samples, rounded up; plus the
        exact iterations on all the data).
    n_steps_ : int
        Mini-batch steps (plus the exact iterations on all the data).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmeansx import KMeans, MiniBatchKMeans
    >>> X, _ = make_blobs(5000, centers=4, cluster_std=0.6, random_state=0)
    >>> mbk = MiniBatchKMeans(4, batch_size=256, random_state=0).fit(X)
    >>> mbk.cluster_centers_.shape
    (4, 2)

    Nested batches end at a fixed point of Lloyd's algorithm:

    >>> nested = MiniBatchKMeans(4, batch_size=256, growing_batch=True,
    ...                          random_state=0).fit(X)
    >>> lloyd = KMeans(4, init=nested.cluster_centers_).fit(X)
    >>> bool((lloyd.labels_ == nested.labels_).all())
    True

    ``partial_fit`` learns from a stream, one chunk per call (or an iterator of
    chunks):

    >>> stream = MiniBatchKMeans(4, random_state=0)
    >>> for start in range(0, 5000, 1000):
    ...     stream = stream.partial_fit(X[start:start + 1000])
    >>> stream.n_steps_
    5
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
        growing_batch=False,
        final_lloyd=0,
    ):
        keep_params(self, locals())

    # The input checks and the assignment of a fitted model are KMeans's.
    _check_X = KMeans._check_X
    _scaled = KMeans._scaled
    _assign = KMeans._assign
    _transform = KMeans._transform
    _small = KMeans._small

    # -- validation at the boundary -------------------------------------------------

    def _check_params(self) -> int:
        def _int(name, value, low, none=False):
            if none and value is None:
                return
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
            if value < low:
                raise ValueError(f"{name} must be >= {low}, got {value}.")

        _int("n_clusters", self.n_clusters, 1)
        _int("max_iter", self.max_iter, 1)
        _int("batch_size", self.batch_size, 1)
        _int("max_no_improvement", self.max_no_improvement, 0, none=True)
        _int("init_size", self.init_size, 1, none=True)
        _int("final_lloyd", self.final_lloyd, 0)
        for name in ("tol", "reassignment_ratio"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not value >= 0:
                raise ValueError(f"{name} must be a float >= 0, got {value!r}.")
        for name in ("compute_labels", "growing_batch"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}.")
        init = self.init
        if isinstance(init, str):
            if init not in INITS:
                raise ValueError(
                    f"init must be one of {INITS}, an array or a callable, got "
                    f"{init!r}."
                )
        elif not callable(init) and not hasattr(init, "__len__"):
            raise ValueError(
                f"init must be one of {INITS}, an array or a callable, got {init!r}."
            )
        if self.n_init == "auto":
            random_like = (isinstance(init, str) and init == "random") or callable(init)
            return 3 if random_like else 1
        _int("n_init", self.n_init, 1)
        if not isinstance(init, str) and not callable(init) and self.n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init "
                f"in {type(self).__name__} instead of n_init={self.n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            return 1
        return int(self.n_init)

    def _sizes(self, n_samples: int) -> tuple[int, int]:
        """``(batch_size, init_size)`` for ``n_samples`` rows, as scikit-learn."""
        batch_size = min(self.batch_size, n_samples)
        init_size = self.init_size
        if init_size is None:
            init_size = 3 * batch_size
            if init_size < self.n_clusters:
                init_size = 3 * self.n_clusters
        elif init_size < self.n_clusters:
            warnings.warn(
                f"init_size={init_size} should be larger than "
                f"n_clusters={self.n_clusters}. Setting it to "
                "min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            init_size = 3 * self.n_clusters
        return batch_size, min(init_size, n_samples)

    def _prepare(self, X, sample_weight, *, reset: bool):
        if is_dask_collection(X):
            raise TypeError(
                f"{type(self).__name__} fits in memory: pass X.compute(), or pass "
                "its blocks one by one to partial_fit (an iterator of chunks)."
            )
        X = self._check_X(X, reset=reset)
        sample_weight = V.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        return X, sample_weight

    def _init_centers(self, X, sample_weight, x_mean, random_state, init_size):
        """Initial centers from ``init_size`` random rows (scikit-learn's draws),
        in the space of ``X - x_mean``."""
        init = self.init
        n_samples = X.shape[0]
        if init_size < n_samples:
            rows = random_state.randint(0, n_samples, init_size)
            X = X[rows]
            sample_weight = take_weights(sample_weight, rows)
        k = self.n_clusters
        if isinstance(init, str):
            norms = None if init == "random" else row_sq_norms(X, x_mean)
            return initial_centers(
                X, k, init, sample_weight, random_state, norms, x_mean
            )
        if callable(init):  # scikit-learn's MiniBatchKMeans gives it the raw rows
            centers = callable_init(init, X, k, random_state, X.dtype)
        else:
            centers = V.check_init_centers(init, k, X.shape[1], X.dtype)
            if self._exponent:
                centers = np.ldexp(centers, self._exponent).astype(X.dtype)
        if x_mean is not None:
            centers = centers - x_mean
        # A copy: the steps move the centers in place, never the caller's array.
        return np.array(centers, dtype=X.dtype, order="C")

    # -- fitting ------------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Compute the centers on ``X`` by mini-batches.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32 stays float32 (sums are float64); other types become float64.
        y : Ignored
        sample_weight : array-like of shape (n_samples,) or float, default=None
            Batches are drawn in proportion to the weights (then count 1 a row),
            as in scikit-learn; the initialization and ``inertia_`` use them too.

        Returns
        -------
        self : MiniBatchKMeans

        Examples
        --------
        >>> from kmeansx import MiniBatchKMeans
        >>> X = [[0, 0], [0, 1], [9, 9], [9, 8]]
        >>> MiniBatchKMeans(2, random_state=0).fit(X).n_steps_ >= 1
        True
        """
        n_init = self._check_params()
        X, sample_weight = self._prepare(X, sample_weight, reset=True)
        n_samples = X.shape[0]
        V.check_n_clusters(self.n_clusters, n_samples)
        X = self._scale(X, reset=True)
        random_state = check_random_state(self.random_state)
        batch_size, init_size = self._sizes(n_samples)
        self._batch_size, self._init_size = batch_size, init_size
        x_mean = None if sp.issparse(X) else column_means(X)
        tol = mean_variance(X, x_mean) * self.tol if self.tol > 0 else 0.0
        verbose = bool(self.verbose)

        valid = random_state.randint(0, n_samples, init_size)
        X_valid, w_valid = X[valid], take_weights(sample_weight, valid)
        best, best_inertia = None, None
        with single_threaded_blas():
            for i in range(n_init):
                if verbose:
                    print(f"Init {i + 1}/{n_init} with method {self.init}")
                centers = self._init_centers(
                    X, sample_weight, x_mean, random_state, init_size
                )
                inertia = assign_labels(X_valid, w_valid, centers, x_mean)[1]
                if verbose:
                    print(f"Inertia for init {i + 1}/{n_init}: {inertia}")
                if best_inertia is None or inertia < best_inertia:
                    best, best_inertia = centers, inertia

        total_weight = float(np.sum(sample_weight, dtype=np.float64))
        exact_iter = self.final_lloyd
        if self.growing_batch:
            nested = mb.run_nested(
                X,
                sample_weight,
                best,
                batch_size=batch_size,
                max_rows=self.max_iter * n_samples,
                random_state=random_state,
                x_mean=x_mean,
                verbose=verbose,
            )
            centers, n_steps, rows = nested.centers, nested.n_steps, nested.rows_seen
            # The rest of the budget goes to Lloyd's iterations on all the data.
            exact_iter += (self.max_iter * n_samples - rows) // n_samples
            estimate = (
                nested.batch_inertia * total_weight / max(nested.batch_weight, 1e-300)
            )
            self._state = mb.MiniBatchState(self.n_clusters)
        else:
            options = mb.MiniBatchOptions(
                batch_size=batch_size,
                n_steps=(self.max_iter * n_samples) // batch_size,
                tol=tol,
                max_no_improvement=self.max_no_improvement,
                reassignment_ratio=self.reassignment_ratio,
                verbose=verbose,
            )
            run = mb.run_minibatch(
                X, sample_weight, best, options, random_state, x_mean
            )
            centers, n_steps, rows = run.centers, run.n_steps, run.n_steps * batch_size
            ewa = run.state.ewa_inertia
            estimate = (
                ewa if ewa is not None else best_inertia / init_size
            ) * total_weight
            self._state = run.state

        n_iter = int(np.ceil(rows / n_samples))
        labels = None
        if exact_iter > 0:
            result = run_exact(
                "auto",
                X,
                sample_weight,
                centers,
                x_mean=x_mean,
                max_iter=exact_iter,
                tol=tol,
                verbose=verbose,
            )
            centers, labels, inertia = result.centers, result.labels, result.inertia
            n_steps += result.n_iter
            n_iter += result.n_iter
        elif self.compute_labels:
            labels, inertia = assign_labels(X, sample_weight, centers, x_mean)
        else:
            inertia = estimate
        self._offset = x_mean
        self._centers = centers
        self._set_fitted(centers, n_steps, n_iter)
        self.__dict__.pop("labels_", None)
        if labels is not None:
            self.labels_ = labels
        self.inertia_ = self._unscaled(inertia)
        return self

    def _scale(self, X, *, reset: bool = False):
        """``X`` times the power of two that keeps its squared distances in
        range (``kmeansx._data.scale_exponent``; fixed by the first data seen):
        exact, and undone on the centers and the inertia."""
        if reset:
            self._exponent = scale_exponent(max_abs(X), X.shape[1], X.dtype)
        return scaled(X, self._exponent) if self._exponent else X

    def _unscaled(self, inertia) -> float:
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(inertia, -2 * self._exponent))

    def _set_fitted(self, centers, n_steps: int, n_iter: int | None = None) -> None:
        if self._offset is not None:
            centers = centers + self._offset
        if self._exponent:
            centers = np.ldexp(centers, -self._exponent).astype(centers.dtype)
        self.cluster_centers_ = np.array(centers, dtype=centers.dtype)
        self._n_features_out = centers.shape[0]
        self.n_steps_ = n_steps
        if n_iter is not None:
            self.n_iter_ = n_iter

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the centers with one mini-batch step on ``X``.

        The first call initializes the centers from ``X`` (on ``init_size`` of its
        rows); every call takes one step on all of ``X`` with its weights, as
        scikit-learn's. Every chunk must have the width of the first. ``X`` may
        also be an iterator of chunks (arrays, sparse matrices or DataFrames), each
        taken as one call; ``sample_weight`` must then be None.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), or an \
                iterator of them
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MiniBatchKMeans

        Examples
        --------
        >>> import numpy as np
        >>> from kmeansx import MiniBatchKMeans
        >>> chunks = (np.full((4, 2), float(i % 2) * 9) for i in range(6))
        >>> mbk = MiniBatchKMeans(2, random_state=0).partial_fit(chunks)
        >>> mbk.n_steps_
        6
        """
        if isinstance(X, Iterator):
            if sample_weight is not None:
                raise ValueError(
                    "sample_weight must be None when X is an iterator of chunks; "
                    "call partial_fit(chunk, sample_weight=w) once per chunk."
                )
            for chunk in X:
                self.partial_fit(chunk)
            return self
        fitted = hasattr(self, "cluster_centers_")
        with warnings.catch_warnings():
            if fitted:  # the n_init warning, as scikit-learn, on the first call only
                warnings.simplefilter("ignore", RuntimeWarning)
            self._check_params()
        if fitted:
            self._check_width(X)
        X, sample_weight = self._prepare(X, sample_weight, reset=not fitted)
        self._random_state = getattr(
            self, "_random_state", check_random_state(self.random_state)
        )
        if not fitted:
            V.check_n_clusters(self.n_clusters, X.shape[0])
            self._batch_size, self._init_size = self._sizes(X.shape[0])
            X = self._scale(X, reset=True)
            self._offset = None if sp.issparse(X) else column_means(X)
            with single_threaded_blas():
                self._centers = self._init_centers(
                    X, sample_weight, self._offset, self._random_state, self._init_size
                )
            self._state = mb.MiniBatchState(self.n_clusters)
            self.n_steps_ = 0
        else:
            X = self._scale(X)
        centers = self._centers
        if X.dtype != centers.dtype:
            X = X.astype(centers.dtype)
            sample_weight = sample_weight.astype(centers.dtype)
        offset = None if self._offset is None or sp.issparse(X) else self._offset
        if self._offset is not None and sp.issparse(X):
            raise ValueError(
                "partial_fit got a sparse chunk after dense ones: pass every chunk "
                "dense, or every chunk sparse."
            )
        with single_threaded_blas():
            self._state.step(
                X,
                sample_weight,
                centers,
                batch_size=self._batch_size,
                ratio=self.reassignment_ratio,
                random_state=self._random_state,
                x_mean=offset,
                verbose=bool(self.verbose),
            )
        self._set_fitted(centers, self.n_steps_ + 1)
        if self.compute_labels:
            self.labels_, inertia = assign_labels(X, sample_weight, centers, offset)
            self.inertia_ = self._unscaled(inertia)
        return self

    def _check_width(self, X) -> None:
        """A chunk of another width than the first: say both widths."""
        shape = getattr(X, "shape", None)
        if shape is None:
            try:
                shape = np.shape(X)
            except ValueError:
                return
        expected = self.n_features_in_
        if len(shape) == 2 and shape[1] != expected:
            raise ValueError(
                f"X has {shape[1]} features, but {type(self).__name__} is expecting "
                f"{expected} features as input: every chunk given to partial_fit "
                f"must have the {expected} columns of the first."
            )

    # -- model files ----------------------------------------------------------------

    def _model_state(self) -> tuple[dict, dict]:
        """What :func:`kmeansx.save` keeps beyond the public attributes, so that
        ``partial_fit`` goes on after loading as it would have without saving:
        ``(scalars, arrays)``, both plain (JSON and ``.npy``)."""
        state = self._state
        scalars = {
            "exponent": int(self._exponent),
            "batch_size": int(self._batch_size),
            "init_size": int(self._init_size),
            "n_since_last_reassign": int(state.n_since_last_reassign),
            "ewa_inertia": state.ewa_inertia,
            "ewa_inertia_min": state.ewa_inertia_min,
            "no_improvement": int(state.no_improvement),
            "random_state": None,
        }
        arrays = {"centers": self._centers, "counts": state.counts}
        if self._offset is not None:
            arrays["offset"] = self._offset
        rng = getattr(self, "_random_state", None)
        if rng is not None:  # the draws of the next partial_fit, continued
            name, keys, pos, has_gauss, gauss = rng.get_state()
            scalars["random_state"] = {
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "cached_gaussian": float(gauss),
            }
            arrays["rng_keys"] = keys
        return scalars, arrays

    def _restore(self, scalars: dict, arrays: dict) -> None:
        """The inverse of :meth:`_model_state` (the public attributes are set by
        the caller)."""
        self._exponent = int(scalars["exponent"])
        self._batch_size = int(scalars["batch_size"])
        self._init_size = int(scalars["init_size"])
        self._centers = np.array(arrays["centers"], order="C")
        offset = arrays.get("offset")
        self._offset = None if offset is None else np.array(offset)
        state = mb.MiniBatchState(self._centers.shape[0])
        state.counts = np.array(arrays["counts"], dtype=np.float64)
        state.n_since_last_reassign = int(scalars["n_since_last_reassign"])
        state.ewa_inertia = scalars["ewa_inertia"]
        state.ewa_inertia_min = scalars["ewa_inertia_min"]
        state.no_improvement = int(scalars["no_improvement"])
        self._state = state
        rng = scalars.get("random_state")
        if rng is not None:
            self._random_state = np.random.RandomState()
            self._random_state.set_state(
                (
                    "MT19937",
                    np.asarray(arrays["rng_keys"], dtype=np.uint32),
                    rng["pos"],
                    rng["has_gauss"],
                    rng["cached_gaussian"],
                )
            )

    # -- using a fitted model ------------------------------------------------------

    def predict(self, X, sample_weight=None):
        """The nearest center of each sample.

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from kmeansx import MiniBatchKMeans
        >>> mbk = MiniBatchKMeans(2, random_state=0).fit([[0], [1], [10], [11]])
        >>> bool(mbk.predict([[0.5]])[0] == mbk.labels_[0])
        True
        """
        check_is_fitted(self)
        X, sample_weight = self._prepare(X, sample_weight, reset=False)
        return self._assign(X, sample_weight)[0]

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the (weighted) inertia of ``X`` on the centers.

        Examples
        --------
        >>> from kmeansx import MiniBatchKMeans
        >>> mbk = MiniBatchKMeans(1, random_state=0).fit([[0.0], [2.0]])
        >>> mbk.score([[float(mbk.cluster_centers_[0, 0])]])
        -0.0
        """
        check_is_fitted(self)
        X, sample_weight = self._prepare(X, sample_weight, reset=False)
        return -self._assign(X, sample_weight)[1]

    def transform(self, X):
        """Euclidean distance of each sample to each center.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)

        Examples
        --------
        >>> from kmeansx import MiniBatchKMeans
        >>> mbk = MiniBatchKMeans(2, random_state=0).fit([[0], [1], [10], [11]])
        >>> mbk.transform([[5.0]]).shape
        (1, 2)
        """
        check_is_fitted(self)
        return self._transform(self._check_X(X, reset=False))

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then the cluster of every sample (``labels_``, or the
        assignment to the final centers when ``compute_labels=False``)."""
        self.fit(X, sample_weight=sample_weight)
        if hasattr(self, "labels_"):
            return self.labels_
        return self.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
