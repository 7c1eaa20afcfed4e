"""The runner keeps every finished run: Ctrl-C, kill -9, parts written twice; experiments grow."""

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from builders import interrupt_runner_after

import aiscale_sim.runner as runner
from aiscale_sim import load_experiment
from aiscale_sim.errors import UserInputError
from aiscale_sim.experiment import store
from aiscale_sim.runner import design_from_grid, design_from_scenarios, run_experiment

TINY = {"employees": 300, "business_units": 3}
STEPS = 30


def two_scenarios(n_seeds, master=7):
    return design_from_scenarios([TINY, {**TINY, "training_hours": 20.0}], n_seeds, master)


def counting_runs(monkeypatch):
    """Patch the runner so that it counts the runs it actually simulates."""
    ran = []
    real = runner.run_batch

    def counted(runs, steps, *args):
        ran.extend(r.run_id for r in runs)
        return real(runs, steps, *args)

    monkeypatch.setattr(runner, "run_batch", counted)
    return ran


def by_run(df):
    return df.sort_values(["scenario", "seed"]).drop(columns="run_id").reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_ctrl_c_stops_within_2_s_keeps_finished_runs_and_prints_the_resume_command(tmp_path,
                                                                                     executor):
    if executor == "dask":
        pytest.importorskip("dask.distributed")
    aiscale = Path(sys.executable).with_name("aiscale")
    if not aiscale.exists():
        pytest.skip("the aiscale command is not installed next to this Python")
    out = tmp_path / "cmp"
    cmd = [str(aiscale), "compare", "baseline", "coe", "--seeds", "4", "--workers", "1",
           "--executor", executor, "--steps", "60", "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if list((out / "parts").glob("*.done.json")) if (out / "parts").is_dir() else False:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the experiment ended before it could be interrupted"
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    err = proc.communicate(timeout=30)[1]
    took = time.monotonic() - t0
    assert proc.returncode == 130
    assert took < 2.0, f"Ctrl-C took {took:.1f} s to stop"
    assert "Traceback" not in err, err  # the workers leave Ctrl-C to the main process
    kept = load_experiment(out)
    assert kept.status == "interrupted"
    n = len(kept.summaries)
    assert 1 <= n < 8
    assert f"interrupted: {n} of 8 runs kept in {out}" in err
    resume = err.split("run the same command again:\n", 1)[1].splitlines()[0].strip()
    assert shlex.split(resume)[1:] == cmd[1:]
    before = kept.summaries
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    done = load_experiment(out)
    assert done.status == "complete" and len(done.summaries) == 8
    pd.testing.assert_frame_equal(done.summaries[done.summaries["run_id"].isin(
        before["run_id"])].reset_index(drop=True), before)


def test_ctrl_c_in_process_says_how_many_runs_are_kept(tmp_path, monkeypatch, capsys):
    interrupt_runner_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(two_scenarios(3), tmp_path / "x", steps=STEPS, executor="serial",
                       progress=False)
    assert "interrupted: 3 of 6 runs kept" in capsys.readouterr().err
    assert len(load_experiment(tmp_path / "x").summaries) == 3


def test_parts_written_twice_or_merged_count_once(tmp_path, monkeypatch):
    d = two_scenarios(3)
    clean = run_experiment(d, tmp_path / "clean", steps=STEPS, executor="serial",
                           progress=False)
    out = tmp_path / "parts"
    with monkeypatch.context() as m:  # stop before the parts are consolidated
        m.setattr(runner, "_consolidate", lambda *a, **k: None)
        run_experiment(d, out, steps=STEPS, executor="serial", progress=False)
    parts = out / "parts"
    assert list(parts.glob("*.done.json"))

    def duplicate_every_part():
        for marker in list(parts.glob("*.done.json")):
            stem = marker.name[: -len(".done.json")]
            twin = "b" + stem[1:-4] + "twin"
            for f in parts.glob(f"{stem}.*"):
                shutil.copy(f, parts / f.name.replace(stem, twin))
            data = json.loads((parts / f"{twin}.done.json").read_text())
            (parts / f"{twin}.done.json").write_text(json.dumps({**data, "stem": twin}))

    duplicate_every_part()  # e.g. a merge killed after its commit, before the clean-up
    pd.testing.assert_frame_equal(load_experiment(out).summaries, clean.summaries)
    pd.testing.assert_frame_equal(load_experiment(out).timeseries, clean.timeseries)
    runner._compact(out)
    assert len(list(parts.glob("*.done.json"))) == 1
    duplicate_every_part()
    pd.testing.assert_frame_equal(load_experiment(out).summaries, clean.summaries)
    pd.testing.assert_frame_equal(load_experiment(out).timeseries, clean.timeseries)
    resumed = run_experiment(d, out, steps=STEPS, executor="serial", progress=False)
    assert resumed.status == "complete" and not parts.exists()
    pd.testing.assert_frame_equal(resumed.summaries, clean.summaries)
    pd.testing.assert_frame_equal(resumed.timeseries, clean.timeseries)


def test_many_runs_are_merged_into_few_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "COMPACT_EVERY", 2)
    monkeypatch.setattr(store, "WRITE_PACE", 0.0)
    d = two_scenarios(4)
    clean = run_experiment(d, tmp_path / "clean", steps=STEPS, executor="serial",
                           progress=False)
    out = tmp_path / "merged"
    monkeypatch.setattr(runner, "_consolidate", lambda *a, **k: None)
    run_experiment(d, out, steps=STEPS, executor="serial", progress=False)
    assert any(p.name.startswith("c") for p in (out / "parts").glob("*.done.json"))
    pd.testing.assert_frame_equal(load_experiment(out).summaries, clean.summaries)
    pd.testing.assert_frame_equal(load_experiment(out).timeseries, clean.timeseries)


def test_more_seeds_keep_the_first_runs_and_run_only_the_new_ones(tmp_path, monkeypatch):
    out = tmp_path / "grow"
    first = run_experiment(two_scenarios(3), out, steps=STEPS, executor="serial",
                           progress=False)
    s3, t3 = first.summaries, first.timeseries
    ran = counting_runs(monkeypatch)
    grown = run_experiment(two_scenarios(5), out, steps=STEPS, executor="serial",
                           progress=False)
    assert len(ran) == 2 * 2  # two new seeds for each of the two scenarios
    assert grown.status == "complete" and len(grown.summaries) == 10
    old = grown.summaries["run_id"].isin(s3["run_id"])
    pd.testing.assert_frame_equal(grown.summaries[old].reset_index(drop=True), s3)
    pd.testing.assert_frame_equal(
        grown.timeseries[grown.timeseries["run_id"].isin(s3["run_id"])]
        .reset_index(drop=True), t3)
    assert grown.manifest["counts"]["total"] == 10 and len(grown.design) == 10
    assert grown.manifest["design_info"]["n_seeds"] == 5
    assert grown.manifest["grown"][-1]["runs_before"] == 6
    assert sorted(r.run_id for r in grown.design) == list(range(10))
    # The same numbers as a five-seed experiment run at once, run for run.
    fresh = run_experiment(two_scenarios(5), tmp_path / "fresh", steps=STEPS,
                           executor="serial", progress=False)
    pd.testing.assert_frame_equal(by_run(grown.summaries), by_run(fresh.summaries))
    # Asking again for the grown design (or resuming it) runs nothing.
    ran.clear()
    again = run_experiment(two_scenarios(5), out, steps=STEPS, executor="serial",
                           progress=False)
    assert ran == []
    pd.testing.assert_frame_equal(again.summaries, grown.summaries)


def test_added_grid_points_keep_their_run_ids(tmp_path, monkeypatch):
    out = tmp_path / "grid"
    small = run_experiment(design_from_grid(TINY, {"training_hours": [0.0, 10.0]}, 2, 3),
                           out, steps=STEPS, executor="serial", progress=False).summaries
    ran = counting_runs(monkeypatch)
    big_design = design_from_grid(TINY, {"training_hours": [0.0, 10.0, 20.0]}, 2, 3)
    big = run_experiment(big_design, out, steps=STEPS, executor="serial", progress=False)
    assert sorted(ran) == [4, 5]
    assert [r.as_dict() for r in big.design] == [r.as_dict() for r in big_design]
    pd.testing.assert_frame_equal(big.summaries.iloc[:4], small)


def test_a_folder_that_cannot_grow_into_this_design_is_refused(tmp_path):
    out = tmp_path / "five"
    run_experiment(two_scenarios(5), out, steps=STEPS, executor="serial", progress=False)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(UserInputError, match="different experiment.*not in this design"):
        run_experiment(two_scenarios(3), out, steps=STEPS, executor="serial", progress=False)
    with pytest.raises(UserInputError, match="different experiment.*other steps"):
        run_experiment(two_scenarios(6), out, steps=STEPS + 1, executor="serial",
                       progress=False)
    with pytest.raises(UserInputError, match="different experiment.*other weekly metrics"):
        run_experiment(two_scenarios(6), out, steps=STEPS, executor="serial", progress=False,
                       weekly=["adoption_share"])
    assert sorted(p.name for p in out.iterdir()) == before
    assert load_experiment(out).manifest["counts"]["total"] == 10
    # Another model's folder stays closed, even to a design that would grow it.
    mf = out / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["model_fingerprint"] = "0123456789abcdef"
    mf.write_text(json.dumps(manifest))
    with pytest.raises(UserInputError, match="different model.*0123456789abcdef"):
        run_experiment(two_scenarios(8), out, steps=STEPS, executor="serial", progress=False)


def test_a_sample_matrix_grows_by_rows_not_by_replicates(tmp_path, monkeypatch):
    import numpy as np

    from aiscale_sim.runner import design_from_matrix

    out = tmp_path / "matrix"
    rows = np.array([[0.0], [10.0], [20.0]])
    run_experiment(design_from_matrix(TINY, ["training_hours"], rows[:2], 2, 5), out,
                   steps=STEPS, executor="serial", progress=False)
    with pytest.raises(UserInputError, match="grows by rows only"):
        run_experiment(design_from_matrix(TINY, ["training_hours"], rows[:2], 3, 5), out,
                       steps=STEPS, executor="serial", progress=False)
    ran = counting_runs(monkeypatch)
    more = design_from_matrix(TINY, ["training_hours"], rows, 2, 5)
    exp = run_experiment(more, out, steps=STEPS, executor="serial", progress=False)
    assert sorted(ran) == [4, 5]
    assert [r.as_dict() for r in exp.design] == [r.as_dict() for r in more]
