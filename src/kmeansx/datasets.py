"""Built-in demo data: the wine data that scikit-learn ships (no download)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["WineData", "load_wine"]


class WineData(NamedTuple):
    """The wine measurements and, apart, the cultivar each wine came from."""

    data: object
    cultivar: object


def load_wine() -> WineData:
    """178 Italian wines, 13 chemical measurements, 3 cultivars.

    The measurements live on very different scales (hue around 1, proline in the
    hundreds to thousands), which makes the data the classic demonstration of why
    k-means needs standardized columns. The cultivar is kept apart, as the answer
    clustering never sees.

    Returns
    -------
    WineData
        ``data``: a DataFrame of shape (178, 13) with scikit-learn's column names;
        ``cultivar``: a Series of 0, 1, 2 named "cultivar", on the same index.

    Examples
    --------
    >>> from kmeansx.datasets import load_wine
    >>> X, cultivar = load_wine()
    >>> X.shape, cultivar.value_counts().sort_index().tolist()
    ((178, 13), [59, 71, 48])
    """
    from sklearn.datasets import load_wine as _sk_load_wine

    bunch = _sk_load_wine(as_frame=True)
    data = bunch.data.copy()
    cultivar = bunch.target.rename("cultivar").astype("int64")
    return WineData(data, cultivar)
