"""The employee rule compiled with Numba: the same numbers as :func:`employees.employee_step`.

The numpy rule in :mod:`aiscale_sim.employees` makes some sixty passes over the employee
columns a week, each a separate array operation; at a few thousand employees their calls,
temporaries and the three sparse products cost more than the arithmetic. Here the same rule is
two loops over the employees (one before the exponentials, one after), compiled by Numba.

**Bit for bit the same.** Every value is worked out with the same operations in the same order
as the numpy rule: each sum over an employee's ties runs over the CSR row in scipy's order from
0.0, per-unit terms are computed on the short unit arrays with numpy and gathered, and the two
exponentials (readiness and the awareness hazard) stay numpy calls, because numpy's vectorised
``exp`` and the C library's may differ in the last bit. Numba compiles without ``fastmath``, so
nothing is reordered or fused. ``tests/test_kernel.py`` checks equality, array for array, on
many weeks of real runs and on random states.

The week's bookkeeping around the rule is compiled too, each a plain count or a sum in the
order numpy makes it: first adoption weeks and each unit's sums of adopters and readiness
(:func:`_week_tallies`, the model's ``bincount`` sums), employees by stage and adopters by role
for the adoption reporters (:func:`_stage_tallies`), and the AI staff who leave in a week
(:func:`_leavers`, from the same uniform draws). Indices are read as unsigned integers
(:func:`_index`): they are never negative, and Numba then skips its check for Python's
count-from-the-end on every gather.

Numba is optional (the ``fast`` extra, in ``all``). Without it, or with ``AISCALE_KERNEL=numpy``
in the environment, the numpy rule runs; the results are the same either way.
"""

from __future__ import annotations

import os

import numpy as np

#: Why the compiled rule is not in use ("" when it is).
UNAVAILABLE = ""

try:  # pragma: no cover - depends on what is installed
    if os.environ.get("AISCALE_KERNEL", "").strip().lower() == "numpy":
        raise ImportError("AISCALE_KERNEL=numpy")
    from numba import njit
except ImportError as exc:  # pragma: no cover - depends on what is installed
    njit = None
    UNAVAILABLE = str(exc) or "numba is not installed"

AVAILABLE = njit is not None


def _index(i):
    """An index known not to be negative, as an unsigned integer.

    Numba checks every signed index for a negative value (Python's count from the end); an
    unsigned one it takes as it is, which makes the gathers over an employee's ties much
    faster. Every index here (ties, units, roles, stages) is 0 or more, so the element read is
    the same.
    """
    return np.uint64(i)


def _clip01(x):
    """``minimum(maximum(x, 0), 1)`` of one number (nan stays nan, as in numpy)."""
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


def _unit_terms(vs, automation, tools, rollout, automation_fear, no_communication,
                w_performance, w_conditions, change_conditions, rollout_rate, rollout_push):
    """The rule's per-unit terms, each as the numpy rule writes it on the unit arrays.

    Returns the trust target, automation fear, performance and conditions terms of the
    intention, and the rollout push on trying, per unit (the scalars are worked out by the
    caller exactly as the numpy rule's Python does).
    """
    n = vs.shape[0]
    trust_target = np.empty(n)
    fear = np.empty(n)
    perf = np.empty(n)
    cond = np.empty(n)
    push = np.empty(n)
    for u in range(n):
        v = vs[u]
        trust_target[u] = 0.4 + 0.4 * v
        fear[u] = automation_fear * automation[u] * no_communication
        perf[u] = w_performance * (0.3 + 0.7 * v)
        t = tools[u] + change_conditions
        cond[u] = w_conditions * (t if (t <= 1.0 or t != t) else 1.0)  # numpy's minimum(1, t)
        push[u] = rollout_rate * rollout[u] * rollout_push
    return trust_target, fear, perf, cond, push


def _before_exp(indptr, indices, data, stage, unit, role, lit, lit0, anx, trust, fit,
                threshold, role_bias, trust_target_u, incident_u, fear_u, perf_u, cond_u,
                lit_base, learn_rate, anxiety_diffusion, relief, trust_rate, w_effort,
                w_social, incentive_term, w_trust, w_anxiety, temperature, aware_base,
                aware_peer, s_unaware, s_aware, s_trying, s_adopted):
    """Everything up to the exponentials, one employee at a time (see the numpy rule)."""
    n = stage.shape[0]
    literacy = np.empty(n)
    anxiety = np.empty(n)
    trust_new = np.empty(n)
    intention = np.empty(n)
    z = np.empty(n)
    social = np.empty(n)
    neg_aware = np.empty(n)
    # The numpy rule's 0/1 vectors of who adopted and who is aware (faster to gather than the
    # stage codes themselves).
    x_adopted = np.empty(n)
    x_aware = np.empty(n)
    for i in range(n):
        x_adopted[i] = 1.0 if stage[i] == s_adopted else 0.0
        x_aware[i] = 0.0 if stage[i] == s_unaware else 1.0
    n_unaware = 0
    for i in range(n):
        st = stage[i]
        # The three products over i's ties, in scipy's CSR order, each from 0.0.
        s_adopt = 0.0
        s_anx = 0.0
        s_not_unaware = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            j = _index(indices[jj])
            w = data[jj]
            s_adopt += w * x_adopted[j]
            s_anx += w * anx[j]
            s_not_unaware += w * x_aware[j]
        social[i] = s_adopt
        u = _index(unit[i])
        # 1. Literacy.
        l0 = lit0[i]
        using = 1.0 if (st == s_trying or st == s_adopted) else 0.0
        target = l0 + (1.0 - l0) * (lit_base + 0.15 * using)
        li = lit[i]
        lit_i = li + learn_rate * (target - li)
        literacy[i] = lit_i
        # 2. Anxiety.
        a = anx[i]
        anx_i = a + anxiety_diffusion * (s_anx - a) - relief * a + fear_u[u] * (1.0 - a)
        anxiety[i] = anx_i
        # 3. Trust.
        t = trust[i]
        t = t + trust_rate * (trust_target_u[u] - t)
        t -= incident_u[u] * t
        trust_new[i] = t
        # 4. Intention, and the logistic's exponent.
        x = perf_u[u]
        x += w_effort * (lit_i * fit[i])
        x += w_social * s_adopt
        x += cond_u[u]
        x += incentive_term
        x += w_trust * t
        x -= w_anxiety * anx_i
        x += role_bias[_index(role[i])]
        intention[i] = x
        z[i] = (threshold[i] - x) / temperature
        # 5a. The awareness hazard's exponent, for the unaware only.
        if st == s_unaware:
            neg_aware[n_unaware] = -(aware_base + aware_peer * s_not_unaware)
            n_unaware += 1
    return literacy, anxiety, trust_new, intention, z, social, neg_aware[:n_unaware]


def _after_exp(stage, unit, draws, e_ready, p_aware, social, incident_u, rollout_u, p_bass,
               bass_q, weeks, incentive_push, try_to_adopt, try_to_reject, lapse, retry,
               literacy, trust, anxiety, s_unaware, s_aware, s_trying, s_adopted, s_lapsed):
    """Readiness and the stage transitions, one uniform draw each (see the numpy rule).

    ``literacy``, ``trust`` and ``anxiety`` (from :func:`_before_exp`) are clipped to [0, 1]
    in place, as the numpy rule's ``maximum(x, 0)`` then ``minimum(x, 1)``.
    """
    n = stage.shape[0]
    ready = np.empty(n)
    new = stage.copy()
    k = 0
    for i in range(n):
        literacy[i] = _clip01(literacy[i])
        trust[i] = _clip01(trust[i])
        anxiety[i] = _clip01(anxiety[i])
        r = 1.0 / (1.0 + e_ready[i])
        ready[i] = r
        st = stage[i]
        u = draws[i]
        if st == s_unaware:
            if u < p_aware[k]:
                new[i] = s_aware
            k += 1
            continue
        p_try = (p_bass + bass_q * social[i]) / weeks
        p_try += rollout_u[_index(unit[i])]
        p_try *= r
        p_try *= incentive_push
        if p_try > 1.0:
            p_try = 1.0
        if st == s_aware:
            if u < p_try:
                new[i] = s_trying
        elif st == s_trying:
            p_adopt = try_to_adopt * r
            p_reject = try_to_reject * (1.0 - r)
            if u < p_adopt:
                new[i] = s_adopted
            elif u < p_adopt + p_reject:
                new[i] = s_lapsed
        elif st == s_adopted:
            p_lapse = lapse * (1.0 - r) + incident_u[_index(unit[i])] * 0.5
            if u < p_lapse:
                new[i] = s_lapsed
        elif st == s_lapsed:
            if u < retry * p_try:
                new[i] = s_trying
    return new, ready


def _week_tallies(stage, ready, business, unit, adopt_week, week, n_units, s_adopted):
    """The model's end-of-week bookkeeping in one pass over the employees.

    Marks this week as the adoption week of whoever adopted for the first time, and sums per
    unit the business employees who have adopted and their readiness: the two ``bincount``
    sums of :meth:`EnterpriseModel._refresh_unit_stats`, each added in employee order from
    0.0 as ``bincount`` adds them.
    """
    adopted_sum = np.zeros(n_units)
    ready_sum = np.zeros(n_units)
    n = stage.shape[0]
    if n == 0:
        return adopted_sum, ready_sum
    # Employees come in runs of one unit: each unit's two sums are carried in registers along
    # a run and stored when it ends, the same additions in the same order.
    current = _index(unit[0])
    a = 0.0
    r = 0.0
    for i in range(n):
        u = _index(unit[i])
        if u != current:
            adopted_sum[current] = a
            ready_sum[current] = r
            current = u
            a = adopted_sum[u]
            r = ready_sum[u]
        b = business[i]
        if stage[i] == s_adopted:
            if adopt_week[i] < 0:
                adopt_week[i] = week
            a += 1.0 * b
        else:
            a += 0.0 * b
        r += ready[i] * b
    adopted_sum[current] = a
    ready_sum[current] = r
    return adopted_sum, ready_sum


def _stage_tallies(stage, role, n_stages, n_roles, s_adopted):
    """Employees by adoption stage, and adopters by role, in one pass (integer counts)."""
    # Four lanes of counters, so that one count's increment need not wait for the last one's
    # (whole numbers: the order of adding changes nothing).
    by_stage = np.zeros((4, n_stages), np.int64)
    adopted_by_role = np.zeros((4, n_roles), np.int64)
    for i in range(stage.shape[0]):
        lane = i & 3
        st = _index(stage[i])
        by_stage[lane, st] += 1
        adopted_by_role[lane, _index(role[i])] += 1 if st == s_adopted else 0
    return by_stage.sum(axis=0), adopted_by_role.sum(axis=0)


def _leavers(u, staff, p_leave):
    """Leavers by position and role, and whether anyone left.

    Member ``k`` in position-then-role order (as ``talent._departures`` lays them out) leaves
    when ``u[k]`` is below the chance of leaving of its position.
    """
    left = np.zeros_like(staff)
    k = 0
    anyone = False
    for i in range(staff.shape[0]):
        p = p_leave[i]
        for r in range(staff.shape[1]):
            for _ in range(staff[i, r]):
                if u[k] < p:
                    left[i, r] += 1
                    anyone = True
                k += 1
    return left, anyone


if AVAILABLE:  # pragma: no branch
    _index = njit(inline="always")(_index)
    _clip01 = njit(inline="always")(_clip01)
    unit_terms = njit(cache=True, nogil=True)(_unit_terms)
    before_exp = njit(cache=True, nogil=True)(_before_exp)
    after_exp = njit(cache=True, nogil=True)(_after_exp)
    week_tallies = njit(cache=True, nogil=True)(_week_tallies)
    stage_tallies = njit(cache=True, nogil=True)(_stage_tallies)
    leavers = njit(cache=True, nogil=True)(_leavers)
else:  # pragma: no cover - depends on what is installed
    before_exp = after_exp = week_tallies = stage_tallies = leavers = unit_terms = None
