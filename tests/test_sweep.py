"""``aiscale sweep``: experiment files, plots, bad input."""

import time

import pandas as pd
import pytest

from aiscale_sim import load_experiment
from aiscale_sim.cli import main
from aiscale_sim.sweep import load_sweep

SWEEP = """
name = "tiny"
scenario = "baseline"
seeds = 2
master_seed = 5
steps = 30
[set]
employees = 300
business_units = 3
[levers]
training_hours = [0.0, 20.0]
centralisation = { low = 0.0, high = 1.0, num = 2 }
"""


def test_shipped_experiment_file_loads():
    spec = load_sweep("experiments/training_vs_operating_model.toml")
    assert set(spec["grid"]) == {"training_hours", "centralisation"}
    assert spec["scenario"].levers["employees"] == 2000
    assert len(spec["grid"]["centralisation"]) == 3


@pytest.mark.slow
def test_sweep_writes_experiment_and_plots(tmp_path):
    f = tmp_path / "tiny.toml"
    f.write_text(SWEEP)
    out = tmp_path / "out"
    assert main(["sweep", str(f), "--executor", "serial", "--out", str(out), "--quiet"]) == 0
    exp = load_experiment(out)
    assert len(exp.summaries) == 8
    assert sorted(exp.summaries["training_hours"].unique()) == [0.0, 20.0]
    assert (out / "adoption_share_vs_training_hours.png").is_file()
    assert (out / "roi_vs_centralisation.png").is_file()
    assert exp.manifest["metadata"]["command"] == "sweep"
    # a different design into the same folder is refused (more seeds would grow it instead)
    f.write_text(SWEEP.replace("steps = 30", "steps = 31"))
    assert main(["sweep", str(f), "--executor", "serial", "--out", str(out), "--quiet"]) == 2
    f.write_text(SWEEP.replace("seeds = 2", "seeds = 3"))
    assert main(["sweep", str(f), "--executor", "serial", "--out", str(out), "--quiet"]) == 0
    grown = load_experiment(out)
    assert len(grown.summaries) == 12
    kept = grown.summaries[grown.summaries["run_id"].isin(exp.summaries["run_id"])]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), exp.summaries)


@pytest.mark.parametrize("content, message", [
    ("seeds = 2\n[levers]\ntraining_hours = [1.0]\nfoo = 1\n", "unknown lever 'foo'"),
    ("seeds = 2\nlevers = 3\n", "must be a table"),
    ("seeds = [\n", "broken TOML"),
    ("seedz = 2\n[levers]\ntraining_hours = [1.0]\n", "unknown key 'seedz'"),
    ('scenario = "nope"\n[levers]\ntraining_hours = [1.0]\n', "not found"),
    ("[levers]\ntraining_hours = [100.0]\n", "out of bounds"),
])
def test_bad_experiment_files_exit_2(content, message, tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text(content)
    rc = main(["sweep", str(f), "--executor", "serial", "--out", str(tmp_path / "o")])
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_file_and_unreachable_scheduler(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
    assert "not found" in capsys.readouterr().err
    f = tmp_path / "tiny.toml"
    f.write_text(SWEEP)
    t0 = time.monotonic()
    rc = main(["sweep", str(f), "--scheduler", "tcp://127.0.0.1:9", "--out",
               str(tmp_path / "o"), "--quiet"])
    assert rc == 2
    assert time.monotonic() - t0 < 30
    assert "tcp://127.0.0.1:9" in capsys.readouterr().err


def test_sweep_over_a_choice_lever_plots_by_name(tmp_path):
    exp_file = tmp_path / "choice.toml"
    exp_file.write_text(
        'scenario = "baseline"\nseeds = 2\nmaster_seed = 1\nsteps = 30\n'
        "[set]\nemployees = 300\nbusiness_units = 3\n"
        '[levers]\nprioritisation = ["launch_everything", "value_feasibility"]\n')
    out = tmp_path / "out"
    assert main(["sweep", str(exp_file), "--executor", "serial", "--out", str(out),
                 "--quiet"]) == 0
    png = out / "adoption_share_vs_prioritisation.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
