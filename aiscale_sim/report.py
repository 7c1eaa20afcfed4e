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
from aiscale_sim.runner import Experiment


def _png(fig) -> bytes:
    """Lay out, render to PNG bytes and close a figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def comparison_figures(exp: Experiment, strategies: Sequence[str]) -> dict[str, bytes]:
    """PNG bytes by name: adoption curves, pilot funnels, value/cost/ROI, time to production."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, ts = exp.summaries, exp.timeseries
    ids = s.set_index("run_id")["scenario"]
    figs: dict[str, bytes] = {}

    fig, ax = plt.subplots(figsize=(7, 4))
    for name in strategies:
        sub = ts[ts["run_id"].isin(ids[ids == name].index)]
        g = sub.groupby("week")["adoption_share"]
        wk = np.asarray(g.mean().index, dtype=float)
        (line,) = ax.plot(wk, g.mean().to_numpy(), label=name)
        ax.fill_between(wk, g.quantile(0.05).to_numpy(), g.quantile(0.95).to_numpy(),
                        color=line.get_color(), alpha=0.2)
    ax.set_xlabel("week")
    ax.set_ylabel("share of employees using AI regularly")
    ax.set_title("Adoption over time (mean, band 5-95% across seeds)", fontsize=10)
    ax.legend(fontsize=8)
    figs["adoption"] = _png(fig)

    stages = [("pilots_launched", "launched"), ("pilots_reached_production", "in production"),
              ("pilots_abandoned", "abandoned"), ("pilots_in_purgatory", "in purgatory"),
              ("pilots_active", "still being built")]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / max(len(strategies), 1)
    x = np.arange(len(stages))
    for k, name in enumerate(strategies):
        sub = s[s["scenario"] == name]
        ax.bar(x + k * width, [sub[c].mean() for c, _ in stages], width, label=name)
    ax.set_xticks(x + width * (len(strategies) - 1) / 2, [lbl for _, lbl in stages])
    ax.set_ylabel("pilots (mean across seeds)")
    ax.set_title("Pilot funnel per strategy", fontsize=10)
    ax.legend(fontsize=8)
    figs["funnel"] = _png(fig)

    cols = [("cumulative_value", "value realised ($M)"), ("cumulative_cost", "cost ($M)"),
            ("roi", "ROI"), ("median_time_to_production_weeks", "weeks to production")]
    fig, axes = plt.subplots(1, len(cols), figsize=(12, 3.6))
    for ax, (c, lbl) in zip(axes, cols, strict=True):
        data = [s.loc[s["scenario"] == n, c].dropna().to_numpy(dtype=float) for n in strategies]
        ax.boxplot(data, tick_labels=list(strategies))
        ax.set_title(lbl, fontsize=10)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    fig.suptitle("Distributions across seeds", fontsize=10)
    figs["distributions"] = _png(fig)
    return figs


def _table_html(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, classes="t", na_rep="n/a", escape=True)


def write_report(exp: Experiment, table: pd.DataFrame, strategies: Sequence[str],
                 verdict: Sequence[str]) -> Path:
    """Write ``report.html`` and the plot PNGs into the experiment folder.

    Args:
        exp: The comparison experiment.
        table: :func:`aiscale_sim.compare.compare_table` output.
        strategies: Strategy names, the first being the reference.
        verdict: Plain-language sentences.

    Returns:
        Path of ``report.html``.
    """
    from aiscale_sim.budget import annual_budget_cost
    from aiscale_sim.compare import _fmt

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
        wide[name] = [f"{_fmt(m, o)} [{_fmt(lo, o)}, {_fmt(hi, o)}]" for m, lo, hi, o in
                      zip(t["mean"], t["p05"], t["p95"], t["outcome"], strict=True)]
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
    return target
