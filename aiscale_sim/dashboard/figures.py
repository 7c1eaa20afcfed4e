"""What the dashboard draws, as plain functions of the model: figures and headline numbers.

Each function takes a :class:`~aiscale_sim.dashboard.model.DashboardModel` and, when the page
compares with the baseline, the baseline run's weekly series (the "ghost"), and returns a
matplotlib ``Figure`` made without pyplot (safe in the server's threads) or plain data. The
page (:mod:`aiscale_sim.dashboard.app`) only puts them on screen, so every picture can be
made, tested and benchmarked without a browser. Money is in $M, shares in %.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from aiscale_sim.dashboard.layout import org_layout
from aiscale_sim.dashboard.model import ROLES
from aiscale_sim.labels import format_axis, format_value, palette
from aiscale_sim.states import PURGATORY_REASONS, Adoption

if TYPE_CHECKING:
    from aiscale_sim.dashboard.model import DashboardModel

Ghost = dict[str, np.ndarray] | None

#: Colour of each adoption stage on the org chart.
STAGE_COLOURS: dict[Adoption, str] = {
    Adoption.UNAWARE: "#c8c8c8",
    Adoption.AWARE: "#9ecae1",
    Adoption.TRYING: "#f2a541",
    Adoption.ADOPTED: "#1b9e4b",
    Adoption.LAPSED: "#c03d4f",
}
STAGE_NAMES: dict[Adoption, str] = {
    Adoption.UNAWARE: "Unaware", Adoption.AWARE: "Aware", Adoption.TRYING: "Trying",
    Adoption.ADOPTED: "Using AI regularly", Adoption.LAPSED: "Stopped (lapsed)",
}
#: Colour of each reason for purgatory.
REASON_COLOURS: dict[str, str] = {"infrastructure": "#E69F00", "commitment": "#CC79A7",
                                  "governance": "#0072B2"}
REASON_NAMES: dict[str, str] = {"infrastructure": "No production infrastructure",
                                "commitment": "No business commitment",
                                "governance": "Waiting for governance"}
GHOST_ALPHA = 0.35
DPI = 100


def _stage_colour_table() -> np.ndarray:
    from matplotlib.colors import to_rgba

    return np.array([to_rgba(STAGE_COLOURS[s]) for s in Adoption])


_STAGE_RGBA = _stage_colour_table()


def _week_axis(ax, horizon: int) -> None:
    ax.set_xlim(0, horizon)
    ticks = np.arange(0, horizon + 1, 52)
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{w}\n(year {w // 52})" if w else "0" for w in ticks])
    ax.set_xlabel("Week")
    ax.grid(True, alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def org_chart(model: DashboardModel, width: float = 5.6, height: float = 5.0) -> Figure:
    """The org chart, one dot per employee, coloured by adoption stage.

    The positions come from the cached radial tree layout (:func:`layout.org_layout`); only the
    colours change from week to week. Lines are reporting lines; AI staff are drawn as
    diamonds. The legend counts employees in each stage.
    """
    layout = org_layout(model.org.manager)
    week, stage, _ = model.snapshot()
    fig = Figure(figsize=(width, height), dpi=DPI, layout=None)
    ax = fig.add_axes((0.02, 0.13, 0.96, 0.8))
    ax.add_collection(LineCollection(layout.segments, colors="#e3e3e3", linewidths=0.3,
                                     zorder=1))
    sizes = np.select([layout.depth == 0, layout.depth == 1], [60.0, 22.0], 6.0)
    ai = model.is_ai_staff
    business = ~ai
    colours = _STAGE_RGBA[stage]
    ax.scatter(layout.xy[business, 0], layout.xy[business, 1], s=sizes[business],
               c=colours[business], linewidths=0, zorder=2)
    ax.scatter(layout.xy[ai, 0], layout.xy[ai, 1], s=np.minimum(sizes[ai] * 2.5, 30.0),
               c=colours[ai],
               marker="D", edgecolors="#333333", linewidths=0.5, zorder=3)
    unit = model.emp["unit"]
    team = model.org.team
    for root, angle in layout.root_angle.items():
        name = "CoE" if team[root] == 0 else f"Unit {unit[root] + 1}"
        ax.text(1.1 * np.cos(angle), 1.1 * np.sin(angle), name, ha="center", va="center",
                fontsize=7, color="#555555")
    ax.set_xlim(-1.22, 1.22)
    ax.set_ylim(-1.22, 1.22)
    ax.set_aspect("equal")
    ax.axis("off")
    counts = np.bincount(stage, minlength=len(Adoption))
    handles = [Line2D([], [], marker="o", linestyle="", color=STAGE_COLOURS[s],
                      label=f"{STAGE_NAMES[s]}: {counts[s]:,}") for s in Adoption]
    handles.append(Line2D([], [], marker="D", linestyle="", markerfacecolor="white",
                          markeredgecolor="#333333", label=f"AI staff: {int(ai.sum()):,}"))
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7.5,
               frameon=False, handletextpad=0.2, columnspacing=1.0)
    ax.set_title(f"Org chart, week {week}: {len(stage):,} employees by adoption "
                 "stage", fontsize=10)
    return fig


class FunnelRow(NamedTuple):
    """One bar of the pilot funnel: its label and its parts (name, count, colour)."""

    label: str
    parts: tuple[tuple[str, float, str], ...]

    @property
    def total(self) -> float:
        """The bar's length."""
        return sum(p[1] for p in self.parts)


def _at(series: dict[str, np.ndarray], name: str, week: int) -> float:
    s = series[name]
    return float(s[min(week, len(s) - 1)])


def funnel_rows(series: dict[str, np.ndarray], week: int) -> list[FunnelRow]:
    """The bars of the pilot funnel at ``week``, from a run's weekly series.

    Args:
        series: Weekly series by name (:meth:`DashboardModel.history`).
        week: The week to show.
    """
    def v(name: str) -> float:
        return _at(series, name, week)

    blue, green, dark_green, grey = "#56B4E9", "#009E73", "#00664a", "#999999"
    live, scaled = v("use_cases_in_production"), v("use_cases_scaled")
    return [
        FunnelRow("Pilots launched", (("launched", v("pilots_launched"), blue),)),
        FunnelRow("Being built now", (("building", v("pilots_active"), "#8fbfe0"),)),
        FunnelRow("In purgatory now", tuple(
            (r, v(f"purgatory_{r}"), REASON_COLOURS[r]) for r in PURGATORY_REASONS)),
        FunnelRow("Entered purgatory\n(so far)", tuple(
            (r, v(f"purgatory_entries_{r}"), REASON_COLOURS[r]) for r in PURGATORY_REASONS)),
        FunnelRow("Reached production", (("reached", v("pilots_reached_production"), green),)),
        FunnelRow("Live now", (("live", live - scaled, green),
                               ("scaled", scaled, dark_green))),
        FunnelRow("Abandoned", (("abandoned", v("pilots_abandoned"), grey),)),
    ]


def pilot_funnel(model: DashboardModel, ghost: Ghost = None, width: float = 5.6,
                 height: float = 4.4) -> Figure:
    """The pilot funnel: pilots launched, built, stuck in purgatory (by reason), live, lost.

    With ``ghost``, a black tick on each bar marks the baseline run at the same week.
    """
    week, _, own = model.snapshot()
    rows = funnel_rows(own, week)
    fig = Figure(figsize=(width, height), dpi=DPI, layout=None)
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    for yi, row in zip(y, rows, strict=True):
        left = 0.0
        for _, count, colour in row.parts:
            if count > 0:
                ax.barh(yi, count, left=left, color=colour, height=0.7)
            left += count
        ax.text(left, yi, f" {row.total:,.0f}", va="center", fontsize=8)
    top = max([r.total for r in rows] + [1.0])
    if ghost is not None:
        grows = funnel_rows(ghost, week)
        ax.scatter([r.total for r in grows], y, marker="|", s=260, color="black",
                   linewidths=1.6, zorder=4)
        top = max(top, *(r.total for r in grows))
    ax.set_yticks(y)
    ax.set_yticklabels([r.label for r in rows], fontsize=8.5)
    ax.set_xlim(0, top * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Pilots")
    ax.grid(True, axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Patch(color=REASON_COLOURS[r], label=REASON_NAMES[r]) for r in PURGATORY_REASONS]
    handles.append(Patch(color="#00664a", label="Scaled to other units"))
    if ghost is not None:
        handles.append(Line2D([], [], marker="|", linestyle="", color="black", markersize=10,
                              markeredgewidth=1.6, label="Baseline, same week"))
    fig.subplots_adjust(left=0.25, right=0.97, top=0.92, bottom=0.3)
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7.5, frameon=False)
    ax.set_title(f"Pilot funnel, week {week}", fontsize=10)
    return fig


def adoption_curve(model: DashboardModel, ghost: Ghost = None, width: float = 5.6,
                   height: float = 4.0) -> Figure:
    """The adoption S-curve by role (share of each role using AI regularly), week by week.

    With ``ghost``, the baseline run is drawn over the whole horizon as faint dashed lines.
    """
    _, _, own = model.snapshot()
    fig = Figure(figsize=(width, height), dpi=DPI, layout=None)
    ax = fig.add_subplot()
    weeks = own["week"]
    lines = [("adoption_share", f"All business staff ({int(model.is_business.sum()):,})",
              "#000000", 2.2)]
    colours = [c for c, _ in palette(len(ROLES))]
    sizes = model.role_sizes()
    lines += [(f"adoption_{name.lower()}_role", f"{name} ({sizes[name]:,})", colours[i], 1.5)
              for i, (_, name) in enumerate(ROLES)]
    for key, label, colour, lw in lines:
        if ghost is not None:
            ax.plot(ghost["week"], ghost[key], color=colour, lw=lw * 0.8, ls="--",
                    alpha=GHOST_ALPHA)
        ax.plot(weeks, own[key], color=colour, lw=lw, label=label)
    if ghost is not None:
        ax.plot([], [], color="#555555", ls="--", alpha=GHOST_ALPHA + 0.2,
                label="Baseline (dashed)")
    _week_axis(ax, model.horizon)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_ylabel("Using AI regularly (%)")
    fig.subplots_adjust(left=0.16, right=0.93, top=0.92, bottom=0.3)
    fig.legend(loc="lower center", ncol=3, fontsize=7.5, frameon=False)
    ax.set_title("Adoption by role", fontsize=10)
    return fig


def value_and_cost(model: DashboardModel, ghost: Ghost = None, width: float = 5.6,
                   height: float = 4.0) -> Figure:
    """Value realised against cost incurred ($M, cumulative), week by week."""
    _, _, own = model.snapshot()
    fig = Figure(figsize=(width, height), dpi=DPI, layout=None)
    ax = fig.add_subplot()
    weeks = own["week"]
    for key, label, colour in (("cumulative_value", "Value realised", "#009E73"),
                               ("cumulative_cost", "Cost", "#D55E00")):
        if ghost is not None:
            ax.plot(ghost["week"], ghost[key], color=colour, ls="--", alpha=GHOST_ALPHA)
        ax.plot(weeks, own[key], color=colour, lw=2, label=label)
    if ghost is not None:
        ax.plot([], [], color="#555555", ls="--", alpha=GHOST_ALPHA + 0.2,
                label="Baseline (dashed)")
    _week_axis(ax, model.horizon)
    ax.set_ylim(bottom=0)
    format_axis(ax, "cumulative_value")
    ax.set_ylabel("Cumulative, $M")
    fig.subplots_adjust(left=0.16, right=0.93, top=0.92, bottom=0.3)
    fig.legend(loc="lower center", ncol=3, fontsize=7.5, frameon=False)
    ax.set_title("Value against cost", fontsize=10)
    return fig


class Headline(NamedTuple):
    """One headline number: what it is, its value now, and the baseline's at the same week."""

    label: str
    value: str
    baseline: str | None = None


def _rate(series: dict[str, np.ndarray], week: int) -> float | None:
    reached = _at(series, "pilots_reached_production", week)
    concluded = reached + _at(series, "pilots_abandoned", week)
    return reached / concluded if concluded else None


def _roi(series: dict[str, np.ndarray], week: int) -> float | None:
    cost = _at(series, "cumulative_cost", week)
    return (_at(series, "cumulative_value", week) - cost) / cost if cost > 0 else None


def headlines(model: DashboardModel, ghost: Ghost = None) -> list[Headline]:
    """The few numbers at the top of the page, written as a person reads them."""
    week, _, own = model.snapshot()

    def row(label: str, fn) -> Headline:
        return Headline(label, fn(own), None if ghost is None else fn(ghost))

    def share(name):
        return lambda s: format_value("adoption_share", _at(s, name, week))

    def count(name):
        return lambda s: f"{_at(s, name, week):,.0f}"

    def money(name):
        return lambda s: format_value("cumulative_value", _at(s, name, week))

    return [
        row("Using AI regularly", share("adoption_share")),
        row("Pilots launched", count("pilots_launched")),
        row("Live in production", count("use_cases_in_production")),
        row("In purgatory now", count("pilots_in_purgatory")),
        row("Pilot-to-production rate",
            lambda s: format_value("pilot_to_production_rate", _rate(s, week))),
        row("Value realised", money("cumulative_value")),
        row("Cost", money("cumulative_cost")),
        row("ROI", lambda s: format_value("roi", _roi(s, week))),
    ]
