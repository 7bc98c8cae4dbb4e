"""A newcomer's tables through the command line: which columns, which dialect, and
what is printed (issue 13, items 1, 5 and 6).

Every table is made here, in tmp_path: scikit-learn's iris, wine, breast cancer and
digits exported to CSV, a customers table with an identifier, text, dates, blanks
and thousands separators, a semicolon file with decimal commas, and a Latin-1 file.
"""

import io
import json

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from sklearn import datasets
from typer.testing import CliRunner

from kmeansx import segment
from kmeansx._tables import choose_columns, why_left_out
from kmeansx._version import __version__
from kmeansx.cli import app
from kmeansx.cli.options import cli_words
from kmeansx.cli.progress import FitProgress

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def ok(result):
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def error(result, *fragments):
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("kmeansx: error: "), err
    for f in fragments:
        assert f in err, err
    return err


def sklearn_csv(tmp_path, name, **to_csv):
    frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, **({"index": False} | to_csv))
    return path, frame


def customers(rng, n=60):
    """Three groups by income and score; an ID, a text, a date column."""
    group = np.repeat([0, 1, 2], n // 3)
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1, n + 1),
            "Gender": rng.choice(["Female", "Male"], n),
            "Signup": pd.date_range("2023-01-01", periods=n).strftime("%Y-%m-%d"),
            "Age": rng.integers(18, 70, n).astype(float),
            "Annual Income": np.array([20_000, 55_000, 90_000])[group]
            + rng.integers(0, 5_000, n),
            "Spending Score": np.array([20.0, 50.0, 80.0])[group]
            + rng.normal(0, 3, n).round(1),
        }
    )


@pytest.fixture
def mall(tmp_path):
    path = tmp_path / "mall.csv"
    frame = customers(np.random.default_rng(0))
    frame.loc[[4, 9], "Age"] = np.nan  # blanks, on lines 6 and 11
    frame.to_csv(path, index=False)
    return path, frame


USED = ["Age", "Annual Income", "Spending Score"]


# -- 1. the default choice of columns --------------------------------------------------


@pytest.mark.parametrize(
    "name, rows, left_out",
    [
        ("id", [4, 4, 9], "an identifier"),
        ("customer_id", [4, 4, 9], "an identifier"),
        ("CustomerID", [4, 4, 9], "an identifier"),
        ("Customer ID", [4, 4, 9], "an identifier"),
        ("userId", [4, 4, 9], "an identifier"),
        ("zip_code", [4, 4, 9], "an identifier"),
        ("Unnamed: 0", [0, 1, 2], "an index column"),
        ("target", [0, 1, 1], "a label"),
        ("cluster", [0, 1, 1], "a label"),
        ("name", ["Ann", "Bo", "Cy"], "text"),
        ("income", ["1,234", "2,000", "950"], "numbers written as text"),
        ("signup", ["2024-01-31", "2024-02-01", None], "dates, as text"),
        ("when", pd.to_datetime(["2024-01-31", "2024-02-01", "2024-02-02"]), "a date"),
        # measurements, whatever their name ends with
        ("lipid", [4, 4, 9], None),
        ("Paid", [4, 4, 9], None),
        ("customer_id", [0.5, 1.5, 2.5], None),  # not whole numbers
        ("Age", [30, 41, 41], None),
        ("score", [0.1, np.inf, 2.0], None),
    ],
)
def test_why_a_column_is_left_out(name, rows, left_out):
    assert why_left_out(name, pd.Series(rows)) == left_out


def test_consecutive_integers_are_an_identifier_only_in_tables_of_ten_rows_or_more():
    assert why_left_out("n", pd.Series(np.arange(101, 111))) == "an identifier"
    assert why_left_out("n", pd.Series(np.arange(101, 111))[::-1]) == "an identifier"
    assert why_left_out("n", pd.Series(np.arange(1, 10))) is None  # 9 rows
    assert why_left_out("n", pd.Series([*range(1, 10), 11])) is None  # a gap


def test_on_dask_an_identifier_is_known_by_its_name_and_dtype():
    assert why_left_out("CustomerID", np.dtype("int64")) == "an identifier"
    assert why_left_out("Age", np.dtype("int64")) is None
    assert why_left_out("name", np.dtype("O")) == "text"


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits"])
def test_sklearn_tables_leave_out_their_target(tmp_path, name):
    path, frame = sklearn_csv(tmp_path, name)
    result = ok(invoke("choose-k", path, "--k-max", 3, "--methods", "elbow",
                       "--n-init", 1, "--random-state", 0, "--json"))  # fmt: skip
    payload = json.loads(result.stdout)
    assert payload["columns"] == [c for c in frame.columns if c != "target"]
    assert payload["left_out"] == {"target": "a label"}
    assert payload["n_samples"] == len(frame) and payload["n_dropped"] == 0


def test_a_written_index_column_is_left_out(tmp_path):
    path, frame = sklearn_csv(tmp_path, "wine", index=True)
    payload = json.loads(
        ok(invoke("fit", path, "-k", 3, "--n-init", 1, "--json")).stdout
    )
    assert payload["left_out"] == {"Unnamed: 0": "an index column", "target": "a label"}
    assert len(payload["columns"]) == 13


def test_fit_says_which_columns_it_used_and_left_out(tmp_path, mall):
    path, frame = mall
    frame = frame.dropna()
    frame.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    result = ok(invoke("fit", path, "-k", 3, "--random-state", 0, "-o", out))
    first = result.stdout.splitlines()[0]
    assert first == (
        "using columns: Age, Annual Income, Spending Score; left out: CustomerID "
        "(an identifier), Gender (text), Signup (dates, as text)"
    )
    expected = segment(frame, USED, 3, random_state=0)
    np.testing.assert_array_equal(pd.read_csv(out)["cluster"], expected.labels)
    # the same in --json, and the API's own default agrees
    payload = json.loads(ok(invoke("fit", path, "-k", 3, "--json")).stdout)
    assert payload["columns"] == USED
    assert payload["left_out"] == segment(frame, n_clusters=3).left_out
    assert list(payload["left_out"]) == ["CustomerID", "Gender", "Signup"]


def test_named_columns_are_used_as_named_and_not_announced(mall):
    path, _ = mall
    result = ok(invoke("fit", path, "-c", "CustomerID,Spending Score", "-k", 2))
    assert "using columns" not in result.stdout
    assert "CustomerID (mean, z)" in result.stdout


def test_exclude(mall):
    path, _ = mall
    payload = json.loads(
        ok(
            invoke("fit", path, "--exclude", "Age", "-k", 3, "--dropna", "--json")
        ).stdout
    )
    assert payload["columns"] == ["Annual Income", "Spending Score"]
    assert payload["left_out"]["Age"] == "excluded"
    assert payload["n_dropped"] == 0  # the blanks were in Age only
    error(invoke("fit", path, "--exclude", "age", "-k", 3), "'age' not found",
          "did you mean 'Age'")  # fmt: skip
    error(invoke("choose-k", path, "-c", "Age", "--exclude", "Age"), "excluded")


def test_a_named_text_or_date_column_is_an_error_naming_it(mall):
    path, _ = mall
    err = error(invoke("fit", path, "-c", "Gender,Age", "-k", 2), "'Gender'", "line 2")
    assert "df." not in err and "--columns" in err
    error(
        invoke("fit", path, "-c", "Signup,Age", "-k", 2, "--parse-dates", "Signup"),
        "'Signup' holds dates",
    )
    # parsed, dates are still left out by default, now as a date
    payload = json.loads(
        ok(
            invoke(
                "fit", path, "-k", 2, "--dropna", "--parse-dates", "Signup", "--json"
            )
        ).stdout  # fmt: skip
    )
    assert payload["left_out"]["Signup"] == "a date"


def test_no_numeric_column_left(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,name\n1,a\n2,b\n3,c\n")
    error(invoke("fit", path), "no numeric column", "id (an identifier)", "--columns")


# -- 5. CSV dialects -------------------------------------------------------------------


def test_semicolons_and_decimal_commas_read_as_the_comma_file(tmp_path):
    path, frame = sklearn_csv(tmp_path, "wine")
    semi = tmp_path / "wine_semi.csv"
    frame.to_csv(semi, sep=";", decimal=",", index=False)
    assert "," in semi.read_text().splitlines()[1]  # decimal commas indeed
    args = ["-k", 3, "--n-init", 2, "--random-state", 0, "--json"]
    plain = ok(invoke("fit", path, *args))
    sniffed = ok(invoke("fit", semi, *args))
    assert plain.stderr == ""
    assert sniffed.stderr.strip() == (
        f"kmeansx: note: read {semi} as semicolon-separated, with ',' as the decimal "
        "mark (--sep and --decimal choose otherwise)"
    )
    a, b = json.loads(plain.stdout), json.loads(sniffed.stdout)
    assert a["columns"] == b["columns"] and a["sizes"] == b["sizes"]
    assert b["inertia"] == pytest.approx(a["inertia"])
    # given, nothing is sniffed and nothing said
    given = ok(invoke("fit", semi, *args, "--sep", ";", "--decimal", ","))
    assert given.stderr == "" and json.loads(given.stdout)["sizes"] == a["sizes"]


def test_tabs_are_sniffed_and_said(tmp_path):
    path, frame = sklearn_csv(tmp_path, "iris", sep="\t")
    result = ok(invoke("choose-k", path, "--k-max", 3, "--n-init", 1, "--json"))
    assert "as tab-separated" in result.stderr
    assert json.loads(result.stdout)["columns"] == list(frame.columns[:4])


def test_thousands_separators(tmp_path):
    frame = customers(np.random.default_rng(1)).drop(columns=["Signup"]).dropna()
    text = frame.assign(**{"Annual Income": frame["Annual Income"].map("{:,}".format)})
    path = tmp_path / "thousands.csv"
    text.to_csv(path, index=False)
    assert '"20,' in path.read_text() or '"2' in path.read_text()
    result = ok(invoke("fit", path, "-k", 3))
    assert "Annual Income (numbers written as text)" in result.stdout
    assert "--thousands" in result.stdout.splitlines()[0]
    out = tmp_path / "out.csv"
    ok(invoke("fit", path, "-k", 3, "--thousands", ",", "--random-state", 0, "-o", out))
    expected = segment(frame, USED, 3, random_state=0)
    np.testing.assert_array_equal(pd.read_csv(out)["cluster"], expected.labels)


def test_latin1_is_read_and_said(tmp_path):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "Name": ["José", "Zoë", "Ana"] * 10,
            "x": rng.normal(size=30),
            "y": rng.normal(size=30),
        }  # fmt: skip
    )
    path = tmp_path / "latin.csv"
    frame.to_csv(path, index=False, encoding="latin-1")
    out = tmp_path / "out.csv"
    result = ok(invoke("fit", path, "-k", 2, "-o", out))
    assert result.stderr.strip() == (
        f"kmeansx: note: {path} is not UTF-8 (byte 0xe9 on line 2): read it as "
        "Latin-1; pass --encoding (e.g. cp1252) if names or text look wrong"
    )
    assert pd.read_csv(out)["Name"].tolist() == frame["Name"].tolist()
    assert ok(invoke("fit", path, "-k", 2, "--encoding", "latin-1")).stderr == ""
    error(invoke("fit", path, "--encoding", "utf-8"), "byte 0xe9 on line 2")
    # on an error, the note ends its one line: it may explain it
    err = error(invoke("fit", path, "-c", "Name,x"), "'Name' holds text ('Jos")
    assert err.endswith("read it as Latin-1; pass --encoding (e.g. cp1252) if names "
                        "or text look wrong]")  # fmt: skip
    error(invoke("fit", path, "--encoding", "klingon"), "unknown encoding")


def test_csv_options_are_refused_for_parquet(tmp_path, mall):
    _, frame = mall
    pq = tmp_path / "m.parquet"
    frame.to_parquet(pq)
    error(invoke("fit", pq, "--sep", ";"), "sep is for CSV files")


# -- 6. readable output -------------------------------------------------------------


def test_line_numbers_count_the_header_and_blank_lines(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text('a,b,note\n1,2,x\n\n3,,"two\nlines"\n5,6,y\n7,8,z\n')
    error(invoke("fit", path, "-k", 2), "'b' has missing values at line 4", "--dropna")
    result = ok(invoke("fit", path, "-k", 2, "--dropna"))
    assert "dropped 1 of 4 rows with a missing value (line 4)" in result.stdout


def test_dropna_says_how_many_rows_it_dropped_and_leaves_their_cluster_empty(
    tmp_path, mall
):
    path, frame = mall
    error(invoke("fit", path, "-k", 3), "'Age' has missing values at line 6, 11",
          "(--dropna)")  # fmt: skip
    out = tmp_path / "out.csv"
    result = ok(invoke("fit", path, "-k", 3, "--dropna", "-o", out))
    assert "dropped 2 of 60 rows with a missing value (line 6, 11)" in result.stdout
    assert pd.read_csv(out)["cluster"].isna().sum() == 2
    payload = json.loads(ok(invoke("fit", path, "-k", 3, "--dropna", "--json")).stdout)
    assert payload["n_dropped"] == 2 and payload["n_samples"] == 58


def test_many_columns_print_segments_as_rows(tmp_path):
    path, frame = sklearn_csv(tmp_path, "digits")
    result = ok(invoke("fit", path, "-k", 10, "--n-init", 1, "--random-state", 0))
    lines = result.stdout.splitlines()
    assert (
        lines[0].startswith("using columns: pixel_0_0") and "(64 columns)" in lines[0]
    )
    assert max(map(len, lines[1:])) <= 120  # the table: the width off a terminal
    header = next(line for line in lines if "furthest from the mean" in line)
    assert "segment" in header and "size" in header
    rows = [line for line in lines if line.startswith("│") and "pixel_" in line]
    assert len(rows) == 10  # one line per segment, none wrapped
    assert "of 64 columns shown per segment" in result.stdout
    assert "--json" in result.stdout and "-o FILE" in result.stdout
    assert "(mean, z)" not in result.stdout  # not the column layout


def test_the_profile_fits_the_width_or_turns(mall):
    from kmeansx.cli import format as fmt

    path, frame = mall
    seg = segment(frame.dropna(), USED, 5, random_state=0)

    def render(width):
        console = Console(width=width, record=True, file=io.StringIO())
        console.print(fmt.profile_table(seg.profile, seg.columns, width=width))
        return console.export_text()

    wide, narrow = render(200), render(80)
    assert "segment 4" in wide and "Age (mean, z)" in wide
    assert "furthest from the mean" in narrow and "segment 4" not in narrow
    for text in (wide, narrow):
        assert "distance (z): how far the segment's center sits" in " ".join(
            text.split()
        )


def test_k_auto_says_when_the_answer_is_at_the_end_of_the_range(tmp_path):
    path, _ = sklearn_csv(tmp_path, "iris")
    args = ["--methods", "silhouette", "--n-init", 1, "--random-state", 0]
    result = ok(invoke("choose-k", path, "--k-max", 2, *args))
    assert "k = 2 is the largest k searched" in result.stdout
    assert "--k-max 4" in result.stdout
    result = ok(invoke("choose-k", path, "--k-min", 4, "--k-max", 6, *args))
    assert "smallest k searched" in result.stdout
    # fit -k auto searches up to --k-max
    result = ok(invoke("fit", path, "--k-max", 2, "--n-init", 1, "--json"))
    payload = json.loads(result.stdout)
    assert payload["recommended_k"] == 2 and payload["n_clusters"] == 2


@pytest.mark.parametrize(
    "args, says",
    [
        (["fit", "{d}", "-k", 61], "-k 61 is larger"),
        (["choose-k", "{d}", "--k-max", 80], "use --k-max 58"),
        (["fit", "{d}", "-o", "{out}", "-k", 2], "pass --force"),
        (["fit", "{holes}", "-k", 2], "(--dropna)"),
        (["fit", "{d}", "-c", "Gender", "-k", 2], "leave it out of --columns"),
    ],
)
def test_messages_speak_options_not_parameters(tmp_path, mall, args, says):
    path, frame = mall
    frame.dropna().to_csv(path, index=False)
    out = tmp_path / "exists.csv"
    out.write_text("mine\n")
    holes = tmp_path / "holes.csv"
    frame.to_csv(holes, index=False)
    args = [str(a).format(d=path, holes=holes, out=out) for a in args]
    err = error(invoke(*args), says)
    for python in ("=True", "range(", "df.", "n_clusters=", "k_range", "dropna="):
        assert python not in err, err


def test_cli_words_leave_other_text_alone():
    text = "column 'a' has missing values at line 3; fill them first."
    assert cli_words(text) == text
    assert cli_words("k = 3: no recommendation; widen k_range or add methods.") == (
        "k = 3: no recommendation; widen the range of k (--k-max) or add methods."
    )


@pytest.mark.parametrize("command", [[], ["fit"], ["choose-k"], ["predict"], ["demo"]])
def test_help_has_examples_defaults_and_no_bool_metavars(command):
    text = ok(invoke(*command, "--help")).stdout
    assert "<bool>" not in text
    if command and command[0] != "demo":
        assert "Examples" in text and "kmeansx " in text
    if command in (["fit"], ["choose-k"]):
        flat = " ".join(text.replace("│", " ").split())
        assert "every numeric column except identifiers" in flat
        assert "1 to 10" in flat or "k = 1..--k-max" in flat


def test_version():
    assert ok(invoke("--version")).stdout.strip() == f"kmeansx {__version__}"


def test_fit_progress_shows_only_on_a_terminal_and_only_when_long():
    def run(console, ticks):
        clock = iter(ticks)
        with FitProgress(3, "fitting", console=console, clock=lambda: next(clock)) as p:
            for it in range(len(ticks) - 1):
                p(it % 2, 1.0, 0, 0.0)
        return p.shown

    term = Console(file=io.StringIO(), force_terminal=True)
    assert run(term, [0.0, 0.1, 0.5, 1.0]) is False  # quick: nothing
    assert run(term, [0.0, 0.1, 2.5, 3.0]) is True  # long: a bar
    pipe = Console(file=io.StringIO(), force_terminal=False)
    assert run(pipe, [0.0, 0.1, 2.5, 3.0]) is False  # never on a pipe
    assert pipe.file.getvalue() == ""


def test_choose_columns_keeps_the_order_given_and_refuses_unknown_names():
    df = pd.DataFrame({"b": [1.0, 2.0], "a": [3.0, 1.0], "id": [1, 2]})
    assert choose_columns(df, ["a", "b"]).columns == ["a", "b"]
    with pytest.raises(ValueError, match="'c' not found"):
        choose_columns(df, exclude=["c"])


def test_predict_reads_the_same_dialects_and_says_what_it_dropped(tmp_path, mall):
    path, frame = mall
    model = tmp_path / "m.kmx"
    ok(invoke("fit", path, "-k", 3, "--dropna", "--random-state", 0, "--model", model))
    semi = tmp_path / "new.csv"
    frame.to_csv(semi, sep=";", decimal=",", index=False)
    result = ok(invoke("predict", model, semi, "--dropna", "-o", tmp_path / "o.csv"))
    assert "semicolon-separated, with ',' as the decimal mark" in result.stderr
    assert "dropped 2 of 60 rows with a missing value" in result.stdout
    again = pd.read_csv(tmp_path / "o.csv")  # written as plain comma CSV
    fitted = segment(frame, USED, 3, dropna=True, random_state=0)
    pd.testing.assert_series_equal(
        again["cluster"], fitted.labels.reset_index(drop=True).astype(float),
        check_names=False,
    )  # fmt: skip
    error(invoke("predict", model, semi), "'Age' has missing values at line 6, 11")


def test_csv_options_are_refused_with_dask(tmp_path):
    error(invoke("fit", tmp_path, "--dask", "-k", 2, "--decimal", ","),
          "--decimal is for CSV files")  # fmt: skip
