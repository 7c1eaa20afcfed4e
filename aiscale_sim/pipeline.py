"""The use-case pipeline: pilots launched, capacity spent, the production gate, production life.

Each mechanism is one function of the model, called in this order by
:meth:`EnterpriseModel.step`, and each can be tested alone.

Sources for the mechanisms: data work takes most of a pilot's effort (CrowdFlower 2016,
Anaconda 2020); pilots stall between proof of concept and production for want of
infrastructure, business commitment or approval ("pilot purgatory"; Gartner 2019-2024,
MIT NANDA 2025); production models decay and need monitoring and retraining (Sculley et al.
2015, "Hidden technical debt in machine learning systems").

The functions take the model they act on, so this module names
:class:`~aiscale_sim.model.EnterpriseModel` (for type hints only) while the model imports them:
the model/agent circle of Mesa, the one circle of imports the package keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aiscale_sim import portfolio
from aiscale_sim.agents import AITeam, UseCase
from aiscale_sim.states import PURGATORY_REASONS, Stage

if TYPE_CHECKING:
    from aiscale_sim.model import EnterpriseModel

#: Expected cost of one incident by risk class (low, medium, high), $M: remediation plus, for
#: riskier classes, expected fines and redress. An assumption scaled well below the average
#: cost of a data breach (IBM 2024: $4.88M) and the EU AI Act's ceiling for breaches of
#: high-risk obligations (EUR 15M or 3% of turnover); see docs/ODD.md, section 7.5.
INCIDENT_COST = (0.1, 0.5, 2.0)


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
        deepen_rate: Weekly probability that a mature live use case is extended in its unit.
        max_extensions: Extensions a use case can have at most (built, waiting or live).
        extension_value: Value potential of an extension relative to the use case it extends.
        extension_modelling: Modelling effort of an extension relative to a new pilot's.
        extension_data: Data effort of an extension relative to a new pilot's.
        data_rate: Weekly growth of data readiness at saturated investment.
        platform_fte_per_unit: CoE FTE per business unit at which its platform and standards
            reach every embedded team.
        platform_rate: Weekly growth of platform maturity at saturated investment.
        integration_rate: Weekly relative fall of legacy burden at saturated integration
            investment.
        coe_intake_weeks: Weeks of work ahead a CoE accepts into its intake queue.
        coe_domain_cap: Highest domain knowledge a central team reaches of a unit's business.
        embedded_domain_cap: Highest domain knowledge a team reaches of a unit's business.
        science_on_data: Efficiency of a data scientist doing data or production work.
        engineer_on_modelling: Efficiency of an engineer doing a data scientist's modelling.
        translator_norm: Translator share of AI headcount at which every team is covered.
        translator_commitment: Rise of unit commitment at full translator coverage.
        vanity_value: Value potential of a vanity idea relative to a real business idea.
        risk_aversion: Fall of unit commitment for a high-risk use case with no governance.
        incident_sponsor_hit: Fall of a unit's sponsor commitment per incident.
        sponsor_recovery: Weekly share of the sponsor's lost commitment regained.
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
    copy_rate: float = 0.0015
    deepen_rate: float = 0.002
    max_extensions: int = 3
    extension_value: float = 0.4
    extension_modelling: float = 0.6
    extension_data: float = 0.3
    data_rate: float = 0.01
    platform_fte_per_unit: float = 1.0
    platform_rate: float = 0.012
    integration_rate: float = 0.01
    coe_intake_weeks: float = 13.0
    coe_domain_cap: float = 0.6
    embedded_domain_cap: float = 0.95
    science_on_data: float = 0.7
    engineer_on_modelling: float = 0.25
    translator_norm: float = 0.1
    translator_commitment: float = 0.1
    vanity_value: float = 0.3
    risk_aversion: float = 0.2
    incident_sponsor_hit: float = 0.05
    sponsor_recovery: float = 0.02
    value_scale: float = 2.0
    salary: float = 0.18
    training_cost: float = 80.0
    pilot_cost: float = 0.003
    run_cost: float = 0.004


# --- 1. launching pilots --------------------------------------------------------------------


#: Idea arrivals are drawn a year at a time (see :func:`propose_ideas`).
IDEA_BLOCK_WEEKS = 52


def idea_rates(model: EnterpriseModel) -> np.ndarray:
    """Expected new ideas per week in each unit (more in experimenting cultures).

    Pilot-count incentives add ideas on top, at ``pilot_count_incentive`` times the unit's own
    rate: the extra ideas are vanity ideas (see :func:`vanity_share`).
    """
    lv = model.levers
    experimentation = np.array([u.experimentation for u in model.units])
    return (lv["pilot_launch_rate"] / 52.0 * (0.6 + 0.8 * experimentation)
            * (1.0 + lv["pilot_count_incentive"]))


def vanity_share(pilot_count_incentive: float) -> float:
    """Share of new ideas put forward only to raise the pilot count.

    Rewarding leaders for pilots launched brings in "science projects disconnected from real
    business problems" (the source text, "Pilot purgatory" and "Avoiding vanity metrics"):
    the incentive adds ``pilot_count_incentive`` vanity ideas per real one.
    """
    return pilot_count_incentive / (1.0 + pilot_count_incentive)


def draw_ideas(rates: np.ndarray, rng: np.random.Generator, value_scale: float,
               weeks: int, mix: portfolio.IdeaMix | None = None,
               mix_rng: np.random.Generator | None = None, vanity: float = 0.0,
               vanity_value: float = 1.0) -> list[list[tuple]]:
    """Draw ``weeks`` weeks of idea arrivals at once.

    Args:
        rates: Expected ideas per week in each unit.
        rng: The ``ideas`` stream.
        value_scale: Median yearly value of a real business idea, $M.
        weeks: Weeks to draw.
        mix: Class and sourcing shares, seats and class table (None: every idea a classic
            build).
        mix_rng: The ``portfolio`` stream, for each idea's class and sourcing.
        vanity: Share of ideas that are vanity ideas (:func:`vanity_share`).
        vanity_value: Value potential of a vanity idea relative to a real one.

    Returns, for each week, one tuple ``(unit, value_potential, difficulty, data_needs, risk,
    infra_need, commit_need, kind, bought, vanity)`` per new idea, in unit order. The draws:
    the number of ideas of every unit in every week (Poisson), then each attribute for all of
    them together, the last a uniform that marks a vanity idea with probability ``vanity``
    (:func:`vanity_share`; its value is ``vanity_value`` times its draw); then, from
    ``mix_rng``, each idea's class and sourcing (:func:`portfolio.draw_kinds`), which decide
    where its draws land (:func:`portfolio.shape_ideas`). Without a ``mix`` every idea is a
    classic build.
    """
    n_units = len(rates)
    counts = rng.poisson(rates, size=(weeks, n_units))
    k = int(counts.sum())
    units = np.repeat(np.tile(np.arange(n_units), weeks), counts.ravel())
    draws = [rng.lognormal(0.0, 1.0, k), rng.beta(2.0, 2.0, k), rng.beta(3.0, 2.0, k),
             rng.random(k), rng.random(k), rng.random(k)]
    is_vanity = rng.random(k) < vanity
    if mix is None:
        kind, bought = np.zeros(k, dtype=np.int64), np.zeros(k, dtype=bool)
    else:
        kind, bought = portfolio.draw_kinds(mix, mix_rng, k)
    attributes = portfolio.shape_ideas(kind, bought, units, draws[0], value_scale, *draws[1:],
                                       mix=mix)
    attributes[0] = np.where(is_vanity, attributes[0] * vanity_value, attributes[0])
    rows = list(zip(units.tolist(), *(a.tolist() for a in attributes), kind.tolist(),
                    bought.tolist(), is_vanity.tolist(), strict=True))
    ends = np.cumsum(counts.sum(axis=1)).tolist()
    return [rows[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


def propose_ideas(model: EnterpriseModel) -> list[UseCase]:
    """Each unit puts forward new AI ideas (Poisson, more in experimenting cultures).

    Arrivals are drawn :data:`IDEA_BLOCK_WEEKS` weeks at a time from the ``ideas`` stream
    (:func:`draw_ideas`); this week's are taken from the front. Should anything that shapes
    arrivals change (the rates, the pilot-count incentive or the class and sourcing mix, e.g.
    in a phase of the scenario), the rest of the block is drawn again.
    """
    lv, pp = model.levers, model.pipeline_params
    rates = idea_rates(model)
    mix = portfolio.idea_mix(model)
    # The block is redrawn when anything that shapes arrivals changes.
    key = (*rates.tolist(), float(lv["pilot_count_incentive"]))  # (compared value by value)
    queue = model.idea_queue
    if not queue or key != model.idea_queue_key or (
            mix != model.idea_queue_mix):
        queue.clear()
        queue.extend(draw_ideas(rates, model.streams["ideas"], pp.value_scale, IDEA_BLOCK_WEEKS,
                                mix, model.streams["portfolio"],
                                vanity_share(lv["pilot_count_incentive"]), pp.vanity_value))
        model.idea_queue_key = key
        model.idea_queue_mix = mix
    new = []
    for (unit, value, difficulty, data_needs, risk, infra, commit, kind, bought,
         vanity) in queue.popleft():
        uc = UseCase(model, unit=unit, value_potential=value, difficulty=difficulty,
                     data_needs=data_needs, risk=risk, infra_need=infra, commit_need=commit,
                     kind=kind, bought=bought)
        uc.vanity = vanity
        model.units[unit].portfolio.append(uc)
        new.append(uc)
    return new


def _feasibility(data_readiness, difficulty, risk):
    """The feasibility formula, for numbers or numpy arrays alike."""
    return (1.0 - difficulty) * (0.5 + 0.5 * data_readiness) * (1.0 - 0.15 * risk)


def feasibility(model: EnterpriseModel, uc: UseCase) -> float:
    """Expected chance of success, 0-1, as leadership would judge it."""
    return float(_feasibility(model.units[uc.unit].data_readiness, uc.difficulty, uc.risk))


def technical_share(model: EnterpriseModel) -> float:
    """Share of AI headcount doing technical work; the rest are translators."""
    return 1.0 - model.levers["translator_share"]


def translator_coverage(model: EnterpriseModel) -> float:
    """How fully AI product managers / translators cover the teams' work with units, 0-1.

    Translators "understand both business needs and AI capabilities, translating between
    technical teams and business stakeholders" (the source text, "AI product managers"); a
    team is covered at ``translator_norm`` (a tenth) of its headcount.
    """
    return min(1.0, model.levers["translator_share"] / model.pipeline_params.translator_norm)


def free_capacity(model: EnterpriseModel, team: AITeam) -> float:
    """Person-weeks a team has left this week for pilots, after last week's maintenance load."""
    return max(0.0, team.capacity * technical_share(model) - team.maintenance_load)


def _stretch(model: EnterpriseModel) -> float:
    """Pilot-count incentives stretch capacity over more pilots than teams can staff."""
    return 1.0 + 1.5 * model.levers["pilot_count_incentive"]


def pilot_slots(model: EnterpriseModel) -> int:
    """Pilots all teams could staff at full pace this week, less those already running.

    Stretched by pilot-count incentives. (How many each team accepts is :func:`team_rooms`.)
    """
    pp = model.pipeline_params
    free = sum(free_capacity(model, t) for t in model.teams)
    limit = free / pp.pilot_pace * _stretch(model)
    return max(0, int(limit) - model.count_stage(Stage.PILOT))


def team_rooms(model: EnterpriseModel) -> dict[AITeam, list[float]]:
    """How much new pilot work each team accepts this week.

    An embedded team takes on what it can staff now: pilots at full pace from its free
    capacity (stretched by pilot-count incentives; at least one if it has any free capacity),
    less its running pilots (a count). The CoE
    runs an intake and prioritisation queue for all units (the source text: a CoE "can become a
    bottleneck as demand for AI grows"): it accepts pilots while the work still to do on its
    pilots is at most ``coe_intake_weeks`` of its free capacity (person-weeks), and always as
    many as it can staff now. Pilots accepted beyond what it can staff wait in its queue, so
    the wait grows with demand per CoE FTE (Little's law).

    Returns:
        For each team ``[pilots, work]``: pilots it can still staff at full pace, and
        person-weeks its intake queue still accepts (the CoE's; 0 for an embedded team). A team
        takes a new pilot while ``pilots >= 1`` or ``work > 0`` (see :func:`_has_room`).
    """
    pp = model.pipeline_params
    stretch = _stretch(model)
    running: dict[AITeam, list[UseCase]] = {t: [] for t in model.teams}
    for uc in model.use_cases_in(Stage.PILOT):
        running.setdefault(uc.team, []).append(uc)
    rooms = {}
    for team in model.teams:
        free = free_capacity(model, team) * stretch
        own = running[team]
        # A team with any free capacity can run at least one pilot, if slowly.
        staffable = max(1, int(free / pp.pilot_pace)) if free > 0.0 else 0
        pilots = float(staffable - len(own))
        work = 0.0
        if team.is_coe:
            work = free * pp.coe_intake_weeks - sum(uc.effort_required - uc.effort_done
                                                    for uc in own)
        rooms[team] = [pilots, work]
    return rooms


def _has_room(room: list[float]) -> bool:
    return room[0] >= 1.0 or room[1] > 0.0


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


#: Weeks of a budget year: week 1 starts the first, week 53 the second.
BUDGET_YEAR_WEEKS = 52


class BudgetRoom:
    """What a strategy's yearly budget still allows this week, as pilots are launched.

    A strategy with a ``[budget]`` has promised to spend at most its total in every budget
    year (:data:`BUDGET_YEAR_WEEKS`), everything included: staff, training, change
    management, incentives, data, platform, pilot compute, run costs and vendor licences
    (incident losses are not spending and are not capped). Launching a pilot commits money:
    its weekly cost once it runs in production (run cost and licence), for as long as it
    lives. A pilot is launched only if two things still fit after it:

    - this year's spending: what is spent so far, plus the committed weekly rate for every
      week left in the year, plus the salaries of the AI-staff openings from their start
      weeks (:func:`open_positions_cost`), at most the total. The committed rate is this
      week's spending at the current run rate, plus the expected rise as pilots being built
      or waiting in purgatory go live (:func:`expected_go_live_cost`), plus the new
      commitments;
    - the yearly run rate it leaves the next year: 52 weeks of that weekly rate and of the
      openings' salaries, at most the total (without it, money left at a year's end would buy
      pilots whose running costs overrun every year after).

    When nothing more fits, the strategy launches no more pilots (nor copies or extensions
    of live use cases) until there is room again; while this year's forecast is over the
    total, it also freezes hiring (:func:`aiscale_sim.talent.hiring_frozen`). Training and
    the other spend levers are fixed by the budget's split and are not cut, nor are staff laid
    off or live use cases retired. The rule is prudent, not exact: the first year ends under,
    while the first pilots start; measured, every later year ends within 5% of the total,
    most a few per cent under (docs/ODD.md, 7.11).

    Attributes:
        year: $M this budget year can still take.
        rate: $M a year the run rate can still rise by.
        weeks_left: Weeks left in the budget year, this one included.
    """

    def __init__(self, model: EnterpriseModel):
        cap = model.budget_cap
        now = int(model.time)
        self.weeks_left = BUDGET_YEAR_WEEKS - (now - 1) % BUDGET_YEAR_WEEKS
        weekly = weekly_cost(model) - model.incident_cost_week
        committed = weekly + expected_go_live_cost(model)
        hiring_year, hiring_week = open_positions_cost(model, self.weeks_left)
        self.year = cap - model.year_spending - self.weeks_left * committed - hiring_year
        self.rate = cap - BUDGET_YEAR_WEEKS * (committed + hiring_week)
        self.model = model
        self.held = model.counters.get("budget_bound_week") == now

    def take(self, weekly: float) -> bool:
        """Commit ``weekly`` $M a week if it fits (see the class); False if it does not."""
        if weekly * self.weeks_left > self.year or weekly * BUDGET_YEAR_WEEKS > self.rate:
            if not self.held:  # counted once a week: weeks in which the budget bound
                self.held = True
                self.model.counters["weeks_budget_bound"] += 1
                self.model.counters["budget_bound_week"] = int(self.model.time)
            return False
        self.year -= weekly * self.weeks_left
        self.rate -= weekly * BUDGET_YEAR_WEEKS
        return True


def expected_go_live_cost(model: EnterpriseModel) -> float:
    """How much more a week the pilots now being built or waiting are expected to cost live, $M.

    Each would cost :func:`pilot_commitment` once live instead of its compute and pilot
    licence now. For pilots being built the expected rise weighs that by the share of pilots
    that have gone live so far in this run (reached production over concluded, with one of
    each added so that it starts at a half). A pilot in purgatory waiting only for governance
    has passed the technical, infrastructure and commitment tests, and its wait is counted
    down to go-live: if the wait ends before the purgatory timeout, its rise is counted in
    full. Other pilots in purgatory are counted at what they cost now: most of them are
    abandoned.
    """
    c = model.counters
    reached = c["pilots_reached_production"]
    share = (reached + 1) / (reached + c["pilots_abandoned"] + 2)
    pp = model.pipeline_params

    def rise(uc: UseCase) -> float:
        return pilot_commitment(model, uc) - pp.pilot_cost - portfolio.licence_weekly(
            model, uc, False)

    building = sum(rise(uc) for uc in model.use_cases_in(Stage.PILOT))
    timeout = model.levers["purgatory_timeout"]
    waiting = stuck = 0.0
    for uc in model.use_cases_in(Stage.PURGATORY):
        if (uc.reason == "governance" and uc.governance_wait is not None
                and uc.weeks_in_stage + uc.governance_wait < timeout):
            waiting += rise(uc)
        else:
            stuck += rise(uc)
    return share * building + waiting + purgatory_go_live_share(model) * stuck


def purgatory_go_live_share(model: EnterpriseModel) -> float:
    """Share of the pilots that left purgatory so far in this run that went live, 0-1.

    Pilots leave purgatory by going live or by being abandoned at the timeout; those that went
    live are the entries less the abandoned and those still there. One of each is added, so
    that the share starts at a half, as :func:`expected_go_live_cost`'s share of concluded
    pilots does (the run's own record, no constant; assumed as the forecast's rule).
    """
    c = model.counters
    entered = sum(c[f"purgatory_entries_{r}"] for r in PURGATORY_REASONS)
    abandoned = sum(c[f"abandoned_{r}"] for r in PURGATORY_REASONS)
    went_live = entered - abandoned - model.count_stage(Stage.PURGATORY)
    return (went_live + 1) / (went_live + abandoned + 2)


def open_positions_cost(model: EnterpriseModel, weeks_left: int) -> tuple[float, float]:
    """What the AI-staff openings already opened will cost, $M: in this budget year, and a week.

    An opening is a hire on its way (:func:`aiscale_sim.talent.hire`): its salary is paid from
    its start week, for the ``weeks_left`` weeks left in the budget year (this one included)
    less the weeks until it starts; an opening whose start week has come and that waits in a
    hiring freeze (:func:`aiscale_sim.talent.hiring_frozen`) is counted as starting this week.
    Headcount forecasts cost open positions from their expected start dates, next to the staff
    in post (practitioners' headcount planning; assumed here as the forecast's rule). The
    weekly figure is every opening's salary, the run rate once all have started.
    """
    salary = model.pipeline_params.salary / 52.0
    now = int(model.time)
    year = weekly = 0.0
    for openings in model.talent.openings.values():
        for start, _ in openings:
            weekly += salary
            year += salary * max(0, weeks_left - max(0, start - now))
    return year, weekly


def budget_room(model: EnterpriseModel) -> BudgetRoom | None:
    """This week's :class:`BudgetRoom`, or None for a strategy without a budget."""
    return None if model.budget_cap is None else BudgetRoom(model)


def pilot_commitment(model: EnterpriseModel, uc: UseCase) -> float:
    """Weekly money a new pilot commits, $M: its run cost and licence once live.

    ``uc`` is the idea to launch, or the live use case to copy or extend (the new pilot has
    its class and sourcing); a licence is priced as of this week.
    """
    cost = model.pipeline_params.run_cost
    if uc.bought:
        pp = model.portfolio_params
        yearly = (pp.seat_price * float(model.unit_headcount[uc.unit]) / 1e6
                  if pp.of(uc.kind).off_the_shelf else pp.licence)
        if uc.pilot_week is not None:  # a live use case's price has risen since its pilot
            yearly *= (1.0 + pp.price_rise) ** ((int(model.time) - uc.pilot_week) / 52.0)
        cost += yearly / 52.0
    return cost


def launch_pilots(model: EnterpriseModel) -> list[UseCase]:
    """Turn backlog ideas into pilots under the prioritisation policy, within capacity.

    ``launch_everything`` starts ideas first come, first served; ``value_feasibility`` ranks
    them by value times feasibility and never starts one whose feasibility is below 0.25. A
    strategy with a budget launches a pilot only while its money allows (:class:`BudgetRoom`).
    """
    lv = model.levers
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
    if not ideas:
        return []
    rooms = team_rooms(model)
    open_teams = {t for t, room in rooms.items() if _has_room(room)}
    if not open_teams:
        return []
    if lv["prioritisation"] == "value_feasibility":
        ideas = by_value_feasibility(model, ideas)
    launched = []
    money = budget_room(model)
    for uc in ideas:
        team = choose_team(model, uc)
        if team not in open_teams:
            # Its team is full: a hybrid unit turns to the other team; otherwise the idea
            # waits in the backlog.
            team = _other_team(model, uc, team)
            if team not in open_teams:
                continue
        if money is not None and not money.take(pilot_commitment(model, uc)):
            break  # this week's money is committed: the rest of the backlog waits
        start_pilot(model, uc, team=team)
        launched.append(uc)
        room = rooms[team]
        room[0] -= 1.0
        room[1] -= uc.effort_required
        if not _has_room(room):
            open_teams.discard(team)
            if not open_teams:
                break
    return launched


def hub_strength(model: EnterpriseModel) -> float:
    """How far a central team's platform and standards reach the embedded teams, 0-1.

    In the hybrid ("hub and spoke") model "a central AI platform team provides
    infrastructure and standards", and the embedded teams "build on that foundation" (the
    source text, "Centers of Excellence vs. Federated Models"). A platform team needs a
    minimum size to do that for every unit it serves: the reach is the CoE's size over
    ``platform_fte_per_unit`` FTE for each business unit, capped at 1. With no embedded teams
    the CoE is the whole organisation's AI team, and with no CoE there is no hub.
    """
    coe = model.coe
    if coe is None:
        return 0.0
    if not model.has_embedded_teams:
        return 1.0
    return min(1.0, coe.size / (model.pipeline_params.platform_fte_per_unit * len(model.units)))


def team_standards(model: EnterpriseModel, team: AITeam) -> float:
    """Engineering standards a team works to: its own, raised towards the hub's."""
    coe = model.coe
    if team.is_coe or coe is None:
        return team.standards
    return team.standards + (coe.standards - team.standards) * hub_strength(model)


def duplication(model: EnterpriseModel, team: AITeam) -> float:
    """Effort multiplier for tooling a team builds for itself.

    Federated teams duplicate effort ("potential duplication of effort across units", the
    source text); spokes that build on a hub's platform duplicate less.
    """
    if team.is_coe:
        return 1.0
    return 1.0 + model.pipeline_params.federated_duplication * (1.0 - hub_strength(model))


def pilot_effort(model: EnterpriseModel, uc: UseCase, team: AITeam) -> tuple[float, float]:
    """Person-weeks a pilot needs, and how many of them are data work.

    Data work grows with the use case's data needs and shrinks as the unit's data readiness
    rises; platform reuse cuts all effort, more for teams with high standards; federated teams
    duplicate tooling. Who does which part is :func:`pilot_capacity`'s business.
    """
    pp = model.pipeline_params
    dr = model.units[uc.unit].data_readiness
    modelling = pp.model_effort * (0.5 + uc.difficulty)
    data = pp.data_effort * uc.data_needs * (1.15 - dr)
    modelling, data = portfolio.sourced_effort(model, uc, modelling, data)
    reuse = 1.0 - 0.5 * model.platform_maturity * (0.5 + 0.5 * team_standards(model, team))
    dup = duplication(model, team)
    if uc.origin is not None:  # a copy reuses the original's pipeline and model
        modelling *= 0.5
        data *= 0.6
        reuse *= 1.0 - 0.4 * model.platform_maturity
    elif uc.deepens is not None:  # an extension builds on the live use case's data and model
        modelling *= pp.extension_modelling
        data *= pp.extension_data
    return (modelling + data) * reuse * dup, data * reuse * dup


def choose_team(model: EnterpriseModel, uc: UseCase) -> AITeam:
    """The team a unit asks first: its own embedded team, else the CoE.

    In a hybrid the spokes "build on that foundation for their specific needs" (the source
    text): a unit's own team does its pilots, and the unit turns to the CoE when its team is
    full (:func:`launch_pilots`).
    """
    embedded = model.embedded_team(uc.unit)
    if embedded is not None:
        return embedded
    if model.coe is not None:
        return model.coe
    # Fewer AI staff than units and no CoE: borrow the least-loaded team of another unit.
    return min(model.teams, key=lambda t: (t.maintenance_load / max(t.capacity, 1e-9)))


def _other_team(model: EnterpriseModel, uc: UseCase, team: AITeam) -> AITeam | None:
    """In a hybrid, the CoE for a unit whose own team was chosen, and the other way round."""
    return model.embedded_team(uc.unit) if team.is_coe else model.coe


def start_pilot(model: EnterpriseModel, uc: UseCase, vanity: bool | None = None,
                team: AITeam | None = None) -> None:
    """Start a pilot: assign a team, size the effort, count it as launched.

    Args:
        model: The model.
        uc: The idea (or copy) to start.
        vanity: Mark the pilot as a vanity pilot (None keeps the idea's own mark).
        team: The team to build it (None: :func:`choose_team`).
    """
    uc.team = team if team is not None else choose_team(model, uc)
    if vanity is not None:
        uc.vanity = vanity
    uc.effort_required, uc.data_effort = pilot_effort(model, uc, uc.team)
    uc.pilot_week = int(model.time)
    uc.set_stage(Stage.PILOT)
    model.counters["pilots_launched"] += 1
    if uc.vanity:
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


def pilot_capacity(science: float, engineering: float, modelling_share: float,
                   pp: PipelineParams) -> float:
    """Person-weeks of pilot progress a team can make in a week with its mix of roles.

    Data scientists do the modelling and engineers the data work ("AI/ML engineers take models
    from data scientists and make them production-ready"; "data engineers build and maintain
    the data pipelines", the source text, "Talent and skills"). Each can stand in for the other
    at a lower efficiency: a scientist does data work at ``science_on_data`` (scientists spend
    much of their time on data anyway: CrowdFlower 2016, Anaconda 2020), an engineer does
    modelling at ``engineer_on_modelling``. Progress ``p`` needs ``p * m`` modelling and
    ``p * (1 - m)`` data person-weeks; the largest ``p`` the team can staff is the smaller of
    the data-bound and the modelling-bound solution of that two-resource problem. A team
    without scientists stalls on modelling, one without engineers on data work, so the
    engineer:scientist ratio has an optimum that depends on the portfolio's modelling share.

    Args:
        science: Data scientists' person-weeks this week.
        engineering: Engineers' person-weeks this week.
        modelling_share: Share of the pilots' effort that is modelling, 0-1.
        pp: Pipeline constants.
    """
    m = min(1.0, max(0.0, modelling_share))
    d = 1.0 - m
    a_s, a_e = pp.science_on_data, pp.engineer_on_modelling
    data_bound = (engineering + a_s * science) / (d + a_s * m)
    modelling_bound = (science + a_e * engineering) / (m + a_e * d)
    return max(0.0, min(data_bound, modelling_bound))


def spend_capacity(model: EnterpriseModel) -> None:
    """AI teams spend this week's capacity: production models first, then pilots.

    Maintenance is engineers' work (ML engineers and MLOps keep production running); data
    scientists cover what engineers cannot, at ``science_on_data``. What is left goes to
    pilots, as much as the team's mix of roles can staff (:func:`pilot_capacity`).
    The CoE is one queue: pilots get capacity in launch order, each up to ``pilot_pace``; those
    beyond it wait. Embedded teams work in parallel, sharing their capacity evenly among their
    own pilots. Translators (``translator_share`` of every team) do no technical work.
    """
    pp, counters = model.pipeline_params, model.counters
    rng = model.streams["production"]
    now = int(model.time)
    tech = technical_share(model)
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
        science = team.science_capacity * tech
        engineering = team.engineering_capacity * tech
        workable = engineering + pp.science_on_data * science
        cover = 1.0 if load <= 0 else min(1.0, workable / load)
        team.maintenance_coverage = cover
        for uc in own_live:
            uc.maintained = cover
            if uc.drift_detected and rng.random() < cover:
                uc.quality = uc.quality0  # retrained
                uc.drift_detected = False
                counters["retrainings"] += 1
        # Engineers carry the maintenance load first, scientists the rest.
        engineering -= load
        if engineering < 0.0:
            science = max(0.0, science + engineering / pp.science_on_data)
            engineering = 0.0
        own = pilots_by_team.get(team)
        if not own:
            team.spent_on_pilots = 0.0
            team.pilot_capacity = 0.0
            continue
        total = data_total = 0.0
        for uc in own:
            total += uc.effort_required
            data_total += uc.data_effort
        free = pilot_capacity(science, engineering,
                              (total - data_total) / total if total else 0.5, pp)
        team.pilot_capacity = free
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
            cap = pp.coe_domain_cap
        else:
            each = min(pp.pilot_pace, free / len(own))
            grants = [each] * len(own) if each > 0.0 else []
            cap = pp.embedded_domain_cap
        team.spent_on_pilots = float(sum(grants))
        dk = team.domain_knowledge.tolist()  # scalar updates below: faster on a list
        data_weeks = 0.0
        for uc, g in zip(own, grants, strict=False):  # pilots beyond the grants get nothing
            if uc.work_start_week is None:
                uc.work_start_week = now
                model.pilot_waits.append((now - uc.pilot_week, team.is_coe))
            uc.effort_done += g
            if uc.effort_required:
                data_weeks += g * (uc.data_effort / uc.effort_required)
            # Working with a unit teaches a team its business; a central team, away from the
            # unit's daily work, learns it only so far ("may lack deep understanding of
            # specific business domains", the source text).
            dk[uc.unit] = min(cap, dk[uc.unit] + 0.004 * g)
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
    return float(model.platform_maturity * (0.6 + 0.4 * team_standards(model, team))
                 + 0.35 * ops - 0.25 * unit.legacy_burden)


def unit_commitment(model: EnterpriseModel, uc: UseCase) -> float:
    """The unit's commitment to take a use case live, 0-1.

    Sponsor commitment (less what incidents have cost it, :func:`incident`), clear success
    criteria, the team's knowledge of the business, and staff readiness to use AI. Pilots
    launched to hit a pilot-count target have no real sponsor. Translators raise commitment
    (:func:`translator_coverage`). A sponsor hesitates to put a high-risk use case live
    without governance review (:func:`governance_assurance`).
    """
    unit = model.units[uc.unit]
    lv, pp = model.levers, model.pipeline_params
    sponsor = max(0.0, unit.sponsor_commitment - unit.sponsor_erosion)
    sponsor *= 0.4 if uc.vanity else 1.0
    return float(0.45 * sponsor + 0.25 * lv["success_criteria_clarity"]
                 + 0.15 * uc.team.domain_knowledge[uc.unit] + 0.1 * unit.data_driven
                 + 0.2 * model.unit_readiness[uc.unit]
                 + pp.translator_commitment * translator_coverage(model)
                 - governance_assurance(model, uc))


def governance_assurance(model: EnterpriseModel, uc: UseCase) -> float:
    """Commitment a use case lacks for want of governance: high risk and little rigour.

    "Strong governance enables scaling by building trust, preventing costly failures,
    ensuring regulatory compliance" (the source text, "Myth: governance slows innovation"):
    leaders commit to a high-risk use case (risk class 2) only as far as a review vouches for
    it. The shortfall is ``risk_aversion x (risk / 2) x (1 - governance_rigour)``; a low-risk
    use case needs no such assurance.
    """
    return (model.pipeline_params.risk_aversion * (uc.risk / 2.0)
            * (1.0 - model.levers["governance_rigour"]))


def solution_fit(model: EnterpriseModel, uc: UseCase) -> float:
    """How well a solution fits the unit's real work, 0-1, fixed when it goes live.

    Built with deep knowledge of the unit's business it fits; built from a distance it risks
    being an "ivory tower" solution "that doesn't fit real business needs" (the source text,
    CoE disadvantages). Translators close half the gap at full coverage. The realised value is
    scaled by it (:func:`weekly_value`).
    """
    dk = float(uc.team.domain_knowledge[uc.unit])
    dk += (1.0 - dk) * 0.5 * translator_coverage(model)
    return 0.6 + 0.4 * dk


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
    uc.fit = solution_fit(model, uc)
    model.counters["pilots_reached_production"] += 1
    if uc.deepens is not None:
        model.counters["use_cases_deepened"] += 1
    model.time_to_production.append(int(model.time) - uc.pilot_week)
    origin = uc.origin
    if origin is not None and origin.stage == Stage.PRODUCTION:
        origin.set_stage(Stage.SCALED)
        origin.scaled_week = int(model.time)
        model.counters["use_cases_scaled_ever"] += 1


# --- 4. life in production ------------------------------------------------------------------


def production_life(model: EnterpriseModel) -> None:
    """Drift, monitoring, incidents, retirement and horizontal scaling of live use cases.

    Each live use case gets one row of seven uniform draws a week (shock, shock size,
    detection, incident, retirement, copy, extension), whether or not each is needed, so one
    use case's fate does not shift the random numbers of the others.
    """
    pp, rng, lv = model.pipeline_params, model.streams["production"], model.levers
    live = model.live_use_cases()
    if not live:
        return
    rigour = lv["governance_rigour"]
    monitoring = (0.15 + 0.75 * model.platform_maturity) * (0.7 + 0.3 * rigour)
    p_incident = pp.incident_rate * (1.0 - 0.7 * rigour)
    base_hazard = pp.retire_rate * (1.0 - 0.5 * model.platform_maturity)
    # Federated teams find it "harder to share learnings across the organization" (the source
    # text); a hub shares them.
    p_copy = pp.copy_rate * (0.3 + model.platform_maturity) * (0.5 + 0.5 * hub_strength(model))
    n_units = len(model.units)
    now = int(model.time)
    p_deepen = pp.deepen_rate * (0.3 + model.platform_maturity)
    draws = rng.random((len(live), 7)).tolist()
    hazards = portfolio.weekly_hazards(model, live)  # of each use case's class
    money = budget_room(model)
    for uc, (u_shock, u_size, u_detect, u_incident, u_retire, u_copy, u_deepen), (
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
                and u_copy < p_copy and len(active_copies(uc)) < n_units - 1
                and (money is None or money.take(pilot_commitment(model, uc)))):
            copy_use_case(model, uc)
        # Vertical scaling: deepen a mature, healthy use case in its own unit.
        if (uc.deepens is None and uc.quality > 0.55 and now - uc.production_week >= 26
                and u_deepen < p_deepen
                and len(active_extensions(uc)) < pp.max_extensions
                and (money is None or money.take(pilot_commitment(model, uc)))):
            deepen_use_case(model, uc)


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


def active_extensions(uc: UseCase) -> list[UseCase]:
    """Extensions of ``uc`` still being built, waiting or live."""
    return [e for e in uc.extensions if e.stage not in (Stage.ABANDONED, Stage.RETIRED)]


def deepen_use_case(model: EnterpriseModel, uc: UseCase) -> UseCase:
    """Start a pilot that extends a live use case in its own unit (vertical scaling).

    "Deepening AI capabilities within a specific domain. For instance, starting with basic
    customer service chatbots and progressively adding sentiment analysis, multilingual
    support, complex problem resolution" (the source text, "Vertical scaling"). An extension
    reuses the use case's data and model, so it needs less effort (``extension_modelling``,
    ``extension_data``) and is easier than a new pilot, and adds ``extension_value`` of the
    original's value potential. The same team builds it; it goes through the gate like any
    pilot, and counts in ``use_cases_deepened`` when it goes live.
    """
    pp = model.pipeline_params
    ext = UseCase(model, unit=uc.unit, value_potential=uc.value_potential * pp.extension_value,
                  difficulty=uc.difficulty * 0.7, data_needs=uc.data_needs, risk=uc.risk,
                  infra_need=uc.infra_need * 0.8, commit_need=uc.commit_need * 0.8,
                  deepens=uc, kind=uc.kind, bought=uc.bought)
    uc.extensions.append(ext)
    model.units[uc.unit].portfolio.append(ext)
    team = uc.team if uc.team in model.teams else None
    start_pilot(model, ext, team=team)
    model.counters["extensions_started"] += 1
    return ext


def incident(model: EnterpriseModel, uc: UseCase) -> None:
    """An unnoticed degradation hurts users; the model is patched.

    Trust in the unit drops (employees, section 7.6), the unit's sponsor loses commitment
    (``incident_sponsor_hit``, regained at ``sponsor_recovery`` a week), and the incident costs
    money: remediation, and fines scaled by risk class (:data:`INCIDENT_COST`).
    """
    uc.incidents += 1
    model.counters["incidents"] += 1
    model.unit_incident[uc.unit] += 0.15
    unit = model.units[uc.unit]
    unit.sponsor_erosion = min(1.0, unit.sponsor_erosion
                               + model.pipeline_params.incident_sponsor_hit)
    cost = INCIDENT_COST[int(uc.risk)]
    model.incident_cost_week += cost
    model.incident_cost_total += cost
    uc.drift_detected = True


# --- 5. organisation-level investment -------------------------------------------------------


def invest(model: EnterpriseModel) -> None:
    """Investment slowly raises data readiness and platform maturity and lowers legacy burden.

    The same platform money buys the same platform whatever the operating model: how well
    teams use it differs (:func:`team_standards`, :func:`duplication`), not what it costs.
    Integration investment ("APIs", connecting AI to "dozens or hundreds of different software
    systems", the source text, "Integration with existing systems") lowers each unit's legacy
    burden. Incidents' cost to sponsor commitment fades (:func:`incident`).
    """
    pp, lv = model.pipeline_params, model.levers
    size = (lv["employees"] / 5000.0) ** 0.5
    d_eff = 1.0 - np.exp(-lv["data_investment"] / 1.0)
    i_fall = pp.integration_rate * (1.0 - np.exp(-lv["integration_investment"] / 1.0))
    for unit in model.units:
        unit.data_readiness += pp.data_rate * d_eff * (1.0 - unit.data_readiness)
        unit.legacy_burden -= i_fall * unit.legacy_burden
        unit.sponsor_erosion -= pp.sponsor_recovery * unit.sponsor_erosion
    p_eff = 1.0 - np.exp(-lv["platform_investment"] / (2.0 * size))
    model.platform_maturity += pp.platform_rate * p_eff * (1.0 - model.platform_maturity)


# --- 6. value and cost ----------------------------------------------------------------------


def weekly_value(model: EnterpriseModel) -> float:
    """Value realised this week, $M: only live use cases, scaled by quality, fit and adoption."""
    total = 0.0
    adoption = model.unit_adoption
    floor = portfolio.value_without_users(model)  # by class
    for uc in model.live_use_cases():
        v = floor[uc.kind]
        total += (uc.value_potential / 52.0 * uc.quality * uc.fit
                  * (v + (1.0 - v) * adoption[uc.unit]))
    return total


def weekly_cost(model: EnterpriseModel, n_adopted: int | None = None) -> float:
    """Cost incurred this week, $M: staff, spend levers, compute, and this week's incidents.

    Vendor licences and switching costs are added by :func:`portfolio.licence_cost`.
    ``n_adopted``: the business employees who have adopted, if already counted this week
    (default: :attr:`EnterpriseModel.n_adopted`).
    """
    pp, lv = model.pipeline_params, model.levers
    if n_adopted is None:
        n_adopted = model.n_adopted
    n = lv["employees"]
    yearly = (
        model.ai_headcount * pp.salary
        + lv["training_hours"] * n * pp.training_cost / 1e6
        + lv["change_management"] * n / 1e6
        + lv["adoption_incentive"] * n_adopted / 1e6
        + (lv["data_investment"] + lv["integration_investment"]) * lv["business_units"]
        + lv["platform_investment"]
    )
    running = (pp.pilot_cost * model.count_stage(Stage.PILOT)
               + pp.run_cost * len(model.live_use_cases()))
    return yearly / 52.0 + running + model.incident_cost_week + portfolio.licence_cost(model)

