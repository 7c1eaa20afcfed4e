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


def test_version_benchmark_compares_two_trees(tmp_path):
    repo = Path(__file__).parents[1]
    script = repo / "experiments" / "bench_versions.py"
    proc = subprocess.run([sys.executable, str(script), str(repo), str(repo), "--runs", "2",
                           "--rounds", "1", "--employees", "200", "--steps", "5"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"new is [0-9.]+x as fast \(2 runs, 200 employees, 5 weeks\)", proc.stdout)
    panel = subprocess.run([sys.executable, str(script), str(repo), str(repo), "--panel",
                            "--runs", "1", "--rounds", "1", "--employees", "200", "--steps",
                            "5"], capture_output=True, text=True, timeout=120, check=False)
    assert panel.returncode == 0, panel.stderr
    assert re.search(r"new is [0-9.]+x as fast \(1 panels of 3 runs, 200 employees, 5 weeks\)",
                     panel.stdout)
    bad = subprocess.run([sys.executable, str(script), str(tmp_path), str(repo)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode != 0 and "holds no aiscale_sim package" in bad.stderr


def test_calibration_benchmark_runs_in_its_quick_mode():
    script = Path(__file__).parents[1] / "experiments" / "bench_calibrate.py"
    proc = subprocess.run([sys.executable, str(script), "--quick", "--executor", "serial"],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"simulations: [0-9]+ in [0-9]+ populations", out), out
    assert re.search(r"wall time: [0-9.]+ s", out) and "load average" in out
    assert re.search(r"posterior executive_sponsorship: mean [0-9.]+", out), out


def test_facts_calibration_benchmark_runs_in_its_quick_mode():
    script = Path(__file__).parents[1] / "experiments" / "bench_calibrate_facts.py"
    proc = subprocess.run([sys.executable, str(script), "--quick", "--executor", "serial"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"simulations: [0-9,]+ \([0-9,]+ particles\) in [0-9]+ populations", out)
    assert re.search(r"wall time of the fit: [0-9.]+ s", out) and "load average" in out
    assert re.search(r"posterior data_effort: mean [0-9.]+", out), out
    assert re.search(r"the whole budget of 160 simulations at [0-9.]+ runs/s", out), out
    assert re.search(r"target \(160 simulations under 30 minutes\): (met|missed)", out), out
