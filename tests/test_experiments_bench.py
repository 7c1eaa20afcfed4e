"""The benchmark script runs end to end in its quick mode."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "experiments" / "bench_model.py"


def test_bench_quick_runs_and_reports_speedup():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    m = re.search(r"fast/reference speed-up: ([0-9]+(?:\.[0-9]+)?)x", out)
    assert m, out
    assert float(m.group(1)) > 0
    assert "results agree: yes" in out
    assert "peak RSS" in out and "ms/step" in out
    for n in ("300", "1,000"):
        assert re.search(rf"^\s*{n}\s", out, re.MULTILINE), out
