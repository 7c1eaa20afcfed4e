"""Which operating model leads under which demand: the regime map's design, tables and figure.

Demand for AI is business units x pilot launch rate; the operating model is centralisation 0
(federated), 0.5 (hybrid) and 1 (CoE). :func:`build_design` crosses them on the baseline
scenario with common random numbers (the i-th seed is the same in every cell);
:func:`leader_table` names the leader of each cell on value and on median time to production,
with its margin over the runner-up and whether the lead is clear (more than two standard
errors of the same-seed difference); :func:`regimes_figure` draws the map;
:func:`summary_lines` states the leaders and the two CoE stylized facts in words.
``experiments/operating_model_regimes.py`` runs the full grid, and
``notebooks/02_coe_vs_federated.ipynb`` a small one on the baseline company.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aiscale_sim.levers import LEVERS_BY_NAME
from aiscale_sim.runner import Design, Run, design_from_grid
from aiscale_sim.simulate import resolve

UNITS = (4, 8, 16)
LAUNCH_RATES = (3.0, 8.0, 20.0)
CENTRALISATION = (0.0, 0.5, 1.0)
EMPLOYEES_PER_UNIT = 1250
STEPS = 156
SEEDS = 20
MASTER_SEED = 2024
QUICK = {"units": (2, 4), "rates": (3.0, 20.0), "employees_per_unit": 400, "steps": 52,
         "seeds": 2}

#: Outcomes summarised per cell: name -> (plain label, unit).
OUTCOMES = {
    "cumulative_value": ("cumulative value", "$M"),
    "median_time_to_production_weeks": ("median time to production", "weeks"),
    "pilots_reached_production": ("pilots that reached production", "pilots"),
    "pilot_to_production_rate": ("pilot-to-production rate", "share"),
    "coe_median_wait_weeks": ("median wait for the CoE", "weeks"),
}
#: The two maps: outcome, whether more is better, panel title.
PANELS = (("cumulative_value", True, "Highest cumulative value"),
          ("median_time_to_production_weeks", False, "Shortest median time to production"))
COLOURS = {"federated": "#DD8452", "hybrid": "#8172B3", "CoE": "#4C72B0"}
UNCLEAR_COLOUR = "#e3e3e3"
CELL = ["business_units", "pilot_launch_rate"]


def model_name(centralisation: float) -> str:
    """The operating model's plain name (lever table: 0 federated, 1 CoE, between hybrid)."""
    if centralisation <= 0.0:
        return "federated"
    return "CoE" if centralisation >= 1.0 else "hybrid"


def lever_label(name: str) -> str:
    """A lever's label and unit from the lever table, e.g. 'Pilot launch rate (...)'."""
    return LEVERS_BY_NAME[name].axis_label


def build_design(units, rates, employees_per_unit: int, n_seeds: int,
                 master_seed: int) -> Design:
    """The demand x operating-model grid on the baseline scenario, one block per unit count.

    Employees are tied to units, so each unit count is its own base scenario and the launch
    rate and centralisation are crossed on top of it with :func:`design_from_grid`. Every block
    uses the same master seed, so the i-th seed is shared by every cell.

    Args:
        units: Business-unit counts.
        rates: Pilot launch rates (ideas per business unit per year).
        employees_per_unit: Employees per business unit (people).
        n_seeds: Seeds per cell.
        master_seed: Master seed of the experiment.

    Returns:
        One design with run ids 0, 1, ... over all blocks.
    """
    runs: list[Run] = []
    for u in units:
        base = resolve("baseline", {"business_units": int(u),
                                    "employees": int(u) * employees_per_unit})
        base.name = f"baseline_{u}units"
        block = design_from_grid(base, {"pilot_launch_rate": list(rates),
                                        "centralisation": list(CENTRALISATION)},
                                 n_seeds, master_seed)
        start = len(runs)
        runs.extend(Run(start + i, r.scenario, r.levers, r.seed) for i, r in enumerate(block))
    return Design(runs, master_seed=master_seed, kind="grid",
                  info={"base": "baseline", "units": [int(u) for u in units],
                        "employees_per_unit": employees_per_unit,
                        "grid": {"pilot_launch_rate": [float(r) for r in rates],
                                 "centralisation": list(CENTRALISATION)},
                        "n_seeds": n_seeds})


def cell_table(df: pd.DataFrame) -> pd.DataFrame:
    """Tidy means and standard errors: one row per cell, operating model and outcome."""
    rows = []
    keys = [*CELL, "centralisation"]
    for key, g in df.groupby(keys, sort=True):
        units, rate, c = key
        for out in OUTCOMES:
            x = g[out].astype(float).dropna()
            n = len(x)
            rows.append({
                "business_units": int(units), "employees": int(g["employees"].iloc[0]),
                "pilot_launch_rate": float(rate), "ideas_per_year": float(units * rate),
                "ideas_per_ai_fte_per_year": ideas_per_fte(g.iloc[0]),
                "centralisation": float(c), "operating_model": model_name(c),
                "outcome": out, "unit": OUTCOMES[out][1],
                "mean": float(x.mean()) if n else np.nan,
                "se": float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                "n_runs": n, "runs": len(g)})
    return pd.DataFrame(rows)


def ideas_per_fte(row) -> float:
    """New ideas per AI FTE per year in a cell (demand per head of AI staff)."""
    fte = row["employees"] * row["ai_staff_per_1000"] / 1000.0
    return float(row["business_units"] * row["pilot_launch_rate"] / fte)


def _wide(g: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """One row per seed, one column per centralisation, of one cell's outcome."""
    return g.pivot_table(index="seed", columns="centralisation", values=outcome,
                         aggfunc="first", dropna=False)


def paired(g: pd.DataFrame, outcome: str, a: float, b: float) -> dict:
    """The same-seed difference ``a - b`` of an outcome in one demand cell.

    Only seeds where both operating models have the outcome count (the median time to
    production is undefined in a run where no pilot reached production).

    Args:
        g: The runs of one demand cell.
        outcome: The outcome column.
        a: Centralisation of the first operating model.
        b: Centralisation of the second.

    Returns:
        ``mean``, ``se`` (standard error) of the difference, ``a`` and ``b`` (the two means
        over the same seeds), ``n`` (paired seeds) and ``of`` (seeds in the cell); NaN where
        undefined.
    """
    wide = _wide(g, outcome)
    res = {"mean": np.nan, "se": np.nan, "a": np.nan, "b": np.nan, "n": 0, "of": len(wide)}
    if a not in wide or b not in wide:
        return res
    both = wide[[a, b]].dropna()
    n = len(both)
    if n:
        d = both[a] - both[b]
        res.update(mean=float(d.mean()), a=float(both[a].mean()), b=float(both[b].mean()), n=n,
                   se=float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan)
    return res


def leader_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per cell and panel outcome: the leader, the runner-up, the margin and its clarity."""
    rows = []
    for (units, rate), g in df.groupby(CELL, sort=True):
        for out, higher, _ in PANELS:
            # Rank on the seeds where every operating model has the outcome, so the ranking
            # and the paired margins agree.
            complete = _wide(g, out).dropna(axis=1, how="all").dropna()
            order = (complete.mean().sort_values(ascending=not higher).index.tolist()
                     if len(complete) else [])
            row = {"business_units": int(units), "employees": int(g["employees"].iloc[0]),
                   "pilot_launch_rate": float(rate), "outcome": out,
                   "leader": None, "runner_up": None, "margin": np.nan, "margin_se": np.nan,
                   "clear": False, "n_seeds": len(complete), "of_seeds": g["seed"].nunique()}
            if len(order) >= 2:
                sign = 1.0 if higher else -1.0
                lead = order[0]
                diffs = [paired(g, out, lead, c) for c in order[1:]]
                clear = all(np.isfinite(d["se"]) and sign * d["mean"] > 2.0 * d["se"]
                            for d in diffs)
                row.update(leader=model_name(lead), runner_up=model_name(order[1]),
                           margin=sign * diffs[0]["mean"], margin_se=diffs[0]["se"],
                           clear=bool(clear))
            elif len(order) == 1:
                row.update(leader=model_name(order[0]))
            rows.append(row)
    return pd.DataFrame(rows)


def verdict(mean: float, se: float) -> str:
    """Whether ``difference >= 0`` holds, and whether it is clear beyond 2 standard errors."""
    if not np.isfinite(mean):
        return "cannot tell (undefined in these runs)"
    holds = "holds" if mean >= 0 else "does not hold"
    if np.isfinite(se) and abs(mean) > 2.0 * se:
        return f"{holds}, clearly"
    return f"{holds}, within noise"


def _decimals(se: float) -> int:
    """Decimals that show two significant digits of a standard error (1 if it is 0 or NaN)."""
    if not np.isfinite(se) or se <= 0:
        return 1
    return int(min(3, max(0, 1 - np.floor(np.log10(se)))))


def _pm(mean: float, se: float, sign: str = "", pm: str = "+/-") -> str:
    """``mean +/- se`` rounded to the standard error's precision."""
    d = _decimals(se)
    se_s = f"{se:.{d}f}" if np.isfinite(se) else "?"
    return f"{mean:{sign}.{d}f} {pm} {se_s}"


def _num(x: float, unit: str) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:.1f} {unit}" if unit != "share" else f"{x:.0%}"


def _margin(mean: float, se: float, unit: str) -> str:
    if not np.isfinite(mean):
        return "no paired runs"
    return f"{_pm(mean, se, '+')} {unit}"


def _leader_text(row, unit: str, faster: bool = False) -> str:
    if pd.isna(row["leader"]):
        return "none (no run has this outcome)"
    if pd.isna(row["runner_up"]):
        return f"no clear leader (only {row['leader']} has this outcome)"
    m, se = row["margin"], row["margin_se"]
    what = (f"{_pm(m, se)} {unit} faster than" if faster else f"{_pm(m, se, '+')} {unit} over")
    text = f"{row['leader']}, {what} {row['runner_up']}"
    return text if row["clear"] else f"no clear leader ({text})"


def summary_lines(df: pd.DataFrame, leaders: pd.DataFrame, n_seeds: int, steps: int,
                  employees_per_unit: int) -> list[str]:
    """The printed summary: leaders per cell, then the two stylized patterns."""
    rates = sorted(df["pilot_launch_rate"].unique())
    units = sorted(df["business_units"].unique())
    fte = {r: ideas_per_fte(df[df["pilot_launch_rate"] == r].iloc[0]) for r in rates}
    lines = [
        f"Operating models under demand: {len(units)} unit counts x {len(rates)} launch rates "
        f"x {len(CENTRALISATION)} operating models, {n_seeds} seeds each, {steps} weeks, "
        f"{employees_per_unit:,} employees per unit.",
        "AI staff grow with employees, so new ideas per AI FTE per year depend on the launch "
        "rate only: " + ", ".join(f"{fte[r]:.1f} at {r:g}" for r in rates) + ".",
        "Leaders per demand cell (margin over the runner-up, +/- 1 standard error of the "
        "same-seed difference; 'no clear leader' when within 2 standard errors):",
    ]
    lt = leaders.set_index([*CELL, "outcome"])
    for u in units:
        for r in rates:
            v = lt.loc[(u, r, "cumulative_value")]
            t = lt.loc[(u, r, "median_time_to_production_weeks")]
            lines.append(f"  {u} units, {r:g} ideas per unit per year ({u * r:g} a year): "
                         f"value leader {_leader_text(v, '$M')}; time-to-production leader "
                         f"{_leader_text(t, 'weeks', faster=True)}")

    cells = {key: g for key, g in df.groupby(CELL, sort=True)}

    def check(rate, outcome, a, b, unit):
        out = []
        for u in units:
            d = paired(cells[(u, rate)], outcome, a, b)
            seeds = f", {d['n']} of {d['of']} seeds" if d["n"] < d["of"] else ""
            d["text"] = (f"{u} units: {model_name(a)} {_num(d['a'], unit)} against "
                         f"{model_name(b)} {_num(d['b'], unit)} "
                         f"({_margin(d['mean'], d['se'], unit)}{seeds}): "
                         f"{verdict(d['mean'], d['se'])}")
            out.append(d)
        return out

    def tally(results):
        held = sum(1 for d in results if np.isfinite(d["mean"]) and d["mean"] >= 0)
        clear = sum(1 for d in results if np.isfinite(d["mean"]) and np.isfinite(d["se"])
                    and d["mean"] > 2 * d["se"])
        return f"holds in {held} of {len(results)} cells ({clear} clearly)"

    lo, hi = rates[0], rates[-1]
    p1 = check(lo, "pilots_reached_production", 1.0, 0.0, "pilots")
    lines.append(f"Stylized fact centralised_vs_decentralised_production (low demand, {lo:g} "
                 "ideas per unit per year: the CoE gets at least as many pilots into "
                 f"production as federated teams): {tally(p1)}")
    lines += [f"  {d['text']}" for d in p1]
    p2 = check(hi, "median_time_to_production_weeks", 1.0, 0.5, "weeks")
    lines.append(f"Stylized fact coe_bottleneck (high demand, {hi:g} ideas per unit per year: "
                 "the CoE's median time to production exceeds the hybrid's): " + tally(p2))
    lines += [f"  {d['text']}" for d in p2]
    p2_low = check(lo, "median_time_to_production_weeks", 1.0, 0.5, "weeks")
    lines.append(f"  for contrast, at low demand ({lo:g}; the fact says it should not): "
                 + tally(p2_low))
    p3 = check(hi, "cumulative_value", 0.5, 1.0, "$M")
    lines.append(f"At high demand ({hi:g}), the hybrid delivers at least as much value as the "
                 f"CoE: {tally(p3)}")
    lines += [f"  {d['text']}" for d in p3]
    return lines


def regimes_figure(leaders: pd.DataFrame, n_seeds: int, steps: int, employees_per_unit: int):
    """Two maps over the demand grid: who leads on value, and on median time to production."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    units = sorted(leaders["business_units"].unique())
    rates = sorted(leaders["pilot_launch_rate"].unique())
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.2), constrained_layout=True)
    lt = leaders.set_index([*CELL, "outcome"])
    for ax, (out, _, title) in zip(axes, PANELS, strict=True):
        unit = OUTCOMES[out][1]
        for i, u in enumerate(units):
            for j, r in enumerate(rates):
                row = lt.loc[(u, r, out)]
                colour = COLOURS[row["leader"]] if row["clear"] else UNCLEAR_COLOUR
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=colour,
                                           edgecolor="white", linewidth=3))
                ax.text(j, i, _cell_label(row, unit, faster=out.startswith("median_time")),
                        ha="center", va="center", fontsize=9.5,
                        color="white" if row["clear"] else "black")
        ax.set_xlim(-0.5, len(rates) - 0.5)
        ax.set_ylim(-0.5, len(units) - 0.5)
        ax.set_xticks(range(len(rates)), [f"{r:g}" for r in rates])
        ax.set_yticks(range(len(units)),
                      [f"{u} units\n{u * employees_per_unit:,} employees" for u in units]
                      if ax is axes[0] else [])
        ax.set_xlabel(lever_label("pilot_launch_rate"))
        ax.set_title(f"{title} ({unit})", fontsize=11)
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
    axes[0].set_ylabel(lever_label("business_units"))
    cent = LEVERS_BY_NAME["centralisation"]
    handles = [Patch(facecolor=COLOURS[model_name(c)], label=f"{model_name(c)} ({c:g})")
               for c in CENTRALISATION]
    handles.append(Patch(facecolor=UNCLEAR_COLOUR,
                         label="no clear leader (within 2 standard errors)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False,
               title=f"{cent.description.split(':')[0]} ({cent.unit})")
    fig.suptitle("Which operating model leads at each level of demand for AI\n"
                 "margin over the runner-up \u00b1 1 standard error of the same-seed "
                 f"difference; {n_seeds} seeds per cell, {steps} weeks, baseline scenario",
                 fontsize=12)
    return fig


def _cell_label(row, unit: str, faster: bool) -> str:
    if pd.isna(row["leader"]):
        return "no run has\nthis outcome"
    if pd.isna(row["runner_up"]):
        return f"no clear leader\n(only {row['leader']}\nhas this outcome)"
    m, se = row["margin"], row["margin_se"]
    how = (f"{_pm(m, se, pm=chr(177))} {unit}\nfaster than {row['runner_up']}" if faster
           else f"{_pm(m, se, '+', pm=chr(177))} {unit}\nover {row['runner_up']}")
    if row["clear"]:
        return f"{row['leader']}\n{how}"
    return f"no clear leader\n(leaning {row['leader']}:\n{how})"
