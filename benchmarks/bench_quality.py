"""Quality of the optimum: Lloyd, Lloyd + Hartigan, breathing and bisecting k-means.

For each data set and k, every method runs with ``n_init`` 1 and 10 over the same
seeds; a fit's inertia is reported as a ratio to the lowest inertia any method
found on that data set and k (1.000 = the best known), median and worst over the
seeds, with the median over seeds of one fit's time (the best of ``--repeat`` fits
of the seed, 3 by default, the methods taking turns; on the compiled kernels).
Data: the Mall Customers columns "Annual Income" and "Spending Score"
standardized (the lesson's table, as kmeansx.datasets ships it, or another copy
of it given as a CSV), the wine data standardized (scikit-learn's copy), and
blobs whose clusters overlap.

    python benchmarks/bench_quality.py
    python benchmarks/bench_quality.py --quick   # 5 seeds

The target of issue 16: Lloyd + Hartigan at n_init=1 no worse than Lloyd at
n_init=10 on the median, for at most twice the time of one Lloyd fit. Breathing
k-means (``refine="breathing"``, and ``"breathing+hartigan"``: Hartigan's moves
after it) runs with n_init=1 only, and is held to the same comparison.

``--early`` adds ``early@1``: Hartigan's moves after one Lloyd iteration instead
of after Lloyd converges (the same k-means++ start), to see whether the moves do
better from a rougher partition.

``--large`` runs instead Lloyd at n_init 1 and 10 and breathing (with and without
Hartigan) at n_init=1 on the float32 blobs of sizes A and B of the speed
benchmarks (100k x 2, k=8; 200k x 16, k=64), seeds 0-2: inertia and seconds.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import SIZES, machine_line, make_data, print_table
from sklearn.datasets import load_wine, make_blobs
from sklearn.preprocessing import StandardScaler

from kmeansx import BisectingKMeans, KMeans
from kmeansx._algorithms import registry
from kmeansx.datasets import load_mall_customers
from kmeansx.steps import kmeans_plusplus

METHODS = {
    "lloyd": lambda k, n_init, seed: KMeans(k, n_init=n_init, random_state=seed),
    "hartigan": lambda k, n_init, seed: KMeans(
        k, n_init=n_init, random_state=seed, refine="hartigan"
    ),
    "bisecting": lambda k, n_init, seed: BisectingKMeans(
        k, n_init=n_init, random_state=seed, init="k-means++"
    ),
    "breathing": lambda k, n_init, seed: KMeans(
        k, n_init=n_init, random_state=seed, refine="breathing"
    ),
    "breathing+hartigan": lambda k, n_init, seed: KMeans(
        k, n_init=n_init, random_state=seed, refine="breathing+hartigan"
    ),
}
N_INITS = (1, 10)
# Methods that refine one start far enough to be compared at n_init=1 only.
ONE_START = ("breathing", "breathing+hartigan", "early")


def n_inits(method: str) -> tuple[int, ...]:
    return (1,) if method in ONE_START else N_INITS


class Early:
    """Hartigan's moves after one Lloyd iteration from KMeans' own k-means++ start
    (the rows ``KMeans(k, random_state=seed)`` starts from)."""

    def __init__(self, k, seed):
        self.k, self.seed = k, seed

    def fit(self, X):
        start = kmeans_plusplus(X, self.k, random_state=self.seed)[0]
        model = KMeans(self.k, init=start, n_init=1, max_iter=1, refine="hartigan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # one iteration does not converge
            model.fit(X)
        self.inertia_ = model.inertia_
        return self


def datasets(mall_csv: Path | None, quick: bool):
    """(name, X, ks) for every data set."""
    scale = StandardScaler().fit_transform
    table = load_mall_customers() if mall_csv is None else pd.read_csv(mall_csv)
    mall = table[["Annual Income", "Spending Score"]].to_numpy(float)
    wine = load_wine().data
    blobs, _ = make_blobs(
        5000, n_features=2, centers=12, cluster_std=2.0, center_box=(-15, 15),
        random_state=0,
    )  # fmt: skip
    mall_ks = (3, 5, 8) if quick else range(2, 11)
    yield "mall", scale(mall), mall_ks
    yield "wine", scale(wine), (3, 6) if quick else (3, 5, 8)
    yield "blobs", blobs, (12,) if quick else (8, 12, 20)


def run(X, k: int, seeds: int, early: bool = False, repeat: int = 3):
    """Inertia and time of every method, n_init and seed: {(method, n_init): ...}.

    Per seed, every method's fit runs ``repeat`` times, the methods taking turns
    (so that a disturbed moment of the machine does not fall on one method alone);
    a seed's time for a method is its best fit (the same work, and the same
    inertia, each time)."""
    methods = dict(METHODS)
    if early:
        methods["early"] = lambda k, n_init, seed: Early(k, seed)
    keys = [(name, n_init) for name in methods for n_init in n_inits(name)]
    inertia = {key: np.empty(seeds) for key in keys}
    times = {key: np.full(seeds, np.inf) for key in keys}
    for seed in range(seeds):
        for _ in range(repeat):
            for name, n_init in keys:
                model = methods[name](k, n_init, seed)
                t0 = time.perf_counter()
                model.fit(X)
                elapsed = time.perf_counter() - t0
                times[name, n_init][seed] = min(times[name, n_init][seed], elapsed)
                inertia[name, n_init][seed] = model.inertia_
    return {key: (inertia[key], times[key]) for key in keys}


def large(seeds: int = 3) -> None:
    """Inertia and seconds of each fit at sizes A and B (float32)."""
    fits = {
        "lloyd@1": {},
        "lloyd@10": {"n_init": 10},
        "breathing@1": {"refine": "breathing"},
        "breathing+hartigan@1": {"refine": "breathing+hartigan"},
    }
    rows = []
    for size in ("A", "B"):
        n, d, k = SIZES[size]
        X = make_data(n, d, k, np.float32)[0]
        for kw in fits.values():  # compile (or load) the kernels this size runs
            KMeans(k, random_state=0, max_iter=2, **kw).fit(X)
        for seed in range(seeds):
            row = {"size": size, "n x d, k": f"{n} x {d}, {k}", "seed": seed}
            for name, kw in fits.items():
                t0 = time.perf_counter()
                km = KMeans(k, random_state=seed, **kw).fit(X)
                row[name] = f"{km.inertia_:.6g} {time.perf_counter() - t0:.2f}s"
            rows.append(row)
    print_table(rows, ["size", "n x d, k", "seed", *fits])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mall_csv",
        type=Path,
        nargs="?",
        help="a Mall Customers CSV (default: the copy kmeansx ships)",
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--repeat", type=int, default=3, help="fits per seed; its time is the best"
    )
    parser.add_argument("--quick", action="store_true", help="5 seeds, fewer k")
    parser.add_argument(
        "--early", action="store_true", help="also Hartigan after one Lloyd iteration"
    )
    parser.add_argument(
        "--large", action="store_true", help="breathing at sizes A and B instead"
    )
    args = parser.parse_args()
    # Every fit on the compiled kernels: under "auto" a process's first seconds of
    # small fits run their NumPy twins (the same results, several times slower),
    # which would switch over in the middle of the table and skew its times, and
    # would leave the kernels of --large's warm-up fits uncompiled.
    registry.PLAIN_BELOW = 0
    if args.large:
        print(f"# {machine_line()}")
        large()
        return
    seeds = 5 if args.quick else args.seeds
    print(f"# {machine_line()} seeds={seeds} repeat={args.repeat}")
    # Compile every kernel before timing.
    warm = np.random.default_rng(0).normal(size=(200, 2))
    run(warm, 3, 1, repeat=1)
    rows, summary = [], []
    for data, X, ks in datasets(args.mall_csv, args.quick):
        for k in ks:
            res = run(X, k, seeds, args.early, args.repeat)
            best = min(float(v[0].min()) for v in res.values())
            row = {"data": data, "n": X.shape[0], "k": k}
            for (name, n_init), (inertia, times) in res.items():
                ratio = inertia / best
                row[f"{name}@{n_init}"] = (
                    f"{np.median(ratio):.4f}/{ratio.max():.4f}"
                    f" {1e3 * np.median(times):.1f}ms"
                )
            rows.append(row)
            l1, l10 = res["lloyd", 1], res["lloyd", 10]
            line = {
                "data": data,
                "k": k,
                "L@10 median": f"{np.median(l10[0] / best):.4f}",
            }
            for short, name in (
                ("H", "hartigan"),
                ("B", "breathing"),
                ("BH", "breathing+hartigan"),
            ):
                inertia, times = res[name, 1]
                line[f"{short}@1 median"] = f"{np.median(inertia / best):.4f}"
                line[f"{short}@1 <= L@10"] = bool(
                    np.median(inertia) <= np.median(l10[0])
                )
                line[f"time {short}@1 / L@1"] = (
                    f"{np.median(times) / np.median(l1[1]):.2f}"
                )
            summary.append(line)
            if args.early:
                e1 = res["early", 1]
                summary[-1]["early@1 median"] = f"{np.median(e1[0] / best):.4f}"
                summary[-1]["early@1 <= L@10"] = bool(
                    np.median(e1[0]) <= np.median(l10[0])
                )
    print("\nInertia / lowest found: median/worst over seeds, and median time a fit")
    names = list(METHODS) + (["early"] if args.early else [])
    columns = ["data", "n", "k"] + [f"{m}@{i}" for m in names for i in n_inits(m)]
    print_table(rows, columns)
    print("\nTarget: one refined start (n_init=1) against Lloyd at n_init=10")
    print_table(summary, list(summary[0]))


if __name__ == "__main__":
    main()
