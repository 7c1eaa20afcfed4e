"""Pictures of a sensitivity analysis: bars with CIs, a heatmap, indices over time, Morris.

Imported only when figures are drawn, so ``import aiscale_sim`` never imports matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aiscale_sim.files import save_figure

if TYPE_CHECKING:
    from aiscale_sim.sensitivity.analysis import SensitivityResult


def _hide_spare(axes, used: int) -> None:
    """Hide the panels of a grid beyond the first ``used``."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _colours(n: int) -> list:
    """Distinct colours for n lines (tab10, or tab20 beyond ten)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _grid(n: int):
    cols = min(3, max(n, 1))
    rows = int(np.ceil(max(n, 1) / cols))
    return rows, cols


def bars_figure(res: SensitivityResult):
    """One panel per output: the indices of every parameter with 95% CIs."""
    plt = _pyplot()
    outputs = list(dict.fromkeys(res.indices["output"]))
    rows, cols = _grid(len(outputs))
    nparam = len(res.problem.factor_names)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 0.35 * nparam * rows + 2.2 * rows),
                             constrained_layout=True, squeeze=False)
    idxs = ("S1", "ST") if res.method == "sobol" else (res.main_index,)
    for ax, out in zip(axes.flat, outputs, strict=False):
        d = res.ranking(out).iloc[::-1]
        y = np.arange(len(d))
        h = 0.8 / len(idxs)
        for k, idx in enumerate(idxs):
            conf = d.get(f"{idx}_conf")
            ax.barh(y + (k - (len(idxs) - 1) / 2) * h, d[idx], height=h, label=idx,
                    xerr=None if conf is None else conf.fillna(0), capsize=2)
        ax.set_yticks(y, d["parameter"], fontsize=8)
        ax.set_title(out, fontsize=10)
        ax.axvline(0, color="grey", lw=0.6)
        if len(idxs) > 1:
            ax.legend(frameon=False, fontsize=8)
    _hide_spare(axes, len(outputs))
    fig.suptitle(f"{res.method} indices with 95% CIs (N={res.n}, {res.replicates} replicate(s))")
    return fig


def heatmap_figure(res: SensitivityResult):
    """Parameters x outputs, coloured by the main index (Morris: mu_star / max per output)."""
    plt = _pyplot()
    idx = res.main_index
    tab = res.indices.pivot(index="parameter", columns="output", values=idx)
    tab = tab.reindex(index=res.problem.factor_names)
    tab = tab[list(dict.fromkeys(res.indices["output"]))]
    label = idx
    if res.method == "morris":
        tab = tab / tab.abs().max(axis=0).replace(0, np.nan)
        label = "mu_star / largest mu_star of the output"
    fig, ax = plt.subplots(figsize=(1.3 * tab.shape[1] + 3.5, 0.38 * tab.shape[0] + 2),
                           constrained_layout=True)
    im = ax.imshow(tab.to_numpy(dtype=float), cmap="viridis", aspect="auto", vmin=0)
    ax.set_xticks(range(tab.shape[1]), tab.columns, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(tab.shape[0]), tab.index, fontsize=8)
    for (i, j), v in np.ndenumerate(tab.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if v < 0.6 * np.nanmax(tab.to_numpy(dtype=float)) else "black")
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(f"{res.method}: which lever drives which outcome")
    return fig


def time_figure(res: SensitivityResult):
    """Indices of the adoption share, week by week, one line per parameter."""
    plt = _pyplot()
    t = res.time_indices
    idxs = ("S1", "ST") if res.method == "sobol" else (res.main_index,)
    fig, axes = plt.subplots(1, len(idxs), figsize=(6.5 * len(idxs), 4.4),
                             constrained_layout=True, squeeze=False)
    names = list(dict.fromkeys(t["parameter"]))
    colours = dict(zip(names, _colours(len(names)), strict=True))
    for ax, idx in zip(axes.flat, idxs, strict=True):
        for name, d in t.groupby("parameter", sort=False):
            line, = ax.plot(d["week"], d[idx], marker="o", ms=3, label=name,
                            color=colours[name])
            conf = d.get(f"{idx}_conf")
            if conf is not None and len(names) <= 6:  # bands for many lines hide the lines
                ax.fill_between(d["week"], d[idx] - conf, d[idx] + conf, alpha=0.15,
                                color=line.get_color())
        ax.set(title=f"{idx} of adoption share over time", xlabel="week", ylabel=idx)
    axes.flat[-1].legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    return fig


def morris_figure(res: SensitivityResult):
    """Morris mu_star against sigma for each output (above the diagonal: interactions)."""
    plt = _pyplot()
    outputs = list(dict.fromkeys(res.indices["output"]))
    rows, cols = _grid(len(outputs))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.2 * rows),
                             constrained_layout=True, squeeze=False)
    for ax, out in zip(axes.flat, outputs, strict=False):
        d = res.indices[res.indices["output"] == out]
        ax.errorbar(d["mu_star"], d["sigma"], xerr=d["mu_star_conf"], fmt="o", ms=4,
                    capsize=2)
        top = float(np.nanmax([d["mu_star"].max(), d["sigma"].max(), 1e-12]))
        ax.plot([0, top], [0, top], color="grey", ls=":", lw=1)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        placed: list[tuple[float, float, float]] = []  # x, y, label width (axes fractions)
        for r in d.nlargest(5, "mu_star").sort_values("sigma", ascending=False).itertuples():
            x, y = (r.mu_star - x0) / (x1 - x0), (r.sigma - y0) / (y1 - y0)
            w = 0.017 * len(r.parameter)
            # A label that would run into another labelled point or label goes below its point.
            crowded = any(abs(y - py) < 0.07 and (px <= x <= px + pw or x <= px <= x + w)
                          for px, py, pw in placed)
            placed.append((x, y, w))
            ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=7,
                        xytext=(3, -10 if crowded else 3), textcoords="offset points")
        ax.set(title=out, xlabel="mu_star", ylabel="sigma")
    _hide_spare(axes, len(outputs))
    fig.suptitle(f"Morris screening ({res.n} trajectories)")
    return fig


def convergence_figure(res: SensitivityResult):
    """The main index of every parameter as the sample grows, with CIs."""
    plt = _pyplot()
    c = res.convergence[res.convergence["index"] == res.main_index]
    outputs = list(dict.fromkeys(c["output"]))
    rows, cols = _grid(len(outputs))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.8 * rows),
                             constrained_layout=True, squeeze=False)
    names = list(dict.fromkeys(c["parameter"]))
    colours = dict(zip(names, _colours(len(names)), strict=True))
    for ax, out in zip(axes.flat, outputs, strict=False):
        for name, d in c[c["output"] == out].groupby("parameter", sort=False):
            line, = ax.plot(d["n"], d["value"], marker="o", ms=3, label=name,
                            color=colours[name])
            if d["conf"].notna().any() and len(names) <= 6:
                ax.fill_between(d["n"], d["value"] - d["conf"], d["value"] + d["conf"],
                                alpha=0.12, color=line.get_color())
        sizes = sorted(c["n"].unique())
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(int(x)) for x in sizes])
        ax.minorticks_off()
        xlabel = "trajectories" if res.method == "morris" else "base sample N"
        ax.set(title=out, xlabel=xlabel, ylabel=res.main_index)
    _hide_spare(axes, len(outputs))
    if outputs:
        axes.flat[0].legend(frameon=False, fontsize=6)
    fig.suptitle("Convergence: indices on growing sub-samples")
    return fig


def save_figures(res: SensitivityResult, folder: str | Path) -> list[Path]:
    """Draw every figure that applies to ``res`` into ``folder``."""
    plt = _pyplot()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    todo = []
    if len(res.indices):
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
