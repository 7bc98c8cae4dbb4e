"""Every example of README.md runs as written, in a fresh directory, with nothing but
kmeansx and its shipped data.

Per ``##`` section, in order: each ```python block runs in one namespace shared by
the section (a block that begins ``# NAME.py: python NAME.py`` is saved as that
script and run so, in a new process), and each command of a ```bash block runs in
the same directory: ``kmeansx ...`` through Typer's runner, ``python ...`` with this
interpreter. Set-up commands (``make``, ``pip``, ``.``) are not run: the tests run in
the environment they make.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from kmeansx.cli import app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SET_UP = ("make", "pip", ".")
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SCRIPT = re.compile(r"# (\S+\.py): python \1\n")


def sections() -> dict:
    """``## title`` -> [(language, code), ...] in order; the text before the first
    heading is the section "set-up"."""
    found = {}
    for part in re.split(r"^(?=## )", README.read_text(encoding="utf-8"), flags=re.M):
        title = part.splitlines()[0][3:] if part.startswith("## ") else "set-up"
        found[title] = [(m[1], m[2]) for m in BLOCK.finditer(part)]
    return found


def commands(code: str) -> list:
    """The commands of a bash block: continuations joined, comments dropped."""
    joined = code.replace("\\\n", " ")
    return [
        words
        for line in joined.splitlines()
        if (words := shlex.split(line, comments=True))
    ]


SECTIONS = sections()


def test_the_readme_has_runnable_examples_in_every_part():
    runnable = {
        title
        for title, blocks in SECTIONS.items()
        if any(lang == "python" for lang, _ in blocks)
        or any(
            words[0] not in SET_UP
            for lang, code in blocks
            if lang == "bash"
            for words in commands(code)
        )
    }
    for part in ("Quick start", "Analysts", "Learners", "Engineers", "Dask"):
        assert any(t.startswith(part) for t in runnable), part


@pytest.mark.parametrize("title", [t for t, b in SECTIONS.items() if b])
def test_section_runs_as_written(title, tmp_path, monkeypatch):
    if title.startswith("Dask"):  # the dask extra, which `make test` installs
        pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    runner = CliRunner()
    try:
        for i, (lang, code) in enumerate(SECTIONS[title]):
            where = f"README.md, {title}, block {i + 1}"
            if lang == "python" and (script := SCRIPT.match(code)):
                (tmp_path / script[1]).write_text(code)
                run = subprocess.run(
                    [sys.executable, script[1]], capture_output=True, text=True
                )
                assert run.returncode == 0, f"{where}:\n{run.stdout}\n{run.stderr}"
            elif lang == "python":
                exec(compile(code, where, "exec"), namespace)
            elif lang == "bash":
                for words in commands(code):
                    _run(words, runner, where)
    finally:
        plt.close("all")


def _run(words, runner, where):
    command = " ".join(words)
    if words[0] == "kmeansx":
        result = runner.invoke(app, words[1:])
        assert result.exit_code == 0, f"{where}: {command}\n{result.output}"
    elif words[0] == "python":
        run = subprocess.run(
            [sys.executable, *words[1:]], capture_output=True, text=True
        )
        assert run.returncode == 0, f"{where}: {command}\n{run.stderr}"
    else:
        assert words[0] in SET_UP, f"{where}: how to run {command!r}?"


def test_every_install_hint_in_the_sources_is_a_readme_command():
    readme = README.read_text(encoding="utf-8")
    hints = set()
    for path in (ROOT / "src" / "kmeansx").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"pip install (?:-e )?(?:\"[^\"]*\"|[^\s'\"]+)", text):
            hints.add(m[0])
    assert hints  # the Dask backend's and the Parquet engine's, at least
    for hint in hints:
        assert f"`{hint}`" in readme, hint
