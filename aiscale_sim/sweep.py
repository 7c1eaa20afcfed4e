"""``aiscale sweep``: a grid of lever values over a base scenario, from a TOML experiment file.

Format::

    name = "training_vs_operating_model"   # optional
    description = "..."                    # optional
    scenario = "baseline"                  # base scenario (name or path, relative to this file)
    seeds = 4                              # seeds per grid point (common across points)
    master_seed = 2024
    steps = 156                            # optional, weeks per run
    [set]                                  # optional fixed lever values, e.g. a smaller org
    employees = 2000
    [levers]                               # the grid: a list, or an evenly spaced range
    training_hours = [0, 10, 30]
    centralisation = { low = 0.0, high = 1.0, num = 3 }
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from aiscale_sim.errors import UserInputError
from aiscale_sim.files import save_figure
from aiscale_sim.levers import LEVERS_BY_NAME, unknown_lever_error
from aiscale_sim.runner import Experiment, design_from_grid, run_experiment
from aiscale_sim.scenarios import resolve_path
from aiscale_sim.simulate import resolve
from aiscale_sim.tomlfile import read_toml

ALLOWED = ("name", "description", "scenario", "seeds", "master_seed", "steps", "set", "levers")

#: Outcomes plotted against each swept lever: (column, label).
KEY_OUTCOMES = (
    ("adoption_share", "employees using AI regularly (share)"),
    ("pilot_to_production_rate", "pilot-to-production rate"),
    ("use_cases_in_production", "use cases in production"),
    ("pilots_in_purgatory", "pilots in purgatory"),
    ("median_time_to_production_weeks", "median time to production (weeks)"),
    ("cumulative_value", "value realised ($M)"),
    ("cumulative_cost", "cost ($M)"),
    ("roi", "ROI"),
)


def _whole(v: Any, key: str, path: Path, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise UserInputError(f"{path}: '{key}' must be a whole number of at least {lo}, "
                             f"got {v!r}")
    return v


def _values(name: str, spec: Any, path: Path) -> list[Any]:
    if isinstance(spec, list):
        if not spec:
            raise UserInputError(f"{path}: lever '{name}' needs at least one value")
        return spec
    if isinstance(spec, dict):
        extra = set(spec) - {"low", "high", "num"}
        if extra or not {"low", "high"} <= set(spec):
            raise UserInputError(f"{path}: lever '{name}': a range is "
                                 "{ low = ..., high = ..., num = ... }")
        num = _whole(spec.get("num", 5), f"levers.{name}.num", path, 1)
        for k in ("low", "high"):
            if isinstance(spec[k], bool) or not isinstance(spec[k], int | float):
                raise UserInputError(f"{path}: lever '{name}': '{k}' must be a number")
        vals = [float(x) for x in np.linspace(spec["low"], spec["high"], num)]
        if LEVERS_BY_NAME[name].kind == "int":
            vals = sorted({int(round(x)) for x in vals})
        return vals
    return [spec]


def load_sweep(path: str | Path, overrides: dict[str, Any] | None = None,
               seeds: int | None = None) -> dict[str, Any]:
    """Read and check an experiment file.

    Args:
        path: The TOML file.
        overrides: Lever values fixed at every grid point on top of the file's ``[set]``
            (``aiscale sweep --set``); a lever the grid sweeps cannot be fixed.
        seeds: Seeds per grid point; replaces the file's ``seeds``.

    Returns:
        ``name``, ``description``, ``scenario`` (a resolved Scenario with ``[set]`` applied),
        ``grid``, ``seeds``, ``master_seed``, ``steps``, ``overrides`` and ``path``.

    Raises:
        UserInputError: Missing or broken file, unknown key or lever, bad values.
    """
    p = Path(path)
    data = read_toml(p, what="experiment", allowed=ALLOWED, tables=("set", "levers"))
    if not data.get("levers"):
        raise UserInputError(f"{p}: name the levers to sweep in a [levers] table")
    base_ref = data.get("scenario", "baseline")
    if not isinstance(base_ref, str):
        raise UserInputError(f"{p}: 'scenario' must be a string")
    rel = p.parent / base_ref
    base = resolve(str(rel) if rel.suffix == ".toml" and rel.is_file() else
                   str(resolve_path(base_ref)), data.get("set") or None)
    grid = {}
    for name, spec in data["levers"].items():
        if name not in LEVERS_BY_NAME:
            raise unknown_lever_error(name, str(p))
        grid[name] = _values(name, spec, p)
    overrides = dict(overrides or {})
    for name in overrides:
        if name not in LEVERS_BY_NAME:
            raise unknown_lever_error(name, "--set")
    swept = [name for name in overrides if name in grid]
    if swept:
        raise UserInputError(f"--set {swept[0]}: {p} sweeps '{swept[0]}'; fix only levers "
                             "the grid does not vary")
    if overrides:
        base = resolve(base, overrides)
    if seeds is not None:
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise UserInputError(f"seeds must be a whole number of at least 1, got {seeds!r}")
    steps = data.get("steps")
    if steps is not None:
        steps = _whole(steps, "steps", p, 1)
    return {
        "name": data.get("name", p.stem),
        "description": str(data.get("description", "")).strip(),
        "scenario": base,
        "grid": grid,
        "seeds": seeds if seeds is not None else _whole(data.get("seeds", 4), "seeds", p, 1),
        "master_seed": _whole(data.get("master_seed", 0), "master_seed", p, 0),
        "steps": steps,
        "overrides": overrides,
        "path": str(p.resolve()),
    }


def run_sweep(path: str | Path, out_dir: str | Path | None = None, *, steps: int | None = None,
              executor: str = "processes", workers: int | None = None,
              scheduler: str | None = None, progress: bool = True,
              plot: bool = True, overrides: dict[str, Any] | None = None,
              seeds: int | None = None) -> tuple[Experiment, list[Path]]:
    """Run (or resume) the sweep an experiment file describes and plot it.

    Args:
        path: The experiment TOML file.
        out_dir: Experiment folder (default ``out/<name>``).
        steps: Weeks per run; overrides the file's ``steps``.
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes.
        scheduler: Dask scheduler address.
        progress: Show a progress bar.
        plot: Write the PNG plots.
        overrides: Lever values fixed at every grid point (``--set``); checked before anything
            is written.
        seeds: Seeds per grid point, instead of the file's ``seeds``.

    Returns:
        The experiment and the plot files written.
    """
    spec = load_sweep(path, overrides, seeds)
    design = design_from_grid(spec["scenario"], spec["grid"], spec["seeds"],
                              spec["master_seed"])
    out = Path(out_dir) if out_dir else Path("out") / spec["name"]
    meta = {"command": "sweep", "experiment_file": spec["path"], "name": spec["name"],
            "base_scenario": spec["scenario"].name, "grid": spec["grid"],
            "seeds": spec["seeds"], "set": spec["overrides"]}
    exp = run_experiment(design, out, steps=steps if steps is not None else spec["steps"],
                         executor=executor, workers=workers, scheduler=scheduler,
                         progress=progress, metadata=meta)
    written = plot_sweep(exp, list(spec["grid"])) if plot else []
    return exp, written


def plot_sweep(exp: Experiment, levers: list[str]) -> list[Path]:
    """One PNG per key outcome and swept lever: mean across seeds with a 5-95% band.

    With two or more swept levers, each value of the first other lever gets its own line.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = exp.summaries
    written = []
    for lever in levers:
        others = [x for x in levers if x != lever]
        group = others[0] if others else None
        for col, label in KEY_OUTCOMES:
            if col not in s.columns:
                continue
            fig, ax = plt.subplots(figsize=(6, 4))
            subsets = [(None, s)] if group is None else list(s.groupby(group))
            categorical = LEVERS_BY_NAME[lever].kind in ("choice", "bool")
            values = sorted(s[lever].unique(), key=str) if categorical else None
            for gval, sub in subsets:
                g = sub.groupby(lever)[col]
                keys = values if categorical else sorted(sub[lever].unique())
                # Choice and bool levers are plotted by position, named on the axis.
                x = (np.arange(len(keys), dtype=float) if categorical
                     else np.array(keys, dtype=float))
                mean = g.mean().reindex(keys).to_numpy(dtype=float)
                lo = g.quantile(0.05).reindex(keys).to_numpy(dtype=float)
                hi = g.quantile(0.95).reindex(keys).to_numpy(dtype=float)
                name = "all" if gval is None else f"{group} = {gval:g}" if isinstance(
                    gval, float) else f"{group} = {gval}"
                (line,) = ax.plot(x, mean, marker="o", label=name)
                ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2)
            if categorical:
                ax.set_xticks(range(len(values)), [str(v) for v in values])
            ax.set_xlabel(f"{lever} ({LEVERS_BY_NAME[lever].unit})")
            ax.set_ylabel(label)
            ax.set_title(f"{label} vs {lever}\nmean across seeds, band 5-95%", fontsize=10)
            if group is not None:
                ax.legend(fontsize=8)
            fig.tight_layout()
            target = exp.path / f"{col}_vs_{lever}.png"
            save_figure(fig, target, dpi=90)
            plt.close(fig)
            written.append(target)
    return written
