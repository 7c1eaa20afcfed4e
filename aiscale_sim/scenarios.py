"""Scenario files: TOML data naming lever values, validated against the lever table.

Format::

    name = "coe"                      # optional, defaults to the file's stem
    description = "The story ..."     # optional
    extends = "baseline.toml"         # optional: start from another scenario's levers
    [levers]
    centralisation = 1.0

``extends`` is resolved relative to the file that names it. Bare names (``coe``) are looked up
in the scenarios shipped with the package.

Phases are levers that change on given weeks of a run (a strategy in stages)::

    [[phases]]
    week = 53                         # applied at the start of week 53 (week 1 is the first)
    levers = { platform_investment = 8.0, data_investment = 1.5 }

    [[phases]]
    week = 105
    levers = { pilot_launch_rate = 12.0 }

Only policy levers may change (the organisation's structure is fixed when it is built), the
weeks must increase, and each phase's values are validated like ``[levers]``. Phases are
inherited through ``extends`` unless the file states its own (``phases = []`` states none).

An optional ``[budget]`` table states a total annual AI budget and its split; it is turned into
the six spend levers (see :mod:`aiscale_sim.budget`) so strategies can be compared at equal
cost. A budget is inherited through ``extends`` unless the file states its own. The budget
decides the spend levers for the whole run, so a budget scenario's phases may not change them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import (
    LEVERS_BY_NAME,
    suggest,
    unknown_lever_error,
    validate_levers,
)
from aiscale_sim.phases import (  # noqa: F401 (re-exported: phases are part of a scenario)
    MAX_STEPS,
    PHASE_KEYS,
    STRUCTURE_LEVERS,
    Phase,
    check_phase_weeks,
    validate_phases,
)
from aiscale_sim.tomlfile import read_toml

ALLOWED_KEYS = ("name", "description", "extends", "levers", "budget", "phases")
DEFAULT_SCENARIO = "baseline"


def scenario_dir() -> Path:
    """Folder of the shipped scenarios (inside the wheel, or the source tree's scenarios/)."""
    here = Path(__file__).resolve().parent
    for cand in (here / "_scenarios", here.parent / "scenarios"):
        if cand.is_dir():
            return cand
    raise UserInputError("the shipped scenarios folder is missing from this installation")


def available() -> list[str]:
    """Names of the shipped scenarios."""
    return sorted(p.stem for p in scenario_dir().glob("*.toml"))


@dataclass
class Scenario:
    """A resolved scenario: a complete, validated lever dict and where it came from.

    ``levers`` hold from the first week; each of ``phases`` changes some of them from its week.
    """

    name: str
    levers: dict[str, Any]
    description: str = ""
    path: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, Any] | None = None
    phases: tuple[Phase, ...] = ()


def resolve_path(ref: str | Path, relative_to: Path | None = None) -> Path:
    """Turn a scenario reference (a path or a shipped name) into an existing file path."""
    ref_s = str(ref)
    p = Path(ref_s)
    candidates = []
    if relative_to is not None and not p.is_absolute():
        candidates.append(relative_to / p)
    candidates.append(p)
    if p.suffix != ".toml" and p.parent == Path("."):
        candidates.append(scenario_dir() / f"{ref_s}.toml")
    elif p.parent == Path("."):
        candidates.append(scenario_dir() / p.name)
    for c in candidates:
        if c.is_file():
            return c.resolve()
    names = available()
    raise UserInputError(
        f"scenario '{ref_s}' not found (no such file){suggest(p.stem, names)}; "
        f"shipped scenarios: {', '.join(names)}"
    )


def _lever_hint(key: str) -> str:
    return " (lever values go under a [levers] table)" if key in LEVERS_BY_NAME else ""


def _read(path: Path) -> dict[str, Any]:
    data = read_toml(path, what="scenario", allowed=ALLOWED_KEYS, tables=("levers", "budget"),
                     strings=("name", "description", "extends"), hint=_lever_hint)
    if "phases" in data and not isinstance(data["phases"], list):
        raise UserInputError(f"{path}: 'phases' must be an array of tables ([[phases]], each "
                             "with week and levers)")
    return data


def _raw_levers(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    if path in chain:
        loop = " -> ".join(p.name for p in (*chain, path))
        raise UserInputError(f"scenario 'extends' loop: {loop}")
    data = _read(path)
    levers: dict[str, Any] = {}
    if "extends" in data:
        base = resolve_path(data["extends"], relative_to=path.parent)
        levers.update(_raw_levers(base, (*chain, path)))
    own = data.get("levers", {})
    for k in own:
        if k not in LEVERS_BY_NAME:
            raise unknown_lever_error(k, str(path))
    levers.update({k: (v, str(path)) for k, v in own.items()})
    return levers


def load_scenario(ref: str | Path | None = None) -> Scenario:
    """Load and validate a scenario file (or a shipped scenario by name).

    Args:
        ref: A path to a TOML file, or the name of a shipped scenario; None for the default.

    Raises:
        UserInputError: Missing file, broken TOML, unknown key or lever, wrong type, value out
            of bounds, or an ``extends`` loop. Nothing has run when it is raised.
    """
    path = resolve_path(ref if ref is not None else DEFAULT_SCENARIO)
    data = _read(path)
    raw = _raw_levers(path, ())
    values = {}
    for k, (v, src) in raw.items():
        values[k] = LEVERS_BY_NAME[k].validate(v, src)
    budget, budget_src = _budget(path, ())
    if budget is not None:
        from aiscale_sim.budget import SHARE_LEVERS, levers_from_budget, validate_budget

        clash = [k for k in data.get("levers", {}) if k in SHARE_LEVERS.values()]
        if clash:
            where = "" if budget_src == path else f" (inherited from {budget_src.name})"
            raise UserInputError(
                f"{path}: {', '.join(clash)} set both in [levers] and by [budget]{where}; "
                "remove it from [levers] (the budget decides spend levers)")
        sized = validate_levers(values, str(path))
        budget = validate_budget(budget, str(budget_src))
        values.update(levers_from_budget(budget, sized, str(budget_src)))
    levers = validate_levers(values, str(path))
    raw_phases, phases_src = _inherited(path, "phases")
    fixed = {}
    if budget is not None:
        from aiscale_sim.budget import SHARE_LEVERS

        spend = ", ".join(SHARE_LEVERS.values())
        fixed = {k: f"the scenario's [budget] decides it for the whole run (in a budget "
                    f"scenario, phases may not set the spend levers {spend})"
                 for k in SHARE_LEVERS.values()}
    phases = validate_phases(raw_phases, str(phases_src), fixed) if raw_phases else ()
    return Scenario(name=data.get("name", path.stem), levers=levers,
                    description=data.get("description", "").strip(), path=str(path),
                    overrides=values, budget=budget, phases=phases)


def _budget(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any] | None, Path | None]:
    """The ``[budget]`` table of a scenario file, or of the nearest file it extends."""
    return _inherited(path, "budget", chain)


def _inherited(path: Path, key: str, chain: tuple[Path, ...] = ()) -> tuple[Any, Path | None]:
    """A top-level ``key`` of a scenario file, or of the nearest file it extends."""
    data = _read(path)
    if key in data:
        return data[key], path
    if "extends" in data and path not in chain:
        return _inherited(resolve_path(data["extends"], relative_to=path.parent), key,
                          (*chain, path))
    return None, None
