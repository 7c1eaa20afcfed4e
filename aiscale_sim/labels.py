"""What a person reads on a figure: outcome labels and units, lever labels from the lever table.

Outcome columns (``cumulative_value``, ``roi``) are identifiers; figures, captions and reports
show :data:`OUTCOMES` instead: a label that carries its unit ("Value realised ($M)") and a
kind that says how values are written (money in $M, shares and ROI in %). Levers are labelled
from :data:`aiscale_sim.levers.LEVERS` (their ``label`` and ``unit``), never repeated here.
Names that are neither (a grouped sensitivity factor, a test function's ``x1``) are shown as
they are.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from aiscale_sim.levers import LEVERS_BY_NAME


class Outcome(NamedTuple):
    """How an outcome is shown.

    Args:
        label: Label with its unit, as on an axis.
        kind: ``share`` (0-1, written in %), ``money`` ($M), ``weeks`` (a duration),
            ``week`` (a week of the run) or ``count``.
    """

    label: str
    kind: str


#: Every outcome a figure shows, by column name.
OUTCOMES: dict[str, Outcome] = {
    "adoption_share": Outcome("Employees using AI regularly (%)", "share"),
    "adoption_managers": Outcome("Managers using AI regularly (%)", "share"),
    "adoption_frontline": Outcome("Frontline staff using AI regularly (%)", "share"),
    "pilot_to_production_rate": Outcome("Pilot-to-production rate (%)", "share"),
    "use_cases_in_production": Outcome("Use cases in production", "count"),
    "use_cases_scaled": Outcome("Use cases scaled to other units", "count"),
    "pilots_launched": Outcome("Pilots launched", "count"),
    "pilots_in_purgatory": Outcome("Pilots stuck in purgatory", "count"),
    "pilots_abandoned": Outcome("Pilots abandoned", "count"),
    "pilots_reached_production": Outcome("Pilots that reached production", "count"),
    "median_time_to_production_weeks": Outcome("Median time to production (weeks)", "weeks"),
    "time_to_50pct_adoption_weeks": Outcome("Weeks until half the staff use AI", "weeks"),
    "incidents": Outcome("Incidents", "count"),
    "cumulative_value": Outcome("Value realised ($M)", "money"),
    "cumulative_cost": Outcome("Cost ($M)", "money"),
    "mean_literacy": Outcome("Mean AI literacy (0-1)", "count"),
    "mean_anxiety": Outcome("Mean job anxiety (0-1)", "count"),
    "roi": Outcome("ROI (%)", "share"),
    "net_value": Outcome("Net value: value less cost ($M)", "money"),
    "payback_week": Outcome("Payback week (net value turns positive)", "week"),
    "purgatory_by_reason.infrastructure": Outcome(
        "In purgatory for want of production infrastructure", "count"),
    "purgatory_by_reason.commitment": Outcome(
        "In purgatory for want of business commitment", "count"),
    "purgatory_by_reason.governance": Outcome("In purgatory awaiting governance", "count"),
    "spending_musd_per_year": Outcome("AI spending ($M a year)", "money"),
    "incident_cost": Outcome("Incident losses ($M)", "money"),
    "regret": Outcome("Regret: net value short of the best strategy ($M)", "money"),
}


def outcome_label(name: str, unit: bool = True) -> str:
    """Readable label for an outcome column, with its unit unless ``unit`` is false.

    An unknown name is returned as it is.
    """
    o = OUTCOMES.get(name)
    if o is None:
        return name
    return o.label if unit or not o.label.endswith(")") else o.label.rsplit(" (", 1)[0]


def outcome_kind(name: str) -> str:
    """``share``, ``money``, ``weeks``, ``week`` or ``count`` (``count`` if unknown)."""
    o = OUTCOMES.get(name)
    return o.kind if o else "count"


def lever_label(name: str, unit: bool = False) -> str:
    """A lever's label from the lever table, with its unit if ``unit``; other names as given."""
    lv = LEVERS_BY_NAME.get(name)
    if lv is None:
        return name
    return lv.axis_label if unit else lv.short_label


def in_sentence(label: str) -> str:
    """A label for the middle of a sentence: lower-case first letter, acronyms kept.

    "Training" becomes "training"; "AI staff" and "ROI (%)" stay as they are.
    """
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def format_value(name: str, value: float | None) -> str:
    """Write one value of an outcome as a person reads it: ``42%``, ``$3.1M``, ``12.0``."""
    if value is None or value != value:  # None or NaN
        return "n/a"
    kind = outcome_kind(name)
    if kind == "share":
        return f"{value:.1%}" if 0 < abs(value) < 0.1 else f"{value:.0%}"
    if kind == "money":
        return f"${value:,.1f}M" if abs(value) >= 1 or value == 0 else f"${value:.2g}M"
    return f"{value:,.1f}"


def format_outcome(v: float | None, col: str) -> str:
    """An outcome's value as the comparison table, verdict and report write it.

    Args:
        v: The value (None or NaN: not defined).
        col: The outcome column, whose kind (:data:`OUTCOMES`) says how to write it: shares
            and ROI in whole percent, money in $M with one decimal, a week of the run as
            ``week 87``, anything else with one decimal.
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    kind = outcome_kind(col)
    if kind == "share":
        return f"{v:.0%}"
    if kind == "money":
        return f"-${-v:,.1f}M" if v < 0 else f"${v:,.1f}M"
    if kind == "week":
        return f"week {v:,.0f}"
    return f"{v:,.1f}"


def format_difference(v: float | None, col: str) -> str:
    """A difference between two values of an outcome, signed: ``+12 pts``, ``-$3.1M``, ``+1.5``.

    Shares (and ROI) differ in percentage points, money in $M, weeks in weeks.
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    kind = outcome_kind(col)
    shown = round(v * 100) if kind == "share" else round(v, 0 if kind in ("week", "weeks")
                                                          else 1)
    sign = "-" if shown < 0 else "+"
    if kind == "share":
        return f"{sign}{abs(v) * 100:.0f} pts"
    if kind == "money":
        return f"{sign}${abs(v):,.1f}M"
    if kind in ("week", "weeks"):
        return f"{sign}{abs(v):,.0f} weeks"
    return f"{sign}{abs(v):,.1f}"


def format_axis(ax, name: str, axis: str = "y") -> None:
    """Put an outcome's unit on a matplotlib axis: shares and ROI as %, money as $M."""
    import math

    from matplotlib.ticker import Formatter, PercentFormatter

    class _Money(Formatter):
        """``$1.5M``, with as many decimals as the tick spacing needs."""

        ticks: tuple[float, ...] = ()

        def set_locs(self, locs):
            self.ticks = tuple(locs)

        def __call__(self, x, pos=None):
            locs = self.ticks
            step = abs(locs[1] - locs[0]) if len(locs) > 1 else abs(x)
            decimals = min(4, max(0, -math.floor(math.log10(step)))) if step > 0 else 1
            return f"${x:,.{decimals}f}M"

    target = ax.yaxis if axis == "y" else ax.xaxis
    kind = outcome_kind(name)
    if kind == "share":
        target.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
    elif kind == "money":
        target.set_major_formatter(_Money())


def palette(n: int) -> list[tuple[str, object]]:
    """``n`` (colour, line style) pairs that tell lines apart.

    Eight qualitative colours (Okabe-Ito without its yellow, plus brown) solid, then the same
    colours dashed, dotted and dash-dotted.
    """
    colours = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
               "#8C564B"]
    styles = ["-", "--", ":", "-."]
    return [(colours[i % len(colours)], styles[(i // len(colours)) % len(styles)])
            for i in range(n)]
