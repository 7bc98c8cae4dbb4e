"""``kmeansx dataset``: the shipped tables written out for the command line."""

import hashlib

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import MALL_CUSTOMERS
from kmeansx.cli import app
from kmeansx.datasets import load_mall_customers, load_wine

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mall_is_written_byte_for_byte_as_shipped(tmp_path):
    out = tmp_path / "mall.csv"
    result = invoke("dataset", "mall", "-o", out)
    assert result.exit_code == 0, result.output
    assert sha(out) == sha(MALL_CUSTOMERS)
    assert "200 rows x 4 columns" in result.stdout and str(out) in result.stdout
    assert "Annual Income, Spending Score" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mall.csv"]  # no temp left


def test_without_output_the_file_takes_the_data_sets_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("dataset", "mall").exit_code == 0
    assert invoke("dataset", "wine").exit_code == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["mall_customers.csv", "wine.csv"]
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "mall_customers.csv"), load_mall_customers()
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_wine_holds_the_measurements_without_the_cultivar(tmp_path, suffix):
    out = tmp_path / f"wine{suffix}"
    assert invoke("dataset", "wine", "-o", out).exit_code == 0
    table = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    X, _ = load_wine()
    assert "cultivar" not in table.columns
    pd.testing.assert_frame_equal(table, X, check_exact=False, rtol=1e-12)


def test_an_existing_file_is_kept_unless_force(tmp_path):
    out = tmp_path / "mall.csv"
    out.write_text("mine\n")
    result = invoke("dataset", "mall", "-o", out)
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert err.startswith("kmeansx: error: ") and len(err.splitlines()) == 1
    assert "already exists" in err and "--force" in err
    assert out.read_text() == "mine\n"
    assert invoke("dataset", "mall", "-o", out, "--force").exit_code == 0
    assert sha(out) == sha(MALL_CUSTOMERS)


def test_a_missing_directory_or_an_unknown_name_is_one_line(tmp_path):
    result = invoke("dataset", "mall", "-o", tmp_path / "no" / "mall.csv")
    assert result.exit_code == 2 and "does not exist" in result.stderr
    result = invoke("dataset", "iris")
    assert result.exit_code == 2 and "'iris'" in result.stderr
    assert list(tmp_path.iterdir()) == []
