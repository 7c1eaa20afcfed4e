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

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import (
    LEVERS,
    LEVERS_BY_NAME,
    suggest,
    unknown_lever_error,
    validate_levers,
)
from aiscale_sim.tomlfile import read_toml

ALLOWED_KEYS = ("name", "description", "extends", "levers", "budget", "phases")
PHASE_KEYS = ("week", "levers")
DEFAULT_SCENARIO = "baseline"
#: Longest run, in weekly steps (100 years); a phase cannot come later.
MAX_STEPS = 5200
#: Levers that describe the organisation: built once, so no phase may change them.
STRUCTURE_LEVERS: tuple[str, ...] = tuple(lv.name for lv in LEVERS if lv.group == "structure")


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


@dataclass(frozen=True)
class Phase:
    """Levers that change on a given week of a run.

    Args:
        week: The week at whose start the new values apply (1 is the first week simulated).
        levers: The policy levers that change, with their new values (validated).
    """

    week: int
    levers: Mapping[str, Any] = field(hash=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form, as written to summary.json and experiment manifests."""
        return {"week": self.week, "levers": dict(self.levers)}


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


def _phase_week(value: Any, where: str) -> int:
    """A phase's week as an int, or an error naming the phase."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserInputError(f"{where}: 'week' must be a whole number of weeks from 1 to "
                             f"{MAX_STEPS}, got {value!r}")
    if not 1 <= value <= MAX_STEPS:
        raise UserInputError(f"{where}: week {value} is out of bounds; allowed 1 to "
                             f"{MAX_STEPS} (week 1 is the first week of the run)")
    return value


def validate_phases(phases: Iterable[Phase | Mapping[str, Any]] | None, source: str = "",
                    fixed: Mapping[str, str] | None = None) -> tuple[Phase, ...]:
    """Check phases: known keys, increasing whole weeks, policy levers within their bounds.

    Args:
        phases: Phases as :class:`Phase` objects or ``{"week": ..., "levers": {...}}`` tables
            (the ``[[phases]]`` of a scenario file); None for none.
        source: Where they came from (a file name), for messages.
        fixed: Levers no phase may change, each with the reason (a budget's spend levers).

    Returns:
        The phases in week order, each lever value converted to its lever's kind.

    Raises:
        UserInputError: A phase that is not a table, an unknown key, a missing or bad week,
            weeks not increasing, an unknown lever, a structure or fixed lever, or a value out
            of bounds; the message names the phase and the key.
    """
    if phases is None:
        return ()
    src = f" in {source}" if source else ""
    if isinstance(phases, Mapping) or isinstance(phases, str | bytes) or not isinstance(
            phases, Iterable):
        raise UserInputError(f"'phases'{src} must be an array of tables ([[phases]], each "
                             "with week and levers)")
    fixed = dict(fixed or {})
    out: list[Phase] = []
    for i, ph in enumerate(phases, start=1):
        if isinstance(ph, Phase):
            ph = ph.as_dict()
        where = f"phase {i}{src}"
        if not isinstance(ph, Mapping):
            raise UserInputError(f"{where}: a phase must be a table with week and levers "
                                 f"([[phases]]), got {type(ph).__name__} {ph!r}")
        for key in ph:
            if key not in PHASE_KEYS:
                raise UserInputError(f"{where}: unknown key '{key}'{suggest(key, PHASE_KEYS)}; "
                                     f"allowed keys: {', '.join(PHASE_KEYS)}")
        if "week" not in ph:
            raise UserInputError(f"{where}: 'week' is missing (the week the levers change)")
        week = _phase_week(ph["week"], where)
        where = f"phase {i} (week {week}){src}"
        if out and week <= out[-1].week:
            order = "appears twice" if week == out[-1].week else (
                f"comes after week {out[-1].week}")
            raise UserInputError(f"{where}: week {week} {order}; phases must be listed in "
                                 "increasing week order, one phase per week")
        levers = ph.get("levers")
        if not isinstance(levers, Mapping) or not levers:
            raise UserInputError(f"{where}: 'levers' must be a non-empty table of the policy "
                                 "levers that change, e.g. levers = { pilot_launch_rate = 12.0 }")
        values = {}
        for name, value in levers.items():
            lever = LEVERS_BY_NAME.get(name)
            if lever is None:
                raise unknown_lever_error(name, where)
            if lever.group == "structure":
                raise UserInputError(
                    f"{where}: '{name}' is a structure lever and cannot change during a run "
                    f"(the organisation is built once); set it in [levers]. Phases may change "
                    f"policy levers only, not {', '.join(STRUCTURE_LEVERS)}")
            if name in fixed:
                raise UserInputError(f"{where}: '{name}' cannot change in a phase: {fixed[name]}")
            values[name] = lever.validate(value, where)
        out.append(Phase(week, values))
    return tuple(out)


def check_phase_weeks(phases: Sequence[Phase], steps: int, name: str = "") -> None:
    """Refuse phases that come after the last week of a run of ``steps`` weeks.

    Raises:
        UserInputError: The first phase whose week is beyond ``steps``.
    """
    for ph in phases:
        if ph.week > steps:
            of = f" of scenario '{name}'" if name else ""
            raise UserInputError(
                f"phase at week {ph.week}{of} is beyond the run's {steps} steps; run at least "
                f"{ph.week} steps (--steps) or move the phase")


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
