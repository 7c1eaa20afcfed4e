"""Figures a person reads: lever labels, units, heatmaps, index.html, skipped panels."""

import math
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from aiscale_sim.labels import OUTCOMES, format_value, in_sentence, lever_label, outcome_label
from aiscale_sim.levers import LEVERS, LEVERS_BY_NAME

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "experiments" / "ishigami_problem.toml"
TINY = {"employees": 300, "business_units": 3}


def _pngs_named_in_index(folder: Path) -> tuple[list[str], str]:
    page = (folder / "index.html").read_text()
    pngs = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png"))
    return pngs, page


def test_every_lever_has_a_readable_label_and_its_unit():
    for lv in LEVERS:
        assert lv.label and "_" not in lv.label, lv.name
        if lv.kind in ("float", "int") and lv.unit not in lv.label.lower():
            assert lv.axis_label == f"{lv.label} ({lv.unit})"
    assert LEVERS_BY_NAME["business_units"].axis_label == "Business units"
    assert LEVERS_BY_NAME["centralisation"].axis_label == (
        "Centralisation (share of AI staff in the CoE)")
    assert lever_label("centralisation") == "Centralisation"
    assert lever_label("x1") == "x1"  # not a lever: shown as it is


def test_outcomes_are_labelled_with_units():
    assert outcome_label("cumulative_value") == "Value realised ($M)"
    assert outcome_label("cumulative_value", unit=False) == "Value realised"
    assert OUTCOMES["roi"].kind == "share" and OUTCOMES["adoption_share"].kind == "share"
    assert format_value("roi", -0.25) == "-25%"
    assert format_value("cumulative_cost", 12.34) == "$12.3M"
    assert format_value("roi", math.nan) == "n/a"
    assert in_sentence("Training") == "training" and in_sentence("AI staff") == "AI staff"


def _fake_sweep() -> pd.DataFrame:
    rows = []
    for t in (0.0, 10.0, 20.0):
        for c in (0.0, 0.5, 1.0):
            for seed in range(3):
                rows.append({"training_hours": t, "centralisation": c, "seed": seed,
                             "roi": -0.5 + 0.02 * t + 0.3 * c + 0.01 * seed,
                             "cumulative_value": 1.0 + t / 10 + c,
                             "pilot_to_production_rate": np.nan if c == 0.0 else 0.4})
    return pd.DataFrame(rows)


def test_sweep_axis_labels_come_from_the_lever_table():
    import matplotlib.pyplot as plt

    from aiscale_sim.sweep import heatmap_figure, line_figure

    s = _fake_sweep()
    fig = line_figure(s, "training_hours", "roi", group="centralisation")
    ax = fig.axes[0]
    assert ax.get_xlabel() == LEVERS_BY_NAME["training_hours"].axis_label
    assert ax.get_ylabel() == "ROI (%)"
    legend = ax.get_legend()
    assert legend.get_title().get_text() == LEVERS_BY_NAME["centralisation"].axis_label
    # The legend sits outside the data: its box starts right of the axes.
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1
    # ROI is in percent on the axis.
    assert any(t.get_text().endswith("%") for t in ax.get_yticklabels())
    # Lines are told apart by colour.
    colours = {line.get_color() for line in ax.get_lines()}
    assert len(colours) == 3
    plt.close(fig)

    fig = heatmap_figure(s, "centralisation", "training_hours", "cumulative_value")
    ax = fig.axes[0]
    assert ax.get_xlabel() == LEVERS_BY_NAME["centralisation"].axis_label
    assert ax.get_ylabel() == LEVERS_BY_NAME["training_hours"].axis_label
    cells = [t.get_text() for t in ax.texts]
    assert len(cells) == 9 and all(c.startswith("$") and c.endswith("M") for c in cells)
    plt.close(fig)

    fig = heatmap_figure(s, "centralisation", "training_hours", "pilot_to_production_rate")
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert cells.count("n/a") == 3 and "undefined" in fig.axes[0].get_title()
    plt.close(fig)


@pytest.mark.slow
def test_two_lever_sweep_writes_heatmaps_and_an_index(tmp_path):
    from aiscale_sim.cli import main
    from aiscale_sim.sweep import KEY_OUTCOMES

    f = tmp_path / "grid.toml"
    f.write_text('name = "grid"\ndescription = "Does training pay off more in a CoE?"\n'
                 'scenario = "baseline"\nseeds = 1\nmaster_seed = 7\nsteps = 20\n'
                 "[set]\nemployees = 300\nbusiness_units = 3\n"
                 "[levers]\ntraining_hours = [0.0, 20.0]\ncentralisation = [0.0, 1.0]\n")
    out = tmp_path / "out"
    assert main(["sweep", str(f), "--executor", "serial", "--out", str(out), "--quiet"]) == 0
    for col, _ in KEY_OUTCOMES:
        assert (out / f"heatmap_{col}.png").read_bytes()[:4] == b"\x89PNG"
    pngs, page = _pngs_named_in_index(out)
    assert len(pngs) == 3 * len(KEY_OUTCOMES)
    for png in pngs:
        assert f'src="{png}"' in page, png
    assert page.count("<figcaption>") == len(pngs)
    assert "Does training pay off more in a CoE?" in page
    assert "Training (hours per employee per year): 0, 20" in page
    assert re.search(r"master seed</th><td>7<", page)
    assert "aiscale-sim version" in page and not list(out.glob(".index.html.*"))


def test_a_skipped_outcome_is_an_empty_panel_with_its_reason(tmp_path):
    import matplotlib.pyplot as plt

    from aiscale_sim.sensitivity import FunctionEvaluator, function_problem, run_sensitivity
    from aiscale_sim.sensitivity.plots import bars_figure, heatmap_figure, save_analysis

    def two_outputs(x1, x2, x3, x4):
        return {"fine": x1 + 2 * x2, "y": math.nan if x1 > 2.5 else x1}

    res = run_sensitivity(function_problem(PROBLEM), FunctionEvaluator(two_outputs),
                          method="sobol", n=32, seed=1)
    assert set(res.skipped) == {"y"} and set(res.indices["output"]) == {"fine"}
    fig = bars_figure(res)
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
    assert set(panels) == {"fine", "y: not analysed"}
    empty = panels["y: not analysed"]
    assert not empty.patches  # no bars
    shown = " ".join(t.get_text() for t in empty.texts).replace("\n", " ")
    assert res.skipped["y"][:40] in shown
    plt.close(fig)
    fig = heatmap_figure(res)
    assert any("not analysed" in t.get_text() for t in fig.axes[0].get_xticklabels())
    plt.close(fig)

    written = save_analysis(res, tmp_path / "sa")
    assert tmp_path / "sa" / "index.html" in written
    pngs, page = _pngs_named_in_index(tmp_path / "sa")
    assert pngs and all(f'src="{p}"' in page for p in pngs)
    assert "Not analysed: y:" in page


def test_model_sensitivity_figures_use_lever_labels(tmp_path):
    import matplotlib.pyplot as plt

    from aiscale_sim.sensitivity import ModelEvaluator, lever_problem, run_sensitivity
    from aiscale_sim.sensitivity.plots import bars_figure, time_figure

    problem = lever_problem("pilot_launch_rate,training_hours")
    ev = ModelEvaluator(overrides=TINY, steps=20, every=10, out_dir=tmp_path / "exp",
                        executor="serial")
    res = run_sensitivity(problem, ev, method="sobol", n=4, seed=1)
    assert "pilot_to_production_rate" in res.skipped and len(res.indices)
    fig = bars_figure(res)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert "Pilot-to-production rate (%): not analysed" in titles
    ticks = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert {"Pilot launch rate", "Training"} <= ticks
    plt.close(fig)
    fig = time_figure(res)
    labels = fig.axes[-1].get_legend_handles_labels()[1]
    assert set(labels) == {"Pilot launch rate", "Training"}
    plt.close(fig)


def test_many_lines_differ_in_colour_or_style():
    from aiscale_sim.labels import palette

    styles = palette(21)
    assert len(set(styles)) == 21


def test_overview_stall_legend_shows_the_bar_colours():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    from aiscale_sim import simulate
    from aiscale_sim.plots import REASON_COLOURS, overview_figure

    fig = overview_figure(simulate(overrides=TINY, seed=1, steps=30))
    ax = fig.axes[2]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "entered purgatory", "abandoned", "stuck at the end"]
    fig.canvas.draw()
    # Each legend swatch is drawn with every reason's colour, as the bars are.
    swatch_colours = {to_rgb(p.get_facecolor()) for p in legend.findobj(
        matplotlib.patches.Rectangle) if p.get_width() < 40 and p.get_facecolor()[3] > 0}
    for colour in REASON_COLOURS.values():
        assert to_rgb(colour) in swatch_colours
    plt.close(fig)


def test_compare_folder_gets_an_index(tmp_path):
    from aiscale_sim.report import compare_with_report

    out = tmp_path / "cmp"
    compare_with_report(["baseline", ROOT / "scenarios" / "coe.toml"], out, n_seeds=2, steps=20,
                        executor="serial", progress=False)
    pngs, page = _pngs_named_in_index(out)
    assert set(pngs) == {"adoption.png", "funnel.png", "distributions.png"}
    assert all(f'src="{p}"' in page for p in pngs)
    assert "baseline is the reference" in page and "report.html" in page
