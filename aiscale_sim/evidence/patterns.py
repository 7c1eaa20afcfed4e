"""The registry of patterns: the model's value for each stylized fact, from a set of runs.

Pattern-oriented modelling (Grimm et al. 2005) checks a model against several patterns at
once. Each :class:`Pattern` here reads one stylized fact (:mod:`aiscale_sim.evidence.facts`)
off a set of runs, seed by seed:

* **baseline patterns** read one outcome of the baseline scenario (the pilot-to-production
  rate of classic ML, the frontline adoption plateau, ...);
* **pair patterns** compare two scenarios run on the same seeds (common random numbers): a
  CoE against federated teams, buying every custom use case against building it, the top
  against the bottom of the change-management range;
* **constants** are facts the model takes as input (the Bass coefficients).

A fact with two sides (``scale_gap``: experimenting and scaling) has one pattern per side,
with ids ``FACT/SIDE``. A fact the model cannot express is listed in :data:`NOT_EXPRESSED`
with the reason; every row of the facts table is one or the other (a test checks it).

Runs are the rows of an experiment's ``summaries.parquet``: the run's scenario, seed and
outcomes, plus the numbers :func:`measure` reads off the finished model on the worker
(``measure.<name>``). :func:`pattern_values` gives each pattern's value from such runs, the
function a calibration against the facts needs; :func:`evaluate` adds the 90% interval.

How each value is summarised over seeds:

* ``per_seed``: one value per simulated enterprise (or per pair of them); the value is the
  mean and the interval the 5th to 95th percentile over seeds (the spread between
  enterprises);
* ``statistic``: one value from all seeds together (a share of seeds, or a ratio of rates
  pooled over seeds because one run has too few pilots of a kind); the interval is a 90%
  bootstrap interval over seeds (seeds drawn with replacement, pairs kept together);
* ``constant``: an input of the model; the interval is the value itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aiscale_sim.outputs import pilot_funnel
from aiscale_sim.states import UseCaseKind

WEEKS_PER_MONTH = 4.35
#: Prefix of the runner's columns for :func:`measure`'s numbers (the runner's MEASURE_PREFIX).
MEASURE = "measure."
#: Bootstrap resamples of a ``statistic`` pattern's interval, and the resampling seed.
BOOTSTRAP = 1000
BOOTSTRAP_SEED = 20140101
#: The interval's percentiles: a 90% interval.
INTERVAL = (5.0, 95.0)

#: Lever settings of the scenarios the patterns read, each on top of the baseline scenario.
#: Low and high demand follow experiments/operating_model_regimes.py and tests/test_tradeoffs.py:
#: 3 and 20 ideas per unit a year; the bottleneck pair uses 1,250 employees per unit, as there.
SCENARIOS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "coe_low_demand": {"centralisation": 1.0, "pilot_launch_rate": 3.0},
    "federated_low_demand": {"centralisation": 0.0, "pilot_launch_rate": 3.0},
    "coe_high_demand_10k": {"employees": 10000, "centralisation": 1.0,
                            "pilot_launch_rate": 20.0},
    "hybrid_high_demand_10k": {"employees": 10000, "centralisation": 0.5,
                               "pilot_launch_rate": 20.0},
    "coe_low_demand_10k": {"employees": 10000, "centralisation": 1.0, "pilot_launch_rate": 3.0},
    "hybrid_low_demand_10k": {"employees": 10000, "centralisation": 0.5,
                              "pilot_launch_rate": 3.0},
    "buy_every_custom": {"buy_share": 1.0},
    "build_every_custom": {"buy_share": 0.0},
    "change_management_top": {"change_management": 1000.0},
    "change_management_bottom": {"change_management": 0.0},
    "training_5h": {"training_hours": 5.0},
    "training_0h": {"training_hours": 0.0},
    "midmarket_800": {"employees": 800, "business_units": 4},
}

#: Weeks after which two patterns read the state of a run (clipped to the run's length).
TWO_YEARS, THREE_YEARS = 104, 156


# --- what a run gives beyond its summary (runs on the worker) ---------------------------------


def _genai_sourcing(uc) -> str | None:
    """'bought' or 'built' for a custom GenAI use case, None for the others."""
    if uc.kind != UseCaseKind.GENAI:
        return None
    return "bought" if uc.bought else "built"


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else math.nan


def measure(result) -> dict[str, float]:
    """The numbers the patterns need from one finished run, beyond its summary outcomes.

    Called by the runner on the worker, with the run's model at hand (NaN where the run has
    nothing to measure).

    Args:
        result: A :class:`~aiscale_sim.simulate.SimulationResult`.

    Returns:
        ``genai_{bought,built}_{reached,concluded}`` (custom GenAI pilots that reached
        production, and that concluded: reached or abandoned), ``custom_ttp_weeks`` (median
        weeks from pilot start to production of custom, i.e. classic and GenAI, use cases),
        ``production_to_scaled_weeks`` and ``pilot_to_scaled_weeks`` (medians over scaled use
        cases), ``initial_mean_anxiety`` (week 0), ``genai_live_by_2y`` (1 if a custom GenAI
        use case reached production within two years), ``ttp_weeks_by_3y`` (median time to
        production of the use cases that went live within three years) and
        ``units_majority_with_live_tool`` (share of units with a live use case whose
        employees mostly use AI).
    """
    model = result.model
    ucs = model.use_cases
    two = min(TWO_YEARS, int(model.time))
    three = min(THREE_YEARS, int(model.time))
    funnel = pilot_funnel(model, _genai_sourcing)
    out: dict[str, float] = {}
    for side in ("bought", "built"):
        _, reached, abandoned = funnel.get(side, [0, 0, 0])
        out[f"genai_{side}_reached"] = float(reached)
        out[f"genai_{side}_concluded"] = float(reached + abandoned)
    live = [uc for uc in ucs if uc.production_week is not None]
    out["custom_ttp_weeks"] = _median([uc.production_week - uc.pilot_week for uc in live
                                       if uc.kind != UseCaseKind.ASSISTANT])
    scaled = [uc for uc in live if uc.scaled_week is not None]
    out["production_to_scaled_weeks"] = _median([uc.scaled_week - uc.production_week
                                                 for uc in scaled])
    out["pilot_to_scaled_weeks"] = _median([uc.scaled_week - uc.pilot_week for uc in scaled])
    out["initial_mean_anxiety"] = float(result.timeseries["mean_anxiety"].iloc[0])
    out["genai_live_by_2y"] = float(any(uc.kind == UseCaseKind.GENAI
                                        and uc.production_week <= two for uc in live))
    out["ttp_weeks_by_3y"] = _median([uc.production_week - uc.pilot_week for uc in live
                                      if uc.production_week <= three])
    adoption = np.asarray(model.unit_adoption, dtype=float)
    out["units_majority_with_live_tool"] = float(np.mean([
        adoption[i] > 0.5 and any(uc.stage.is_live for uc in unit.portfolio)
        for i, unit in enumerate(model.units)]))
    return out


#: The names :func:`measure` returns (the runner stores them as ``measure.<name>``).
MEASURES = ("genai_bought_reached", "genai_bought_concluded", "genai_built_reached",
            "genai_built_concluded", "custom_ttp_weeks", "production_to_scaled_weeks",
            "pilot_to_scaled_weeks", "initial_mean_anxiety", "genai_live_by_2y",
            "ttp_weeks_by_3y", "units_majority_with_live_tool")


# --- the registry ---------------------------------------------------------------------------

#: ``get(scenario, column)``: that column of that scenario's runs, one value per seed, the
#: seeds in the same order for every scenario.
Getter = Callable[[str, str], np.ndarray]


@dataclass(frozen=True)
class Pattern:
    """How one stylized fact (or one side of it) is read off the model.

    Attributes:
        id: Row id: the fact's id, or ``FACT/SIDE`` for one side of a two-sided fact.
        fact: The fact's id in the facts table.
        output: What the model gives, in a few words (for tables).
        reading: How the published fact becomes the target range, in one sentence.
        low: Lowest value that meets the fact (``-inf`` if none).
        high: Highest value that meets the fact (``inf`` if none).
        unit: Unit of the value: ``share``, ``months``, ``weeks``, ``ratio``, ``per year``
            or ``0-1``.
        how: ``per_seed``, ``statistic`` or ``constant`` (see the module docstring).
        scenarios: The scenarios (keys of :data:`SCENARIOS`) whose runs it reads.
        compute: ``per_seed``: ``get -> array`` of one value per seed; ``statistic``:
            ``get -> float``; ``constant``: ``() -> float``.
    """

    id: str
    fact: str
    output: str
    reading: str
    low: float
    high: float
    unit: str
    how: str
    scenarios: tuple[str, ...]
    compute: Callable[..., Any]

    def meets(self, value: float) -> bool:
        """Whether ``value`` lies in the target range (NaN never does)."""
        return not math.isnan(value) and self.low <= value <= self.high


def _col(name: str) -> Callable[[Getter], np.ndarray]:
    return lambda get: get("baseline", name)


def _months(name: str) -> Callable[[Getter], np.ndarray]:
    return lambda get: get("baseline", MEASURE + name) / WEEKS_PER_MONTH


def _pooled_ratio(get: Getter, a: tuple[str, str], b: tuple[str, str]) -> float:
    """Rate of group ``a`` over rate of group ``b``, counts summed over all seeds first.

    Each group is ``(scenario, prefix)``; the prefix's ``_reached`` and ``_concluded``
    columns are the pilots that reached production and that concluded.
    """
    (sa, pa), (sb, pb) = a, b
    reached_a, concluded_a = (np.nansum(get(sa, f"{MEASURE}{pa}_{k}"))
                              for k in ("reached", "concluded"))
    reached_b, concluded_b = (np.nansum(get(sb, f"{MEASURE}{pb}_{k}"))
                              for k in ("reached", "concluded"))
    if not (concluded_a and concluded_b and reached_b):
        return math.nan
    return float((reached_a / concluded_a) / (reached_b / concluded_b))


def _ratio_of_means(get: Getter, a: str, b: str, column: str) -> float:
    """Mean of ``column`` in scenario ``a`` over its mean in scenario ``b`` (same seeds)."""
    top, bottom = np.nanmean(get(a, column)), np.nanmean(get(b, column))
    return float(top / bottom) if bottom > 0 else math.nan


def _share(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan


def _bass(name: str) -> Callable[..., float]:
    def value(constants: Mapping[str, float] | None = None) -> float:
        from aiscale_sim.employees import EmployeeParams

        if constants and name in constants:  # the runs used another value than the shipped
            return float(constants[name])
        return float(getattr(EmployeeParams(), name))

    return value


#: A pair fact given as two values (``0.67`` against ``0.22``) is read as their ratio, with
#: the tolerance the first such reading used: two thirds to four thirds of the ratio.
def _ratio_band(a: float, b: float) -> tuple[float, float]:
    r = a / b
    return r * 2.0 / 3.0, r * 4.0 / 3.0


INF = math.inf
_CENTRAL = _ratio_band(0.70, 0.30)
_CHANGE = _ratio_band(0.88, 0.13)

#: Every expressed pattern, in the order of the tables.
PATTERNS: tuple[Pattern, ...] = (
    Pattern("pilot_to_production_classic", "pilot_to_production_classic",
            "pilot-to-production rate, classic ML",
            "the rate of classic ML pilots", 0.45, 0.55, "share", "per_seed", ("baseline",),
            _col("pilot_to_production_by_class.classic")),
    Pattern("pilot_to_production_genai_custom", "pilot_to_production_genai_custom",
            "pilot-to-production rate, custom GenAI",
            "the rate of custom GenAI pilots", 0.05, 0.25, "share", "per_seed",
            ("baseline",), _col("pilot_to_production_by_class.genai")),
    Pattern("genai_generic_pilot_to_production", "genai_generic_pilot_to_production",
            "pilot-to-production rate, off-the-shelf assistants",
            "the rate of assistant pilots", 0.70, 0.90, "share", "per_seed", ("baseline",),
            _col("pilot_to_production_by_class.assistant")),
    Pattern("vendor_vs_internal_success/same_org", "vendor_vs_internal_success",
            "bought / built custom GenAI rate, same organisation",
            "about 67% against about a third as often: a ratio of about 3, read 2 to 4, "
            "between bought and built custom GenAI pilots in the baseline, pooled over seeds",
            2.0, 4.0, "ratio", "statistic", ("baseline",),
            lambda get: _pooled_ratio(get, ("baseline", "genai_bought"),
                                      ("baseline", "genai_built"))),
    Pattern("vendor_vs_internal_success/buy_vs_build", "vendor_vs_internal_success",
            "custom GenAI rate, buying every custom use case / building it",
            "the same ratio, 2 to 4, between organisations that buy every custom use case "
            "and organisations that build it (buy share 1 against 0), pooled over seeds",
            2.0, 4.0, "ratio", "statistic", ("buy_every_custom", "build_every_custom"),
            lambda get: _pooled_ratio(get, ("buy_every_custom", "genai_bought"),
                                      ("build_every_custom", "genai_built"))),
    Pattern("time_to_production_median", "time_to_production_median",
            "median months from pilot start to production, custom use cases",
            "Gartner's eight months (6 to 10) for projects going from prototype to "
            "production: custom (classic and GenAI) use cases; assistants are rollouts",
            6.0, 10.0, "months", "per_seed", ("baseline",), _months("custom_ttp_weeks")),
    Pattern("large_enterprise_pilot_to_scale", "large_enterprise_pilot_to_scale",
            "median months from production to scaled",
            "at least 9 months from production to a copy live in another unit", 9.0, INF,
            "months", "per_seed", ("baseline",), _months("production_to_scaled_weeks")),
    Pattern("production_survival_3y", "production_survival_3y",
            "share of use cases still live three years after going live",
            "use cases live for 156 weeks after production", 0.20, 0.45, "share", "per_seed",
            ("baseline",), _col("production_survival_3y")),
    Pattern("data_work_share", "data_work_share", "share of pilot effort on data work",
            "AI-team person-weeks on data work in pilots", 0.45, 0.80, "share", "per_seed",
            ("baseline",), _col("data_work_share")),
    Pattern("frontline_plateau", "frontline_plateau", "frontline adoption at the horizon",
            "regular use among frontline employees at the end of the run", 0.45, 0.55,
            "share", "per_seed", ("baseline",), _col("adoption_frontline")),
    Pattern("manager_vs_frontline_gap", "manager_vs_frontline_gap",
            "manager minus frontline adoption at the horizon",
            "the difference of the two adoption shares at the end of the run", 0.20, 0.30,
            "share", "per_seed", ("baseline",),
            lambda get: get("baseline", "adoption_managers")
            - get("baseline", "adoption_frontline")),
    Pattern("value_generators", "value_generators", "share of seeds with ROI above 0",
            "simulated enterprises whose ROI at the horizon is positive", 0.05, 0.26, "share",
            "statistic", ("baseline",),
            lambda get: _share((get("baseline", "roi") > 0).astype(float))),
    Pattern("fully_scaled_share", "fully_scaled_share",
            "share of seeds with a majority of units scaled",
            "simulated enterprises in which more than half of the units run a scaled use case",
            0.05, 0.10, "share", "statistic", ("baseline",),
            lambda get: _share((get("baseline", "units_with_scaled_share") > 0.5)
                               .astype(float))),
    Pattern("scale_gap/experimenting", "scale_gap", "share of units with a pilot",
            "80% experimenting: at least 0.8 of units have run a pilot", 0.80, 1.0, "share",
            "per_seed", ("baseline",), _col("units_with_pilot_share")),
    Pattern("scale_gap/scaling", "scale_gap", "share of units with a scaled use case",
            "20% scaling: 0.1 to 0.3 of units run a scaled use case", 0.10, 0.30, "share",
            "per_seed", ("baseline",), _col("units_with_scaled_share")),
    Pattern("job_loss_worry", "job_loss_worry", "mean anxiety at week 0",
            "workers worried about AI at work: the population's mean anxiety at the start",
            0.41, 0.52, "0-1", "per_seed", ("baseline",),
            lambda get: get("baseline", MEASURE + "initial_mean_anxiety")),
    Pattern("bass_p", "bass_p", "EmployeeParams.bass_p (an input)",
            "the adoption rule's coefficient of innovation is the meta-analysis's", 0.001,
            0.03, "per year", "constant", (), _bass("bass_p")),
    Pattern("bass_q", "bass_q", "EmployeeParams.bass_q (an input)",
            "the adoption rule's coefficient of imitation is the meta-analysis's", 0.3, 0.5,
            "per year", "constant", (), _bass("bass_q")),
    Pattern("centralised_vs_decentralised_production",
            "centralised_vs_decentralised_production",
            "share of firms with custom GenAI live after 2 years, CoE / federated",
            "70% against 30%: a ratio of about 2.3, read 1.56 to 3.11 (two thirds to four "
            "thirds), at low demand (3 ideas per unit a year)", *_CENTRAL, "ratio",
            "statistic", ("coe_low_demand", "federated_low_demand"),
            lambda get: _ratio_of_means(get, "coe_low_demand", "federated_low_demand",
                                        MEASURE + "genai_live_by_2y")),
    Pattern("coe_bottleneck/high_demand", "coe_bottleneck",
            "CoE minus hybrid median weeks to production, high demand",
            "at 20 ideas per unit a year (10,000 employees) the CoE's median time to "
            "production, over use cases live within 3 years, exceeds a hybrid's", 0.0, INF,
            "weeks", "per_seed", ("coe_high_demand_10k", "hybrid_high_demand_10k"),
            lambda get: get("coe_high_demand_10k", MEASURE + "ttp_weeks_by_3y")
            - get("hybrid_high_demand_10k", MEASURE + "ttp_weeks_by_3y")),
    Pattern("coe_bottleneck/low_demand", "coe_bottleneck",
            "CoE minus hybrid median weeks to production, low demand",
            "at 3 ideas per unit a year it does not exceed it", -INF, 0.0, "weeks",
            "per_seed", ("coe_low_demand_10k", "hybrid_low_demand_10k"),
            lambda get: get("coe_low_demand_10k", MEASURE + "ttp_weeks_by_3y")
            - get("hybrid_low_demand_10k", MEASURE + "ttp_weeks_by_3y")),
    Pattern("change_management_effect", "change_management_effect",
            "units with majority adoption of a live tool, top / bottom change management",
            "88% against 13%: a ratio of about 6.8, read 4.5 to 9.0 (two thirds to four "
            "thirds), between $1,000 and $0 per employee a year", *_CHANGE, "ratio",
            "statistic", ("change_management_top", "change_management_bottom"),
            lambda get: _ratio_of_means(get, "change_management_top",
                                        "change_management_bottom",
                                        MEASURE + "units_majority_with_live_tool")),
    Pattern("training_threshold", "training_threshold",
            "adoption with 5 training hours minus with none",
            "five hours make regular use more likely: adoption at the horizon with 5 hours a "
            "year exceeds adoption with none (the source gives no size)", 0.0, INF, "share",
            "per_seed", ("training_5h", "training_0h"),
            lambda get: get("training_5h", "adoption_share")
            - get("training_0h", "adoption_share")),
    Pattern("midmarket_time_to_scale", "midmarket_time_to_scale",
            "median months from pilot start to scaled, 800 employees",
            "about 90 days from pilot to full rollout, read 1.5 to 4.5 months, in an "
            "organisation of 800 employees in 4 units", 1.5, 4.5, "months", "per_seed",
            ("midmarket_800",),
            lambda get: get("midmarket_800", MEASURE + "pilot_to_scaled_weeks")
            / WEEKS_PER_MONTH),
)

#: Facts the model cannot express, each with the reason.
NOT_EXPRESSED: dict[str, str] = {
    "effort_split_people_process":
        "a share of effort across the lever space, answered by the sensitivity analysis "
        "(experiments/README.md: not reproduced at full lever ranges), not by runs at fixed "
        "levers",
    "engineers_per_scientist":
        "a staffing choice (the engineer_ratio lever), not an outcome; whole runs barely "
        "depend on it (docs/ODD.md, section 8)",
    "rogers_categories":
        "the shares follow from cutting adoption times at mean +- 1 and 2 sd of a normal "
        "distribution, a definition rather than an observation (the model reports its own "
        "shares as adopter_categories)",
    "shadow_ai":
        "the model has no informal use of personal AI tools: employees use only the tools "
        "their unit has live",
}

PATTERNS_BY_ID: dict[str, Pattern] = {p.id: p for p in PATTERNS}


def scenarios_needed(patterns: Sequence[Pattern] = PATTERNS) -> list[str]:
    """The scenarios the patterns read, in :data:`SCENARIOS` order."""
    wanted = {s for p in patterns for s in p.scenarios}
    return [s for s in SCENARIOS if s in wanted]


# --- from runs to values ----------------------------------------------------------------------


def run_row(scenario: str, seed: int, result) -> dict[str, Any]:
    """One run as a row of a runs table, the way the runner stores it with :func:`measure`.

    For runs made outside the runner (``simulate`` with other rule constants, say, in a
    calibration): a list of these rows, as a DataFrame, is what :func:`pattern_values` reads.

    Args:
        scenario: The scenario's key in :data:`SCENARIOS`.
        seed: The run's seed.
        result: Its :class:`~aiscale_sim.simulate.SimulationResult`.
    """
    from aiscale_sim.runner import flatten

    row: dict[str, Any] = {"scenario": scenario, "seed": int(seed)}
    for k, v in flatten(result.summary["outcomes"]).items():
        row[k] = math.nan if v is None else v
    row.update({MEASURE + k: float(v) for k, v in measure(result).items()})
    return row



def _by_seed(runs) -> tuple[list[int], dict[str, Any]]:
    """The seeds common to every scenario in ``runs``, and each scenario's rows by seed."""
    groups = {name: g.set_index("seed").sort_index() for name, g in runs.groupby("scenario")}
    seeds = sorted(set.intersection(*(set(g.index) for g in groups.values()))) if groups else []
    return seeds, {name: g.loc[seeds] for name, g in groups.items()}


def _getter(frames: Mapping[str, Any], idx: np.ndarray | None = None) -> Getter:
    def get(scenario: str, column: str) -> np.ndarray:
        try:
            frame = frames[scenario]
        except KeyError:
            raise KeyError(f"the runs hold no scenario '{scenario}'") from None
        if column not in frame:
            raise KeyError(f"the runs of '{scenario}' have no column '{column}'")
        values = frame[column].to_numpy(dtype=float)
        return values if idx is None else values[idx]

    return get


def _per_seed_values(pattern: Pattern, get: Getter) -> np.ndarray:
    values = np.asarray(pattern.compute(get), dtype=float)
    return values[~np.isnan(values)]


def pattern_values(runs, patterns: Sequence[Pattern] = PATTERNS,
                   constants: Mapping[str, float] | None = None) -> dict[str, float]:
    """Each pattern's value (the model's value for its fact) from a set of runs.

    The function a calibration against the facts compares with the targets.

    Args:
        runs: A DataFrame with one row per run: ``scenario`` (a key of :data:`SCENARIOS`),
            ``seed``, the summary outcomes as the runner flattens them, and the
            ``measure.<name>`` columns of :func:`measure`. Only seeds present in every
            scenario count, so pairs stay paired.
        patterns: The patterns to compute (default: all of them).
        constants: Calibratable constants the runs used in place of the shipped values (a
            ``constant`` pattern reads its value there).

    Returns:
        ``{pattern id: value}`` (NaN where the runs have nothing to measure).
    """
    _, frames = _by_seed(runs)
    get = _getter(frames)
    out = {}
    for p in patterns:
        if p.how == "constant":
            out[p.id] = float(p.compute(constants))
        elif p.how == "per_seed":
            v = _per_seed_values(p, get)
            out[p.id] = float(v.mean()) if len(v) else math.nan
        else:
            out[p.id] = float(p.compute(get))
    return out


@dataclass(frozen=True)
class PatternResult:
    """One pattern's value over a set of runs.

    Attributes:
        pattern: The pattern.
        value: Its value (mean over seeds, or the pooled statistic).
        interval: 90% interval ``(low, high)``: over seeds for ``per_seed``, bootstrap for
            ``statistic`` (NaN when undefined).
        n: Seeds that gave a value.
        seeds: Seeds of the runs read.
    """

    pattern: Pattern
    value: float
    interval: tuple[float, float]
    n: int
    seeds: tuple[int, ...]

    @property
    def met(self) -> bool:
        """Whether the value lies in the target range."""
        return self.pattern.meets(self.value)


def _bootstrap(pattern: Pattern, frames: Mapping[str, Any], n_seeds: int) -> tuple[float, float]:
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = []
    for _ in range(BOOTSTRAP):
        idx = rng.integers(0, n_seeds, n_seeds)
        draws.append(float(pattern.compute(_getter(frames, idx))))
    draws = np.asarray(draws)
    draws = draws[~np.isnan(draws)]
    if len(draws) < BOOTSTRAP / 2:  # mostly undefined: no interval
        return math.nan, math.nan
    lo, hi = np.percentile(draws, INTERVAL)
    return float(lo), float(hi)


def evaluate(runs, patterns: Sequence[Pattern] = PATTERNS,
             constants: Mapping[str, float] | None = None) -> list[PatternResult]:
    """Each pattern's value and 90% interval over a set of runs (see :func:`pattern_values`)."""
    seeds, frames = _by_seed(runs)
    get = _getter(frames)
    results = []
    for p in patterns:
        nan2 = (math.nan, math.nan)
        if p.how == "constant":
            v = float(p.compute(constants))
            results.append(PatternResult(p, v, (v, v), 0, ()))
            continue
        used = tuple(int(s) for s in seeds)
        if p.how == "per_seed":
            vals = _per_seed_values(p, get)
            n = len(vals)
            value = float(vals.mean()) if n else math.nan
            interval = tuple(float(x) for x in np.percentile(vals, INTERVAL)) if n else nan2
        else:
            value = float(p.compute(get))
            n = len(seeds)
            interval = _bootstrap(p, frames, n) if n and not math.isnan(value) else nan2
        results.append(PatternResult(p, value, interval, n, used))
    return results
