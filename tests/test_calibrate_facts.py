"""``aiscale calibrate --facts``: the model's constants fitted to the stylized facts.

A small fit (10 particles a population, two-year runs, serial) goes through the command end to
end; the distance, the split into fitted and held-out patterns, the constants file and the
bad-input cases are checked on their own.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from aiscale_sim.calibration import facts
from aiscale_sim.calibration.constants import CONSTANTS_BY_NAME, load_constants
from aiscale_sim.cli import main
from aiscale_sim.errors import UserInputError
from aiscale_sim.evidence.patterns import PATTERNS, PATTERNS_BY_ID

FREE = "data_effort,try_to_adopt"
STEPS = 104


@pytest.fixture(scope="module")
def small_fit(tmp_path_factory):
    """One small facts calibration through the CLI (serial, seed 2)."""
    out = tmp_path_factory.mktemp("facts") / "fit"
    argv = ["calibrate", "--facts", "--free", FREE, "--budget", "160", "--population", "10",
            "--steps", str(STEPS), "--seed", "2", "--check-seeds", "1", "--out", str(out),
            "--executor", "serial", "--quiet"]
    assert main(argv) == 0
    return {"out": out, "argv": argv}


def test_every_expressed_pattern_is_fitted_or_held_out_with_a_reason():
    fitted = {p.id for p in facts.fitted_patterns()}
    held = facts.held_out_patterns()
    assert fitted.isdisjoint(held)
    assert fitted | set(held) == {p.id for p in PATTERNS}
    assert all(held.values())
    # fitted patterns have a value in every enterprise and read only the panel's scenarios
    for pid in fitted:
        p = PATTERNS_BY_ID[pid]
        assert p.how == "per_seed" and set(p.scenarios) <= set(facts.FIT_SCENARIOS)
    assert "frontline_plateau" in fitted and "training_threshold" in fitted
    assert "fully_scaled_share" in held and "coe_bottleneck/high_demand" in held
    assert "midmarket_time_to_scale" in held


def test_band_excess_is_zero_inside_and_grows_outside_either_end():
    low, high = np.array([0.45, 9.0, -math.inf]), np.array([0.55, math.inf, 0.0])
    inside = facts.band_excess(np.array([0.5, 20.0, -3.0]), low, high)
    assert inside.tolist() == [0.0, 0.0, 0.0]
    out = facts.band_excess(np.array([0.65, 6.0, 2.0]), low, high)
    assert out == pytest.approx([0.10, 3.0, 2.0])
    further = facts.band_excess(np.array([0.75, 3.0, 4.0]), low, high)
    assert np.all(further > out)
    assert np.isnan(facts.band_excess(np.array([np.nan]), low[:1], high[:1]))[0]


def test_the_distance_is_zero_in_every_band_and_larger_further_out():
    patterns = facts.fitted_patterns()[:3]
    d = facts._band_distance(patterns)
    x0 = {p.id: facts.reference_value(p) for p in patterns}
    d.initialize(t=0, get_sample=lambda: _sample(patterns), x_0=x0, total_sims=0)
    assert d(x0, x0, t=0) == 0.0
    near = {p.id: p.high + 0.02 for p in patterns}
    far = {p.id: p.high + 0.2 for p in patterns}
    assert 0 < d(near, x0, t=0) < d(far, x0, t=0)
    missing = {**x0, patterns[0].id: math.nan}
    assert d(missing, x0, t=0) == pytest.approx(facts.MISSING_SPREADS)


def _sample(patterns):
    """A pyABC sample of simulations with spread on every pattern (to fit the scales)."""
    from pyabc.population import Particle, Sample

    sample = Sample()
    rng = np.random.default_rng(0)
    for _ in range(20):
        stats = {p.id: float(facts.reference_value(p) + rng.normal(0, 0.05)) for p in patterns}
        sample.append(Particle(m=0, parameter={}, weight=1.0, sum_stat=stats, distance=0.0,
                               accepted=True))
    return sample


def test_a_small_fit_writes_the_posterior_the_check_and_a_constants_file(small_fit):
    out = small_fit["out"]
    for name in ("posterior.csv", "summary.json", "marginals.png", "check.csv", "check.json",
                 "check.png", "constants.toml"):
        assert (out / name).exists(), name
    s = json.loads((out / "summary.json").read_text())
    assert s["free"] == FREE.split(",") and s["mode"] == "facts"
    assert s["simulations"] <= 160 and s["simulations_per_particle"] == 3
    assert s["simulations"] == s["particles"] * 3
    assert s["seed"] == 2 and s["steps"] == STEPS and s["version"]
    for n in FREE.split(","):
        c = CONSTANTS_BY_NAME[n]
        post = s["posterior"][n]
        assert c.low <= post["low"] <= post["mean"] <= post["high"] <= c.high
        assert post["shipped"] == c.default
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == [*FREE.split(","), "weight"]
    assert posterior["weight"].sum() == pytest.approx(1.0)
    # the constants file is what validate --constants reads, at the posterior means
    constants = load_constants(out / "constants.toml")
    assert set(constants) == set(FREE.split(","))
    for n, v in constants.items():
        assert v == pytest.approx(s["posterior"][n]["mean"], rel=5e-3)
    # the check: every expressed pattern with both sets of constants, and the runs they came
    # from used the calibrated constants
    check = pd.read_csv(out / "check.csv")
    assert set(check["id"]) == {p.id for p in PATTERNS}
    assert set(check["role"]) == {"fitted", "held out"}
    cal = json.loads((out / "validate_calibrated" / "validation.json").read_text())
    assert cal["constants"] == s["calibrated"]
    shipped = json.loads((out / "validate_shipped" / "validation.json").read_text())
    assert shipped["constants"] == {}


def test_running_the_same_fit_again_reuses_it(small_fit, capsys):
    before = json.loads((small_fit["out"] / "summary.json").read_text())
    assert main(small_fit["argv"]) == 0
    after = json.loads((small_fit["out"] / "summary.json").read_text())
    assert after["posterior"] == before["posterior"]
    assert after["epsilons"] == before["epsilons"]


def test_a_panel_is_the_same_for_the_same_constants_and_seed():
    cal = facts.FactsCalibration(("data_effort",), budget=90, population=10, steps=52)
    model = facts.FactsModel(cal.free, cal.patterns, cal.scenarios, cal.steps, cal.seed)
    a = model({"data_effort": 40.0})
    b = model({"data_effort": 40.0})
    assert a.keys() == {p.id for p in cal.patterns}
    assert json.dumps(a) == json.dumps(b)


@pytest.mark.parametrize("extra, words", [
    (["--free", "data_efort"], ["unknown calibratable constant 'data_efort'", "data_effort"]),
    (["--free", "data_effort,data_effort"], ["more than once"]),
    (["--budget", "80", "--population", "10"], ["--budget 80 is too small", "90"]),
])
def test_bad_facts_input_exits_2_and_writes_nothing(tmp_path, capsys, extra, words):
    out = tmp_path / "out"
    argv = ["calibrate", "--facts", "--budget", "2400", "--out", str(out), "--executor",
            "serial", "--quiet", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err
    assert not out.exists()


def test_observed_and_facts_together_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["calibrate", "--facts", "--observed", "x.toml", "--budget", "100", "--out",
              str(tmp_path / "o")])
    assert e.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_observed_without_free_is_refused(tmp_path, capsys):
    org = tmp_path / "org.toml"
    org.write_text("[levers]\nemployees = 200\n[observed]\nadoption_share = 0.3\n")
    assert main(["calibrate", "--observed", str(org), "--budget", "600", "--out",
                 str(tmp_path / "o")]) == 2
    assert "--observed needs --free" in capsys.readouterr().err


@pytest.mark.parametrize("text, words", [
    ("[constants]\nlapse = 0.9\n", ["'lapse'", "out of bounds", "0.002 to 0.05"]),
    ("[constants]\nlaps = 0.01\n", ["unknown calibratable constant 'laps'", "lapse"]),
    ("name = 'x'\n", ["no [constants] table"]),
    ("[constants\n", ["broken TOML"]),
])
def test_a_bad_constants_file_is_refused_by_validate(tmp_path, capsys, text, words):
    path = tmp_path / "c.toml"
    path.write_text(text)
    out = tmp_path / "v"
    assert main(["validate", "--constants", str(path), "--seeds", "1", "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err
    assert not out.exists()
    with pytest.raises(UserInputError):
        load_constants(path)


def test_the_same_seed_gives_the_same_fit_in_series_and_on_processes(tmp_path):
    cal = facts.FactsCalibration(("data_effort", "lapse"), budget=150, population=10, steps=52,
                                 seed=5, check_seeds=1)
    a = facts.run_facts_calibration(cal, tmp_path / "serial", executor="serial",
                                    progress=False)
    b = facts.run_facts_calibration(cal, tmp_path / "processes", executor="processes",
                                    workers=2, progress=False)
    assert a.summary["posterior"] == b.summary["posterior"]
    assert a.summary["epsilons"] == b.summary["epsilons"]
    assert a.summary["simulations"] == b.summary["simulations"]
    pd.testing.assert_frame_equal(a.check, b.check)


def test_run_takes_a_constants_file_and_records_it(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text("[constants]\nlapse = 0.02\ndata_effort = 40.0\n")
    out = tmp_path / "run"
    assert main(["run", "--constants", str(path), "--seed", "3", "--steps", "20", "--set",
                 "employees=200", "--out", str(out), "--quiet", "--no-plot"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["constants"] == {"lapse": 0.02, "data_effort": 40.0}
    path.write_text("[constants]\nlapse = 2\n")
    bad = tmp_path / "bad"
    assert main(["run", "--constants", str(path), "--out", str(bad), "--quiet"]) == 2
    assert "'lapse'" in capsys.readouterr().err and not bad.exists()
