"""The use-case pipeline: pilots launched, capacity spent, the production gate, production life.

Each mechanism is one function of the model, called in this order by
:meth:`EnterpriseModel.step`, and each can be tested alone.

Sources for the mechanisms: data work takes most of a pilot's effort (CrowdFlower 2016,
Anaconda 2020); pilots stall between proof of concept and production for want of
infrastructure, business commitment or approval ("pilot purgatory"; Gartner 2019-2024,
MIT NANDA 2025); production models decay and need monitoring and retraining (Sculley et al.
2015, "Hidden technical debt in machine learning systems").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aiscale_sim import portfolio
from aiscale_sim.agents import AITeam, UseCase
from aiscale_sim.states import Stage

if TYPE_CHECKING:
    from aiscale_sim.model import EnterpriseModel

@dataclass(frozen=True)
class PipelineParams:
    """Constants of the use-case pipeline (calibration, not levers).

    Args:
        idea_backlog_weeks: Weeks an idea waits for a pilot slot before it is dropped.
        pilot_pace: Person-weeks per week one pilot can absorb at most.
        model_effort: Person-weeks of modelling work for a pilot of difficulty 0.5.
        data_effort: Person-weeks of data work for full data needs on unready data.
        federated_duplication: Extra effort for teams that each build their own tooling.
        maintenance: Person-weeks per week one production model needs on an immature platform.
        retrain_effort: Person-weeks to retrain a drifted model.
        drift: Weekly gradual loss of model quality.
        shock_rate: Weekly probability of a sudden shift (data or business change).
        incident_rate: Weekly probability that unnoticed degradation becomes an incident.
        retire_rate: Weekly base probability that a live use case is retired.
        copy_rate: Weekly probability that a mature live use case is copied to another unit.
        data_rate: Weekly growth of data readiness at saturated investment.
        platform_rate: Weekly growth of platform maturity at saturated investment.
        value_scale: Median yearly value of a use case at full quality and adoption, $M.
        salary: Loaded yearly cost of one AI FTE, $M.
        training_cost: Cost of one training hour (trainer plus time), $.
        pilot_cost: Weekly compute and tooling cost of an active pilot, $M.
        run_cost: Weekly run cost of a live model, $M.
    """

    idea_backlog_weeks: int = 26
    pilot_pace: float = 1.25
    model_effort: float = 10.0
    data_effort: float = 30.0
    federated_duplication: float = 0.25
    maintenance: float = 0.6
    retrain_effort: float = 3.0
    drift: float = 0.003
    shock_rate: float = 0.01
    incident_rate: float = 0.1
    retire_rate: float = 0.007
    copy_rate: float = 0.002
    data_rate: float = 0.01
    platform_rate: float = 0.012
    value_scale: float = 1.3
    salary: float = 0.18
    training_cost: float = 80.0
    pilot_cost: float = 0.003
    run_cost: float = 0.004


# --- 1. launching pilots --------------------------------------------------------------------


#: Idea arrivals are drawn a year at a time (see :func:`propose_ideas`).
IDEA_BLOCK_WEEKS = 52


def idea_rates(model: EnterpriseModel) -> np.ndarray:
    """Expected new ideas per week in each unit (more in experimenting cultures)."""
    lv = model.levers
    experimentation = np.array([u.experimentation for u in model.units])
    return (lv["pilot_launch_rate"] / 52.0 * (0.6 + 0.8 * experimentation)
            * (1.0 + lv["pilot_count_incentive"]))


def draw_ideas(rates: np.ndarray, rng: np.random.Generator, value_scale: float,
               weeks: int, mix: portfolio.IdeaMix | None = None,
               mix_rng: np.random.Generator | None = None) -> list[list[tuple]]:
    """Draw ``weeks`` weeks of idea arrivals at once.

    Returns, for each week, one tuple ``(unit, value_potential, difficulty, data_needs, risk,
    infra_need, commit_need, kind, bought)`` per new idea, in unit order. The draws: the number
    of ideas of every unit in every week (Poisson), then each attribute for all of them
    together; then, from ``mix_rng``, each idea's class and sourcing
    (:func:`portfolio.draw_kinds`), which decide where its draws land
    (:func:`portfolio.shape_ideas`). Without a ``mix`` every idea is a classic build.
    """
    n_units = len(rates)
    counts = rng.poisson(rates, size=(weeks, n_units))
    k = int(counts.sum())
    units = np.repeat(np.tile(np.arange(n_units), weeks), counts.ravel())
    draws = [rng.lognormal(0.0, 1.0, k), rng.beta(2.0, 2.0, k), rng.beta(3.0, 2.0, k),
             rng.random(k), rng.random(k), rng.random(k)]
    if mix is None:
        kind, bought = np.zeros(k, dtype=np.int64), np.zeros(k, dtype=bool)
    else:
        kind, bought = portfolio.draw_kinds(mix, mix_rng, k)
    attributes = portfolio.shape_ideas(kind, bought, units, draws[0], value_scale, *draws[1:],
                                       mix=mix)
    rows = list(zip(units.tolist(), *(a.tolist() for a in attributes), kind.tolist(),
                    bought.tolist(), strict=True))
    ends = np.cumsum(counts.sum(axis=1)).tolist()
    return [rows[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


def propose_ideas(model: EnterpriseModel) -> list[UseCase]:
    """Each unit puts forward new AI ideas (Poisson, more in experimenting cultures).

    Arrivals are drawn :data:`IDEA_BLOCK_WEEKS` weeks at a time from the ``ideas`` stream
    (:func:`draw_ideas`); this week's are taken from the front. Levers are fixed during a
    run, but should the arrival rate change, the rest of the block is drawn again.
    """
    rates = idea_rates(model)
    mix = portfolio.idea_mix(model)
    queue = model.idea_queue
    if not queue or not np.array_equal(rates, model.idea_queue_rates) or (
            mix != model.idea_queue_mix):
        queue.clear()
        queue.extend(draw_ideas(rates, model.streams["ideas"], model.pipeline_params.value_scale,
                                IDEA_BLOCK_WEEKS, mix, model.streams["portfolio"]))
        model.idea_queue_rates = rates
        model.idea_queue_mix = mix
    new = []
    for unit, value, difficulty, data_needs, risk, infra, commit, kind, bought in queue.popleft():
        uc = UseCase(model, unit=unit, value_potential=value, difficulty=difficulty,
                     data_needs=data_needs, risk=risk, infra_need=infra, commit_need=commit,
                     kind=kind, bought=bought)
        model.units[unit].portfolio.append(uc)
        new.append(uc)
    return new


def _feasibility(data_readiness, difficulty, risk):
    """The feasibility formula, for numbers or numpy arrays alike."""
    return (1.0 - difficulty) * (0.5 + 0.5 * data_readiness) * (1.0 - 0.15 * risk)


def feasibility(model: EnterpriseModel, uc: UseCase) -> float:
    """Expected chance of success, 0-1, as leadership would judge it."""
    return float(_feasibility(model.units[uc.unit].data_readiness, uc.difficulty, uc.risk))


def pilot_slots(model: EnterpriseModel) -> int:
    """Pilots that may be started this week: capacity-limited, stretched by vanity incentives."""
    pp = model.pipeline_params
    free = sum(max(0.0, t.capacity - t.maintenance_load) for t in model.teams)
    limit = free / pp.pilot_pace * (1.0 + 1.5 * model.levers["pilot_count_incentive"])
    return max(0, int(limit) - model.count_stage(Stage.PILOT))


def by_value_feasibility(model: EnterpriseModel, ideas: list[UseCase]) -> list[UseCase]:
    """Ideas with feasibility of at least 0.25, best value times feasibility first.

    :func:`feasibility` worked out for the whole backlog at once; ties keep backlog order.
    """
    if not ideas:
        return []
    dr = np.array([u.data_readiness for u in model.units])
    unit = np.array([uc.unit for uc in ideas])
    difficulty = np.array([uc.difficulty for uc in ideas])
    risk = np.array([uc.risk for uc in ideas])
    value = np.array([uc.value_potential for uc in ideas])
    feas = _feasibility(dr[unit], difficulty, risk)
    keep = np.flatnonzero(feas >= 0.25)
    order = keep[np.argsort(-value[keep] * feas[keep], kind="stable")]
    return [ideas[i] for i in order.tolist()]


def launch_pilots(model: EnterpriseModel) -> list[UseCase]:
    """Turn backlog ideas into pilots under the prioritisation policy, within capacity.

    ``launch_everything`` starts ideas first come, first served; ``value_feasibility`` ranks
    them by value times feasibility and never starts one whose feasibility is below 0.25.
    """
    lv, rng = model.levers, model.streams["pilots"]
    propose_ideas(model)
    # Ideas that waited too long are dropped (they never became pilots). The backlog is in
    # order of arrival, so the old ones are at its front.
    ideas = model.use_cases_in(Stage.IDEA)
    now, wait = int(model.time), model.pipeline_params.idea_backlog_weeks
    old = 0
    while old < len(ideas) and now - ideas[old].stage_week >= wait:
        model.drop_idea(ideas[old])
        old += 1
    ideas = ideas[old:]
    slots = pilot_slots(model)
    if lv["prioritisation"] == "value_feasibility":
        ideas = by_value_feasibility(model, ideas)
    launched = ideas[:slots]
    for uc in launched:
        start_pilot(model, uc, vanity=bool(rng.random() < 0.6 * lv["pilot_count_incentive"]))
    return launched


def pilot_effort(model: EnterpriseModel, uc: UseCase, team: AITeam) -> tuple[float, float]:
    """Person-weeks a pilot needs, and how many of them are data work.

    Data work grows with the use case's data needs and shrinks as the unit's data readiness
    rises; platform reuse cuts all effort, more for teams with high standards; federated teams
    duplicate tooling; engineers do data work faster.
    """
    pp = model.pipeline_params
    dr = model.units[uc.unit].data_readiness
    modelling = pp.model_effort * (0.5 + uc.difficulty)
    data = pp.data_effort * uc.data_needs * (1.15 - dr) / (0.7 + 0.6 * team.engineer_share)
    modelling, data = portfolio.sourced_effort(model, uc, modelling, data)
    reuse = 1.0 - 0.5 * model.platform_maturity * (0.5 + 0.5 * team.standards)
    dup = 1.0 if team.is_coe else 1.0 + pp.federated_duplication
    if uc.origin is not None:  # a copy reuses the original's pipeline and model
        modelling *= 0.5
        data *= 0.6
        reuse *= 1.0 - 0.4 * model.platform_maturity
    return (modelling + data) * reuse * dup, data * reuse * dup


def choose_team(model: EnterpriseModel, uc: UseCase) -> AITeam:
    """Give a pilot to the unit's embedded team or the CoE, in proportion to their capacity."""
    embedded = model.embedded_team(uc.unit)
    coe = model.coe
    if coe is None and embedded is None:
        # Fewer AI staff than units and no CoE: borrow the least-loaded team of another unit.
        return min(model.teams, key=lambda t: (t.maintenance_load / max(t.capacity, 1e-9)))
    if coe is None:
        return embedded
    if embedded is None:
        return coe
    share = embedded.capacity / (embedded.capacity + coe.capacity / len(model.units))
    return embedded if model.streams["pilots"].random() < share else coe


def start_pilot(model: EnterpriseModel, uc: UseCase, vanity: bool = False) -> None:
    """Start a pilot: assign a team, size the effort, count it as launched."""
    uc.team = choose_team(model, uc)
    uc.vanity = vanity
    uc.effort_required, uc.data_effort = pilot_effort(model, uc, uc.team)
    uc.pilot_week = int(model.time)
    uc.set_stage(Stage.PILOT)
    model.counters["pilots_launched"] += 1
    if vanity:
        model.counters["vanity_pilots"] += 1


# --- 2. spending capacity -------------------------------------------------------------------


def maintenance_need(model: EnterpriseModel, uc: UseCase) -> float:
    """Person-weeks per week a live model needs (monitoring, fixes, retraining)."""
    return _maintenance_need(model, uc.drift_detected)


def _maintenance_need(model: EnterpriseModel, drift_detected: bool) -> float:
    pp = model.pipeline_params
    need = pp.maintenance * (1.0 - 0.6 * model.platform_maturity)
    if drift_detected:
        need += pp.retrain_effort
    return need


def spend_capacity(model: EnterpriseModel) -> None:
    """AI teams spend this week's capacity: production models first, then pilots.

    The CoE is one queue: pilots get capacity in launch order, each up to ``pilot_pace``.
    Embedded teams work in parallel, sharing their capacity evenly among their own pilots.
    """
    pp, counters = model.pipeline_params, model.counters
    rng = model.streams["production"]
    live_by_team: dict[AITeam, list[UseCase]] = {}
    for uc in model.live_use_cases():
        live_by_team.setdefault(uc.team, []).append(uc)
    pilots_by_team: dict[AITeam, list[UseCase]] = {}
    for uc in model.use_cases_in(Stage.PILOT):
        pilots_by_team.setdefault(uc.team, []).append(uc)
    steady, drifted = _maintenance_need(model, False), _maintenance_need(model, True)
    for team in model.teams:
        own_live = live_by_team.get(team, ())
        n_drifted = sum(1 for uc in own_live if uc.drift_detected)
        load = steady * (len(own_live) - n_drifted) + drifted * n_drifted
        team.maintenance_load = load
        cover = 1.0 if load <= 0 else min(1.0, team.capacity / load)
        team.maintenance_coverage = cover
        for uc in own_live:
            uc.maintained = cover
            if uc.drift_detected and rng.random() < cover:
                uc.quality = uc.quality0  # retrained
                uc.drift_detected = False
                counters["retrainings"] += 1
        free = max(0.0, team.capacity - load)
        own = pilots_by_team.get(team)
        if not own:
            team.spent_on_pilots = 0.0
            continue
        if team.is_coe:
            # One queue: full pace for the first pilots, the remainder for the next one,
            # nothing for the rest (which are skipped below).
            grants = []
            for _uc in own:
                if free <= 0.0:
                    break
                g = min(pp.pilot_pace, free)
                grants.append(g)
                free -= g
        else:
            each = min(pp.pilot_pace, free / len(own))
            grants = [each] * len(own) if each > 0.0 else []
        team.spent_on_pilots = float(sum(grants))
        dk = team.domain_knowledge.tolist()  # scalar updates below: faster on a list
        data_weeks = 0.0
        for uc, g in zip(own, grants, strict=False):  # pilots beyond the grants get nothing
            uc.effort_done += g
            if uc.effort_required:
                data_weeks += g * (uc.data_effort / uc.effort_required)
            # Working with a unit teaches a team its business.
            dk[uc.unit] = min(0.95, dk[uc.unit] + 0.004 * g)
        team.domain_knowledge[:] = dk
        counters["pilot_person_weeks"] += team.spent_on_pilots
        counters["data_person_weeks"] += data_weeks


# --- 3. the production gate -----------------------------------------------------------------


def infrastructure_capability(model: EnterpriseModel, uc: UseCase) -> float:
    """Production infrastructure available to a use case, 0-1.

    Platform maturity (as used by a team with the owner's standards), ML/MLOps engineers, less
    the unit's legacy-integration burden.
    """
    team = uc.team
    unit = model.units[uc.unit]
    ops = min(1.0, team.ops_share / 0.3)
    return float(model.platform_maturity * (0.6 + 0.4 * team.standards) + 0.35 * ops
                 - 0.25 * unit.legacy_burden)


def unit_commitment(model: EnterpriseModel, uc: UseCase) -> float:
    """The unit's commitment to take a use case live, 0-1.

    Sponsor commitment, clear success criteria, the team's knowledge of the business, and staff
    readiness to use AI. Pilots launched to hit a pilot-count target have no real sponsor.
    """
    unit = model.units[uc.unit]
    lv = model.levers
    sponsor = unit.sponsor_commitment * (0.4 if uc.vanity else 1.0)
    return float(0.45 * sponsor + 0.25 * lv["success_criteria_clarity"]
                 + 0.15 * uc.team.domain_knowledge[uc.unit] + 0.1 * unit.data_driven
                 + 0.2 * model.unit_readiness[uc.unit])


def technical_success_probability(model: EnterpriseModel, uc: UseCase) -> float:
    """Chance that a finished pilot works technically."""
    dr = model.units[uc.unit].data_readiness
    dk = uc.team.domain_knowledge[uc.unit]
    p = 0.92 - 0.45 * uc.difficulty + 0.15 * (dk - 0.5) + 0.15 * (dr - 0.3)
    if uc.origin is not None:
        p += 0.15
    p += portfolio.proven_bonus(model, uc)
    return float(np.clip(p, 0.05, 0.98))


def governance_delay(model: EnterpriseModel, uc: UseCase) -> int:
    """Weeks of review before go-live: longer with rigour and for riskier use cases."""
    return int(round(model.levers["governance_rigour"] * (2.0 + 5.0 * uc.risk)))


def gate_failure(model: EnterpriseModel, uc: UseCase) -> str | None:
    """The first non-technical gate test a working pilot fails, or None if it passes."""
    if infrastructure_capability(model, uc) < uc.infra_need:
        return "infrastructure"
    if unit_commitment(model, uc) < uc.commit_need:
        return "commitment"
    if uc.governance_wait is None:
        uc.governance_wait = governance_delay(model, uc)
    if uc.governance_wait > 0:
        uc.governance_wait -= 1
        return "governance"
    return None


def production_gate(model: EnterpriseModel) -> None:
    """Finished pilots face the gate; pilots in purgatory are tested again or time out."""
    rng = model.streams["pilots"]
    timeout = model.levers["purgatory_timeout"]
    for uc in model.use_cases_in(Stage.PILOT):
        if uc.effort_done < uc.effort_required:
            continue
        uc.technical_ok = bool(rng.random() < technical_success_probability(model, uc))
        if not uc.technical_ok:
            abandon(model, uc, "technical")
            continue
        reason = gate_failure(model, uc)
        if reason is None:
            go_live(model, uc)
        else:
            uc.reason = reason
            uc.set_stage(Stage.PURGATORY)
            model.counters[f"purgatory_entries_{reason}"] += 1
    for uc in model.use_cases_in(Stage.PURGATORY):
        if uc.stage_week == int(model.time):
            continue  # entered this week
        reason = gate_failure(model, uc)
        if reason is None:
            go_live(model, uc)
        elif uc.weeks_in_stage >= timeout:
            abandon(model, uc, reason)
        else:
            uc.reason = reason


def abandon(model: EnterpriseModel, uc: UseCase, reason: str) -> None:
    """Abandon a pilot, recording why."""
    uc.reason = reason
    uc.set_stage(Stage.ABANDONED)
    model.counters[f"abandoned_{reason}"] += 1
    model.counters["pilots_abandoned"] += 1


def go_live(model: EnterpriseModel, uc: UseCase) -> None:
    """Put a use case into production."""
    uc.reason = None
    uc.set_stage(Stage.PRODUCTION)
    uc.production_week = int(model.time)
    draw = model.streams["pilots"].random()
    uc.quality0 = float(np.clip(0.75 + 0.2 * draw - 0.15 * uc.difficulty, 0.3, 1))
    uc.quality = uc.quality0
    uc.maintained = 1.0
    model.counters["pilots_reached_production"] += 1
    model.time_to_production.append(int(model.time) - uc.pilot_week)
    origin = uc.origin
    if origin is not None and origin.stage == Stage.PRODUCTION:
        origin.set_stage(Stage.SCALED)
        origin.scaled_week = int(model.time)
        model.counters["use_cases_scaled_ever"] += 1


# --- 4. life in production ------------------------------------------------------------------


def production_life(model: EnterpriseModel) -> None:
    """Drift, monitoring, incidents, retirement and horizontal scaling of live use cases.

    Each live use case gets one row of six uniform draws a week (shock, shock size, detection,
    incident, retirement, copy), whether or not each is needed, so one use case's fate does not
    shift the random numbers of the others.
    """
    pp, rng, lv = model.pipeline_params, model.streams["production"], model.levers
    live = model.live_use_cases()
    if not live:
        return
    rigour = lv["governance_rigour"]
    monitoring = (0.15 + 0.75 * model.platform_maturity) * (0.7 + 0.3 * rigour)
    p_incident = pp.incident_rate * (1.0 - 0.7 * rigour)
    base_hazard = pp.retire_rate * (1.0 - 0.5 * model.platform_maturity)
    p_copy = pp.copy_rate * (0.3 + model.platform_maturity) * (0.5 + 0.5 * lv["centralisation"])
    n_units = len(model.units)
    now = int(model.time)
    draws = rng.random((len(live), 6)).tolist()
    hazards = portfolio.weekly_hazards(model, live)  # of each use case's class
    for uc, (u_shock, u_size, u_detect, u_incident, u_retire, u_copy), (
            drift, vendor_loss, hallucinated) in zip(live, draws, hazards, strict=True):
        # Gradual drift plus sudden shocks (data or business shifts, vendor model changes).
        uc.quality -= pp.drift * (1.0 + 0.5 * uc.risk) * drift
        if u_shock < pp.shock_rate * drift:
            uc.quality -= 0.1 + 0.2 * u_size
        uc.quality -= vendor_loss
        uc.quality = max(0.0, uc.quality)
        degraded = uc.quality < uc.quality0 - 0.1
        if degraded and not uc.drift_detected:
            if u_detect < monitoring * uc.maintained:
                uc.drift_detected = True  # retraining is paid for from capacity next week
            elif uc.quality < 0.55 and u_incident < p_incident:
                incident(model, uc)
        if hallucinated:
            incident(model, uc)
        # Retirement: business change, neglect, or repeated incidents.
        hazard = base_hazard + 0.01 * (1.0 - uc.maintained)
        if uc.incidents >= 3 or u_retire < hazard:
            uc.set_stage(Stage.RETIRED)
            model.counters["use_cases_retired"] += 1
            continue
        # Horizontal scaling: copy a mature, healthy use case to a unit that lacks it.
        if (uc.origin is None and uc.quality > 0.55 and now - uc.production_week >= 26
                and u_copy < p_copy and len(active_copies(uc)) < n_units - 1):
            copy_use_case(model, uc)


def active_copies(uc: UseCase) -> list[UseCase]:
    """Copies of ``uc`` still being built, waiting or live; a failed copy frees its unit."""
    return [c for c in uc.copies if c.stage not in (Stage.ABANDONED, Stage.RETIRED)]


def copy_use_case(model: EnterpriseModel, uc: UseCase) -> UseCase | None:
    """Start a pilot that copies ``uc`` to another unit that does not have it yet."""
    taken = {uc.unit} | {c.unit for c in active_copies(uc)}
    free = [u.index for u in model.units if u.index not in taken]
    if not free:
        return None
    target = int(model.streams["production"].choice(free))
    copy = UseCase(model, unit=target, value_potential=portfolio.copy_value(model, uc, target),
                   difficulty=uc.difficulty * 0.7, data_needs=uc.data_needs, risk=uc.risk,
                   infra_need=uc.infra_need * 0.8, commit_need=uc.commit_need * 0.8,
                   origin=uc, kind=uc.kind, bought=uc.bought)
    uc.copies.append(copy)
    model.units[target].portfolio.append(copy)
    start_pilot(model, copy)
    model.counters["copies_started"] += 1
    return copy


def incident(model: EnterpriseModel, uc: UseCase) -> None:
    """An unnoticed degradation hurts users: trust in the unit drops; the model is patched."""
    uc.incidents += 1
    model.counters["incidents"] += 1
    model.unit_incident[uc.unit] += 0.15
    uc.drift_detected = True


# --- 5. organisation-level investment -------------------------------------------------------


def invest(model: EnterpriseModel) -> None:
    """Data and platform investment slowly raise data readiness and platform maturity.

    A CoE builds one shared platform; federated teams spread the same money thinner.
    """
    pp, lv = model.pipeline_params, model.levers
    size = (lv["employees"] / 5000.0) ** 0.5
    d_eff = 1.0 - np.exp(-lv["data_investment"] / 1.0)
    for unit in model.units:
        unit.data_readiness += pp.data_rate * d_eff * (1.0 - unit.data_readiness)
    p_eff = 1.0 - np.exp(-lv["platform_investment"] / (2.0 * size))
    model.platform_maturity += (pp.platform_rate * p_eff * (0.5 + 0.5 * lv["centralisation"])
                                * (1.0 - model.platform_maturity))


# --- 6. value and cost ----------------------------------------------------------------------


def weekly_value(model: EnterpriseModel) -> float:
    """Value realised this week, $M: only live use cases, scaled by quality and adoption."""
    total = 0.0
    adoption = model.unit_adoption
    floor = portfolio.value_without_users(model)  # by class
    for uc in model.live_use_cases():
        v = floor[uc.kind]
        total += uc.value_potential / 52.0 * uc.quality * (v + (1.0 - v) * adoption[uc.unit])
    return total


def weekly_cost(model: EnterpriseModel) -> float:
    """Cost incurred this week, $M: staff, training, change, incentives, investment, compute.

    Vendor licences and switching costs are added by :func:`portfolio.licence_cost`.
    """
    pp, lv = model.pipeline_params, model.levers
    n = lv["employees"]
    yearly = (
        model.ai_headcount * pp.salary
        + lv["training_hours"] * n * pp.training_cost / 1e6
        + lv["change_management"] * n / 1e6
        + lv["adoption_incentive"] * model.n_adopted / 1e6
        + lv["data_investment"] * lv["business_units"]
        + lv["platform_investment"]
    )
    running = (pp.pilot_cost * model.count_stage(Stage.PILOT)
               + pp.run_cost * len(model.live_use_cases()))
    return yearly / 52.0 + running + portfolio.licence_cost(model)

