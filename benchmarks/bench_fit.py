"""A whole default fit at C: ``KMeans(n_clusters=256, random_state=s).fit(X)``,
kmeansx against scikit-learn's default, median over seeds, the inertia ratio, and
peak memory (tracemalloc: every NumPy allocation of the fit, beyond the data).

Each fit runs in a fresh subprocess so that peak memory and timing are its own;
kmeansx's kernels are compiled (or loaded from the cache) first, by the same fit run
once before, outside the time and the memory count (compiling allocates).

    python benchmarks/bench_fit.py                   # C, float32 and float64, 3 seeds
    python benchmarks/bench_fit.py --size B --seeds 1 --algorithms auto,lloyd
    python benchmarks/bench_fit.py --dtypes float32 --seeds 10 --sklearn-cumsum64

``--sklearn-cumsum64`` adds a scikit-learn run whose k-means++ sums its sampling
cumsum in float64, as it did until scikit-learn PR #31991 (1.8): since then
``np.cumsum(sample_weight * closest_dist_sq)`` runs in X's dtype, and in float32
each row's share of it is rounded to a multiple of the running sum's ulp (16-128
at C, where the sum reaches 1e8-1e9), so the rows drawn differ from the float64
law's; this run shows what that does to the fit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from _common import SIZES, machine_line, print_table

CHILD = r"""
import json, sys, time, tracemalloc, warnings
import numpy as np
sys.path.insert(0, {here!r})
from _common import make_data
warnings.simplefilter("ignore")
lib, algorithm, n, d, k, dtype, seed = {args!r}
X, _ = make_data(n, d, k, np.dtype(dtype))
if lib == "kmeansx":
    from kmeansx import KMeans
    # Compile (or load from the cache) every kernel the fit reaches, outside the
    # time and the memory count: the same fit once before (a fit on a part of X
    # reaches fewer of them: smaller replays run the serial compilations).
    KMeans(k, random_state=seed, algorithm=algorithm).fit(X)
    make = lambda: KMeans(k, random_state=seed, algorithm=algorithm)
else:
    from sklearn.cluster import KMeans
    if lib == "sklearn-cumsum64":
        import types
        import sklearn.cluster._kmeans as skk
        skk.np = types.SimpleNamespace(**vars(np))
        skk.np.cumsum = lambda a, *a2, **kw: np.cumsum(a, *a2, dtype=np.float64, **kw)
    make = lambda: KMeans(k, random_state=seed)
tracemalloc.start()
t0 = time.perf_counter()
km = make().fit(X)
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({{"seconds": seconds, "inertia": float(km.inertia_),
                   "n_iter": int(km.n_iter_), "peak": peak, "data": X.nbytes}}))
"""


def fit_in_child(lib, algorithm, n, d, k, dtype, seed):
    code = CHILD.format(
        here=str(Path(__file__).parent), args=(lib, algorithm, n, d, k, dtype, seed)
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="C")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--algorithms", default="auto")
    parser.add_argument("--quick", action="store_true", help="n / 10")
    parser.add_argument(
        "--sklearn-cumsum64",
        action="store_true",
        help="also scikit-learn with its k-means++ cumsum in float64 (module doc)",
    )
    args = parser.parse_args()
    n, d, k = SIZES[args.size]
    if args.quick:
        n //= 10
    print(
        f"# bench_fit: {machine_line()}, {args.size} {n}x{d} k={k}, seeds={args.seeds}"
    )
    rows = []
    for dtype in args.dtypes.split(","):
        runs = {
            "sklearn": [
                fit_in_child("sklearn", None, n, d, k, dtype, s)
                for s in range(args.seeds)
            ]
        }
        if args.sklearn_cumsum64:
            runs["sklearn cumsum64"] = [
                fit_in_child("sklearn-cumsum64", None, n, d, k, dtype, s)
                for s in range(args.seeds)
            ]
        for algo in args.algorithms.split(","):
            runs[algo] = [
                fit_in_child("kmeansx", algo, n, d, k, dtype, s)
                for s in range(args.seeds)
            ]
        t_sk = np.median([r["seconds"] for r in runs["sklearn"]])
        i_sk = np.median([r["inertia"] for r in runs["sklearn"]])
        for name, rs in runs.items():
            t = np.median([r["seconds"] for r in rs])
            inertia = np.median([r["inertia"] for r in rs])
            peak = max(r["peak"] for r in rs)
            data = rs[0]["data"]
            rows.append(
                {
                    "dtype": dtype,
                    "fit": name if name.startswith("sklearn") else f"kmeansx {name}",
                    "median s": f"{t:.3g}",
                    "speed-up": f"{t_sk / t:.1f}x",
                    "iters": "/".join(str(r["n_iter"]) for r in rs),
                    "median inertia": f"{inertia:.7g}",
                    "inertia vs sklearn": f"{(inertia / i_sk - 1) * 100:+.3f}%",
                    "peak MiB": f"{peak / 2**20:.0f}",
                    "peak / data": f"{peak / data:.2f}",
                }
            )
        print_table(rows[-len(runs) :], list(rows[-1]))
        print()
    print("# summary")
    print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
