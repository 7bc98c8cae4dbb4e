"""Lloyd's step over Dask blocks, driven by the loop every backend shares.

One pass per iteration: each block task runs the in-memory kernel on its rows (its
labels stay on its worker), a fixed tree adds the partial sums, and the loop
(:func:`kmeansx._algorithms.loop.run_loop`) moves the centers, which the next pass
sends once to every worker. Convergence, history, callbacks and the final
assignment are the loop's, so that from the same initial centers both backends give
the same result.
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.relocation import relocate_empty_clusters
from kmeansx._backends import _dask_blocks as B
from kmeansx._backends._dask_run import DaskData, Runner


class DaskLloydStep:
    """Lloyd's pass over the blocks of ``data`` (see :mod:`kmeansx._algorithms.step`).

    Every exact algorithm gives Lloyd's result, so Dask runs Lloyd's kernels
    whatever the algorithm asked for.
    """

    def __init__(self, data: DaskData, runner: Runner, *, inertia: bool):
        self.data = data
        self.runner = runner
        self.dtype = data.dtype
        self.inertia = inertia
        self.mean_f = runner.share(data.shift)
        self.key = runner.state_key("labels")
        self.iteration = -1  # of the last pass, whose labels the workers keep
        self.centers_f = None
        self.labels = None

    def run(self, centers, *, final: bool = False):
        """One pass; returns (sums, weights, inertia, n_changed)."""
        runner, data = self.runner, self.data
        prev_f, self.centers_f = self.centers_f, runner.share(centers)
        if final:
            return self._final()
        self.iteration += 1
        tasks = runner.per_block(
            B.lloyd_block,
            data,
            lambda b: (
                self.mean_f,
                self.centers_f,
                prev_f,
                (*self.key, b),
                self.iteration,
                self.inertia,
            ),
            "lloyd",
            pinned=True,
        )
        sums, weights, inertia, n_changed, wheres = runner.compute(
            runner.tree(tasks, "sum")
        )
        runner.follow(wheres)
        return sums, weights, inertia, n_changed

    def _final(self):
        """Every block's labels on the final centers, brought back, and the
        inertia: the only time the labels leave the workers."""
        found = self.runner.compute(
            self.runner.per_block(
                B.final_block,
                self.data,
                lambda b: (self.mean_f, self.centers_f),
                "final",
                pinned=True,
            )
        )
        self.labels = (
            np.concatenate([f[0] for f in found])
            if found
            else np.empty(0, dtype=np.int32)
        )
        inertia = float(np.sum([f[1] for f in found]))
        return None, None, inertia, 0

    def relocate_empty(self, centers, sums, weights) -> None:
        """Seed each empty cluster with one of the farthest points, as in memory.

        Each block sends its ``n_empty`` farthest points; the in-memory rule then
        runs on those candidates, which hold the farthest points of the whole data.
        """
        n_empty = int(np.count_nonzero(weights == 0))
        if n_empty == 0:
            return
        found = self.runner.compute(
            self.runner.per_block(
                B.far_block,
                self.data,
                lambda b: (
                    self.mean_f,
                    self.centers_f,
                    (*self.key, b),
                    self.iteration,
                    n_empty,
                ),
                "far",
                pinned=True,
            )
        )
        points = np.concatenate([f[0] for f in found])
        point_w = np.concatenate([f[1] for f in found])
        point_labels = np.concatenate([f[2] for f in found])
        relocate_empty_clusters(points, point_w, centers, point_labels, sums, weights)
