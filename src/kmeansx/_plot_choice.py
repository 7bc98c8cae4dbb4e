"""Pictures of a :func:`kmeansx.choose_k` result, re-exported by :mod:`kmeansx.plot`.

Apart from the model pictures so that neither module grows past one concern: here
every method gets a panel in its own units (the elbow's inertia, the silhouette,
the gap statistic with its standard errors, Calinski-Harabasz, Davies-Bouldin),
each with the k it recommends marked, and :func:`choose_k` puts them side by side
with the overall recommendation. matplotlib is imported inside the functions.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np

from kmeansx.selection import LABELS

__all__ = ["elbow", "gap", "score", "scores", "choose_k"]

# What each panel's y-axis shows, and which way is better.
_UNITS = {
    "elbow": ("inertia (within-cluster sum of squares)", None),
    "silhouette": ("mean silhouette (higher is better)", "higher"),
    "gap": ("gap statistic (higher is better)", "higher"),
    "calinski_harabasz": ("Calinski-Harabasz index (higher is better)", "higher"),
    "davies_bouldin": ("Davies-Bouldin index (lower is better)", "lower"),
}
# The one look of "the k this method recommends", on every panel.
_MARK = dict(
    marker="o", markersize=14, markerfacecolor="none", markeredgecolor="C3",
    markeredgewidth=2, linestyle="none",
)  # fmt: skip


# What the pictures' docstrings share, written once so that it says the same
# everywhere: a docstring names a fragment as ``{ax}`` on a line of its own.
_AX = """\
ax : matplotlib Axes, default=None
    Where to draw; a new figure when None."""
_TITLE = """\
title : str, default=None
    A first title line naming the data (e.g. ``"mall.csv: Annual Income,
    Spending Score"``); the picture's own title follows."""
_EXAMPLE_DATA = """\
Examples
--------
>>> import numpy as np
>>> from kmeansx import KMeans, choose_k, plot
>>> X = np.random.default_rng(0).normal(size=(60, 2))"""
_DOCS = {
    "ax": _AX,
    "title": _TITLE,
    # The parameters and result of a picture drawn on one Axes.
    "picture": f"""\
{_AX}
{_TITLE}

Returns
-------
ax : matplotlib Axes""",
    "choice": """\
choice : KChoice
    The result of :func:`kmeansx.choose_k`.""",
    # The Examples sections open on small random data, then fit what they draw.
    "choice_examples": f"""\
{_EXAMPLE_DATA}
>>> choice = choose_k(X, range(1, 6), random_state=0, progress=False,
...                   gap_references=3)""",
    "model_examples": f"""\
{_EXAMPLE_DATA}
>>> km = KMeans(3, random_state=0, record_history=True).fit(X)""",
}


def shared_doc(fn):
    """Fill the fragments of ``_DOCS`` into ``fn``'s docstring, at their indent.

    A name that is not a fragment fails at import (KeyError), not in the docs.
    """

    def fill(m: re.Match) -> str:
        return textwrap.indent(_DOCS[m[2]], m[1])

    fn.__doc__ = re.sub(r"(?m)^( *)\{(\w+)\}$", fill, fn.__doc__)
    return fn


def axes_or_new(ax, figsize=(6.4, 4.8)):
    """``ax``, or the Axes of a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def set_title(ax, own: str, title: str | None) -> None:
    """The picture's own title, under a first line naming the data when given."""
    ax.set_title(own if title is None else f"{title}\n{own}")


def _ks(choice) -> np.ndarray:
    return choice.table["k"].to_numpy()


def _mark(ax, k, y, label=None) -> None:
    """Mark the recommended k: a ring on the curve and a dashed line at k."""
    ax.axvline(k, color="C3", linestyle="--", linewidth=1)
    ax.plot([k], [y], label=label, **_MARK)


def _common(ax, ks, method: str, best, title) -> None:
    ax.set_xticks(ks)
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel(_UNITS[method][0])
    said = f"k = {best}" if best is not None else "no recommendation"
    name = LABELS[method][0].upper() + LABELS[method][1:]  # keeps "Davies-Bouldin"
    set_title(ax, f"{name}: {said}", title)


@shared_doc
def elbow(choice, ax=None, *, title=None):
    """Inertia against k, with the knee (Kneedle) marked.

    Parameters
    ----------
    {choice}
    {picture}

    {choice_examples}
    >>> ax = plot.elbow(choice)
    >>> ax.get_xlabel()
    'number of clusters k'
    """
    from kmeansx._knee import find_knee

    ax = axes_or_new(ax)
    ks, inertia = _ks(choice), choice.table["inertia"].to_numpy()
    ax.plot(ks, inertia, "o-", color="C0", label="inertia")
    knee = choice.recommended.get("elbow")
    if knee is None and "elbow" not in choice.recommended:
        knee = find_knee(list(ks), inertia)[0]
    if knee is not None:
        _mark(ax, knee, inertia[list(ks).index(knee)], f"knee: k = {knee}")
    _common(ax, ks, "elbow", knee, title)
    ax.legend(loc="best", fontsize="small")
    return ax


@shared_doc
def gap(choice, ax=None, *, title=None):
    """The gap statistic with its error bars, and the 1-SE rule's choice.

    As R's ``factoextra::fviz_nbclust`` draws it: gap(k) with bars of ± s(k) (the
    standard error of the reference data sets' log-inertia), and the chosen k,
    the smallest with gap(k) >= gap(k+1) - s(k+1), marked. A dotted segment at
    the height gap(k+1) - s(k+1) shows the threshold that k's gap clears.

    Parameters
    ----------
    choice : KChoice
        A :func:`kmeansx.choose_k` result with the "gap" method.
    {picture}

    {choice_examples}
    >>> len(plot.gap(choice).containers)  # one errorbar container
    1
    """
    if "gap" not in choice.table:
        raise ValueError(
            "this choose_k result has no gap statistic; run it with methods "
            "including 'gap'."
        )
    ax = axes_or_new(ax)
    ks = _ks(choice)
    values = choice.table["gap"].to_numpy(dtype=float)
    sd = choice.table["gap_sd"].to_numpy(dtype=float)
    ax.errorbar(
        ks, values, yerr=sd, fmt="o-", color="C0", ecolor="0.45", capsize=3,
        label="gap ± s(k)",
    )  # fmt: skip
    best = choice.recommended.get("gap")
    if best is not None:
        i = list(ks).index(best)
        if i + 1 < len(ks):
            # The rule's threshold, drawn from k to k+1 so that both ends show.
            nxt = ks[i + 1]
            ax.hlines(
                values[i + 1] - sd[i + 1], best - 0.3, nxt + 0.3, colors="C3",
                linestyles=":", linewidth=2, label=f"gap({nxt}) − s({nxt})",
            )  # fmt: skip
        _mark(ax, best, values[i], f"1-SE rule: k = {best}")
    _common(ax, ks, "gap", best, title)
    ax.set_xlabel("number of clusters k\n1-SE rule: the smallest k with gap(k) ≥ "
                  "gap(k+1) − s(k+1)", fontsize="small")  # fmt: skip
    # Headroom above the bars, so that the legend has a place off the points.
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.35 * (high - low))
    ax.legend(loc="best", fontsize="small")
    return ax


@shared_doc
def score(choice, method: str, ax=None, *, title=None):
    """One method's values against k, in its own units, its recommendation marked.

    Parameters
    ----------
    {choice}
    method : {"elbow", "silhouette", "gap", "calinski_harabasz", "davies_bouldin"}
        "elbow" draws :func:`elbow`, "gap" :func:`gap`.
    {picture}

    {choice_examples}
    >>> plot.score(choice, "davies_bouldin").get_ylabel()
    'Davies-Bouldin index (lower is better)'
    """
    if method == "elbow":
        return elbow(choice, ax, title=title)
    if method == "gap":
        return gap(choice, ax, title=title)
    if method not in _UNITS:
        raise ValueError(
            f"unknown method {method!r}; choose among {', '.join(_UNITS)}."
        )
    if method not in choice.table:
        raise ValueError(
            f"this choose_k result has no {method} scores; run it with methods "
            f"including {method!r}."
        )
    ax = axes_or_new(ax)
    ks = _ks(choice)
    values = choice.table[method].to_numpy(dtype=float)
    ok = np.isfinite(values)  # the scores that need two clusters are NaN at k = 1
    ax.plot(ks[ok], values[ok], "o-", color="C0", label=LABELS[method])
    best = choice.recommended.get(method)
    if best is not None:
        _mark(ax, best, values[list(ks).index(best)])
    _common(ax, ks, method, best, title)
    if method == "silhouette" and choice.silhouette_sample is not None:
        ax.set_xlabel(
            f"number of clusters k\nsilhouette on a sample of "
            f"{choice.silhouette_sample:,} of {choice.n_samples:,} rows"
        )
    return ax


# The normalized overview: stars of methods that agree on a k are spread this far
# apart around it, so that no star hides another.
_DODGE = 0.3


@shared_doc
def scores(choice, ax=None, *, title=None):
    """Every score against k on one scale (1 = best), each recommendation starred.

    Each score is rescaled to [0, 1] with 1 at its best value (Davies-Bouldin is
    flipped, since lower is better there), so curves on different scales can be
    read together; a star marks the k each method recommends, set a little apart
    from the others' stars at the same k. :func:`choose_k` shows each method in
    its own units instead.

    Parameters
    ----------
    {choice}
    {picture}

    {choice_examples}
    >>> len(plot.scores(choice).get_lines())
    8
    """
    ax = axes_or_new(ax)
    table = choice.table
    ks = _ks(choice)
    drawn = [
        m
        for m in ("silhouette", "gap", "calinski_harabasz", "davies_bouldin")
        if m in table and np.isfinite(table[m].to_numpy(dtype=float)).any()
    ]
    if not drawn:
        raise ValueError(
            "this choose_k result has no scores to draw; run it with methods "
            "including silhouette, gap, calinski_harabasz or davies_bouldin."
        )
    at = [choice.recommended.get(m) for m in drawn]
    for i, method in enumerate(drawn):
        v = table[method].to_numpy(dtype=float)
        ok = np.isfinite(v)
        low, high = np.nanmin(v), np.nanmax(v)
        r = (v - low) / (high - low) if high > low else np.ones_like(v)
        if _UNITS[method][1] == "lower":
            r = 1 - r
        best = at[i]
        color = f"C{i}"
        label = f"{LABELS[method]} (k = {best})"
        ax.plot(ks[ok], r[ok], "o-", color=color, label=label)
        if best is not None:
            same = [j for j, k in enumerate(at) if k == best]
            shift = (same.index(i) - (len(same) - 1) / 2) * _DODGE
            y = r[list(ks).index(best)]
            ax.plot([best + shift], [y], "*", color=color, markersize=14,
                    markeredgecolor="black", markeredgewidth=0.6)  # fmt: skip
    ax.set_xticks(ks)
    ax.set_ylim(-0.05, 1.1)
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel("score, rescaled (1 = best)")
    set_title(ax, f"Scores across k: recommended k = {choice.recommended_k}", title)
    ax.legend(loc="best", fontsize="small")
    return ax


def _grid(n: int) -> tuple[int, int]:
    ncols = min(n, 3)
    return -(-n // ncols), ncols


@shared_doc
def choose_k(choice, axes=None, *, title=None):
    """Every method of a :func:`kmeansx.choose_k` result, one panel each.

    Each method is drawn in its own units with the k it recommends marked (the
    elbow's inertia and knee, the silhouette, the gap statistic with its error
    bars and the 1-SE rule, Calinski-Harabasz, Davies-Bouldin), and a last panel
    states the overall recommendation, what each method says and why.

    Parameters
    ----------
    {choice}
    axes : sequence of matplotlib Axes, default=None
        One per method in ``choice.methods`` (in that order), optionally one more
        for the summary. None makes a new figure, whose title then names the data
        and the recommendation.
    title : str, default=None
        What the data is, e.g. ``"mall.csv: Annual Income, Spending Score"``;
        None names the columns clustered.

    Returns
    -------
    axes : ndarray of matplotlib Axes
        The panels, in the order of ``choice.methods``, then the summary's.

    {choice_examples}
    >>> axes = plot.choose_k(choice)
    >>> [ax.get_title().split(":")[0] for ax in axes[:2]]
    ['Elbow', 'Silhouette']
    """
    methods = list(choice.methods)
    name = title
    if name is None and choice.columns:
        name = _columns_line(choice.columns)
    if axes is None:
        import matplotlib.pyplot as plt

        nrows, ncols = _grid(len(methods) + 1)
        fig, grid = plt.subplots(
            nrows, ncols, figsize=(4.6 * ncols, 3.7 * nrows + 0.5), squeeze=False
        )
        grid = list(grid.ravel())
        for extra in grid[len(methods) + 1 :]:
            fig.delaxes(extra)
        axes = grid[: len(methods) + 1]
        k = choice.recommended_k
        head = "How many clusters? " + (
            "No method recommends a k" if k is None else f"Recommended k = {k}"
        )
        fig.suptitle(head if name is None else f"{name}\n{head}")
    axes = list(np.ravel(axes))
    if len(axes) not in (len(methods), len(methods) + 1):
        raise ValueError(
            f"axes must hold {len(methods)} Axes (one per method: "
            f"{', '.join(methods)}), or one more for the summary; got {len(axes)}."
        )
    for method, ax in zip(methods, axes, strict=False):
        score(choice, method, ax)
    if len(axes) > len(methods):
        _summary(axes[-1], choice)
    return np.array(axes, dtype=object)


def _columns_line(columns, shown: int = 4) -> str:
    """The columns clustered, the first few named when there are many."""
    cols = list(columns)
    if len(cols) <= shown:
        return ", ".join(cols)
    return f"{', '.join(cols[:shown])} and {len(cols) - shown} more columns"


def _summary(ax, choice) -> None:
    """The recommendation in words: the vote, each method's k, the reason."""
    ax.axis("off")
    k = choice.recommended_k
    lines = ["No recommendation" if k is None else f"Recommended k = {k}", ""]
    for m in choice.methods:
        said = choice.recommended.get(m)
        agree = "✓" if said is not None and said == k else " "
        lines.append(f"{agree} {LABELS[m]}: {'—' if said is None else said}")
    rows = f"{choice.n_samples:,} rows"
    if choice.scale is not None:
        rows += f", {choice.scale}-scaled"
    lines += ["", rows, ""]
    lines += textwrap.wrap(choice.reason, 44)
    ax.text(
        0.0, 1.0, "\n".join(lines), transform=ax.transAxes, va="top", ha="left",
        family="monospace", fontsize="small",
    )  # fmt: skip
    ax.set_title("The vote", loc="left")
