"""``aiscale optimise``: the best split of a budget, searched with Optuna, judged on fresh seeds.

What is searched
    The split of a yearly budget over the seven budget shares (:data:`aiscale_sim.budget.
    SHARES`: the six that buy a lever and ``operations``, the money for running pilots and
    live use cases), on the simplex, and the policy levers that cost nothing (by default
    prioritisation, success-criteria clarity and centralisation; any policy lever that is not a
    spend lever can be chosen). Everything else comes from a base scenario and ``--set``.

The simplex
    Each share ``k`` gets a number ``u_k`` in (0, 1] from the sampler; ``e_k = -ln u_k`` is an
    exponential variate, and ``e / sum(e)`` is the split. With ``u`` uniform this is the
    uniform (flat Dirichlet) distribution on the simplex, so the sampler's random start
    covers every split evenly ("normalised exponentials"). Shares also have bounds: each lever
    a share buys has a lower and an upper bound (at least 0.5 AI staff per 1,000 employees, at
    most $1,000 of change management per employee ...), which at a given budget and
    organisation become bounds on the share (:func:`aiscale_sim.budget.share_bounds`;
    ``operations`` buys no lever and may take 0-100%). The split is moved into
    them by giving every share its lower bound and the rest in proportion to the split, then
    capping shares at their upper bounds and handing what is cut off to the uncapped shares in
    proportion (water-filling, :func:`fit_to_bounds`). Every split the sampler proposes is
    therefore one the budget can honour.

The cap
    The budget is a promise: every run of a study (the trials, the shipped strategies on the
    search seeds and on the fresh seeds, the best trial on the fresh seeds) carries the
    budget as its yearly spending cap (``Run.budget_cap``), so no split spends more than the
    budget and all are judged under the same cap.

Warm start
    A new study's first trials are the shipped budget strategies whose split fits the budget
    and organisation (``Problem.references``, rescaled as for the fresh judgement), best
    first on the search seeds, given to Optuna with ``study.enqueue_trial``: each strategy's
    seven shares are mapped back to the ``u_k`` (:meth:`Problem.start_params`) and its free
    levers taken as they are. Such a trial also keeps the strategy's other policies (those
    the search does not cover, e.g. jobs communication), so it is the strategy itself and the
    best trial is never worse in-sample than the best shipped strategy. ``trials.csv`` names
    the strategy in ``started_from``. A resumed study is not seeded again.

Phases (``--phases``)
    Asked for, each trial is a two-phase strategy: besides the split and the free levers (the
    first phase, from week 1), it chooses a switch week ``W`` and a second value of each free
    lever, which applies from the start of week ``W`` (:class:`aiscale_sim.phases.Phase`), e.g.
    launch everything while learning, then prioritise by value. ``W`` is the first week of a
    quarter (14, 27, 40, 53, ...) with at least a quarter of the run before and after it
    (:func:`phase_weeks`: ``14 <= W <= steps - 13``, so runs need at least
    :data:`MIN_PHASE_STEPS` weeks). The budget split holds for the whole run (budgets are
    yearly). A trial whose second values are its first is a one-phase strategy (the warm-start
    trials are). The week grid is an assumption (quarters), not a finding.

Common random numbers
    Every trial runs on the same seeds (``spawn_seeds(master_seed, seeds)``), so two trials
    differ by their levers only, never by their luck.

Judged on fresh seeds
    The best trial is the maximum of noisy estimates and flatters itself (the winner's curse).
    After the search, the best trial and the shipped budget strategies (rescaled to the same
    budget and organisation) are run again on fresh seeds that no trial saw; their means and
    90% intervals are reported, and the flattery is the best trial's in-sample objective minus
    its fresh one, less the same difference for the shipped strategies (which were not selected
    on those seeds, so their difference is the seeds' luck alone).

Resuming
    The study lives in ``DIR/study.db`` (Optuna's SQLite storage) and the runs in the
    experiment folder ``DIR/runs``. After a kill, the same command goes on: trials left
    running are evaluated again from their stored parameters (runs already on disk are kept),
    and the search continues up to ``--trials``. A different command (another budget,
    objective, seeds, base scenario, ``--set``, searched levers or ``--phases``) in the same
    folder is refused; ``--trials`` may grow.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.budget import (
    EXPECTED_ADOPTER_SHARE,
    OPERATIONS,
    SHARE_LEVERS,
    SHARES,
    levers_from_budget,
    validate_budget,
)
from aiscale_sim.budget import share_bounds as budget_share_bounds
from aiscale_sim.errors import UserInputError
from aiscale_sim.files import write_csv, write_text
from aiscale_sim.levers import LEVERS_BY_NAME, Lever, unknown_lever_error, validate_levers
from aiscale_sim.phases import Phase, validate_phases
from aiscale_sim.progress import progress_bar
from aiscale_sim.runner import Run, run_experiment, spawn_seeds
from aiscale_sim.scenarios import available, load_scenario
from aiscale_sim.simulate import HORIZON_WEEKS, MAX_STEPS, resolve
from aiscale_sim.version import __version__

#: Objective name -> (what it is, Optuna direction).
OBJECTIVES: dict[str, tuple[str, str]] = {
    "value": ("mean value realised over the seeds ($M)", "maximize"),
    "roi": ("mean ROI over the seeds", "maximize"),
    "p10_value": ("10th percentile of value realised over the seeds ($M)", "maximize"),
    "regret": ("90th percentile over the seeds of the regret in value realised against the "
               "best shipped strategy on the same seed ($M)", "minimize"),
}
#: Policy levers searched by default (they cost nothing).
DEFAULT_FREE = ("prioritisation", "success_criteria_clarity", "centralisation")
#: Levers the budget decides.
SPEND_LEVERS = tuple(SHARE_LEVERS.values())
#: Policy levers that cost money outside the budget's shares: never searched for free.
PRICED_LEVERS = ("integration_investment",)
#: Weekly metrics kept for each run (the adoption and money curves).
WEEKLY = ("adoption_share", "cumulative_value", "cumulative_cost", "cumulative_spending")
STUDY_NAME = "aiscale-optimise"
#: Trial user attribute naming the shipped strategy a warm-start trial started from.
START_ATTR = "start"
STUDY_DB = "study.db"
RUNS_DIR = "runs"
REFERENCE_DIR = "reference"
FRESH_DIR = "fresh"
#: Relative margin kept inside every share bound, so rounding never crosses a lever's bound.
BOUND_MARGIN = 1e-9
#: Least share of the budget the six spend levers at their upper bounds must be able to take;
#: a larger budget would leave more than half of it to operations, which buys no lever.
MIN_LEVER_SHARE = 0.5
#: Weeks in a quarter: a two-phase strategy switches on the first week of a quarter, with at
#: least a quarter of the run on either side (assumed: a coarse grid a leader would plan on).
QUARTER_WEEKS = 13
#: Fewest weeks a run needs for any switch week (13 before week 14, 13 after it).
MIN_PHASE_STEPS = 2 * QUARTER_WEEKS + 1
#: Optuna parameter of the switch week, and prefix of the second phase's lever values.
PHASE_WEEK = "phase_week"
PHASE2 = "phase2."


def phase_weeks(steps: int) -> list[int]:
    """The switch weeks searched with ``--phases`` in a run of ``steps`` weeks.

    Each is the first week of a quarter (``13 k + 1``) with at least :data:`QUARTER_WEEKS`
    weeks before it and after it: 14, 27, 40, 53, ... up to ``steps - 13`` (assumed: a coarse
    grid; empty for runs shorter than :data:`MIN_PHASE_STEPS` weeks).
    """
    return list(range(QUARTER_WEEKS + 1, int(steps) - QUARTER_WEEKS + 1, QUARTER_WEEKS))


def budget_strategies() -> list[str]:
    """The shipped scenarios that state a ``[budget]`` (the strategies a split competes with)."""
    return [n for n in available() if load_scenario(n).budget is not None]


# --- the simplex -------------------------------------------------------------------------------

def share_bounds(total_musd: float, levers: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Smallest and largest share of the budget each of the seven shares can take.

    The bounds are :func:`aiscale_sim.budget.share_bounds` (the range whose lever stays within
    its bounds at this budget and organisation, ``operations`` 0-1), moved inward by
    :data:`BOUND_MARGIN` so that rounding never crosses a lever's bound.

    Args:
        total_musd: The yearly budget in $M.
        levers: Complete lever values (the organisation's size matters).

    Returns:
        ``{share: (low, high)}`` for every share of :data:`aiscale_sim.budget.SHARES`.
    """
    budget = {"total_musd_per_year": total_musd, "expected_adopter_share": EXPECTED_ADOPTER_SHARE}
    out = {}
    for share in SHARES:
        lo, hi = budget_share_bounds(share, budget, levers)
        out[share] = (lo * (1 + BOUND_MARGIN) + 1e-15, hi * (1 - BOUND_MARGIN))
    return out


def fit_to_bounds(weights: Mapping[str, float],
                  bounds: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """Move a split on the simplex into the box of bounds, keeping its sum at 1.

    Every share gets its lower bound, and what is left is divided in proportion to
    ``weights``; shares above their upper bound are capped and the excess goes to the shares
    still below theirs, in proportion to their weights (or their room, if those weights are
    all zero), until none is above.

    Args:
        weights: Non-negative weights summing to 1 (a point of the simplex).
        bounds: ``{share: (low, high)}`` with ``sum(low) <= 1 <= sum(high)``.

    Returns:
        ``{share: value}``, each within its bounds, summing to 1 (to rounding).
    """
    keys = list(bounds)
    lo = np.array([bounds[k][0] for k in keys])
    hi = np.array([bounds[k][1] for k in keys])
    w = np.array([max(float(weights[k]), 0.0) for k in keys])
    w = w / w.sum() if w.sum() > 0 else np.full(len(keys), 1.0 / len(keys))
    s = lo + (1.0 - lo.sum()) * w
    capped = np.zeros(len(keys), dtype=bool)
    for _ in range(len(keys) + 1):
        over = s > hi
        if not over.any():
            break
        excess = float((s[over] - hi[over]).sum())
        s[over] = hi[over]
        capped |= over
        free = ~capped
        share = w * free
        if share.sum() <= 0:
            share = (hi - s) * free
        s = s + excess * share / share.sum()
    return {k: float(v) for k, v in zip(keys, s, strict=True)}


def split_from_unit(u: Mapping[str, float],
                    bounds: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """The split for sampler values ``u`` in (0, 1]: normalised exponentials, then bounds."""
    e = {k: -math.log(min(max(float(u[k]), 1e-300), 1.0)) for k in bounds}
    total = sum(e.values())
    w = {k: (v / total if total > 0 else 1.0 / len(e)) for k, v in e.items()}
    return fit_to_bounds(w, bounds)


# --- the problem -------------------------------------------------------------------------------

@dataclass
class Problem:
    """One optimisation: what is searched, on which organisation, judged how.

    Attributes:
        total_musd: The yearly budget in $M.
        objective: One of :data:`OBJECTIVES`.
        base: Complete lever values every trial starts from (base scenario plus ``--set``).
        free: The policy levers searched besides the split.
        bounds: The share bounds at this budget and organisation.
        seeds: Seeds of every trial (common random numbers).
        fresh_seeds: Seeds for the final judgement, none of them in ``seeds``.
        steps: Weeks per run (None: the default horizon).
        master_seed: Master seed of the seeds and of the sampler.
        scenario: The base scenario's reference.
        overrides: The ``--set`` values.
        references: Shipped budget strategies at this budget: name -> complete levers.
        skipped: Strategies whose split cannot be honoured here: name -> why.
        phases: Whether each trial also chooses a switch week and a second value of each free
            lever (``--phases``).
    """

    total_musd: float
    objective: str
    base: dict[str, Any]
    free: tuple[str, ...]
    bounds: dict[str, tuple[float, float]]
    seeds: list[int]
    fresh_seeds: list[int]
    steps: int | None
    master_seed: int
    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)
    references: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    phases: bool = False

    @property
    def direction(self) -> str:
        """``maximize`` or ``minimize``."""
        return OBJECTIVES[self.objective][1]

    def config(self) -> dict[str, Any]:
        """What decides the study's numbers; a resumed study must have the same."""
        return {"total_musd": self.total_musd, "objective": self.objective,
                "scenario": self.scenario, "overrides": dict(sorted(self.overrides.items())),
                "free": list(self.free), "seeds": len(self.seeds),
                "fresh_seeds": len(self.fresh_seeds), "steps": self.steps,
                "master_seed": self.master_seed, "shares": list(SHARES),
                "budget_cap": self.total_musd, "phases": self.phases}

    @property
    def switch_weeks(self) -> list[int]:
        """The switch weeks searched (:func:`phase_weeks`; empty without ``--phases``)."""
        return phase_weeks(self.steps or HORIZON_WEEKS) if self.phases else []

    def distributions(self) -> dict[str, Any]:
        """Optuna's distributions: ``u_<share>`` for the split, then each free lever.

        With ``--phases``, then :data:`PHASE_WEEK` (the switch weeks, every 13th week) and
        ``phase2.<lever>`` for each free lever (its value from the switch week).
        """
        from optuna.distributions import FloatDistribution, IntDistribution

        d: dict[str, Any] = {f"u_{k}": FloatDistribution(1e-6, 1.0) for k in SHARES}
        for name in self.free:
            d[name] = _lever_distribution(LEVERS_BY_NAME[name])
        weeks = self.switch_weeks
        if weeks:
            d[PHASE_WEEK] = IntDistribution(weeks[0], weeks[-1], step=QUARTER_WEEKS)
            for name in self.free:
                d[PHASE2 + name] = _lever_distribution(LEVERS_BY_NAME[name])
        return d

    def phases_of(self, params: Mapping[str, Any]) -> tuple[Phase, ...]:
        """The phase of a trial's parameters: the free levers whose second value differs.

        Returns:
            One :class:`~aiscale_sim.phases.Phase` at the trial's switch week with the levers
            that change, or ``()`` without ``--phases`` or when no lever changes (a one-phase
            strategy).
        """
        if not self.phases:
            return ()
        changed = {}
        for name in self.free:
            lv = LEVERS_BY_NAME[name]
            second = lv.validate(params[PHASE2 + name], "the trial's second phase")
            if second != lv.validate(params[name], "the trial"):
                changed[name] = second
        if not changed:
            return ()
        return validate_phases([{"week": int(params[PHASE_WEEK]), "levers": changed}],
                               "the trial")

    def split(self, params: Mapping[str, Any]) -> dict[str, float]:
        """The budget split of a trial's parameters."""
        return split_from_unit({k: params[f"u_{k}"] for k in SHARES}, self.bounds)

    def start_params(self, name: str) -> dict[str, Any]:
        """The parameters of a trial that starts from shipped strategy ``name``.

        ``fit_to_bounds`` gives share ``k`` its lower bound ``lo_k`` plus ``w_k`` of what is
        left, so a strategy's share ``s_k`` needs ``w_k = (s_k - lo_k) / (1 - sum(lo))``;
        ``u_k = exp(-w_k)`` makes ``-ln u_k = w_k``, and as the ``w_k`` sum to 1 the
        normalised exponentials are the ``w_k`` themselves. The free levers take the
        strategy's values.
        """
        b = validate_budget(load_scenario(name).budget, name)
        lo = {k: self.bounds[k][0] for k in SHARES}
        rest = 1.0 - sum(lo.values())
        params: dict[str, Any] = {
            f"u_{k}": min(max(math.exp(-max(b[k] - lo[k], 0.0) / rest), 1e-6), 1.0)
            for k in SHARES}
        levers = self.start_levers(name)
        params.update({n: levers[n] for n in self.free})
        weeks = self.switch_weeks
        if weeks:  # the strategy holds for the whole run: its second values are its first
            params[PHASE_WEEK] = weeks[0]
            params.update({PHASE2 + n: levers[n] for n in self.free})
        return params

    def start_levers(self, name: str) -> dict[str, Any]:
        """Complete levers of shipped strategy ``name`` here, as :func:`_strategy_levers`.

        Its policies outside the search are included.
        """
        if name in self.references:
            return self.references[name]
        return _strategy_levers(name, self.total_musd, self.base, self.overrides)

    def levers(self, params: Mapping[str, Any], start: str | None = None,
               ) -> tuple[dict[str, Any], dict[str, float]]:
        """Complete lever values and the split of a trial's parameters.

        Args:
            params: The trial's parameters.
            start: The shipped strategy the trial started from (its levers that the search
                does not cover are kept), or None for a trial of the search.

        Raises:
            UserInputError: The budget module refuses the split (it should not: the split is
                within the share bounds).
        """
        split = self.split(params)
        levers = dict(self.base if start is None else self.start_levers(start))
        levers.update({n: params[n] for n in self.free})
        levers.update(levers_from_budget({"total_musd_per_year": self.total_musd, **split},
                                         levers, "the trial's split"))
        return validate_levers(levers, "the trial"), split


def _lever_distribution(lv: Lever):
    """Optuna's distribution of a lever's values (its bounds or choices)."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if lv.kind == "float":
        return FloatDistribution(lv.low, lv.high)
    if lv.kind == "int":
        return IntDistribution(int(lv.low), int(lv.high))
    if lv.kind == "bool":
        return CategoricalDistribution((False, True))
    return CategoricalDistribution(lv.choices)


def _check_phases(phases: Any, steps: int | None, free: Sequence[str]) -> None:
    """Refuse ``--phases`` that cannot be searched: too short a run, or no free lever."""
    if not isinstance(phases, bool):
        raise UserInputError(f"phases must be True or False, got {phases!r}")
    if not phases:
        return
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                              or not 1 <= steps <= MAX_STEPS):
        raise UserInputError(f"--steps must be a whole number from 1 to {MAX_STEPS}, got "
                             f"{steps!r}")
    if not phase_weeks(steps or HORIZON_WEEKS):
        raise UserInputError(
            f"--phases needs runs of at least {MIN_PHASE_STEPS} weeks, got --steps {steps}: the "
            f"switch week is the first week of a quarter with at least {QUARTER_WEEKS} weeks "
            f"before it and {QUARTER_WEEKS} after it (week {QUARTER_WEEKS + 1} at the earliest)")
    if not free:
        raise UserInputError("--phases needs at least one cost-free lever to change from the "
                             "switch week; --free names none, or --set fixes all of them")


def _check_budget(total_musd: Any) -> float:
    if isinstance(total_musd, bool) or not isinstance(total_musd, int | float) or not (
            math.isfinite(total_musd)):
        raise UserInputError(f"--budget must be a number of $M a year, got {total_musd!r}")
    if total_musd <= 0:
        raise UserInputError(f"--budget must be positive ($M a year), got {total_musd:g}")
    return float(total_musd)


def _affordable(total: float, levers: Mapping[str, Any],
                bounds: Mapping[str, tuple[float, float]]) -> None:
    org = f"{levers['employees']:,} employees in {levers['business_units']} units"
    low = sum(b[0] for b in bounds.values())
    high = sum(b[1] for k, b in bounds.items() if k != OPERATIONS)
    if low > 1:
        need = ", ".join(f"{SHARE_LEVERS[k]} at its minimum {LEVERS_BY_NAME[SHARE_LEVERS[k]].low:g}"
                         f" ({LEVERS_BY_NAME[SHARE_LEVERS[k]].unit}) costs "
                         f"${b[0] * total:.3g}M" for k, b in bounds.items() if b[0] > 1e-9)
        raise UserInputError(f"--budget ${total:g}M a year is too small for {org}: {need}; "
                             f"the budget must be at least ${low * total:.3g}M")
    if high < MIN_LEVER_SHARE:
        raise UserInputError(f"--budget ${total:g}M a year is more than {org} can spend: every "
                             f"spend lever at its upper bound costs ${high * total:.4g}M a year, "
                             f"and more than {1 - MIN_LEVER_SHARE:.0%} of the budget would be "
                             f"left to operations; choose at most "
                             f"${high * total / MIN_LEVER_SHARE:.4g}M")


def _strategy_levers(name: str, total: float, base: Mapping[str, Any],
                     overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A shipped budget strategy at this budget and organisation: its split and its policies."""
    sc = load_scenario(name)
    levers = dict(sc.levers)
    for lv in LEVERS_BY_NAME.values():
        if lv.group == "structure":
            levers[lv.name] = base[lv.name]
    levers.update({k: v for k, v in overrides.items() if k not in SPEND_LEVERS})
    budget = {**validate_budget(sc.budget, name), "total_musd_per_year": total}
    levers.update(levers_from_budget(budget, levers, f"strategy '{name}' at ${total:g}M"))
    return validate_levers(levers, f"strategy '{name}'")


def make_problem(total_musd: float, objective: str = "value", *, seeds: int = 4,
                 fresh_seeds: int = 10, overrides: Mapping[str, Any] | None = None,
                 scenario: str = "baseline", free: Sequence[str] | None = None,
                 master_seed: int = 0, steps: int | None = None,
                 strategies: Sequence[str] | None = None, phases: bool = False) -> Problem:
    """Check every input and build the :class:`Problem`; nothing runs, nothing is written.

    Args:
        total_musd: The yearly budget in $M.
        objective: One of :data:`OBJECTIVES`.
        seeds: Seeds per trial.
        fresh_seeds: Fresh seeds for the final judgement.
        overrides: ``--set`` lever values (a set free lever is fixed, not searched).
        scenario: The base scenario (name or path); it must not have phases.
        free: The cost-free policy levers to search (default :data:`DEFAULT_FREE`).
        master_seed: Master seed.
        steps: Weeks per run.
        strategies: Shipped budget strategies to judge against (default: all of them).
        phases: Also search a switch week and a second value of each free lever from it
            (``--phases``; see the module's docstring).

    Raises:
        UserInputError: Unknown objective or lever, a spend lever in ``--set`` or ``free``, a
            budget that is not positive or that the organisation cannot spend, bad counts,
            ``phases`` with runs too short for a switch week or with no free lever.
    """
    if objective not in OBJECTIVES:
        raise UserInputError(f"unknown objective '{objective}'; choose one of "
                             f"{', '.join(OBJECTIVES)}")
    total = _check_budget(total_musd)
    for what, n, lo in (("--seeds", seeds, 1), ("--fresh-seeds", fresh_seeds, 1),
                        ("--seed", master_seed, 0)):
        if isinstance(n, bool) or not isinstance(n, int) or n < lo:
            raise UserInputError(f"{what} must be a whole number of at least {lo}, got {n!r}")
    overrides = dict(overrides or {})
    for name in overrides:
        if name not in LEVERS_BY_NAME:
            raise unknown_lever_error(name, "--set")
        if name in SPEND_LEVERS:
            raise UserInputError(f"--set {name}: the budget split decides the spend levers "
                                 f"({', '.join(SPEND_LEVERS)}); set the budget with --budget")
    free_names = list(DEFAULT_FREE if free is None else free)
    for name in free_names:
        lv = LEVERS_BY_NAME.get(name)
        if lv is None:
            raise unknown_lever_error(name, "--free")
        if lv.group != "policy" or name in SPEND_LEVERS or name in PRICED_LEVERS:
            allowed = [n for n, x in LEVERS_BY_NAME.items() if x.group == "policy"
                       and n not in SPEND_LEVERS and n not in PRICED_LEVERS]
            raise UserInputError(f"--free {name}: only policy levers that cost nothing can be "
                                 f"searched besides the split; allowed: {', '.join(allowed)}")
    free_t = tuple(n for n in dict.fromkeys(free_names) if n not in overrides)
    _check_phases(phases, steps, free_t)
    sc = resolve(scenario, overrides)
    if sc.phases:
        raise UserInputError(f"scenario '{sc.name}' has phases; optimise searches levers that "
                             "hold for the whole run (with --phases, its own two phases), so "
                             "choose a base scenario without phases")
    base = dict(sc.levers)
    bounds = share_bounds(total, base)
    _affordable(total, base, bounds)
    all_seeds = spawn_seeds(master_seed, seeds + fresh_seeds)
    ins, fresh = all_seeds[:seeds], all_seeds[seeds:]
    if set(ins) & set(fresh):  # 32-bit seeds from distinct children: a clash is a fluke
        raise UserInputError(f"master seed {master_seed} gives a fresh seed equal to an "
                             "optimisation seed; choose another --seed")
    refs, skipped = {}, {}
    for name in (budget_strategies() if strategies is None else strategies):
        try:
            refs[name] = _strategy_levers(name, total, base, overrides)
        except UserInputError as e:
            skipped[name] = str(e)
    if objective == "regret" and not refs:
        raise UserInputError("--objective regret needs at least one shipped strategy whose "
                             f"split fits ${total:g}M for this organisation; none does: "
                             + "; ".join(skipped.values()))
    return Problem(total, objective, base, free_t, bounds, ins, fresh, steps, int(master_seed),
                   str(scenario), overrides, refs, skipped, phases)


# --- scoring -----------------------------------------------------------------------------------

def score(objective: str, values: pd.DataFrame,
          reference: pd.DataFrame | None = None) -> float:
    """The objective of one lever setting from its runs.

    Args:
        objective: One of :data:`OBJECTIVES`.
        values: One row per seed with ``seed``, ``cumulative_value`` and ``roi``.
        reference: For ``regret``: the shipped strategies' runs on the same seeds
            (``scenario``, ``seed``, ``cumulative_value``).

    Returns:
        The objective (NaN if no seed gives a number).
    """
    v = values.set_index("seed")
    if objective == "value":
        return float(v["cumulative_value"].mean())
    if objective == "roi":
        return float(v["roi"].astype(float).mean())
    if objective == "p10_value":
        return float(np.quantile(v["cumulative_value"].to_numpy(float), 0.1))
    if objective == "regret":
        if reference is None or reference.empty:
            raise UserInputError("the regret objective needs the shipped strategies' runs")
        best = reference.groupby("seed")["cumulative_value"].max()
        regret = (best.reindex(v.index) - v["cumulative_value"]).dropna()
        return float(np.quantile(regret.to_numpy(float), 0.9)) if len(regret) else math.nan
    raise UserInputError(f"unknown objective '{objective}'; choose one of {', '.join(OBJECTIVES)}")


# --- the search --------------------------------------------------------------------------------

def _trial_name(number: int) -> str:
    return f"trial{number:04d}"


def _runs(name: str, levers: Mapping[str, Any], seeds: Sequence[int], start: int,
          cap: float, phases: Sequence[Phase] = ()) -> list[Run]:
    """Runs of one lever setting (and its phases) on ``seeds``, capped at the yearly ``cap``."""
    return [Run(start + i, name, dict(levers), s, tuple(phases), budget_cap=float(cap))
            for i, s in enumerate(seeds)]


def _quiet_optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _sampler(master_seed: int, n_trials: int):
    optuna = _quiet_optuna()
    with warnings.catch_warnings():  # older Optuna marks these options as experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(
            seed=master_seed, multivariate=True, constant_liar=True,
            n_startup_trials=max(4, min(10, n_trials // 4)))


def _open_study(problem: Problem, out: Path, n_trials: int):
    optuna = _quiet_optuna()
    storage = f"sqlite:///{out / STUDY_DB}"
    study = optuna.create_study(study_name=STUDY_NAME, storage=storage,
                                direction=problem.direction, load_if_exists=True,
                                sampler=_sampler(problem.master_seed, n_trials))
    want = problem.config()
    have = study.user_attrs.get("config")
    if have is not None and "phases" not in have:  # a study from before --phases: none
        have = {**have, "phases": False}
    if have is None:
        study.set_user_attr("config", want)
        study.set_user_attr("package_version", __version__)
    elif have != want:
        diff = ", ".join(f"{k} {have.get(k)!r} there, {want.get(k)!r} now"
                         for k in sorted(set(have) | set(want)) if have.get(k) != want.get(k))
        raise UserInputError(f"{out} holds another optimisation ({diff}); run the same command "
                             "to resume it, or choose another --out")
    return study


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserInputError(f"--out {out} is a file; choose a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / STUDY_DB).exists():
        raise UserInputError(f"{out} exists and holds no optimisation; choose an empty or new "
                             "folder")


def _values(summaries: pd.DataFrame, name: str) -> pd.DataFrame:
    cols = ["seed", "cumulative_value", "cumulative_cost", "roi", "adoption_share",
            "payback_week"]
    return summaries.loc[summaries["scenario"] == name, cols].sort_values("seed")


@dataclass
class OptimiseResult:
    """What :func:`optimise` found and how it holds up on fresh seeds.

    Attributes:
        problem: The problem solved.
        trials: One row per finished trial (``trials.csv``).
        best: The best trial's row.
        best_levers: The best trial's complete lever values.
        best_split: The best trial's budget split.
        best_phases: The best trial's phases (``--phases``; empty for a one-phase strategy).
        fresh: Per lever setting (``optimised`` and each strategy) and sample (``in-sample``,
            ``fresh``): mean, 5th and 95th percentiles of the objective's outcome, and the
            objective itself.
        flattery: In-sample minus fresh objective of the best trial, less the same for the
            strategies (mean over them); in the objective's units, positive = flattered.
        out: The output folder.
        paired: The optimised setting against each strategy on the fresh seeds
            (:func:`paired_table`).
    """

    problem: Problem
    trials: pd.DataFrame
    best: pd.Series
    best_levers: dict[str, Any]
    best_split: dict[str, float]
    fresh: pd.DataFrame
    flattery: dict[str, float]
    out: Path
    paired: pd.DataFrame = field(default_factory=pd.DataFrame)
    best_phases: tuple[Phase, ...] = ()


def optimise(problem: Problem, out: str | Path, *, n_trials: int = 40,
             batch: int | None = None, executor: str = "processes",
             workers: int | None = None, progress: bool = True,
             on_batch: Callable[[int], None] | None = None) -> OptimiseResult:
    """Run (or resume) the search, then judge the best trial on fresh seeds.

    Args:
        problem: From :func:`make_problem`.
        out: Output folder (``study.db``, ``runs/``, ``reference/``, ``fresh/``, ``trials.csv``).
        n_trials: Trials in all (a resumed study runs only the missing ones).
        batch: Trials asked of the sampler at a time and run together (default: enough to
            give every worker two runs).
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes.
        progress: A progress bar over trials.
        on_batch: Called with the number of finished trials after each batch (for tests).

    Returns:
        The :class:`OptimiseResult`; ``trials.csv`` is written.
    """
    import os

    optuna = _quiet_optuna()
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise UserInputError(f"--trials must be a whole number of at least 1, got {n_trials!r}")
    out = Path(out)
    _check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    study = _open_study(problem, out, n_trials)
    k = len(problem.seeds)
    weekly = list(WEEKLY)
    run_kw = {"steps": problem.steps, "executor": executor, "workers": workers,
              "progress": False, "weekly": weekly}

    reference = None
    if problem.references:  # the strategies on the optimisation seeds: regret, and the control
        design = [r for j, (name, lv) in enumerate(problem.references.items())
                  for r in _runs(name, lv, problem.seeds, j * k, problem.total_musd)]
        ref_exp = run_experiment(design, out / REFERENCE_DIR, metadata={
            "command": "optimise", "part": "strategies on the optimisation seeds"}, **run_kw)
        reference = ref_exp.summaries

    dists = problem.distributions()
    if not study.get_trials(deepcopy=False):  # a new study: start from the shipped strategies
        for name in warm_start_order(problem, reference):
            study.enqueue_trial(problem.start_params(name), user_attrs={START_ATTR: name})
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    design: list[Run] = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        design += _runs(_trial_name(t.number),
                        problem.levers(t.params, t.user_attrs.get(START_ATTR))[0],
                        problem.seeds, t.number * k, problem.total_musd,
                        problem.phases_of(t.params))
    stale = list(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)))
    n_done = len(study.get_trials(deepcopy=False, states=finished))
    n_workers = workers or os.cpu_count() or 1
    size = batch or max(1, math.ceil(2 * n_workers / k))
    bar = progress_bar(n_trials, initial=min(n_done, n_trials), unit="trial", desc="trials",
                       enabled=progress)
    try:
        while n_done < n_trials:
            if stale:  # left running by an interruption: evaluate them again
                asked = [(t.number, t.params, t.user_attrs.get(START_ATTR))
                         for t in stale[:size]]
                stale = stale[size:]
            else:
                asked = []
                for _ in range(min(size, n_trials - n_done)):
                    t = study.ask(dists)
                    asked.append((t.number, t.params, t.user_attrs.get(START_ATTR)))
            new, todo = [], []
            for number, params, start in asked:
                try:
                    levers, _ = problem.levers(params, start)
                    phases = problem.phases_of(params)
                except UserInputError:  # the budget module refused the split
                    study.tell(number, state=optuna.trial.TrialState.FAIL)
                    n_done += 1
                    bar.update(1)
                    continue
                new += _runs(_trial_name(number), levers, problem.seeds, number * k,
                             problem.total_musd, phases)
                todo.append(number)
            if todo:
                design += new
                exp = run_experiment(list(design), out / RUNS_DIR, metadata={
                    "command": "optimise", "config": problem.config()}, **run_kw)
                summaries = exp.summaries
                for number in todo:
                    vals = _values(summaries, _trial_name(number))
                    value = score(problem.objective, vals, reference)
                    if math.isnan(value):
                        study.tell(number, state=optuna.trial.TrialState.FAIL)
                    else:
                        study.tell(number, value)
                    n_done += 1
                    bar.update(1)
            if on_batch is not None:
                on_batch(n_done)
    finally:
        bar.close()
    return finish(problem, out, study, reference, run_kw)


def warm_start_order(problem: Problem, reference: pd.DataFrame | None) -> list[str]:
    """The shipped strategies a new study starts from, best first on the search seeds.

    Every strategy whose split fits the budget and organisation (``problem.references``) is
    one of the study's first trials, so the search starts from the best known splits and its
    best trial is never worse in-sample than the best of them.
    """
    names = list(problem.references)
    if reference is None or not names:
        return names
    sign = -1.0 if problem.direction == "maximize" else 1.0

    def key(name: str) -> float:
        v = score(problem.objective, _values(reference, name), reference)
        return math.inf if math.isnan(v) else sign * v

    return sorted(names, key=key)


def trials_table(problem: Problem, study, summaries: pd.DataFrame | None) -> pd.DataFrame:
    """One row per finished trial: number, state, objective, start, split, levers, outcomes.

    ``started_from`` names the shipped strategy a warm-start trial started from (empty for a
    trial of the search). With ``--phases``, ``phase_week`` is the week the second phase
    starts (empty when it changes nothing: a one-phase strategy) and ``phase2.<lever>`` each
    free lever's second value.

    Args:
        problem: The problem.
        study: The Optuna study.
        summaries: The trials' runs (``runs/summaries.parquet``), for the mean outcomes.
    """
    rows = []
    for t in study.get_trials(deepcopy=False):
        if t.state.name not in ("COMPLETE", "FAIL"):
            continue
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name.lower(),
                               "objective": t.value if t.value is not None else math.nan,
                               "started_from": t.user_attrs.get(START_ATTR, "")}
        split = problem.split(t.params)
        for s in SHARES:
            row[f"share_{s}"] = split[s]
        for n in problem.free:
            row[n] = t.params.get(n)
        if problem.phases:
            phases = problem.phases_of(t.params)
            row[PHASE_WEEK] = phases[0].week if phases else math.nan
            for n in problem.free:
                row[PHASE2 + n] = t.params.get(PHASE2 + n)
        sub = (summaries[summaries["scenario"] == _trial_name(t.number)]
               if summaries is not None else pd.DataFrame())
        for col in ("cumulative_value", "roi", "adoption_share"):
            row[f"mean_{col}"] = (float(sub[col].astype(float).mean()) if len(sub)
                                  else math.nan)
        row["seeds"] = len(sub)
        rows.append(row)
    df = pd.DataFrame(rows).sort_values("trial").reset_index(drop=True)
    ok = df["state"] == "complete"
    run = df["objective"].where(ok)
    df["best_so_far"] = (run.cummax() if problem.direction == "maximize" else run.cummin())
    return df


def _interval(x: pd.Series) -> tuple[float, float, float, float, float]:
    """Mean, 5th and 95th percentiles over seeds, and a 95% t-interval of the mean."""
    from scipy.stats import t

    x = x.astype(float).dropna()
    if not len(x):
        return (math.nan,) * 5
    m = float(x.mean())
    half = float(t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))) if len(
        x) > 1 else math.nan
    return m, float(x.quantile(0.05)), float(x.quantile(0.95)), m - half, m + half


def _drop_stale_judgement(folder: Path, best_trial: int) -> None:
    """Remove a fresh-seed judgement of another best trial (a resumed study found a better one).

    The judgement is derived from the study and reproducible from it; its folder cannot grow
    into the new best trial's design, whose runs differ.
    """
    import shutil

    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return
    try:
        judged = json.loads(manifest.read_text()).get("metadata", {}).get("best_trial")
    except (OSError, ValueError):
        return  # not ours to judge: the runner refuses a folder it cannot read
    if judged is not None and int(judged) != best_trial:
        shutil.rmtree(folder)


def finish(problem: Problem, out: Path, study, reference: pd.DataFrame | None,
           run_kw: Mapping[str, Any]) -> OptimiseResult:
    """Write ``trials.csv``, run the best trial and the strategies on fresh seeds."""
    runs = out / RUNS_DIR / "summaries.parquet"
    ins_best = pd.read_parquet(runs) if runs.exists() else None
    trials = trials_table(problem, study, ins_best)
    write_csv(out / "trials.csv", trials)
    done = trials[trials["state"] == "complete"]
    if done.empty:
        raise UserInputError("no trial finished with a number; see trials.csv")
    best_row = done.loc[done["objective"].idxmax() if problem.direction == "maximize"
                        else done["objective"].idxmin()]
    best_trial = study.trials[int(best_row["trial"])]
    best_levers, best_split = problem.levers(best_trial.params,
                                             best_trial.user_attrs.get(START_ATTR))
    best_phases = problem.phases_of(best_trial.params)
    k = len(problem.fresh_seeds)
    named = {"optimised": best_levers, **problem.references}
    design = [r for j, (name, lv) in enumerate(named.items())
              for r in _runs(name, lv, problem.fresh_seeds, j * k, problem.total_musd,
                             best_phases if name == "optimised" else ())]
    _drop_stale_judgement(out / FRESH_DIR, int(best_row["trial"]))
    fexp = run_experiment(design, out / FRESH_DIR, metadata={
        "command": "optimise", "part": "best trial and strategies on fresh seeds",
        "best_trial": int(best_row["trial"])}, **run_kw)
    fresh_rows = fexp.summaries
    rows = []
    for name in named:
        samples = {"fresh": fresh_rows[fresh_rows["scenario"] == name]}
        if name == "optimised":
            samples["in-sample"] = ins_best[ins_best["scenario"] ==
                                            _trial_name(int(best_row["trial"]))]
        elif reference is not None:
            samples["in-sample"] = reference[reference["scenario"] == name]
        for sample, sub in samples.items():
            ref = reference if sample == "in-sample" else fresh_rows[
                fresh_rows["scenario"].isin(problem.references)]
            vals = sub[["seed", "cumulative_value", "cumulative_cost", "roi", "adoption_share",
                        "payback_week"]]
            row = {"setting": name, "sample": sample, "seeds": len(vals),
                   "objective": score(problem.objective, vals, ref)
                   if problem.objective != "regret" or (ref is not None and not ref.empty)
                   else math.nan}
            for col in ("cumulative_value", "roi", "adoption_share", "cumulative_cost"):
                m, lo, hi, clo, chi = _interval(vals[col])
                row.update({f"{col}_mean": m, f"{col}_p05": lo, f"{col}_p95": hi,
                            f"{col}_ci_low": clo, f"{col}_ci_high": chi})
            row["payback_share"] = float(vals["payback_week"].notna().mean())
            rows.append(row)
    fresh = pd.DataFrame(rows)
    write_csv(out / "fresh.csv", fresh)
    paired = paired_table(fresh_rows, list(problem.references), objective_outcome(
        problem.objective))
    write_csv(out / "fresh_paired.csv", paired)
    flattery = flattery_of(fresh, problem)
    return OptimiseResult(problem, trials, best_row, best_levers, best_split, fresh, flattery,
                          out, paired, best_phases)


def objective_outcome(objective: str) -> str:
    """The run outcome an objective is made of (``roi`` or ``cumulative_value``)."""
    return "roi" if objective == "roi" else "cumulative_value"


def paired_table(summaries: pd.DataFrame, strategies: Sequence[str],
                 col: str) -> pd.DataFrame:
    """The optimised setting against each strategy, seed by seed (common random numbers).

    Returns:
        One row per strategy: ``diff_mean`` (optimised minus strategy), a 95% t-interval of
        the mean difference (``diff_ci_low``, ``diff_ci_high``), wins, ties and losses of the
        optimised setting, and the sign test's p-value (ties left out).
    """
    from scipy.stats import binomtest, t

    opt = summaries[summaries["scenario"] == "optimised"].set_index("seed")[col].astype(float)
    rows = []
    for name in strategies:
        x = summaries[summaries["scenario"] == name].set_index("seed")[col].astype(float)
        d = (opt - x.reindex(opt.index)).dropna()
        n = len(d)
        half = (float(t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)) if n > 1
                else math.nan)
        w, lo = int((d > 0).sum()), int((d < 0).sum())
        rows.append({"strategy": name, "outcome": col, "seeds": n,
                     "diff_mean": float(d.mean()) if n else math.nan,
                     "diff_ci_low": float(d.mean()) - half if n else math.nan,
                     "diff_ci_high": float(d.mean()) + half if n else math.nan,
                     "wins": w, "ties": n - w - lo, "losses": lo,
                     "sign_test_p": float(binomtest(w, w + lo, 0.5).pvalue) if w + lo
                     else math.nan})
    return pd.DataFrame(rows, columns=["strategy", "outcome", "seeds", "diff_mean",
                                       "diff_ci_low", "diff_ci_high", "wins", "ties",
                                       "losses", "sign_test_p"])


def flattery_of(fresh: pd.DataFrame, problem: Problem) -> dict[str, float]:
    """How much the best trial's in-sample objective flattered it.

    Returns:
        ``in_sample`` and ``fresh`` objective of the best trial, ``raw`` (their difference,
        signed so that positive means the in-sample figure looked better), ``seed_luck`` (the
        same difference for the strategies, mean over them: what the optimisation seeds give
        everyone) and ``selection`` (raw less seed luck: what picking the best added).
    """
    t = fresh.set_index(["setting", "sample"])["objective"]
    sign = 1.0 if problem.direction == "maximize" else -1.0
    ins, fr = float(t.get(("optimised", "in-sample"), math.nan)), float(
        t.get(("optimised", "fresh"), math.nan))
    raw = sign * (ins - fr)
    lucks = [sign * (float(t[(n, "in-sample")]) - float(t[(n, "fresh")]))
             for n in problem.references
             if (n, "in-sample") in t.index and (n, "fresh") in t.index]
    luck = float(np.mean(lucks)) if lucks else math.nan
    return {"in_sample": ins, "fresh": fr, "raw": raw, "seed_luck": luck,
            "selection": raw - luck if lucks else raw}


# --- best.toml ---------------------------------------------------------------------------------

def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def phase_words(phases: Sequence[Phase]) -> str:
    """Phases in words: ``from week 53: prioritisation = value_feasibility, ...``."""
    def value(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    return "; ".join(f"from week {ph.week}: " + ", ".join(
        f"{n} = {value(v)}" for n, v in ph.levers.items()) for ph in phases)


def best_scenario_text(result: OptimiseResult) -> str:
    """``best.toml``: the best trial as a scenario file with a ``[budget]`` table.

    Every lever that is not a spend lever is written out (no ``extends``), so the file means
    the same wherever it is copied; the budget split is written at full precision, so it
    gives the trial's lever values exactly. The best trial's phases (``--phases``) follow as
    ``[[phases]]`` tables.
    """
    p = result.problem
    obj = OBJECTIVES[p.objective][0]
    best = result.best
    sets = ", ".join(f"{k}={v}" for k, v in sorted(p.overrides.items())) or "none"
    desc = (f"The best of {int((result.trials['state'] == 'complete').sum())} trials of "
            f"'aiscale optimise' at ${p.total_musd:g}M a year (trial {int(best['trial'])}; "
            f"objective: {obj} = {best['objective']:.4g} on {len(p.seeds)} seeds, "
            f"{result.flattery['fresh']:.4g} on {len(p.fresh_seeds)} fresh seeds). "
            + (f"Levers change {phase_words(result.best_phases)}. " if result.best_phases
               else "") + "Base "
            f"scenario {p.scenario}, --set {sets}, master seed {p.master_seed}, aiscale-sim "
            f"{__version__}.")
    lines = ['name = "optimised"', f"description = {json.dumps(desc)}", "", "[levers]"]
    for name, v in result.best_levers.items():
        if name not in SPEND_LEVERS:
            lines.append(f"{name} = {_toml_value(v)}")
    lines += ["", "[budget]", f"total_musd_per_year = {_toml_value(float(p.total_musd))}"]
    for s, x in result.best_split.items():
        lines.append(f"{s} = {_toml_value(float(x))}")
    for ph in result.best_phases:
        values = ", ".join(f"{n} = {_toml_value(v)}" for n, v in ph.levers.items())
        lines += ["", "[[phases]]", f"week = {ph.week}", f"levers = {{ {values} }}"]
    return "\n".join(lines) + "\n"


def write_best(result: OptimiseResult) -> Path:
    """Write ``best.toml`` into the output folder; check it loads to the same levers, phases."""
    path = result.out / "best.toml"
    write_text(path, best_scenario_text(result))
    sc = load_scenario(path)
    loaded = sc.levers
    diff = [k for k in result.best_levers if not _close(loaded[k], result.best_levers[k])]
    if diff:
        raise RuntimeError(f"best.toml does not give the best trial's levers: {diff}")
    want = result.best_phases
    if len(sc.phases) != len(want) or any(
            a.week != b.week or set(a.levers) != set(b.levers)
            or not all(_close(a.levers[n], b.levers[n]) for n in b.levers)
            for a, b in zip(sc.phases, want, strict=False)):
        raise RuntimeError("best.toml does not give the best trial's phases")
    return path


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b
