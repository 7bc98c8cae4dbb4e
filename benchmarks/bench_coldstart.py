"""A first run on a fresh install, and what the NumPy twins of the kernels cost.

``cold``: each command in a new process with an empty Numba cache
(``NUMBA_CACHE_DIR`` set to a new temporary folder), as right after ``pip
install``: ``import kmeansx`` and a first ``KMeans(3, random_state=0).fit`` of a
200 x 2 float64 table, then the first command-line ``fit`` of the Mall Customers
table. ``--kernels`` runs the same with the small-problem path off (every fit on
the Numba kernels), which is what a first run cost before it.

``twins``: warm, in this process, the best time of one fit (k-means++ and Lloyd)
by the kernels and by their NumPy twins (``kmeansx._kernels.plain``), over shapes
around ``kmeansx._algorithms.registry.PLAIN_BELOW`` (work per pass n * k * d):
the cost of running small problems without compiling anything.

    python benchmarks/bench_coldstart.py                 # both, 3 repeats
    python benchmarks/bench_coldstart.py cold --kernels --repeat 2
    python benchmarks/bench_coldstart.py twins
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import best_time, machine_line, print_table

ROOT = Path(__file__).resolve().parents[1]
MALL = ROOT.parent / "shared" / "data" / "mall_customers.csv"

FIRST_FIT = """
import time
t0 = time.perf_counter()
import numpy as np
import kmeansx
from kmeansx._algorithms import registry
if {kernels}:
    registry.PLAIN_BELOW = 0
t1 = time.perf_counter()
X = np.random.default_rng(0).normal(size=(200, 2))
kmeansx.KMeans(3, random_state=0).fit(X)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""

FIRST_CLI = """
import sys
from kmeansx._algorithms import registry
if {kernels}:
    registry.PLAIN_BELOW = 0
from kmeansx.cli import main
sys.argv = ["kmeansx", "fit", {data!r}, "--columns", "Annual Income,Spending Score",
            "-k", "5", "--scale", "standard"]
main()
"""


def _fresh_env() -> dict:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="kmeansx-cold-")
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def cold(repeat: int, kernels: bool, data: Path) -> None:
    print(f"cold start, empty Numba cache, {'kernels only' if kernels else 'default'}")
    rows = []
    for _ in range(repeat):
        load = os.getloadavg()[0]
        out = subprocess.run(
            [sys.executable, "-c", FIRST_FIT.format(kernels=kernels)],
            env=_fresh_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", FIRST_CLI.format(kernels=kernels, data=str(data))],
            env=_fresh_env(),
            capture_output=True,
            check=True,
        )
        cli = time.perf_counter() - t0
        rows.append(
            {
                "load1": f"{load:.2f}",
                "import kmeansx (s)": f"{float(out[0]):.2f}",
                "first fit 200x2 (s)": f"{float(out[1]):.2f}",
                "first CLI fit, Mall (s)": f"{cli:.2f}",
            }
        )
    print_table(rows, list(rows[0]))


SHAPES = [
    (200, 2, 5),
    (1_000, 2, 8),
    (2_000, 4, 8),
    (5_000, 2, 10),
    (3_000, 13, 3),
    (8_000, 2, 8),
    (20_000, 3, 5),
    (1_797, 64, 10),
]


def twins() -> None:
    from kmeansx import KMeans
    from kmeansx._algorithms import registry

    print(
        f"one warm fit (k-means++ and Lloyd), kernels vs NumPy twins; {machine_line()}"
    )
    default = registry.PLAIN_BELOW
    rows = []
    rng = np.random.default_rng(0)
    for n, d, k in SHAPES:
        X = rng.normal(size=(n, d))
        X[: n // 2] += 3.0
        times = {}
        for name, below in (("kernels", 0), ("twins", 1 << 62)):
            registry.PLAIN_BELOW = below
            KMeans(k, random_state=0).fit(X)  # compiles, the first time

            def fit(k=k, X=X):
                KMeans(k, random_state=0).fit(X)

            times[name] = best_time(fit)
        rows.append(
            {
                "n x d x k": f"{n} x {d} x {k}",
                "n*k*d": n * k * d,
                "kernels (ms)": f"{times['kernels'] * 1e3:.2f}",
                "twins (ms)": f"{times['twins'] * 1e3:.2f}",
                "ratio": f"{times['twins'] / times['kernels']:.1f}",
            }
        )
    registry.PLAIN_BELOW = default
    print_table(rows, list(rows[0]))
    print(f"PLAIN_BELOW = {default}: the twins run below it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "what", nargs="?", choices=("cold", "twins", "all"), default="all"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kernels", action="store_true", help="small path off")
    parser.add_argument("--data", type=Path, default=MALL)
    args = parser.parse_args()
    print(machine_line())
    if args.what in ("cold", "all"):
        cold(args.repeat, args.kernels, args.data)
    if args.what in ("twins", "all"):
        twins()


if __name__ == "__main__":
    main()
