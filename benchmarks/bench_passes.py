"""Each pass of kmeansx's bound-based loop against one streaming read of X.

Issue 14 asks that a bounded pass cost at most 1.3x one streaming read of X where
the pass is bound by reading X. ``bench_peers.py`` reports the mean of passes 2-20
(``(t(20) - t(1)) / 19``); this script times every pass of the same run apart, so
that the first passes after k-means++ (most rows need their distances) and the
settled ones (a few rows near a border) can be told apart. It runs
``KMeans(k, init=<scikit-learn's k-means++ rows>, max_iter=20, tol=0)`` (``auto``:
Hamerly from k=64) as ``bench_peers.py``'s per-iteration part does, times each
call of the bound-based step (the kernel, Lloyd's replay of ambiguous rows, the
sums of what changed; the last pass is the final one, which sums the inertia),
keeps each pass's best over ``--repeat`` runs, and prints them with the floor: one
single-threaded ``np.add.reduce`` over X (``_common.read_floor``, as in
``bench_peers.py``).
A run ends before 20 passes when no label changes. The passes are timed by
wrapping ``kmeansx._algorithms.bounded.BoundedStep.run``, a private name, which
the script follows when it changes.

    python benchmarks/bench_passes.py     # B and D, both dtypes, a few minutes
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import SIZES, kmeanspp_rows, machine_line, make_data, read_floor

from kmeansx import KMeans
from kmeansx._algorithms import bounded


def pass_times(X, init, repeat: int) -> np.ndarray:
    """Seconds of each pass of one run, the best of ``repeat`` runs."""
    run = bounded.BoundedStep.run
    times = []

    def timed(self, centers, *, final=False):
        t0 = time.perf_counter()
        out = run(self, centers, final=final)
        times.append(time.perf_counter() - t0)
        return out

    best = None
    bounded.BoundedStep.run = timed
    try:
        for _ in range(repeat):
            times.clear()
            KMeans(init.shape[0], init=init, n_init=1, max_iter=20, tol=0).fit(X)
            these = np.array(times)
            best = these if best is None else np.minimum(best, these)
    finally:
        bounded.BoundedStep.run = run
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="B,D")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"bound-based passes against one read of X ({machine_line()})")
    for size in args.sizes.split(","):
        n, d, k = SIZES[size]
        for name in args.dtypes.split(","):
            X, _ = make_data(n, d, k, np.dtype(name).type)
            init = kmeanspp_rows(X, k)
            passes = pass_times(X, init, args.repeat)
            read = read_floor(X)
            middle, settled = passes[1:-1], passes[5:-1]
            print(
                f"{size} {name}: floor {read * 1e3:.2f} ms; {passes.shape[0]} passes"
                f" (ms, the last the final one): "
                + " ".join(f"{t * 1e3:.2f}" for t in passes)
            )
            print(
                f"  passes 2 to the last but one: {middle.mean() * 1e3:.2f} ms "
                f"({middle.mean() / read:.2f}x the floor); from the 6th: "
                f"{settled.mean() * 1e3:.2f} ms ({settled.mean() / read:.2f}x), "
                f"least {settled.min() * 1e3:.2f} ms ({settled.min() / read:.2f}x)"
            )


if __name__ == "__main__":
    main()
