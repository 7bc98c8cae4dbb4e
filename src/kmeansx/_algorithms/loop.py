"""The iteration loop of every exact algorithm, in memory and on Dask.

The loop stays in Python with one pass (one kernel call, or one round of block
tasks) per iteration, which leaves room for history, verbose output and a
progress callback at no measurable cost. What differs between algorithms and
backends is the step it drives (:mod:`kmeansx._algorithms.step`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kmeansx._algorithms.relocation import average_centers, unit_centers
from kmeansx._history import KMeansHistory
from kmeansx._kernels._jit import single_threaded_blas

# callback(iteration, inertia, n_changed, center_shift), after every iteration.
Callback = Callable[[int, float, int, float], None]


@dataclass
class RunResult:
    labels: np.ndarray
    inertia: float
    centers: np.ndarray
    n_iter: int
    history: KMeansHistory | None = None


@dataclass(frozen=True)
class LoopOptions:
    """When a run stops and what it reports.

    ``tol`` is absolute (the caller scales it); ``verbose`` prints the inertia at
    every iteration and why the run stopped; ``record_history`` keeps the centers,
    inertia and changed labels of every iteration; ``callback(iteration, inertia,
    n_changed, center_shift)`` is called after every iteration.

    ``spherical`` runs cosine (spherical) k-means on rows of unit length: every
    update scales the centers to unit length (after relocation; see
    :func:`~kmeansx._algorithms.relocation.unit_centers`), and every inertia
    reported is the cosine objective ``sum w (1 - cos)``, half the squared
    distances the passes sum (``||x - c||^2 = 2 (1 - cos)`` for unit ``x`` and
    ``c``). The passes themselves are unchanged: on the unit sphere the nearest
    center by angle is the nearest by Euclidean distance, so every exact step
    serves, and the bound steps measure center shifts on the centers they read.
    """

    max_iter: int = 300
    tol: float = 0.0
    verbose: bool = False
    record_history: bool = False
    callback: Callback | None = None
    spherical: bool = False

    @property
    def wants_inertia(self) -> bool:
        """Whether the iterations must compute the inertia (the final pass always
        does)."""
        return bool(self.verbose or self.record_history or self.callback)


def run_loop(new_step, centers_init: np.ndarray, options: LoopOptions) -> RunResult:
    """Lloyd's loop around the passes of ``new_step(inertia)``.

    Stops at strict convergence (no label changed), when the squared center shift
    is within ``options.tol``, or at ``options.max_iter``; then one more pass
    (``final=True``) makes the labels match the final centers and gives the
    inertia. Centers live in the space the step reads the data in (centered, for
    dense data).
    """
    with single_threaded_blas():
        return _iterate(new_step(options.wants_inertia), centers_init, options)


def _iterate(step, centers_init, options: LoopOptions) -> RunResult:
    verbose, callback = options.verbose, options.callback
    # Spherical k-means reports sum w (1 - cos) = half the squared distances.
    half = 0.5 if options.spherical else 1.0
    centers = np.ascontiguousarray(centers_init, dtype=step.dtype)
    history = _History(centers) if options.record_history else None
    i = 0
    for i in range(options.max_iter):
        sums, weights, inertia, n_changed = step.run(centers)
        inertia = inertia * half
        if verbose:
            print(f"Iteration {i}, inertia {inertia}.")
        step.relocate_empty(centers, sums, weights)
        if options.spherical:
            new_centers = unit_centers(sums, weights, centers)
        else:
            new_centers = average_centers(sums, weights, step.dtype)
        shift_sq = float(((new_centers - centers) ** 2).sum())
        centers = np.ascontiguousarray(new_centers)
        if history is not None:
            history.add(centers, inertia, n_changed)
        if callback is not None:
            callback(i, float(inertia), int(n_changed), shift_sq)
        if n_changed == 0:
            if verbose:
                print(f"Converged at iteration {i}: strict convergence.")
            break
        if shift_sq <= options.tol:
            if verbose:
                print(
                    f"Converged at iteration {i}: center shift {shift_sq} within "
                    f"tolerance {options.tol}."
                )
            break
    # The labels of a strict convergence already match the centers; otherwise the
    # final pass makes them match. Either way it gives the inertia.
    inertia = step.run(centers, final=True)[2] * half
    return RunResult(
        step.labels,
        float(inertia),
        centers,
        i + 1,
        None if history is None else history.result(),
    )


class _History:
    def __init__(self, centers):
        self.centers = [centers.copy()]
        self.inertia: list[float] = []
        self.n_changed: list[int] = []

    def add(self, centers, inertia, n_changed) -> None:
        self.centers.append(centers.copy())
        self.inertia.append(float(inertia))
        self.n_changed.append(int(n_changed))

    def result(self) -> KMeansHistory:
        return KMeansHistory(
            np.stack(self.centers),
            np.asarray(self.inertia),
            np.asarray(self.n_changed, dtype=np.int64),
        )
