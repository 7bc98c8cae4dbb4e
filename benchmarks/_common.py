"""Shared helpers for the benchmark scripts: data, timing, tables."""

from __future__ import annotations

import os
import time

import numpy as np

SIZES = {
    "A": (100_000, 2, 8),
    "B": (200_000, 16, 64),
    "C": (1_000_000, 32, 256),
    "D": (200_000, 128, 1024),
    # Two shapes outside A-D that the "auto" rule was also measured on (issue 14).
    "E": (1_000_000, 8, 16),
    "F": (100_000, 256, 64),
}


def make_data(
    n_samples: int,
    n_features: int,
    n_clusters: int,
    dtype,
    seed: int = 0,
    return_blobs: bool = False,
):
    """Gaussian blobs (so k-means has structure to find) and k distinct init rows;
    with ``return_blobs``, also the blob each row was drawn from."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(n_clusters, n_features))
    labels = rng.integers(n_clusters, size=n_samples)
    X = centers[labels] + rng.normal(size=(n_samples, n_features))
    X = X.astype(dtype)
    init = X[rng.choice(n_samples, size=n_clusters, replace=False)].copy()
    if return_blobs:
        return X, init, labels
    return X, init


def best_time(fn, repeat: int = 3, budget: float = 1.0, max_repeat: int = 50) -> float:
    """Best wall time of at least ``repeat`` calls (the least disturbed by other
    load), more while they add up to under ``budget`` seconds: a call of a few
    milliseconds on a shared machine needs dozens of tries to meet a quiet moment,
    and every peer gets the same rule."""
    times = []
    while len(times) < max_repeat and (len(times) < repeat or sum(times) < budget):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def kmeanspp_rows(X, k: int):
    """The per-iteration benchmarks' initial centers: scikit-learn's k-means++ rows
    (seed 0), in X's dtype, the same for every library."""
    from sklearn.cluster import kmeans_plusplus

    return kmeans_plusplus(X, k, random_state=0)[0].astype(X.dtype)


def read_floor(X, repeat: int = 5) -> float:
    """One streaming read of X on one thread (a sum of its values), best of at least
    ``repeat`` (:func:`best_time`): the floor a pass bound by reading X meets."""
    flat = X.reshape(-1)
    return best_time(lambda: np.add.reduce(flat), repeat)


def machine_line() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"cores={os.cpu_count()} load1={load:.2f}"


def print_table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print(" | ".join(c.ljust(widths[c]) for c in columns))
    print("-|-".join("-" * widths[c] for c in columns))
    for r in rows:
        print(" | ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))
