"""A catalogue of bad inputs: each names its problem, or gets the right answer.

Three tables, one row per case: the API (``KMeans``, ``steps``, ``choose_k``,
``segment``, ``save``/``load``), model files damaged on disk, and the command
line. Each case gives the error type and a fragment the message must hold (the
problem named: the column, the row, the value, the fix), or, where a correct
result is expected, a check of that result. A case that once revealed a bug says
so in its comment.
"""

import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from kmeansx import KMeans, choose_k, load, save, segment, steps  # noqa: E402
from kmeansx.cli import app  # noqa: E402
from test_io import _rewrite_array, _rewrite_header  # noqa: E402

RNG = np.random.default_rng(12)
X = RNG.normal(size=(30, 2))
X_NAN = X.copy()
X_NAN[3, 1] = np.nan
X_INF = X.copy()
X_INF[5, 0] = np.inf
DF = pd.DataFrame(X, columns=["a", "b"])
C3 = X[:3].copy()
LABELS = np.arange(30) % 3


def fitted():
    return KMeans(3, n_init=1, random_state=0).fit(X)


@dataclass
class Case:
    """``run`` raises ``error`` with ``fragment`` in its message, or (``error`` is
    None) returns a value that ``check`` accepts."""

    run: Any
    error: type | None
    fragment: str = ""
    check: Any = None


API = {
    # -- KMeans parameters
    "n_clusters=0": Case(
        lambda: KMeans(0).fit(X), ValueError, "n_clusters must be >= 1"
    ),
    "n_clusters=-1": Case(lambda: KMeans(-1).fit(X), ValueError, "got -1"),
    "n_clusters=2.5": Case(
        lambda: KMeans(2.5).fit(X), ValueError, "an int >= 1, got 2.5"
    ),
    "n_clusters='3'": Case(lambda: KMeans("3").fit(X), ValueError, "got '3'"),
    "n_init=0": Case(
        lambda: KMeans(2, n_init=0).fit(X), ValueError, "n_init must be >= 1"
    ),
    "max_iter=0": Case(lambda: KMeans(2, max_iter=0).fit(X), ValueError, "max_iter"),
    "tol=-1": Case(
        lambda: KMeans(2, tol=-1).fit(X), ValueError, "tol must be a float >= 0"
    ),
    "algorithm unknown": Case(
        lambda: KMeans(2, algorithm="fast").fit(X), ValueError, "got 'fast'"
    ),
    "init misspelt": Case(
        lambda: KMeans(2, init="kmeans++").fit(X), ValueError, "got 'kmeans++'"
    ),
    "init array of wrong shape": Case(
        lambda: KMeans(2, init=np.zeros((3, 2)), n_init=1).fit(X),
        ValueError,
        "initial centers (3, 2)",
    ),
    "init array with NaN": Case(
        lambda: KMeans(2, init=np.array([[np.nan, 0], [1, 1]]), n_init=1).fit(X),
        ValueError,
        "init contains NaN or inf",
    ),
    "random_state text": Case(
        lambda: KMeans(2, random_state="x").fit(X), ValueError, "cannot be used to seed"
    ),
    # -- KMeans data
    "k > rows": Case(lambda: KMeans(40).fit(X), ValueError, "at most 30 clusters"),
    "NaN cell": Case(
        lambda: KMeans(2).fit(X_NAN), ValueError, "NaN in column '1' (row(s) 3)"
    ),
    "inf cell": Case(
        lambda: KMeans(2).fit(X_INF), ValueError, "inf in column '0' (row(s) 5)"
    ),
    "1-D X": Case(lambda: KMeans(2).fit(X[:, 0]), ValueError, "reshape(-1, 1)"),
    "3-D X": Case(lambda: KMeans(2).fit(X[None]), ValueError, "got 3D"),
    "no rows": Case(lambda: KMeans(2).fit(np.empty((0, 2))), ValueError, "0 sample(s)"),
    "no columns": Case(
        lambda: KMeans(2).fit(np.empty((5, 0))), ValueError, "0 feature(s)"
    ),
    "array of text": Case(
        lambda: KMeans(2).fit(np.array([["a", "b"], ["c", "d"]])),
        ValueError,
        "at row 0, column 0",
    ),
    "object array, one text cell": Case(
        lambda: KMeans(2).fit(np.array([[1, "x"], [2, 3]], dtype=object)),
        ValueError,
        "'x' at row 0, column 1",
    ),
    # Once scikit-learn's "Complex data not supported" followed by the whole array.
    "complex array": Case(lambda: KMeans(2).fit(X + 1j), ValueError, "complex numbers"),
    "text column in a DataFrame": Case(
        lambda: KMeans(2).fit(DF.assign(c=["x"] * 30)),
        ValueError,
        "column 'c' holds text",
    ),
    "weights of wrong length": Case(
        lambda: KMeans(2).fit(X, sample_weight=np.ones(5)), ValueError, "5 entries"
    ),
    "negative weights": Case(
        lambda: KMeans(2).fit(X, sample_weight=-np.ones(30)), ValueError, "non-negative"
    ),
    "NaN weight": Case(
        lambda: KMeans(2).fit(X, sample_weight=np.r_[np.nan, np.ones(29)]),
        ValueError,
        "NaN or inf at row(s) 0",
    ),
    "all-zero weights": Case(
        lambda: KMeans(2).fit(X, sample_weight=np.zeros(30)), ValueError, "sums to zero"
    ),
    "boolean data is numbers": Case(
        lambda: KMeans(2, n_init=1, random_state=0).fit(X > 0).cluster_centers_.shape,
        None,
        check=lambda r: r == (2, 2),
    ),
    "k = rows: each row its own cluster": Case(
        lambda: KMeans(30, n_init=1, random_state=0).fit(X).inertia_,
        None,
        check=lambda r: r == 0.0,
    ),
    # -- predict / transform / score
    "predict before fit": Case(
        lambda: KMeans(2).predict(X), NotFittedError, "not fitted"
    ),
    "transform before fit": Case(lambda: KMeans(2).transform(X), NotFittedError, "fit"),
    "predict: too few columns": Case(
        lambda: fitted().predict(X[:, :1]),
        ValueError,
        "1 features, but KMeans is expecting 2",
    ),
    "transform: too many columns": Case(
        lambda: fitted().transform(np.ones((3, 5))), ValueError, "expecting 2 features"
    ),
    "predict: NaN": Case(lambda: fitted().predict(X_NAN), ValueError, "row(s) 3"),
    "predict: no rows": Case(
        lambda: fitted().predict(np.empty((0, 2))), ValueError, "0 sample(s)"
    ),
    "score: inf": Case(lambda: fitted().score(X_INF), ValueError, "inf in column '0'"),
    "score: weights of wrong length": Case(
        lambda: fitted().score(X, sample_weight=np.ones(3)), ValueError, "3 entries"
    ),
    "predict: a column unseen at fit": Case(
        lambda: KMeans(2, n_init=1).fit(DF).predict(DF[["a"]].assign(c=1.0)),
        ValueError,
        "unseen at fit time",
    ),
    # -- steps
    "assign: centers of other width": Case(
        lambda: steps.assign(X, np.zeros((2, 3))), ValueError, "3 features but X has 2"
    ),
    "assign: NaN in X": Case(lambda: steps.assign(X_NAN, C3), ValueError, "row(s) 3"),
    "assign: NaN center": Case(
        lambda: steps.assign(X, np.array([[np.nan, 0.0]])),
        ValueError,
        "centers contains NaN",
    ),
    "assign: no centers": Case(
        lambda: steps.assign(X, np.zeros((0, 2))), ValueError, "centers is empty"
    ),
    "update: labels too short": Case(
        lambda: steps.update(X, LABELS[:5], C3), ValueError, "shape (30,), got (5,)"
    ),
    "update: label beyond k": Case(
        lambda: steps.update(X, np.r_[LABELS[:-1], 7], C3),
        ValueError,
        "integers in 0..2",
    ),
    "update: negative label": Case(
        lambda: steps.update(X, np.r_[LABELS[:-1], -1], C3),
        ValueError,
        "integers in 0..2",
    ),
    "update: fractional labels": Case(
        lambda: steps.update(X, LABELS + 0.5, C3), ValueError, "integers in 0..2"
    ),
    "inertia: labels of wrong length": Case(
        lambda: steps.inertia(X, C3, LABELS[:3]), ValueError, "got (3,)"
    ),
    "random_centers: k > rows": Case(
        lambda: steps.random_centers(X, 31), ValueError, "at most 30 clusters"
    ),
    "random_centers: k = 0": Case(
        lambda: steps.random_centers(X, 0), ValueError, "n_clusters"
    ),
    "kmeans_plusplus: k = 0": Case(
        lambda: steps.kmeans_plusplus(X, 0), ValueError, "range [1, inf)"
    ),
    "kmeans_plusplus: k > rows": Case(
        lambda: steps.kmeans_plusplus(X, 31), ValueError, "at most 30 clusters"
    ),
    "standardize: NaN": Case(lambda: steps.standardize(X_NAN), ValueError, "row(s) 3"),
    "standardize: constant column gives zeros": Case(
        lambda: steps.standardize(np.ones((4, 2))).data,
        None,
        check=lambda r: np.array_equal(r, np.zeros((4, 2))),
    ),
    "distances: 1-D X": Case(lambda: steps.distances(X[:, 0], C3), ValueError, "2D"),
    # -- choose_k
    "choose_k: empty range": Case(
        lambda: choose_k(X, range(3, 3)), ValueError, "k_range is empty"
    ),
    "choose_k: k = 0 in range": Case(
        lambda: choose_k(X, range(0, 3)), ValueError, "k >= 1, got 0"
    ),
    "choose_k: unknown method": Case(
        lambda: choose_k(X, range(1, 4), ["elbowz"]),
        ValueError,
        "unknown method 'elbowz'",
    ),
    "choose_k: range above the rows": Case(
        lambda: choose_k(X[:4], range(1, 8)), ValueError, "range(1, 5)"
    ),
    "choose_k: NaN": Case(lambda: choose_k(X_NAN, range(1, 4)), ValueError, "at row 3"),
    # Once "divide by zero encountered in log" (errors here) and a gap of -inf - -inf.
    "choose_k: gap on 2 rows": Case(
        lambda: choose_k(X[:2], range(1, 3), ["gap"], random_state=0).recommended,
        None,
        check=lambda r: r == {"gap": 1},
    ),
    # -- segment
    "segment: unknown column": Case(
        lambda: segment(DF, ["aa"], n_clusters=2), ValueError, "did you mean 'a'"
    ),
    "segment: k = 0": Case(lambda: segment(DF, n_clusters=0), ValueError, "got 0"),
    "segment: k = 'many'": Case(
        lambda: segment(DF, n_clusters="many"), ValueError, "'many'"
    ),
    "segment: unknown scale": Case(
        lambda: segment(DF, n_clusters=2, scale="minmax"), ValueError, "got 'minmax'"
    ),
    "segment: text column": Case(
        lambda: segment(DF.assign(c=["x"] * 30), ["a", "c"], n_clusters=2),
        ValueError,
        "column 'c'",
    ),
    "segment: NaN without dropna": Case(
        lambda: segment(pd.DataFrame(X_NAN, columns=["a", "b"]), n_clusters=2),
        ValueError,
        "column 'b' has missing values at row 3",
    ),
    "segment: NaN with dropna": Case(
        lambda: (
            segment(
                pd.DataFrame(X_NAN, columns=["a", "b"]),
                n_clusters=2,
                dropna=True,
                random_state=0,
                progress=False,
            ).labels
        ),  # fmt: skip
        None,
        check=lambda r: r.isna().tolist() == [i == 3 for i in range(30)],
    ),
    "segment: empty column list": Case(
        lambda: segment(DF, [], n_clusters=2), ValueError, "columns is empty"
    ),
    "segment: a Series": Case(
        lambda: segment(DF["a"], n_clusters=2), ValueError, "df[['A']]"
    ),
    # -- save / load
    "save: unfitted": Case(
        lambda: save(KMeans(2), "u.kmx"), NotFittedError, "not fitted"
    ),
    "save: not a model": Case(lambda: save([1, 2], "u.kmx"), TypeError, "got list"),
    "load: missing file": Case(
        lambda: load("none.kmx"), FileNotFoundError, "no such file"
    ),
    "load: a directory": Case(lambda: load("."), IsADirectoryError, "is a directory"),
}


@pytest.mark.parametrize("case", list(API), ids=list(API))
def test_api(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # save/load cases use relative paths
    c = API[case]
    if c.error is None:
        assert c.check(c.run()), case
        return
    with pytest.raises(c.error) as info:
        c.run()
    assert c.fragment in str(info.value), str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_k_above_the_distinct_rows_warns_as_scikit_learn_does():
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        KMeans(3, n_init=1).fit(np.ones((10, 2)))


# -- model files ----------------------------------------------------------------------


def _model(path):
    return save(segment(DF, n_clusters=2, random_state=0, progress=False), path)


def _truncate(fraction):
    def damage(path):
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])

    return damage


def _array(name, value):
    return lambda path: _rewrite_array(path, name, value)


def _header(change):
    return lambda path: _rewrite_header(path, change)


def _bytes(content):
    return lambda path: path.write_bytes(content)


def _raw_entry(name, content):
    def damage(path):
        with zipfile.ZipFile(path) as zf:
            entries = {n: zf.read(n) for n in zf.namelist()}
        entries[name] = content
        with zipfile.ZipFile(path, "w") as zf:
            for n, data in entries.items():
                zf.writestr(n, data)

    return damage


def _corrupt_deflated_header(path):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    data = bytearray(path.read_bytes())
    start = 30 + len("header.json")  # the first entry's compressed stream
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))


DAMAGED = "not a kmeansx model file or is damaged"
MODELS = {
    "empty file": (_bytes(b""), DAMAGED),
    "a CSV named .kmx": (_bytes(b"a,b\n1,2\n"), DAMAGED),
    "truncated to 10%": (_truncate(0.1), DAMAGED),
    "truncated to 90%": (_truncate(0.9), DAMAGED),
    "NaN centers": (_array("cluster_centers", np.full((2, 2), np.nan)), "holds NaN"),
    "centers of wrong shape": (
        _array("cluster_centers", np.zeros((3, 2))),
        "has shape",
    ),
    "centers as text": (_array("cluster_centers", np.array([["a", "b"]] * 2)), "dtype"),
    "labels beyond k": (_array("labels", np.full(30, 9)), "labels outside 0..1"),
    "scaling of zero": (_array("scaler_scale", np.zeros(2)), "scaler_scale holds"),
    "header names another format": (
        _header(lambda h: h.update(format="other")),
        "does not name 'kmeansx-model'",
    ),
    "newer format version": (
        _header(lambda h: h.update(format_version=99)),
        "upgrade kmeansx",
    ),
    "header lists a missing array": (
        _header(lambda h: h["arrays"].append("nothing")),
        DAMAGED,
    ),
    "n_clusters = 0 in header": (
        _header(lambda h: h["params"].update(n_clusters=0)),
        "n_clusters=0",
    ),
    "columns disagree with centers": (
        _header(lambda h: h.update(columns=["a"])),
        "columns is not a list of 2",
    ),
    "unknown model kind": (_header(lambda h: h.update(kind="forest")), "kind 'forest'"),
    "header without fitted part": (
        _header(lambda h: h.pop("fitted")),
        "'fitted' is missing",
    ),
    # Found by tests/test_fuzz.py: each was a traceback (AttributeError,
    # zlib.error) out of kmeansx predict.
    "params is null": (
        _header(lambda h: h.update(params=None)),
        "'params' is missing or not a mapping",
    ),
    "corrupt compressed stream": (_corrupt_deflated_header, DAMAGED),
    "an array that is not .npy": (
        _raw_entry("arrays/labels.npy", b"junk"),
        "array 'labels'",
    ),
}


@pytest.mark.parametrize("case", list(MODELS), ids=list(MODELS))
def test_model_files(case, tmp_path):
    damage, fragment = MODELS[case]
    path = _model(tmp_path / "m.kmx")
    damage(path)
    with pytest.raises(ValueError) as info:
        load(path)
    assert fragment in str(info.value), str(info.value)


# -- the command line -----------------------------------------------------------------

GOOD = "a,b,name\n1,2,x\n1.5,2.5,y\n8,9,z\n8.5,9.5,w\n"
runner = CliRunner()


CLI = {
    "missing file": ({}, ["fit", "{tmp}/no.csv"], "no such file"),
    "empty file": ({"d.csv": ""}, ["fit", "{tmp}/d.csv"], "is empty"),
    "header only": ({"d.csv": "a,b\n"}, ["fit", "{tmp}/d.csv"], "header but no rows"),
    "a directory as the table": ({}, ["fit", "{tmp}"], "is a directory"),
    "unknown suffix": (
        {"d.xlsx": GOOD},
        ["fit", "{tmp}/d.xlsx"],
        "unknown table format",
    ),
    "Latin-1 bytes, --encoding utf-8": (
        {"d.csv": "a,b\n1,caf\u00e9\n".encode("latin-1")},
        ["fit", "{tmp}/d.csv", "--encoding", "utf-8"],
        "byte 0xe9 on line 2",
    ),
    "unbalanced quote": ({"d.csv": 'a,b\n1,"2\n'}, ["fit", "{tmp}/d.csv"], "csv"),
    "text in a numeric column": (
        {"d.csv": "a,b\n1,2\n3,four\n5,6\n"},
        ["fit", "{tmp}/d.csv", "-c", "a,b", "-k", "2"],
        "column 'b' holds text ('four' at line 3)",
    ),
    "NaN cell": (
        {"d.csv": "a,b\n1,2\n3,\n5,6\n7,8\n"},
        ["fit", "{tmp}/d.csv", "-k", "2"],
        "missing values at line 3",
    ),
    "inf cell": (
        {"d.csv": "a,b\n1,2\n3,inf\n5,6\n7,8\n"},
        ["fit", "{tmp}/d.csv", "-k", "2"],
        "infinity at line 3",
    ),
    "unknown column, suggestion": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "-c", "A,b", "-k", "2"],
        "did you mean 'a'",
    ),
    # Once silently renamed to 'a.1' by pandas and clustered.
    "duplicate column": (
        {"d.csv": "a,a,b\n1,2,3\n4,5,6\n7,8,9\n"},
        ["fit", "{tmp}/d.csv", "-k", "2"],
        "names column 'a' twice",
    ),
    "k > rows": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "-c", "a,b", "-k", "9"],
        "at most 4",
    ),
    "k = 0": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "-k", "0"],
        "whole number >= 1, got 0",
    ),
    "k = two": ({"d.csv": GOOD}, ["fit", "{tmp}/d.csv", "-k", "two"], "got 'two'"),
    "--columns empty": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "-c", ","],
        "--columns is empty",
    ),
    "--n-init 0": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "--n-init", "0"],
        "--n-init",
    ),
    "--scale unknown": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "--scale", "max"],
        "max",
    ),
    "output exists": (
        {"d.csv": GOOD, "o.csv": "x\n"},
        ["fit", "{tmp}/d.csv", "-c", "a,b", "-k", "2", "-o", "{tmp}/o.csv"],
        "already exists",
    ),
    "output is the input": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "-k", "2", "-o", "{tmp}/d.csv", "--force"],
        "input file",
    ),
    "model is the input": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "-k", "2", "--model", "{tmp}/d.csv", "--force"],
        "input file",
    ),
    "plots under a file": (
        {"d.csv": GOOD},
        ["fit", "{tmp}/d.csv", "-k", "2", "--plots", "{tmp}/d.csv/plots"],
        "is a file",
    ),
    "choose-k: --k-max < --k-min": (
        {"d.csv": GOOD},
        ["choose-k", "{tmp}/d.csv", "--k-min", "3", "--k-max", "2"],
        "--k-max (2) must be >= --k-min (3)",
    ),
    "choose-k: unknown method": (
        {"d.csv": GOOD},
        ["choose-k", "{tmp}/d.csv", "-c", "a,b", "--methods", "gapp"],
        "unknown method 'gapp'",
    ),
    "choose-k: plot exists": (
        {"d.csv": GOOD, "k.png": "x"},
        ["choose-k", "{tmp}/d.csv", "--plot", "{tmp}/k.png"],
        "already exists",
    ),
    "predict: model missing": (
        {"d.csv": GOOD},
        ["predict", "{tmp}/none.kmx", "{tmp}/d.csv"],
        "no such file",
    ),
    "predict: a table as the model": (
        {"d.csv": GOOD},
        ["predict", "{tmp}/d.csv", "{tmp}/d.csv"],
        DAMAGED,
    ),
    "predict: table lacks the model's column": (
        {"n.csv": "a,c\n1,2\n"},
        ["predict", "{model}", "{tmp}/n.csv"],
        "'b'",
    ),
    "predict: output is the model": (
        {"n.csv": "a,b\n1,2\n"},
        ["predict", "{model}", "{tmp}/n.csv", "-o", "{model}", "--force"],
        "input file",
    ),
    "demo: output is a file": (
        {"f": "x"},
        ["demo", "--output", "{tmp}/f"],
        "is a file",
    ),
}


@pytest.mark.parametrize("case", list(CLI), ids=list(CLI))
def test_cli(case, tmp_path):
    files, args, fragment = CLI[case]
    for name, content in files.items():
        p = tmp_path / name
        p.write_bytes(content) if isinstance(content, bytes) else p.write_text(content)
    if any("{model}" in a for a in args):
        _model(tmp_path / "model.kmx")
    before = sorted(tmp_path.iterdir())
    args = [a.format(tmp=tmp_path, model=tmp_path / "model.kmx") for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("kmeansx: error: "), err
    assert "Traceback" not in result.output and "Warning" not in result.output
    assert fragment in err, err
    assert sorted(tmp_path.iterdir()) == before  # nothing written on failure


# -- small and odd tables: a result or one sentence, never a Python warning ----------

ODD = {
    "1 row": "a,b\n1,2\n",
    "2 rows": "a,b\n1,2\n3,5\n",
    "3 rows": "a,b\n1,2\n3,5\n7,1\n",
    "a constant column": "a,b\n1,2\n1,3\n1,4\n1,9\n",
    "every row the same": "a,b\n1,2\n1,2\n1,2\n1,2\n",
    "duplicated rows": "a,b\n1,2\n1,2\n3,4\n3,4\n",
    "one column": "a\n1\n2\n3\n",
}
ODD_COMMANDS = {
    "fit auto": ["fit", "{d}", "-k", "auto"],
    "fit k=1": ["fit", "{d}", "-k", "1"],
    "fit k=n": ["fit", "{d}", "-k", "{n}"],
    "fit k=n+1": ["fit", "{d}", "-k", "{n1}"],
    "fit robust": ["fit", "{d}", "-k", "1", "--scale", "robust"],
    "fit plots": ["fit", "{d}", "-k", "{n}", "--plots", "{tmp}/p"],
    "choose-k": ["choose-k", "{d}", "--k-max", "{n}", "--plot", "{tmp}/k.png"],
}


@pytest.mark.parametrize("command", list(ODD_COMMANDS))
@pytest.mark.parametrize("table", list(ODD))
def test_small_and_odd_tables_give_a_result_or_one_line(table, command, tmp_path):
    d = tmp_path / "d.csv"
    d.write_text(ODD[table])
    n = len(ODD[table].splitlines()) - 1
    args = [a.format(d=d, n=n, n1=n + 1, tmp=tmp_path) for a in ODD_COMMANDS[command]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code in (0, 2), result.output
    assert "Warning" not in result.output and "Traceback" not in result.output
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]
    else:
        assert result.stderr == ""
