"""One pass of an exact bound-based algorithm (Elkan, Hamerly, Yinyang).

Every pass is the same walk over the fixed chunks of :mod:`kmeansx._kernels._chunks`,
in parallel, written once (:func:`_bound_pass`): the algorithm's ``label_chunk``
(:mod:`~kmeansx._kernels.elkan`, :mod:`~kmeansx._kernels.hamerly`,
:mod:`~kmeansx._kernels.yinyang`) labels the chunk's rows and updates their
bounds, then Lloyd's own code adds the chunk's rows, in order, to the chunk's slot
of partial sums (:func:`kmeansx._kernels.partials.chunk_partials`), or, once the
slots hold the last pass's sums, sums again only the labels that changed. It is
compiled once per algorithm (``elkan_pass``, ``hamerly_pass``, ``yinyang_pass``),
so that a fit compiles only its algorithm's code.
"""

from __future__ import annotations

from numba import prange

from kmeansx._kernels import elkan, hamerly, partials, yinyang
from kmeansx._kernels._jit import jit, specialized


def _bound_pass(
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
    """One pass of ``algorithm``: labels, bounds and Lloyd's per-chunk partial sums.

    With ``params.incremental`` the slots of ``sums_out`` and ``weights_out`` hold
    the sums of the labels before this pass, and only the labels a row joined or
    left are summed again (:func:`kmeansx._kernels.partials.resum_changed`): once
    the centers settle, a pass then reads the few rows near a border instead of
    every row, and its sums are the same bits. The inertia needs every row, so
    ``inertia_out`` must then be empty.

    ``info`` (:class:`~kmeansx._kernels.bounds.BoundArrays`) and ``params``
    (:class:`~kmeansx._kernels.bounds.BoundParams`) are read by name. The bounds
    (float32): ``upper_inout`` (n,) the upper bounds; ``lower_inout`` (n,)
    Hamerly's lower bounds or Yinyang's global one; ``lowers_inout`` Elkan's (n, k)
    or Yinyang's (n, n_groups) lazy lower bounds; the algorithm ignores those it
    does not keep. Ambiguous rows keep their label and get ``flags_out[i] = 1``;
    ``flagged_out[c]`` counts them per chunk, whose partial sums leave them out
    until the caller's replay settles them. Outputs as in
    :func:`kmeansx._kernels.assign.assign_update_dense`; every array written is an
    argument of its own, as Numba's parfors do not write through arrays held in a
    tuple.
    """
    for c in prange(changed_out.shape[0]):
        start, stop = partials.chunk_rows(c, chunk_size, X.shape[0])
        # The labels before the pass, when the sums are only redone where they
        # changed (an empty copy otherwise, so that the variable has one type).
        before = labels_inout[start : stop if params.incremental else start].copy()
        changed, flagged = algorithm.label_chunk(  # noqa: F821 (bound below)
            X,
            centers,
            info,
            params,
            start,
            stop,
            labels_inout,
            upper_inout,
            lower_inout,
            lowers_inout,
            flags_out,
            x_mean,
        )
        changed_out[c] = changed
        flagged_out[c] = flagged
        if params.incremental:
            partials.resum_changed(
                X,
                sample_weight,
                labels_inout,
                flags_out,
                before,
                chunk_size,
                c,
                sums_out,
                weights_out,
                x_mean,
            )
        else:
            partials.chunk_partials(
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


elkan_pass = jit(parallel=True)(specialized(_bound_pass, "elkan_pass", algorithm=elkan))
hamerly_pass = jit(parallel=True)(
    specialized(_bound_pass, "hamerly_pass", algorithm=hamerly)
)
yinyang_pass = jit(parallel=True)(
    specialized(_bound_pass, "yinyang_pass", algorithm=yinyang)
)
