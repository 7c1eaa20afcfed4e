"""Uncertain worlds, PRIM and the EMA Workbench adapter."""

import numpy as np
import pandas as pd
import pytest

from aiscale_sim.cli import main
from aiscale_sim.ema import ARRAY_OUTCOME, SCALAR_OUTCOMES, ema_model, import_ema
from aiscale_sim.errors import UserInputError
from aiscale_sim.robustness import (
    DEFAULT_UNCERTAIN,
    box_in_words,
    discover,
    find_box,
    parse_uncertain,
    read_uncertain,
    sample_worlds,
)


def test_latin_hypercube_covers_every_range_once_per_stratum():
    w = sample_worlds({"high_risk_share": (0.1, 0.3), "business_units": (2, 5)}, 8, 3)
    strata = np.floor((w["high_risk_share"] - 0.1) / 0.2 * 8).astype(int)
    assert sorted(strata) == list(range(8))  # one world in each eighth of the range
    assert w["business_units"].between(2, 5).all()
    assert sorted(w["business_units"]) == [2, 2, 3, 3, 4, 4, 5, 5]
    assert w.equals(sample_worlds({"high_risk_share": (0.1, 0.3), "business_units": (2, 5)},
                                  8, 3))


def test_prim_finds_a_planted_failure_region():
    x = sample_worlds(DEFAULT_UNCERTAIN, 300, 11)
    planted = (x["business_units"] >= 12) & (x["high_risk_share"] > 0.25)
    noise = np.random.default_rng(0).uniform(size=len(x)) < 0.03
    y = (planted ^ noise).to_numpy()
    box = find_box(x, y)
    assert set(box.limits) == {"business_units", "high_risk_share"}
    # Planted: at least 12 units and a high-risk share above 25%, 3% of labels flipped.
    assert box.limits["business_units"][0] in (11, 12)
    assert box.limits["high_risk_share"][0] == pytest.approx(0.25, abs=0.04)
    assert box.limits["business_units"][1] == box.limits["high_risk_share"][1] == np.inf
    assert box.density > 0.75 and box.coverage > 0.8
    words = box_in_words(box, DEFAULT_UNCERTAIN)
    assert words.startswith("when business units number at least 1")
    assert "high-risk share is above 2" in words


@pytest.mark.parametrize("table, message", [
    ({"centralisation": {"low": 0.1, "high": 0.5}}, "is a policy lever"),
    ({"units": {"low": 2, "high": 5}}, "unknown lever 'units'"),
    ({"business_units": {"low": 5, "high": 5}}, "needs low < high"),
    ({"high_risk_share": {"low": 0.1, "high": 1.5}}, "out of bounds"),
    ({"business_units": [2, 5]}, "must be a range"),
])
def test_bad_uncertain_tables_are_refused(table, message):
    with pytest.raises(UserInputError, match=message):
        parse_uncertain(table, "x.toml")


def test_discover_runs_a_strategy_across_worlds_from_an_experiment_file(tmp_path, capsys):
    exp = tmp_path / "worlds.toml"
    exp.write_text('name = "small"\n[uncertain]\nbusiness_units = { low = 2, high = 6 }\n'
                   "high_risk_share = { low = 0.05, high = 0.5 }\n")
    assert read_uncertain(exp) == {"business_units": (2, 6), "high_risk_share": (0.05, 0.5)}
    out = tmp_path / "d"
    code = main(["discover", "baseline", "--experiment", str(exp), "--worlds", "12",
                 "--steps", "26", "--set", "employees=200", "--executor", "serial",
                 "--out", str(out)])
    assert code == 0
    worlds = pd.read_csv(out / "worlds.csv")
    assert len(worlds) == 12 and worlds["business_units"].between(2, 6).all()
    assert {"paid_back_share", "fails", "roi"} <= set(worlds.columns)
    assert (out / "box.png").stat().st_size > 0
    said = capsys.readouterr().out
    assert "pay back" in said and "worlds" in said
    assert "Latin hypercube" in (out / "box.md").read_text()
    with pytest.raises(UserInputError, match="cannot also be set"):
        discover("baseline", tmp_path / "e", uncertain={"employees": (200, 400)},
                 overrides={"employees": 300})
    assert main(["discover", "baseline", "--experiment", str(tmp_path / "none.toml"),
                 "--out", str(tmp_path / "f")]) == 2


def test_ema_adapter_runs_perform_experiments_on_a_tiny_design():
    ema = import_ema()
    model = ema_model(replications=2, steps=13, base={"employees": 120, "business_units": 2},
                      uncertain={"business_units": (2, 4), "high_risk_share": (0.05, 0.4)},
                      levers=["centralisation", "prioritisation"])
    assert [u.name for u in model.uncertainties] == ["business_units", "high_risk_share"]
    assert [lv.name for lv in model.levers] == ["centralisation", "prioritisation"]
    assert "training_hours" in [c.name for c in model.constants]
    seeds = [r["rng"] for r in model.replications]
    assert len(set(seeds)) == 2
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=2, policies=2,
                                                              log_progress=False)
    assert len(experiments) == 4
    assert set(outcomes) == {*SCALAR_OUTCOMES, ARRAY_OUTCOME}
    assert outcomes["cumulative_cost"].shape == (4,) and (outcomes["cumulative_cost"] > 0).all()
    assert outcomes[ARRAY_OUTCOME].shape == (4, 2, 14)  # experiments x replications x weeks
    again = ema_model(replications=2, steps=13, base={"employees": 120, "business_units": 2},
                      uncertain={"business_units": (2, 4), "high_risk_share": (0.05, 0.4)},
                      levers=["centralisation", "prioritisation"])
    from aiscale_sim.ema import run_once

    row = experiments.iloc[0]
    kw = {**{c.name: c.value for c in again.constants},
          **{n: row[n] for n in ("business_units", "high_risk_share", "centralisation",
                                 "prioritisation")}}
    first = [run_once(rng=s, **kw)["cumulative_cost"] for s in seeds]
    assert outcomes["cumulative_cost"][0] == pytest.approx(np.mean(first))


def test_the_ema_example_in_the_docs_runs(capsys):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "ema.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    scope: dict = {}
    exec(compile(blocks[0].replace("steps=52", "steps=13"), "docs/ema.md", "exec"), scope)
    assert scope["outcomes"]["adoption_curve"].shape == (8, 2, 14)
    assert "cost ($M)" in capsys.readouterr().out
    scope["outcomes"]["paid_back"][:2] = 0.0  # PRIM needs some worlds of interest
    import warnings

    with warnings.catch_warnings():  # ema_workbench 3.0 passes inplace= to pandas
        warnings.filterwarnings("ignore", message="The inplace keyword", category=Warning)
        exec(compile(blocks[1], "docs/ema.md", "exec"), scope)
    assert scope["box"] is not None


def test_regret_and_satisficing_across_the_same_worlds(tmp_path):
    from aiscale_sim.robustness import across_worlds

    small = {"employees": 200}
    table, values = across_worlds(
        ["baseline", "coe"], tmp_path / "a", uncertain={"business_units": (2, 5)},
        n_worlds=4, overrides=small, steps=26, executor="serial", progress=False)
    assert list(table["strategy"]) == ["baseline", "coe"]
    assert (table["worlds"] == 4).all()
    # In each world the best strategy has no regret, the other the difference in value.
    for _, w in values.groupby("world"):
        assert w["regret"].min() == 0
        assert w["regret"].max() == pytest.approx(w["value"].max() - w["value"].min())
    assert table["best_share"].sum() >= 1.0
    assert (tmp_path / "a" / "robustness.csv").exists()
    with pytest.raises(UserInputError, match="at least two strategies"):
        across_worlds(["baseline"], tmp_path / "b")


BUDGET_TOML = """name = "small_budget"
[levers]
employees = 300
business_units = 4
[budget]
total_musd_per_year = 3.0
training = 0.05
change_management = 0.05
incentives = 0.05
data = 0.1
platform = 0.15
headcount = 0.3
operations = 0.3
"""


def test_budget_strategies_keep_their_budget_in_every_world_and_in_ema(tmp_path):
    from aiscale_sim.budget import SHARE_LEVERS, levers_from_budget
    from aiscale_sim.ema import run_once
    from aiscale_sim.robustness import across_worlds
    from aiscale_sim.simulate import simulate

    path = tmp_path / "small_budget.toml"
    path.write_text(BUDGET_TOML)
    d = discover(str(path), tmp_path / "d", uncertain={"business_units": (2, 5)}, n_worlds=3,
                 steps=13, executor="serial", progress=False)
    s = pd.read_parquet(d.out / "runs" / "summaries.parquet")
    assert len(s) == 3 and (s["budget_musd_per_year"] == 3.0).all()
    across_worlds([str(path), "baseline"], tmp_path / "a",
                         uncertain={"business_units": (2, 5)}, n_worlds=2, steps=13,
                         executor="serial", progress=False)
    a = pd.read_parquet(tmp_path / "a" / "summaries.parquet")
    mine = a["scenario"].str.startswith("small_budget@")
    assert (a.loc[mine, "budget_musd_per_year"] == 3.0).all()
    assert "budget_musd_per_year" not in a or a.loc[~mine, "budget_musd_per_year"].isna().all()
    # EMA: the budget is a constant, the spend levers follow it, every replication is capped.
    model = ema_model(base=str(path), replications=1, steps=13,
                      uncertain={"business_units": (2, 5)}, levers=["centralisation"])
    consts = {c.name: c.value for c in model.constants}
    assert consts["budget_total_musd_per_year"] == 3.0 and consts["budget_operations"] == 0.3
    assert not set(SHARE_LEVERS.values()) & set(consts)
    with pytest.raises(UserInputError, match="set by the base scenario's \\[budget\\]"):
        ema_model(base=str(path), levers=["training_hours"])
    out = run_once(rng=5, business_units=3, centralisation=0.5, **consts)
    levers = {k: v for k, v in consts.items() if not k.startswith("budget_") and k != "steps"}
    levers.update(business_units=3, centralisation=0.5)
    budget = {k[len("budget_"):]: v for k, v in consts.items() if k.startswith("budget_")}
    levers.update(levers_from_budget(budget, levers))
    direct = simulate(levers, seed=5, steps=13, budget_cap=3.0)
    assert direct.summary["budget"]["cap_musd_per_year"] == 3.0
    assert out["cumulative_cost"] == pytest.approx(
        direct.summary["outcomes"]["cumulative_cost"])
