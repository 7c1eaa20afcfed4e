"""Sensitivity harness: known answers (Ishigami), noise share, time-resolved indices, bad input."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aiscale_sim.cli import main
from aiscale_sim.errors import UserInputError
from aiscale_sim.sensitivity import (
    FunctionEvaluator,
    ModelEvaluator,
    function_problem,
    lever_problem,
    run_sensitivity,
)

ROOT = Path(__file__).resolve().parents[1]
EXP = ROOT / "experiments"
ISHIGAMI = f"{EXP / 'ishigami.py'}:ishigami"
PROBLEM = EXP / "ishigami_problem.toml"
TINY = {"employees": 300, "business_units": 3}


def _cli(*argv):
    return main(["sensitivity", *map(str, argv)])


@pytest.fixture(scope="module")
def ishigami_sobol(tmp_path_factory):
    out = tmp_path_factory.mktemp("ish")
    assert _cli("--method", "sobol", "--function", ISHIGAMI, "--problem", PROBLEM,
                "--n", 4096, "--seed", 3, "--out", out, "--quiet") == 0
    return out


def test_ishigami_known_answer_through_cli(ishigami_sobol):
    # SALib's own regression test: atol 5e-2, rtol 1e-1 on S1 and ST.
    df = pd.read_csv(ishigami_sobol / "indices.csv").set_index("parameter")
    assert list(pd.read_csv(ishigami_sobol / "indices.csv").columns[:2]) == ["output",
                                                                             "parameter"]
    np.testing.assert_allclose(df.loc[["x1", "x2", "x3"], "S1"], [0.314, 0.442, 0.0],
                               atol=5e-2, rtol=1e-1)
    np.testing.assert_allclose(df.loc[["x1", "x2", "x3"], "ST"], [0.558, 0.442, 0.244],
                               atol=5e-2, rtol=1e-1)
    for col in ("S1_conf", "ST_conf"):
        assert (df[col] >= 0).all()
    assert (ishigami_sobol / "indices.json").is_file()
    assert (ishigami_sobol / "figures" / "indices_bars.png").is_file()
    assert (ishigami_sobol / "figures" / "convergence.png").is_file()
    conv = pd.read_csv(ishigami_sobol / "convergence.csv")
    assert sorted(conv["n"].unique())[-1] == 4096 and conv["n"].nunique() >= 4


def test_dummy_argument_has_zero_indices(ishigami_sobol):
    df = pd.read_csv(ishigami_sobol / "indices.csv").set_index("parameter")
    assert abs(df.loc["x4", "S1"]) < 0.01 and abs(df.loc["x4", "ST"]) < 0.01
    res = run_sensitivity(function_problem(PROBLEM), FunctionEvaluator(ISHIGAMI),
                          method="morris", n=40, seed=1, convergence=False)
    m = res.indices.set_index("parameter")
    assert m.loc["x4", "mu_star"] < 1e-9 < m.loc["x1", "mu_star"]


@pytest.mark.parametrize("method,n", [("sobol", 64), ("morris", 8), ("rbd_fast", 128),
                                      ("pawn", 128)])
def test_same_seed_same_indices(method, n):
    p = function_problem(PROBLEM)
    ev = FunctionEvaluator(ISHIGAMI)
    a = run_sensitivity(p, ev, method=method, n=n, seed=5)
    b = run_sensitivity(p, ev, method=method, n=n, seed=5)
    pd.testing.assert_frame_equal(a.indices, b.indices)
    pd.testing.assert_frame_equal(a.convergence, b.convergence)
    c = run_sensitivity(p, ev, method=method, n=n, seed=6)
    assert not np.allclose(a.X, c.X)


def test_noise_share_of_seed_driven_output():
    res = run_sensitivity(function_problem(PROBLEM),
                          FunctionEvaluator(f"{EXP / 'ishigami.py'}:seed_noise"),
                          method="sobol", n=16, replicates=4, seed=1)
    row = res.noise.set_index("output").loc["y"]
    assert row["noise_share"] > 0.95
    # the replicate mean is the same at every point: nothing to apportion, and it says so
    assert "y" in res.skipped and "constant" in res.skipped["y"]
    assert any("noise" in w for w in res.warnings)


def test_noise_share_zero_for_deterministic_function():
    res = run_sensitivity(function_problem(PROBLEM), FunctionEvaluator(ISHIGAMI),
                          method="sobol", n=16, replicates=2, seed=1)
    assert res.noise.set_index("output").loc["y", "noise_share"] == pytest.approx(0.0)


def test_nan_outputs_are_never_passed_silently():
    def sometimes_nan(x1, x2, x3, x4):
        return math.nan if x1 > 2.5 else x1 + x2

    p = function_problem(PROBLEM)
    res = run_sensitivity(p, FunctionEvaluator(sometimes_nan), method="sobol", n=32, seed=1)
    assert "y" in res.skipped and "not analysed" in res.warnings[0]
    assert len(res.indices) == 0
    res = run_sensitivity(p, FunctionEvaluator(sometimes_nan), method="rbd_fast", n=256, seed=1)
    assert "dropped" in res.notes["y"]
    assert len(res.indices) == 4


def test_an_undefined_rate_says_how_to_count_it(tmp_path):
    problem = lever_problem("pilot_launch_rate,training_hours")
    ev = ModelEvaluator(overrides=TINY, steps=6, every=3, out_dir=tmp_path / "exp",
                        executor="serial")
    res = run_sensitivity(problem, ev, method="sobol", n=2, seed=1)
    assert "--rate-undefined-zero" in res.skipped["pilot_to_production_rate"]
    assert any("--rate-undefined-zero" in w for w in res.warnings)


def test_time_resolved_indices_one_set_per_week(tmp_path):
    problem = lever_problem("pilot_launch_rate,prioritisation")
    ev = ModelEvaluator(overrides=TINY, steps=40, every=10, out_dir=tmp_path / "exp",
                        executor="serial")
    res = run_sensitivity(problem, ev, method="sobol", n=4, replicates=2, seed=1)
    t = res.time_indices
    assert sorted(t["week"].unique()) == [10, 20, 30, 40]
    assert (t.groupby("week").size() == 2).all()
    assert set(res.indices["output"]) | set(res.skipped) == {
        "pilot_to_production_rate", "adoption_share", "time_to_50pct_adoption_weeks",
        "use_cases_in_production", "cumulative_value", "roi"}
    assert len(res.X) == 4 * (2 + 2)
    written = res.save(tmp_path / "exp")
    assert (tmp_path / "exp" / "time_indices.csv") in written
    info = json.loads((tmp_path / "exp" / "indices.json").read_text())
    assert info["runs"] == 32 and info["replicates"] == 2


def test_choice_and_int_encoding():
    p = lever_problem("prioritisation,purgatory_timeout")
    pts = p.decode(np.array([[0.2, 10.4], [0.7, 10.6], [1.0, 4.0]]))
    assert [d["prioritisation"] for d in pts] == ["launch_everything", "value_feasibility",
                                                  "value_feasibility"]
    assert [d["purgatory_timeout"] for d in pts] == [10, 11, 4]


def test_shipped_near_baseline_ranges_file_narrows_two_levers():
    p = lever_problem(None, EXP / "near_baseline_ranges.toml")
    bounds = {prm.name: (prm.low, prm.high) for prm in p.parameters}
    assert bounds["ai_staff_per_1000"] == (2.0, 8.0)
    assert bounds["pilot_launch_rate"] == (3.0, 12.0)
    assert bounds["training_hours"] == (0.0, 40.0)  # the others keep the table's range


def test_analysis_file_narrows_distributes_and_groups(tmp_path):
    f = tmp_path / "a.toml"
    f.write_text('select = ["training_hours", "change_management", "governance_rigour"]\n'
                 "[levers.training_hours]\nlow = 2\nhigh = 20\ndist = \"triang\"\npeak = 0.2\n"
                 "group = \"people\"\n"
                 "[levers.change_management]\nlow = 0\nhigh = 500\ndist = \"norm\"\n"
                 "mean = 100\nsd = 50\ngroup = \"people\"\n")
    p = lever_problem(None, f)
    sp = p.salib()
    assert sp["names"] == ["training_hours", "change_management", "governance_rigour"]
    assert sp["dists"] == ["triang", "truncnorm", "unif"]
    assert sp["bounds"][0] == [2.0, 20.0, 0.2]
    assert p.factor_names == ["people", "governance_rigour"]
    from aiscale_sim.sensitivity import sample

    X = sample(p, "sobol", 16, seed=1)
    assert X.shape == (16 * 4, 3)
    assert X[:, 1].min() >= 0 and X[:, 1].max() <= 500


@pytest.mark.parametrize("argv,msg", [
    (["--method", "sobol", "--n", 8, "--levers", "training_hourz"], "training_hourz"),
    (["--method", "sobol", "--n", 100], "use 64 or 128"),
    (["--method", "sobolx", "--n", 8], "unknown method 'sobolx'"),
    (["--method", "sobol", "--n", 8, "--function", "no_such_module_xyz:f", "--problem",
      PROBLEM], "cannot import 'no_such_module_xyz'"),
    (["--method", "sobol", "--n", 8, "--function", f"{EXP / 'ishigami.py'}:nope",
      "--problem", PROBLEM], "no callable 'nope'"),
    (["--method", "sobol", "--n", 8, "--function", ISHIGAMI], "go together"),
])
def test_bad_input_exits_2(argv, msg, capsys, tmp_path):
    assert _cli(*argv, "--out", tmp_path / "o", "--quiet") == 2
    assert msg in capsys.readouterr().err


def test_bad_input_files_exit_2(tmp_path, capsys, monkeypatch):
    wide = tmp_path / "wide.toml"
    wide.write_text("[levers.training_hours]\nlow = 0\nhigh = 80\n")
    assert _cli("--method", "morris", "--n", 4, "--levers", "training_hours", "--analysis",
                wide, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "training_hours" in err and "allows 0 to 40" in err

    broken = tmp_path / "broken.toml"
    broken.write_text("[parameters.x1\nlow = 0\n")
    assert _cli("--method", "sobol", "--n", 8, "--function", ISHIGAMI, "--problem", broken,
                "--out", tmp_path / "o") == 2
    assert "not valid TOML" in capsys.readouterr().err

    nohigh = tmp_path / "nohigh.toml"
    nohigh.write_text("[parameters.x1]\nlow = 0\n")
    assert _cli("--method", "sobol", "--n", 8, "--function", ISHIGAMI, "--problem", nohigh,
                "--out", tmp_path / "o") == 2
    assert "needs low and high" in capsys.readouterr().err

    # a function imported from the working directory that returns a non-number
    (tmp_path / "textfn.py").write_text("def f(x1, x2):\n    return 'high'\n")
    prob = tmp_path / "p.toml"
    prob.write_text("[parameters.x1]\nlow = 0\nhigh = 1\n[parameters.x2]\nlow = 0\nhigh = 1\n")
    monkeypatch.chdir(tmp_path)
    assert _cli("--method", "sobol", "--n", 8, "--function", "textfn:f", "--problem", prob,
                "--out", tmp_path / "o") == 2
    assert "returned str 'high'" in capsys.readouterr().err


def test_library_errors_are_user_input_errors():
    with pytest.raises(UserInputError, match="allows 0 to 1"):
        lever_problem("centralisation", {"levers": {"centralisation": {"low": -1}}})
    with pytest.raises(UserInputError, match="choice lever"):
        lever_problem("prioritisation", {"levers": {"prioritisation": {"low": 0.2}}})


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["sensitivity", "--method", "sobol"])
    assert e.value.code == 2


def test_headline_script_quick(tmp_path):
    out = tmp_path / "h"
    r = subprocess.run([sys.executable, str(EXP / "sensitivity_headline.py"), "--quick",
                        "--out", str(out)], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    assert "morris ranking" in r.stdout and "sobol ranking" in r.stdout
    assert (out / "morris" / "indices.csv").is_file()
    assert (out / "sobol" / "figures" / "heatmap.png").is_file()


def test_bench_script_tiny():
    r = subprocess.run([sys.executable, str(EXP / "bench_sensitivity.py"), "--n", "2",
                        "--replicates", "1", "--employees", "300", "--steps", "20",
                        "--executor", "serial", "--skip-target-analysis"],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    assert "224 runs" not in r.stdout and "28 runs in" in r.stdout and "runs/minute" in r.stdout


def test_cli_model_run_resumes_and_repeats(tmp_path, capsys):
    out = tmp_path / "sa"
    argv = ["--method", "sobol", "--levers", "pilot_launch_rate", "--n", 2, "--steps", 20,
            "--employees", 300, "--every", 10, "--executor", "serial", "--seed", 4,
            "--out", out, "--quiet", "--no-plot"]
    assert _cli(*argv) == 0
    assert (out / "manifest.json").is_file() and (out / "indices.csv").is_file()
    first = (out / "indices.csv").read_text()
    assert "ranking by ST" in capsys.readouterr().out
    assert _cli(*argv) == 0  # the runner finds every run done and only re-analyses
    assert (out / "indices.csv").read_text() == first


def test_analysis_folder_keeps_the_analysed_curve_unless_asked_for_all(tmp_path, capsys):
    from aiscale_sim import load_experiment

    base = ["--method", "sobol", "--levers", "pilot_launch_rate", "--n", 2, "--steps", 20,
            "--employees", 300, "--every", 10, "--executor", "serial", "--quiet", "--no-plot"]
    assert _cli(*base, "--out", tmp_path / "lean") == 0
    assert _cli(*base, "--out", tmp_path / "full", "--keep-timeseries") == 0
    lean, full = load_experiment(tmp_path / "lean"), load_experiment(tmp_path / "full")
    assert list(lean.timeseries.columns) == ["run_id", "week", "adoption_share"]
    assert {"pilots_active", "mean_trust", "adoption_share"} <= set(full.timeseries.columns)
    pd.testing.assert_frame_equal(lean.summaries, full.summaries)
    assert (tmp_path / "lean" / "indices.csv").read_text() == (
        tmp_path / "full" / "indices.csv").read_text()


def test_failed_evaluations_are_reported_not_analysed():
    def flaky(x1, x2, x3, x4):
        if x1 > 3.0:
            raise ValueError("model blew up")
        return x1

    res = run_sensitivity(function_problem(PROBLEM), FunctionEvaluator(flaky), method="sobol",
                          n=64, seed=2)
    assert res.failures and "model blew up" in res.failures[0]["error"]
    assert "runs failed" in res.warnings[0]
    assert "y" in res.skipped


def test_sobol_carries_an_rbd_fast_cross_check(ishigami_sobol):
    df = pd.read_csv(ishigami_sobol / "indices.csv").set_index("parameter")
    np.testing.assert_allclose(df.loc[["x1", "x2", "x3"], "S1_rbd_fast"], [0.314, 0.442, 0.0],
                               atol=5e-2, rtol=1e-1)


def test_python_api_matches_cli(ishigami_sobol):
    from aiscale_sim.sensitivity import sensitivity_analysis

    res = sensitivity_analysis("sobol", 4096, function=ISHIGAMI, problem=PROBLEM, seed=3)
    cli = pd.read_csv(ishigami_sobol / "indices.csv")
    np.testing.assert_allclose(res.indices["ST"].to_numpy(), cli["ST"].to_numpy(), atol=1e-12)


def test_time_resolved_sobol_with_second_order_matches_the_final_indices():
    from aiscale_sim.sensitivity.analysis import run_sensitivity
    from aiscale_sim.sensitivity.evaluators import Evaluation
    from aiscale_sim.sensitivity.problem import function_problem

    prob = function_problem({"parameters": {"a": {"low": 0, "high": 1},
                                            "b": {"low": 0, "high": 1},
                                            "c": {"low": 0, "high": 1}}})

    def evaluate(problem, X, replicates=1, seed=0, progress=False):
        y = X[:, 0] + 0.3 * X[:, 1] ** 2
        Y = np.repeat(y[:, None], replicates, axis=1)
        return Evaluation(outputs={"y": Y}, series=np.repeat(Y[:, :, None], 2, axis=2),
                          weeks=[1, 2])

    r = run_sensitivity(prob, evaluate, method="sobol", n=64, second_order=True,
                        convergence=False)
    final = r.indices.set_index("parameter")
    for week in (1, 2):
        wk = r.time_indices[r.time_indices["week"] == week].set_index("parameter")
        np.testing.assert_allclose(wk["S1"], final["S1"], atol=1e-12)
        np.testing.assert_allclose(wk["ST"], final["ST"], atol=1e-12)
