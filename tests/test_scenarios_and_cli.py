"""Scenario files, the ``aiscale run`` command and its handling of bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from aiscale_sim import load_scenario
from aiscale_sim.cli import main
from aiscale_sim.scenarios import available, scenario_dir

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["baseline", "coe", "federated", "hybrid", "people_first", "platform_first",
           "vanity_metrics"]


def test_shipped_scenarios_exist_and_tell_a_story():
    assert set(SHIPPED) <= set(available())
    assert scenario_dir().resolve() == (ROOT / "scenarios").resolve()
    for name in available():
        sc = load_scenario(name)
        assert len(sc.description.split()) >= 15, name


def test_extends_overrides_base():
    coe = load_scenario("coe")
    base = load_scenario("baseline")
    assert coe.levers["centralisation"] == 1.0
    assert base.levers["centralisation"] != 1.0
    assert coe.levers["training_hours"] == base.levers["training_hours"]


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


BAD = {
    "unknown lever": ("[levers]\ntraining_hourz = 3\n", "unknown lever 'training_hourz'.*did you "
                      "mean 'training_hours'"),
    "wrong type": ("[levers]\ntraining_hours = 'lots'\n", "'training_hours'.*expected a number"),
    "out of bounds": ("[levers]\ngovernance_rigour = 2.0\n",
                      "'governance_rigour'.*out of bounds; allowed 0 to 1"),
    "broken toml": ("[levers\ntraining_hours = 3\n", "bad.toml: broken TOML"),
    "lever at top level": ("training_hours = 3\n", "go under a \\[levers\\] table"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_scenario_exits_2_and_writes_nothing(case, tmp_path, capsys):
    text, pattern = BAD[case]
    path = _write(tmp_path, "bad.toml", text)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert pytest.importorskip("re").search(pattern, err), err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_file_and_unknown_name(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "nope.toml"), "--out", str(out)]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["run", "basline", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'baseline'" in err and "shipped scenarios" in err
    assert not out.exists()


def test_extends_loop_is_named(tmp_path, capsys):
    _write(tmp_path, "a.toml", 'extends = "b.toml"\n[levers]\ntraining_hours = 1\n')
    _write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "a.toml"), "--out", str(out)]) == 2
    assert "extends' loop: a.toml -> b.toml -> a.toml" in capsys.readouterr().err
    assert not out.exists()


def test_bad_override_and_bad_steps(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--set", "centralisation=3", "--out", str(out)]) == 2
    assert "allowed 0 to 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["run", "--steps", "0", "--out", str(out)])
    assert e.value.code == 2
    assert not out.exists()


def test_run_writes_summary_timeseries_and_picture(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["run", "baseline", "--seed", "3", "--steps", "60", "--out", str(out),
               "--set", "employees=600", "--set", "business_units=3"])
    assert rc == 0
    text = capsys.readouterr().out
    for phrase in ("Pilots", "launched", "Why pilots stalled", "infrastructure", "commitment",
                   "using AI regularly", "time to 50% adoption", "ROI"):
        assert phrase in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["scenario"] == "baseline"
    assert summary["steps"] == 60 and summary["version"]
    assert summary["levers"]["employees"] == 600
    for key in ("pilots_launched", "pilots_reached_production", "pilot_to_production_rate",
                "pilots_in_purgatory", "use_cases_in_production", "use_cases_scaled",
                "adoption_share", "time_to_50pct_adoption_weeks", "incidents",
                "cumulative_value", "cumulative_cost", "roi"):
        assert key in summary["outcomes"]
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts["week"]) == list(range(61))
    for col in ("adoption_share", "pilots_active", "pilots_in_purgatory",
                "use_cases_in_production", "use_cases_scaled", "cumulative_value",
                "cumulative_cost"):
        assert col in ts
    png = (out / "overview.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left
    for p in out.iterdir():  # ordinary permissions, not a temporary file's private ones
        assert p.stat().st_mode & 0o044 == 0o044 or os.umask(os.umask(0)) & 0o044


def test_console_script_runs_as_a_user_would(tmp_path):
    exe = Path(sys.executable).with_name("aiscale")
    r = subprocess.run([str(exe), "run", "nope"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "not found" in r.stderr
    r = subprocess.run([str(exe), "scenarios"], capture_output=True, text=True, cwd=tmp_path,
                       timeout=120)
    assert r.returncode == 0 and "vanity_metrics" in r.stdout
