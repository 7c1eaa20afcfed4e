"""Robustness across worlds a leader cannot choose: the ``[uncertain]`` table and PRIM.

Worlds
    An uncertain world is a draw of the things a leader cannot choose: the organisation's
    structure levers (business units, span of control, tie density, weak ties, high-risk share,
    employees). :data:`DEFAULT_UNCERTAIN` gives ranges for them; an experiment file may give
    its own in an ``[uncertain]`` table::

        [uncertain]
        business_units = { low = 4, high = 16 }
        high_risk_share = { low = 0.05, high = 0.4 }

    Only structure levers and the model's calibratable constants
    (:data:`aiscale_sim.calibration.constants.CONSTANTS`, e.g. ``bass_q``) can be uncertain
    (a policy lever is a choice, not an uncertainty). A lever's range must lie within the
    lever's bounds, a constant's within its declared prior; each world's runs carry the
    world's constants (``simulate(constants=...)``). By default the worlds also vary the three
    constants whose priors come from published estimates rather than assumption: the Bass
    coefficients of innovation and imitation and the data effort of a pilot.

    Worlds are sampled by Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`, seeded by
    the master seed); whole-number levers take the integer cell of their range.

Discovery
    :func:`discover` runs a strategy in every sampled world (the same seeds in every world)
    and asks PRIM (Friedman & Fisher 1999, as implemented in EMA Workbench) for the box of
    worlds in which the strategy fails to pay back within the horizon: no week at which the
    value realised has overtaken the money spent, on most of the world's seeds. The box is
    described in words (:func:`box_in_words`). A strategy with a ``[budget]`` spends its
    budget in every world: its spend levers are set from the split for the world's
    organisation, and every run carries the budget as its yearly spending cap.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.budget import levers_from_budget
from aiscale_sim.calibration.constants import CONSTANTS_BY_NAME
from aiscale_sim.errors import UserInputError
from aiscale_sim.files import write_csv, write_text
from aiscale_sim.labels import in_sentence, lever_label
from aiscale_sim.levers import LEVERS_BY_NAME, suggest, validate_levers
from aiscale_sim.runner import Run, run_experiment, spawn_seeds
from aiscale_sim.simulate import resolve, scenario_budget_cap
from aiscale_sim.tomlfile import read_toml

#: Ranges in the worlds sampled by default: name -> (low, high). Structure levers, and the
#: calibratable constants whose priors come from published estimates, over their whole prior.
DEFAULT_UNCERTAIN: dict[str, tuple[float, float]] = {
    "business_units": (3, 16),
    "span_of_control": (4, 14),
    "tie_density": (3, 12),
    "weak_tie_share": (0.02, 0.3),
    "high_risk_share": (0.05, 0.4),
    **{n: (CONSTANTS_BY_NAME[n].low, CONSTANTS_BY_NAME[n].high)
       for n in ("bass_p", "bass_q", "data_effort")},
}


def is_constant(name: str) -> bool:
    """Whether an uncertain name is a calibratable constant (else it is a structure lever)."""
    return name in CONSTANTS_BY_NAME and name not in LEVERS_BY_NAME


def uncertain_label(name: str) -> str:
    """A person's name for an uncertain lever or constant (lever table, constants table)."""
    return CONSTANTS_BY_NAME[name].label if is_constant(name) else lever_label(name)


def uncertain_unit(name: str) -> str:
    """The unit of an uncertain lever or constant."""
    return CONSTANTS_BY_NAME[name].unit if is_constant(name) else LEVERS_BY_NAME[name].unit


def _is_int(name: str) -> bool:
    return name in LEVERS_BY_NAME and LEVERS_BY_NAME[name].kind == "int"


def split_world(world: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """A sampled world as (lever values, calibratable constants), as plain numbers."""
    levers, constants = {}, {}
    for k, v in world.items():
        if is_constant(k):
            constants[k] = float(v)
        else:
            levers[k] = int(v) if _is_int(k) else float(v)
    return levers, constants


def parse_uncertain(table: Mapping[str, Any], source: str = "") -> dict[str, tuple[float, float]]:
    """Check an ``[uncertain]`` table of structure levers and calibratable constants.

    Each name takes a range ``{low, high}`` within the lever's bounds or the constant's prior.

    Raises:
        UserInputError: Unknown name, a policy lever, a missing or bad bound, low >= high, or
            a range outside the lever's bounds or the constant's prior.
    """
    where = f" in {source}" if source else ""
    if not isinstance(table, Mapping) or not table:
        raise UserInputError(f"[uncertain]{where} must be a non-empty table of structure "
                             "levers or calibratable constants, e.g. "
                             "business_units = { low = 4, high = 16 }")
    out = {}
    for name, rng in table.items():
        if is_constant(name):
            out[name] = _range(name, rng, CONSTANTS_BY_NAME[name].validate, where)
            continue
        lv = LEVERS_BY_NAME.get(name)
        if lv is None:
            known = {**LEVERS_BY_NAME, **CONSTANTS_BY_NAME}
            raise UserInputError(
                f"unknown lever '{name}' in [uncertain]{where}{suggest(name, known)}; "
                "uncertain names are structure levers ('aiscale levers') or calibratable "
                f"constants: {', '.join(CONSTANTS_BY_NAME)}")
        if lv.group != "structure":
            structure = ", ".join(n for n, x in LEVERS_BY_NAME.items() if x.group == "structure")
            raise UserInputError(f"[uncertain]{where}: '{name}' is a policy lever, a choice a "
                                 f"leader makes, not an uncertainty; uncertain names are the "
                                 f"structure levers ({structure}) and the calibratable "
                                 f"constants ({', '.join(CONSTANTS_BY_NAME)})")
        out[name] = _range(name, rng, lv.validate, where)
    return out


def _range(name: str, rng: Any, validate: Callable[[Any, str], Any],
           where: str) -> tuple[Any, Any]:
    """An uncertain name's ``{ low = ..., high = ... }``, each end checked by ``validate``."""
    if not isinstance(rng, Mapping) or set(rng) != {"low", "high"}:
        raise UserInputError(f"[uncertain]{where}: '{name}' must be a range "
                             f"{{ low = ..., high = ... }}, got {rng!r}")
    lo = validate(rng["low"], f"[uncertain]{where} ({name}.low)")
    hi = validate(rng["high"], f"[uncertain]{where} ({name}.high)")
    if not lo < hi:
        raise UserInputError(f"[uncertain]{where}: '{name}' needs low < high, got "
                             f"{lo} to {hi}")
    return lo, hi


#: Keys an experiment file may have when ``discover`` reads it (a sweep's keys are allowed).
EXPERIMENT_KEYS = ("name", "description", "scenario", "seeds", "master_seed", "steps", "set",
                   "levers", "uncertain")


def read_uncertain(path: str | Path) -> dict[str, tuple[float, float]]:
    """The ``[uncertain]`` table of an experiment file (its other keys are not used here)."""
    data = read_toml(Path(path), what="experiment", allowed=EXPERIMENT_KEYS,
                     tables=("set", "levers", "uncertain"))
    if "uncertain" not in data:
        raise UserInputError(f"{path}: no [uncertain] table (ranges of structure levers or "
                             "calibratable constants, e.g. "
                             "business_units = { low = 4, high = 16 })")
    return parse_uncertain(data["uncertain"], str(path))


def sample_worlds(uncertain: Mapping[str, tuple[float, float]], n: int,
                  master_seed: int = 0) -> pd.DataFrame:
    """``n`` worlds by Latin hypercube over the ranges; one column per uncertain name."""
    from scipy.stats import qmc

    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise UserInputError(f"the number of worlds must be a whole number of at least 2, "
                             f"got {n!r}")
    names = list(uncertain)
    u = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(master_seed)).random(n)
    cols = {}
    for j, name in enumerate(names):
        lo, hi = uncertain[name]
        if _is_int(name):
            cols[name] = np.minimum(lo + np.floor(u[:, j] * (hi - lo + 1)), hi).astype(int)
        else:
            cols[name] = lo + u[:, j] * (hi - lo)
    return pd.DataFrame(cols)


# --- PRIM ----------------------------------------------------------------------------------

def import_ema():
    """Import EMA Workbench, without the warnings about its optional extras.

    ema_workbench warns on import when ipyparallel (a cluster evaluator) or altair
    (interactive PRIM inspection) is missing; neither is used here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed",
                                category=UserWarning)
        warnings.filterwarnings("ignore", message="altair based interactive",
                                category=ImportWarning)
        import ema_workbench
        from ema_workbench.analysis import prim  # noqa: F401
    return ema_workbench


@dataclass
class Box:
    """A box of PRIM's peeling trajectory.

    Attributes:
        limits: Restricted levers only: name -> (low, high) of the box; an unrestricted side
            is -inf or inf.
        coverage: Share of all failing worlds that are in the box.
        density: Share of the worlds in the box that fail.
        mass: Share of all worlds in the box.
        index: The box's place on the trajectory.
        trajectory: The peeling trajectory (coverage, density, mass, res_dim per box).
    """

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    index: int
    trajectory: pd.DataFrame


def find_box(x: pd.DataFrame, y: np.ndarray, min_density: float = 0.8,
             peel_alpha: float = 0.05, mass_min: float = 0.05, max_p: float = 0.05) -> Box:
    """PRIM's first box for ``y`` over ``x``: the widest box at least ``min_density`` pure.

    Args:
        x: One column per uncertain lever, one row per world.
        y: True where the world is of interest (here: the strategy fails).
        min_density: The box chosen from the peeling trajectory is the one with the largest
            coverage among those that restrict some lever and whose density reaches this, or
            half-way from the share of all worlds of interest to 1 if that is higher (else the
            densest box).
        peel_alpha: Share of worlds peeled off at each step.
        mass_min: Smallest share of worlds a box may hold.
        max_p: A restriction is kept only if its quasi-p value (a one-sided binomial test of
            the restriction, Bryant & Lempert 2010) is at most this; coverage, density and
            mass are those of the box with the kept restrictions.

    Returns:
        The chosen :class:`Box`.
    """
    import_ema()
    from ema_workbench.analysis import prim

    y = np.asarray(y, dtype=bool)
    if not y.any():
        raise UserInputError("no world is of interest (the strategy never fails): nothing for "
                             "PRIM to find")
    with warnings.catch_warnings():  # ema_workbench 3.0 still passes inplace= to pandas
        warnings.filterwarnings("ignore", message="The inplace keyword", category=Warning)
        # Whole-number levers go in as reals: PRIM pastes half-way values, which pandas 3
        # refuses in an integer column; box_in_words rounds them back to whole numbers.
        p = prim.Prim(x.reset_index(drop=True).astype(float), y, peel_alpha=peel_alpha,
                      mass_min=mass_min)
        box = p.find_box()
    traj = box.peeling_trajectory.reset_index(drop=True)
    base = float(y.mean())
    need = max(min_density, base + (1.0 - base) / 2)
    ok = traj[(traj["density"] >= need) & (traj["res_dim"] > 0)]
    if len(ok):  # the widest such box; of equally wide ones, the purest
        i = int(ok.sort_values(["coverage", "density"], kind="stable").index[-1])
    else:
        i = int(traj["density"].idxmax())
    lims = box.box_lims[i]
    init = p.box_init
    qp = box.p_values[i] if i < len(box.p_values) else {}
    limits = {}
    for name in x.columns:
        lo, hi = float(lims.loc[0, name]), float(lims.loc[1, name])
        if _is_int(name):
            lo, hi = float(math.ceil(lo)), float(math.floor(hi))  # PRIM pastes half-way
        lo_on, hi_on = lo > init.loc[0, name], hi < init.loc[1, name]
        if not (lo_on or hi_on):
            continue
        # Keep a restriction only if it is significant (quasi-p, Bryant & Lempert 2010).
        ps = [v for v in qp.get(name, []) if v is not None and v >= 0]
        if ps and min(ps) > max_p:
            continue
        limits[name] = (lo if lo_on else -math.inf, hi if hi_on else math.inf)
    inside = np.ones(len(x), dtype=bool)
    for name, (lo, hi) in limits.items():
        inside &= (x[name].to_numpy(float) >= lo) & (x[name].to_numpy(float) <= hi)
    if not inside.any():
        inside[:] = True
    return Box(limits, float(y[inside].sum() / y.sum()), float(y[inside].mean()),
               float(inside.mean()), i, traj)


def _num(name: str, v: float) -> str:
    lv = LEVERS_BY_NAME.get(name)
    if lv is not None and lv.kind == "int":
        return f"{int(round(v)):,}"
    if lv is not None and "share" in lv.unit:
        return f"{v:.0%}"
    return f"{v:.3g}"


def box_in_words(box: Box, ranges: Mapping[str, tuple[float, float]],
                 outcome: str = "fails to pay back") -> str:
    """A box as a sentence: "when business units number at least 12 and ...".

    A limit equal to the sampled range's own end is not a restriction on that side and is
    left out; whole-number levers (already rounded inward by :func:`find_box`) are written
    as "at least" / "at most".
    """
    parts = []
    for name, (lo, hi) in box.limits.items():
        rlo, rhi = ranges.get(name, (-math.inf, math.inf))
        lo, hi = max(lo, rlo), min(hi, rhi)
        label = in_sentence(uncertain_label(name))
        is_int = _is_int(name)
        verb = ("number" if is_int else "are") if label.endswith("s") else "is"
        lo_on = lo > rlo
        hi_on = hi < rhi
        if is_int:
            lo_t, hi_t = f"at least {_num(name, lo)}", f"at most {_num(name, hi)}"
        else:
            lo_t, hi_t = f"above {_num(name, lo)}", f"below {_num(name, hi)}"
        if lo_on and hi_on:
            parts.append(f"{label} {verb} between {_num(name, lo)} and {_num(name, hi)}")
        elif lo_on:
            parts.append(f"{label} {verb} {lo_t}")
        elif hi_on:
            parts.append(f"{label} {verb} {hi_t}")
    if not parts:
        return f"no box: the strategy {outcome} about as often everywhere"
    return (f"when {' and '.join(parts)}, the strategy {outcome} in {box.density:.0%} of "
            f"worlds (these worlds hold {box.coverage:.0%} of all failures and "
            f"{box.mass:.0%} of the worlds)")


# --- discovery --------------------------------------------------------------------------------

@dataclass
class Discovery:
    """What :func:`discover` found.

    Attributes:
        strategy: The strategy's name.
        worlds: One row per world: the uncertain levers, ``paid_back_share`` (share of its
            seeds that paid back), ``fails`` and the mean ROI and value.
        uncertain: The ranges sampled.
        box: PRIM's box of failing worlds (None when the strategy fails in no world or in
            every world).
        words: The box in words, or why there is none.
        skipped: Worlds left out because the strategy's budget cannot be honoured there.
        out: The output folder.
    """

    strategy: str
    worlds: pd.DataFrame
    uncertain: dict[str, tuple[float, float]]
    box: Box | None
    words: str
    skipped: int
    out: Path


def _world_levers(base: Mapping[str, Any], budget: Mapping[str, Any] | None,
                  world: Mapping[str, Any]) -> dict[str, Any]:
    levers = {**base, **world}
    if budget is not None:  # a budget strategy spends its budget in this organisation
        levers.update(levers_from_budget(budget, validate_levers(levers), "the strategy"))
    return validate_levers(levers, "a sampled world")



def _ranges_and_overrides(uncertain, overrides) -> tuple[dict, dict]:
    """The worlds' uncertain ranges (the package's default when None) and the fixed levers.

    Raises:
        UserInputError: A name both uncertain and set.
    """
    ranges = dict(DEFAULT_UNCERTAIN if uncertain is None else uncertain)
    overrides = dict(overrides or {})
    both = sorted(set(ranges) & set(overrides))
    if both:
        raise UserInputError(f"--set {', '.join(both)}: uncertain in the worlds sampled, so "
                             "they cannot also be set; drop them from --set or [uncertain]")
    return ranges, overrides

def discover(strategy: str, out: str | Path, *, uncertain: Mapping[str, tuple] | None = None,
             n_worlds: int = 200, seeds: int = 1, overrides: Mapping[str, Any] | None = None,
             master_seed: int = 0, steps: int | None = None, min_density: float = 0.8,
             executor: str = "processes", workers: int | None = None,
             progress: bool = True) -> Discovery:
    """Run a strategy across sampled worlds and find where it fails to pay back.

    Args:
        strategy: Scenario name or path.
        out: Output folder (``runs/`` holds the experiment; ``worlds.csv``, ``box.md``).
        uncertain: Ranges (default :data:`DEFAULT_UNCERTAIN`).
        n_worlds: Worlds sampled by Latin hypercube.
        seeds: Seeds per world (the same in every world).
        overrides: ``--set`` lever values (an uncertain lever cannot also be set).
        master_seed: Seeds the sample of worlds and the runs' seeds.
        steps: Weeks per run.
        min_density: Density the chosen box must reach (see :func:`find_box`).
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes.
        progress: A progress bar.
    """
    ranges, overrides = _ranges_and_overrides(uncertain, overrides)
    if not (0 < min_density <= 1):
        raise UserInputError(f"the box's density must be in (0, 1], got {min_density!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise UserInputError(f"--seeds must be a whole number of at least 1, got {seeds!r}")
    sc = resolve(strategy, overrides)
    budget = sc.budget
    cap = scenario_budget_cap(sc)  # a budget strategy keeps its budget in every world
    base = dict(sc.levers)
    worlds = sample_worlds(ranges, n_worlds, master_seed)
    run_seeds = spawn_seeds(master_seed, seeds)
    design, keep, skipped = [], [], 0
    for i, w in worlds.iterrows():
        world, constants = split_world(w)
        if world.get("employees", base["employees"]) < 10 * world.get(
                "business_units", base["business_units"]):
            skipped += 1
            continue
        try:
            levers = _world_levers(base, budget, world)
        except UserInputError:
            skipped += 1
            continue
        name = f"world{i:04d}"
        design += [Run(len(design) + j, name, levers, s, sc.phases, cap, constants)
                   for j, s in enumerate(run_seeds)]
        keep.append(i)
    if not design:
        raise UserInputError(f"strategy '{sc.name}' cannot run in any sampled world (its "
                             "budget cannot be honoured); narrow the [uncertain] ranges")
    out = Path(out)
    exp = run_experiment(design, out / "runs", steps=steps, executor=executor, workers=workers,
                         progress=progress, weekly=["adoption_share", "cumulative_value",
                                                    "cumulative_cost"],
                         metadata={"command": "discover", "strategy": sc.name,
                                   "uncertain": {k: list(v) for k, v in ranges.items()},
                                   "worlds": n_worlds, "master_seed": master_seed})
    s = exp.summaries.copy()
    s["paid_back"] = s["payback_week"].notna().astype(float)
    agg = s.groupby("scenario").agg(paid_back_share=("paid_back", "mean"),
                                    roi=("roi", "mean"),
                                    value=("cumulative_value", "mean"))
    table = worlds.loc[keep].copy()
    table.insert(0, "world", [f"world{i:04d}" for i in keep])
    table = table.join(agg, on="world")
    table["fails"] = table["paid_back_share"] < 0.5
    write_csv(out / "worlds.csv", table)
    share = float(table["fails"].mean())
    box = None
    if table["fails"].all():
        words = f"the strategy fails to pay back in every one of {len(table)} worlds"
    elif not table["fails"].any():
        words = f"the strategy pays back in every one of {len(table)} worlds"
    else:
        box = find_box(table[list(ranges)], table["fails"].to_numpy(), min_density=min_density)
        words = box_in_words(box, ranges)
    lines = [f"# Where `{sc.name}` fails to pay back", "",
             f"{len(table)} worlds sampled by Latin hypercube (master seed {master_seed}), "
             f"{seeds} seed(s) each; the strategy fails to pay back within the horizon in "
             f"{share:.0%} of them" + (f" ({skipped} worlds left out: the strategy's budget "
                                       "cannot be honoured there)" if skipped else "") + ".",
             "", ("Uncertain levers and constants, and their ranges:"
                  if any(is_constant(n) for n in ranges)
                  else "Uncertain levers and their ranges:"), ""]
    for name, (lo, hi) in ranges.items():
        kind = ", a calibratable constant" if is_constant(name) else ""
        lines.append(f"- {uncertain_label(name)}: {_num(name, lo)} to {_num(name, hi)} "
                     f"({uncertain_unit(name)}{kind})")
    lines += ["", "## PRIM's box", "", words[0].upper() + words[1:] + ".", ""]
    if box is not None:
        lines += ["| lever or constant | low | high |", "| --- | ---: | ---: |"]
        for name, (lo, hi) in box.limits.items():
            rlo, rhi = ranges[name]
            lines.append(f"| {uncertain_label(name)} | {_num(name, max(lo, rlo))} | "
                         f"{_num(name, min(hi, rhi))} |")
        lines.append("")
    write_text(out / "box.md", "\n".join(lines) + "\n")
    return Discovery(sc.name, table, ranges, box, words, skipped, out)


def across_worlds(strategies: Sequence[str], out: str | Path, *,
                  uncertain: Mapping[str, tuple] | None = None, n_worlds: int = 100,
                  seeds: int = 1, overrides: Mapping[str, Any] | None = None,
                  master_seed: int = 0, steps: int | None = None, target_roi: float = 0.0,
                  executor: str = "processes", workers: int | None = None,
                  progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Regret and satisficing of strategies across the same sampled worlds.

    Every strategy runs in every world (the same seeds everywhere). In each world, a
    strategy's regret is the value realised by the best strategy in that world less its own
    (mean over seeds); satisficing is the share of worlds in which it pays back within the
    horizon on most seeds, and the share in which its ROI reaches ``target_roi`` (the
    Rhodium robustness metrics; McPhail et al. 2018). Worlds in which some strategy's budget
    cannot be honoured are left out for all of them.

    Args:
        strategies: Scenario names or paths (at least two).
        out: Experiment folder for the runs; ``robustness.csv`` and ``worlds_values.csv``
            are written beside it.
        uncertain: Ranges (default :data:`DEFAULT_UNCERTAIN`).
        n_worlds: Worlds sampled by Latin hypercube.
        seeds: Seeds per world and strategy (the same everywhere).
        overrides: ``--set`` lever values for every strategy.
        master_seed: Seeds the sample of worlds and the runs' seeds.
        steps: Weeks per run.
        target_roi: ROI a strategy should reach, as a share (0 = break even).
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes.
        progress: A progress bar.

    Returns:
        One row per strategy (``robustness.csv``) and one row per world and strategy.
    """
    if len(strategies) < 2:
        raise UserInputError("regret needs at least two strategies to compare")
    ranges, overrides = _ranges_and_overrides(uncertain, overrides)
    scs = [resolve(x, overrides) for x in strategies]
    names = [sc.name for sc in scs]
    if len(set(names)) != len(names):
        raise UserInputError(f"strategy named more than once: {', '.join(names)}")
    worlds = sample_worlds(ranges, n_worlds, master_seed)
    run_seeds = spawn_seeds(master_seed, seeds)
    design: list[Run] = []
    for i, w in worlds.iterrows():
        world, constants = split_world(w)
        try:
            per = [_world_levers(dict(sc.levers), sc.budget, world) for sc in scs]
        except UserInputError:
            continue
        for sc, levers in zip(scs, per, strict=True):
            design += [Run(len(design) + j, f"{sc.name}@world{i:04d}", levers, s, sc.phases,
                           scenario_budget_cap(sc), constants)
                       for j, s in enumerate(run_seeds)]
    if not design:
        raise UserInputError("no sampled world lets every strategy honour its budget; narrow "
                             "the [uncertain] ranges")
    out = Path(out)
    exp = run_experiment(design, out, steps=steps, executor=executor, workers=workers,
                         progress=progress, weekly=["adoption_share"],
                         metadata={"command": "discover --against", "strategies": names,
                                   "uncertain": {k: list(v) for k, v in ranges.items()},
                                   "worlds": n_worlds, "master_seed": master_seed})
    r = exp.summaries.copy()
    parts = r["scenario"].str.rsplit("@", n=1, expand=True)
    r["strategy"], r["world"] = parts[0], parts[1]
    r["paid_back"] = r["payback_week"].notna().astype(float)
    v = r.groupby(["world", "strategy"]).agg(value=("cumulative_value", "mean"),
                                             roi=("roi", "mean"),
                                             paid_back=("paid_back", "mean")).reset_index()
    v["regret"] = v.groupby("world")["value"].transform("max") - v["value"]
    rows = []
    for name in names:
        x = v[v["strategy"] == name]
        rows.append({"strategy": name, "worlds": len(x), "value_mean": float(x["value"].mean()),
                     "regret_mean": float(x["regret"].mean()),
                     "regret_p90": float(x["regret"].quantile(0.9)),
                     "best_share": float((x["regret"] == 0).mean()),
                     "pays_back_share": float((x["paid_back"] >= 0.5).mean()),
                     f"roi_at_least_{target_roi:g}_share": float((x["roi"] >= target_roi).mean())})
    table = pd.DataFrame(rows)
    write_csv(out / "robustness.csv", table)
    write_csv(out / "worlds_values.csv", v)
    return table, v


def failure_share_by(worlds: pd.DataFrame, name: str, bins: int = 4) -> pd.Series:
    """Share of failing worlds by quantile bins of one uncertain lever (for reading a box)."""
    cut = pd.qcut(worlds[name], q=bins, duplicates="drop")
    return worlds.groupby(cut, observed=True)["fails"].mean()


__all__: Sequence[str] = ["DEFAULT_UNCERTAIN", "Box", "Discovery", "across_worlds",
                          "box_in_words", "discover",
                          "find_box", "import_ema", "is_constant", "parse_uncertain",
                          "read_uncertain", "sample_worlds", "split_world", "uncertain_label",
                          "uncertain_unit"]
