"""Equal-cost strategies: turn a total annual AI budget and its split into lever values.

A scenario file may state a budget instead of spend levers::

    [budget]
    total_musd_per_year = 10
    training = 0.2            # shares of the total, summing to 1
    change_management = 0.1
    incentives = 0.1
    data = 0.2
    platform = 0.2
    headcount = 0.2
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
and the budgeted cost is exact only at that share. Running costs of pilots and live use cases
are not part of the budget (they follow from what the strategy achieves).
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
BUDGET_KEYS = ("total_musd_per_year", *SHARE_LEVERS, "expected_adopter_share")


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserInputError(f"budget{where}: '{key}' must be a number, got {value!r}")
    return float(value)


def validate_budget(budget: Mapping[str, Any], source: str = "") -> dict[str, float]:
    """Check a ``[budget]`` table: known keys, a positive total, shares in 0-1 summing to 1.

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
    for key in SHARE_LEVERS:
        v = _number(budget.get(key, 0.0), key, where)
        if not 0.0 <= v <= 1.0:
            raise UserInputError(f"budget{where}: share '{key}' must be between 0 and 1, "
                                 f"got {v:g}")
        out[key] = v
    s = sum(out[k] for k in SHARE_LEVERS)
    if abs(s - 1.0) > 1e-6:
        raise UserInputError(f"budget{where}: shares must sum to 1, they sum to {s:g} "
                             f"({', '.join(f'{k}={out[k]:g}' for k in SHARE_LEVERS)})")
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
    usd = {k: b["total_musd_per_year"] * b[k] for k in SHARE_LEVERS}  # $M per year
    raw = {
        "training_hours": usd["training"] * 1e6 / (n * pp.training_cost),
        "change_management": usd["change_management"] * 1e6 / n,
        "adoption_incentive": usd["incentives"] * 1e6 / (b["expected_adopter_share"] * n),
        "data_investment": usd["data"] / units,
        "platform_investment": usd["platform"],
        "ai_staff_per_1000": 1000.0 * usd["headcount"] / (pp.salary * n),
    }
    where = f" in {source}" if source else ""
    out = {}
    for share, name in SHARE_LEVERS.items():
        lever = LEVERS_BY_NAME[name]
        v = raw[name]
        if not lever.low <= v <= lever.high:
            raise UserInputError(
                f"budget{where}: share '{share}' ({b[share]:g} of ${b['total_musd_per_year']:g}M"
                f" = ${usd[share]:.3g}M a year) gives {name} = {v:.4g}, outside its bounds "
                f"{lever.low:g} to {lever.high:g} ({lever.unit}) for {n} employees and "
                f"{units} units; change the share or the total")
        out[name] = float(v)
    return out


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
