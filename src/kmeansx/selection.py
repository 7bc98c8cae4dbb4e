"""``choose_k``: how many clusters? The elbow, silhouette, gap statistic,
Calinski-Harabasz and Davies-Bouldin, side by side, and one vote.

Every k is fitted once with :class:`kmeansx.KMeans`; all scores reuse that fit's
labels. Only the gap statistic fits more (its reference data sets).
"""

from __future__ import annotations

import numbers
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from kmeansx._bisecting import BisectingKMeans
from kmeansx._estimator import KMeans
from kmeansx._knee import find_knee
from kmeansx._spherical import SphericalKMeans
from kmeansx._tables import as_prepared, check_scale

__all__ = ["KChoice", "choose_k", "METHODS"]

METHODS = ("elbow", "silhouette", "gap", "calinski_harabasz", "davies_bouldin")
LABELS = {
    "elbow": "elbow",
    "silhouette": "silhouette",
    "gap": "gap statistic",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
}
# Ties in the vote go to the method earliest here: the elbow is what the lesson
# teaches, the silhouette the most widely used score.
PRIORITY = ("elbow", "silhouette", "gap", "calinski_harabasz", "davies_bouldin")
# Below this many point-fits (rows x k values x data sets) a sweep takes about a
# second: no progress bar.
_PROGRESS_WORK = 2_000_000


@dataclass(frozen=True)
class KChoice:
    """The result of :func:`choose_k`.

    Attributes
    ----------
    table : DataFrame
        One row per k: ``k``, ``inertia`` and one column per method: ``elbow``
        (Kneedle's difference curve; the knee is its peak), ``silhouette``,
        ``gap`` with ``gap_sd`` (its standard error s_k), ``calinski_harabasz``,
        ``davies_bouldin``. Scores that need two clusters are NaN at k = 1.
    recommended : dict of str to int or None
        The k each method recommends (None when it cannot tell, e.g. no knee).
    recommended_k : int or None
        The vote over ``recommended``: the k most methods recommend; ties go to the
        elbow's choice, then the silhouette's, then in the order of ``METHODS``.
        None only when no method recommends anything.
    reason : str
        Why, in one sentence.
    scale : {"standard", "robust", None}
        The scaling applied before clustering.
    n_samples : int
        Rows used.
    methods : tuple of str
        The methods run, in the order asked.
    columns : tuple of str
        The columns clustered (``x0, x1, ...`` for an array), in order.
    silhouette_sample : int or None
        How many of the ``n_samples`` rows the silhouette was computed on when it
        used a sample; None when it used every row (or was not run).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import choose_k
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, size=(40, 2)) for c in (0, 5, 10)])
    >>> choice = choose_k(X, range(1, 7), methods=("elbow", "silhouette"),
    ...                   random_state=0, progress=False)
    >>> choice.recommended_k, choice.recommended["silhouette"]
    (3, 3)
    """

    table: pd.DataFrame
    recommended: dict
    recommended_k: int | None
    reason: str
    scale: str | None = None
    n_samples: int = 0
    methods: tuple = field(default=METHODS)
    columns: tuple = ()
    silhouette_sample: int | None = None


def _check_k_range(k_range) -> list[int]:
    try:
        ks = sorted({int(k) for k in k_range})
    except (TypeError, ValueError):
        raise ValueError(f"k_range must hold integers, got {k_range!r}.") from None
    if any(int(k) != k for k in k_range):
        raise ValueError(f"k_range must hold integers, got {list(k_range)!r}.")
    if not ks:
        raise ValueError("k_range is empty; pass e.g. range(1, 11).")
    if ks[0] < 1:
        raise ValueError(f"k_range must hold k >= 1, got {ks[0]}.")
    return ks


def _check_methods(methods) -> tuple:
    if isinstance(methods, str):
        methods = (methods,)
    methods = tuple(methods)
    for m in methods:
        if m not in METHODS:
            raise ValueError(
                f"unknown method {m!r}; choose among {', '.join(METHODS)}."
            )
    if not methods:
        raise ValueError(f"methods is empty; choose among {', '.join(METHODS)}.")
    return methods


def _check_settings(k_range, methods, gap_references, silhouette_sample_size):
    """The sweep's parameters, checked: ``(ks, methods)``."""
    ks = _check_k_range(k_range)
    methods = _check_methods(methods)
    if not isinstance(gap_references, int) or gap_references < 1:
        raise ValueError(f"gap_references must be an int >= 1, got {gap_references!r}.")
    if not isinstance(silhouette_sample_size, int) or silhouette_sample_size < 2:
        raise ValueError(
            f"silhouette_sample_size must be an int >= 2, got "
            f"{silhouette_sample_size!r}."
        )
    return ks, methods


class _Progress:
    """A transient rich progress bar, or nothing."""

    def __init__(self, total: int, description: str, show: bool):
        self._bar = None
        if not show:
            return
        from rich.console import Console
        from rich.progress import Progress

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        self._bar = Progress(console=console, transient=True)
        self._task = self._bar.add_task(description, total=total)

    def __enter__(self):
        if self._bar is not None:
            self._bar.start()
        return self

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()


def _gap_choice(ks, gap, sd):
    """Tibshirani's 1-SE rule: the smallest k with gap(k) >= gap(k') - s(k')."""
    for i in range(len(ks) - 1):
        if np.isfinite(gap[i]) and gap[i] >= gap[i + 1] - sd[i + 1]:
            return ks[i]
    finite = np.isfinite(gap)
    return int(ks[int(np.flatnonzero(finite)[-1])]) if finite.any() else None


def _vote(recommended: dict, methods: tuple) -> tuple[int | None, str]:
    said = {m: k for m, k in recommended.items() if k is not None}
    if not said:
        return None, (
            "No method could recommend a k over this range; widen k_range or add "
            "methods."
        )
    counts = Counter(said.values())
    top = max(counts.values())
    tied = [k for k, c in counts.items() if c == top]
    order = [m for m in PRIORITY if m in said]
    winner = next(said[m] for m in order if said[m] in tied)
    agree = [LABELS[m] for m in methods if said.get(m) == winner]
    others = [
        f"{LABELS[m]} says {said[m]}"
        for m in methods
        if m in said and said[m] != winner
    ]
    silent = [LABELS[m] for m in methods if m not in said]
    who = agree[0] if len(agree) == 1 else ", ".join(agree[:-1]) + " and " + agree[-1]
    verb = "recommends" if len(agree) == 1 else "agree on"
    reason = f"k = {winner}: the {who} {verb} it ({top} of {len(methods)} methods)"
    if len(tied) > 1:
        rest = sorted(k for k in tied if k != winner)
        reason += (
            f", tied with k = {', '.join(map(str, rest))}; the tie goes to the "
            f"{LABELS[next(m for m in order if said[m] == winner)]}"
        )
    if others:
        reason += "; " + ", ".join(others)
    if silent:
        reason += "; no recommendation from the " + ", ".join(silent)
    return int(winner), reason + "."


def choose_k(
    X,
    k_range=range(1, 11),
    methods=METHODS,
    *,
    columns=None,
    scale=None,
    dropna: bool = False,
    random_state=None,
    n_init: int = 10,
    max_iter: int = 300,
    tol: float = 1e-4,
    gap_references: int = 10,
    silhouette_sample_size: int = 10_000,
    progress: bool | None = None,
    refine: str | None = None,
    strategy: str = "kmeans",
    metric: str = "euclidean",
) -> KChoice:
    """Fit k-means for every k in ``k_range`` and recommend how many clusters.

    Methods (scikit-learn's metrics where they exist):

    - ``"elbow"``: the knee of inertia against k, found by Kneedle (the ``kneed``
      library, convex and decreasing).
    - ``"silhouette"``: the k with the highest mean silhouette. Above
      ``silhouette_sample_size`` rows it is computed on that many rows drawn at
      random (seeded by ``random_state``), so time and memory stay bounded.
    - ``"gap"``: the gap statistic (Tibshirani, Walther and Hastie, 2001) with
      ``gap_references`` data sets drawn uniformly in the data's bounding box, and
      the 1-SE rule: the smallest k with gap(k) >= gap(k+1) - s(k+1) (k+1 being
      the next k in the range; the largest k when none qualifies).
    - ``"calinski_harabasz"``: the highest Calinski-Harabasz index.
    - ``"davies_bouldin"``: the lowest Davies-Bouldin index.

    The overall ``recommended_k`` is a vote: the k recommended by the most methods;
    ties go to the elbow's choice, then the silhouette's, then gap,
    Calinski-Harabasz, Davies-Bouldin.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features), or Prepared
        A table prepared by :func:`kmeansx._tables.prepare` is used as it is, if
        ``columns``, ``scale`` and ``dropna`` are the ones it was prepared with.
    k_range : iterable of int, default=range(1, 11)
        The values of k to try; every k must be at most the number of distinct
        points.
    methods : sequence of str, default=all five
        Any of "elbow", "silhouette", "gap", "calinski_harabasz", "davies_bouldin".
    columns : list of str, default=None
        The DataFrame columns to use; None uses the numeric columns less
        identifiers, an index column and labels, as :func:`kmeansx.segment` does.
    scale : {"standard", "robust", None}, default=None
        Scale the columns first: "standard" (mean 0, standard deviation 1) or
        "robust" (median 0, interquartile range 1).
    dropna : bool, default=False
        Drop rows with a missing value in ``columns`` instead of raising.
    random_state : int, RandomState instance or None, default=None
        Seeds every fit, the silhouette sample and the gap's reference data.
    n_init, max_iter, tol
        Passed to :class:`kmeansx.KMeans` for every fit.
    gap_references : int, default=10
        B, the number of reference data sets of the gap statistic.
    silhouette_sample_size : int, default=10_000
        Rows above which the silhouette is computed on a sample of this size.
    progress : bool or None, default=None
        Show a progress bar on the terminal; None shows it only for sweeps large
        enough to take more than a moment (and never when stderr is not a
        terminal).
    refine : {None, "hartigan", "breathing", "breathing+hartigan"}, default=None
        Passed to :class:`kmeansx.KMeans` for every fit (the gap's reference data
        included): "hartigan" refines each run by Hartigan's moves, "breathing"
        by breathing k-means, "breathing+hartigan" by both in turn.
    strategy : {"kmeans", "bisecting"}, default="kmeans"
        "kmeans" fits :class:`kmeansx.KMeans` once per k; "bisecting" fits one
        :class:`kmeansx.BisectingKMeans` up to the largest k (per data set, the
        gap's references included) and scores every k on its tree
        (``labels_for(k)``, ``inertia_for(k)``): one pass instead of one fit per
        k. Not with ``refine``.
    metric : {"euclidean", "cosine"}, default="euclidean"
        "cosine" clusters by angle with :class:`kmeansx.SphericalKMeans` (the
        inertia is ``sum (1 - cos)``; no row may be all zeros): the silhouette
        uses cosine distances, Calinski-Harabasz and Davies-Bouldin are computed
        on the rows scaled to unit length (where squared Euclidean distance is
        ``2 (1 - cos)``), and the gap's reference rows are drawn in the bounding
        box of the unit rows. Not with ``strategy="bisecting"`` or ``refine``.

    Returns
    -------
    KChoice
        ``table``, ``recommended``, ``recommended_k`` and ``reason``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import choose_k
    >>> rng = np.random.default_rng(1)
    >>> X = np.vstack([rng.normal(c, 0.2, size=(30, 2)) for c in (0, 3)])
    >>> choice = choose_k(X, range(1, 6), random_state=0, progress=False)
    >>> choice.recommended_k
    2
    >>> list(choice.table.columns[:3])
    ['k', 'inertia', 'elbow']
    """
    ks, methods = _check_settings(
        k_range, methods, gap_references, silhouette_sample_size
    )
    scale = check_scale(scale)
    prepared = as_prepared(X, columns, dropna=dropna, scale=scale)
    distinct = prepared.n_groups(metric)
    if ks[-1] > distinct:
        what = "directions" if metric == "cosine" else "points"
        raise ValueError(
            f"k_range goes up to {ks[-1]} but the data has only {distinct} distinct "
            f"{what}; use k_range=range({ks[0]}, {distinct + 1})."
        )
    Z = prepared.scaled
    seed = _seed(random_state)
    B = gap_references if "gap" in methods else 0
    if progress is None:
        progress = Z.shape[0] * len(ks) * (1 + B) >= _PROGRESS_WORK

    if strategy not in ("kmeans", "bisecting"):
        raise ValueError(f"strategy must be 'kmeans' or 'bisecting', got {strategy!r}.")
    if strategy == "bisecting" and refine is not None:
        raise ValueError("refine is for strategy='kmeans' only; use refine=None.")
    if metric not in ("euclidean", "cosine"):
        raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}.")
    cosine = metric == "cosine"
    if cosine and (strategy != "kmeans" or refine is not None):
        raise ValueError(
            "metric='cosine' fits SphericalKMeans for every k: use it with "
            "strategy='kmeans' and refine=None."
        )
    fits_at = {}

    def fit_bisecting(data, k, s):
        # One tree per data set and seed serves every k.
        key = (id(data), s)
        if key not in fits_at:
            fits_at.clear()
            bkm = BisectingKMeans(
                ks[-1], n_init=n_init, max_iter=max_iter, tol=tol, random_state=s
            )
            fits_at[key] = (data, bkm.fit(data))  # data held: its id stays its own
        bkm = fits_at[key][1]
        return SimpleNamespace(labels_=bkm.labels_for(k), inertia_=bkm.inertia_for(k))

    def fit(data, k, s):
        if strategy == "bisecting":
            return fit_bisecting(data, k, s)
        if cosine:
            skm = SphericalKMeans(
                k, n_init=n_init, max_iter=max_iter, tol=tol, random_state=s
            )
            return skm.fit(data)
        km = KMeans(
            k, n_init=n_init, max_iter=max_iter, tol=tol, random_state=s, refine=refine
        )
        return km.fit(data)

    with _Progress(len(ks) * (1 + B), "choosing k", progress) as bar:
        scores = _scores(Z, ks, methods, fit, seed, silhouette_sample_size, bar, metric)
        U = _unit_rows(Z) if cosine else Z
        ref_logw = _reference_log_inertia(U, ks, B, fit, seed, bar)
    table, recommended = _recommendations(ks, methods, scores, ref_logw)
    k, reason = _vote(recommended, methods)
    sampled = "silhouette" in methods and Z.shape[0] > silhouette_sample_size
    return KChoice(
        table,
        recommended,
        k,
        reason,
        scale,
        Z.shape[0],
        methods,
        columns=tuple(str(c) for c in prepared.columns),
        silhouette_sample=silhouette_sample_size if sampled else None,
    )


def _seed(random_state) -> int:
    """One integer seed for every fit, the silhouette sample and the gap's data."""
    rs = check_random_state(random_state)  # also refuses what sklearn refuses
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(rs.randint(2**31 - 1))


def _scores(
    Z, ks, methods, fit, seed, silhouette_sample_size, bar, metric="euclidean"
) -> dict:
    """Inertia and every score that needs no reference data, one fit per k
    (``metric="cosine"``: see :func:`choose_k`)."""
    from sklearn import metrics

    n = Z.shape[0]
    cols = {
        name: np.full(len(ks), np.nan)
        for name in ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin")
    }
    # Unit rows for the Euclidean scores of a cosine fit (fit checks for zero rows).
    U = None
    for i, k in enumerate(ks):
        km = fit(Z, k, seed)
        if U is None:
            U = _unit_rows(Z) if metric == "cosine" else Z
        cols["inertia"][i] = km.inertia_
        if 2 <= k <= n - 1:  # the scores need two clusters and a point to spare
            lab = km.labels_
            if "silhouette" in methods:
                cols["silhouette"][i] = metrics.silhouette_score(
                    Z,
                    lab,
                    metric=metric,
                    sample_size=silhouette_sample_size
                    if n > silhouette_sample_size
                    else None,
                    random_state=seed,
                )
            if "calinski_harabasz" in methods:
                cols["calinski_harabasz"][i] = metrics.calinski_harabasz_score(U, lab)
            if "davies_bouldin" in methods:
                cols["davies_bouldin"][i] = metrics.davies_bouldin_score(U, lab)
        bar.advance()
    return cols


def _unit_rows(Z) -> np.ndarray:
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def _reference_log_inertia(Z, ks, B: int, fit, seed: int, bar) -> np.ndarray:
    """log W_k of B data sets drawn uniformly in Z's bounding box: (B, len(ks))."""
    ref_logw = np.full((B, len(ks)), np.nan)
    if not B:
        return ref_logw
    rng = np.random.default_rng(seed)
    low, high = Z.min(axis=0), Z.max(axis=0)
    for b in range(B):
        R = rng.uniform(low, high, size=Z.shape)
        for i, k in enumerate(ks):
            ref_logw[b, i] = _log_dispersion(fit(R, k, (seed + b + 1) % 2**32).inertia_)
            bar.advance()
    return ref_logw


def _log_dispersion(inertia):
    """log W_k, NaN where W_k is 0 (k >= the distinct rows): the gap is undefined
    there, and log(0) = -inf would turn into -inf - -inf downstream."""
    w = np.asarray(inertia, dtype=float)
    out = np.full(w.shape, np.nan)
    np.log(w, out=out, where=w > 0)
    return out if out.ndim else float(out)


def _recommendations(ks, methods, scores: dict, ref_logw) -> tuple[pd.DataFrame, dict]:
    """The table (k, inertia, one column per method) and each method's k."""
    table = pd.DataFrame({"k": ks, "inertia": scores["inertia"]})
    recommended = {}
    for m in methods:
        if m == "elbow":
            knee, diff = find_knee(ks, scores["inertia"])
            table["elbow"] = diff
            recommended[m] = knee
        elif m == "gap":
            logw = _log_dispersion(scores["inertia"])
            gap = ref_logw.mean(axis=0) - logw
            B = ref_logw.shape[0]
            sd = ref_logw.std(axis=0) * np.sqrt(1 + 1 / B)
            table["gap"], table["gap_sd"] = gap, sd
            recommended[m] = _gap_choice(ks, gap, sd)
        else:
            values = scores[m]
            table[m] = values
            if np.isfinite(values).any():
                pick = np.nanargmin if m == "davies_bouldin" else np.nanargmax
                recommended[m] = int(ks[int(pick(values))])
            else:
                recommended[m] = None
    return table, recommended
