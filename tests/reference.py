"""A slow, per-agent reference of the employee rule, for checking the vectorised fast path.

:func:`reference_step` walks over ``model.employees`` one :class:`Employee` at a time, reads the
employee's own attributes through the agent's properties, visits its neighbours on the org graph
one by one, and applies the rule of :mod:`aiscale_sim.employees` with plain Python arithmetic
(``if``/``elif`` on the stage, :func:`math.exp`). It never calls
:func:`aiscale_sim.employees.employee_step` and uses no whole-column numpy operations, so an
agreement between the two is evidence that both encode the same rule.

Influence weights are rebuilt per agent from the ties, following :func:`network.build_org`:
every tie weighs 1, except the tie from an employee to their own manager, through which the
manager pulls on the employee with ``MANAGER_WEIGHT``; the manager is pulled by each direct
report with weight 1 like any peer. An employee's weights are divided by their sum (an employee
with no ties feels no influence).
"""

from __future__ import annotations

import math

import numpy as np

from aiscale_sim.employees import (
    ROLE_BIAS,
    WEEKS_PER_YEAR,
    EmployeeParams,
    PolicyInputs,
    UnitInputs,
)
from aiscale_sim.network import MANAGER_WEIGHT
from aiscale_sim.states import Adoption

OUTPUTS = ("literacy", "trust", "anxiety", "stage", "intention", "readiness")


def clip01(x: float) -> float:
    """Clamp ``x`` to the interval [0, 1]."""
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


def neighbour_weights(model, employee) -> list[tuple[object, float]]:
    """The employee's neighbours with their normalised pull on the employee.

    Args:
        model: An :class:`aiscale_sim.EnterpriseModel`.
        employee: One of ``model.employees``.

    Returns:
        ``(neighbour Employee, weight)`` pairs whose weights sum to 1 (empty without ties).
    """
    manager = employee.manager
    manager_row = manager.row if manager is not None else -1
    raw = []
    for j in model.org.graph.neighbors(employee.row):
        weight = MANAGER_WEIGHT if j == manager_row else 1.0
        raw.append((model.employees[j], weight))
    total = sum(w for _, w in raw)
    if total <= 0.0:
        return []
    return [(other, w / total) for other, w in raw]


def reference_step(model, unit_in: UnitInputs, policy: PolicyInputs, params: EmployeeParams,
                   draws) -> dict[str, np.ndarray]:
    """Advance every employee one week, one agent at a time (slow; for tests only).

    All employees read last week's state (nothing is written back to the model), so the result
    must equal ``employee_step(model.emp, model.org.influence, unit_in, policy, params, draws)``.

    Args:
        model: An :class:`aiscale_sim.EnterpriseModel` (not modified).
        unit_in: This week's per-unit inputs.
        policy: Employee-facing policy effects.
        params: Rule constants.
        draws: One uniform random number per employee, indexed by the employee's row.

    Returns:
        New ``literacy``, ``trust``, ``anxiety`` and ``stage`` plus this week's ``intention`` and
        ``readiness``, as arrays indexed by row (``stage`` as int8).
    """
    p = params
    out: dict[str, list] = {name: [0] * len(model.employees) for name in OUTPUTS}
    train = 1.0 - math.exp(-policy.training_hours / p.train_scale)

    for emp in model.employees:
        i = emp.row
        stage = emp.stage
        u_idx = emp.unit
        value = float(unit_in.value_signal[u_idx])
        tools = float(unit_in.tools[u_idx])
        automation = float(unit_in.automation[u_idx])
        incident = float(unit_in.incident[u_idx])
        rolled_out = float(unit_in.rollout[u_idx])

        # Neighbourhood: weighted shares of adopted and aware ties, weighted mean anxiety.
        social = 0.0
        social_aware = 0.0
        neighbour_anxiety = 0.0
        for other, w in neighbour_weights(model, emp):
            other_stage = other.stage
            if other_stage == Adoption.ADOPTED:
                social += w
            if other_stage != Adoption.UNAWARE:
                social_aware += w
            neighbour_anxiety += w * other.anxiety

        # 1. Literacy.
        using = 1.0 if stage in (Adoption.TRYING, Adoption.ADOPTED) else 0.0
        lit0 = emp.literacy0
        target = lit0 + (1.0 - lit0) * (0.8 * train + 0.15 * using)
        literacy = emp.literacy + p.learn_rate * (target - emp.literacy)

        # 2. Anxiety.
        anx = emp.anxiety
        relief = p.anxiety_relief * (policy.communication + 0.5 * train)
        fear = p.automation_fear * automation * (1.0 - policy.communication)
        anxiety = (anx + p.anxiety_diffusion * (neighbour_anxiety - anx) - relief * anx
                   + fear * (1.0 - anx))

        # 3. Trust.
        trust = emp.trust + p.trust_rate * (0.4 + 0.4 * value - emp.trust)
        trust = trust - incident * trust

        # 4. Intention and readiness (unclipped literacy, trust and anxiety, as in the rule).
        conditions = min(1.0, tools + 0.3 * policy.change)
        intention = (p.w_performance * (0.3 + 0.7 * value)
                     + p.w_effort * literacy * emp.fit
                     + p.w_social * social
                     + p.w_conditions * conditions
                     + p.w_incentive * policy.incentive
                     + p.w_trust * trust
                     - p.w_anxiety * anxiety
                     + float(ROLE_BIAS[int(emp.role)]))
        ready = 1.0 / (1.0 + math.exp(-(intention - emp.threshold) / p.temperature))

        # 5. Stage transition from this employee's draw.
        u = float(draws[i])
        bass = (p.bass_p * (1.0 + 3.0 * policy.change) + p.bass_q * social) / WEEKS_PER_YEAR
        push = p.rollout * rolled_out * (0.5 + policy.change)
        p_try = min(1.0, (bass + push) * ready * (1.0 + 2.0 * policy.incentive))
        new_stage = stage
        if stage == Adoption.UNAWARE:
            hazard = p.aware_ext * (1.0 + 2.0 * policy.change) + p.aware_peer * social_aware
            if u < 1.0 - math.exp(-hazard):
                new_stage = Adoption.AWARE
        elif stage == Adoption.AWARE:
            if u < p_try:
                new_stage = Adoption.TRYING
        elif stage == Adoption.TRYING:
            p_adopt = p.try_to_adopt * ready
            p_reject = p.try_to_reject * (1.0 - ready)
            if u < p_adopt:
                new_stage = Adoption.ADOPTED
            elif u < p_adopt + p_reject:
                new_stage = Adoption.LAPSED
        elif stage == Adoption.ADOPTED:
            if u < p.lapse * (1.0 - ready) + incident * 0.5:
                new_stage = Adoption.LAPSED
        elif stage == Adoption.LAPSED:
            if u < p.retry * p_try:
                new_stage = Adoption.TRYING

        out["literacy"][i] = clip01(literacy)
        out["trust"][i] = clip01(trust)
        out["anxiety"][i] = clip01(anxiety)
        out["stage"][i] = int(new_stage)
        out["intention"][i] = intention
        out["readiness"][i] = ready

    result = {name: np.array(values, dtype=np.float64) for name, values in out.items()}
    result["stage"] = np.array(out["stage"], dtype=np.int8)
    return result
