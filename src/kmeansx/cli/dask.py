"""``kmeansx fit DATA --dask``: Parquet files read with Dask, fitted on a cluster.

The work of ``fit --dask`` lives here, so that :mod:`kmeansx.cli.fit` only parses
options, prints and formats errors. Data too large for one machine stays on the
cluster: the input is read lazily (a folder of Parquet files or a glob),
standardized lazily, fitted on the Dask backend with one line of progress per
iteration, and the rows come back out with a ``cluster`` column as a Parquet
dataset (one file per partition).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from kmeansx._backends import require_dask

UNSUPPORTED = {
    "dropna": "--dropna is not available with --dask: rows with missing values "
    "stop the fit with their row and column; drop them from the data first.",
    "model": "--model is not available with --dask yet; the printed centers "
    "(or --json) hold the model.",
    "plots": "--plots is not available with --dask; plot a sample in memory.",
}


def parquet_files(data) -> list[str]:
    """The Parquet files named by a file, a folder or a glob; an error if none."""
    text = str(data)
    path = Path(text)
    if path.is_dir():
        files = sorted(glob.glob(os.path.join(text, "**", "*.parquet"), recursive=True))
    elif any(ch in text for ch in "*?["):
        files = sorted(glob.glob(text, recursive=True))
    else:
        files = [text] if path.exists() else []
    files = [f for f in files if os.path.isfile(f)]
    if not files:
        raise FileNotFoundError(
            f"{text}: no Parquet files found; pass a .parquet file, a folder of them, "
            'or a quoted glob such as "data/*.parquet".'
        )
    return files


def _select(ddf, columns, exclude=None):
    """The columns to fit on and those left out, as in memory but by name and dtype.

    The values stay on the cluster, so an identifier is recognised by its name
    (``id``, ``*_id``, ``CustomerID``, an index column, a label), not by holding
    one consecutive integer per row.
    """
    from kmeansx._tables import suggest, why_left_out
    from kmeansx._validation import non_numeric_columns

    names = [str(c) for c in ddf.columns]
    for c in [*(columns or []), *(exclude or [])]:
        if c not in ddf.columns:
            raise ValueError(
                f"column {c!r} is not in the data (columns: {', '.join(names)});"
                f"{suggest(c, ddf.columns)}"
            )
    exclude = set(exclude or [])
    if columns is not None:
        chosen = [c for c in columns if c not in exclude]
        left = {c: "excluded" for c in columns if c in exclude}
        text = non_numeric_columns(ddf[chosen])
        if text:
            # The backend's check would name these too; this says which option helps.
            raise ValueError(
                f"column(s) {', '.join(map(repr, text))} are not numeric; leave them "
                "out of --columns."
            )
    else:
        chosen, left = [], {}
        for c, dtype in zip(ddf.columns, ddf.dtypes, strict=True):
            why = "excluded" if c in exclude else why_left_out(c, dtype)
            if why is None:
                chosen.append(c)
            else:
                left[c] = why
    if not chosen:
        listed = ", ".join(f"{c} ({why})" for c, why in left.items())
        raise ValueError(
            f"no numeric column to cluster on (left out: {listed}); name the "
            "columns with --columns."
        )
    return ddf[chosen], chosen, left


def _standardize(X, scale):
    """Lazily standardized ``X`` and the (mean, scale) that undo it."""
    import dask

    if scale is None:
        return X, np.zeros(X.shape[1]), np.ones(X.shape[1])
    if scale != "standard":
        raise ValueError(
            f"--scale {scale} is not available with --dask; use --scale standard "
            "or --scale none."
        )
    mean, std = dask.compute(X.mean(axis=0), X.std(axis=0))
    std = np.where(std > 0, std, 1.0)
    return (X - mean.astype(X.dtype)) / std.astype(X.dtype), mean, std


def _check_output(output: Path, files, force: bool) -> None:
    resolved = {os.path.realpath(f) for f in files}
    if os.path.realpath(output) in resolved or any(
        f.startswith(os.path.realpath(output) + os.sep) for f in resolved
    ):
        raise ValueError(f"--output {output} would overwrite the input data.")
    if output.exists() and not force:
        raise FileExistsError(f"{output} exists; pass --force to replace it.")
    from kmeansx.io import check_parent

    check_parent(output)


def _label_rows(part, names, dtype, mean, std, centers, cosine):
    """A partition with its ``cluster`` column, scaled exactly as for the fit (and
    to unit rows for a fit by angle)."""
    from kmeansx._backends._dask_blocks import predict_block, unit_block

    x = part[names].to_numpy(dtype=dtype)
    x = (x - mean.astype(dtype)) / std.astype(dtype)
    if cosine:
        x = unit_block(x)
    return part.assign(cluster=predict_block(x, centers))


def _write_rows(ddf, names, dtype, scaling, km, output: Path, force: bool) -> Path:
    """The rows and their ``cluster`` as a Parquet dataset, swapped in at the end."""
    from kmeansx import SphericalKMeans

    centers = np.ascontiguousarray(km.cluster_centers_, dtype=dtype)
    meta = ddf._meta.assign(cluster=np.empty(0, dtype=np.int32))
    cosine = isinstance(km, SphericalKMeans)
    rows = ddf.map_partitions(
        _label_rows, names, dtype, *scaling, centers, cosine, meta=meta
    )
    tmp = output.with_name(f".{output.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        rows.to_parquet(str(tmp), write_index=False)
        if output.exists() and force:
            if output.is_dir():
                shutil.rmtree(output)
            else:
                output.unlink()
        os.replace(tmp, output)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return output


@contextlib.contextmanager
def dask_client(scheduler: str | None):
    """A client of ``scheduler``, or of a local cluster started (and stopped) here."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(host="127.0.0.1", dashboard_address=":0", processes=True) as cl,
        Client(cl) as client,
    ):
        yield client


def fit_command(
    data,
    *,
    columns,
    n_clusters,
    scale,
    random_state,
    n_init,
    output,
    scheduler,
    force: bool,
    exclude=None,
    metric: str = "euclidean",
    **unsupported,
) -> dict:
    """Fit k-means on Parquet data with Dask; return a summary (and write rows).

    ``metric="cosine"`` fits :class:`kmeansx.SphericalKMeans` on the scaled rows
    (the same driver, block by block) and labels the rows by angle.

    One line of progress per iteration goes to stderr, so that ``--json`` output
    stays clean; :func:`kmeansx.cli.format.dask_fit_report` formats the summary.
    """
    from rich.console import Console

    require_dask("dask.dataframe", "distributed")
    progress = Console(stderr=True)
    _refuse_unsupported(n_clusters, unsupported)
    import dask.dataframe as dd

    from kmeansx import KMeans, SphericalKMeans
    from kmeansx._backends import dask as backend

    files = parquet_files(data)
    if output is not None:
        _check_output(Path(output), files, force)
    ddf = dd.read_parquet(files)
    table, names, left_out = _select(ddf, columns, exclude)
    X = backend.as_dask_array(table)

    def report(iteration, inertia, n_changed, shift):
        progress.print(
            f"iteration {iteration + 1}: inertia {inertia:.6g}, "
            f"{n_changed} point(s) changed cluster",
            highlight=False,
            soft_wrap=True,
        )

    with dask_client(scheduler) as client:
        progress.print(
            f"fitting k={n_clusters} on {len(files)} Parquet file(s) "
            f"({ddf.npartitions} partitions) with Dask at {client.scheduler.address}",
            highlight=False,
            soft_wrap=True,
        )
        X, mean, std = _standardize(X, scale)
        estimator = SphericalKMeans if metric == "cosine" else KMeans
        km = estimator(n_clusters, n_init=n_init, random_state=random_state)
        km.fit(X, callback=report)
        written = None
        if output is not None:
            written = _write_rows(
                ddf, names, X.dtype, (mean, std), km, Path(output), force
            )
    summary = _summary(km, names, scale, (mean, std), written)
    summary["left_out"] = left_out
    summary["metric"] = metric
    return summary


def _refuse_unsupported(n_clusters, unsupported: dict) -> None:
    for name, value in unsupported.items():
        if value:
            raise ValueError(UNSUPPORTED[name])
    if n_clusters == "auto":
        raise ValueError(
            "--dask needs a number of clusters (--n-clusters N); choosing k runs in "
            "memory: try kmeansx choose-k on a sample of the data."
        )


def _summary(km, names, scale, scaling, written) -> dict:
    """The fit in plain numbers, centers back in the data's units."""
    mean, std = scaling
    n_clusters = km.cluster_centers_.shape[0]
    return {
        "n_clusters": int(n_clusters),
        "n_samples": int(km.labels_.shape[0]),
        "n_iter": int(km.n_iter_),
        "inertia": float(km.inertia_),
        "columns": names,
        "scale": scale,
        "sizes": np.bincount(km.labels_, minlength=n_clusters).tolist(),
        "centers": (km.cluster_centers_ * std + mean).tolist(),
        "output": str(written) if written is not None else None,
    }
