"""The record of every iteration of a run: what the lesson calls watching it move."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KMeansHistory:
    """Centers, inertia and moved points at every iteration of the kept run.

    Attributes
    ----------
    centers : ndarray of shape (n_iter + 1, n_clusters, n_features)
        ``centers[0]`` are the initial centers and ``centers[t]`` the centers after
        the t-th update; the last equals ``cluster_centers_``.
    inertia : ndarray of shape (n_iter,)
        ``inertia[t]``: the weighted sum of squared distances of the points to
        ``centers[t]`` once each point is assigned to its nearest center.
    n_changed : ndarray of shape (n_iter,)
        ``n_changed[t]``: how many points changed cluster in that assignment (all
        of them at the first).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx import KMeans
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> km = KMeans(2, init=X[[0, 1]], n_init=1, record_history=True).fit(X)
    >>> km.history_.to_frame()["n_changed"].tolist()
    [4, 1, 0]
    """

    centers: np.ndarray
    inertia: np.ndarray
    n_changed: np.ndarray

    def __len__(self) -> int:
        return len(self.inertia)

    def to_frame(self):
        """One row per iteration: ``iteration``, ``inertia``, ``n_changed``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "iteration": np.arange(1, len(self) + 1),
                "inertia": self.inertia,
                "n_changed": self.n_changed,
            }
        )

    def shifted(self, offset: np.ndarray) -> KMeansHistory:
        """The same history with ``offset`` added to every center (undo centering)."""
        return KMeansHistory(self.centers + offset, self.inertia, self.n_changed)
