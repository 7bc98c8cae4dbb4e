"""Mini-batch k-means: kmeansx's ``MiniBatchKMeans`` against scikit-learn's, from the
same initial centers, per batch and to an inertia within 1% of full Lloyd's.

For each seed: full-batch Lloyd (``kmeansx.KMeans(init=..., tol=0)``) gives the
reference inertia and the time at which its own iterations first came within 1% of
it (timed by the iteration callback); then each mini-batch fit runs from the same
centers with the same ``batch_size``:

- per batch: ``max_no_improvement=None``, ``compute_labels=False`` and a fixed
  number of steps, the fit's time over its steps (scikit-learn's time includes
  its batch draw, which builds n-long arrays at every step; ours draws the same
  rows from a cumulative sum built once);
- to 1%: the default early stopping, kmeansx's ``growing_batch=True`` (nested
  batches ending at a Lloyd fixed point; also with ``tol=1e-4``, which stops its
  Lloyd iterations on all the data as ``KMeans``'s default does) and
  ``final_lloyd=3``, each fit's time and its final inertia over Lloyd's.

The shared start is k-means++ on all of X (``kmeansx.kmeans_plusplus``).

Medians over seeds; the issue's size is the default, ``--quick`` a small check.

    python benchmarks/bench_minibatch.py                 # 10M x 32 float32, k=256
    python benchmarks/bench_minibatch.py --quick         # 100k x 8, k=16, 2 seeds
    python benchmarks/bench_minibatch.py --defaults-only # final inertia only
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _common import machine_line, make_data, print_table


def lloyd_reference(X, init):
    from kmeansx import KMeans

    stamps = []
    t0 = time.perf_counter()

    def on_iteration(iteration, inertia, n_changed, shift):
        stamps.append((time.perf_counter() - t0, inertia))

    km = KMeans(init.shape[0], init=init, n_init=1, tol=0.0, max_iter=300)
    km.fit(X, callback=on_iteration)
    total = time.perf_counter() - t0
    target = km.inertia_ * 1.01
    # The callback's inertia is that of the labels before the iteration's update.
    to_1pct = next((t for t, inertia in stamps if inertia <= target), total)
    return km.inertia_, total, to_1pct, km.n_iter_


def seed_start(args, seed, kmeans_plusplus):
    """Seed ``seed``'s data, its k-means++ start, and the parameters every run of
    the seed shares: one start for all (random rows would compare local optima
    more than convergence)."""
    X, _ = make_data(args.n, args.d, args.k, np.float32, seed=seed)
    init = kmeans_plusplus(X, args.k, random_state=seed)[0]
    fixed = dict(init=init, n_init=1, batch_size=args.batch_size, random_state=seed)
    return X, init, fixed


def timed_fit(model, X):
    t0 = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - t0, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast check")
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--d", type=int, default=32)
    parser.add_argument("--k", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=200, help="steps timed per batch")
    parser.add_argument(
        "--defaults-only",
        action="store_true",
        help="only the two default fits (no Lloyd): final inertia, per seed",
    )
    args = parser.parse_args()
    if args.quick:
        args.n, args.d, args.k, args.batch_size = 100_000, 8, 16, 1024
        args.seeds, args.steps = 2, 100
    warnings.simplefilter("ignore")
    from sklearn.cluster import MiniBatchKMeans as SKMiniBatchKMeans

    from kmeansx import MiniBatchKMeans, kmeans_plusplus

    n, d, k, b = args.n, args.d, args.k, args.batch_size
    print(f"n={n} d={d} k={k} batch_size={b} float32 seeds={args.seeds}")
    print(machine_line())
    # Compile (or load from the cache) what the fits reach, outside the times.
    X_small, init_small = make_data(20_000, d, k, np.float32, seed=99)
    for params in ({}, {"growing_batch": True}, {"final_lloyd": 1}):
        MiniBatchKMeans(k, init=init_small, batch_size=b, max_iter=2, **params).fit(
            X_small
        )
    if args.defaults_only:
        defaults_only(args, MiniBatchKMeans, SKMiniBatchKMeans, kmeans_plusplus)
        return
    rows = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        X, init, fixed = seed_start(args, seed, kmeans_plusplus)
        lloyd_inertia, lloyd_total, lloyd_1pct, lloyd_iter = lloyd_reference(X, init)
        print(
            f"seed {seed} Lloyd: {lloyd_total:.2f} s, {lloyd_iter} iterations, "
            f"within 1% at {lloyd_1pct:.2f} s",
            flush=True,
        )
        steps_iter = max(1, args.steps * b // n + 1)
        growing_tol = {"growing_batch": True, "tol": 1e-4}
        per_batch = dict(
            max_no_improvement=None, max_iter=steps_iter, compute_labels=False
        )
        runs = [
            (("kmeansx", "per batch"), MiniBatchKMeans, per_batch),
            (("scikit-learn", "per batch"), SKMiniBatchKMeans, per_batch),
            (("kmeansx", "default"), MiniBatchKMeans, {}),
            (("scikit-learn", "default"), SKMiniBatchKMeans, {}),
            (("kmeansx", "growing_batch"), MiniBatchKMeans, {"growing_batch": True}),
            (("kmeansx", "growing, tol=1e-4"), MiniBatchKMeans, growing_tol),
            (("kmeansx", "final_lloyd=3"), MiniBatchKMeans, {"final_lloyd": 3}),
        ]
        for key, cls, params in runs:
            seconds, model = timed_fit(cls(k, **fixed, **params), X)
            row = rows.setdefault(key, {"ms/step": [], "s": [], "gap": [], "steps": []})
            row["ms/step"].append(1e3 * seconds / model.n_steps_)
            row["s"].append(seconds)
            row["gap"].append(model.inertia_ / lloyd_inertia - 1)
            row["steps"].append(model.n_steps_)
            # As it goes: a run at the size takes minutes.
            print(
                f"seed {seed} {key[0]} {key[1]}: {seconds:.2f} s, {model.n_steps_} "
                f"steps, inertia/Lloyd-1 {row['gap'][-1]:+.4f}",
                flush=True,
            )
        lloyd = rows.setdefault(("kmeansx", "Lloyd"), {"s": [], "gap": [], "steps": []})
        lloyd["s"].append(lloyd_total)
        lloyd["gap"].append(0.0)
        lloyd["steps"].append(lloyd_iter)
        rows.setdefault(("kmeansx", "Lloyd to 1%"), {"s": [], "gap": [], "steps": []})
        rows[("kmeansx", "Lloyd to 1%")]["s"].append(lloyd_1pct)

    table = []
    for (lib, run), row in rows.items():
        line = {"library": lib, "run": run, "seconds": f"{np.median(row['s']):.3f}"}
        if row.get("ms/step"):
            line["ms/step"] = f"{np.median(row['ms/step']):.3f}"
        if row.get("gap"):
            line["inertia/Lloyd-1"] = f"{np.median(row['gap']):+.4f}"
        if row.get("steps"):
            line["steps"] = f"{np.median(row['steps']):.0f}"
        table.append(line)
    print_table(
        table, ["library", "run", "ms/step", "steps", "seconds", "inertia/Lloyd-1"]
    )
    sk = np.median(rows[("scikit-learn", "per batch")]["ms/step"])
    ours = np.median(rows[("kmeansx", "per batch")]["ms/step"])
    print(f"per batch: kmeansx {sk / ours:.1f}x faster than scikit-learn")
    ratio = np.median(np.array(rows[("kmeansx", "default")]["gap"]) + 1) / np.median(
        np.array(rows[("scikit-learn", "default")]["gap"]) + 1
    )
    print(f"final inertia, default fit: kmeansx / scikit-learn = {ratio:.4f} (median)")
    for run in ("growing_batch", "growing, tol=1e-4", "final_lloyd=3"):
        gaps = rows[("kmeansx", run)]["gap"]
        seconds = np.median(rows[("kmeansx", run)]["s"])
        lloyd_s = np.median(rows[("kmeansx", "Lloyd")]["s"])
        print(
            f"{run}: within 1% of Lloyd in {sum(g <= 0.01 for g in gaps)}/{len(gaps)} "
            f"seeds, {lloyd_s / seconds:.1f}x sooner than full Lloyd's whole fit, "
            f"{np.median(rows[('kmeansx', 'Lloyd to 1%')]['s']) / seconds:.1f}x "
            "sooner than Lloyd's own time to 1%"
        )


def defaults_only(args, ours, theirs, kmeans_plusplus) -> None:
    """The default fits of both libraries from the same k-means++ start, seed by
    seed: the final inertia, kmeansx over scikit-learn (a fifth of the time of a
    full run, which a median over more seeds needs)."""
    k, ratios = args.k, []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        X, _, fixed = seed_start(args, seed, kmeans_plusplus)
        (s_ours, m_ours), (s_sk, m_sk) = (
            timed_fit(cls(k, **fixed), X) for cls in (ours, theirs)
        )
        ratios.append(m_ours.inertia_ / m_sk.inertia_)
        print(
            f"seed {seed}: kmeansx {s_ours:.2f} s, {m_ours.n_steps_} steps; "
            f"scikit-learn {s_sk:.2f} s, {m_sk.n_steps_} steps; final inertia "
            f"kmeansx / scikit-learn = {ratios[-1]:.5f}",
            flush=True,
        )
    print(
        f"final inertia, default fit: kmeansx / scikit-learn = "
        f"{np.median(ratios):.4f} (median over {len(ratios)} seeds)"
    )


if __name__ == "__main__":
    main()
