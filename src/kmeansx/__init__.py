"""kmeansx: exact, fast k-means for analysts, learners and engineers.

Importing kmeansx is cheap: Numba kernels compile on first use, and the optional
parts (plots, Dask) import their dependencies only when called.
"""

from kmeansx._estimator import KMeans
from kmeansx._history import KMeansHistory
from kmeansx.steps import kmeans_plusplus

__all__ = ["KMeans", "KMeansHistory", "kmeans_plusplus"]
__version__ = "0.1.0"
