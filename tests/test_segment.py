"""segment: labels on the table's index, centers and profiles in original units."""

import numpy as np
import pandas as pd
import pytest

from kmeansx import KMeans, segment
from kmeansx.datasets import load_mall_customers
from kmeansx.segment import Segmentation, SegmentModel


def table(rng, n=20):
    """Three groups on very different scales, a text column and a custom index."""
    centers = np.array([[20.0, 0.1], [60.0, 0.5], [100.0, 0.9]])
    X = np.vstack([rng.normal(c, [3.0, 0.03], size=(n, 2)) for c in centers])
    df = pd.DataFrame(X, columns=["income", "ratio"])
    df["name"] = [f"c{i}" for i in range(len(df))]
    df.index = [f"row{i}" for i in range(len(df))]
    return df


def test_labels_centers_profile_in_original_units():
    df = table(np.random.default_rng(0))
    seg = segment(df, ["income", "ratio"], 3, random_state=0)
    assert isinstance(seg, Segmentation) and seg.choice is None
    assert seg.labels.index.equals(df.index) and seg.labels.name == "cluster"
    values = df[["income", "ratio"]]
    means = values.groupby(seg.labels.to_numpy()).mean()
    np.testing.assert_allclose(seg.centers.to_numpy(), means.to_numpy(), rtol=1e-9)
    assert list(seg.centers.columns) == ["income", "ratio"]
    p = seg.profile
    assert p["size"].sum() == len(df) and p["share"].sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(p["size"], np.bincount(seg.labels, minlength=3))
    np.testing.assert_allclose(p[["income", "ratio"]].to_numpy(), means.to_numpy())
    z = (means - values.mean()) / values.std(ddof=0)
    np.testing.assert_allclose(p[["income (z)", "ratio (z)"]].to_numpy(), z.to_numpy())
    np.testing.assert_allclose(p["distance (z)"], np.sqrt((z**2).sum(axis=1)))
    assert seg.inertia == seg.model.inertia_


def test_standard_scaling_is_what_the_model_sees():
    df = table(np.random.default_rng(1))
    cols = ["income", "ratio"]
    seg = segment(df, cols, 3, random_state=2)
    Z = (df[cols] - df[cols].mean()) / df[cols].std(ddof=0)
    km = KMeans(3, n_init=10, random_state=2).fit(Z.to_numpy())
    np.testing.assert_array_equal(seg.labels.to_numpy(), km.labels_)
    assert seg.inertia == pytest.approx(km.inertia_, rel=1e-12)
    assert seg.scaler.method == "standard"
    np.testing.assert_allclose(seg.scaler.center, df[cols].mean())


def test_scaling_changes_the_answer_when_units_differ():
    rng = np.random.default_rng(2)
    # two groups split along the small-unit column only
    df = pd.DataFrame(
        {
            "big": rng.normal(1000.0, 100.0, size=60),
            "small": np.repeat([0.0, 1.0], 30) + rng.normal(0, 0.05, size=60),
        }
    )
    truth = np.repeat([0, 1], 30)
    scaled = segment(df, n_clusters=2, random_state=0).labels.to_numpy()
    raw = segment(df, n_clusters=2, scale=None, random_state=0).labels.to_numpy()
    agree = lambda a: max((a == truth).mean(), (a != truth).mean())  # noqa: E731
    assert agree(scaled) == 1.0
    assert agree(raw) < 0.9


def test_robust_scaling_uses_median_and_iqr():
    df = table(np.random.default_rng(3))
    seg = segment(df, ["income", "ratio"], 3, scale="robust", random_state=0)
    v = df[["income", "ratio"]].to_numpy()
    q25, q50, q75 = np.percentile(v, [25, 50, 75], axis=0)
    np.testing.assert_allclose(seg.scaler.center, q50)
    np.testing.assert_allclose(seg.scaler.scale, q75 - q25)
    means = df[["income", "ratio"]].groupby(seg.labels.to_numpy()).mean()
    np.testing.assert_allclose(seg.centers.to_numpy(), means.to_numpy(), rtol=1e-9)


def test_auto_k_keeps_the_choice():
    df = table(np.random.default_rng(4))
    seg = segment(
        df, ["income", "ratio"], random_state=0, k_range=range(1, 6), n_init=3,
        methods=("silhouette", "davies_bouldin"), progress=False,
    )  # fmt: skip
    assert seg.choice is not None
    assert len(seg.centers) == seg.choice.recommended_k == 3


def test_predict_new_table_same_columns_any_order():
    df = table(np.random.default_rng(5))
    seg = segment(df, ["income", "ratio"], 3, random_state=0)
    new = df[["ratio", "name", "income"]].iloc[::-1]
    labels = seg.predict(new)
    assert labels.index.equals(new.index)
    np.testing.assert_array_equal(labels.loc[df.index], seg.labels)
    model = seg.to_model()
    assert isinstance(model, SegmentModel) and model.columns == ("income", "ratio")
    pd.testing.assert_frame_equal(model.centers, seg.centers)


def test_a_plain_kmeans_labels_tables_as_a_segment_model_does():
    df = table(np.random.default_rng(8))
    km = KMeans(3, random_state=0).fit(df[["income", "ratio"]])
    model = SegmentModel.from_kmeans(km)
    assert model.columns == ("income", "ratio") and model.scaler.method is None
    new = df[["ratio", "income"]].copy()
    new.iloc[4, 0] = np.nan
    labels = model.predict(new, dropna=True)
    assert labels.dtype == "Int64" and labels.isna().tolist() == [
        i == 4 for i in range(len(df))
    ]
    np.testing.assert_array_equal(
        labels.drop(labels.index[4]), np.delete(km.labels_, 4)
    )
    with pytest.raises(ValueError, match="without column names"):
        SegmentModel.from_kmeans(KMeans(2, random_state=0).fit(df[["income"]].values))


def test_dropna_labels_missing_rows_na():
    df = table(np.random.default_rng(6))
    df.iloc[[2, 7], 0] = np.nan
    with pytest.raises(ValueError, match=r"'income' has missing values at row row2"):
        segment(df, ["income", "ratio"], 3)
    seg = segment(df, ["income", "ratio"], 3, dropna=True, random_state=0)
    assert seg.labels.dtype == "Int64"
    assert seg.labels.isna().tolist() == [i in (2, 7) for i in range(len(df))]
    assert seg.profile["size"].sum() == len(df) - 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"columns": ["income", "name"]},
            r"column 'name' holds text \('c0' at row row0",
        ),
        ({"columns": ["income", "Ratio"]}, r"'Ratio' not found; did you mean 'ratio'"),
        (
            {"columns": ["incme"]},
            r"did you mean 'income'.*the table has: 'income', 'ratio', 'name'",
        ),
        ({"columns": ["income"], "n_clusters": 61}, r"larger than the number of rows"),
        ({"columns": ["income"], "n_clusters": 0}, r"n_clusters must be 'auto'"),
        ({"columns": ["income"], "scale": "zscore"}, "scale must be"),
    ],
)
def test_bad_input_names_the_problem_and_fix(kwargs, match):
    df = table(np.random.default_rng(7))
    with pytest.raises(ValueError, match=match):
        segment(df, **{"n_clusters": 3, **kwargs})


def test_more_clusters_than_distinct_points():
    df = pd.DataFrame({"a": [1.0, 1.0, 2.0, 2.0, 3.0], "b": [0.0, 0.0, 1.0, 1.0, 0.0]})
    with pytest.raises(ValueError, match=r"only|distinct points \(3 among 5 rows\)"):
        segment(df, n_clusters=4)


def test_auto_k_range_capped_at_distinct_points():
    df = pd.DataFrame({"a": [0.0, 0.0, 0.1, 5.0, 5.1, 5.1]})
    seg = segment(df, random_state=0, methods=("elbow", "silhouette"), progress=False)
    assert seg.choice.table["k"].max() == 4
    assert len(seg.centers) == seg.choice.recommended_k


def test_mall_customers_five_segments_reach_the_lesson_inertia():
    df = load_mall_customers()
    seg = segment(df, ["Annual Income", "Spending Score"], 5, random_state=42)
    assert seg.inertia <= 65.57
    assert seg.profile["size"].sum() == 200
    # in original units every center lies inside the data's range
    lo, hi = df[seg.columns].min(), df[seg.columns].max()
    assert ((seg.centers >= lo) & (seg.centers <= hi)).all().all()


# -- by angle (metric="cosine") -------------------------------------------------------


def rays(rng, n=30, units=(1.0, 100.0, 0.01)):
    """Three directions of varied lengths, in three columns of the given units."""
    directions = np.array([[1.0, 0.1, 0.2], [0.1, 1.0, 0.1], [0.3, 0.2, 1.0]])
    X = np.vstack([rng.normal(d, 0.08, size=(n, 3)) for d in directions])
    X *= rng.uniform(0.2, 5.0, size=(len(X), 1)) * np.asarray(units)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df.index = [f"r{i}" for i in range(len(df))]
    return df


@pytest.mark.parametrize("scale", [None, "standard"])
def test_cosine_segment_is_spherical_kmeans_on_the_scaled_rows(scale):
    from kmeansx import SphericalKMeans

    df = rays(np.random.default_rng(20))
    seg = segment(df, n_clusters=3, scale=scale, metric="cosine", random_state=1)
    if scale is not None:
        np.testing.assert_allclose(seg.scaler.center, df.mean())
        np.testing.assert_allclose(seg.scaler.scale, df.std(ddof=0))
    Z = seg.scaler.transform(df.to_numpy())  # the rows scaled as the fit saw them
    skm = SphericalKMeans(3, n_init=10, random_state=1).fit(Z)
    assert isinstance(seg.model, SphericalKMeans) and seg.metric == "cosine"
    np.testing.assert_array_equal(seg.labels.to_numpy(), skm.labels_)
    np.testing.assert_array_equal(seg.model.cluster_centers_, skm.cluster_centers_)
    assert seg.inertia == skm.inertia_
    # The profile is in the columns' own units; its distance is 1 - cos of each
    # center from the rows' mean direction, in the space the angles were taken.
    p = seg.profile
    means = df.groupby(skm.labels_).mean()
    np.testing.assert_allclose(p[["a", "b", "c"]].to_numpy(), means.to_numpy())
    assert "distance (z)" not in p and list(p.columns)[-1] == "cosine distance"
    unit = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    direction = unit.mean(0) / np.linalg.norm(unit.mean(0))
    np.testing.assert_allclose(
        p["cosine distance"], 1 - skm.cluster_centers_ @ direction, atol=1e-12
    )
    assert ((p["cosine distance"] >= -1e-12) & (p["cosine distance"] <= 2)).all()
    # The centers are the unit centers mapped back through the scaler.
    np.testing.assert_allclose(
        seg.centers.to_numpy(), seg.scaler.inverse_transform(skm.cluster_centers_)
    )


def test_cosine_groups_rows_by_direction_not_length():
    df = rays(np.random.default_rng(21), units=(1.0, 1.0, 1.0))
    truth = np.repeat([0, 1, 2], 30)
    seg = segment(df, n_clusters=3, scale=None, metric="cosine", random_state=0)
    labels = seg.labels.to_numpy()
    assert all(len(set(labels[truth == t])) == 1 for t in range(3))
    assert len(set(labels)) == 3
    # By Euclidean distance the lengths (and column b's units) decide instead.
    euclid = segment(df, n_clusters=3, scale=None, random_state=0).labels.to_numpy()
    assert not all(len(set(euclid[truth == t])) == 1 for t in range(3))


def test_cosine_auto_k_chooses_k_by_angle():
    from kmeansx import choose_k

    df = rays(np.random.default_rng(22), units=(1.0, 1.0, 1.0))
    kwargs = dict(scale=None, random_state=0, k_range=range(1, 7), n_init=3)
    kwargs["methods"] = ("silhouette", "calinski_harabasz")
    seg = segment(df, metric="cosine", progress=False, **kwargs)
    want = choose_k(df, metric="cosine", progress=False, **kwargs)
    assert seg.choice.table.equals(want.table)
    assert len(seg.centers) == seg.choice.recommended_k == want.recommended_k == 3


def test_cosine_k_is_capped_at_the_distinct_directions_not_points():
    # Six distinct points on three rays: three clusters by angle at most.
    df = pd.DataFrame({"a": [1.0, 2.0, 0.0, 0.0, 1.0, 3.0], "b": [0, 0, 1, 5, 1, 3.0]})
    with pytest.raises(ValueError, match=r"distinct directions \(3 among 6 rows\)"):
        segment(df, n_clusters=4, scale=None, metric="cosine")
    assert len(segment(df, n_clusters=4, scale=None).centers) == 4
    seg = segment(df, scale=None, metric="cosine", random_state=0, progress=False)
    assert seg.choice.table["k"].max() == 3
    from kmeansx import choose_k

    with pytest.raises(ValueError, match=r"only 3 distinct directions; use k_range="):
        choose_k(df, range(1, 5), scale=None, metric="cosine", progress=False)


def test_cosine_zero_rows_are_named_with_the_fix():
    df = rays(np.random.default_rng(23))
    zero = df.copy()
    zero.loc["r5"] = 0.0
    with pytest.raises(ValueError, match=r"row r5 is all zeros.*metric='euclidean'"):
        segment(zero, n_clusters=3, scale=None, metric="cosine")
    # Standardized, a row at the column means is all zeros: named, with the fix.
    middle = pd.DataFrame(
        {"a": [1.0, 3.0, 1.0, 3.0, 2.0], "b": [5.0, 7.0, 7.0, 5.0, 6.0]},
        index=[f"r{i}" for i in range(5)],
    )  # r4 is the mean of every column
    with pytest.raises(ValueError, match=r"at row r4 every column.*equals its mean"):
        segment(middle, n_clusters=2, metric="cosine")
    with pytest.raises(ValueError, match=r"equals its median.*scale=None"):
        segment(middle, n_clusters=2, metric="cosine", scale="robust")
    # A new table's row of zeros is named by predict too.
    seg = segment(df, n_clusters=3, scale=None, metric="cosine", random_state=0)
    with pytest.raises(ValueError, match=r"row r5 is all zeros"):
        seg.predict(zero)


def test_cosine_refuses_refine_and_unknown_metrics():
    df = rays(np.random.default_rng(24))
    with pytest.raises(ValueError, match="refine=None"):
        segment(df, n_clusters=3, metric="cosine", refine="hartigan")
    with pytest.raises(ValueError, match="metric must be 'euclidean' or 'cosine'"):
        segment(df, n_clusters=3, metric="manhattan")


def test_cosine_segment_model_saves_and_labels_by_angle(tmp_path):
    from kmeansx import SphericalKMeans, load, save

    df = rays(np.random.default_rng(25))
    seg = segment(df, n_clusters=3, metric="cosine", random_state=0)
    model = load(save(seg, tmp_path / "seg.kmx"))
    assert isinstance(model.model, SphericalKMeans) and model.metric == "cosine"
    assert model.predict(df).equals(seg.labels)
    # Lengths do not matter to a model by angle, whatever the scaling did.
    longer = df.copy()
    longer[["a", "b", "c"]] = seg.scaler.inverse_transform(
        seg.scaler.transform(df.to_numpy()) * 3.0
    )
    assert model.predict(longer).equals(seg.labels)
    pd.testing.assert_frame_equal(model.centers, seg.centers)
