"""The dashboard without a browser: controls from the lever table, layout, model, figures, page.

The page is rendered with ``solara.render``, as Mesa tests its own SolaraViz pages: buttons
are clicked and widgets read in Python. The real-browser test is test_dashboard_browser.py.
"""


import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from mesa.visualization.solara_viz import _build_model_init_kwargs

from aiscale_sim.cli import main
from aiscale_sim.dashboard import app, figures, layout
from aiscale_sim.dashboard.controls import (
    COMPANY_LEVERS,
    ENV_VAR,
    THEMES,
    DashboardSettings,
    lever_param,
    model_params,
    nice_step,
)
from aiscale_sim.dashboard.model import DashboardModel, baseline_history, budget_note
from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS, LEVERS_BY_NAME, POLICY_LEVERS
from aiscale_sim.states import Adoption

SMALL = {"employees": 300, "business_units": 3}


# --- controls ---------------------------------------------------------------------------------


def test_every_policy_lever_is_in_exactly_one_group():
    grouped = [n for _, names in THEMES for n in names]
    assert sorted(grouped) == sorted(POLICY_LEVERS)
    assert len(grouped) == len(set(grouped))
    assert set(COMPANY_LEVERS) == {lv.name for lv in LEVERS if lv.group == "structure"}


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lv: lv.name)
def test_each_control_is_made_from_the_lever_table(lever):
    p = lever_param(lever)
    assert p["label"] == lever.axis_label  # label and unit, never the raw name
    assert p["value"] == lever.default
    assert p["description"] == lever.description
    if lever.kind == "choice":
        assert p["type"] == "Select" and p["values"] == list(lever.choices)
    else:
        assert p["type"] == ("SliderInt" if lever.kind == "int" else "SliderFloat")
        assert p["min"] == lever.low and p["max"] <= lever.high
        assert 0 < p["step"] <= max((p["max"] - p["min"]) / 40, 1 if lever.kind == "int" else 0)


def test_controls_are_mesa_model_params_with_a_type():
    params = model_params({"centralisation": 0.9})
    assert params["centralisation"]["value"] == 0.9
    assert params["training_hours"]["label"] == "Training (hours per employee per year)"
    assert all("type" in p for p in params.values())


def test_nice_step_is_round():
    assert nice_step(0, 1) == pytest.approx(0.01)
    assert nice_step(0, 40) == pytest.approx(0.25)
    assert nice_step(0, 2000) == pytest.approx(20)


def test_settings_travel_through_the_environment():
    s = DashboardSettings(scenario="coe", employees=800, seed=4)
    assert DashboardSettings.from_env({ENV_VAR: s.to_env()}) == s
    assert DashboardSettings.from_env({}) == DashboardSettings()
    with pytest.raises(UserInputError, match=ENV_VAR):
        DashboardSettings.from_env({ENV_VAR: '{"size": 3}'})


# --- layout -----------------------------------------------------------------------------------


def test_radial_layout_puts_everyone_outside_their_manager_and_is_cached():
    m = DashboardModel(**SMALL)
    manager = m.org.manager
    lay = layout.org_layout(manager)
    r = np.hypot(lay.xy[:, 0], lay.xy[:, 1])
    assert (r <= 1.0 + 1e-9).all()
    sub = np.flatnonzero(manager >= 0)
    assert (r[sub] > r[manager[sub]]).all()
    assert (lay.depth[manager < 0] == 0).all()
    assert len(lay.segments) == len(sub)
    assert len(lay.root_angle) == int((manager < 0).sum())
    assert layout.org_layout(manager.copy()) is lay  # same company: no recomputation
    other = DashboardModel(**{**SMALL, "employees": 400})
    assert layout.org_layout(other.org.manager) is not lay


def test_radial_layout_refuses_a_cycle():
    with pytest.raises(ValueError, match="forest"):
        layout.radial_tree_layout(np.array([-1, 2, 1]))


# --- model ------------------------------------------------------------------------------------


def test_dashboard_model_takes_scenario_and_levers_and_stops_at_the_horizon():
    m = DashboardModel("coe", seed=3, horizon=6, **SMALL, training_hours=20.0)
    assert m.levers["centralisation"] == 1.0  # from the scenario
    assert m.levers["training_hours"] == 20.0  # from the controls
    steps = 0
    while m.running:
        m.step()
        steps += 1
    assert steps == 6 and int(m.time) == 6
    assert len(m.series("adoption_frontline_role")) == 7


def test_mesa_reset_rebuilds_the_same_run():
    # Mesa's ModelController rebuilds the model as type(model)(**kwargs) from the controls.
    m = DashboardModel(seed=5, **SMALL)
    for _ in range(10):
        m.step()
    kwargs = _build_model_init_kwargs(m, m.params, add_scenario_when_empty=True,
                                      require_model_accepts_scenario=True)
    again = type(m)(**kwargs)
    for _ in range(10):
        again.step()
    for k in ("adoption_share", "pilots_launched", "cumulative_value"):
        np.testing.assert_array_equal(again.series(k), m.series(k))


def test_baseline_ghost_is_the_baseline_run_with_the_same_seed():
    m = DashboardModel(seed=2, horizon=30, **SMALL)
    while m.running:
        m.step()
    ghost = baseline_history(m.structure(), 2, 30)
    np.testing.assert_array_equal(ghost["pilots_launched"], m.series("pilots_launched"))
    other = DashboardModel("coe", seed=2, horizon=30, **SMALL)
    while other.running:
        other.step()
    assert not np.array_equal(other.series("cumulative_cost"), ghost["cumulative_cost"])


def test_budget_scenario_is_on_budget_where_it_fits_and_says_so_where_not():
    from aiscale_sim.simulate import resolve

    on_budget = resolve("tech_first", {"employees": 1500}).levers
    assert DashboardModel("tech_first", employees=1500).levers == on_budget
    assert budget_note("tech_first", {"employees": 1500}) == ""
    # A budget for 5,000 people does not fit 300: the scenario's own spend levers, and a note.
    m = DashboardModel("tech_first", **SMALL)
    own = resolve("tech_first").levers
    assert m.levers["platform_investment"] == own["platform_investment"]
    note = budget_note("tech_first", SMALL)
    assert "does not fit" in note and "5,000" in note


# --- figures ----------------------------------------------------------------------------------


def test_org_chart_legend_counts_every_stage():
    m = DashboardModel(**SMALL)
    fig = figures.org_chart(m)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    unaware = int(np.count_nonzero(m.emp["stage"] == Adoption.UNAWARE))
    assert unaware > 0
    assert f"Unaware: {unaware:,}" in texts
    total = sum(int(t.rsplit(": ", 1)[1].replace(",", "")) for t in texts[:len(Adoption)])
    assert total == 300


def test_funnel_splits_purgatory_by_reason_and_marks_the_ghost():
    m = DashboardModel(seed=1, horizon=80, **SMALL)
    while m.running:
        m.step()
    rows = {r.label: r for r in figures.funnel_rows(m.history(), 80)}
    now = rows["In purgatory now"]
    assert [p[0] for p in now.parts] == ["infrastructure", "commitment", "governance"]
    assert now.total == m.series("pilots_in_purgatory")[-1]
    assert rows["Pilots launched"].total == m.counters["pilots_launched"]
    entered = rows["Entered purgatory\n(so far)"].total
    assert entered == sum(m.counters[f"purgatory_entries_{r}"]
                          for r in ("infrastructure", "commitment", "governance"))
    ghost = baseline_history(m.structure(), 1, 80)
    fig = figures.pilot_funnel(m, ghost)
    assert "Baseline, same week" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_headlines_are_written_as_people_read_them():
    m = DashboardModel(seed=1, horizon=60, **SMALL)
    while m.running:
        m.step()
    heads = {h.label: h for h in figures.headlines(m, baseline_history(m.structure(), 1, 60))}
    assert heads["Value realised"].value.startswith("$")
    assert heads["Using AI regularly"].value.endswith("%")
    assert heads["Cost"].baseline == heads["Cost"].value  # same scenario, same seed


# --- the page, rendered without a browser ------------------------------------------------------


@solara.component
def _Served():
    """The page as the server shows it: inside solara's app layout (sidebar, app bar)."""
    with solara.AppLayout():
        app.Page()


def _company(rc) -> str:
    return rc.find(v.Html, class_="aiscale-company").widget.children[0]


def _image(rc, css_class: str) -> bytes:
    [img] = [w for w in rc.find(ipywidgets.Image).widgets if css_class in w._dom_classes]
    return bytes(img.value)


def test_page_renders_steps_compares_resets_and_picks_scenarios(monkeypatch):
    monkeypatch.setenv(ENV_VAR, DashboardSettings(employees=400, seed=1).to_env())
    _box, rc = solara.render(_Served(), handle_error=False)
    try:
        assert "400 employees" in _company(rc) and "week 0 of 260" in _company(rc)
        org0, funnel0 = _image(rc, "aiscale-orgchart"), _image(rc, "aiscale-funnel")
        step = rc.find(v.Btn, children=["Step"])
        step.widget.click()
        step.widget.click()
        assert "week 8 of 260" in _company(rc)  # two frames of four weeks
        assert _image(rc, "aiscale-orgchart") != org0
        assert _image(rc, "aiscale-funnel") != funnel0

        # Every group of levers is on the page, each lever with its label and unit.
        texts = " ".join(str(w.children) for w in rc.find(v.Html).widgets)
        for lever in ("centralisation", "training_hours", "purgatory_timeout", "buy_share"):
            assert LEVERS_BY_NAME[lever].axis_label in texts

        rc.find(v.Switch, label="Compare with baseline").widget.v_model = True
        assert any("baseline" in str(w.children) for w in rc.find(v.Html).widgets)

        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert "week 0 of 260" in _company(rc)

        # The scenario picker sets every control to the scenario and rebuilds the model.
        rc.find(v.Select, label="Scenario").widget.v_model = "coe"
        assert "scenario coe" in _company(rc)
        texts = [str(w.children) for w in rc.find(v.Html).widgets]
        assert any("Centralisation (share of AI staff in the CoE): 1" in t for t in texts)
    finally:
        rc.close()


def test_the_same_components_run_in_mesas_own_solaraviz():
    viz = app.solara_viz(employees=300)
    _box, rc = solara.render(solara.AppLayout(children=[viz]), handle_error=False)
    try:
        org0 = _image(rc, "aiscale-orgchart")
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert _image(rc, "aiscale-orgchart") != org0
        texts = " ".join(str(w.children) for w in rc.find(v.Html).widgets)
        assert "Time: 4" in texts  # Mesa's own step counter: one frame of four weeks
    finally:
        rc.close()


# --- the command ------------------------------------------------------------------------------


def test_dashboard_command_refuses_bad_input_before_serving(capsys, monkeypatch):
    import aiscale_sim.dashboard.server as server

    served = []
    monkeypatch.setattr(server, "serve", lambda *a, **k: served.append((a, k)))
    assert main(["dashboard", "--scenario", "nosuch", "--no-browser"]) == 2
    assert "scenario 'nosuch' not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["dashboard", "--port", "0"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["dashboard", "--employees", "50"])
    assert e.value.code == 2
    capsys.readouterr()
    assert main(["dashboard", "--no-browser", "--host", "0.0.0.0"]) == 0
    assert "other machines on the network" in capsys.readouterr().err
    assert served[-1][1]["host"] == "0.0.0.0"
    assert main(["dashboard", "--no-browser"]) == 0
    assert served[-1][1]["host"] == "127.0.0.1"  # loopback unless asked


def test_missing_viz_extra_is_named(capsys, monkeypatch):
    import importlib.util

    import aiscale_sim.cli_dashboard as cli_dashboard

    real = importlib.util.find_spec
    monkeypatch.setattr(cli_dashboard.importlib.util, "find_spec",
                        lambda name: None if name == "solara" else real(name))
    assert main(["dashboard", "--no-browser"]) == 3
    err = capsys.readouterr().err
    assert "'viz' extra" in err and "solara" in err and "pip install" in err


def test_a_port_in_use_is_refused_with_a_clear_message(capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["dashboard", "--no-browser", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_benchmark_script_measures_every_part(monkeypatch):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "experiments" / "bench_dashboard.py"
    spec = importlib.util.spec_from_file_location("bench_dashboard", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setenv(ENV_VAR, "")  # bench() sets it; restored after the test
    row = bench.bench(300, weeks=5, spring=False)
    for key in ("ms per step", "layout ms (first)", "layout ms (cached)", "org_chart ms",
                "frame (4 figures) ms", "page build ms"):
        assert row[key] > 0 or key == "layout ms (cached)", key
    assert row["layout ms (cached)"] < row["layout ms (first)"]
