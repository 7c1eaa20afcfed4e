"""The dashboard page: a Mesa SolaraViz page of one enterprise scaling AI, week by week.

Built from Mesa's visualisation parts, as Mesa's ``SolaraViz`` is: Mesa's ``ModelController``
gives play, step and reset (Reset rebuilds the model as ``type(model)(**params)`` from the
controls), and every live component is a solara component that takes the model and re-renders
on Mesa's ``update_counter``. Around them the page adds what SolaraViz's flat parameter card
cannot: a scenario picker that sets every control to the scenario's values, the levers in
groups with their units and meanings, and a switch that draws the baseline run as a ghost.

Serve it with ``aiscale dashboard``; in a notebook, display :func:`Page`. Its settings come
from :class:`~aiscale_sim.dashboard.controls.DashboardSettings` (the environment).
"""

from __future__ import annotations

import io
from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController, SolaraViz
from mesa.visualization.utils import force_update, update_counter

from aiscale_sim.dashboard import figures
from aiscale_sim.dashboard.controls import (
    COMPANY_LEVERS,
    DEFAULT_EMPLOYEES,
    THEMES,
    DashboardSettings,
    choice_label,
    lever_param,
    model_params,
)
from aiscale_sim.dashboard.model import (
    DashboardModel,
    baseline_history,
    budget_note,
    scenario_for,
    scenario_levers,
)
from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS_BY_NAME, validate_levers
from aiscale_sim.scenarios import available

#: Milliseconds between frames while playing, and weeks simulated per frame, at start.
PLAY_INTERVAL_MS = 300
WEEKS_PER_FRAME = 4


def initial_params(settings: DashboardSettings) -> dict[str, Any]:
    """The controls' values when the page opens: the scenario's levers for the company size."""
    levers = scenario_levers(settings.scenario, {"employees": settings.employees})
    return {"scenario_name": settings.scenario, "seed": settings.seed, **levers}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def ghost_for(model: DashboardModel, compare: bool):
    """The baseline run's weekly series for this company and seed, or None if not comparing."""
    if not compare:
        return None
    return baseline_history(model.structure(), model.seed, model.horizon)


@solara.component
def FigureView(model: DashboardModel, draw, compare: bool, css_class: str, ghost: bool = True):
    """One figure of the model, redrawn when the model steps, is rebuilt, or the ghost toggles.

    Args:
        model: The model on the page.
        draw: A function of :mod:`figures` (``draw(model)`` or ``draw(model, ghost)``).
        compare: Whether the baseline ghost is drawn.
        css_class: Class of the image, by which tests and styles find it.
        ghost: Whether ``draw`` takes the ghost.
    """
    update_counter.get()

    def render() -> bytes:
        fig = draw(model, ghost_for(model, compare)) if ghost else draw(model)
        return _png(fig)

    png = solara.use_memo(render, dependencies=[id(model), int(model.time), compare])
    solara.Image(png, width="100%", classes=[css_class])


def OrgChart(model: DashboardModel, compare: bool = False):
    """The org chart coloured by adoption stage (the layout is computed once per company)."""
    return FigureView(model, figures.org_chart, compare, "aiscale-orgchart", ghost=False)


def PilotFunnel(model: DashboardModel, compare: bool = False):
    """The pilot funnel with purgatory split by reason."""
    return FigureView(model, figures.pilot_funnel, compare, "aiscale-funnel")


def AdoptionCurve(model: DashboardModel, compare: bool = False):
    """The adoption S-curve by role."""
    return FigureView(model, figures.adoption_curve, compare, "aiscale-adoption")


def ValueCost(model: DashboardModel, compare: bool = False):
    """Value realised against cost."""
    return FigureView(model, figures.value_and_cost, compare, "aiscale-value")


@solara.component
def Headlines(model: DashboardModel, compare: bool = False):
    """The company, the week, and a few headline numbers (the baseline's beside them)."""
    update_counter.get()
    lv = model.levers
    week = int(model.time)
    default_size = LEVERS_BY_NAME["employees"].default
    with solara.Card(classes=["aiscale-headlines"]):
        solara.Text(
            f"{lv['employees']:,} employees in {lv['business_units']} business units, "
            f"{model.ai_headcount} of them AI staff · scenario {model.scenario_name} · "
            f"seed {model.seed} · week {week} of {model.horizon} (year {week / 52:.1f})",
            classes=["aiscale-company"], style={"font-size": "15px", "font-weight": "bold"})
        with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
            for h in figures.headlines(model, ghost_for(model, compare)):
                with solara.Column(gap="0px", style={"min-width": "105px", "padding": "4px 8px",
                                                     "border-left": "3px solid #0072B2"}):
                    solara.Text(h.label, style={"font-size": "12px", "color": "#555"})
                    solara.Text(h.value, style={"font-size": "20px", "font-weight": "bold"})
                    if h.baseline is not None:
                        solara.Text(f"baseline {h.baseline}",
                                    style={"font-size": "11px", "color": "#777"})
        if lv["employees"] != default_size:
            solara.Text(
                f"A company of {lv['employees']:,}: the CLI's baseline company has "
                f"{default_size:,} employees. With {lv['ai_staff_per_1000']:g} AI staff per "
                f"1,000 employees this one has {model.ai_headcount} AI staff, so fewer "
                "pilots are built and adoption stays lower than in 'aiscale run'; set "
                f"Employees to {default_size:,} under Company to see that company.",
                style={"font-size": "12px", "color": "#555"})


@solara.component
def LeverInput(name: str, value: Any, on_change, note: str = ""):
    """One lever's control, made from the lever table (label, unit, bounds, meaning)."""
    p = lever_param(LEVERS_BY_NAME[name], value)

    def set_value(v, name=name):
        on_change(name, v)

    with solara.Tooltip(p["description"]):
        with solara.Column(gap="0px", classes=[f"aiscale-lever-{name}"]):
            if p["type"] == "Select":
                labels = {choice_label(c): c for c in p["values"]}
                solara.Select(p["label"], values=list(labels), value=choice_label(value),
                              on_value=lambda v: set_value(labels[v]), dense=True)
            elif p["type"] == "Checkbox":
                solara.Checkbox(label=p["label"], value=value, on_value=set_value)
            else:
                slider = solara.SliderInt if p["type"] == "SliderInt" else solara.SliderFloat
                solara.Text(f"{p['label']}: {_fmt(value)}", style={"font-size": "13px"})
                slider("", value=value, min=p["min"], max=p["max"], step=p["step"],
                       on_value=set_value, thumb_label=False)
            if note:
                solara.Text(note, style={"font-size": "11px", "color": "#a05a00"})


def _fmt(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _phase_notes(model: DashboardModel) -> dict[str, str]:
    notes: dict[str, list[str]] = {}
    for ph in model.phases:
        for k, v in ph.levers.items():
            shown = choice_label(v) if isinstance(v, str) else f"{v:g}"
            notes.setdefault(k, []).append(f"{shown} from week {ph.week}")
    return {k: "This scenario sets it to " + "; ".join(v) for k, v in notes.items()}


def solara_viz(scenario: str = "baseline", employees: int = DEFAULT_EMPLOYEES, seed: int = 0):
    """The same model and components in Mesa's own ``SolaraViz``, e.g. for a notebook cell.

    SolaraViz shows one flat card of controls (every lever with its label and unit, from
    :func:`controls.model_params`) and applies them at Reset; the scenario, fixed here, sets
    their starting values. :func:`Page` adds the scenario picker, the groups and the baseline
    ghost.

    Args:
        scenario: A shipped scenario's name or a scenario file.
        employees: Size of the company.
        seed: Seed of the run.
    """
    levers = scenario_levers(scenario, {"employees": employees})
    params: dict[str, Any] = {"scenario_name": scenario, "seed": seed}
    for name, p in model_params(levers).items():
        params[name] = {k: v for k, v in p.items() if k != "description"}
    model = DashboardModel(scenario, seed=seed, **levers)
    return SolaraViz(model, components=[OrgChart, PilotFunnel, AdoptionCurve, ValueCost],
                     model_params=params, name="aiscale-sim", play_interval=PLAY_INTERVAL_MS,
                     render_interval=WEEKS_PER_FRAME)


@solara.component
def Page():
    """The dashboard."""
    settings = solara.use_memo(DashboardSettings.from_env, [])
    params = solara.use_reactive(solara.use_memo(lambda: initial_params(settings), []))
    model = solara.use_reactive(solara.use_memo(lambda: DashboardModel(**params.value), []))
    compare = solara.use_reactive(False)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    weeks_per_frame = solara.use_reactive(WEEKS_PER_FRAME)
    use_threads = solara.use_reactive(False)
    scenarios = solara.use_memo(
        lambda: [*available(), *([] if settings.scenario in available() else
                                 [settings.scenario])], [])
    m = model.value

    problem = solara.use_reactive("")

    def on_lever(name: str, value: Any) -> None:
        new = {**params.value, name: value}
        try:  # Reset rebuilds the model from these: refuse what it would refuse
            validate_levers({k: v for k, v in new.items() if k in LEVERS_BY_NAME},
                            "the dashboard's controls")
        except UserInputError as e:
            problem.value = str(e)
            return
        problem.value = ""
        params.value = new

    def on_scenario(name: str) -> None:
        structure = {k: params.value[k] for k in COMPANY_LEVERS}
        try:
            new = {**params.value, "scenario_name": name, **scenario_levers(name, structure)}
            built = DashboardModel(**new)
        except UserInputError as e:
            problem.value = str(e)
            return
        problem.value = ""
        params.value = new
        model.value = built
        force_update()

    pending = params.value != m.params

    with solara.AppBar():
        solara.AppBarTitle("aiscale-sim: an enterprise scaling AI, week by week")

    with solara.Sidebar(), solara.Column():
        with solara.Card("Run", classes=["aiscale-controls"]):
            solara.Select("Scenario", values=scenarios, value=params.value["scenario_name"],
                          on_value=on_scenario)
            ModelController(model, model_parameters=params, play_interval=play_interval,
                            render_interval=weeks_per_frame, use_threads=use_threads)
            solara.Switch(label="Compare with baseline", value=compare,
                          classes=["aiscale-compare"])
            if pending:
                solara.Info("Controls changed: press Reset to run with them.", dense=True)
            if problem.value:
                solara.Error(problem.value, dense=True)
            solara.Text(f"Weeks per frame (play and step): {weeks_per_frame.value}",
                        style={"font-size": "13px"})
            solara.SliderInt("", value=weeks_per_frame, min=1, max=26)
            solara.Text(f"Pause between frames: {play_interval.value} ms",
                        style={"font-size": "13px"})
            solara.SliderInt("", value=play_interval, min=0, max=1000, step=50)
            solara.InputInt("Seed", value=params.value["seed"],
                            on_value=lambda v: on_lever("seed", max(0, int(v))))
        name = params.value["scenario_name"]
        description = scenario_for(name, params.value).description
        note = budget_note(name, params.value)
        if description or note:
            with solara.Details(summary=f"About '{m.scenario_name}'"):
                solara.Text(" ".join(f"{description} {note}".split()),
                            style={"font-size": "13px"})
        notes = _phase_notes(m)
        for i, (theme, names) in enumerate(THEMES):
            with solara.Details(summary=theme, expand=i == 0):
                for name in names:
                    LeverInput(name, params.value[name], on_lever, notes.get(name, ""))
        with solara.Details(summary="Company (structure; applies at Reset)"):
            for name in COMPANY_LEVERS:
                LeverInput(name, params.value[name], on_lever)

    with solara.Column(style={"padding": "8px"}):
        Headlines(m, compare.value)
        with solara.Columns([1, 1]):
            with solara.Card(margin=0):
                OrgChart(m, compare.value)
            with solara.Card(margin=0):
                PilotFunnel(m, compare.value)
        with solara.Columns([1, 1]):
            with solara.Card(margin=0):
                AdoptionCurve(m, compare.value)
            with solara.Card(margin=0):
                ValueCost(m, compare.value)
