"""``aiscale compare``: strategies side by side, with common random numbers, for leaders.

Every strategy runs with the same seeds (the i-th seed is shared), so the difference between
two strategies on one seed is a paired difference: the same enterprise, the same luck, a
different strategy. Scenario files with a ``[budget]`` table spend at most their budget (the
budget caps all AI spending, :class:`aiscale_sim.pipeline.BudgetRoom`).

The comparison recommends one strategy (:func:`recommend`): the one with the highest mean net
value (value realised less cost), with a paired sign test against the runner-up, and the
robustness measures of Rhodium (McPhail et al. 2018): each strategy's regret against the best
strategy on each seed, and the share of seeds on which it meets a stated target
(:func:`robustness`). Writing the report is left to :mod:`aiscale_sim.report` (a face), which
reads what :func:`run_compare` stored in the experiment folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.errors import UserInputError
from aiscale_sim.files import write_csv
from aiscale_sim.labels import format_difference, format_outcome
from aiscale_sim.levers import LEVERS_BY_NAME, unknown_lever_error
from aiscale_sim.runner import Experiment, design_from_scenarios, run_experiment
from aiscale_sim.scenarios import Scenario
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
    ("net_value", "net value: value less cost ($M)", True),
    ("payback_week", "payback week", False),
    ("purgatory_by_reason.infrastructure", "in purgatory for want of infrastructure", False),
    ("purgatory_by_reason.commitment", "in purgatory for want of business commitment", False),
    ("purgatory_by_reason.governance", "in purgatory awaiting governance", False),
)

#: The outcome the recommendation is decided on (higher is better).
DECIDING_OUTCOME = "net_value"

#: The target a strategy should meet on a seed (satisficing): ROI at least this (0: the
#: strategy earns back at least what it spends within the horizon).
TARGET_ROI = 0.0

#: What each confidence word means, in plain terms, for the report.
CONFIDENCE_MEANING = {
    "clear": "it wins on at least 8 of every 10 seeds, and a record that one-sided would "
             "come about by luck less than 1 time in 100 if the two strategies were equally "
             "good (paired sign test, p < 0.01)",
    "likely": "it wins on more seeds than it loses, and a record that one-sided would come "
              "about by luck less than 1 time in 10 if the two strategies were equally good "
              "(paired sign test, p < 0.1); more seeds would make it surer",
    "uncertain": "a record like this would come about by luck alone at least 1 time in 10 "
                 "if the two strategies were equally good (paired sign test, p of 0.1 or "
                 "more): on these seeds luck could matter as much as the choice of strategy; "
                 "more seeds would tell",
}


def with_net_value(summaries: pd.DataFrame) -> pd.DataFrame:
    """The summaries with ``net_value`` (value realised less cost, $M) added."""
    out = summaries.copy()
    out["net_value"] = (out["cumulative_value"].astype(float)
                        - out["cumulative_cost"].astype(float))
    return out


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
    if "net_value" not in summaries.columns and {"cumulative_value", "cumulative_cost"} <= set(
            summaries.columns):
        summaries = with_net_value(summaries)
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


def _sign_test(wins: int, losses: int) -> float:
    """Two-sided p-value of the paired sign test (ties left out); 1 with no untied seed."""
    from scipy.stats import binomtest

    return float(binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0


def robustness(summaries: pd.DataFrame, strategies: Sequence[str],
               target_roi: float = TARGET_ROI) -> pd.DataFrame:
    """Regret and satisficing per strategy (Rhodium; McPhail et al. 2018).

    Regret on a seed is how much net value a strategy falls short of the best strategy on
    that same seed (0 for the best); its mean and 90th percentile across seeds say how much a
    choice can cost on average and in a bad case. Satisficing is the share of seeds on which
    the strategy meets the target (ROI at least ``target_roi``).

    Args:
        summaries: One row per run (``scenario``, ``seed``, value, cost, ROI).
        strategies: Strategy names.
        target_roi: The ROI a strategy should reach on a seed.

    Returns:
        One row per strategy: ``regret_mean``, ``regret_p90`` ($M), ``target_share`` (0-1)
        and ``n`` (seeds every strategy ran on).
    """
    s = with_net_value(summaries)
    wide = s.pivot_table(index="seed", columns="scenario", values="net_value").reindex(
        columns=list(strategies)).dropna()
    regret = wide.max(axis=1).to_numpy()[:, None] - wide.to_numpy()
    roi = s.pivot_table(index="seed", columns="scenario", values="roi").reindex(
        index=wide.index, columns=list(strategies))
    rows = []
    for j, name in enumerate(strategies):
        r = regret[:, j]
        rows.append({"strategy": name,
                     "regret_mean": float(r.mean()) if len(r) else float("nan"),
                     "regret_p90": float(np.quantile(r, 0.9)) if len(r) else float("nan"),
                     "target_share": float((roi[name] >= target_roi).mean()) if len(r)
                     else float("nan"),
                     "n": len(r)})
    return pd.DataFrame(rows)


def recommend(summaries: pd.DataFrame, strategies: Sequence[str]) -> dict[str, Any]:
    """The recommended strategy, how sure we are, and the trade-off against the runner-up.

    The recommendation is the strategy with the highest mean net value (value realised less
    cost) over the shared seeds; it is set against the runner-up seed by seed (a paired sign
    test on net value: wins, ties, losses). The trade-off is the outcome on which the
    runner-up does best relative to the recommendation (in percentage points for shares, in
    per cent of the recommendation's value otherwise), if it is better on any.

    Args:
        summaries: One row per run.
        strategies: At least two strategy names.

    Returns:
        ``best``, ``runner_up``, their mean net values (``best_mean``, ``runner_mean``),
        ``wins``, ``ties``, ``losses``, ``n``, ``share`` (share of untied seeds won),
        ``p_value``, ``confidence`` (``clear``, ``likely``, ``uncertain``, or ``too few``
        below :data:`MIN_SEEDS_FOR_CONFIDENCE` seeds), ``sentence`` (the recommendation in
        words) and ``tradeoff`` (a sentence, or "" when the runner-up is better on nothing).
    """
    s = with_net_value(summaries)
    means = {n: float(s.loc[s["scenario"] == n, DECIDING_OUTCOME].mean()) for n in strategies}
    ranked = sorted((n for n in strategies if not np.isnan(means[n])),
                    key=lambda n: -means[n])
    if len(ranked) < 2:
        raise UserInputError("a recommendation needs at least two strategies with results")
    best, runner = ranked[0], ranked[1]
    w, t, lo = _paired_record(s, best, runner, DECIDING_OUTCOME, True)
    n = w + t + lo
    p = _sign_test(w, lo)
    if n < MIN_SEEDS_FOR_CONFIDENCE:
        word = "too few"
    elif w + lo == 0:
        word = "uncertain"
    else:
        word = _confidence(w, t, lo).split(":")[0]
    share = w / (w + lo) if w + lo else float("nan")
    ahead = format_difference(means[best] - means[runner], DECIDING_OUTCOME).lstrip("+")
    how = {"clear": "The evidence is clear", "likely": "It is likely the better choice",
           "uncertain": "It is not a sure choice",
           "too few": "There are too few seeds to say how sure"}[word]
    value = format_outcome(means[best], DECIDING_OUTCOME)
    if means[best] >= 0:
        what = (f"it leaves the most net value (value realised less cost), {value} on "
                f"average")
    else:
        what = (f"no strategy earns back its cost on average, and it loses the least: net "
                f"value (value realised less cost) {value} on average")
    sentence = (f"Choose {best}: over {n} shared seeds {what}, {ahead} more than the "
                f"runner-up {runner}. {how}: it beats {runner} on {w} of {n} seeds, loses "
                f"on {lo}" + (f", ties on {t}" if t else "")
                + (f" (paired sign test p = {p:.2g})." if n >= MIN_SEEDS_FOR_CONFIDENCE else
                   f"; run at least {MIN_SEEDS_FOR_CONFIDENCE} seeds."))
    return {"best": best, "runner_up": runner, "best_mean": means[best],
            "runner_mean": means[runner], "wins": w, "ties": t, "losses": lo, "n": n,
            "share": share, "p_value": p, "confidence": word, "sentence": sentence,
            "tradeoff": tradeoff(s, best, runner)}


#: Outcomes a trade-off is looked for in: the headline ones, not their breakdowns.
TRADEOFF_OUTCOMES = ("adoption_share", "pilot_to_production_rate", "use_cases_in_production",
                     "pilots_in_purgatory", "median_time_to_production_weeks",
                     "cumulative_value", "cumulative_cost", "roi")


def tradeoff(summaries: pd.DataFrame, best: str, runner: str) -> str:
    """The main thing ``runner`` does better than ``best``, as a sentence.

    Among :data:`TRADEOFF_OUTCOMES`, the one where the runner-up's mean is furthest ahead:
    in percentage points for shares, relative to the larger value otherwise.
    """
    from aiscale_sim.labels import outcome_kind

    labels = {col: (label, higher) for col, label, higher in OUTCOMES}
    gains = []
    for col in TRADEOFF_OUTCOMES:
        if col not in summaries.columns:
            continue
        higher = labels[col][1]
        a = summaries.loc[summaries["scenario"] == best, col].astype(float).mean()
        b = summaries.loc[summaries["scenario"] == runner, col].astype(float).mean()
        if np.isnan(a) or np.isnan(b) or a == b:
            continue
        gain = (b - a) if higher else (a - b)
        if gain <= 0:
            continue
        size = gain if outcome_kind(col) == "share" else gain / max(abs(a), abs(b), 1e-9)
        gains.append((size, col, a, b))
    if not gains:
        return f"{runner} is not better than {best} on any headline outcome compared here."
    size, col, a, b = max(gains)
    label, higher = labels[col]
    label = label.split(" (")[0]
    less = format_difference(
        float(summaries.loc[summaries["scenario"] == best, DECIDING_OUTCOME].mean()
              - summaries.loc[summaries["scenario"] == runner, DECIDING_OUTCOME].mean()),
        DECIDING_OUTCOME).lstrip("+")
    slight = "only slightly " if size < 0.05 else ""
    word = "higher" if higher else "lower"
    return (f"The main trade-off: {runner} does {slight}better on {label}, {word} at "
            f"{format_outcome(b, col)} against {format_outcome(a, col)} for {best}, but "
            f"leaves {less} less net value on average.")


def scenarios_with_overrides(scenarios: Sequence[Any],
                             overrides: dict[str, Any] | None = None,
                             source: str = "--set") -> list[Any]:
    """Apply ``--set`` lever values to each scenario (budgets recomputed for a new size).

    The one implementation of ``--set`` for ``compare`` and ``sweep``: every name is checked
    against the lever table first (with a suggestion for a near miss), then each scenario is
    resolved with the values on top (:func:`aiscale_sim.simulate.resolve`), which recomputes
    a budget's spend levers for the organisation's new size and refuses a split that does not
    fit it, or a spend lever that the budget decides.

    Args:
        scenarios: Scenario names, paths, :class:`Scenario` objects or lever dicts.
        overrides: Lever values; None or empty leaves the scenarios as they are.
        source: Where the values came from, for messages.

    Returns:
        The scenarios, resolved with the values applied (unchanged if there are none).

    Raises:
        UserInputError: An unknown lever, a bad value, or a budget that cannot be honoured.
    """
    if not overrides:
        return list(scenarios)
    for name in overrides:
        if name not in LEVERS_BY_NAME:
            raise unknown_lever_error(name, source)
    out = []
    for ref in scenarios:
        sc = ref if isinstance(ref, Scenario) else resolve(
            str(ref) if isinstance(ref, Path) else ref)
        out.append(resolve(sc, dict(overrides)))
    return out


def _strategy_info(sc: Scenario) -> dict[str, Any]:
    """What the report shows of a strategy: its story, budget and the levers it became."""
    return {"description": sc.description, "path": sc.path, "budget": sc.budget,
            "levers": dict(sc.levers)}


def run_compare(scenarios: Sequence[Any], out_dir: str | Path, *, n_seeds: int = 10,
                master_seed: int = 0, steps: int | None = None, executor: str = "processes",
                workers: int | None = None, scheduler: str | None = None,
                progress: bool = True,
                overrides: dict[str, Any] | None = None) -> tuple[Experiment, pd.DataFrame]:
    """Run (or resume) the comparison and write comparison.csv.

    The experiment's metadata keep each strategy's story, budget and levers, and the
    ``--set`` values, for the report (:func:`aiscale_sim.report.write_report`, written by
    ``aiscale compare`` or :func:`aiscale_sim.report.compare_with_report`).

    Args:
        scenarios: At least two strategy scenario names or paths; the first is the reference.
        out_dir: Experiment folder.
        n_seeds: Seeds per strategy (shared across strategies).
        master_seed: Master seed.
        steps: Weeks per run (default 260).
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes.
        scheduler: Dask scheduler address.
        progress: Show a progress bar.
        overrides: Lever values set in every strategy (``--set``); a budget's spend levers
            are recomputed for a new organisation size.

    Returns:
        The experiment and the comparison table.

    Raises:
        UserInputError: Fewer than two strategies (one alone is no comparison), a bad
            scenario or override; nothing is written.
    """
    if len(scenarios) < 2:
        raise UserInputError(
            f"compare needs at least two strategies, got {len(scenarios)}: one strategy "
            "alone is no comparison (to run one scenario, use 'aiscale run' or "
            "'aiscale sweep')")
    resolved = scenarios_with_overrides(
        [resolve(str(r)) if isinstance(r, str | Path) else r for r in scenarios], overrides)
    design = design_from_scenarios(resolved, n_seeds, master_seed)
    names = design.info["scenarios"]
    info = {}
    for name, sc in zip(names, resolved, strict=True):
        info[name] = _strategy_info(sc) if isinstance(sc, Scenario) else {
            "description": "", "path": None, "budget": None, "levers": dict(sc)}
    out = Path(out_dir)
    exp = run_experiment(design, out, steps=steps, executor=executor, workers=workers,
                         scheduler=scheduler, progress=progress,
                         metadata={"command": "compare", "strategies": names,
                                   "seeds": n_seeds, "set": dict(overrides or {}),
                                   "strategy_info": info})
    table = compare_table(exp.summaries, names)
    write_csv(out / "comparison.csv", table)
    return exp, table
