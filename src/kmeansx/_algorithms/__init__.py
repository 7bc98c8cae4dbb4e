"""Drivers: one run of an exact algorithm, mirroring :mod:`kmeansx._kernels`.

- :mod:`.loop`: the iteration loop every algorithm and backend shares, and its
  result;
- :mod:`.step`: the step protocol (one pass over the data per iteration) and the
  in-memory base every step class builds on;
- :mod:`.relocation`: empty-cluster relocation and the centers' update;
- :mod:`.lloyd`, :mod:`.bounded` (what the bound-based steps share, and Lloyd's
  replay), :mod:`.elkan`, :mod:`.hamerly`, :mod:`.yinyang`: one step class each;
- :mod:`.registry`: the algorithms by name, the ``"auto"`` rule, and :func:`run`.

Adding an exact algorithm: a kernel module in ``_kernels/``, one step class here,
one entry in :data:`.registry.STEPS`, and a NumPy oracle in ``tests/reference.py``.
"""
