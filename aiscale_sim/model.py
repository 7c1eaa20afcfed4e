"""The enterprise AI-adoption model: a Mesa model of one organisation over weekly steps.

A step is one week. In order (docs/ODD.md, "Process overview and scheduling"):

0. a phase due this week changes the levers (:meth:`EnterpriseModel._apply_phase`); data and
   platform investment mature (:func:`pipeline.invest`);
1. leadership launches pilots under its prioritisation policy, within capacity;
2. AI teams spend capacity: maintenance of production models first, then pilots;
3. finished pilots face the production gate; pilots in purgatory are tested again; AI staff
   leave and are hired (:func:`talent.talent_step`);
4. production models drift, are monitored and retrained, cause incidents, retire, are copied;
5. every employee updates at once (:func:`employees.employee_step`);
6. value and cost are booked, and reporters collect.

The model imports its agents and the functions that move them (``agents``, ``pipeline``,
``portfolio``, ``talent``, ``outputs``); they in turn name :class:`EnterpriseModel` in their type
hints, because each reads the model it belongs to, as Mesa's agents read ``self.model``. That
circle of imports is the model/agent pair of Mesa and is the only one in the package.
"""

from __future__ import annotations

import gc
import math
import random
import types
from collections import Counter, deque
from contextlib import contextmanager
from typing import Any

import mesa
import numpy as np

from aiscale_sim import kernel as _kernel
from aiscale_sim import outputs
from aiscale_sim.agents import AITeam, BusinessUnit, Employee, UseCase
from aiscale_sim.employees import (
    EmployeeParams,
    PolicyInputs,
    UnitInputs,
    compiled_applies,
    employee_step,
)
from aiscale_sim.levers import validate_levers
from aiscale_sim.network import OrgNetwork, shared_org
from aiscale_sim.phases import Phase, validate_phases
from aiscale_sim.pipeline import (
    BUDGET_YEAR_WEEKS,
    PipelineParams,
    invest,
    launch_pilots,
    production_gate,
    production_life,
    spend_capacity,
    weekly_cost,
    weekly_value,
)
from aiscale_sim.portfolio import PortfolioParams
from aiscale_sim.states import Adoption, Role, Stage
from aiscale_sim.talent import TalentParams, setup_talent, talent_step

#: The model's random streams, one per part of the model (see EnterpriseModel._build and
#: docs/ODD.md, "Stochasticity").
STREAMS = ("org", "people", "units", "space", "ideas", "pilots", "production", "weekly",
           "talent", "portfolio")

#: Starting AI literacy (mean) and job anxiety (mean) by role. Anxiety is centred on the
#: 41-52% of workers who worry about AI and their jobs (BCG 2025; Pew 2025).
ROLE_LITERACY = np.array([0.25, 0.38, 0.42, 0.85, 0.85, 0.8, 0.8])
ROLE_ANXIETY = np.array([0.52, 0.38, 0.3, 0.15, 0.15, 0.15, 0.15])


def sponsor_commitment(sponsorship: float, offset: float) -> float:
    """A unit's sponsor commitment, 0-1: the executive sponsorship lever plus the unit's offset.

    Sponsorship is set from the top but lived differently by each unit's leaders; the source
    text names strong executive sponsorship among the bank's success factors and uncommitted
    business units among the causes of pilot purgatory.

    Args:
        sponsorship: The ``executive_sponsorship`` lever, 0-1.
        offset: The unit leaders' own lean, drawn once per unit (Normal(0, 0.15)).
    """
    return float(np.clip(sponsorship + offset, 0, 1))


@contextmanager
def _no_gc_pauses():
    """Pause the cyclic garbage collector while building millions of small objects.

    Construction allocates graph dicts, cells and agents but frees nothing cyclic, so the
    collector's repeated passes over a growing heap are pure cost (a third of build time at
    300,000 employees). Results are unaffected.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class WeeklyCollector(mesa.DataCollector):
    """Mesa's ``DataCollector`` for model reporters that return plain numbers.

    Mesa deep-copies every reported value, in case a reporter hands back a mutable object that
    later changes. Every reporter in :data:`outputs.MODEL_REPORTERS` returns an ``int`` or a
    ``float``, so the copy protects nothing; skipping it halves the cost of collecting a week.
    The first collection goes through Mesa's own path, which validates the reporters; any
    reporter that is not a plain function of the model (a method, attribute name or
    ``[function, args]`` list) keeps Mesa's path throughout.
    """

    def collect(self, model) -> None:
        """Append this week's value of every model reporter."""
        if not self._validated:
            self._plain = all(isinstance(r, types.FunctionType)
                              for r in self.model_reporters.values())
        if (not self._validated or not self._plain or self.agent_reporters
                or self.agenttype_reporters):
            super().collect(model)
            return
        self._collection_steps.append(model.time)
        # The adoption reporters' values come from one count of the employees (the same
        # values: see outputs.tallied_values). Which reporter is which is worked out once.
        plan = getattr(self, "_plan", None)
        if plan is None:
            plan = self._plan = [
                (self.model_vars[var].append, var,
                 None if outputs.TALLIED.get(var) is reporter else reporter)
                for var, reporter in self.model_reporters.items()]
        tallied = outputs.tallied_values(model)
        for append, var, reporter in plan:
            append(tallied[var] if reporter is None else reporter(model))


class EnterpriseModel(mesa.Model):
    """One enterprise scaling AI, week by week.

    Args:
        levers: Lever values by name; missing ones take their defaults (see ``aiscale levers``).
        rng: Seed (int) or ``numpy.random.Generator``; every random draw comes from streams
            spawned from it (``self.streams``, one per part of the model).
        employee_params: Constants of the employee rule (calibration).
        pipeline_params: Constants of the use-case pipeline (calibration).
        talent_params: Constants of AI-staff attrition and hiring (calibration).
        portfolio_params: Use-case classes and sourcing constants (calibration).
        place_on_network: Place employees in a ``mesa.discrete_space.Network`` (disable only in
            benchmarks of the bare rule).
        phases: Levers that change on given weeks (:class:`~aiscale_sim.scenarios.Phase`
            objects or ``{"week": ..., "levers": {...}}`` dicts); each applies at the start of
            the step of its week. None: the levers hold all run.
        budget_cap: The strategy's yearly budget, $M, covering all of its AI spending; when a
            year's money is committed, no more pilots are launched that year (see
            :func:`aiscale_sim.pipeline.budget_room`). None (the default): no cap, as for
            every scenario without a ``[budget]``.

    The Mesa space (:attr:`grid`) and the networkx org chart behind it are built on first use,
    with every employee placed in its cell: the dynamics read the sparse influence matrix, so a
    batch run that never looks at the space does not pay for it (a tenth of a 2,000-employee
    run). Its random seed is drawn at construction, so when it is built changes nothing.
    """

    def __init__(self, levers: dict[str, Any] | None = None, *, rng=None,
                 employee_params: EmployeeParams | None = None,
                 pipeline_params: PipelineParams | None = None,
                 talent_params: TalentParams | None = None,
                 place_on_network: bool = True, phases=None,
                 portfolio_params: PortfolioParams | None = None,
                 budget_cap: float | None = None):
        if budget_cap is not None and not (math.isfinite(budget_cap) and budget_cap > 0):
            raise ValueError(f"budget_cap must be a positive number of $M a year, got "
                             f"{budget_cap!r}")
        self.budget_cap = None if budget_cap is None else float(budget_cap)
        self.phases: tuple[Phase, ...] = validate_phases(phases, "phases")
        self._phase_at = {ph.week: ph for ph in self.phases}
        self.phases_applied: list[Phase] = []
        super().__init__(rng=rng)
        self.talent_params = talent_params or TalentParams()
        self.portfolio_params = portfolio_params or PortfolioParams()
        with _no_gc_pauses():
            self._build(validate_levers(levers or {}), employee_params, pipeline_params,
                        place_on_network)
        self.datacollector = WeeklyCollector(model_reporters=outputs.MODEL_REPORTERS)
        self.datacollector.collect(self)

    def _build(self, levers, employee_params, pipeline_params, place_on_network) -> None:
        self.levers = levers
        self.employee_params = employee_params or EmployeeParams()
        self.pipeline_params = pipeline_params or PipelineParams()
        lv = self.levers
        # One independent stream per part of the model, all spawned from the run's seed:
        # two runs with the same seed but other levers still share their employees, units
        # and weekly draws (common random numbers), even where the levers change how many
        # draws another part makes.
        children = self.rng.bit_generator.seed_seq.spawn(len(STREAMS))
        self.streams = {name: np.random.default_rng(c)
                        for name, c in zip(STREAMS, children, strict=True)}
        r = self.streams["people"]

        self.org = shared_org(lv, self.streams["org"])
        n = lv["employees"]
        role = self.org.role
        self.emp: dict[str, np.ndarray] = {
            "unit": self.org.unit,
            "role": role,
            "literacy0": np.clip(r.beta(4.0, 4.0, n) * 2 * ROLE_LITERACY[role], 0.02, 0.98),
            "anxiety": np.clip(r.beta(3.0, 3.0, n) * 2 * ROLE_ANXIETY[role], 0.0, 1.0),
            "trust": np.clip(r.beta(5.0, 5.0, n), 0.0, 1.0),
            "threshold": r.normal(0.48, 0.12, n),
            "fit": r.beta(4.0, 2.0, n),
            "stage": np.where(r.random(n) < 0.3, Adoption.AWARE, Adoption.UNAWARE).astype(
                np.int8),
            "adopt_week": np.full(n, -1, dtype=np.int32),
            "intention": np.zeros(n),
            "readiness": np.zeros(n),
        }
        self.emp["literacy"] = self.emp["literacy0"].copy()
        ai_staff = role >= Role.DATA_SCIENTIST
        self.emp["stage"][ai_staff] = Adoption.ADOPTED
        self.emp["adopt_week"][ai_staff] = 0
        self.is_ai_staff = ai_staff
        self.is_business = ~ai_staff
        self._role_masks: dict[tuple[Role, ...], np.ndarray] = {}
        self._role_counts: list[int] = np.bincount(role, minlength=len(Role)).tolist()
        self.ai_headcount = int(ai_staff.sum())

        # Employees: Mesa agents whose state is their row of self.emp. Like the space they are
        # made on first use (see the ``employees`` property), with the ids they would have had
        # if made here: the first n ids are kept for them. They are placed in the cells of the
        # org network when it is first used (see the ``grid`` property).
        self._place_on_network = place_on_network
        self._space_seed = int(self.streams["space"].integers(2**63))
        self._grid: OrgNetwork | None = None
        self._employees: list[Employee] | None = None
        self._n_employees = n
        self._compiled: bool | None = None  # whether the compiled employee rule applies
        self._adopted_now: int | None = None  # this week's business adopters, once counted
        self._employee_id0 = self.agent_id_counter
        self.agent_id_counter += n

        n_units = lv["business_units"]
        r = self.streams["units"]
        self.units = []
        for u in range(n_units):
            traits = {"data_readiness": float(r.beta(3.0, 6.0)),
                      "legacy_burden": float(r.beta(2.0, 3.0)),
                      "experimentation": float(r.beta(2.0, 2.0)),
                      "data_driven": float(r.beta(2.0, 3.0))}
            # The unit leaders' own lean, kept so that a phase's new sponsorship applies.
            offset = float(r.normal(0, 0.15))
            unit = BusinessUnit(self, u, **traits, sponsor_commitment=sponsor_commitment(
                lv["executive_sponsorship"], offset))
            unit.sponsor_offset = offset
            self.units.append(unit)
        self.idea_queue: deque[list[tuple]] = deque()  # weeks of idea arrivals drawn ahead
        self.idea_queue_key: tuple | None = None  # idea rates and incentive drawn with
        self.idea_queue_mix = None  # the portfolio.IdeaMix the queued ideas were drawn with
        self.teams: list[AITeam] = []
        self.coe: AITeam | None = None
        self._embedded: dict[int, AITeam] = {}
        team_ids = self.org.team
        for tid in np.unique(team_ids[team_ids >= 0]):
            members = role[team_ids == tid]
            headcount = {Role(x): int((members == x).sum()) for x in np.unique(members)}
            if tid == 0:
                team = AITeam(self, None, headcount, standards=0.8,
                              domain_knowledge=np.full(n_units, 0.3))
                self.coe = team
            else:
                team = AITeam(self, int(tid) - 1, headcount,
                              standards=float(r.beta(2.5, 2.5)),
                              domain_knowledge=np.full(n_units, 0.25))
                team.domain_knowledge[int(tid) - 1] = 0.75
                self._embedded[int(tid) - 1] = team
            self.teams.append(team)

        self.platform_maturity = 0.15
        self._by_stage: dict[Stage, dict[int, UseCase]] = {s: {} for s in Stage}
        self._live: dict[int, UseCase] = {}
        self.counters: Counter[str] = Counter()
        self.time_to_production: list[int] = []
        self.pilot_waits: list[tuple[int, bool]] = []  # (weeks to first work, by the CoE?)
        self.cumulative_value = 0.0
        self.cumulative_cost = 0.0
        self.incident_cost_week = 0.0  # $M, this week's incidents
        self.incident_cost_total = 0.0  # $M, all incidents so far
        self.cumulative_spending = 0.0  # $M, cost less incident losses (what a budget covers)
        self.year_spending = 0.0  # $M, spending in the current budget year before this week
        self.unit_incident = np.zeros(n_units)
        self.talent = setup_talent(self)  # AI staff counters, open positions by team
        self._business_weight = self.is_business.astype(float)
        # Business employees per unit (fixed): AI staff embedded in a unit are not its users.
        self._unit_size = np.maximum(np.bincount(self.emp["unit"][self.is_business],
                                                 minlength=n_units), 1).astype(float)
        self._refresh_unit_stats()

    # --- lookups ----------------------------------------------------------------------------

    @property
    def employees(self) -> list[Employee]:
        """Every employee as a Mesa agent, in row order (``employees[i].row == i``).

        Made on first use, here or through :attr:`agents`, :attr:`agents_by_type` or
        :attr:`grid`: the dynamics read and write the columns of :attr:`emp`, so a batch run
        that never looks at the agents does not pay for making them (about a tenth of a
        5,000-employee run). They take the ids kept for them when the model was built, so
        when they are made changes nothing.
        """
        if self._employees is None:
            with _no_gc_pauses():
                after = self.agent_id_counter
                self.agent_id_counter = self._employee_id0
                made: list[Employee] = []
                try:
                    for i in range(self._n_employees):
                        made.append(Employee(self, i))
                except BaseException:  # no half-made workforce: the next use starts again
                    for e in made:
                        e.remove()
                    raise
                finally:
                    self.agent_id_counter = after
                self._employees = made
        return self._employees

    @property
    def agents(self):
        """Every agent of the model (Mesa's ``Model.agents``), the employees included."""
        self.employees  # noqa: B018 - makes the employees on first use
        return mesa.Model.agents.fget(self)

    @agents.setter
    def agents(self, value) -> None:
        mesa.Model.agents.fset(self, value)

    @property
    def agent_types(self):
        """Mesa's ``Model.agent_types``, the employees included."""
        self.employees  # noqa: B018 - makes the employees on first use
        return mesa.Model.agent_types.fget(self)

    @property
    def agents_by_type(self):
        """Mesa's ``Model.agents_by_type``, the employees included."""
        self.employees  # noqa: B018 - makes the employees on first use
        return mesa.Model.agents_by_type.fget(self)

    @property
    def grid(self) -> OrgNetwork | None:
        """The org network as a Mesa space, one employee per cell (None if not placed).

        Built on first use from the org chart, with every employee put in its cell.
        """
        if self._grid is None and self._place_on_network:
            with _no_gc_pauses():
                grid = OrgNetwork(self.org.graph, capacity=1,
                                  random=random.Random(self._space_seed), layout=None)
                placed = []
                try:
                    for e in self.employees:
                        e.cell = grid[e.row]
                        placed.append(e)
                except BaseException:  # e.g. Ctrl-C: no half-built space; the next use rebuilds
                    for e in placed:
                        e._mesa_cell = None
                    raise
                self._grid = grid
        return self._grid

    @grid.setter
    def grid(self, space) -> None:
        self._grid = space

    @property
    def use_cases(self) -> list[UseCase]:
        """Every use case (any stage) that still exists in the model."""
        by_type = mesa.Model.agents_by_type.fget(self)  # (without making the employees)
        return list(by_type[UseCase]) if UseCase in by_type else []

    def use_cases_in(self, stage: Stage) -> list[UseCase]:
        """Use cases in ``stage``, in the order they entered it."""
        return list(self._by_stage[stage].values())

    def live_use_cases(self) -> list[UseCase]:
        """Use cases in production or scaled, in the order they went live."""
        return list(self._live.values())

    def count_stage(self, stage: Stage) -> int:
        """Number of use cases in ``stage``."""
        return len(self._by_stage[stage])

    def index_stage(self, uc: UseCase, old: Stage | None, new: Stage) -> None:
        """Keep the per-stage index of use cases up to date (called by UseCase.set_stage).

        The index spares every mechanism and reporter a scan over all use cases ever
        created, most of which are long abandoned or retired.
        """
        key = uc.unique_id
        if old is not None:
            del self._by_stage[old][key]
        self._by_stage[new][key] = uc
        if new.is_live:
            self._live.setdefault(key, uc)
        elif old is not None and old.is_live:
            del self._live[key]

    def role_mask(self, roles: tuple[Role, ...]) -> np.ndarray:
        """Boolean mask of employees in ``roles`` (cached: roles never change)."""
        mask = self._role_masks.get(roles)
        if mask is None:
            mask = self._role_masks[roles] = np.isin(self.emp["role"], roles)
        return mask

    def role_counts(self) -> list[int]:
        """Employees in each role, indexed by :class:`Role` (fixed: roles never change)."""
        return self._role_counts

    @property
    def unit_headcount(self) -> np.ndarray:
        """Business employees of each unit, AI staff not counted (fixed during a run)."""
        return self._unit_size

    def embedded_team(self, unit: int) -> AITeam | None:
        """The team embedded in ``unit``, if there is one."""
        return self._embedded.get(unit)

    @property
    def has_embedded_teams(self) -> bool:
        """True if at least one unit has its own AI team."""
        return bool(self._embedded)

    def drop_idea(self, uc: UseCase) -> None:
        """Remove an idea that never became a pilot."""
        self.units[uc.unit].portfolio.remove(uc)
        del self._by_stage[uc.stage][uc.unique_id]
        uc.remove()
        self.counters["ideas_dropped"] += 1

    @property
    def n_adopted(self) -> int:
        """Business employees (AI staff not counted) who currently use AI regularly."""
        return int(np.count_nonzero((self.emp["stage"] == int(Adoption.ADOPTED))
                                    & self.is_business))

    def _refresh_unit_stats(self, sums: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        # Adoption and readiness of each unit's business employees: the users of its AI.
        # ``sums``: the two per-unit sums, if already worked out (by the compiled week_tallies).
        if sums is None:
            n_units = len(self.units)
            unit = self.emp["unit"]
            business = self._business_weight
            adopted = (self.emp["stage"] == int(Adoption.ADOPTED)) * business
            sums = (np.bincount(unit, weights=adopted, minlength=n_units),
                    np.bincount(unit, weights=self.emp["readiness"] * business,
                                minlength=n_units))
        self.unit_adoption = sums[0] / self._unit_size
        self.unit_readiness = sums[1] / self._unit_size

    # --- the step ---------------------------------------------------------------------------

    def unit_inputs(self) -> UnitInputs:
        """What each unit offers its employees this week, from its live use cases.

        Employees adopt the tools actually live in their unit: production use cases and
        rolled-out assistants (0.2 gave every unit a floor of "generic assistants" even with
        nothing live; assistants are now use cases of their own, section 7.10).
        """
        n_units = len(self.units)
        quality = [0.0] * n_units
        count = [0] * n_units
        for uc in self._live.values():
            quality[uc.unit] += uc.quality
            count[uc.unit] += 1
        live_q = np.array(quality)
        live_n = np.array(count, dtype=float)
        rollout = 1.0 - np.exp(-live_n / self.employee_params.tools_scale)
        return UnitInputs(
            value_signal=1.0 - np.exp(-live_q / 2.0),
            tools=rollout,
            automation=1.0 - np.exp(-live_n / 4.0),
            incident=np.minimum(self.unit_incident, 0.6),
            rollout=rollout,
        )

    def policy_inputs(self) -> PolicyInputs:
        """Employee-facing levers as effects 0-1 (saturating in spend)."""
        lv = self.levers
        return PolicyInputs(
            training_hours=lv["training_hours"],
            change=1.0 - math.exp(-lv["change_management"] / 200.0),
            incentive=1.0 - math.exp(-lv["adoption_incentive"] / 500.0),
            communication=lv["jobs_communication"],
        )

    def update_employees(self) -> None:
        """Advance all employees one week at once (the fast path), then unit statistics.

        The unit statistics are each unit's adoption and readiness (:attr:`unit_adoption`,
        :attr:`unit_readiness`).
        """
        draws = self.streams["weekly"].random(self._n_employees)
        if self._compiled is None:  # asked once: the columns keep their types
            self._compiled = compiled_applies(self.emp, self.org.influence, draws)
        new = employee_step(self.emp, self.org.influence, self.unit_inputs(),
                            self.policy_inputs(), self.employee_params, draws,
                            compiled=self._compiled)
        adopt_week = self.emp["adopt_week"]
        if _kernel.AVAILABLE and new["readiness"].dtype == np.float64:
            # First adoptions and the unit sums in one compiled pass: the same numbers.
            sums = _kernel.week_tallies(new["stage"], new["readiness"], self._business_weight,
                                        self.emp["unit"], adopt_week, int(self.time),
                                        len(self.units), int(Adoption.ADOPTED))
            self.emp.update(new)
            self._refresh_unit_stats(sums)
            # Business adopters: the units' sums of whole counts, so exact.
            self._adopted_now = int(sums[0].sum())
        else:
            self._adopted_now = None
            first = (new["stage"] == int(Adoption.ADOPTED)) & (adopt_week < 0)
            adopt_week[first] = int(self.time)
            self.emp.update(new)
            self._refresh_unit_stats()
        self.unit_incident[:] = 0.0

    def _apply_phase(self) -> None:
        """Apply the phase due this week, if any, before anything else happens in the week.

        ``self.levers`` stays a complete, validated lever dict. What the model derived from a
        lever when it was built is derived again: each unit's sponsor commitment follows a new
        ``executive_sponsorship`` (plus the unit's own offset). Every other policy lever is read
        where it is used, each week, but for the three that shaped the AI teams when they were
        built (``centralisation``, ``ai_staff_per_1000``, ``engineer_ratio``): a phase does not
        reorganise the teams; those act through hiring (docs/ODD.md, section 7.8).
        """
        phase = self._phase_at.get(int(self.time))
        if phase is None:
            return
        self.levers = validate_levers({**self.levers, **phase.levers},
                                      f"phase at week {phase.week}")
        sponsorship = self.levers["executive_sponsorship"]
        for unit in self.units:
            unit.sponsor_commitment = sponsor_commitment(sponsorship, unit.sponsor_offset)
        self.phases_applied.append(phase)

    def step(self) -> None:
        """Advance the enterprise by one week (``self.time`` is already the new week)."""
        self._apply_phase()
        self.incident_cost_week = 0.0
        if (int(self.time) - 1) % BUDGET_YEAR_WEEKS == 0:
            self.year_spending = 0.0  # a new budget year
        invest(self)
        launch_pilots(self)
        spend_capacity(self)
        production_gate(self)
        talent_step(self)
        production_life(self)
        self.update_employees()
        self.cumulative_value += weekly_value(self)
        cost = weekly_cost(self, self._adopted_now)
        self.cumulative_cost += cost
        spending = cost - self.incident_cost_week
        self.cumulative_spending += spending
        self.year_spending += spending
        self.datacollector.collect(self)
