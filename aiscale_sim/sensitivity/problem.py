"""Sensitivity-analysis problems: which inputs vary, over what range, with what distribution.

A :class:`Problem` is SALib's problem dictionary (names, bounds, distributions, groups; Herman &
Usher 2017, doi:10.21105/joss.00097) plus the knowledge of how a sampled number becomes a lever
value. It is built either from the lever table (:func:`lever_problem`), so no range is written
twice, or from a problem file for an arbitrary Python function (:func:`function_problem`).

Encodings of non-numeric levers (documented in ``aiscale sensitivity --help``):

* ``int`` levers are sampled as real numbers over ``[low, high]`` and rounded to the nearest
  whole number (then clipped to the table's bounds).
* ``choice`` levers with k choices are sampled as ``u`` uniform on ``[0, 1]``; choice
  ``floor(u * k)`` is used (u = 1 maps to the last). For ``prioritisation``: u < 0.5 means
  ``launch_everything``, u >= 0.5 ``value_feasibility``. Their indices therefore measure the
  effect of switching between choices.
* ``bool`` levers: u < 0.5 means false, u >= 0.5 true.

Distributions (SALib's ``dists``): ``unif`` (low, high); ``triang`` (low, high, ``peak`` as a
fraction of the range, default 0.5); ``norm`` (``mean``, ``sd``), truncated to the bounds with
SALib's ``truncnorm`` so that no sample leaves the allowed range; ``lognorm`` (``mean`` and
``sd`` of the value's natural logarithm), for levers clipped to the bounds afterwards (the
number of clipped values is reported).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS_BY_NAME, POLICY_LEVERS, Lever, unknown_lever_error

DISTS = ("unif", "triang", "norm", "lognorm")
_PARAM_KEYS = {"low", "high", "dist", "peak", "mean", "sd", "group"}


@dataclass
class Parameter:
    """One uncertain input.

    Args:
        name: Lever or function-argument name.
        low: Smallest value sampled (for ``norm``, the truncation bound).
        high: Largest value sampled.
        dist: One of ``unif``, ``triang``, ``norm``, ``lognorm``.
        peak: Mode of a ``triang`` distribution as a fraction of ``[low, high]``.
        mean: Mean of ``norm`` (value units) or of the log of ``lognorm``.
        sd: Standard deviation, in the same units as ``mean``.
        group: SALib group name, or None for a group of its own.
        kind: ``float``, ``int``, ``bool`` or ``choice`` (how a sample becomes a value).
        choices: Choices of a ``choice`` lever, in encoding order.
    """

    name: str
    low: float
    high: float
    dist: str = "unif"
    peak: float = 0.5
    mean: float | None = None
    sd: float | None = None
    group: str | None = None
    kind: str = "float"
    choices: tuple[str, ...] = field(default=())

    def salib_bounds(self) -> list[float]:
        """The ``bounds`` entry SALib expects for this parameter's distribution."""
        if self.dist == "unif":
            return [self.low, self.high]
        if self.dist == "triang":
            return [self.low, self.high, self.peak]
        if self.dist == "norm":
            return [self.low, self.high, self.mean, self.sd]
        return [self.mean, self.sd]

    def salib_dist(self) -> str:
        """SALib's distribution name (``norm`` is always truncated to the bounds)."""
        return "truncnorm" if self.dist == "norm" else self.dist

    def decode(self, x: float) -> Any:
        """Turn one sampled number into the value passed to the model or function."""
        if self.kind == "choice":
            k = len(self.choices)
            return self.choices[min(int(math.floor(x * k)), k - 1)]
        if self.kind == "bool":
            return bool(x >= 0.5)
        x = min(max(float(x), self.low), self.high)
        if self.kind == "int":
            return int(round(x))
        return x


@dataclass
class Problem:
    """A set of parameters, convertible to SALib's problem dictionary.

    Attributes:
        parameters: The uncertain inputs, in sampling order.
        source: Where the problem came from (for reports).
    """

    parameters: list[Parameter]
    source: str = "lever table"

    @property
    def names(self) -> list[str]:
        """Parameter names in order."""
        return [p.name for p in self.parameters]

    @property
    def grouped(self) -> bool:
        """True when at least one parameter belongs to a named group."""
        return any(p.group for p in self.parameters)

    @property
    def factor_names(self) -> list[str]:
        """Names the indices are reported for: groups (in first-seen order) or parameters."""
        if not self.grouped:
            return self.names
        seen: list[str] = []
        for p in self.parameters:
            g = p.group or p.name
            if g not in seen:
                seen.append(g)
        return seen

    def salib(self) -> dict[str, Any]:
        """SALib's problem dictionary."""
        d: dict[str, Any] = {
            "num_vars": len(self.parameters),
            "names": self.names,
            "bounds": [p.salib_bounds() for p in self.parameters],
            "dists": [p.salib_dist() for p in self.parameters],
        }
        if self.grouped:
            d["groups"] = [p.group or p.name for p in self.parameters]
        return d

    def decode(self, X: np.ndarray) -> list[dict[str, Any]]:
        """Turn a sample matrix (rows = points) into one value dict per point."""
        return [{p.name: p.decode(x) for p, x in zip(self.parameters, row, strict=True)}
                for row in np.asarray(X, dtype=float)]

    def clipped(self, X: np.ndarray) -> dict[str, int]:
        """How many sampled values of each parameter fall outside its bounds (and get clipped)."""
        X = np.asarray(X, dtype=float)
        out = {}
        for j, p in enumerate(self.parameters):
            if p.kind in ("float", "int"):
                n = int(np.sum((X[:, j] < p.low) | (X[:, j] > p.high)))
                if n:
                    out[p.name] = n
        return out

    def as_dict(self) -> dict[str, Any]:
        """Plain-data description (written to indices.json)."""
        return {"source": self.source, "salib": self.salib(),
                "parameters": [{k: v for k, v in vars(p).items() if v not in (None, ())}
                               for p in self.parameters]}


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserInputError(f"{what}: expected a finite number, got {value!r}")
    return float(value)


def _refine(p: Parameter, spec: Mapping[str, Any], where: str, lever: Lever | None) -> Parameter:
    """Apply one [levers.NAME] / [parameters.NAME] table to ``p`` and check it."""
    if not isinstance(spec, Mapping):
        raise UserInputError(f"{where}: expected a table (low, high, dist, ...), got {spec!r}")
    unknown = set(spec) - _PARAM_KEYS
    if unknown:
        raise UserInputError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                             f"allowed {', '.join(sorted(_PARAM_KEYS))}")
    dist = spec.get("dist", "unif")
    if dist not in DISTS:
        raise UserInputError(f"{where}: unknown dist {dist!r}; choose one of {', '.join(DISTS)}")
    if "group" in spec:
        if not isinstance(spec["group"], str) or not spec["group"]:
            raise UserInputError(f"{where}: group must be a non-empty string")
        p.group = spec["group"]
    if lever is not None and lever.kind in ("choice", "bool"):
        if set(spec) - {"group"}:
            raise UserInputError(
                f"{where}: lever '{lever.name}' is a {lever.kind} lever, sampled as u uniform "
                "on [0, 1] and decoded to its choices; only 'group' may be set for it")
        return p
    low = _number(spec.get("low", p.low), f"{where} low")
    high = _number(spec.get("high", p.high), f"{where} high")
    if lever is not None and (low < lever.low or high > lever.high):
        raise UserInputError(
            f"{where}: bounds {low:g} to {high:g} go outside the lever table; lever "
            f"'{lever.name}' allows {lever.low:g} to {lever.high:g} ({lever.unit})")
    if not low < high:
        raise UserInputError(f"{where}: low ({low:g}) must be below high ({high:g})")
    p.low, p.high, p.dist = low, high, dist
    if dist == "triang":
        p.peak = _number(spec.get("peak", 0.5), f"{where} peak")
        if not 0.0 <= p.peak <= 1.0:
            raise UserInputError(f"{where}: peak is a fraction of the range, 0 to 1; "
                                 f"got {p.peak:g}")
    if dist in ("norm", "lognorm"):
        if "mean" not in spec or "sd" not in spec:
            raise UserInputError(f"{where}: dist {dist!r} needs mean and sd")
        p.mean = _number(spec["mean"], f"{where} mean")
        p.sd = _number(spec["sd"], f"{where} sd")
        if p.sd <= 0:
            raise UserInputError(f"{where}: sd must be positive, got {p.sd:g}")
    return p


def _lever_parameter(lever: Lever) -> Parameter:
    if lever.kind in ("choice", "bool"):
        choices = lever.choices if lever.kind == "choice" else ()
        return Parameter(lever.name, 0.0, 1.0, kind=lever.kind, choices=choices)
    return Parameter(lever.name, float(lever.low), float(lever.high), kind=lever.kind)


def parse_lever_list(text: str | Sequence[str] | None) -> list[str] | None:
    """Split ``a,b,c`` into lever names, checking each against the table."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",")] if isinstance(text, str) else list(text)
    names = [n for n in names if n]
    if not names:
        raise UserInputError("--levers: give at least one lever name")
    for n in names:
        if n not in LEVERS_BY_NAME:
            raise unknown_lever_error(n, "--levers")
    if len(set(names)) != len(names):
        raise UserInputError("--levers: a lever is listed twice")
    return names


def _read_toml(path: str | Path, what: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise UserInputError(f"{what} '{path}' does not exist")
    try:
        return tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserInputError(f"{what} '{path}' is not valid TOML: {e}") from None


def lever_problem(levers: Iterable[str] | str | None = None,
                  analysis: str | Path | Mapping[str, Any] | None = None) -> Problem:
    """Build a problem over model levers from the lever table.

    Args:
        levers: Lever names (or ``"a,b,c"``); default: the file's ``select`` list, else every
            policy lever.
        analysis: An analysis TOML file (or its parsed dict) with optional ``select = [...]``
            and ``[levers.NAME]`` tables (``low``, ``high``, ``dist``, ``peak``, ``mean``,
            ``sd``, ``group``) that narrow bounds, set distributions and group levers.

    Returns:
        The problem; bounds default to the lever table's.

    Raises:
        UserInputError: Unknown lever, bounds outside the table, a malformed file.
    """
    spec: Mapping[str, Any] = {}
    where = "analysis"
    if isinstance(analysis, str | Path):
        where = str(analysis)
        spec = _read_toml(analysis, "analysis file")
    elif analysis is not None:
        spec = analysis
    unknown = set(spec) - {"select", "levers"}
    if unknown:
        raise UserInputError(f"{where}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                             "allowed: select, levers")
    names = parse_lever_list(levers) if levers is not None else None
    if names is None and "select" in spec:
        if not isinstance(spec["select"], list) or not all(
                isinstance(s, str) for s in spec["select"]):
            raise UserInputError(f"{where}: select must be a list of lever names")
        names = parse_lever_list(spec["select"])
    if names is None:
        names = list(POLICY_LEVERS)
    tables = spec.get("levers", {})
    if not isinstance(tables, Mapping):
        raise UserInputError(f"{where}: [levers] must hold one table per lever")
    for n in tables:
        if n not in LEVERS_BY_NAME:
            raise unknown_lever_error(n, where)
        if n not in names:
            raise UserInputError(f"{where}: lever '{n}' has a [levers.{n}] table but is not "
                                 f"among the levers analysed ({', '.join(names)})")
    params = []
    for n in names:
        lever = LEVERS_BY_NAME[n]
        p = _lever_parameter(lever)
        if n in tables:
            p = _refine(p, tables[n], f"{where} [levers.{n}]", lever)
        params.append(p)
    return Problem(params, source=f"lever table{'' if not tables else ' + ' + where}")


def function_problem(path: str | Path | Mapping[str, Any]) -> Problem:
    """Build a problem for a Python function from a TOML file of ``[parameters.NAME]`` tables.

    Each table needs ``low`` and ``high`` (for ``norm``/``lognorm`` they bound the samples),
    and may set ``dist``, ``peak``, ``mean``, ``sd`` and ``group``.

    Raises:
        UserInputError: A missing or malformed file.
    """
    where = str(path) if isinstance(path, str | Path) else "problem"
    spec = _read_toml(path, "problem file") if isinstance(path, str | Path) else path
    tables = spec.get("parameters")
    if not isinstance(tables, Mapping) or not tables:
        raise UserInputError(f"{where}: needs [parameters.NAME] tables with low and high")
    params = []
    for name, t in tables.items():
        w = f"{where} [parameters.{name}]"
        if not isinstance(t, Mapping) or "low" not in t or "high" not in t:
            raise UserInputError(f"{w}: needs low and high")
        if not name.isidentifier():
            raise UserInputError(f"{w}: '{name}' is not a valid Python argument name")
        p = Parameter(name, _number(t["low"], f"{w} low"), _number(t["high"], f"{w} high"))
        params.append(_refine(p, t, w, None))
    return Problem(params, source=where)
