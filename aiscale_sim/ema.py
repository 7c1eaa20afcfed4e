"""The lever table as an EMA Workbench 3 model, so that EMA's evaluators and analyses run on it.

:func:`ema_model` builds an ``ema_workbench.ReplicatorModel`` around :func:`run_once` (the
model as a function of keyword arguments):

- every policy lever of :data:`aiscale_sim.levers.LEVERS` is an EMA lever
  (``RealParameter``, ``IntegerParameter`` or ``CategoricalParameter`` with the table's bounds
  or choices);
- the structure levers with a range (those of :data:`aiscale_sim.robustness.DEFAULT_UNCERTAIN`,
  or the ranges given) are uncertainties; every other lever is a ``Constant`` at the base
  scenario's value, and so is the horizon (``steps``);
- the model's calibratable constants (:data:`aiscale_sim.calibration.constants.CONSTANTS`)
  are uncertainties when asked: ``constants=True`` makes every one a ``RealParameter`` over
  its prior's bounds, ``constants=["bass_q", ...]`` the ones named, and an uncertain range
  given for a constant narrows it within its prior. Each run passes them to
  ``simulate(constants=...)``; a constant not asked for keeps its shipped value;
- the named outcomes of :data:`SCALAR_OUTCOMES` are ``ScalarOutcome`` s (the mean over the
  replications), the weekly adoption curve is an ``ArrayOutcome`` (one curve per
  replication);
- replications are seeded through ``rng``: ``model.replications = [{"rng": seed}, ...]``
  with seeds spawned from one master seed, as EMA Workbench's own Mesa example does;
- a base scenario with a ``[budget]`` keeps its budget: the budget's total and shares are
  constants (``budget_total_musd_per_year``, ``budget_training``, ...), the spend levers are
  set from the split for each experiment's organisation (they are neither levers nor
  constants), and every replication runs with the budget as its yearly spending cap.

Example::

    from ema_workbench import SequentialEvaluator, perform_experiments
    from aiscale_sim.ema import ema_model

    model = ema_model(replications=2, steps=52, base={"employees": 300})
    experiments, outcomes = perform_experiments(model, scenarios=4, policies=2)

``import_ema`` imports ema_workbench without the warnings it gives when its optional extras
(ipyparallel, altair) are missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from aiscale_sim.budget import BUDGET_KEYS, SHARE_LEVERS, levers_from_budget
from aiscale_sim.calibration.constants import CONSTANTS, CONSTANTS_BY_NAME
from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS, LEVERS_BY_NAME, validate_levers
from aiscale_sim.robustness import DEFAULT_UNCERTAIN, import_ema, is_constant, parse_uncertain
from aiscale_sim.runner import spawn_seeds
from aiscale_sim.simulate import HORIZON_WEEKS, resolve, simulate

#: Outcomes of a run reported as EMA ScalarOutcomes (mean over replications).
SCALAR_OUTCOMES = ("adoption_share", "cumulative_value", "cumulative_cost", "roi",
                   "use_cases_in_production", "pilots_in_purgatory",
                   "pilot_to_production_rate", "paid_back")
#: The ArrayOutcome: the share of employees using AI regularly, week by week.
ARRAY_OUTCOME = "adoption_curve"
#: Prefix of the constants that carry a base scenario's ``[budget]`` (``budget_training`` ...).
BUDGET_PREFIX = "budget_"

__all__ = ["ARRAY_OUTCOME", "SCALAR_OUTCOMES", "ema_model", "import_ema", "run_once"]


def _typed(name: str, value: Any) -> Any:
    """EMA hands numpy numbers; the lever table wants Python ints, floats, strs and bools."""
    lv = LEVERS_BY_NAME[name]
    if lv.kind == "int":
        return int(value)
    if lv.kind == "float":
        return float(value)
    if lv.kind == "bool":
        return bool(value)
    return str(value)


def run_once(steps: int = HORIZON_WEEKS, rng: int | None = None, **levers: Any) -> dict:
    """One run as EMA Workbench calls a model: lever values as keyword arguments.

    Args:
        steps: Weeks to run.
        rng: The replication's seed.
        **levers: Lever values (any not given take the lever table's default), calibratable
            constants by name (``bass_q``, ...; passed to ``simulate(constants=...)``), and a
            budget as ``budget_<key>`` values (``budget_total_musd_per_year``,
            ``budget_training``, ...): then the spend levers come from the budget for this
            organisation and the run is capped at the budget's total.

    Returns:
        ``{outcome: value}`` for :data:`SCALAR_OUTCOMES` (``paid_back`` is 1.0 when value
        realised overtook cost within the horizon, else 0.0; an undefined outcome is NaN)
        and the adoption curve under :data:`ARRAY_OUTCOME`.
    """
    budget = {k[len(BUDGET_PREFIX):]: float(v) for k, v in levers.items()
              if k.startswith(BUDGET_PREFIX)}
    constants = {k: float(v) for k, v in levers.items() if is_constant(k)}
    values = {k: _typed(k, v) for k, v in levers.items()
              if not k.startswith(BUDGET_PREFIX) and k not in constants}
    cap = None
    if budget:
        values = validate_levers(values, "the experiment")
        values.update(levers_from_budget(budget, values, "the base scenario's budget"))
        cap = budget["total_musd_per_year"]
    result = simulate(values, seed=None if rng is None else int(rng), steps=int(steps),
                      budget_cap=cap, constants=constants or None)
    o = result.summary["outcomes"]
    out = {k: (float("nan") if o.get(k) is None else float(o[k]))
           for k in SCALAR_OUTCOMES if k != "paid_back"}
    out["paid_back"] = 0.0 if o.get("payback_week") is None else 1.0
    out[ARRAY_OUTCOME] = result.timeseries["adoption_share"].to_numpy(dtype=float)
    return out


def _parameter(ema, name: str, bounds: tuple | None = None):
    if is_constant(name):
        c = CONSTANTS_BY_NAME[name]
        lo, hi = bounds if bounds is not None else (c.low, c.high)
        return ema.RealParameter(name, float(lo), float(hi))
    lv = LEVERS_BY_NAME[name]
    if lv.kind == "choice":
        return ema.CategoricalParameter(name, list(lv.choices))
    if lv.kind == "bool":
        return ema.BooleanParameter(name)
    lo, hi = bounds if bounds is not None else (lv.low, lv.high)
    if lv.kind == "int":
        return ema.IntegerParameter(name, int(lo), int(hi))
    return ema.RealParameter(name, float(lo), float(hi))


def _constant_names(constants: bool | Any) -> list[str]:
    """The calibratable constants asked for: True for all, False/None for none, or names."""
    if constants is True:
        return [c.name for c in CONSTANTS]
    if constants is False or constants is None:
        return []
    names = [constants] if isinstance(constants, str) else list(constants)
    for n in names:
        if n not in CONSTANTS_BY_NAME:
            raise UserInputError(f"unknown calibratable constant '{n}' in constants=; "
                                 f"allowed: {', '.join(CONSTANTS_BY_NAME)}")
    return names


def ema_model(name: str = "aiscale", *, base: Any = None,
              uncertain: Mapping[str, Any] | None = None, replications: int = 1,
              master_seed: int = 0, steps: int = HORIZON_WEEKS,
              levers: Any = None, constants: bool | Any = False):
    """The lever table as an ``ema_workbench.ReplicatorModel``.

    Args:
        name: The model's name (alphanumerical, as EMA wants).
        base: Base scenario (name, path, Scenario or lever dict) for the constants.
        uncertain: Uncertain structure levers (and calibratable constants):
            ``{name: (low, high)}`` or an ``[uncertain]`` table (``{name: {low, high}}``);
            default the structure levers of :data:`DEFAULT_UNCERTAIN`.
        replications: Replications per experiment, each with its own seed.
        master_seed: Master seed the replication seeds are spawned from (the same for every
            experiment: common random numbers across policies and scenarios).
        steps: Weeks per run.
        levers: Policy levers to expose as EMA levers (default: all of them); the others
            are constants at the base scenario's value.
        constants: Calibratable constants to make uncertainties over their priors' bounds:
            True for all of :data:`~aiscale_sim.calibration.constants.CONSTANTS`, a list of
            names for some, False (default) for none beyond those in ``uncertain``.

    Returns:
        The ReplicatorModel, ready for ``perform_experiments``.

    Raises:
        UserInputError: A bad uncertain range, an unknown lever or constant name, a bad
            count.
    """
    ema = import_ema()
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise UserInputError(f"replications must be a whole number of at least 1, got "
                             f"{replications!r}")
    if uncertain is None:
        ranges = {k: v for k, v in DEFAULT_UNCERTAIN.items() if not is_constant(k)}
    elif all(isinstance(v, Mapping) for v in uncertain.values()):
        ranges = parse_uncertain(uncertain, "the uncertain ranges")
    else:
        ranges = parse_uncertain({k: {"low": v[0], "high": v[1]} for k, v in uncertain.items()},
                                 "the uncertain ranges")
    for n in _constant_names(constants):
        c = CONSTANTS_BY_NAME[n]
        ranges.setdefault(n, (c.low, c.high))
    sc = resolve(base)
    spend = set(SHARE_LEVERS.values()) if sc.budget is not None else set()
    policy = [lv.name for lv in LEVERS if lv.group == "policy" and lv.name not in spend]
    chosen = policy if levers is None else list(levers)
    for n in chosen:
        if n in spend:
            raise UserInputError(f"'{n}' is set by the base scenario's [budget]; EMA levers "
                                 f"of a budget scenario are the other policy levers: "
                                 f"{', '.join(policy)}")
        if n not in policy:
            raise UserInputError(f"'{n}' is not a policy lever; EMA levers are the policy "
                                 f"levers: {', '.join(policy)}")
    model = ema.ReplicatorModel(name, function=run_once)
    model.uncertainties = [_parameter(ema, n, ranges[n]) for n in ranges]
    model.levers = [_parameter(ema, n) for n in chosen]
    fixed = [n for n in LEVERS_BY_NAME if n not in ranges and n not in chosen
             and n not in spend]
    budget = [] if sc.budget is None else [
        ema.Constant(f"{BUDGET_PREFIX}{k}", float(sc.budget[k])) for k in BUDGET_KEYS]
    model.constants = [ema.Constant(n, sc.levers[n]) for n in fixed] + budget + [
        ema.Constant("steps", int(steps))]
    model.outcomes = [ema.ScalarOutcome(k, function=np.mean) for k in SCALAR_OUTCOMES] + [
        ema.ArrayOutcome(ARRAY_OUTCOME)]
    model.replications = [{"rng": s} for s in spawn_seeds(master_seed, replications)]
    return model
