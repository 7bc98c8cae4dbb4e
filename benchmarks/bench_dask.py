"""Lloyd per iteration on Dask: kmeansx against dask-ml, and against kmeansx in memory.

The same data (seeded Gaussian blobs, persisted on a LocalCluster) and the same
initial centers go to kmeansx's Dask backend and to ``dask_ml.cluster.KMeans``
(``init=centers``) on the same cluster, and, saved as one NumPy array, to in-memory
kmeansx in a fresh process (Lloyd, as on Dask, and the default algorithm).
Each is fitted with ``tol=0`` for ``--iters`` and for ``--iters + --more``
iterations; the difference over ``--more`` is the time per iteration (fixed costs
such as checks, conversion and the final assignment cancel out). The
implementations take turns for ``--rounds`` rounds and each keeps its fastest
round, so that load from other programs on the machine hits them alike.

    python benchmarks/bench_dask.py --quick     # 1M x 16, k=16: a minute or two
    python benchmarks/bench_dask.py             # 10M x 32, k=64, float32
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from _common import machine_line, print_table


def make_data(client, n_samples, n_features, n_clusters, dtype, chunk_rows, seed=0):
    """Blobs generated on the workers (never in this process), persisted there."""
    import dask.array as da

    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(n_clusters, n_features))
    labels = da.random.default_rng(seed).integers(
        n_clusters, size=n_samples, chunks=chunk_rows
    )
    noise = da.random.default_rng(seed + 1).standard_normal(
        (n_samples, n_features), chunks=(chunk_rows, n_features)
    )
    X = noise + labels.map_blocks(
        lambda b: centers[b],
        new_axis=1,
        chunks=(labels.chunks[0], (n_features,)),
        dtype=float,
    )
    X = client.persist(X.astype(dtype))
    init = X[: 50 * n_clusters : 50].compute()
    return X, init


def seconds_per_iter(fit, iters: int, more: int) -> float:
    """(t(iters + more) - t(iters)) / more."""

    def timed(n):
        t0 = time.perf_counter()
        n_iter = fit(n)
        if n_iter != n:
            raise RuntimeError(f"converged after {n_iter} of {n} iterations")
        return time.perf_counter() - t0

    return (timed(iters + more) - timed(iters)) / more


def in_memory_main(folder: str, algorithm: str, iters: int, more: int) -> None:
    """Child process: seconds per iteration of in-memory kmeansx on the saved data."""
    from kmeansx import KMeans

    X = np.load(os.path.join(folder, "X.npy"))
    init = np.load(os.path.join(folder, "init.npy"))

    def fit(n):
        km = KMeans(len(init), init=init, max_iter=n, tol=0.0, algorithm=algorithm)
        return km.fit(X).n_iter_

    fit(1)  # compile
    print(seconds_per_iter(fit, iters, more))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--in-memory":
        folder, algorithm, iters, more = sys.argv[2:]
        return in_memory_main(folder, algorithm, int(iters), int(more))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M x 16, k=16")
    parser.add_argument("--n-samples", type=int, default=10_000_000)
    parser.add_argument("--n-features", type=int, default=32)
    parser.add_argument("--n-clusters", type=int, default=64)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--iters", type=int, default=2)
    parser.add_argument("--more", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--no-dask-ml", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.n_samples, args.n_features, args.n_clusters = 1_000_000, 16, 16
        args.chunk_rows = 125_000
        args.more = 20  # short iterations: more of them, for a stable difference

    from distributed import Client, LocalCluster

    from kmeansx import KMeans

    print(machine_line(), f"workers={args.workers}x1 thread", flush=True)
    shape = f"{args.n_samples} x {args.n_features}, k={args.n_clusters}, {args.dtype}"
    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=":0",
    )
    with cluster, Client(cluster) as client:
        X, init = make_data(
            client,
            args.n_samples,
            args.n_features,
            args.n_clusters,
            np.dtype(args.dtype),
            args.chunk_rows,
        )
        X_local = X.compute()
        k = args.n_clusters

        def kmeansx_dask(n):
            return KMeans(k, init=init, max_iter=n, tol=0.0).fit(X).n_iter_

        def dask_ml(n):
            from dask_ml.cluster import KMeans as DaskMLKMeans

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                km = DaskMLKMeans(k, init=init, max_iter=n, tol=0.0)
                return km.fit(X).n_iter_

        # In memory runs in a fresh process that loads the same array: the Dask
        # client's threads in this one would compete with the kernels' threads.
        # The Dask backend runs Lloyd's passes; in memory the default algorithm
        # may prune distances with bounds (same results, cheaper late iterations).
        tmp = tempfile.mkdtemp(prefix="bench_dask_")
        np.save(os.path.join(tmp, "X.npy"), X_local)
        np.save(os.path.join(tmp, "init.npy"), init)
        del X_local

        def in_memory(algorithm):
            def seconds(_):
                out = subprocess.run(
                    [sys.executable, __file__, "--in-memory", tmp, algorithm]
                    + [str(args.iters), str(args.more)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                return float(out.stdout.split()[-1])

            return seconds

        impls = {
            "kmeansx (Dask)": kmeansx_dask,
            "kmeansx (in memory, lloyd)": in_memory("lloyd"),
            "kmeansx (in memory, auto)": in_memory("auto"),
        }
        if not args.no_dask_ml:
            impls["dask-ml (Dask)"] = dask_ml
        kmeansx_dask(1)  # compile in the workers
        if not args.no_dask_ml:
            dask_ml(1)
        best = dict.fromkeys(impls, np.inf)
        for r in range(args.rounds):
            for name, fit in impls.items():
                if name.startswith("kmeansx (in memory"):
                    t = fit(None)
                else:
                    t = seconds_per_iter(fit, args.iters, args.more)
                best[name] = min(best[name], t)
                print(f"round {r + 1}: {name}: {t:.3f} s/iter", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    t_dask = best["kmeansx (Dask)"]
    rows = [
        {
            "impl": name,
            "s/iter": f"{t:.3f}",
            "time / kmeansx Dask": f"{t / t_dask:.2f}x",
        }
        for name, t in best.items()
    ]
    print(f"\n{shape}; per iteration over {args.more}, best of {args.rounds} rounds")
    print(machine_line())
    print_table(rows, ["impl", "s/iter", "time / kmeansx Dask"])


if __name__ == "__main__":
    main()
