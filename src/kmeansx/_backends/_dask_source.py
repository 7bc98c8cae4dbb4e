"""Dask data as a source for the restarts driver (:mod:`kmeansx._fit`).

Initial centers, in the centered space the passes use:

- an array: used as given (centered like the data);
- ``"random"``: the same draw as in memory (``n_clusters`` distinct rows,
  probability proportional to weight), then only those rows are fetched;
- ``"k-means||"``: the rounds of :func:`kmeansx._init.kmeans_parallel` over
  :class:`DaskSampler`, which draws the same rows as in memory from the same
  ``random_state``: each round is one pass that keeps rows and one that adds the
  kept candidates; k-means++ and Lloyd on the weighted candidates run on the driver;
- ``"k-means++"`` (the default): greedy k-means++ needs one pass over the data per
  center, so on Dask data it runs only when the data is small enough to fetch
  (at most :data:`KMEANSPP_MAX_BYTES`): then on all rows, giving the same centers
  as in memory for the same ``random_state``. Larger data gets its scalable form,
  k-means||.
"""

from __future__ import annotations

import numpy as np

from kmeansx._backends import _dask_blocks as B
from kmeansx._backends._dask_run import DaskData, Runner
from kmeansx._backends._dask_step import DaskLloydStep
from kmeansx._init import (
    callable_init,
    kmeans_parallel,
    kmeans_plusplus_init,
    random_rows,
)

# Greedy k-means++ runs on Dask data up to this size (fetched to the driver);
# beyond it, "k-means++" means k-means||.
KMEANSPP_MAX_BYTES = 64 * 2**20


def fetch_rows(data: DaskData, runner: Runner, rows: np.ndarray) -> np.ndarray:
    """Centered rows ``rows`` (global positions), in the order given."""
    rows = np.asarray(rows, dtype=np.int64)
    offsets = data.offsets
    block_of = np.searchsorted(offsets, rows, side="right") - 1
    mean = data.shift
    tasks, wanted = [], []
    for b in np.unique(block_of):
        local = np.sort(np.unique(rows[block_of == b])) - offsets[b]
        tasks.append(
            runner.task(
                B.rows_of, data.blocks[b], mean, local, name=runner.name("rows")
            )
        )
        wanted.append(local + offsets[b])
    if not tasks:
        return np.empty((0, data.n_features), dtype=data.dtype)
    got = np.concatenate(runner.compute(tasks))
    position = np.concatenate(wanted)
    return np.ascontiguousarray(got[np.searchsorted(position, rows)])


def all_weights(data: DaskData, runner: Runner) -> np.ndarray:
    """Every sample weight, on the driver, in X's dtype (what random draws need)."""
    if data.weights is None:
        return np.ones(data.n_samples, dtype=data.dtype)
    parts = runner.compute(
        [
            runner.task(B._weights, w, int(n), data.dtype, name=runner.name("w"))
            for w, n in zip(data.weights, data.counts, strict=True)
        ]
    )
    return np.concatenate(parts)


class DaskSampler:
    """k-means||'s view of Dask data (see :func:`kmeansx._init.kmeans_parallel`).

    Each block keeps its rows' distances to their nearest candidate on its worker;
    ``cands[bounds[r]:bounds[r + 1]]`` are the candidates added at round ``r``.
    """

    def __init__(self, data: DaskData, runner: Runner):
        self.data = data
        self.runner = runner
        self.weight = all_weights(data, runner).astype(np.float64)
        self.mean_f = runner.share(data.shift)
        self.key = runner.state_key("kpar")
        self.cands = np.empty((0, data.n_features), dtype=data.dtype)
        self.bounds = [0]
        self.kept_rows = None  # the centered rows of the last keep()
        self.counts = None

    def rows(self, rows) -> np.ndarray:
        return fetch_rows(self.data, self.runner, rows)

    def _round_args(self, b: int, cands_f):
        return (self.mean_f, cands_f, self.bounds[:], (*self.key, b))

    def add(self, rows) -> float:
        new = self.rows(rows) if self.kept_rows is None else self.kept_rows
        self.kept_rows = None
        self.cands = np.concatenate([self.cands, new])
        self.bounds.append(self.cands.shape[0])
        rnd = len(self.bounds) - 2
        cands_f = self.runner.share(self.cands)
        parts = self.runner.per_block(
            B.kpar_add,
            self.data,
            lambda b: (*self._round_args(b, cands_f), rnd),
            "kpar-add",
            pinned=True,
        )
        phi, self.counts, wheres = self.runner.compute(
            self.runner.tree(parts, "kpar-sum")
        )
        self.runner.follow(wheres)
        return phi

    def keep(self, seed: int, scale: float) -> np.ndarray:
        rnd = len(self.bounds) - 2
        offsets = self.data.offsets
        cands_f = self.runner.share(self.cands)
        found = self.runner.compute(
            self.runner.per_block(
                B.kpar_keep,
                self.data,
                lambda b: (
                    *self._round_args(b, cands_f),
                    rnd,
                    int(offsets[b]),
                    seed,
                    scale,
                ),
                "kpar-keep",
                pinned=True,
            )
        )
        self.runner.follow([f[2][0] for f in found])
        self.kept_rows = np.concatenate([f[0] for f in found])
        return np.concatenate([f[1] for f in found])

    def candidate_weights(self) -> np.ndarray:
        return self.counts

    def candidates(self) -> np.ndarray:
        self.runner.forget(self.key)
        return self.cands


class DaskSource:
    """Prepared Dask data and the runner of one fit: the source
    :func:`kmeansx._fit.fit_kmeans` runs on."""

    def __init__(self, data: DaskData, runner: Runner):
        self.data = data
        self.runner = runner
        self.dtype = data.dtype
        self.mean = None if data.spherical else data.mean
        self.mean_variance = data.mean_variance
        self.exponent = data.exponent

    def initial_centers(self, init, n_clusters: int, random_state, last: bool):
        """Centered initial centers in X's dtype, from ``init``."""
        data, runner = self.data, self.runner
        if isinstance(init, str) and init == "random":
            rows = random_rows(all_weights(data, runner), n_clusters, random_state)
            centers = fetch_rows(data, runner, rows)
        elif isinstance(init, str) and (
            init == "k-means||"
            or data.n_samples * data.n_features * data.dtype.itemsize
            > KMEANSPP_MAX_BYTES
        ):
            centers = kmeans_parallel(
                DaskSampler(data, runner),
                n_clusters,
                random_state,
                spherical=data.spherical,
            )
        elif isinstance(init, str):  # k-means++ on data small enough to fetch
            X = fetch_rows(data, runner, np.arange(data.n_samples))
            weight = all_weights(data, runner)
            centers = kmeans_plusplus_init(X, n_clusters, weight, random_state)[0]
        elif callable(init):
            shift = data.shift
            centered = data.array if shift is None else data.array - shift
            centers = callable_init(
                init, centered, n_clusters, random_state, data.dtype
            )
        else:
            init = np.ldexp(np.asarray(init), data.exponent).astype(data.dtype)
            centers = init if data.shift is None else init - data.shift
        return np.ascontiguousarray(centers, dtype=data.dtype)

    def new_step(self, algorithm: str, n_clusters: int):
        del algorithm, n_clusters  # Lloyd's kernels: every algorithm's result
        return lambda inertia: DaskLloydStep(self.data, self.runner, inertia=inertia)
