"""``aiscale compare``: equal budgets, paired comparisons, the report, bad input."""

import re

import pandas as pd
import pytest

from aiscale_sim import load_experiment
from aiscale_sim.budget import (
    annual_budget_cost,
    levers_from_budget,
    operations_musd,
    validate_budget,
)
from aiscale_sim.cli import main
from aiscale_sim.errors import UserInputError
from aiscale_sim.scenarios import load_scenario, scenario_dir

STRATEGIES = ("tech_first", "people_first_budget", "balanced")


def _budgeted(sc):
    """The spend levers' yearly cost plus the operations money: the whole budget."""
    return annual_budget_cost(sc.levers) + operations_musd(sc.budget)


def test_shipped_strategies_cost_the_same():
    costs = [_budgeted(load_scenario(n)) for n in STRATEGIES]
    assert costs == pytest.approx([costs[0]] * 3, rel=1e-9)
    sc = load_scenario("balanced")
    assert costs[0] == pytest.approx(sc.budget["total_musd_per_year"])
    assert load_scenario("baseline").budget is None


def test_budget_conversion_and_errors():
    lv = {"employees": 1000, "business_units": 4}
    b = {"total_musd_per_year": 2.0, "training": 0.4, "platform": 0.4, "headcount": 0.2}
    out = levers_from_budget(b, lv)
    assert out["training_hours"] == pytest.approx(0.8e6 / (1000 * 80.0))
    assert out["platform_investment"] == pytest.approx(0.8)
    assert out["ai_staff_per_1000"] == pytest.approx(1000 * 0.4 / (0.18 * 1000))
    assert annual_budget_cost({**lv, **out}) == pytest.approx(2.0)
    with pytest.raises(UserInputError, match="sum to 1"):
        validate_budget({"total_musd_per_year": 1, "training": 0.5})
    with pytest.raises(UserInputError, match="unknown key 'trainig'"):
        validate_budget({"total_musd_per_year": 1, "trainig": 1.0})
    with pytest.raises(UserInputError, match="above its bound"):
        levers_from_budget({"total_musd_per_year": 500, "platform": 1.0}, lv)


def test_budget_in_scenario_file(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('extends = "baseline"\n[levers]\nemployees = 2000\n'
                 "[budget]\ntotal_musd_per_year = 4\ntraining = 0.25\nchange_management = 0.25"
                 "\ndata = 0.25\nheadcount = 0.25\n")
    sc = load_scenario(p)
    assert annual_budget_cost(sc.levers) == pytest.approx(4.0)
    assert sc.levers["platform_investment"] == 0.0
    p.write_text('extends = "baseline"\n[levers]\ntraining_hours = 5\n'
                 "[budget]\ntotal_musd_per_year = 4\ntraining = 1\n")
    with pytest.raises(UserInputError, match="both in"):
        load_scenario(p)


def _small(tmp_path, name):
    sc = load_scenario(name)
    budget = {**sc.budget, "total_musd_per_year": sc.budget["total_musd_per_year"] * 300 / 5000}
    p = tmp_path / f"{name}.toml"
    p.write_text(f'name = "{name}"\nextends = "{sc.path}"\n'
                 "[levers]\nemployees = 300\nbusiness_units = 3\n[budget]\n"
                 + "".join(f"{k} = {v!r}\n" for k, v in budget.items()))
    return p


@pytest.mark.slow
def test_compare_report_matches_summaries(tmp_path, capsys):
    # Small versions of two equal-budget strategies (same budget, smaller org).
    files = [str(_small(tmp_path, n)) for n in ("tech_first", "people_first_budget")]
    out = tmp_path / "cmp"
    rc = main(["compare", *files, "--seeds", "3", "--steps", "40", "--executor", "serial",
               "--out", str(out), "--quiet"])
    assert rc == 0
    exp = load_experiment(out)
    s = exp.summaries
    assert len(s) == 6
    costs = [annual_budget_cost(s[s.scenario == n].iloc[0])
             + operations_musd(load_scenario(f).budget)
             for n, f in zip(seeds_names(s), files, strict=True)]
    assert costs == pytest.approx([14 * 300 / 5000] * 2)
    assert s["budget_musd_per_year"].tolist() == pytest.approx([14 * 300 / 5000] * 6)
    # common random numbers: the i-th seed is shared
    seeds = s.groupby("scenario")["seed"].apply(list)
    assert seeds["tech_first"] == seeds["people_first_budget"]
    html = (out / "report.html").read_text()
    for name in ("tech_first", "people_first_budget"):
        assert name in html
        mean = s.loc[s["scenario"] == name, "adoption_share"].mean()
        assert f"{mean:.0%}" in html
    assert "data:image/png;base64," in html and "Recommendation:" in html
    import pandas as pd

    table = pd.read_csv(out / "comparison.csv")
    row = table[(table.strategy == "people_first_budget") & (table.outcome == "cumulative_cost")]
    paired = (s[s.scenario == "people_first_budget"].set_index("seed")["cumulative_cost"]
              - s[s.scenario == "tech_first"].set_index("seed")["cumulative_cost"])
    assert row["diff_mean"].iloc[0] == pytest.approx(paired.mean())
    # running the same command again resumes (nothing left to run) and gives the same numbers
    assert main(["compare", *files, "--seeds", "3", "--steps", "40", "--executor", "serial",
                 "--out", str(out), "--quiet"]) == 0
    pd.testing.assert_frame_equal(load_experiment(out).summaries, s)


def seeds_names(s):
    return list(dict.fromkeys(s["scenario"]))


@pytest.mark.parametrize("argv, message", [
    (["compare", "baseline", "--executor", "gpu"], "invalid choice"),
    (["compare", "baseline", "--workers", "0"], "out of range"),
    (["compare", "baseline", "no_such_scenario", "--executor", "serial"], "not found"),
    (["compare", "balanced", "--executor", "serial"], "one strategy alone is no comparison"),
    (["compare", "baseline", "coe", "--set", "trainng_hours=3"],
     "unknown lever 'trainng_hours' in --set.*did you mean 'training_hours'"),
])
def test_bad_input_exits_2(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        rc = main([*argv, "--out", str(tmp_path / "x")])
        raise SystemExit(rc)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert re.search(message, err)
    assert "Traceback" not in err


def test_verdict_counts_ties_and_needs_enough_seeds():
    from aiscale_sim.compare import OUTCOMES, compare_table, verdict

    rows = []
    for seed in range(10):
        for name, bump in (("a", 0.0), ("b", 0.0), ("c", 0.1)):
            row = {"scenario": name, "seed": seed}
            for col, _, _ in OUTCOMES:
                row[col] = 0.5 + bump + 0.01 * seed
            row["pilot_to_production_rate"] = float("nan") if name == "b" else 0.5
            rows.append(row)
    s = pd.DataFrame(rows)
    lines = verdict(compare_table(s, ["a", "b", "c"]), ["a", "b", "c"], s)
    adoption = next(x for x in lines if x.startswith("Employees using AI"))
    assert "c is best" in adoption and "on 10 paired seeds, behind on 0, tied on 0" in adoption
    assert "(clear)" in adoption  # 10 of 10: sign test p = 0.002
    rate = next(x for x in lines if x.startswith("Pilot-to-production"))
    assert "undefined on every seed for b" in rate and "equal on every one of 10" in rate
    six = s[s["seed"] < 6]
    lines = verdict(compare_table(six, ["a", "c"]), ["a", "c"], six)
    assert "(likely)" in lines[0]  # 6 of 6: p = 0.03, not yet clear
    few = s[s["seed"] < 2]
    lines = verdict(compare_table(few, ["a", "c"]), ["a", "c"], few)
    assert all("too few paired seeds" in x for x in lines if "is best" in x)


def test_budget_stays_equal_under_size_overrides_and_refuses_spend_overrides(tmp_path):
    from aiscale_sim.simulate import resolve

    for size in ({"employees": 2000}, {"employees": 9000, "business_units": 3}):
        assert _budgeted(resolve("balanced", size)) == pytest.approx(14.0)
    with pytest.raises(UserInputError, match="through its \\[budget\\]"):
        resolve("balanced", {"training_hours": 5.0})
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{scenario_dir() / "balanced.toml"}"\n'
                     "[levers]\ntraining_hours = 30.0\n")
    with pytest.raises(UserInputError, match="inherited from balanced.toml"):
        load_scenario(child)
