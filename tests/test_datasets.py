"""The built-in data: the wine data and the shipped Mall Customers table."""

from importlib.resources import files

import numpy as np
import pandas as pd

from kmeansx.datasets import MALL_COLUMNS, load_mall_customers, load_wine


def test_wine_data_and_cultivar_apart():
    X, cultivar = load_wine()
    assert isinstance(X, pd.DataFrame) and X.shape == (178, 13)
    assert "proline" in X.columns and "cultivar" not in X.columns
    assert isinstance(cultivar, pd.Series) and cultivar.name == "cultivar"
    assert cultivar.index.equals(X.index)
    assert sorted(cultivar.unique()) == [0, 1, 2]
    assert all(np.issubdtype(t, np.floating) for t in X.dtypes)
    # the reason for the demo: the scales differ by orders of magnitude
    assert X["proline"].std() > 100 * X["hue"].std()


def test_each_call_returns_fresh_copies():
    X1, _ = load_wine()
    X1.iloc[0, 0] = -1.0
    X2, _ = load_wine()
    assert X2.iloc[0, 0] != -1.0


def test_mall_customers_are_shipped_with_the_package():
    customers = load_mall_customers()
    assert isinstance(customers, pd.DataFrame) and customers.shape == (200, 4)
    assert list(customers.columns) == ["CustomerID", "Age", *MALL_COLUMNS]
    assert all(np.issubdtype(t, np.integer) for t in customers.dtypes)
    assert customers["Annual Income"].between(15, 137).all()
    assert customers["Spending Score"].between(1, 99).all()
    # each call reads the file again: a caller's edits do not leak into the next
    customers.loc[0, "Age"] = -1
    assert load_mall_customers().loc[0, "Age"] != -1


def test_mall_customers_source_note_ships_beside_the_data():
    note = (files("kmeansx") / "data" / "README.md").read_text(encoding="utf-8")
    assert "Kedar-K/Customer-Segmentation-Heirarchal-clustering" in note
    assert "Changes made" in note
