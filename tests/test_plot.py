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
    assert [int(s.get_xdata()[0]) for s in stars] == [
        choice.recommended[m] for m in methods
    ]
    for ln in lines:
        assert np.nanmax(ln.get_ydata()) <= 1.0 and np.nanmin(ln.get_ydata()) >= 0.0
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == f"silhouette (k = {choice.recommended['silhouette']})"
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
