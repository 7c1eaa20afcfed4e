"""Named reporter functions: what the model reports each week and at the end of a run.

Reporters are plain module-level functions of the model (not lambdas) so they can be tested,
pickled for worker processes and reused as sensitivity-analysis outputs. ``MODEL_REPORTERS``
feeds Mesa's ``DataCollector`` (one row per week, week 0 included); :func:`summary_outcomes`
gives the end-of-run outcomes written to ``summary.json``.

Money is in $M. The pilot-to-production rate is pilots that reached production divided by
pilots concluded (reached production or abandoned), the definition behind the Gartner figures
it is calibrated against; pilots still running or in purgatory at the horizon are not counted.
The same rate is given by use-case class (classic ML, custom GenAI, assistants) and, for custom
use cases, by sourcing (bought or built).

Reporters read the model they report on, so this module names
:class:`~aiscale_sim.model.EnterpriseModel` (for type hints only) while the model imports the
reporters for its ``DataCollector``: the model/agent circle of Mesa, the one circle of imports
the package keeps.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aiscale_sim.states import PURGATORY_REASONS, Adoption, Role, Stage, UseCaseKind

if TYPE_CHECKING:
    from aiscale_sim.model import EnterpriseModel


def week(model: EnterpriseModel) -> int:
    """The week just simulated (0 before the first step)."""
    return int(model.time)


#: Adoption stages as plain ints: numpy compares an int8 column with an int faster than with
#: an IntEnum member (same result).
_UNAWARE, _TRYING, _ADOPTED, _LAPSED = (int(Adoption.UNAWARE), int(Adoption.TRYING),
                                        int(Adoption.ADOPTED), int(Adoption.LAPSED))


def _share(mask: np.ndarray) -> float:
    """Share of True in a boolean array (count / size: the same value as np.mean, faster)."""
    return np.count_nonzero(mask) / mask.size


def _adoption_among(model: EnterpriseModel, mask: np.ndarray) -> float:
    """Adoption share among the employees in ``mask`` (nan if there are none)."""
    n = np.count_nonzero(mask)
    if not n:
        return float("nan")
    return np.count_nonzero((model.emp["stage"] == _ADOPTED) & mask) / n


def adoption_share(model: EnterpriseModel) -> float:
    """Share of business employees (AI staff not counted) who use AI regularly (ADOPTED).

    AI staff build the tools; counting them as users would put adoption above zero before
    anything is live (:func:`ai_staff_adoption_share` reports them).
    """
    return _adoption_among(model, model.is_business)


def ai_staff_adoption_share(model: EnterpriseModel) -> float:
    """Adoption share among AI staff."""
    return _adoption_among(model, model.is_ai_staff)


def trying_share(model: EnterpriseModel) -> float:
    """Share of employees currently trying AI tools."""
    return _share(model.emp["stage"] == _TRYING)


def aware_share(model: EnterpriseModel) -> float:
    """Share of employees aware of AI tools (any stage but UNAWARE)."""
    return _share(model.emp["stage"] != _UNAWARE)


def lapsed_share(model: EnterpriseModel) -> float:
    """Share of employees who tried or used AI and stopped."""
    return _share(model.emp["stage"] == _LAPSED)


def _role_share(model: EnterpriseModel, roles: tuple[Role, ...]) -> float:
    return _adoption_among(model, model.role_mask(roles))


def adoption_frontline(model: EnterpriseModel) -> float:
    """Adoption share among frontline employees."""
    return _role_share(model, (Role.FRONTLINE,))


def adoption_managers(model: EnterpriseModel) -> float:
    """Adoption share among managers and executives."""
    return _role_share(model, (Role.MANAGER, Role.EXECUTIVE))


def _mean(x: np.ndarray) -> float:
    """Mean of an array: the same value as ``x.mean()``, without its Python overhead."""
    return float(np.add.reduce(x) / x.size)


def mean_literacy(model: EnterpriseModel) -> float:
    """Mean AI literacy, 0-1."""
    return _mean(model.emp["literacy"])


def mean_anxiety(model: EnterpriseModel) -> float:
    """Mean job-displacement anxiety, 0-1."""
    return _mean(model.emp["anxiety"])


def mean_trust(model: EnterpriseModel) -> float:
    """Mean trust in AI, 0-1."""
    return _mean(model.emp["trust"])


def ideas_waiting(model: EnterpriseModel) -> int:
    """Ideas in the backlog."""
    return model.count_stage(Stage.IDEA)


def pilots_active(model: EnterpriseModel) -> int:
    """Pilots being built."""
    return model.count_stage(Stage.PILOT)


def pilots_in_purgatory(model: EnterpriseModel) -> int:
    """Working pilots stuck before production."""
    return model.count_stage(Stage.PURGATORY)


def _purgatory_reason(reason: str):
    def reporter(model: EnterpriseModel) -> int:
        return sum(1 for uc in model.use_cases_in(Stage.PURGATORY) if uc.reason == reason)

    reporter.__name__ = f"purgatory_{reason}"
    reporter.__qualname__ = reporter.__name__
    reporter.__doc__ = f"Pilots in purgatory for want of {reason}."
    return reporter


purgatory_infrastructure = _purgatory_reason("infrastructure")
purgatory_commitment = _purgatory_reason("commitment")
purgatory_governance = _purgatory_reason("governance")


def coe_queue_length(model: EnterpriseModel) -> int:
    """Pilots accepted by the CoE that no one has started work on yet."""
    return sum(1 for uc in model.use_cases_in(Stage.PILOT)
               if uc.work_start_week is None and uc.team is not None and uc.team.is_coe)


def use_cases_in_production(model: EnterpriseModel) -> int:
    """Use cases live in production (scaled ones included)."""
    return len(model.live_use_cases())


def use_cases_scaled(model: EnterpriseModel) -> int:
    """Live use cases that have been copied into production in another unit."""
    return model.count_stage(Stage.SCALED)


def pilots_launched(model: EnterpriseModel) -> int:
    """Pilots launched so far (cumulative; a vanity metric on its own)."""
    return model.counters["pilots_launched"]


def pilots_reached_production(model: EnterpriseModel) -> int:
    """Pilots that went live so far (cumulative)."""
    return model.counters["pilots_reached_production"]


def pilots_abandoned(model: EnterpriseModel) -> int:
    """Pilots abandoned so far (cumulative)."""
    return model.counters["pilots_abandoned"]


def incidents(model: EnterpriseModel) -> int:
    """Incidents so far (cumulative)."""
    return model.counters["incidents"]


def cumulative_value(model: EnterpriseModel) -> float:
    """Value realised so far, $M."""
    return float(model.cumulative_value)


def cumulative_cost(model: EnterpriseModel) -> float:
    """Cost incurred so far, $M."""
    return float(model.cumulative_cost)


def cumulative_spending(model: EnterpriseModel) -> float:
    """AI spending so far, $M: the cost less incident losses (what a budget covers)."""
    return float(model.cumulative_spending)


def platform_maturity(model: EnterpriseModel) -> float:
    """Maturity of the shared ML platform, 0-1."""
    return float(model.platform_maturity)


def mean_data_readiness(model: EnterpriseModel) -> float:
    """Mean data readiness over business units, 0-1."""
    return _mean(np.array([u.data_readiness for u in model.units]))


def ai_headcount(model: EnterpriseModel) -> int:
    """AI staff in post (all teams; the salary bill follows it)."""
    return int(model.ai_headcount)


def ai_staff_left(model: EnterpriseModel) -> int:
    """AI staff who have left so far (cumulative)."""
    return model.counters["ai_staff_left"]


def ai_staff_hired(model: EnterpriseModel) -> int:
    """AI staff hired so far (cumulative; counted on their first day)."""
    return model.counters["ai_staff_hired"]


# --- the adoption reporters from one tally ---------------------------------------------------

_BUSINESS_ROLES = tuple(int(r) for r in Role if not r.is_ai_staff)
_AI_ROLES = tuple(int(r) for r in Role if r.is_ai_staff)
_MANAGERS = (int(Role.MANAGER), int(Role.EXECUTIVE))


def _ratio(count: int, n: int) -> float:
    """``count / n`` as the reporters above give it (nan when there is no one to count)."""
    return count / n if n else float("nan")


def tallied_values(model: EnterpriseModel) -> dict[str, float]:
    """This week's value of every reporter in :data:`TALLIED`, from one count of the employees.

    The seven adoption reporters each scan the employee columns; a week's collection counts the
    employees by stage, and the adopters by role, once (compiled where
    :mod:`aiscale_sim.kernel` is available) and divides the same integer counts the reporters
    divide, so each value is exactly the reporter's own.
    """
    from aiscale_sim import kernel

    stage, role = model.emp["stage"], model.emp["role"]
    n_stages, n_roles = len(Adoption), len(Role)
    if kernel.AVAILABLE:
        by_stage, adopted = kernel.stage_tallies(stage, role, n_stages, n_roles, _ADOPTED)
    else:
        by_stage = np.bincount(stage, minlength=n_stages)
        adopted = np.bincount(role[stage == _ADOPTED], minlength=n_roles)
    by_stage, adopted = by_stage.tolist(), adopted.tolist()
    in_role = model.role_counts()
    n = len(stage)

    def among(roles: tuple[int, ...]) -> float:
        return _ratio(sum(adopted[r] for r in roles), sum(in_role[r] for r in roles))

    return {
        "adoption_share": among(_BUSINESS_ROLES),
        "ai_staff_adoption_share": among(_AI_ROLES),
        "aware_share": (n - by_stage[_UNAWARE]) / n,
        "trying_share": by_stage[_TRYING] / n,
        "lapsed_share": by_stage[_LAPSED] / n,
        "adoption_frontline": among((int(Role.FRONTLINE),)),
        "adoption_managers": among(_MANAGERS),
    }


#: The reporters :func:`tallied_values` gives, by name.
TALLIED = {f.__name__: f for f in (adoption_share, ai_staff_adoption_share, aware_share,
                                   trying_share, lapsed_share, adoption_frontline,
                                   adoption_managers)}


MODEL_REPORTERS = {
    f.__name__: f
    for f in (
        week, adoption_share, ai_staff_adoption_share, aware_share, trying_share, lapsed_share,
        adoption_frontline, adoption_managers, ideas_waiting, pilots_active, coe_queue_length,
        pilots_in_purgatory,
        purgatory_infrastructure, purgatory_commitment, purgatory_governance,
        use_cases_in_production, use_cases_scaled, pilots_launched, pilots_reached_production,
        pilots_abandoned, incidents, cumulative_value, cumulative_cost, cumulative_spending,
        mean_literacy,
        mean_anxiety, mean_trust, platform_maturity, mean_data_readiness, ai_headcount,
        ai_staff_left, ai_staff_hired,
    )
}


# --- adoption by unit and role ---------------------------------------------------------------


def adoption_by_unit(model: EnterpriseModel) -> pd.Series:
    """Adoption share in each business unit (index: unit)."""
    s = pd.Series(model.unit_adoption, name="adoption_share")
    s.index.name = "unit"
    return s


def adoption_by_role(model: EnterpriseModel) -> pd.Series:
    """Adoption share by role (index: role name)."""
    stage = model.emp["stage"]
    role = model.emp["role"]
    data = {r.name.lower(): float(np.mean(stage[role == r] == Adoption.ADOPTED))
            for r in Role if (role == r).any()}
    s = pd.Series(data, name="adoption_share")
    s.index.name = "role"
    return s


def adopter_categories(model: EnterpriseModel) -> dict[str, float]:
    """Rogers' adopter categories from first-adoption weeks (mean +- sd cut points).

    Returns the share of ever-adopters in each category: innovators (before mean - 2 sd),
    early adopters (to mean - sd), early majority (to mean), late majority (to mean + sd) and
    laggards. Empty if fewer than 10 business employees ever adopted.
    """
    t = model.emp["adopt_week"][~model.is_ai_staff]
    t = t[t >= 0].astype(float)
    if len(t) < 10:
        return {}
    m, s = t.mean(), t.std()
    edges = [-np.inf, m - 2 * s, m - s, m, m + s, np.inf]
    counts, _ = np.histogram(t, bins=edges)
    names = ["innovators", "early_adopters", "early_majority", "late_majority", "laggards"]
    return {k: float(c / len(t)) for k, c in zip(names, counts, strict=True)}


# --- end of run ------------------------------------------------------------------------------


#: Outcomes that are None because something did not happen, or could not yet be observed,
#: within the horizon (not because they are undefined): a class or sourcing of use case with no
#: concluded pilot has no rate (flattened names, as the runner stores them).
NOT_REACHED_OUTCOMES = (
    "time_to_50pct_adoption_weeks", "payback_week", "production_survival_3y",
    *(f"pilot_to_production_by_class.{k.label}" for k in UseCaseKind),
    "pilot_to_production_by_sourcing.bought", "pilot_to_production_by_sourcing.built",
)


def time_to_share(series: pd.Series, weeks: pd.Series, share: float) -> int | None:
    """First week at which ``series`` reaches ``share``, or None."""
    hit = np.flatnonzero(series.to_numpy() >= share)
    return None if len(hit) == 0 else int(weeks.iloc[hit[0]])


def _clean(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def pilot_funnel(model: EnterpriseModel, group) -> dict[str, list[int]]:
    """Pilots launched, reached production and abandoned, by ``group(use_case)``.

    Args:
        model: A model, usually at the end of a run.
        group: Function of a use case giving its group's name, or None to leave it out.

    Returns:
        ``{name: [launched, reached, abandoned]}`` over every use case that became a pilot
        (copies included, as in ``pilots_launched``).
    """
    out: dict[str, list[int]] = {}
    for uc in model.use_cases:
        if uc.pilot_week is None:
            continue
        name = group(uc)
        if name is None:
            continue
        row = out.setdefault(name, [0, 0, 0])
        row[0] += 1
        if uc.production_week is not None:
            row[1] += 1
        elif uc.stage == Stage.ABANDONED:
            row[2] += 1
    return out


def _rate(row: list[int] | None) -> float | None:
    """Reached / (reached + abandoned) of a funnel row, None if none concluded."""
    if not row or not row[1] + row[2]:
        return None
    return row[1] / (row[1] + row[2])


def _kind(uc) -> str:
    return uc.kind.label


def _sourcing(uc) -> str | None:
    """Bought or built, for custom use cases (assistants are always bought: left out)."""
    if uc.kind == UseCaseKind.ASSISTANT:
        return None
    return "bought" if uc.bought else "built"


def summary_outcomes(model: EnterpriseModel, timeseries: pd.DataFrame) -> dict:
    """End-of-run outcomes (the ``outcomes`` of summary.json)."""
    c = model.counters
    reached = c["pilots_reached_production"]
    concluded = reached + c["pilots_abandoned"]
    value, cost = float(model.cumulative_value), float(model.cumulative_cost)
    ttp = model.time_to_production
    roi = (value - cost) / cost if cost > 0 else float("nan")
    payback = None
    net = timeseries["cumulative_value"] - timeseries["cumulative_cost"]
    ahead = np.flatnonzero((net.to_numpy() > 0) & (timeseries["week"].to_numpy() > 0))
    if len(ahead):
        payback = int(timeseries["week"].iloc[ahead[0]])
    purgatory_now = {r: sum(1 for uc in model.use_cases_in(Stage.PURGATORY) if uc.reason == r)
                     for r in PURGATORY_REASONS}
    abandoned = {r: c[f"abandoned_{r}"] for r in ("technical", *PURGATORY_REASONS)}
    entries = {r: c[f"purgatory_entries_{r}"] for r in PURGATORY_REASONS}
    live_3y = [uc for uc in model.use_cases if uc.production_week is not None
               and model.time - uc.production_week >= 156]
    waits = model.pilot_waits
    coe_waits = [w for w, coe in waits if coe]
    by_class = pilot_funnel(model, _kind)
    by_sourcing = pilot_funnel(model, _sourcing)
    kinds = [k.label for k in UseCaseKind]
    return {
        "pilots_launched": c["pilots_launched"],
        "pilots_reached_production": reached,
        "pilots_abandoned": c["pilots_abandoned"],
        "pilot_to_production_rate": _clean(reached / concluded if concluded else float("nan")),
        "pilot_to_production_by_class": {k: _rate(by_class.get(k)) for k in kinds},
        "pilots_launched_by_class": {k: by_class.get(k, [0])[0] for k in kinds},
        "pilots_reached_production_by_class": {k: by_class.get(k, [0, 0])[1] for k in kinds},
        "pilot_to_production_by_sourcing": {k: _rate(by_sourcing.get(k))
                                            for k in ("bought", "built")},
        "pilots_active": pilots_active(model),
        "pilots_in_purgatory": pilots_in_purgatory(model),
        "purgatory_by_reason": purgatory_now,
        "purgatory_entries_by_reason": entries,
        "abandoned_by_reason": abandoned,
        "median_time_to_production_weeks": _clean(float(np.median(ttp)) if ttp else float("nan")),
        "median_pilot_wait_weeks": _clean(
            float(np.median([w for w, _ in waits])) if waits else float("nan")),
        "coe_median_wait_weeks": _clean(
            float(np.median(coe_waits)) if coe_waits else float("nan")),
        "coe_queue_length": coe_queue_length(model),
        "vanity_pilots": c["vanity_pilots"],
        "use_cases_in_production": use_cases_in_production(model),
        "use_cases_scaled": use_cases_scaled(model),
        "use_cases_retired": c["use_cases_retired"],
        "use_cases_deepened": c["use_cases_deepened"],
        "production_survival_3y": _clean(
            float(np.mean([uc.stage.is_live for uc in live_3y])) if live_3y else float("nan")),
        "units_with_pilot_share": float(np.mean([
            any(uc.pilot_week is not None for uc in u.portfolio) for u in model.units])),
        "units_with_scaled_share": float(np.mean([
            any(uc.stage == Stage.SCALED or (uc.origin is not None and uc.stage.is_live)
                for uc in u.portfolio) for u in model.units])),
        "adoption_share": adoption_share(model),
        "adoption_frontline": _clean(adoption_frontline(model)),
        "adoption_managers": _clean(adoption_managers(model)),
        "time_to_50pct_adoption_weeks": time_to_share(
            timeseries["adoption_share"], timeseries["week"], 0.5),
        "adopter_categories": adopter_categories(model),
        "data_work_share": _clean(c["data_person_weeks"] / c["pilot_person_weeks"]
                                  if c["pilot_person_weeks"] else float("nan")),
        "mean_anxiety": mean_anxiety(model),
        "mean_literacy": mean_literacy(model),
        "incidents": c["incidents"],
        "incident_cost": float(model.incident_cost_total),
        "ai_headcount": ai_headcount(model),
        "ai_staff_left": c["ai_staff_left"],
        "ai_staff_hired": c["ai_staff_hired"],
        "hallucination_incidents": c["hallucinations"],
        "vendor_model_changes": c["vendor_model_changes"],
        "cumulative_value": value,
        "cumulative_cost": cost,
        "roi": _clean(roi),
        "payback_week": payback,
    }
