"""Mesa agents: employees, business units, AI teams and AI use cases.

Employees are many, so their state lives in numpy columns on the model (``model.emp``) and an
:class:`Employee` agent is a view of its own row: reading ``employee.literacy`` reads
``model.emp["literacy"][employee.row]``, and assigning writes it back. They still live in
``model.agents`` (made, with the ids kept for them when the model was built, when
``model.employees``, ``model.agents`` or the space is first used), sit in a cell of the model's
:class:`mesa.discrete_space.Network` (built, with every employee placed, when ``model.grid`` or
``employee.cell`` is first used) and can be selected, inspected and drawn like any Mesa agent.
Units, teams and use cases are few and are ordinary per-agent Python objects.

Agents name :class:`~aiscale_sim.model.EnterpriseModel` (for type hints only) because an agent
reads the model it belongs to, as a Mesa agent reads ``self.model``; the model imports the
agents it holds. That is the one circle of imports the package keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent

from aiscale_sim.states import Adoption, Role, Stage, UseCaseKind

if TYPE_CHECKING:
    from aiscale_sim.model import EnterpriseModel


def _column(name: str, cast):
    def getter(self):
        return cast(self.model.emp[name][self.row])

    def setter(self, value):
        self.model.emp[name][self.row] = value

    return property(getter, setter, doc=f"This employee's ``{name}`` (a row of model.emp).")


class Employee(FixedAgent):
    """An employee: a row in the model's employee columns, placed on the org network.

    Attributes are views of ``model.emp`` columns: ``literacy`` (AI literacy, 0-1), ``trust``
    (trust in AI, 0-1), ``anxiety`` (job-displacement anxiety, 0-1), ``threshold`` (personal
    adoption threshold), ``fit`` (how well AI fits the job's workflow, 0-1), ``stage``
    (:class:`Adoption`), ``role`` (:class:`Role`) and ``unit`` (business unit index).
    """

    literacy = _column("literacy", float)
    literacy0 = _column("literacy0", float)
    trust = _column("trust", float)
    anxiety = _column("anxiety", float)
    threshold = _column("threshold", float)
    fit = _column("fit", float)
    unit = _column("unit", int)
    stage = _column("stage", Adoption)
    role = _column("role", Role)
    adopt_week = _column("adopt_week", int)

    def __init__(self, model: EnterpriseModel, row: int, cell=None):
        super().__init__(model)
        self.row = row
        if cell is not None:
            self.cell = cell

    @property
    def cell(self):
        """This employee's cell in ``model.grid`` (the space is built on first use)."""
        if self._mesa_cell is None:
            self.model.grid  # noqa: B018 - builds the space and places every employee
        return self._mesa_cell

    @cell.setter
    def cell(self, cell) -> None:
        FixedAgent.cell.fset(self, cell)  # once: Mesa's fixed agents do not move

    @property
    def manager(self) -> Employee | None:
        """The employee this one reports to, or None for a unit head or the CoE lead."""
        m = int(self.model.org.manager[self.row])
        return None if m < 0 else self.model.employees[m]

    def __repr__(self) -> str:
        return f"Employee(row={self.row}, role={self.role.name}, stage={self.stage.name})"


class BusinessUnit(mesa.Agent):
    """A business unit: owner of use cases and home of employees.

    Args:
        model: The model.
        index: Unit index (0-based), as used in the employee ``unit`` column.
        data_readiness: Quality and accessibility of the unit's data, 0-1.
        legacy_burden: Integration burden of the unit's legacy systems, 0-1.
        experimentation: Culture of experimentation, 0-1 (more ideas).
        data_driven: Data-driven culture, 0-1 (more commitment to live AI).
        sponsor_commitment: How strongly the unit's leaders back AI going live, 0-1.

    ``sponsor_erosion`` is the part of that commitment lost to recent incidents (0-1).
    """

    def __init__(self, model, index, data_readiness, legacy_burden, experimentation,
                 data_driven, sponsor_commitment):
        super().__init__(model)
        self.index = index
        self.data_readiness = data_readiness
        self.legacy_burden = legacy_burden
        self.experimentation = experimentation
        self.data_driven = data_driven
        self.sponsor_commitment = sponsor_commitment
        self.sponsor_erosion = 0.0  # commitment lost to incidents, regained over time
        self.portfolio: list[UseCase] = []

    def live_use_cases(self) -> list[UseCase]:
        """Use cases of this unit that run in production."""
        return [uc for uc in self.portfolio if uc.stage.is_live]


class AITeam(mesa.Agent):
    """An AI team: the central CoE or a team embedded in one business unit.

    Args:
        model: The model.
        unit: Index of the unit it is embedded in, or None for the CoE.
        headcount: Staff by :class:`Role`. Read-only as a mapping; assign a new dict to change
            the team (size, capacity and role shares follow).
        standards: Engineering standards, 0-1 (CoE high and uniform; embedded teams vary).
        domain_knowledge: Knowledge of each unit's business, 0-1 (array over units).
    """

    #: Share of a person-week that goes to project work (the rest is overhead).
    PRODUCTIVITY = 0.8

    def __init__(self, model, unit, headcount: dict[Role, int], standards: float,
                 domain_knowledge: np.ndarray):
        super().__init__(model)
        self.unit = unit
        self.headcount = headcount
        self.standards = standards
        self.domain_knowledge = domain_knowledge
        self.maintenance_load = 0.0  # person-weeks asked for by production models this week
        self.maintenance_coverage = 1.0  # share of that load met
        self.spent_on_pilots = 0.0
        self.pilot_capacity = 0.0  # person-weeks of pilot progress the team could make this week

    @property
    def headcount(self) -> Mapping[Role, int]:
        """Staff by :class:`Role` (read-only; assign a new dict to change the team)."""
        return self._headcount

    @headcount.setter
    def headcount(self, staff: Mapping[Role, int]) -> None:
        # The pipeline asks for a team's size, capacity and role shares for every pilot, every
        # week, so they are worked out here, whenever the staff change, rather than each time.
        self._headcount = MappingProxyType(dict(staff))
        size = int(sum(staff.values()))
        self._size = size
        self._capacity = size * self.PRODUCTIVITY
        self._engineer_share = (
            1.0 - staff.get(Role.DATA_SCIENTIST, 0) / size if size else 0.0)
        self._ops_share = ((staff.get(Role.ML_ENGINEER, 0) + staff.get(Role.MLOPS, 0)) / size
                           if size else 0.0)
        scientists = staff.get(Role.DATA_SCIENTIST, 0)
        self._science_capacity = scientists * self.PRODUCTIVITY
        self._engineering_capacity = (size - scientists) * self.PRODUCTIVITY

    @property
    def is_coe(self) -> bool:
        """True for the central centre of excellence."""
        return self.unit is None

    @property
    def size(self) -> int:
        """Total headcount."""
        return self._size

    @property
    def capacity(self) -> float:
        """Person-weeks of project work available per week."""
        return self._capacity

    @property
    def science_capacity(self) -> float:
        """Person-weeks per week of data scientists (modelling work)."""
        return self._science_capacity

    @property
    def engineering_capacity(self) -> float:
        """Person-weeks per week of data, ML and MLOps engineers (data and production work)."""
        return self._engineering_capacity

    @property
    def engineer_share(self) -> float:
        """Share of the team that are engineers (data, ML, MLOps)."""
        return self._engineer_share

    @property
    def ops_share(self) -> float:
        """Share of the team that can take models to production (ML engineers and MLOps)."""
        return self._ops_share


class UseCase(mesa.Agent):
    """An AI initiative, from idea to pilot to production (or purgatory, or abandonment).

    Args:
        model: The model.
        unit: Index of the owning business unit.
        value_potential: Value per year when live at full quality and full adoption, $M.
        difficulty: Technical difficulty, 0-1.
        data_needs: How much data work it needs, 0-1.
        risk: Risk class, 0 (low), 1 (medium) or 2 (high).
        infra_need: Production infrastructure it needs, 0-1 (compared with capability).
        commit_need: Commitment it needs from the unit to go live, 0-1.
        origin: The use case this one copies (horizontal scaling), or None.
        deepens: The live use case this one extends in its own unit (vertical scaling), or
            None.
        kind: Its class: classic ML, custom GenAI or an off-the-shelf assistant.
        bought: Sourced from a vendor (True) or built by the AI teams (False).
    """

    def __init__(self, model, unit, value_potential, difficulty, data_needs, risk, infra_need,
                 commit_need, origin: UseCase | None = None, deepens: UseCase | None = None,
                 kind: UseCaseKind = UseCaseKind.CLASSIC, bought: bool = False):
        super().__init__(model)
        self.kind = UseCaseKind(kind)
        self.bought = bool(bought)
        self.unit = unit
        self.value_potential = value_potential
        self.difficulty = difficulty
        self.data_needs = data_needs
        self.risk = risk
        self.infra_need = infra_need
        self.commit_need = commit_need
        self.origin = origin
        self.deepens = deepens
        self.extensions: list[UseCase] = []
        self.stage = Stage.IDEA
        model.index_stage(self, None, Stage.IDEA)
        self.created_week = int(model.time)
        self.stage_week = int(model.time)
        self.pilot_week: int | None = None
        self.production_week: int | None = None
        self.scaled_week: int | None = None
        self.team: AITeam | None = None
        self.vanity = False
        self.work_start_week: int | None = None  # first week a team worked on the pilot
        self.fit = 1.0  # how well the live solution fits the unit's work, 0-1 (set at go-live)
        self.effort_required = 0.0
        self.data_effort = 0.0
        self.effort_done = 0.0
        self.technical_ok: bool | None = None
        self.governance_wait: int | None = None
        self.reason: str | None = None
        self.quality0 = 0.0
        self.quality = 0.0
        self.drift_detected = False
        self.incidents = 0
        self.copies: list[UseCase] = []

    def set_stage(self, stage: Stage) -> None:
        """Move to ``stage`` and remember when."""
        self.model.index_stage(self, self.stage, stage)
        self.stage = stage
        self.stage_week = int(self.model.time)

    @property
    def weeks_in_stage(self) -> int:
        """Whole weeks since the current stage began."""
        return int(self.model.time) - self.stage_week

    def __repr__(self) -> str:
        return (f"UseCase(id={self.unique_id}, unit={self.unit}, kind={self.kind.label}, "
                f"stage={self.stage.name})")
