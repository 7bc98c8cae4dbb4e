"""``kmeansx demo --data wine|mall``: the wine clusters matched to the cultivars (the
tables, the picture, the inertias kept apart), and the lesson's Mall analysis.

The demo's refusals and its all-or-nothing writes are tested in test_cli.py.
"""

import itertools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from kmeansx import load, segment  # noqa: E402
from kmeansx._tables import prepare  # noqa: E402
from kmeansx.cli import app  # noqa: E402
from kmeansx.cli.demo import describe_segments  # noqa: E402
from kmeansx.cli.demo_wine import (  # noqa: E402
    compare_scaling,
    contingency,
    draw_scaling,
    match_labels,
    within_sum_of_squares,
)
from kmeansx.cli.format import number  # noqa: E402
from kmeansx.datasets import load_wine  # noqa: E402

runner = CliRunner()
CELL = re.compile(r"[^│]+")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def matched_table(text):
    """The rows of the printed cultivar x cluster table: cultivar, wines, and the
    cells of each run (3 unscaled, then 3 standardized)."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in CELL.findall(line) if c.strip()]
        if len(cells) == 8 and all(c.isdigit() for c in cells):
            rows.append([int(c) for c in cells])
    return np.array(rows)


@pytest.fixture(scope="module")
def wine_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "wine"
    result = invoke("demo", "--data", "wine", "--output", out)
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_wine_tables_line_up_with_the_cultivars(wine_demo):
    _, text = wine_demo
    rows = matched_table(text)
    assert rows[:, 0].tolist() == [0, 1, 2]
    _, cultivar = load_wine()
    assert rows[:, 1].tolist() == np.bincount(cultivar).tolist()
    agreed = []
    for name, cells in [("unscaled", rows[:, 2:5]), ("standardized", rows[:, 5:8])]:
        assert (cells.sum(axis=1) == rows[:, 1]).all()  # every wine in one cluster
        diagonal = int(np.trace(cells))
        # the numbering is the best matching: no renumbering puts more on the diagonal
        for perm in itertools.permutations(range(3)):
            assert cells[:, list(perm)].trace() <= diagonal
        # the summary's agreement is that diagonal
        sizes = " / ".join(str(v) for v in cells.sum(axis=0))
        pct = f"{diagonal / 178:.0%}"
        line = next(ln for ln in text.splitlines() if ln.startswith(f"│ {name} "))
        assert sizes in line and f"{diagonal} of 178 ({pct})" in line, line
        agreed.append(diagonal)
    assert agreed[1] > agreed[0]  # standardizing helps, in the table as in the ARI


def test_wine_inertias_of_different_scales_are_not_set_side_by_side(wine_demo):
    _, text = wine_demo
    X, cultivar = load_wine()
    raw = segment(prepare(X), n_clusters=3, scale=None, random_state=0)
    # the unscaled fit's own inertia (squared raw units) is not printed...
    assert number(raw.inertia) not in text
    assert "do not compare" in text
    # ...but its partition is scored on the standardized columns, like the other
    Z = prepare(X, scale="standard").scaled
    labels = raw.labels.to_numpy()
    line = next(ln for ln in text.splitlines() if ln.startswith("│ unscaled "))
    assert line.rstrip(" │").endswith(number(within_sum_of_squares(Z, labels)))


def test_wine_demo_writes_the_comparison_picture(wine_demo):
    out, text = wine_demo
    assert (out / "scaling.png").exists() and str(out / "scaling.png") in text


def test_the_picture_draws_every_wine_per_panel_crosses_where_they_disagree():
    X, cultivar = load_wine()
    tables = {"unscaled": prepare(X), "standardized": prepare(X, scale="standard")}
    runs = compare_scaling(tables, cultivar, random_state=0)
    fig, axes = plt.subplots(1, 3)
    try:
        draw_scaling(X, cultivar, runs, axes)
        for ax, run in zip(axes, [None, *runs.values()], strict=True):
            points = [c.get_offsets() for c in ax.collections]
            assert sum(len(p) for p in points) == len(X)
            crosses = sum(
                len(c.get_offsets())
                for c in ax.collections
                if c.get_paths()[0].vertices.shape[0] == 4  # the "x" marker
            )
            wrong = 0 if run is None else int((run["labels"] != cultivar).sum())
            assert crosses == wrong
            if run is not None:
                assert f"{run['agreement']:.0%} agree" in ax.get_title()
            # x: the column that decides the unscaled clusters
            assert ax.get_xlabel() == "proline"
    finally:
        plt.close(fig)


def test_match_labels_is_the_best_renumbering():
    rng = np.random.default_rng(3)
    for _ in range(20):
        k = int(rng.integers(2, 6))
        reference = rng.integers(k, size=60)
        noisy = np.where(
            rng.uniform(size=60) < 0.3, rng.integers(k, size=60), reference
        )
        perm = rng.permutation(k)
        labels = perm[noisy]
        mapping = match_labels(reference, labels, k, k)
        assert sorted(mapping.tolist()) == list(range(k))
        best = max(
            (np.asarray(p)[labels] == reference).sum()
            for p in itertools.permutations(range(k))
        )
        assert (mapping[labels] == reference).sum() == best
    # more clusters than classes: the extra ones take the next numbers
    mapping = match_labels([0, 0, 1, 1], [2, 2, 1, 0], 2, 3)
    assert mapping[2] == 0 and sorted(mapping.tolist()) == [0, 1, 2]
    assert contingency([0, 1, 1], [1, 1, 0], 2, 2).tolist() == [[0, 1], [1, 1]]


def test_mall_demo_is_the_lessons_analysis(tmp_path):
    out = tmp_path / "demo"
    # run the wine demo there first: its comparison picture must not stay behind
    assert invoke("demo", "--output", out).exit_code == 0
    result = invoke("demo", "--data", "mall", "--output", out)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Recommended k = 5" in text
    found = re.search(r"for k = 2\.\.5: ([\d.]+), ([\d.]+), ([\d.]+), ([\d.]+)", text)
    lesson = [269.70, 157.71, 108.93, 65.57]
    for value, bound in zip(found.groups(), lesson, strict=True):
        assert float(value) <= bound
    # the lesson's five segments, each once
    read = re.findall(
        r"segment \d \(\d+ rows, \d+%\): (\w+) Annual Income, (\w+) Sp", text
    )
    assert sorted(read) == sorted(
        [("high", "high"), ("high", "low"), ("low", "high"), ("low", "low")]
        + [("average", "average")]
    )
    assert not (out / "scaling.png").exists()
    table = pd.read_csv(out / "segments.csv")
    assert len(table) == 200 and {"CustomerID", "cluster"} <= set(table.columns)
    assert sorted(table["cluster"].value_counts().tolist()) == sorted(
        int(n) for n in re.findall(r"\((\d+) rows", text)
    )
    model = load(out / "model.kmx")
    np.testing.assert_array_equal(model.predict(table), table["cluster"])


def test_force_on_a_foreign_directory_replaces_but_never_deletes(tmp_path):
    (tmp_path / "scaling.png").write_text("mine")
    (tmp_path / "clusters.png").write_text("mine too")
    result = invoke("demo", "--data", "mall", "--output", tmp_path, "--force")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "scaling.png").read_text() == "mine"
    assert (tmp_path / "clusters.png").read_bytes().startswith(b"\x89PNG")


def test_segments_read_as_high_average_low():
    profile = pd.DataFrame(
        {"size": [5, 3, 2], "share": [0.5, 0.3, 0.2], "a (z)": [0.6, -0.5, -0.51]}
    )
    assert describe_segments(profile, ["a"]) == [
        "segment 0 (5 rows, 50%): high a",
        "segment 1 (3 rows, 30%): average a",
        "segment 2 (2 rows, 20%): low a",
    ]


def test_the_demo_pictures_name_their_data(tmp_path, monkeypatch):
    from kmeansx.cli import figures

    titles = []
    original = figures.write_plots

    def spy(*args, **kwargs):
        titles.append(kwargs.get("title"))
        return original(*args, **kwargs)

    monkeypatch.setattr(figures, "write_plots", spy)
    assert invoke("demo", "--data", "mall", "--output", tmp_path / "m").exit_code == 0
    assert titles == ["Mall customers: Annual Income, Spending Score"]
