"""Pictures of a run: the adoption S-curve, the pilot funnel over time, and why pilots stall.

Plotting is kept out of the model: importing :mod:`aiscale_sim` does not import matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from aiscale_sim.files import atomic_write
from aiscale_sim.labels import format_axis


class RunResult(Protocol):
    """What the overview reads from a run (a :class:`~aiscale_sim.simulate.SimulationResult`).

    Described here rather than imported, so that the figures depend on the run's data and not
    on the model's module.
    """

    summary: dict[str, Any]
    timeseries: Any  # pandas.DataFrame: one row per week

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write the run's data files; return their paths."""

    @property
    def outcomes(self) -> dict[str, Any]:
        """The end-of-run outcomes."""

FUNNEL = (("pilots_active", "pilots being built", "#4C72B0"),
          ("pilots_in_purgatory", "in purgatory", "#DD8452"),
          ("use_cases_in_production", "in production", "#55A868"),
          ("use_cases_scaled", "scaled to other units", "#8172B3"))
REASON_COLOURS = {"technical": "#8c8c8c", "infrastructure": "#C44E52",
                  "commitment": "#DD8452", "governance": "#937860"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def overview_figure(result: RunResult):
    """Three panels: adoption over time, the pilot funnel over time, purgatory reasons."""
    plt = _pyplot()
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.patches import Patch

    ts = result.timeseries
    out = result.outcomes
    years = ts["week"] / 52.0
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.2), constrained_layout=True)

    ax = axes[0]
    ax.plot(years, ts["adoption_share"], color="black", lw=2.2, label="all employees")
    ax.plot(years, ts["adoption_managers"], color="#4C72B0", lw=1.4, label="managers")
    ax.plot(years, ts["adoption_frontline"], color="#DD8452", lw=1.4, label="frontline")
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    ax.set(title="Employees using AI regularly", xlabel="years",
           ylabel="share of employees (%)", ylim=(0, 1))
    format_axis(ax, "adoption_share")

    ax = axes[1]
    for col, label, colour in FUNNEL:
        ax.step(years, ts[col], where="post", label=label, color=colour, lw=1.8)
    ax.set(title=f"Pilot funnel ({out['pilots_launched']} pilots launched)", xlabel="years",
           ylabel="use cases")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)

    ax = axes[2]
    reasons = ["technical", "infrastructure", "commitment", "governance"]
    groups = (
        ("entered purgatory", [0, *[out["purgatory_entries_by_reason"][r] for r in reasons[1:]]],
         0.35),
        ("abandoned", [out["abandoned_by_reason"][r] for r in reasons], 1.0),
        ("stuck at the end", [0, *[out["purgatory_by_reason"][r] for r in reasons[1:]]], 0.65),
    )
    height = 0.26
    handles = []
    for k, (_label, values, alpha) in enumerate(groups):
        ys = [i + (k - 1) * height for i in range(len(reasons))]
        ax.barh(ys, values, height=height, color=[REASON_COLOURS[r] for r in reasons],
                alpha=alpha, edgecolor="black", linewidth=0.4)
        # The legend swatch shows every reason's colour at this group's shade, as the bars do.
        handles.append(tuple(Patch(facecolor=REASON_COLOURS[r], alpha=alpha, edgecolor="black",
                                   linewidth=0.4) for r in reasons))
    ax.set_yticks(range(len(reasons)), reasons)
    ax.invert_yaxis()
    ax.xaxis.get_major_locator().set_params(integer=True)
    rate = out["pilot_to_production_rate"]
    rate_s = "n/a" if rate is None else f"{rate:.0%}"
    ax.set(title=f"Why pilots stall (pilot-to-production {rate_s})", xlabel="pilots")
    ax.legend(handles, [g[0] for g in groups], loc="upper center",
              bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False, fontsize=9,
              handler_map={tuple: HandlerTuple(ndivide=None, pad=0)}, handlelength=3.2)
    ax = axes[0]
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)

    fig.suptitle(f"aiscale-sim: scenario '{result.summary['scenario']}', seed "
                 f"{result.summary['seed']}, {result.summary['steps']} weeks", fontsize=11)
    return fig


def save_figure(fig, file) -> None:
    """Write ``fig`` as PNG to a path or binary file object, then close it."""
    plt = _pyplot()
    fig.savefig(file, format="png", dpi=110)
    plt.close(fig)


def save_run(result: RunResult, out_dir: str | Path, plot: bool = True) -> list[Path]:
    """Write what ``aiscale run`` writes into ``out_dir``.

    That is the run's ``summary.json`` and ``timeseries.csv`` and, with ``plot``, its
    ``overview.png``. Every file is written to a temporary name and renamed into place.
    """
    written = result.save(out_dir)
    if plot:
        fig = overview_figure(result)
        written.append(atomic_write(Path(out_dir) / "overview.png",
                                    lambda f: save_figure(fig, f)))
    return written
