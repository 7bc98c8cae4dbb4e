"""``kmeansx fit --mini-batch``: a file (or a folder of files) read in chunks.

Parity with ``MiniBatchKMeans.partial_fit`` on the same batches in the same
order, CSV and Parquet, folders, bad input named by file and row with nothing
left behind, all-or-nothing outputs, and memory that does not grow with the file.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import kmeansx._stream as stream_module
from kmeansx import MiniBatchKMeans, load
from kmeansx._csv import CsvDialect
from kmeansx._stream_fit import segment_stream
from kmeansx.cli import app
from kmeansx.segment import SegmentModel, profile_segments

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def blobs_frame(rng, n, centers=((0, 0, 0), (6, 2, 9), (12, -4, 3))):
    """Rows of blobs (in blob order: a file sorted by cluster), an id and text."""
    per = n // len(centers)
    X = np.vstack([rng.normal(c, 1.0, size=(per, 3)) for c in centers])
    X[:, 2] *= 100  # units that standardizing must even out
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df.insert(0, "row_id", np.arange(len(df)))
    df["region"] = rng.choice(["north", "south"], size=len(df))
    return df


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 256 rows, so that batches straddle chunks and files, and a CSV
    dialect (and the default columns) sniffed from the first 4 kB."""
    import kmeansx._csv as csv_module

    monkeypatch.setattr(stream_module, "READ_BYTES", 1)
    monkeypatch.setattr(stream_module, "MIN_READ_ROWS", 256)
    monkeypatch.setattr(csv_module, "_HEAD_BYTES", 4000)


def write_parts(df, folder, sizes, kind):
    folder.mkdir()
    start = 0
    for i, size in enumerate(sizes):
        part = df.iloc[start : start + size]
        if kind == "parquet":
            # Several row groups per file.
            part.to_parquet(folder / f"part-{i}.parquet", row_group_size=300)
        else:
            part.to_csv(folder / f"part-{i}.csv", index=False, sep=";", decimal=",")
        start += size
    return folder


def twin_of(seg, X, batch_size, passes):
    """The same run by hand: MiniBatchKMeans.partial_fit on the sample, then on
    consecutive batches of the scaled rows, pass after pass."""
    fit = seg.fit
    twin = MiniBatchKMeans(**fit.model.get_params())
    twin.partial_fit(fit.scaler.transform(fit.survey.sample))
    Z = fit.scaler.transform(X)
    for _ in range(passes):
        for start in range(0, len(Z), batch_size):
            twin.partial_fit(Z[start : start + batch_size])
    return twin, Z


@pytest.mark.parametrize("layout", ["parquet folder", "csv folder", "parquet file"])
def test_streaming_equals_partial_fit_on_the_same_batches(
    tmp_path, small_chunks, layout
):
    df = blobs_frame(np.random.default_rng(0), 3000)
    if layout == "parquet file":
        data = tmp_path / "all.parquet"
        df.to_parquet(data, row_group_size=700)
    else:
        kind = layout.split()[0]
        data = write_parts(df, tmp_path / "parts", [1100, 450, 1450], kind)
    out = tmp_path / "labels.csv"
    seg = segment_stream(
        data, 3, batch_size=200, passes=2, random_state=0, output=out, n_init=3
    )
    X = df[["a", "b", "c"]].to_numpy()
    assert seg.columns == ["a", "b", "c"]
    assert seg.fit.survey.left_out == {"row_id": "an identifier", "region": "text"}
    # The scaling of the whole stream, as in memory.
    np.testing.assert_allclose(seg.fit.scaler.center, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(seg.fit.scaler.scale, X.std(axis=0), rtol=1e-12)
    # The sample: distinct rows of the data, in file order.
    sample = seg.fit.survey.sample
    assert sample.shape == (600, 3)
    where = [int(np.flatnonzero((X == row).all(axis=1))[0]) for row in sample]
    assert where == sorted(set(where))
    np.testing.assert_array_equal(seg.fit.model.init, seg.fit.init)

    twin, Z = twin_of(seg, X, 200, 2)
    np.testing.assert_array_equal(seg.fit.model.cluster_centers_, twin.cluster_centers_)
    assert seg.fit.model.n_steps_ == twin.n_steps_ == 1 + 2 * 15
    labels = twin.predict(Z)
    written = pd.read_csv(out)
    assert list(written.columns) == [*df.columns, "cluster"]
    np.testing.assert_array_equal(written["cluster"], labels)
    pd.testing.assert_frame_equal(written.drop(columns="cluster"), df, atol=1e-12)
    np.testing.assert_array_equal(seg.sizes, np.bincount(labels, minlength=3))
    d2 = ((Z - twin.cluster_centers_[labels]) ** 2).sum()
    assert seg.inertia == pytest.approx(d2, rel=1e-10)
    expected = profile_segments(X, labels, ["a", "b", "c"], 3)
    pd.testing.assert_frame_equal(seg.profile, expected, rtol=1e-9)
    # A file sorted by cluster: every blob still gets its own center.
    assert sorted(np.round(seg.centers["a"]).astype(int)) == [0, 6, 12]


def test_the_sample_and_the_result_do_not_depend_on_the_chunk_size(
    tmp_path, monkeypatch
):
    df = blobs_frame(np.random.default_rng(1), 3000)
    data = tmp_path / "d.parquet"
    df.to_parquet(data)
    first = segment_stream(data, 3, batch_size=128, random_state=5)
    monkeypatch.setattr(stream_module, "READ_BYTES", 1)
    monkeypatch.setattr(stream_module, "MIN_READ_ROWS", 100)
    second = segment_stream(data, 3, batch_size=128, random_state=5)
    np.testing.assert_array_equal(first.fit.survey.sample, second.fit.survey.sample)
    np.testing.assert_allclose(
        first.fit.model.cluster_centers_, second.fit.model.cluster_centers_, rtol=1e-12
    )


def test_cli_writes_labels_model_and_the_json_of_the_in_memory_fit(tmp_path):
    df = blobs_frame(np.random.default_rng(2), 1500)
    data = tmp_path / "big.parquet"
    df.to_parquet(data)
    out, model = tmp_path / "labels.parquet", tmp_path / "seg.kmx"
    args = ["fit", data, "-k", 3, "--random-state", 0, "--json"]
    result = invoke(*args, "--mini-batch", "--batch-size", 256, "-o", out)
    result_model = invoke(*args, "--mini-batch", "--model", model)
    assert result.exit_code == 0 and result_model.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    in_memory = json.loads(invoke(*args).stdout)
    assert set(in_memory) <= set(summary)
    assert summary["mini_batch"]["batch_size"] == 256
    assert summary["n_iter"] == summary["mini_batch"]["passes"] == 3
    assert summary["columns"] == in_memory["columns"] == ["a", "b", "c"]
    assert summary["left_out"] == in_memory["left_out"]
    assert summary["n_samples"] == 1500 and summary["n_dropped"] == 0
    assert sorted(summary["sizes"]) == sorted(in_memory["sizes"]) == [500] * 3
    assert set(summary["profile"][0]) == set(in_memory["profile"][0])
    labels = pd.read_parquet(out)
    assert labels.shape == (1500, 6)
    assert labels["cluster"].value_counts().sort_index().tolist() == summary["sizes"]
    assert summary["outputs"] == {"output": str(out)}
    # The model file: a segment model over a MiniBatchKMeans, scaling kept.
    loaded = load(model)
    assert isinstance(loaded, SegmentModel)
    assert isinstance(loaded.model, MiniBatchKMeans)
    assert loaded.scaler.method == "standard" and loaded.columns == ("a", "b", "c")
    again = json.loads(result_model.stdout)
    np.testing.assert_array_equal(
        loaded.predict(df).value_counts().sort_index(), again["sizes"]
    )
    # The report: the columns in one line, then how the stream was fitted.
    text = invoke(*args[:-1], "--mini-batch", "-o", tmp_path / "l.csv")
    lines = text.stdout.splitlines()
    assert lines[0] == (
        "using columns: a, b, c; left out: row_id (an identifier), region (text)"
    )
    assert "k-means++ on a uniform sample of 1,500 rows" in lines[1]


def test_csv_dialect_is_sniffed_and_said(tmp_path):
    df = blobs_frame(np.random.default_rng(3), 600)
    data = tmp_path / "export.csv"
    df.to_csv(data, index=False, sep=";", decimal=",")
    result = invoke("fit", data, "--mini-batch", "-k", 3, "--json")
    assert result.exit_code == 0, result.output
    assert "semicolon-separated, with ',' as the decimal mark" in result.stderr
    assert json.loads(result.stdout)["columns"] == ["a", "b", "c"]


def test_dropna_leaves_the_cluster_of_dropped_rows_empty(tmp_path):
    df = blobs_frame(np.random.default_rng(4), 900)
    df.loc[[5, 700], "b"] = np.nan
    data = tmp_path / "gaps.csv"
    df.to_csv(data, index=False)
    out = tmp_path / "out.csv"
    result = invoke("fit", data, "--mini-batch", "-k", 3, "--dropna", "-o", out)
    assert result.exit_code == 0, result.output
    assert "dropped 2 of 900 rows" in result.stdout
    cluster = pd.read_csv(out)["cluster"]
    assert cluster.isna().tolist() == [i in (5, 700) for i in range(900)]


def test_docstring_examples_run():
    import doctest

    import kmeansx._csv
    import kmeansx._stream_fit
    import kmeansx._stream_survey
    import kmeansx.cli.progress

    for module in (
        stream_module,
        kmeansx._stream_survey,
        kmeansx._stream_fit,
        kmeansx._csv,
        kmeansx.cli.progress,
    ):
        failed, _ = doctest.testmod(module)
        assert failed == 0, module.__name__


def tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def assert_refused(tmp_path, args, *fragments):
    before = tree(tmp_path)
    result = invoke("fit", *args)
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err
    assert tree(tmp_path) == before  # nothing written, nothing left behind


def numbers_csv(path, n, late=None):
    """``n`` rows of two numeric columns; ``late`` replaces the text of one row."""
    rng = np.random.default_rng(5)
    rows = [f"{x:.4f},{y:.4f}" for x, y in rng.normal(size=(n, 2))]
    for i, text in (late or {}).items():
        rows[i] = text
    path.write_text("a,b\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "late, fragments",
    [
        ({2500: "0.1,oops"}, ["late.csv, line 2502", "column 'b' holds 'oops'"]),
        ({2600: "inf,0.2"}, ["late.csv, line 2602", "column 'a' holds infinity"]),
        ({2700: "0.3,"}, ["late.csv, line 2702", "missing value", "(--dropna)"]),
        ({2800: "0.1,0.2,0.3"}, ["late.csv", "Expected 2 fields in line 2802"]),
    ],
)
def test_a_bad_row_late_in_a_csv_is_named_and_nothing_is_written(
    tmp_path, small_chunks, late, fragments
):
    data = numbers_csv(tmp_path / "late.csv", 3000, late)
    args = [data, "--mini-batch", "-k", 2, "-o", tmp_path / "out.csv"]
    assert_refused(tmp_path, [*args, "--model", tmp_path / "m.kmx"], *fragments)


def test_a_bad_csv_row_is_named_by_its_line_past_blank_lines_and_quoted_breaks(
    tmp_path, small_chunks
):
    # Line 1 the header; a blank line and a record over two lines come before the
    # bad row, so its line is not its row + 1.
    rows = [f"{x:.4f},x{i}" for i, x in enumerate(np.linspace(0, 1, 3000))]
    rows[10] = '0.5,"two\nlines"'
    rows[20] += "\n"
    rows[2500] = "oops,x"
    data = tmp_path / "odd.csv"
    data.write_text("a,note\n" + "\n".join(rows) + "\n")
    args = [data, "--mini-batch", "-k", 2, "--columns", "a", "-o", tmp_path / "o.csv"]
    # Row 2501 (pandas skips the blank line) starts on line 2504.
    assert_refused(tmp_path, args, "odd.csv, line 2504:", "column 'a' holds 'oops'")


def test_a_failure_in_the_last_pass_leaves_no_output(tmp_path, small_chunks):
    # store_id is left out of the fit, so only the last pass, writing every column
    # to Parquet, meets its text: after the outputs' temporaries were opened.
    rows = [f"{i},{x:.3f},{y:.3f}" for i, (x, y) in enumerate(np.ones((3000, 2)))]
    rows[2900] = "S-1," + rows[2900].split(",", 1)[1]
    data = tmp_path / "stores.csv"
    data.write_text("store_id,a,b\n" + "\n".join(rows) + "\n")
    args = [data, "--mini-batch", "-k", 1, "-o", tmp_path / "out.parquet"]
    assert_refused(
        tmp_path,
        [*args, "--model", tmp_path / "m.kmx"],
        "stores.csv, line 2818 on",  # the chunk of 256 rows holding row 2901
        "changed type",
        "write the output as CSV",
    )


def test_folders_whose_files_disagree_are_refused(tmp_path):
    df = blobs_frame(np.random.default_rng(6), 600)
    parts = write_parts(df, tmp_path / "parts", [300, 300], "parquet")
    df.iloc[:10].drop(columns="b").to_parquet(parts / "part-2.parquet")
    args = [parts, "--mini-batch", "-k", 2, "-o", tmp_path / "o.csv"]
    assert_refused(tmp_path, args, "part-2.parquet", "missing b")
    (parts / "part-2.parquet").unlink()
    bad = df.iloc[:10].astype({"a": str})
    bad.loc[bad.index[3], "a"] = "n/a"
    bad.to_parquet(parts / "part-2.parquet")
    assert_refused(tmp_path, args, "part-2.parquet, row 4", "column 'a' holds 'n/a'")
    (parts / "part-2.parquet").unlink()
    df.iloc[:10].to_csv(parts / "part-2.csv", index=False)
    assert_refused(tmp_path, args, "mixes CSV files", "Parquet files")
    (parts / "part-2.csv").unlink()
    (parts / "notes.txt.bak").write_text("x")
    assert_refused(tmp_path, args, "notes.txt.bak", "neither CSV nor Parquet")


def test_empty_inputs_and_refused_options(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header = tmp_path / "header.csv"
    header.write_text("a,b\n")
    folder = tmp_path / "nothing"
    folder.mkdir()
    data = numbers_csv(tmp_path / "d.csv", 50)
    existing = tmp_path / "exists.csv"
    existing.write_text("x\n")
    cases = [
        ([empty, "-k", 2], ["empty.csv is empty"]),
        ([header, "-k", 2], ["header.csv has a header but no rows"]),
        ([folder, "-k", 2], ["holds no CSV or Parquet files"]),
        ([data], ["needs a number of clusters (-k N)"]),
        ([data, "-k", 2, "--scale", "robust"], ["scale='robust'", "standard"]),
        ([data, "-k", 2, "--plots", tmp_path / "p"], ["--plots is not available"]),
        ([data, "-k", 2, "--dask"], ["--dask is not available"]),
        ([data, "-k", 2, "-o", existing], ["exists.csv already exists", "--force"]),
        ([data, "-k", 2, "-o", data, "--force"], ["refusing to write onto the input"]),
        ([data, "-k", 51], ["-k 51 is larger than the number of rows (50)"]),
    ]
    for args, fragments in cases:
        assert_refused(tmp_path, [*args, "--mini-batch"], *fragments)
    assert_refused(tmp_path, [data, "-k", 2, "--passes", 2], "--passes is for --mini")
    parts = write_parts(
        blobs_frame(np.random.default_rng(7), 300), tmp_path / "parts", [300], "csv"
    )
    inside = ["--mini-batch", "-k", 2, "-o", parts / "labels.csv"]
    assert_refused(tmp_path, [parts, *inside], "inside", "read as input next time")


def test_output_is_replaced_only_with_force(tmp_path):
    data = numbers_csv(tmp_path / "d.csv", 400)
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    assert invoke("fit", data, "--mini-batch", "-k", 2, "-o", out).exit_code == 2
    assert out.read_text() == "old\n"
    result = invoke("fit", data, "--mini-batch", "-k", 2, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 400


def test_a_later_chunk_that_is_not_utf8_names_the_file_and_the_fix(
    tmp_path, small_chunks
):
    data = numbers_csv(tmp_path / "latin.csv", 3000)
    raw = data.read_bytes()
    data.write_bytes(raw[:-20] + "é\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin.csv is not utf-8 past its first"):
        segment_stream(data, 2, dialect=CsvDialect())


# -- memory ------------------------------------------------------------------------

# The peak resident memory of this process's own address space (VmHWM): Linux
# keeps ru_maxrss across exec, so a child of pytest would report pytest's.
MEASURE = textwrap.dedent(
    """
    import re, sys
    from kmeansx.cli import main
    sys.argv = ["kmeansx", *sys.argv[1:]]
    try:
        main()
    except SystemExit as e:
        code = e.code
    status = open("/proc/self/status").read()
    print("MAXRSS_KB", re.search(r"VmHWM:\\s*(\\d+) kB", status)[1])
    sys.exit(code)
    """
)


def peak_rss_mb(args, cwd) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    line = [x for x in out.stdout.splitlines() if x.startswith("MAXRSS_KB")][-1]
    return int(line.split()[1]) / 1024


@pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="reads VmHWM from /proc (Linux)"
)
@pytest.mark.parametrize(
    "output",
    [None, pytest.param("labels.parquet", marks=pytest.mark.soak)],
    ids=["fit", "fit and write every row"],
)
def test_memory_does_not_grow_with_the_file(tmp_path, output):
    """A Parquet file of 3.2M rows x 8 columns (195 MiB of float64 numbers) streams
    with a peak memory at most 50 MB above the same command on its first 400,000
    rows (row groups of 200,000 rows in both)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(8)
    n, d = 3_200_000, 8
    big, small = tmp_path / "big.parquet", tmp_path / "small.parquet"
    schema = pa.schema([(f"x{j}", pa.float32()) for j in range(d)])
    # Written in parts, uncompressed (quick): the test itself stays small. float32
    # on disk, float64 once read (as every table the command reads).
    with pq.ParquetWriter(big, schema, compression="none") as w:
        for part in range(8):
            block = rng.standard_normal((n // 8, d), dtype=np.float32)
            block += rng.integers(0, 4, (n // 8, 1)).astype(np.float32) * 5
            table = pa.table({f"x{j}": block[:, j] for j in range(d)})
            w.write_table(table, row_group_size=200_000)
            if part == 0:  # the same row groups (read at once), 8 times fewer
                pq.write_table(table, small, row_group_size=200_000)
    args = ["fit", None, "--mini-batch", "-k", 4, "--batch-size", 16384, "--n-init", 1]
    args += ["--passes", 1, "--random-state", 0, "--json"]

    def peak(path, prefix):
        args[1] = path
        written = [] if output is None else ["-o", tmp_path / f"{prefix}_{output}"]
        return peak_rss_mb([*args, *written], tmp_path)

    peak(small, "warm")  # compiles and caches what the runs need
    baseline = peak(small, "small")
    grown = peak(big, "big") - baseline
    data_mb = n * d * 8 / 2**20
    assert grown < 50, f"peak grew {grown:.0f} MB for {data_mb:.0f} MB of numbers"
    if output is not None:
        written = pq.ParquetFile(tmp_path / f"big_{output}")
        assert written.metadata.num_rows == n


def test_mini_batch_refuses_the_cosine_metric(tmp_path):
    data = tmp_path / "big.parquet"
    blobs_frame(np.random.default_rng(0), 300).to_parquet(data)
    result = invoke("fit", data, "-k", 3, "--mini-batch", "--metric", "cosine")
    assert result.exit_code != 0
    assert "--metric cosine is not available with --mini-batch" in result.output
