"""Lloyd per iteration on Dask: kmeansx against dask-ml, and against kmeansx in memory.

The same data (seeded Gaussian blobs, persisted on a LocalCluster) and the same
initial centers go to kmeansx's Dask backend and to ``dask_ml.cluster.KMeans``
(``init=centers``) on the same cluster, and, gathered into one NumPy array, to
in-memory kmeansx in this process. Each is fitted with ``tol=0`` for ``--iters``
and for ``--iters + --more`` iterations; the difference over ``--more`` is the time
per iteration (fixed costs such as checks, conversion and the final assignment
cancel out).

    python benchmarks/bench_dask.py --quick     # 1M x 16, k=16: about a minute
    python benchmarks/bench_dask.py             # 10M x 32, k=64, float32
"""

from __future__ import annotations

import argparse
import os
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


def seconds_per_iter(fit, iters: int, more: int) -> tuple[float, int]:
    """(t(iters + more) - t(iters)) / more, each the best of two runs."""

    def timed(n):
        best = np.inf
        for _ in range(2):
            t0 = time.perf_counter()
            n_iter = fit(n)
            best = min(best, time.perf_counter() - t0)
        if n_iter != n:
            raise RuntimeError(f"converged after {n_iter} of {n} iterations")
        return best

    short, long = timed(iters), timed(iters + more)
    return (long - short) / more, iters + more


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M x 16, k=16")
    parser.add_argument("--n-samples", type=int, default=10_000_000)
    parser.add_argument("--n-features", type=int, default=32)
    parser.add_argument("--n-clusters", type=int, default=64)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--iters", type=int, default=2)
    parser.add_argument("--more", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--no-dask-ml", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.n_samples, args.n_features, args.n_clusters = 1_000_000, 16, 16
        args.chunk_rows = 125_000

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
    rows = []
    with cluster, Client(cluster) as client:
        X, init = make_data(
            client,
            args.n_samples,
            args.n_features,
            args.n_clusters,
            np.dtype(args.dtype),
            args.chunk_rows,
        )
        k = args.n_clusters

        def fit_kmeansx_dask(n):
            return KMeans(k, init=init, max_iter=n, tol=0.0).fit(X).n_iter_

        fit_kmeansx_dask(1)  # compile in the workers
        t_dask, n = seconds_per_iter(fit_kmeansx_dask, args.iters, args.more)
        rows.append({"impl": "kmeansx (Dask)", "s/iter": t_dask})
        print(f"kmeansx Dask: {t_dask:.3f} s/iter", flush=True)

        if not args.no_dask_ml:
            from dask_ml.cluster import KMeans as DaskMLKMeans

            def fit_dask_ml(n):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    km = DaskMLKMeans(k, init=init, max_iter=n, tol=0.0)
                    return km.fit(X).n_iter_

            t_ml, _ = seconds_per_iter(fit_dask_ml, args.iters, args.more)
            rows.append({"impl": "dask-ml (Dask)", "s/iter": t_ml})
            print(f"dask-ml: {t_ml:.3f} s/iter", flush=True)

        X_local = X.compute()

    # The Dask backend runs Lloyd's passes; in memory the default algorithm may
    # prune distances with bounds (same results, cheaper later iterations).
    for algorithm in ("lloyd", "auto"):

        def fit_in_memory(n, algorithm=algorithm):
            km = KMeans(k, init=init, max_iter=n, tol=0.0, algorithm=algorithm)
            return km.fit(X_local).n_iter_

        fit_in_memory(1)
        t_mem, _ = seconds_per_iter(fit_in_memory, args.iters, args.more)
        rows.append({"impl": f"kmeansx (in memory, {algorithm})", "s/iter": t_mem})
        print(f"in memory, {algorithm}: {t_mem:.3f} s/iter", flush=True)
    for r in rows:
        r["time / kmeansx Dask"] = f"{r['s/iter'] / t_dask:.2f}x"
        r["s/iter"] = f"{r['s/iter']:.3f}"
    print(f"\n{shape}; {n} iterations timed; {machine_line()}")
    print_table(rows, ["impl", "s/iter", "time / kmeansx Dask"])


if __name__ == "__main__":
    main()
