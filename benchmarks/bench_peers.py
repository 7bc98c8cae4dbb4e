"""kmeansx against every exact peer: per iteration, k-means++ seeding, whole fit.

The peers: scikit-learn (lloyd, elkan), scikit-learn-intelex (oneDAL), mlpack
(naive, elkan, hamerly, dual-tree; float64 only) and FAISS (no subsampling;
float32 only). Each (library, size, dtype) runs in a process of its own: their
OpenMP runtimes disturb one another in one process, and each gets a cold start of
its own. Every child makes the same blob data (``_common.make_data``) and the same
k-means++ initial centers (scikit-learn's ``kmeans_plusplus``, seed 0).

- **per iteration**: ``(t(M) - t(1)) / (M - 1)`` from the same initial centers at
  ``tol=0``, each time the best of several runs, so that fixed costs (copies,
  validation, the final labelling pass) do not count. ``floor`` is one streaming
  read of X (a sum of its values, on one thread) in the same process as kmeansx.
  mlpack is timed from its own log instead: at C a call costs 5 s outside its
  iterations 2-20 (its first Hamerly pass computes every distance, and so does
  its final labelling), two such calls differ by more than those 19 iterations
  take, and ``t(M) - t(1)`` read as noise (9 ms at C for a pass that takes 40).
  With ``verbose=True`` it writes a line as each iteration ends; the lines go to
  a loopback socket, whose kernel stamps each as it is written, and the figure is
  the time from the end of iteration 1 to the end of iteration M, over M - 1: the
  same quantity, without the fixed costs. The log also gives the number of
  iterations mlpack ran.
- **k-means++**: seeding alone, with scikit-learn's number of local trials
  (``2 + int(ln k)`` candidates per center) for every library counted: oneDAL as
  sklearnex's KMeans calls it (``onedal.cluster.kmeans_plusplus``), whose draws
  follow its own law (its rows differ). ``sklearnex-1trial`` is oneDAL called
  directly with its default of one candidate per center, a fraction of the work:
  shown for reference, not counted as a peer.
- **whole fit**: ``KMeans(n_clusters=k, random_state=s).fit(X)`` as a user writes
  it, the median over seeds, with the median inertia.

The load average is printed with every table; the machine is shared, so run it
when it is quiet and say so with the figures. Peers need the ``bench`` extra
(``pip install -e ".[bench]"``, best in a virtual environment of its own: oneDAL
brings TBB, which Numba would then pick as its threading layer); a peer that is
not installed reads ``n/a``, one that runs past ``--timeout`` seconds ``>N s``.

    python benchmarks/bench_peers.py                       # A-D, float32 and float64
    python benchmarks/bench_peers.py --sizes A,B --parts iter --dtypes float64
    python benchmarks/bench_peers.py --quick               # sizes / 10, one seed
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
from _common import (
    SIZES,
    best_time,
    kmeanspp_rows,
    machine_line,
    make_data,
    print_table,
    read_floor,
)

PEERS_ITER = [
    "kmeansx",
    "sklearn-lloyd",
    "sklearn-elkan",
    "sklearnex",
    "mlpack-naive",
    "mlpack-elkan",
    "mlpack-hamerly",
    "mlpack-dualtree",
    "faiss",
]
PEERS_INIT = ["kmeansx", "sklearn", "sklearnex", "sklearnex-1trial"]
PEERS_FIT = ["kmeansx", "sklearn", "sklearnex"]
# Shown for reference, left out of "fastest peer": they do less work than the
# others in their table (oneDAL's k-means++ with one candidate per center, its
# default when called directly, where scikit-learn's law and sklearnex's KMeans
# weigh 2 + ln k).
REFERENCE_ONLY = {"sklearnex-1trial"}


def _best(fn, repeat: int) -> float:
    """Best of at least ``repeat`` calls, more while they add up to under a second
    (``best_time``): the cells of a few milliseconds need dozens of calls to meet a
    quiet moment on a shared machine, and every library gets the same rule."""
    return best_time(fn, repeat)


class _OneDALCheck(logging.Handler):
    """Records whether scikit-learn-intelex says it ran the accelerated version."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.accelerated = False
        self.fallback = False

    def emit(self, record):
        text = record.getMessage()
        self.accelerated |= "running accelerated version" in text
        self.fallback |= "fallback to original Scikit-learn" in text


def _onedal_logger():
    handler = _OneDALCheck()
    logger = logging.getLogger("sklearnex")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return handler


def _iter_runner(lib, X, init):
    """A function ``run(M)`` that does M iterations from ``init``."""
    k = len(init)
    if lib == "kmeansx":
        from kmeansx import KMeans

        def run(m):
            km = KMeans(k, init=init, n_init=1, max_iter=m, tol=0.0).fit(X)
            return km.n_iter_

        return run
    if lib.startswith("sklearn-"):
        from sklearn.cluster import KMeans

        algorithm = lib.split("-")[1]

        def run(m):
            km = KMeans(
                k, init=init, n_init=1, max_iter=m, tol=0.0, algorithm=algorithm
            )
            return km.fit(X).n_iter_

        return run
    if lib == "sklearnex":
        from sklearnex.cluster import KMeans

        def run(m):
            km = KMeans(k, init=init, n_init=1, max_iter=m, tol=0.0).fit(X)
            return km.n_iter_

        return run
    if lib == "faiss":
        import faiss

        X32 = np.ascontiguousarray(X)
        d = X.shape[1]

        def run(m):
            km = faiss.Kmeans(d, k, niter=m, max_points_per_centroid=X.shape[0])
            km.train(X32, init_centroids=np.ascontiguousarray(init))
            return m

        return run
    raise ValueError(lib)


_MLPACK_ITERATION = re.compile(r"KMeans::Cluster\(\): iteration (\d+),")
# Linux's SO_TIMESTAMPNS (and SCM_TIMESTAMPNS): the kernel stamps each datagram
# as it arrives, which on the loopback is inside the sender's write().
_SO_TIMESTAMPNS = 35
_LINE_BUFFER = None  # stdout's buffer while it is line-buffered; kept alive


def _stamped_stdout(fn):
    """Call ``fn`` with file descriptor 1 line-buffered into a UDP socket on the
    loopback, and return ``(fn's result, [(time, line)])``, each line stamped by
    the kernel when it was written: nothing runs beside ``fn`` to read them (a
    reader would take a core from mlpack's two OpenMP threads), they wait in the
    socket's buffer."""
    global _LINE_BUFFER
    import ctypes
    import socket
    import struct

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.connect(rx.getsockname())
    libc = ctypes.CDLL(None)
    c_stdout = ctypes.c_void_p.in_dll(libc, "stdout")
    sys.stdout.flush()
    libc.fflush(c_stdout)
    if _LINE_BUFFER is None:
        _LINE_BUFFER = ctypes.create_string_buffer(1 << 16)
        libc.setvbuf(c_stdout, _LINE_BUFFER, 1, len(_LINE_BUFFER))  # _IOLBF
    saved = os.dup(1)
    os.dup2(tx.fileno(), 1)
    try:
        result = fn()
    finally:
        libc.fflush(c_stdout)
        os.dup2(saved, 1)
        os.close(saved)
        tx.close()
    rx.setblocking(False)
    lines, pending = [], ""
    while True:
        try:
            data, ancillary, _, _ = rx.recvmsg(1 << 16, socket.CMSG_SPACE(16))
        except BlockingIOError:
            break
        stamp = next(
            sec + nsec * 1e-9
            for level, kind, raw in ancillary
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS
            for sec, nsec in [struct.unpack("qq", raw)]
        )
        *done, pending = (pending + data.decode(errors="replace")).split("\n")
        lines.extend((stamp, line) for line in done)
    rx.close()
    return result, lines


def child_iter_mlpack(lib, X, init, iters, repeat):
    """mlpack's time per iteration from its log (see the module's docstring)."""
    try:
        import mlpack
    except ImportError:
        return {"value": None, "note": "not installed"}
    algorithm = lib.split("-")[1]
    algorithm = "dualtree-covertree" if algorithm == "dualtree" else algorithm

    per_iter, ran = [], []

    def run():
        # mlpack writes its result into initial_centroids and the returned
        # centroids may alias it: give it a fresh copy each time, kept alive.
        start = init.copy()
        out, lines = _stamped_stdout(
            lambda: mlpack.kmeans(
                input_=X,
                clusters=len(init),
                algorithm=algorithm,
                initial_centroids=start,
                max_iterations=iters,
                labels_only=True,
                verbose=True,
            )
        )
        np.array(out["centroid"], copy=True)
        ends = [
            (int(m.group(1)), stamp)
            for stamp, line in lines
            if (m := _MLPACK_ITERATION.search(line))
        ]
        if len(ends) >= 2:
            ran.append(ends[-1][0])
            per_iter.append((ends[-1][1] - ends[0][1]) / (ran[-1] - ends[0][0]))

    # _best's rule decides how many calls; the least disturbed one's log counts.
    _best(run, repeat)
    if not per_iter:
        return {"value": None, "note": "not measurable"}
    return {"value": min(per_iter), "n_iter": ran[-1]}


def child_iter(lib, X, init, iters, repeat):
    if lib.startswith("mlpack-"):
        return child_iter_mlpack(lib, X, init, iters, repeat)
    try:
        run = _iter_runner(lib, X, init)
    except ImportError:
        return {"value": None, "note": "not installed"}
    onedal = _onedal_logger() if lib == "sklearnex" else None
    run(1)  # compile, allocate, warm caches
    ran = run(iters)
    t1 = _best(lambda: run(1), repeat)
    tm = _best(lambda: run(iters), repeat)
    per_iter = (tm - t1) / (ran - 1)
    if per_iter <= 0:
        # Fixed costs drown the iterations, or the run stopped early: no
        # per-iteration figure.
        return {"value": None, "note": "not measurable"}
    result = {"value": per_iter, "n_iter": ran}
    if onedal is not None:
        result["onedal"] = onedal.accelerated and not onedal.fallback
    if lib == "kmeansx":
        result["floor"] = read_floor(X, max(repeat, 5))
    return result


def child_init(lib, X, k, repeat):
    if lib == "kmeansx":
        from kmeansx._init import kmeans_plusplus_init
        from kmeansx._kernels._jit import single_threaded_blas

        w = np.ones(X.shape[0], dtype=X.dtype)

        def run():
            with single_threaded_blas():
                kmeans_plusplus_init(X, k, w, np.random.RandomState(0))

    elif lib == "sklearn":
        from sklearn.cluster import kmeans_plusplus

        def run():
            kmeans_plusplus(X, k, random_state=0)

    elif lib == "sklearnex":
        # What sklearnex's KMeans(init="k-means++") runs: oneDAL's KMeansInit with
        # 2 + int(ln k) local trials, as scikit-learn's law.
        try:
            from onedal.cluster import kmeans_plusplus
        except ImportError:
            return {"value": None, "note": "not installed"}

        def run():
            kmeans_plusplus(X, k, random_state=0)

    elif lib == "sklearnex-1trial":
        try:
            import daal4py
        except ImportError:
            return {"value": None, "note": "not installed"}
        fptype = "float" if X.dtype == np.float32 else "double"

        def run():
            engine = daal4py.engines_mt19937(seed=0)
            daal4py.kmeans_init(
                k, method="plusPlusDense", fptype=fptype, engine=engine
            ).compute(X)

    else:
        raise ValueError(lib)
    run()
    return {"value": _best(run, repeat)}


def child_fit(lib, X, k, seeds):
    try:
        if lib == "kmeansx":
            from kmeansx import KMeans
        elif lib == "sklearn":
            from sklearn.cluster import KMeans
        else:
            from sklearnex.cluster import KMeans
    except ImportError:
        return {"value": None, "note": "not installed"}
    onedal = _onedal_logger() if lib == "sklearnex" else None
    KMeans(n_clusters=k, random_state=10_000).fit(X[: min(len(X), 20_000)])
    times, inertias = [], []
    for seed in range(seeds):
        t0 = time.perf_counter()
        km = KMeans(n_clusters=k, random_state=seed).fit(X)
        times.append(time.perf_counter() - t0)
        inertias.append(float(km.inertia_))
    result = {"value": statistics.median(times), "inertia": statistics.median(inertias)}
    if onedal is not None:
        result["onedal"] = onedal.accelerated and not onedal.fallback
    return result


# The dtypes a peer runs per iteration (the others are n/a); the rest run both.
ONLY_DTYPE = {
    "faiss": "float32",
    **{lib: "float64" for lib in PEERS_ITER if "mlpack" in lib},
}


def child(args) -> None:
    n, d, k = SIZES[args.size]
    if args.quick:
        n, k = n // 10, max(2, k // 4)
    if args.part == "iter" and ONLY_DTYPE.get(args.lib, args.dtype) != args.dtype:
        # Before the data and the initial centers: at D those take a minute.
        print(json.dumps({"value": None, "note": "dtype not supported"}))
        return
    X, _ = make_data(n, d, k, np.dtype(args.dtype))
    warnings.simplefilter("ignore")
    if args.part == "iter":
        init = kmeanspp_rows(X, k)
        out = child_iter(args.lib, X, init, args.iters, args.repeat)
    elif args.part == "init":
        out = child_init(args.lib, X, k, args.repeat)
    else:
        out = child_fit(args.lib, X, k, args.seeds)
    print(json.dumps(out))


def run_child(python, part, lib, size, dtype, args) -> dict:
    cmd = [
        python,
        os.path.abspath(__file__),
        "--child",
        "--part",
        part,
        "--lib",
        lib,
        "--size",
        size,
        "--dtype",
        dtype,
        "--iters",
        str(args.iters),
        "--repeat",
        str(args.repeat),
        "--seeds",
        str(args.seeds),
    ] + (["--quick"] if args.quick else [])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"value": None, "note": "timed out", "over": args.timeout}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"value": None, "note": f"failed: {last[:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(x, digits=5):
    return "n/a" if x is None else f"{x:.{digits}f}"


def table(part, peers, args) -> None:
    print(f"\n## {part}  ({machine_line()})")
    rows = []
    for size in args.sizes.split(","):
        for dtype in args.dtypes.split(","):
            results = {
                lib: run_child(sys.executable, part, lib, size, dtype, args)
                for lib in peers
            }
            ours = results["kmeansx"]["value"]
            others = [
                (r["value"], lib)
                for lib, r in results.items()
                if lib != "kmeansx"
                and lib not in REFERENCE_ONLY
                and r["value"] is not None
            ]
            row = {"case": f"{size} {dtype}"}
            for lib, r in results.items():
                cell = _fmt(r["value"], 4 if part == "fit" else 5)
                if "over" in r:
                    cell = f">{r['over']:.0f}s"
                if r.get("onedal") is False:
                    cell += " (not oneDAL)"
                if part == "fit" and r["value"] is not None:
                    cell += f" [{r['inertia']:.4g}]"
                row[lib] = cell
            if part == "iter":
                row["floor"] = _fmt(results["kmeansx"].get("floor"))
            if others and ours:
                best, best_lib = min(others)
                row["fastest peer"] = best_lib
                row["ratio"] = f"{best / ours:.2f}x"
            rows.append(row)
            print("  ".join(f"{c}: {v}" for c, v in row.items()), flush=True)
    print()
    print_table(rows, list(rows[0]))
    print(f"({machine_line()} at the end)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="A,B,C,D")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--parts", default="iter,init,fit")
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--lib", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--dtype", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.quick:
        args.seeds = 1
    print(f"kmeansx against its exact peers ({machine_line()})")
    print("ratio = fastest peer's time / kmeansx's (above 1: kmeansx is faster)")
    parts = {"iter": PEERS_ITER, "init": PEERS_INIT, "fit": PEERS_FIT}
    for part in args.parts.split(","):
        table(part, parts[part], args)


if __name__ == "__main__":
    main()
