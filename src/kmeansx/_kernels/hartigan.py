"""Hartigan's single-point moves: the refinement that follows Lloyd's loop.

Moving a point ``x`` of weight ``w`` from cluster ``i`` (weight ``n_i``) to cluster
``j`` (weight ``n_j``) changes the inertia by

    w * n_j / (n_j + w) * d2(x, c_j) - w * n_i / (n_i - w) * d2(x, c_i)

(Hartigan and Wong, 1979). A pass visits the points in index order, moves each
to the cluster where that change is lowest when it is negative, and updates the
two centers and weights at once, so the next point sees them; ties keep the
lowest cluster index. A point alone in its cluster (or holding all of its
weight) never moves, nor does a point move into a cluster of weight 0. All the
arithmetic is float64, in a fixed order: the result does not depend on threads.
"""

from __future__ import annotations

import numpy as np

from kmeansx._kernels._jit import jit
from kmeansx._kernels.centered import value


@jit()
def _sq_distance(X, x_mean, i, centers, j):
    acc = 0.0
    for f in range(X.shape[1]):
        diff = np.float64(value(X, x_mean, i, f)) - centers[j, f]
        acc += diff * diff
    return acc


@jit()
def _sq_distance_row(x, centers, j):
    acc = 0.0
    for f in range(x.shape[0]):
        diff = x[f] - centers[j, f]
        acc += diff * diff
    return acc


@jit()
def hartigan_pass(X, sample_weight, labels, centers, weights, sizes, x_mean, state):
    """One pass of Hartigan's moves over dense ``X`` in index order; return how
    many points moved.

    ``labels`` (int32), ``centers`` (float64, the weighted means of the labelled
    points, in the space of ``X - x_mean``), ``weights`` (the clusters' weighted
    sizes) and ``sizes`` (their point counts, int64) are updated in place.

    ``state`` is ``(visit, checked_at, changed_at)``: a one-element int64 count
    of the visits made so far, the visit at which each point was last checked
    (-1: never) and the visit at which each cluster last changed (Hartigan and
    Wong's live sets). A point stayed where it was at its last check, so while its
    own cluster has not changed since, only the clusters that changed can take
    it: the others are skipped, which gives the very moves a full check gives.
    """
    visit, checked_at, changed_at = state
    n_samples = X.shape[0]
    n_clusters, n_features = centers.shape
    x = np.empty(n_features)
    # The centers feature-major as well: a full check's distances to all of them
    # are then one vectorized loop per feature (the same sums, in the same order,
    # as one center at a time); kept in step with ``centers`` at every move.
    centers_T = np.empty((n_features, n_clusters))
    for j in range(n_clusters):
        for f in range(n_features):
            centers_T[f, j] = centers[j, f]
    dist = np.empty(n_clusters)
    # coef[j] = w n_j / (n_j + w) for the weight w of the last point seen.
    coef = np.empty(n_clusters)
    coef_w = -1.0
    moves = 0
    for r in range(n_samples):
        t = visit[0]
        visit[0] += 1
        i = labels[r]
        w = np.float64(sample_weight[r])
        n_i = weights[i]
        last = checked_at[r]
        checked_at[r] = t
        if sizes[i] <= 1 or n_i - w <= 0:
            continue
        full = last < 0 or changed_at[i] >= last
        if not full:
            stale = True
            for j in range(n_clusters):
                if changed_at[j] >= last:
                    stale = False
                    break
            if stale:
                continue
        for f in range(n_features):
            x[f] = value(X, x_mean, r, f)
        if w != coef_w:
            coef_w = w
            for j in range(n_clusters):
                coef[j] = w * weights[j] / (weights[j] + w)
        if full:
            for j in range(n_clusters):
                dist[j] = 0.0
            for f in range(n_features):
                x_f = x[f]
                for j in range(n_clusters):
                    diff = x_f - centers_T[f, j]
                    dist[j] += diff * diff
        d_i = dist[i] if full else _sq_distance_row(x, centers, i)
        remove = w * n_i / (n_i - w) * d_i
        best = -1
        best_add = remove
        if full:
            for j in range(n_clusters):
                add = coef[j] * dist[j]
                if add < best_add and j != i and weights[j] > 0:
                    best_add = add
                    best = j
        else:
            for j in range(n_clusters):
                if j == i or weights[j] <= 0 or changed_at[j] < last:
                    continue
                add = coef[j] * _sq_distance_row(x, centers, j)
                if add < best_add:
                    best_add = add
                    best = j
        if best < 0:
            continue
        j = best
        n_j = weights[j]
        shrink = w / (n_i - w)
        grow = w / (n_j + w)
        for f in range(n_features):
            centers[i, f] += shrink * (centers[i, f] - x[f])
            centers[j, f] += grow * (x[f] - centers[j, f])
            centers_T[f, i] = centers[i, f]
            centers_T[f, j] = centers[j, f]
        weights[i] = n_i - w
        weights[j] = n_j + w
        coef[i] = w * weights[i] / (weights[i] + w)
        coef[j] = w * weights[j] / (weights[j] + w)
        sizes[i] -= 1
        sizes[j] += 1
        labels[r] = j
        changed_at[i] = t
        changed_at[j] = t
        moves += 1
    return moves


@jit()
def weighted_means(X, sample_weight, labels, x_mean, centers_out, weights_out):
    """The weighted mean of each cluster's points (float64, summed in index order)
    into ``centers_out``, their total weight into ``weights_out``; an empty
    cluster keeps its row of ``centers_out``."""
    n_clusters, n_features = centers_out.shape
    sums = np.zeros((n_clusters, n_features))
    weights_out[:] = 0.0
    for r in range(X.shape[0]):
        j = labels[r]
        w = np.float64(sample_weight[r])
        weights_out[j] += w
        for f in range(n_features):
            sums[j, f] += w * np.float64(value(X, x_mean, r, f))
    for j in range(n_clusters):
        if weights_out[j] > 0:
            for f in range(n_features):
                centers_out[j, f] = sums[j, f] / weights_out[j]


@jit()
def labelled_inertia(X, sample_weight, labels, centers, x_mean):
    """The weighted sum of squared distances of the points to their labelled
    centers (float64, in index order)."""
    total = 0.0
    for r in range(X.shape[0]):
        w = np.float64(sample_weight[r])
        total += w * _sq_distance(X, x_mean, r, centers, labels[r])
    return total
