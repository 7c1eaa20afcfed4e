"""Figures of a calibration: the posterior marginals and the posterior predictive check.

Labels come from the lever table (free levers) and :mod:`aiscale_sim.labels` (outcomes).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.labels import (
    format_axis,
    in_sentence,
    lever_label,
    outcome_kind,
    outcome_label,
)

POSTERIOR_COLOUR, PRIOR_COLOUR, OBSERVED_COLOUR = "#0072B2", "#8c8c8c", "#D55E00"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _label(name: str, unit: bool = True) -> str:
    """An outcome's label; a name :mod:`aiscale_sim.labels` does not know, made readable."""
    label = outcome_label(name, unit)
    return label.replace("_", " ").replace(".", ": ").capitalize() if label == name else label


def _value(name: str, value: float | None) -> str:
    """A value as a person reads it: shares in %, money in $M, else three significant digits."""
    if value is None or value != value:
        return "n/a"
    kind = outcome_kind(name)
    if kind == "share":
        return f"{value:.1%}"
    if kind == "money":
        return f"${value:,.3g}M"
    return f"{value:.3g}"


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 3)
    return math.ceil(n / cols), cols


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, qs) -> list[float]:
    order = np.argsort(x)
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return [float(np.interp(q, cdf, x)) for q in qs]


def _marginals(posterior: pd.DataFrame, panels: list[dict[str, Any]], prior_label: str):
    """A figure of one panel per parameter: its weighted posterior against its uniform prior.

    Each panel draws the histogram, the prior's density (dashed), the 90% interval and the
    mean, and, where the panel gives one, the ``shipped`` value (dotted).

    Args:
        posterior: The last population (a column per parameter and ``weight``).
        panels: Per parameter: ``name``, ``low``, ``high`` (the prior), ``bins``, ``xlabel``,
            ``label`` (the title's name) and optionally ``shipped``.
        prior_label: The prior's entry in the legend.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows, cols = _grid(len(panels))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.4 * rows + 0.9),
                             squeeze=False, constrained_layout=True)
    w = posterior["weight"].to_numpy(dtype=float)
    for ax, panel in zip(axes.flat, panels, strict=False):
        lo, hi = panel["low"], panel["high"]
        x = posterior[panel["name"]].to_numpy(dtype=float)
        ax.hist(x, bins=panel["bins"], weights=w, density=True, color=POSTERIOR_COLOUR,
                alpha=0.75)
        ax.axhline(1.0 / (hi - lo), color=PRIOR_COLOUR, ls="--", lw=1.4)
        q05, q95 = _weighted_quantiles(x, w, (0.05, 0.95))
        mean = float(np.sum(x * w) / w.sum())
        ax.axvspan(q05, q95, color=POSTERIOR_COLOUR, alpha=0.12, lw=0)
        ax.axvline(mean, color="black", lw=1.6)
        title = f"{panel['label']}: {mean:.3g} (90%: {q05:.3g} to {q95:.3g})"
        if "shipped" in panel:
            ax.axvline(panel["shipped"], color=OBSERVED_COLOUR, lw=1.8, ls=":")
            title += f"\nshipped {panel['shipped']:g}"
        ax.set_xlim(lo, hi)
        ax.set_xlabel(panel["xlabel"])
        ax.set_ylabel("density")
        ax.set_title(title, fontsize=9.5 if "shipped" in panel else 10)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles = [Patch(color=POSTERIOR_COLOUR, alpha=0.75, label="posterior (last population)"),
               Patch(color=POSTERIOR_COLOUR, alpha=0.12, label="90% interval"),
               Line2D([], [], color="black", lw=1.6, label="posterior mean")]
    if any("shipped" in panel for panel in panels):
        handles.append(Line2D([], [], color=OBSERVED_COLOUR, lw=1.8, ls=":",
                              label="shipped value"))
    handles.append(Line2D([], [], color=PRIOR_COLOUR, ls="--", lw=1.4, label=prior_label))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False,
               fontsize=9)
    return fig


def marginals_figure(posterior: pd.DataFrame, cal: Any):
    """One panel per free lever: the weighted posterior against the uniform prior.

    Args:
        posterior: The last population (a column per free lever and ``weight``).
        cal: The :class:`~aiscale_sim.calibration.abc.Calibration` (its ``free`` levers,
            their ``priors`` and the organisation ``org``).
    """
    panels = []
    for name in cal.free:
        x = posterior[name].to_numpy(dtype=float)
        lo, hi = cal.priors[name]
        panels.append({"name": name, "low": lo, "high": hi,
                       "bins": np.linspace(x.min(), x.max(), 13) if x.max() > x.min() else 1,
                       "xlabel": lever_label(name, unit=True), "label": lever_label(name)})
    fig = _marginals(posterior, panels, "prior (uniform over the lever's range)")
    observed = ", ".join(f"{in_sentence(_label(k, unit=False))} {_value(k, v)}"
                         for k, v in cal.org.observed.items())
    fig.suptitle(f"{cal.org.name}: levers fitted to {observed}", fontsize=11)
    return fig


def check_figure(table: pd.DataFrame, check: dict[str, Any]):
    """One panel per observed outcome: what posterior draws simulate, against the observation.

    Args:
        table: One row per posterior draw, a column per observed outcome.
        check: Per outcome: ``observed``, ``low``, ``high`` (90% of the draws), ``mean``.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    names = list(check)
    rows, cols = _grid(len(names))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.4 * rows + 0.9),
                             squeeze=False, constrained_layout=True)
    for ax, name in zip(axes.flat, names, strict=False):
        c = check[name]
        x = table[name].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        if len(x):
            span = [min(x.min(), c["observed"]), max(x.max(), c["observed"])]
            pad = 0.05 * (span[1] - span[0] or abs(span[0]) or 1.0)
            bins = np.linspace(span[0] - pad, span[1] + pad, 21)
            ax.hist(x, bins=bins, color=POSTERIOR_COLOUR, alpha=0.75)
            ax.axvspan(c["low"], c["high"], color=POSTERIOR_COLOUR, alpha=0.12, lw=0)
        ax.axvline(c["observed"], color=OBSERVED_COLOUR, lw=2.2)
        ax.set_xlabel(_label(name))
        ax.set_ylabel("posterior draws")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        format_axis(ax, name, axis="x")
        missing = f", {c['missing']} with none" if c["missing"] else ""
        ax.set_title(f"observed {_value(name, c['observed'])}, simulated "
                     f"{_value(name, c['mean'])} on average{missing}", fontsize=10)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    handles = [Patch(color=POSTERIOR_COLOUR, alpha=0.75, label="simulated by posterior draws"),
               Patch(color=POSTERIOR_COLOUR, alpha=0.12, label="90% of the draws"),
               Line2D([], [], color=OBSERVED_COLOUR, lw=2.2, label="observed")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=9)
    fig.suptitle(f"Posterior predictive check: {len(table)} posterior draws simulated again",
                 fontsize=11)
    return fig


def save_figures(result: Any) -> list[Path]:
    """Draw a calibration's marginals and predictive check into its folder.

    Args:
        result: A :class:`~aiscale_sim.calibration.abc.CalibrationResult`; the files are
            added to its ``written``.

    Returns:
        The two PNG files.
    """
    from aiscale_sim.calibration.abc import CHECK_PNG, MARGINALS
    from aiscale_sim.files import save_figure

    out = Path(result.path)
    files = [
        save_figure(marginals_figure(result.posterior, result.calibration), out / MARGINALS,
                    dpi=120, bbox_inches="tight"),
        save_figure(check_figure(result.check_table, result.check), out / CHECK_PNG, dpi=120,
                    bbox_inches="tight"),
    ]
    result.written.extend(files)
    return files


# --- the model's constants fitted to the facts (``calibrate --facts``) ----------------------

def facts_marginals_figure(posterior: pd.DataFrame, cal: Any, simulations: int | None = None):
    """One panel per fitted constant: the weighted posterior, the prior and the shipped value.

    Args:
        posterior: The last population (a column per free constant and ``weight``).
        cal: The :class:`~aiscale_sim.calibration.facts.FactsCalibration`.
        simulations: Model runs the fit used (default: its budget).
    """
    from aiscale_sim.calibration.constants import CONSTANTS_BY_NAME

    panels = [{"name": c.name, "low": c.low, "high": c.high,
               "bins": np.linspace(c.low, c.high, 21), "xlabel": c.axis_label,
               "label": c.label, "shipped": c.default}
              for c in (CONSTANTS_BY_NAME[n] for n in cal.free)]
    fig = _marginals(posterior, panels, "prior (uniform over its range)")
    fig.suptitle(f"The model's constants fitted to {len(cal.patterns)} stylized-fact "
                 f"patterns by ABC-SMC ({simulations or cal.budget:,} simulations, seed "
                 f"{cal.seed})", fontsize=11)
    return fig


def facts_check_figure(check: pd.DataFrame, seeds: int):
    """Every expressed pattern with the shipped and the calibrated constants, on its band.

    Args:
        check: One row per pattern (the ``check.csv`` of a facts calibration).
        seeds: Seeds per scenario of the two validations.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from aiscale_sim.evidence.patterns import PATTERNS_BY_ID
    from aiscale_sim.evidence.plots import (
        BAND,
        BAND_EDGE,
        COLOURS,
        _fmt,
        _limits,
        _scale,
        style_row,
    )

    n = len(check)
    fig = plt.figure(figsize=(13.5, 0.5 * n + 2.0))
    top = 1.0 - 1.3 / fig.get_figheight()
    bottom = 0.45 / fig.get_figheight()
    gs = fig.add_gridspec(n, 1, left=0.33, right=0.78, top=top, bottom=bottom, hspace=0.9)
    for i, r in enumerate(check.itertuples()):
        p = PATTERNS_BY_ID[r.id]
        ax = fig.add_subplot(gs[i, 0])
        ax.text(-0.02, 0.5, f"{r.id}  ({r.role})\n{p.output}", transform=ax.transAxes,
                ha="right", va="center", fontsize=7.5, linespacing=1.1,
                color="#000000" if r.role == "fitted" else "#555555")
        k = _scale(p.unit)
        lo, hi = p.low * k, p.high * k
        shipped, cal = r.shipped * k, r.calibrated * k
        ilo, ihi = r.calibrated_low * k, r.calibrated_high * k
        xmin, xmax = _limits(lo, hi, [shipped, cal, ilo, ihi])
        if p.unit == "share":
            xmin, xmax = max(xmin, -3.0), min(xmax, 103.0)
        ax.axvspan(lo if math.isfinite(lo) else xmin, hi if math.isfinite(hi) else xmax,
                   color=BAND, ec=BAND_EDGE, lw=0.8)
        if math.isfinite(ilo) and math.isfinite(ihi) and p.how != "constant":
            ax.plot([ilo, ihi], [-0.3, -0.3], color="#222222", lw=2.0, solid_capstyle="butt")
        if math.isfinite(shipped):
            ax.plot([shipped], [0.35], "o", mfc="white", mec=COLOURS.get(r.shipped_verdict),
                    mew=1.6, ms=7, zorder=3)
        if math.isfinite(cal):
            ax.plot([cal], [-0.3], "o", color=COLOURS.get(r.calibrated_verdict), ms=7,
                    zorder=3)
        style_row(ax, xmin, xmax, p.unit)
        ax.text(1.03, 0.5, f"shipped {_fmt(shipped, p.unit)} ({r.shipped_verdict})\n"
                f"calibrated {_fmt(cal, p.unit)} ({r.calibrated_verdict})",
                transform=ax.transAxes, ha="left", va="center", fontsize=7.5,
                color=COLOURS.get(r.calibrated_verdict, "#333333"))
    fitted = int((check.role == "fitted").sum())
    fig.suptitle("Stylized facts with the shipped and the calibrated constants\n"
                 f"{fitted} patterns fitted, {n - fitted} held out; means over seeds 0-"
                 f"{seeds - 1} of each scenario", fontsize=11,
                 y=1.0 - 0.1 / fig.get_figheight(), va="top")
    handles = [Patch(facecolor=BAND, edgecolor=BAND_EDGE, label="target band"),
               Line2D([], [], marker="o", ls="", mfc="white", mec="#444444", mew=1.6,
                      label="shipped constants (mean)"),
               Line2D([], [], marker="o", ls="", color=COLOURS["met"],
                      label="calibrated: met"),
               Line2D([], [], marker="o", ls="", color=COLOURS["missed"],
                      label="calibrated: missed"),
               Line2D([], [], color="#222222", lw=2.0, label="calibrated 90% interval")]
    fig.legend(handles=handles, loc="upper center", ncol=5, frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, 1.0 - 0.65 / fig.get_figheight()))
    return fig


def save_facts_figures(result: Any) -> list[Path]:
    """Draw a facts calibration's marginals and check into its folder (added to ``written``)."""
    from aiscale_sim.calibration.facts import CHECK_PNG, MARGINALS
    from aiscale_sim.files import save_figure

    out = Path(result.path)
    cal = result.calibration
    files = [
        save_figure(facts_marginals_figure(result.posterior, cal,
                                           result.summary.get("simulations")),
                    out / MARGINALS, dpi=120, bbox_inches="tight"),
        save_figure(facts_check_figure(result.check, cal.check_seeds), out / CHECK_PNG,
                    dpi=120, bbox_inches="tight"),
    ]
    result.written.extend(files)
    return files
