"""One pass of an exact bound-based algorithm (Elkan, Hamerly, Yinyang).

What every pass does per chunk is written here once: the chunks are the fixed
ones of :mod:`kmeansx._kernels._chunks`, walked in parallel; the algorithm's
function labels the chunk's rows and updates their bounds
(:func:`kmeansx._kernels.elkan.elkan_chunk`, ``hamerly_chunk``,
``yinyang_chunk``), then Lloyd's own code adds the chunk's rows, in order, to the
chunk's slot of partial sums (:func:`kmeansx._kernels.partials.chunk_partials`),
leaving out the ambiguous rows that Lloyd's replay will settle.
"""

from __future__ import annotations

from numba import prange

from kmeansx._kernels._jit import jit
from kmeansx._kernels.bounds import ELKAN, HAMERLY
from kmeansx._kernels.elkan import elkan_chunk
from kmeansx._kernels.hamerly import hamerly_chunk
from kmeansx._kernels.partials import chunk_partials
from kmeansx._kernels.yinyang import yinyang_chunk


@jit(parallel=True)
def bound_pass(
    X,
    sample_weight,
    centers,
    info,
    params,
    chunk_size,
    labels_inout,
    upper_inout,
    lower_inout,
    lowers_inout,
    flags_out,
    sums_out,
    weights_out,
    inertia_out,
    changed_out,
    flagged_out,
    x_mean=None,
):
    """One pass of ``params.algorithm``: labels, bounds and Lloyd's per-chunk
    partial sums.

    ``info`` (:class:`~kmeansx._kernels.bounds.BoundArrays`) and ``params``
    (:class:`~kmeansx._kernels.bounds.BoundParams`) are read by name. The bounds:
    ``upper_inout`` (n,) the upper bounds; ``lower_inout`` (n,) Hamerly's lower
    bounds or Yinyang's global one; ``lowers_inout`` Elkan's (n, k) or Yinyang's
    (n, n_groups) lazy lower bounds (float32; an unused one may be empty).
    Ambiguous rows keep their label and get ``flags_out[i] = 1``;
    ``flagged_out[c]`` counts them per chunk, whose partial sums leave them out
    until the caller's replay settles them. Outputs as in
    :func:`kmeansx._kernels.assign.assign_update_dense`; every array written here
    is an argument of its own, as Numba's parfors do not write through arrays
    held in a tuple.
    """
    for c in prange(changed_out.shape[0]):
        start = c * chunk_size
        stop = min(start + chunk_size, X.shape[0])
        args = (X, centers, info, params, start, stop, labels_inout, upper_inout)
        if params.algorithm == HAMERLY:
            changed, flagged = hamerly_chunk(*args, lower_inout, flags_out, x_mean)
        elif params.algorithm == ELKAN:
            changed, flagged = elkan_chunk(*args, lowers_inout, flags_out, x_mean)
        else:
            changed, flagged = yinyang_chunk(
                *args, lower_inout, lowers_inout, flags_out, x_mean
            )
        changed_out[c] = changed
        flagged_out[c] = flagged
        chunk_partials(
            X,
            sample_weight,
            centers,
            labels_inout,
            flags_out,
            chunk_size,
            c,
            sums_out,
            weights_out,
            inertia_out,
            x_mean,
        )
