"""Figures of the evidence: the pattern dashboard and the Bass special case.

The dashboard draws one row per fact (or side of a fact): the target band the fact gives,
the model's 90% interval and its mean, each row on its own scale and in its own unit (shares
in %). Facts the model does not express say why, in the row.
"""

from __future__ import annotations

import math

import numpy as np

BAND = "#cfe3f4"
BAND_EDGE = "#6a9fcf"
COLOURS = {"met": "#2a8a3e", "missed": "#c0392b"}


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _scale(unit: str) -> float:
    return 100.0 if unit == "share" else 1.0


def _limits(lo: float, hi: float, points: list[float]) -> tuple[float, float]:
    finite = [x for x in (lo, hi, *points) if x is not None and math.isfinite(x)]
    a, b = min(finite), max(finite)
    span = b - a if b > a else max(abs(a), 1.0) * 0.5
    return a - 0.18 * span, b + 0.18 * span


def _fmt(x: float, unit: str) -> str:
    if not math.isfinite(x):
        return "n/a"
    if unit == "share":
        return f"{x:.0f}%" if abs(x) >= 10 or x == 0 else f"{x:.1f}%"
    return f"{x:.3g}"


def style_row(ax, xmin: float, xmax: float, unit: str) -> None:
    """One pattern's row of a dashboard: its x range, a bare axis line, shares in %."""
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=7, length=2, pad=1)
    if unit == "share":
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:g}%")


def dashboard_figure(validation):
    """The pattern dashboard of a :class:`~aiscale_sim.evidence.validate.Validation`."""
    plt = _plt()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = validation.rows
    n = len(rows)
    fig = plt.figure(figsize=(13.5, 0.46 * n + 2.0))
    top = 1.0 - 1.25 / fig.get_figheight()
    bottom = 0.45 / fig.get_figheight()
    gs = fig.add_gridspec(n, 1, left=0.33, right=0.80, top=top, bottom=bottom, hspace=0.9)
    for i, row in enumerate(rows):
        ax = fig.add_subplot(gs[i, 0])
        head = f"{row.id}  ({row.fact.strength})"
        label = head if row.pattern is None else f"{head}\n{row.pattern.output}"
        ax.text(-0.02, 0.5, label, transform=ax.transAxes, ha="right", va="center",
                fontsize=7.5, linespacing=1.1)
        if row.pattern is None:
            ax.axis("off")
            import textwrap

            from aiscale_sim.evidence.patterns import NOT_EXPRESSED

            why = textwrap.fill("not expressed: " + NOT_EXPRESSED[row.fact.id], 120)
            ax.text(0.0, 0.5, why, transform=ax.transAxes, ha="left", va="center",
                    fontsize=7, style="italic", color="#666666", linespacing=1.1)
            continue
        p, r = row.pattern, row.result
        k = _scale(p.unit)
        lo, hi = p.low * k, p.high * k
        value = r.value * k
        ilo, ihi = r.interval[0] * k, r.interval[1] * k
        xmin, xmax = _limits(lo, hi, [value, ilo, ihi])
        if p.unit == "share":  # a share's axis stays within 0-100% (and a dot's width)
            xmin, xmax = max(xmin, -3.0), min(xmax, 103.0)
        band_lo = lo if math.isfinite(lo) else xmin
        band_hi = hi if math.isfinite(hi) else xmax
        ax.axvspan(band_lo, band_hi, color=BAND, ec=BAND_EDGE, lw=0.8)
        colour = COLOURS.get(row.verdict, "#333333")
        if math.isfinite(ilo) and math.isfinite(ihi) and p.how != "constant":
            ax.plot([ilo, ihi], [0, 0], color="#222222", lw=2.2, solid_capstyle="butt")
            ax.plot([ilo, ihi], [0, 0], "|", color="#222222", ms=8, mew=1.5)
        if math.isfinite(value):
            ax.plot([value], [0], "o", color=colour, ms=7, zorder=3)
        style_row(ax, xmin, xmax, p.unit)
        how = {"per_seed": "over seeds", "statistic": "bootstrap",
               "constant": "input"}[p.how]
        ax.text(1.03, 0.5, f"{row.verdict}: {_fmt(value, p.unit)}\n"
                f"(90%: {_fmt(ilo, p.unit)} to {_fmt(ihi, p.unit)}, {how})"
                if p.how != "constant" else f"{row.verdict}: {_fmt(value, p.unit)} (input)",
                transform=ax.transAxes, ha="left", va="center", fontsize=7.5, color=colour)
    seeds = validation.seeds
    fig.suptitle("Stylized facts against the model: each fact's target band and the simulated "
                 "90% interval\n"
                 f"aiscale-sim {validation.version}, seeds 0-{seeds[-1] if seeds else 0} in "
                 f"each of {len(validation.scenarios)} scenarios, {validation.steps} weeks"
                 + (f", {len(validation.constants)} constants not the shipped values"
                    if getattr(validation, "constants", None) else ""),
                 fontsize=11, y=1.0 - 0.1 / fig.get_figheight(), va="top")
    handles = [Patch(facecolor=BAND, edgecolor=BAND_EDGE, label="target band"),
               Line2D([], [], color="#222222", lw=2.2, label="simulated 90% interval"),
               Line2D([], [], marker="o", ls="", color=COLOURS["met"], label="mean: met"),
               Line2D([], [], marker="o", ls="", color=COLOURS["missed"],
                      label="mean: missed")]
    fig.legend(handles=handles, loc="upper center", ncol=4, frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, 1.0 - 0.62 / fig.get_figheight()))
    return fig


def bass_figure(result):
    """The Bass special case: the simulated share against the discrete and continuous curves.

    Args:
        result: A :class:`~aiscale_sim.evidence.bass.BassCheck`.
    """
    plt = _plt()
    years = np.asarray(result.weeks) / 52.0
    fig, (ax, dev) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True,
                                  height_ratios=(3, 1.3), constrained_layout=True)
    ax.plot(years, 100 * np.asarray(result.simulated), color="#4C72B0", lw=2.2,
            label=f"adoption rule, {result.employees:,} employees (seed {result.seed})")
    ax.plot(years, 100 * np.asarray(result.discrete), color="#DD8452", lw=1.4, ls="--",
            label="discrete weekly Bass recursion")
    ax.plot(years, 100 * np.asarray(result.continuous), color="#222222", lw=1.0, ls=":",
            label="continuous Bass curve (Bass 1969)")
    ax.set_ylabel("share of employees who have tried AI (%)")
    ax.set_ylim(0, 100)
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    ax.set_title(f"Bass special case: p = {result.p:g} and q = {result.q:g} per year\n"
                 f"largest deviation {100 * result.max_abs_deviation_discrete:.2f} points "
                 f"from the recursion, {100 * result.max_abs_deviation_continuous:.2f} from "
                 f"the continuous curve", fontsize=11)
    dev.axhline(0, color="#999999", lw=0.8)
    dev.plot(years, 100 * (np.asarray(result.simulated) - np.asarray(result.discrete)),
             color="#DD8452", lw=1.2, label="rule minus recursion")
    dev.plot(years, 100 * (np.asarray(result.simulated) - np.asarray(result.continuous)),
             color="#222222", lw=1.0, ls=":", label="rule minus continuous curve")
    dev.set_ylabel("difference\n(percentage points)")
    dev.set_xlabel("years")
    dev.legend(loc="upper right", frameon=False, fontsize=8.5, ncol=2)
    return fig


def save_validation(validation, out, plot: bool = True) -> list:
    """Write ``validation.json`` and (with ``plot``) the dashboard ``patterns.png``.

    Returns:
        The paths written.
    """
    from pathlib import Path

    from aiscale_sim.evidence.validate import DASHBOARD_PNG
    from aiscale_sim.files import save_figure

    written = [validation.save(out)]
    if plot:
        plt = _plt()
        fig = dashboard_figure(validation)
        written.append(save_figure(fig, Path(out) / DASHBOARD_PNG, dpi=110))
        plt.close(fig)
    return written
