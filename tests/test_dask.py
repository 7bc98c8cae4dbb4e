"""The Dask backend on a real distributed cluster: parity with the in-memory fit,
out-of-core data, a worker killed mid-fit, lazy imports and the install hint.

One LocalCluster (2 worker processes, loopback only) serves the whole module.
"""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import pandas as pd  # noqa: E402

import conftest  # noqa: E402
from kmeansx import KMeans  # noqa: E402
from kmeansx._backends import dask as kdask  # noqa: E402

# Each worker holds about 300 MiB of libraries and compiled kernels; the out-of-core
# test streams several times the cluster's total memory limit through it.
WORKER_MEMORY = 600 * 2**20


@pytest.fixture(scope="module")
def client():
    # A worker compiling the kernels without Numba's cache (a fresh checkout, as
    # in CI) briefly holds ~500 MiB: past the default pause threshold (80% of the
    # limit) it would stop taking tasks and the fit would wait forever. The limit
    # still holds: a worker past 95% of it is restarted, which the out-of-core
    # test checks did not happen.
    with dask.config.set({"distributed.worker.memory.pause": False}):
        yield from _cluster_client()


def _cluster_client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
        memory_limit=WORKER_MEMORY,
    )
    client = distributed.Client(cluster)
    try:
        # Compile (or load from Numba's cache) the kernels in both workers.
        rng = np.random.default_rng(0)
        for dtype in (np.float64, np.float32):
            X = da.from_array(rng.normal(size=(600, 3)).astype(dtype), chunks=300)
            KMeans(3, init=np.eye(3, dtype=dtype), max_iter=2).fit(X.persist())
        yield client
    finally:
        client.close()
        cluster.close()


def blobs(rng, n=6000, n_features=4, n_clusters=5, dtype=np.float64):
    """Gaussian blobs around a common offset (so centering matters) and an init."""
    X = conftest.blobs(n, n_features, n_clusters, dtype, seed=rng, loc=50.0)
    return X, conftest.start(X, n_clusters, rng)


def as_dask(X, chunks):
    return da.from_array(X, chunks=chunks).persist()


def assert_same_fit(a, b, rtol=1e-9):
    """``b`` (Dask) reproduces ``a`` (in memory): labels, iterations, inertia."""
    assert isinstance(b.labels_, np.ndarray)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.n_iter_ == b.n_iter_
    assert b.inertia_ == pytest.approx(a.inertia_, rel=rtol)
    np.testing.assert_allclose(b.cluster_centers_, a.cluster_centers_, rtol=1e-12)


# -- no cluster needed ---------------------------------------------------------------


def test_import_kmeansx_does_not_import_dask():
    code = textwrap.dedent(
        """
        import sys
        import kmeansx
        from kmeansx import KMeans
        KMeans(2).fit([[0.0], [1.0], [5.0], [6.0]])
        loaded = sorted(
            m for m in sys.modules
            if m.split(".")[0] in ("dask", "distributed", "dask_expr")
        )
        assert not loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_dask_the_dask_paths_name_the_extra():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["dask"] = None  # as if the extra were not installed
        from kmeansx import KMeans

        class Array:  # what a Dask array looks like to the estimator
            pass
        Array.__module__ = "dask.array.core"
        try:
            KMeans(2).fit(Array())
        except ImportError as e:
            assert 'pip install -e ".[dask]"' in str(e), e
        else:
            raise AssertionError("no ImportError")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_local_scheduler_without_a_client(client, monkeypatch):
    """No distributed client: Dask's own scheduler runs the same tasks, with this
    process's threads instead of one per worker, and gives the same bits."""
    import dask

    rng = np.random.default_rng(1)
    X, init = blobs(rng, n=3000)
    on_cluster = KMeans(5, init=init).fit(as_dask(X, 700))
    monkeypatch.setattr(kdask, "current_client", lambda: None)
    with dask.config.set(scheduler="threads"):
        local = KMeans(5, init=init).fit(da.from_array(X, chunks=700))
    assert_same_fit(on_cluster, local, rtol=0)
    np.testing.assert_array_equal(on_cluster.cluster_centers_, local.cluster_centers_)
    assert_same_fit(KMeans(5, init=init).fit(X), local)


# -- parity with the in-memory fit ---------------------------------------------------


@pytest.mark.parametrize(
    "chunks", [(6000, 4), (1000, 4), (777, 2)], ids=["one", "even", "ragged"]
)
@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_same_result_as_in_memory_whatever_the_chunking(client, chunks, tol):
    rng = np.random.default_rng(2)
    X, init = blobs(rng)
    a = KMeans(5, init=init, tol=tol).fit(X)
    b = KMeans(5, init=init, tol=tol).fit(as_dask(X, chunks))
    assert_same_fit(a, b)


def test_sample_weight_as_a_dask_array(client):
    rng = np.random.default_rng(3)
    X, init = blobs(rng)
    w = rng.uniform(0.1, 3.0, size=len(X))
    a = KMeans(5, init=init).fit(X, sample_weight=w)
    # Weights chunked differently from X: the backend aligns them with X's rows.
    b = KMeans(5, init=init).fit(
        as_dask(X, (1500, 4)), sample_weight=da.from_array(w, chunks=1100)
    )
    assert_same_fit(a, b)
    assert b.score(as_dask(X, 1000), sample_weight=da.from_array(w, chunks=900)) == (
        pytest.approx(a.score(X, sample_weight=w), rel=1e-9)
    )


def test_history_matches_in_memory(client):
    rng = np.random.default_rng(4)
    X, init = blobs(rng, n=3000)
    a = KMeans(5, init=init, tol=0, record_history=True).fit(X)
    b = KMeans(5, init=init, tol=0, record_history=True).fit(as_dask(X, 800))
    np.testing.assert_array_equal(a.history_.n_changed, b.history_.n_changed)
    np.testing.assert_allclose(b.history_.inertia, a.history_.inertia, rtol=1e-9)
    np.testing.assert_allclose(b.history_.centers, a.history_.centers, rtol=1e-12)


def test_empty_cluster_relocated_as_in_memory(client):
    rng = np.random.default_rng(5)
    X, init = blobs(rng, n=3000)
    init[2] = 1e4  # no point is nearest to this center at the first assignment
    a = KMeans(5, init=init, tol=0, record_history=True).fit(X)
    assert (a.history_.centers[1, 2] != init[2]).all()
    b = KMeans(5, init=init, tol=0, record_history=True).fit(as_dask(X, 700))
    assert_same_fit(a, b)


def test_float32_is_kept(client):
    rng = np.random.default_rng(6)
    X, init = blobs(rng, dtype=np.float32)
    a = KMeans(5, init=init).fit(X)
    b = KMeans(5, init=init).fit(as_dask(X, 1000))
    assert b.cluster_centers_.dtype == np.float32
    # float32 sums are rounded in another order: the same clustering, to rounding.
    assert np.mean(a.labels_ == b.labels_) > 0.999
    assert b.inertia_ == pytest.approx(a.inertia_, rel=1e-5)
    Xd = as_dask(X, 1000)
    assert b.transform(Xd).dtype == np.float32
    assert b.predict(Xd).dtype == np.int32


def test_predict_and_transform_return_dask_arrays(client):
    rng = np.random.default_rng(7)
    X, init = blobs(rng, n=3000)
    km = KMeans(5, init=init).fit(as_dask(X, 700))
    ref = KMeans(5, init=init).fit(X)
    Xd = as_dask(X, 500)
    labels = km.predict(Xd)
    distances = km.transform(Xd)
    assert isinstance(labels, da.Array) and isinstance(distances, da.Array)
    np.testing.assert_array_equal(labels.compute(), ref.predict(X))
    np.testing.assert_allclose(distances.compute(), ref.transform(X), rtol=1e-12)
    assert isinstance(km.fit_transform(Xd), da.Array)
    # labels_ is a plain array: the fitted model pickles without the cluster.
    again = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(again.labels_, km.labels_)
    np.testing.assert_array_equal(again.predict(X), ref.predict(X))


def state_entries():
    from kmeansx._backends import _dask_blocks

    return len(_dask_blocks._STATE)


def test_workers_keep_no_state_after_a_fit(client):
    rng = np.random.default_rng(16)
    X, init = blobs(rng, n=3000)
    KMeans(5, init="k-means||", random_state=0).fit(as_dask(X, 700))
    assert sum(client.run(state_entries).values()) == 0


def test_explicit_kmeanspp_and_random_match_in_memory(client):
    rng = np.random.default_rng(8)
    X, _ = blobs(rng, n=3000)
    for init in ("k-means++", "random"):
        a = KMeans(5, init=init, n_init=2, random_state=3).fit(X)
        b = KMeans(5, init=init, n_init=2, random_state=3).fit(as_dask(X, 700))
        assert_same_fit(a, b)


def test_kmeans_parallel_draws_the_same_candidates_as_in_memory(client):
    rng = np.random.default_rng(9)
    X, _ = blobs(rng, n=4000, n_clusters=6)
    w = rng.uniform(0.5, 2.0, size=len(X))
    a = KMeans(6, init="k-means||", random_state=0).fit(X, sample_weight=w)
    b = KMeans(6, init="k-means||", random_state=0).fit(
        as_dask(X, 900), sample_weight=da.from_array(w, chunks=1000)
    )
    assert_same_fit(a, b)


def test_kmeanspp_on_data_too_large_to_fetch_is_kmeans_parallel(client, monkeypatch):
    from kmeansx._backends import _dask_source

    rng = np.random.default_rng(14)
    X, _ = blobs(rng, n=3000)
    Xd = as_dask(X, 700)
    monkeypatch.setattr(_dask_source, "KMEANSPP_MAX_BYTES", X.nbytes - 1)
    a = KMeans(5, random_state=1, max_iter=1).fit(Xd)
    b = KMeans(5, init="k-means||", random_state=1, max_iter=1).fit(Xd)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_dask_dataframe_keeps_column_names(client):
    rng = np.random.default_rng(10)
    X, init = blobs(rng, n=2000, n_features=3)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    ddf = dd.from_pandas(df, npartitions=3).persist()
    a = KMeans(5, init=init).fit(df)
    b = KMeans(5, init=init).fit(ddf)
    assert_same_fit(a, b)
    assert list(b.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(b.predict(ddf).compute(), a.predict(df))


def test_bad_input_is_located(client):
    X = np.arange(40.0).reshape(20, 2)
    X[13, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN in column '1' \(row\(s\) 13\)"):
        KMeans(2).fit(as_dask(X, 6))
    df = pd.DataFrame({"x": np.arange(6.0), "name": list("abcdef")})
    with pytest.raises(ValueError, match="non-numeric column.*'name'"):
        KMeans(2).fit(dd.from_pandas(df, npartitions=2))
    w = np.ones(20)
    w[17] = -1
    X[13, 1] = 0
    with pytest.raises(ValueError, match=r"negative at row\(s\) 17"):
        KMeans(2).fit(as_dask(X, 6), sample_weight=da.from_array(w, chunks=7))
    with pytest.raises(ValueError, match="n_samples=20 should be >= n_clusters=21"):
        KMeans(21).fit(as_dask(X, 6))


# -- the command line ------------------------------------------------------------------


@pytest.fixture
def parquet_folder(tmp_path):
    rng = np.random.default_rng(15)
    folder = tmp_path / "data"
    folder.mkdir()
    for i in range(3):
        X = rng.normal(size=(400, 3)) + rng.integers(0, 3, size=(400, 1)) * 5.0
        frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(name="row")
        frame.to_parquet(folder / f"part{i}.parquet")
    return folder


def test_cli_fits_parquet_files_on_the_cluster(client, parquet_folder, tmp_path):
    import json

    from typer.testing import CliRunner

    from kmeansx.cli import app

    out = tmp_path / "labels.parquet"
    args = ["fit", str(parquet_folder / "*.parquet"), "--dask", "-k", "3"]
    args += ["-c", "a,b,c", "--n-init", "1", "--random-state", "0", "-o", str(out)]
    args += ["--scheduler", client.scheduler.address, "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "iteration 1: inertia" in result.stderr
    summary = json.loads(result.stdout)
    rows = pd.read_parquet(out)
    data = pd.concat(
        [pd.read_parquet(parquet_folder / f"part{i}.parquet") for i in range(3)]
    )
    np.testing.assert_array_equal(rows[["a", "b", "c"]], data[["a", "b", "c"]])
    # The same fit in memory: standardized columns, k-means++ from the same seed.
    X = data[["a", "b", "c"]].to_numpy()
    ref = KMeans(3, n_init=1, random_state=0).fit((X - X.mean(0)) / X.std(0))
    np.testing.assert_array_equal(rows["cluster"], ref.labels_)
    assert summary["n_iter"] == ref.n_iter_
    assert summary["sizes"] == np.bincount(ref.labels_).tolist()
    # Without --columns, the text column is left out, as in memory; the same keys.
    chosen = CliRunner().invoke(
        app,
        ["fit", str(parquet_folder), "--dask", "-k", "3", "--n-init", "1", "--json",
         "--scheduler", client.scheduler.address],
    )  # fmt: skip
    assert chosen.exit_code == 0, chosen.output
    on_dask = json.loads(chosen.stdout)
    assert on_dask["columns"] == ["a", "b", "c"]
    assert on_dask["left_out"] == {"name": "text"}
    assert on_dask["outputs"] == {} and summary["outputs"] == {"output": str(out)}
    sample = tmp_path / "sample.parquet"
    data.to_parquet(sample)
    memory = CliRunner().invoke(app, ["fit", str(sample), "-k", "3", "--json"])
    assert memory.exit_code == 0, memory.output
    in_memory = json.loads(memory.stdout)
    assert set(on_dask) == set(in_memory)
    assert in_memory["left_out"] == on_dask["left_out"]
    assert [list(c) for c in on_dask["centers"]] == [
        list(c) for c in in_memory["centers"]
    ]  # the same keys in each center: segment and the columns
    # The output is never overwritten without --force, and bad requests say why.
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.stderr
    auto = CliRunner().invoke(app, ["fit", str(parquet_folder), "--dask"])
    assert auto.exit_code == 2 and "--n-clusters N" in auto.stderr
    text = CliRunner().invoke(
        app, ["fit", str(parquet_folder), "--dask", "-k", "2", "-c", "a,name"]
    )
    assert text.exit_code == 2 and "'name' are not numeric" in text.stderr


def test_cli_fits_by_angle_on_the_cluster(client, parquet_folder, tmp_path):
    import json

    from typer.testing import CliRunner

    from kmeansx import SphericalKMeans
    from kmeansx.cli import app

    out = tmp_path / "labels.parquet"
    args = ["fit", str(parquet_folder), "--dask", "-k", "3", "-c", "a,b,c"]
    args += ["--n-init", "1", "--random-state", "0", "-o", str(out), "--json"]
    args += ["--metric", "cosine", "--scheduler", client.scheduler.address]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    data = pd.concat(
        [pd.read_parquet(parquet_folder / f"part{i}.parquet") for i in range(3)]
    )
    # The same fit in memory: standardized columns, then SphericalKMeans.
    X = data[["a", "b", "c"]].to_numpy()
    ref = SphericalKMeans(3, n_init=1, random_state=0).fit((X - X.mean(0)) / X.std(0))
    np.testing.assert_array_equal(pd.read_parquet(out)["cluster"], ref.labels_)
    assert summary["metric"] == "cosine" and summary["n_iter"] == ref.n_iter_
    assert summary["inertia"] == pytest.approx(ref.inertia_, rel=1e-9)
    refused = CliRunner().invoke(app, [*args[:-4], "--metric", "cosine", "--refine",
                                       "hartigan", "--force"])  # fmt: skip
    assert refused.exit_code == 2 and "--refine" in refused.stderr


# -- out of core, and a worker lost ----------------------------------------------------


def tiles(n_rows, n_features, rows_per_block, seed):
    """Lazy data: every block repeats a seeded random tile (cheap to regenerate)."""

    def block(block_id=None):
        tile = np.random.default_rng([seed, block_id[0]]).random((256, n_features))
        return np.tile(tile * 10.0, (rows_per_block // 256, 1))

    n_blocks = n_rows // rows_per_block
    return da.map_blocks(
        block,
        chunks=((rows_per_block,) * n_blocks, (n_features,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )


def test_cli_on_dask_keeps_inputs_and_outputs_safe(client, parquet_folder, tmp_path):
    from typer.testing import CliRunner

    from kmeansx.cli import app

    def fit(*extra):
        args = ["fit", str(parquet_folder), "--dask", "-k", "3", "-c", "a,b"]
        args += ["--n-init", "1", "--scheduler", client.scheduler.address, *extra]
        return CliRunner().invoke(app, args)

    inputs = sorted(p.read_bytes() for p in parquet_folder.iterdir())
    # The input folder itself, or a file in it, is never an output, even with --force.
    for target in (parquet_folder, parquet_folder / "part0.parquet"):
        refused = fit("-o", str(target), "--force")
        assert refused.exit_code == 2 and "overwrite the input" in refused.output
    # An existing output is kept without --force, before any work is done.
    out = tmp_path / "labels.parquet"
    out.write_text("keep me")
    kept = fit("-o", str(out))
    assert kept.exit_code == 2 and "--force" in kept.output
    assert "iteration" not in kept.stderr and out.read_text() == "keep me"
    # A folder that does not exist is refused up front too.
    missing = fit("-o", str(tmp_path / "no" / "such" / "labels.parquet"))
    assert missing.exit_code == 2 and "iteration" not in missing.stderr
    # With --force the output is replaced whole, and nothing else is left behind.
    replaced = fit("-o", str(out), "--force")
    assert replaced.exit_code == 0, replaced.output
    assert len(pd.read_parquet(out)) == 1200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "labels.parquet"]
    assert sorted(p.read_bytes() for p in parquet_folder.iterdir()) == inputs


def test_out_of_core_data_larger_than_the_cluster_memory(client):
    X = tiles(12_582_912, 32, 65_536, seed=11)  # 3 GiB in blocks of 16 MiB
    total_limit = sum(
        w["memory_limit"] for w in client.scheduler_info()["workers"].values()
    )
    assert X.nbytes > 2.5 * total_limit
    workers = set(client.nthreads())
    init = np.random.default_rng(12).random((4, 32)) * 10.0
    km = KMeans(4, init=init, max_iter=2, tol=0).fit(X)
    assert km.n_iter_ == 2
    assert km.labels_.shape == (X.shape[0],)
    assert np.bincount(km.labels_, minlength=4).sum() == X.shape[0]
    assert np.isfinite(km.inertia_) and km.inertia_ > 0
    assert ((km.cluster_centers_ > 0) & (km.cluster_centers_ < 10)).all()
    assert set(client.nthreads()) == workers  # no worker ran out of memory


def test_worker_killed_mid_fit_gives_the_same_result(client):
    rng = np.random.default_rng(13)
    X, init = blobs(rng, n=20_000, n_clusters=8)
    init[3] += 0.5  # a longer run
    Xd = da.from_array(X, chunks=2500).persist()
    undisturbed = KMeans(8, init=init, tol=0).fit(Xd)
    assert undisturbed.n_iter_ >= 4
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]

    def kill_at_second_iteration(iteration, inertia, n_changed, shift):
        if iteration == 1:
            os.kill(pids[victim], signal.SIGKILL)

    km = KMeans(8, init=init, tol=0)
    km.fit(Xd, callback=kill_at_second_iteration)
    assert victim not in client.nthreads()  # the worker did die (and was replaced)
    assert_same_fit(undisturbed, km, rtol=0)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_extreme_magnitudes_cluster_as_in_memory(client, scale):
    rng = np.random.default_rng(17)
    X, init = blobs(rng, n=3000)
    X, init = X * scale, init * scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the inertia is out of range
        a = KMeans(5, init=init, tol=0).fit(X)
        b = KMeans(5, init=init, tol=0).fit(as_dask(X, 700))
    assert_same_fit(a, b)
    Xd = as_dask(X, 700)
    np.testing.assert_array_equal(b.predict(Xd).compute(), a.predict(X))
    np.testing.assert_allclose(b.transform(Xd).compute(), a.transform(X), rtol=1e-12)
