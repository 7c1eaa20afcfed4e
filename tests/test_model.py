"""Reproducibility, the org network, and each mechanism's direction of effect."""

import mesa
import numpy as np
import pandas as pd
import pytest
from builders import SMALL, live_use_case, new_use_case, small_model

from aiscale_sim import EnterpriseModel, simulate
from aiscale_sim.agents import AITeam, BusinessUnit, Employee, UseCase
from aiscale_sim.employees import (
    EmployeeParams,
    PolicyInputs,
    UnitInputs,
    bass_hazard,
    employee_step,
)
from aiscale_sim.network import MANAGER_WEIGHT
from aiscale_sim.outputs import MODEL_REPORTERS
from aiscale_sim.pipeline import (
    by_value_feasibility,
    copy_use_case,
    draw_ideas,
    feasibility,
    go_live,
    governance_delay,
    idea_rates,
    launch_pilots,
    maintenance_need,
    pilot_effort,
    pilot_slots,
    production_gate,
    production_life,
    propose_ideas,
    spend_capacity,
    start_pilot,
    team_rooms,
    weekly_value,
)
from aiscale_sim.states import Adoption, Role, Stage


def model(**levers):
    return small_model(**levers)


class MeanField:
    """A complete graph's influence: everyone sees the population mean."""

    def __init__(self, n):
        self.n = n

    def __matmul__(self, x):
        return np.full(self.n, np.mean(x))


# --- reproducibility -------------------------------------------------------------------------


def test_same_seed_same_history_different_seed_different_history():
    a = simulate({**SMALL}, seed=11, steps=80)
    b = simulate({**SMALL}, seed=11, steps=80)
    c = simulate({**SMALL}, seed=12, steps=80)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.outcomes == b.outcomes
    assert not a.timeseries.equals(c.timeseries)
    # The network itself is seeded from the model's rng.
    assert set(a.model.org.graph.edges) == set(b.model.org.graph.edges)
    assert set(a.model.org.graph.edges) != set(c.model.org.graph.edges)


def test_seed_none_is_recorded_and_repeatable():
    a = simulate({**SMALL}, seed=None, steps=20)
    assert isinstance(a.summary["seed"], int)
    b = simulate({**SMALL}, seed=a.summary["seed"], steps=20)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)


# --- agents and network ----------------------------------------------------------------------


def test_every_kind_of_agent_is_registered_with_mesa():
    m = model()
    m.run_for(30)
    kinds = set(m.agents_by_type)
    assert {Employee, BusinessUnit, AITeam, UseCase} <= kinds
    assert len(m.agents_by_type[Employee]) == SMALL["employees"]
    assert len(m.agents_by_type[BusinessUnit]) == SMALL["business_units"]
    e = m.employees[5]
    assert e.cell is m.grid[5] and e in e.cell.agents
    e.literacy = 0.123
    assert m.emp["literacy"][5] == 0.123


def test_employee_agents_are_made_on_first_use_with_the_ids_kept_for_them():
    early, late = model(), model()
    assert len(early.employees) == SMALL["employees"]  # made at week 0
    late.run_for(30)
    early.run_for(30)
    assert late._employees is None  # nothing in a run needs them
    n = SMALL["employees"]
    assert len(late.agents) == len(early.agents)  # made now, through Mesa's agent set
    assert [e.unique_id for e in late.employees] == [e.unique_id for e in early.employees]
    assert [e.unique_id for e in late.employees] == list(range(1, n + 1))
    assert {uc.unique_id for uc in late.use_cases} == {uc.unique_id for uc in early.use_cases}
    assert all(e.row == i for i, e in enumerate(late.employees))
    assert late.agents_by_type[Employee] is not None and Employee in late.agent_types
    pd.testing.assert_frame_equal(early.datacollector.get_model_vars_dataframe(),
                                  late.datacollector.get_model_vars_dataframe())
    fresh = model()
    assert fresh.grid[3].agents == [fresh.employees[3]]  # the space makes them too


def test_the_mesa_space_is_built_on_first_use_and_changes_nothing():
    early, late = model(), model()
    early_grid = early.grid  # built at week 0
    late.run_for(52)
    assert late._grid is None  # nothing in a run needs it
    e = late.employees[7]
    assert e.cell is late.grid[7] and e in e.cell.agents  # built now, on first use
    assert all(x.cell is late.grid[x.row] for x in late.employees)
    early.run_for(52)
    assert early.grid is early_grid
    pd.testing.assert_frame_equal(early.datacollector.get_model_vars_dataframe(),
                                  late.datacollector.get_model_vars_dataframe())
    assert set(early.org.graph.edges) == set(late.org.graph.edges)
    unplaced = EnterpriseModel(SMALL, rng=7, place_on_network=False)
    assert unplaced.grid is None and unplaced.employees[0].cell is None


def test_an_interrupted_space_build_leaves_no_half_built_space(monkeypatch):
    import aiscale_sim.model as model_module

    class Interrupted(model_module.OrgNetwork):
        def __getitem__(self, key):
            if key == 200:
                raise KeyboardInterrupt
            return super().__getitem__(key)

    m = model()
    monkeypatch.setattr(model_module, "OrgNetwork", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        m.grid  # noqa: B018
    assert m._grid is None and all(e._mesa_cell is None for e in m.employees)
    monkeypatch.undo()
    assert all(e.cell is m.grid[e.row] for e in m.employees)


def test_team_figures_follow_its_staff():
    m = model(centralisation=1.0)
    coe = m.coe
    before = (coe.size, coe.capacity)
    coe.headcount = {**coe.headcount, Role.ML_ENGINEER: coe.headcount.get(Role.ML_ENGINEER, 0)
                     + 50}
    assert (coe.size, coe.capacity) == (before[0] + 50, (before[0] + 50) * coe.PRODUCTIVITY)
    assert coe.ops_share > 0.5
    with pytest.raises(TypeError):
        coe.headcount[Role.MLOPS] = 3  # read-only: assign a new dict instead


def test_idea_arrivals_follow_a_change_of_culture():
    m = model()
    low = idea_rates(m)
    for u in m.units:
        u.experimentation = 1.0
    assert (idea_rates(m) > low).all()


def test_org_network_structure():
    m = model(span_of_control=5, centralisation=0.5)
    org = m.org
    role = org.role
    # A reporting tree: every non-head has a manager in the same unit, with at most span reports.
    business = role < Role.DATA_SCIENTIST
    reports = org.manager[business & (org.manager >= 0)]
    assert np.bincount(reports).max() <= 5 + m.embedded_team(0).size
    heads = np.flatnonzero(business & (org.manager < 0))
    assert len(heads) == SMALL["business_units"]
    assert (role[heads] == Role.EXECUTIVE).all()
    # Peer ties mostly inside units, some weak ties across.
    a = org.adjacency.tocoo()
    same = org.unit[a.row] == org.unit[a.col]
    assert 0.6 < same.mean() < 1.0
    # AI staff exist in CoE (team 0) and embedded teams, attached to the units they serve.
    assert (org.team == 0).any() and (org.team > 0).any()
    # Manager endorsement weighs more than a peer tie.
    i = int(np.flatnonzero((role == Role.FRONTLINE) & (org.manager >= 0))[0])
    row = org.influence.getrow(i)
    w = dict(zip(row.indices, row.data, strict=True))
    peers = [v for j, v in w.items() if j != org.manager[i]]
    assert w[org.manager[i]] == pytest.approx(MANAGER_WEIGHT * peers[0])
    assert row.sum() == pytest.approx(1.0)


def test_centralisation_moves_staff_between_coe_and_units():
    coe = model(centralisation=1.0, ai_staff_per_1000=20.0)
    fed = model(centralisation=0.0, ai_staff_per_1000=20.0)
    assert coe.coe is not None and not coe._embedded
    assert fed.coe is None and len(fed._embedded) == SMALL["business_units"]


# --- 1. launching pilots ---------------------------------------------------------------------


def test_vanity_incentives_launch_more_pilots():
    lo, hi = model(pilot_count_incentive=0.0), model(pilot_count_incentive=1.0)
    assert pilot_slots(hi) > pilot_slots(lo)
    lo.run_for(52)
    hi.run_for(52)
    assert hi.counters["pilots_launched"] > lo.counters["pilots_launched"]


def test_value_feasibility_never_launches_infeasible_ideas():
    m = model(prioritisation="value_feasibility")
    for _ in range(30):
        new_use_case(m, difficulty=0.99)
    launched = launch_pilots(m)
    assert all(uc.difficulty < 0.9 for uc in launched)


def test_ideas_arrive_at_their_poisson_rates_with_the_stated_attributes():
    m = model(pilot_launch_rate=30.0)
    rates = idea_rates(m)
    weeks = draw_ideas(rates, np.random.default_rng(1), 1.3, 3000)
    assert len(weeks) == 3000
    ideas = [idea for week in weeks for idea in week]
    units = np.array([i[0] for i in ideas])
    assert np.bincount(units, minlength=4) / 3000 == pytest.approx(rates, rel=0.08)
    assert all([i[0] for i in w] == sorted(i[0] for i in w) for w in weeks)  # unit order
    risk = np.bincount([i[4] for i in ideas], minlength=3) / len(ideas)
    assert risk == pytest.approx([0.5, 0.35, 0.15], abs=0.02)
    assert np.median([i[1] for i in ideas]) == pytest.approx(1.3, rel=0.05)
    assert np.mean([i[3] for i in ideas]) == pytest.approx(0.6, abs=0.01)  # Beta(3, 2)
    assert min(i[5] for i in ideas) >= 0.1 and max(i[6] for i in ideas) <= 0.65


def test_a_changed_launch_rate_takes_effect_the_same_week():
    m = model(pilot_launch_rate=30.0)
    assert sum(len(propose_ideas(m)) for _ in range(10)) > 0
    m.levers["pilot_launch_rate"] = 0.0
    assert all(propose_ideas(m) == [] for _ in range(60))


def test_value_feasibility_ranks_the_backlog_by_value_times_feasibility():
    m = model(prioritisation="value_feasibility")
    rng = np.random.default_rng(0)
    ideas = [new_use_case(m, unit=int(rng.integers(4)), value_potential=float(rng.lognormal()),
                          difficulty=float(rng.random()), risk=int(rng.integers(3)))
             for _ in range(60)]
    expected = sorted((uc for uc in ideas if feasibility(m, uc) >= 0.25),
                      key=lambda uc: -uc.value_potential * feasibility(m, uc))
    ranked = by_value_feasibility(m, ideas)
    assert 0 < len(ranked) < len(ideas)
    assert ranked == expected


def test_ideas_that_waited_too_long_are_dropped():
    m = model()
    old = [new_use_case(m) for _ in range(3)]
    m.time = 10.0
    young = [new_use_case(m) for _ in range(2)]
    m.time = float(m.pipeline_params.idea_backlog_weeks)
    for team in m.teams:  # no free capacity, so nothing is launched this week
        team.maintenance_load = team.capacity
    m.levers["pilot_launch_rate"] = 0.0
    assert launch_pilots(m) == []
    assert m.counters["ideas_dropped"] == 3
    assert m.use_cases_in(Stage.IDEA) == young
    assert not set(old) & set(m.use_cases)


def test_weekly_collector_records_what_mesas_collector_records():
    m = model()
    reference = mesa.DataCollector(model_reporters=MODEL_REPORTERS)
    reference.collect(m)
    for _ in range(60):
        m.run_for(1)
        reference.collect(m)
    ours = m.datacollector.get_model_vars_dataframe()
    assert len(ours) == 61 and ours["pilots_launched"].iloc[-1] > 0
    pd.testing.assert_frame_equal(ours, reference.get_model_vars_dataframe())


def test_weekly_collector_keeps_mesas_path_for_other_kinds_of_reporter():
    from aiscale_sim.model import WeeklyCollector
    from aiscale_sim.outputs import week

    m = model()
    dc = WeeklyCollector(model_reporters={"week": week, "weeks_run": "steps"})
    for _ in range(3):
        dc.collect(m)
        m.run_for(1)
    df = dc.get_model_vars_dataframe()
    assert df["week"].tolist() == [0, 1, 2] and df["weeks_run"].tolist() == [0, 1, 2]


def test_mismatched_influence_and_columns_are_refused():
    from aiscale_sim.employees import _matvec

    w = model().org.influence
    with pytest.raises(ValueError):
        _matvec(w, np.ones(w.shape[1] - 7))


def test_launches_are_limited_by_capacity():
    m = model(ai_staff_per_1000=20.0, centralisation=0.0, pilot_count_incentive=0.0)
    for u in range(200):
        new_use_case(m, unit=u % 4)
    rooms = team_rooms(m)
    launch_pilots(m)
    assert 0 < m.count_stage(Stage.PILOT) < 200
    for team, (pilots, _work) in rooms.items():
        assert sum(1 for uc in m.use_cases_in(Stage.PILOT) if uc.team is team) == pilots


# --- 2. spending capacity --------------------------------------------------------------------


def test_data_readiness_and_platform_cut_pilot_effort():
    m = model(centralisation=1.0)
    uc = new_use_case(m)
    team = m.coe
    m.units[0].data_readiness = 0.1
    low_dr, low_data = pilot_effort(m, uc, team)
    m.units[0].data_readiness = 0.9
    high_dr, high_data = pilot_effort(m, uc, team)
    assert high_dr < low_dr and high_data < low_data
    assert low_data / low_dr > 0.5  # data work is most of the effort on unready data
    m.platform_maturity = 0.9
    assert pilot_effort(m, uc, team)[0] < high_dr


def test_federated_teams_duplicate_effort():
    m = model(centralisation=0.5)
    uc = new_use_case(m)
    emb = m.embedded_team(0)
    emb.standards = m.coe.standards
    emb.headcount = dict(m.coe.headcount)
    assert pilot_effort(m, uc, emb)[0] > pilot_effort(m, uc, m.coe)[0]


def test_maintenance_need_of_a_healthy_and_a_drifted_model():
    m = model()
    uc = live_use_case(m)
    healthy = maintenance_need(m, uc)
    uc.drift_detected = True
    assert maintenance_need(m, uc) == pytest.approx(healthy + m.pipeline_params.retrain_effort)
    assert 0 < healthy < m.pipeline_params.retrain_effort


def test_maintenance_comes_before_pilots():
    m = model(centralisation=1.0)
    for _ in range(400):
        live_use_case(m, team=m.coe)
    pilot = new_use_case(m)
    start_pilot(m, pilot)
    pilot.team = m.coe
    spend_capacity(m)
    assert m.coe.maintenance_load > m.coe.capacity
    assert pilot.effort_done == 0.0


def test_coe_is_one_queue_embedded_teams_share():
    m = model(centralisation=1.0)
    pilots = [new_use_case(m, unit=u % 4) for u in range(40)]
    for uc in pilots:
        start_pilot(m, uc)
    spend_capacity(m)
    done = [uc.effort_done for uc in pilots]
    assert done[0] > 0 and done[-1] == 0  # first come, first served
    f = model(centralisation=0.0)
    pilots = [new_use_case(f, unit=0) for _ in range(6)]
    for uc in pilots:
        start_pilot(f, uc)
    spend_capacity(f)
    assert len({round(uc.effort_done, 12) for uc in pilots}) == 1  # shared evenly


# --- 3. the production gate ------------------------------------------------------------------


def finished_pilot(m, **kw):
    uc = new_use_case(m, **kw)
    start_pilot(m, uc)
    uc.effort_done = uc.effort_required
    return uc


def test_pilot_lacking_infrastructure_goes_to_purgatory_then_is_abandoned():
    m = model(purgatory_timeout=4, governance_rigour=0.0)
    uc = finished_pilot(m, infra_need=5.0, difficulty=0.0, commit_need=0.0)
    production_gate(m)
    assert uc.stage == Stage.PURGATORY and uc.reason == "infrastructure"
    for _ in range(5):
        m.time += 1
        production_gate(m)
    assert uc.stage == Stage.ABANDONED and uc.reason == "infrastructure"
    assert m.counters["abandoned_infrastructure"] == 1


def test_commitment_and_technical_failures_are_recorded():
    m = model(governance_rigour=0.0)
    uc = finished_pilot(m, infra_need=-5.0, commit_need=5.0, difficulty=0.0)
    production_gate(m)
    assert uc.stage == Stage.PURGATORY and uc.reason == "commitment"
    bad = finished_pilot(m, difficulty=1.0)
    m.units[0].data_readiness = 0.0
    fails = 0
    for _ in range(30):
        bad = finished_pilot(m, difficulty=1.0)
        production_gate(m)
        fails += bad.stage == Stage.ABANDONED and bad.reason == "technical"
    assert fails > 5


def test_governance_rigour_delays_go_live():
    assert governance_delay(model(governance_rigour=1.0), new_use_case(model(), risk=2)) > 5
    m = model(governance_rigour=0.0)
    assert governance_delay(m, new_use_case(m, risk=2)) == 0
    slow = model(governance_rigour=1.0)
    uc = finished_pilot(slow, infra_need=-5.0, commit_need=-5.0, difficulty=0.0, risk=2)
    weeks = 0
    while uc.stage != Stage.PRODUCTION and weeks < 30:
        slow.time += 1
        production_gate(slow)
        weeks += 1
    assert uc.stage == Stage.PRODUCTION and weeks >= governance_delay(slow, uc)


# --- 4. life in production -------------------------------------------------------------------


def run_production(rigour, platform, seeds=range(4), weeks=150):
    incidents = detected = 0
    for s in seeds:
        m = EnterpriseModel({**SMALL, "governance_rigour": rigour}, rng=s)
        m.platform_maturity = platform
        for _ in range(20):
            live_use_case(m, team=m.teams[0], risk=2)
        for _ in range(weeks):
            m.time += 1
            production_life(m)
            spend_capacity(m)
        incidents += m.counters["incidents"]
        detected += m.counters["retrainings"]
    return incidents, detected


def test_drift_degrades_quality():
    m = model()
    uc = live_use_case(m)
    q0 = uc.quality
    for _ in range(10):
        production_life(m)
    assert uc.quality < q0 or uc.stage == Stage.RETIRED


def test_governance_rigour_and_monitoring_reduce_incidents():
    lax, _ = run_production(rigour=0.0, platform=0.0)
    strict, _ = run_production(rigour=1.0, platform=0.0)
    assert strict < lax
    poor_mon, _ = run_production(rigour=0.0, platform=0.0)
    good_mon, retrained = run_production(rigour=0.0, platform=0.95)
    assert good_mon < poor_mon and retrained > 0


def test_incident_erodes_trust_in_that_unit():
    m = model()
    m.unit_incident[1] = 0.3
    unit = m.emp["unit"]
    before = m.emp["trust"].copy()
    m.update_employees()
    drop = before - m.emp["trust"]
    assert drop[unit == 1].mean() > drop[unit != 1].mean() + 0.05


def test_horizontal_scaling_copies_to_another_unit_and_marks_scaled():
    m = model()
    uc = live_use_case(m, unit=0)
    copy = copy_use_case(m, uc)
    assert copy.unit != 0 and copy.origin is uc and copy.stage == Stage.PILOT
    assert pilot_effort(m, copy, copy.team)[0] < pilot_effort(m, uc, copy.team)[0] + 1e-9
    go_live(m, copy)
    assert uc.stage == Stage.SCALED


# --- 5. employees ----------------------------------------------------------------------------


def employee_inputs(m, **policy):
    p = dict(training_hours=0.0, change=0.0, incentive=0.0, communication=0.0)
    p.update(policy)
    return m.unit_inputs(), PolicyInputs(**p)


def step_emps(m, weeks, **policy):
    for _ in range(weeks):
        ui, pi = employee_inputs(m, **policy)
        new = employee_step(m.emp, m.org.influence, ui, pi, m.employee_params,
                            m.rng.random(len(m.employees)))
        m.emp.update(new)
    return m.emp


def test_training_raises_literacy_which_fades_without_it():
    trained = step_emps(model(), 52, training_hours=20.0)["literacy"].mean()
    untrained = step_emps(model(), 52, training_hours=0.0)["literacy"].mean()
    assert trained > untrained + 0.05
    m = model()
    step_emps(m, 52, training_hours=40.0)
    high = m.emp["literacy"].mean()
    step_emps(m, 104, training_hours=0.0)
    assert m.emp["literacy"].mean() < high - 0.05


def test_communication_lowers_anxiety():
    quiet = step_emps(model(), 104, communication=0.0)["anxiety"].mean()
    honest = step_emps(model(), 104, communication=1.0, training_hours=20.0)["anxiety"].mean()
    assert honest < quiet - 0.05


def test_anxiety_spreads_over_ties():
    m = model()
    m.emp["anxiety"][:] = 0.0
    worried = int(np.flatnonzero(m.emp["role"] == Role.MANAGER)[0])
    m.emp["anxiety"][worried] = 1.0
    step_emps(m, 1)
    nbrs = m.org.adjacency.getrow(worried).indices
    assert (m.emp["anxiety"][nbrs] > 0).all()


def test_social_influence_and_tools_raise_adoption():
    def final_share(adopted_neighbours, tools):
        m = model()
        m.emp["stage"][:] = Adoption.AWARE
        if adopted_neighbours:
            m.emp["stage"][::2] = Adoption.ADOPTED
        for _ in range(26):
            ui = UnitInputs(value_signal=np.full(4, 0.5), tools=np.full(4, tools),
                            automation=np.zeros(4), incident=np.zeros(4),
                            rollout=np.full(4, tools))
            pi = PolicyInputs(0.0, 0.0, 0.0, 0.0)
            m.emp.update(employee_step(m.emp, m.org.influence, ui, pi, m.employee_params,
                                       m.rng.random(len(m.employees))))
        return np.mean(m.emp["stage"][1::2] != Adoption.AWARE)

    assert final_share(True, 0.25) > final_share(False, 0.25)
    assert final_share(False, 1.0) > final_share(False, 0.25)


def test_adoption_can_lapse_when_readiness_falls():
    m = model()
    m.emp["stage"][:] = Adoption.ADOPTED
    m.emp["threshold"][:] = 5.0  # nobody is ready any more
    step_emps(m, 52)
    assert (m.emp["stage"] == Adoption.LAPSED).mean() > 0.2


def test_bass_special_case_follows_the_bass_curve():
    """Everyone aware and ready, a complete graph: the share adopting follows Bass (1969)."""
    n, p, q = 20000, 0.03, 0.4
    rng = np.random.default_rng(5)
    params = EmployeeParams(bass_p=p, bass_q=q, try_to_adopt=1.0, try_to_reject=0.0, lapse=0.0,
                            temperature=1e-6, rollout=0.0)
    W = MeanField(n)
    cols = {"literacy": np.full(n, 0.5), "literacy0": np.full(n, 0.5),
            "trust": np.full(n, 0.5), "anxiety": np.zeros(n), "threshold": np.full(n, -10.0),
            "fit": np.ones(n), "unit": np.zeros(n, dtype=int),
            "role": np.zeros(n, dtype=np.int8),
            "stage": np.full(n, Adoption.AWARE, dtype=np.int8)}
    ui = UnitInputs(*(np.zeros(1) for _ in range(5)))
    pi = PolicyInputs(0.0, 0.0, 0.0, 0.0)
    weeks = 52 * 8
    share = []
    for _ in range(weeks):
        cols.update(employee_step(cols, W, ui, pi, params, rng.random(n)))
        share.append(np.isin(cols["stage"], [Adoption.TRYING, Adoption.ADOPTED]).mean())
    t = np.arange(1, weeks + 1) / 52.0
    bass = (1 - np.exp(-(p + q) * t)) / (1 + q / p * np.exp(-(p + q) * t))
    # Discrete weekly Bass recursion (the rule's own time step) within sampling noise...
    f, discrete = 0.0, []
    for _ in range(weeks):
        f = f + (p + q * f) / 52.0 * (1.0 - f)
        discrete.append(f)
    assert np.max(np.abs(np.array(share) - np.array(discrete))) < 0.025
    # ...and the continuous Bass curve up to the weekly discretisation.
    assert np.max(np.abs(np.array(share) - bass)) < 0.045
    assert bass_hazard(p, q, np.array([0.0]))[0] == pytest.approx(p / 52)


# --- 6. value and cost -----------------------------------------------------------------------


def test_value_comes_only_from_live_use_cases():
    m = model()
    uc = new_use_case(m)
    start_pilot(m, uc)
    assert weekly_value(m) == 0.0
    go_live(m, uc)
    assert weekly_value(m) > 0.0
    m.unit_adoption[:] = 1.0
    full = weekly_value(m)
    m.unit_adoption[:] = 0.0
    assert weekly_value(m) < full


def test_adoption_by_unit_and_role_from_python_api():
    r = simulate({**SMALL}, seed=4, steps=40)
    by_unit = r.adoption_by_unit()
    by_role = r.adoption_by_role()
    assert len(by_unit) == SMALL["business_units"]
    assert {"frontline", "manager", "executive"} <= set(by_role.index)
    assert ((by_unit >= 0) & (by_unit <= 1)).all()


def test_adopter_categories_follow_rogers_cut_points():
    r = simulate("baseline", seed=1, steps=260)
    cats = r.outcomes["adopter_categories"]
    assert list(cats) == ["innovators", "early_adopters", "early_majority", "late_majority",
                          "laggards"]
    assert sum(cats.values()) == pytest.approx(1.0)
    # Mean +- sd cut points on a roughly bell-shaped adoption-time distribution.
    assert cats["innovators"] < 0.1 and 0.2 < cats["early_majority"] < 0.5


def test_common_random_numbers_across_strategies():
    """Same seed, other levers: the same employees, units and weekly draws (paired runs)."""
    base = EnterpriseModel({**SMALL}, rng=9)
    for other in ({"centralisation": 1.0}, {"pilot_launch_rate": 25.0,
                                             "pilot_count_incentive": 1.0},
                  {"training_hours": 30.0, "governance_rigour": 1.0}):
        m = EnterpriseModel({**SMALL, **other}, rng=9)
        for col in ("threshold", "fit", "trust"):
            np.testing.assert_array_equal(m.emp[col], base.emp[col])
        business = ~base.is_ai_staff  # AI staff's starting values depend on their role mix
        for col in ("literacy0", "anxiety"):
            np.testing.assert_array_equal(m.emp[col][business], base.emp[col][business])
        assert [u.data_readiness for u in m.units] == [u.data_readiness for u in base.units]
        a = base.streams["weekly"].bit_generator.state
        assert m.streams["weekly"].bit_generator.state == a
    # Streams are independent of one another and of the seed's other uses.
    assert base.streams["weekly"].random() != base.streams["people"].random()


@pytest.mark.parametrize("compiled", [True, False])
def test_the_adoption_reporters_from_one_tally_equal_the_reporters(monkeypatch, compiled):
    from aiscale_sim import kernel, outputs

    if compiled and not kernel.AVAILABLE:
        pytest.skip("compiled code unavailable")
    monkeypatch.setattr(kernel, "AVAILABLE", compiled)
    m = EnterpriseModel({"employees": 400, "change_management": 500.0}, rng=3)
    for _ in range(6):
        tallied = outputs.tallied_values(m)
        assert set(tallied) == set(outputs.TALLIED)
        for name, reporter in outputs.TALLIED.items():
            assert tallied[name] == reporter(m), name
        m.run_for(10)
    m.emp["stage"][:] = 0  # a state no week produces: nobody aware, no AI staff adopting
    tallied = outputs.tallied_values(m)
    for name, reporter in outputs.TALLIED.items():
        assert tallied[name] == reporter(m), name
