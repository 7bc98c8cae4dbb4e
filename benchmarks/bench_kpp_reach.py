"""Why the pruned k-means++ cannot skip more rows: who is in reach of a candidate.

kmeansx's greedy k-means++ (``kmeansx._kernels.kmeanspp``) scores a candidate only
on the rows the triangle inequality cannot rule out: row ``i``, whose closest
chosen center ``a`` lies at squared distance ``closest_i``, is in reach of
candidate ``t`` unless ``||t - c_a||^2 >= 4 * closest_i``. Issue 14 asks for a
k-means++ as fast as oneDAL's, which scores every row; this script measures how
much the test leaves to score, and why.

It runs the seeding as a fit does (rows centered on their mean, unit weights,
``random_state=0``) on the speed benchmarks' blobs, and every ``--every`` steps
(more often where that would record fewer than four) records, over all rows:

- ``in reach``: the share of rows the test keeps (gathered and scored);
- ``of them in new blobs``: the share of those whose blob holds no chosen center
  yet (``_common.make_data`` returns each row's blob);
- ``rows in new blobs``: the share of all rows in such blobs;
- ``closer``: the share of rows some candidate comes closer to (what scoring
  finds; the rest of the rows in reach were scored for nothing);
- ``norm test``: the share still in reach if each candidate must also pass
  ``(||x|| - ||t||)^2 < closest_i`` (a second exact test, from the norms).

The shares are means over the recorded steps. Nothing is timed. The script
drives ``kmeansx._init._kmeans_plusplus_dense`` with a kernel module of its own
(the seeding takes its kernels as an argument): private names, which it follows
when they change.

    python benchmarks/bench_kpp_reach.py        # A-D float32, about a minute
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import SIZES, machine_line, make_data, print_table

from kmeansx._data import column_means, row_sq_norms
from kmeansx._init import _kmeans_plusplus_dense
from kmeansx._kernels import kmeanspp

SHARES = [
    "in reach",
    "of them in new blobs",
    "rows in new blobs",
    "closer",
    "norm test",
]


class _Recorder:
    """The kernels of :mod:`kmeansx._kernels.kmeanspp`, with the scoring pass's
    inputs and outputs looked at every ``every`` calls."""

    def __init__(self, blobs, chosen, every: int):
        self.blobs = blobs
        self.chosen = chosen  # the rows the seeding picks, in order
        self.every = every
        self.step = 0
        self.rows = []
        self.closest_first_dense = kmeanspp.closest_first_dense
        self.closest_add_dense = kmeanspp.closest_add_dense
        self.sample_by_potential = kmeanspp.sample_by_potential

    def candidate_deltas_dense(self, *args):
        kmeanspp.candidate_deltas_dense(*args)
        self.step += 1
        if self.step % self.every:
            return
        _, x_sqnorm, _, closest, assign, _, cand_sqnorm, cc_sq, _, closer, _ = args[:11]
        reach = cc_sq.min(axis=1)[assign] < 4.0 * closest
        per_candidate = cc_sq[assign] < 4.0 * closest[:, None]
        by_norm = (np.sqrt(x_sqnorm)[:, None] - np.sqrt(cand_sqnorm)[None, :]) ** 2
        normed = (per_candidate & (by_norm < closest[:, None])).any(axis=1)
        covered = np.zeros(self.blobs.max() + 1, dtype=bool)
        covered[self.blobs[self.chosen[: self.step]]] = True
        new_blob = ~covered[self.blobs]
        self.rows.append(
            (
                reach.mean(),
                (reach & new_blob).sum() / max(int(reach.sum()), 1),
                new_blob.mean(),
                (closer != 0).mean(),
                normed.mean(),
            )
        )


def measure(size: str, dtype, every: int) -> dict:
    n, d, k = SIZES[size]
    X, _, blobs = make_data(n, d, k, dtype, return_blobs=True)
    x_mean = column_means(X)  # as a fit centers
    x_sqnorm = row_sq_norms(X, x_mean)
    trials = 2 + int(np.log(k))
    weight = np.ones(n)

    def seeding(kernels):
        return _kmeans_plusplus_dense(
            X, k, weight, np.random.RandomState(0), x_sqnorm, trials, x_mean, kernels
        )

    _, indices = seeding(kmeanspp)  # the rows chosen, step by step
    # At least four steps recorded (A has 7).
    recorder = _Recorder(blobs, indices, max(1, min(every, (k - 1) // 4)))
    _, again = seeding(recorder)
    assert np.array_equal(indices, again)
    shares = np.mean(recorder.rows, axis=0)
    row = {"case": f"{size} {np.dtype(dtype).name}", "steps": f"{k - 1}"}
    row.update({name: f"{v:.3f}" for name, v in zip(SHARES, shares, strict=True)})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="A,B,C,D")
    parser.add_argument("--dtypes", default="float32")
    parser.add_argument("--every", type=int, default=8)
    args = parser.parse_args()
    rows = [
        measure(size, np.dtype(dtype).type, args.every)
        for size in args.sizes.split(",")
        for dtype in args.dtypes.split(",")
    ]
    print(f"k-means++: rows in reach of a candidate ({machine_line()})")
    print_table(rows, ["case", "steps", *SHARES])


if __name__ == "__main__":
    main()
