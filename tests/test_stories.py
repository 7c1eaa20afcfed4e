"""Every shipped scenario's story, checked over a fixed set of common seeds.

The stories are the ones stated in each scenario file's ``description``. They compare means
over the same seeds (common random numbers), at the default organisation size.
"""

import pandas as pd
import pytest

from aiscale_sim import simulate

SEEDS = range(5)
SCENARIOS = ["baseline", "coe", "federated", "hybrid", "people_first", "platform_first",
             "vanity_metrics"]


def measures(result):
    o = result.outcomes
    launched = max(o["pilots_launched"], 1)
    entries = o["purgatory_entries_by_reason"]
    return {
        "launched": o["pilots_launched"],
        "reached": o["pilots_reached_production"],
        "rate": o["pilot_to_production_rate"],
        "infra_stalls": entries["infrastructure"] / launched,
        "commitment_stalls": entries["commitment"] / launched,
        "platform": result.timeseries["platform_maturity"].iloc[-1],
        "scaled_ever": result.model.counters["use_cases_scaled_ever"],
        "adoption": o["adoption_share"],
        "frontline": o["adoption_frontline"],
        "managers": o["adoption_managers"],
        "anxiety": o["mean_anxiety"],
        "data_share": o["data_work_share"],
        "coe_wait": o["coe_median_wait_weeks"],
    }


@pytest.fixture(scope="module")
def story():
    rows = [{"scenario": sc, "seed": s, **measures(simulate(sc, seed=s))}
            for sc in SCENARIOS for s in SEEDS]
    return pd.DataFrame(rows).groupby("scenario").mean(numeric_only=True)


def test_baseline_many_pilots_few_in_production(story):
    b = story.loc["baseline"]
    assert b.reached / b.launched < 0.5
    assert 0.3 < b.rate < 0.65
    assert b.infra_stalls > 0.1 and b.commitment_stalls > 0.02
    assert b.managers > b.frontline + 0.1


def test_coe_versus_federated(story):
    coe, fed = story.loc["coe"], story.loc["federated"]
    assert coe.infra_stalls < fed.infra_stalls
    assert coe.scaled_ever > fed.scaled_ever
    # ...but the CoE knows the units' business less well than embedded teams, and pilots
    # wait in its queue before anyone works on them.
    assert coe.commitment_stalls > fed.commitment_stalls
    assert coe.coe_wait > 2.0


def test_hybrid_gets_platform_without_full_centralisation(story):
    hyb, fed = story.loc["hybrid"], story.loc["federated"]
    assert hyb.platform > fed.platform
    assert hyb.infra_stalls < fed.infra_stalls


def test_people_first_raises_adoption_not_the_pipeline(story):
    pf, b = story.loc["people_first"], story.loc["baseline"]
    assert pf.adoption > b.adoption + 0.15
    assert pf.anxiety < b.anxiety - 0.1
    assert pf.infra_stalls > 0.5 * b.infra_stalls  # infrastructure stalls remain


def test_platform_first_gets_more_pilots_live(story):
    pl, b = story.loc["platform_first"], story.loc["baseline"]
    assert pl.rate > b.rate + 0.05
    assert pl.infra_stalls < b.infra_stalls
    assert pl.data_share < b.data_share


def test_vanity_metrics_more_activity_less_production(story):
    v, b = story.loc["vanity_metrics"], story.loc["baseline"]
    assert v.launched > 1.15 * b.launched
    assert v.rate < b.rate - 0.05
    assert v.commitment_stalls > b.commitment_stalls
