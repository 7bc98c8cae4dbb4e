"""Rows of ``X`` centered on the fly: ``X[i, f] - x_mean[f]``.

A fit centers dense data on its mean (so that the norm expansion loses less
precision) without a centered copy of the data: the kernels take the mean as
``x_mean`` and subtract it where they read ``X``, in ``X``'s dtype, which gives the
very values a centered copy would hold. ``x_mean=None`` reads ``X`` as it is, and
Numba compiles that case without the subtraction.
"""

from __future__ import annotations

from kmeansx._kernels._jit import jit


@jit()
def value(X, x_mean, i, f):
    """``X[i, f]``, less ``x_mean[f]`` unless ``x_mean`` is None."""
    if x_mean is None:
        return X[i, f]
    return X[i, f] - x_mean[f]
