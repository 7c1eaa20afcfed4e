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


def marginals_figure(posterior: pd.DataFrame, cal: Any):
    """One panel per free lever: the weighted posterior against the uniform prior.

    Args:
        posterior: The last population (a column per free lever and ``weight``).
        cal: The :class:`~aiscale_sim.calibration.abc.Calibration` (its ``free`` levers,
            their ``priors`` and the organisation ``org``).
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows, cols = _grid(len(cal.free))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.4 * rows + 0.9),
                             squeeze=False, constrained_layout=True)
    w = posterior["weight"].to_numpy(dtype=float)
    for ax, name in zip(axes.flat, cal.free, strict=False):
        lo, hi = cal.priors[name]
        x = posterior[name].to_numpy(dtype=float)
        bins = np.linspace(x.min(), x.max(), 13) if x.max() > x.min() else 1
        ax.hist(x, bins=bins, weights=w, density=True, color=POSTERIOR_COLOUR, alpha=0.75)
        ax.axhline(1.0 / (hi - lo), color=PRIOR_COLOUR, ls="--", lw=1.4)
        q05, q95 = _weighted_quantiles(x, w, (0.05, 0.95))
        mean = float(np.sum(x * w) / w.sum())
        ax.axvspan(q05, q95, color=POSTERIOR_COLOUR, alpha=0.12, lw=0)
        ax.axvline(mean, color="black", lw=1.6)
        ax.set_xlim(lo, hi)
        ax.set_xlabel(lever_label(name, unit=True))
        ax.set_ylabel("density")
        ax.set_title(f"{lever_label(name)}: {mean:.3g} (90%: {q05:.3g} to {q95:.3g})",
                     fontsize=10)
    for ax in list(axes.flat)[len(cal.free):]:
        ax.set_visible(False)
    handles = [Patch(color=POSTERIOR_COLOUR, alpha=0.75, label="posterior (last population)"),
               Patch(color=POSTERIOR_COLOUR, alpha=0.12, label="90% interval"),
               Line2D([], [], color="black", lw=1.6, label="posterior mean"),
               Line2D([], [], color=PRIOR_COLOUR, ls="--", lw=1.4,
                      label="prior (uniform over the lever's range)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False,
               fontsize=9)
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
