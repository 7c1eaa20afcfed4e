"""``aiscale compare``: strategies side by side, with common random numbers, for leaders.

Every strategy runs with the same seeds (the i-th seed is shared), so the difference between
two strategies on one seed is a paired difference: the same enterprise, the same luck, a
different strategy. Scenario files with a ``[budget]`` table cost the same by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.files import write_csv
from aiscale_sim.labels import format_outcome
from aiscale_sim.runner import Experiment, design_from_scenarios, run_experiment
from aiscale_sim.simulate import resolve

#: Outcomes in the comparison: (column, label, higher is better).
OUTCOMES: tuple[tuple[str, str, bool], ...] = (
    ("adoption_share", "employees using AI regularly", True),
    ("pilot_to_production_rate", "pilot-to-production rate", True),
    ("use_cases_in_production", "use cases in production", True),
    ("pilots_in_purgatory", "pilots stuck in purgatory", False),
    ("median_time_to_production_weeks", "median weeks to production", False),
    ("cumulative_value", "value realised ($M)", True),
    ("cumulative_cost", "cost ($M)", False),
    ("roi", "ROI", True),
)


def _q(x: pd.Series, q: float) -> float:
    x = x.dropna()
    return float(x.quantile(q)) if len(x) else float("nan")


def compare_table(summaries: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Per strategy and outcome: mean and 90% interval; paired difference from the first.

    Args:
        summaries: The experiment's summaries (one row per run).
        strategies: Strategy (scenario) names, the first being the reference.

    Returns:
        One row per (strategy, outcome): ``mean``, ``p05``, ``p95``, ``n``, ``diff_mean``,
        ``diff_p05``, ``diff_p95`` (paired, per seed), ``share_better`` (share of paired seeds
        where the strategy beats the reference) and ``higher_is_better``.
    """
    rows = []
    ref = summaries[summaries["scenario"] == strategies[0]].set_index("seed")
    for name in strategies:
        sub = summaries[summaries["scenario"] == name].set_index("seed")
        for col, label, higher in OUTCOMES:
            if col not in sub.columns:
                continue
            x = sub[col].astype(float)
            d = (x - ref[col].astype(float).reindex(x.index)).dropna()
            better = (d > 0) if higher else (d < 0)
            rows.append({
                "strategy": name, "outcome": col, "label": label,
                "mean": float(x.mean()), "p05": _q(x, 0.05), "p95": _q(x, 0.95),
                "n": int(x.notna().sum()),
                "diff_mean": float(d.mean()) if len(d) else float("nan"),
                "diff_p05": _q(d, 0.05), "diff_p95": _q(d, 0.95),
                "share_better": float(better.mean()) if len(d) and name != strategies[0]
                else float("nan"),
                "higher_is_better": higher,
            })
    return pd.DataFrame(rows)


#: Fewer paired seeds than this and the verdict does not say how sure it is.
MIN_SEEDS_FOR_CONFIDENCE = 5


def _paired_record(summaries: pd.DataFrame, a: str, b: str, col: str,
                   higher: bool) -> tuple[int, int, int]:
    """Wins, ties and losses of strategy ``a`` against ``b`` over their shared seeds."""
    xa = summaries[summaries["scenario"] == a].set_index("seed")[col].astype(float)
    xb = summaries[summaries["scenario"] == b].set_index("seed")[col].astype(float)
    d = (xa - xb.reindex(xa.index)).dropna()
    if not higher:
        d = -d
    return int((d > 0).sum()), int((d == 0).sum()), int((d < 0).sum())


def _confidence(wins: int, ties: int, losses: int) -> str:
    from scipy.stats import binomtest

    n = wins + ties + losses
    if n < MIN_SEEDS_FOR_CONFIDENCE:
        return f"too few paired seeds ({n}) to say how sure; run more seeds"
    if wins + losses == 0:
        return "no difference on any seed"
    p = binomtest(wins, wins + losses, 0.5).pvalue  # sign test, ties left out
    share = wins / (wins + losses)
    if p < 0.01 and share >= 0.8:
        return "clear"
    if p < 0.1:
        return "likely"
    return "uncertain: luck matters as much as strategy"


def verdict(table: pd.DataFrame, strategies: Sequence[str],
            summaries: pd.DataFrame | None = None) -> list[str]:
    """Plain-language sentences: which strategy wins on which outcome, and how sure we are.

    The best strategy by mean is compared with the runner-up seed by seed (the seeds are
    shared, so the comparison is paired): wins, ties and losses, and a sign test decides
    between "clear", "likely" and "uncertain". An outcome that is undefined on every seed
    for some strategy is reported as such rather than silently left out.

    Args:
        table: The comparison table (:func:`compare_table`).
        strategies: Strategy names, the first being the reference.
        summaries: One row per run; needed for the best-against-runner-up record (without
            it, the record against the reference from ``table`` is used).
    """
    lines = []
    for col, label, higher in OUTCOMES:
        t = table[table["outcome"] == col]
        if t.empty:
            continue
        title = label[0].upper() + label[1:]
        undefined = t[t["mean"].isna()]["strategy"].tolist()
        t = t.dropna(subset=["mean"]).sort_values("mean", ascending=not higher)
        note = (f" (undefined on every seed for {', '.join(undefined)})" if undefined else "")
        if t.empty:
            lines.append(f"{title}: n/a{note}.")
            continue
        best = t.iloc[0]
        name = best["strategy"]
        if len(t) == 1:
            lines.append(f"{title}: only {name} has a value "
                         f"(mean {format_outcome(best['mean'], col)}){note}.")
            continue
        runner = t.iloc[1]
        if summaries is not None:
            w, ti, lo = _paired_record(summaries, name, runner["strategy"], col, higher)
        else:  # only the record against the reference is in the table
            ref_row = best if name != strategies[0] else runner
            n = int(ref_row["n"])
            share = ref_row["share_better"]
            w = int(round(share * n)) if not np.isnan(share) else 0
            ti, lo = 0, n - w
        if w == 0 and lo == 0:
            lines.append(f"{title}: {name} and {runner['strategy']} are equal on every one of "
                         f"{ti} paired seeds (mean {format_outcome(best['mean'], col)}){note}.")
            continue
        lines.append(
            f"{title}: {name} is best (mean {format_outcome(best['mean'], col)}), ahead of the "
            f"runner-up {runner['strategy']} ({format_outcome(runner['mean'], col)}) on {w} paired "
            f"seeds, behind on {lo}, tied on {ti} ({_confidence(w, ti, lo)}){note}.")
    return lines


def run_compare(scenarios: Sequence[Any], out_dir: str | Path, *, n_seeds: int = 10,
                master_seed: int = 0, steps: int | None = None, executor: str = "processes",
                workers: int | None = None, scheduler: str | None = None,
                progress: bool = True) -> tuple[Experiment, pd.DataFrame, Path]:
    """Run (or resume) the comparison; write comparison.csv, plots, report.html, index.html.

    Args:
        scenarios: Strategy scenario names or paths; the first is the reference.
        out_dir: Experiment folder.
        n_seeds: Seeds per strategy (shared across strategies).
        master_seed: Master seed.
        steps: Weeks per run (default 260).
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes.
        scheduler: Dask scheduler address.
        progress: Show a progress bar.

    Returns:
        The experiment, the comparison table and the report path.
    """
    from aiscale_sim.report import write_report

    design = design_from_scenarios(list(scenarios), n_seeds, master_seed)
    names = design.info["scenarios"]
    out = Path(out_dir)
    exp = run_experiment(design, out, steps=steps, executor=executor, workers=workers,
                         scheduler=scheduler, progress=progress,
                         metadata={"command": "compare", "strategies": names,
                                   "seeds": n_seeds})
    table = compare_table(exp.summaries, names)
    write_csv(out / "comparison.csv", table)
    descriptions = {}
    for name, ref in zip(names, scenarios, strict=True):
        descriptions[name] = (resolve(str(ref)).description if isinstance(ref, str | Path)
                              else getattr(ref, "description", ""))
    report = write_report(exp, table, names, verdict(table, names, exp.summaries),
                          descriptions)
    return exp, table, report
