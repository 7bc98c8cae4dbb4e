"""Initial centers: random rows, greedy k-means++, k-means||, a user's callable.

Each takes a ``numpy.random.RandomState`` and draws from it in the same order as
scikit-learn, so that the same seed picks the same starting rows as scikit-learn's
``KMeans`` (up to float rounding in the potentials). k-means|| runs its rounds
over a sampler (:class:`MemorySampler` here, one over Dask blocks in
:mod:`kmeansx._backends.dask_init`), so both backends draw the same rows.
"""

from __future__ import annotations

import numpy as np

from kmeansx._algorithms.lloyd import assign_labels
from kmeansx._algorithms.registry import run
from kmeansx._algorithms.relocation import sq_distance_to_label
from kmeansx._data import (
    dense_rows,
    float64_weights,
    is_sparse,
    kernel_view,
    row_sq_norms,
    weighted_bincount,
)
from kmeansx._kernels import kmeanspp as _kpp
from kmeansx._kernels import plain as _plain
from kmeansx._kernels._chunks import chunk_size_for, n_chunks_for
from kmeansx._validation import check_centers_shape


def centered_rows(X, rows, x_mean=None) -> np.ndarray:
    """Rows of ``X`` as a dense array in X's dtype, less ``x_mean`` if given."""
    out = dense_rows(X, rows).astype(X.dtype, copy=False)
    return out if x_mean is None else out - x_mean


# Rows per block of :func:`weighted_choice`'s cumulative sums.
CHOICE_BLOCK_ROWS = 1 << 14


def weighted_choice(weight, random_state, plain: bool = False) -> int:
    """``random_state.choice(n, p=weight / weight.sum())``, the same row and the same
    draw from ``random_state``, without the three n-long arrays NumPy makes
    (:func:`kmeansx._kernels.kmeanspp.first_choice`, or with ``plain`` the NumPy
    twin below: nothing to compile).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, 0.0, 3.0, 2.0])
    >>> weighted_choice(w, np.random.RandomState(0)) == (
    ...     np.random.RandomState(0).choice(4, p=w / w.sum())
    ... )
    True
    """
    total = weight.sum()
    u = random_state.random_sample()
    if plain:
        return _first_choice_numpy(weight, total, u)
    return int(_kpp.first_choice(weight, total, u))


def _first_choice_numpy(weight, total, u) -> int:
    """:func:`kmeansx._kernels.kmeanspp.first_choice` in NumPy.

    NumPy takes the first row whose ``cumsum(p) / cumsum(p)[-1]`` exceeds ``u``;
    the cumulative sum is sequential, so block by block with the previous block's
    last value leading gives its very values. One pass finds the total and the
    value each block ends at; as the sums never decrease, the row is in the first
    block whose end exceeds the uniform, the only block summed again.
    """
    starts = range(0, weight.shape[0], CHOICE_BLOCK_ROWS)
    buffer = np.empty(min(CHOICE_BLOCK_ROWS, weight.shape[0]))

    def block_cumsum(r0, carry):
        w = weight[r0 : r0 + CHOICE_BLOCK_ROWS]
        cum = np.divide(w, total, out=buffer[: w.shape[0]])
        cum[0] += carry  # the sum goes on from the previous block's last value
        return np.cumsum(cum, out=cum)

    # What each block's sums start from (the previous block's last one).
    carries = [0.0]
    for r0 in starts:
        carries.append(block_cumsum(r0, carries[-1])[-1])
    last = carries[-1]
    for b, r0 in enumerate(starts):
        if carries[b + 1] / last > u:
            hits = np.flatnonzero(block_cumsum(r0, carries[b]) / last > u)
            return int(r0 + hits[0])
    return weight.shape[0] - 1


def random_rows(sample_weight, n_clusters: int, random_state) -> np.ndarray:
    """``n_clusters`` distinct rows drawn with probability proportional to weight,
    as scikit-learn draws them."""
    p = sample_weight / sample_weight.sum()
    return random_state.choice(p.shape[0], size=n_clusters, replace=False, p=p)


def random_init(X, n_clusters: int, sample_weight, random_state, x_mean=None):
    """``n_clusters`` distinct rows drawn with probability proportional to weight."""
    indices = random_rows(sample_weight, n_clusters, random_state)
    return centered_rows(X, indices, x_mean), indices


def callable_init(init, X, n_clusters: int, random_state, dtype) -> np.ndarray:
    """Centers from a user's ``init(X, n_clusters, random_state=...)``: a dense
    C-contiguous array in ``dtype`` of the right shape (sparse or Dask results are
    converted)."""
    centers = init(X, n_clusters, random_state=random_state)
    if hasattr(centers, "toarray"):
        centers = centers.toarray()
    elif hasattr(centers, "compute"):
        centers = centers.compute()
    centers = np.asarray(centers, dtype=dtype)
    check_centers_shape(centers, n_clusters, X.shape[1])
    return np.ascontiguousarray(centers)


# Rows per chunk of the k-means++ kernels: a constant, so that sums do not depend
# on the thread count, small enough that sampling scans little of one chunk.
KPP_CHUNK_ROWS = 4096

# The pruned kernels mark the candidates closer to a row in the bits of one
# integer; more trials than that take the plain kernels.
MAX_PRUNED_TRIALS = 63


def kmeans_plusplus_init(
    X,
    n_clusters: int,
    sample_weight,
    random_state,
    x_sqnorm=None,
    n_local_trials=None,
    x_mean=None,
    plain=False,
):
    """Greedy k-means++ (Arthur & Vassilvitskii 2007, with local trials).

    Each new center is the best of ``n_local_trials`` (default ``2 + ln k``)
    candidates drawn with probability proportional to ``w * D(x)^2``, scored by the
    potential they would leave; the draws come from ``random_state`` in
    scikit-learn's order. Dense data takes the pruned kernels (a point is skipped
    when the triangle inequality proves a candidate cannot come closer to it);
    sparse data the plain ones. With ``x_mean`` (dense ``X``) the draws are made on
    ``X - x_mean`` and so are the centers returned (``x_sqnorm`` must be its norms).
    ``plain`` (dense ``X``) runs the pruned kernels' NumPy twins
    (:mod:`kmeansx._kernels.plain`): the same rows, nothing to compile.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._init import kmeans_plusplus_init
    >>> X = np.array([[0.0], [0.1], [9.0], [9.1]])
    >>> centers, indices = kmeans_plusplus_init(
    ...     X, 2, np.ones(4), np.random.RandomState(0)
    ... )
    >>> sorted(np.round(centers.ravel()).tolist())
    [0.0, 9.0]
    """
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    if is_sparse(X) or n_local_trials > MAX_PRUNED_TRIALS:
        return _kmeans_plusplus_plain(
            X, n_clusters, sample_weight, random_state, x_sqnorm, n_local_trials, x_mean
        )
    return _kmeans_plusplus_dense(
        X,
        n_clusters,
        sample_weight,
        random_state,
        x_sqnorm,
        n_local_trials,
        x_mean,
        _plain if plain else _kpp,
    )


def _cc_sq(centers64, c_sqnorm, cand64, cand_sqnorm):
    """Squared center-candidate distances, rounded down (never too large)."""
    d2 = c_sqnorm[:, None] + cand_sqnorm[None, :] - 2.0 * (centers64 @ cand64.T)
    scale = c_sqnorm.max() + cand_sqnorm.max()
    d2 -= 4.0 * (centers64.shape[1] + 2) * 2.0**-53 * 2.0 * scale
    return np.maximum(d2, 0.0)


def _kmeans_plusplus_dense(
    X, n_clusters, sample_weight, random_state, x_sqnorm, n_local_trials, x_mean, kpp
):
    """The pruned greedy k-means++ over the kernels of module ``kpp``
    (:mod:`kmeansx._kernels.kmeanspp`, or its NumPy twins)."""
    n_samples, n_features = X.shape
    if x_sqnorm is None:
        x_sqnorm = row_sq_norms(X, x_mean, kpp is _plain)
    extra = () if x_mean is None else (x_mean,)
    weight = float64_weights(sample_weight)
    chunk = KPP_CHUNK_ROWS
    n_chunks = n_chunks_for(n_samples, chunk)
    closest = np.empty(n_samples)
    # The closest center of each row, and which candidates come closer to it (bit t
    # for candidate t), in the narrowest integers that hold them: per-row memory.
    assign = np.empty(n_samples, dtype=np.min_scalar_type(n_clusters - 1))
    closer = np.empty(n_samples, dtype=np.min_scalar_type((1 << n_local_trials) - 1))
    chunk_pot = np.empty(n_chunks)
    delta = np.empty((n_chunks, n_local_trials))
    picked = np.empty(n_local_trials, dtype=np.int64)

    centers = np.empty((n_clusters, n_features), dtype=X.dtype)
    centers64 = np.empty((n_clusters, n_features))
    c_sqnorm = np.empty(n_clusters)
    indices = np.full(n_clusters, -1, dtype=np.int64)
    first = weighted_choice(weight, random_state, kpp is _plain)
    centers[0] = centered_rows(X, [first], x_mean)[0]
    centers64[0] = centers[0]
    c_sqnorm[0] = centers64[0] @ centers64[0]
    indices[0] = first
    kpp.closest_first_dense(
        X, weight, centers[0], chunk, closest, assign, chunk_pot, *extra
    )
    current_pot = float(closest @ weight)

    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        kpp.sample_by_potential(
            weight, closest, chunk, np.cumsum(chunk_pot), rand_vals, picked
        )
        candidates = np.ascontiguousarray(centered_rows(X, picked, x_mean))
        cand64 = candidates.astype(np.float64)
        cand_sqnorm = np.einsum("ij,ij->i", cand64, cand64)
        cc_sq = _cc_sq(centers64[:c], c_sqnorm[:c], cand64, cand_sqnorm)
        kpp.candidate_deltas_dense(
            X,
            x_sqnorm,
            weight,
            closest,
            assign,
            np.ascontiguousarray(candidates.T),
            cand_sqnorm,
            cc_sq,
            chunk,
            closer,
            delta,
            *extra,
        )
        candidate_pots = chunk_pot.sum() + delta.sum(axis=0)
        best = int(np.argmin(candidate_pots))
        centers[c] = candidates[best]
        centers64[c] = cand64[best]
        c_sqnorm[c] = cand_sqnorm[best]
        indices[c] = picked[best]
        kpp.closest_add_dense(
            X,
            weight,
            candidates[best],
            closer,
            best,
            c,
            chunk,
            closest,
            assign,
            chunk_pot,
            *extra,
        )
        current_pot = float(chunk_pot.sum())
    return centers, indices


def _kmeans_plusplus_plain(
    X, n_clusters, sample_weight, random_state, x_sqnorm, n_local_trials, x_mean
):
    """Every distance computed: sparse data, or more trials than the pruned
    kernels can mark."""
    n_samples, n_features = X.shape
    sparse = is_sparse(X)
    closest_update = _kpp.closest_update_csr if sparse else _kpp.closest_update_dense
    potentials = (
        _kpp.candidate_potentials_csr if sparse else _kpp.candidate_potentials_dense
    )
    if x_sqnorm is None:
        x_sqnorm = row_sq_norms(X, x_mean)
    extra = () if x_mean is None else (x_mean,)
    view = kernel_view(X)
    weight = float64_weights(sample_weight)
    chunk = chunk_size_for(n_samples, n_local_trials, n_features)
    pot_out = np.empty((n_chunks_for(n_samples, chunk), n_local_trials))

    centers = np.empty((n_clusters, n_features), dtype=X.dtype)
    indices = np.full(n_clusters, -1, dtype=np.int64)
    first = weighted_choice(weight, random_state)
    centers[0] = centered_rows(X, [first], x_mean)[0]
    indices[0] = first
    closest = np.full(n_samples, np.inf)
    closest_update(view, x_sqnorm, centers[0], closest, *extra)
    current_pot = float(closest @ weight)

    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        candidate_ids = np.searchsorted(np.cumsum(weight * closest), rand_vals)
        np.clip(candidate_ids, None, n_samples - 1, out=candidate_ids)
        candidates = centered_rows(X, candidate_ids, x_mean)
        potentials(view, x_sqnorm, weight, closest, candidates, chunk, pot_out, *extra)
        candidate_pots = pot_out.sum(axis=0)
        best = int(np.argmin(candidate_pots))
        current_pot = float(candidate_pots[best])
        centers[c] = candidates[best]
        indices[c] = candidate_ids[best]
        closest_update(view, x_sqnorm, centers[c], closest, *extra)
    return centers, indices


# k-means|| (Bahmani et al. 2012): rounds, and candidates drawn per round as a
# multiple of n_clusters (the paper finds 5 rounds of 2k enough), then Lloyd
# iterations on the weighted candidates after their k-means++ (as Spark MLlib).
KPAR_ROUNDS = 5
KPAR_OVERSAMPLING = 2.0
KPAR_REFINE_ITER = 30


def kmeans_parallel(
    sampler,
    n_clusters: int,
    random_state,
    n_rounds: int = KPAR_ROUNDS,
    oversampling: float = KPAR_OVERSAMPLING,
    spherical: bool = False,
) -> np.ndarray:
    """The rounds of k-means|| over ``sampler``, then the candidates' reduction.

    The sampler holds the data (in memory or in blocks) and has: ``weight``, every
    row's weight in float64 on the driver; ``add(rows)``, which makes those rows
    candidates and returns the potential ``sum w * D(x)^2`` to the nearest
    candidate; ``keep(seed, scale)``, the rows a round keeps (row ``i`` when the
    uniform hashed from ``seed`` and ``i`` is below ``scale * w_i * D(x_i)^2``);
    ``candidate_weights()``, the weight of the rows nearest to each candidate;
    ``candidates()``, the candidates' centered rows; ``rows(rows)``, any centered
    rows. ``spherical`` (rows of unit length, for cosine k-means) runs the
    candidates' Lloyd iterations as spherical k-means: unit centers.
    """
    weight = sampler.weight
    n_samples = weight.shape[0]
    rows = [np.array([weighted_choice(weight, random_state)])]
    phi = sampler.add(rows[0])
    for _ in range(n_rounds):
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        if not phi > 0:  # every point sits on a candidate
            break
        kept = sampler.keep(seed, oversampling * n_clusters / phi)
        if kept.shape[0]:
            rows.append(kept)
            phi = sampler.add(kept)
    n_cands = sum(r.shape[0] for r in rows)
    cands = sampler.candidates()
    cand_weight = sampler.candidate_weights()
    if n_cands < n_clusters:  # fewer candidates than clusters: pad with rows
        extra = random_state.choice(n_samples, size=n_clusters - n_cands, replace=False)
        cands = np.concatenate([cands, sampler.rows(extra)])
        cand_weight = np.concatenate([cand_weight, weight[extra]])
    cand_weight = cand_weight.astype(cands.dtype)
    centers = kmeans_plusplus_init(cands, n_clusters, cand_weight, random_state)[0]
    return run(
        "lloyd",
        cands,
        cand_weight,
        centers,
        max_iter=KPAR_REFINE_ITER,
        spherical=spherical,
    ).centers


class MemorySampler:
    """k-means||'s view of in-memory ``X`` (dense or CSR) for
    :func:`kmeans_parallel`: each row's distance to its nearest candidate."""

    def __init__(self, X, sample_weight, x_sqnorm=None, x_mean=None):
        n_samples = X.shape[0]
        self.X = X
        self.x_mean = x_mean
        self.weight = float64_weights(sample_weight)
        self.sparse = is_sparse(X)
        if not self.sparse and x_sqnorm is None:
            x_sqnorm = row_sq_norms(X, x_mean)
        self.x_sqnorm = x_sqnorm
        self.closest = np.full(n_samples, np.inf)
        self.nearest = np.full(n_samples, -1, dtype=np.int64)
        self.keep_out = np.empty(n_samples, dtype=np.int64)
        self.cands: list[np.ndarray] = []
        self.n_cands = 0

    def rows(self, rows) -> np.ndarray:
        return centered_rows(self.X, rows, self.x_mean)

    def add(self, rows) -> float:
        new = self.rows(rows)
        base = self.n_cands
        if self.sparse:
            labels = assign_labels(self.X, self.weight, new)[0]
            dist = sq_distance_to_label(self.X, new, labels)
            closer = dist < self.closest
            self.closest[closer] = dist[closer]
            self.nearest[closer] = labels[closer] + base
        else:
            extra = () if self.x_mean is None else (self.x_mean,)
            _kpp.kpar_nearest_dense(
                self.X,
                self.x_sqnorm,
                new,
                base,
                KPP_CHUNK_ROWS,
                self.closest,
                self.nearest,
                *extra,
            )
        self.cands.append(new)
        self.n_cands += new.shape[0]
        return float(self.closest @ self.weight)

    def keep(self, seed: int, scale: float) -> np.ndarray:
        m = _kpp.kpar_keep(self.weight, self.closest, 0, seed, scale, self.keep_out)
        return self.keep_out[:m].copy()

    def candidate_weights(self) -> np.ndarray:
        return weighted_bincount(self.nearest, self.weight, self.n_cands)

    def candidates(self) -> np.ndarray:
        return np.concatenate(self.cands)


def kmeans_parallel_init(
    X,
    n_clusters: int,
    sample_weight,
    random_state,
    x_sqnorm=None,
    n_rounds: int = KPAR_ROUNDS,
    oversampling: float = KPAR_OVERSAMPLING,
    x_mean=None,
    spherical: bool = False,
):
    """k-means|| (scalable k-means++, Bahmani et al. 2012) on in-memory ``X``.

    A first center is drawn with probability proportional to weight; then each of
    ``n_rounds`` rounds keeps every point independently with probability
    ``min(1, oversampling * k * w * D(x)^2 / phi)`` (``phi`` the weighted potential),
    about ``oversampling * k`` candidates per round. The candidates are weighted by
    the weight of the points nearest to them and reduced to ``n_clusters`` centers
    by greedy k-means++ and :data:`KPAR_REFINE_ITER` Lloyd iterations. Draws come
    from ``random_state``: the first center and one seed per round, the round's
    uniform for row ``i`` being a hash of the seed and ``i`` (so a blocked, e.g.
    Dask, run draws the same rows). Returns the centers (not rows of ``X`` after
    the refinement) in ``X``'s dtype; ``spherical`` (unit rows) refines them by
    spherical k-means, so they have unit length.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeansx._init import kmeans_parallel_init
    >>> X = np.array([[0.0], [0.1], [9.0], [9.1]])
    >>> centers = kmeans_parallel_init(X, 2, np.ones(4), np.random.RandomState(0))
    >>> sorted(np.round(centers.ravel()).tolist())
    [0.0, 9.0]
    """
    sampler = MemorySampler(X, sample_weight, x_sqnorm, x_mean)
    return kmeans_parallel(
        sampler, n_clusters, random_state, n_rounds, oversampling, spherical
    )
