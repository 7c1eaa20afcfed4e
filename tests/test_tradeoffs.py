"""Both sides of each trade-off: the direction of every mechanism behind them.

Unit-level checks build a small model and call one mechanism; the pattern checks run whole
simulations over a fixed set of seeds (common random numbers) and compare means.
"""


import numpy as np
import pytest
from builders import new_use_case, small_model

from aiscale_sim import simulate
from aiscale_sim.outputs import adoption_share, ai_staff_adoption_share
from aiscale_sim.pipeline import (
    INCIDENT_COST,
    PipelineParams,
    draw_ideas,
    duplication,
    governance_assurance,
    hub_strength,
    incident,
    invest,
    launch_pilots,
    pilot_capacity,
    solution_fit,
    spend_capacity,
    start_pilot,
    team_standards,
    unit_commitment,
    vanity_share,
    weekly_cost,
)
from aiscale_sim.states import Stage


def model(**levers):
    return small_model(**levers)


def idea(m, unit=0, **kw):
    return new_use_case(m, unit=unit, **kw)


def mean_outcomes(levers, seeds, keys, steps=260):
    rows = [simulate(levers, seed=s, steps=steps).outcomes for s in seeds]
    return {k: float(np.mean([r[k] for r in rows if r[k] is not None])) for k in keys}


# --- 1. the operating model -------------------------------------------------------------------


def test_coe_intake_queue_holds_pilots_it_cannot_staff_yet():
    m = model(centralisation=1.0, ai_staff_per_1000=30.0, pilot_count_incentive=0.0)
    for u in range(200):
        idea(m, unit=u % 4, difficulty=0.1, data_needs=0.1)
    launch_pilots(m)
    spend_capacity(m)
    pilots = m.use_cases_in(Stage.PILOT)
    waiting = [uc for uc in pilots if uc.work_start_week is None]
    working = [uc for uc in pilots if uc.work_start_week is not None]
    assert working and waiting  # accepted beyond what it can staff: a queue
    # ...but only about coe_intake_weeks of work, not the whole backlog.
    pp = m.pipeline_params
    accepted_work = sum(uc.effort_required for uc in pilots)
    assert accepted_work <= m.coe.capacity * pp.coe_intake_weeks + max(
        uc.effort_required for uc in pilots)
    assert len(pilots) < 200


def test_coe_wait_grows_with_demand_per_coe_fte():
    base = {"employees": 2000, "business_units": 8, "centralisation": 1.0}
    low = mean_outcomes({**base, "pilot_launch_rate": 1.0}, range(4), ["coe_median_wait_weeks"])
    high = mean_outcomes({**base, "pilot_launch_rate": 20.0}, range(4),
                         ["coe_median_wait_weeks"])
    assert high["coe_median_wait_weeks"] > low["coe_median_wait_weeks"] + 4


def test_embedded_teams_have_no_cross_unit_queue():
    m = model(centralisation=0.0, ai_staff_per_1000=20.0)
    for u in range(40):
        idea(m, unit=u % 4)
    launch_pilots(m)
    spend_capacity(m)
    assert all(uc.work_start_week is not None for uc in m.use_cases_in(Stage.PILOT))


def test_coe_domain_knowledge_stays_below_embedded_teams():
    pp = PipelineParams()
    m = model(centralisation=0.5, ai_staff_per_1000=20.0)
    for _ in range(300):
        for u in range(4):
            for team in (m.coe, m.embedded_team(u)):
                uc = idea(m, unit=u)
                start_pilot(m, uc, team=team)
        spend_capacity(m)
        for uc in m.use_cases_in(Stage.PILOT):
            uc.set_stage(Stage.ABANDONED)
    assert m.coe.domain_knowledge.max() <= pp.coe_domain_cap + 1e-12
    assert m.embedded_team(0).domain_knowledge[0] > pp.coe_domain_cap


def test_solutions_built_far_from_the_unit_fit_it_less_well():
    m = model(centralisation=0.5, ai_staff_per_1000=20.0, translator_share=0.0)
    near, far = idea(m), idea(m)
    near.team, far.team = m.embedded_team(0), m.coe
    assert solution_fit(m, near) > solution_fit(m, far)


def test_hub_standards_and_platform_reach_the_spokes():
    fed = model(centralisation=0.0, ai_staff_per_1000=30.0)
    hyb = model(centralisation=0.5, ai_staff_per_1000=30.0)
    assert hub_strength(fed) == 0.0 and hub_strength(hyb) == 1.0
    spoke = hyb.embedded_team(0)
    spoke.standards = 0.2
    assert team_standards(hyb, spoke) == pytest.approx(hyb.coe.standards)
    assert duplication(hyb, spoke) == 1.0
    assert duplication(fed, fed.embedded_team(0)) > 1.0
    small_hub = model(centralisation=0.05, ai_staff_per_1000=30.0)
    assert 0.0 < hub_strength(small_hub) < 1.0


def test_platform_money_buys_the_same_platform_at_any_centralisation():
    coe, fed = model(centralisation=1.0), model(centralisation=0.0)
    for _ in range(52):
        invest(coe)
        invest(fed)
    assert coe.platform_maturity == pytest.approx(fed.platform_maturity)


# --- 2. roles --------------------------------------------------------------------------------


def test_a_team_without_scientists_stalls_on_modelling():
    pp = PipelineParams()
    balanced = pilot_capacity(4.0, 6.0, 0.4, pp)
    no_scientists = pilot_capacity(0.0, 10.0, 0.4, pp)
    no_engineers = pilot_capacity(10.0, 0.0, 0.4, pp)
    assert balanced == pytest.approx(10.0)  # the right mix uses everyone fully
    assert no_scientists < 0.5 * balanced
    assert no_engineers < balanced


def test_engineer_ratio_has_an_optimum_inside_its_range():
    pp = PipelineParams()
    ratios = np.linspace(0.2, 6.0, 59)
    heads = 10.0
    cap = [pilot_capacity(heads / (1 + r), heads * r / (1 + r), 0.4, pp) for r in ratios]
    best = ratios[int(np.argmax(cap))]
    assert 0.2 < best < 6.0
    # A portfolio heavier in data work wants more engineers.
    cap_data = [pilot_capacity(heads / (1 + r), heads * r / (1 + r), 0.2, pp) for r in ratios]
    assert ratios[int(np.argmax(cap_data))] > best


def test_translators_raise_commitment_and_fit_but_do_no_technical_work():
    none, some = model(translator_share=0.0), model(translator_share=0.2)
    for m in (none, some):
        uc = idea(m)
        start_pilot(m, uc)
    a, b = none.use_cases_in(Stage.PILOT)[0], some.use_cases_in(Stage.PILOT)[0]
    assert unit_commitment(some, b) > unit_commitment(none, a)
    assert solution_fit(some, b) > solution_fit(none, a)
    spend_capacity(none)
    spend_capacity(some)
    assert b.team.pilot_capacity < a.team.pilot_capacity


# --- 3. vanity incentives --------------------------------------------------------------------


def test_vanity_incentives_bring_in_low_value_ideas():
    assert vanity_share(0.0) == 0.0 and vanity_share(1.0) == 0.5
    rng = np.random.default_rng(3)
    rows = [r for week in draw_ideas(np.full(4, 2.0), rng, 1.3, 52, vanity=0.5,
                                     vanity_value=0.3) for r in week]
    vanity = np.array([r[9] for r in rows])
    value = np.array([r[1] for r in rows])
    assert 0.4 < vanity.mean() < 0.6
    assert np.median(value[vanity]) < 0.5 * np.median(value[~vanity])


def test_vanity_pilots_fail_commitment_more_often():
    m = model()
    real, vain = idea(m), idea(m)
    start_pilot(m, real)
    start_pilot(m, vain, vanity=True)
    assert unit_commitment(m, vain) < unit_commitment(m, real)


@pytest.mark.slow
def test_pilot_count_incentives_raise_activity_not_value():
    seeds = range(8)
    keys = ["pilots_launched", "pilot_to_production_rate", "cumulative_value"]
    lo = mean_outcomes({"pilot_count_incentive": 0.0}, seeds, keys)
    hi = mean_outcomes({"pilot_count_incentive": 1.0}, seeds, keys)
    assert hi["pilots_launched"] > 1.05 * lo["pilots_launched"]
    assert hi["pilot_to_production_rate"] < lo["pilot_to_production_rate"]
    assert hi["cumulative_value"] <= lo["cumulative_value"]  # crowded out: no more value


# --- 4. governance ---------------------------------------------------------------------------


def test_incidents_cost_money_by_risk_class_and_erode_sponsors():
    m = model()
    low, high = idea(m, risk=0), idea(m, risk=2)
    for uc in (low, high):
        start_pilot(m, uc)
    before = weekly_cost(m)
    incident(m, low)
    after_low = weekly_cost(m)
    incident(m, high)
    after_high = weekly_cost(m)
    assert after_low - before == pytest.approx(INCIDENT_COST[0])
    assert after_high - after_low == pytest.approx(INCIDENT_COST[2])
    assert INCIDENT_COST[2] > INCIDENT_COST[1] > INCIDENT_COST[0]
    assert m.units[0].sponsor_erosion > 0
    c_before = unit_commitment(m, low)
    m.units[0].sponsor_erosion += 0.3
    assert unit_commitment(m, low) < c_before
    for _ in range(200):
        invest(m)  # sponsors regain commitment over time
    assert m.units[0].sponsor_erosion < 0.01


def test_rigour_builds_commitment_for_high_risk_use_cases_only():
    lax, strict = model(governance_rigour=0.0), model(governance_rigour=1.0)
    for m in (lax, strict):
        for risk in (0, 2):
            start_pilot(m, idea(m, risk=risk))
    (lax_low, lax_high), (strict_low, strict_high) = (
        lax.use_cases_in(Stage.PILOT), strict.use_cases_in(Stage.PILOT))
    assert governance_assurance(lax, lax_high) > 0 == governance_assurance(strict, strict_high)
    assert governance_assurance(lax, lax_low) == 0
    gap_high = unit_commitment(strict, strict_high) - unit_commitment(lax, lax_high)
    gap_low = unit_commitment(strict, strict_low) - unit_commitment(lax, lax_low)
    assert gap_high > gap_low + 0.1


def test_high_risk_share_shapes_the_portfolio():
    from aiscale_sim.pipeline import propose_ideas

    def high_share(h):
        m = model(high_risk_share=h, genai_share=0.0, assistant_share=0.0, pilot_launch_rate=30.0)
        ideas = [uc for _ in range(52) for uc in propose_ideas(m)]
        return np.mean([uc.risk == 2 for uc in ideas])

    assert high_share(0.15) == pytest.approx(0.15, abs=0.06)
    assert high_share(0.8) == pytest.approx(0.8, abs=0.06)


@pytest.mark.slow
def test_governance_pays_in_a_high_risk_portfolio_and_mostly_delays_in_a_low_risk_one():
    seeds = range(8)
    keys = ["cumulative_value", "incident_cost", "median_time_to_production_weeks",
            "pilots_reached_production"]
    base = {"pilot_launch_rate": 10.0, "ai_staff_per_1000": 6.0}
    out = {(risk, g): mean_outcomes({**base, "high_risk_share": risk, "governance_rigour": g},
                                    seeds, keys)
           for risk in (0.05, 0.8) for g in (0.0, 1.0)}
    # High risk: rigour gets more into production and delivers more, net of incidents.
    hi_lax, hi_strict = out[(0.8, 0.0)], out[(0.8, 1.0)]
    assert hi_strict["incident_cost"] < hi_lax["incident_cost"]
    assert (hi_strict["cumulative_value"] - hi_strict["incident_cost"]
            > hi_lax["cumulative_value"] - hi_lax["incident_cost"])
    # Low risk: rigour mostly delays.
    lo_lax, lo_strict = out[(0.05, 0.0)], out[(0.05, 1.0)]
    assert (lo_strict["median_time_to_production_weeks"]
            > lo_lax["median_time_to_production_weeks"])
    gain_hi = hi_strict["cumulative_value"] / hi_lax["cumulative_value"]
    gain_lo = lo_strict["cumulative_value"] / lo_lax["cumulative_value"]
    assert gain_hi > gain_lo


# --- 8. adoption counts business employees ---------------------------------------------------


def test_ai_staff_are_not_counted_as_adopters():
    m = model(ai_staff_per_1000=30.0)
    assert ai_staff_adoption_share(m) == 1.0
    assert adoption_share(m) == 0.0  # nothing is live yet, nobody in the business uses AI
    assert m.n_adopted == 0


# --- 10. legacy integration ------------------------------------------------------------------


def test_integration_investment_lowers_legacy_burden_at_a_cost():
    none, some = model(integration_investment=0.0), model(integration_investment=2.0)
    burden0 = [u.legacy_burden for u in some.units]
    for _ in range(104):
        invest(none)
        invest(some)
    assert [u.legacy_burden for u in none.units] == pytest.approx(burden0)
    assert all(u.legacy_burden < b for u, b in zip(some.units, burden0, strict=True))
    assert weekly_cost(some) - weekly_cost(none) == pytest.approx(2.0 * 4 / 52)


# --- 9. vertical scaling ---------------------------------------------------------------------


def test_a_live_use_case_is_deepened_for_less_effort_than_a_new_pilot():
    from aiscale_sim.pipeline import deepen_use_case, go_live, pilot_effort

    m = model()
    uc = idea(m, data_needs=0.8, difficulty=0.6)
    start_pilot(m, uc)
    go_live(m, uc)
    ext = deepen_use_case(m, uc)
    assert ext.stage == Stage.PILOT and ext.unit == uc.unit and ext.team is uc.team
    fresh = idea(m, data_needs=0.8, difficulty=0.6)
    assert ext.effort_required < 0.6 * pilot_effort(m, fresh, uc.team)[0]
    assert ext.value_potential < uc.value_potential
    before = m.counters["use_cases_deepened"]
    go_live(m, ext)
    assert m.counters["use_cases_deepened"] == before + 1


def test_mature_platforms_deepen_more_use_cases():
    seeds = range(4)
    lo = mean_outcomes({"platform_investment": 0.0}, seeds, ["use_cases_deepened"])
    hi = mean_outcomes({"platform_investment": 15.0}, seeds, ["use_cases_deepened"])
    assert hi["use_cases_deepened"] > lo["use_cases_deepened"]


# --- the operating-model patterns (experiments/operating_model_regimes.py maps them) ---------


@pytest.mark.slow
def test_coe_queue_makes_it_slower_than_a_hybrid_at_high_demand_only():
    """coe_bottleneck: the CoE's time to production exceeds a hybrid's as demand grows.

    At low demand the CoE's pooling makes it the faster one (its queue is short).
    """
    base = {"employees": 10000, "business_units": 8}
    key = ["median_time_to_production_weeks"]

    def ttp(rate, c):
        levers = {**base, "pilot_launch_rate": rate, "centralisation": c}
        return mean_outcomes(levers, range(6), key, steps=156)[key[0]]

    assert ttp(20.0, 1.0) > ttp(20.0, 0.5) + 2.0
    assert ttp(3.0, 1.0) < ttp(3.0, 0.5)
