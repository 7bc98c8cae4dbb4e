"""Initial centers for Dask data, in the centered space the Lloyd passes use.

- an array: used as given (centered like the data);
- ``"random"``: the same draw as in memory (``n_clusters`` distinct rows,
  probability proportional to weight), then only those rows are fetched;
- ``"k-means||"``: scalable k-means++ (Bahmani et al., 2012): a few passes that
  each keep every point with probability ``oversampling * w * D(x)^2 / phi``, then
  greedy k-means++ on the weighted candidates, on the driver;
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
from kmeansx._fit import check_centers_shape
from kmeansx._init import kmeans_plusplus_init

# Greedy k-means++ runs on Dask data up to this size (fetched to the driver);
# beyond it, "k-means++" means k-means||.
KMEANSPP_MAX_BYTES = 64 * 2**20

# k-means|| rounds, and candidates drawn per round as a multiple of n_clusters
# (Bahmani et al. find 5 rounds of 2k enough; more adds passes, not quality).
KMEANS_PARALLEL_ROUNDS = 5
OVERSAMPLING = 2.0


def fetch_rows(data: DaskData, runner: Runner, rows: np.ndarray) -> np.ndarray:
    """Centered rows ``rows`` (global positions), in the order given."""
    rows = np.asarray(rows, dtype=np.int64)
    offsets = data.offsets
    block_of = np.searchsorted(offsets, rows, side="right") - 1
    mean = data.mean.astype(data.dtype)
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


def random_centers(data, runner, n_clusters, random_state) -> np.ndarray:
    weight = all_weights(data, runner)
    rows = random_state.choice(
        data.n_samples, size=n_clusters, replace=False, p=weight / weight.sum()
    )
    return fetch_rows(data, runner, rows)


def kmeanspp_centers(data, runner, n_clusters, random_state) -> np.ndarray:
    n = data.n_samples
    if n * data.n_features * data.dtype.itemsize > KMEANSPP_MAX_BYTES:
        return kmeans_parallel_centers(data, runner, n_clusters, random_state)
    X = fetch_rows(data, runner, np.arange(n))
    weight = all_weights(data, runner)
    return kmeans_plusplus_init(X, n_clusters, weight, random_state)[0]


def _first_center(data, runner, random_state) -> np.ndarray:
    """One row drawn with probability proportional to its weight."""
    cum = np.cumsum(data.block_weight)
    target = random_state.uniform() * cum[-1]
    b = min(int(np.searchsorted(cum, target, side="right")), len(cum) - 1)
    before = cum[b - 1] if b > 0 else 0.0
    mean = data.mean.astype(data.dtype)
    task = runner.task(
        B.row_at_weight,
        data.blocks[b],
        data.weight(b),
        mean,
        float(target - before),
        name=runner.name("first"),
    )
    return runner.compute(task)


def kmeans_parallel_centers(data, runner, n_clusters, random_state) -> np.ndarray:
    """k-means||: candidates over a few passes, then weighted greedy k-means++."""
    mean = runner.share(data.mean.astype(data.dtype))
    key = runner.name("kpar")
    seed = int(random_state.randint(2**31 - 1))
    factor = OVERSAMPLING * n_clusters
    cands = _first_center(data, runner, random_state)
    bounds = [0, 1]
    for rnd in range(KMEANS_PARALLEL_ROUNDS):
        cands_f = runner.share(cands)
        parts = runner.per_block(
            B.kpar_potential,
            data,
            lambda b, c=cands_f, r=rnd: (mean, c, bounds[:], (key, b), r),
            "kpar",
            pinned=True,
        )
        phi, wheres = runner.compute(runner.tree(parts, "phi"))
        runner.follow(wheres)
        if not phi > 0:  # every point sits on a candidate: nothing left to draw
            bounds.append(len(cands))
            break
        found = runner.compute(
            runner.per_block(
                B.kpar_sample,
                data,
                lambda b, c=cands_f, r=rnd, p=phi: (
                    mean,
                    c,
                    bounds[:],
                    (key, b),
                    r,
                    p,
                    factor,
                    [seed, r, b],
                ),
                "sample",
                pinned=True,
            )
        )
        cands = np.concatenate([cands, *[f[0] for f in found]])
        bounds.append(len(cands))
    cands_f = runner.share(cands)
    last = len(bounds) - 2
    parts = runner.per_block(
        B.kpar_weights,
        data,
        lambda b: (mean, cands_f, bounds[:], (key, b), last),
        "kpar-weights",
        pinned=True,
    )
    weight, wheres = runner.compute(runner.tree(parts, "weights"))
    runner.follow(wheres)
    if len(cands) < n_clusters:  # fewer distinct points than clusters: pad
        extra = fetch_rows(
            data,
            runner,
            random_state.choice(
                data.n_samples, size=n_clusters - len(cands), replace=False
            ),
        )
        cands = np.concatenate([cands, extra])
        weight = np.concatenate([weight, np.ones(len(extra))])
    return kmeans_plusplus_init(cands, n_clusters, weight, random_state)[0]


def initial_centers(data, runner, n_clusters, init, random_state) -> np.ndarray:
    """Centered initial centers in X's dtype, from ``init``."""
    mean = data.mean.astype(data.dtype)
    if isinstance(init, str):
        make = {
            "k-means||": kmeans_parallel_centers,
            "k-means++": kmeanspp_centers,
            "random": random_centers,
        }[init]
        centers = make(data, runner, n_clusters, random_state)
    elif callable(init):
        centered = data.array - mean
        centers = init(centered, n_clusters, random_state=random_state)
        centers = np.asarray(getattr(centers, "compute", lambda: centers)())
        check_centers_shape(centers, n_clusters, data.n_features)
    else:
        centers = np.asarray(init, dtype=data.dtype) - mean
    return np.ascontiguousarray(centers, dtype=data.dtype)
