"""Pictures of k-means results.

Every function takes fitted results, draws on ``ax`` (a new figure when None) and
returns the Axes, except :func:`animate`, which writes a GIF; none calls
``plt.show()``. matplotlib is imported inside the functions, so ``import kmeansx``
never loads it.

Drawing takes some work of its own: the points are labeled with the model's
``predict``, more than two columns are projected on their first two principal
components (a PCA fitted on the points), and :func:`animate` assigns the points to
every set of centers in ``history_``.

The ``model`` arguments accept a fitted :class:`kmeansx.KMeans`, a
:func:`kmeansx.segment` result or a loaded segment model; for the latter two, ``X``
is the table (the same columns are picked and scaled as when fitting) or the
prepared table it was fitted on (:class:`kmeansx._tables.Prepared`, used as it is),
and the pictures show original units whenever there are two columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from kmeansx._tables import Prepared, prepare

__all__ = ["elbow", "scores", "silhouette", "clusters", "centroid_paths", "animate"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6.4, 4.8))[1]


def _colors(k: int):
    import matplotlib as mpl

    cmap = mpl.colormaps["tab10" if k <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(k)]


# How the centers are marked, on the clusters and in the animation alike.
_CENTERS = dict(marker="X", s=220, edgecolors="black", linewidths=1.5)


# -- choosing k -----------------------------------------------------------------------


def elbow(choice, ax=None):
    """Inertia against k, with the knee (Kneedle) marked.

    Parameters
    ----------
    choice : KChoice
        The result of :func:`kmeansx.choose_k`.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import choose_k, plot
    >>> X = np.random.default_rng(0).normal(size=(60, 2))
    >>> ax = plot.elbow(choose_k(X, range(1, 6), random_state=0, progress=False))
    >>> ax.get_xlabel()
    'number of clusters k'
    """
    from kmeansx._knee import find_knee

    ax = _axes(ax)
    table = choice.table
    ks, inertia = table["k"].to_numpy(), table["inertia"].to_numpy()
    ax.plot(ks, inertia, "o-", color="C0", label="inertia")
    knee = choice.recommended.get("elbow")
    if knee is None and "elbow" not in choice.recommended:
        knee = find_knee(list(ks), inertia)[0]
    if knee is not None:
        y = inertia[list(ks).index(knee)]
        ax.axvline(knee, color="C3", linestyle="--", linewidth=1)
        ax.plot(
            [knee], [y], "o", markersize=14, markerfacecolor="none",
            markeredgecolor="C3", markeredgewidth=2, label=f"knee: k = {knee}",
        )  # fmt: skip
    ax.set_xticks(ks)
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel("inertia (within-cluster sum of squares)")
    ax.set_title("Elbow: inertia against k")
    ax.legend()
    return ax


_SCORES = {
    "silhouette": ("silhouette", "higher"),
    "gap": ("gap statistic", "higher"),
    "calinski_harabasz": ("Calinski-Harabasz", "higher"),
    "davies_bouldin": ("Davies-Bouldin", "lower"),
}


def scores(choice, ax=None):
    """Every score against k on one scale (1 = best), each recommendation starred.

    Each score is rescaled to [0, 1] with 1 at its best value (Davies-Bouldin is
    flipped, since lower is better there), so curves on different scales can be
    read together; a star marks the k each method recommends.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import choose_k, plot
    >>> X = np.random.default_rng(0).normal(size=(60, 2))
    >>> choice = choose_k(X, range(1, 6), random_state=0, progress=False)
    >>> len(plot.scores(choice).get_lines())
    8
    """
    ax = _axes(ax)
    table = choice.table
    ks = table["k"].to_numpy()
    drawn = 0
    for i, (method, (label, better)) in enumerate(_SCORES.items()):
        if method not in table:
            continue
        v = table[method].to_numpy(dtype=float)
        ok = np.isfinite(v)
        if not ok.any():
            continue
        low, high = np.nanmin(v), np.nanmax(v)
        r = (v - low) / (high - low) if high > low else np.ones_like(v)
        if better == "lower":
            r = 1 - r
        best = choice.recommended.get(method)
        color = f"C{i}"
        ax.plot(ks[ok], r[ok], "o-", color=color, label=f"{label} (k = {best})")
        if best is not None:
            ax.plot([best], [r[list(ks).index(best)]], "*", color=color, markersize=16)
        drawn += 1
    if not drawn:
        raise ValueError(
            "this choose_k result has no scores to draw; run it with methods "
            "including silhouette, gap, calinski_harabasz or davies_bouldin."
        )
    ax.set_xticks(ks)
    ax.set_ylim(-0.05, 1.1)
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel("score, rescaled (1 = best)")
    ax.set_title(f"Scores across k: recommended k = {choice.recommended_k}")
    ax.legend(fontsize="small")
    return ax


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
        return _Projection(self.Z, self.names, self.scaler)


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
    named = getattr(km, "feature_names_in_", None) is not None
    labels = km.predict(pd.DataFrame(Z, columns=names) if named else Z)
    return _View(Z, labels, np.asarray(km.cluster_centers_, float), names, scaler)


class _Projection:
    """Data space -> the 2-D picture: original units for 2 columns, PCA beyond."""

    def __init__(self, Z, names, scaler):
        self.scaler = scaler if Z.shape[1] <= 2 else None
        self.pca = None
        if Z.shape[1] > 2:
            from sklearn.decomposition import PCA

            self.pca = PCA(2).fit(Z)
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
                    f"PC{i + 1} ({var:.0%} of variance): {', '.join(top)}"
                )
        else:
            self.labels = list(names) + [""] * (2 - len(names))

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


def silhouette(model_or_labels, X, ax=None, *, sample_size=10_000, random_state=0):
    """Silhouette coefficient of every point, sorted within each cluster.

    Parameters
    ----------
    model_or_labels : fitted model or array-like of shape (n_samples,)
        A model labels ``X`` with ``predict``; labels are used as given.
    X : array-like or DataFrame of shape (n_samples, n_features), or Prepared
    ax : matplotlib Axes, default=None
    sample_size : int, default=10_000
        Above this many rows a seeded random sample is drawn (the cost is
        quadratic in the rows).
    random_state : int, default=0

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import KMeans, plot
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> ax = plot.silhouette(KMeans(3, random_state=0).fit(X), X)
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
    if len(labels) > sample_size:
        keep = np.random.default_rng(random_state).choice(
            len(labels), sample_size, replace=False
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
    ax.axvline(mean, color="black", linestyle="--", label=f"mean {mean:.3f}")
    ax.set_yticks([])
    ax.set_xlabel("silhouette coefficient")
    ax.set_ylabel("cluster")
    ax.set_title(f"Silhouette per cluster (k = {len(clusters_)})")
    ax.legend(loc="lower right")
    return ax


def clusters(model, X, ax=None):
    """The points colored by cluster, with the centers.

    Two columns are drawn as they are (original units for a segment model); more
    columns are projected on their first two principal components, each axis
    labeled with the columns that weigh most in it.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import KMeans, plot
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> ax = plot.clusters(KMeans(3, random_state=0).fit(X), X)
    >>> sum(len(c.get_offsets()) for c in ax.collections[:-1])
    50
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
    ax.set_title(f"{k} clusters")
    ax.legend(fontsize="small")
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


def centroid_paths(model, X=None, ax=None):
    """How the centers moved: the lesson's three snapshots on one picture.

    Every center's path over the iterations is a line; markers show the start
    (the initial centers), the middle iteration and the converged centers. With
    ``X``, the points are drawn faintly, colored by their final cluster.

    Parameters
    ----------
    model : fitted model with ``history_`` (``record_history=True``)
    X : array-like, DataFrame or Prepared, default=None
    ax : matplotlib Axes, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import KMeans, plot
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> km = KMeans(3, random_state=0, record_history=True).fit(X)
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
        proj = _Projection(path.reshape(-1, d), names, scaler)
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
    ax.set_title(f"Centroids from start to convergence ({n_iter} iterations)")
    legend = ax.legend(fontsize="small")
    for handle in legend.legend_handles:  # the shape matters there, not the color
        handle.set_facecolor("lightgray")
    return ax


def animate(model, X, path, *, fps: int = 2, force: bool = False) -> Path:
    """Save a GIF of the iterations: one frame per set of centers in ``history_``.

    Frame t shows every point colored by its nearest center among the centers
    after t updates (frame 0: the initial centers), with the inertia in the
    title; there are ``n_iter_ + 1`` frames.

    Parameters
    ----------
    model : fitted model with ``history_`` (``record_history=True``)
    X : array-like, DataFrame or Prepared
    path : path-like
        Where to write the GIF (atomically; an existing file only with ``force``).
    fps : int, default=2
        Frames per second.
    force : bool, default=False

    Returns
    -------
    path : Path

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from PIL import Image
    >>> from kmeansx import KMeans, plot
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> km = KMeans(3, random_state=0, record_history=True).fit(X)
    >>> gif = plot.animate(km, X, pathlib.Path(tempfile.mkdtemp()) / "k.gif")
    >>> with Image.open(gif) as im:
    ...     im.n_frames == km.n_iter_ + 1
    True
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    from kmeansx.io import atomic_write, check_output

    *_, history = _history(model)
    check_output(path, force=force)  # before any drawing: nothing half-made to undo
    v = _view(model, X)
    centers = np.asarray(history.centers, dtype=float)
    labels, inertias = _iterations(v.Z, centers)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    try:
        draw = _first_frame(ax, v, centers, labels, inertias)
        anim = FuncAnimation(fig, draw, frames=len(labels), blit=False, repeat=False)
        with atomic_write(path, force=force) as tmp:
            anim.save(tmp, writer=PillowWriter(fps=fps))
    finally:
        plt.close(fig)
    return Path(path)


def _iterations(Z, centers) -> tuple[list, list]:
    """Every point's label, and the inertia, for each set of centers in turn."""
    from kmeansx import steps

    labels = [steps.assign(Z, c) for c in centers]
    inertias = [
        steps.inertia(Z, c, lab) for c, lab in zip(centers, labels, strict=True)
    ]
    return labels, inertias


def _first_frame(ax, v: _View, centers, labels, inertias):
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
        ax.set_title(f"iteration {t} of {len(labels) - 1}: inertia {inertias[t]:.4g}")
        return points, marks

    return draw
