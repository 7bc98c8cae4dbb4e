"""Exact algorithms per iteration: kmeansx lloyd/elkan/hamerly/yinyang/auto against
scikit-learn (lloyd, elkan) and FAISS, on the same data, from the same initial
centers (k-means++ rows), for the same iterations, one run each.

The iteration count is that of kmeansx's Lloyd run to convergence (tol=1e-4, as a
default fit; at most --max-iter): every exact algorithm stops there too, scikit-learn
is given the same tol and FAISS that many iterations (niter, no subsampling). The
script prints seconds per iteration, the ratios to scikit-learn's Lloyd, whether
the labels equal Lloyd's, and what "auto" chose.

    python benchmarks/bench_algorithms.py                  # A-D, float32 and float64
    python benchmarks/bench_algorithms.py --quick          # sizes / 10, a smoke run
    python benchmarks/bench_algorithms.py --sizes C --dtypes float32
    python benchmarks/bench_algorithms.py --sizes E,F --no-peers  # shapes for "auto"
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _common import SIZES, machine_line, make_data, print_table
from sklearn.cluster import KMeans as SKKMeans

from kmeansx import KMeans
from kmeansx._algorithms.registry import choose_algorithm
from kmeansx._init import kmeans_plusplus_init

try:
    import faiss
except ImportError:  # FAISS is optional: its column reads n/a
    faiss = None

OURS = ["lloyd", "elkan", "hamerly", "yinyang", "auto"]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def fit_ours(X, init, algorithm, max_iter, tol):
    km = KMeans(
        len(init), init=init, n_init=1, max_iter=max_iter, tol=tol, algorithm=algorithm
    )
    # Compile (or load from the cache) outside the timing, on the same data: the
    # kernels have serial and parallel compilations, picked by size.
    km.set_params(max_iter=2).fit(X)
    km.set_params(max_iter=max_iter)
    seconds, _ = timed(lambda: km.fit(X))
    return seconds, km


def fit_sklearn(X, init, algorithm, max_iter, tol):
    km = SKKMeans(
        len(init), init=init, n_init=1, max_iter=max_iter, tol=tol, algorithm=algorithm
    )
    seconds, _ = timed(lambda: km.fit(X))
    return seconds, km


def fit_faiss(X, init, n_iter):
    if faiss is None:
        return float("nan")
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    k, d = init.shape
    km = faiss.Kmeans(
        d, k, niter=n_iter, max_points_per_centroid=X.shape[0], verbose=False
    )
    seconds, _ = timed(
        lambda: km.train(X32, init_centroids=np.ascontiguousarray(init, np.float32))
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="A,B,C,D")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="n / 10")
    parser.add_argument("--no-peers", action="store_true", help="kmeansx only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(
        f"# bench_algorithms: {machine_line()}, max_iter={args.max_iter}"
        f"{', quick' if args.quick else ''}"
    )
    rows = []
    for name in args.sizes.split(","):
        n, d, k = SIZES[name]
        if args.quick:
            n //= 10
        for dtype in args.dtypes.split(","):
            X, _ = make_data(n, d, k, np.dtype(dtype))
            X = X - X.mean(axis=0)  # what a fit runs on (it centers)
            init = kmeans_plusplus_init(X, k, np.ones(n), np.random.RandomState(0))[0]
            base_s, base = fit_ours(X, init, "lloyd", args.max_iter, 1e-4)
            n_iter = base.n_iter_
            row = {
                "data": f"{name} {n}x{d} k={k}",
                "dtype": dtype,
                "iters": n_iter,
                "auto": choose_algorithm(n, d, k, np.dtype(dtype)),
            }
            per = {"lloyd": base_s / n_iter}
            same = []
            for algo in OURS[1:]:
                s, km = fit_ours(X, init, algo, args.max_iter, 1e-4)
                per[algo] = s / km.n_iter_
                if km.n_iter_ != n_iter or not np.array_equal(km.labels_, base.labels_):
                    same.append(algo)
            if not args.no_peers:
                for algo in ("lloyd", "elkan"):
                    s, sk = fit_sklearn(X, init, algo, args.max_iter, 1e-4)
                    per[f"sk-{algo}"] = s / sk.n_iter_
                    row[f"sk-{algo} iters"] = sk.n_iter_
                per["faiss"] = fit_faiss(X, init, n_iter) / n_iter
            for key, value in per.items():
                row[f"{key} s/it"] = f"{value:.4g}"
            if not args.no_peers:
                ref = per["sk-lloyd"]
                for algo in OURS:
                    row[f"{algo} x"] = f"{ref / per[algo]:.2f}"
                row["faiss x"] = f"{ref / per['faiss']:.2f}"
            row["labels = lloyd"] = "all" if not same else "not " + ",".join(same)
            rows.append(row)
            print_table([row], list(row))
            print()
    columns = list(rows[0])
    print("# summary")
    print_table(rows, columns)


if __name__ == "__main__":
    main()
