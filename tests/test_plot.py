"""kmeansx.plot on the Agg backend: what was drawn, not only that it ran."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection, PolyCollection  # noqa: E402
from PIL import Image  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402

from conftest import groups  # noqa: E402
from kmeansx import KMeans, choose_k, plot, segment  # noqa: E402
from kmeansx._tables import prepare  # noqa: E402
from kmeansx.steps import standardize  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def blobs(rng, d=2, n=20):
    centers = rng.uniform(-8, 8, size=(3, d))
    return groups(rng, centers, n, 0.6)


@pytest.fixture
def choice():
    X = blobs(np.random.default_rng(0))
    return choose_k(X, range(1, 7), random_state=0, n_init=3, gap_references=3)


def test_elbow_draws_inertia_and_marks_the_knee(choice):
    ax = plot.elbow(choice)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), choice.table["k"])
    np.testing.assert_allclose(line.get_ydata(), choice.table["inertia"])
    knee = choice.recommended["elbow"]
    vline, marker = ax.get_lines()[1], ax.get_lines()[2]
    assert list(vline.get_xdata()) == [knee, knee]
    assert list(marker.get_xdata()) == [knee]
    assert any(f"k = {knee}" in t.get_text() for t in ax.get_legend().get_texts())
    assert ax.get_xlabel() == "number of clusters k"


def test_scores_one_curve_and_one_star_per_method(choice):
    ax = plot.scores(choice)
    methods = ["silhouette", "gap", "calinski_harabasz", "davies_bouldin"]
    lines = ax.get_lines()
    assert len(lines) == 2 * len(methods)
    stars = [ln for ln in lines if ln.get_marker() == "*"]
    assert [round(s.get_xdata()[0]) for s in stars] == [
        choice.recommended[m] for m in methods
    ]
    # stars of methods that agree sit apart, so that none hides another
    spots = [(s.get_xdata()[0], s.get_ydata()[0]) for s in stars]
    assert len(set(spots)) == len(spots)
    shared = [
        s for s in stars if round(s.get_xdata()[0]) == round(stars[0].get_xdata()[0])
    ]
    assert len(shared) >= 2  # the fixture's methods agree: the case to check
    px = [s.get_transform().transform(s.get_xydata())[0] for s in shared]
    width = stars[0].get_markersize() * ax.figure.dpi / 72
    for a, b in zip(px, px[1:], strict=False):
        assert abs(a[0] - b[0]) >= 0.8 * width  # side by side, not on top
    for ln in lines:
        assert np.nanmax(ln.get_ydata()) <= 1.0 and np.nanmin(ln.get_ydata()) >= 0.0
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == f"silhouette (k = {choice.recommended['silhouette']})"
    assert ax.get_title() == f"Scores across k: recommended k = {choice.recommended_k}"
    assert "Davies-Bouldin" in texts[-1]


def test_scores_refuses_a_choice_without_scores():
    X = blobs(np.random.default_rng(1))
    only_elbow = choose_k(X, range(1, 5), methods=("elbow",), random_state=0)
    with pytest.raises(ValueError, match="no scores"):
        plot.scores(only_elbow)


def test_silhouette_one_band_per_cluster_and_the_mean():
    X = blobs(np.random.default_rng(2))
    km = KMeans(3, random_state=0).fit(X)
    ax = plot.silhouette(km, X)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3
    mean_line = ax.get_lines()[0]
    assert mean_line.get_xdata()[0] == pytest.approx(silhouette_score(X, km.labels_))
    # labels work as well as a model
    ax2 = plot.silhouette(km.labels_, X)
    assert ax2.get_lines()[0].get_xdata()[0] == pytest.approx(mean_line.get_xdata()[0])


def test_clusters_two_columns_every_point_and_center():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(blobs(rng), columns=["Annual Income", "Spending Score"])
    km = KMeans(3, random_state=0).fit(df)
    ax = plot.clusters(km, df)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    points, centers = scatters[:-1], scatters[-1]
    assert len(points) == 3
    assert sum(len(c.get_offsets()) for c in points) == len(df)
    np.testing.assert_allclose(centers.get_offsets(), km.cluster_centers_)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Annual Income", "Spending Score")


def test_clusters_of_a_segmentation_in_original_units():
    rng = np.random.default_rng(4)
    df = pd.DataFrame(blobs(rng) * [1000, 1], columns=["income", "score"])
    seg = segment(df, n_clusters=3, random_state=0)
    ax = plot.clusters(seg, df)
    centers = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(centers, seg.centers.to_numpy())
    offsets = np.vstack([c.get_offsets() for c in ax.collections[:-1]])
    np.testing.assert_allclose(np.sort(offsets[:, 0]), np.sort(df["income"].to_numpy()))


def test_a_prepared_table_draws_as_the_table_does():
    rng = np.random.default_rng(10)
    df = pd.DataFrame(blobs(rng, d=3) * [1000, 1, 1], columns=["a", "b", "c"])
    df["name"] = "x"
    prepared = prepare(df, ["a", "b", "c"], scale="standard")
    seg = segment(prepared, n_clusters=3, random_state=0)
    for draw in (plot.clusters, plot.silhouette):
        fig, (left, right) = plt.subplots(1, 2)
        draw(seg, df, left)
        draw(seg, prepared, right)
        for a, b in zip(left.collections, right.collections, strict=True):
            np.testing.assert_array_equal(a.get_offsets(), b.get_offsets())
            for pa, pb in zip(a.get_paths(), b.get_paths(), strict=True):
                np.testing.assert_array_equal(pa.vertices, pb.vertices)
    with pytest.raises(ValueError, match="columns"):
        plot.clusters(seg, prepare(df, ["a", "b"]))
    with pytest.raises(TypeError, match="segment result"):
        plot.clusters(seg.model, prepared)


def test_clusters_more_columns_through_pca():
    rng = np.random.default_rng(5)
    cols = ["alcohol", "proline", "hue", "ash"]
    df = pd.DataFrame(blobs(rng, d=4), columns=cols)
    km = KMeans(3, random_state=0).fit(df)
    ax = plot.clusters(km, df)
    assert ax.get_xlabel().startswith("PC1 (") and ax.get_ylabel().startswith("PC2 (")
    assert any(c in ax.get_xlabel() for c in cols)
    pca = PCA(2).fit(df.to_numpy())
    np.testing.assert_allclose(
        ax.collections[-1].get_offsets(), pca.transform(km.cluster_centers_)
    )


def test_centroid_paths_three_snapshots_and_one_path_per_center():
    X = blobs(np.random.default_rng(6))
    km = KMeans(3, init="random", n_init=1, random_state=1, record_history=True).fit(X)
    path = km.history_.centers
    n_iter = km.n_iter_
    ax = plot.centroid_paths(km, X)
    lines = ax.get_lines()
    assert len(lines) == 3
    for j, ln in enumerate(lines):
        np.testing.assert_allclose(ln.get_xydata(), path[:, j, :])
    snaps = [c for c in ax.collections if c.get_label().split(" ")[0] in
             ("start", "middle", "converged")]  # fmt: skip
    assert [c.get_label() for c in snaps] == [
        "start (iteration 0)",
        f"middle (iteration {(n_iter + 1) // 2})",
        f"converged (iteration {n_iter})",
    ]
    np.testing.assert_allclose(snaps[0].get_offsets(), path[0])
    np.testing.assert_allclose(snaps[2].get_offsets(), km.cluster_centers_)
    # the points are there too, faintly
    assert len(ax.collections[0].get_offsets()) == len(X)
    # without X only the paths and snapshots
    assert len(plot.centroid_paths(km).collections) == 3


def test_paths_and_animation_need_a_history(tmp_path):
    X = blobs(np.random.default_rng(7))
    km = KMeans(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="record_history=True"):
        plot.centroid_paths(km, X)
    with pytest.raises(ValueError, match="record_history=True"):
        plot.animate(km, X, tmp_path / "a.gif")


def test_animate_one_frame_per_iteration(tmp_path):
    X = blobs(np.random.default_rng(8))
    km = KMeans(3, init="random", n_init=1, random_state=2, record_history=True).fit(X)
    out = plot.animate(km, X, tmp_path / "k.gif", fps=4)
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.n_frames == km.n_iter_ + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.gif"]
    with pytest.raises(FileExistsError):
        plot.animate(km, X, out)
    plot.animate(km, X, out, force=True)
    assert plt.get_fignums() == []  # the animation's figure is closed


def test_animate_a_segmentation(tmp_path):
    df = pd.DataFrame(blobs(np.random.default_rng(9), d=3), columns=["a", "b", "c"])
    seg = segment(df, n_clusters=3, random_state=0, record_history=True)
    out = plot.animate(seg, df, tmp_path / "s.gif")
    with Image.open(out) as im:
        assert im.n_frames == seg.model.n_iter_ + 1


def test_given_axes_are_used_and_returned(choice):
    fig, axes = plt.subplots(1, 2)
    assert plot.elbow(choice, ax=axes[0]) is axes[0]
    assert plot.scores(choice, ax=axes[1]) is axes[1]


def test_import_kmeansx_does_not_import_matplotlib():
    code = "import sys, kmeansx; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# -- the choice of k: one panel per method ----------------------------------------

PANEL_TITLES = {
    "elbow": "Elbow",
    "silhouette": "Silhouette",
    "gap": "Gap statistic",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
}


def rings(ax):
    """The recommended-k marks: open circles on the curve."""
    return [ln for ln in ax.get_lines() if ln.get_marker() == "o" and
            ln.get_markerfacecolor() == "none"]  # fmt: skip


def points_in(ax, bbox):
    """The data points (line vertices, scatter offsets) of ``ax`` inside ``bbox``
    (display coordinates)."""
    inside = []
    for ln in ax.get_lines():
        xy = ln.get_transform().transform(ln.get_xydata())
        inside += [tuple(p) for p in xy if bbox.contains(*p)]
    for c in ax.collections:
        if len(c.get_offsets()) and not isinstance(c, PolyCollection):
            xy = c.get_offset_transform().transform(c.get_offsets())
            inside += [tuple(p) for p in xy if bbox.contains(*p)]
    return inside


def test_choose_k_one_panel_per_method_in_its_own_units(choice):
    axes = plot.choose_k(choice, title="blobs.csv: a, b")
    fig = axes[0].figure
    assert len(axes) == len(fig.axes) == len(choice.methods) + 1
    table = choice.table
    for method, ax in zip(choice.methods, axes, strict=False):
        k = choice.recommended[method]
        assert ax.get_title() == f"{PANEL_TITLES[method]}: k = {k}"
        assert ax.get_xlabel().startswith("number of clusters k")
        # the curve is the method's own values, not a rescaled copy
        column = "inertia" if method == "elbow" else method
        curve = ax.get_lines()[0]
        values = table[column].to_numpy(dtype=float)
        np.testing.assert_allclose(curve.get_ydata(), values[np.isfinite(values)])
        # the recommended k is marked, once, on the curve
        (ring,) = rings(ax)
        assert list(ring.get_xdata()) == [k]
        assert ring.get_ydata()[0] == pytest.approx(values[list(table["k"]).index(k)])
    assert axes[3].get_ylabel() == "Calinski-Harabasz index (higher is better)"
    assert axes[4].get_ylabel() == "Davies-Bouldin index (lower is better)"
    # the overall recommendation is stated: in the figure's title and the last panel
    suptitle = fig.get_suptitle()
    assert suptitle.splitlines() == [
        "blobs.csv: a, b",
        f"How many clusters? Recommended k = {choice.recommended_k}",
    ]
    summary = "\n".join(t.get_text() for t in axes[-1].texts)
    assert f"Recommended k = {choice.recommended_k}" in summary
    ch = choice.recommended["calinski_harabasz"]
    assert f"Calinski-Harabasz: {ch}" in summary
    assert choice.reason[:30] in summary.replace("\n", " ")


def test_choose_k_names_the_columns_without_a_title():
    rng = np.random.default_rng(11)
    df = pd.DataFrame(blobs(rng), columns=["income", "score"])
    choice = choose_k(
        df, range(1, 5), methods=("elbow", "silhouette"), random_state=0,
        n_init=2, progress=False,
    )  # fmt: skip
    axes = plot.choose_k(choice)
    assert len(axes) == 3
    assert axes[0].figure.get_suptitle().startswith("income, score\n")


def test_gap_panel_error_bars_and_the_one_se_rule(choice):
    ax = plot.gap(choice)
    t = choice.table
    ks, gap, sd = list(t["k"]), t["gap"].to_numpy(), t["gap_sd"].to_numpy()
    (bars,) = ax.containers  # one errorbar container: gap ± s(k)
    data_line, _, (barlines,) = bars.lines
    np.testing.assert_allclose(data_line.get_ydata(), gap)
    for k, g, s, seg in zip(ks, gap, sd, barlines.get_segments(), strict=True):
        np.testing.assert_allclose(seg, [[k, g - s], [k, g + s]])
    best = choice.recommended["gap"]
    i = ks.index(best)
    assert best == 3 and i + 1 < len(ks)  # three blobs, and a k after it
    (ring,) = rings(ax)
    assert (ring.get_xdata()[0], ring.get_ydata()[0]) == (best, gap[i])
    # the threshold best's gap clears: gap(k+1) - s(k+1), drawn from k to k+1
    (threshold,) = [c for c in ax.collections if c.get_linestyle() != [(0, None)]]
    (seg,) = threshold.get_segments()
    level = gap[i + 1] - sd[i + 1]
    np.testing.assert_allclose(seg[:, 1], [level, level])
    assert seg[0, 0] < best and seg[1, 0] > ks[i + 1]
    # the rule itself: best clears it, no smaller k does
    assert gap[i] >= level
    assert all(gap[j] < gap[j + 1] - sd[j + 1] for j in range(i))
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    assert f"1-SE rule: k = {best}" in labels and "gap ± s(k)" in labels
    assert "gap(k) ≥ gap(k+1) − s(k+1)" in ax.get_xlabel()


def test_choose_k_panels_on_given_axes_and_a_wrong_count(choice):
    fig, axes = plt.subplots(1, 5)
    drawn = plot.choose_k(choice, axes)
    assert list(drawn) == list(axes) and fig.get_suptitle() == ""  # no summary
    with pytest.raises(ValueError, match="5 Axes"):
        plot.choose_k(choice, plt.subplots(1, 3)[1])


def test_choose_k_silhouette_panel_says_its_sample():
    X = blobs(np.random.default_rng(12), n=30)
    choice = choose_k(
        X, range(1, 5), methods=("silhouette",), random_state=0, n_init=2,
        silhouette_sample_size=50, progress=False,
    )  # fmt: skip
    ax = plot.score(choice, "silhouette")
    assert "silhouette on a sample of 50 of 90 rows" in ax.get_xlabel()


def test_panel_legends_cover_no_point(choice):
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    plot.elbow(choice, axes[0])
    plot.gap(choice, axes[1])
    plot.scores(choice, axes[2])
    fig.tight_layout()
    fig.canvas.draw()
    for ax in axes:
        legend = ax.get_legend().get_window_extent()
        assert points_in(ax, legend) == [], ax.get_title()


# -- titles, legends, the centers' marker, samples ---------------------------------


def income_and_score(seed, n=20):
    """Two columns in the lesson's ranges: income 20..120, score 0..100."""
    rng = np.random.default_rng(seed)
    X = groups(rng, [[25.0, 20.0], [55.0, 50.0], [90.0, 80.0]], n, 5.0)
    return pd.DataFrame(X, columns=["Annual Income", "Spending Score"])


def test_clusters_title_names_the_data_and_the_legend_is_off_the_points():
    df = income_and_score(13)
    km = KMeans(3, random_state=0).fit(df)
    ax = plot.clusters(km, df, title="mall.csv: Annual Income, Spending Score")
    assert ax.get_title() == "mall.csv: Annual Income, Spending Score\n3 clusters"
    ax.figure.tight_layout()
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # right of the Axes
    assert points_in(ax, legend) == []
    # the centers' entry is neutral, not the first cluster's color
    handle = ax.get_legend().legend_handles[-1]
    assert ax.get_legend().get_texts()[-1].get_text() == "centers"
    face = tuple(handle.get_facecolor()[0])
    cluster_colors = {tuple(c.get_facecolor()[0]) for c in ax.collections[:-1]}
    assert face == matplotlib.colors.to_rgba("lightgray")
    assert face not in cluster_colors


def test_centroid_paths_legend_is_off_the_points():
    df = income_and_score(14)
    km = KMeans(3, n_init=1, random_state=0, record_history=True).fit(df)
    ax = plot.centroid_paths(km, df, title="data")
    assert ax.get_title().startswith("data\nCentroids from start to convergence")
    ax.figure.tight_layout()
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1
    assert points_in(ax, legend) == []


def test_silhouette_on_a_sample_says_its_size():
    X = blobs(np.random.default_rng(15), n=40)
    km = KMeans(3, random_state=0).fit(X)
    ax = plot.silhouette(km, X, sample_size=60, title="blobs")
    lines = ax.get_title().splitlines()
    mean = ax.get_lines()[0].get_xdata()[0]
    assert lines == [
        "blobs",
        f"Silhouette per cluster (k = 3): mean {mean:.3f} (dashed)",
        "on a sample of 60 of 120 rows",
    ]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert sum(len(b.get_paths()[0].vertices) for b in bands) > 0
    whole = plot.silhouette(km, X)
    assert "sample" not in whole.get_title()
    assert whole.get_legend() is None  # the mean is in the title, off the bands


# -- the learner's standardized data --------------------------------------------


def test_standardized_data_is_labeled_in_z_units():
    df = income_and_score(16)
    Z = standardize(df).data
    km = KMeans(3, n_init=2, random_state=0, record_history=True).fit(Z)
    for ax in (plot.clusters(km, Z), plot.centroid_paths(km, Z)):
        assert (ax.get_xlabel(), ax.get_ylabel()) == (
            "Annual Income (z)",
            "Spending Score (z)",
        )
    # standardized by hand with the sample standard deviation, as pandas does
    by_hand = (df - df.mean()) / df.std()
    km2 = KMeans(3, n_init=2, random_state=0).fit(by_hand)
    assert plot.clusters(km2, by_hand).get_xlabel() == "Annual Income (z)"
    # raw data keeps its columns' names
    raw = KMeans(3, n_init=2, random_state=0).fit(df)
    assert plot.clusters(raw, df).get_xlabel() == "Annual Income"
    # a standardized segment is drawn back in original units; beyond two columns
    # its components are of z-scores
    seg = segment(df, n_clusters=3, scale="standard", random_state=0)
    assert plot.clusters(seg, df).get_xlabel() == "Annual Income"
    wide = df.assign(Age=np.random.default_rng(0).normal(40, 10, len(df)))
    seg3 = segment(wide, n_clusters=3, scale="standard", random_state=0)
    assert plot.clusters(seg3, wide).get_xlabel().startswith("PC1 of z-scores (")


def test_data_on_another_scale_than_the_model_is_refused(tmp_path):
    df = income_and_score(17)
    Z = standardize(df).data
    km = KMeans(3, n_init=2, random_state=0, record_history=True).fit(Z)
    with pytest.raises(ValueError) as raised:
        plot.centroid_paths(km, df)
    message = str(raised.value)
    assert "another scale than the model" in message
    assert "Annual Income: the data runs from" in message
    assert "standardize" in message  # what to pass instead
    with pytest.raises(ValueError, match="standardized table"):
        plot.animate(km, df, tmp_path / "k.gif")
    assert list(tmp_path.iterdir()) == []  # nothing written
    # and the other way round: a model of the raw data, given standardized data
    raw = KMeans(3, n_init=2, random_state=0, record_history=True).fit(df)
    with pytest.raises(ValueError, match="X is standardized but the model was not"):
        plot.centroid_paths(raw, Z)
    # a segment scales its table itself: a scaled copy is refused, with the fix
    seg = segment(df, n_clusters=3, scale="standard", random_state=0)
    with pytest.raises(ValueError, match="original units, not a scaled copy"):
        plot.clusters(seg, Z)
    # the right pairs draw
    plot.centroid_paths(km, Z)
    plot.centroid_paths(raw, df)
    plot.clusters(seg, df)


# -- the GIF holds its last frame --------------------------------------------------


def frame_durations(path):
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append(im.info["duration"])
        return out


def test_animate_holds_the_last_frame(tmp_path):
    X = blobs(np.random.default_rng(18))
    km = KMeans(3, init="random", n_init=1, random_state=2, record_history=True).fit(X)
    assert km.n_iter_ >= 2
    held = frame_durations(plot.animate(km, X, tmp_path / "a.gif", fps=4))
    assert held == [250] * km.n_iter_ + [2000]
    custom = plot.animate(km, X, tmp_path / "b.gif", fps=2, hold=0.0)
    assert frame_durations(custom) == [500] * (km.n_iter_ + 1)
    with pytest.raises(ValueError, match="fps"):
        plot.animate(km, X, tmp_path / "c.gif", fps=0)


def test_choose_k_without_a_recommendation_says_so():
    X = blobs(np.random.default_rng(19))
    choice = choose_k(X, [1, 2], methods=("elbow",), random_state=0, progress=False)
    assert choice.recommended_k is None  # no knee below three values of k
    axes = plot.choose_k(choice)
    assert axes[0].get_title() == "Elbow: no recommendation"
    assert rings(axes[0]) == []
    assert axes[0].figure.get_suptitle().endswith("No method recommends a k")
    assert axes[-1].texts[0].get_text().startswith("No recommendation")
