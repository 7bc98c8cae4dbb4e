"""Spherical (cosine) k-means: kmeansx against FAISS and scikit-learn, per iteration.

Two cases (issue 15):

- **dense**: embedding-like rows, 200k x 384 float32, k=256, around 256 random
  directions;
- **sparse**: a TF-IDF-like CSR matrix, 100k x 50k, about 100 nonzeros a row drawn
  from a Zipf-like vocabulary, k=64.

The peers: ``kmeansx.SphericalKMeans`` (``algorithm="auto"``), FAISS
``Kmeans(spherical=True)`` with no subsampling (``max_points_per_centroid=n``;
dense float32 only: densifying the sparse case would take 20 GB), and
scikit-learn's ``KMeans`` (Lloyd) on the rows scaled to unit length (its centers
are then means, not unit vectors: the closest it comes). Every peer starts from
the same unit initial centers (random rows, seed 0) and runs in a process of its
own (their OpenMP runtimes disturb one another in one process).

**per iteration** is ``(t(M) - t(1)) / (M - 1)``, each the best of ``--repeat``
runs at ``tol=0``, so that fixed costs (validation, the unit copy, the final
labelling pass) do not count. **whole fit** is one fit from the same init by each
library's defaults (kmeansx and scikit-learn stop at ``tol=1e-4``, FAISS after its
25 iterations), its seconds and the objective its centers reach, made unit: the
sum of ``1 - cos`` to the nearest. The machine is shared: the load average is printed
with the table. ``--cpu`` runs every peer on one thread and counts the CPU seconds
of the process instead of wall time: on a machine busy with other work, wall
times move by several times from run to run, CPU times by a few percent.

    python benchmarks/bench_spherical.py            # the issue's sizes
    python benchmarks/bench_spherical.py --quick    # n / 10, k / 4, fewer repeats
    python benchmarks/bench_spherical.py --cpu      # one thread, CPU seconds
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from _common import best_time, machine_line, print_table

CASES = {
    "dense": {"n": 200_000, "d": 384, "k": 256},
    "sparse": {"n": 100_000, "d": 50_000, "k": 64, "nnz_per_row": 100},
}
PEERS = ["kmeansx", "faiss", "sklearn"]


def case_shape(case: str, quick: bool) -> dict:
    shape = dict(CASES[case])
    if quick:
        shape["n"] //= 10
        shape["k"] = max(2, shape["k"] // 4)
    return shape


def make_dense(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    """Rows around ``k`` random directions, of varied lengths, float32."""
    rng = np.random.default_rng(seed)
    axes = rng.normal(size=(k, d)).astype(np.float32)
    axes /= np.linalg.norm(axes, axis=1)[:, None]
    X = axes[rng.integers(k, size=n)]
    X += rng.normal(scale=1.5 / np.sqrt(d), size=(n, d)).astype(np.float32)
    X *= rng.uniform(0.5, 2.0, size=(n, 1)).astype(np.float32)
    return np.ascontiguousarray(X, dtype=np.float32)


def make_sparse(n: int, d: int, nnz_per_row: int, seed: int = 0):
    """A TF-IDF-like CSR matrix: Zipf-like term frequencies, idf weights."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(d) + 10.0)
    p /= p.sum()
    cols = rng.choice(d, size=n * nnz_per_row, p=p)
    rows = np.repeat(np.arange(n), nnz_per_row)
    X = sp.csr_matrix(
        (np.ones(n * nnz_per_row, dtype=np.float32), (rows, cols)), shape=(n, d)
    )
    X.sum_duplicates()
    df = np.bincount(X.indices, minlength=d)
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    X.data = (np.log1p(X.data) * idf[X.indices]).astype(np.float32)
    X.sort_indices()
    return X


def unit_rows(X):
    if hasattr(X, "tocsr"):
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        out = X.copy()
        out.data /= np.repeat(norms, np.diff(X.indptr)).astype(np.float32)
        return out
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def runner(lib: str, X, init):
    """``run(M)``: M iterations from ``init``, returning how many ran, and
    ``run(None)`` a fit by the library's defaults (its tol or, for FAISS, its
    ``niter``) returning the unit centers; None if n/a."""
    k = init.shape[0]
    if lib == "kmeansx":
        from kmeansx import SphericalKMeans

        def run(m):
            if m is None:
                return SphericalKMeans(k, init=init, n_init=1).fit(X).cluster_centers_
            skm = SphericalKMeans(k, init=init, n_init=1, max_iter=m, tol=0.0)
            return skm.fit(X).n_iter_

        return run
    if lib == "faiss":
        if hasattr(X, "tocsr"):
            return None
        import faiss

        n, d = X.shape

        def run(m):
            niter = {} if m is None else {"niter": m}
            km = faiss.Kmeans(
                d, k, spherical=True, max_points_per_centroid=n, seed=0, **niter
            )
            km.train(X, init_centroids=init)
            return km.centroids if m is None else m

        return run
    if lib == "sklearn":
        from sklearn.cluster import KMeans

        U = unit_rows(X)

        def run(m):
            if m is None:
                return KMeans(k, init=init, n_init=1).fit(U).cluster_centers_
            km = KMeans(k, init=init, n_init=1, max_iter=m, tol=0.0, algorithm="lloyd")
            return km.fit(U).n_iter_

        return run
    raise ValueError(lib)


def best(fn, repeat: int, cpu: bool = False) -> float:
    """Best of exactly ``repeat`` calls (``cpu``: of the process's CPU seconds)."""
    if not cpu:
        return best_time(fn, repeat, budget=0.0)
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def child(args) -> None:
    shape = case_shape(args.case, args.quick)
    if args.case == "dense":
        X = make_dense(shape["n"], shape["d"], shape["k"])
    else:
        X = make_sparse(shape["n"], shape["d"], shape["nnz_per_row"])
    rng = np.random.default_rng(0)
    rows = rng.choice(X.shape[0], size=shape["k"], replace=False)
    init = X[rows]
    init = np.asarray(init.toarray() if hasattr(init, "toarray") else init)
    init = np.ascontiguousarray(unit_rows(init), dtype=np.float32)
    warnings.simplefilter("ignore")
    try:
        run = runner(args.lib, X, init)
    except ImportError:
        print(json.dumps({"value": None, "note": "not installed"}))
        return
    if run is None:
        print(json.dumps({"value": None, "note": "dense only"}))
        return
    run(1)  # compile, allocate, warm caches
    ran = run(args.iters)
    t1 = best(lambda: run(1), args.repeat, args.cpu)
    tm = best(lambda: run(args.iters), args.repeat, args.cpu)
    t0 = time.perf_counter()
    centers = run(None)
    fit_s = time.perf_counter() - t0
    out = {"value": (tm - t1) / max(ran - 1, 1), "n_iter": ran, "fit_s": fit_s}
    out["objective"] = cosine_objective(X, centers)
    print(json.dumps(out))


def cosine_objective(X, centers) -> float:
    """Sum over rows of ``1 - cos`` to the nearest of ``centers`` made unit
    (scikit-learn's centers are means of unit rows, shorter than 1)."""
    C = np.asarray(centers, dtype=np.float64)
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    U = unit_rows(X)
    total = 0.0
    for start in range(0, X.shape[0], 8192):
        cos = np.asarray(U[start : start + 8192] @ C.T)
        total += float((1.0 - cos.max(axis=1)).sum())
    return total


def run_child(lib: str, case: str, args) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--lib", lib]
    cmd += ["--case", case, "--iters", str(args.iters), "--repeat", str(args.repeat)]
    cmd += ["--quick"] if args.quick else []
    env = None
    if args.cpu:
        cmd += ["--cpu"]
        names = ["NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"]
        env = {**os.environ, **dict.fromkeys(names + ["MKL_NUM_THREADS"], "1")}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return {"value": None, "note": f"timed out ({args.timeout} s)"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"value": None, "note": f"failed: {last[:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", default="dense,sparse")
    parser.add_argument("--iters", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument(
        "--cpu", action="store_true", help="one thread each, CPU seconds"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lib", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.iters is None:
        args.iters = 5 if args.quick else 10
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.child:
        child(args)
        return
    unit = "seconds per iteration"
    unit = f"CPU {unit}, one thread" if args.cpu else unit
    print(f"## spherical k-means, {unit}  ({machine_line()})")
    rows, fits = [], []
    for case in args.cases.split(","):
        shape = case_shape(case, args.quick)
        fit = {"case": case}
        results = {lib: run_child(lib, case, args) for lib in PEERS}
        ours = results["kmeansx"]["value"]
        row = {"case": case, **{k: str(v) for k, v in shape.items()}}
        for lib in PEERS:
            r = results[lib]
            value = r["value"]
            row[lib] = f"{value:.5f}" if value is not None else f"n/a ({r['note']})"
            if lib != "kmeansx" and value is not None and ours:
                row[f"{lib}/kmeansx"] = f"{value / ours:.2f}"
            if value is not None:
                fit[f"{lib} s"] = f"{r['fit_s']:.2f}"
                fit[f"{lib} obj"] = f"{r['objective']:.1f}"
        rows.append(row)
        fits.append(fit)
    columns = ["case", "n", "d", "k", *PEERS, "faiss/kmeansx", "sklearn/kmeansx"]
    print_table(rows, columns)
    print(
        "\n## whole fit from the same init, each library's defaults (kmeansx and "
        "scikit-learn tol=1e-4, FAISS niter=25): seconds, and the sum of 1 - cos "
        "to the nearest unit center"
    )
    print_table(fits, ["case", *(f"{lib} {w}" for lib in PEERS for w in ("s", "obj"))])


if __name__ == "__main__":
    main()
