"""Fit the model's own constants to the stylized facts by ABC-SMC (``aiscale calibrate --facts``).

The calibratable constants (:data:`aiscale_sim.calibration.constants.CONSTANTS`) are the
parts of the rules no lever sets: how fast a ready trier adopts, how fast models drift, how
much data work a pilot needs. This module fits them to the literature's patterns, through the
same pattern functions that ``aiscale validate`` reads
(:func:`aiscale_sim.evidence.patterns.pattern_values`), with pyABC's ABC-SMC and the seeded
sampler of :mod:`aiscale_sim.calibration.abc`.

**A particle** is one set of constants. It is simulated as one *panel*: every scenario the
fitted patterns read, on one seed (common random numbers: the same seed in every scenario, so
a pair pattern compares like with like). The seed is a hash of the master seed and the
constants, as in :func:`~aiscale_sim.calibration.abc.run_seed`. The budget counts model runs;
a particle costs one run per scenario of its panel.

**Fitted and held out.** A pattern is fitted when it has a value in every simulated
enterprise (``per_seed``), one run mostly gives it, and it reads only the fitting scenarios
(:data:`FIT_SCENARIOS`: the baseline and the training pair). The others are held out and
checked afterwards, out of sample, by a validation with the calibrated constants:

* ``statistic`` patterns are properties of a population of enterprises (a share of seeds, a
  ratio pooled over seeds): one panel cannot give them;
* the operating model's pairs (CoE against federated teams or a hybrid, at 10,000 employees)
  are what the levers decide, not the constants, and cost five times a baseline run;
* ``constant`` patterns are the Bass coefficients, inputs the meta-analysis gives directly.
* the mid-market time to scale is undefined in most single enterprises
  (:data:`UNDEFINED_IN_ONE_RUN`).

**The distance.** Each fitted pattern's target is a band (``low`` to ``high``; one end may be
open). A particle's distance on a pattern is how far its value lies outside the band (0
inside), divided by the pattern's spread (standard deviation) among the last population's
simulations, re-estimated every population (adaptive scales, Prangle 2017, as pyABC's
``AdaptivePNormDistance`` does); the distance is the Euclidean norm over patterns. A value the
panel could not give (NaN: nothing scaled, say) counts as
:data:`~aiscale_sim.calibration.abc.MISSING_SPREADS` spreads off.

After the fit (:func:`run_facts_calibration`) the command writes the posterior, its summary,
the marginals against the priors and the shipped values, ``constants.toml`` with the posterior
means, and a check: every pattern validated with the shipped constants and with the calibrated
ones, side by side.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from aiscale_sim.calibration.abc import (
    MISSING_SPREADS,
    SUMMARY,
    Pool,
    _pyabc_version,
    check_counts,
    fit,
    last_population,
    populations,
    posterior_summary,
)
from aiscale_sim.calibration.constants import CONSTANTS, CONSTANTS_BY_NAME, _unknown
from aiscale_sim.errors import UserInputError
from aiscale_sim.evidence.patterns import (
    PATTERNS,
    SCENARIOS,
    Pattern,
    pattern_values,
    run_row,
)
from aiscale_sim.files import write_csv, write_text

#: The constants fitted by default: every calibratable constant but the Bass coefficients,
#: which are facts themselves (the ``bass_p`` and ``bass_q`` patterns) and stay at the
#: meta-analysis's means.
DEFAULT_FREE: tuple[str, ...] = tuple(c.name for c in CONSTANTS
                                      if c.name not in ("bass_p", "bass_q"))
#: The scenarios a particle's panel runs (keys of the patterns' SCENARIOS).
FIT_SCENARIOS: tuple[str, ...] = ("baseline", "training_5h", "training_0h")
#: Particles per population, and seeds per scenario of the check's two validations.
POPULATION = 200
CHECK_SEEDS = 8
#: Files of a facts calibration folder (with abc's calibration.json, history.db, state.json).
POSTERIOR, MARGINALS = "posterior.csv", "marginals.png"
CHECK_CSV, CHECK_JSON, CHECK_PNG = "check.csv", "check.json", "check.png"
CONSTANTS_TOML = "constants.toml"
SHIPPED_DIR, CALIBRATED_DIR = "validate_shipped", "validate_calibrated"


#: Per-enterprise patterns that one run seldom gives, each with why: a summary statistic that
#: most simulations cannot give carries no information for ABC, only a floor under every
#: distance (the share is from the prior sample of a fit of the eight default constants).
UNDEFINED_IN_ONE_RUN: dict[str, str] = {
    "midmarket_time_to_scale":
        "undefined in most single enterprises: in 82% of 800-employee runs from the prior no "
        "use case is scaled within five years, so one panel seldom gives it",
}


def fitted_patterns(patterns: Sequence[Pattern] = PATTERNS) -> tuple[Pattern, ...]:
    """The patterns the fit uses: one value per enterprise, read off the fitting scenarios."""
    return tuple(p for p in patterns if p.how == "per_seed" and p.id not in UNDEFINED_IN_ONE_RUN
                 and set(p.scenarios) <= set(FIT_SCENARIOS))


def held_out_patterns(patterns: Sequence[Pattern] = PATTERNS) -> dict[str, str]:
    """The patterns the fit leaves out, each with why (checked afterwards by validation)."""
    fitted = {p.id for p in fitted_patterns(patterns)}
    out = {}
    for p in patterns:
        if p.id in fitted:
            continue
        if p.id in UNDEFINED_IN_ONE_RUN:
            out[p.id] = UNDEFINED_IN_ONE_RUN[p.id]
        elif p.how == "constant":
            out[p.id] = "an input of the model (the meta-analysis's coefficient), not fitted"
        elif p.how == "statistic":
            out[p.id] = "a property of many enterprises (a share of seeds or a pooled ratio)"
        else:
            out[p.id] = ("reads scenarios of the operating model "
                         f"({', '.join(s for s in p.scenarios if s not in FIT_SCENARIOS)})")
    return out


def panel_scenarios(patterns: Sequence[Pattern]) -> tuple[str, ...]:
    """The fitting scenarios the patterns read, in :data:`FIT_SCENARIOS` order."""
    wanted = {s for p in patterns for s in p.scenarios}
    return tuple(s for s in FIT_SCENARIOS if s in wanted)


def reference_value(p: Pattern) -> float:
    """A finite point of a pattern's band, stored as pyABC's "observation" (the middle)."""
    lo, hi = p.low, p.high
    if math.isinf(lo) and math.isinf(hi):
        return 0.0
    if math.isinf(lo):
        return hi
    if math.isinf(hi):
        return lo
    return (lo + hi) / 2.0


def band_excess(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """How far each value lies outside its band ``[low, high]``: 0 inside, NaN stays NaN."""
    with np.errstate(invalid="ignore"):
        return np.maximum(low - values, 0.0) + np.maximum(values - high, 0.0)


# --- what a facts calibration is ------------------------------------------------------------

@dataclass(frozen=True)
class FactsCalibration:
    """Everything that decides a facts calibration's numbers (stored as ``calibration.json``).

    Args:
        free: The constants to fit (names in :data:`~aiscale_sim.calibration.constants.
            CONSTANTS`; default :data:`DEFAULT_FREE`).
        budget: Most model runs in all, the calibration sample from the prior included (a
            particle costs one run per scenario of its panel).
        seed: Master seed.
        steps: Weeks per run.
        population: Particles per population.
        check_seeds: Seeds per scenario of the check's validations (beyond the budget).
    """

    free: tuple[str, ...] = DEFAULT_FREE
    budget: int = 20_000
    seed: int = 0
    steps: int = 260
    population: int = POPULATION
    check_seeds: int = CHECK_SEEDS
    patterns: tuple[Pattern, ...] = field(init=False, compare=False)
    scenarios: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self):
        free = tuple(self.free)
        if not free:
            raise UserInputError("--free names no constant; give one or more of "
                                 f"{', '.join(CONSTANTS_BY_NAME)}")
        for n in free:
            if n not in CONSTANTS_BY_NAME:
                raise _unknown(n, "--free")
        dup = sorted({n for n in free if free.count(n) > 1})
        if dup:
            raise UserInputError(f"--free names {', '.join(dup)} more than once")
        object.__setattr__(self, "free", free)
        object.__setattr__(self, "patterns", fitted_patterns())
        object.__setattr__(self, "scenarios", panel_scenarios(self.patterns))
        check_counts(self, (("budget", 1, None), ("seed", 0, None), ("steps", 1, 5200),
                            ("population", 10, None), ("check_seeds", 1, None)))
        floor = self.budget_floor
        if self.budget < floor:
            raise UserInputError(
                f"--budget {self.budget} is too small for one population of {self.population} "
                f"particles of {self.runs_per_particle} simulations each (one per scenario: "
                f"{', '.join(self.scenarios)}): pyABC first simulates {self.population} draws "
                "from the prior to set its distance and threshold, and the first population "
                f"accepts about half of its draws; give a budget of at least {floor}, or a "
                "smaller --population")

    @property
    def runs_per_particle(self) -> int:
        """Model runs one particle costs: one per scenario of its panel."""
        return len(self.scenarios)

    @property
    def budget_floor(self) -> int:
        """The smallest budget, in runs, that fits one population (see abc.budget_floor)."""
        return 3 * self.population * self.runs_per_particle

    @property
    def particle_budget(self) -> int:
        """The budget in particles (whole panels)."""
        return self.budget // self.runs_per_particle

    @property
    def priors(self) -> dict[str, tuple[float, float]]:
        """Each free constant's uniform prior, ``(low, high)``."""
        return {n: (CONSTANTS_BY_NAME[n].low, CONSTANTS_BY_NAME[n].high) for n in self.free}

    def as_dict(self) -> dict[str, Any]:
        """Plain data: what the folder records and a rerun must match (not ``check_seeds``)."""
        return {"mode": "facts", "free": list(self.free), "budget": self.budget,
                "seed": self.seed, "steps": self.steps, "population": self.population,
                "priors": {k: list(v) for k, v in self.priors.items()},
                "patterns": [p.id for p in self.patterns], "scenarios": list(self.scenarios)}


def panel_seed(seed: int, values: Sequence[float]) -> int:
    """The seed of one particle's panel: a hash of the master seed and the constants."""
    text = f"facts|{seed}|" + ",".join(repr(float(v)) for v in values)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


class FactsModel:
    """The pyABC model: constants in, the fitted patterns' values out (one panel of runs).

    Args:
        free: The constants fitted, in order.
        patterns: The fitted patterns.
        scenarios: The panel's scenarios.
        steps: Weeks per run.
        seed: Master seed.
    """

    def __init__(self, free: Sequence[str], patterns: Sequence[Pattern],
                 scenarios: Sequence[str], steps: int, seed: int):
        self.free = tuple(free)
        self.patterns = tuple(patterns)
        self.scenarios = tuple(scenarios)
        self.steps = int(steps)
        self.seed = int(seed)

    def simulate(self, constants: Mapping[str, float], seed: int) -> dict[str, float]:
        """The fitted patterns' values of one panel with these constants and this seed."""
        from aiscale_sim.simulate import simulate

        rows = []
        for name in self.scenarios:
            result = simulate("baseline", seed=seed, steps=self.steps,
                              overrides=dict(SCENARIOS[name]), constants=dict(constants))
            rows.append(run_row(name, seed, result))
        return pattern_values(pd.DataFrame(rows), self.patterns, constants)

    def __call__(self, pars: Mapping[str, float]) -> dict[str, float]:
        """One panel, its seed hashed from the particle's constants."""
        constants = {n: float(pars[n]) for n in self.free}
        return self.simulate(constants, panel_seed(self.seed, list(constants.values())))


def _band_distance(patterns: Sequence[Pattern]):
    """PyABC's adaptive p-norm distance on how far each pattern lies outside its band."""
    from pyabc.distance import AdaptivePNormDistance

    bands = {p.id: (p.low, p.high) for p in patterns}

    def spread(*, samples: np.ndarray, **kwargs) -> np.ndarray:  # noqa: ARG001
        """Standard deviation of each pattern over the simulations (0 where undefined)."""
        import warnings

        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # a pattern no run could give
            sd = np.nanstd(np.asarray(samples, dtype=float), axis=0) if len(samples) else []
        return np.nan_to_num(np.asarray(sd, dtype=float), nan=0.0)

    class BandDistance(AdaptivePNormDistance):
        """Each pattern's excess beyond its band, in spreads, and the Euclidean norm of them.

        A pattern whose spread is 0 (the same value in every simulation, such as the week-0
        anxiety, which no constant moves) gets weight 0, as pyABC does for any statistic.
        """

        def __call__(self, x, x_0, t=None, par=None):
            ids = self.sumstat.get_ids()
            w = np.broadcast_to(self.get_weights(t=t), (len(ids),))
            s = np.array([x[k] for k in ids], dtype=float)
            low = np.array([bands[k][0] for k in ids])
            high = np.array([bands[k][1] for k in ids])
            excess = band_excess(s, low, high)
            parts = np.where(np.isnan(excess), MISSING_SPREADS, w * excess)
            d = float(np.sqrt(np.sum(parts ** 2)))
            return np.inf if math.isnan(d) else d

    return BandDistance(p=2, scale_function=spread)


# --- running --------------------------------------------------------------------------------

@dataclass
class FactsResult:
    """What a facts calibration produced.

    Attributes:
        summary: The content of ``summary.json``.
        posterior: The last population: one column per free constant and ``weight``.
        check: One row per pattern: validated with the shipped and the calibrated constants.
        path: The output folder.
        written: The files written (the figures are added by :func:`save_facts_figures`).
        calibration: What was fitted.
        validations: ``{"shipped": Validation, "calibrated": Validation}``.
    """

    summary: dict[str, Any]
    posterior: pd.DataFrame
    check: pd.DataFrame
    path: Path
    written: list[Path]
    calibration: FactsCalibration
    validations: dict[str, Any]


def run_facts_calibration(cal: FactsCalibration, out: str | Path, *,
                          executor: str = "processes", workers: int | None = None,
                          scheduler: str | None = None, progress: bool = True,
                          stream: TextIO | None = None) -> FactsResult:
    """Fit ``cal.free`` to the stylized facts with pyABC's ABC-SMC; check and write the results.

    Args:
        cal: The facts calibration.
        out: Output folder: created if missing; if it holds this calibration, it is resumed
            (or, finished, its outputs written again); anything else is refused.
        executor: ``serial``, ``processes`` (default) or ``dask``.
        workers: Worker processes (default: every core).
        scheduler: Address of a running Dask scheduler (implies ``dask``).
        progress: A line per population, and the check's progress bars.
        stream: Where population lines go (default standard error).

    Returns:
        A :class:`FactsResult`.
    """
    from aiscale_sim.simulate import model_fingerprint

    out = Path(out)
    spec = {**cal.as_dict(), "model_fingerprint": model_fingerprint()}
    model = FactsModel(cal.free, cal.patterns, cal.scenarios, cal.steps, cal.seed)
    observed = {p.id: reference_value(p) for p in cal.patterns}
    with Pool(executor, workers, scheduler) as pool:
        history, particles = fit(out, spec, model, cal.priors, observed,
                                 _band_distance(cal.patterns), budget=cal.particle_budget,
                                 population=cal.population, seed=cal.seed, pool=pool,
                                 progress=progress, stream=stream,
                                 runs_per_particle=cal.runs_per_particle,
                                 budget_runs=cal.budget)
    return _write_outputs(cal, out, history, particles, executor=executor, workers=workers,
                          scheduler=scheduler, progress=progress)


def _round(value: float, c) -> float:
    """Three significant digits, within the prior's range."""
    return float(min(max(float(f"{value:.3g}"), c.low), c.high))


def constants_toml(cal: FactsCalibration, summary_post: Mapping[str, Mapping[str, float]],
                   simulations: int) -> str:
    """``constants.toml``: the posterior means, for ``validate --constants`` and ``run``."""
    lines = ['name = "calibrated_to_facts"', 'description = """',
             f"Calibratable constants at their posterior means, fitted by ABC-SMC to "
             f"{len(cal.patterns)} stylized-fact patterns ({simulations:,} of {cal.budget:,} "
             f"simulations, seed {cal.seed}).", '"""', "", "[constants]"]
    for n in cal.free:
        c = CONSTANTS_BY_NAME[n]
        post = summary_post[n]
        lines.append(f"{n} = {_round(post['mean'], c)!r}  # 90% {post['low']:.3g} to "
                     f"{post['high']:.3g}; shipped {c.default:g}; prior {c.low:g} to "
                     f"{c.high:g} {c.unit}")
    return "\n".join(lines) + "\n"


def _check_table(cal: FactsCalibration, shipped, calibrated) -> pd.DataFrame:
    fitted = {p.id for p in cal.patterns}
    held = held_out_patterns()
    rows = []
    by_id = {r.id: r for r in calibrated.rows}
    for r in shipped.rows:
        if r.pattern is None:
            continue
        c = by_id[r.id]
        rows.append({
            "id": r.id, "strength": r.fact.strength, "role": "fitted" if r.id in fitted
            else "held out", "why_held_out": held.get(r.id, ""), "low": r.low, "high": r.high,
            "shipped": r.result.value, "shipped_verdict": r.verdict,
            "calibrated": c.result.value, "calibrated_low": c.result.interval[0],
            "calibrated_high": c.result.interval[1], "calibrated_verdict": c.verdict})
    return pd.DataFrame(rows)


def _finite(x: Any) -> Any:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


def _write_outputs(cal: FactsCalibration, out: Path, history, particles: int, *,
                   executor: str, workers: int | None, scheduler: str | None,
                   progress: bool) -> FactsResult:
    from aiscale_sim.evidence.validate import run_validation
    from aiscale_sim.simulate import model_fingerprint, package_version

    posterior = last_population(history, cal.free)
    summary_post = posterior_summary(posterior, cal.free)
    for n, post in summary_post.items():
        post.update(shipped=CONSTANTS_BY_NAME[n].default, unit=CONSTANTS_BY_NAME[n].unit)
    calibrated = {n: _round(summary_post[n]["mean"], CONSTANTS_BY_NAME[n]) for n in cal.free}
    kw = {"seeds": cal.check_seeds, "steps": cal.steps, "executor": executor,
          "workers": workers, "scheduler": scheduler, "progress": progress}
    validations = {"shipped": run_validation(out / SHIPPED_DIR, **kw),
                   "calibrated": run_validation(out / CALIBRATED_DIR, constants=calibrated,
                                                **kw)}
    for name, v in validations.items():
        v.save(out / (SHIPPED_DIR if name == "shipped" else CALIBRATED_DIR))
    check = _check_table(cal, validations["shipped"], validations["calibrated"])
    pops = populations(history)
    k = cal.runs_per_particle

    def met(role: str, which: str) -> int:
        sel = check[check.role == role] if role else check
        return int((sel[f"{which}_verdict"] == "met").sum())

    summary = {
        "mode": "facts",
        "posterior": summary_post,
        "calibrated": calibrated,
        "fitted_patterns": [p.id for p in cal.patterns],
        "held_out_patterns": held_out_patterns(),
        "scenarios": list(cal.scenarios),
        "budget": cal.budget,
        "simulations": int(particles) * k,
        "particles": int(particles),
        "simulations_per_particle": k,
        "populations": int(len(pops)),
        "epsilons": [float(e) for e in pops["epsilon"]],
        "particles_by_population": [int(s) for s in pops["samples"]],
        "met": {"shipped": met("", "shipped"), "calibrated": met("", "calibrated"),
                "fitted_shipped": met("fitted", "shipped"),
                "fitted_calibrated": met("fitted", "calibrated"),
                "held_out_shipped": met("held out", "shipped"),
                "held_out_calibrated": met("held out", "calibrated"),
                "patterns": int(len(check)), "fitted": int((check.role == "fitted").sum())},
        "passed": {"shipped": validations["shipped"].passed,
                   "calibrated": validations["calibrated"].passed},
        "free": list(cal.free),
        "priors": {n: {"low": lo, "high": hi} for n, (lo, hi) in cal.priors.items()},
        "population_size": cal.population,
        "check_seeds": cal.check_seeds,
        "steps": cal.steps,
        "seed": cal.seed,
        "version": package_version(),
        "model_fingerprint": model_fingerprint(),
        "pyabc_version": _pyabc_version(),
    }
    check_records = [{k2: _finite(v) for k2, v in r.items()} for r in check.to_dict("records")]
    written = [
        write_csv(out / POSTERIOR, posterior),
        write_text(out / SUMMARY, json.dumps(summary, indent=2)),
        write_csv(out / CHECK_CSV, check),
        write_text(out / CHECK_JSON, json.dumps(check_records, indent=2)),
        write_text(out / CONSTANTS_TOML, constants_toml(cal, summary_post,
                                                        int(particles) * k)),
    ]
    return FactsResult(summary, posterior, check, out, written, cal, validations)


def format_check(result: FactsResult) -> str:
    """The check as a Markdown table: each pattern with the shipped and calibrated constants."""
    from aiscale_sim.evidence.validate import fmt

    lines = ["| pattern | role | target | shipped | calibrated |",
             "| --- | --- | --- | --- | --- |"]
    units = {p.id: p.unit for p in PATTERNS}
    for r in result.check.itertuples():
        u = units[r.id]
        target = (f"{fmt(r.low, u)} to {fmt(r.high, u)}" if math.isfinite(r.low)
                  and math.isfinite(r.high) else f">= {fmt(r.low, u)}" if math.isfinite(r.low)
                  else f"<= {fmt(r.high, u)}")
        lines.append(f"| {r.id} | {r.role} | {target} | {fmt(r.shipped, u)} "
                     f"({r.shipped_verdict}) | {fmt(r.calibrated, u)} "
                     f"({r.calibrated_verdict}) |")
    return "\n".join(lines)
