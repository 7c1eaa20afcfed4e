"""Experiment designs: which runs an experiment holds.

A design is a list of :class:`Run` (run id, scenario name, complete lever values, seed, and the
scenario's phases if it has any), made from scenarios and seeds
(:func:`design_from_scenarios`), a full-factorial grid of lever values
(:func:`design_from_grid`) or a sample matrix such as SALib's (:func:`design_from_matrix`).
Every run's seed comes from one master seed (``numpy.random.SeedSequence(master).spawn``,
:func:`spawn_seeds`) and is stored with the run, so the same design gives the same numbers on
every executor and any number of workers. :func:`design_hash` fingerprints a design with its
horizon and stored weekly metrics.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aiscale_sim.calibration.constants import validate_constants
from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS_BY_NAME, unknown_lever_error
from aiscale_sim.scenarios import Phase, validate_phases
from aiscale_sim.simulate import resolve, scenario_budget_cap


@dataclass(frozen=True)
class Run:
    """One run of an experiment.

    Attributes:
        run_id: Unique id of the run within its experiment.
        scenario: Name of the scenario (or design point) the run belongs to.
        levers: Complete, validated lever values (from the first week).
        seed: The integer seed passed to :func:`aiscale_sim.simulate`.
        phases: Levers that change on given weeks (the scenario's phases; empty for none).
        budget_cap: The scenario's yearly budget in $M, which caps all its AI spending (None:
            no budget, no cap).
        constants: Calibratable constants of the rules in place of their shipped values
            (names and prior ranges in :data:`aiscale_sim.calibration.constants.CONSTANTS`;
            empty for the shipped values), passed to ``simulate(constants=...)``.
    """

    run_id: int
    scenario: str
    levers: dict[str, Any] = field(hash=False)
    seed: int
    phases: tuple[Phase, ...] = field(default=(), hash=False)
    budget_cap: float | None = None
    constants: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.constants:
            object.__setattr__(self, "constants", validate_constants(
                dict(self.constants), f"run {self.run_id}"))
        elif not isinstance(self.constants, dict):
            object.__setattr__(self, "constants", {})
        if not (isinstance(self.phases, tuple)
                and all(isinstance(ph, Phase) for ph in self.phases)):
            object.__setattr__(self, "phases", validate_phases(self.phases, f"run {self.run_id}"))

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form, as stored in the manifest.

        ``phases`` is there only when the run has some, ``budget_cap`` only when it has a
        budget and ``constants`` only when it overrides some, so other runs keep the identity
        (and design hash) they had before.
        """
        d = {"run_id": self.run_id, "scenario": self.scenario, "seed": self.seed,
             "levers": dict(self.levers)}
        if self.phases:
            d["phases"] = [ph.as_dict() for ph in self.phases]
        if self.budget_cap is not None:
            d["budget_cap"] = self.budget_cap
        if self.constants:
            d["constants"] = dict(self.constants)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Run:
        """The run of a manifest entry (:meth:`as_dict`)."""
        cap = d.get("budget_cap")
        return cls(int(d["run_id"]), d["scenario"], d["levers"], int(d["seed"]),
                   d.get("phases") or (), None if cap is None else float(cap),
                   dict(d.get("constants") or {}))


class Design(list):
    """A list of :class:`Run` that also remembers its master seed and how it was built."""

    def __init__(self, runs: Iterable[Run] = (), master_seed: int | None = None,
                 kind: str = "custom", info: dict[str, Any] | None = None):
        super().__init__(runs)
        self.master_seed = master_seed
        self.kind = kind
        self.info = info or {}


# --- seeds and designs ----------------------------------------------------------------------

def _check_count(value: Any, what: str, lo: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise UserInputError(f"{what} must be a whole number of at least {lo}, got {value!r}")
    return int(value)


def spawn_seeds(master_seed: int, n: int) -> list[int]:
    """Derive ``n`` independent run seeds from one master seed.

    Uses ``numpy.random.SeedSequence(master_seed).spawn(n)``; each child's first 32-bit word of
    state is the integer seed passed to :func:`aiscale_sim.simulate`.

    Args:
        master_seed: Non-negative master seed of the experiment.
        n: How many seeds.

    Returns:
        ``n`` non-negative integers; the i-th depends only on ``master_seed`` and ``i``.
    """
    master_seed = _check_count(master_seed, "master seed", lo=0)
    children = np.random.SeedSequence(master_seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def _scenario(ref: Any):
    """Resolve a scenario name/path/Scenario/lever dict into a Scenario."""
    return resolve(ref)


def design_from_scenarios(scenarios: Sequence[Any], n_seeds: int, master_seed: int) -> Design:
    """Every scenario crossed with ``n_seeds`` seeds, with common random numbers.

    The i-th seed is shared by every scenario, so differences between scenarios are paired.

    Args:
        scenarios: Scenario names, TOML paths, :class:`~aiscale_sim.scenarios.Scenario` objects
            or lever dicts.
        n_seeds: Seeds per scenario.
        master_seed: Master seed of the experiment.

    Returns:
        A :class:`Design`; run ids go scenario by scenario, seed by seed.

    Raises:
        UserInputError: No scenarios, a bad scenario or a bad count.
    """
    n_seeds = _check_count(n_seeds, "number of seeds")
    if not scenarios:
        raise UserInputError("name at least one scenario")
    resolved = [_scenario(s) for s in scenarios]
    for j, (ref, sc) in enumerate(zip(scenarios, resolved, strict=True)):
        if isinstance(ref, Mapping) and len(resolved) > 1:
            sc.name = f"custom{j + 1}"
    names = [s.name for s in resolved]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserInputError(f"scenario named more than once: {', '.join(dupes)}")
    seeds = spawn_seeds(master_seed, n_seeds)
    runs = [Run(j * n_seeds + i, sc.name, dict(sc.levers), seeds[i], sc.phases,
                scenario_budget_cap(sc))
            for j, sc in enumerate(resolved) for i in range(n_seeds)]
    return Design(runs, master_seed=int(master_seed), kind="scenarios",
                  info={"scenarios": names, "n_seeds": n_seeds})


def _point_name(base_name: str, point: Mapping[str, Any]) -> str:
    return base_name + "[" + ",".join(f"{k}={_fmt(v)}" for k, v in point.items()) + "]"


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _known_levers(names, where: str) -> list[str]:
    """The lever names as a list, or an error naming the first unknown one."""
    names = list(names)
    for name in names:
        if name not in LEVERS_BY_NAME:
            raise unknown_lever_error(name, where)
    return names


def design_from_grid(base: Any, grid: Mapping[str, Sequence[Any]], n_seeds: int,
                     master_seed: int) -> Design:
    """A full-factorial grid of lever values on top of a base scenario, times seeds.

    Seeds are common across grid points (the i-th seed is the same at every point).

    Args:
        base: Base scenario (name, path, Scenario or lever dict).
        grid: Lever name -> list of values.
        n_seeds: Seeds per grid point.
        master_seed: Master seed of the experiment.

    Returns:
        A :class:`Design`; run ids go point by point (first lever slowest), seed by seed.

    Raises:
        UserInputError: Unknown lever, empty value list, value out of bounds, bad count.
    """
    n_seeds = _check_count(n_seeds, "number of seeds")
    sc = _scenario(base)
    names = _known_levers(grid, "the grid")
    for name in names:
        if isinstance(grid[name], str | bytes) or not len(grid[name]):
            raise UserInputError(f"grid lever '{name}' needs a non-empty list of values")
    seeds = spawn_seeds(master_seed, n_seeds)
    runs: list[Run] = []
    for values in itertools.product(*(list(grid[n]) for n in names)):
        point = {n: _plain(v) for n, v in zip(names, values, strict=True)}
        levers = resolve(sc, point).levers
        label = _point_name(sc.name, {n: levers[n] for n in names})
        start = len(runs)
        runs.extend(Run(start + i, label, dict(levers), seeds[i], sc.phases,
                        scenario_budget_cap(sc)) for i in range(n_seeds))
    return Design(runs, master_seed=int(master_seed), kind="grid",
                  info={"base": sc.name, "grid": {n: [_plain(v) for v in grid[n]]
                                                  for n in names}, "n_seeds": n_seeds})


def _plain(v: Any) -> Any:
    """Numpy scalars to plain Python values."""
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _matrix_value(name: str, v: Any) -> Any:
    lever = LEVERS_BY_NAME[name]
    v = _plain(v)
    if lever.kind == "int" and isinstance(v, float) and math.isfinite(v):
        return int(round(v))
    if lever.kind == "bool" and isinstance(v, int | float) and not isinstance(v, bool):
        return bool(v >= 0.5)
    if lever.kind == "choice" and isinstance(v, int | float) and not isinstance(v, bool):
        k = len(lever.choices)
        return lever.choices[min(max(int(math.floor(v)), 0), k - 1)]
    return v


def design_from_matrix(base: Any, names: Sequence[str], matrix: np.ndarray, replicates: int,
                       master_seed: int) -> Design:
    """One run per row of a sample matrix (e.g. from SALib) and replicate.

    Integer levers are rounded; bool levers are ``value >= 0.5``; choice levers take a
    number as an index into their choices (``floor``, clipped).

    Args:
        base: Base scenario supplying the levers not in ``names``.
        names: Lever name of each matrix column.
        matrix: Array of shape (rows, len(names)).
        replicates: Seeds per row; the r-th replicate's seed is shared by every row.
        master_seed: Master seed of the experiment.

    Returns:
        A :class:`Design`; run id = row * replicates + replicate.

    Raises:
        UserInputError: Unknown lever, wrong matrix shape, value out of bounds, bad count.
    """
    replicates = _check_count(replicates, "number of replicates")
    sc = _scenario(base)
    names = _known_levers(names, "the sample matrix")
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[1] != len(names):
        raise UserInputError(f"sample matrix must have shape (rows, {len(names)}), got {m.shape}")
    seeds = spawn_seeds(master_seed, replicates)
    runs = []
    for i, row in enumerate(m):
        point = {n: _matrix_value(n, v) for n, v in zip(names, row, strict=True)}
        levers = resolve(sc, point).levers
        runs.extend(Run(i * replicates + r, sc.name, dict(levers), seeds[r], sc.phases,
                        scenario_budget_cap(sc)) for r in range(replicates))
    return Design(runs, master_seed=int(master_seed), kind="matrix",
                  info={"base": sc.name, "names": names, "rows": int(m.shape[0]),
                        "replicates": replicates})


def design_hash(design: Sequence[Run], steps: int,
                weekly: Sequence[str] | None = None) -> str:
    """A fingerprint of the experiment: same design, horizon and stored weekly metrics."""
    h = hashlib.sha256()
    h.update(f"steps={steps};".encode())
    if weekly is not None:  # (absent for the default, all metrics)
        h.update(f"weekly={','.join(weekly)};".encode())
    for r in design:
        h.update(json.dumps(r.as_dict(), sort_keys=True, default=str).encode())
    return h.hexdigest()


