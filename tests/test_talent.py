"""AI talent: attrition rises with frustration, hiring refills towards the current levers."""

from collections import deque

import numpy as np
import pandas as pd
import pytest

from aiscale_sim import EnterpriseModel, simulate
from aiscale_sim.agents import UseCase
from aiscale_sim.pipeline import go_live, start_pilot
from aiscale_sim.states import Role, Stage
from aiscale_sim.talent import (
    AI_ROLES,
    TalentParams,
    attrition_probability,
    attrition_rate,
    frustration,
    hire,
    reorganise_teams,
    role_split,
    stuck_shares,
    talent_step,
    target_headcount,
)

SMALL = {"employees": 400, "business_units": 4}
NOBODY_LEAVES = TalentParams(base_attrition=0.0, max_attrition=0.0)
LAG = TalentParams().hire_lag_weeks


def model(params=NOBODY_LEAVES, seed=7, **levers):
    return EnterpriseModel({**SMALL, **levers}, rng=seed, talent_params=params)


def sizes(m):
    return {t.unit: t.size for t in m.teams}


# --- the rules on their own ------------------------------------------------------------------


def test_frustration_rises_with_work_stuck_in_purgatory_and_with_poor_data():
    p = TalentParams()
    assert frustration(0.8, 0.5, p) > frustration(0.2, 0.5, p)
    assert frustration(0.5, 0.2, p) > frustration(0.5, 0.8, p)
    assert frustration(0.0, 1.0, p) == 0.0
    assert frustration(1.0, 0.0, p) == pytest.approx(1.0)


def test_attrition_rises_with_frustration_from_the_sector_rate_to_the_ceiling():
    p = TalentParams()
    weekly = [attrition_probability(f, p) for f in np.linspace(0.0, 1.0, 11)]
    assert np.all(np.diff(weekly) > 0)
    # The weekly probabilities compound to the yearly rates they stand for.
    assert 1 - (1 - weekly[0]) ** 52 == pytest.approx(p.base_attrition)
    assert 1 - (1 - weekly[-1]) ** 52 == pytest.approx(p.max_attrition)
    assert attrition_rate(0.0, p) == 0.132 and attrition_rate(1.0, p) == 0.33


def test_hire_opens_openings_for_the_roles_furthest_below_target_and_cancels_latest_first():
    target = np.array([2, 1, 2, 0])
    openings = deque()
    assert hire(openings, np.array([1, 1, 0, 0]), target, week=5, lag=10) == 3
    assert list(openings) == [[15, 2], [15, 0], [15, 2]]  # each to the largest deficit
    # Staff plus openings at target: nothing happens.
    assert hire(openings, np.array([1, 1, 0, 0]), target, week=6, lag=10) == 0
    # A lower target cancels the latest openings; staff above target stay.
    assert hire(openings, np.array([1, 1, 0, 0]), np.array([1, 1, 1, 0]), 7, 10) == -2
    assert list(openings) == [[15, 2]]
    assert hire(openings, np.array([3, 1, 0, 0]), np.array([1, 0, 0, 0]), 8, 10) == -1
    assert not openings


@pytest.mark.parametrize("levers", [
    {},
    {"centralisation": 0.0},
    {"centralisation": 1.0, "engineer_ratio": 4.0},
    {"centralisation": 0.5, "ai_staff_per_1000": 20.0, "engineer_ratio": 0.2},
    {"employees": 300, "business_units": 8, "ai_staff_per_1000": 10.0},  # fewer staff than units
])
def test_the_targets_are_the_teams_built_from_the_org_chart(levers):
    m = model(**levers)
    targets = target_headcount(m.levers)
    for i, key in enumerate(m.talent.positions):
        team = m.talent.teams.get(key)
        assert targets[i].sum() == (team.size if team else 0)
    if m.coe is not None:
        assert tuple(targets[0]) == tuple(m.coe.headcount.get(r, 0) for r in AI_ROLES)
    # With nobody leaving, nobody is hired: the teams stay as built.
    before = sizes(m)
    m.run_for(60)
    assert m.counters["ai_staff_hired"] == 0 and sizes(m) == before
    assert m.ai_headcount == int(m.is_ai_staff.sum())


def test_role_split_matches_the_org_chart():
    m = model(centralisation=1.0, ai_staff_per_1000=25.0, engineer_ratio=3.0)
    built = m.org.role[m.org.team == 0]
    assert role_split(len(built), 3.0) == tuple(int((built == r).sum()) for r in AI_ROLES)
    assert role_split(0, 1.0) == (0, 0, 0, 0) and role_split(1, 5.0) == (1, 0, 0, 0)


# --- frustration in the model ------------------------------------------------------------------


def finished_pilot(m, team, stage):
    unit = team.unit if team.unit is not None else 0
    uc = UseCase(m, unit=unit, value_potential=1.0, difficulty=0.5, data_needs=0.5, risk=1,
                 infra_need=0.3, commit_need=0.3)
    m.units[unit].portfolio.append(uc)
    start_pilot(m, uc)
    uc.team = team
    uc.effort_done = uc.effort_required
    if stage == Stage.PURGATORY:
        uc.set_stage(Stage.PURGATORY)
    else:
        go_live(m, uc)
    return uc


def test_time_spent_on_pilots_in_purgatory_frustrates_the_team_that_built_them():
    stuck_m, live_m = (model(TalentParams(), centralisation=0.0, ai_staff_per_1000=20.0)
                       for _ in range(2))
    for m, stage in ((stuck_m, Stage.PURGATORY), (live_m, Stage.PRODUCTION)):
        team = m.embedded_team(0)
        for _ in range(3):
            finished_pilot(m, team, stage)
        m.time = 1
        talent_step(m)
    assert stuck_shares(stuck_m)[stuck_m.embedded_team(0)] == 1.0
    assert stuck_shares(live_m).get(live_m.embedded_team(0), 0.0) == 0.0
    stuck_team, live_team = stuck_m.embedded_team(0), live_m.embedded_team(0)
    assert stuck_team.frustration > live_team.frustration + 0.6
    assert stuck_team.attrition > live_team.attrition
    # The other teams, with nothing finished, are as frustrated as their data make them.
    assert stuck_m.embedded_team(1).frustration == pytest.approx(live_m.embedded_team(1)
                                                                 .frustration)


def departures(data_readiness, weeks=260, seed=3):
    """AI staff who leave in ``weeks`` calls of the talent step, every post refilled at once."""
    m = EnterpriseModel({"employees": 4000, "business_units": 4, "ai_staff_per_1000": 25.0},
                        rng=seed, talent_params=TalentParams(hire_lag_weeks=0))
    for u in m.units:
        u.data_readiness = data_readiness
    staff = m.ai_headcount
    for w in range(1, weeks + 1):
        m.time = w  # the talent step alone: no pilots, so only data readiness frustrates
        talent_step(m)
    return m.counters["ai_staff_left"], staff * weeks


@pytest.mark.parametrize("seed", [3, 4])
def test_poor_data_readiness_drives_staff_away(seed):
    p = TalentParams()
    poor, trials = departures(0.1, seed=seed)
    good, _ = departures(0.9, seed=seed)
    assert poor > good
    # Each count is binomial around its expected value: within 4 standard deviations.
    for left, dr in ((poor, 0.1), (good, 0.9)):
        q = attrition_probability(frustration(0.0, dr, p), p)
        assert abs(left - q * trials) < 4 * np.sqrt(trials * q * (1 - q))


# --- hiring ------------------------------------------------------------------------------------


def test_a_vacancy_is_filled_after_the_hiring_lag():
    m = model(centralisation=1.0, ai_staff_per_1000=20.0)
    coe = m.coe
    full = coe.size
    m.run_for(5)
    coe.headcount = {**coe.headcount, Role.DATA_SCIENTIST: coe.headcount[Role.DATA_SCIENTIST] - 1}
    m.ai_headcount -= 1
    m.run_for(1)  # week 6: the opening is posted
    assert list(m.talent.openings[None]) == [[6 + LAG, 0]]
    m.run_for(LAG - 1)
    assert coe.size == full - 1 and m.ai_headcount == full - 1
    m.run_for(1)  # week 6 + LAG: the new data scientist starts
    assert coe.size == full and m.ai_headcount == full
    assert m.counters["ai_staff_hired"] == 1


def test_newcomers_dilute_the_teams_domain_knowledge():
    m = model(centralisation=1.0, ai_staff_per_1000=20.0)
    coe = m.coe
    n = coe.size
    coe.domain_knowledge[:] = 0.85
    coe.headcount = {**coe.headcount, Role.DATA_SCIENTIST: coe.headcount[Role.DATA_SCIENTIST] - 2}
    m.time = 1
    talent_step(m)
    m.time = 1 + LAG
    talent_step(m)
    expected = ((n - 2) * 0.85 + 2 * NOBODY_LEAVES.newcomer_knowledge) / n
    assert coe.size == n and coe.domain_knowledge == pytest.approx(np.full(4, expected))


def test_raising_the_headcount_lever_mid_run_grows_the_teams_through_hiring():
    m = model(ai_staff_per_1000=4.0)  # 2 AI staff: a one-person CoE and unit 0's team
    assert sizes(m) == {None: 1, 0: 1}
    m.run_for(20)
    m.levers["ai_staff_per_1000"] = 20.0  # 8 staff: CoE 2, units 2, 2, 1, 1
    m.run_for(LAG)
    assert m.ai_headcount == 2  # still hiring
    m.run_for(1)
    assert sizes(m) == {None: 2, 0: 2, 1: 2, 2: 1, 3: 1}
    assert m.ai_headcount == 8 == m.counters["ai_staff_hired"] + 2
    assert [t.unit for t in m.teams] == [None, 0, 1, 2, 3]  # new teams in team order
    assert all(m.embedded_team(u) is not None for u in range(4))
    m.run_for(40)  # the new teams take pilots
    assert {uc.team for uc in m.use_cases if uc.team is not None} - {m.coe, m.embedded_team(0)}


def test_lowering_the_headcount_lever_stops_hiring_and_attrition_shrinks_the_teams():
    m = model(TalentParams(), seed=1, ai_staff_per_1000=30.0)
    m.run_for(20)
    m.levers["ai_staff_per_1000"] = 5.0
    target = int(target_headcount(m.levers).sum())
    h = [m.ai_headcount]
    for _ in range(240):
        m.run_for(1)
        h.append(m.ai_headcount)
    h = np.array(h)
    assert h[0] > target and h[-1] < h[0]
    # No hire while above the new target, once the hires due in the week of the change (who
    # have signed by then) have started.
    later = h[1:]
    assert (np.diff(later)[later[:-1] > target] <= 0).all()
    assert (h >= 0).all()


def test_a_team_left_with_nobody_keeps_its_work_for_the_replacement_but_takes_no_new_pilots():
    m = model(centralisation=0.5, ai_staff_per_1000=20.0)
    team = m.embedded_team(1)
    uc = finished_pilot(m, team, Stage.PRODUCTION)
    kept = team.headcount
    team.headcount = {}
    m.talent.openings[1].append([99, 0])  # a hire on the way
    reorganise_teams(m)
    assert m.embedded_team(1) is None and team in m.teams and uc.team is team
    team.headcount = kept
    reorganise_teams(m)
    assert m.embedded_team(1) is team and [t.unit for t in m.teams] == [None, 0, 1, 2, 3]


def test_a_team_left_with_nobody_and_no_hire_coming_hands_its_work_over():
    m = model(centralisation=0.5, ai_staff_per_1000=20.0)
    team = m.embedded_team(1)
    uc = finished_pilot(m, team, Stage.PRODUCTION)
    m.levers["centralisation"] = 1.0  # no embedded teams wanted any more
    team.headcount = {}
    m.run_for(1)
    assert team not in m.teams and m.embedded_team(1) is None
    assert uc.team is m.coe and not m.talent.openings[1]


def test_everyone_leaving_every_week_breaks_nothing():
    everyone = TalentParams(base_attrition=1.0, max_attrition=1.0)
    m = model(everyone, centralisation=0.5, ai_staff_per_1000=20.0, pilot_launch_rate=20.0)
    m.run_for(1)
    assert m.ai_headcount == 0 and m.coe is None and m.teams  # all waiting for their hires
    assert all(m.embedded_team(u) is None for u in range(4))
    m.run_for(80)
    ts = m.datacollector.get_model_vars_dataframe()
    assert (ts["ai_headcount"] >= 0).all() and ts["ai_headcount"].max() > 0
    assert m.counters["ai_staff_left"] == m.counters["ai_staff_hired"] + int(ts["ai_headcount"][0]
                                                                            - m.ai_headcount)


# --- outputs and reproducibility --------------------------------------------------------------


def test_headcount_follows_hires_and_departures_and_the_salary_bill_follows_it():
    r = simulate({**SMALL, "ai_staff_per_1000": 20.0}, seed=5, steps=156)
    ts, m = r.timeseries, r.model
    assert (ts["ai_headcount"] == ts["ai_headcount"][0] + ts["ai_staff_hired"]
            - ts["ai_staff_left"]).all()
    assert m.ai_headcount == sum(t.size for t in m.talent.teams.values())
    assert r.outcomes["ai_staff_left"] > 0 and r.outcomes["ai_staff_hired"] > 0
    assert r.outcomes["ai_headcount"] == m.ai_headcount


def test_same_seed_same_staff_history_different_seed_different():
    cols = ["ai_headcount", "ai_staff_left", "ai_staff_hired"]
    a = simulate({**SMALL, "ai_staff_per_1000": 20.0}, seed=11, steps=156)
    b = simulate({**SMALL, "ai_staff_per_1000": 20.0}, seed=11, steps=156)
    c = simulate({**SMALL, "ai_staff_per_1000": 20.0}, seed=12, steps=156)
    pd.testing.assert_frame_equal(a.timeseries[cols], b.timeseries[cols])
    assert not a.timeseries[cols].equals(c.timeseries[cols])
