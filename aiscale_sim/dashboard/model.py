"""The model the dashboard steps: the enterprise model with keyword arguments Mesa can rebuild.

Mesa's SolaraViz rebuilds a model on Reset as ``type(model)(**params)``, one keyword per
control. :class:`DashboardModel` takes a scenario name, a seed and any lever by name, and
keeps, week by week, what the page draws that the model's own reporters do not give: adoption
by role and entries into purgatory by reason. It stops at the horizon (five years), so Mesa's
play button stops there too.

:func:`baseline_history` runs the baseline scenario once for a company of the same structure
and seed (common random numbers) and caches it: the page's "compare with baseline" ghost.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS, validate_levers
from aiscale_sim.model import EnterpriseModel
from aiscale_sim.outputs import MODEL_REPORTERS
from aiscale_sim.scenarios import DEFAULT_SCENARIO, Scenario, load_scenario
from aiscale_sim.simulate import HORIZON_WEEKS, resolve
from aiscale_sim.states import PURGATORY_REASONS, Adoption, Role

#: Business roles whose adoption the S-curve draws, with the names the page shows.
ROLES: tuple[tuple[Role, str], ...] = ((Role.FRONTLINE, "Frontline"),
                                       (Role.MANAGER, "Managers"),
                                       (Role.EXECUTIVE, "Executives"))
STRUCTURE: tuple[str, ...] = tuple(lv.name for lv in LEVERS if lv.group == "structure")

#: The weekly series the page draws, beside the model's reporters.
EXTRA_SERIES = (*(f"adoption_{name.lower()}_role" for _, name in ROLES),
                *(f"purgatory_entries_{r}" for r in PURGATORY_REASONS))


def scenario_for(name: str, levers: dict[str, Any] | None = None) -> Scenario:
    """A scenario for the company on the page: its own levers, for the page's structure.

    A budget scenario turns its budget into spend levers for the size of the company, so the
    structure levers among ``levers`` are applied through :func:`simulate.resolve`, which keeps
    it on budget; the other levers are the page's to set. Where the budget cannot be spent
    within the levers' bounds at the page's size (a budget for 5,000 people spread over 300),
    the scenario keeps the spend levers its own company gets (:func:`budget_note` says so).
    """
    structure = {k: v for k, v in (levers or {}).items() if k in STRUCTURE}
    sc = load_scenario(name)
    try:
        return resolve(sc, structure)
    except UserInputError:
        if sc.budget is None:
            raise
        return Scenario(name=sc.name, levers=validate_levers({**sc.levers, **structure}),
                        description=sc.description, path=sc.path, phases=sc.phases)


def budget_note(name: str, levers: dict[str, Any] | None = None) -> str:
    """Why a budget scenario's spend levers are not its budget at the page's size, or ''."""
    structure = {k: v for k, v in (levers or {}).items() if k in STRUCTURE}
    sc = load_scenario(name)
    if sc.budget is None:
        return ""
    try:
        resolve(sc, structure)
    except UserInputError as e:
        return (f"Its budget does not fit a company of this size ({e}); the controls show "
                f"the spend levers it gives its own company of {sc.levers['employees']:,}.")
    return ""


def scenario_levers(name: str, levers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every lever of scenario ``name`` for a company of the structure in ``levers``."""
    return dict(scenario_for(name, levers).levers)


class DashboardModel(EnterpriseModel):
    """The enterprise model as the dashboard runs it.

    Args:
        scenario_name: A shipped scenario's name or a scenario file; its levers are the
            starting point and its phases apply on their weeks.
        seed: Seed of the run.
        horizon: Weeks after which the model stops running (``running`` turns false).
        scenario: Mesa's own scenario object, which SolaraViz hands back on Reset; not used.
        **levers: Lever values that replace the scenario's, by name.
    """

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, seed: int = 0,
                 horizon: int = HORIZON_WEEKS, scenario: Any = None, **levers: Any):
        sc = scenario_for(scenario_name, levers)
        values = validate_levers({**sc.levers, **levers}, "the dashboard's controls")
        super().__init__(values, rng=int(seed), phases=sc.phases)
        self.params = {"scenario_name": scenario_name, "seed": int(seed), **values}
        self.scenario_name = sc.name
        self.scenario_description = sc.description
        self.seed = int(seed)
        self.horizon = int(horizon)
        self.extra: dict[str, list[float]] = {k: [] for k in EXTRA_SERIES}
        # Mesa's play loop steps the model in a thread while the page draws it: a step and a
        # read of the weekly series (:meth:`snapshot`) never overlap.
        self.lock = threading.RLock()
        self._business_roles = [self.role_mask((role,)) & self.is_business for role, _ in ROLES]
        self._record()

    def step(self) -> None:
        """Advance one week, record what the page draws, stop at the horizon."""
        with self.lock:
            super().step()
            self._record()
            if self.time >= self.horizon:
                self.running = False

    def _record(self) -> None:
        adopted = self.emp["stage"] == int(Adoption.ADOPTED)
        for (_, name), mask in zip(ROLES, self._business_roles, strict=True):
            n = np.count_nonzero(mask)
            self.extra[f"adoption_{name.lower()}_role"].append(
                np.count_nonzero(adopted & mask) / n if n else float("nan"))
        for r in PURGATORY_REASONS:
            self.extra[f"purgatory_entries_{r}"].append(self.counters[f"purgatory_entries_{r}"])

    def role_sizes(self) -> dict[str, int]:
        """Business employees in each role of :data:`ROLES`, by the name the page shows."""
        return {name: int(np.count_nonzero(mask))
                for (_, name), mask in zip(ROLES, self._business_roles, strict=True)}

    def series(self, name: str) -> np.ndarray:
        """One weekly series (week 0 first): a model reporter or one of :data:`EXTRA_SERIES`."""
        if name in self.extra:
            return np.asarray(self.extra[name], dtype=float)
        return np.asarray(self.datacollector.model_vars[name], dtype=float)

    def history(self) -> dict[str, np.ndarray]:
        """Every weekly series the page draws, by name (copies, all of the same length)."""
        with self.lock:
            return {n: self.series(n) for n in (*MODEL_REPORTERS, *EXTRA_SERIES)}

    def snapshot(self) -> tuple[int, np.ndarray, dict[str, np.ndarray]]:
        """The week, every employee's adoption stage and the weekly series, taken at once."""
        with self.lock:
            return int(self.time), self.emp["stage"].copy(), self.history()

    def structure(self) -> tuple[tuple[str, Any], ...]:
        """The structure levers of this company, as a hashable key."""
        return tuple((k, self.levers[k]) for k in STRUCTURE)


@functools.lru_cache(maxsize=16)
def baseline_history(structure: tuple[tuple[str, Any], ...], seed: int,
                     horizon: int = HORIZON_WEEKS) -> dict[str, np.ndarray]:
    """The baseline scenario's weekly series, for a company of this structure and seed.

    Args:
        structure: ``DashboardModel.structure()`` of the company on the page.
        seed: The page's seed (same seed: the two runs share their random draws).
        horizon: Weeks to run.

    Returns:
        The baseline run's :meth:`DashboardModel.history`, over the whole horizon.
    """
    model = DashboardModel(DEFAULT_SCENARIO, seed=seed, horizon=horizon, **dict(structure))
    while model.running:
        model.step()
    return model.history()
