"""An organisation's file for ``aiscale calibrate --observed``: known levers, observed outcomes.

Format::

    name = "my_org"                 # optional, defaults to the file's stem
    description = "..."             # optional
    [levers]                        # what is known about the organisation
    employees = 3000
    business_units = 6
    [observed]                      # what the organisation has seen, any summary outcomes
    pilot_to_production_rate = 0.3
    median_time_to_production_weeks = 40
    adoption_share = 0.35

Observed outcomes are end-of-run outcomes of the model (the ``outcomes`` of a run's
``summary.json``; nested ones by their dotted name, e.g.
``pilot_to_production_by_class.genai``), measured after the run's weeks (``--steps``). The
free levers are the ones to fit: each gets a uniform prior over its bounds in the lever table.
Everything is checked here, before anything runs or is written.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS_BY_NAME, suggest, unknown_lever_error, validate_levers
from aiscale_sim.tomlfile import read_toml

ALLOWED_KEYS = ("name", "description", "levers", "observed")

#: Outcomes that are not a single measured number of the organisation.
_NOT_OBSERVABLE_PREFIXES = ("adopter_categories",)


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


@functools.cache
def observable_outcomes() -> tuple[str, ...]:
    """Names of the model's end-of-run outcomes that an organisation can observe.

    Read from the model itself (a one-week run of a small organisation), so the list can never
    fall behind :func:`aiscale_sim.outputs.summary_outcomes`.
    """
    from aiscale_sim.simulate import simulate

    outcomes = simulate({"employees": 100, "business_units": 1}, seed=0, steps=1).outcomes
    return tuple(k for k in _flatten(outcomes)
                 if not k.startswith(_NOT_OBSERVABLE_PREFIXES))


def outcome_values(outcomes: Mapping[str, Any], names: Iterable[str]) -> dict[str, float]:
    """The named outcomes of a run as floats (an outcome that is None becomes NaN)."""
    flat = _flatten(outcomes)
    return {n: float("nan") if flat.get(n) is None else float(flat[n]) for n in names}


@dataclass(frozen=True)
class ObservedOrg:
    """What is known about an organisation and what it has observed.

    Attributes:
        name: The organisation's name (the file's ``name``, or its stem).
        description: Free text from the file.
        levers: The known lever values, as written (the rest take the table's defaults).
        observed: Observed outcomes by name.
        path: The file it was read from (None when built in code).
    """

    name: str
    levers: dict[str, Any]
    observed: dict[str, float]
    description: str = ""
    path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data, as recorded with a calibration."""
        return {"name": self.name, "description": self.description, "levers": self.levers,
                "observed": self.observed}


def check_observed(observed: Mapping[str, Any], source: str) -> dict[str, float]:
    """Check observed outcomes: known names, finite numbers."""
    if not observed:
        raise UserInputError(f"{source}: [observed] is empty; give at least one outcome, e.g. "
                             "adoption_share = 0.35")
    known = observable_outcomes()
    out = {}
    for name, value in observed.items():
        if name not in known:
            raise UserInputError(
                f"{source}: unknown observed outcome '{name}'{suggest(name, known)}; allowed: "
                f"{', '.join(known)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise UserInputError(f"{source}: observed outcome '{name}' must be a finite "
                                 f"number, got {value!r}")
        out[name] = float(value)
    return out


def make_org(levers: Mapping[str, Any], observed: Mapping[str, Any], *, name: str = "custom",
             description: str = "", source: str = "observed") -> ObservedOrg:
    """Build and check an :class:`ObservedOrg` from data.

    Raises:
        UserInputError: An unknown lever or outcome, a lever value out of bounds, or an
            observed value that is not a finite number.
    """
    validate_levers(levers, source)
    return ObservedOrg(name=name, levers=dict(levers),
                       observed=check_observed(observed, source), description=description,
                       path=None if source == "observed" else source)


def load_observed(path: str | Path) -> ObservedOrg:
    """Read and check an organisation's file (see the module docstring for the format)."""
    path = Path(path)
    data = read_toml(path, what="observed", allowed=ALLOWED_KEYS, tables=("levers", "observed"),
                     strings=("name", "description"))
    if "observed" not in data:
        raise UserInputError(f"{path}: no [observed] table; say what the organisation has seen, "
                             "e.g. adoption_share = 0.35")
    return make_org(data.get("levers", {}), data["observed"], name=data.get("name", path.stem),
                    description=" ".join(data.get("description", "").split()), source=str(path))


def check_free(free: Sequence[str] | str, org: ObservedOrg) -> tuple[str, ...]:
    """Check the levers to fit: known, numeric, not fixed in ``[levers]``, not repeated.

    Args:
        free: Lever names, or one comma-separated string of them.
        org: The organisation (its ``[levers]`` are fixed).

    Raises:
        UserInputError: No lever, an unknown lever, a choice or bool lever, a lever that is
            also fixed, a repeated lever, or the organisation's size.
    """
    if isinstance(free, str):
        free = [f.strip() for f in free.split(",")]
    names = [f for f in free if f]
    if not names:
        raise UserInputError("--free: name at least one lever to fit, e.g. "
                             "--free executive_sponsorship,change_management")
    seen: set[str] = set()
    for n in names:
        lever = LEVERS_BY_NAME.get(n)
        if lever is None:
            raise unknown_lever_error(n, "--free")
        if lever.kind in ("choice", "bool"):
            raise UserInputError(
                f"--free: lever '{n}' is a {lever.kind} lever; only numeric levers can be "
                "fitted (set it in [levers], or calibrate once for each choice)")
        if n == "employees":
            raise UserInputError("--free: the number of employees is known; set it in [levers] "
                                 "instead of fitting it")
        if n in org.levers:
            raise UserInputError(
                f"--free: lever '{n}' is also fixed in [levers] of "
                f"{org.path or 'the observed data'} ({org.levers[n]!r}); fit it or fix it, not "
                "both")
        if n in seen:
            raise UserInputError(f"--free: lever '{n}' is named twice")
        seen.add(n)
    return tuple(names)


def prior_bounds(free: Sequence[str], org: ObservedOrg) -> dict[str, tuple[float, float]]:
    """The uniform prior of each free lever: its bounds in the lever table.

    The business units are bounded above by the organisation's size (at least ten employees
    per unit, as the lever table requires).
    """
    known = validate_levers(org.levers)
    out = {}
    for n in free:
        lv = LEVERS_BY_NAME[n]
        low, high = float(lv.low), float(lv.high)
        if n == "business_units":
            high = min(high, float(known["employees"] // 10))
        out[n] = (low, high)
    return out
