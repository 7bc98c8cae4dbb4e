"""choose_k: each method against its definition, the vote, and the lesson's data."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from conftest import groups
from kmeansx import KMeans, choose_k
from kmeansx._knee import find_knee
from kmeansx.datasets import load_mall_customers
from kmeansx.selection import METHODS, _gap_choice, _vote


def blobs(rng, centers=((0, 0), (6, 0), (3, 6)), n=40, sd=0.5):
    return groups(rng, centers, n, sd)


def test_mall_customers_recommend_five():
    df = load_mall_customers()
    choice = choose_k(
        df,
        columns=["Annual Income", "Spending Score"],
        scale="standard",
        random_state=42,
        progress=False,
    )
    assert choice.recommended_k == 5
    for method in ("elbow", "silhouette", "davies_bouldin"):
        assert choice.recommended[method] == 5, method
    # The lesson's inertias (issue 2) for k = 2..5, from the same fits.
    lesson = {2: 269.70, 3: 157.71, 4: 108.93, 5: 65.57}
    inertia = choice.table.set_index("k")["inertia"]
    for k, bound in lesson.items():
        assert inertia[k] <= bound
    assert "5" in choice.reason


def test_separated_blobs_every_method_finds_three():
    X = blobs(np.random.default_rng(0), n=25)
    choice = choose_k(
        X, range(1, 7), random_state=0, n_init=3, gap_references=5, progress=False
    )
    assert choice.recommended == {m: 3 for m in METHODS}
    assert choice.recommended_k == 3
    assert choice.reason.startswith("k = 3")


def test_table_scores_match_sklearn_metrics_on_the_same_fits():
    rng = np.random.default_rng(1)
    X = blobs(rng, n=25)
    choice = choose_k(X, range(1, 6), random_state=3, n_init=2, progress=False)
    table = choice.table.set_index("k")
    assert list(table.index) == [1, 2, 3, 4, 5]
    for col in ("silhouette", "calinski_harabasz", "davies_bouldin"):
        assert np.isnan(table.loc[1, col])
    for k in range(2, 6):
        km = KMeans(k, n_init=2, random_state=3).fit(X)
        assert table.loc[k, "inertia"] == pytest.approx(km.inertia_, rel=1e-12)
        assert table.loc[k, "silhouette"] == pytest.approx(
            metrics.silhouette_score(X, km.labels_)
        )
        assert table.loc[k, "calinski_harabasz"] == pytest.approx(
            metrics.calinski_harabasz_score(X, km.labels_)
        )
        assert table.loc[k, "davies_bouldin"] == pytest.approx(
            metrics.davies_bouldin_score(X, km.labels_)
        )
    best_sil = int(table["silhouette"].idxmax())
    assert choice.recommended["silhouette"] == best_sil
    assert choice.recommended["davies_bouldin"] == int(table["davies_bouldin"].idxmin())
    # the elbow column is Kneedle's difference curve: the knee is its peak
    assert choice.recommended["elbow"] == int(table["elbow"].idxmax())


def test_silhouette_is_sampled_above_the_stated_size():
    X = blobs(np.random.default_rng(2), n=30)
    choice = choose_k(
        X,
        [3],
        methods=("silhouette",),
        random_state=5,
        silhouette_sample_size=40,
        progress=False,
    )
    labels = KMeans(3, n_init=10, random_state=5).fit(X).labels_
    sampled = metrics.silhouette_score(X, labels, sample_size=40, random_state=5)
    assert choice.table["silhouette"].iloc[0] == pytest.approx(sampled)
    assert sampled != pytest.approx(metrics.silhouette_score(X, labels))
    # the result says how many rows the silhouette saw, for the pictures to say
    assert (choice.silhouette_sample, choice.n_samples) == (40, 90)
    whole = choose_k(X, [3], methods=("silhouette",), random_state=5, progress=False)
    assert whole.silhouette_sample is None


def test_gap_uses_log_inertia_of_reference_sets_and_one_se_rule():
    X = blobs(np.random.default_rng(3), n=30)
    choice = choose_k(
        X, range(1, 6), methods=("gap",), random_state=0, gap_references=5,
        progress=False,
    )  # fmt: skip
    t = choice.table
    assert {"gap", "gap_sd"} <= set(t.columns)
    assert (t["gap_sd"] > 0).all()
    ks, gap, sd = t["k"].tolist(), t["gap"].to_numpy(), t["gap_sd"].to_numpy()
    k = choice.recommended["gap"]
    i = ks.index(k)
    assert gap[i] >= gap[i + 1] - sd[i + 1]
    for j in range(i):
        assert gap[j] < gap[j + 1] - sd[j + 1]


def test_gap_rule_unit():
    ks = [1, 2, 3, 4]
    # gap(2) >= gap(3) - s(3) first holds at k = 2
    assert _gap_choice(ks, np.array([0.1, 0.5, 0.55, 0.6]), np.full(4, 0.1)) == 2
    # never holds: the largest k
    assert _gap_choice(ks, np.array([0.1, 0.5, 0.9, 1.4]), np.full(4, 0.01)) == 4


def test_knee_of_a_clear_elbow_and_none_below_three_ks():
    knee, diff = find_knee([1, 2, 3, 4, 5, 6], [100.0, 60.0, 25.0, 20.0, 17.0, 15.0])
    assert knee == 3 and int(np.argmax(diff)) == 2
    knee, diff = find_knee([1, 2], [10.0, 1.0])
    assert knee is None and np.isnan(diff).all()


def test_vote_majority_then_priority():
    k, reason = _vote(
        {"elbow": 4, "silhouette": 3, "gap": 3, "davies_bouldin": 4}, METHODS
    )
    assert k == 4  # 2 against 2: the tie goes to the elbow
    assert "tie" in reason and "elbow" in reason
    k, _ = _vote({"elbow": 4, "silhouette": 3, "gap": 3}, METHODS)
    assert k == 3
    k, reason = _vote({"elbow": None, "silhouette": 6}, ("elbow", "silhouette"))
    assert k == 6 and "no recommendation from the elbow" in reason
    assert _vote({"elbow": None}, ("elbow",))[0] is None


def test_scale_standard_equals_prescaled_input():
    rng = np.random.default_rng(4)
    X = blobs(rng, n=20) * np.array([1000.0, 1.0])
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    kwargs = dict(methods=("elbow", "silhouette"), random_state=1, progress=False)
    a = choose_k(X, range(1, 5), scale="standard", **kwargs)
    b = choose_k(Z, range(1, 5), **kwargs)
    pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-9)
    assert a.scale == "standard" and b.scale is None


def test_same_seed_same_table():
    X = blobs(np.random.default_rng(5), n=15)
    kwargs = dict(random_state=7, n_init=2, gap_references=2, progress=False)
    a = choose_k(X, range(1, 5), **kwargs)
    b = choose_k(X, range(1, 5), **kwargs)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_dataframe_columns_and_dropna():
    rng = np.random.default_rng(6)
    df = pd.DataFrame(blobs(rng, n=10), columns=["a", "b"])
    df["name"] = "x"
    df.loc[3, "a"] = np.nan
    with pytest.raises(ValueError, match="'name'"):
        choose_k(df, range(1, 4), columns=["a", "name"], progress=False)
    with pytest.raises(ValueError, match=r"missing values at row 3.*dropna"):
        choose_k(df, range(1, 4), columns=["a", "b"], progress=False)
    choice = choose_k(
        df, range(1, 4), methods=("elbow",), columns=["a", "b"], dropna=True,
        random_state=0, progress=False,
    )  # fmt: skip
    assert choice.n_samples == len(df) - 1
    assert choice.columns == ("a", "b")
    # an array's columns are named as the tables' module names them
    array = df[["a", "b"]].dropna().to_numpy()
    assert choose_k(array, [1], methods=("elbow",)).columns == ("x0", "x1")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"k_range": []}, "k_range is empty"),
        ({"k_range": [0, 1]}, "k >= 1"),
        ({"k_range": range(1, 50)}, "only 30 distinct points"),
        ({"methods": ("elbow", "bic")}, "unknown method 'bic'"),
        ({"scale": "minmax"}, "scale must be"),
        ({"gap_references": 0}, "gap_references"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    X = np.random.default_rng(7).normal(size=(30, 2))
    with pytest.raises(ValueError, match=match):
        choose_k(X, **{"progress": False, **kwargs})


def test_progress_bar_off_the_terminal_prints_nothing(capsys):
    X = np.random.default_rng(8).normal(size=(30, 2))
    choose_k(X, range(1, 4), methods=("elbow",), random_state=0, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(
    "X", [[[1.0, 2.0], [3.0, 5.0]], [[1.0], [2.0], [3.0]]], ids=["2 rows", "3 rows"]
)
def test_gap_where_a_dispersion_is_zero_is_undefined_not_a_warning(X):
    # k = n leaves W_k = 0 in the data and in every reference set: log(0) used to
    # raise "divide by zero" warnings (errors here) and end as -inf - -inf.
    X = np.array(X)
    choice = choose_k(X, range(1, len(X) + 1), ["gap"], random_state=0)
    gap = choice.table["gap"].to_numpy()
    assert np.isnan(gap[-1]) and np.isfinite(gap[0])
    assert choice.recommended["gap"] in range(1, len(X))
