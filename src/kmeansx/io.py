"""Files: tables in (CSV, Parquet), tables out, and model files without pickle.

Every write goes to a temporary file in the target's directory and is then renamed
over the target, so a crash never leaves half a file; an existing file is replaced
only with ``force=True``; an input file is never written to.

A model file (``.kmx``) is a zip archive holding ``header.json`` (format name and
version, the kmeansx version, the parameters, the fitted scalars, the column names
and the scaling) and plain ``.npy`` arrays (centers, labels, history, scaling),
read back with ``allow_pickle=False``.

Several writes can be made one (:func:`all_or_nothing`): each file is written to its
temporary, and the temporaries are renamed over their targets only when all were
written; on failure they, and the directories made for them, are removed.
"""

from __future__ import annotations

import contextlib
import contextvars
import io as _io
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from kmeansx._csv import table_kind as _kind

__all__ = [
    "read_table",
    "read_table_file",
    "write_table",
    "atomic_write",
    "all_or_nothing",
    "save",
    "load",
    "FORMAT",
]

FORMAT = "kmeansx-model"
FORMAT_VERSION = 1
# The kinds of segment() models: by Euclidean distance, or by angle.
SEGMENT_KINDS = ("segment", "spherical-segment")
# pyarrow is a dependency of kmeansx: missing, the install is broken, and the fix is
# the README's install command (from the checkout).
PARQUET_HINT = "pip install -e ."


def read_table(
    path,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    encoding: str | None = None,
    parse_dates=None,
):
    """Read a CSV (``.csv``, ``.tsv``, ``.txt``) or Parquet (``.parquet``) table.

    A CSV file's dialect is sniffed where not given: the delimiter (comma,
    semicolon, tab or vertical bar), a decimal comma in a file not separated by
    commas, and the encoding (UTF-8, else Latin-1). See :func:`read_table_file`
    for what was assumed.

    Parameters
    ----------
    path : path-like
    sep, decimal, thousands, encoding : str, default=None
        The CSV delimiter, decimal mark, thousands separator and encoding; None
        sniffs the first three (no thousands separator by default) and reads
        UTF-8, or Latin-1 when the file is not UTF-8.
    parse_dates : list of str, default=None
        CSV columns to read as dates; no other column is parsed as a date.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The file is empty, has no rows, or cannot be parsed; the message says which.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from kmeansx.io import read_table
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a,b\\n1,2\\n3,4\\n")
    >>> read_table(p).shape
    (2, 2)
    >>> _ = p.write_text("a;b\\n1,5;2\\n")
    >>> read_table(p)["a"].tolist()
    [1.5]
    """
    return read_table_file(
        path,
        sep=sep,
        decimal=decimal,
        thousands=thousands,
        encoding=encoding,
        parse_dates=parse_dates,
    ).frame


def read_table_file(path, **dialect):
    """:func:`read_table`, and how the file was read.

    Parameters
    ----------
    path : path-like
    **dialect
        The CSV options of :func:`read_table` (``sep``, ``decimal``,
        ``thousands``, ``encoding``, ``parse_dates``).

    Returns
    -------
    CsvTable or ParquetTable
        ``frame`` (the table); for a CSV file also ``lines`` (each row's line in
        the file, the header being line 1), ``sep``, ``decimal``, ``thousands``,
        ``encoding``, whether the delimiter and decimal mark were sniffed, and
        ``not_utf8`` (where UTF-8 failed, when Latin-1 was used instead).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from kmeansx.io import read_table_file
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes("name\\tx\\nJos\\xe9\\t1\\n".encode("latin-1"))
    >>> t = read_table_file(p)
    >>> t.sep, t.encoding, t.not_utf8, t.frame["name"].tolist()
    ('\\t', 'latin-1', 'byte 0xe9 on line 2', ['José'])
    """
    import pandas as pd

    from kmeansx._csv import CsvDialect, ParquetTable, read_csv

    path = Path(path)
    dialect = CsvDialect(**dialect)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a table file.")
    kind = _kind(path)
    given = dialect.given()
    if kind != "csv" and given:
        raise ValueError(
            f"{given[0]} is for CSV files; {path} is Parquet, which stores its "
            "types: leave it out."
        )
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty: no header and no rows.")
    try:
        if kind == "csv":
            table = read_csv(path, dialect)
        else:
            table = ParquetTable(pd.read_parquet(path))
    except ImportError as e:
        raise _parquet_engine_missing("reading", e) from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty: no header and no rows.") from None
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"{path} could not be read as {kind}: {first}") from None
    if kind == "csv":
        _check_header(path, table.frame.columns, table.sep, table.encoding)
    if table.frame.shape[0] == 0:
        raise ValueError(f"{path} has a header but no rows.")
    return table


def _check_header(path: Path, columns, sep: str, encoding: str) -> None:
    """Refuse a CSV header that names a column twice.

    pandas renames the second ``a`` to ``a.1``; only where such a name sits next
    to its base is the header itself read, so that a real column ``a.1`` beside
    ``a`` is kept.
    """
    import csv
    import re

    names = {str(c) for c in columns}
    mangled = [
        c for c in names if (m := re.fullmatch(r"(.*)\.\d+", c)) and m[1] in names
    ]
    if not mangled:
        return
    with open(path, newline="", encoding=encoding, errors="replace") as f:
        header = next((row for row in csv.reader(f, delimiter=sep) if row), [])
    seen = set()
    for name in header:
        if name in seen:
            raise ValueError(
                f"{path}: the header names column {name!r} twice; give each column "
                "its own name."
            )
        seen.add(name)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output(path, *, force: bool = False, inputs=()) -> Path:
    """Refuse to write onto an input, or over an existing file without ``force``."""
    path = Path(path)
    for src in inputs:
        if src is not None and _same_file(path, Path(src)):
            raise ValueError(
                f"refusing to write onto the input file {path}; choose another output "
                "path (inputs are never modified)."
            )
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name.")
    check_parent(path)
    if path.exists() and not force:
        raise FileExistsError(
            f"{path} already exists; pass force=True (--force) to replace it."
        )
    return path


def check_parent(path, *, create: bool = False) -> None:
    """Refuse a path whose folder is missing (unless ``create``) or is a file."""
    path = Path(path)
    parent = path.parent
    if not create:
        if parent.is_file():
            raise NotADirectoryError(
                f"cannot write {path}: {parent} is a file, not a directory."
            )
        if not parent.is_dir():
            raise FileNotFoundError(
                f"directory {parent} does not exist; create it first."
            )
        return
    for above in [path, *path.parents]:
        if above.is_file():
            raise NotADirectoryError(
                f"cannot make the directory {path}: {above} is a file."
            )
        if above.is_dir():
            return


class _Staged:
    """The writes of one :func:`all_or_nothing` block: (temporary, target) pairs
    and the directories made for them, in order."""

    def __init__(self):
        self.files: list[tuple[Path, Path]] = []
        self.dirs: list[Path] = []


_STAGED: contextvars.ContextVar[_Staged | None] = contextvars.ContextVar(
    "kmeansx_staged", default=None
)


@contextlib.contextmanager
def all_or_nothing():
    """Make every :func:`atomic_write` (and :func:`make_directory`) inside one write.

    Each file goes to its temporary as usual, but is renamed over its target only
    when the whole block succeeds; if anything raises, the temporaries and the
    directories made inside are removed, and no target is touched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from kmeansx.io import all_or_nothing, atomic_write
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> try:
    ...     with all_or_nothing():
    ...         with atomic_write(d / "a.txt") as tmp:
    ...             _ = tmp.write_text("a")
    ...         raise RuntimeError("later failure")
    ... except RuntimeError:
    ...     pass
    >>> list(d.iterdir())
    []
    """
    staged = _Staged()
    token = _STAGED.set(staged)
    try:
        yield staged
    except BaseException:
        _STAGED.reset(token)
        for tmp, _ in staged.files:
            tmp.unlink(missing_ok=True)
        for d in reversed(staged.dirs):
            with contextlib.suppress(OSError):
                d.rmdir()
        raise
    _STAGED.reset(token)
    for tmp, path in staged.files:
        os.replace(tmp, path)


def make_directory(path) -> Path:
    """``mkdir -p path``; inside :func:`all_or_nothing`, undone on failure."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    path.mkdir(parents=True, exist_ok=True)
    staged = _STAGED.get()
    if staged is not None:
        staged.dirs.extend(reversed(missing))
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path, *, force: bool = False, inputs=()):
    """Yield a temporary path next to ``path``; rename it over ``path`` on success.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from kmeansx.io import atomic_write
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(p) as tmp:
    ...     _ = tmp.write_text("done")
    >>> p.read_text()
    'done'
    """
    path = check_output(path, force=force, inputs=inputs)
    # The temporary name ends with the target's suffix: writers that pick the format
    # from the name (savefig, Pillow) then write the right one.
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}"
    )
    os.close(fd)
    tmp = Path(tmp)
    staged = _STAGED.get()
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        if staged is None:
            os.replace(tmp, path)
        else:  # renamed with the others at the end of all_or_nothing
            staged.files.append((tmp, path))
            tmp = None
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()


def write_table(df, path, *, force: bool = False, inputs=()) -> Path:
    """Write ``df`` (without its index) as CSV or Parquet, atomically.

    Parameters
    ----------
    df : DataFrame
    path : path-like
        ``.csv``/``.tsv``/``.txt`` or ``.parquet``.
    force : bool, default=False
        Replace an existing file.
    inputs : sequence of path-like
        Files this must never overwrite, even with ``force``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from kmeansx.io import write_table
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_table(pd.DataFrame({"a": [1]}), p).read_text()
    'a\\n1\\n'
    """
    path = Path(path)
    kind = _kind(path)
    with atomic_write(path, force=force, inputs=inputs) as tmp:
        if kind == "csv":
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            df.to_csv(tmp, index=False, sep=sep)
        else:
            try:
                df.to_parquet(tmp, index=False)
            except ImportError as e:
                raise _parquet_engine_missing("writing", e) from None
    return path


def _parquet_engine_missing(doing: str, error: ImportError) -> ImportError:
    """One sentence instead of pandas' paragraph on Parquet engines."""
    name = getattr(error, "name", None) or "pyarrow"
    return ImportError(
        f"{doing} Parquet needs pyarrow, which kmeansx depends on but cannot import "
        f"here ({name} missing or broken); reinstall kmeansx from its checkout with: "
        f"{PARQUET_HINT}"
    )


# -- model files --------------------------------------------------------------------


def _json_value(value) -> bool:
    return value is None or isinstance(value, (str, bool, int, float))


def _params_payload(km) -> tuple[dict, dict, list]:
    """The parameters as JSON values (an array ``init`` as an array)."""
    params, arrays, notes = {}, {}, []
    for name, value in km.get_params().items():
        if name == "init" and not isinstance(value, str):
            if callable(value):
                notes.append("init was a callable; stored as 'k-means++'")
                value = "k-means++"
            else:
                arrays["init"] = np.asarray(value)
                value = {"array": "init"}
        elif isinstance(value, np.integer | np.floating):
            value = value.item()
        elif not _json_value(value):
            notes.append(f"{name}={type(value).__name__} not stored (default used)")
            continue
        params[name] = value
    return params, arrays, notes


def _kmeans_payload(km) -> tuple[dict, dict]:
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(km)
    params, arrays, notes = _params_payload(km)
    arrays["cluster_centers"] = np.asarray(km.cluster_centers_)
    arrays["labels"] = np.asarray(km.labels_)
    history = getattr(km, "history_", None)
    if history is not None:
        arrays["history_centers"] = history.centers
        arrays["history_inertia"] = history.inertia
        arrays["history_n_changed"] = history.n_changed
    fitted = {
        "inertia": float(km.inertia_),
        # BisectingKMeans runs one fit per split, so it has no n_iter_.
        "n_iter": int(getattr(km, "n_iter_", 0)),
        **_features_in(km),
    }
    if getattr(km, "n_moves_", None) is not None:
        fitted["n_moves"] = int(km.n_moves_)
    return {"params": params, "fitted": fitted, "notes": notes}, arrays


def _features_in(estimator) -> dict:
    """The header's ``n_features_in`` and ``feature_names_in`` of a fitted
    estimator (:func:`_restore_features_in` reads them back)."""
    names = getattr(estimator, "feature_names_in_", None)
    return {
        "n_features_in": int(estimator.n_features_in_),
        "feature_names_in": None if names is None else [str(n) for n in names],
    }


def _restore_features_in(estimator, fitted: dict):
    estimator.n_features_in_ = int(fitted["n_features_in"])
    if fitted.get("feature_names_in") is not None:
        estimator.feature_names_in_ = np.asarray(
            fitted["feature_names_in"], dtype=object
        )
    return estimator


def _saved_params(header: dict, arrays: dict) -> dict:
    """The saved constructor parameters, an array ``init`` read from its array."""
    params = dict(header["params"])
    if isinstance(params.get("init"), dict):
        params["init"] = arrays[params["init"]["array"]]
    return params


def _minibatch_payload(mbk) -> tuple[dict, dict]:
    """A MiniBatchKMeans: its parameters, fitted attributes (``labels_`` and
    ``inertia_`` where it has them) and what ``partial_fit`` needs to go on (the
    counts, the centers as it moves them, its random draws), as ``mb_*`` arrays."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(mbk)
    params, arrays, notes = _params_payload(mbk)
    arrays["cluster_centers"] = np.asarray(mbk.cluster_centers_)
    if getattr(mbk, "labels_", None) is not None:
        arrays["labels"] = np.asarray(mbk.labels_)
    inertia, n_iter = getattr(mbk, "inertia_", None), getattr(mbk, "n_iter_", None)
    fitted = {
        "inertia": None if inertia is None else float(inertia),
        # partial_fit alone sets no n_iter_ (and no inertia_ without labels).
        "n_iter": None if n_iter is None else int(n_iter),
        "n_steps": int(mbk.n_steps_),
        **_features_in(mbk),
    }
    scalars, state = mbk._model_state()
    arrays.update({f"mb_{name}": value for name, value in state.items()})
    payload = {"params": params, "fitted": fitted, "notes": notes}
    payload["minibatch"] = scalars
    return payload, arrays


_TREE_PARTS = ("parent", "children", "centers", "sizes", "weights", "inertia")


def _bisecting_payload(bkm) -> tuple[dict, dict]:
    payload, arrays = _kmeans_payload(bkm)
    for part in _TREE_PARTS:
        arrays[f"tree_{part}"] = getattr(bkm.tree_, part)
    arrays["row_leaf"] = bkm._row_leaf
    return payload, arrays


def save(model, path, *, force: bool = False) -> Path:
    """Write a fitted model to one file, without pickle.

    Parameters
    ----------
    model : KMeans, BisectingKMeans, SphericalKMeans, MiniBatchKMeans, \
            SegmentModel or Segmentation
        A fitted :class:`kmeansx.KMeans` or :class:`kmeansx.BisectingKMeans` (its
        tree is kept: ``labels_for``, ``centers_for`` and ``predict`` work on the
        loaded model), a :class:`kmeansx.SphericalKMeans`, a
        :class:`kmeansx.MiniBatchKMeans` (with its counts and random draws:
        ``partial_fit`` on the loaded model goes on as it would have on the saved
        one), or the result of :func:`kmeansx.segment` (its columns and scaling
        are kept, so the loaded model scales new tables the same way).
    path : path-like
        Conventionally ``*.kmx``.
    force : bool, default=False
        Replace an existing file.

    Notes
    -----
    Parameters that cannot be stored as JSON without pickle are not kept: a
    ``RandomState`` instance (``random_state`` becomes None) and a callable
    ``init`` (stored as "k-means++"). They matter only for refitting.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from kmeansx import KMeans, save, load
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> km = KMeans(2, random_state=0).fit(X)
    >>> p = save(km, pathlib.Path(tempfile.mkdtemp()) / "model.kmx")
    >>> (load(p).predict(X) == km.predict(X)).all()
    np.True_
    """
    from kmeansx._bisecting import BisectingKMeans
    from kmeansx._estimator import KMeans
    from kmeansx._minibatch import MiniBatchKMeans
    from kmeansx._spherical import SphericalKMeans
    from kmeansx._version import __version__
    from kmeansx.segment import Segmentation, SegmentModel

    if isinstance(model, Segmentation):
        model = model.to_model()
    header = {"format": FORMAT, "format_version": FORMAT_VERSION}
    header["kmeansx_version"] = __version__
    if isinstance(model, SegmentModel):
        if isinstance(model.model, MiniBatchKMeans):
            payload, arrays = _minibatch_payload(model.model)
            header["model_kind"] = "minibatch"
        else:
            payload, arrays = _kmeans_payload(model.model)
        # A segmentation by angle has its own kind, which a kmeansx that does not
        # know it refuses, rather than label rows by Euclidean distance.
        cosine = isinstance(model.model, SphericalKMeans)
        header["kind"] = "spherical-segment" if cosine else "segment"
        header["columns"] = [str(c) for c in model.columns]
        header["scaler"] = {"method": model.scaler.method}
        arrays["scaler_center"] = model.scaler.center
        arrays["scaler_scale"] = model.scaler.scale
    else:
        # Subclasses before KMeans: a SphericalKMeans has its own kind, since
        # loaded as a KMeans it would predict and transform by Euclidean
        # distance on rows not scaled to unit length.
        kinds = (
            (BisectingKMeans, "bisecting", _bisecting_payload),
            (MiniBatchKMeans, "minibatch", _minibatch_payload),
            (SphericalKMeans, "spherical", _kmeans_payload),
            (KMeans, "kmeans", _kmeans_payload),
        )
        kind = next((k for k in kinds if isinstance(model, k[0])), None)
        if kind is None:
            name = type(model).__name__
            raise TypeError(
                "save() takes a fitted KMeans, BisectingKMeans, SphericalKMeans, "
                "MiniBatchKMeans or segment() result; "
                + (
                    f"model files of a {name} are not supported yet."
                    if hasattr(model, "cluster_centers_")
                    else f"got {name}."
                )
            )
        _, header["kind"], payload_of = kind
        payload, arrays = payload_of(model)
    header.update(payload)
    header["arrays"] = sorted(arrays)
    with atomic_write(path, force=force) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("header.json", json.dumps(header, indent=1, allow_nan=False))
            for name, arr in arrays.items():
                buf = _io.BytesIO()
                np.lib.format.write_array(
                    buf, np.ascontiguousarray(arr), allow_pickle=False
                )
                zf.writestr(f"arrays/{name}.npy", buf.getvalue())
    return Path(path)


def _read(path: Path) -> tuple[dict, dict]:
    damaged = f"{path} is not a kmeansx model file or is damaged"
    try:
        with zipfile.ZipFile(path) as zf:
            header = json.loads(zf.read("header.json").decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ValueError(f"{damaged}: its header does not name {FORMAT!r}.")
            version = header.get("format_version")
            if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
                raise ValueError(
                    f"{path} has model format version {version!r}, written by kmeansx "
                    f"{header.get('kmeansx_version', '?')}; this kmeansx reads format "
                    f"version {FORMAT_VERSION}: upgrade kmeansx to load it."
                )
            arrays = {}
            for name in header["arrays"]:
                with zf.open(f"arrays/{name}.npy") as f:
                    raw = _io.BytesIO(f.read())
                try:
                    arrays[name] = np.lib.format.read_array(raw, allow_pickle=False)
                except ValueError as e:
                    raise ValueError(f"{damaged}: array {name!r}: {e}") from None
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{path} is a directory, not a model file.") from None
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as e:
        # A damaged archive: bad CRC or compressed stream, or flipped bits that
        # claim an unknown compression method or a password.
        raise ValueError(f"{damaged} ({e}).") from None
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as e:
        raise ValueError(f"{damaged} ({type(e).__name__}: {e}).") from None
    except (OSError, EOFError) as e:
        raise ValueError(f"{damaged} ({e}).") from None
    return header, arrays


def _expect(arrays: dict, name: str, shape: tuple, kinds: str = "f") -> np.ndarray:
    """``arrays[name]``, refused unless of ``shape`` and dtype kind, and finite."""
    arr = arrays.get(name)
    if arr is None:
        raise ValueError(f"the header lists no array {name!r}")
    if arr.dtype.kind not in kinds:
        raise ValueError(f"{name} has dtype {arr.dtype}, expected numbers")
    if arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or inf")
    return arr


def _check_model(header: dict, arrays: dict) -> None:
    """Every array against the header, so that a damaged or hand-edited file is
    refused on loading instead of predicting wrong labels later."""
    for part in ("params", "fitted") + (("scaler",) if "scaler" in header else ()):
        if not isinstance(header.get(part), dict):
            raise ValueError(f"the header's {part!r} is missing or not a mapping")
    fitted, params = header["fitted"], header["params"]
    d, k = fitted["n_features_in"], params.get("n_clusters")
    for name, value in (("n_features_in", d), ("n_clusters", k)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}={value!r} in the header is not an int >= 1")
    _expect(arrays, "cluster_centers", (k, d))
    # A MiniBatchKMeans fitted by partial_fit alone may have no labels_, inertia_
    # or n_iter_.
    mini = "minibatch" in (header.get("kind"), header.get("model_kind"))
    labels = arrays.get("labels")
    if not (mini and labels is None):
        if labels is None or labels.ndim != 1:
            raise ValueError("labels must be a 1-D array")
        labels = _expect(arrays, "labels", labels.shape, "iu")
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(f"labels outside 0..{k - 1}")
    inertia, n_iter = fitted["inertia"], fitted["n_iter"]
    if not (mini and inertia is None) and (
        not isinstance(inertia, int | float) or not inertia >= 0
    ):
        raise ValueError(f"inertia={inertia!r} is not a number >= 0")
    if not (mini and n_iter is None) and (
        not isinstance(n_iter, int) or isinstance(n_iter, bool) or n_iter < 0
    ):
        raise ValueError(f"n_iter={n_iter!r} is not an int >= 0")
    if mini:
        _check_minibatch(header, arrays, k, d)
    names = fitted.get("feature_names_in")
    if names is not None and (
        not isinstance(names, list)
        or len(names) != d
        or not all(isinstance(n, str) for n in names)
    ):
        raise ValueError(f"feature_names_in is not a list of {d} names")
    if "init" in arrays:
        _expect(arrays, "init", (k, d))
    if "history_inertia" in arrays:
        t = arrays["history_inertia"].shape[0]
        _expect(arrays, "history_inertia", (t,))
        _expect(arrays, "history_n_changed", (t,), "iu")
        _expect(arrays, "history_centers", (t + 1, k, d))
    n_moves = fitted.get("n_moves")
    if n_moves is not None and (
        not isinstance(n_moves, int) or isinstance(n_moves, bool) or n_moves < 0
    ):
        raise ValueError(f"n_moves={n_moves!r} is not an int >= 0")
    if header.get("kind") == "bisecting":
        _check_tree(arrays, k, d, labels.shape[0])
    if header.get("kind") in SEGMENT_KINDS:
        columns = header["columns"]
        if not isinstance(columns, list) or len(columns) != d:
            raise ValueError(f"columns is not a list of {d} names")
        _expect(arrays, "scaler_center", (d,))
        if not (_expect(arrays, "scaler_scale", (d,)) > 0).all():
            raise ValueError("scaler_scale holds a value <= 0")


def _check_minibatch(header: dict, arrays: dict, k: int, d: int) -> None:
    scalars = header.get("minibatch")
    if not isinstance(scalars, dict):
        raise ValueError("the header's 'minibatch' is missing or not a mapping")
    for name in ("exponent", "batch_size", "init_size", "n_since_last_reassign"):
        value = scalars.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"minibatch {name}={value!r} is not an int")
    for name in ("n_steps",):
        value = header["fitted"].get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name}={value!r} is not an int >= 0")
    _expect(arrays, "mb_centers", (k, d))
    if (_expect(arrays, "mb_counts", (k,)) < 0).any():
        raise ValueError("mb_counts holds a negative count")
    if "mb_offset" in arrays:
        _expect(arrays, "mb_offset", (d,))
    if scalars.get("random_state") is not None:
        _expect(arrays, "mb_rng_keys", (624,), "u")


def _check_tree(arrays: dict, k: int, d: int, n_samples: int) -> None:
    n_nodes = 2 * k - 1
    parent = _expect(arrays, "tree_parent", (n_nodes,), "i")
    children = _expect(arrays, "tree_children", (n_nodes, 2), "i")
    _expect(arrays, "tree_centers", (n_nodes, d))
    _expect(arrays, "tree_sizes", (n_nodes,), "iu")
    _expect(arrays, "tree_weights", (n_nodes,))
    _expect(arrays, "tree_inertia", (n_nodes,))
    row_leaf = _expect(arrays, "row_leaf", (n_samples,), "i")
    if parent[0] != -1 or (parent[1:] < 0).any() or (parent >= n_nodes).any():
        raise ValueError("tree_parent is not a tree rooted at node 0")
    if ((children < -1) | (children >= n_nodes)).any():
        raise ValueError("tree_children names a node outside the tree")
    if n_samples and ((row_leaf < 0) | (row_leaf >= n_nodes)).any():
        raise ValueError("row_leaf names a node outside the tree")


def _build_bisecting(header: dict, arrays: dict):
    from kmeansx._bisecting import BisectingKMeans, BisectingTree

    bkm = BisectingKMeans(**header["params"])
    fitted = header["fitted"]
    bkm.tree_ = BisectingTree(*(arrays[f"tree_{part}"] for part in _TREE_PARTS))
    bkm._row_leaf = arrays["row_leaf"].astype(np.int64)
    bkm.labels_ = arrays["labels"]
    bkm.cluster_centers_ = arrays["cluster_centers"]
    bkm.inertia_ = float(fitted["inertia"])
    bkm._n_features_out = bkm.cluster_centers_.shape[0]
    return _restore_features_in(bkm, fitted)


def _build_minibatch(header: dict, arrays: dict):
    from kmeansx._minibatch import MiniBatchKMeans

    mbk = MiniBatchKMeans(**_saved_params(header, arrays))
    fitted = header["fitted"]
    mbk._restore(
        header["minibatch"],
        {k[3:]: v for k, v in arrays.items() if k.startswith("mb_")},
    )
    centers = np.array(arrays["cluster_centers"])
    mbk.cluster_centers_ = centers
    mbk._n_features_out = centers.shape[0]
    mbk.n_steps_ = int(fitted["n_steps"])
    if fitted["n_iter"] is not None:
        mbk.n_iter_ = int(fitted["n_iter"])
    if fitted["inertia"] is not None:
        mbk.inertia_ = float(fitted["inertia"])
    if "labels" in arrays:
        mbk.labels_ = arrays["labels"]
    return _restore_features_in(mbk, fitted)


def _build_kmeans(header: dict, arrays: dict):
    from kmeansx._estimator import KMeans
    from kmeansx._fit import FitResult
    from kmeansx._history import KMeansHistory
    from kmeansx._spherical import SphericalKMeans

    spherical = header.get("kind") in ("spherical", "spherical-segment")
    km = (SphericalKMeans if spherical else KMeans)(**_saved_params(header, arrays))
    fitted = header["fitted"]
    centers = arrays["cluster_centers"]
    history = None
    if "history_centers" in arrays:
        history = KMeansHistory(
            arrays["history_centers"],
            arrays["history_inertia"],
            arrays["history_n_changed"],
        )
    km._set_fitted(
        FitResult(
            centers,
            arrays["labels"],
            float(fitted["inertia"]),
            int(fitted["n_iter"]),
            history,
            fitted.get("n_moves"),
        )
    )
    return _restore_features_in(km, fitted)


def load(path):
    """Read a model file written by :func:`save`.

    Returns
    -------
    KMeans, BisectingKMeans, SphericalKMeans, MiniBatchKMeans or SegmentModel
        The fitted estimator for a plain model; a
        :class:`kmeansx.segment.SegmentModel` (``.predict(df)`` picks the same
        columns and applies the same scaling) for a ``segment`` result.

    Raises
    ------
    ValueError
        The file is not a kmeansx model, is damaged, or has a newer format version.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from kmeansx import segment, save, load
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 10.0, 11.0], "b": [1.0, 2.0, 1.0, 2.0]})
    >>> seg = segment(df, n_clusters=2, random_state=0)
    >>> model = load(save(seg, pathlib.Path(tempfile.mkdtemp()) / "seg.kmx"))
    >>> model.columns, model.scaler.method
    (('a', 'b'), 'standard')
    >>> model.predict(df).equals(seg.labels)
    True
    """
    path = Path(path)
    header, arrays = _read(path)
    try:
        _check_model(header, arrays)
        kind = header.get("kind")
        if kind == "bisecting":
            return _build_bisecting(header, arrays)
        if kind == "minibatch" or header.get("model_kind") == "minibatch":
            km = _build_minibatch(header, arrays)
        else:
            km = _build_kmeans(header, arrays)
        if kind in ("kmeans", "spherical", "minibatch"):
            return km
        if header.get("kind") not in SEGMENT_KINDS:
            raise ValueError(f"unknown model kind {header.get('kind')!r}")
        from kmeansx._tables import Scaler
        from kmeansx.segment import SegmentModel

        scaler = Scaler(
            header["scaler"]["method"],
            arrays["scaler_center"].astype(np.float64),
            arrays["scaler_scale"].astype(np.float64),
        )
        return SegmentModel(km, scaler, tuple(header["columns"]))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(
            f"{path} is not a kmeansx model file or is damaged ({type(e).__name__}: "
            f"{e})."
        ) from None
