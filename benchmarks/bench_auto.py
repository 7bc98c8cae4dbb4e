"""The "auto" rule below k=64: whole fits of Lloyd against Hamerly.

Per-iteration tables (bench_algorithms.py) favour the bounds once the centers
settle; a whole fit also pays the bounds' first pass and the early passes, where
the centers move far. This script times whole default fits (tol=1e-4) of
``algorithm="lloyd"`` and ``"hamerly"`` from the same k-means++ centers, on blob
data (``_common.make_data``) and on uniform data (no clusters for the bounds to
exploit), for a grid of shapes below k=64, float32 and float64. The two
algorithms run alternately, best of ``--rounds``; both give the same fit.

    python benchmarks/bench_auto.py                  # ~3 minutes
    python benchmarks/bench_auto.py --shapes 1000000x8x16,200000x16x32
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _common import machine_line, make_data, print_table

from kmeansx import KMeans
from kmeansx._algorithms.registry import choose_algorithm
from kmeansx._init import kmeans_plusplus_init

SHAPES = (
    "1000000x8x16,1000000x8x32,200000x16x16,200000x16x32,"
    "200000x4x16,200000x4x32,100000x2x16,100000x2x32,200000x16x64"
)
ALGORITHMS = ("lloyd", "hamerly")


def fit_seconds(X, init, algorithm):
    km = KMeans(len(init), init=init, n_init=1, algorithm=algorithm)
    t0 = time.perf_counter()
    km.fit(X)
    return time.perf_counter() - t0, km


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=SHAPES, help="n x d x k, comma-separated")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"# bench_auto: {machine_line()}, best of {args.rounds}")
    rows = []
    for shape in args.shapes.split(","):
        n, d, k = (int(v) for v in shape.split("x"))
        blobs = make_data(n, d, k, np.float64)[0]
        uniform = np.random.default_rng(0).uniform(size=(n, d))
        for kind, X64 in (("blobs", blobs), ("uniform", uniform)):
            for dtype in args.dtypes.split(","):
                X = X64.astype(dtype)
                X = X - X.mean(axis=0)  # what a fit runs on (it centers)
                rng = np.random.RandomState(0)
                init = kmeans_plusplus_init(X, k, np.ones(n), rng)[0]
                for algorithm in ALGORITHMS:  # compile or load, outside the timing
                    KMeans(k, init=init, max_iter=2, algorithm=algorithm).fit(X)
                best = dict.fromkeys(ALGORITHMS, np.inf)
                fits = {}
                for _ in range(args.rounds):
                    for algorithm in ALGORITHMS:
                        seconds, fits[algorithm] = fit_seconds(X, init, algorithm)
                        best[algorithm] = min(best[algorithm], seconds)
                same = np.array_equal(fits["lloyd"].labels_, fits["hamerly"].labels_)
                ratio = best["hamerly"] / best["lloyd"]
                row = {
                    "data": f"{n}x{d} k={k}",
                    "kind": kind,
                    "dtype": dtype,
                    "iters": fits["lloyd"].n_iter_,
                    "lloyd s": f"{best['lloyd']:.4f}",
                    "hamerly s": f"{best['hamerly']:.4f}",
                    "hamerly/lloyd": f"{ratio:.2f}",
                    "faster": "hamerly" if ratio < 1 else "lloyd",
                    "auto": choose_algorithm(n, d, k, np.dtype(dtype)),
                    "same labels": "yes" if same else "NO",
                }
                rows.append(row)
                print_table([row], list(row))
                print(flush=True)
    print(f"# summary ({machine_line()})")
    print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
