"""What the notebooks share: lever controls from the lever table, weekly probes, the network."""

from __future__ import annotations

import numpy as np
import pytest

from aiscale_sim import simulate, teaching
from aiscale_sim.levers import LEVERS_BY_NAME, POLICY_LEVERS
from aiscale_sim.states import Adoption

SMALL = {"employees": 400, "business_units": 4}


def test_lever_groups_hold_every_policy_lever_once():
    listed = [n for names in teaching.LEVER_GROUPS.values() for n in names]
    assert sorted(listed) == sorted(POLICY_LEVERS)
    assert len(listed) == len(set(listed))
    for name in POLICY_LEVERS:
        assert name in teaching.LEVER_GROUPS[teaching.lever_group(name)]
    with pytest.raises(KeyError, match="not a policy lever"):
        teaching.lever_group("employees")


def test_lever_controls_come_from_the_lever_table():
    widgets = pytest.importorskip("ipywidgets")
    panel, controls = teaching.lever_controls({"centralisation": 1.0})
    assert isinstance(panel, widgets.Accordion)
    assert len(panel.children) == len(teaching.LEVER_GROUPS)
    assert list(panel.titles) == list(teaching.LEVER_GROUPS)
    assert set(controls) == set(POLICY_LEVERS)
    for name, control in controls.items():
        lv = LEVERS_BY_NAME[name]
        assert control.description == lv.short_label
        assert control.tooltip == lv.description
        if lv.kind == "choice":
            assert isinstance(control, widgets.Dropdown)
            assert [v for _, v in control.options] == list(lv.choices)
        else:
            assert (control.min, control.max) == (lv.low, lv.high)
            assert isinstance(control, widgets.IntSlider if lv.kind == "int"
                              else widgets.FloatSlider)
            assert 0 < control.step <= (lv.high - lv.low) / 50
    # the unit is shown beside each control
    units = {row.children[1].value for pane in panel.children for row in pane.children}
    assert LEVERS_BY_NAME["training_hours"].unit in units
    values = teaching.control_values(controls)
    assert values["centralisation"] == 1.0
    assert values["training_hours"] == LEVERS_BY_NAME["training_hours"].default
    controls["purgatory_timeout"].value = 30
    assert teaching.control_values(controls)["purgatory_timeout"] == 30


def test_run_with_probes_is_the_run_simulate_gives():
    probes = {"h": teaching.production_health, "anx": teaching.anxiety_by_role,
              "adopt": teaching.adoption_by_role, "q": teaching.model_quality}
    r, weeks = teaching.run_with_probes("baseline", seed=3, steps=60, overrides=SMALL,
                                        probes=probes)
    ref = simulate("baseline", seed=3, steps=60, overrides=SMALL)
    assert r.outcomes == ref.outcomes
    assert r.timeseries.equals(ref.timeseries)
    assert {k: v for k, v in r.summary.items() if k != "outcomes"} == {
        k: v for k, v in ref.summary.items() if k != "outcomes"}
    assert list(weeks["week"]) == list(range(61))
    assert {"anx.frontline", "anx.manager", "adopt.frontline", "h.live"} <= set(weeks.columns)


def test_production_health_counts_agree_week_by_week():
    r, weeks = teaching.run_with_probes("baseline", seed=5, steps=150,
                                        overrides={**SMALL, "ai_staff_per_1000": 12.0},
                                        probes={"h": teaching.production_health})
    h = weeks.filter(like="h.").rename(columns=lambda c: c[2:])
    assert h["live"].max() > 0 and h["retrainings"].iloc[-1] > 0  # something to check
    # A model monitoring has noticed is degraded; the rest of the degraded are unseen.
    assert (h["degraded"] - h["degraded_unseen"] == h["awaiting_retraining"]).all()
    assert (h["degraded"] <= h["live"]).all()
    assert (np.diff(h["retrainings"]) >= 0).all() and (np.diff(h["incidents"]) >= 0).all()
    assert h["retrainings"].iloc[-1] == r.model.counters["retrainings"]
    assert h["incidents"].iloc[-1] == r.outcomes["incidents"]
    assert h["monitoring"].between(0, 1).all()
    assert (h["maintenance_share"] >= 0).all() and h["maintenance_cover"].between(0, 1).all()
    live = h["live"] > 0
    assert h.loc[live, "quality"].between(0, 1.0 + 1e-9).all()


def test_role_probes_and_fates():
    r = simulate("baseline", seed=2, steps=80, overrides=SMALL)
    anx, adopt = teaching.anxiety_by_role(r.model), teaching.adoption_by_role(r.model)
    assert set(anx) == set(adopt) == {"frontline", "manager", "executive"}
    assert all(0 <= v <= 1 for v in [*anx.values(), *adopt.values()])
    fates = teaching.fates(r)
    assert fates.sum() == r.outcomes["pilots_launched"]
    fit = teaching.go_live_fit(r)
    assert np.isnan(fit) or 0.6 <= fit <= 1.0


def test_network_figure_lists_every_stage_with_its_count_in_every_panel():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aiscale_sim import EnterpriseModel
    from aiscale_sim.levers import validate_levers

    start = EnterpriseModel(validate_levers(SMALL), rng=4).emp["stage"]
    later = simulate("baseline", seed=4, steps=104, overrides=SMALL)
    fig = teaching.network_figure({"start": start, "two years": later.model.emp["stage"]},
                                  later.model, unit=1)
    nodes = np.flatnonzero(later.model.emp["unit"] == 1)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert [t.split(":")[0] for t in texts] == [a.name.lower() for a in Adoption]
    counts = np.array([[int(x) for x in t.split(": ")[1].split(" / ")] for t in texts])
    assert (counts.sum(axis=0) == len(nodes)).all()  # every person once, in every panel
    assert counts[Adoption.UNAWARE, 0] > 0  # the start has people not yet aware of AI tools
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["start", "two years"]
    plt.close(fig)
