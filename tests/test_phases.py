"""Phased strategies: levers that change on given weeks of a run.

Scenario files' ``[[phases]]`` and their validation, the model applying a phase at the start of
its week, the record in summary.json, and the experiment runner carrying phases into runs.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest

from aiscale_sim import EnterpriseModel, load_scenario, simulate
from aiscale_sim.cli import main
from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS, LEVERS_BY_NAME, POLICY_LEVERS
from aiscale_sim.model import sponsor_commitment
from aiscale_sim.runner import (
    Run,
    design_from_grid,
    design_from_scenarios,
    design_hash,
    load_experiment,
    run_experiment,
)
from aiscale_sim.scenarios import MAX_STEPS, Phase, validate_phases

SMALL = {"employees": 400, "business_units": 4}
SMALL_TOML = "[levers]\nemployees = 400\nbusiness_units = 4\n"
#: Levers whose effect the model fixes when it builds the AI teams; they act through hiring.
TEAM_LEVERS = ("centralisation", "ai_staff_per_1000", "engineer_ratio")


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def _phase(week, levers):
    items = ", ".join(f"{k} = {v}" for k, v in levers.items())
    return f"[[phases]]\nweek = {week}\nlevers = {{ {items} }}\n"


def _other_value(lv):
    """A valid value of a lever that differs from its default."""
    if lv.kind == "choice":
        return next(c for c in lv.choices if c != lv.default)
    if lv.kind == "bool":
        return not lv.default
    value = lv.low + 0.8 * (lv.high - lv.low)
    return int(round(value)) if lv.kind == "int" else value


# --- bad input: one clear line, exit 2, nothing written -------------------------------------

BAD = {
    "week not whole": (_phase("10.5", {"training_hours": 5}),
                       r"phase 1 in .*bad.toml: 'week' must be a whole number of weeks from 1"),
    "week not a number": (_phase('"ten"', {"training_hours": 5}), r"'week' must be a whole number"),
    "week true": (_phase("true", {"training_hours": 5}), r"'week' must be a whole number"),
    "week below 1": (_phase(0, {"training_hours": 5}),
                     rf"week 0 is out of bounds; allowed 1 to {MAX_STEPS}"),
    "week beyond MAX_STEPS": (_phase(MAX_STEPS + 1, {"training_hours": 5}),
                              rf"week {MAX_STEPS + 1} is out of bounds; allowed 1 to {MAX_STEPS}"),
    "week missing": ("[[phases]]\nlevers = { training_hours = 5 }\n", r"'week' is missing"),
    "weeks not increasing": (_phase(20, {"training_hours": 5}) + _phase(10, {"training_hours": 6}),
                             r"phase 2 \(week 10\).*week 10 comes after week 20; phases must be "
                             "listed in increasing week order"),
    "week duplicated": (_phase(20, {"training_hours": 5}) + _phase(20, {"training_hours": 6}),
                        r"phase 2 \(week 20\).*week 20 appears twice"),
    "unknown lever": (_phase(10, {"pilot_lanch_rate": 5}),
                      r"unknown lever 'pilot_lanch_rate' in phase 1 \(week 10\).*did you mean "
                      "'pilot_launch_rate'"),
    "structure lever": (_phase(10, {"employees": 500}),
                        r"'employees' is a structure lever and cannot change during a run.*"
                        r"not employees, business_units, span_of_control"),
    "out of bounds": (_phase(10, {"governance_rigour": 2.0}),
                      r"'governance_rigour' in phase 1 \(week 10\).*out of bounds; allowed 0 to 1"),
    "wrong type": (_phase(10, {"prioritisation": '"random"'}),
                   r"'prioritisation' in phase 1.*choose one of launch_everything"),
    "unknown phase key": ("[[phases]]\nweek = 10\nlever = { training_hours = 5 }\n",
                          r"phase 1 in .*: unknown key 'lever' \(did you mean 'levers'\?\); "
                          "allowed keys: week, levers"),
    "levers missing": ("[[phases]]\nweek = 10\n", r"'levers' must be a non-empty table"),
    "levers empty": ("[[phases]]\nweek = 10\nlevers = {}\n", r"'levers' must be a non-empty table"),
    "phases as one table": ("[phases]\nweek = 10\n",
                            r"'phases' must be an array of tables \(\[\[phases\]\]"),
    "phase not a table": ("phases = [10]\n", r"phase 1 in .*: a phase must be a table"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_phase_is_a_clear_library_error(case, tmp_path):
    text, pattern = BAD[case]
    path = _write(tmp_path, "bad.toml", text + SMALL_TOML)
    with pytest.raises(UserInputError) as e:
        load_scenario(path)
    msg = str(e.value)
    assert re.search(pattern, msg), msg
    assert "\n" not in msg


@pytest.mark.parametrize("case", list(BAD))
def test_bad_phase_exits_2_and_writes_nothing(case, tmp_path, capsys):
    text, pattern = BAD[case]
    path = _write(tmp_path, "bad.toml", text + SMALL_TOML)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--steps", "30"]) == 2
    err = capsys.readouterr().err
    assert re.search(pattern, err), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_phase_beyond_the_runs_steps_is_refused_before_anything_runs(tmp_path, capsys):
    path = _write(tmp_path, "late.toml", SMALL_TOML + _phase(40, {"training_hours": 5}))
    with pytest.raises(UserInputError, match=r"phase at week 40 of scenario 'late' is beyond "
                                             r"the run's 30 steps; run at least 40 steps"):
        simulate(path, seed=1, steps=30)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--steps", "30"]) == 2
    assert "beyond the run's 30 steps" in capsys.readouterr().err
    assert not out.exists()
    assert simulate(path, seed=1, steps=40).summary["phases"][0]["week"] == 40  # the last week


def test_budget_scenario_phase_may_not_set_spend_levers(tmp_path, capsys):
    budget = ("[budget]\ntotal_musd_per_year = 1\ntraining = 0.2\nchange_management = 0.1\n"
              "data = 0.3\nplatform = 0.2\nheadcount = 0.2\n")
    path = _write(tmp_path, "b.toml", SMALL_TOML + budget
                  + _phase(10, {"pilot_launch_rate": 9.0, "platform_investment": 4.0}))
    pattern = (r"'platform_investment' cannot change in a phase: the scenario's \[budget\] "
               r"decides it.*training_hours, change_management, adoption_incentive, "
               r"data_investment, platform_investment, ai_staff_per_1000")
    with pytest.raises(UserInputError, match=pattern):
        load_scenario(path)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--steps", "30"]) == 2
    assert re.search(pattern, capsys.readouterr().err)
    assert not out.exists()
    # Levers the budget does not decide may change; an inherited budget counts too.
    _write(tmp_path, "ok.toml", SMALL_TOML + budget + _phase(10, {"pilot_launch_rate": 9.0}))
    child = _write(tmp_path, "child.toml", 'extends = "ok.toml"\n'
                   + _phase(12, {"data_investment": 1.0}))
    assert load_scenario(tmp_path / "ok.toml").phases == (Phase(10, {"pilot_launch_rate": 9.0}),)
    with pytest.raises(UserInputError, match="'data_investment' cannot change in a phase"):
        load_scenario(child)
    with pytest.raises(UserInputError, match="'training_hours' cannot change in a phase"):
        simulate(tmp_path / "ok.toml", seed=1, steps=20,
                 phases=[{"week": 5, "levers": {"training_hours": 8.0}}])


def test_override_of_a_phased_lever_is_refused(tmp_path, capsys):
    path = _write(tmp_path, "p.toml", SMALL_TOML + _phase(10, {"training_hours": 9.0}))
    with pytest.raises(UserInputError, match=r"changes training_hours in its phase at week 10, "
                                             r"so an override would hold only until then"):
        simulate(path, seed=1, steps=20, overrides={"training_hours": 1.0})
    out = tmp_path / "out"
    assert main(["run", str(path), "--set", "training_hours=1", "--out", str(out),
                 "--quiet"]) == 2
    assert "an override would hold only until then" in capsys.readouterr().err
    assert not out.exists()
    # Other levers may be overridden; the phase still runs.
    r = simulate(path, seed=1, steps=20, overrides={"jobs_communication": 0.9})
    assert r.summary["levers"]["jobs_communication"] == 0.9
    assert r.summary["phases"] == [{"week": 10, "levers": {"training_hours": 9.0}}]


def test_validate_phases_accepts_phase_objects_and_converts_values():
    phases = validate_phases([Phase(3, {"purgatory_timeout": 20.0}),
                              {"week": 7.0, "levers": {"training_hours": 4}}])
    assert phases == (Phase(3, {"purgatory_timeout": 20}), Phase(7, {"training_hours": 4.0}))
    assert isinstance(phases[0].levers["purgatory_timeout"], int)
    assert isinstance(phases[1].levers["training_hours"], float)
    assert validate_phases(None) == () and validate_phases([]) == ()
    with pytest.raises(UserInputError, match="must be an array of tables"):
        validate_phases({"week": 3, "levers": {"training_hours": 4}})
    with pytest.raises(UserInputError, match="structure lever"):
        EnterpriseModel(SMALL, rng=1, phases=[{"week": 2, "levers": {"tie_density": 9}}])


# --- scenario files -------------------------------------------------------------------------

def test_phases_are_inherited_through_extends_unless_the_file_states_its_own(tmp_path):
    _write(tmp_path, "base.toml", SMALL_TOML + _phase(10, {"training_hours": 9.0}))
    inherit = load_scenario(_write(tmp_path, "a.toml", 'extends = "base.toml"\n'
                                   "[levers]\njobs_communication = 0.8\n"))
    assert inherit.phases == (Phase(10, {"training_hours": 9.0}),)
    own = load_scenario(_write(tmp_path, "b.toml", 'extends = "base.toml"\n'
                               + _phase(20, {"pilot_launch_rate": 2.0})))
    assert own.phases == (Phase(20, {"pilot_launch_rate": 2.0}),)
    none = load_scenario(_write(tmp_path, "c.toml", 'extends = "base.toml"\nphases = []\n'))
    assert none.phases == ()
    # An inherited bad phase names the file it is in.
    _write(tmp_path, "badbase.toml", SMALL_TOML + _phase(10, {"training_hourz": 9.0}))
    with pytest.raises(UserInputError, match=r"in phase 1 \(week 10\) in .*badbase.toml"):
        load_scenario(_write(tmp_path, "d.toml", 'extends = "badbase.toml"\n'))


def test_foundations_first_is_shipped_with_its_phases():
    sc = load_scenario("foundations_first")
    assert [ph.week for ph in sc.phases] == [53, 105]
    base = load_scenario("baseline").levers
    assert sc.levers["pilot_launch_rate"] < base["pilot_launch_rate"]
    year2, scaling = sc.phases
    assert year2.levers["platform_investment"] > 5 * base["platform_investment"]
    assert year2.levers["data_investment"] > 3 * base["data_investment"]
    assert scaling.levers["pilot_launch_rate"] > base["pilot_launch_rate"]


# --- the model ------------------------------------------------------------------------------

def test_a_phase_changes_the_levers_at_the_start_of_its_week():
    m = EnterpriseModel(SMALL, rng=3, phases=[{"week": 5, "levers": {"training_hours": 12.0,
                                                                      "prioritisation":
                                                                      "value_feasibility"}}])
    seen = []
    real = m.update_employees

    def spy():
        seen.append((int(m.time), m.levers["training_hours"], m.policy_inputs().training_hours))
        real()

    m.update_employees = spy
    m.run_for(6)
    assert seen[3] == (4, 3.0, 3.0)
    assert seen[4] == (5, 12.0, 12.0) and seen[5] == (6, 12.0, 12.0)
    assert m.levers == {**EnterpriseModel(SMALL, rng=3).levers, "training_hours": 12.0,
                        "prioritisation": "value_feasibility"}
    assert set(m.levers) == set(LEVERS_BY_NAME)
    assert m.phases_applied == [Phase(5, {"training_hours": 12.0,
                                          "prioritisation": "value_feasibility"})]


def test_same_seed_identical_before_the_first_phase_week_then_different():
    week = 40
    plain = simulate(SMALL, seed=11, steps=80)
    phased = simulate(SMALL, seed=11, steps=80, phases=[
        {"week": week, "levers": {"training_hours": 30.0, "executive_sponsorship": 1.0,
                                  "pilot_launch_rate": 25.0}},
        {"week": 60, "levers": {"governance_rigour": 0.0}}])
    a, b = plain.timeseries, phased.timeseries
    pd.testing.assert_frame_equal(a.iloc[:week], b.iloc[:week])
    assert not a.iloc[week:].equals(b.iloc[week:])
    # Training acts the same week: literacy moves at once.
    assert b["mean_literacy"].iloc[week] > a["mean_literacy"].iloc[week]
    assert phased.summary["phases"] == [
        {"week": week, "levers": {"training_hours": 30.0, "executive_sponsorship": 1.0,
                                  "pilot_launch_rate": 25.0}},
        {"week": 60, "levers": {"governance_rigour": 0.0}}]
    assert plain.summary["phases"] == []
    assert phased.summary["levers"] == plain.summary["levers"]  # the levers of week 1


def test_sponsorship_in_a_phase_applies_with_each_units_own_offset():
    m = EnterpriseModel(SMALL, rng=5, phases=[{"week": 3, "levers":
                                               {"executive_sponsorship": 0.9}}])
    before = [u.sponsor_commitment for u in m.units]
    assert before == [sponsor_commitment(0.4, u.sponsor_offset) for u in m.units]
    assert len({u.sponsor_offset for u in m.units}) == len(m.units)
    m.run_for(2)
    assert [u.sponsor_commitment for u in m.units] == before
    m.run_for(1)
    after = [u.sponsor_commitment for u in m.units]
    assert after == [sponsor_commitment(0.9, u.sponsor_offset) for u in m.units]
    assert all(a >= b for a, b in zip(after, before, strict=True))
    assert np.mean(after) > np.mean(before) + 0.3  # 0.5 less what is clipped at 1


#: An organisation with enough AI staff that pilots reach the gate within the runs below.
STAFFED = {"employees": 800, "business_units": 4, "ai_staff_per_1000": 15.0}
#: Values that change an 80-week run of STAFFED (the generic pick does not for these).
OTHER = {"purgatory_timeout": 6, "executive_sponsorship": 0.0, "success_criteria_clarity": 1.0}


@pytest.mark.parametrize("name", [n for n in POLICY_LEVERS if n not in TEAM_LEVERS])
def test_a_week_1_phase_equals_starting_with_its_levers(name):
    """Every policy lever but the team ones is read when used (or re-derived), not cached.

    So a phase at week 1, applied before anything else happens, gives the very run that
    starting with the lever does (and the lever does change the run).
    """
    value = OTHER.get(name, _other_value(LEVERS_BY_NAME[name]))
    default = simulate(STAFFED, seed=2, steps=80)
    start = simulate({**STAFFED, name: value}, seed=2, steps=80)
    phased = simulate(STAFFED, seed=2, steps=80, phases=[{"week": 1, "levers": {name: value}}])
    assert not start.timeseries.equals(default.timeseries)
    pd.testing.assert_frame_equal(start.timeseries, phased.timeseries)
    assert start.model.levers == phased.model.levers


@pytest.mark.parametrize("name", TEAM_LEVERS)
def test_team_levers_change_the_levers_and_leave_the_teams_to_hiring(name):
    value = _other_value(LEVERS_BY_NAME[name])
    m = EnterpriseModel(SMALL, rng=2, phases=[{"week": 2, "levers": {name: value}}])
    staff = {t.unique_id: dict(t.headcount) for t in m.teams}
    m.run_for(2)
    assert m.levers[name] == value
    assert {t.unique_id: dict(t.headcount) for t in m.teams} == staff


# --- the experiment runner ------------------------------------------------------------------

def _phased_small(tmp_path, name="phased", week=12):
    return _write(tmp_path, f"{name}.toml", SMALL_TOML + _phase(week, {
        "platform_investment": 12.0, "pilot_launch_rate": 20.0, "executive_sponsorship": 0.9}))


def test_runner_runs_a_scenarios_phases_as_simulate_does(tmp_path):
    path = _phased_small(tmp_path)
    design = design_from_scenarios([path, SMALL], 2, master_seed=4)
    assert design[0].phases == load_scenario(path).phases and design[2].phases == ()
    exp = run_experiment(design, tmp_path / "e", steps=30, executor="serial", progress=False)
    s = exp.summaries.set_index("run_id")
    ts = exp.timeseries
    for run in design:
        direct = simulate(path if run.phases else SMALL, seed=run.seed, steps=30)
        for key in ("pilots_launched", "pilots_reached_production", "adoption_share",
                    "cumulative_value", "cumulative_cost"):
            assert s.loc[run.run_id, key] == pytest.approx(direct.outcomes[key], rel=1e-12)
        mine = ts[ts["run_id"] == run.run_id].drop(columns="run_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, direct.timeseries, check_dtype=False)
    # The phased runs really differ from the unphased ones with the same seed.
    assert s.loc[0, "cumulative_cost"] > s.loc[2, "cumulative_cost"] + 1.0  # $12M a year
    manifest = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert manifest["design"][0]["phases"] == [ph.as_dict() for ph in design[0].phases]
    assert "phases" not in manifest["design"][2]
    assert load_experiment(tmp_path / "e").design == list(design)


def test_processes_executor_carries_phases(tmp_path):
    path = _phased_small(tmp_path)
    design = design_from_scenarios([path], 2, master_seed=4)
    exp = run_experiment(design, tmp_path / "e", steps=20, executor="processes", workers=2,
                         progress=False)
    direct = simulate(path, seed=design[1].seed, steps=20)
    row = exp.summaries.set_index("run_id").loc[1]
    assert row["cumulative_cost"] == pytest.approx(direct.outcomes["cumulative_cost"], rel=1e-12)


def test_run_identity_with_and_without_phases():
    levers = EnterpriseModel(SMALL, rng=1).levers
    plain = Run(0, "s", levers, 123)
    # Without phases, a run is what it was before phases existed (old folders still resume).
    assert plain.as_dict() == {"run_id": 0, "scenario": "s", "seed": 123, "levers": levers}
    h = __import__("hashlib").sha256()
    h.update(b"steps=30;")
    h.update(json.dumps(plain.as_dict(), sort_keys=True, default=str).encode())
    assert design_hash([plain], 30) == h.hexdigest()
    # Two scenarios that differ only by their phases are different runs.
    phased = Run(0, "s", levers, 123, [{"week": 5, "levers": {"training_hours": 8}}])
    assert phased.phases == (Phase(5, {"training_hours": 8.0}),)
    assert phased.as_dict()["phases"] == [{"week": 5, "levers": {"training_hours": 8.0}}]
    assert design_hash([phased], 30) != design_hash([plain], 30)
    assert Run.from_dict(phased.as_dict()) == phased
    other = Run(0, "s", levers, 123, [{"week": 6, "levers": {"training_hours": 8}}])
    assert design_hash([other], 30) != design_hash([phased], 30)


def test_runner_refuses_phases_beyond_its_steps_and_writes_nothing(tmp_path):
    design = design_from_scenarios([_phased_small(tmp_path, week=25)], 1, master_seed=1)
    out = tmp_path / "e"
    with pytest.raises(UserInputError, match=r"phase at week 25 of scenario 'phased' is beyond "
                                             r"the run's 20 steps"):
        run_experiment(design, out, steps=20, executor="serial", progress=False)
    assert not out.exists()


def test_compare_cli_on_a_phased_scenario_runs_its_phases(tmp_path, capsys):
    path = _phased_small(tmp_path)
    out = tmp_path / "cmp"
    rc = main(["compare", str(path), str(_write(tmp_path, "flat.toml", SMALL_TOML)),
               "--seeds", "2", "--steps", "30", "--executor", "serial", "--quiet",
               "--out", str(out)])
    assert rc == 0
    s = load_experiment(out).summaries.set_index(["scenario", "seed"])["cumulative_cost"]
    assert (s.loc["phased"] > s.loc["flat"]).all()
    assert main(["compare", str(path), str(tmp_path / "flat.toml"), "--seeds", "1", "--steps",
                 "10", "--executor", "serial", "--quiet", "--out", str(tmp_path / "cmp2")]) == 2
    assert "beyond the run's 10 steps" in capsys.readouterr().err
    assert not (tmp_path / "cmp2").exists()


def test_grid_on_a_phased_scenario_carries_phases_and_refuses_phased_levers(tmp_path):
    sc = load_scenario(_phased_small(tmp_path))
    g = design_from_grid(sc, {"training_hours": [1.0, 9.0]}, 1, 1)
    assert all(r.phases == sc.phases for r in g)
    with pytest.raises(UserInputError, match="changes pilot_launch_rate in its phase at week 12"):
        design_from_grid(sc, {"pilot_launch_rate": [1.0, 9.0]}, 1, 1)


def test_every_policy_lever_is_accounted_for():
    """The ODD's phase section names every policy lever (what a change mid-run does)."""
    from pathlib import Path

    odd = (Path(__file__).resolve().parents[1] / "docs" / "ODD.md").read_text()
    section = odd.split("### 7.8 Phases", 1)[1].split("\n## ", 1)[0]
    for lv in LEVERS:
        if lv.group == "policy":
            assert f"`{lv.name}`" in section, lv.name
