"""The lesson's figures on its own data: Mall Customers, standardized income and
spending score, ``KMeans(n_clusters=k, n_init=10, random_state=42)``."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from conftest import MALL_CUSTOMERS as DATA
from kmeansx import KMeans
from kmeansx.datasets import MALL_COLUMNS as COLUMNS
from kmeansx.datasets import load_mall_customers
from kmeansx.steps import standardize

SHA256 = "818e6180d460df7097103bf0cf9d20e12a37e4a4461cf9cefadd7a2a0219092a"


@pytest.fixture(scope="module")
def customers():
    return load_mall_customers()


def test_shipped_file_is_the_documented_copy():
    # The sha256 kmeansx/data/README.md gives: byte for byte the copy whose
    # source and changes it records.
    assert hashlib.sha256(DATA.read_bytes()).hexdigest() == SHA256
    pd.testing.assert_frame_equal(pd.read_csv(DATA), load_mall_customers())


def test_data_is_the_documented_file(customers):
    # The facts kmeansx/data/README.md states about this copy.
    assert list(customers.columns) == ["CustomerID", "Age"] + COLUMNS
    assert len(customers) == 200
    assert customers["CustomerID"].tolist() == list(range(1, 201))
    assert customers["Annual Income"].sum() == 12112
    assert customers["Spending Score"].sum() == 10040
    first = customers[COLUMNS].head(5).to_numpy().tolist()
    assert first == [[15, 39], [15, 81], [16, 6], [16, 77], [17, 40]]
    assert customers.duplicated(COLUMNS).sum() == 4


# The lesson prints 269.69, 157.70, 108.92 and 65.57 (rounded); the best known
# inertia for k=2 is 269.016794 (a 111/89 split, every split checked).
LESSON = {2: 269.70, 3: 157.71, 4: 108.93, 5: 65.57}
BEST_KNOWN_K2 = 269.016794


@pytest.mark.parametrize("k", sorted(LESSON))
def test_lesson_inertia_is_reached(customers, k):
    X = standardize(customers[COLUMNS]).data
    km = KMeans(n_clusters=k, n_init=10, random_state=42).fit(X)
    assert km.inertia_ <= LESSON[k]
    if k == 2:  # no clustering can beat the optimum
        assert km.inertia_ >= BEST_KNOWN_K2 - 1e-6
    assert np.bincount(km.labels_).shape == (k,)
    np.testing.assert_array_equal(km.feature_names_in_, COLUMNS)
