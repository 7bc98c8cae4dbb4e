"""Tables in and out, atomic writes, and model files without pickle."""

import json
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from kmeansx import KMeans, load, save, segment
from kmeansx.io import (
    all_or_nothing,
    atomic_write,
    make_directory,
    read_table,
    write_table,
)
from kmeansx.segment import SegmentModel


def frame(rng, n=30):
    return pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(50, 10, size=n), "id": range(n)}
    )


# -- tables ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_table_round_trip(tmp_path, suffix):
    df = frame(np.random.default_rng(0))
    path = write_table(df, tmp_path / f"t{suffix}")
    pd.testing.assert_frame_equal(read_table(path), df, check_dtype=False)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "is empty"),
        (b"a,b\n", "has a header but no rows"),
        (b'a,b\n1,"2\n', "could not be read as csv"),
        (b"\xff\xfe\x00\x81garbage\x00\xff", "could not be read as csv"),
    ],
)
def test_bad_csv_files(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        read_table(path)


def test_without_pyarrow_parquet_names_the_readme_install_command(
    tmp_path, monkeypatch
):
    path = write_table(frame(np.random.default_rng(0)), tmp_path / "t.parquet")
    # As if the install were broken: no Parquet engine can be imported.
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    for action in (
        lambda: read_table(path),
        lambda: write_table(frame(np.random.default_rng(1)), tmp_path / "u.parquet"),
    ):
        with pytest.raises(ImportError) as e:
            action()
        message = str(e.value)
        assert "pyarrow" in message and message.endswith(": pip install -e .")
        assert len(message.splitlines()) == 1 and len(message) < 250, message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]


def test_bad_parquet_missing_file_unknown_suffix(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="could not be read as parquet"):
        read_table(bad)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    other = tmp_path / "t.xlsx"
    other.write_bytes(b"x")
    with pytest.raises(ValueError, match="unknown table format '.xlsx'"):
        read_table(other)


def test_write_refuses_existing_file_unless_force(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("keep me\n")
    df = frame(np.random.default_rng(1))
    with pytest.raises(FileExistsError, match="already exists.*force"):
        write_table(df, path)
    assert path.read_text() == "keep me\n"
    write_table(df, path, force=True)
    assert read_table(path).shape == df.shape


def test_write_never_touches_an_input_even_with_force(tmp_path):
    src = tmp_path / "in.csv"
    df = frame(np.random.default_rng(2))
    write_table(df, src)
    before = src.read_bytes()
    for target in (src, tmp_path / "." / "in.csv"):
        with pytest.raises(ValueError, match="refusing to write onto the input"):
            write_table(df.head(2), target, force=True, inputs=[src])
    assert src.read_bytes() == before


def test_atomic_write_leaves_target_and_directory_clean_on_failure(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(path, force=True) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    write_table(pd.DataFrame({"x": [1]}), path, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# -- model files ---------------------------------------------------------------


def test_kmeans_round_trip_identical_predictions(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 3)).astype(np.float32)
    km = KMeans(4, n_init=2, random_state=0, record_history=True).fit(X)
    loaded = load(save(km, tmp_path / "m.kmx"))
    assert isinstance(loaded, KMeans)
    assert loaded.get_params() == km.get_params()
    np.testing.assert_array_equal(loaded.cluster_centers_, km.cluster_centers_)
    assert loaded.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(loaded.labels_, km.labels_)
    assert (loaded.inertia_, loaded.n_iter_) == (km.inertia_, km.n_iter_)
    new = rng.normal(size=(50, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(new), km.predict(new))
    np.testing.assert_array_equal(loaded.transform(new), km.transform(new))
    np.testing.assert_array_equal(loaded.history_.centers, km.history_.centers)


def test_kmeans_with_feature_names_and_array_init(tmp_path):
    rng = np.random.default_rng(4)
    df = pd.DataFrame(rng.normal(size=(40, 2)), columns=["x", "y"])
    km = KMeans(2, init=df.to_numpy()[:2], n_init=1).fit(df)
    loaded = load(save(km, tmp_path / "m.kmx"))
    assert list(loaded.feature_names_in_) == ["x", "y"]
    np.testing.assert_array_equal(loaded.init, km.init)
    np.testing.assert_array_equal(loaded.predict(df), km.predict(df))


def test_segment_model_keeps_columns_and_scaling(tmp_path):
    rng = np.random.default_rng(5)
    df = frame(rng, n=60)
    seg = segment(df, ["a", "b"], 3, scale="robust", random_state=0)
    loaded = load(save(seg, tmp_path / "seg.kmx"))
    assert isinstance(loaded, SegmentModel)
    assert loaded.columns == ("a", "b") and loaded.scaler.method == "robust"
    np.testing.assert_array_equal(loaded.scaler.center, seg.scaler.center)
    np.testing.assert_array_equal(loaded.scaler.scale, seg.scaler.scale)
    new = frame(rng, n=25)[["b", "id", "a"]]
    pd.testing.assert_series_equal(loaded.predict(new), seg.predict(new))
    pd.testing.assert_series_equal(loaded.predict(df), seg.labels)
    pd.testing.assert_frame_equal(loaded.centers, seg.centers)


def test_file_holds_json_and_plain_arrays_no_pickle(tmp_path):
    km = KMeans(2, random_state=0).fit(np.random.default_rng(6).normal(size=(20, 2)))
    path = save(km, tmp_path / "m.kmx")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        header = json.loads(zf.read("header.json"))
    assert "header.json" in names
    assert all(n == "header.json" or n.endswith(".npy") for n in names)
    assert header["format"] == "kmeansx-model" and header["format_version"] == 1
    assert header["params"]["n_clusters"] == 2
    for name in header["arrays"]:
        with zipfile.ZipFile(path) as zf, zf.open(f"arrays/{name}.npy") as f:
            np.lib.format.read_array(f, allow_pickle=False)


def _rewrite_header(path, change):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    header = json.loads(entries["header.json"])
    change(header)
    entries["header.json"] = json.dumps(header).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)


def test_unknown_version_and_damaged_files_get_clear_errors(tmp_path):
    km = KMeans(2, random_state=0).fit(np.random.default_rng(7).normal(size=(20, 2)))
    good = save(km, tmp_path / "m.kmx")
    data = good.read_bytes()

    newer = tmp_path / "newer.kmx"
    newer.write_bytes(data)
    _rewrite_header(newer, lambda h: h.update(format_version=99))
    with pytest.raises(ValueError, match="format version 99.*upgrade kmeansx"):
        load(newer)

    other = tmp_path / "other.kmx"
    other.write_bytes(data)
    _rewrite_header(other, lambda h: h.update(format="something-else"))
    with pytest.raises(ValueError, match="not a kmeansx model file"):
        load(other)

    truncated = tmp_path / "truncated.kmx"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a kmeansx model file or is damaged"):
        load(truncated)

    csv = tmp_path / "data.kmx"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a kmeansx model file or is damaged"):
        load(csv)

    missing = tmp_path / "missing_array.kmx"
    missing.write_bytes(data)
    _rewrite_header(missing, lambda h: h["arrays"].append("nothing"))
    with pytest.raises(ValueError, match="damaged"):
        load(missing)


def test_save_refuses_overwrite_and_unfitted(tmp_path):
    km = KMeans(2, random_state=0).fit(np.random.default_rng(8).normal(size=(20, 2)))
    path = save(km, tmp_path / "m.kmx")
    with pytest.raises(FileExistsError):
        save(km, path)
    save(km, path, force=True)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save(KMeans(2), tmp_path / "unfitted.kmx")


def test_save_refuses_what_load_could_not_rebuild(tmp_path):
    X = np.random.default_rng(8).normal(size=(50, 2))
    with pytest.raises(TypeError, match="got ndarray"):
        save(X, tmp_path / "array.kmx")
    assert not list(tmp_path.iterdir())


# -- MiniBatchKMeans ----------------------------------------------------------------


def _chunks(X, size):
    return [X[i : i + size] for i in range(0, len(X), size)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_minibatch_fit_round_trip_keeps_every_attribute(tmp_path, dtype):
    from kmeansx import MiniBatchKMeans

    X = np.random.default_rng(10).normal(size=(600, 3)).astype(dtype)
    mbk = MiniBatchKMeans(4, batch_size=64, random_state=0).fit(X)
    back = load(save(mbk, tmp_path / "mb.kmx"))
    assert type(back) is MiniBatchKMeans
    assert back.get_params() == mbk.get_params()
    np.testing.assert_array_equal(back.cluster_centers_, mbk.cluster_centers_)
    assert back.cluster_centers_.dtype == dtype
    np.testing.assert_array_equal(back.labels_, mbk.labels_)
    assert (back.inertia_, back.n_iter_, back.n_steps_) == (
        mbk.inertia_,
        mbk.n_iter_,
        mbk.n_steps_,
    )
    np.testing.assert_array_equal(back.predict(X), mbk.predict(X))
    np.testing.assert_array_equal(back.transform(X), mbk.transform(X))
    # partial_fit after fit goes on from the same centers and counts.
    more = X[:100] + 0.5
    np.testing.assert_array_equal(
        back.partial_fit(more).cluster_centers_, mbk.partial_fit(more).cluster_centers_
    )


def test_minibatch_partial_fit_goes_on_after_loading_as_without_saving(tmp_path):
    from kmeansx import MiniBatchKMeans

    rng = np.random.default_rng(11)
    X = np.concatenate([rng.normal(c, 1.0, size=(400, 2)) for c in (0, 6, 12)])
    chunks = _chunks(rng.permutation(X), 50)
    # A small reassignment ratio and k of 5 on 3 blobs: the saved counts, the
    # reassignment clock and the random draws all matter to what comes next.
    kept = MiniBatchKMeans(5, random_state=3, compute_labels=False)
    kept.set_params(reassignment_ratio=0.2)
    kept.partial_fit(iter(chunks[:10]))
    path = save(kept, tmp_path / "stream.kmx")
    back = load(path)
    assert not hasattr(back, "labels_") and not hasattr(back, "inertia_")
    assert back.n_steps_ == 10
    for chunk in chunks[10:]:
        kept.partial_fit(chunk)
        back.partial_fit(chunk)
    np.testing.assert_array_equal(back.cluster_centers_, kept.cluster_centers_)
    assert back.n_steps_ == kept.n_steps_ == len(chunks)
    # Without the saved state (counts from zero) the run would differ.
    fresh = MiniBatchKMeans(5, init=load(path).cluster_centers_, n_init=1)
    fresh.set_params(random_state=3, compute_labels=False, reassignment_ratio=0.2)
    fresh.partial_fit(iter(chunks[10:]))
    assert not np.array_equal(fresh.cluster_centers_, kept.cluster_centers_)


def test_minibatch_with_feature_names_and_in_a_segment_model(tmp_path):
    from kmeansx import MiniBatchKMeans
    from kmeansx._tables import Scaler

    rng = np.random.default_rng(12)
    df = pd.DataFrame(rng.normal(size=(300, 2)) * [1, 100], columns=["a", "b"])
    mbk = MiniBatchKMeans(3, random_state=0).fit(df)
    back = load(save(mbk, tmp_path / "named.kmx"))
    assert list(back.feature_names_in_) == ["a", "b"]
    scaler = Scaler.fit(df.to_numpy(), "standard")
    Z = pd.DataFrame(scaler.transform(df.to_numpy()), columns=["a", "b"])
    model = SegmentModel(MiniBatchKMeans(3, random_state=0).fit(Z), scaler, ("a", "b"))
    loaded = load(save(model, tmp_path / "seg.kmx"))
    assert isinstance(loaded, SegmentModel)
    assert isinstance(loaded.model, MiniBatchKMeans)
    pd.testing.assert_series_equal(loaded.predict(df), model.predict(df))
    pd.testing.assert_frame_equal(loaded.centers, model.centers)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("mb_counts", -np.ones(3), "negative count"),
        ("mb_centers", np.zeros((2, 2)), "mb_centers has shape"),
        ("mb_rng_keys", np.zeros(3, dtype=np.uint32), "mb_rng_keys has shape"),
    ],
)
def test_a_damaged_minibatch_state_is_refused(tmp_path, name, value, message):
    from kmeansx import MiniBatchKMeans

    X = np.random.default_rng(13).normal(size=(60, 2))
    path = save(MiniBatchKMeans(3, random_state=0).partial_fit(X), tmp_path / "m.kmx")
    _rewrite_array(path, name, value)
    with pytest.raises(ValueError, match=message):
        load(path)


def _rewrite_array(path, name, value):
    """Replace one array of a model file, keeping its header."""
    import io

    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(value), allow_pickle=False)
    entries[f"arrays/{name}.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)


def _tampered_cases():
    centers = np.array([[0.0, 0.0], [5.0, 5.0]])
    return {
        "NaN center": ("cluster_centers", centers * np.nan, "cluster_centers holds"),
        "inf center": ("cluster_centers", centers + np.inf, "cluster_centers holds"),
        "centers too few": ("cluster_centers", centers[:1], "cluster_centers has"),
        "centers too wide": ("cluster_centers", np.zeros((2, 3)), "cluster_centers"),
        "centers as text": ("cluster_centers", np.array([["a", "b"]] * 2), "dtype"),
        "labels 2-D": ("labels", np.zeros((20, 2), dtype=int), "labels must be a 1-D"),
        "labels beyond k": ("labels", np.full(20, 7), r"labels outside 0\.\.1"),
        "labels negative": ("labels", np.full(20, -1), r"labels outside 0\.\.1"),
        "labels as floats": ("labels", np.zeros(20), "labels has dtype float64"),
        "NaN history": ("history_inertia", np.array([np.nan, 1.0]), "history_"),
        "history short": ("history_centers", np.zeros((1, 2, 2)), "history_centers"),
        "scaler 0": ("scaler_scale", np.zeros(2), "scaler_scale holds a value <= 0"),
        "scaler short": ("scaler_center", np.zeros(1), "scaler_center has shape"),
    }


@pytest.mark.parametrize("case", sorted(_tampered_cases()))
def test_tampered_arrays_are_refused_on_load(tmp_path, case):
    name, value, message = _tampered_cases()[case]
    rng = np.random.default_rng(9)
    df = pd.DataFrame(rng.normal(size=(20, 2)), columns=["a", "b"])
    seg = segment(df, n_clusters=2, random_state=0)
    if name.startswith("history"):
        seg = KMeans(2, random_state=0, record_history=True).fit(df.to_numpy())
    path = save(seg, tmp_path / "m.kmx")
    _rewrite_array(path, name, value)
    with pytest.raises(ValueError, match=message):
        load(path)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda h: h["fitted"].update(n_features_in=3), "cluster_centers has shape"),
        (lambda h: h["params"].update(n_clusters=0), "n_clusters=0"),
        (lambda h: h["fitted"].update(inertia=-1.0), "inertia=-1.0"),
        (lambda h: h["fitted"].update(n_iter="9"), "n_iter='9'"),
        (lambda h: h["fitted"].update(feature_names_in=["a"]), "feature_names_in"),
        (lambda h: h.update(columns=["a", "b", "c"]), "columns is not a list of 2"),
    ],
)
def test_headers_that_disagree_with_their_arrays_are_refused(tmp_path, edit, message):
    df = pd.DataFrame(
        np.random.default_rng(10).normal(size=(20, 2)), columns=["a", "b"]
    )
    path = save(segment(df, n_clusters=2, random_state=0), tmp_path / "m.kmx")
    _rewrite_header(path, edit)
    with pytest.raises(ValueError, match=message):
        load(path)


def test_all_or_nothing_renames_at_the_end_and_undoes_on_failure(tmp_path):
    table = pd.DataFrame({"a": [1, 2]})
    with all_or_nothing():
        write_table(table, tmp_path / "a.csv")
        assert not (tmp_path / "a.csv").exists()  # staged, not yet renamed
        with atomic_write(tmp_path / "b.txt") as tmp:
            tmp.write_text("b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.txt"]

    (tmp_path / "a.csv").write_text("old\n")
    with pytest.raises(OSError, match="late"), all_or_nothing():
        write_table(table, tmp_path / "a.csv", force=True)
        make_directory(tmp_path / "new" / "deeper")
        with atomic_write(tmp_path / "new" / "deeper" / "c.txt") as tmp:
            tmp.write_text("c")
        raise OSError("late")
    assert (tmp_path / "a.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.txt"]


@pytest.mark.parametrize(
    "header, fragment",
    [("a,a,b", "'a' twice"), ("x,b,x", "'x' twice"), ('"a","a",b', "'a' twice")],
)
def test_a_column_named_twice_in_a_csv_header_is_refused(tmp_path, header, fragment):
    path = tmp_path / "t.csv"
    path.write_text(f"{header}\n1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match=fragment):
        read_table(path)


def test_a_real_column_named_like_pandas_renaming_is_kept(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,a.1,b\n1,2,3\n")
    assert list(read_table(path).columns) == ["a", "a.1", "b"]


def test_hartigan_moves_survive_a_round_trip(tmp_path):
    X = np.random.default_rng(4).normal(size=(300, 2))
    km = KMeans(6, refine="hartigan", n_init=1, random_state=2).fit(X)
    loaded = load(save(km, tmp_path / "h.kmx"))
    assert loaded.n_moves_ == km.n_moves_
    assert not hasattr(load(save(KMeans(2).fit(X), tmp_path / "p.kmx")), "n_moves_")


def test_bisecting_model_keeps_its_tree(tmp_path):
    from kmeansx import BisectingKMeans

    X = np.random.default_rng(5).normal(size=(200, 3))
    bkm = BisectingKMeans(5, random_state=0).fit(X)
    loaded = load(save(bkm, tmp_path / "b.kmx"))
    assert type(loaded) is BisectingKMeans
    assert np.array_equal(loaded.predict(X), bkm.predict(X))
    for k in range(1, 6):
        assert np.array_equal(loaded.labels_for(k), bkm.labels_for(k))
        assert np.array_equal(loaded.centers_for(k), bkm.centers_for(k))
        assert loaded.inertia_for(k) == bkm.inertia_for(k)
    assert loaded.get_params() == bkm.get_params()


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("tree_parent", np.full(9, 3), "tree_parent is not a tree"),
        ("tree_children", np.full((9, 2), 40), "tree_children names a node"),
        ("row_leaf", np.full(200, 99), "row_leaf names a node"),
        ("tree_centers", np.zeros((9, 2)), "tree_centers has shape"),
    ],
)
def test_a_damaged_bisecting_tree_is_refused(tmp_path, name, value, message):
    from kmeansx import BisectingKMeans

    X = np.random.default_rng(5).normal(size=(200, 3))
    path = save(BisectingKMeans(5, random_state=0).fit(X), tmp_path / "b.kmx")
    _rewrite_array(path, name, value)
    with pytest.raises(ValueError, match=message):
        load(path)
