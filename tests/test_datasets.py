"""The built-in wine data."""

import numpy as np
import pandas as pd

from kmeansx.datasets import load_wine


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
