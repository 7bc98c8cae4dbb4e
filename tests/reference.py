"""Slow plain-NumPy oracles for every kmeansx kernel and for a whole Lloyd run.

Each function here is written for clarity, not speed: full distance tables, dense
copies of sparse input, float64 everywhere. The tests compare the Numba kernels in
``kmeansx._kernels`` and the drivers against these, and these against
scikit-learn's documented semantics.

Inputs may be dense arrays or scipy.sparse matrices; outputs are float64 (labels
int32), whatever the input dtype, because the kernels accumulate in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


def dense(X) -> np.ndarray:
    """``X`` as a dense float64 array."""
    if sp.issparse(X):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


# -- distances --------------------------------------------------------------------


def sq_distances(X, centers) -> np.ndarray:
    """``out[i, j] = ||X[i] - centers[j]||^2`` from differences, in float64."""
    Xd, C = dense(X), dense(centers)
    return ((Xd[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)


def sq_distance_to_label(X, centers, labels) -> np.ndarray:
    """``out[i] = ||X[i] - centers[labels[i]]||^2``."""
    Xd, C = dense(X), dense(centers)
    return ((Xd - C[np.asarray(labels)]) ** 2).sum(axis=1)


def nearest(X, centers) -> tuple[np.ndarray, np.ndarray]:
    """Labels of the nearest centers (ties to the lowest index) and the margin.

    The margin is the gap between the second-nearest and the nearest squared
    distance (``inf`` for one center): where it is below the rounding of the
    kernel's arithmetic, either label is a correct answer.
    """
    d = sq_distances(X, centers)
    labels = np.argmin(d, axis=1).astype(np.int32)
    if d.shape[1] == 1:
        return labels, np.full(d.shape[0], np.inf)
    part = np.partition(d, 1, axis=1)
    return labels, part[:, 1] - part[:, 0]


# -- the fused E-step and partial M-step (kernels/assign.py) ------------------------


@dataclass
class AssignResult:
    """What ``assign_update_dense``/``_csr`` fill, chunk by chunk."""

    labels: np.ndarray  # (n_samples,) int32
    sums: np.ndarray  # (n_chunks, n_clusters, n_features)
    weights: np.ndarray  # (n_chunks, n_clusters)
    inertia: np.ndarray  # (n_chunks,)
    n_changed: np.ndarray  # (n_chunks,)


def chunk_bounds(n_samples: int, chunk_size: int) -> list[tuple[int, int]]:
    n_chunks = max(1, -(-n_samples // chunk_size))
    return [
        (c * chunk_size, min((c + 1) * chunk_size, n_samples)) for c in range(n_chunks)
    ]


def partial_sums(
    X, sample_weight, centers, labels, chunk_size, labels_prev=None
) -> AssignResult:
    """Per-chunk sums, weights, inertia and moves for the given ``labels``.

    Inertia is ``sum_i w_i ||x_i - c_{label_i}||^2`` per chunk and ``n_changed``
    counts the rows whose label differs from ``labels_prev`` (0 when None). Taking
    the labels as given lets a test check a kernel's sums for the labels it chose,
    apart from near-ties in the distances.
    """
    Xd = dense(X)
    w = np.asarray(sample_weight, dtype=np.float64)
    labels = np.asarray(labels)
    n_clusters = np.asarray(centers).shape[0]
    d = sq_distance_to_label(Xd, centers, labels)
    bounds = chunk_bounds(Xd.shape[0], chunk_size)
    sums = np.zeros((len(bounds), n_clusters, Xd.shape[1]))
    weights = np.zeros((len(bounds), n_clusters))
    inertia = np.zeros(len(bounds))
    n_changed = np.zeros(len(bounds), dtype=np.int64)
    for c, (lo, hi) in enumerate(bounds):
        for i in range(lo, hi):
            sums[c, labels[i]] += w[i] * Xd[i]
            weights[c, labels[i]] += w[i]
        inertia[c] = float(d[lo:hi] @ w[lo:hi])
        if labels_prev is not None:
            n_changed[c] = int((labels[lo:hi] != np.asarray(labels_prev)[lo:hi]).sum())
    return AssignResult(labels.astype(np.int32), sums, weights, inertia, n_changed)


def assign_update(X, sample_weight, centers, labels_prev, chunk_size) -> AssignResult:
    """One Lloyd pass: the nearest labels, then :func:`partial_sums` for them."""
    labels, _ = nearest(X, centers)
    return partial_sums(X, sample_weight, centers, labels, chunk_size, labels_prev)


# -- k-means++ (kernels/kmeanspp.py) --------------------------------------------


def closest_update(X, center, closest) -> np.ndarray:
    """``min(closest, ||X[i] - center||^2)`` for every row (a new array)."""
    d = sq_distances(X, np.asarray(center).reshape(1, -1))[:, 0]
    return np.minimum(np.asarray(closest, dtype=np.float64), d)


def candidate_potentials(
    X, sample_weight, closest, candidates, chunk_size
) -> np.ndarray:
    """``out[c, t]``: chunk ``c``'s ``sum_i w_i min(closest_i, d(x_i, cand_t)^2)``."""
    d = sq_distances(X, candidates)  # (n, t)
    pot = np.minimum(d, np.asarray(closest, dtype=np.float64)[:, None])
    pot *= np.asarray(sample_weight, dtype=np.float64)[:, None]
    bounds = chunk_bounds(d.shape[0], chunk_size)
    return np.stack([pot[lo:hi].sum(axis=0) for lo, hi in bounds])


def kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_local_trials=None):
    """Greedy k-means++, drawing from ``random_state`` in scikit-learn's order."""
    Xd = dense(X)
    n_samples = Xd.shape[0]
    w = np.asarray(sample_weight, dtype=np.float64)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    indices = np.full(n_clusters, -1, dtype=np.int64)
    indices[0] = random_state.choice(n_samples, p=w / w.sum())
    closest = sq_distances(Xd, Xd[indices[:1]])[:, 0]
    pot = float(closest @ w)
    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_local_trials) * pot
        ids = np.searchsorted(np.cumsum(w * closest), rand_vals)
        ids = np.clip(ids, None, n_samples - 1)
        cand = np.minimum(closest[None, :], sq_distances(Xd, Xd[ids]).T)
        pots = cand @ w
        best = int(np.argmin(pots))
        pot = float(pots[best])
        closest = cand[best]
        indices[c] = ids[best]
    return Xd[indices], indices


# -- a whole Lloyd run --------------------------------------------------------------


def tolerance(X, tol: float) -> float:
    """``tol`` times the mean variance of the features (scikit-learn's scaling)."""
    if tol == 0:
        return 0.0
    return float(np.mean(np.var(dense(X), axis=0)) * tol)


def relocate_empty_clusters(X, sample_weight, centers_old, labels, sums, weights):
    """scikit-learn's relocation, editing ``sums`` (weighted) and ``weights``.

    Each cluster with zero weight takes one of the points farthest from their own
    centers (``np.argpartition(d, -n_empty)[:-n_empty-1:-1]``: the farthest first),
    and that point's weight leaves its old cluster. When every point sits on its
    center (more clusters than distinct points) nothing moves.
    """
    empty = np.flatnonzero(weights == 0)
    n_empty = empty.shape[0]
    if n_empty == 0:
        return
    d = sq_distance_to_label(X, centers_old, labels)
    if d.max() == 0:
        return
    far = np.argpartition(d, -n_empty)[: -n_empty - 1 : -1]
    Xd = dense(X)
    w = np.asarray(sample_weight, dtype=np.float64)
    for new_id, far_idx in zip(empty, far, strict=True):
        old_id = labels[far_idx]
        sums[old_id] -= Xd[far_idx] * w[far_idx]
        sums[new_id] = Xd[far_idx] * w[far_idx]
        weights[new_id] = w[far_idx]
        weights[old_id] -= w[far_idx]


def average_centers(sums, weights) -> np.ndarray:
    """Weighted means; a cluster still empty sits on the heaviest cluster's center."""
    centers = np.array(sums, dtype=np.float64)
    heaviest = int(np.argmax(weights))
    full = weights > 0
    centers[full] /= weights[full, None]
    centers[~full] = centers[heaviest]
    return centers


@dataclass
class LloydResult:
    labels: np.ndarray
    inertia: float
    centers: np.ndarray
    n_iter: int
    history_centers: list = field(default_factory=list)  # n_iter + 1 arrays
    history_inertia: list = field(default_factory=list)  # n_iter floats
    history_n_changed: list = field(default_factory=list)  # n_iter ints


def lloyd(X, sample_weight, centers_init, *, max_iter=300, tol=0.0) -> LloydResult:
    """One Lloyd run with scikit-learn's semantics, on ``X`` as given.

    ``tol`` is absolute (pass :func:`tolerance`'s result). Iteration ``t``:
    assign every point to its nearest center, stop at once if no label changed
    (strict convergence), else relocate empty clusters, average, and stop if the
    summed squared center shift is ``<= tol``. Unless strictly converged, a final
    assignment makes the labels match the returned centers.
    """
    w = np.asarray(sample_weight, dtype=np.float64)
    centers = dense(centers_init)
    n_samples = X.shape[0]
    labels = np.full(n_samples, -1, dtype=np.int32)
    res = LloydResult(labels, 0.0, centers, 0, [centers.copy()])
    strict = False
    for i in range(max_iter):
        part = assign_update(X, w, centers, labels, max(n_samples, 1))
        labels = part.labels
        n_changed = int(part.n_changed[0])
        inertia = float(part.inertia[0])
        sums, weights = part.sums[0], part.weights[0]
        relocate_empty_clusters(X, w, centers, labels, sums, weights)
        new_centers = average_centers(sums, weights)
        shift = float(((new_centers - centers) ** 2).sum())
        centers = new_centers
        res.history_centers.append(centers.copy())
        res.history_inertia.append(inertia)
        res.history_n_changed.append(n_changed)
        res.n_iter = i + 1
        if n_changed == 0:
            strict = True
            break
        if shift <= tol:
            break
    if not strict:
        labels, _ = nearest(X, centers)
    res.labels = labels
    res.centers = centers
    res.inertia = float(sq_distance_to_label(X, centers, labels) @ w)
    return res


def row_norms(X, x_mean=None) -> np.ndarray:
    """Euclidean norm of every row of ``X - x_mean`` (subtracted in X's dtype, as the
    kernels read it), in float64: ``stats.row_norm_bounds`` bounds these."""
    X = dense(X)
    rows = X if x_mean is None else X - x_mean
    return np.sqrt((rows.astype(np.float64) ** 2).sum(axis=1))


def column_sums(X, chunk_size: int) -> np.ndarray:
    """Float64 column sums of each fixed-size chunk: ``stats.column_sums``."""
    X = dense(X).astype(np.float64)
    return np.stack(
        [X[lo:hi].sum(axis=0) for lo, hi in chunk_bounds(X.shape[0], chunk_size)]
    )


# -- exact bound-based passes (kernels/bounds.py, hamerly.py, elkan.py, yinyang.py) --
# A pass must give Lloyd's labels and sums; what it keeps between passes are
# bounds, and these say what the bounds must satisfy.


def ranking(X, centers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lloyd's ranking values ``||c||^2 - 2 x.c``: per row the best, the second
    best and the best center (ties to the lowest index)."""
    Xd, C = dense(X), dense(centers)
    v = (C**2).sum(axis=1)[None, :] - 2.0 * Xd @ C.T
    label = np.argmin(v, axis=1)
    part = np.sort(v, axis=1)
    second = part[:, 1] if v.shape[1] > 1 else np.full(v.shape[0], np.inf)
    return part[:, 0], second, label


def upper_bounds_hold(X, centers, labels, upper, slack=1e-9) -> bool:
    """``upper[i] >= ||x_i - c_{label_i}||`` for every row."""
    d = np.sqrt(sq_distance_to_label(X, centers, labels))
    return bool(np.all(np.asarray(upper, dtype=np.float64) >= d * (1 - slack)))


def lower_bounds_hold(X, centers, lower, exclude=None, slack=1e-9) -> bool:
    """``lower[i, j] <= ||x_i - c_j||`` for every row and center (or column group).

    ``lower`` is (n, k), or (n,) for one bound over all centers but ``exclude[i]``.
    """
    d = np.sqrt(sq_distances(X, centers))
    lower = np.asarray(lower, dtype=np.float64)
    if lower.ndim == 1:
        if exclude is not None:
            d[np.arange(d.shape[0]), np.asarray(exclude)] = np.inf
        return bool(np.all(lower <= d.min(axis=1) * (1 + slack)))
    return bool(np.all(lower <= d * (1 + slack)))


def group_lower_bounds_hold(X, centers, labels, lower, group_of, slack=1e-9) -> bool:
    """``lower[i, g] <= ||x_i - c_j||`` for every center ``j != label_i`` of group g."""
    d = np.sqrt(sq_distances(X, centers))
    d[np.arange(d.shape[0]), np.asarray(labels)] = np.inf
    lower = np.asarray(lower, dtype=np.float64)
    group_of = np.asarray(group_of)
    for g in range(lower.shape[1]):
        members = d[:, group_of == g]
        if members.shape[1] and not np.all(
            lower[:, g] <= members.min(axis=1) * (1 + slack)
        ):
            return False
    return True


# -- pruned k-means++ and k-means|| (kernels/kmeanspp.py) ----------------------------


def candidate_deltas(X, sample_weight, closest, candidates, chunk_size):
    """``(delta, closer)``: per chunk, how much each candidate lowers the potential
    (``sum w * min(d^2 - closest, 0)``), and per row the bit set of the candidates
    closer than its closest center."""
    d = sq_distances(X, candidates)
    closest = np.asarray(closest, dtype=np.float64)[:, None]
    gain = np.minimum(d - closest, 0.0) * np.asarray(sample_weight, float)[:, None]
    delta = np.stack(
        [gain[lo:hi].sum(axis=0) for lo, hi in chunk_bounds(len(d), chunk_size)]
    )
    closer = ((d < closest) * (1 << np.arange(d.shape[1]))).sum(axis=1)
    return delta, closer


def sample_by_potential(sample_weight, closest, targets) -> np.ndarray:
    """NumPy's draw in scikit-learn's k-means++: searchsorted on the cumulative
    weighted potential, clipped to the last row."""
    cum = np.cumsum(np.asarray(sample_weight, float) * np.asarray(closest, float))
    return np.minimum(np.searchsorted(cum, targets), len(cum) - 1)


def uniform_of_row(seed: int, rows) -> np.ndarray:
    """SplitMix64 of ``seed + (row + 1) * golden``, top 53 bits in [0, 1)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.asarray(rows, dtype=np.uint64) + np.uint64(1)) * (
            np.uint64(0x9E3779B97F4A7C15)
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / 2.0**53


def kpar_nearest(X, cands, base, closest, nearest):
    """Closest squared distance and nearest candidate after adding ``cands``."""
    d = sq_distances(X, cands)
    j = np.argmin(d, axis=1)
    dj = d[np.arange(len(d)), j]
    closer = dj < closest
    closest = np.where(closer, dj, closest)
    nearest = np.where(closer, j + base, nearest)
    return closest, nearest


def kpar_keep(sample_weight, closest, first_row, seed, scale) -> np.ndarray:
    """Local indices kept in a k-means|| round."""
    u = uniform_of_row(seed, np.arange(len(closest)) + first_row)
    p = scale * np.asarray(sample_weight, float) * np.asarray(closest, float)
    return np.flatnonzero(u < p)


@dataclass
class HartiganResult:
    labels: np.ndarray
    centers: np.ndarray
    inertia: float
    n_moves: int


def hartigan(X, sample_weight, labels, *, max_passes=100) -> HartiganResult:
    """Hartigan's single-point moves from ``labels``, written out point by point.

    Each pass visits the points in index order; point ``x`` (weight ``w``) in
    cluster ``i`` moves to the cluster ``j`` with the lowest
    ``w n_j / (n_j + w) d2(x, c_j)`` when that is below ``w n_i / (n_i - w)
    d2(x, c_i)`` (weighted sizes ``n``; ties to the lowest index), and both
    centers are updated at once. A point alone in its cluster, or holding all of
    its weight, stays; clusters of weight 0 take no point. Passes repeat until one
    moves nothing. Centers and inertia are then those of the final labels.
    """
    Xd = np.asarray(dense(X), dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    n_samples, n_features = Xd.shape
    labels = np.array(labels, dtype=np.int32)
    k = int(labels.max()) + 1 if n_samples else 0

    def means(labels, k):
        centers = np.zeros((k, n_features))
        weights = np.zeros(k)
        for r in range(n_samples):
            weights[labels[r]] += w[r]
            centers[labels[r]] += w[r] * Xd[r]
        full = weights > 0
        centers[full] /= weights[full, None]
        return centers, weights

    def d2(x, c):
        acc = 0.0
        for f in range(n_features):
            acc += (x[f] - c[f]) * (x[f] - c[f])
        return acc

    k = max(k, 1)
    centers, weights = means(labels, k)
    sizes = np.bincount(labels, minlength=k)
    n_moves = 0
    for _ in range(max_passes):
        moved = 0
        for r in range(n_samples):
            x, i = Xd[r], labels[r]
            if sizes[i] <= 1 or weights[i] - w[r] <= 0:
                continue
            best, best_cost = (
                -1,
                w[r] * weights[i] / (weights[i] - w[r]) * d2(x, centers[i]),
            )
            for j in range(k):
                if j == i or weights[j] <= 0:
                    continue
                cost = w[r] * weights[j] / (weights[j] + w[r]) * d2(x, centers[j])
                if cost < best_cost:
                    best, best_cost = j, cost
            if best < 0:
                continue
            j = best
            centers[i] += w[r] / (weights[i] - w[r]) * (centers[i] - x)
            centers[j] += w[r] / (weights[j] + w[r]) * (x - centers[j])
            weights[i] -= w[r]
            weights[j] += w[r]
            sizes[i] -= 1
            sizes[j] += 1
            labels[r] = j
            moved += 1
        n_moves += moved
        if moved == 0:
            break
    centers, _ = means(labels, k)
    inertia = float(sum(w[r] * d2(Xd[r], centers[labels[r]]) for r in range(n_samples)))
    return HartiganResult(labels, centers, inertia, n_moves)


# -- one mini-batch step (_algorithms/minibatch.py) -----------------------------------


def breathing(
    X,
    sample_weight,
    centers_init,
    random_state,
    *,
    depth=5,
    min_gain=1e-4,
    inhale_max_iter=3,
) -> LloydResult:
    """Breathing k-means (Fritzke, arXiv:2006.15666) from ``centers_init``, each
    loop a strict :func:`lloyd` (tol 0).

    A cycle adds ``m`` centers, ``(U(0, 1) - 0.5) * 0.01 * rms`` (drawn from
    ``random_state``, shape (m, d)) from the ``m`` centers of largest weighted
    error (ties: lower index), runs Lloyd for at most ``inhale_max_iter``
    iterations, removes the ``m`` centers of least utility (sum over the points
    nearest to each of ``w (d2 - d1)``, second-nearest less nearest; ties: lower
    index), skipping any center frozen as the nearest other center of one already
    removed (while ``frozen + m < k + m``), and runs Lloyd again (to
    convergence). A result below the best's inertia times ``1 - min_gain`` becomes
    the best; otherwise ``m`` drops by one. ``m`` starts at ``min(depth, k,
    n - k)``; nothing is done for ``k = 1`` or an inertia of 0. ``n_iter`` sums
    every loop's iterations.
    """
    w = np.asarray(sample_weight, dtype=np.float64)
    best = lloyd(X, w, centers_init)
    n_samples = X.shape[0]
    k, n_features = best.centers.shape
    n_iter = best.n_iter
    m = min(depth, k, n_samples - k)
    while k > 1 and m > 0 and best.inertia > 0:
        err = np.zeros(k)
        np.add.at(
            err, best.labels, w * sq_distance_to_label(X, best.centers, best.labels)
        )
        parents = sorted(range(k), key=lambda j: (-err[j], j))[:m]
        rms = np.sqrt(err.sum() / w.sum())
        offsets = (random_state.uniform(size=(m, n_features)) - 0.5) * (0.01 * rms)
        inhaled = lloyd(
            X,
            w,
            np.vstack([best.centers, best.centers[parents] + offsets]),
            max_iter=inhale_max_iter,
        )
        d = sq_distances(X, inhaled.centers)
        order = np.argsort(d, axis=1, kind="stable")
        rows = np.arange(n_samples)
        gap = d[rows, order[:, 1]] - d[rows, order[:, 0]]
        utility = np.zeros(k + m)
        np.add.at(utility, order[:, 0], w * gap)
        cc = sq_distances(inhaled.centers, inhaled.centers)
        np.fill_diagonal(cc, np.inf)
        removed, frozen = [], set()
        for j in sorted(range(k + m), key=lambda j: (utility[j], j)):
            if j in frozen or len(removed) == m:
                continue
            removed.append(j)
            if len(frozen) + m < k + m:
                frozen.add(int(np.argmin(cc[j])))
        exhaled = lloyd(X, w, np.delete(inhaled.centers, removed, axis=0))
        n_iter += inhaled.n_iter + exhaled.n_iter
        if exhaled.inertia < best.inertia * (1 - min_gain):
            best = exhaled
        else:
            m -= 1
    best.n_iter = n_iter
    return best


@dataclass
class MiniBatchStepResult:
    labels: np.ndarray  # (n_samples,) int32, on the centers before the step
    inertia: float  # weighted, on the centers before the step
    centers: np.ndarray  # (n_clusters, n_features) after the step
    counts: np.ndarray  # (n_clusters,) the weight each center has absorbed


def minibatch_step(X, sample_weight, centers, counts) -> MiniBatchStepResult:
    """One step of mini-batch k-means (Sculley 2010; scikit-learn's
    ``_mini_batch_step`` without the random reassignment), in float64.

    Every row goes to its nearest center; a center ``j`` given rows of total
    weight ``W_j > 0`` moves to ``(n_j c_j + sum_i w_i x_i) / (n_j + W_j)``, the
    running weighted mean of all it has been given (``n_j = counts[j]``), and its
    count becomes ``n_j + W_j``; a center given nothing stays.
    """
    Xd, C = dense(X), dense(centers)
    w = np.asarray(sample_weight, dtype=np.float64)
    labels, _ = nearest(Xd, C)
    inertia = float(np.sum(w * sq_distance_to_label(Xd, C, labels)))
    counts = np.array(counts, dtype=np.float64)
    new = C.copy()
    for j in range(C.shape[0]):
        mine = labels == j
        W = w[mine].sum()
        if W > 0:
            new[j] = (counts[j] * C[j] + (w[mine, None] * Xd[mine]).sum(axis=0)) / (
                counts[j] + W
            )
            counts[j] += W
    return MiniBatchStepResult(labels, inertia, new, counts)


# -- spherical (cosine) k-means -----------------------------------------------------


def unit(X) -> np.ndarray:
    """Rows of ``X`` divided by their norms, in float64 (dense)."""
    Xd = dense(X)
    return Xd / np.linalg.norm(Xd, axis=1)[:, None]


def spherical_lloyd(
    X, sample_weight, centers_init, *, max_iter=300, tol=0.0
) -> LloydResult:
    """One spherical (cosine) k-means run, written by its definition.

    The rows of ``X`` and the initial centers are scaled to unit length. Iteration
    ``t``: give every row the center of largest cosine ``x . c`` (ties to the lowest
    index), stop at once if no label changed; else relocate empty clusters (the
    rows of largest ``1 - cos`` to their own centers each seed one), take the
    weighted means (a still-empty cluster on the heaviest cluster's), scale them to
    unit length (a zero mean keeps its previous center), and stop if the summed
    squared center shift is ``<= tol``. The inertia is ``sum w (1 - cos)``.
    """
    U = unit(X)
    w = np.asarray(sample_weight, dtype=np.float64)
    centers = unit(centers_init)
    n_samples = U.shape[0]
    labels = np.full(n_samples, -1, dtype=np.int32)
    res = LloydResult(labels, 0.0, centers, 0, [centers.copy()])
    k = centers.shape[0]
    strict = False
    for i in range(max_iter):
        cos = U @ centers.T
        new_labels = np.argmax(cos, axis=1).astype(np.int32)
        n_changed = int(np.count_nonzero(new_labels != labels))
        labels = new_labels
        inertia = float(w @ (1.0 - cos[np.arange(n_samples), labels]))
        sums = np.zeros((k, U.shape[1]))
        np.add.at(sums, labels, U * w[:, None])
        weights = np.bincount(labels, weights=w, minlength=k).astype(np.float64)
        relocate_empty_clusters(U, w, centers, labels, sums, weights)
        means = average_centers(sums, weights)
        norms = np.linalg.norm(means, axis=1)
        new_centers = centers.copy()
        new_centers[norms > 0] = means[norms > 0] / norms[norms > 0, None]
        shift = float(((new_centers - centers) ** 2).sum())
        centers = new_centers
        res.history_centers.append(centers.copy())
        res.history_inertia.append(inertia)
        res.history_n_changed.append(n_changed)
        res.n_iter = i + 1
        if n_changed == 0:
            strict = True
            break
        if shift <= tol:
            break
    cos = U @ centers.T
    if not strict:
        labels = np.argmax(cos, axis=1).astype(np.int32)
    res.labels = labels
    res.centers = centers
    res.inertia = float(w @ (1.0 - cos[np.arange(n_samples), labels]))
    return res
