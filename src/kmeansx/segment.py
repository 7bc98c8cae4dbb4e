"""``segment``: the analyst's one call, from a table to segments you can explain.

Choose the columns, scale them, choose k (or take yours), fit, and describe every
segment in the columns' own units.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmeansx._estimator import KMeans
from kmeansx._spherical import SphericalKMeans
from kmeansx._tables import Prepared, Scaler, as_prepared, check_k, check_scale, prepare
from kmeansx._validation import format_where
from kmeansx.selection import METHODS, KChoice, choose_k

__all__ = ["Segmentation", "SegmentModel", "segment"]


def _labels_series(labels, prepared: Prepared) -> pd.Series:
    """Labels on the table's index; ``<NA>`` for the rows dropna dropped."""
    if not prepared.dropna:
        return pd.Series(labels, index=prepared.index, name="cluster")
    out = pd.Series(pd.NA, index=prepared.index, name="cluster", dtype="Int64")
    out[prepared.kept] = labels
    return out


@dataclass(frozen=True)
class SegmentModel:
    """A fitted segmentation that labels new tables: columns, scaling and k-means.

    This is what :func:`kmeansx.save` writes for a :class:`Segmentation` and what
    :func:`kmeansx.load` returns for it: ``predict`` picks the same columns from a
    new table and applies the same scaling before finding the nearest center.

    Attributes
    ----------
    model : KMeans or SphericalKMeans
        Fitted on the scaled columns (a :class:`kmeansx.SphericalKMeans` for
        ``metric="cosine"``: rows are then labeled by angle).
    scaler : Scaler
        ``method`` ("standard", "robust" or None), ``center`` and ``scale``: the
        model sees ``(x - center) / scale``.
    columns : tuple of str
        The columns, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx import segment
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 10.0, 11.0], "b": [5.0, 5.0, 50.0, 52.0]})
    >>> seg = segment(df, n_clusters=2, random_state=0)
    >>> new = pd.DataFrame({"b": [51.0], "a": [10.5]})
    >>> int(seg.to_model().predict(new).iloc[0]) == int(seg.labels.iloc[2])
    True
    """

    model: KMeans
    scaler: Scaler
    columns: tuple

    @classmethod
    def from_kmeans(cls, model: KMeans, columns=None) -> SegmentModel:
        """A fitted :class:`kmeansx.KMeans` as a segment model, without scaling.

        So that a plain model labels a table's rows as a segmentation does (the
        command line's ``predict`` takes either).

        Parameters
        ----------
        model : KMeans
            Fitted.
        columns : list of str, default=None
            The columns it was fitted on, in order; None takes the model's
            ``feature_names_in_`` (a model fitted on a DataFrame has them).

        Examples
        --------
        >>> import pandas as pd
        >>> from kmeansx import KMeans
        >>> from kmeansx.segment import SegmentModel
        >>> df = pd.DataFrame({"a": [0.0, 1.0, 10.0, 11.0]})
        >>> km = KMeans(2, random_state=0).fit(df)
        >>> SegmentModel.from_kmeans(km).predict(df).equals(
        ...     pd.Series(km.labels_, name="cluster"))
        True
        """
        if columns is None:
            columns = getattr(model, "feature_names_in_", None)
            if columns is None:
                raise ValueError(
                    "this KMeans was fitted without column names; pass the columns "
                    "it was fitted on."
                )
        columns = tuple(columns)
        return cls(model, Scaler.identity(len(columns)), columns)

    @property
    def n_clusters(self) -> int:
        return int(self.model.cluster_centers_.shape[0])

    @property
    def metric(self) -> str:
        """ "cosine" for a model that labels rows by angle, else "euclidean"."""
        return "cosine" if isinstance(self.model, SphericalKMeans) else "euclidean"

    @property
    def centers(self) -> pd.DataFrame:
        """The centers in the columns' original units, one row per segment.

        For ``metric="cosine"`` the centers are directions: unit vectors in the
        scaled space, mapped back through the scaler (with no scaling, unit
        vectors in the columns' own units).
        """
        return pd.DataFrame(
            self.scaler.inverse_transform(self.model.cluster_centers_),
            columns=list(self.columns),
            index=pd.RangeIndex(self.n_clusters, name="segment"),
        )

    def transform(self, df, *, dropna: bool = False) -> np.ndarray:
        """The scaled values of ``columns`` that the model sees (kept rows)."""
        return self.scaler.transform(
            prepare(df, list(self.columns), dropna=dropna).values
        )

    def predict(self, df, *, dropna: bool = False) -> pd.Series:
        """The segment of every row of ``df``, aligned to its index.

        Parameters
        ----------
        df : DataFrame
            Must hold ``columns`` (other columns are ignored, order does not
            matter).
        dropna : bool, default=False
            Rows with a missing value get ``<NA>`` instead of raising.

        Returns
        -------
        labels : Series named "cluster"
        """
        prepared = prepare(df, list(self.columns), dropna=dropna)
        Z = self.scaler.transform(prepared.values)
        if self.metric == "cosine":
            check_directions(Z, prepared, self.scaler.method)
        # A model fitted on a DataFrame is given one back, with the names it knows.
        names = getattr(self.model, "feature_names_in_", None)
        labels = self.model.predict(
            Z if names is None else pd.DataFrame(Z, columns=names)
        )
        return _labels_series(labels, prepared)


@dataclass(frozen=True)
class Segmentation:
    """The result of :func:`segment`.

    Attributes
    ----------
    labels : Series named "cluster"
        The segment of every row, aligned to the table's index (``Int64`` with
        ``<NA>`` for the rows dropped by ``dropna=True``).
    centers : DataFrame of shape (n_clusters, n_columns)
        The centers in the columns' original units.
    profile : DataFrame
        One row per segment: ``size``, ``share`` (of the rows clustered), the mean
        of every column in its original units, then ``"<column> (z)"``, how many
        overall standard deviations the segment's mean sits from the overall mean,
        and ``distance (z)``, the length of that vector. For ``metric="cosine"``
        the last column is ``cosine distance`` instead: ``1 - cos`` of the angle
        between the segment's center and the overall mean direction of the rows
        (both in the scaled space, where the model measures angles).
    inertia : float
        The model's inertia, in the scaled units it was fitted in; for
        ``metric="cosine"``, the sum of the rows' cosine distances ``1 - cos`` to
        their centers.
    model : KMeans or SphericalKMeans
        The fitted estimator (on the scaled columns).
    scaler : Scaler
        The scaling applied before clustering.
    columns : list of str
    choice : KChoice or None
        The :func:`choose_k` result when ``n_clusters="auto"``.
    left_out : dict
        The columns that ``columns=None`` left out, with the reason (``{"CustomerID":
        "an identifier", "Gender": "text"}``); empty when the columns were named.
    metric : {"euclidean", "cosine"}
        How rows were compared.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx import segment
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 10.0, 11.0]})
    >>> segment(df, n_clusters=2, random_state=0).profile["size"].tolist()
    [2, 2]
    """

    labels: pd.Series
    centers: pd.DataFrame
    profile: pd.DataFrame
    inertia: float
    model: KMeans
    scaler: Scaler
    columns: list
    choice: KChoice | None = None
    left_out: dict = field(default_factory=dict)
    metric: str = "euclidean"

    def to_model(self) -> SegmentModel:
        """What labels new tables (and what :func:`kmeansx.save` writes)."""
        return SegmentModel(self.model, self.scaler, tuple(self.columns))

    def predict(self, df, *, dropna: bool = False) -> pd.Series:
        """The segment of every row of a new table: see :meth:`SegmentModel.predict`.

        Examples
        --------
        >>> import pandas as pd
        >>> from kmeansx import segment
        >>> seg = segment(pd.DataFrame({"a": [0.0, 1.0, 9.0]}), n_clusters=2)
        >>> seg.predict(pd.DataFrame({"a": [8.5]})).iloc[0] == seg.labels.iloc[2]
        np.True_
        """
        return self.to_model().predict(df, dropna=dropna)


def profile_segments(values: np.ndarray, labels: np.ndarray, columns, k: int):
    """Size, share, means in original units and distance from the overall mean."""
    frame = pd.DataFrame(values, columns=list(columns))
    size = np.bincount(labels, minlength=k)
    means = frame.groupby(labels).mean().reindex(range(k)).to_numpy()
    return profile_from_means(
        size, means, values.mean(axis=0), values.std(axis=0), columns
    )


def profile_from_means(size, means, overall_mean, overall_sd, columns) -> pd.DataFrame:
    """:func:`profile_segments` from its sums: each segment's size and column
    means (NaN for an empty one), the overall means and population standard
    deviations (a table read once, in chunks, gives these)."""
    size = np.asarray(size)
    means = np.asarray(means, dtype=np.float64)
    k = size.shape[0]
    z = (means - overall_mean) / np.where(overall_sd == 0, 1, overall_sd)
    parts = {"size": size, "share": size / size.sum()}
    # Built at once: a column at a time fragments a frame of many columns.
    parts.update({col: means[:, j] for j, col in enumerate(columns)})
    parts.update({f"{col} (z)": z[:, j] for j, col in enumerate(columns)})
    parts["distance (z)"] = np.sqrt((z**2).sum(axis=1))
    return pd.DataFrame(parts, index=pd.RangeIndex(k, name="segment"))


def segment(
    df,
    columns=None,
    n_clusters="auto",
    *,
    scale="standard",
    random_state=None,
    dropna: bool = False,
    n_init: int = 10,
    max_iter: int = 300,
    tol: float = 1e-4,
    k_range=range(1, 11),
    methods=METHODS,
    record_history: bool = False,
    progress: bool | None = None,
    refine: str | None = None,
    callback=None,
    metric: str = "euclidean",
) -> Segmentation:
    """Cluster the rows of a table and describe the segments in original units.

    Parameters
    ----------
    df : DataFrame (or array-like of shape (n_samples, n_features)), or Prepared
        A table prepared by :func:`kmeansx._tables.prepare` is used as it is, if
        ``columns``, ``scale`` and ``dropna`` are the ones it was prepared with.
    columns : list of str, default=None
        The columns to cluster on. None uses a DataFrame's numeric columns less
        those that are bookkeeping, not measurements: identifiers (``id``,
        ``*_id``, ``CustomerID``, one consecutive integer per row), an index column
        and labels (``target``, ``class``, ``cluster``); text and dates are left
        out too (see :func:`kmeansx._tables.choose_columns`). ``left_out`` of the
        result says which and why; naming a column of text or dates is an error.
    n_clusters : int or "auto", default="auto"
        "auto" runs :func:`choose_k` over ``k_range`` (capped at the number of
        distinct points) with ``methods`` and uses its ``recommended_k``.
    scale : {"standard", "robust", None}, default="standard"
        How to scale the columns before clustering, so that no column dominates
        the distances by its units alone. With ``metric="cosine"`` the rows are
        scaled first and then compared by angle: "standard" compares the rows'
        deviations from the column means (a centered cosine, close to a
        correlation between rows), and None the rows' own directions, as for
        embeddings or counts.
    random_state : int, RandomState instance or None, default=None
    dropna : bool, default=False
        Drop rows with a missing value in ``columns`` (their label is ``<NA>``)
        instead of raising.
    n_init, max_iter, tol, record_history, refine
        Passed to :class:`kmeansx.KMeans` (``record_history=True`` keeps
        ``model.history_``, in scaled units, for the plots of iterations).
    k_range, methods, progress
        Passed to :func:`choose_k` when ``n_clusters="auto"``.
    callback : callable, default=None
        Passed to :meth:`kmeansx.KMeans.fit` for the final fit (not the choice of
        k): ``callback(iteration, inertia, n_changed, center_shift)`` after every
        iteration of every run, for progress bars.
    metric : {"euclidean", "cosine"}, default="euclidean"
        "cosine" clusters the scaled rows by angle with
        :class:`kmeansx.SphericalKMeans` (``n_clusters="auto"`` chooses k with
        ``choose_k(metric="cosine")``): the profile still gives the segments'
        means in the columns' original units, and its distance column is the
        ``cosine distance`` (``1 - cos``) of each center from the overall mean
        direction. A row that is all zeros once scaled has no direction and is
        an error naming it. Not with ``refine``.

    Returns
    -------
    Segmentation
        ``labels``, ``centers``, ``profile``, ``inertia``, ``model``, ``scaler``,
        ``columns``, ``choice``, ``left_out`` and ``metric``.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmeansx import segment
    >>> df = pd.DataFrame({"income": [15, 16, 17, 80, 85, 88],
    ...                    "score": [39, 81, 6, 10, 90, 50]})
    >>> seg = segment(df, columns=["income"], n_clusters=2, random_state=0)
    >>> seg.centers.round(1)["income"].sort_values().tolist()
    [16.0, 84.3]

    Without ``columns``, identifiers and text are left out, and said so:

    >>> df["customer_id"] = range(6)
    >>> df["name"] = list("abcdef")
    >>> seg = segment(df, n_clusters=2, random_state=0)
    >>> seg.columns, seg.left_out
    (['income', 'score'], {'customer_id': 'an identifier', 'name': 'text'})

    By angle (rows of the same direction together, whatever their length):

    >>> rays = pd.DataFrame({"x": [1.0, 2.0, 9.0, 0.1, 0.2, 0.3],
    ...                      "y": [0.1, 0.3, 1.0, 1.0, 3.0, 8.0]})
    >>> seg = segment(rays, n_clusters=2, scale=None, metric="cosine",
    ...               random_state=0)
    >>> seg.labels.tolist()
    [1, 1, 1, 0, 0, 0]
    >>> list(seg.profile.columns)
    ['size', 'share', 'x', 'y', 'x (z)', 'y (z)', 'cosine distance']
    """
    scale = check_scale(scale)
    _check_n_clusters(n_clusters)
    cosine = _check_metric(metric, refine)
    prepared = as_prepared(df, columns, dropna=dropna, scale=scale)
    if cosine:
        check_directions(prepared.scaled, prepared, scale)
    fit = dict(n_init=n_init, max_iter=max_iter, tol=tol, random_state=random_state)
    choice = None
    if isinstance(n_clusters, str):
        choice = _choose_k(
            prepared,
            k_range,
            methods,
            progress=progress,
            metric=metric,
            refine=refine,
            **fit,
        )
        n_clusters = choice.recommended_k
    n_clusters = int(n_clusters)
    check_k(n_clusters, prepared, metric)
    if cosine:
        model = SphericalKMeans(n_clusters, record_history=record_history, **fit)
    else:
        model = KMeans(n_clusters, record_history=record_history, refine=refine, **fit)
    model.fit(prepared.scaled, callback=callback)
    cols = prepared.columns
    profile = profile_segments(prepared.values, model.labels_, cols, n_clusters)
    if cosine:
        profile = profile.drop(columns="distance (z)")
        profile["cosine distance"] = _cosine_from_mean(
            prepared.scaled, model.cluster_centers_
        )
    return Segmentation(
        labels=_labels_series(model.labels_, prepared),
        centers=SegmentModel(model, prepared.scaler, tuple(cols)).centers,
        profile=profile,
        inertia=float(model.inertia_),
        model=model,
        scaler=prepared.scaler,
        columns=list(cols),
        choice=choice,
        left_out=dict(prepared.left_out),
        metric=metric,
    )


def _check_metric(metric, refine) -> bool:
    """Whether ``metric`` is "cosine"; an error for an unknown one or with refine."""
    if metric not in ("euclidean", "cosine"):
        raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}.")
    if metric == "cosine" and refine is not None:
        raise ValueError(
            "metric='cosine' fits SphericalKMeans, which Hartigan's moves "
            "(refine) do not apply to: use refine=None."
        )
    return metric == "cosine"


def check_directions(Z: np.ndarray, prepared: Prepared, scale) -> None:
    """Cosine needs a direction for every row: an error naming the table's rows
    that are all zeros in ``Z`` (the scaled values of ``prepared``'s kept rows)."""
    zero = np.flatnonzero(~Z.any(axis=1))
    if not zero.size:
        return
    where = format_where(prepared.index[prepared.kept][zero], prepared.index)
    if scale is None:
        what = f"the table's {where} is all zeros in the columns clustered on"
        fix = "drop it, or use metric='euclidean'"
    else:
        middle = "mean" if scale == "standard" else "median"
        what = (
            f"at {where} every column clustered on equals its {middle}, so the "
            f"row is all zeros once scaled (scale={scale!r})"
        )
        fix = "drop it, or use scale=None to compare the rows' own directions"
    raise ValueError(
        f"{what}: it has no direction, so no cosine to any center (metric="
        f"'cosine'); {fix}."
    )


def _cosine_from_mean(Z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``1 - cos`` of each (unit) center from the mean direction of ``Z``'s rows;
    NaN if those directions cancel out."""
    mean = (Z / np.linalg.norm(Z, axis=1, keepdims=True)).mean(axis=0)
    norm = np.linalg.norm(mean)
    if norm == 0:
        return np.full(centers.shape[0], np.nan)
    return 1.0 - np.asarray(centers, dtype=np.float64) @ (mean / norm)


def _check_n_clusters(n_clusters) -> None:
    auto = isinstance(n_clusters, str) and n_clusters == "auto"
    if not auto and (
        not isinstance(n_clusters, numbers.Integral)
        or isinstance(n_clusters, bool)
        or n_clusters < 1
    ):
        raise ValueError(
            f"n_clusters must be 'auto' or an int >= 1, got {n_clusters!r}."
        )


def _choose_k(prepared: Prepared, k_range, methods, **kwargs) -> KChoice:
    """choose_k over ``k_range`` capped at the distinct points (directions, by
    angle); a k or a clear error."""
    top = min(max(k_range), prepared.n_groups(kwargs["metric"]))
    choice = choose_k(
        prepared,
        [k for k in k_range if k <= top],
        methods,
        scale=prepared.scaler.method,
        dropna=prepared.dropna,
        **kwargs,
    )
    if choice.recommended_k is None:
        raise ValueError(
            f"could not choose k: {choice.reason} Or pass n_clusters=<int>."
        )
    return choice
