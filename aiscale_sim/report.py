"""A self-contained HTML report of a strategy comparison (plots embedded as base64 PNG)."""

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
from aiscale_sim.labels import format_axis, format_outcome, outcome_label, palette
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


def _table_html(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, classes="t", na_rep="n/a", escape=True)


def write_report(exp: Experiment, table: pd.DataFrame, strategies: Sequence[str],
                 verdict: Sequence[str], descriptions: dict[str, str] | None = None) -> Path:
    """Write ``report.html``, the plot PNGs and ``index.html`` into the experiment folder.

    Args:
        exp: The comparison experiment.
        table: :func:`aiscale_sim.compare.compare_table` output.
        strategies: Strategy names, the first being the reference.
        verdict: Plain-language sentences.
        descriptions: Each strategy's one-line description (from its scenario file), for
            index.html's question.

    Returns:
        Path of ``report.html``.
    """
    from aiscale_sim.budget import annual_budget_cost

    figs = comparison_figures(exp, strategies)
    for name, data in figs.items():
        write_bytes(exp.path / f"{name}.png", data)

    s = exp.summaries
    budget_rows = []
    for name in strategies:
        if not (s["scenario"] == name).any():  # every run of this strategy failed
            budget_rows.append({"strategy": name, "budgeted spend ($M/yr)": float("nan"),
                                "realised cost ($M/yr, mean)": float("nan"), "seeds": 0})
            continue
        lv = s[s["scenario"] == name].iloc[0]
        runs = s[s["scenario"] == name]
        years = max(float(exp.manifest.get("steps") or 52), 1.0) / 52.0
        budget_rows.append({"strategy": name,
                            "budgeted spend ($M/yr)": round(annual_budget_cost(lv), 2),
                            "realised cost ($M/yr, mean)": round(
                                float(runs["cumulative_cost"].mean()) / years, 2),
                            "seeds": len(runs)})
    wide = pd.DataFrame({"outcome": table.drop_duplicates("outcome")["label"].to_list()})
    for name in strategies:
        t = table[table["strategy"] == name]
        wide[name] = [f"{format_outcome(m, o)} [{format_outcome(lo, o)}, {format_outcome(hi, o)}]"
                      for m, lo, hi, o in zip(t["mean"], t["p05"], t["p95"], t["outcome"],
                                              strict=True)]
    diffs = pd.DataFrame({"outcome": table.drop_duplicates("outcome")["label"].to_list()})
    for name in strategies[1:]:
        t = table[table["strategy"] == name]
        diffs[f"{name} - {strategies[0]}"] = [
            f"{m:+.3g} [{lo:+.3g}, {hi:+.3g}], better on {b:.0%} of seeds"
            if not np.isnan(m) else "n/a"
            for m, lo, hi, b in zip(t["diff_mean"], t["diff_p05"], t["diff_p95"],
                                    t["share_better"], strict=True)]
    m = exp.manifest
    fail = m.get("counts", {}).get("failed", 0)
    img = "".join(
        f'<figure><img alt="{html.escape(k)}" src="data:image/png;base64,'
        f'{base64.b64encode(v).decode()}"></figure>' for k, v in figs.items())
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Strategy comparison</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table.t{{border-collapse:collapse;font-size:.85em}} table.t td,table.t th{{padding:4px 8px;
border-bottom:1px solid #ddd;text-align:left}} img{{max-width:100%}}</style></head><body>
<h1>Strategy comparison: {html.escape(", ".join(strategies))}</h1>
<p>{len(s)} runs ({m.get('steps')} weeks each), master seed {m.get('master_seed')},
aiscale-sim {html.escape(str(m.get('package_version')))}. Every strategy ran on the same
seeds, so differences are paired.{f' <b>{fail} runs failed</b> (see failures.json).' if fail
else ''}</p>
<h2>Verdict</h2><ul>{"".join(f"<li>{html.escape(v)}</li>" for v in verdict)}</ul>
<h2>Budget</h2>{_table_html(pd.DataFrame(budget_rows))}
<p>The budget covers staff, training, change management, incentives and investment. Realised
cost adds what the strategy's own results cause: compute for each running pilot, the run cost
of each live model, and incentives paid to the employees who actually adopt (the budget
assumes a share of adopters). Strategies of equal budget can therefore differ in realised
cost.</p>
<h2>Outcomes: mean [90% interval across seeds]</h2>{_table_html(wide)}
<h2>Paired difference from {html.escape(strategies[0])}: mean [90% interval]</h2>
{_table_html(diffs)}
<h2>Plots</h2>{img}
</body></html>
"""
    target = exp.path / "report.html"
    write_bytes(target, body.encode("utf-8"))
    _write_index(exp, strategies, descriptions or {}, list(figs))
    return target


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
              ("report", "report.html (verdict, budget and outcome tables)")]
    return write_index(exp.path, title=f"Strategy comparison: {', '.join(strategies)}",
                       question=question, design=design, notes=notes,
                       figures=[(f"{k}.png", CAPTIONS.get(k, k)) for k in figures])
