"""experiments/time_notebooks.py times notebooks in a fresh kernel and reports failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

SCRIPT = Path(__file__).parents[1] / "experiments" / "time_notebooks.py"
pytestmark = pytest.mark.slow


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    nbformat.write(nb, path)
    return path


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=120, check=False)


def test_times_each_notebook_and_reports_a_failing_one(tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "x = sum(range(10**6))", "print(x)")
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('broken on purpose')")
    proc = _run(good, bad)
    assert proc.returncode == 1, proc.stderr
    lines = {ln.split()[0]: ln.split() for ln in proc.stdout.splitlines()[1:]}
    assert set(lines) == {"good.ipynb", "bad.ipynb", "total"}
    wall, cpu = float(lines["good.ipynb"][1]), float(lines["good.ipynb"][2])
    assert wall > 0 and 0 < cpu
    assert lines["good.ipynb"][-1] == "ok"
    assert "ValueError: broken on purpose" in " ".join(lines["bad.ipynb"])
    total = float(lines["total"][1])
    assert total >= wall


def test_a_missing_notebook_is_a_usage_error(tmp_path):
    proc = _run(tmp_path / "nope.ipynb")
    assert proc.returncode == 2
    assert "no such notebook" in proc.stderr and not proc.stdout
