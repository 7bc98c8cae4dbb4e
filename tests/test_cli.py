"""The kmeansx command with Typer's CliRunner: outputs, refusals and bad input."""

import hashlib
import io
import json
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from rich.console import Console  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from kmeansx import load, segment  # noqa: E402
from kmeansx.cli import app  # noqa: E402
from kmeansx.cli import format as fmt  # noqa: E402

runner = CliRunner()
COLS = "Annual Income,Spending Score"


def customers(rng, n=20):
    centers = np.array([[25.0, 20.0], [55.0, 50.0], [90.0, 80.0]])
    X = np.vstack([rng.normal(c, 4.0, size=(n, 2)) for c in centers]).round(1)
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1, len(X) + 1),
            "Genre": rng.choice(["Female", "Male"], size=len(X)),
            "Annual Income": X[:, 0],
            "Spending Score": X[:, 1],
        }
    )


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "customers.csv"
    customers(np.random.default_rng(0)).to_csv(path, index=False)
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("kmeansx: error: ")
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in err, err


# -- success -----------------------------------------------------------------


def test_fit_writes_rows_model_and_plots(tmp_path, data):
    before = digest(data)
    out, model, plots = tmp_path / "labels.csv", tmp_path / "m.kmx", tmp_path / "p"
    result = invoke(
        "fit", data, "--columns", COLS, "-k", "auto", "--random-state", 0,
        "--n-init", 3, "-o", out, "--model", model, "--plots", plots,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert digest(data) == before
    labeled = pd.read_csv(out)
    original = pd.read_csv(data)
    pd.testing.assert_frame_equal(labeled.drop(columns="cluster"), original)
    seg = segment(original, COLS.split(","), n_init=3, random_state=0, progress=False)
    np.testing.assert_array_equal(labeled["cluster"], seg.labels)
    assert "Recommended k = 3" in result.stdout and "segment 2" in result.stdout
    names = sorted(p.name for p in plots.iterdir())
    assert names == sorted(
        ["elbow.png", "scores.png", "silhouette.png", "clusters.png",
         "centroid_paths.png", "animation.gif"]
    )  # fmt: skip
    for p in plots.iterdir():
        with Image.open(p) as im:
            assert im.format == ("GIF" if p.suffix == ".gif" else "PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["customers.csv", "labels.csv", "m.kmx", "p"]
    )  # no temporary files left behind
    # predict with the saved model gives the fit's labels back
    again = tmp_path / "again.parquet"
    result = invoke("predict", model, data, "-o", again)
    assert result.exit_code == 0, result.output
    pd.testing.assert_series_equal(
        pd.read_parquet(again)["cluster"], labeled["cluster"], check_dtype=False
    )


def test_fit_json_with_fixed_k_and_parquet_in(tmp_path, data):
    pq = tmp_path / "c.parquet"
    pd.read_csv(data).to_parquet(pq)
    result = invoke("fit", pq, "-c", COLS, "-k", 3, "--random-state", 1, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["n_clusters"] == 3 and payload["recommended_k"] is None
    assert payload["columns"] == COLS.split(",") and payload["scale"] == "standard"
    assert sum(r["size"] for r in payload["profile"]) == 60


def test_choose_k_json_and_plot(tmp_path, data):
    png = tmp_path / "k.png"
    result = invoke(
        "choose-k", data, "--columns", COLS, "--k-min", 1, "--k-max", 6,
        "--random-state", 0, "--n-init", 3, "--plot", png, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["recommended_k"] == 3
    assert [row["k"] for row in payload["table"]] == [1, 2, 3, 4, 5, 6]
    assert payload["table"][0]["silhouette"] is None
    with Image.open(png) as im:
        assert im.format == "PNG"


def saved_titles(monkeypatch):
    """Every picture the command saves: file name -> its figure's titles."""
    from kmeansx.cli import figures

    titles, save = {}, figures._save

    def recording(fig, path, **kwargs):
        heads = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes]
        titles[path.name] = [t for t in heads if t]
        return save(fig, path, **kwargs)

    monkeypatch.setattr(figures, "_save", recording)
    return titles


def test_pictures_name_the_file_and_the_columns(tmp_path, data, monkeypatch):
    titles = saved_titles(monkeypatch)
    named = "customers.csv: Annual Income, Spending Score"
    result = invoke(
        "choose-k", data, "-c", COLS, "--k-max", 5, "--n-init", 1,
        "--random-state", 0, "--plot", tmp_path / "k.png",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (suptitle, *panels) = titles["k.png"]
    assert suptitle.startswith(named + "\nHow many clusters? Recommended k = ")
    assert [p.split(":")[0] for p in panels[:2]] == ["Elbow", "Silhouette"]
    result = invoke(
        "fit", data, "-c", COLS, "-k", "auto", "--n-init", 1,
        "--random-state", 0, "--plots", tmp_path / "p",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert set(titles) >= {"elbow.png", "scores.png", "clusters.png"}
    for name in ("elbow.png", "scores.png", "silhouette.png", "clusters.png"):
        assert titles[name][0].startswith(named + "\n"), name


def test_figure_title_names_a_few_columns_and_counts_the_rest():
    from kmeansx.cli.figures import figure_title

    pixels = [f"pixel_{i}" for i in range(64)]
    assert figure_title("/data/digits.csv", pixels) == (
        "digits.csv: pixel_0, pixel_1, pixel_2, pixel_3 and 60 more columns"
    )
    assert figure_title("wine.parquet", ["alcohol"]) == "wine.parquet: alcohol"


def test_choose_k_table_and_methods(data):
    result = invoke(
        "choose-k", data, "-c", COLS, "--k-max", 5, "--methods",
        "silhouette,davies_bouldin",
        "--random-state", 0, "--n-init", 2,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Recommended k = 3" in result.stdout
    assert "Davies-Bouldin" in result.stdout and "Calinski" not in result.stdout


def test_predict_without_output_prints_sizes_and_dropna(tmp_path, data):
    model = tmp_path / "m.kmx"
    assert invoke("fit", data, "-c", COLS, "-k", 3, "--model", model).exit_code == 0
    df = pd.read_csv(data)
    df.loc[4, "Spending Score"] = np.nan
    holes = tmp_path / "holes.csv"
    df.to_csv(holes, index=False)
    assert_one_line_error(
        invoke("predict", model, holes), "'Spending Score'", "line 6", "--dropna"
    )  # row 4 sits on line 6: the header is line 1
    result = invoke("predict", model, holes, "--dropna", "--json")
    assert result.exit_code == 0, result.output
    sizes = json.loads(result.stdout)["sizes"]
    assert sizes["missing"] == 1 and sum(sizes.values()) == 60


@pytest.mark.parametrize("command", ["fit", "choose-k"])
def test_one_command_prepares_and_scales_its_table_once(
    tmp_path, data, monkeypatch, command
):
    import kmeansx._tables as tables

    calls = {"prepare": 0, "scale": 0}
    prepare, fit_scaler = tables.prepare, tables.Scaler.fit.__func__

    def counting_prepare(*args, **kwargs):
        calls["prepare"] += 1
        return prepare(*args, **kwargs)

    def counting_fit(cls, *args, **kwargs):
        calls["scale"] += 1
        return fit_scaler(cls, *args, **kwargs)

    # Every module that holds the name, and _tables itself for those imported later.
    for module in list(sys.modules.values()):
        if getattr(module, "prepare", None) is prepare:
            monkeypatch.setattr(module, "prepare", counting_prepare)
    monkeypatch.setattr(tables.Scaler, "fit", classmethod(counting_fit))
    args = [command, data, "-c", COLS, "--random-state", 0, "--n-init", 2]
    if command == "fit":  # k chosen, fitted, profiled, and every picture drawn
        args += ["--plots", tmp_path / "p"]
    else:
        args += ["--k-max", 5, "--plot", tmp_path / "k.png"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert calls == {"prepare": 1, "scale": 1}


def test_the_command_line_loads_no_plotting_dask_or_tables_before_a_command():
    heavy = ("matplotlib", "dask", "distributed", "rich.table", "kneed", "PIL")
    code = f"import sys, kmeansx.cli; print([m for m in {heavy} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_python_dash_m_kmeansx():
    out = subprocess.run(
        [sys.executable, "-m", "kmeansx", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "choose-k" in out.stdout


# -- bad input: status 2, one line, no traceback ---------------------------------------


def test_unknown_column_suggests_the_closest(data):
    result = invoke("fit", data, "--columns", "Annual Income,Spending")
    assert_one_line_error(
        result, "'Spending' not found", "did you mean 'Spending Score'"
    )


def test_text_value_is_located(tmp_path, data):
    df = pd.read_csv(data).astype({"Annual Income": object})
    df.loc[7, "Annual Income"] = "twelve"  # ("n/a" would read as missing)
    bad = tmp_path / "text.csv"
    df.to_csv(bad, index=False)
    assert_one_line_error(
        invoke("fit", bad, "-c", COLS, "-k", 3), "'Annual Income'", "'twelve'", "line 9"
    )
    # a text column named explicitly is refused, in the command line's words
    result = invoke("fit", data, "-c", "Genre,Annual Income", "-k", 3)
    assert_one_line_error(
        result, "'Genre'", "holds text", "or leave it out of --columns"
    )
    assert "df." not in result.stderr


def test_missing_value_is_located_and_dropna_drops_it(tmp_path, data):
    df = pd.read_csv(data)
    df.loc[[3, 9], "Annual Income"] = np.nan
    bad = tmp_path / "missing.csv"
    df.to_csv(bad, index=False)
    assert_one_line_error(
        invoke("fit", bad, "-c", COLS, "-k", 3),
        "missing values",
        "line 5, 11",
        "--dropna",
    )
    out = tmp_path / "out.csv"
    result = invoke("fit", bad, "-c", COLS, "-k", 3, "--dropna", "-o", out)
    assert result.exit_code == 0, result.output
    labeled = pd.read_csv(out)
    assert len(labeled) == len(df)
    assert labeled["cluster"].isna().tolist() == [i in (3, 9) for i in range(len(df))]


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "is empty"),
        (b"Annual Income,Spending Score\n", "has a header but no rows"),
        (b'a,b\n1,"2\n', "could not be read as csv"),
    ],
)
def test_empty_or_unreadable_file(tmp_path, content, fragment):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    assert_one_line_error(invoke("fit", bad, "-k", 2), fragment)


def test_unreadable_parquet_and_missing_file(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 but not really")
    assert_one_line_error(invoke("choose-k", bad), "could not be read as parquet")
    assert_one_line_error(invoke("fit", tmp_path / "nope.csv"), "no such file")


def test_k_larger_than_rows(data):
    assert_one_line_error(
        invoke("fit", data, "-c", COLS, "-k", 61), "-k 61", "at most 60"
    )
    assert_one_line_error(
        invoke("choose-k", data, "-c", COLS, "--k-max", 80),
        "--k-max is 80",
        "use --k-max 60",
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["-k", "three"], "'auto' or a whole number"),
        (["-k", "0"], "'auto' or a whole number"),
        (["--scale", "minmax"], "'--scale'"),
        (["--bogus"], "No such option"),
    ],
)
def test_bad_options(data, args, fragment):
    assert_one_line_error(invoke("fit", data, "-c", COLS, *args), fragment)


def test_usage_errors_are_one_line():
    assert_one_line_error(invoke("fit"), "Missing argument")
    assert_one_line_error(invoke("choose-k", "x.csv", "--k-min", 5, "--k-max", 2))


def test_damaged_model_file(tmp_path, data):
    bad = tmp_path / "m.kmx"
    bad.write_bytes(b"definitely not a zip")
    assert_one_line_error(invoke("predict", bad, data), "not a kmeansx model")


# -- nothing is lost ------------------------------------------------------------------


def test_existing_outputs_refused_without_force(tmp_path, data):
    out = tmp_path / "out.csv"
    out.write_text("precious\n")
    result = invoke("fit", data, "-c", COLS, "-k", 3, "-o", out)
    assert_one_line_error(result, "already exists", "--force")
    assert out.read_text() == "precious\n"
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "clusters.png").write_text("mine")
    assert_one_line_error(
        invoke("fit", data, "-c", COLS, "-k", 3, "--plots", plots), "clusters.png"
    )
    assert (plots / "clusters.png").read_text() == "mine"
    result = invoke("fit", data, "-c", COLS, "-k", 3, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    assert "cluster" in pd.read_csv(out).columns


def test_input_is_never_the_output(data):
    before = digest(data)
    for cmd in (["fit", data, "-c", COLS, "-k", 3], ["choose-k", data, "-c", COLS]):
        flag = "-o" if cmd[0] == "fit" else "--plot"
        assert_one_line_error(invoke(*cmd, flag, data, "--force"), "input")
    assert digest(data) == before


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def fail_late(*args, **kwargs):
    raise OSError("disk full (a late failure)")


def test_fit_is_all_or_nothing_when_the_last_picture_fails(tmp_path, data, monkeypatch):
    # The GIF is written last, after the table, the model and the PNGs.
    monkeypatch.setattr("kmeansx.plot.animate", fail_late)
    before = listing(tmp_path)
    result = invoke(
        "fit", data, "-c", COLS, "-k", 3, "--n-init", 1, "-o", tmp_path / "out.csv",
        "--model", tmp_path / "m.kmx", "--plots", tmp_path / "p" / "q",
    )  # fmt: skip
    assert_one_line_error(result, "disk full")
    assert listing(tmp_path) == before  # no table, model, picture or folder


def test_fit_with_force_keeps_the_old_files_when_it_fails(tmp_path, data, monkeypatch):
    out, model = tmp_path / "out.csv", tmp_path / "m.kmx"
    out.write_text("old table\n")
    model.write_text("old model")
    monkeypatch.setattr("kmeansx.plot.animate", fail_late)
    result = invoke(
        "fit", data, "-c", COLS, "-k", 3, "--n-init", 1, "-o", out, "--model", model,
        "--plots", tmp_path / "p", "--force",
    )  # fmt: skip
    assert_one_line_error(result, "disk full")
    assert out.read_text() == "old table\n" and model.read_text() == "old model"
    assert listing(tmp_path) == ["customers.csv", "m.kmx", "out.csv"]


def test_choose_k_plot_is_not_left_half_made(tmp_path, data, monkeypatch):
    monkeypatch.setattr("kmeansx.plot.choose_k", fail_late)
    result = invoke(
        "choose-k", data, "-c", COLS, "--k-max", 4, "--n-init", 1, "--plot",
        tmp_path / "k.png",
    )  # fmt: skip
    assert_one_line_error(result, "disk full")
    assert listing(tmp_path) == ["customers.csv"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--plots", "{data}/plots"], "is a file"),
        (["--plots", "{data}"], "own directory"),
        (["--plots", "{tmp}/out.csv", "-o", "{tmp}/out.csv"], "own directory"),
        (["-o", "{tmp}/no/out.csv"], "does not exist"),
        (["-o", "{data}/out.csv"], "is a file, not a directory"),
        (["--model", "{data}/m.kmx"], "is a file, not a directory"),
        (["-o", "{tmp}/x.csv", "--model", "{tmp}/x.csv"], "same file"),
        (["-o", "{tmp}"], "is a directory"),
        (["-o", "{tmp}/out.json"], "unknown table format"),
    ],
    ids=[
        "plots under a file",
        "plots is the input",
        "plots is the output",
        "output folder missing",
        "output under a file",
        "model under a file",
        "output is the model",
        "output is a folder",
        "output format unknown",
    ],
)
def test_fit_checks_every_output_before_any_work(tmp_path, data, args, fragment):
    before = listing(tmp_path)
    args = [a.format(data=data, tmp=tmp_path) for a in args]
    result = invoke("fit", data, "-c", COLS, "-k", 3, "--n-init", 1, *args)
    assert_one_line_error(result, fragment)
    assert listing(tmp_path) == before


def test_predict_checks_its_output_first(tmp_path, data):
    model = tmp_path / "m.kmx"
    assert invoke("fit", data, "-c", COLS, "-k", 3, "--model", model).exit_code == 0
    before = listing(tmp_path)
    for out, fragment in [
        (data / "x.csv", "is a file, not a directory"),
        (model, "input"),
        (tmp_path / "none" / "x.csv", "does not exist"),
    ]:
        assert_one_line_error(invoke("predict", model, data, "-o", out), fragment)
    assert listing(tmp_path) == before


def test_a_python_warning_reaches_the_user_as_one_plain_line(data, monkeypatch):
    import warnings

    from kmeansx import io as kio

    real = kio.read_table_file

    def read_and_warn(path, **dialect):
        for _ in range(3):
            warnings.warn("some library\nchanged its mind", FutureWarning, stacklevel=1)
        return real(path, **dialect)

    monkeypatch.setattr(kio, "read_table_file", read_and_warn)
    result = invoke("fit", data, "-c", COLS, "-k", 3, "--n-init", 1, "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == "kmeansx: note: some library changed its mind\n"
    assert json.loads(result.stdout)["n_clusters"] == 3


# -- the demo -------------------------------------------------------------------------


def test_demo_compares_scaling_and_writes_the_workflow(tmp_path):
    out = tmp_path / "demo"
    result = invoke("demo", "--output", out)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "unscaled" in text and "standardized" in text
    # issue 2: about 0.37 unscaled against 0.9 standardized
    raw, std = map(float, re.search(r"ARI (\S+) to (\S+):", text).groups())
    assert raw < 0.5 and std > 0.85
    assert "proline" in text and "Recommended k = 3" in text
    written = (
        "scaling.png",
        "elbow.png",
        "scores.png",
        "silhouette.png",
        "clusters.png",
        "centroid_paths.png",
        "animation.gif",
        "segments.csv",
        "model.kmx",
    )
    for name in written:
        assert (out / name).exists(), name
        assert str(out / name) in text
    model = load(out / "model.kmx")
    table = pd.read_csv(out / "segments.csv")
    np.testing.assert_array_equal(model.predict(table), table["cluster"])
    # the demo's own directory: a second run replaces its files
    assert invoke("demo", "--output", out).exit_code == 0


def test_demo_refuses_a_foreign_directory_without_force(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "clusters.png").write_text("not the demo's")
    assert_one_line_error(invoke("demo", "--output", out), "clusters.png", "--force")
    assert (out / "clusters.png").read_text() == "not the demo's"


def test_demo_leaves_nothing_when_it_fails_late(tmp_path, monkeypatch):
    monkeypatch.setattr("kmeansx.save", fail_late)
    out = tmp_path / "new" / "demo"
    assert_one_line_error(invoke("demo", "--output", out), "disk full")
    assert listing(tmp_path) == []


# -- formatting, apart ----------------------------------------------------------------


def render(renderable) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_profile_table_has_every_segment_and_column():
    df = customers(np.random.default_rng(1))
    seg = segment(df, COLS.split(","), 3, random_state=0)
    text = render(fmt.profile_table(seg.profile, seg.columns))
    for s in range(3):
        assert f"segment {s}" in text
    assert "Annual Income (mean, z)" in text and "distance (z)" in text
    assert f"{int(seg.profile['size'][0])}" in text


def test_choice_table_marks_recommendations():
    class Choice:
        table = pd.DataFrame(
            {
                "k": [1, 2, 3],
                "inertia": [9.0, 4.0, 3.5],
                "silhouette": [np.nan, 0.7, 0.4],
            }
        )
        recommended = {"silhouette": 2}
        recommended_k = 2
        reason = "k = 2: because."

    text = render(fmt.choice_table(Choice))
    row2 = next(line for line in text.splitlines() if line.strip("│ ").startswith("2"))
    assert "0.7 *" in row2
    assert "-" in next(line for line in text.splitlines() if "│ 1 │" in line)
    assert fmt.choice_summary(Choice) == "Recommended k = 2. k = 2: because."


def test_json_and_numbers():
    assert json.loads(fmt.to_json({"a": np.float64("nan"), "b": np.int64(3)})) == {
        "a": None,
        "b": 3,
    }
    assert fmt.number(2370689.68) == "2,370,690"
    assert fmt.number(0.123456) == "0.1235"
    assert fmt.number(float("nan")) == "-"


def test_comparison_verdict_names_the_dominant_column():
    runs = {"unscaled": {"ari": 0.371}, "standardized": {"ari": 0.897}}
    share = pd.Series({"proline": 0.998, "hue": 0.002})
    text = fmt.comparison_verdict(runs, share)
    assert "from ARI 0.37 to 0.90" in text and "proline holds 99.8%" in text


def test_choose_k_by_angle_with_metric_cosine(tmp_path):
    from kmeansx import choose_k

    rng = np.random.default_rng(0)
    topics = rng.normal(size=(4, 8))
    X = topics[rng.integers(4, size=400)] + rng.normal(scale=0.3, size=(400, 8))
    X *= rng.uniform(0.1, 10, size=(400, 1))  # lengths vary; directions cluster
    table = pd.DataFrame(X, columns=[f"e{i}" for i in range(8)])
    path = tmp_path / "emb.csv"
    table.to_csv(path, index=False)
    args = ["choose-k", str(path), "--scale", "none", "--k-max", "7"]
    args += ["--random-state", "0", "--json"]
    result = invoke(*args, "--metric", "cosine")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    want = choose_k(table, range(1, 8), metric="cosine", scale="none", random_state=0)
    assert got["metric"] == "cosine"
    assert got["recommended_k"] == want.recommended_k == 4
    assert json.loads(invoke(*args).stdout)["metric"] == "euclidean"
    refused = invoke(*args, "--metric", "cosine", "--refine", "hartigan")
    assert refused.exit_code == 2 and "--refine" in refused.stderr


def embeddings_csv(tmp_path, zero_row=None):
    rng = np.random.default_rng(3)
    topics = rng.normal(size=(4, 8))
    X = topics[rng.integers(4, size=300)] + rng.normal(scale=0.3, size=(300, 8))
    X *= rng.uniform(0.1, 10, size=(300, 1))  # lengths vary; directions cluster
    if zero_row is not None:
        X[zero_row] = 0.0
    table = pd.DataFrame(X, columns=[f"e{i}" for i in range(8)])
    path = tmp_path / "emb.csv"
    table.to_csv(path, index=False)
    return table, path


def test_fit_by_angle_with_metric_cosine(tmp_path):
    from kmeansx import SphericalKMeans

    table, path = embeddings_csv(tmp_path)
    out, model = tmp_path / "out.csv", tmp_path / "m.kmx"
    args = ["fit", path, "--scale", "none", "-k", "4", "--random-state", "0"]
    result = invoke(*args, "--metric", "cosine", "--json", "-o", out, "--model", model)
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    want = segment(table, n_clusters=4, scale=None, metric="cosine", random_state=0)
    skm = SphericalKMeans(4, n_init=10, random_state=0).fit(table.to_numpy())
    labels = pd.read_csv(out)["cluster"].to_numpy()
    np.testing.assert_array_equal(labels, skm.labels_)
    np.testing.assert_array_equal(want.labels.to_numpy(), skm.labels_)
    assert got["metric"] == "cosine" and got["inertia"] == skm.inertia_
    assert got["sizes"] == np.bincount(skm.labels_, minlength=4).tolist()
    assert [row["cosine distance"] for row in got["profile"]] == pytest.approx(
        want.profile["cosine distance"].tolist()
    )
    # The same keys as a Euclidean fit, which says so.
    euclid = json.loads(invoke(*args, "--json").stdout)
    assert set(euclid) == set(got) and euclid["metric"] == "euclidean"
    # The saved model labels rows by angle, through predict's one path.
    fitted = load(model)
    assert isinstance(fitted.model, SphericalKMeans)
    predicted = tmp_path / "pred.csv"
    again = invoke("predict", model, path, "-o", predicted)
    assert again.exit_code == 0, again.output
    np.testing.assert_array_equal(pd.read_csv(predicted)["cluster"], skm.labels_)
    # The report names the angle and its distance.
    text = invoke(*args, "--metric", "cosine").stdout
    assert "Segments by angle (cosine)" in text and "cosine distance" in text


def test_fit_metric_cosine_chooses_k_by_angle(tmp_path):
    table, path = embeddings_csv(tmp_path)
    args = ["fit", path, "--scale", "none", "--k-max", "6", "--random-state", "0"]
    result = invoke(*args, "--metric", "cosine", "--json", "--n-init", "2")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    want = segment(
        table, scale=None, metric="cosine", random_state=0, k_range=range(1, 7),
        n_init=2, progress=False,
    )  # fmt: skip
    assert got["recommended_k"] == want.choice.recommended_k == got["n_clusters"] == 4
    assert got["sizes"] == want.profile["size"].tolist()


def test_fit_metric_cosine_refusals_say_why(tmp_path):
    _, path = embeddings_csv(tmp_path, zero_row=6)
    args = ["fit", path, "-k", "4", "--metric", "cosine"]
    assert_one_line_error(
        invoke(*args, "--scale", "none"), "line 8 is all zeros", "--metric euclidean"
    )
    assert_one_line_error(
        invoke(*args, "--refine", "hartigan"), "--refine does not apply"
    )
    assert_one_line_error(
        invoke(*args, "--plots", tmp_path / "pics"), "--plots is not available"
    )
