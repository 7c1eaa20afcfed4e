"""What ``aiscale optimise`` and ``aiscale discover`` show: plots and a short report."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from aiscale_sim.budget import SHARE_LEVERS
from aiscale_sim.files import save_figure, write_text
from aiscale_sim.labels import format_axis, format_outcome, lever_label
from aiscale_sim.levers import LEVERS_BY_NAME
from aiscale_sim.optimise import OBJECTIVES, OptimiseResult, objective_outcome, phase_words
from aiscale_sim.report import SHARE_LABELS
from aiscale_sim.version import __version__


def _objective_label(objective: str) -> str:
    return {"value": "Mean value realised ($M)", "roi": "Mean ROI (%)",
            "p10_value": "10th-percentile value realised ($M)",
            "regret": "90th-percentile regret in value ($M)"}[objective]


def _money_or_share(v: float, col: str) -> str:
    """format_outcome, with a minus sign before the dollar: -$3.2M, not $-3.2M."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if col in ("cumulative_value", "cumulative_cost") and v < 0:
        return "-" + format_outcome(-v, col)
    return format_outcome(v, col)


def _fmt_objective(objective: str, v: float) -> str:
    return _money_or_share(v, objective_outcome(objective))


def _lever_value(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def convergence_figure(result: OptimiseResult):
    """Each trial's objective, the best so far, and the best trial again on fresh seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = result.problem
    t = result.trials
    ok = t[t["state"] == "complete"]
    fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
    ax.scatter(ok["trial"], ok["objective"], s=18, color="#8c8c8c",
               label=f"a trial ({len(p.seeds)} seed{'' if len(p.seeds) == 1 else 's'})", zorder=2)
    ax.step(t["trial"], t["best_so_far"], where="post", color="#0072B2", lw=2,
            label="best so far", zorder=3)
    last = int(t["trial"].max())
    fl = result.flattery
    ax.scatter([int(result.best["trial"])], [fl["fresh"]], marker="D", s=60, color="#D55E00",
               zorder=4, label=f"best trial on {len(p.fresh_seeds)} fresh seeds")
    ax.annotate("", xy=(int(result.best["trial"]), fl["fresh"]),
                xytext=(int(result.best["trial"]), fl["in_sample"]),
                arrowprops={"arrowstyle": "->", "color": "#D55E00", "lw": 1.2})
    styles = ["--", ":", "-."]
    ins = result.fresh[result.fresh["sample"] == "in-sample"].set_index("setting")["objective"]
    for i, name in enumerate(p.references):
        if name in ins.index and not math.isnan(ins[name]):
            ax.axhline(ins[name], color="#009E73", ls=styles[i % 3], lw=1.2,
                       label=f"{name} (same seeds as the trials)", zorder=1)
    ax.set_xlim(-0.5, last + 0.5)
    ax.set_xlabel("Trial")
    ax.set_ylabel(_objective_label(p.objective))
    format_axis(ax, objective_outcome(p.objective))
    ax.set_title(f"Search for the best split of ${p.total_musd:g}M a year "
                 f"({p.base['employees']:,} employees)", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def _split_rows(result: OptimiseResult) -> list[str]:
    p = result.problem
    rows = ["| share | of budget | $M a year | lever value |", "| --- | ---: | ---: | --- |"]
    for share, x in result.best_split.items():
        lever = SHARE_LEVERS.get(share)
        if lever is None:  # operations buys no lever: it is the money pilots run on
            rows.append(f"| {SHARE_LABELS[share]} | {x:.1%} | ${x * p.total_musd:,.2f}M | "
                        "money for running pilots and live use cases (the cap) |")
            continue
        lv = LEVERS_BY_NAME[lever]
        rows.append(f"| {SHARE_LABELS[share]} | {x:.1%} | ${x * p.total_musd:,.2f}M | "
                    f"{lv.short_label}: {_lever_value(result.best_levers[lever])} {lv.unit} |")
    return rows


def _range(row: pd.Series, col: str) -> str:
    return (f"{_money_or_share(row[f'{col}_mean'], col)} "
            f"({_money_or_share(row[f'{col}_ci_low'], col)} to "
            f"{_money_or_share(row[f'{col}_ci_high'], col)})")


def report_markdown(result: OptimiseResult, convergence: str = "convergence.png") -> str:
    """The short report: question, assumptions, the split, and the judgement on fresh seeds."""
    p = result.problem
    fl = result.flattery
    obj_name, direction = OBJECTIVES[p.objective]
    n_ok = int((result.trials["state"] == "complete").sum())
    n_fail = int((result.trials["state"] == "fail").sum())
    weeks = p.steps or 260
    sets = ", ".join(f"`{k}={v}`" for k, v in sorted(p.overrides.items())) or "none"
    lines = [
        f"# The best split of ${p.total_musd:g}M a year", "",
        f"Objective: {direction} the {obj_name}. "
        f"{n_ok} trials{f' ({n_fail} failed)' if n_fail else ''}, each on the same "
        f"{len(p.seeds)} seeds (common random numbers); the best trial and the shipped "
        f"strategies were then run on {len(p.fresh_seeds)} fresh seeds that no trial saw.", "",
        "## Assumptions", "",
        f"- Organisation: {p.base['employees']:,} employees in {p.base['business_units']} "
        f"business units; base scenario `{p.scenario}`; `--set` {sets}.",
        f"- Horizon: {weeks} weeks ({weeks / 52:.1f} years); master seed {p.master_seed}; "
        f"aiscale-sim {__version__}.",
        "- Searched: the budget split on the simplex, and "
        + (", ".join(lever_label(n).lower() for n in p.free) or "no other lever")
        + (f"; with `--phases`, also a switch week (the first week of a quarter, weeks "
           f"{p.switch_weeks[0]} to {p.switch_weeks[-1]} every 13) and a second value of each "
           "of these levers from it (the split holds for the whole run)"
           if p.phases else "") + ".",
        f"- Every run (each trial, each shipped strategy, the fresh judgement) is capped at "
        f"${p.total_musd:g}M of AI spending a year: no pilot is launched once a year's money "
        "is committed, so every split keeps the same budget.",
        "- Shipped strategies at the same budget and organisation: "
        + (", ".join(f"`{n}`" for n in p.references) or "none") + ".",
    ]
    for name, why in p.skipped.items():
        lines.append(f"- `{name}` left out: {why}.")
    starts = result.trials[result.trials["started_from"].fillna("").astype(str) != ""]
    if len(starts):
        lines.append("- Warm start: the search started from the shipped strategies, as "
                     "trials " + ", ".join(f"{int(r['trial'])} (`{r['started_from']}`)"
                                           for _, r in starts.iterrows())
                     + "; each keeps its strategy's other policies.")
    began = str(result.best.get("started_from", "") or "")
    began = "" if began == "nan" else began
    lines += ["", f"## The best trial (trial {int(result.best['trial'])}"
              + (f", the shipped strategy `{began}`" if began else "") + ")", "",
              *_split_rows(result), ""]
    for name in p.free:
        lines.append(f"- {lever_label(name)}: {result.best_levers[name]!s}"
                     if not isinstance(result.best_levers[name], float)
                     else f"- {lever_label(name)}: {result.best_levers[name]:.2f} "
                     f"({LEVERS_BY_NAME[name].unit})")
    if p.phases:
        lines.append(f"- Second phase, {phase_words(result.best_phases)}."
                     if result.best_phases else
                     "- No second phase: the levers hold for the whole run.")
    lines += ["", "## Judged on fresh seeds", "",
              "Means with 95% intervals of the mean; *in-sample* are the trials' own seeds.",
              "", "| setting | seeds | sample | objective | value realised | ROI | "
              "employees using AI | paid back |",
              "| --- | ---: | --- | ---: | --- | --- | --- | ---: |"]
    f = result.fresh.set_index(["setting", "sample"], drop=False)
    for key in [(n, s) for n in ("optimised", *p.references) for s in ("fresh", "in-sample")]:
        if key not in f.index:
            continue
        r = f.loc[key]
        lines.append(f"| {r['setting']} | {int(r['seeds'])} | {r['sample']} | "
                     f"{_fmt_objective(p.objective, r['objective'])} | "
                     f"{_range(r, 'cumulative_value')} | {_range(r, 'roi')} | "
                     f"{_range(r, 'adoption_share')} | {r['payback_share']:.0%} |")
    col = objective_outcome(p.objective)
    if len(result.paired):
        lines += ["", f"On the fresh seeds, seed by seed ({'ROI' if col == 'roi' else 'value'}"
                  " of the optimised split minus the strategy's):", ""]
        for _, r in result.paired.iterrows():
            pv = r["sign_test_p"]
            lines.append(
                f"- against `{r['strategy']}`: {_money_or_share(r['diff_mean'], col)} "
                f"(95% interval {_money_or_share(r['diff_ci_low'], col)} to "
                f"{_money_or_share(r['diff_ci_high'], col)}); ahead on {r['wins']} of "
                f"{r['seeds']} seeds, behind on {r['losses']} (sign test p = "
                f"{'n/a' if math.isnan(pv) else f'{pv:.2g}'}).")
    better = "higher" if direction == "maximize" else "lower"
    lines += ["", "## How much the optimum flattered itself", "",
              f"The best trial's objective was {_fmt_objective(p.objective, fl['in_sample'])} "
              f"on the seeds it was chosen on and {_fmt_objective(p.objective, fl['fresh'])} on "
              f"fresh seeds: the in-sample figure was "
              f"{_fmt_objective(p.objective, abs(fl['raw']))} "
              f"{'better' if fl['raw'] > 0 else 'worse'} ({better} is better)."]
    if not math.isnan(fl["seed_luck"]):
        lines.append(
            f"The shipped strategies, which were not selected on those seeds, were "
            f"{_fmt_objective(p.objective, abs(fl['seed_luck']))} "
            f"{'better' if fl['seed_luck'] > 0 else 'worse'} on average on the search seeds "
            f"than on the fresh ones (the search seeds' own luck, as far as the strategies "
            f"show it); less that luck, selecting the best trial flattered it by about "
            f"{_fmt_objective(p.objective, fl['selection'])}"
            f"{'' if fl['selection'] > 0 else ' (that is, not at all)'}.")
    lines += ["", f"![Convergence]({convergence})", "",
              "Files: `trials.csv` (every trial), `best.toml` (the best trial as a scenario: "
              "`aiscale run best.toml`, `aiscale compare best.toml balanced`), `fresh.csv`, "
              "`fresh_paired.csv`, `study.db` (Optuna's storage; the same command resumes), "
              "`runs/`, `reference/` and `fresh/` (the experiment folders).", ""]
    return "\n".join(lines)


def write_outputs(result: OptimiseResult) -> dict[str, Path]:
    """Write ``convergence.png`` and ``report.md`` into the output folder."""
    import matplotlib.pyplot as plt

    fig = convergence_figure(result)
    png = save_figure(fig, result.out / "convergence.png", dpi=120)
    plt.close(fig)
    md = write_text(result.out / "report.md", report_markdown(result))
    return {"convergence": png, "report": md}


def discovery_figure(d):
    """Worlds on the two levers the box restricts most, failing in red, and PRIM's box.

    Left: each sampled world on the two most restricted levers (or the first two uncertain
    ones; whole numbers jittered so that worlds do not hide each other), with the box drawn;
    right: PRIM's peeling trajectory (coverage against density) and the chosen box, whose
    insignificant limits are dropped (so it may lie off the trajectory).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    w = d.worlds
    names = list(d.uncertain)
    if d.box is not None and d.box.limits:
        def squeeze(n):
            lo, hi = d.box.limits[n]
            rlo, rhi = d.uncertain[n]
            return (min(hi, rhi) - max(lo, rlo)) / (rhi - rlo)

        chosen = sorted(d.box.limits, key=squeeze)[:2]
        axes_names = (chosen + [n for n in names if n not in chosen])[:2]
    else:
        axes_names = names[:2]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained",
                                  gridspec_kw={"width_ratios": [1.3, 1]})
    xn = axes_names[0]
    yn = axes_names[1] if len(axes_names) > 1 else None
    jitter = np.random.default_rng(0)
    yv = w[yn] + (jitter.uniform(-0.15, 0.15, len(w))
                  if _whole(yn) else 0.0) if yn else np.zeros(len(w))
    xv = w[xn] + (jitter.uniform(-0.15, 0.15, len(w))
                  if _whole(xn) else 0.0)
    for fails, colour, label in ((False, "#0072B2", "pays back"),
                                 (True, "#D55E00", "fails to pay back")):
        m = w["fails"] == fails
        ax.scatter(xv[m], np.asarray(yv)[m], s=16, color=colour, alpha=0.8, label=label)
    if d.box is not None and yn:
        lims = {}
        for n in (xn, yn):
            lo, hi = d.box.limits.get(n, (-math.inf, math.inf))
            pad = 0.5 if _whole(n) else 0.0  # whole numbers: cell edges
            lims[n] = (max(lo - pad, w[n].min() - pad), min(hi + pad, w[n].max() + pad))
        (x0, x1), (y0, y1) = lims[xn], lims[yn]
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, ls="--",
                               color="black", label="PRIM's box"))
    ax.set_xlabel(_world_axis_label(xn))
    if yn:
        ax.set_ylabel(_world_axis_label(yn))
        if _is_share(yn):
            from matplotlib.ticker import PercentFormatter

            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    if _is_share(xn):
        from matplotlib.ticker import PercentFormatter

        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_title(f"{d.strategy}: {w['fails'].mean():.0%} of {len(w)} worlds fail to pay back",
                 fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=3, fontsize=8,
              frameon=False)
    ax.grid(alpha=0.3)
    if d.box is not None:
        t = d.box.trajectory
        ax2.plot(t["coverage"], t["density"], "-o", ms=3, color="#8c8c8c")
        ax2.scatter([d.box.coverage], [d.box.density], s=70, color="black", zorder=3,
                    label="chosen box, significant limits only")
        ax2.legend(loc="lower left", fontsize=8, frameon=False)
    else:
        import textwrap

        ax2.text(0.5, 0.5, textwrap.fill("no box: " + d.words, 40), ha="center",
                 va="center", fontsize=9, transform=ax2.transAxes)
    from matplotlib.ticker import PercentFormatter

    ax2.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax2.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax2.set_xlabel("Coverage (share of failing worlds in the box)")
    ax2.set_ylabel("Density (share of the box's worlds that fail)")
    ax2.set_title("PRIM's peeling trajectory", fontsize=10)
    ax2.grid(alpha=0.3)
    return fig


def _whole(name: str) -> bool:
    """Whether an uncertain name is a whole-number lever (constants are real numbers)."""
    return name in LEVERS_BY_NAME and LEVERS_BY_NAME[name].kind == "int"


def _is_share(name: str) -> bool:
    return name in LEVERS_BY_NAME and "share" in LEVERS_BY_NAME[name].unit


def _world_axis_label(name: str) -> str:
    """Axis label of an uncertain lever (lever table) or calibratable constant (its table)."""
    from aiscale_sim.calibration.constants import CONSTANTS_BY_NAME

    if name not in LEVERS_BY_NAME and name in CONSTANTS_BY_NAME:
        return CONSTANTS_BY_NAME[name].axis_label
    return lever_label(name, unit=True)


def write_discovery(d) -> Path:
    """Write ``box.png`` into the discovery's folder."""
    import matplotlib.pyplot as plt

    fig = discovery_figure(d)
    png = save_figure(fig, d.out / "box.png", dpi=120)
    plt.close(fig)
    return png
