"""``aiscale calibrate``: ABC-SMC recovers planted levers, refuses bad input, resumes.

The planted truth is a small organisation (200 employees, one year) whose training hours and
communication about jobs are known; the calibration sees only its mean literacy and mean job
anxiety and must find both levers again.
"""

import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from aiscale_sim import simulate
from aiscale_sim.calibration import abc
from aiscale_sim.calibration.constants import CONSTANTS, model_params, validate_constants
from aiscale_sim.calibration.observed import load_observed, make_org, observable_outcomes
from aiscale_sim.cli import main
from aiscale_sim.errors import UserInputError

KNOWN = {"employees": 200, "business_units": 2, "ai_staff_per_1000": 20.0}
TRUTH = {"training_hours": 6.0, "jobs_communication": 0.5}
STEPS = 52
OBSERVED = ("mean_literacy", "mean_anxiety")


def _observed() -> dict[str, float]:
    o = simulate({**KNOWN, **TRUTH}, seed=99, steps=STEPS).outcomes
    return {k: o[k] for k in OBSERVED}


def _write_org(path, levers=None, observed=None):
    lines = ['name = "planted"', "[levers]"]
    lines += [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"'
              for k, v in (KNOWN if levers is None else levers).items()]
    lines.append("[observed]")
    lines += [f"{k} = {v!r}" for k, v in (_observed() if observed is None else observed).items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """One calibration of the planted organisation, through the CLI (serial, seed 3)."""
    base = tmp_path_factory.mktemp("planted")
    org = _write_org(base / "org.toml")
    out = base / "cal"
    argv = ["calibrate", "--observed", str(org), "--free", "training_hours,jobs_communication",
            "--budget", "600", "--population", "40", "--steps", str(STEPS), "--seed", "3",
            "--out", str(out), "--executor", "serial", "--check-draws", "20", "--quiet"]
    assert main(argv) == 0
    return {"org": org, "out": out, "argv": argv}


# --- the calibratable constants ---------------------------------------------------------------

def test_constants_defaults_lie_inside_their_priors_and_come_from_the_dataclasses():
    from aiscale_sim.employees import EmployeeParams
    from aiscale_sim.pipeline import PipelineParams

    assert len(CONSTANTS) >= 8
    for c in CONSTANTS:
        owner = EmployeeParams() if c.owner == "employee" else PipelineParams()
        assert c.default == getattr(owner, c.name)
        assert c.low < c.default < c.high, c.name
        assert c.source and c.label


def test_constant_overrides_change_the_run_and_no_overrides_change_nothing():
    levers = {"employees": 200, "business_units": 2, "ai_staff_per_1000": 20.0}
    plain = simulate(levers, seed=5, steps=60)
    empty = simulate(levers, seed=5, steps=60, constants={})
    assert empty.outcomes == plain.outcomes and "constants" not in empty.summary
    pd.testing.assert_frame_equal(empty.timeseries, plain.timeseries)
    assert model_params(None) == {"employee_params": None, "pipeline_params": None}

    fast = simulate(levers, seed=5, steps=60, constants={"bass_q": 1.0, "data_effort": 10.0})
    assert fast.summary["constants"] == {"bass_q": 1.0, "data_effort": 10.0}
    assert fast.model.employee_params.bass_q == 1.0
    assert fast.model.pipeline_params.data_effort == 10.0
    # Less data work: the first pilot reaches production sooner.
    assert (fast.outcomes["median_time_to_production_weeks"]
            < plain.outcomes["median_time_to_production_weeks"])
    params = model_params({"data_effort": 12.0})
    assert params["employee_params"] is None and params["pipeline_params"].data_effort == 12.0


@pytest.mark.parametrize("bad, word", [({"bass_qq": 0.5}, "bass_q"), ({"bass_q": 5.0}, "bounds"),
                                       ({"drift": "x"}, "number")])
def test_bad_constants_are_refused(bad, word):
    with pytest.raises(UserInputError, match=word):
        validate_constants(bad)
    with pytest.raises(UserInputError, match=word):
        simulate({"employees": 100, "business_units": 1}, seed=0, steps=2, constants=bad)


# --- planted truth ----------------------------------------------------------------------------

def test_planted_truth_is_recovered_and_the_posterior_is_narrow(planted):
    out = planted["out"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["simulations"] <= summary["budget"] == 600
    assert summary["populations"] >= 3
    assert summary["seed"] == 3 and summary["scenario"] == "planted" and summary["version"]
    assert set(summary["observed"]) == set(OBSERVED)
    # Mean literacy pins training hours down; mean anxiety says less about communication on
    # jobs (fear also moves with adoption and peers), so its posterior narrows less. Each
    # 90% interval is held against the prior's own 90% interval (0.9 of a uniform's width).
    narrowing = {"training_hours": 0.25, "jobs_communication": 0.8}
    for lever, truth in TRUTH.items():
        post = summary["posterior"][lever]
        lo, hi = summary["priors"][lever]["low"], summary["priors"][lever]["high"]
        assert post["low"] <= truth <= post["high"], (lever, post)
        assert post["high"] - post["low"] < narrowing[lever] * 0.9 * (hi - lo), (lever, post)
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == [*TRUTH, "weight"]
    assert len(posterior) == 40 and posterior["weight"].sum() == pytest.approx(1.0)
    # The predictive check simulates posterior draws again and covers what was observed.
    check = json.loads((out / "check.json").read_text())
    assert set(check) == set(OBSERVED)
    for name, c in check.items():
        assert c["draws"] == 20 and c["low"] <= c["mean"] <= c["high"]
        assert c["covered"], name
    assert len(pd.read_csv(out / "check.csv")) == 20
    for png in ("marginals.png", "check.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_calibrated_scenario_runs_and_compares(planted, tmp_path):
    out = planted["out"]
    toml = tomllib.loads((out / "calibrated.toml").read_text())
    summary = json.loads((out / "summary.json").read_text())
    for lever in TRUTH:
        assert toml["levers"][lever] == pytest.approx(summary["posterior"][lever]["mean"],
                                                      rel=1e-3)
    assert {k: toml["levers"][k] for k in KNOWN} == KNOWN
    run_dir = tmp_path / "run"
    assert main(["run", str(out / "calibrated.toml"), "--steps", "8", "--seed", "1", "--out",
                 str(run_dir), "--no-plot", "--quiet"]) == 0
    ran = json.loads((run_dir / "summary.json").read_text())
    assert ran["levers"]["training_hours"] == toml["levers"]["training_hours"]
    assert main(["compare", str(out / "calibrated.toml"), "baseline", "--seeds", "2",
                 "--steps", "8", "--executor", "serial", "--out", str(tmp_path / "cmp"),
                 "--quiet"]) == 0
    assert (tmp_path / "cmp" / "comparison.csv").exists()


def test_rerunning_a_finished_calibration_writes_the_same_results(planted, capsys):
    before = (planted["out"] / "posterior.csv").read_text()
    assert main(planted["argv"]) == 0
    assert (planted["out"] / "posterior.csv").read_text() == before


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("levers, observed, free, budget, words", [
    (None, {"adoption_shar": 0.3}, "training_hours", "600",
     ["unknown observed outcome 'adoption_shar'", "adoption_share"]),
    ({**KNOWN, "training_hours": 5.0}, None, "training_hours,jobs_communication", "600",
     ["'training_hours' is also fixed"]),
    (None, None, "prioritisation", "600", ["'prioritisation' is a choice lever"]),
    (None, None, "training_hours", "100", ["--budget 100 is too small", "120"]),
    (None, None, "training_hourz", "600", ["unknown lever 'training_hourz'"]),
    ({**KNOWN, "trainig_hours": 5.0}, None, "training_hours", "600",
     ["unknown lever 'trainig_hours'"]),
    (None, {"mean_anxiety": "high"}, "training_hours", "600", ["finite number"]),
    (None, None, "employees", "600", ["number of employees is known"]),
])
def test_bad_input_exits_2_names_the_key_and_writes_nothing(tmp_path, capsys, levers, observed,
                                                            free, budget, words):
    org = _write_org(tmp_path / "org.toml", levers, observed)
    out = tmp_path / "out"
    code = main(["calibrate", "--observed", str(org), "--free", free, "--budget", budget,
                 "--population", "40", "--steps", str(STEPS), "--out", str(out),
                 "--executor", "serial", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    for w in words:
        assert w in err
    assert not out.exists()


def test_a_different_command_in_the_same_folder_is_refused(planted, capsys):
    argv = list(planted["argv"])
    argv[argv.index("--seed") + 1] = "4"
    before = sorted(p.name for p in planted["out"].iterdir())
    assert main(argv) == 2
    assert "holds a different calibration" in capsys.readouterr().err
    assert sorted(p.name for p in planted["out"].iterdir()) == before


def test_observable_outcomes_come_from_the_model():
    names = observable_outcomes()
    assert {"pilot_to_production_rate", "median_time_to_production_weeks",
            "adoption_share", "pilot_to_production_by_class.genai"} <= set(names)
    assert not any(n.startswith("adopter_categories") for n in names)


# --- reproducible across executors; resume after an interruption -------------------------------

def _small(seed=3) -> abc.Calibration:
    org = make_org(KNOWN, _observed(), name="planted")
    return abc.Calibration(org, ("training_hours", "jobs_communication"), 120, seed=seed,
                           steps=26, population=12, check_draws=4)


@pytest.fixture(scope="module")
def small_serial(tmp_path_factory):
    """A small calibration in this process, the reference for the two tests below."""
    out = tmp_path_factory.mktemp("small") / "serial"
    return abc.run_calibration(_small(), out, executor="serial", progress=False)


def test_same_seed_same_posterior_in_series_and_on_processes(small_serial, tmp_path):
    two = abc.run_calibration(_small(), tmp_path / "processes", executor="processes",
                              workers=2, progress=False)
    pd.testing.assert_frame_equal(small_serial.posterior, two.posterior)
    for key in ("simulations", "epsilons", "simulations_by_population", "posterior"):
        assert small_serial.summary[key] == two.summary[key]
    assert small_serial.check == two.check


def test_an_interrupted_calibration_resumes_where_it_stopped(small_serial, tmp_path,
                                                             monkeypatch, capsys):
    cal = _small()
    real = abc._progress_printer

    # The small run has only two populations within its budget: stop it after the first.
    assert small_serial.summary["populations"] >= 2

    def stop_after_population_1(stream, population, budget, spent, *more):
        report = real(stream, population, budget, spent, *more)

        def hook(t, *args):
            report(t, *args)
            if t == 1:
                raise KeyboardInterrupt

        return hook

    monkeypatch.setattr(abc, "_progress_printer", stop_after_population_1)
    with pytest.raises(KeyboardInterrupt):
        abc.run_calibration(cal, tmp_path / "cal", executor="serial")
    assert "interrupted: 1 population kept in" in capsys.readouterr().err
    assert not (tmp_path / "cal" / "summary.json").exists()
    monkeypatch.setattr(abc, "_progress_printer", real)
    resumed = abc.run_calibration(cal, tmp_path / "cal", executor="serial")
    assert "resuming" in capsys.readouterr().err
    # The populations kept are the uninterrupted run's; the run then went on within budget.
    whole = small_serial.summary
    assert resumed.summary["epsilons"][:1] == whole["epsilons"][:1]
    assert resumed.summary["populations"] > 1
    assert resumed.summary["simulations"] <= cal.budget


def test_particle_seeds_depend_on_seed_population_and_place_only():
    seeds = [abc.particle_seed(3, t, i) for t in (-1, 0, 1) for i in range(50)]
    assert len(set(seeds)) == len(seeds)
    assert abc.particle_seed(3, 0, 7) == abc.particle_seed(3, 0, 7)
    assert abc.run_seed(3, [1.0, 2.0]) != abc.run_seed(4, [1.0, 2.0])
    model = abc.OrgModel({"employees": 100, "business_units": 1}, ["purgatory_timeout"],
                         ["purgatory_timeout"], ["adoption_share"], 2, 0)
    assert model.levers_for({"purgatory_timeout": 3.6})["purgatory_timeout"] == 4
    assert model.levers_for({"purgatory_timeout": 300.2})["purgatory_timeout"] == 260
    assert not np.isnan(model({"purgatory_timeout": 52.0})["adoption_share"])


def test_load_observed_reads_the_documented_format(tmp_path):
    path = tmp_path / "my_org.toml"
    path.write_text("[levers]\nemployees = 3000\nbusiness_units = 6\n[observed]\n"
                    "pilot_to_production_rate = 0.3\nmedian_time_to_production_weeks = 40\n"
                    "adoption_share = 0.35\n")
    org = load_observed(path)
    assert org.name == "my_org" and org.levers == {"employees": 3000, "business_units": 6}
    assert org.observed["median_time_to_production_weeks"] == 40.0


def test_the_shipped_example_organisation_reads():
    from pathlib import Path

    org = load_observed(Path(__file__).parents[1] / "experiments" / "example_org.toml")
    assert org.levers == {"employees": 3000, "business_units": 6}
    assert set(org.observed) == {"pilot_to_production_rate", "median_time_to_production_weeks",
                                 "adoption_share"}
