"""Bad input gets a plain ValueError that says what is wrong and where, raised at
the boundary: never an error from inside Numba."""

from __future__ import annotations

import traceback

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from kmeansx import KMeans, segment, steps
from kmeansx._validation import format_rows


def raises_here(match, call, *args, **kwargs):
    """Call and check: a plain ValueError matching ``match``, from Python code of
    kmeansx (or scikit-learn's validation it calls), nothing from Numba."""
    with pytest.raises(ValueError, match=match) as info:
        call(*args, **kwargs)
    exc = info.value
    assert type(exc) is ValueError, type(exc)
    frames = [f.filename for f in traceback.extract_tb(exc.__traceback__)]
    assert not any("numba" in f for f in frames), frames
    assert any("kmeansx" in f for f in frames), frames
    return str(exc)


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(20, 3))


@pytest.fixture
def fitted(X):
    return KMeans(2, random_state=0).fit(X)


# -- non-finite values ---------------------------------------------------------------


def test_nan_names_the_column_and_rows(X):
    X[[3, 7], 1] = np.nan
    msg = raises_here("NaN", KMeans(2).fit, X)
    assert "column '1'" in msg and "3, 7" in msg and "dropna" in msg


def test_inf_names_the_column_and_rows(X):
    X[5, 2] = -np.inf
    msg = raises_here("inf", KMeans(2).fit, X)
    assert "column '2'" in msg and "row(s) 5)" in msg
    msg = raises_here("inf", KMeans(2).fit, sp.csr_matrix(X))
    assert "column '2'" in msg and "row(s) 5)" in msg


def test_dataframe_nan_names_the_column_and_index_labels(X):
    df = pd.DataFrame(X, columns=["income", "score", "age"])
    df.index = [f"customer-{i}" for i in range(20)]
    df.loc[["customer-4", "customer-9"], "score"] = np.nan
    msg = raises_here("NaN", KMeans(2).fit, df)
    assert "'score'" in msg and "customer-4, customer-9" in msg


def test_many_bad_rows_are_summarized(X):
    X[:, 0] = np.nan
    msg = raises_here("NaN", KMeans(2).fit, X)
    assert "20 rows in all" in msg


def test_predict_transform_score_check_finiteness(fitted, X):
    X[2, 0] = np.nan
    for method in (fitted.predict, fitted.transform, fitted.score):
        assert "column '0'" in raises_here("NaN", method, X)


# -- non-numeric data ----------------------------------------------------------------


def test_non_numeric_dataframe_columns_are_named(X):
    df = pd.DataFrame(X, columns=["income", "score", "age"])
    df["name"] = "Ann"
    df["city"] = "Oslo"
    msg = raises_here("non-numeric", KMeans(2).fit, df)
    assert "'name'" in msg and "'city'" in msg and "Ann" in msg


def test_text_in_an_object_array_is_located(X):
    obj = X.astype(object)
    obj[4, 1] = "twelve"
    msg = raises_here("non-numeric", KMeans(2).fit, obj)
    assert "'twelve'" in msg and "row 4" in msg and "column 1" in msg


def test_one_message_for_text_columns_in_the_api_and_the_tables(X):
    df = pd.DataFrame(X, columns=["income", "score", "age"])
    df["name"] = ["Ann", "Bo"] * 10
    api = raises_here("non-numeric", KMeans(2).fit, df)
    table = raises_here("non-numeric", segment, df, list(df.columns), n_clusters=2)
    where = "column 'name' holds text ('Ann' at row 0, 1, 2, 3, 4, ... (20 rows"
    assert where in api and where in table
    assert api.removeprefix("X") == table.removeprefix("the table")


def test_numbers_stored_as_text_and_complex_columns_are_named(X):
    df = pd.DataFrame(X, columns=["income", "score", "age"])
    df["age"] = df["age"].astype(str)
    msg = raises_here("stored as text", KMeans(2).fit, df)
    assert "pd.to_numeric(df['age'])" in msg
    df["age"] = X[:, 2] + 1j
    assert "'age'" in raises_here("complex column", segment, df, n_clusters=2)


def test_object_columns_of_numbers_are_accepted_as_object_arrays_are(X):
    df = pd.DataFrame(X, columns=["income", "score", "age"])
    km = KMeans(2, random_state=0).fit(df.astype(object))
    ref = KMeans(2, random_state=0).fit(df)
    np.testing.assert_array_equal(km.labels_, ref.labels_)


def test_row_lists_are_summarized_past_five():
    assert format_rows([3, 9]) == "3, 9"
    assert format_rows(pd.Index(["a", "b", "c", "d", "e", "f"])) == (
        "a, b, c, d, e, ... (6 rows in all)"
    )


def test_numeric_object_arrays_are_accepted(X):
    km = KMeans(2, random_state=0).fit(X.astype(object))
    ref = KMeans(2, random_state=0).fit(X)
    np.testing.assert_array_equal(km.labels_, ref.labels_)


# -- shapes ----------------------------------------------------------------------------


def test_empty_input():
    assert "0 sample" in raises_here("empty", KMeans(2).fit, np.empty((0, 3)))
    raises_here("0 feature", KMeans(2).fit, np.empty((5, 0)))


def test_one_dimensional_input(X):
    msg = raises_here("1D array", KMeans(2).fit, X[:, 0])
    assert "reshape(-1, 1)" in msg
    raises_here("1D array", KMeans(2).fit, [])


def test_three_dimensional_input():
    raises_here("3D", KMeans(2).fit, np.ones((4, 3, 2)))


def test_more_clusters_than_samples(X):
    msg = raises_here("n_samples=20 should be >= n_clusters=21", KMeans(21).fit, X)
    assert "at most 20" in msg


def test_wrong_number_of_features_after_fit(fitted, X):
    for method in (fitted.predict, fitted.transform, fitted.score):
        raises_here("2 features, but KMeans is expecting 3", method, X[:, :2])


def test_init_of_the_wrong_shape(X):
    raises_here("number of clusters 2", KMeans(2, init=X[:3]).fit, X)
    raises_here("number of features", KMeans(2, init=X[:2, :2]).fit, X)
    bad = X[:2].copy()
    bad[0, 0] = np.nan
    raises_here("init contains NaN", KMeans(2, init=bad).fit, X)


# -- sample_weight ---------------------------------------------------------------------


def test_sample_weight_of_the_wrong_shape(X):
    msg = raises_here("sample_weight has 5 entries", KMeans(2).fit, X, None, np.ones(5))
    assert "(20,)" in msg
    raises_here("1-D", KMeans(2).fit, X, None, np.ones((20, 2)))


def test_negative_sample_weight(X):
    w = np.ones(20)
    w[[2, 11]] = -1.0
    msg = raises_here("non-negative", KMeans(2).fit, X, None, w)
    assert "2, 11" in msg


def test_nan_sample_weight(X, fitted):
    w = np.ones(20)
    w[6] = np.nan
    assert "row(s) 6" in raises_here("NaN", KMeans(2).fit, X, None, w)
    assert "row(s) 6" in raises_here("NaN", fitted.score, X, None, w)


def test_all_zero_sample_weight(X):
    raises_here("sums to zero", KMeans(2).fit, X, None, np.zeros(20))


@pytest.mark.parametrize("weight", [0, -2.0, np.nan, np.inf])
def test_a_single_sample_weight_must_be_positive_and_finite(X, weight):
    raises_here(
        "a single weight must be a finite number > 0", KMeans(2).fit, X, None, weight
    )


# -- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_clusters": 0}, "n_clusters must be >= 1"),
        ({"n_clusters": 2.5}, "n_clusters must be an int"),
        ({"init": "kmeans++"}, "init must be 'k-means\\+\\+', 'random'"),
        ({"init": 3}, "init must be"),
        ({"algorithm": "fast"}, "algorithm must be one of"),
        ({"tol": -1e-4}, "tol must be a float >= 0"),
        ({"n_init": 0}, "n_init must be >= 1"),
        ({"max_iter": 0}, "max_iter must be >= 1"),
    ],
)
def test_bad_parameters(X, params, match):
    msg = raises_here(match, KMeans(**{"n_clusters": 2, **params}).fit, X)
    assert repr(next(iter(params.values()))) in msg or "got" in msg


# -- the lesson's steps check too ------------------------------------------------------


def test_steps_validate_their_input(X):
    bad = X.copy()
    bad[1, 2] = np.nan
    assert "column '2'" in raises_here("NaN", steps.assign, bad, X[:2])
    raises_here("features", steps.assign, X, X[:2, :2])
    raises_here("NaN", steps.distances, X, bad[:2])
    raises_here("labels must", steps.update, X, np.full(20, 5), X[:2])
    raises_here("labels must have shape", steps.update, X, np.zeros(3), X[:2])
    raises_here("1D array", steps.standardize, X[:, 0])
    raises_here("n_samples=20 should be >= n_clusters=30", steps.kmeans_plusplus, X, 30)
