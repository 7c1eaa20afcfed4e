"""What the teaching notebooks share: lever controls, weekly probes of a run, and the network.

- :data:`LEVER_GROUPS` sorts every policy lever of the lever table into the themes a class
  discusses (operating model and people, spending, the pipeline, the portfolio);
  :func:`lever_controls` builds ipywidgets sliders and menus for them, labelled and bounded
  from the lever table, so a notebook's controls never repeat a default, range or unit.
- :func:`run_with_probes` runs the model exactly as :func:`aiscale_sim.simulate` does and
  records, every week, what a notebook asks of the running model beyond the standard reporters
  (the quality of every live model, anxiety by role, ...). The probes below are named
  functions, as the reporters are.
- :func:`network_figure` draws one business unit's people network coloured by adoption stage,
  at several weeks of the same run.

Importing this module imports neither matplotlib nor ipywidgets; the functions that need them
import them when called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.levers import LEVERS_BY_NAME, POLICY_LEVERS
from aiscale_sim.model import EnterpriseModel
from aiscale_sim.outputs import summary_outcomes
from aiscale_sim.pipeline import technical_share
from aiscale_sim.scenarios import check_phase_weeks
from aiscale_sim.simulate import (
    HORIZON_WEEKS,
    SimulationResult,
    concrete_seed,
    model_fingerprint,
    package_version,
    resolve,
    with_phases,
)
from aiscale_sim.states import Adoption, Role, UseCaseKind

#: Every policy lever, once, by theme (titles as a class reads them).
LEVER_GROUPS: dict[str, tuple[str, ...]] = {
    "Operating model and AI team": ("centralisation", "ai_staff_per_1000", "engineer_ratio",
                                    "translator_share"),
    "People and change": ("training_hours", "change_management", "adoption_incentive",
                          "jobs_communication"),
    "Data and technology": ("data_investment", "platform_investment",
                            "integration_investment"),
    "Leadership and the pilot pipeline": ("executive_sponsorship", "pilot_launch_rate",
                                          "pilot_count_incentive", "prioritisation",
                                          "success_criteria_clarity", "governance_rigour",
                                          "purgatory_timeout"),
    "Use-case portfolio": ("genai_share", "assistant_share", "buy_share"),
}


def lever_group(name: str) -> str:
    """The theme of a policy lever in :data:`LEVER_GROUPS`."""
    for title, names in LEVER_GROUPS.items():
        if name in names:
            return title
    raise KeyError(f"'{name}' is not a policy lever; policy levers: {', '.join(POLICY_LEVERS)}")


def _step(low: float, high: float) -> float:
    """A slider step: about a hundredth of the range, rounded to 1, 2 or 5 times a power of 10."""
    raw = (high - low) / 100.0
    power = 10.0 ** np.floor(np.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if raw <= m * power:
            return float(m * power)
    return float(10 * power)  # pragma: no cover (the loop always returns)


def lever_widget(name: str, value: Any = None):
    """One ipywidgets control for a lever, from the lever table.

    Numbers get a slider over the lever's range (whole numbers an integer slider), choices a
    dropdown. The description is the lever's label and the unit follows the value, so a reader
    sees "Training ... 3 hours per employee per year".

    Args:
        name: The lever.
        value: Starting value (default: the lever's default).
    """
    import ipywidgets as widgets

    lv = LEVERS_BY_NAME[name]
    value = lv.default if value is None else lv.validate(value)
    common = {"description": lv.short_label, "description_allow_html": False,
              "style": {"description_width": "190px"},
              "layout": widgets.Layout(width="440px")}
    if lv.kind == "choice":
        control = widgets.Dropdown(options=[(c.replace("_", " "), c) for c in lv.choices],
                                   value=value, **common)
    elif lv.kind == "bool":
        control = widgets.Checkbox(value=value, **common)
    elif lv.kind == "int":
        control = widgets.IntSlider(value=value, min=int(lv.low), max=int(lv.high), step=1,
                                    continuous_update=False, **common)
    else:
        control = widgets.FloatSlider(value=value, min=lv.low, max=lv.high,
                                      step=_step(lv.low, lv.high), continuous_update=False,
                                      **common)
    control.tooltip = lv.description
    unit = "" if lv.kind in ("choice", "bool") else lv.unit
    return widgets.HBox([control, widgets.Label(unit)])


def lever_controls(values: Mapping[str, Any] | None = None):
    """Every policy lever as a control, in :data:`LEVER_GROUPS` order, one accordion pane a theme.

    Args:
        values: Starting values by lever name (default: the lever table's defaults; pass
            ``load_scenario("coe").levers`` to start from a scenario).

    Returns:
        ``(panel, controls)``: the accordion to display, and ``{lever name: control}`` whose
        ``.value`` is the lever's current value.
    """
    import ipywidgets as widgets

    values = dict(values or {})
    controls, panes = {}, []
    for names in LEVER_GROUPS.values():
        rows = []
        for name in names:
            row = lever_widget(name, values.get(name))
            controls[name] = row.children[0]
            rows.append(row)
        panes.append(widgets.VBox(rows))
    panel = widgets.Accordion(children=panes, titles=tuple(LEVER_GROUPS))
    return panel, controls


def control_values(controls: Mapping[str, Any]) -> dict[str, Any]:
    """The lever values the controls show, validated against the lever table."""
    return {name: LEVERS_BY_NAME[name].validate(c.value) for name, c in controls.items()}


# --- weekly probes -----------------------------------------------------------------------

Probe = Callable[[EnterpriseModel], Any]


def run_with_probes(levers_or_scenario: Any = None, *, seed: int | None = None,
                    steps: int | None = None, overrides: dict[str, Any] | None = None,
                    phases: Any = None,
                    probes: Mapping[str, Probe]) -> tuple[SimulationResult, pd.DataFrame]:
    """Run the model as :func:`~aiscale_sim.simulate` does, calling ``probes`` every week.

    Probes only read the model, so the run is the one :func:`~aiscale_sim.simulate` gives with
    the same arguments (the same summary and weekly reporters; ``tests/test_teaching.py``
    checks it).

    Args:
        levers_or_scenario: As for :func:`~aiscale_sim.simulate`.
        seed: Master seed (None: fresh entropy, recorded in the summary).
        steps: Weeks to simulate (default 260).
        overrides: Lever values from the first week.
        phases: Phases in place of the scenario's own (None keeps them).
        probes: Named functions of the model. One returning a number gives a column of that
            name; one returning a dict gives a column ``name.key`` for each key.

    Returns:
        The run's result and a DataFrame with one row per week (week 0 included) and a
        ``week`` column.
    """
    sc = resolve(levers_or_scenario)
    if phases is not None:
        sc = with_phases(sc, phases)
    sc = resolve(sc, overrides)
    seed = concrete_seed(seed)
    steps = HORIZON_WEEKS if steps is None else int(steps)
    check_phase_weeks(sc.phases, steps, sc.name)
    model = EnterpriseModel(sc.levers, rng=seed, phases=sc.phases)

    rows = []

    def look() -> None:
        row: dict[str, Any] = {"week": int(model.time)}
        for name, probe in probes.items():
            value = probe(model)
            if isinstance(value, Mapping):
                row.update({f"{name}.{k}": v for k, v in value.items()})
            else:
                row[name] = value
        rows.append(row)

    look()
    for _ in range(steps):
        model.run_for(1)
        look()
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    summary = {
        "seed": seed, "scenario": sc.name, "scenario_path": sc.path,
        "version": package_version(), "model_fingerprint": model_fingerprint(),
        "steps": steps, "levers": sc.levers,
        "phases": [ph.as_dict() for ph in model.phases_applied],
        "outcomes": summary_outcomes(model, ts),
    }
    return SimulationResult(summary=summary, timeseries=ts, model=model), pd.DataFrame(rows)


#: Quality lost since go-live beyond which monitoring can notice a model (docs/ODD.md 7.5;
#: the threshold of ``pipeline.production_life``).
DEGRADED_GAP = 0.1
#: Quality below which an unnoticed degraded model can cause an incident (the same source).
INCIDENT_QUALITY = 0.55


def _monitored(model: EnterpriseModel) -> list:
    """Live use cases whose model the firm runs.

    Off-the-shelf assistants are left out: the vendor keeps them up to date, so they neither
    drift nor suffer data shocks.
    """
    return [uc for uc in model.live_use_cases() if uc.kind != UseCaseKind.ASSISTANT]


def production_health(model: EnterpriseModel) -> dict[str, float]:
    """The state of the firm's own live models this week (assistants left out).

    Returns:
        ``live`` (models in production), ``quality`` (mean quality relative to go-live, 1 = as
        good as at go-live), ``degraded`` (models more than 0.1 below their go-live quality:
        the point at which monitoring can notice, section 7.5 of docs/ODD.md),
        ``degraded_unseen`` (of those, not yet detected), ``awaiting_retraining`` (detected,
        to be retrained from next week's capacity), ``retrainings`` (so far),
        ``incidents`` (so far), ``monitoring`` (weekly chance that a degraded model on a fully
        maintained team is noticed), ``maintenance_share`` (share of the AI teams'
        technical capacity that production models ask for this week) and ``maintenance_cover``
        (share of that load the teams meet, mean over teams with live models).
    """
    live = _monitored(model)
    degraded = [uc for uc in live if uc.quality < uc.quality0 - DEGRADED_GAP]
    tech = technical_share(model)
    capacity = sum(t.capacity for t in model.teams) * tech
    load = sum(t.maintenance_load for t in model.teams)
    busy = [t.maintenance_coverage for t in model.teams if t.maintenance_load > 0]
    rigour = model.levers["governance_rigour"]
    return {
        "live": len(live),
        "quality": float(np.mean([uc.quality / uc.quality0 for uc in live])) if live
        else float("nan"),
        "degraded": len(degraded),
        "degraded_unseen": sum(1 for uc in degraded if not uc.drift_detected),
        "awaiting_retraining": sum(1 for uc in live if uc.drift_detected),
        "retrainings": int(model.counters["retrainings"]),
        "incidents": int(model.counters["incidents"]),
        "monitoring": (0.15 + 0.75 * model.platform_maturity) * (0.7 + 0.3 * rigour),
        "maintenance_share": load / capacity if capacity > 0 else float("nan"),
        "maintenance_cover": float(np.mean(busy)) if busy else 1.0,
    }


def model_quality(model: EnterpriseModel) -> dict[int, float]:
    """Quality of each of the firm's own live models this week, by use-case id."""
    return {uc.unique_id: uc.quality for uc in _monitored(model)}


#: Roles a class compares (AI staff start adopted and are left out).
BUSINESS_ROLES = (Role.FRONTLINE, Role.MANAGER, Role.EXECUTIVE)


def _role_name(role: Role) -> str:
    return role.name.lower().replace("_", " ")


def anxiety_by_role(model: EnterpriseModel) -> dict[str, float]:
    """Mean job-displacement anxiety (0-1) of frontline staff, managers and executives."""
    role = model.emp["role"]
    return {_role_name(r): float(model.emp["anxiety"][role == r].mean())
            for r in BUSINESS_ROLES if (role == r).any()}


def adoption_by_role(model: EnterpriseModel) -> dict[str, float]:
    """Share of frontline staff, managers and executives in stage adopted."""
    role, stage = model.emp["role"], model.emp["stage"]
    return {_role_name(r): float((stage[role == r] == Adoption.ADOPTED).mean())
            for r in BUSINESS_ROLES if (role == r).any()}


def stage_counts(stage: np.ndarray) -> dict[str, int]:
    """People in each adoption stage, by stage name, every stage listed."""
    counts = np.bincount(np.asarray(stage), minlength=len(Adoption))
    return {a.name.lower(): int(counts[a]) for a in Adoption}


# --- the network -------------------------------------------------------------------------

STAGE_COLOURS = {Adoption.UNAWARE: "#d9d9d9", Adoption.AWARE: "#9ecae1",
                 Adoption.TRYING: "#fd8d3c", Adoption.ADOPTED: "#238b45",
                 Adoption.LAPSED: "#cb181d"}


def unit_layout(model: EnterpriseModel, unit: int, seed: int = 42) -> dict[int, np.ndarray]:
    """Positions of one unit's people for drawing: a spring layout of the unit's ties.

    Computed once per unit and reused for every snapshot of the same organisation (the org
    chart is built once, so every run with the same seed and structure has the same one).
    """
    import networkx as nx

    nodes = np.flatnonzero(model.emp["unit"] == unit).tolist()
    sub = model.org.graph.subgraph(nodes)
    return nx.spring_layout(sub, seed=seed, iterations=40)


def network_figure(snapshots: Mapping[str, np.ndarray], model: EnterpriseModel, unit: int,
                   pos: Mapping[int, Any] | None = None, title: str = ""):
    """One panel per snapshot: a unit's people coloured by adoption stage.

    Args:
        snapshots: Panel title -> the ``stage`` column of ``model.emp`` at that moment (the
            same organisation, e.g. the same seed run for different numbers of weeks).
        model: A model of that organisation (for the org chart and roles).
        unit: The business unit to draw.
        pos: Node positions (default: :func:`unit_layout`).
        title: The figure's title.

    Returns:
        The matplotlib figure. The legend, below the panels, lists every stage with the
        number of the unit's people in it in each panel, so a stage nobody is in shows 0
        beside the others rather than alone.
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.patches import Patch

    pos = pos if pos is not None else unit_layout(model, unit)
    nodes = list(pos)
    sub = model.org.graph.subgraph(nodes)
    role = model.emp["role"]
    big = {Role.MANAGER, Role.EXECUTIVE}
    size = [70 if Role(role[n]) in big else 18 for n in nodes]
    fig, axes = plt.subplots(1, len(snapshots), figsize=(5.2 * len(snapshots), 5.6),
                             constrained_layout=True, squeeze=False)
    per_panel = []
    for ax, (label, stage) in zip(axes[0], snapshots.items(), strict=True):
        nx.draw_networkx_edges(sub, pos, ax=ax, alpha=0.08, width=0.5)
        nx.draw_networkx_nodes(sub, pos, nodelist=nodes, ax=ax, node_size=size,
                               linewidths=0.3, edgecolors="white",
                               node_color=[STAGE_COLOURS[Adoption(stage[n])] for n in nodes])
        counts = stage_counts(np.asarray(stage)[nodes])
        per_panel.append(counts)
        ax.set_title(f"{label}\n{counts['adopted']} of {len(nodes)} use AI regularly",
                     fontsize=11)
        ax.axis("off")
    handles = [Patch(color=c, label=f"{a.name.lower()}: "
                     + " / ".join(str(p[a.name.lower()]) for p in per_panel))
               for a, c in STAGE_COLOURS.items()]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False,
               title="adoption stage: people in each panel, left to right "
                     "(big dots: managers and executives)")
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


def fates(result: SimulationResult) -> pd.Series:
    """Where every pilot launched in a run ended up, in the order of a funnel's bars.

    ``went live`` counts pilots that reached production (some may have retired since); the
    abandoned are split by reason; the rest were stuck or still being built at the end.
    The counts add up to the pilots launched.
    """
    out = result.outcomes
    ab = out["abandoned_by_reason"]
    return pd.Series({
        "went live": out["pilots_reached_production"],
        "abandoned: did not work": ab["technical"],
        "abandoned: infrastructure": ab["infrastructure"],
        "abandoned: commitment": ab["commitment"],
        "abandoned: governance": ab["governance"],
        "stuck in purgatory at the end": out["pilots_in_purgatory"],
        "still being built": out["pilots_active"],
    })


def go_live_fit(result: SimulationResult) -> float:
    """Mean solution fit (0-1) of the custom use cases that went live in a run.

    A team that knows a unit's business less well builds solutions that fit its work less
    well (the "ivory tower" of docs/ODD.md section 7.4); assistants are off the shelf.
    """
    m = result.model
    fits = [uc.fit for uc in m.use_cases if uc.production_week is not None
            and uc.kind != UseCaseKind.ASSISTANT]
    return float(np.mean(fits)) if fits else float("nan")


__all__ = ["BUSINESS_ROLES", "DEGRADED_GAP", "INCIDENT_QUALITY", "LEVER_GROUPS",
           "STAGE_COLOURS", "adoption_by_role", "anxiety_by_role", "control_values", "fates",
           "go_live_fit", "lever_controls", "lever_group", "lever_widget", "model_quality",
           "network_figure", "production_health", "run_with_probes", "stage_counts",
           "unit_layout"]
