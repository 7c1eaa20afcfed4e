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

from aiscale_sim.states import Adoption

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
        tools: Facilitating conditions, 0-1 (tools in production plus generic assistants).
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
    return 1.0 / (1.0 + np.exp(-(intention - threshold) / temperature))


def bass_hazard(p_year: float, q_year: float, social: np.ndarray) -> np.ndarray:
    """Weekly Bass hazard ``p + q * social`` with yearly coefficients (Bass 1969)."""
    return (p_year + q_year * social) / WEEKS_PER_YEAR


def employee_step(
    cols: dict[str, np.ndarray],
    influence: sp.csr_matrix,
    unit_in: UnitInputs,
    policy: PolicyInputs,
    params: EmployeeParams,
    draws: np.ndarray,
) -> dict[str, np.ndarray]:
    """Advance every employee one week at once.

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
    p = params
    stage = cols["stage"]
    unit = cols["unit"]
    adopted = (stage == Adoption.ADOPTED).astype(np.float64)
    aware = (stage != Adoption.UNAWARE).astype(np.float64)
    social = influence @ adopted
    social_aware = influence @ aware
    neighbour_anxiety = influence @ cols["anxiety"]
    using = (stage == Adoption.TRYING) | (stage == Adoption.ADOPTED)

    # 1. Literacy: towards a training- and use-dependent target.
    lit0 = cols["literacy0"]
    train = training_effect(policy.training_hours, p.train_scale)
    target = lit0 + (1.0 - lit0) * (0.8 * train + 0.15 * using)
    literacy = cols["literacy"] + p.learn_rate * (target - cols["literacy"])

    # 2. Anxiety: diffusion over ties, automation pressure, relief by communication/reskilling.
    anx = cols["anxiety"]
    relief = p.anxiety_relief * (policy.communication + 0.5 * train)
    fear = p.automation_fear * unit_in.automation[unit] * (1.0 - policy.communication)
    anxiety = anx + p.anxiety_diffusion * (neighbour_anxiety - anx) - relief * anx + fear * (
        1.0 - anx
    )

    # 3. Trust: towards delivered value, minus incidents.
    value = unit_in.value_signal[unit]
    trust = cols["trust"] + p.trust_rate * (0.4 + 0.4 * value - cols["trust"])
    trust = trust - unit_in.incident[unit] * trust

    # 4. Intention (UTAUT) and readiness.
    performance = 0.3 + 0.7 * value
    effort = literacy * cols["fit"]
    conditions = np.minimum(1.0, unit_in.tools[unit] + 0.3 * policy.change)
    intention = (
        p.w_performance * performance
        + p.w_effort * effort
        + p.w_social * social
        + p.w_conditions * conditions
        + p.w_incentive * policy.incentive
        + p.w_trust * trust
        - p.w_anxiety * anxiety
        + ROLE_BIAS[cols["role"]]
    )
    ready = readiness(intention, cols["threshold"], p.temperature)

    # 5. Stage transitions, one uniform draw each.
    aware_hazard = p.aware_ext * (1.0 + 2.0 * policy.change) + p.aware_peer * social_aware
    p_aware = 1.0 - np.exp(-aware_hazard)
    # Bass hazard plus the push of a tool rolled out in the employee's own unit.
    rollout = p.rollout * unit_in.rollout[unit] * (0.5 + policy.change)
    p_try = (bass_hazard(p.bass_p * (1.0 + 3.0 * policy.change), p.bass_q, social) + rollout)
    p_try = p_try * ready
    p_try = np.minimum(1.0, p_try * (1.0 + 2.0 * policy.incentive))
    p_adopt = p.try_to_adopt * ready
    p_reject = p.try_to_reject * (1.0 - ready)
    p_lapse = p.lapse * (1.0 - ready) + unit_in.incident[unit] * 0.5

    new = stage.copy()
    u = draws
    new[(stage == Adoption.UNAWARE) & (u < p_aware)] = Adoption.AWARE
    new[(stage == Adoption.AWARE) & (u < p_try)] = Adoption.TRYING
    trying = stage == Adoption.TRYING
    new[trying & (u < p_adopt)] = Adoption.ADOPTED
    new[trying & (u >= p_adopt) & (u < p_adopt + p_reject)] = Adoption.LAPSED
    new[(stage == Adoption.ADOPTED) & (u < p_lapse)] = Adoption.LAPSED
    new[(stage == Adoption.LAPSED) & (u < p.retry * p_try)] = Adoption.TRYING

    return {
        "literacy": np.clip(literacy, 0.0, 1.0),
        "trust": np.clip(trust, 0.0, 1.0),
        "anxiety": np.clip(anxiety, 0.0, 1.0),
        "stage": new,
        "intention": intention,
        "readiness": ready,
    }
