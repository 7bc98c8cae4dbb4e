"""Initial centers for Dask data, in the centered space the Lloyd passes use.

- an array: used as given (centered like the data);
- ``"random"``: the same draw as in memory (``n_clusters`` distinct rows,
  probability proportional to weight), then only those rows are fetched;
- ``"k-means||"``: scalable k-means++ (Bahmani et al., 2012), exactly as in memory
  (the same rows from the same ``random_state``): each round is one pass that
  keeps every point with probability ``oversampling * k * w * D(x)^2 / phi`` and
  one that adds the kept candidates; k-means++ and Lloyd on the weighted
  candidates run on the driver;
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
from kmeansx._init import (
    KPAR_OVERSAMPLING,
    KPAR_REFINE_ITER,
    KPAR_ROUNDS,
    kmeans_plusplus_init,
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


def kmeans_parallel_centers(data, runner, n_clusters, random_state) -> np.ndarray:
    """k-means||, drawing exactly what :func:`kmeansx._init.kmeans_parallel_init`
    draws from the same ``random_state``: its kernels run block by block, and its
    per-row uniforms hash the global row, so the candidates are the same rows."""
    from kmeansx._lloyd import lloyd

    n = data.n_samples
    weight = all_weights(data, runner).astype(np.float64)
    mean = runner.share(data.shift)
    offsets = data.offsets
    key = runner.state_key("kpar")
    rows = [np.array([random_state.choice(n, p=weight / weight.sum())])]
    cands = fetch_rows(data, runner, rows[0])
    bounds = [0, 1]

    def add():
        cands_f = runner.share(cands)
        parts = runner.per_block(
            B.kpar_add,
            data,
            lambda b: (mean, cands_f, bounds[:], (*key, b), len(bounds) - 2),
            "kpar-add",
            pinned=True,
        )
        phi, counts, wheres = runner.compute(runner.tree(parts, "kpar-sum"))
        runner.follow(wheres)
        return phi, counts

    phi, cand_weight = add()
    for _ in range(KPAR_ROUNDS):
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        if not phi > 0:  # every point sits on a candidate
            break
        scale = KPAR_OVERSAMPLING * n_clusters / phi
        cands_f = runner.share(cands)
        found = runner.compute(
            runner.per_block(
                B.kpar_keep,
                data,
                lambda b, c=cands_f, s=seed, sc=scale: (
                    mean,
                    c,
                    bounds[:],
                    (*key, b),
                    len(bounds) - 2,
                    int(offsets[b]),
                    s,
                    sc,
                ),
                "kpar-keep",
                pinned=True,
            )
        )
        kept = np.concatenate([f[1] for f in found])
        runner.follow([f[2][0] for f in found])
        if kept.size:
            rows.append(kept)
            cands = np.concatenate([cands, *[f[0] for f in found]])
            bounds.append(len(cands))
            phi, cand_weight = add()
    runner.forget(key)
    rows = np.concatenate(rows)
    if len(cands) < n_clusters:  # fewer candidates than clusters: pad with rows
        extra = random_state.choice(n, size=n_clusters - len(cands), replace=False)
        cands = np.concatenate([cands, fetch_rows(data, runner, extra)])
        cand_weight = np.concatenate([cand_weight, weight[extra]])
    cand_weight = cand_weight.astype(data.dtype)
    centers = kmeans_plusplus_init(cands, n_clusters, cand_weight, random_state)[0]
    return lloyd(cands, cand_weight, centers, max_iter=KPAR_REFINE_ITER).centers


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
