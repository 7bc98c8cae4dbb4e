"""Numba kernels: pure functions over arrays that fill caller-supplied buffers.

Kernels never see an estimator, a DataFrame, a Dask array or a random state. The
drivers in ``kmeansx._algorithms`` and ``kmeansx._init`` call them once per iteration.
"""
