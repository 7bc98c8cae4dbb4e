"""kmeansx: exact, fast k-means for analysts, learners and engineers.

Importing kmeansx is cheap: Numba kernels compile on first use, and the optional
parts (plots, Dask) import their dependencies only when called.
"""

# choose_k, segment, save and load are imported eagerly (they add only pandas,
# already loaded) so that ``kmeansx.segment`` is always the function, never the
# module of that name; plot and datasets load on first use (see __getattr__).
from kmeansx._bisecting import BisectingKMeans
from kmeansx._estimator import KMeans
from kmeansx._history import KMeansHistory
from kmeansx._minibatch import MiniBatchKMeans
from kmeansx._spherical import SphericalKMeans
from kmeansx._version import __version__
from kmeansx.io import load, save
from kmeansx.segment import segment
from kmeansx.selection import choose_k
from kmeansx.steps import kmeans_plusplus

__all__ = ["KMeans", "BisectingKMeans", "KMeansHistory", "kmeans_plusplus"]
__all__ += ["MiniBatchKMeans"]
__all__ += ["SphericalKMeans"]
__all__ += ["choose_k", "segment", "save", "load", "plot", "datasets", "__version__"]


def __getattr__(name):
    # kmeansx.plot imports matplotlib only when first used.
    if name in ("plot", "datasets"):
        import importlib

        return importlib.import_module(f"kmeansx.{name}")
    raise AttributeError(f"module 'kmeansx' has no attribute {name!r}")
