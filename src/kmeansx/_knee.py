"""The knee of a decreasing curve (Kneedle), shared by choose_k and plot.elbow."""

from __future__ import annotations

import warnings

import numpy as np


def find_knee(ks, inertia) -> tuple[int | None, np.ndarray]:
    """Kneedle's knee of inertia against k, and its difference curve.

    Parameters
    ----------
    ks : sequence of int
        The values of k, increasing.
    inertia : array-like of shape (len(ks),)

    Returns
    -------
    knee : int or None
        None when there is no knee, or fewer than three values of k.
    difference : ndarray of shape (len(ks),)
        Kneedle's difference curve (the knee is its peak); NaN below three k.

    Examples
    --------
    >>> from kmeansx._knee import find_knee
    >>> find_knee([1, 2, 3, 4, 5, 6], [100.0, 60.0, 25.0, 20.0, 17.0, 15.0])[0]
    3
    """
    diff = np.full(len(ks), np.nan)
    if len(ks) < 3:
        return None, diff
    from kneed import KneeLocator

    # kneed warns when it finds no knee; "no knee" is an answer here (None).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kl = KneeLocator(ks, inertia, curve="convex", direction="decreasing")
    diff[:] = kl.y_difference
    return (None if kl.knee is None else int(kl.knee)), diff
