"""AI talent: AI staff leave, frustrated or lured away, and are hired back after a lag.

Specialists are scarce; enterprises compete "with tech giants who offer higher salaries and
cutting-edge projects", and lose them "when data scientists get frustrated by organizational
barriers, poor data infrastructure, or lack of impact" (the source text, "Talent Shortages and
Retention"). Once a week (:func:`talent_step`, after the production gate):

1. **Frustration** of each team (:func:`frustration`), 0-1: the share of its finished, working
   pilot effort that sits in purgatory rather than in production (organisational barriers and
   lack of impact, two of the three causes the source names, so two thirds of the weight) and
   the poor data readiness of the units it serves (the third cause, one third).
2. **Departures** (:func:`attrition_probability`): a yearly attrition rate rising linearly from
   13.2%, the turnover of the technology (software) sector, the highest of any sector and put
   down to demand and rising pay (LinkedIn 2018, from half a billion member profiles), at no
   frustration, to 33% at full frustration. The ceiling is an assumption: it is the share of
   data-science and analytics professionals who changed employer in the hot market of June
   2021 to June 2022 (Burtch Works 2022), taken as what the most frustrating employer faces.
   One uniform draw per member of staff per week (in position and role order), from the
   ``talent`` stream.
3. **Hiring** (:func:`hire`): each team position has a target headcount, worked out every
   week from the *current* levers exactly as :func:`aiscale_sim.network.build_org` splits AI
   staff at build (``ai_staff_per_1000`` x employees, split by ``centralisation`` between the
   CoE and the units, and by ``engineer_ratio`` between roles). Openings below target are
   filled after ``hire_lag_weeks`` (10): data-science and analytics postings stay open 45
   days on average (Markow et al. 2017, "The Quant Crunch"), plus a notice period of about a
   month (assumed). Openings above a lowered target are cancelled, latest first; nobody is
   laid off, so teams shrink only as people leave. A strategy with a budget freezes hiring
   while its budget year's forecast is over the cap (:func:`hiring_frozen`): openings due
   wait until it fits again.
4. **Newcomers** know the business no better than a team starting out on another unit's work
   (``newcomer_knowledge``, the 0.25 of docs/ODD.md section 5.3): joining dilutes the team's
   domain knowledge, which then grows again with work
   (:func:`aiscale_sim.pipeline.spend_capacity`). Leavers take the team's average knowledge
   with them.

Representation: employees' rows (``model.emp``) and their places on the org chart are fixed;
talent changes the team headcount, i.e. how many of a team's positions are filled.
:attr:`AITeam.headcount` is replaced with a new dict when staff change, so capacity and role
shares follow, and ``model.ai_headcount`` (salary cost) is the total. A team left with nobody
takes no new pilots (it leaves the team lookups) and its own pilots and live models wait for
the replacement; if no replacement is coming (its target has fallen to zero) it is taken off
``model.teams`` and its work passes to another team (the unit's embedded team, else the CoE,
else the largest team) (:func:`reorganise_teams`). A position with no team yet (a unit
without an embedded team, or no CoE) gets a new team when its first hire arrives.

Its functions take the model they act on, so this module names
:class:`~aiscale_sim.model.EnterpriseModel` (for type hints only) while the model imports them:
the model/agent circle of Mesa, the one circle of imports the package keeps.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aiscale_sim import kernel as _kernel
from aiscale_sim.agents import AITeam
from aiscale_sim.network import ENGINEER_SPLIT, ai_headcount
from aiscale_sim.states import Role, Stage

if TYPE_CHECKING:
    from aiscale_sim.model import EnterpriseModel

#: The AI-staff roles, in the column order of every per-role array here.
AI_ROLES = (Role.DATA_SCIENTIST, Role.ML_ENGINEER, Role.DATA_ENGINEER, Role.MLOPS)
_ROLE_INDEX = {r: i for i, r in enumerate(AI_ROLES)}


@dataclass(frozen=True)
class TalentParams:
    """Constants of AI-staff attrition and hiring (calibration, not levers).

    Args:
        base_attrition: Yearly share of a team's staff who leave at no frustration
            (technology-sector turnover, 13.2%; LinkedIn 2018).
        max_attrition: Yearly share who leave at full frustration (assumed ceiling: the 33%
            of data-science professionals who changed employer in 2021-22; Burtch Works 2022).
        purgatory_weight: Share of frustration due to work stuck in purgatory; the rest comes
            from poor data readiness.
        hire_lag_weeks: Weeks from an opening to the new hire's first day (45 days posted,
            Markow et al. 2017, plus about a month's notice, assumed).
        newcomer_knowledge: A new hire's knowledge of each unit's business, 0-1.
        coe_standards: Engineering standards of a CoE set up during a run (0.8, as at build).
        team_standards: Standards of an embedded team set up during a run (0.5, the mean of
            the Beta(2.5, 2.5) drawn at build).
    """

    base_attrition: float = 0.132
    max_attrition: float = 0.33
    purgatory_weight: float = 2.0 / 3.0
    hire_lag_weeks: int = 10
    newcomer_knowledge: float = 0.25
    coe_standards: float = 0.8
    team_standards: float = 0.5


@dataclass
class TalentState:
    """The talent bookkeeping of one model, by team position.

    A position is the CoE (key None) or the embedded team of a unit (key: the unit index),
    as in :attr:`AITeam.unit`.

    Attributes:
        positions: Position keys, the CoE first, then units in order.
        teams: The team of each position that has ever had one.
        openings: For each position, the openings being filled, ``[week the hire starts,
            role index]``, oldest first.
        staff: Staff by position (rows) and role (:data:`AI_ROLES` columns), as last read
            from the teams' headcounts.
        seen: The headcount mapping each row of ``staff`` was read from (a team's headcount
            is a new mapping whenever it changes, so an unchanged one need not be read again).
        targets: The targets the openings were last brought in line with.
        next_start: The earliest start week of any opening (a large number if none).
    """

    positions: list[int | None]
    teams: dict[int | None, AITeam]
    openings: dict[int | None, deque[list[int]]]
    staff: np.ndarray
    seen: list
    targets: np.ndarray | None = None
    next_start: int = 2**62


def setup_talent(model: EnterpriseModel) -> TalentState:
    """Talent state of a freshly built model (the teams built from the org chart)."""
    positions: list[int | None] = [None, *range(len(model.units))]
    teams = {t.unit: t for t in model.teams}
    for team in model.teams:
        team.frustration = 0.0
        team.attrition = model.talent_params.base_attrition
    model.counters["ai_staff_left"] = 0
    model.counters["ai_staff_hired"] = 0
    return TalentState(positions=positions, teams=teams,
                       openings={key: deque() for key in positions},
                       staff=np.zeros((len(positions), len(AI_ROLES)), dtype=np.int64),
                       seen=[None] * len(positions))


# --- targets ----------------------------------------------------------------------------------


def role_split(count: int, engineer_ratio: float) -> tuple[int, int, int, int]:
    """Split ``count`` AI staff into roles as the org chart does at build.

    Data scientists max(1, round(count / (1 + engineer_ratio))), the engineers 45% data
    engineers, 35% ML engineers and the rest MLOps (:data:`network.ENGINEER_SPLIT`).

    Args:
        count: Staff to split (people).
        engineer_ratio: Engineers per data scientist.

    Returns:
        Counts in :data:`AI_ROLES` order (data scientists, ML engineers, data engineers,
        MLOps).
    """
    if count <= 0:
        return (0, 0, 0, 0)
    n_sci = max(1, round(count / (1.0 + engineer_ratio)))
    n_eng = count - n_sci
    de = round(n_eng * ENGINEER_SPLIT[0])
    ml = round(n_eng * ENGINEER_SPLIT[1])
    return (n_sci, ml, de, n_eng - de - ml)


@functools.lru_cache(maxsize=64)
def _targets(employees: int, units: int, per_1000: float, centralisation: float,
             engineer_ratio: float) -> np.ndarray:
    n_ai = min(ai_headcount(employees, per_1000), employees // 2)
    n_coe = round(n_ai * centralisation)
    n_embedded = n_ai - n_coe
    rows = [role_split(n_coe, engineer_ratio)]
    for u in range(units):
        count = n_embedded // units + (1 if u < n_embedded % units else 0)
        rows.append(role_split(count, engineer_ratio))
    out = np.array(rows, dtype=np.int64)
    out.flags.writeable = False
    return out


def target_headcount(levers: dict) -> np.ndarray:
    """Target staff of every team position under ``levers`` (read afresh every week).

    Args:
        levers: The model's current lever values.

    Returns:
        An int array of shape (1 + units, 4): the CoE's row first, then one row per unit's
        embedded team, columns in :data:`AI_ROLES` order. The per-position totals are those
        of :func:`network.build_org`; so are the CoE's roles (the embedded staff are split
        into roles as a whole at build, then dealt out, so one embedded team's built mix can
        differ from its target mix here).
    """
    return _targets(int(levers["employees"]), int(levers["business_units"]),
                    float(levers["ai_staff_per_1000"]), float(levers["centralisation"]),
                    float(levers["engineer_ratio"]))


# --- the three rules --------------------------------------------------------------------------


def frustration(stuck_share: float, data_readiness: float, params: TalentParams) -> float:
    """How frustrated a team's staff are, 0-1.

    Args:
        stuck_share: Share of the team's finished, working pilot effort (person-weeks) that
            sits in purgatory rather than in production, 0-1.
        data_readiness: Data readiness of the units the team serves, 0-1.
        params: Talent constants.

    Returns:
        ``purgatory_weight * stuck_share + (1 - purgatory_weight) * (1 - data_readiness)``.
    """
    w = params.purgatory_weight
    return w * stuck_share + (1.0 - w) * (1.0 - data_readiness)


def attrition_rate(frust: float, params: TalentParams) -> float:
    """Yearly share of a team's staff who leave at frustration ``frust`` (0-1)."""
    return params.base_attrition + (params.max_attrition - params.base_attrition) * frust


def attrition_probability(frust: float, params: TalentParams) -> float:
    """Weekly probability that one member of a team leaves.

    Args:
        frust: The team's frustration, 0-1 (:func:`frustration`).
        params: Talent constants.

    Returns:
        The weekly probability equivalent to the yearly :func:`attrition_rate`,
        ``1 - (1 - rate) ** (1 / 52)``.
    """
    return 1.0 - (1.0 - attrition_rate(frust, params)) ** (1.0 / 52.0)


def hire(openings: deque[list[int]], staff: np.ndarray, target: np.ndarray, week: int,
         lag: int) -> int:
    """Open or cancel a team position's openings so that staff plus openings meet the target.

    Each new opening goes to the role furthest below its target (counting staff and openings
    already there; the first such role on ties) and is filled ``lag`` weeks on. When staff and
    openings exceed the target, openings are cancelled, the latest first; staff are never laid
    off.

    Args:
        openings: The position's openings, ``[week the hire starts, role index]``, oldest
            first; changed in place.
        staff: Current staff by role (:data:`AI_ROLES` order).
        target: Target staff by role.
        week: This week.
        lag: Weeks from opening to first day.

    Returns:
        Openings opened (positive) or cancelled (negative) this week.
    """
    gap = int(target.sum()) - int(staff.sum()) - len(openings)
    if gap > 0:
        have = staff.astype(np.int64)  # a copy: counts staff plus openings by role
        for _, r in openings:
            have[r] += 1
        for _ in range(gap):
            r = int(np.argmax(target - have))
            openings.append([week + lag, r])
            have[r] += 1
        return gap
    cancelled = min(-gap, len(openings))
    for _ in range(cancelled):
        openings.pop()
    return -cancelled


# --- the weekly step --------------------------------------------------------------------------


def stuck_shares(model: EnterpriseModel) -> dict[AITeam, float]:
    """Each team's share of finished, working pilot effort stuck in purgatory, 0-1.

    Person-weeks spent on the team's pilots now in purgatory, over those plus the person-weeks
    spent on its use cases now live; a team with neither has 0.
    """
    stuck: dict[AITeam, float] = {}
    live: dict[AITeam, float] = {}
    for uc in model.use_cases_in(Stage.PURGATORY):
        stuck[uc.team] = stuck.get(uc.team, 0.0) + uc.effort_done
    for uc in model.live_use_cases():
        live[uc.team] = live.get(uc.team, 0.0) + uc.effort_done
    out = {}
    for team, s in stuck.items():
        total = s + live.get(team, 0.0)
        out[team] = s / total if total > 0 else 0.0
    return out


def _departures(rng: np.random.Generator, staff: np.ndarray,
                p_leave: list[float]) -> np.ndarray | None:
    """Who leaves this week: one uniform draw per member of staff, in position and role order.

    Args:
        rng: The ``talent`` stream.
        staff: Staff by position and role.
        p_leave: Weekly probability of leaving, by position.

    Returns:
        Leavers by position and role, or None if nobody leaves.
    """
    if _kernel.AVAILABLE and staff.dtype == np.int64:  # the same draws and comparisons
        left, anyone = _kernel.leavers(rng.random(int(staff.sum())), staff,
                                       np.asarray(p_leave, dtype=np.float64))
        return left if anyone else None
    heads = np.add.reduce(staff, axis=1)
    leaving = rng.random(int(heads.sum())) < np.repeat(p_leave, heads)
    if not leaving.any():
        return None
    cell = np.repeat(np.arange(staff.size), staff.ravel())
    return np.bincount(cell[leaving], minlength=staff.size).reshape(staff.shape)


def talent_step(model: EnterpriseModel) -> None:
    """One week of AI talent: frustration, departures, hires arriving, openings.

    Departures are drawn first, from the staff at the start of the week; the week's new hires
    then join (they cannot leave in their first week); then each position's openings are
    brought in line with its target under the current levers. Positions where nothing changed
    (nobody left or arrived, same staff and targets as last week) are skipped: their openings
    already match.
    """
    tp, state = model.talent_params, model.talent
    week = int(model.time)
    positions, staff, seen = state.positions, state.staff, state.seen
    stuck = stuck_shares(model)
    units = model.units
    dirty: set[int] = set()
    p_leave = [0.0] * len(positions)
    dr_mean = None
    for i, key in enumerate(positions):
        team = state.teams.get(key)
        if team is None:
            continue
        hc = team.headcount
        if hc is not seen[i]:  # changed since last read (here or by someone else)
            staff[i] = [hc.get(r, 0) for r in AI_ROLES]
            seen[i] = hc
            dirty.add(i)
        if not team.size:
            continue
        if key is None:
            if dr_mean is None:
                dr_mean = sum(u.data_readiness for u in units) / len(units)
            dr = dr_mean
        else:
            dr = units[key].data_readiness
        f = frustration(stuck.get(team, 0.0), dr, tp)
        team.frustration = f
        team.attrition = attrition_rate(f, tp)
        p_leave[i] = attrition_probability(f, tp)
    left = _departures(model.streams["talent"], staff, p_leave)
    if left is not None:
        dirty.update(np.flatnonzero(left.any(axis=1)).tolist())
    frozen = False
    if week >= state.next_start:
        dirty.update(i for i, key in enumerate(positions)
                     if state.openings[key] and state.openings[key][0][0] <= week)
        frozen = hiring_frozen(model)
    targets = target_headcount(model.levers)
    if targets is not state.targets:
        dirty.update(range(len(positions)))
        state.targets = targets
    if not dirty:
        return

    reorganise = False
    n_left = n_hired = 0
    for i in sorted(dirty):
        key = positions[i]
        team = state.teams.get(key)
        openings = state.openings[key]
        now = staff[i] if left is None else staff[i] - left[i]
        arrived = np.zeros(len(AI_ROLES), dtype=np.int64)
        while not frozen and openings and openings[0][0] <= week:
            arrived[openings.popleft()[1]] += 1
        gone, joined = int(staff[i].sum() - now.sum()), int(arrived.sum())
        if gone or joined:
            if team is None:
                team = _new_team(model, key)
                state.teams[key] = team
                reorganise = True
            was_staffed = team.size > 0
            if joined:
                stayers = int(now.sum())
                team.domain_knowledge[:] = ((stayers * team.domain_knowledge
                                             + joined * tp.newcomer_knowledge)
                                            / (stayers + joined))
            now = now + arrived
            team.headcount = {r: int(c) for r, c in zip(AI_ROLES, now, strict=True) if c}
            staff[i] = now
            seen[i] = team.headcount
            reorganise |= was_staffed != (team.size > 0)
            n_left += gone
            n_hired += joined
        hire(openings, now, targets[i], week, tp.hire_lag_weeks)
        if team is not None and team.size == 0:  # it may have lost its last opening
            reorganise = True

    if reorganise:
        reorganise_teams(model)
    model.counters["ai_staff_left"] += n_left
    model.counters["ai_staff_hired"] += n_hired
    model.ai_headcount = int(staff.sum())
    if frozen:  # counted once a week: weeks in which the freeze held a hire back
        model.counters["weeks_hiring_frozen"] += 1
        model.counters["hiring_frozen_week"] = week
    starts = [o[0][0] for o in state.openings.values() if o]
    state.next_start = min(starts) if starts else 2**62


def hiring_frozen(model: EnterpriseModel) -> bool:
    """Whether a budget's hiring freeze holds this week's AI hires back.

    While the budget year's forecast is over the cap (:class:`aiscale_sim.pipeline.BudgetRoom`:
    spent so far, plus the committed weekly rate for every week left, plus the openings from
    their start weeks, :func:`aiscale_sim.pipeline.open_positions_cost`), vacancies are not
    refilled: openings whose start week has come wait, and start in the first week the
    forecast, with them counted from that week, fits the cap again. Nobody is laid off, and
    openings are still opened as staff leave (the positions stay in the plan), so the team's
    headcount sits below its target while the freeze holds. A hiring freeze is the usual
    first lever of in-year cost control: it was the most common cost-containment measure in
    Willis Towers Watson's survey of 812 mostly large North American employers in March 2020,
    42% of which had frozen or reduced hiring (SHRM, "Companies look to cut costs with hiring
    freezes", 2020). A strategy without a budget never freezes hiring.
    """
    if model.budget_cap is None:
        return False
    from aiscale_sim.pipeline import budget_room

    return budget_room(model).year < 0.0


def _new_team(model: EnterpriseModel, key: int | None) -> AITeam:
    """A team for a position that has never had one, staffed when its first hire arrives."""
    tp = model.talent_params
    team = AITeam(model, key, {}, standards=tp.coe_standards if key is None else tp.team_standards,
                  domain_knowledge=np.full(len(model.units), tp.newcomer_knowledge))
    team.frustration = 0.0
    team.attrition = tp.base_attrition
    return team


def reorganise_teams(model: EnterpriseModel) -> None:
    """Bring the books and the team lookups in line with who has staff.

    The team lookups (``model.coe``, the embedded team of each unit) hold only teams with
    staff, so new pilots go only to them; the CoE is None while it has nobody. ``model.teams``
    (whose capacity is spent, in team order: the CoE first, then embedded teams by unit) holds
    the teams with staff and the empty teams with a hire on the way, whose pilots and live
    models wait for the newcomer. An empty team with no hire on the way (its target has fallen
    to zero) is taken off, and its pilots, pilots in purgatory and live models pass to the
    unit's embedded team, else the CoE, else the largest team (among the teams with staff, or
    if none has any, among the teams on the books). Should that leave no team on the books, the
    first team stays on with all the work, so that a team always exists.
    """
    state = model.talent
    ordered = [state.teams[k] for k in state.positions if k in state.teams]
    staffed = [t for t in ordered if t.size > 0]
    books = [t for t in ordered if t.size > 0 or state.openings[t.unit]]
    if not books:
        books = [model.teams[0] if model.teams else ordered[0]]
    off = [t for t in ordered if t not in books]
    if off:
        takers = staffed or books
        coe = next((t for t in takers if t.is_coe), None)
        embedded = {t.unit: t for t in takers if not t.is_coe}
        largest = max(takers, key=lambda t: t.size)  # the first of the largest on ties
        off_set = set(off)
        for stage in (Stage.PILOT, Stage.PURGATORY, Stage.PRODUCTION, Stage.SCALED):
            for uc in model.use_cases_in(stage):
                if uc.team in off_set:
                    owner = embedded.get(uc.unit)
                    if owner is None:
                        owner = coe if coe is not None else largest
                    uc.team = owner
    model.teams = books
    model.coe = next((t for t in staffed if t.is_coe), None)
    model._embedded = {t.unit: t for t in staffed if not t.is_coe}
