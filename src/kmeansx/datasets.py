"""Built-in demo data, no download: the lesson's Mall Customers table (shipped in
the package) and the wine data that scikit-learn ships."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["WineData", "load_wine", "load_mall_customers", "MALL_COLUMNS"]

#: The two columns the lesson segments the customers on.
MALL_COLUMNS = ["Annual Income", "Spending Score"]


class WineData(NamedTuple):
    """The wine measurements and, apart, the cultivar each wine came from."""

    data: object
    cultivar: object


def load_mall_customers():
    """The lesson's Mall Customers table: 200 loyalty-card members of a mall.

    The public "Mall Customer Segmentation Data" (Kaggle's ``Mall_Customers.csv``),
    taken from the GitHub repository
    ``Kedar-K/Customer-Segmentation-Heirarchal-clustering``, with the ``Genre``
    column dropped and the other columns renamed; no value changed. The file and a
    note on its source and changes ship inside the package
    (``kmeansx/data/mall_customers.csv`` and ``kmeansx/data/README.md``);
    ``kmeansx dataset mall -o mall_customers.csv`` writes it out for the command
    line.

    Returns
    -------
    DataFrame of shape (200, 4)
        Integer columns, one row per customer:

        - ``CustomerID``: 1 to 200, an identifier (not something to cluster on);
        - ``Age``: in years, 18 to 70;
        - ``Annual Income``: in thousands of dollars, 15 to 137;
        - ``Spending Score``: 1 to 99, a score the mall gives from the customer's
          behaviour and spending.

    Notes
    -----
    The lesson segments the customers on ``Annual Income`` and ``Spending Score``
    (:data:`MALL_COLUMNS`), standardized first. There
    ``KMeans(n_clusters=k, n_init=10, random_state=42)`` reaches the lesson's
    inertias 269.69, 157.70, 108.92 and 65.57 for k = 2..5, and most methods of
    :func:`kmeansx.choose_k` recommend k = 5. Four (income, score) pairs occur
    twice.

    Examples
    --------
    >>> from kmeansx.datasets import load_mall_customers, MALL_COLUMNS
    >>> customers = load_mall_customers()
    >>> customers.shape
    (200, 4)
    >>> customers[MALL_COLUMNS].head(2).to_numpy().tolist()
    [[15, 39], [15, 81]]
    """
    from importlib.resources import files

    import pandas as pd

    # Read through the resource API, not a path: the package may be installed as
    # a zip, where the file has no path of its own.
    with (files("kmeansx") / "data" / "mall_customers.csv").open("rb") as f:
        return pd.read_csv(f)


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
