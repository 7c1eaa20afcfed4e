"""The model's calibratable constants: a named subset of the rule constants, declared once.

The employee rule (:class:`aiscale_sim.employees.EmployeeParams`) and the use-case pipeline
(:class:`aiscale_sim.pipeline.PipelineParams`) have constants that are calibration, not levers.
:data:`CONSTANTS` names the ones worth fitting to the literature, each with the range of its
uniform prior and the source the range comes from, in the manner of the lever table
(:mod:`aiscale_sim.levers`). The default of each is read from its dataclass, never repeated
here, so the shipped values and the golden values stay where they are.

:func:`model_params` turns overrides of these constants into the parameter objects that
:class:`aiscale_sim.model.EnterpriseModel` takes; ``simulate(..., constants={...})`` uses it.
No overrides give the dataclasses' defaults, so a run without overrides is the same run.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiscale_sim.employees import EmployeeParams
from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import suggest
from aiscale_sim.pipeline import PipelineParams

#: Where each constant lives: the name of the owner in :data:`CONSTANTS` and its dataclass.
OWNERS = {"employee": EmployeeParams, "pipeline": PipelineParams}


@dataclass(frozen=True)
class Constant:
    """One calibratable constant of the model.

    Args:
        name: The dataclass field, e.g. ``"bass_q"``.
        owner: ``employee`` (:class:`EmployeeParams`) or ``pipeline`` (:class:`PipelineParams`).
        low: Lower end of the uniform prior.
        high: Upper end of the uniform prior.
        unit: Unit of the value.
        source: Where the prior range comes from (or that it is an assumption).
        label: Short name a person reads on figures.
    """

    name: str
    owner: str
    low: float
    high: float
    unit: str
    source: str
    label: str

    @property
    def default(self) -> float:
        """The shipped value, read from the owner's dataclass."""
        return next(f.default for f in dataclasses.fields(OWNERS[self.owner])
                    if f.name == self.name)

    @property
    def axis_label(self) -> str:
        """Label with its unit, for a figure's axis."""
        return f"{self.label} ({self.unit})"

    def validate(self, value: Any, source: str = "") -> float:
        """Return ``value`` as a float within the prior's range, or raise UserInputError."""
        where = f" in {source}" if source else ""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise UserInputError(f"constant '{self.name}'{where}: expected a finite number "
                                 f"({self.unit}), got {value!r}")
        if not (self.low <= value <= self.high):
            raise UserInputError(f"constant '{self.name}'{where}: {value!r} is out of bounds; "
                                 f"allowed {self.low:g} to {self.high:g} ({self.unit})")
        return float(value)


def _e(name, low, high, unit, source, label):
    return Constant(name, "employee", float(low), float(high), unit, source, label)


def _p(name, low, high, unit, source, label):
    return Constant(name, "pipeline", float(low), float(high), unit, source, label)


#: The calibratable constants (defaults in the dataclasses; see docs/ODD.md, section 7).
CONSTANTS: tuple[Constant, ...] = (
    _e("bass_p", 0.001, 0.1, "per year",
       "Bass coefficient of innovation: 0.001-0.03 for consumer durables, mean 0.03 "
       "(Sultan, Farley & Lehmann 1990); widened to 0.1 for tools pushed inside a firm",
       "Bass innovation"),
    _e("bass_q", 0.1, 1.0, "per year",
       "Bass coefficient of imitation: mean 0.38, most estimates 0.1-1 "
       "(Sultan, Farley & Lehmann 1990)",
       "Bass imitation"),
    _e("try_to_adopt", 0.03, 0.3, "per week",
       "Assumption: a ready trier adopts within 3 to 30 weeks; BCG 2025 finds regular use "
       "follows within months of access and training",
       "Trial to adoption"),
    _e("lapse", 0.002, 0.05, "per week",
       "Assumption: an unready user stops within half a year to ten years; surveys report "
       "a minority of tried GenAI tools in regular use a year on (MIT NANDA 2025)",
       "Lapse"),
    _e("temperature", 0.03, 0.2, "intention",
       "Assumption: width of the threshold curve (Granovetter 1978), from nearly a step to "
       "a slope over most of the intention range",
       "Readiness width"),
    _p("data_effort", 10.0, 60.0, "person-weeks",
       "Data work takes 45-80% of a pilot's effort (CrowdFlower 2016; Anaconda 2020) "
       "against 10 person-weeks of modelling",
       "Data effort"),
    _p("model_effort", 4.0, 25.0, "person-weeks",
       "Assumption: one to six months of one data scientist for a pilot of middle difficulty",
       "Modelling effort"),
    _p("drift", 0.001, 0.01, "per week",
       "Models lose quality without retraining (Sculley et al. 2015); assumption: 5-40% a "
       "year",
       "Model drift"),
    _p("incident_rate", 0.02, 0.3, "per week",
       "Assumption: unnoticed degradation turns into an incident within 3 to 50 weeks",
       "Incident rate"),
    _p("retire_rate", 0.002, 0.02, "per week",
       "Assumption: a live use case is retired after 1 to 10 years on average; 3-year "
       "survival of production models is the checked pattern (docs/ODD.md, section 8)",
       "Retirement"),
)

CONSTANTS_BY_NAME: dict[str, Constant] = {c.name: c for c in CONSTANTS}


def _unknown(name: str, source: str) -> UserInputError:
    where = f" in {source}" if source else ""
    return UserInputError(f"unknown calibratable constant '{name}'{where}"
                          f"{suggest(name, CONSTANTS_BY_NAME)}; allowed: "
                          f"{', '.join(CONSTANTS_BY_NAME)}")


def validate_constants(values: Mapping[str, Any], source: str = "") -> dict[str, float]:
    """Check overrides of calibratable constants: known names, finite values within bounds."""
    out = {}
    for name, value in values.items():
        c = CONSTANTS_BY_NAME.get(name)
        if c is None:
            raise _unknown(name, source)
        out[name] = c.validate(value, source)
    return out


def model_params(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """The model's parameter objects with ``values`` in place of the shipped constants.

    Args:
        values: Calibratable constants by name (see :data:`CONSTANTS`); None or empty for none.

    Returns:
        Keyword arguments for :class:`~aiscale_sim.model.EnterpriseModel`:
        ``employee_params`` and ``pipeline_params``, each None when none of its constants is
        overridden (so the model builds its defaults, exactly as without overrides).

    Raises:
        UserInputError: An unknown constant or a value outside its prior's range.
    """
    values = validate_constants(values or {})
    out: dict[str, Any] = {}
    for owner, cls in OWNERS.items():
        mine = {k: v for k, v in values.items() if CONSTANTS_BY_NAME[k].owner == owner}
        out[f"{owner}_params"] = dataclasses.replace(cls(), **mine) if mine else None
    return out


def format_table() -> str:
    """The calibratable constants as a Markdown table (name, owner, default, prior, source)."""
    lines = ["| constant | owner | default | prior (uniform) | unit | source |",
             "| --- | --- | --- | --- | --- | --- |"]
    for c in CONSTANTS:
        lines.append(f"| `{c.name}` | `{OWNERS[c.owner].__name__}` | {c.default:g} | "
                     f"{c.low:g} to {c.high:g} | {c.unit} | {c.source} |")
    return "\n".join(lines)


#: Top-level keys of a constants file.
CONSTANTS_FILE_KEYS = ("name", "description", "constants")


def load_constants(path) -> dict[str, float]:
    """Read a constants file: a TOML file with a ``[constants]`` table of calibratable constants.

    ``aiscale calibrate --facts`` writes one (``constants.toml``); ``aiscale validate
    --constants FILE`` and ``aiscale run --constants FILE`` read it.

    Raises:
        UserInputError: A missing or broken file, an unknown key or constant, or a value
            outside the constant's prior range; the message names the file.
    """
    from pathlib import Path

    from aiscale_sim.tomlfile import read_toml

    path = Path(path)
    data = read_toml(path, what="constants", allowed=CONSTANTS_FILE_KEYS,
                     tables=("constants",), strings=("name", "description"))
    if "constants" not in data:
        raise UserInputError(f"{path}: no [constants] table; give the calibratable constants "
                             f"by name under [constants] (allowed: "
                             f"{', '.join(CONSTANTS_BY_NAME)})")
    return validate_constants(data["constants"], str(path))
