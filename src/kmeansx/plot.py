"""Pictures of k-means results.

Every function takes fitted results, draws on ``ax`` (a new figure when None) and
returns the Axes, except :func:`animate`, which writes a GIF, and
:func:`choose_k`, which draws one panel per method; none calls ``plt.show()``.
matplotlib is imported inside the functions, so ``import kmeansx`` never loads it.
Every picture takes a ``title``: a first title line naming the data (the command
line passes the file's name and the columns).

Drawing takes some work of its own: the points are labeled with the model's
``predict``, more than two columns are projected on their first two principal
components (a PCA fitted on the points), and :func:`animate` assigns the points to
every set of centers in ``history_``.

The ``model`` arguments accept a fitted :class:`kmeansx.KMeans`, a
:func:`kmeansx.segment` result or a loaded segment model; for the latter two, ``X``
is the table (the same columns are picked and scaled as when fitting) or the
prepared table it was fitted on (:class:`kmeansx._tables.Prepared`, used as it is),
and the pictures show original units whenever there are two columns. ``X`` must be
on the model's scale (for a plain KMeans fitted on standardized data, the
standardized data): a ValueError says so when the centers lie outside the data's
range. Standardized data is labeled in z-units.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from kmeansx._plot_choice import axes_or_new as _axes
from kmeansx._plot_choice import (
    choose_k,
    elbow,
    gap,
    score,
    scores,
    set_title,
    shared_doc,
)
from kmeansx._tables import Prepared, prepare

__all__ = [
    "choose_k",
    "elbow",
    "gap",
    "score",
    "scores",
    "silhouette",
    "clusters",
    "centroid_paths",
    "animate",
]


def _colors(k: int):
    import matplotlib as mpl

    cmap = mpl.colormaps["tab10" if k <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(k)]


# How the centers are marked, on the clusters and in the animation alike.
_CENTERS = dict(marker="X", s=220, edgecolors="black", linewidths=1.5)
# A legend's entry for the centers (or a snapshot of them) stands for every
# cluster: neutral, not the color of the first one.
_NEUTRAL = "lightgray"


def _outside_legend(ax, **kwargs):
    """A legend right of the Axes, where it covers no point."""
    legend = ax.legend(
        loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
        fontsize="small", **kwargs,
    )  # fmt: skip
    return legend


# -- a fitted model ------------------------------------------------------------------


@dataclass
class _View:
    Z: np.ndarray  # what the model sees (scaled for a segment model)
    labels: np.ndarray
    centers: np.ndarray  # in Z's space
    names: list
    scaler: object  # None for a plain KMeans

    @cached_property
    def projection(self) -> _Projection:
        return _Projection(self.Z, self.names, self.scaler, _units(self.Z, self.scaler))


def _unwrap(model):
    """(KMeans, Scaler or None, columns or None) for any accepted model."""
    if hasattr(model, "to_model"):
        model = model.to_model()
    if hasattr(model, "scaler") and hasattr(model, "columns"):
        return model.model, model.scaler, list(model.columns)
    return model, None, None


def _scaled(X, scaler, columns) -> np.ndarray:
    """What a segment model sees of ``X``: its columns, scaled as when fitting."""
    if not isinstance(X, Prepared):
        return scaler.transform(prepare(X, columns).values)
    if list(X.columns) != list(columns):
        raise ValueError(
            f"the prepared table holds the columns {X.columns}, the model was "
            f"fitted on {columns}."
        )
    # The table the model was fitted on is already scaled: no second pass.
    return X.scaled if X.scaler is scaler else scaler.transform(X.values)


def _view(model, X) -> _View:
    import pandas as pd

    km, scaler, columns = _unwrap(model)
    if scaler is not None:
        Z, names = _scaled(X, scaler, columns), columns
    elif isinstance(X, Prepared):
        raise TypeError(
            "a prepared table goes with a segment result; pass a plain KMeans the "
            "table itself."
        )
    else:
        names = getattr(km, "feature_names_in_", None)
        if names is None:
            names = getattr(X, "columns", None)
        n_features = np.shape(X)[1]
        names = (
            [str(c) for c in names]
            if names is not None
            else [f"x{j}" for j in range(n_features)]
        )
        Z = np.asarray(X[list(names)] if hasattr(X, "columns") else X, dtype=float)
    centers = np.asarray(km.cluster_centers_, float)
    _check_scale(Z, centers, names, scaler)
    named = getattr(km, "feature_names_in_", None) is not None
    labels = km.predict(pd.DataFrame(Z, columns=names) if named else Z)
    return _View(Z, labels, centers, names, scaler)


def _check_scale(Z, centers, names, scaler) -> None:
    """Refuse data on another scale than the model's: no center within its range.

    Fitted centers are means of the points they were fitted on, so each lies
    within those points' range; on data of the same kind, some center still does.
    When none does, the data is on another scale (raw data given to a model
    fitted on standardized data is the common case), and every picture of it
    would be wrong: one cluster, or centers off the axes.
    """
    if Z.shape[0] == 0:
        return
    low, high = Z.min(axis=0), Z.max(axis=0)
    # 5% of the range, and a little more so that a constant column still matches.
    pad = 0.05 * (high - low) + 1e-9 * (1.0 + np.maximum(abs(low), abs(high)))
    inside = ((centers >= low - pad) & (centers <= high + pad)).all(axis=1)
    if inside.any():
        return
    c_low, c_high = centers.min(axis=0), centers.max(axis=0)
    apart = np.maximum(low - c_high, c_low - high) / (high - low + pad)
    j = int(np.argmax(apart))
    what = (
        f"none of the model's {len(centers)} centers lies within the data's range "
        f"({names[j]}: the data runs from {low[j]:.4g} to {high[j]:.4g}, the "
        f"centers from {c_low[j]:.4g} to {c_high[j]:.4g})"
    )
    if scaler is not None and scaler.method is not None:
        fix = (
            f"this model scales the table itself ({scaler.method} scaling); pass "
            "the table in its original units, not a scaled copy."
        )
    elif _standardized(Z):
        fix = (
            "X is standardized but the model was not fitted on standardized data; "
            "pass the data in the units the model was fitted on, or fit the model "
            "on the standardized data."
        )
    else:
        fix = (
            "pass the data the model was fitted on, on the same scale: for a model "
            "fitted on standardized data, the standardized table (Z in "
            "`Z, mean, scale = kmeansx.steps.standardize(X)`), not the raw one."
        )
    raise ValueError(f"X is on another scale than the model: {what}; {fix}")


def _standardized(Z) -> bool:
    """Whether every column has mean 0 and standard deviation 1.

    Either standard deviation counts (population, as ``steps.standardize`` and
    scikit-learn's StandardScaler use, or sample); a constant column, centered
    and left unscaled as they leave it, is allowed.
    """
    Z = np.asarray(Z, dtype=float)
    if Z.shape[0] < 2:
        return False
    std0, std1 = Z.std(axis=0), Z.std(axis=0, ddof=1)
    unit = (abs(std0 - 1) < 1e-6) | (abs(std1 - 1) < 1e-6)
    return bool(
        (abs(Z.mean(axis=0)) < 1e-6).all() and (unit | (std0 == 0)).all() and unit.any()
    )


def _units(Z, scaler) -> str | None:
    """What the model's columns are in: "z", "robust" (scaled) or None (as given)."""
    if scaler is not None and scaler.method is not None:
        return "z" if scaler.method == "standard" else scaler.method
    return "z" if Z is not None and _standardized(Z) else None


class _Projection:
    """Data space -> the 2-D picture: original units for 2 columns, PCA beyond.

    ``units`` says what the model's columns are in ("z" for standardized data);
    the axes say so wherever they show those units rather than the original ones.
    """

    def __init__(self, Z, names, scaler, units=None):
        self.scaler = scaler if Z.shape[1] <= 2 else None
        self.pca = None
        if Z.shape[1] > 2:
            from sklearn.decomposition import PCA

            self.pca = PCA(2).fit(Z)
            of = {"z": " of z-scores", None: ""}.get(units, f" of {units}-scaled data")
            self.labels = []
            for i, (comp, var) in enumerate(
                zip(
                    self.pca.components_,
                    self.pca.explained_variance_ratio_,
                    strict=True,
                )
            ):
                top = [names[j] for j in np.argsort(-np.abs(comp))[:2]]
                self.labels.append(
                    f"PC{i + 1}{of} ({var:.0%} of variance): {', '.join(top)}"
                )
        else:
            # A segment model's two columns are drawn back in their own units.
            own = scaler is not None and scaler.method is not None
            unit = "" if own or units is None else f" ({units})"
            self.labels = [f"{n}{unit}" for n in names] + [""] * (2 - len(names))

    def __call__(self, Z):
        Z = np.asarray(Z, dtype=float)
        if self.pca is not None:
            return self.pca.transform(Z)
        if self.scaler is not None:
            Z = self.scaler.inverse_transform(Z)
        if Z.shape[1] == 1:
            return np.column_stack([Z[:, 0], np.zeros(len(Z))])
        return Z

    def label(self, ax):
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])


@shared_doc
def silhouette(
    model_or_labels, X, ax=None, *, sample_size=10_000, random_state=0, title=None
):
    """Silhouette coefficient of every point, sorted within each cluster.

    The dashed line is the mean silhouette, given in the title; drawn on a sample,
    the title says how large (e.g. "on a sample of 10,000 of 200,000 rows").

    Parameters
    ----------
    model_or_labels : fitted model or array-like of shape (n_samples,)
        A model labels ``X`` with ``predict``; labels are used as given.
    X : array-like or DataFrame of shape (n_samples, n_features), or Prepared
    {ax}
    sample_size : int, default=10_000
        Above this many rows a seeded random sample is drawn (the cost is
        quadratic in the rows).
    random_state : int, default=0
    {title}

    Returns
    -------
    ax : matplotlib Axes

    {model_examples}
    >>> ax = plot.silhouette(km, X)
    >>> len(ax.collections)
    3
    """
    from sklearn.metrics import silhouette_samples

    if hasattr(model_or_labels, "predict"):
        v = _view(model_or_labels, X)
        Z, labels = v.Z, v.labels
    else:
        Z = np.asarray(X, dtype=float)
        labels = np.asarray(model_or_labels)
    n_rows = len(labels)
    if n_rows > sample_size:
        keep = np.random.default_rng(random_state).choice(
            n_rows, sample_size, replace=False
        )
        Z, labels = Z[keep], labels[keep]
    values = silhouette_samples(Z, labels)
    ax = _axes(ax)
    clusters_ = np.unique(labels)
    colors = _colors(int(clusters_.max()) + 1)
    gap = max(2, len(labels) // 50)
    y = gap
    for c in clusters_:
        v = np.sort(values[labels == c])
        ax.fill_betweenx(np.arange(y, y + len(v)), 0, v, color=colors[c], alpha=0.8)
        ax.text(-0.02, y + len(v) / 2, str(c), ha="right", va="center")
        y += len(v) + gap
    mean = float(values.mean())
    # The mean is told in the title, not a legend, which would cover bands.
    ax.axvline(mean, color="black", linestyle="--")
    ax.set_yticks([])
    ax.set_xlabel("silhouette coefficient")
    ax.set_ylabel("cluster")
    own = f"Silhouette per cluster (k = {len(clusters_)}): mean {mean:.3f} (dashed)"
    if n_rows > sample_size:
        own += f"\non a sample of {sample_size:,} of {n_rows:,} rows"
    set_title(ax, own, title)
    return ax


@shared_doc
def clusters(model, X, ax=None, *, title=None):
    """The points colored by cluster, with the centers.

    Two columns are drawn as they are (original units for a segment model; "(z)"
    on the axes of standardized data); more columns are projected on their first
    two principal components, each axis labeled with the columns that weigh most
    in it. The legend sits right of the Axes, off the points.

    Parameters
    ----------
    model : fitted KMeans, segment result or segment model
    X : array-like, DataFrame or Prepared
        The data, on the model's scale (see the module's notes).
    {picture}

    {model_examples}
    >>> ax = plot.clusters(km, X)
    >>> sum(len(c.get_offsets()) for c in ax.collections[:-1])
    60
    """
    v = _view(model, X)
    proj = v.projection
    points, centers = proj(v.Z), proj(v.centers)
    k = len(v.centers)
    colors = _colors(k)
    ax = _axes(ax)
    for c in range(k):
        mine = v.labels == c
        ax.scatter(
            points[mine, 0], points[mine, 1], s=14, color=colors[c], alpha=0.7,
            label=f"cluster {c} ({int(mine.sum())})",
        )  # fmt: skip
    ax.scatter(centers[:, 0], centers[:, 1], c=colors, label="centers", **_CENTERS)
    proj.label(ax)
    set_title(ax, f"{k} clusters", title)
    legend = _outside_legend(ax)
    legend.legend_handles[-1].set_facecolor(_NEUTRAL)
    return ax


def _history(model):
    km, scaler, columns = _unwrap(model)
    history = getattr(km, "history_", None)
    if history is None:
        raise ValueError(
            "this model has no history_; fit it with KMeans(record_history=True) or "
            "segment(..., record_history=True)."
        )
    return km, scaler, columns, history


def _snapshots(n_iter: int) -> dict:
    return {
        "start": 0,
        "middle": (n_iter + 1) // 2,
        "converged": n_iter,
    }


@shared_doc
def centroid_paths(model, X=None, ax=None, *, title=None):
    """How the centers moved: the lesson's three snapshots on one picture.

    Every center's path over the iterations is a line; markers show the start
    (the initial centers), the middle iteration and the converged centers. With
    ``X``, the points are drawn faintly, colored by their final cluster.

    Parameters
    ----------
    model : fitted model with ``history_`` (``record_history=True``)
    X : array-like, DataFrame or Prepared, default=None
        The data on the model's scale: for a KMeans fitted on standardized data,
        the standardized data (raw data raises a ValueError that says so).
    {picture}

    {model_examples}
    >>> [t.get_text().split(" ")[0] for t in plot.centroid_paths(km, X)
    ...  .get_legend().get_texts()]
    ['start', 'middle', 'converged']
    """
    km, scaler, columns, history = _history(model)
    path = np.asarray(history.centers, dtype=float)  # (n_iter + 1, k, d)
    n_iter, k, d = path.shape[0] - 1, path.shape[1], path.shape[2]
    if X is not None:
        v = _view(model, X)
        proj = v.projection
    else:
        names = columns or [
            str(c)
            for c in getattr(km, "feature_names_in_", [f"x{j}" for j in range(d)])
        ]
        proj = _Projection(path.reshape(-1, d), names, scaler, _units(None, scaler))
    ax = _axes(ax)
    colors = _colors(k)
    if X is not None:
        pts = proj(v.Z)
        ax.scatter(
            pts[:, 0], pts[:, 1], s=10, c=[colors[c] for c in v.labels], alpha=0.25
        )
    flat = proj(path.reshape(-1, d)).reshape(n_iter + 1, k, 2)
    for j in range(k):
        ax.plot(flat[:, j, 0], flat[:, j, 1], "-", color=colors[j], linewidth=1.5)
    # The middle snapshot is drawn on top: it often sits close to the converged one.
    styles = {"start": ("o", 60, 3), "middle": ("^", 80, 4), "converged": ("*", 260, 3)}
    for name, t in _snapshots(n_iter).items():
        marker, size, zorder = styles[name]
        ax.scatter(
            flat[t, :, 0], flat[t, :, 1], marker=marker, s=size, c=colors,
            edgecolors="black", linewidths=1, zorder=zorder,
            label=f"{name} (iteration {t})",
        )  # fmt: skip
    proj.label(ax)
    set_title(ax, f"Centroids from start to convergence ({n_iter} iterations)", title)
    legend = _outside_legend(ax)
    for handle in legend.legend_handles:  # the shape matters there, not the color
        handle.set_facecolor(_NEUTRAL)
    return ax


@shared_doc
def animate(
    model,
    X,
    path,
    *,
    fps: int = 2,
    hold: float = 2.0,
    force: bool = False,
    title: str | None = None,
) -> Path:
    """Save a GIF of the iterations: one frame per set of centers in ``history_``.

    Frame t shows every point colored by its nearest center among the centers
    after t updates (frame 0: the initial centers), with the inertia in the
    title; there are ``n_iter_ + 1`` frames. The last frame, the converged
    centers, stays ``hold`` seconds before the GIF starts over.

    Parameters
    ----------
    model : fitted model with ``history_`` (``record_history=True``)
    X : array-like, DataFrame or Prepared
        The data on the model's scale (see :func:`centroid_paths`).
    path : path-like
        Where to write the GIF (atomically; an existing file only with ``force``).
    fps : int, default=2
        Frames per second.
    hold : float, default=2.0
        Seconds the last frame is shown (at least one frame's time).
    force : bool, default=False
    {title}

    Returns
    -------
    path : Path

    {model_examples}
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> gif = plot.animate(km, X, pathlib.Path(tempfile.mkdtemp()) / "k.gif")
    >>> with Image.open(gif) as im:
    ...     im.n_frames == km.n_iter_ + 1
    True
    """
    import matplotlib.pyplot as plt

    from kmeansx.io import atomic_write, check_output

    if fps <= 0 or hold < 0:
        raise ValueError(f"fps must be > 0 and hold >= 0, got fps={fps}, hold={hold}.")
    *_, history = _history(model)
    check_output(path, force=force)  # before any drawing: nothing half-made to undo
    v = _view(model, X)
    centers = np.asarray(history.centers, dtype=float)
    labels, inertias = _iterations(v.Z, centers)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    try:
        draw = _first_frame(ax, v, centers, labels, inertias, title)
        frames = []
        for t in range(len(labels)):
            draw(t)
            frames.append(_rendered(fig))
    finally:
        plt.close(fig)
    # One frame's time each; the converged frame held longer, so that the answer
    # can be seen before the loop starts over.
    each = int(round(1000 / fps))
    durations = [each] * (len(frames) - 1) + [max(each, int(round(1000 * hold)))]
    with atomic_write(path, force=force) as tmp:
        frames[0].save(
            tmp, format="GIF", save_all=True, append_images=frames[1:],
            duration=durations, loop=0,
        )  # fmt: skip
    return Path(path)


def _rendered(fig):
    """The figure as it is now, as a PIL image."""
    from PIL import Image

    fig.canvas.draw()
    return Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")


def _iterations(Z, centers) -> tuple[list, list]:
    """Every point's label, and the inertia, for each set of centers in turn."""
    from kmeansx import steps

    labels = [steps.assign(Z, c) for c in centers]
    inertias = [
        steps.inertia(Z, c, lab) for c, lab in zip(centers, labels, strict=True)
    ]
    return labels, inertias


def _first_frame(ax, v: _View, centers, labels, inertias, title=None):
    """Draw frame 0 on ``ax``; return the function that turns it into frame t."""
    proj = v.projection
    colors = np.array(_colors(centers.shape[1]))
    pts = proj(v.Z)
    cs = [proj(c) for c in centers]
    points = ax.scatter(pts[:, 0], pts[:, 1], s=14, c=colors[labels[0]], alpha=0.7)
    marks = ax.scatter(cs[0][:, 0], cs[0][:, 1], c=colors, **_CENTERS)
    # Fixed limits that hold every point and every center of every frame.
    trail = np.concatenate([pts, *cs])
    pad = 0.05 * (trail.max(axis=0) - trail.min(axis=0) + 1e-12)
    ax.set_xlim(trail[:, 0].min() - pad[0], trail[:, 0].max() + pad[0])
    ax.set_ylim(trail[:, 1].min() - pad[1], trail[:, 1].max() + pad[1])
    proj.label(ax)

    def draw(t):
        points.set_facecolor(colors[labels[t]])
        marks.set_offsets(cs[t])
        last = len(labels) - 1
        own = f"iteration {t} of {last}: inertia {inertias[t]:.4g}"
        set_title(ax, own + (" (final)" if t == last else ""), title)
        return points, marks

    return draw
