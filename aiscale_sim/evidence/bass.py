"""The adoption rule's Bass special case (Bass 1969), with any yearly p and q.

With everyone aware and ready (a threshold far below any intention), no rejection, no lapse,
no rollout push and a complete graph (everyone sees the share of adopters), the employee rule
reduces to the Bass model: an employee who has not tried AI starts trying at the weekly hazard
``(p + q * F) / 52``, ``F`` the share of adopters. :func:`bass_check` runs the rule itself
(:func:`aiscale_sim.employees.employee_step`) that way and compares the share that has tried
AI with the discrete weekly Bass recursion ``F' = F + (p + q F) / 52 (1 - F)`` (the rule's own
time step) and with the continuous curve ``F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from aiscale_sim.errors import UserInputError

#: Allowed yearly coefficients: p > 0 (the continuous curve needs it) up to 1, q from 0 to 2.
#: Published estimates lie well inside (Sultan, Farley & Lehmann 1990: p about 0.03, q about
#: 0.38).
P_RANGE, Q_RANGE = (0.0, 1.0), (0.0, 2.0)
EMPLOYEES = 20000
SEED = 5
MIN_YEARS, MAX_YEARS = 8, 40


class MeanField:
    """A complete graph's influence: everyone sees the population's mean."""

    def __init__(self, n: int):
        self.n = n

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        return np.full(self.n, np.mean(x))


def check_coefficients(p: float, q: float) -> None:
    """Refuse coefficients outside :data:`P_RANGE` (p > 0) and :data:`Q_RANGE`."""
    for name, v, (lo, hi), strict in (("p", p, P_RANGE, True), ("q", q, Q_RANGE, False)):
        bad = (not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v)
               or v > hi or (v <= lo if strict else v < lo))
        if bad:
            allowed = (f"greater than {lo:g} and at most {hi:g}" if strict
                       else f"from {lo:g} to {hi:g}")
            raise UserInputError(f"Bass coefficient {name} = {v!r} per year is out of range; "
                                 f"allowed {allowed}")


def horizon_years(p: float, q: float) -> int:
    """Years to simulate: twice the continuous curve's peak time, 8 to 40 years."""
    peak = math.log(q / p) / (p + q) if q > p else 0.0
    return int(min(MAX_YEARS, max(MIN_YEARS, math.ceil(2.0 * peak))))


def bass_curves(p: float, q: float, weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """The discrete weekly Bass recursion and the continuous curve at weeks 1 .. ``weeks``."""
    f, discrete = 0.0, np.empty(weeks)
    for i in range(weeks):
        f = f + (p + q * f) / 52.0 * (1.0 - f)
        discrete[i] = f
    t = np.arange(1, weeks + 1) / 52.0
    e = np.exp(-(p + q) * t)
    continuous = (1.0 - e) / (1.0 + q / p * e)
    return discrete, continuous


@dataclass
class BassCheck:
    """The Bass special case's curves and deviations (shares of employees, 0-1)."""

    p: float
    q: float
    employees: int
    seed: int
    years: int
    max_abs_deviation_discrete: float
    max_abs_deviation_continuous: float
    version: str
    weeks: list[int] = field(repr=False)
    simulated: list[float] = field(repr=False)
    discrete: list[float] = field(repr=False)
    continuous: list[float] = field(repr=False)

    def summary(self) -> dict:
        """The deviations and what was run (``bass.json``), without the curves."""
        d = asdict(self)
        for k in ("weeks", "simulated", "discrete", "continuous"):
            d.pop(k)
        return {"scenario": "bass special case", **d}


def bass_check(p: float, q: float, *, employees: int = EMPLOYEES, seed: int = SEED,
               years: int | None = None) -> BassCheck:
    """Run the adoption rule in its Bass special case and compare it with the Bass curves.

    Args:
        p: Coefficient of innovation, per year.
        q: Coefficient of imitation, per year.
        employees: Employees simulated (sampling noise shrinks as 1/sqrt(employees)).
        seed: Seed of the weekly draws.
        years: Years to simulate (default :func:`horizon_years`).

    Returns:
        The :class:`BassCheck`.

    Raises:
        UserInputError: p or q out of range.
    """
    from aiscale_sim.employees import EmployeeParams, PolicyInputs, UnitInputs, employee_step
    from aiscale_sim.simulate import package_version
    from aiscale_sim.states import Adoption

    check_coefficients(p, q)
    years = horizon_years(p, q) if years is None else int(years)
    n, weeks = int(employees), 52 * years
    rng = np.random.default_rng(seed)
    params = EmployeeParams(bass_p=p, bass_q=q, try_to_adopt=1.0, try_to_reject=0.0,
                            lapse=0.0, temperature=1e-6, rollout=0.0)
    cols = {"literacy": np.full(n, 0.5), "literacy0": np.full(n, 0.5),
            "trust": np.full(n, 0.5), "anxiety": np.zeros(n), "threshold": np.full(n, -10.0),
            "fit": np.ones(n), "unit": np.zeros(n, dtype=int),
            "role": np.zeros(n, dtype=np.int8),
            "stage": np.full(n, Adoption.AWARE, dtype=np.int8)}
    unit_in = UnitInputs(*(np.zeros(1) for _ in range(5)))
    policy = PolicyInputs(0.0, 0.0, 0.0, 0.0)
    influence = MeanField(n)
    tried = (int(Adoption.TRYING), int(Adoption.ADOPTED))
    share = np.empty(weeks)
    for i in range(weeks):
        cols.update(employee_step(cols, influence, unit_in, policy, params, rng.random(n)))
        share[i] = np.isin(cols["stage"], tried).mean()
    discrete, continuous = bass_curves(p, q, weeks)
    return BassCheck(
        p=float(p), q=float(q), employees=n, seed=int(seed), years=years,
        max_abs_deviation_discrete=float(np.max(np.abs(share - discrete))),
        max_abs_deviation_continuous=float(np.max(np.abs(share - continuous))),
        version=package_version(), weeks=list(range(1, weeks + 1)),
        simulated=share.tolist(), discrete=discrete.tolist(), continuous=continuous.tolist())
