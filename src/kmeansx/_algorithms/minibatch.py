"""Mini-batch k-means (Sculley 2010, as scikit-learn runs it) and nested batches.

A mini-batch step assigns the rows of one batch with Lloyd's kernel
(:class:`kmeansx._algorithms.lloyd.LloydStep`: one fused pass, per-chunk float64
sums) and moves every center it touched to the running weighted mean of all the
rows it has been given so far: ``c_j <- (n_j c_j + S_j) / (n_j + W_j)``, with
``n_j`` the weight center ``j`` has absorbed (a learning rate ``W_j / (n_j +
W_j)``), ``S_j`` and ``W_j`` the batch's weighted sum and weight for ``j``.
Clusters whose count falls below ``reassignment_ratio`` times the largest are
moved onto random rows of the batch; the run stops on the centers' shift
(``tol``) or when an exponentially weighted average of the batch inertia has not
improved for ``max_no_improvement`` steps. Every draw from ``random_state`` is
scikit-learn's, in its order.

Nested batches (Newling and Fleuret 2016) grow instead: each batch is the
previous one plus as many new rows (a prefix of one random permutation), every
iteration is Lloyd's on the whole current batch, and the batch doubles when the
centers move less than the sampling noise of their means. Once the batch is the
whole data set the iterations are Lloyd's own, whose fixed point they reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmeansx._algorithms.lloyd import LloydStep
from kmeansx._algorithms.relocation import average_centers, sq_distance_to_label
from kmeansx._data import dense_rows, take_weights, weighted_bincount
from kmeansx._kernels._jit import single_threaded_blas


def update_centers(centers, counts, sums, weights) -> None:
    """``c_j <- (n_j c_j + S_j) / (n_j + W_j)`` for every ``j`` with ``W_j > 0``;
    ``counts`` (float64) gains ``W_j``. Edits ``centers`` (any float dtype) and
    ``counts`` in place; the arithmetic is float64."""
    hit = np.flatnonzero(weights > 0)
    if hit.shape[0] == 0:
        return
    total = counts[hit] + weights[hit]
    moved = centers[hit].astype(np.float64) * counts[hit, None] + sums[hit]
    centers[hit] = moved / total[:, None]
    counts[hit] = total


def minibatch_step(X, sample_weight, centers, counts, x_mean=None):
    """One mini-batch step without reassignment: assign the rows of ``X`` to
    ``centers`` and update ``centers`` and ``counts`` in place.

    Returns ``(labels, inertia)``: the labels of the rows and their weighted
    inertia, both on the centers before the update (as scikit-learn's).
    """
    step = LloydStep(X, sample_weight, centers.shape[0], inertia=True, x_mean=x_mean)
    sums, weights, inertia, _ = step.run(centers)
    update_centers(centers, counts, sums, weights)
    return step.labels, float(inertia)


def reassign_small_clusters(
    X, centers, counts, ratio: float, random_state, x_mean=None, verbose=False
) -> int:
    """Move the centers whose count is below ``ratio`` times the largest onto
    rows of ``X`` drawn uniformly without replacement (at most half the rows), and
    give them the smallest count of the others; scikit-learn's rule and draws.
    Returns how many moved."""
    to_reassign = counts < ratio * counts.max()
    if to_reassign.sum() > 0.5 * X.shape[0]:
        keep = np.argsort(counts)[int(0.5 * X.shape[0]) :]
        to_reassign[keep] = False
    n_reassigns = int(to_reassign.sum())
    if n_reassigns:
        rows = random_state.choice(X.shape[0], replace=False, size=n_reassigns)
        if verbose:
            print(f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers.")
        new = dense_rows(X, rows)
        if x_mean is not None:
            new = new - x_mean
        centers[to_reassign] = new
    # scikit-learn keeps the moved centers from being moved again at once.
    if n_reassigns < counts.shape[0]:
        counts[to_reassign] = np.min(counts[~to_reassign])
    return n_reassigns


class MiniBatchState:
    """What a sequence of steps carries between them (a fit, or the calls of
    ``partial_fit``): the counts, the reassignment clock and the early-stopping
    record of the smoothed inertia."""

    def __init__(self, n_clusters: int):
        self.counts = np.zeros(n_clusters)
        self.n_since_last_reassign = 0
        self.ewa_inertia: float | None = None
        self.ewa_inertia_min: float | None = None
        self.no_improvement = 0

    def wants_reassign(self, batch_size: int) -> bool:
        """Reassign after every ``10 k`` rows seen, or while a count is zero."""
        self.n_since_last_reassign += batch_size
        k = self.counts.shape[0]
        if (self.counts == 0).any() or self.n_since_last_reassign >= 10 * k:
            self.n_since_last_reassign = 0
            return True
        return False

    def step(
        self,
        X,
        sample_weight,
        centers,
        *,
        batch_size: int,
        ratio: float,
        random_state,
        x_mean=None,
        verbose=False,
    ) -> float:
        """One step of scikit-learn's mini-batch k-means on the batch ``X``
        (reassignment included); edits ``centers``; returns the batch inertia."""
        reassign = self.wants_reassign(batch_size)
        inertia = minibatch_step(X, sample_weight, centers, self.counts, x_mean)[1]
        if reassign and ratio > 0:
            reassign_small_clusters(
                X, centers, self.counts, ratio, random_state, x_mean, verbose
            )
        return inertia

    def converged(
        self, step: int, options: MiniBatchOptions, n_samples, shift_sq, batch_inertia
    ) -> bool:
        """scikit-learn's early stopping after step ``step`` (from 0)."""
        batch_inertia /= options.batch_size
        step += 1
        verbose = options.verbose
        if step == 1:  # the inertia of the initial centers
            if verbose:
                print(
                    f"Minibatch step {step}/{options.n_steps}: mean batch "
                    f"inertia: {batch_inertia}"
                )
            return False
        if self.ewa_inertia is None:
            self.ewa_inertia = batch_inertia
        else:
            alpha = min(options.batch_size * 2.0 / (n_samples + 1), 1)
            self.ewa_inertia = self.ewa_inertia * (1 - alpha) + batch_inertia * alpha
        if verbose:
            print(
                f"Minibatch step {step}/{options.n_steps}: mean batch inertia: "
                f"{batch_inertia}, ewa inertia: {self.ewa_inertia}"
            )
        if options.tol > 0.0 and shift_sq <= options.tol:
            if verbose:
                print(
                    f"Converged (small centers change) at step {step}/{options.n_steps}"
                )
            return True
        if self.ewa_inertia_min is None or self.ewa_inertia < self.ewa_inertia_min:
            self.no_improvement = 0
            self.ewa_inertia_min = self.ewa_inertia
        else:
            self.no_improvement += 1
        if (
            options.max_no_improvement is not None
            and self.no_improvement >= options.max_no_improvement
        ):
            if verbose:
                print(
                    "Converged (lack of improvement in inertia) at step "
                    f"{step}/{options.n_steps}"
                )
            return True
        return False


@dataclass(frozen=True)
class MiniBatchOptions:
    """A mini-batch run: ``n_steps`` batches of ``batch_size`` rows at most;
    ``tol`` is absolute (the caller scales it)."""

    batch_size: int
    n_steps: int
    tol: float = 0.0
    max_no_improvement: int | None = 10
    reassignment_ratio: float = 0.01
    verbose: bool = False


@dataclass
class MiniBatchRun:
    centers: np.ndarray
    state: MiniBatchState
    n_steps: int


class BatchSampler:
    """Batches drawn with replacement, with probability proportional to the weight:
    the rows ``random_state.choice(n, size, p=w / w.sum())`` draws, from the same
    draws, without its n-long arrays at every batch (the cumulative
    probabilities are computed once)."""

    def __init__(self, sample_weight):
        p = sample_weight / np.sum(sample_weight)
        self.cdf = np.asarray(p, dtype=np.float64).cumsum()
        self.cdf /= self.cdf[-1]

    def draw(self, size: int, random_state) -> np.ndarray:
        return self.cdf.searchsorted(random_state.random_sample(size), side="right")


def run_minibatch(
    X, sample_weight, centers_init, options: MiniBatchOptions, random_state, x_mean=None
) -> MiniBatchRun:
    """scikit-learn's ``MiniBatchKMeans.fit`` loop after the initialization.

    Batches are drawn in proportion to ``sample_weight`` and then weigh 1 each
    row, as in scikit-learn; centers live in the space of ``X - x_mean``.
    """
    n_samples = X.shape[0]
    centers = np.array(centers_init, dtype=X.dtype, order="C")
    state = MiniBatchState(centers.shape[0])
    sampler = BatchSampler(sample_weight)
    unit = np.broadcast_to(np.ones(1, dtype=X.dtype), (options.batch_size,))
    i = 0
    with single_threaded_blas():
        for i in range(options.n_steps):
            rows = sampler.draw(options.batch_size, random_state)
            old = centers.copy() if options.tol > 0 else None
            inertia = state.step(
                X[rows],
                unit,
                centers,
                batch_size=options.batch_size,
                ratio=options.reassignment_ratio,
                random_state=random_state,
                x_mean=x_mean,
                verbose=options.verbose,
            )
            shift_sq = 0.0 if old is None else float(np.sum((centers - old) ** 2))
            if state.converged(i, options, n_samples, shift_sq, inertia):
                break
    return MiniBatchRun(centers, state, i + 1)


@dataclass
class NestedRun:
    centers: np.ndarray
    n_steps: int
    rows_seen: int
    batch_inertia: float
    batch_weight: float


def run_nested(
    X,
    sample_weight,
    centers_init,
    *,
    batch_size: int,
    max_rows: int,
    random_state,
    x_mean=None,
    verbose=False,
) -> NestedRun:
    """Lloyd's iterations on nested batches: the first ``b`` rows of one random
    permutation, ``b = batch_size, 2 batch_size, ...``, while ``b`` is below the
    number of rows and at most ``max_rows`` rows have been processed.

    A batch doubles when an iteration changes no label or moves the centers by
    less (summed squared shift) than the sampling noise of their means (the
    summed ``inertia_j / W_j**2`` of the batch). Empty clusters are relocated as
    in Lloyd's loop. The caller finishes on the whole data set.
    """
    n_samples, k = X.shape[0], centers_init.shape[0]
    centers = np.array(centers_init, dtype=X.dtype, order="C")
    order = random_state.permutation(n_samples)
    b, rows_seen, n_steps = batch_size, 0, 0
    inertia, weight = 0.0, 0.0
    with single_threaded_blas():
        while b < n_samples and rows_seen + b <= max_rows:
            rows = np.sort(order[:b])  # in X's order: the sums read X forward
            X_b = X[rows]
            w_b = take_weights(sample_weight, rows)
            step = LloydStep(X_b, w_b, k, inertia=True, x_mean=x_mean)
            weight = float(np.sum(w_b, dtype=np.float64))
            while rows_seen + b <= max_rows:
                sums, weights, inertia, n_changed = step.run(centers)
                rows_seen += b
                n_steps += 1
                step.relocate_empty(centers, sums, weights)
                new = average_centers(sums, weights, X.dtype)
                shift_sq = float(np.sum((new.astype(np.float64) - centers) ** 2))
                centers = np.ascontiguousarray(new)
                d2 = sq_distance_to_label(X_b, centers, step.labels, x_mean)
                per_cluster = weighted_bincount(step.labels, d2 * w_b, k)
                noise = float(
                    np.sum(per_cluster[weights > 0] / weights[weights > 0] ** 2)
                )
                if verbose:
                    print(
                        f"Nested batch of {b} rows, step {n_steps}: batch inertia "
                        f"{inertia}, center shift {shift_sq}, noise {noise}"
                    )
                if n_changed == 0 or shift_sq <= noise:
                    break
            b = min(2 * b, n_samples)
    return NestedRun(centers, n_steps, rows_seen, float(inertia), weight)
