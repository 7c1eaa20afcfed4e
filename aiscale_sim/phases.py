"""Phases: policy levers that change on given weeks of a run (a strategy in stages).

A scenario file states them as ``[[phases]]`` tables (see :mod:`aiscale_sim.scenarios`); the
model applies them at the start of their weeks. They live in a module of their own, below both,
so that the model reads its phases without importing the scenario files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS, LEVERS_BY_NAME, suggest, unknown_lever_error

PHASE_KEYS = ("week", "levers")
#: Longest run, in weekly steps (100 years); a phase cannot come later.
MAX_STEPS = 5200
#: Levers that describe the organisation: built once, so no phase may change them.
STRUCTURE_LEVERS: tuple[str, ...] = tuple(lv.name for lv in LEVERS if lv.group == "structure")


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
