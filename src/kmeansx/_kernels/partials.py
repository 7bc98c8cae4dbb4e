"""Lloyd's M-step partial sums, per fixed-size chunk of rows.

One implementation serves Lloyd's pass, the bound-based passes and the replay of
their ambiguous rows, so that every algorithm adds the same rows in the same
order with the same float64 expressions, and its centers are Lloyd's bit for bit.
Each chunk owns one slot of the outputs (sums ``(n_chunks, k, d)``, weights
``(n_chunks, k)``, inertia ``(n_chunks,)``); the caller adds the slots in chunk
order. Sums of shape ``(n_chunks, 0, 0)`` skip the M-step (prediction and the
final assignment) and an inertia of shape ``(0,)`` skips the inertia.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeansx._kernels._jit import jit
from kmeansx._kernels.centered import value


@jit()
def chunk_rows(c, chunk_size, n_samples):
    """Rows ``start:stop`` of chunk ``c``."""
    start = c * chunk_size
    return start, min(start + chunk_size, n_samples)


@jit()
def open_chunk(c, chunk_size, n_samples, sums_out, weights_out):
    """Rows ``start:stop`` of chunk ``c``, returned once its sums slot is zeroed."""
    start, stop = chunk_rows(c, chunk_size, n_samples)
    if sums_out.shape[1] > 0:
        sums_out[c][:] = 0.0
        weights_out[c][:] = 0.0
    return start, stop


@jit()
def _left_out(flags_b, r):
    # Lloyd's pass has no flags (None): Numba then compiles the test away.
    if flags_b is None:
        return False
    return flags_b[r] != 0


@jit()
def _rows_of(flags, start, stop):
    # A view indexed from 0 (see chunk_partials), or None.
    if flags is None:
        return None
    return flags[start:stop]


@jit()
def chunk_partials(
    X,
    sample_weight,
    centers,
    labels,
    flags,
    chunk_size,
    c,
    sums_out,
    weights_out,
    inertia_out,
    x_mean=None,
):
    """Chunk ``c``'s partial sums (and inertia) from its rows' labels: every pass
    calls this once it has labelled the chunk, and the replay of ambiguous rows
    once it has settled them.

    Rows with ``flags[i] != 0`` are left out (their labels await the replay);
    ``flags=None`` keeps every row.
    """
    start, stop = open_chunk(c, chunk_size, X.shape[0], sums_out, weights_out)
    n_features = X.shape[1]
    update = sums_out.shape[1] > 0
    want_inertia = inertia_out.shape[0] > 0
    # Views of the rows indexed from 0: Numba then knows no index is negative and
    # drops its wraparound test from the loops.
    X_b = X[start:stop]
    labels_b = labels[start:stop]
    weight_b = sample_weight[start:stop]
    flags_b = _rows_of(flags, start, stop)
    inertia = 0.0
    for r in range(X_b.shape[0]):
        if _left_out(flags_b, r):
            continue
        label = labels_b[r]
        w = np.float64(weight_b[r])
        if want_inertia:
            sq = 0.0
            for f in range(n_features):
                diff = np.float64(value(X_b, x_mean, r, f)) - np.float64(
                    centers[label, f]
                )
                sq += diff * diff
            inertia += sq * w
        if update:
            weights_out[c, label] += w
            if n_features == 2:
                # Written out (a loop of two costs several times the sums); the
                # same sums in the same order.
                x0 = np.float64(value(X_b, x_mean, r, 0))
                x1 = np.float64(value(X_b, x_mean, r, 1))
                sums_out[c, label, 0] += w * x0
                sums_out[c, label, 1] += w * x1
            else:
                for f in range(n_features):
                    sums_out[c, label, f] += w * np.float64(value(X_b, x_mean, r, f))
    if want_inertia:
        inertia_out[c] = inertia


@jit()
def chunk_label_sums(
    X, sample_weight, labels, flags, chunk_size, c, redo, sums_out, weights_out, x_mean
):
    """Chunk ``c``'s sums of the labels ``j`` with ``redo[j]``, summed again: its
    rows of those labels in row order, flagged rows left out (``flags=None``
    keeps every row), as :func:`chunk_partials` adds them. The other labels' slots
    are not touched."""
    start, stop = chunk_rows(c, chunk_size, X.shape[0])
    for j in range(redo.shape[0]):
        if redo[j]:
            sums_out[c, j, :] = 0.0
            weights_out[c, j] = 0.0
    # Views indexed from 0: Numba then drops its negative-index tests.
    X_b = X[start:stop]
    labels_b = labels[start:stop]
    weight_b = sample_weight[start:stop]
    flags_b = _rows_of(flags, start, stop)
    # The expressions of chunk_partials (tests check the bits are the same).
    for r in range(X_b.shape[0]):
        label = labels_b[r]
        if not redo[label] or _left_out(flags_b, r):
            continue
        w = np.float64(weight_b[r])
        weights_out[c, label] += w
        for f in range(X_b.shape[1]):
            sums_out[c, label, f] += w * np.float64(value(X_b, x_mean, r, f))


@jit()
def resum_changed(
    X,
    sample_weight,
    labels,
    flags,
    before,
    chunk_size,
    c,
    sums_out,
    weights_out,
    x_mean,
):
    """Chunk ``c``'s sums after a pass relabelled its rows (``before``: their labels
    before it), from the slot's sums of the pass before: only the labels that a row
    left or joined, or that a flagged row holds, are summed again.

    A slot ``(c, j)`` adds chunk ``c``'s rows of label ``j`` in row order; if no row
    joined or left ``j``, those are the same rows as at the last pass that summed
    it, so its float64 sums are the same bits. Flagged rows are left out of their
    label's slot, as :func:`chunk_partials` leaves them out, for the replay.
    """
    start, stop = chunk_rows(c, chunk_size, X.shape[0])
    redo = np.zeros(sums_out.shape[1], dtype=np.bool_)
    any_redo = False
    labels_b = labels[start:stop]
    flags_b = flags[start:stop]
    for r in range(stop - start):
        a = before[r]
        b = labels_b[r]
        if a != b or flags_b[r] != 0:
            redo[a] = True
            redo[b] = True
            any_redo = True
    if any_redo:
        chunk_label_sums(
            X,
            sample_weight,
            labels,
            flags,
            chunk_size,
            c,
            redo,
            sums_out,
            weights_out,
            x_mean,
        )


@jit(parallel=True)
def label_partials(
    X,
    sample_weight,
    labels,
    chunk_size,
    chunks,
    redo,
    sums_out,
    weights_out,
    x_mean=None,
):
    """Recompute, in chunk ``chunks[q]``, the partial sums of the labels ``j`` with
    ``redo[q, j]`` (after a replay settled rows the pass left out).

    A chunk's sums of label ``j`` add its rows of label ``j`` in row order, and no
    other row: the pass already summed every label no replayed row ended in, as
    Lloyd's kernel would, so only the replayed rows' labels need redoing, and only
    their rows are read.
    """
    for q in prange(chunks.shape[0]):
        chunk_label_sums(
            X,
            sample_weight,
            labels,
            None,
            chunk_size,
            chunks[q],
            redo[q],
            sums_out,
            weights_out,
            x_mean,
        )
