"""Pictures of a sensitivity analysis: bars with CIs, a heatmap, indices over time, Morris.

Imported only when figures are drawn, so ``import aiscale_sim`` never imports matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from aiscale_sim.files import save_figure
from aiscale_sim.index_page import write_index
from aiscale_sim.labels import in_sentence, lever_label, outcome_label, palette
from aiscale_sim.sensitivity.problem import Problem


class Analysis(Protocol):
    """What the figures read from an analysis.

    That is, from a :class:`~aiscale_sim.sensitivity.analysis.SensitivityResult`, described
    here rather than imported, so that the figures depend on the analysis's data and not on
    its module.
    """

    method: str
    problem: Problem
    n: int
    replicates: int
    seed: int
    indices: pd.DataFrame
    time_indices: pd.DataFrame
    convergence: pd.DataFrame
    skipped: dict[str, str]
    settings: dict[str, Any]

    @property
    def main_index(self) -> str:
        """The index the method ranks by."""

    def ranking(self, output: str) -> pd.DataFrame:
        """Factors ranked by the main index for one output."""

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write the analysis's tables; return their paths."""


def _outputs(res: Analysis) -> list[str]:
    """Analysed outputs, then skipped ones, each once (skipped ones get an empty panel)."""
    return list(dict.fromkeys([*res.indices["output"], *res.skipped]))


def _skipped_panel(ax, out: str, reason: str) -> None:
    """An empty panel that says which output was not analysed, and why."""
    import textwrap

    ax.set_title(f"{outcome_label(out)}: not analysed", fontsize=10, color="#B00020")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color("#B00020")
        side.set_linestyle("--")
    ax.set_facecolor("#FBF3F4")
    ax.text(0.5, 0.5, "\n".join(textwrap.wrap(reason, 44)), ha="center", va="center",
            fontsize=8, color="#444", transform=ax.transAxes)


def _hide_spare(axes, used: int) -> None:
    """Hide the panels of a grid beyond the first ``used``."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt




def _grid(n: int):
    cols = min(3, max(n, 1))
    rows = int(np.ceil(max(n, 1) / cols))
    return rows, cols


def bars_figure(res: Analysis):
    """One panel per output: the indices of every parameter with 95% CIs."""
    plt = _pyplot()
    outputs = _outputs(res)
    rows, cols = _grid(len(outputs))
    nparam = len(res.problem.factor_names)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 0.35 * nparam * rows + 2.2 * rows),
                             constrained_layout=True, squeeze=False)
    idxs = ("S1", "ST") if res.method == "sobol" else (res.main_index,)
    for ax, out in zip(axes.flat, outputs, strict=False):
        if out in res.skipped:
            _skipped_panel(ax, out, res.skipped[out])
            continue
        d = res.ranking(out).iloc[::-1]
        y = np.arange(len(d))
        h = 0.8 / len(idxs)
        for k, idx in enumerate(idxs):
            conf = d.get(f"{idx}_conf")
            ax.barh(y + (k - (len(idxs) - 1) / 2) * h, d[idx], height=h, label=idx,
                    xerr=None if conf is None else conf.fillna(0), capsize=2)
        ax.set_yticks(y, [lever_label(p) for p in d["parameter"]], fontsize=8)
        ax.set_title(outcome_label(out), fontsize=10)
        ax.set_xlabel(res.main_index if len(idxs) == 1 else "index")
        ax.axvline(0, color="grey", lw=0.6)
    _hide_spare(axes, len(outputs))
    drawn = [ax for ax in axes.flat if ax.get_legend_handles_labels()[0]]
    if len(idxs) > 1 and drawn:
        handles, labels = drawn[0].get_legend_handles_labels()
        names = {"S1": "first order (S1)", "ST": "total (ST)"}
        fig.legend(handles, [names.get(x, x) for x in labels], loc="outside lower center",
                   ncol=2, frameon=False, fontsize=9)
    fig.suptitle(f"{res.method} indices with 95% CIs (N={res.n}, {res.replicates} replicate(s))")
    return fig


def heatmap_figure(res: Analysis):
    """Parameters x outputs, coloured by the main index (Morris: mu_star / max per output)."""
    plt = _pyplot()
    idx = res.main_index
    tab = res.indices.pivot(index="parameter", columns="output", values=idx)
    tab = tab.reindex(index=res.problem.factor_names)
    tab = tab[list(dict.fromkeys(res.indices["output"]))]
    for out in res.skipped:
        tab[out] = np.nan
    label = idx
    if res.method == "morris":
        tab = tab / tab.abs().max(axis=0).replace(0, np.nan)
        label = "mu_star / largest mu_star of the output"
    fig, ax = plt.subplots(figsize=(1.3 * tab.shape[1] + 3.5, 0.38 * tab.shape[0] + 2),
                           constrained_layout=True)
    im = ax.imshow(tab.to_numpy(dtype=float), cmap="viridis", aspect="auto", vmin=0)
    ax.set_xticks(range(tab.shape[1]),
                  [outcome_label(c) + (" (not analysed)" if c in res.skipped else "")
                   for c in tab.columns], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(tab.shape[0]), [lever_label(p) for p in tab.index], fontsize=8)
    values = tab.to_numpy(dtype=float)
    top = np.nanmax(values) if np.isfinite(values).any() else 1.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if v < 0.6 * top else "black")
        elif tab.columns[j] in res.skipped:
            ax.text(j, i, "-", ha="center", va="center", fontsize=7, color="#B00020")
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(f"{res.method}: which lever drives which outcome")
    if res.skipped:
        import textwrap

        note = "not analysed: " + "; ".join(
            f"{outcome_label(o)} ({r.split(';')[0]})" for o, r in res.skipped.items())
        ax.set_xlabel("\n".join(textwrap.wrap(note, 110)), fontsize=7, color="#B00020")
    return fig


def time_figure(res: Analysis):
    """Indices of the adoption share, week by week, one line per parameter.

    Lines are told apart by colour and line style (eight colours, then dashed, ...); the
    legend sits outside the data, ordered by each parameter's largest index.
    """
    plt = _pyplot()
    t = res.time_indices
    idxs = ("S1", "ST") if res.method == "sobol" else (res.main_index,)
    names = list(t.groupby("parameter", sort=False)[idxs[-1]].max()
                 .sort_values(ascending=False, kind="stable").index)
    fig, axes = plt.subplots(1, len(idxs), figsize=(5.6 * len(idxs) + 2.6, 4.6),
                             constrained_layout=True, squeeze=False)
    styles = dict(zip(names, palette(len(names)), strict=True))
    for ax, idx in zip(axes.flat, idxs, strict=True):
        for name in names:
            d = t[t["parameter"] == name]
            colour, ls = styles[name]
            ax.plot(d["week"], d[idx], marker="o", ms=2.5, lw=1.6, ls=ls, label=lever_label(name),
                    color=colour)
            conf = d.get(f"{idx}_conf")
            if conf is not None and len(names) <= 6:  # bands for many lines hide the lines
                ax.fill_between(d["week"], d[idx] - conf, d[idx] + conf, alpha=0.15,
                                color=colour, lw=0)
        ax.set(title=f"{idx}: how strongly each lever drives adoption, week by week",
               xlabel="week", ylabel=idx)
        ax.grid(alpha=0.3)
    axes.flat[-1].legend(frameon=False, fontsize=7.5, loc="upper left",
                         bbox_to_anchor=(1.02, 1.0), title="lever (largest first)",
                         title_fontsize=8)
    return fig


def morris_figure(res: Analysis):
    """Morris mu_star against sigma for each output (above the diagonal: interactions)."""
    plt = _pyplot()
    outputs = _outputs(res)
    rows, cols = _grid(len(outputs))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.2 * rows),
                             constrained_layout=True, squeeze=False)
    for ax, out in zip(axes.flat, outputs, strict=False):
        if out in res.skipped:
            _skipped_panel(ax, out, res.skipped[out])
            continue
        d = res.indices[res.indices["output"] == out]
        ax.errorbar(d["mu_star"], d["sigma"], xerr=d["mu_star_conf"], fmt="o", ms=4,
                    capsize=2)
        top = float(np.nanmax([d["mu_star"].max(), d["sigma"].max(), 1e-12]))
        ax.plot([0, top], [0, top], color="grey", ls=":", lw=1)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        placed: list[tuple[float, float, float]] = []  # x, y, label width (axes fractions)
        for r in d.nlargest(5, "mu_star").sort_values("sigma", ascending=False).itertuples():
            x, y = (r.mu_star - x0) / (x1 - x0), (r.sigma - y0) / (y1 - y0)
            text = lever_label(r.parameter)
            w = 0.017 * len(text)
            # A label that would run into another labelled point or label goes below its point.
            crowded = any(abs(y - py) < 0.07 and (px <= x <= px + pw or x <= px <= x + w)
                          for px, py, pw in placed)
            placed.append((x, y, w))
            ax.annotate(text, (r.mu_star, r.sigma), fontsize=7,
                        xytext=(3, -10 if crowded else 3), textcoords="offset points")
        ax.set(title=outcome_label(out), xlabel="mu_star (mean absolute effect)",
               ylabel="sigma (spread of effects)")
    _hide_spare(axes, len(outputs))
    fig.suptitle(f"Morris screening ({res.n} trajectories)")
    return fig


def convergence_figure(res: Analysis):
    """The main index of every parameter as the sample grows, with CIs."""
    plt = _pyplot()
    c = res.convergence[res.convergence["index"] == res.main_index]
    outputs = list(dict.fromkeys([*c["output"], *res.skipped]))
    rows, cols = _grid(len(outputs))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.8 * rows),
                             constrained_layout=True, squeeze=False)
    names = list(dict.fromkeys(c["parameter"]))
    styles = dict(zip(names, palette(len(names)), strict=True))
    for ax, out in zip(axes.flat, outputs, strict=False):
        if out in res.skipped:
            _skipped_panel(ax, out, res.skipped[out])
            continue
        for name, d in c[c["output"] == out].groupby("parameter", sort=False):
            colour, ls = styles[name]
            ax.plot(d["n"], d["value"], marker="o", ms=3, ls=ls, label=lever_label(name),
                    color=colour)
            if d["conf"].notna().any() and len(names) <= 6:
                ax.fill_between(d["n"], d["value"] - d["conf"], d["value"] + d["conf"],
                                alpha=0.12, color=colour, lw=0)
        sizes = sorted(c["n"].unique())
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(int(x)) for x in sizes])
        ax.minorticks_off()
        xlabel = "trajectories" if res.method == "morris" else "base sample N"
        ax.set(title=outcome_label(out), xlabel=xlabel, ylabel=res.main_index)
    _hide_spare(axes, len(outputs))
    drawn = [ax for ax in axes.flat if ax.get_legend_handles_labels()[0]]
    if drawn:
        handles, labels = drawn[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", frameon=False, fontsize=7)
    fig.suptitle("Convergence: indices on growing sub-samples")
    return fig


CAPTIONS = {
    "indices_bars.png": "Sensitivity indices of every lever for each outcome, with 95% "
                        "confidence intervals; an outcome that could not be analysed is an "
                        "empty panel that gives the reason.",
    "heatmap.png": "Which lever drives which outcome: the main index of each lever (rows) for "
                   "each outcome (columns).",
    "morris_mu_star_sigma.png": "Morris screening: mean absolute effect (mu_star) against "
                                "the spread of effects (sigma); points above the diagonal act "
                                "through interactions or non-linearity.",
    "time_resolved.png": "How strongly each lever drives the adoption share, week by week.",
    "convergence.png": "Convergence: the main index of each lever on growing sub-samples; "
                       "flat lines mean the sample was large enough.",
}


def save_figures(res: Analysis, folder: str | Path) -> list[Path]:
    """Draw every figure that applies to ``res`` into ``folder``."""
    plt = _pyplot()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    todo = []
    if len(res.indices) or res.skipped:
        todo += [("indices_bars.png", bars_figure), ("heatmap.png", heatmap_figure)]
        if res.method == "morris":
            todo.append(("morris_mu_star_sigma.png", morris_figure))
    if len(res.time_indices) and pd.notna(res.time_indices[res.main_index]).any():
        todo.append(("time_resolved.png", time_figure))
    if len(res.convergence):
        todo.append(("convergence.png", convergence_figure))
    written = []
    for name, draw in todo:
        fig = draw(res)
        save_figure(fig, folder / name, dpi=110)
        plt.close(fig)
        written.append(folder / name)
    return written


def write_sensitivity_index(res: Analysis, folder: str | Path,
                            figures: list[Path]) -> Path:
    """Write ``index.html`` in the analysis folder: question, design, every figure captioned.

    Args:
        res: The analysis.
        folder: The analysis folder (figures live in its ``figures/``).
        figures: The figure files written by :func:`save_figures`.

    Returns:
        Path of ``index.html``.
    """
    from aiscale_sim.version import __version__

    folder = Path(folder)
    outputs = _outputs(res)
    factors = res.problem.factor_names
    st = res.settings
    what = ", ".join(in_sentence(outcome_label(o, unit=False)) for o in outputs)
    question = (f"Which of {len(factors)} levers drive {what or 'the outcomes'}, and how much "
                f"of each outcome's variance do they explain ({res.method})?")
    design = [
        ("method", f"{res.method} (main index {res.main_index})"),
        ("levers varied", "; ".join(lever_label(p, unit=True) for p in factors)),
        ("sample", f"N = {res.n}, {len(res.X)} points, {res.replicates} replicate(s) each"),
        ("outcomes", ", ".join(outcome_label(o) for o in outputs)),
    ]
    if st.get("function"):
        design.append(("function", str(st["function"])))
    else:
        design += [("base scenario", str(st.get("scenario") or "baseline")),
                   ("weeks per run", str(st.get("steps") or "default"))]
    design += [("seed", str(res.seed)), ("aiscale-sim version", __version__)]
    notes = [f"Not analysed: {outcome_label(o)}: {r}" for o, r in res.skipped.items()]
    figs = [(p, CAPTIONS.get(Path(p).name, Path(p).stem.replace("_", " "))) for p in figures]
    return write_index(folder, title=f"Sensitivity analysis ({res.method})", question=question,
                       design=design, figures=figs, notes=notes)


def save_analysis(res: Analysis, out_dir: str | Path, plots: bool = True) -> list[Path]:
    """Write an analysis's tables and, with ``plots``, its figures and ``index.html``.

    The tables are the analysis's own (:meth:`SensitivityResult.save`); the figures go in
    ``figures/`` and ``index.html`` shows the question, the design and every figure, captioned.
    """
    out = Path(out_dir)
    written = res.save(out)
    if plots:
        figures = save_figures(res, out / "figures")
        written.extend(figures)
        written.append(write_sensitivity_index(res, out, figures))
    return written
