"""The vectorised employee rule agrees with the slow per-agent reference in tests/reference.py."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from aiscale_sim import EnterpriseModel
from aiscale_sim.agents import Employee
from aiscale_sim.employees import PolicyInputs, UnitInputs, employee_step
from aiscale_sim.network import MANAGER_WEIGHT
from aiscale_sim.states import Adoption, Role

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import neighbour_weights, reference_step  # noqa: E402

#: A small org with enough AI staff that use cases reach production within a couple of years.
LEVERS = {"employees": 300, "business_units": 3, "ai_staff_per_1000": 30.0}
FLOATS = ("literacy", "trust", "anxiety", "intention", "readiness")


def fast_step(model, unit_in, policy, draws, influence=None, cols=None):
    return employee_step(model.emp if cols is None else cols,
                         model.org.influence if influence is None else influence,
                         unit_in, policy, model.employee_params, draws)


def assert_same(fast, ref):
    assert set(fast) == set(ref)
    for name in FLOATS:
        np.testing.assert_allclose(fast[name], ref[name], rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(fast["stage"], ref["stage"])


@pytest.fixture(scope="module")
def runs():
    """Snapshots of one run at weeks 0, 30 and 120: (model copy of emp, inputs)."""
    model = EnterpriseModel(LEVERS, rng=1)
    out = {}
    for week in (0, 30, 120):
        if week > model.time:
            model.run_for(week - int(model.time))
        out[week] = {
            "emp": {k: v.copy() for k, v in model.emp.items()},
            "unit_in": model.unit_inputs(),
            "policy": model.policy_inputs(),
            "live": len(model.live_use_cases()),
        }
    return model, out


def model_at(runs, week):
    """The run's model with its employee columns restored to the snapshot of ``week``."""
    model, snaps = runs
    model.emp = {k: v.copy() for k, v in snaps[week]["emp"].items()}
    return model, snaps[week]


@pytest.mark.parametrize("week", [0, 30, 120])
def test_fast_path_matches_reference(runs, week):
    model, snap = model_at(runs, week)
    draws = np.random.default_rng(100 + week).random(len(model.employees))
    before = {k: v.copy() for k, v in model.emp.items()}
    fast = fast_step(model, snap["unit_in"], snap["policy"], draws)
    ref = reference_step(model, snap["unit_in"], snap["policy"], model.employee_params, draws)
    assert_same(fast, ref)
    # Neither path writes to the model, and something actually happened this week.
    for k, v in before.items():
        np.testing.assert_array_equal(model.emp[k], v)
    assert (fast["stage"] != model.emp["stage"]).any()
    assert not np.allclose(fast["literacy"], model.emp["literacy"])


def test_snapshots_cover_production(runs):
    _, snaps = runs
    assert snaps[0]["live"] == 0
    assert np.all(snaps[0]["unit_in"].tools == snaps[0]["unit_in"].tools.min())
    assert snaps[120]["live"] > 0
    assert snaps[120]["unit_in"].rollout.max() > 0
    stages = set(np.unique(snaps[120]["emp"]["stage"]).tolist())
    assert {Adoption.AWARE, Adoption.TRYING, Adoption.ADOPTED, Adoption.LAPSED} <= stages


def test_matches_with_incidents_and_strong_policy(runs):
    """Synthetic inputs reach the branches a short run may not: incidents, full rollout."""
    model, _ = model_at(runs, 120)
    rng = np.random.default_rng(5)
    n_units = len(model.units)
    unit_in = UnitInputs(value_signal=rng.random(n_units), tools=rng.random(n_units),
                         automation=rng.random(n_units),
                         incident=np.array([0.0, 0.3, 0.6])[:n_units],
                         rollout=rng.random(n_units))
    policy = PolicyInputs(training_hours=12.0, change=0.7, incentive=0.5, communication=0.8)
    draws = rng.random(len(model.employees))
    fast = fast_step(model, unit_in, policy, draws)
    ref = reference_step(model, unit_in, policy, model.employee_params, draws)
    assert_same(fast, ref)
    lapsed = (model.emp["stage"] == Adoption.ADOPTED) & (fast["stage"] == Adoption.LAPSED)
    assert lapsed.any()


def test_reference_weights_match_influence_matrix(runs):
    model, _ = model_at(runs, 0)
    infl = model.org.influence
    for emp in model.employees[::7]:
        row = infl.getrow(emp.row)
        expected = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        got = {other.row: w for other, w in neighbour_weights(model, emp)}
        assert got.keys() == expected.keys()
        for j, w in got.items():
            assert w == pytest.approx(expected[j], rel=1e-12)
        if emp.manager is not None:
            peers = [w for j, w in got.items() if j != emp.manager.row]
            if peers:
                assert got[emp.manager.row] == pytest.approx(MANAGER_WEIGHT * peers[0])


def test_disagrees_when_one_literacy_is_perturbed(runs):
    model, snap = model_at(runs, 120)
    draws = np.random.default_rng(3).random(len(model.employees))
    ref = reference_step(model, snap["unit_in"], snap["policy"], model.employee_params, draws)
    k = 17
    cols = {k_: v.copy() for k_, v in model.emp.items()}
    cols["literacy"][k] = min(1.0, cols["literacy"][k] + 0.2)
    fast = fast_step(model, snap["unit_in"], snap["policy"], draws, cols=cols)
    with pytest.raises(AssertionError):
        assert_same(fast, ref)
    bad = np.flatnonzero(~np.isclose(fast["literacy"], ref["literacy"], rtol=1e-9, atol=0))
    assert bad.tolist() == [k]
    bad = np.flatnonzero(~np.isclose(fast["intention"], ref["intention"], rtol=1e-9, atol=0))
    assert bad.tolist() == [k]


def test_disagrees_without_manager_weight(runs):
    """Equal weights on every tie (no manager boost) give a different social pull."""
    model, snap = model_at(runs, 120)
    adj = model.org.adjacency
    deg = np.asarray(adj.sum(axis=1)).ravel()
    flat = (sp.diags(1.0 / np.maximum(deg, 1.0)) @ adj).tocsr()
    draws = np.random.default_rng(4).random(len(model.employees))
    fast = fast_step(model, snap["unit_in"], snap["policy"], draws, influence=flat)
    ref = reference_step(model, snap["unit_in"], snap["policy"], model.employee_params, draws)
    with pytest.raises(AssertionError):
        assert_same(fast, ref)
    differs = ~np.isclose(fast["anxiety"], ref["anxiety"], rtol=1e-9, atol=0)
    has_manager = model.org.manager >= 0
    assert differs[has_manager].any()
    # Without a manager an employee's row carries no boost, so nothing changes there.
    assert not differs[~has_manager].any()


# --- Employee properties are views of their own row -------------------------------------------


@pytest.fixture
def small_model():
    return EnterpriseModel({"employees": 200, "business_units": 2}, rng=3)


def test_employee_rows_are_in_order(small_model):
    m = small_model
    assert len(m.employees) == len(m.emp["stage"])
    assert [e.row for e in m.employees] == list(range(len(m.employees)))
    assert all(isinstance(e, Employee) for e in m.employees)
    assert m.employees[5].cell is m.grid[5]


@pytest.mark.parametrize("name", ["literacy", "literacy0", "trust", "anxiety", "threshold", "fit"])
def test_float_properties_read_and_write_own_row(small_model, name):
    m = small_model
    col = m.emp[name]
    for i in (0, 1, 57, len(col) - 1):
        assert m.employees[i].__getattribute__(name) == col[i]
    before = col.copy()
    setattr(m.employees[57], name, 0.123)
    assert m.emp[name][57] == 0.123
    changed = np.flatnonzero(m.emp[name] != before)
    assert changed.tolist() == [57]


def test_enum_and_int_properties(small_model):
    m = small_model
    for i in (0, 3, 150):
        e = m.employees[i]
        assert isinstance(e.stage, Adoption) and e.stage == m.emp["stage"][i]
        assert isinstance(e.role, Role) and e.role == m.emp["role"][i]
        assert e.unit == m.emp["unit"][i]
        assert e.adopt_week == m.emp["adopt_week"][i]
    before = m.emp["stage"].copy()
    m.employees[42].stage = Adoption.LAPSED
    assert m.emp["stage"][42] == Adoption.LAPSED
    assert np.flatnonzero(m.emp["stage"] != before).tolist() == [42]
    m.employees[42].adopt_week = 9
    assert m.emp["adopt_week"][42] == 9


def test_properties_follow_model_emp_after_a_step(small_model):
    m = small_model
    m.run_for(3)
    e = m.employees[99]
    assert e.literacy == m.emp["literacy"][99]
    assert e.anxiety == m.emp["anxiety"][99]
    assert e.stage == m.emp["stage"][99]


def test_manager_property(small_model):
    m = small_model
    for e in m.employees[::13]:
        mgr = int(m.org.manager[e.row])
        if mgr < 0:
            assert e.manager is None
        else:
            assert e.manager is m.employees[mgr]
