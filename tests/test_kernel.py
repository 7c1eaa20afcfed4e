"""The compiled employee rule gives the numpy rule's numbers exactly (aiscale_sim.kernel)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from aiscale_sim import EnterpriseModel, kernel
from aiscale_sim import employees as E
from aiscale_sim.employees import EmployeeParams, PolicyInputs, UnitInputs
from aiscale_sim.simulate import simulate

pytestmark = pytest.mark.skipif(not kernel.AVAILABLE,
                                reason=f"compiled rule unavailable: {kernel.UNAVAILABLE}")
ROOT = Path(__file__).resolve().parent.parent


def assert_identical(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def both(cols, influence, unit_in, policy, params, draws):
    return (E._employee_step_compiled(cols, influence, unit_in, policy, params, draws),
            E.employee_step_numpy(cols, influence, unit_in, policy, params, draws))


def test_the_model_uses_the_compiled_rule(monkeypatch):
    calls = []
    real = E._employee_step_compiled
    monkeypatch.setattr(E, "_employee_step_compiled", lambda *a: calls.append(1) or real(*a))
    EnterpriseModel({"employees": 200}, rng=1).run_for(3)
    assert len(calls) == 3


def test_identical_every_week_of_a_real_run():
    """Each week of a run with live use cases, incidents and every stage: both rules agree."""
    m = EnterpriseModel({"employees": 600, "business_units": 3, "ai_staff_per_1000": 30.0,
                         "change_management": 300.0, "adoption_incentive": 400.0,
                         "jobs_communication": 0.5}, rng=7)
    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(120):
        ui, pi = m.unit_inputs(), m.policy_inputs()
        ui.incident = rng.random(len(m.units)) * 0.3  # incidents somewhere every week
        draws = rng.random(len(m.employees))
        fast, ref = both(m.emp, m.org.influence, ui, pi, m.employee_params, draws)
        assert_identical(fast, ref)
        seen |= set(np.unique(m.emp["stage"]).tolist())
        m.run_for(1)
    assert seen == {0, 1, 2, 3, 4}  # every stage was exercised


def test_whole_runs_identical_with_and_without_the_compiled_rule(monkeypatch):
    runs = []
    for compiled in (True, False):
        monkeypatch.setattr(kernel, "AVAILABLE", compiled)
        runs.append(simulate("baseline", seed=11, steps=60, overrides={"employees": 800}))
    a, b = runs
    assert a.timeseries.equals(b.timeseries)
    assert a.outcomes == b.outcomes
    for c in a.model.emp:
        np.testing.assert_array_equal(a.model.emp[c], b.model.emp[c], err_msg=c)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 60), units=st.integers(1, 4),
       hours=st.floats(0, 40), change=st.floats(0, 1), incentive=st.floats(0, 1),
       communication=st.floats(0, 1))
def test_identical_on_random_states(seed, n, units, hours, change, incentive, communication):
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    rows = dense.sum(axis=1, keepdims=True)
    influence = sp.csr_matrix(np.divide(dense, rows, out=np.zeros_like(dense), where=rows > 0))
    cols = {
        "literacy": rng.random(n), "literacy0": rng.random(n), "trust": rng.random(n),
        "anxiety": rng.random(n), "threshold": rng.random(n), "fit": rng.random(n),
        "stage": rng.integers(0, 5, n).astype(np.int8),
        "unit": rng.integers(0, units, n).astype(np.int32),
        "role": rng.integers(0, 7, n).astype(np.int8),
    }
    u = lambda: rng.random(units)  # noqa: E731
    unit_in = UnitInputs(value_signal=u(), tools=u(), automation=u(), incident=u() * 0.6,
                         rollout=u())
    policy = PolicyInputs(training_hours=hours, change=change, incentive=incentive,
                          communication=communication)
    fast, ref = both(cols, influence, unit_in, policy, EmployeeParams(), rng.random(n))
    assert_identical(fast, ref)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 80), units=st.integers(1, 5),
       week=st.integers(1, 520))
def test_week_tallies_equal_the_bincounts(seed, n, units, week):
    """The compiled end-of-week pass: first adoptions and the two per-unit sums, bit for bit."""
    rng = np.random.default_rng(seed)
    stage = rng.integers(0, 5, n).astype(np.int8)
    ready = rng.random(n)
    business = (rng.random(n) < 0.8).astype(float)
    unit = rng.integers(0, units, n)
    adopt_week = np.where(rng.random(n) < 0.5, -1, rng.integers(0, week, n)).astype(np.int32)
    adopted = int(E.Adoption.ADOPTED)
    expect_week = adopt_week.copy()
    expect_week[(stage == adopted) & (expect_week < 0)] = week
    expect = (np.bincount(unit, weights=(stage == adopted) * business, minlength=units),
              np.bincount(unit, weights=ready * business, minlength=units))
    got = kernel.week_tallies(stage, ready, business, unit, adopt_week, week, units, adopted)
    np.testing.assert_array_equal(adopt_week, expect_week)
    for g, e in zip(got, expect, strict=True):
        np.testing.assert_array_equal(g, e)


def test_the_model_tallies_its_week_in_one_compiled_pass(monkeypatch):
    """A compiled run takes the fused pass each week, and its unit statistics match a recount."""
    calls = []
    real = kernel.week_tallies
    monkeypatch.setattr(kernel, "week_tallies", lambda *a: calls.append(1) or real(*a))
    m = EnterpriseModel({"employees": 300, "change_management": 600.0}, rng=4)
    m.run_for(60)
    assert len(calls) == 60
    assert m._adopted_now == m.n_adopted > 0  # the count the week's cost reads
    adoption, readiness = m.unit_adoption.copy(), m.unit_readiness.copy()
    m._refresh_unit_stats()  # the numpy recount of the same state
    np.testing.assert_array_equal(adoption, m.unit_adoption)
    np.testing.assert_array_equal(readiness, m.unit_readiness)


def test_other_inputs_take_the_numpy_rule():
    """A matrix that is not CSR (or not float64) goes through the numpy rule."""
    m = EnterpriseModel({"employees": 100}, rng=2)
    assert E.compiled_applies(m.emp, m.org.influence, np.zeros(len(m.employees)))
    assert not E.compiled_applies(m.emp, m.org.influence.tocsc(), np.zeros(len(m.employees)))
    assert not E.compiled_applies(m.emp, m.org.influence.astype(np.float32),
                                   np.zeros(len(m.employees)))
    draws = np.random.default_rng(0).random(len(m.employees))
    args = (m.unit_inputs(), m.policy_inputs(), m.employee_params, draws)
    csc = m.org.influence.tocsc()
    assert_identical(E.employee_step(m.emp, csc, *args),
                     E.employee_step_numpy(m.emp, csc, *args))


def test_forcing_the_numpy_rule_from_the_environment():
    code = "from aiscale_sim import kernel; print(kernel.AVAILABLE, kernel.UNAVAILABLE)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"AISCALE_KERNEL": "numpy", "PATH": ""}, check=True).stdout
    assert out.strip() == "False AISCALE_KERNEL=numpy"


def test_benchmark_quick():
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "bench_kernel.py"),
                          "--quick"], capture_output=True, text=True, check=True).stdout
    assert "same numbers from both rules: yes" in out
    assert "numpy / compiled: run" in out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), positions=st.integers(1, 10), high=st.integers(0, 6))
def test_compiled_departures_draw_and_compare_as_numpy_does(seed, positions, high):
    from aiscale_sim import talent

    rng = np.random.default_rng(seed)
    staff = rng.integers(0, high + 1, (positions, 4)).astype(np.int64)
    p_leave = (rng.random(positions) * 0.6).tolist()
    fast = talent._departures(np.random.default_rng(seed + 1), staff, p_leave)
    try:
        kernel.AVAILABLE = False
        ref = talent._departures(np.random.default_rng(seed + 1), staff, p_leave)
    finally:
        kernel.AVAILABLE = True
    assert (fast is None) == (ref is None)
    if ref is not None:
        np.testing.assert_array_equal(fast, ref)
