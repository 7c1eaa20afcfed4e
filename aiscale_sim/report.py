"""A self-contained HTML report of a strategy comparison (plots embedded as base64 PNG).

Written for a leader: one recommended strategy at the top, how sure that is in plain terms
and the main trade-off; then the assumptions behind it, whether each strategy kept its budget,
the outcomes, regret and targets, and the plots. Everything is read from the experiment folder
(:func:`aiscale_sim.compare.run_compare` stores each strategy's story, budget and levers in its
metadata), so a report can be written again from the folder alone.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from aiscale_sim.files import write_bytes
from aiscale_sim.index_page import write_index
from aiscale_sim.labels import (
    format_axis,
    format_difference,
    format_outcome,
    lever_label,
    outcome_label,
    palette,
)
from aiscale_sim.levers import LEVERS_BY_NAME
from aiscale_sim.runner import Experiment


def _png(fig) -> bytes:
    """Lay out, render to PNG bytes and close a figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _legend_outside(ax, title: str | None = None) -> None:
    ax.legend(fontsize=8, title=title, title_fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))


#: What each comparison figure shows, as a caption.
CAPTIONS = {
    "adoption": "Share of employees using AI regularly, week by week: mean across seeds per "
                "strategy, with the 5-95% band.",
    "funnel": "The pilot funnel per strategy: pilots launched, in production, abandoned, in "
              "purgatory and still being built at the end (mean across seeds).",
    "distributions": "Value realised, cost, ROI and time to production across seeds, one box "
                     "per strategy (box: middle half of the seeds; whiskers: the rest, "
                     "outliers as points).",
}


def comparison_figures(exp: Experiment, strategies: Sequence[str]) -> dict[str, bytes]:
    """PNG bytes by name: adoption curves, pilot funnels, value/cost/ROI, time to production."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, ts = exp.summaries, exp.timeseries
    ids = s.set_index("run_id")["scenario"]
    colours = [c for c, _ in palette(len(strategies))]
    styles = [ls for _, ls in palette(len(strategies))]
    figs: dict[str, bytes] = {}

    fig, ax = plt.subplots(figsize=(8, 4))
    for name, colour, ls in zip(strategies, colours, styles, strict=True):
        sub = ts[ts["run_id"].isin(ids[ids == name].index)]
        g = sub.groupby("week")["adoption_share"]
        wk = np.asarray(g.mean().index, dtype=float)
        ax.plot(wk, g.mean().to_numpy(), label=name, color=colour, ls=ls, lw=1.8)
        ax.fill_between(wk, g.quantile(0.05).to_numpy(), g.quantile(0.95).to_numpy(),
                        color=colour, alpha=0.15, lw=0)
    ax.set_xlabel("week")
    ax.set_ylabel(outcome_label("adoption_share"))
    format_axis(ax, "adoption_share")
    ax.grid(alpha=0.3)
    ax.set_title("Adoption over time (mean, band 5-95% across seeds)", fontsize=10)
    _legend_outside(ax, "strategy")
    figs["adoption"] = _png(fig)

    stages = [("pilots_launched", "launched"), ("pilots_reached_production", "in production"),
              ("pilots_abandoned", "abandoned"), ("pilots_in_purgatory", "in purgatory"),
              ("pilots_active", "still being built")]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(len(strategies), 1)
    x = np.arange(len(stages))
    for k, (name, colour) in enumerate(zip(strategies, colours, strict=True)):
        sub = s[s["scenario"] == name]
        ax.bar(x + k * width, [sub[c].mean() for c, _ in stages], width, label=name,
               color=colour)
    ax.set_xticks(x + width * (len(strategies) - 1) / 2, [lbl for _, lbl in stages])
    ax.set_ylabel("pilots (mean across seeds)")
    ax.set_title("Pilot funnel per strategy", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    _legend_outside(ax, "strategy")
    figs["funnel"] = _png(fig)

    cols = ["cumulative_value", "cumulative_cost", "roi", "median_time_to_production_weeks"]
    fig, axes = plt.subplots(1, len(cols), figsize=(13, 3.9))
    for ax, c in zip(axes, cols, strict=True):
        data = [s.loc[s["scenario"] == n, c].dropna().to_numpy(dtype=float) for n in strategies]
        ax.boxplot(data, tick_labels=list(strategies))
        ax.set_title(outcome_label(c), fontsize=10)
        format_axis(ax, c)
        ax.grid(alpha=0.3, axis="y")
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        for k, d in enumerate(data, start=1):
            if not len(d):  # undefined on every seed: say so rather than leave a gap
                ax.text(k, 0.5, "n/a", transform=ax.get_xaxis_transform(), ha="center",
                        color="#B00020", fontsize=8)
    fig.suptitle("Distributions across seeds", fontsize=10)
    figs["distributions"] = _png(fig)
    return figs


def _table_html(df: pd.DataFrame, cls: str = "t") -> str:
    return df.to_html(index=False, border=0, classes=cls, na_rep="n/a", escape=True)


def _esc(text: object) -> str:
    return html.escape(str(text))


#: Shares of a budget as the report names them.
SHARE_LABELS = {"training": "Training", "change_management": "Change management",
                "incentives": "Adoption incentives", "data": "Data", "platform": "Platform",
                "headcount": "AI staff", "operations": "Operations (pilots, run costs, licences)"}


def _lever_value(name: str, value: object) -> str:
    """A lever value with its unit from the lever table: ``$1,050 per employee per year``."""
    lv = LEVERS_BY_NAME[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value).replace("_", " ")
    unit = lv.unit
    if unit.startswith("$M"):
        return f"${value:,.2f}M{unit[2:]}"
    if unit.startswith("$"):
        return f"${value:,.0f}{unit[1:]}"
    if lv.kind == "int":
        return f"{int(value):,} {unit}"
    return f"{value:.3g} {unit}"


def _years(exp: Experiment) -> float:
    return max(float(exp.manifest.get("steps") or 52), 1.0) / 52.0


def budget_table(exp: Experiment, strategies: Sequence[str]) -> pd.DataFrame:
    """Per strategy: its budget, realised AI spending a year (mean, worst year), incidents.

    Spending is the cost less incident losses, from the weekly ``cumulative_spending``; the
    worst year is the highest spending of any full budget year on any seed.
    """
    from aiscale_sim.pipeline import BUDGET_YEAR_WEEKS

    s, ts = exp.summaries, exp.timeseries
    years = _years(exp)
    rows = []
    for name in strategies:
        runs = s[s["scenario"] == name]
        cap = (float(runs["budget_musd_per_year"].iloc[0])
               if "budget_musd_per_year" in runs and len(runs)
               and pd.notna(runs["budget_musd_per_year"].iloc[0]) else float("nan"))
        spend = (runs["cumulative_cost"] - runs["incident_cost"]).astype(float) / years
        worst = float("nan")
        if "cumulative_spending" in ts.columns and len(runs):
            sub = ts[ts["run_id"].isin(runs["run_id"])].pivot_table(
                index="week", columns="run_id", values="cumulative_spending")
            full = [w for w in range(BUDGET_YEAR_WEEKS, int(sub.index.max()) + 1,
                                     BUDGET_YEAR_WEEKS)]
            if full:
                marks = sub.reindex([0, *full])
                worst = float(marks.diff().iloc[1:].max().max())
        row = {"strategy": name,
               "budget": format_outcome(cap, "spending_musd_per_year") if cap == cap
               else "no budget",
               "AI spending a year (mean)": format_outcome(float(spend.mean()),
                                                           "spending_musd_per_year"),
               "spending vs budget": (f"{float(spend.mean()) / cap - 1:+.1%}" if cap == cap
                                      else "n/a"),
               "worst budget year (any seed)": format_outcome(worst, "spending_musd_per_year"),
               "incident losses a year": format_outcome(
                   float(runs["incident_cost"].mean()) / years, "incident_cost"),
               "weeks the budget held pilots back (mean)": (
                   f"{runs['weeks_budget_bound'].mean():.0f} of {exp.manifest.get('steps')}"
                   if "weeks_budget_bound" in runs and cap == cap else "n/a")}
        rows.append(row)
    return pd.DataFrame(rows)


def _assumptions(exp: Experiment, strategies: Sequence[str]) -> str:
    m = exp.manifest
    meta = m.get("metadata", {})
    info = meta.get("strategy_info", {})
    s = exp.summaries
    first = s.iloc[0] if len(s) else {}
    employees = int(first["employees"]) if len(s) else "?"
    units = int(first["business_units"]) if len(s) else "?"
    steps = m.get("steps") or 0
    sets = meta.get("set") or {}
    set_text = (" Set for every strategy: " + ", ".join(
        f"{lever_label(k)} = {_lever_value(k, v) if k in LEVERS_BY_NAME else v}"
        for k, v in sets.items()) + "." if sets else "")
    head = (f"<p>An organisation of <b>{employees:,} employees</b> in <b>{units} business "
            f"units</b>, over <b>{steps / 52:.3g} years</b> ({steps} weeks), on "
            f"<b>{meta.get('seeds', '?')} seeds</b> shared by every strategy (master seed "
            f"{_esc(m.get('master_seed'))}). Each seed is one possible enterprise and its luck: "
            f"its people, units, ideas and chance events.{_esc(set_text)}</p>"
            if isinstance(employees, int) else "")
    blocks = []
    for name in strategies:
        d = info.get(name, {})
        budget = d.get("budget")
        levers = d.get("levers") or {}
        parts = [f"<h3>{_esc(name)}</h3>"]
        if d.get("description"):
            parts.append(f"<p>{_esc(d['description'])}</p>")
        if budget:
            from aiscale_sim.budget import SHARE_LEVERS, SHARES

            total = float(budget["total_musd_per_year"])
            rows = []
            for share in SHARES:
                frac = float(budget.get(share, 0.0))
                lever = SHARE_LEVERS.get(share)
                rows.append({"share of the budget": SHARE_LABELS.get(share, share),
                             "$M a year": format_outcome(total * frac, "spending_musd_per_year"),
                             "%": f"{frac:.0%}" if frac >= 0.01 or frac == 0 else f"{frac:.1%}",
                             "becomes the lever": (
                                 f"{lever_label(lever)}: {_lever_value(lever, levers[lever])}"
                                 if lever and lever in levers else
                                 "no lever: what pilots and live use cases cost to run"
                                 if share == "operations" else "")})
            rows.append({"share of the budget": "Total", "$M a year": format_outcome(
                total, "spending_musd_per_year"), "%": "100%", "becomes the lever": ""})
            parts.append(_table_html(pd.DataFrame(rows)))
        else:
            parts.append("<p>No budget: its spending follows from its levers and results, "
                         "uncapped.</p>")
        blocks.append("".join(parts))
    return head + "".join(blocks)


def _interval(m: float, lo: float, hi: float, col: str) -> str:
    if m != m:
        return "n/a"
    return f"{format_outcome(m, col)} ({format_outcome(lo, col)} to {format_outcome(hi, col)})"


def outcomes_table(table: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Outcomes as rows, strategies as columns: mean (5th to 95th percentile across seeds)."""
    rows = []
    for col in dict.fromkeys(table["outcome"]):
        t = table[table["outcome"] == col].set_index("strategy")
        row = {"outcome": outcome_label(col)}
        for name in strategies:
            if name not in t.index:
                row[name] = "n/a"
                continue
            r = t.loc[name]
            cell = _interval(r["mean"], r["p05"], r["p95"], col)
            if col == "payback_week":
                k = int(r["n"])
                cell = (f"{format_outcome(r['mean'], col)} on average, on the {k} "
                        f"{'seed that pays' if k == 1 else 'seeds that pay'} back"
                        if k else "does not pay back on any seed")
            row[name] = cell
        rows.append(row)
    return pd.DataFrame(rows)


def differences_table(table: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Paired differences from the reference: mean (5th to 95th), share of seeds better."""
    rows = []
    for col in dict.fromkeys(table["outcome"]):
        if col == "payback_week":  # defined only on seeds that pay back: see the outcomes
            continue
        t = table[table["outcome"] == col].set_index("strategy")
        row = {"outcome": outcome_label(col)}
        for name in strategies[1:]:
            r = t.loc[name] if name in t.index else None
            if r is None or r["diff_mean"] != r["diff_mean"]:
                row[f"{name} vs {strategies[0]}"] = "n/a"
                continue
            row[f"{name} vs {strategies[0]}"] = (
                f"{format_difference(r['diff_mean'], col)} ({format_difference(r['diff_p05'], col)}"
                f" to {format_difference(r['diff_p95'], col)}); better on "
                f"{r['share_better']:.0%} of seeds")
        rows.append(row)
    return pd.DataFrame(rows)


def robustness_table(summaries: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Regret (mean, 90th percentile) and the share of seeds meeting the ROI target."""
    from aiscale_sim.compare import TARGET_ROI, robustness

    r = robustness(summaries, strategies, TARGET_ROI)
    return pd.DataFrame({
        "strategy": r["strategy"],
        "regret, mean": [format_outcome(v, "regret") for v in r["regret_mean"]],
        "regret, 90th percentile": [format_outcome(v, "regret") for v in r["regret_p90"]],
        f"seeds meeting the target (ROI at least {TARGET_ROI:.0%})": [
            f"{v:.0%} of {n}" if v == v else "n/a"
            for v, n in zip(r["target_share"], r["n"], strict=True)],
    })


_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;
color:#222;line-height:1.45}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;
border-bottom:1px solid #ccc;padding-bottom:.2em}h3{font-size:1.02em;margin:1.2em 0 .3em}
table.t{border-collapse:collapse;font-size:.86em;width:100%;table-layout:auto}
table.t td,table.t th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;
vertical-align:top;overflow-wrap:break-word}table.t th{background:#f4f4f4}
table.t td:first-child{white-space:nowrap}
.rec{background:#eef6ee;border-left:5px solid #2e7d32;padding:.8em 1.1em;margin:1em 0}
.rec p{margin:.4em 0}.rec .big{font-size:1.15em;font-weight:600}.note{color:#444;
font-size:.92em}figure{margin:1em 0}img{max-width:100%;height:auto}"""


def write_report(exp: Experiment, table: pd.DataFrame | None = None,
                 strategies: Sequence[str] | None = None,
                 verdict: Sequence[str] | None = None,
                 descriptions: dict[str, str] | None = None) -> Path:
    """Write ``report.html``, the plot PNGs and ``index.html`` into a comparison's folder.

    The report recommends one strategy (:func:`aiscale_sim.compare.recommend`) and says how
    sure that is, then gives the assumptions (organisation, horizon, seeds, each strategy's
    story, budget split and the lever values it became), whether budgets were kept, the
    outcomes, paired differences from the reference, and regret and satisficing.

    Args:
        exp: The comparison experiment (from :func:`aiscale_sim.compare.run_compare`).
        table: :func:`aiscale_sim.compare.compare_table` output (computed if None).
        strategies: Strategy names, the first being the reference (from the experiment's
            metadata if None).
        verdict: Unused; kept so that older calls still work.
        descriptions: Each strategy's one-line description, if the experiment's metadata do
            not have them (folders written before they did).

    Returns:
        Path of ``report.html``.
    """
    from aiscale_sim.compare import (
        CONFIDENCE_MEANING,
        MIN_SEEDS_FOR_CONFIDENCE,
        compare_table,
        recommend,
        with_net_value,
    )

    m = exp.manifest
    meta = m.get("metadata", {})
    strategies = list(strategies or meta.get("strategies") or m.get("scenarios", []))
    s = with_net_value(exp.summaries)
    table = table if table is not None else compare_table(s, strategies)
    if "net_value" not in set(table["outcome"]):
        table = compare_table(s, strategies)
    info = meta.get("strategy_info", {})
    descriptions = {n: info.get(n, {}).get("description") or (descriptions or {}).get(n, "")
                    for n in strategies}

    figs = comparison_figures(exp, strategies)
    for name, data in figs.items():
        write_bytes(exp.path / f"{name}.png", data)

    rec = recommend(s, strategies)
    word = rec["confidence"]
    meaning = (CONFIDENCE_MEANING[word] if word in CONFIDENCE_MEANING else
               f"fewer than {MIN_SEEDS_FOR_CONFIDENCE} shared seeds cannot tell luck from "
               "strategy; run more seeds")
    fail = m.get("counts", {}).get("failed", 0)
    img = "".join(
        f'<figure><img alt="{_esc(k)}" src="data:image/png;base64,'
        f'{base64.b64encode(v).decode()}"><figcaption class="note">{_esc(CAPTIONS.get(k, k))}'
        f"</figcaption></figure>" for k, v in figs.items())
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strategy comparison: {_esc(", ".join(strategies))}</title>
<style>{_CSS}</style></head><body>
<h1>Where should the AI money go? {_esc(", ".join(strategies))}</h1>
<div class="rec" id="recommendation">
<p class="big">Recommendation: {_esc(rec['best'])}</p>
<p>{_esc(rec['sentence'])}</p>
<p>How sure: <b>{_esc(word)}</b>, which here means {_esc(meaning)}. It wins on
{rec['share']:.0%} of the {rec['wins'] + rec['losses']} seeds that are not tied, out of
{rec['n']} seeds.</p>
<p>{_esc(rec['tradeoff'])}</p>
</div>
<p class="note">{len(s)} runs, aiscale-sim {_esc(m.get('package_version'))}. Every strategy ran
on the same seeds, so the differences below are paired: the same enterprise with the same luck,
under a different strategy.{f' <b>{fail} runs failed</b> (see failures.json).' if fail else ''}
</p>
<h2>Assumptions</h2>{_assumptions(exp, strategies)}
<h2>Did each strategy keep its budget?</h2>
{_table_html(budget_table(exp, strategies))}
<p class="note">A budget covers all of a strategy's AI spending: staff, training, change
management, incentives, data, platform, the compute of each running pilot, the run cost of
each live model and vendor licences. It is a cap: when a year's money is committed, the
strategy launches no more pilots that year. Incident losses (remediation, fines) are not
spending and are shown apart; the cost and ROI below include them.</p>
<h2>Outcomes after {(m.get('steps') or 0) / 52:.3g} years: mean (5th to 95th percentile across
seeds)</h2>
{_table_html(outcomes_table(table, strategies))}
<h2>Regret and targets</h2>
<p class="note">Regret is how much net value a strategy falls short of the best strategy on the
same seed (0 when it is the best): the mean says what choosing it costs on average, the 90th
percentile what it costs in a bad case. The target is ROI of at least 0%: the strategy earns
back at least what it costs within the horizon. These are the robustness measures of Rhodium
(McPhail et al. 2018).</p>
{_table_html(robustness_table(s, strategies))}
<h2>Paired differences from {_esc(strategies[0])}: mean (5th to 95th percentile)</h2>
{_table_html(differences_table(table, strategies))}
<h2>Plots</h2>{img}
</body></html>
"""
    target = exp.path / "report.html"
    write_bytes(target, body.encode("utf-8"))
    _write_index(exp, strategies, descriptions, list(figs))
    return target


def compare_with_report(scenarios: Sequence, out_dir: str | Path, **kwargs):
    """Run (or resume) a comparison and write its report: what ``aiscale compare`` does.

    Args:
        scenarios: At least two strategies (names, paths or Scenario objects).
        out_dir: Experiment folder.
        **kwargs: Passed to :func:`aiscale_sim.compare.run_compare` (``n_seeds``,
            ``master_seed``, ``steps``, ``executor``, ``overrides``, ...).

    Returns:
        The experiment, the comparison table and the path of ``report.html``.
    """
    from aiscale_sim.compare import run_compare

    exp, table = run_compare(scenarios, out_dir, **kwargs)
    return exp, table, write_report(exp, table, exp.manifest["metadata"]["strategies"])


def _write_index(exp: Experiment, strategies: Sequence[str], descriptions: dict[str, str],
                 figures: list[str]) -> Path:
    m = exp.manifest
    names = (", ".join(strategies[:-1]) + " or " + strategies[-1] if len(strategies) > 1
             else strategies[0])
    question = (f"Which strategy does best on adoption, the pilot funnel, value, cost and ROI: "
                f"{names}? Every strategy runs on the same seeds, so differences are paired; "
                f"{strategies[0]} is the reference.")
    notes = [f"{n}: {descriptions[n]}" for n in strategies if descriptions.get(n)]
    design = [("strategies", ", ".join(strategies)),
              ("seeds per strategy", str(m.get("metadata", {}).get("seeds", "?"))),
              ("runs", f"{m.get('counts', {}).get('done', len(exp.summaries))} of "
               f"{len(m.get('design', [])) or len(exp.summaries)}"),
              ("weeks per run", str(m.get("steps"))),
              ("master seed", str(m.get("master_seed"))),
              ("aiscale-sim version", str(m.get("package_version"))),
              ("report", "report.html (recommendation, assumptions, budgets kept, outcomes, "
               "regret)")]
    return write_index(exp.path, title=f"Strategy comparison: {', '.join(strategies)}",
                       question=question, design=design, notes=notes,
                       figures=[(f"{k}.png", CAPTIONS.get(k, k)) for k in figures])
