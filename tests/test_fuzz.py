"""Fuzzing with hypothesis: random and mutated CSV files through ``kmeansx fit`` and
``choose-k``, random and mutated model files through ``load`` and ``kmeansx
predict``.

The contract: the API raises only its documented errors (ValueError for a bad
model file); the command exits 0, or 2 with one line on stderr, never a traceback
or a Python warning, and writes no file when it fails. Deterministic
(``derandomize=True``) and small, so that it runs in CI every time.
"""

import io
import json
import tempfile
import zipfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from kmeansx import KMeans, load, save, segment  # noqa: E402
from kmeansx.cli import app  # noqa: E402

runner = CliRunner()
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

CELLS = ["1", "2.5", "-3", "0", "", "nan", "inf", "-inf", "1e308", "x", " ", '"7"']
NAMES = ["a", "b", "a.1", "", "Annual Income", "é", '"q"', "a"]
GOOD_CSV = b"a,b,name\n1,2,x\n1.5,2.5,y\n8,9,z\n8.5,9.5,w\n0.5,1,v\n9,8,u\n"


@st.composite
def csv_texts(draw):
    """A small CSV from pieces that tables really hold, good and bad."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3))
    rows = draw(
        st.lists(
            st.lists(
                st.sampled_from(CELLS) | st.text(max_size=3),
                min_size=len(names) - 1,
                max_size=len(names) + 1,
            ),
            max_size=6,
        )
    )
    sep = draw(st.sampled_from([",", ",", ";"]))
    lines = [sep.join(names)] + [sep.join(r) for r in rows]
    return ("\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))).encode()


@st.composite
def mutated(draw, data: bytes):
    """``data`` with a few bytes replaced, inserted, or cut."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        how = draw(st.sampled_from(["replace", "insert", "cut", "truncate"]))
        byte = draw(st.integers(0, 255))
        if how == "replace" and data:
            data[at] = byte
        elif how == "insert":
            data.insert(at, byte)
        elif how == "cut" and data:
            del data[at]
        elif how == "truncate":
            del data[at:]
    return bytes(data)


def check_cli(result, folder: Path, before: list) -> None:
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output, result.output
    assert "Warning" not in result.output, result.output
    if result.exit_code == 2:
        err = result.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("kmeansx: error: "), result.stderr
        assert sorted(p.name for p in folder.iterdir()) == before


def run_in(folder: Path, data: bytes, args: list) -> None:
    src = folder / "d.csv"
    src.write_bytes(data)
    before = sorted(p.name for p in folder.iterdir())
    args = [str(a).format(d=src, tmp=folder) for a in args]
    check_cli(runner.invoke(app, args), folder, before)


FIT = ["fit", "{d}", "--n-init", "1", "--random-state", "0", "-o", "{tmp}/o.csv"]
CHOOSE = ["choose-k", "{d}", "--k-max", "3", "--n-init", "1", "--random-state", "0"]


@FUZZ
@given(data=csv_texts() | mutated(GOOD_CSV), k=st.sampled_from(["auto", "1", "2"]))
def test_fit_on_random_and_mutated_csv(data, k):
    with tempfile.TemporaryDirectory() as d:
        run_in(Path(d), data, [*FIT, "-k", k, "--model", "{tmp}/m.kmx", "--json"])


@FUZZ
@given(data=csv_texts() | mutated(GOOD_CSV))
def test_choose_k_on_random_and_mutated_csv(data):
    with tempfile.TemporaryDirectory() as d:
        run_in(Path(d), data, [*CHOOSE, "--json"])


# -- model files ----------------------------------------------------------------------


def _model_bytes(kind: str) -> bytes:
    df = pd.DataFrame(np.random.default_rng(3).normal(size=(12, 2)), columns=["a", "b"])
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.kmx"
        if kind == "segment":
            save(segment(df, n_clusters=2, random_state=0, progress=False), path)
        else:
            km = KMeans(2, n_init=1, random_state=0, record_history=True)
            save(km.fit(df.to_numpy()), path)
        return path.read_bytes()


MODELS = {kind: _model_bytes(kind) for kind in ("segment", "kmeans")}
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=True)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def edited_headers(draw):
    """A valid model file whose header has one value (at any depth) replaced."""
    data = MODELS[draw(st.sampled_from(sorted(MODELS)))]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    header = json.loads(entries["header.json"])
    node = header
    while True:
        key = draw(st.sampled_from(sorted(node)))
        if isinstance(node[key], dict) and node[key] and draw(st.booleans()):
            node = node[key]
            continue
        node[key] = draw(JSON)
        break
    entries["header.json"] = json.dumps(header).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, content in entries.items():
            zf.writestr(n, content)
    return buf.getvalue()


model_files = (
    st.binary(max_size=64)
    | mutated(MODELS["segment"])
    | mutated(MODELS["kmeans"])
    | edited_headers()
)


@FUZZ
@given(data=model_files)
def test_load_raises_only_value_error_on_random_and_mutated_files(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.kmx"
        path.write_bytes(data)
        try:
            model = load(path)
        except ValueError as e:
            assert str(path) in str(e)
            return
        # Loaded: then it is whole enough to label rows.
        rows = pd.DataFrame({"a": [0.0, 1.0], "b": [1.0, 0.0]})
        labels = model.predict(rows if hasattr(model, "columns") else rows.to_numpy())
        assert len(labels) == 2


@FUZZ
@given(data=model_files)
def test_predict_on_random_and_mutated_model_files(data):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "m.kmx").write_bytes(data)
        (folder / "n.csv").write_text("a,b\n0,1\n1,0\n")
        before = sorted(p.name for p in folder.iterdir())
        args = ["predict", folder / "m.kmx", folder / "n.csv", "-o", folder / "o.csv"]
        result = runner.invoke(app, [str(a) for a in args])
        check_cli(result, folder, before)
