"""The experiment runner: designs, seeds, executors, resume, failures."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
from builders import interrupt_runner_after

import aiscale_sim.runner as runner
from aiscale_sim import load_experiment
from aiscale_sim.errors import UserInputError
from aiscale_sim.experiment import executors
from aiscale_sim.runner import (
    Run,
    design_from_grid,
    design_from_matrix,
    design_from_scenarios,
    run_experiment,
)

TINY = {"employees": 300, "business_units": 3}
STEPS = 30


def tiny_design(n_seeds=3, master=7):
    return design_from_scenarios([TINY, {**TINY, "training_hours": 20.0}], n_seeds, master)


def test_seeds_are_common_across_scenarios_and_reproducible():
    d = tiny_design()
    assert [r.run_id for r in d] == list(range(6))
    assert [r.seed for r in d[:3]] == [r.seed for r in d[3:]]
    assert len({r.seed for r in d[:3]}) == 3
    assert [r.seed for r in tiny_design()] == [r.seed for r in d]
    assert [r.seed for r in tiny_design(master=8)] != [r.seed for r in d]
    assert d.master_seed == 7


def test_grid_and_matrix_designs():
    g = design_from_grid(TINY, {"training_hours": [0, 10], "centralisation": [0.0, 1.0]}, 2, 1)
    assert len(g) == 8 and [r.run_id for r in g] == list(range(8))
    assert {r.levers["training_hours"] for r in g} == {0.0, 10.0}
    assert g[0].seed == g[2].seed  # common seeds across points
    m = design_from_matrix(TINY, ["training_hours", "purgatory_timeout"],
                           np.array([[1.0, 10.4], [2.0, 20.6]]), 2, 1)
    assert [r.run_id for r in m] == [0, 1, 2, 3]
    assert m[0].seed == m[2].seed and m[0].seed != m[1].seed
    assert m[3].levers["purgatory_timeout"] == 21
    with pytest.raises(UserInputError, match="unknown lever"):
        design_from_grid(TINY, {"trainin_hours": [1]}, 1, 1)
    with pytest.raises(UserInputError, match="out of bounds"):
        design_from_grid(TINY, {"training_hours": [999]}, 1, 1)


def test_serial_processes_and_dask_give_equal_results(tmp_path):
    from dask.distributed import Client, LocalCluster

    d = tiny_design()
    serial = run_experiment(d, tmp_path / "s", steps=STEPS, executor="serial", progress=False)
    procs = run_experiment(d, tmp_path / "p", steps=STEPS, executor="processes", workers=2,
                           progress=False)
    # An in-process LocalCluster (threads) keeps the test quick and exercises --scheduler.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                      ) as cluster, Client(cluster) as client:
        assert client.scheduler_info()["workers"]
        dsk = run_experiment(d, tmp_path / "d", steps=STEPS, executor="dask",
                             scheduler=cluster.scheduler_address, progress=False)
    assert len(serial.summaries) == 6
    assert serial.manifest["status"] == "complete"
    pd.testing.assert_frame_equal(serial.summaries, procs.summaries)
    pd.testing.assert_frame_equal(serial.summaries, dsk.summaries)
    pd.testing.assert_frame_equal(serial.timeseries, procs.timeseries)
    pd.testing.assert_frame_equal(serial.timeseries, dsk.timeseries)
    s = serial.summaries
    assert list(s.columns[:3]) == ["run_id", "scenario", "seed"]
    assert "purgatory_by_reason.infrastructure" in s.columns
    assert "training_hours" in s.columns
    assert list(s["seed"]) == [r.seed for r in d]
    ts = serial.timeseries
    assert set(ts["run_id"]) == set(range(6))
    assert (ts.groupby("run_id")["week"].max() == STEPS).all()


def test_results_equal_direct_simulate(tmp_path):
    from aiscale_sim import simulate

    d = tiny_design(n_seeds=1)
    exp = run_experiment(d, tmp_path / "e", steps=STEPS, executor="serial", progress=False)
    direct = simulate(d[1].levers, seed=d[1].seed, steps=STEPS)
    row = exp.summaries.set_index("run_id").loc[1]
    assert row["adoption_share"] == direct.outcomes["adoption_share"]
    assert row["cumulative_cost"] == direct.outcomes["cumulative_cost"]


def test_chosen_weekly_metrics_are_the_only_ones_stored(tmp_path):
    d = tiny_design(n_seeds=1)
    full = run_experiment(d, tmp_path / "all", steps=STEPS, executor="serial", progress=False)
    some = run_experiment(d, tmp_path / "some", steps=STEPS, executor="processes", workers=2,
                          progress=False, weekly=["adoption_share", "pilots_active"])
    assert list(some.timeseries.columns) == ["run_id", "week", "adoption_share", "pilots_active"]
    assert len(full.timeseries.columns) > 20
    pd.testing.assert_frame_equal(some.timeseries, full.timeseries[some.timeseries.columns])
    pd.testing.assert_frame_equal(some.summaries, full.summaries)
    assert some.manifest["weekly_metrics"] == ["adoption_share", "pilots_active"]
    # Same metrics in another order: the same experiment (it resumes, nothing to run).
    again = run_experiment(d, tmp_path / "some", steps=STEPS, executor="serial",
                           progress=False, weekly={"pilots_active", "adoption_share"})
    pd.testing.assert_frame_equal(again.timeseries, some.timeseries)
    # The same design with other weekly metrics is another experiment: no mixed folders.
    with pytest.raises(UserInputError, match="weekly metrics: adoption_share,pilots_active"):
        run_experiment(d, tmp_path / "some", steps=STEPS, executor="serial", progress=False)
    with pytest.raises(UserInputError, match="unknown weekly metric.*adoption_rate.*choose "
                                             "from.*adoption_share"):
        run_experiment(d, tmp_path / "x", weekly=["adoption_rate"], progress=False)
    assert not (tmp_path / "x").exists()


def test_failing_run_is_recorded_and_others_finish(tmp_path, monkeypatch):
    real = runner.simulate

    def flaky(levers, *, seed, steps):
        if seed == d[1].seed and levers["training_hours"] == 20.0:
            raise RuntimeError("boom")
        return real(levers, seed=seed, steps=steps)

    d = tiny_design()
    monkeypatch.setattr(runner, "simulate", flaky)
    exp = run_experiment(d, tmp_path / "e", steps=STEPS, executor="serial", progress=False)
    assert exp.manifest["status"] == "complete_with_failures"
    counts = exp.manifest["counts"]
    assert {k: counts[k] for k in ("total", "done", "failed")} == {"total": 6, "done": 5,
                                                                  "failed": 1}
    # Undefined outcomes are flagged per run (a short run often has no concluded pilot).
    s = exp.summaries
    undefined_rate = s["pilot_to_production_rate"].isna()
    assert (s.loc[undefined_rate, "nan_outcomes"].str.contains("pilot_to_production_rate")).all()
    assert counts["nan"] == int((s["nan_outcomes"] != "").sum())
    assert sorted(exp.summaries["run_id"]) == [0, 1, 2, 3, 5]
    f = exp.failures
    assert list(f["run_id"]) == [4]
    assert "boom" in f["error"][0] and "RuntimeError" in f["traceback"][0]
    assert f["seed"][0] == d[4].seed and f["levers"][0]["training_hours"] == 20.0
    # Resuming retries the failed run only; now it succeeds.
    monkeypatch.setattr(runner, "simulate", real)
    exp2 = run_experiment(d, tmp_path / "e", steps=STEPS, executor="serial", progress=False)
    assert exp2.manifest["status"] == "complete"
    assert sorted(exp2.summaries["run_id"]) == list(range(6))
    assert exp2.failures.empty


def test_resume_after_partial_run_and_different_design_is_refused(tmp_path, monkeypatch):
    d = tiny_design()
    full = run_experiment(d, tmp_path / "full", steps=STEPS, executor="serial", progress=False)
    real = interrupt_runner_after(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(d, tmp_path / "part", steps=STEPS, executor="serial", progress=False)
    assert load_experiment(tmp_path / "part").status == "interrupted"
    assert len(load_experiment(tmp_path / "part").summaries) == 2
    monkeypatch.setattr(runner, "run_batch", real)
    resumed = run_experiment(d, tmp_path / "part", steps=STEPS, executor="serial",
                             progress=False)
    pd.testing.assert_frame_equal(full.summaries, resumed.summaries)
    pd.testing.assert_frame_equal(full.timeseries, resumed.timeseries)
    with pytest.raises(UserInputError, match="different experiment"):
        run_experiment(tiny_design(master=99), tmp_path / "part", steps=STEPS,
                       executor="serial", progress=False)
    with pytest.raises(UserInputError, match="different experiment"):
        run_experiment(d, tmp_path / "part", steps=STEPS + 1, executor="serial",
                       progress=False)


def test_bad_arguments(tmp_path):
    d = tiny_design(n_seeds=1)
    with pytest.raises(UserInputError, match="unknown executor"):
        run_experiment(d, tmp_path / "x", executor="gpu")
    with pytest.raises(UserInputError, match="workers"):
        run_experiment(d, tmp_path / "x", workers=0)
    with pytest.raises(UserInputError, match="no runs"):
        run_experiment([], tmp_path / "x")
    with pytest.raises(UserInputError, match="unique"):
        run_experiment([Run(0, "a", d[0].levers, 1), Run(0, "a", d[0].levers, 2)],
                       tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_unreachable_scheduler_fails_fast(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(UserInputError, match="127.0.0.1:9"):
        run_experiment(tiny_design(n_seeds=1), tmp_path / "x", executor="dask",
                       scheduler="tcp://127.0.0.1:9", steps=STEPS, progress=False)
    assert time.monotonic() - t0 < 30


SCRIPT = textwrap.dedent("""
    import sys
    from aiscale_sim.runner import design_from_grid, run_experiment

    if __name__ == "__main__":
        # Runs long enough (a few tenths of a second each) that the experiment is still going
        # when the test has seen the first runs committed.
        d = design_from_grid({"employees": 600, "business_units": 3},
                             {"training_hours": [0.0, 5.0, 10.0, 20.0, 30.0]}, 4, 3)
        run_experiment(d, sys.argv[1], steps=160, executor="processes", workers=2,
                       progress=False)
""")


def start_experiment_and_wait(tmp_path, batches: int):
    """Start SCRIPT in its own process group; return once ``batches`` batches committed."""
    script = tmp_path / "exp.py"
    script.write_text(SCRIPT)
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, str(script), str(out)], env=env,
                            start_new_session=True)
    parts = out / "parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("*.done.json"))) >= batches:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    return proc, script, out, env


@pytest.mark.slow
def test_kill_9_then_resume_equals_uninterrupted(tmp_path):
    proc, script, out, env = start_experiment_and_wait(tmp_path, batches=2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = load_experiment(out)
    assert partial.status == "running"
    assert 0 < len(partial.summaries) < 20
    subprocess.run([sys.executable, str(script), str(out)], env=env, check=True)
    subprocess.run([sys.executable, str(script), str(tmp_path / "clean")], env=env, check=True)
    a, b = load_experiment(out), load_experiment(tmp_path / "clean")
    assert a.status == "complete"
    assert not (out / "parts").exists()
    pd.testing.assert_frame_equal(a.summaries, b.summaries)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)


def test_results_of_another_model_are_never_mixed(tmp_path):
    import json

    d = tiny_design(n_seeds=1)
    out = tmp_path / "exp"
    first = run_experiment(d, out, steps=STEPS, executor="serial", progress=False)
    assert first.manifest["model_fingerprint"] == runner.model_fingerprint()
    # The same folder after the model changed: resuming would mix two models' numbers.
    mf = out / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["model_fingerprint"] = "0123456789abcdef"
    mf.write_text(json.dumps(manifest))
    with pytest.raises(UserInputError, match="different model.*0123456789abcdef"):
        run_experiment(d, out, steps=STEPS, executor="serial", progress=False)


def test_worker_with_another_model_fails_its_runs_instead_of_mixing():
    run = tiny_design(n_seeds=1)[0]
    ok, = runner.run_batch([run], STEPS, runner.model_fingerprint())
    assert ok["ok"]
    bad, = runner.run_batch([run], STEPS, "0123456789abcdef")
    assert not bad["ok"] and "install the same aiscale-sim on every worker" in bad["error"]


def test_a_folder_in_use_is_refused(tmp_path):
    import fcntl

    d = tiny_design(n_seeds=1)
    out = tmp_path / "busy"
    run_experiment(d, out, steps=STEPS, executor="serial", progress=False)
    with open(out / ".lock", "a") as f:  # another process holds the folder
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(UserInputError, match="in use by another aiscale process"):
            run_experiment(d, out, steps=STEPS, executor="serial", progress=False)
    assert run_experiment(d, out, steps=STEPS, executor="serial",
                          progress=False).manifest["status"] == "complete"


def test_silent_endpoint_fails_by_the_deadline_and_leaves_no_folder(tmp_path, monkeypatch):
    import socket

    monkeypatch.setattr(executors, "SCHEDULER_DEADLINE_S", 3)
    monkeypatch.setattr(executors, "SCHEDULER_TIMEOUT_S", 60)  # dask's own timeout would not help
    with socket.socket() as srv:  # accepts connections, never says a word
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        address = f"tcp://127.0.0.1:{srv.getsockname()[1]}"
        t0 = time.monotonic()
        with pytest.raises(UserInputError, match=f"cannot reach the Dask scheduler at {address}"):
            run_experiment(tiny_design(1), tmp_path / "x", steps=STEPS, executor="dask",
                           scheduler=address, progress=False)
        assert time.monotonic() - t0 < 10
    assert not (tmp_path / "x").exists()


def _descendants(pid: int) -> set[int]:
    """Live descendant pids of ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in os.listdir("/proc"):
        if not stat.isdigit():
            continue
        try:
            with open(f"/proc/{stat}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")
def test_workers_do_not_outlive_a_killed_experiment(tmp_path):
    proc, _, _, _ = start_experiment_and_wait(tmp_path, batches=1)
    try:
        workers = _descendants(proc.pid)
        assert workers
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, as `kill -9 PID` does
        proc.wait()
        deadline = time.monotonic() + 20
        alive = workers
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = {p for p in alive if _running(p)}
        assert not alive, f"orphaned workers still running: {sorted(alive)}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
