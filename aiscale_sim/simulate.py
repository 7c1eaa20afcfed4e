"""The model as a function: ``simulate(levers_or_scenario, seed=..., steps=...)``.

Every other layer (the CLI, notebooks, the experiment runner, sensitivity analysis) stands on
this one function, in the manner of EMA Workbench's and mesa-frames' model functions.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.errors import UserInputError
from aiscale_sim.files import write_csv, write_text
from aiscale_sim.levers import LEVERS_BY_NAME, unknown_lever_error, validate_levers
from aiscale_sim.model import EnterpriseModel
from aiscale_sim.outputs import summary_outcomes
from aiscale_sim.scenarios import (
    MAX_STEPS,
    Scenario,
    check_phase_weeks,
    load_scenario,
    validate_phases,
)

#: Default horizon: five years of weeks; scaling AI takes years.
HORIZON_WEEKS = 260


def package_version() -> str:
    """The installed aiscale-sim version."""
    from aiscale_sim.version import __version__

    return __version__


#: Modules whose source decides what a run computes.
MODEL_MODULES = ("agents", "employees", "kernel", "levers", "model", "network", "outputs", "phases",
                 "pipeline", "portfolio", "scenarios", "simulate", "states", "talent")


@functools.cache
def model_fingerprint() -> str:
    """A short hash of the model's source code.

    Two runs with the same levers, seed and fingerprint give the same numbers. The runner
    stores it in every experiment folder and refuses to mix results of different models
    (a changed rule or constant, or a worker with another version installed).
    """
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    for name in MODEL_MODULES:
        h.update(name.encode())
        h.update((pkg / f"{name}.py").read_bytes())
    return h.hexdigest()[:16]


def concrete_seed(seed: int | None) -> int:
    """Return ``seed``, or fresh entropy when it is None (so every run can be repeated)."""
    if seed is None:
        # Fresh entropy, folded to 63 bits: short enough to read, type and store as int64.
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UserInputError(f"seed must be a non-negative whole number, got {seed!r}")
    return int(seed)


def resolve(levers_or_scenario: Any = None,
            overrides: dict[str, Any] | None = None) -> Scenario:
    """Turn a scenario name/path, a Scenario, a lever dict or None into a validated Scenario.

    Overrides set levers from the first week; one that a phase of the scenario changes later
    is refused (it would hold only until that phase's week).
    """
    if isinstance(levers_or_scenario, Scenario):
        sc = levers_or_scenario
    elif levers_or_scenario is None or isinstance(levers_or_scenario, str | Path):
        sc = load_scenario(levers_or_scenario)
    elif isinstance(levers_or_scenario, dict):
        sc = Scenario(name="custom", levers=validate_levers(levers_or_scenario),
                      overrides=dict(levers_or_scenario))
    else:
        raise UserInputError(
            "simulate() takes a scenario name or path, a Scenario or a dict of levers, "
            f"not {type(levers_or_scenario).__name__}")
    if overrides:
        for k in overrides:
            if k not in LEVERS_BY_NAME:
                raise unknown_lever_error(k, "overrides")
        _check_phased(sc, overrides)
        merged = {**sc.levers, **overrides}
        if sc.budget is not None:
            merged = _rebudget(sc, overrides, merged)
        sc = Scenario(name=sc.name, levers=validate_levers(merged), description=sc.description,
                      path=sc.path, overrides={**sc.overrides, **overrides}, budget=sc.budget,
                      phases=sc.phases)
    return sc


def scenario_budget_cap(sc: Scenario) -> float | None:
    """The yearly spending cap ($M) of a scenario: its ``[budget]`` total, or None."""
    return None if sc.budget is None else float(sc.budget["total_musd_per_year"])


def budget_summary(model: EnterpriseModel, timeseries: pd.DataFrame) -> dict[str, Any]:
    """How a capped run kept its budget: the cap, spending by budget year, weeks it bound.

    ``weeks_budget_bound`` counts the weeks in which the budget held a pilot back,
    ``weeks_hiring_frozen`` those in which its hiring freeze held a hire back
    (:func:`aiscale_sim.talent.hiring_frozen`).

    Spending is the cost less incident losses (``cumulative_spending``); a year is counted
    when the run covers it fully.
    """
    from aiscale_sim.pipeline import BUDGET_YEAR_WEEKS

    cum = timeseries.set_index("week")["cumulative_spending"]
    years = int(cum.index.max()) // BUDGET_YEAR_WEEKS
    by_year = [float(cum.loc[(y + 1) * BUDGET_YEAR_WEEKS] - cum.loc[y * BUDGET_YEAR_WEEKS])
               for y in range(years)]
    return {"cap_musd_per_year": float(model.budget_cap),
            "spending_by_year_musd": by_year,
            "weeks_budget_bound": int(model.counters["weeks_budget_bound"]),
            "weeks_hiring_frozen": int(model.counters["weeks_hiring_frozen"])}


def _check_phased(sc: Scenario, overrides: dict[str, Any]) -> None:
    """Refuse an override of a lever that one of the scenario's phases changes."""
    for ph in sc.phases:
        clash = [k for k in overrides if k in ph.levers]
        if clash:
            raise UserInputError(
                f"scenario '{sc.name}' changes {', '.join(clash)} in its phase at week "
                f"{ph.week}, so an override would hold only until then; change the phase in "
                "the scenario file instead, or override levers its phases leave alone")


def with_phases(sc: Scenario, phases: Any) -> Scenario:
    """``sc`` with its phases replaced by ``phases`` (validated; None or [] for none).

    Raises:
        UserInputError: Bad phases (see :func:`aiscale_sim.scenarios.validate_phases`), or a
            phase of a budget scenario that sets a spend lever.
    """
    fixed = {}
    if sc.budget is not None:
        from aiscale_sim.budget import SHARE_LEVERS

        fixed = {k: f"scenario '{sc.name}' sets it through its [budget] for the whole run"
                 for k in SHARE_LEVERS.values()}
    return Scenario(name=sc.name, levers=sc.levers, description=sc.description, path=sc.path,
                    overrides=sc.overrides, budget=sc.budget,
                    phases=validate_phases(phases, "phases", fixed))


def _rebudget(sc: Scenario, overrides: dict[str, Any], merged: dict[str, Any]) -> dict:
    """Keep a budget scenario on budget when overrides change the organisation's size."""
    from aiscale_sim.budget import SHARE_LEVERS, levers_from_budget

    spend = [k for k in overrides if k in SHARE_LEVERS.values()]
    if spend:
        raise UserInputError(
            f"scenario '{sc.name}' sets {', '.join(spend)} through its [budget]; change the "
            "budget in the scenario file instead of overriding spend levers")
    sized = validate_levers(merged, "overrides")
    return {**merged, **levers_from_budget(sc.budget, sized, sc.path or sc.name)}


@dataclass
class SimulationResult:
    """What one run produced.

    Attributes:
        summary: ``seed``, ``scenario``, ``version``, ``steps``, ``levers`` (from the first
            week), ``phases`` (the phases that ran: week and levers) and ``outcomes``.
        timeseries: One row per week (week 0 included), one column per reporter.
        model: The finished model, for inspection (not pickled).
    """

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    model: EnterpriseModel | None = field(default=None, repr=False)

    def __getstate__(self):
        return {"summary": self.summary, "timeseries": self.timeseries, "model": None}

    @property
    def outcomes(self) -> dict[str, Any]:
        """The end-of-run outcomes."""
        return self.summary["outcomes"]

    def adoption_by_unit(self) -> pd.Series:
        """Final adoption share by business unit."""
        from aiscale_sim.outputs import adoption_by_unit

        return adoption_by_unit(self._need_model())

    def adoption_by_role(self) -> pd.Series:
        """Final adoption share by role."""
        from aiscale_sim.outputs import adoption_by_role

        return adoption_by_role(self._need_model())

    def _need_model(self) -> EnterpriseModel:
        if self.model is None:
            raise RuntimeError("this result has no model attached (it was loaded or pickled)")
        return self.model

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write ``summary.json`` and ``timeseries.csv`` into ``out_dir``.

        Each file is written to a temporary name and renamed into place, so a crash never
        leaves a half-written file. The overview figure is drawn by a higher layer:
        :func:`aiscale_sim.plots.save_run` writes these files and ``overview.png``.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return [
            write_text(out / "summary.json", json.dumps(self.summary, indent=2)),
            write_csv(out / "timeseries.csv", self.timeseries),
        ]


def simulate(levers_or_scenario: Any = None, *, seed: int | None = None,
             steps: int | None = None, overrides: dict[str, Any] | None = None,
             phases: Any = None, progress: bool = False,
             budget_cap: float | None = None,
             constants: dict[str, float] | None = None) -> SimulationResult:
    """Run the model once.

    Args:
        levers_or_scenario: A shipped scenario's name, a TOML path, a :class:`Scenario`, a dict
            of lever values, or None for the default scenario (baseline).
        seed: Master seed of the run; None draws fresh entropy, which is recorded.
        steps: Weeks to simulate (default 260, five years).
        overrides: Lever values applied on top of the scenario, from the first week (not
            levers that a phase changes).
        phases: Levers that change on given weeks, as :class:`~aiscale_sim.scenarios.Phase`
            objects or ``{"week": 53, "levers": {...}}`` dicts, in place of the scenario's own
            phases; None keeps the scenario's (a scenario file's ``[[phases]]``).
        progress: Show progress when the run takes more than a couple of seconds (a bar on a
            terminal, a line every 10% in a log).
        budget_cap: Yearly budget in $M that caps all AI spending (pilots stop when a year's
            money is committed). None: the scenario's own ``[budget]`` total if it has one,
            else no cap. A lever dict carries no budget, so the runner passes its runs' cap.
        constants: Calibratable constants of the rules in place of their shipped values
            (names and ranges in :data:`aiscale_sim.calibration.constants.CONSTANTS`);
            recorded in the summary. None: the shipped values, and the same run as without.

    Returns:
        A :class:`SimulationResult` with ``.summary`` and ``.timeseries``.

    Raises:
        UserInputError: Bad scenario, lever values, phases, seed, steps or constants, or a
            phase after the last week (nothing has run).
    """
    sc = resolve(levers_or_scenario)
    if phases is not None:
        sc = with_phases(sc, phases)
    sc = resolve(sc, overrides)
    seed = concrete_seed(seed)
    steps = HORIZON_WEEKS if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or not (
            1 <= steps <= MAX_STEPS):
        raise UserInputError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    steps = int(steps)
    check_phase_weeks(sc.phases, steps, sc.name)
    if budget_cap is None:
        budget_cap = scenario_budget_cap(sc)
    elif isinstance(budget_cap, bool) or not isinstance(budget_cap, int | float) or not (
            math.isfinite(budget_cap) and budget_cap > 0):
        raise UserInputError(f"budget_cap must be a positive number of $M a year, got "
                             f"{budget_cap!r}")

    params: dict[str, Any] = {}
    if constants:
        from aiscale_sim.calibration.constants import model_params, validate_constants

        constants = validate_constants(constants, "constants")
        params = model_params(constants)

    model = EnterpriseModel(sc.levers, rng=seed, phases=sc.phases, budget_cap=budget_cap,
                            **params)
    if progress:
        from aiscale_sim.progress import progress_bar

        with progress_bar(steps, unit="week", delay=2.0, desc=sc.name, leave=False) as bar:
            for _ in range(steps):
                model.run_for(1)
                bar.update(1)
    else:
        model.run_for(steps)

    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    summary = {
        "seed": seed,
        "scenario": sc.name,
        "scenario_path": sc.path,
        "version": package_version(),
        "model_fingerprint": model_fingerprint(),
        "steps": steps,
        "levers": sc.levers,
        "phases": [ph.as_dict() for ph in model.phases_applied],
        "outcomes": summary_outcomes(model, ts),
    }
    if budget_cap is not None:
        summary["budget"] = budget_summary(model, ts)
    if constants:
        summary["constants"] = constants
    return SimulationResult(summary=summary, timeseries=ts, model=model)
