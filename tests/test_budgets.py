"""Budgets are promises: a strategy's budget covers all its AI spending and caps it.

Every budget year of the capped strategies ends at most 5% over; a hiring freeze holds
vacancies while the year's forecast is over the cap, and the forecast counts open positions
and the pilots in purgatory expected to go live.

The shipped strategies are checked at 2,000 and 20,000 employees (their budgets recomputed for
each size); ``--set`` on ``compare`` and ``sweep`` recomputes budgets the same way; a split that
does not fit the organisation is refused with what would fit.
"""

import numpy as np
import pytest

from aiscale_sim import load_experiment, simulate
from aiscale_sim.budget import levers_from_budget, share_bounds
from aiscale_sim.cli import main
from aiscale_sim.errors import UserInputError
from aiscale_sim.model import EnterpriseModel
from aiscale_sim.pipeline import BudgetRoom, open_positions_cost, purgatory_go_live_share
from aiscale_sim.scenarios import load_scenario
from aiscale_sim.simulate import resolve
from aiscale_sim.states import PURGATORY_REASONS, Stage
from aiscale_sim.talent import hiring_frozen, target_headcount

#: The strategies whose cap binds at these sizes (people_first_budget's incentives, costed at
#: half the staff adopting, leave money unspent while adoption is low; see docs/ODD.md 7.13).
CAPPED = ("tech_first", "balanced")

#: The people split as it was before budgets covered running costs: at 2,000 employees its
#: change management share is $1,400 per employee, above the lever's bound of $1,000.
OLD_PEOPLE_SPLIT = {"total_musd_per_year": 14, "training": 0.25, "change_management": 0.20,
                    "incentives": 0.10, "data": 0.12, "platform": 0.08, "headcount": 0.25}


@pytest.mark.parametrize("employees", [2000, 20000])
@pytest.mark.parametrize("strategy", CAPPED)
def test_every_budget_year_stays_within_5_percent_at_2000_and_20000_employees(strategy,
                                                                              employees):
    budget = load_scenario(strategy).budget["total_musd_per_year"]
    for seed in (0, 1):
        r = simulate(strategy, seed=seed, steps=260, overrides={"employees": employees})
        b = r.summary["budget"]
        years = np.array(b["spending_by_year_musd"])
        assert b["cap_musd_per_year"] == budget and len(years) == 5
        assert years.max() <= budget * 1.05, (strategy, employees, seed, years)
        # the first year ends under while the first pilots start; after it the cap binds and
        # the years spend close to it
        assert abs(years[1:].mean() / budget - 1) <= 0.05, (strategy, employees, seed, years)
        assert years[0] < budget
        # spending is the cost less incident losses, and the budget bound on some weeks
        spent = r.timeseries["cumulative_spending"].iloc[-1]
        assert spent == pytest.approx(r.outcomes["cumulative_cost"]
                                      - r.outcomes["incident_cost"])
        assert b["weeks_budget_bound"] > 0


def _waiting(model):
    """Openings whose start week has passed: hires held back."""
    now = int(model.time)
    return sum(1 for o in model.talent.openings.values() for start, _ in o if start < now)


def _target(model):
    return int(target_headcount(model.levers).sum())


def test_a_hiring_freeze_holds_vacancies_while_the_forecast_is_over_the_cap():
    sc = resolve("balanced", {"employees": 2000})
    model = EnterpriseModel(dict(sc.levers), rng=3, budget_cap=14.0)
    model.run_for(30)
    assert not hiring_frozen(model)
    # the same organisation, its cap now far below what it spends: the forecast is over
    model.budget_cap = 5.0
    hired = model.counters["ai_staff_hired"]
    model.run_for(20)
    assert hiring_frozen(model)
    assert model.counters["ai_staff_hired"] == hired  # nobody joined
    assert model.counters["weeks_hiring_frozen"] > 0
    assert _waiting(model) > 0  # the openings stay open and wait
    assert model.ai_headcount < _target(model)
    # room again: the waiting hires start at once
    model.budget_cap = 1e6
    model.run_for(1)
    assert not hiring_frozen(model) and _waiting(model) == 0
    assert model.counters["ai_staff_hired"] > hired


def test_without_a_budget_hiring_never_freezes():
    sc = resolve("balanced", {"employees": 2000})
    model = EnterpriseModel(dict(sc.levers), rng=3)
    model.run_for(60)
    assert not hiring_frozen(model)
    assert model.counters["weeks_hiring_frozen"] == 0 and _waiting(model) == 0
    assert model.counters["ai_staff_hired"] > 0


def test_open_positions_are_committed_from_their_start_week():
    sc = resolve("balanced", {"employees": 2000})
    model = EnterpriseModel(dict(sc.levers), rng=3, budget_cap=14.0)
    model.run_for(1)
    now, week = int(model.time), model.pipeline_params.salary / 52.0
    for o in model.talent.openings.values():
        o.clear()
    assert open_positions_cost(model, 20) == (0.0, 0.0)
    coe = model.talent.openings[None]
    coe.append([now + 5, 0])  # starts in five weeks
    coe.append([now - 3, 1])  # due three weeks ago, held back by a freeze: counted from now
    year, weekly = open_positions_cost(model, 20)
    assert year == pytest.approx(week * (15 + 20)) and weekly == pytest.approx(2 * week)
    assert open_positions_cost(model, 4)[0] == pytest.approx(week * 4)  # starts next year
    # the budget counts them: less room this year and for the run rate
    before = BudgetRoom(model)
    coe.clear()
    after = BudgetRoom(model)
    assert before.year < after.year and before.rate < after.rate


def test_pilots_in_purgatory_are_expected_to_go_live_at_the_runs_own_share():
    sc = resolve("balanced", {"employees": 2000})
    model = EnterpriseModel(dict(sc.levers), rng=3, budget_cap=14.0)
    assert purgatory_go_live_share(model) == 0.5  # nothing has left purgatory yet
    model.run_for(150)
    c = model.counters
    entered = sum(c[f"purgatory_entries_{r}"] for r in PURGATORY_REASONS)
    abandoned = sum(c[f"abandoned_{r}"] for r in PURGATORY_REASONS)
    live = entered - abandoned - model.count_stage(Stage.PURGATORY)
    assert live > 0 and abandoned > 0
    assert purgatory_go_live_share(model) == pytest.approx((live + 1) / (live + abandoned + 2))


def test_pilots_waiting_only_for_governance_are_counted_as_going_live():
    # people_first_budget at 20,000 employees, seed 3: pilots held in purgatory by governance
    # went live, their assistants' seat licences at full price, and year 3 ended 11% over
    # ($15.55M) while the forecast counted them at their pilot cost; counted as going live,
    # the launches stop in time.
    r = simulate("people_first_budget", seed=3, steps=260, overrides={"employees": 20000})
    years = np.array(r.summary["budget"]["spending_by_year_musd"])
    assert years.max() <= 14 * 1.05, years


def test_the_cap_changes_nothing_until_it_binds_and_nothing_without_a_budget():
    sc = resolve("balanced", {"employees": 2000})
    free = simulate(dict(sc.levers), seed=3, steps=80)
    rich = simulate(dict(sc.levers), seed=3, steps=80, budget_cap=1e6)
    assert "budget" not in free.summary and rich.summary["budget"]["weeks_budget_bound"] == 0
    assert rich.summary["budget"]["weeks_hiring_frozen"] == 0
    assert rich.outcomes == free.outcomes  # a cap that never binds makes no draw, no change
    capped = simulate(sc, seed=3, steps=80)
    assert capped.summary["budget"]["cap_musd_per_year"] == 14
    assert capped.outcomes["pilots_launched"] < free.outcomes["pilots_launched"]
    with pytest.raises(UserInputError, match="budget_cap must be a positive"):
        simulate(dict(sc.levers), seed=3, steps=2, budget_cap=0)


def test_a_budget_without_operations_money_has_next_to_nothing_for_pilots(tmp_path):
    p = tmp_path / "no_ops.toml"
    p.write_text('extends = "baseline"\n[levers]\nemployees = 400\nbusiness_units = 4\n'
                 "[budget]\ntotal_musd_per_year = 3\ntraining = 0.2\nheadcount = 0.5\n"
                 "data = 0.3\n")
    sc = load_scenario(p)
    r = simulate(sc, seed=1, steps=104)
    free = simulate(dict(sc.levers), seed=1, steps=104)
    # only what vacancies and unpaid incentives leave over buys a pilot
    assert r.outcomes["pilots_launched"] <= 0.2 * free.outcomes["pilots_launched"]
    assert max(r.summary["budget"]["spending_by_year_musd"]) <= 3.0 * 1.05
    assert r.summary["budget"]["weeks_budget_bound"] > 52


def test_a_split_that_cannot_be_honoured_says_which_share_and_what_fits(tmp_path):
    lv = {"employees": 2000, "business_units": 8}
    with pytest.raises(UserInputError) as e:
        levers_from_budget(OLD_PEOPLE_SPLIT, lv, "people.toml")
    msg = str(e.value)
    assert "share 'change_management' (0.2 of $14M = $2.8M a year)" in msg
    assert "Change management $1,400 per employee per year, above its bound $1,000" in msg
    assert "at most 0.143 ($2M a year) fits" in msg
    assert share_bounds("change_management", OLD_PEOPLE_SPLIT, lv)[1] == pytest.approx(1 / 7)
    # the same split fits a larger organisation
    assert levers_from_budget(OLD_PEOPLE_SPLIT, {**lv, "employees": 5000})[
        "change_management"] == pytest.approx(560.0)


def test_compare_refuses_a_size_the_split_cannot_fit_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "cmp"
    rc = main(["compare", "people_first_budget", "balanced", "--set", "employees=1500",
               "--executor", "serial", "--quiet", "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "share 'change_management'" in err and "above its bound $1,000" in err
    assert "at most 0.107" in err and "Traceback" not in err
    assert not out.exists()


def test_compare_set_recomputes_budgets_for_the_new_size(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "tech_first", "balanced", "--set", "employees=2000", "--seeds", "2",
                 "--steps", "20", "--executor", "serial", "--quiet", "--out", str(out)]) == 0
    exp = load_experiment(out)
    s = exp.summaries
    assert (s["employees"] == 2000).all() and (s["budget_musd_per_year"] == 14).all()
    for name in ("tech_first", "balanced"):
        sc = load_scenario(name)
        want = levers_from_budget(sc.budget, {**sc.levers, "employees": 2000})
        row = s[s["scenario"] == name].iloc[0]
        assert all(row[k] == pytest.approx(v) for k, v in want.items())
    assert exp.manifest["metadata"]["set"] == {"employees": 2000}
    assert "2,000 employees" in (out / "report.html").read_text()


def test_sweep_set_recomputes_a_budget_scenarios_levers(tmp_path):
    f = tmp_path / "grid.toml"
    f.write_text('scenario = "balanced"\nseeds = 1\nsteps = 10\n[levers]\n'
                 "pilot_launch_rate = [6.0, 12.0]\n")
    out = tmp_path / "sw"
    assert main(["sweep", str(f), "--set", "employees=3000", "--executor", "serial",
                 "--quiet", "--out", str(out)]) == 0
    s = load_experiment(out).summaries
    sc = load_scenario("balanced")
    want = levers_from_budget(sc.budget, {**sc.levers, "employees": 3000})
    assert (s["employees"] == 3000).all() and (s["budget_musd_per_year"] == 14).all()
    assert s["change_management"].tolist() == pytest.approx([want["change_management"]] * 2)
