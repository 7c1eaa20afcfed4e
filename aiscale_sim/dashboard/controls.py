"""The dashboard's controls, made from the lever table, and its start-up settings.

Every control is a Mesa ``model_params`` entry (a dict with a ``"type"``: ``SliderFloat``,
``SliderInt``, ``Select``), built from one :class:`~aiscale_sim.levers.Lever`: its label and
unit, its bounds or choices and its default. Nothing here repeats a default or a range.
:data:`THEMES` sorts the policy levers into the groups the page shows; a test checks that
every policy lever is in exactly one.

The page runs in the server process, which ``aiscale dashboard`` starts; it hands the page its
settings (scenario, company size, seed) in the environment variable :data:`ENV_VAR`, as JSON.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS, LEVERS_BY_NAME, Lever

#: Environment variable that carries :class:`DashboardSettings` to the server process.
ENV_VAR = "AISCALE_DASHBOARD"

#: Default size of the dashboard's company: small enough to step and draw smoothly.
DEFAULT_EMPLOYEES = 1500

#: Largest company the dashboard offers (the org chart draws every employee).
MAX_EMPLOYEES = 10_000

#: The groups of policy levers on the page, in order, each with its levers in order.
THEMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Operating model and AI team",
     ("centralisation", "ai_staff_per_1000", "engineer_ratio", "translator_share")),
    ("Pilots and the production gate",
     ("prioritisation", "pilot_launch_rate", "pilot_count_incentive", "success_criteria_clarity",
      "executive_sponsorship", "governance_rigour", "purgatory_timeout")),
    ("Data, platform and integration",
     ("data_investment", "platform_investment", "integration_investment")),
    ("People and change",
     ("training_hours", "change_management", "adoption_incentive", "jobs_communication")),
    ("Use-case mix and sourcing", ("genai_share", "assistant_share", "buy_share")),
)

#: Structure levers the page offers (the organisation is built once, at reset).
COMPANY_LEVERS: tuple[str, ...] = tuple(lv.name for lv in LEVERS if lv.group == "structure")


def nice_step(low: float, high: float, steps: int = 100) -> float:
    """A round slider step (1, 2, 2.5 or 5 times a power of ten) near ``(high - low) / steps``.

    Args:
        low: Smallest value of the slider.
        high: Largest value of the slider.
        steps: About how many steps the slider should have.
    """
    raw = (high - low) / steps
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (5.0, 2.5, 2.0, 1.0):
        if m * power <= raw:
            return m * power
    return power  # pragma: no cover - raw >= power always


def control_label(lever: Lever) -> str:
    """What a control shows: the lever's label and its unit, e.g. ``Training (hours per ...)``."""
    return lever.axis_label


def lever_param(lever: Lever, value: Any = None) -> dict[str, Any]:
    """One lever as a Mesa ``model_params`` entry.

    Args:
        lever: The lever.
        value: The value to show (default: the lever's default).

    Returns:
        ``{"type": "SliderFloat" | "SliderInt" | "Select" | "Checkbox", "label": ..., "value":
        ..., ...}`` with ``min``, ``max`` and ``step`` for sliders and ``values`` for selects,
        plus ``description`` (the lever's one-line meaning, shown as help).
    """
    value = lever.default if value is None else value
    out: dict[str, Any] = {"label": control_label(lever), "value": value,
                           "description": lever.description}
    if lever.kind == "choice":
        out.update(type="Select", values=list(lever.choices))
    elif lever.kind == "bool":
        out.update(type="Checkbox")
    elif lever.kind == "int":
        high = lever.high
        if lever.name == "employees":
            high = min(high, MAX_EMPLOYEES)
        out.update(type="SliderInt", min=int(lever.low), max=int(high),
                   step=max(1, int(nice_step(lever.low, high))))
    else:
        out.update(type="SliderFloat", min=lever.low, max=lever.high,
                   step=nice_step(lever.low, lever.high))
    return out


def choice_label(value: str) -> str:
    """A choice as a person reads it: ``launch_everything`` is ``Launch everything``."""
    return value.replace("_", " ").capitalize()


def model_params(values: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every policy and company lever as Mesa ``model_params``, by lever name.

    Args:
        values: Values to show instead of the defaults (a scenario's levers).
    """
    values = values or {}
    names = [n for _, group in THEMES for n in group] + list(COMPANY_LEVERS)
    return {n: lever_param(LEVERS_BY_NAME[n], values.get(n)) for n in names}


@dataclass(frozen=True)
class DashboardSettings:
    """What the page starts with.

    Args:
        scenario: A shipped scenario's name or a scenario file.
        employees: Employees of the company drawn (the ``employees`` lever).
        seed: Seed of the run (the baseline ghost uses the same seed).
    """

    scenario: str = "baseline"
    employees: int = DEFAULT_EMPLOYEES
    seed: int = 0

    def to_env(self) -> str:
        """The settings as the JSON text of :data:`ENV_VAR`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DashboardSettings:
        """Read the settings from :data:`ENV_VAR` (defaults when it is not set).

        Raises:
            UserInputError: The variable is not JSON of the settings' fields.
        """
        text = (os.environ if environ is None else environ).get(ENV_VAR)
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return cls(**data)
        except (ValueError, TypeError) as e:
            raise UserInputError(f"{ENV_VAR} must be JSON with the keys scenario, employees "
                                 f"and seed; got {text!r} ({e})") from None
