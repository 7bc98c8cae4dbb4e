"""Initialization: kmeansx k-means++ and k-means|| against scikit-learn's
``kmeans_plusplus``, time and potential (inertia of the initial centers), over
several seeds on the same data.

The potential is the weighted sum of squared distances of the points to their
nearest initial center; "same law" means kmeansx's k-means++ mean potential is
within 1% of scikit-learn's (it draws the same rows for the same seed, up to
rounding). k-means|| includes its Lloyd iterations on the weighted candidates.

    python benchmarks/bench_init.py                 # C and D, float64, 10 seeds
    python benchmarks/bench_init.py --sizes B --seeds 3 --dtypes float32,float64
    python benchmarks/bench_init.py --quick         # sizes / 10
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _common import SIZES, machine_line, make_data, print_table
from sklearn.cluster import kmeans_plusplus

from kmeansx._algorithms.lloyd import assign_labels
from kmeansx._init import kmeans_parallel_init, kmeans_plusplus_init
from kmeansx._kernels._jit import single_threaded_blas


def potential(X, centers) -> float:
    w = np.ones(X.shape[0], dtype=X.dtype)
    return assign_labels(X, w, np.ascontiguousarray(centers, dtype=X.dtype))[1]


def run_kmeansx(kind, X, k, seed):
    w = np.ones(X.shape[0])
    rs = np.random.RandomState(seed)
    with single_threaded_blas():  # as in a fit: BLAS is called inside the kernels
        t0 = time.perf_counter()
        if kind == "k-means++":
            centers = kmeans_plusplus_init(X, k, w, rs)[0]
        else:
            centers = kmeans_parallel_init(X, k, w, rs)
        return time.perf_counter() - t0, centers


def run_sklearn(X, k, seed):
    t0 = time.perf_counter()
    centers, _ = kmeans_plusplus(X, k, random_state=seed)
    return time.perf_counter() - t0, centers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="C,D")
    parser.add_argument("--dtypes", default="float64")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--sklearn-seeds",
        type=int,
        default=None,
        help="seeds for scikit-learn (default: --seeds)",
    )
    parser.add_argument("--quick", action="store_true", help="n / 10")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sk_seeds = args.seeds if args.sklearn_seeds is None else args.sklearn_seeds
    print(
        f"# bench_init: {machine_line()}, seeds={args.seeds} (scikit-learn: {sk_seeds})"
    )
    rows = []
    for name in args.sizes.split(","):
        n, d, k = SIZES[name]
        if args.quick:
            n //= 10
        for dtype in args.dtypes.split(","):
            X, _ = make_data(n, d, k, np.dtype(dtype))
            X = np.ascontiguousarray(X - X.mean(axis=0))  # what a fit runs on
            for kind in ("k-means++", "k-means||"):
                run_kmeansx(kind, X[:5000], 8, 0)  # compile outside the timing
            result = {}
            for kind in ("sklearn", "k-means++", "k-means||"):
                times, pots = [], []
                for seed in range(sk_seeds if kind == "sklearn" else args.seeds):
                    if kind == "sklearn":
                        t, centers = run_sklearn(X, k, seed)
                    else:
                        t, centers = run_kmeansx(kind, X, k, seed)
                    times.append(t)
                    pots.append(potential(X, centers))
                result[kind] = (np.median(times), np.mean(pots))
            t_sk, p_sk = result["sklearn"]
            for kind in ("sklearn", "k-means++", "k-means||"):
                t, p = result[kind]
                rows.append(
                    {
                        "data": f"{name} {n}x{d} k={k}",
                        "dtype": dtype,
                        "init": kind,
                        "median s": f"{t:.3g}",
                        "speed-up": f"{t_sk / t:.1f}x",
                        "mean potential": f"{p:.6g}",
                        "vs sklearn": f"{(p / p_sk - 1) * 100:+.2f}%",
                    }
                )
            print_table(rows[-3:], list(rows[-1]))
            print()
    print("# summary")
    print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
