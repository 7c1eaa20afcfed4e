"""Equal-cost strategies: turn a total annual AI budget and its split into lever values.

A scenario file may state a budget instead of spend levers::

    [budget]
    total_musd_per_year = 10
    training = 0.2            # shares of the total, summing to 1
    change_management = 0.1
    incentives = 0.1
    data = 0.2
    platform = 0.2
    headcount = 0.1
    operations = 0.1          # pilot compute, run costs and vendor licences
    expected_adopter_share = 0.5   # optional, see below

Each share becomes a lever through the yearly cost formulas of
:func:`aiscale_sim.pipeline.weekly_cost`:

===================  =========================================================================
share                lever
===================  =========================================================================
training             ``training_hours = $ / (employees * training_cost)``
change_management    ``change_management = $ / employees``
incentives           ``adoption_incentive = $ / (expected_adopter_share * employees)``
data                 ``data_investment = $M / business_units``
platform             ``platform_investment = $M``
headcount            ``ai_staff_per_1000 = 1000 * $M / (salary * employees)``
===================  =========================================================================

Incentives are paid per adopting employee, so their cost depends on how many adopt; the
conversion assumes an expected adopter share (default :data:`EXPECTED_ADOPTER_SHARE`, 50%),
and the budgeted cost is exact only at that share.

The ``operations`` share sets no lever: it is the money left for what the strategy's pilots
cost to run (compute of each running pilot, the run cost of each live model, vendor
licences). The budget covers all of the strategy's AI spending and works as a cap
(:class:`aiscale_sim.pipeline.BudgetRoom`): when a year's money is committed, no more pilots
are launched that year, so spending stays within the total whatever incentives, staff turnover
or running pilots cost. A budget with no operations share has no money for pilots.

A share that turns into a lever value outside the lever's bounds (for the organisation's size)
is refused, with the largest (or smallest) share that fits (:func:`share_bounds`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS_BY_NAME, suggest
from aiscale_sim.pipeline import PipelineParams

#: Adopter share assumed when converting an incentive budget into $ per adopting employee.
EXPECTED_ADOPTER_SHARE = 0.5

#: Budget share name -> the lever it sets.
SHARE_LEVERS: dict[str, str] = {
    "training": "training_hours",
    "change_management": "change_management",
    "incentives": "adoption_incentive",
    "data": "data_investment",
    "platform": "platform_investment",
    "headcount": "ai_staff_per_1000",
}
#: The share that sets no lever: money for running pilots and live use cases.
OPERATIONS = "operations"
#: Every share of a budget, in the order they are shown.
SHARES: tuple[str, ...] = (*SHARE_LEVERS, OPERATIONS)
BUDGET_KEYS = ("total_musd_per_year", *SHARES, "expected_adopter_share")


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserInputError(f"budget{where}: '{key}' must be a number, got {value!r}")
    return float(value)


def validate_budget(budget: Mapping[str, Any], source: str = "") -> dict[str, float]:
    """Check a ``[budget]`` table: known keys, a positive total, shares in 0-1 summing to 1.

    The shares are the six of :data:`SHARE_LEVERS` and ``operations``; a missing share is 0.

    Args:
        budget: The table as read from TOML.
        source: Where it came from, for messages.

    Returns:
        The table with every share present (missing shares are 0) and the adopter share.

    Raises:
        UserInputError: Unknown key, missing total, bad number, shares not summing to 1.
    """
    where = f" in {source}" if source else ""
    if not isinstance(budget, Mapping):
        raise UserInputError(f"{source or 'scenario'}: 'budget' must be a table ([budget])")
    for key in budget:
        if key not in BUDGET_KEYS:
            raise UserInputError(f"budget{where}: unknown key '{key}'"
                                 f"{suggest(key, BUDGET_KEYS)}; allowed keys: "
                                 f"{', '.join(BUDGET_KEYS)}")
    if "total_musd_per_year" not in budget:
        raise UserInputError(f"budget{where}: 'total_musd_per_year' is missing "
                             "(the total annual AI budget in $M)")
    total = _number(budget["total_musd_per_year"], "total_musd_per_year", where)
    if total <= 0:
        raise UserInputError(f"budget{where}: 'total_musd_per_year' must be positive, "
                             f"got {total:g}")
    out = {"total_musd_per_year": total}
    for key in SHARES:
        v = _number(budget.get(key, 0.0), key, where)
        if not 0.0 <= v <= 1.0:
            raise UserInputError(f"budget{where}: share '{key}' must be between 0 and 1, "
                                 f"got {v:g}")
        out[key] = v
    s = sum(out[k] for k in SHARES)
    if abs(s - 1.0) > 1e-6:
        raise UserInputError(f"budget{where}: shares must sum to 1, they sum to {s:g} "
                             f"({', '.join(f'{k}={out[k]:g}' for k in SHARES)})")
    a = _number(budget.get("expected_adopter_share", EXPECTED_ADOPTER_SHARE),
                "expected_adopter_share", where)
    if not 0.0 < a <= 1.0:
        raise UserInputError(f"budget{where}: 'expected_adopter_share' must be in (0, 1], "
                             f"got {a:g}")
    out["expected_adopter_share"] = a
    return out


def levers_from_budget(budget: Mapping[str, Any], levers: Mapping[str, Any],
                       source: str = "",
                       params: PipelineParams | None = None) -> dict[str, Any]:
    """Convert a budget into the six spend levers, given the organisation's size.

    Args:
        budget: A ``[budget]`` table (validated here).
        levers: Lever values supplying ``employees`` and ``business_units``.
        source: Where the budget came from, for messages.
        params: Pipeline constants (salary, training cost); defaults if None.

    Returns:
        ``{lever name: value}`` for the six spend levers.

    Raises:
        UserInputError: A bad budget, or a share that turns into a lever value outside the
            lever's bounds.
    """
    b = validate_budget(budget, source)
    pp = params or PipelineParams()
    n = levers["employees"]
    units = levers["business_units"]
    per_musd = _lever_per_musd(b, levers, pp)
    total = b["total_musd_per_year"]
    where = f" in {source}" if source else ""
    out = {}
    problems = []
    for share, name in SHARE_LEVERS.items():
        lever = LEVERS_BY_NAME[name]
        musd = total * b[share]
        v = musd * per_musd[name]
        if not lever.low <= v <= lever.high:
            lo, hi = share_bounds(share, b, levers, pp)
            side, bound = ("above", lever.high) if v > lever.high else ("below", lever.low)
            fits = (f"at most {hi:.3g} (${total * hi:.3g}M a year) fits" if v > lever.high
                    else f"at least {lo:.3g} (${total * lo:.3g}M a year) is needed")
            problems.append(
                f"share '{share}' ({b[share]:g} of ${total:g}M = ${musd:.3g}M a year) gives "
                f"{lever.label or name} {_amount(v, lever.unit)}, {side} its bound "
                f"{_amount(bound, lever.unit)} for {n:,} employees and {units} units; {fits}")
        out[name] = float(v)
    if problems:
        raise UserInputError(
            f"budget{where} cannot be honoured: " + "; ".join(problems)
            + ". Change the share (and give the difference to another), the total, or the "
            "organisation's size")
    return out


def _lever_per_musd(b: Mapping[str, Any], levers: Mapping[str, Any],
                    pp: PipelineParams) -> dict[str, float]:
    """Lever value bought by $1M a year of each spend share (the weekly_cost formulas)."""
    n = levers["employees"]
    return {
        "training_hours": 1e6 / (n * pp.training_cost),
        "change_management": 1e6 / n,
        "adoption_incentive": 1e6 / (b["expected_adopter_share"] * n),
        "data_investment": 1.0 / levers["business_units"],
        "platform_investment": 1.0,
        "ai_staff_per_1000": 1000.0 / (pp.salary * n),
    }


def _amount(v: float, unit: str) -> str:
    """A lever value with its unit, money written as money: ``$1,400 per employee``."""
    if unit.startswith("$M"):
        return f"${v:.3g}M{unit[2:]}"
    if unit.startswith("$"):
        return f"${v:,.0f}{unit[1:]}"
    return f"{v:.3g} {unit}"


def share_bounds(share: str, budget: Mapping[str, Any], levers: Mapping[str, Any],
                 params: PipelineParams | None = None) -> tuple[float, float]:
    """The range of ``share`` (a fraction of the total) whose lever stays within its bounds.

    Args:
        share: A share of :data:`SHARE_LEVERS` (``operations`` sets no lever: 0 to 1).
        budget: A ``[budget]`` table (its total and adopter share are used).
        levers: Lever values supplying ``employees`` and ``business_units``.
        params: Pipeline constants; defaults if None.

    Returns:
        ``(lowest, highest)`` share, each clipped to 0-1.
    """
    if share == OPERATIONS:
        return 0.0, 1.0
    b = validate_budget(budget) if "expected_adopter_share" not in budget else budget
    pp = params or PipelineParams()
    name = SHARE_LEVERS[share]
    lever = LEVERS_BY_NAME[name]
    per_share = b["total_musd_per_year"] * _lever_per_musd(b, levers, pp)[name]
    return (min(max(lever.low / per_share, 0.0), 1.0),
            min(max(lever.high / per_share, 0.0), 1.0))


def operations_musd(budget: Mapping[str, Any]) -> float:
    """The budget's money for running pilots and live use cases, $M a year."""
    b = validate_budget(budget)
    return b["total_musd_per_year"] * b[OPERATIONS]


def annual_budget_cost(levers: Mapping[str, Any], adopter_share: float = EXPECTED_ADOPTER_SHARE,
                       params: PipelineParams | None = None) -> float:
    """Nominal yearly spend ($M) of the six budgeted levers, by the weekly_cost formulas.

    Headcount is costed as ``ai_staff_per_1000 * employees / 1000`` FTE (the model rounds
    the actual team sizes); incentives at ``adopter_share`` of employees adopting.

    Args:
        levers: Complete lever values.
        adopter_share: Share of employees assumed to adopt (for incentives).
        params: Pipeline constants; defaults if None.

    Returns:
        The yearly spend in $M.
    """
    pp = params or PipelineParams()
    n = levers["employees"]
    return (levers["ai_staff_per_1000"] * n / 1000.0 * pp.salary
            + levers["training_hours"] * n * pp.training_cost / 1e6
            + levers["change_management"] * n / 1e6
            + levers["adoption_incentive"] * adopter_share * n / 1e6
            + levers["data_investment"] * levers["business_units"]
            + levers["platform_investment"])
