"""The employee rule, applied to every employee at once on numpy columns.

What an employee does each week (all employees update simultaneously from last week's state;
see docs/ODD.md, "Scheduling"):

1. **Literacy** moves towards a target set by training hours (saturating: the first few hours
   matter most, BCG 2025 finds five hours the threshold for regular use) and by hands-on use;
   without training it fades back to the employee's starting level.
2. **Anxiety** about job loss spreads over ties (a DeGroot-style average with neighbours), is
   raised by automation in the employee's unit and lowered by honest communication about jobs
   and by reskilling.
3. **Trust** in AI drifts towards what the unit's AI actually delivers and drops after an
   incident in the unit.
4. **Intention** follows UTAUT (Venkatesh et al. 2003): performance expectancy (value the unit
   sees from AI in production), effort expectancy (literacy times workflow fit), social influence
   (the weighted share of ties that adopted, a manager's tie weighing more), facilitating
   conditions (tools in production in the unit, change-management support), plus incentives,
   trust and anxiety. Readiness is a logistic function of intention minus a personal threshold
   (Granovetter 1978).
5. **Stage**: unaware -> aware (announcements and aware peers), aware -> trying at a Bass hazard
   ``p + q * social`` (Bass 1969) scaled by readiness, trying -> adopted or rejected, adopted ->
   lapsed when readiness falls, lapsed -> trying again occasionally (Rogers 2003).

One uniform draw per employee per week decides the stage transition, so the fast path here and
the per-agent reference in the tests consume exactly the same random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from aiscale_sim import kernel as _kernel
from aiscale_sim.states import Adoption


def _checked_kernel():
    """The CSR mat-vec kernel of scipy, if it is where it was and gives what ``@`` does, or None.

    The kernel lives in a private scipy module, so it is tried once on a small matrix here: a
    scipy that moved it or changed its signature makes every product go through ``@``.
    """
    try:
        from scipy.sparse._sparsetools import csr_matvec

        m = sp.csr_matrix(np.array([[0.5, 0.0, 0.25], [0.0, 1.0, 0.0]]))
        x = np.array([1.0, 2.0, 4.0])
        y = np.zeros(2)
        csr_matvec(*m.shape, m.indptr, m.indices, m.data, x, y)
        return csr_matvec if np.array_equal(y, m @ x) else None
    except Exception:  # pragma: no cover - depends on the installed scipy
        return None


_csr_matvec = _checked_kernel()  # the kernel that ``csr_matrix @ vector`` runs

WEEKS_PER_YEAR = 52.0


@dataclass(frozen=True)
class EmployeeParams:
    """Constants of the employee rule (calibration, not levers).

    Args:
        bass_p: Bass coefficient of innovation, per year (external influence).
        bass_q: Bass coefficient of imitation, per year (influence of adopting ties).
        aware_ext: Weekly probability of hearing about AI tools from announcements.
        aware_peer: Weekly awareness hazard per unit share of aware ties.
        learn_rate: Weekly share of the gap to target literacy closed.
        train_scale: Training hours per year at which the training effect is 63% saturated.
        anxiety_diffusion: Weekly pull of anxiety towards the neighbours' mean.
        anxiety_relief: Weekly relative fall of anxiety at full communication.
        automation_fear: Weekly rise of anxiety at full automation pressure.
        trust_rate: Weekly share of the gap to target trust closed.
        try_to_adopt: Weekly probability a fully ready trier adopts.
        try_to_reject: Weekly probability a fully unready trier gives up.
        lapse: Weekly probability a fully unready adopter lapses.
        retry: Relative hazard of a lapsed employee trying again.
        rollout: Weekly hazard of trying a tool rolled out in one's own unit (full rollout).
        tools_scale: Live tools in a unit (production use cases and assistants) at which its
            rollout is 63% complete.
        temperature: Width of the logistic readiness curve.
    """

    bass_p: float = 0.03
    bass_q: float = 0.5
    aware_ext: float = 0.01
    aware_peer: float = 0.08
    learn_rate: float = 0.02
    train_scale: float = 5.0
    anxiety_diffusion: float = 0.05
    anxiety_relief: float = 0.004
    automation_fear: float = 0.004
    trust_rate: float = 0.02
    try_to_adopt: float = 0.12
    try_to_reject: float = 0.04
    lapse: float = 0.01
    retry: float = 0.2
    rollout: float = 0.05
    tools_scale: float = 4.5
    temperature: float = 0.08
    # UTAUT weights
    w_performance: float = 0.30
    w_effort: float = 0.30
    w_social: float = 0.25
    w_conditions: float = 0.25
    w_incentive: float = 0.10
    w_trust: float = 0.15
    w_anxiety: float = 0.30


#: Intention bias by role (index = Role value): managers and executives see more use for AI
#: in knowledge work; AI staff build it.
ROLE_BIAS = np.array([0.0, 0.23, 0.27, 0.3, 0.3, 0.3, 0.3])


@dataclass
class UnitInputs:
    """What each business unit offers its employees this week (arrays of length units).

    Args:
        value_signal: Perceived usefulness of AI in the unit, 0-1 (from live use cases).
        tools: Facilitating conditions, 0-1 (tools live in the unit, assistants included).
        automation: Automation pressure, 0-1 (drives job anxiety).
        incident: Trust lost this week through incidents in the unit, 0-1.
        rollout: How far AI tools are rolled out in the unit's workflows, 0-1.
    """

    value_signal: np.ndarray
    tools: np.ndarray
    automation: np.ndarray
    incident: np.ndarray
    rollout: np.ndarray


@dataclass
class PolicyInputs:
    """Employee-facing policy levers, already turned into effects 0-1.

    Args:
        training_hours: Training hours per employee per year.
        change: Change-management effect, 0-1.
        incentive: Adoption-incentive effect, 0-1.
        communication: Communication about jobs, 0-1.
    """

    training_hours: float
    change: float
    incentive: float
    communication: float


def training_effect(hours_per_year: float, scale: float) -> float:
    """Saturating effect of training hours: 0 with none, 0.63 at ``scale`` hours."""
    return 1.0 - np.exp(-hours_per_year / scale)


def readiness(intention: np.ndarray, threshold: np.ndarray, temperature: float) -> np.ndarray:
    """Logistic readiness to use AI: 0.5 where intention equals the personal threshold."""
    # (threshold - intention) is exactly -(intention - threshold), one operation fewer.
    return 1.0 / (1.0 + np.exp((threshold - intention) / temperature))


def bass_hazard(p_year: float, q_year: float, social: np.ndarray) -> np.ndarray:
    """Weekly Bass hazard ``p + q * social`` with yearly coefficients (Bass 1969)."""
    return (p_year + q_year * social) / WEEKS_PER_YEAR


#: The stage codes as plain ints, in this order: numpy compares the int8 ``stage`` column with a
#: plain int several times faster than with an ``Adoption`` member.
_STAGES = tuple(
    int(s) for s in (Adoption.UNAWARE, Adoption.AWARE, Adoption.TRYING, Adoption.ADOPTED,
                     Adoption.LAPSED)
)


def _matvec(matrix: sp.csr_matrix, x: np.ndarray) -> np.ndarray:
    """``matrix @ x``, calling scipy's kernel directly for a CSR matrix and a float vector.

    The dispatch behind ``@`` costs a few microseconds a call, a noticeable share of a week with a
    few thousand employees; the kernel, and so the result, is the same. Anything else (another
    sparse format, or any object with ``@``) goes through ``@``.
    """
    if (_csr_matvec is None or not sp.issparse(matrix) or matrix.format != "csr"
            or matrix.dtype != np.float64 or x.dtype != np.float64 or x.ndim != 1
            or x.shape[0] != matrix.shape[1]):
        return matrix @ x  # (and ``@`` raises on mismatched shapes)
    y = np.zeros(matrix.shape[0])
    _csr_matvec(*matrix.shape, matrix.indptr, matrix.indices, matrix.data, x, y)
    return y


def _clip01(x: np.ndarray) -> np.ndarray:
    """Clip ``x`` to [0, 1] in place (two ufunc calls: ``ndarray.clip``'s wrapper costs more)."""
    np.maximum(x, 0.0, out=x)
    return np.minimum(x, 1.0, out=x)


def employee_step(
    cols: dict[str, np.ndarray],
    influence: sp.csr_matrix,
    unit_in: UnitInputs,
    policy: PolicyInputs,
    params: EmployeeParams,
    draws: np.ndarray,
    *,
    compiled: bool | None = None,
) -> dict[str, np.ndarray]:
    """Advance every employee one week at once.

    Runs the rule compiled by Numba (:mod:`aiscale_sim.kernel`) where it can, and the numpy
    rule (:func:`employee_step_numpy`) otherwise; both give the same numbers, bit for bit.

    Args:
        cols: Employee columns (``literacy``, ``literacy0``, ``trust``, ``anxiety``, ``stage``,
            ``threshold``, ``fit``, ``unit``, ``role``).
        influence: Row-normalised influence matrix (row i: who pulls on employee i).
        unit_in: This week's per-unit inputs.
        policy: Employee-facing policy effects.
        params: Rule constants.
        draws: One uniform random number per employee.
        compiled: Whether the compiled rule takes these inputs, if the caller has already asked
            :func:`compiled_applies` (a model asks once: its columns keep their types); None
            asks now.

    Returns:
        New values of ``literacy``, ``trust``, ``anxiety`` and ``stage``, plus this week's
        ``intention`` and ``readiness`` (for outputs).
    """
    if compiled is None:
        compiled = compiled_applies(cols, influence, draws)
    if compiled:
        return _employee_step_compiled(cols, influence, unit_in, policy, params, draws)
    return employee_step_numpy(cols, influence, unit_in, policy, params, draws)


_FLOAT_COLS = ("literacy", "literacy0", "trust", "anxiety", "threshold", "fit")


def compiled_applies(cols, influence, draws) -> bool:
    """Whether the compiled rule takes these inputs (a float64 CSR matrix, float64 columns)."""
    if not _kernel.AVAILABLE or not sp.issparse(influence) or influence.format != "csr":
        return False
    n = cols["stage"].shape[0]
    if influence.dtype != np.float64 or influence.shape != (n, n):
        return False
    return draws.dtype == np.float64 and all(
        isinstance(cols[c], np.ndarray) and cols[c].dtype == np.float64 for c in _FLOAT_COLS)


def _employee_step_compiled(cols, influence, unit_in, policy, params, draws):
    """:func:`employee_step_numpy`'s rule as two compiled loops (see :mod:`aiscale_sim.kernel`).

    The per-unit terms and the scalars are worked out here with exactly the numpy rule's
    expressions; the loops gather them and do the per-employee arithmetic in the same order.
    """
    p = params
    train = training_effect(policy.training_hours, p.train_scale)
    vs = unit_in.value_signal
    stage = cols["stage"]
    unit = cols["unit"]
    stages = _STAGES
    trust_target, fear, perf, cond, push = _kernel.unit_terms(
        vs, unit_in.automation, unit_in.tools, unit_in.rollout, p.automation_fear,
        float(1.0 - policy.communication), p.w_performance, p.w_conditions,
        float(0.3 * policy.change), p.rollout, float(0.5 + policy.change))
    literacy, anxiety, trust, intention, z, social, neg_aware = _kernel.before_exp(
        influence.indptr, influence.indices, influence.data, stage, unit, cols["role"],
        cols["literacy"], cols["literacy0"], cols["anxiety"], cols["trust"], cols["fit"],
        cols["threshold"], ROLE_BIAS, trust_target, unit_in.incident, fear, perf, cond,
        float(0.8 * train), p.learn_rate, p.anxiety_diffusion,
        float(p.anxiety_relief * (policy.communication + 0.5 * train)), p.trust_rate,
        p.w_effort, p.w_social, float(p.w_incentive * policy.incentive), p.w_trust,
        p.w_anxiety, p.temperature, float(p.aware_ext * (1.0 + 2.0 * policy.change)),
        p.aware_peer, *stages[:4])
    e_ready = np.exp(z)  # numpy's exp, as the numpy rule's readiness uses
    p_aware = 1.0 - np.exp(neg_aware)
    new, ready = _kernel.after_exp(
        stage, unit, draws, e_ready, p_aware, social, unit_in.incident, push,
        float(p.bass_p * (1.0 + 3.0 * policy.change)), p.bass_q, WEEKS_PER_YEAR,
        float(1.0 + 2.0 * policy.incentive), p.try_to_adopt, p.try_to_reject, p.lapse,
        p.retry, literacy, trust, anxiety, *stages)  # (clips the three in place)
    return {
        "literacy": literacy,
        "trust": trust,
        "anxiety": anxiety,
        "stage": new,
        "intention": intention,
        "readiness": ready,
    }


def employee_step_numpy(
    cols: dict[str, np.ndarray],
    influence: sp.csr_matrix,
    unit_in: UnitInputs,
    policy: PolicyInputs,
    params: EmployeeParams,
    draws: np.ndarray,
) -> dict[str, np.ndarray]:
    """Advance every employee one week at once, in whole-column numpy operations.

    Args:
        cols: Employee columns (``literacy``, ``literacy0``, ``trust``, ``anxiety``, ``stage``,
            ``threshold``, ``fit``, ``unit``, ``role``).
        influence: Row-normalised influence matrix (row i: who pulls on employee i).
        unit_in: This week's per-unit inputs.
        policy: Employee-facing policy effects.
        params: Rule constants.
        draws: One uniform random number per employee.

    Returns:
        New values of ``literacy``, ``trust``, ``anxiety`` and ``stage``, plus this week's
        ``intention`` and ``readiness`` (for outputs).
    """
    # Terms that depend only on the unit (and the policy) are worked out on the short per-unit
    # arrays of ``unit_in`` and then handed to every employee with ``.take(unit)`` (a faster
    # ``[unit]``): per employee, the arithmetic is the same and in the same order as writing
    # them out per employee, so the results are too.
    p = params
    stage = cols["stage"]
    unit = cols["unit"].astype(np.intp)  # one index conversion for all the gathers below
    lit, anx = cols["literacy"], cols["anxiety"]
    unaware, aware, trying, adopted, lapsed = (stage == s for s in _STAGES)
    social = _matvec(influence, adopted.astype(np.float64))
    neighbour_anxiety = _matvec(influence, anx)
    any_unaware = unaware.any()
    if any_unaware:  # only the unaware need the share of aware ties (step 5)
        social_aware = _matvec(influence, (~unaware).astype(np.float64))[unaware]

    # 1. Literacy: towards a training- and use-dependent target.
    lit0 = cols["literacy0"]
    train = training_effect(policy.training_hours, p.train_scale)
    using = trying | adopted
    target = lit0 + (1.0 - lit0) * (0.8 * train + 0.15 * using)
    literacy = lit + p.learn_rate * (target - lit)

    # 2. Anxiety: diffusion over ties, automation pressure, relief by communication/reskilling.
    relief = p.anxiety_relief * (policy.communication + 0.5 * train)
    fear = (p.automation_fear * unit_in.automation * (1.0 - policy.communication)).take(unit)
    anxiety = anx + p.anxiety_diffusion * (neighbour_anxiety - anx) - relief * anx + fear * (
        1.0 - anx
    )

    # 3. Trust: towards delivered value, minus incidents.
    trust = cols["trust"]
    trust = trust + p.trust_rate * ((0.4 + 0.4 * unit_in.value_signal).take(unit) - trust)
    incident = unit_in.incident.take(unit)
    trust -= incident * trust

    # 4. Intention (UTAUT) and readiness.
    performance = 0.3 + 0.7 * unit_in.value_signal  # per unit
    conditions = np.minimum(1.0, unit_in.tools + 0.3 * policy.change)  # per unit
    effort = literacy * cols["fit"]
    intention = (p.w_performance * performance).take(unit)
    intention += p.w_effort * effort
    intention += p.w_social * social
    intention += (p.w_conditions * conditions).take(unit)
    intention += p.w_incentive * policy.incentive
    intention += p.w_trust * trust
    intention -= p.w_anxiety * anxiety
    intention += ROLE_BIAS.take(cols["role"])
    ready = readiness(intention, cols["threshold"], p.temperature)

    # 5. Stage transitions, one uniform draw each.
    new = stage.copy()
    u = draws
    if any_unaware:  # the awareness hazard is worked out for the unaware alone
        aware_hazard = p.aware_ext * (1.0 + 2.0 * policy.change) + p.aware_peer * social_aware
        p_aware = 1.0 - np.exp(-aware_hazard)
        new[unaware] = np.where(u[unaware] < p_aware, Adoption.AWARE, Adoption.UNAWARE)
    # Bass hazard plus the push of a tool rolled out in the employee's own unit.
    rollout = p.rollout * unit_in.rollout * (0.5 + policy.change)  # per unit
    p_try = bass_hazard(p.bass_p * (1.0 + 3.0 * policy.change), p.bass_q, social)
    p_try += rollout.take(unit)
    p_try *= ready
    p_try *= 1.0 + 2.0 * policy.incentive
    np.minimum(p_try, 1.0, out=p_try)
    p_adopt = p.try_to_adopt * ready
    unready = 1.0 - ready
    p_reject = p.try_to_reject * unready
    p_lapse = p.lapse * unready + incident * 0.5

    new[aware & (u < p_try)] = Adoption.TRYING
    new[trying & (u < p_adopt)] = Adoption.ADOPTED
    new[trying & (u >= p_adopt) & (u < p_adopt + p_reject)] = Adoption.LAPSED
    new[adopted & (u < p_lapse)] = Adoption.LAPSED
    new[lapsed & (u < p.retry * p_try)] = Adoption.TRYING

    return {
        "literacy": _clip01(literacy),
        "trust": _clip01(trust),
        "anxiety": _clip01(anxiety),
        "stage": new,
        "intention": intention,
        "readiness": ready,
    }
