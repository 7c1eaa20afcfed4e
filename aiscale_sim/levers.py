"""The lever table: every model parameter declared exactly once.

Each :class:`Lever` carries its name, default, bounds (or choices), kind, unit, a one-line
meaning and a group (``policy`` levers are what a leadership team can change; ``structure``
levers describe the organisation). Everything else is derived from :data:`LEVERS`: the model's
keyword arguments, scenario validation, the CLI help and ``aiscale levers``, the ODD parameter
table, the SALib problem and notebook sliders. Nothing else in the package repeats a default or
a range.

The parameter style follows EMA Workbench's ``RealParameter``/``IntegerParameter``/
``CategoricalParameter`` declarations and SALib's problem dictionaries (Kwakkel 2017;
Herman & Usher 2017).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiscale_sim.errors import UserInputError

KINDS = ("float", "int", "bool", "choice")
GROUPS = ("policy", "structure")


@dataclass(frozen=True)
class Lever:
    """One model parameter.

    Args:
        name: Identifier used in scenario files, keyword arguments and outputs.
        default: Value used when a scenario does not set the lever.
        low: Smallest allowed value (``None`` for bool and choice levers).
        high: Largest allowed value (``None`` for bool and choice levers).
        kind: One of ``float``, ``int``, ``bool`` or ``choice``.
        unit: Unit of the value, e.g. ``"hours per employee per year"``.
        description: One-line meaning.
        group: ``policy`` (a decision) or ``structure`` (the organisation).
        choices: Allowed values of a ``choice`` lever.
        label: Short name a person reads on figures and reports, e.g. ``"Centralisation"``
            (empty: the name with underscores as spaces).
    """

    name: str
    default: Any
    low: float | None
    high: float | None
    kind: str
    unit: str
    description: str
    group: str
    choices: tuple[str, ...] = field(default=())
    label: str = ""

    @property
    def short_label(self) -> str:
        """The label, or the name with underscores as spaces when no label is declared."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def axis_label(self) -> str:
        """Label with its unit, for a figure's axis.

        E.g. ``"Centralisation (share of AI staff in the CoE)"``; a choice or bool lever has
        no unit to show, and a unit the label already names is not repeated.
        """
        if self.kind in ("choice", "bool") or self.unit.lower() in self.short_label.lower():
            return self.short_label  # no unit, or one the label already says ("Business units")
        return f"{self.short_label} ({self.unit})"

    def validate(self, value: Any, source: str = "") -> Any:
        """Return ``value`` converted to this lever's kind, or raise :class:`UserInputError`."""
        where = f" in {source}" if source else ""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise UserInputError(
                f"lever '{self.name}'{where}: expected true or false, got {value!r}"
            )
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            raise UserInputError(
                f"lever '{self.name}'{where}: {value!r} is not allowed; "
                f"choose one of {', '.join(self.choices)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserInputError(
                f"lever '{self.name}'{where}: expected "
                f"{'a whole number' if self.kind == 'int' else 'a number'} "
                f"({self.unit}), got {type(value).__name__} {value!r}"
            )
        if self.kind == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    raise UserInputError(
                        f"lever '{self.name}'{where}: expected a whole number, got {value!r}"
                    )
                value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise UserInputError(f"lever '{self.name}'{where}: {value!r} is not finite")
        if not (self.low <= value <= self.high):
            raise UserInputError(
                f"lever '{self.name}'{where}: {value!r} is out of bounds; "
                f"allowed {_fmt(self.low)} to {_fmt(self.high)} ({self.unit})"
            )
        return value

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form used by ``aiscale levers --format json``."""
        d = {
            "name": self.name,
            "default": self.default,
            "low": self.low,
            "high": self.high,
            "kind": self.kind,
            "unit": self.unit,
            "description": self.description,
            "group": self.group,
        }
        if self.kind == "choice":
            d["choices"] = list(self.choices)
        return d


def _f(name, default, low, high, unit, description, group="policy", label=""):
    return Lever(name, float(default), float(low), float(high), "float", unit, description, group,
                 label=label)


def _i(name, default, low, high, unit, description, group="structure", label=""):
    return Lever(name, int(default), int(low), int(high), "int", unit, description, group,
                 label=label)


#: The lever table. Defaults describe the baseline enterprise (scenarios/baseline.toml).
LEVERS: tuple[Lever, ...] = (
    # --- operating model and people -------------------------------------------------------
    _f("centralisation", 0.3, 0.0, 1.0, "share of AI staff in the CoE",
       "Operating model: 0 = fully federated teams, 1 = one central CoE, between = hybrid",
       label="Centralisation"),
    _f("training_hours", 3.0, 0.0, 40.0, "hours per employee per year",
       "AI training spend, as paid training hours for every employee",
       label="Training"),
    _f("adoption_incentive", 0.0, 0.0, 2000.0, "$ per adopting employee per year",
       "Incentives that reward employees for actually using AI tools",
       label="Adoption incentive"),
    _f("pilot_count_incentive", 0.3, 0.0, 1.0, "weight 0-1",
       "Incentives that reward leaders for the number of pilots launched (a vanity metric)",
       label="Pilot-count incentive"),
    _f("change_management", 50.0, 0.0, 1000.0, "$ per employee per year",
       "Change-management spend: champions, workflow redesign, support",
       label="Change management"),
    _f("data_investment", 0.3, 0.0, 5.0, "$M per business unit per year",
       "Investment in data infrastructure and data quality",
       label="Data investment"),
    _f("platform_investment", 1.0, 0.0, 20.0, "$M per year",
       "Investment in the shared ML platform and MLOps tooling",
       label="Platform investment"),
    _f("integration_investment", 0.0, 0.0, 5.0, "$M per business unit per year",
       "Investment in integrating legacy systems (APIs, modernisation) so AI can plug in",
       label="Integration investment"),
    _f("ai_staff_per_1000", 4.0, 0.5, 30.0, "AI FTE per 1,000 employees",
       "AI headcount: data scientists, data/ML engineers and MLOps staff",
       label="AI staff"),
    _f("engineer_ratio", 1.0, 0.2, 6.0, "engineers per data scientist",
       "Engineer:scientist mix (data, ML and MLOps engineers per data scientist)",
       label="Engineer mix"),
    _f("translator_share", 0.05, 0.0, 0.3, "share of AI headcount",
       "AI product managers / translators: AI staff who bridge AI teams and the business",
       label="Translators"),
    _f("governance_rigour", 0.5, 0.0, 1.0, "0-1",
       "Governance rigour: longer reviews before go-live; fewer incidents and more trust after",
       label="Governance rigour"),
    _f("executive_sponsorship", 0.4, 0.0, 1.0, "0-1",
       "Executive sponsorship: how strongly unit leaders commit to taking AI live",
       label="Executive sponsorship"),
    Lever("prioritisation", "launch_everything", None, None, "choice", "policy",
          "How leadership picks pilots from the idea backlog", "policy",
          choices=("launch_everything", "value_feasibility"),
       label="Prioritisation"),
    _f("pilot_launch_rate", 6.0, 0.5, 30.0, "ideas per business unit per year",
       "Pilot launch rate: new AI ideas each unit puts forward",
       label="Pilot launch rate"),
    _f("success_criteria_clarity", 0.3, 0.0, 1.0, "0-1",
       "How clearly pilots define business success criteria up front",
       label="Success-criteria clarity"),
    _f("jobs_communication", 0.3, 0.0, 1.0, "0-1",
       "Honest communication about what AI means for jobs, plus reskilling promises",
       label="Jobs communication"),
    _i("purgatory_timeout", 52, 4, 260, "weeks",
       "Weeks a pilot may wait in purgatory before it is abandoned", group="policy",
       label="Purgatory timeout"),
    # --- use-case classes and sourcing (aiscale_sim/portfolio.py) --------------------------
    _f("genai_share", 0.3, 0.0, 1.0, "share of custom ideas",
       "Custom GenAI or agentic use cases among new custom ideas (the rest classic ML)",
       label="GenAI share"),
    _f("assistant_share", 0.15, 0.0, 1.0, "share of new ideas",
       "Off-the-shelf GenAI assistants rolled out to a unit's employees, among new ideas",
       label="Assistant share"),
    _f("buy_share", 0.3, 0.0, 1.0, "share of custom ideas",
       "Custom use cases bought from vendors rather than built (assistants are always bought)",
       label="Buy share"),
    # --- structure ------------------------------------------------------------------------
    _i("employees", 5000, 100, 1_000_000, "people",
       "Number of employees (AI staff included)",
       label="Employees"),
    _i("business_units", 8, 1, 100, "units", "Number of business units",
       label="Business units"),
    _i("span_of_control", 8, 2, 30, "direct reports per manager",
       "Span of control of the reporting tree",
       label="Span of control"),
    _i("tie_density", 6, 2, 30, "peer ties per employee",
       "Tie density: peer ties per employee in the small-world team network",
       label="Tie density"),
    _f("weak_tie_share", 0.1, 0.0, 1.0, "cross-unit ties per employee",
       "Weak ties across units, per employee (Granovetter's bridges)", group="structure",
       label="Weak ties"),
    _f("high_risk_share", 0.15, 0.0, 1.0, "share of new ideas",
       "Share of AI ideas in a high-risk class (regulated decisions: credit, hiring, health)",
       group="structure",
       label="High-risk share"),
)

LEVERS_BY_NAME: dict[str, Lever] = {lv.name: lv for lv in LEVERS}
POLICY_LEVERS: tuple[str, ...] = tuple(lv.name for lv in LEVERS if lv.group == "policy")


def defaults() -> dict[str, Any]:
    """Return the default value of every lever."""
    return {lv.name: lv.default for lv in LEVERS}


def suggest(name: str, names: Iterable[str] | None = None) -> str:
    """Return a ' (did you mean ...?)' hint for a misspelt lever name, or ''."""
    pool = list(names) if names is not None else list(LEVERS_BY_NAME)
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_lever_error(name: str, source: str = "") -> UserInputError:
    """Build the error for a lever name that is not in the table."""
    where = f" in {source}" if source else ""
    return UserInputError(
        f"unknown lever '{name}'{where}{suggest(name)}; "
        "run 'aiscale levers' for the list of levers"
    )


def validate_levers(values: Mapping[str, Any], source: str = "") -> dict[str, Any]:
    """Validate ``values`` against the table and fill in defaults.

    Args:
        values: Lever overrides by name.
        source: Where the values came from (a file name), for error messages.

    Returns:
        A complete lever dict, every value converted to its lever's kind.

    Raises:
        UserInputError: An unknown name, a wrong type or a value out of bounds.
    """
    out = defaults()
    for name, value in values.items():
        lever = LEVERS_BY_NAME.get(name)
        if lever is None:
            raise unknown_lever_error(name, source)
        out[name] = lever.validate(value, source)
    if out["employees"] < 10 * out["business_units"]:
        raise UserInputError(
            f"levers{' in ' + source if source else ''}: employees ({out['employees']}) must be "
            f"at least 10 per business unit ({out['business_units']} units)"
        )
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _range(lv: Lever) -> str:
    if lv.kind == "choice":
        return " | ".join(lv.choices)
    if lv.kind == "bool":
        return "true | false"
    return f"{_fmt(lv.low)} to {_fmt(lv.high)}"


def format_table(fmt: str = "table") -> str:
    """Render the lever table as ``table``, ``csv``, ``json`` or ``markdown``."""
    if fmt == "json":
        return json.dumps([lv.as_dict() for lv in LEVERS], indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        cols = ["name", "default", "low", "high", "kind", "unit", "description", "group",
                "choices"]
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for lv in LEVERS:
            d = lv.as_dict()
            d["choices"] = "|".join(lv.choices)
            w.writerow([_fmt(d[c]) for c in cols])
        return buf.getvalue().rstrip("\n")
    if fmt == "markdown":
        lines = ["| lever | group | default | range | unit | meaning |",
                 "| --- | --- | --- | --- | --- | --- |"]
        for lv in LEVERS:
            lines.append(f"| `{lv.name}` | {lv.group} | {_fmt(lv.default)} | {_range(lv)} | "
                         f"{lv.unit} | {lv.description} |")
        return "\n".join(lines)
    if fmt == "table":
        rows = [(lv.name, lv.group, _fmt(lv.default), _range(lv), lv.unit) for lv in LEVERS]
        head = ("lever", "group", "default", "range", "unit")
        widths = [max(len(r[i]) for r in [*rows, head]) for i in range(len(head))]
        out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
        out.append("  ".join("-" * w for w in widths))
        for lv, r in zip(LEVERS, rows, strict=True):
            out.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
            out.append("    " + lv.description)
        return "\n".join(out)
    raise UserInputError(f"unknown format '{fmt}'; choose one of table, csv, json, markdown")
