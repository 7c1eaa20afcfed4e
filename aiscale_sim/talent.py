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
   One binomial draw per team position and role per week, from the ``talent`` stream.
3. **Hiring** (:func:`hire`): each team position has a target headcount, worked out every
   week from the *current* levers exactly as :func:`aiscale_sim.network.build_org` splits AI
   staff at build (``ai_staff_per_1000`` x employees, split by ``centralisation`` between the
   CoE and the units, and by ``engineer_ratio`` between roles). Openings below target are
   filled after ``hire_lag_weeks`` (10): data-science and analytics postings stay open 45
   days on average (Markow et al. 2017, "The Quant Crunch"), plus a notice period of about a
   month (assumed). Openings above a lowered target are cancelled, latest first; nobody is
   laid off, so teams shrink only as people leave.
4. **Newcomers** know the business no better than a team starting out on another unit's work
   (``newcomer_knowledge``, the 0.25 of docs/ODD.md section 5.3): joining dilutes the team's
   domain knowledge, which then grows again with work (:func:`aiscale_sim.pipeline.
   spend_capacity`). Leavers take the team's average knowledge with them.

Representation: employees' rows (``model.emp``) and their places on the org chart are fixed;
talent changes the team headcount, i.e. how many of a team's positions are filled.
:attr:`AITeam.headcount` is replaced with a new dict when staff change, so capacity and role
shares follow, and ``model.ai_headcount`` (salary cost) is the total. A team left with nobody
is taken off ``model.teams`` and the team lookups, and its pilots and live models pass to
another team (the unit's embedded team, else the CoE, else the largest team); it is put back,
staffed by newcomers, when its first hire arrives. A position with no team yet (a unit without
an embedded team, or no CoE) gets a new team when its first hire arrives.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

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
    as in :attr:`AITeam.unit`. Attributes: ``positions`` (keys, the CoE first, then units in
    order), ``teams`` (the team of each position that has ever had one) and ``openings``
    (for each position, the openings being filled: ``[week the hire starts, role index]``,
    oldest first).
    """

    positions: list[int | None]
    teams: dict[int | None, AITeam]
    openings: dict[int | None, deque[list[int]]] = field(default_factory=dict)


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
                       openings={key: deque() for key in positions})


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


def _staff(team: AITeam | None) -> np.ndarray:
    if team is None:
        return np.zeros(len(AI_ROLES), dtype=np.int64)
    hc = team.headcount
    return np.array([hc.get(r, 0) for r in AI_ROLES], dtype=np.int64)


def talent_step(model: EnterpriseModel) -> None:
    """One week of AI talent: frustration, departures, hires arriving, openings.

    Departures are drawn first, from the staff at the start of the week; the week's new hires
    then join (they cannot leave in their first week); then each position's openings are
    brought in line with its target under the current levers.
    """
    tp, state = model.talent_params, model.talent
    week = int(model.time)
    positions = state.positions
    targets = target_headcount(model.levers)
    stuck = stuck_shares(model)
    dr = [u.data_readiness for u in model.units]
    dr_mean = sum(dr) / len(dr)

    staff = np.zeros((len(positions), len(AI_ROLES)), dtype=np.int64)
    p_leave = np.zeros(len(positions))
    for i, key in enumerate(positions):
        team = state.teams.get(key)
        if team is None or team.size == 0:
            continue
        f = frustration(stuck.get(team, 0.0), dr_mean if key is None else dr[key], tp)
        team.frustration = f
        team.attrition = attrition_rate(f, tp)
        p_leave[i] = attrition_probability(f, tp)
        staff[i] = _staff(team)
    left = model.streams["talent"].binomial(staff, p_leave[:, None])

    reorganise = False
    n_left = n_hired = 0
    for i, key in enumerate(positions):
        team = state.teams.get(key)
        openings = state.openings[key]
        now = staff[i] - left[i]
        arrived = np.zeros(len(AI_ROLES), dtype=np.int64)
        while openings and openings[0][0] <= week:
            arrived[openings.popleft()[1]] += 1
        gone, joined = int(left[i].sum()), int(arrived.sum())
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
            reorganise |= was_staffed != (team.size > 0)
            n_left += gone
            n_hired += joined
        hire(openings, now, targets[i], week, tp.hire_lag_weeks)

    if reorganise:
        reorganise_teams(model)
    model.counters["ai_staff_left"] += n_left
    model.counters["ai_staff_hired"] += n_hired
    model.ai_headcount = sum(t.size for t in state.teams.values())


def _new_team(model: EnterpriseModel, key: int | None) -> AITeam:
    """A team for a position that has never had one, staffed when its first hire arrives."""
    tp = model.talent_params
    team = AITeam(model, key, {}, standards=tp.coe_standards if key is None else tp.team_standards,
                  domain_knowledge=np.full(len(model.units), tp.newcomer_knowledge))
    team.frustration = 0.0
    team.attrition = tp.base_attrition
    return team


def reorganise_teams(model: EnterpriseModel) -> None:
    """Put the staffed teams on the books and hand empty teams' work to staffed ones.

    ``model.teams`` becomes the staffed teams in team order (the CoE first, then embedded
    teams by unit), ``model.coe`` the CoE if staffed (else None) and the embedded-team lookup
    the staffed embedded teams, so new pilots go only to teams with staff. Pilots, pilots in
    purgatory and live models of a team taken off pass to the unit's embedded team, else the
    CoE, else the largest staffed team. Should no team have staff at all, the first team on
    the books stays on (with all the work), so that a team always exists.
    """
    state = model.talent
    ordered = [state.teams[k] for k in state.positions if k in state.teams]
    active = [t for t in ordered if t.size > 0]
    if not active:
        active = [model.teams[0] if model.teams else ordered[0]]
    off = {t for t in ordered if t not in active}
    coe = next((t for t in active if t.is_coe), None)
    embedded = {t.unit: t for t in active if not t.is_coe}
    largest = max(active, key=lambda t: t.size)  # the first of the largest on ties
    if off:
        for stage in (Stage.PILOT, Stage.PURGATORY, Stage.PRODUCTION, Stage.SCALED):
            for uc in model.use_cases_in(stage):
                if uc.team in off:
                    owner = embedded.get(uc.unit)
                    if owner is None:
                        owner = coe if coe is not None else largest
                    uc.team = owner
    model.teams = active
    model.coe = coe
    model._embedded = embedded
