"""Lloyd per iteration: kmeansx against scikit-learn and FAISS, same data and init.

Every peer starts from the same initial centers, runs the same number of
iterations (tol=0; a run that converges early is timed per iteration it ran), in
one process, and the script prints seconds per iteration and the ratios.

    python benchmarks/bench_lloyd.py            # A, B, C in float32 and float64
    python benchmarks/bench_lloyd.py --sizes A --iters 20
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _common import SIZES, best_time, machine_line, make_data, print_table
from sklearn.cluster import KMeans as SKKMeans

from kmeansx import KMeans

try:
    import faiss
except ImportError:  # FAISS is optional: its column reads n/a
    faiss = None


def per_iter_kmeansx(X, init, iters):
    km = KMeans(
        len(init), init=init, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd"
    )
    km.fit(X)  # compile and warm up
    t = best_time(lambda: km.fit(X))
    return t / km.n_iter_, km


def per_iter_sklearn(X, init, iters):
    km = SKKMeans(len(init), init=init, n_init=1, max_iter=iters, tol=0.0)
    km.fit(X)
    t = best_time(lambda: km.fit(X))
    return t / km.n_iter_, km


def per_iter_faiss(X, init, iters):
    if faiss is None:
        return float("nan")
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    k, d = init.shape

    def run():
        km = faiss.Kmeans(
            d, k, niter=iters, max_points_per_centroid=X.shape[0], verbose=False
        )
        km.train(X32, init_centroids=np.ascontiguousarray(init, dtype=np.float32))

    return best_time(run) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="A,B,C")
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--dtypes", default="float32,float64")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"# bench_lloyd: {machine_line()}, iterations={args.iters}")
    rows = []
    for name in args.sizes.split(","):
        n, d, k = SIZES[name]
        for dtype in args.dtypes.split(","):
            X, init = make_data(n, d, k, np.dtype(dtype))
            ours, km = per_iter_kmeansx(X, init, args.iters)
            theirs, sk = per_iter_sklearn(X, init, args.iters)
            fa = per_iter_faiss(X, init, args.iters)
            same = "yes" if np.array_equal(km.labels_, sk.labels_) else "no"
            rows.append(
                {
                    "data": f"{name} {n}x{d} k={k}",
                    "dtype": dtype,
                    "kmeansx s/iter": f"{ours:.4g}",
                    "sklearn s/iter": f"{theirs:.4g}",
                    "faiss s/iter": f"{fa:.4g}",
                    "vs sklearn": f"{theirs / ours:.2f}x",
                    "vs faiss": f"{fa / ours:.2f}x",
                    "same labels": same,
                }
            )
            print(rows[-1], flush=True)
    print()
    print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
