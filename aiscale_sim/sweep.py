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

from aiscale_sim.compare import scenarios_with_overrides
from aiscale_sim.errors import UserInputError
from aiscale_sim.files import save_figure
from aiscale_sim.index_page import write_index
from aiscale_sim.labels import (
    format_axis,
    format_value,
    in_sentence,
    lever_label,
    outcome_label,
    palette,
)
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
    base = scenarios_with_overrides([base], overrides)[0]
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
    written = plot_sweep(exp, list(spec["grid"]), spec) if plot else []
    return exp, written


def _fmt_level(lever: str, value: Any) -> str:
    """A lever value as a person reads it: ``0.5``, ``launch everything``."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def _positions(s, lever: str) -> tuple[list[Any], bool]:
    """The lever's values in plotting order, and whether they are plotted by position."""
    categorical = LEVERS_BY_NAME[lever].kind in ("choice", "bool")
    return (sorted(s[lever].unique(), key=str) if categorical
            else sorted(s[lever].unique())), categorical


def line_figure(s, lever: str, col: str, group: str | None = None):
    """One outcome against one swept lever: mean across seeds with a 5-95% band.

    Args:
        s: The sweep's summaries (one row per run).
        lever: The lever on the x axis.
        col: The outcome column.
        group: Another swept lever; each of its values gets its own line.

    Returns:
        The matplotlib figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys, categorical = _positions(s, lever)
    fig, ax = plt.subplots(figsize=(7.4 if group else 6, 4.2))
    subsets = [(None, s)] if group is None else list(s.groupby(group))
    markers = "osD^vP"
    for k, ((gval, sub), (colour, style)) in enumerate(
            zip(subsets, palette(len(subsets)), strict=True)):
        g = sub.groupby(lever)[col]
        # Choice and bool levers are plotted by position, named on the axis.
        x = (np.arange(len(keys), dtype=float) if categorical
             else np.array(keys, dtype=float))
        mean = g.mean().reindex(keys).to_numpy(dtype=float)
        lo = g.quantile(0.05).reindex(keys).to_numpy(dtype=float)
        hi = g.quantile(0.95).reindex(keys).to_numpy(dtype=float)
        name = "all" if gval is None else _fmt_level(group, gval)
        # Shrinking markers keep a line visible when a later one lies on top of it.
        ax.plot(x, mean, marker=markers[k % len(markers)], ms=max(3.0, 8.0 - 1.5 * k),
                label=name, color=colour, ls=style, lw=max(1.0, 2.4 - 0.4 * k))
        ax.fill_between(x, lo, hi, color=colour, alpha=0.15, lw=0)
    if categorical:
        ax.set_xticks(range(len(keys)), [_fmt_level(lever, v) for v in keys])
    ax.set_xlabel(lever_label(lever, unit=True))
    ax.set_ylabel(outcome_label(col))
    format_axis(ax, col)
    ax.grid(alpha=0.3)
    ax.set_title(f"{outcome_label(col)} by {in_sentence(lever_label(lever))}\n"
                 "mean across seeds, band 5-95%", fontsize=10)
    if group is not None:
        ax.legend(title=lever_label(group, unit=True), fontsize=8, title_fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def heatmap_figure(s, x_lever: str, y_lever: str, col: str):
    """Mean of one outcome over a two-lever grid, each cell annotated with its value.

    Args:
        s: The sweep's summaries.
        x_lever: Lever across (columns).
        y_lever: Lever down (rows).
        col: The outcome column.

    Returns:
        The matplotlib figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs, _ = _positions(s, x_lever)
    ys, _ = _positions(s, y_lever)
    tab = (s.groupby([y_lever, x_lever])[col].mean().unstack(x_lever)
           .reindex(index=ys, columns=xs).to_numpy(dtype=float))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(xs) + 3.2), max(3.6, 0.6 * len(ys) + 2.2)))
    finite = tab[np.isfinite(tab)]
    constant = finite.size == 0 or finite.min() == finite.max()
    lo = finite.min() if finite.size else 0.0
    im = ax.imshow(tab, cmap="viridis", aspect="auto", origin="lower",
                   vmin=lo if not constant else lo - 1, vmax=finite.max() if not constant
                   else lo + 1)
    ax.set_xticks(range(len(xs)), [_fmt_level(x_lever, v) for v in xs])
    ax.set_yticks(range(len(ys)), [_fmt_level(y_lever, v) for v in ys])
    ax.set_xlabel(lever_label(x_lever, unit=True))
    ax.set_ylabel(lever_label(y_lever, unit=True))
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0
    for (i, j), v in np.ndenumerate(tab):
        ax.text(j, i, format_value(col, v) if np.isfinite(v) else "n/a", ha="center",
                va="center", fontsize=8, color="white" if np.isfinite(v) and v < mid
                else "black")
    notes = []
    if constant and finite.size:
        notes.append("the same in every cell")
    else:
        cb = fig.colorbar(im, ax=ax)
        cb.set_label(outcome_label(col))
        format_axis(cb.ax, col)
    if finite.size < tab.size:
        notes.append("n/a: undefined on every seed")
    ax.set_title(f"{outcome_label(col)}: mean across seeds"
                 + (f"\n({'; '.join(notes)})" if notes else ""), fontsize=10)
    fig.tight_layout()
    return fig


def plot_sweep(exp: Experiment, levers: list[str], spec: dict[str, Any] | None = None
               ) -> list[Path]:
    """One PNG per key outcome and swept lever, heatmaps for two levers, and index.html.

    Line plots show the mean across seeds with a 5-95% band; with two or more swept levers,
    each value of the first other lever gets its own line. With two or more swept levers the
    first two also get one heatmap per outcome (``heatmap_<outcome>.png``).

    Args:
        exp: The sweep's experiment.
        levers: The swept levers, in the experiment file's order.
        spec: The loaded experiment file (:func:`load_sweep`), for index.html's question.

    Returns:
        The PNG files written (index.html is written too, but not listed).
    """
    import matplotlib.pyplot as plt

    s = exp.summaries
    written: list[tuple[Path, str]] = []
    cols = [c for c, _ in KEY_OUTCOMES if c in s.columns]
    if len(levers) >= 2:
        y_lever, x_lever = levers[0], levers[1]
        for col in cols:
            fig = heatmap_figure(s, x_lever, y_lever, col)
            target = exp.path / f"heatmap_{col}.png"
            save_figure(fig, target, dpi=90)
            plt.close(fig)
            written.append((target, f"{outcome_label(col)} over the grid of "
                            f"{in_sentence(lever_label(y_lever))} (rows) and "
                            f"{in_sentence(lever_label(x_lever))} (columns): mean across seeds."))
    for lever in levers:
        others = [x for x in levers if x != lever]
        group = others[0] if others else None
        for col in cols:
            fig = line_figure(s, lever, col, group)
            target = exp.path / f"{col}_vs_{lever}.png"
            save_figure(fig, target, dpi=90)
            plt.close(fig)
            by = f", one line per {in_sentence(lever_label(group))} value" if group else ""
            written.append((target, f"{outcome_label(col)} against "
                            f"{in_sentence(lever_label(lever, unit=True))}: mean across seeds with "
                            f"the 5-95% band{by}."))
    _write_index(exp, levers, spec or {}, written)
    return [p for p, _ in written]


def _write_index(exp: Experiment, levers: list[str], spec: dict[str, Any],
                 figures: list[tuple[Path, str]]) -> Path:
    m = exp.manifest
    meta = m.get("metadata", {})
    name = spec.get("name") or meta.get("name") or exp.path.name
    grid = meta.get("grid") or {lv: sorted(exp.summaries[lv].unique().tolist(), key=str)
                                for lv in levers}
    question = spec.get("description") or (
        "How do " + " and ".join(in_sentence(lever_label(lv)) for lv in levers)
        + " change adoption, the pilot funnel, value and cost?")
    design = [("levers varied", "; ".join(
        f"{lever_label(lv, unit=True)}: {', '.join(_fmt_level(lv, v) for v in grid[lv])}"
        for lv in levers))]
    base = spec.get("scenario")
    design += [
        ("base scenario", base.name if base is not None else str(meta.get("base_scenario"))),
        ("seeds per grid point", str(meta.get("seeds", "?"))),
        ("runs", f"{m.get('counts', {}).get('done', len(exp.summaries))} of "
         f"{len(m.get('design', [])) or len(exp.summaries)}"),
        ("weeks per run", str(m.get("steps"))),
        ("master seed", str(m.get("master_seed"))),
        ("aiscale-sim version", str(m.get("package_version"))),
    ]
    if spec.get("path"):
        design.append(("experiment file", spec["path"]))
    return write_index(exp.path, title=f"Sweep: {name}", question=question, design=design,
                       figures=figures)
