"""Fit free levers to an organisation's observed outcomes by ABC-SMC (pyABC's ``ABCSMC``).

Approximate Bayesian computation with sequential Monte Carlo (Toni et al. 2009; Beaumont et
al. 2009) needs no likelihood: it draws lever values from the prior, simulates the organisation,
keeps the draws whose outcomes come close to the observed ones, and tightens "close" population
by population, proposing each population's draws around the last one's. pyABC (Klinger,
Rickert & Hasenauer 2018; Schaelte et al. 2022) does all of that here; this module supplies
the pieces around it:

* the model: known levers plus the free ones, one run of :func:`aiscale_sim.simulate`, the
  observed outcomes out (:class:`OrgModel`); each run's seed is a hash of the master seed and
  the particle's lever values, so the same values give the same outcomes on any worker;
* uniform priors over each free lever's bounds in the lever table;
* pyABC's ``AdaptivePNormDistance`` (each outcome divided by its spread among the simulations,
  re-estimated every population; Prangle 2017), with an outcome the run could not give
  (None, e.g. no pilot concluded) counted as five spreads off;
* a sampler over the runner's executors (:class:`SeededSampler`): it proposes particles in
  batches, each particle from its own seed (the master seed, the population and the particle's
  place), simulates them in parallel and accepts them in the order proposed, so the same seed
  gives the same populations in series, on processes and on Dask, with any number of workers;
  it also holds the budget to the last simulation;
* pyABC's SQLite history in the output folder, so running the same command again continues
  after the last finished population.

After the fit it writes the posterior, its summary, a figure of the marginals, a posterior
predictive check and a scenario file with the posterior means (:func:`run_calibration`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from aiscale_sim.calibration.observed import (
    ObservedOrg,
    check_free,
    outcome_values,
    prior_bounds,
)
from aiscale_sim.errors import UserInputError
from aiscale_sim.files import write_csv, write_text
from aiscale_sim.levers import LEVERS_BY_NAME, validate_levers

#: Files of a calibration folder.
SPEC, HISTORY, STATE = "calibration.json", "history.db", "state.json"
POSTERIOR, SUMMARY, MARGINALS = "posterior.csv", "summary.json", "marginals.png"
CHECK_CSV, CHECK_JSON, CHECK_PNG = "check.csv", "check.json", "check.png"
CALIBRATED = "calibrated.toml"
OUTPUTS = (POSTERIOR, SUMMARY, MARGINALS, CHECK_CSV, CHECK_JSON, CHECK_PNG, CALIBRATED)

#: Default particles per population and posterior predictive draws.
POPULATION = 100
CHECK_DRAWS = 50
#: The smallest batch the sampler proposes at once (whatever the number of workers, so that
#: the numbers do not depend on it).
MIN_BATCH = 16
#: Chunks a parallel map makes at least per slot (see :meth:`Pool.map`).
CHUNKS_PER_SLOT = 64
#: How far a run that cannot give an observed outcome is from it, in that outcome's spreads.
MISSING_SPREADS = 5.0
#: A batch proposes this share of the particles the acceptance rate says are still needed.
UNDERSHOOT = 0.85
#: A population's first batch assumes this acceptance when there is no earlier population.
FIRST_ACCEPTANCE = 0.5


def budget_floor(population: int) -> int:
    """The smallest budget that fits one population.

    pyABC first simulates one population's worth of draws from the prior to set the scales of
    the distance and the first threshold (the median distance), so the first population
    accepts about half of its draws: a calibration sample plus about twice the population.
    """
    return 3 * population


# --- what a calibration is ------------------------------------------------------------------

@dataclass(frozen=True)
class Calibration:
    """Everything that decides a calibration's numbers (stored as ``calibration.json``).

    Args:
        org: The organisation: known levers and observed outcomes.
        free: The levers to fit.
        budget: Most simulations in all (the calibration sample from the prior included; the
            posterior predictive check runs ``check_draws`` more).
        seed: Master seed.
        steps: Weeks simulated; the observed outcomes are the ones after these weeks.
        population: Particles per population.
        check_draws: Posterior draws simulated again for the predictive check.
    """

    org: ObservedOrg
    free: tuple[str, ...]
    budget: int
    seed: int = 0
    steps: int = 260
    population: int = POPULATION
    check_draws: int = CHECK_DRAWS
    priors: dict[str, tuple[float, float]] = field(init=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "free", check_free(self.free, self.org))
        object.__setattr__(self, "priors", prior_bounds(self.free, self.org))
        check_counts(self, (("budget", 1, None), ("seed", 0, None), ("steps", 1, 5200),
                            ("population", 10, None), ("check_draws", 1, None)))
        floor = budget_floor(self.population)
        if self.budget < floor:
            raise UserInputError(
                f"--budget {self.budget} is too small for one population of {self.population} "
                f"particles: pyABC first simulates {self.population} draws from the prior to "
                f"set its distance and threshold, and the first population accepts about half "
                f"of its draws; give a budget of at least {floor}, or a smaller --population")

    @property
    def int_levers(self) -> tuple[str, ...]:
        """Free levers that take whole numbers (rounded from the continuous proposal)."""
        return tuple(n for n in self.free if LEVERS_BY_NAME[n].kind == "int")

    def as_dict(self) -> dict[str, Any]:
        """Plain data: what a calibration folder records, and what a rerun must match.

        The predictive check's draws are left out: they change no particle, so a rerun may
        ask for more or fewer.
        """
        return {"org": self.org.as_dict(), "free": list(self.free), "budget": self.budget,
                "seed": self.seed, "steps": self.steps, "population": self.population,
                "priors": {k: list(v) for k, v in self.priors.items()}}


def check_counts(obj: Any, specs: Sequence[tuple[str, int, int | None]]) -> None:
    """Refuse an attribute of ``obj`` that is not a whole number within ``(name, low, high)``."""
    for name, lo, hi in specs:
        v = getattr(obj, name)
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo or (
                hi is not None and v > hi):
            allowed = f"{lo} to {hi}" if hi else f"at least {lo}"
            raise UserInputError(f"{name} must be a whole number, {allowed}; got {v!r}")


def prior_range(lever: str, bounds: tuple[float, float]) -> tuple[float, float]:
    """The range pyABC samples for a free lever.

    A whole-number lever gets half a step more at each end, so that rounding gives each whole
    number the same prior mass.
    """
    lo, hi = bounds
    if LEVERS_BY_NAME[lever].kind == "int":
        return lo - 0.5, hi + 0.5
    return lo, hi


def run_seed(seed: int, values: Sequence[float]) -> int:
    """The seed of one simulation: a hash of the master seed and the particle's lever values.

    The same values give the same outcomes on every worker and executor, and a resumed run
    simulates a particle it meets again exactly as before.
    """
    text = f"{seed}|" + ",".join(repr(float(v)) for v in values)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def particle_seed(seed: int, t: int, index: int) -> int:
    """Seed of the ``index``-th particle proposed in population ``t`` (-1: the prior sample)."""
    ss = np.random.SeedSequence([int(seed), int(t) + 1, int(index)])
    return int(ss.generate_state(1, np.uint32)[0])


class OrgModel:
    """The pyABC model: free lever values in, the organisation's observed outcomes out.

    Args:
        levers: The known levers (validated; defaults for the rest).
        free: The free levers, in order.
        int_levers: Free levers rounded to whole numbers.
        outcomes: The observed outcomes' names.
        steps: Weeks simulated.
        seed: Master seed.
    """

    def __init__(self, levers: Mapping[str, Any], free: Sequence[str],
                 int_levers: Sequence[str], outcomes: Sequence[str], steps: int, seed: int):
        self.levers = dict(levers)
        self.free = tuple(free)
        self.int_levers = frozenset(int_levers)
        self.outcomes = tuple(outcomes)
        self.steps = int(steps)
        self.seed = int(seed)

    def levers_for(self, values: Mapping[str, float]) -> dict[str, Any]:
        """The full lever set of a particle (whole-number levers rounded, within bounds)."""
        out = dict(self.levers)
        for n in self.free:
            v = float(values[n])
            if n in self.int_levers:
                lv = LEVERS_BY_NAME[n]
                v = int(min(max(math.floor(v + 0.5), lv.low), lv.high))
            out[n] = v
        return out

    def simulate(self, values: Mapping[str, float], seed: int) -> dict[str, float]:
        """One run of the organisation with these free-lever values and this seed."""
        from aiscale_sim.simulate import simulate

        result = simulate(self.levers_for(values), seed=seed, steps=self.steps)
        return outcome_values(result.outcomes, self.outcomes)

    def __call__(self, pars: Mapping[str, float]) -> dict[str, float]:
        """The observed outcomes of one run, its seed hashed from the particle's values."""
        return self.simulate(pars, run_seed(self.seed, [pars[n] for n in self.free]))


# --- parallel, reproducible sampling --------------------------------------------------------

#: The last ``simulate_one`` this process unpickled, by the digest of its bytes: a population
#: sends the same one with every task, so each worker unpickles it once.
_LOADED: dict[bytes, Callable] = {}


def _evaluate(payload: bytes, seeds: Sequence[int]) -> list:
    """Worker task: one pyABC ``simulate_one`` per seed (a particle: proposal, run, verdict)."""
    import cloudpickle

    digest = hashlib.blake2b(payload, digest_size=16).digest()
    simulate_one = _LOADED.get(digest)
    if simulate_one is None:
        _LOADED.clear()
        simulate_one = _LOADED[digest] = cloudpickle.loads(payload)
    out = []
    for s in seeds:
        np.random.seed(s)  # noqa: NPY002 - pyABC proposes from numpy's global generator
        random.seed(s)
        out.append(simulate_one())
    return out


def _check_task(model: OrgModel, rows: Sequence[tuple[dict[str, float], int]]) -> list:
    """Worker task of the predictive check: the observed outcomes of each (values, seed)."""
    return [model.simulate(values, seed) for values, seed in rows]


class Pool:
    """Where simulations run: in this process, on a process pool or on a Dask cluster.

    One pool serves a whole calibration (worker processes start once). ``map`` hands back
    results in the order of its tasks, whatever order they finish in.

    Args:
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes (default: every core; ignored with ``scheduler``).
        scheduler: Address of a running Dask scheduler (implies ``dask``).
    """

    def __init__(self, executor: str = "processes", workers: int | None = None,
                 scheduler: str | None = None):
        from aiscale_sim.experiment.executors import EXECUTORS, _check_workers

        if scheduler and executor not in ("dask", "processes"):
            raise UserInputError("--scheduler needs the dask executor")
        executor = "dask" if scheduler else executor
        if executor not in EXECUTORS:
            raise UserInputError(f"unknown executor '{executor}'; choose one of "
                                 f"{', '.join(EXECUTORS)}")
        self.executor = executor
        self.workers = _check_workers(workers)
        self.scheduler = scheduler
        self._pool = self._client = self._cluster = None

    def __enter__(self) -> Pool:
        if self.executor == "processes":
            self._start_processes()
        elif self.executor == "dask":
            from aiscale_sim.experiment.executors import _open_dask

            self._client, self._cluster = _open_dask(self.workers, self.scheduler)
        return self

    def _start_processes(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from aiscale_sim.experiment.executors import _exit_with_parent

        if "forkserver" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["aiscale_sim.runner", "pyabc"])
        else:  # pragma: no cover - platforms without a fork server
            ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=self.slots, mp_context=ctx,
                                         initializer=_exit_with_parent,
                                         initargs=(os.getpid(),))

    def __exit__(self, *exc: object) -> None:
        interrupted = exc and exc[0] is not None
        if self._pool is not None:
            if interrupted:
                from aiscale_sim.experiment.executors import _stop_workers

                _stop_workers(self._pool, set(), None)
            self._pool.shutdown(wait=not interrupted, cancel_futures=True)
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    @property
    def slots(self) -> int:
        """Simulations that can run at once."""
        if self.executor == "serial":
            return 1
        if self._client is not None:
            from aiscale_sim.experiment.executors import _dask_slots

            return _dask_slots(self._client, self.workers)
        return self.workers or os.cpu_count() or 1

    def map(self, fn: Callable, first: Any, items: Sequence[Any]) -> list:
        """``fn(first, chunk)`` over chunks of ``items``; the results, flattened, in order.

        The chunks are small (:data:`CHUNKS_PER_SLOT` a slot at least): a batch ends when its
        last chunk does, so with a few large chunks one worker would wait, idle, for the other
        to finish its last. The results do not depend on the chunks.
        """
        if not items:
            return []
        if self.executor == "serial":
            return list(fn(first, list(items)))
        size = max(1, math.ceil(len(items) / (CHUNKS_PER_SLOT * self.slots)))
        chunks = [list(items[i:i + size]) for i in range(0, len(items), size)]
        if self._client is not None:
            futures = self._client.map(fn, [first] * len(chunks), chunks, pure=False)
            results = self._client.gather(futures)
        else:
            results = list(self._pool.map(fn, [first] * len(chunks), chunks))
        return [r for chunk in results for r in chunk]


def _sampler_class():
    """:class:`SeededSampler`, built on pyABC's ``Sampler`` when pyABC is first needed."""
    from pyabc.sampler import Sampler

    class SeededSampler(Sampler):
        """A pyABC sampler over :class:`Pool` whose populations depend only on the seed.

        Each population proposes particles in batches; the ``i``-th particle of population
        ``t`` is proposed, simulated and judged from its own seed
        (:func:`particle_seed`), and particles are accepted in the order proposed until the
        population is full. So the particles do not depend on how many workers there are or
        which finishes first. Simulations of a batch after the last particle a population needs
        are counted but not used. A population that the budget cannot fill is not started, or
        stops when the budget is spent and is not kept (pyABC then stops).

        Args:
            pool: Where simulations run.
            seed: Master seed.
            budget: Most simulations in all.
            spent: Simulations spent so far (a function: pyABC's history and earlier sessions).
            acceptance: Acceptance rate of the population before ``t`` (a function; None if
                unknown), to size the first batch of population ``t``.
            report: Called after each population as ``report(t, accepted, simulations,
                ok, ana_vars)``.
        """

        def __init__(self, pool: Pool, seed: int, budget: int, spent: Callable[[], int],
                     acceptance: Callable[[int], float | None],
                     report: Callable[..., None] | None = None):
            super().__init__()
            self.pool, self.seed, self.budget = pool, int(seed), int(budget)
            self.spent, self.acceptance, self.report = spent, acceptance, report
            self.discarded = 0

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            import cloudpickle

            sample = self._create_empty_sample()
            remaining = self.budget - self.spent()
            rate = 1.0 if all_accepted else (self.acceptance(t) or FIRST_ACCEPTANCE)
            cap = min(max_eval, remaining)
            if n > cap or (not all_accepted and n / rate > cap):
                # Not even the expected cost of the population fits: stop here.
                self.nr_evaluations_ = 0
                sample.ok = False
                return sample
            payload = cloudpickle.dumps(simulate_one)
            accepted = evaluated = 0
            while accepted < n and evaluated < cap:
                if evaluated:
                    rate = max(accepted / evaluated, 0.01)
                need = n - accepted
                # Aim a little short: simulations after the last particle needed are wasted.
                batch = need if all_accepted else max(math.ceil(UNDERSHOOT * need / rate),
                                                      MIN_BATCH)
                batch = int(min(batch, cap - evaluated))
                seeds = [particle_seed(self.seed, t, evaluated + i) for i in range(batch)]
                for particle in self.pool.map(_evaluate, payload, seeds):
                    evaluated += 1
                    if accepted < n:
                        sample.append(particle)
                        accepted += bool(particle.accepted)
            self.nr_evaluations_ = evaluated
            if accepted < n:
                sample.ok = False
                self.discarded += evaluated
            if self.report is not None:
                self.report(t, accepted, evaluated, accepted >= n, ana_vars)
            return sample

    return SeededSampler


# --- the distance ---------------------------------------------------------------------------

def _distance():
    """The adaptive, scaled Euclidean distance of pyABC, with a missing outcome counted as far."""
    from pyabc.distance import AdaptivePNormDistance

    class MissingIsFar(AdaptivePNormDistance):
        """pyABC's ``AdaptivePNormDistance``, with a missing outcome :data:`MISSING_SPREADS` off.

        Each outcome's difference from the observation is divided by its spread (median
        absolute deviation) among the last population's simulations. A run that could not
        give an observed outcome (None, e.g. no pilot reached production for a median time to
        production) counts as that many spreads away on it: not infinitely far, which would
        make the first thresholds infinite when most draws from the prior miss it, but far
        enough to be rejected once the threshold is tighter.
        """

        def __call__(self, x, x_0, t=None, par=None):
            missing = [k for k in x_0 if k in x and np.isnan(x[k])]
            if not missing:
                d = super().__call__(x, x_0, t, par)
            else:
                seen = super().__call__({**x, **{k: x_0[k] for k in missing}}, x_0, t, par)
                d = (seen**self.p + len(missing) * MISSING_SPREADS**self.p) ** (1 / self.p)
            return np.inf if np.isnan(d) else float(d)

    return MissingIsFar(p=2)


# --- running --------------------------------------------------------------------------------

def _check_folder(out: Path, spec: dict[str, Any]) -> bool:
    """Refuse a folder that holds something else; True if it holds this calibration."""
    if not out.exists():
        return False
    if not out.is_dir():
        raise UserInputError(f"--out {out} is a file, not a folder")
    recorded = out / SPEC
    if recorded.exists():
        try:
            old = json.loads(recorded.read_text())
        except (OSError, ValueError):
            raise UserInputError(f"{recorded} is unreadable; use another --out folder") from None
        old_spec = {k: v for k, v in old.items() if k in spec}
        if old_spec != spec:
            diff = sorted(k for k in spec if old_spec.get(k) != spec[k])
            raise UserInputError(
                f"{out} holds a different calibration (it differs in {', '.join(diff)}); "
                "rerun its own command to resume it, or use another --out folder")
        return True
    if any(out.iterdir()):
        raise UserInputError(f"{out} is not empty and holds no calibration; use an empty or "
                             "new --out folder")
    return False


def _progress_printer(stream: TextIO | None, population: int, budget: int,
                      spent: Callable[[], int], runs_per_particle: int = 1,
                      budget_runs: int | None = None):
    start = time.monotonic()
    k = int(runs_per_particle)

    def report(t, accepted, evaluated, ok, ana_vars):
        if stream is None:
            return
        from aiscale_sim.progress import _clock

        # pyABC records this population after the sampler returns; counts are in model runs
        used, total = (spent() + evaluated) * k, budget_runs or budget * k
        what = "simulations" if k == 1 else f"particles ({k} simulations each)"
        clock = _clock(time.monotonic() - start)
        if t < 0:
            print(f"calibration sample: {evaluated} {what} from the prior; "
                  f"{used:,} of {total:,} simulations used, {clock}", file=stream, flush=True)
            return
        eps = ana_vars.eps(t) if ana_vars is not None else float("nan")
        if not evaluated:
            print(f"population {t}: not started, the budget left ({total - used:,}) would not "
                  "fill it", file=stream, flush=True)
        elif ok:
            print(f"population {t}: threshold {eps:.4g}, {accepted} of {evaluated} "
                  f"{what} accepted ({accepted / evaluated:.0%}); {used:,} of "
                  f"{total:,} simulations used, {clock}", file=stream, flush=True)
        else:
            print(f"population {t}: budget spent after {accepted} of {population} particles; "
                  "not kept", file=stream, flush=True)

    return report


def _read_state(out: Path) -> dict[str, Any]:
    try:
        return json.loads((out / STATE).read_text())
    except (OSError, ValueError):
        return {"discarded": 0, "finished": False}


@dataclass
class CalibrationResult:
    """What a calibration produced.

    Attributes:
        summary: The content of ``summary.json``.
        posterior: The last population: one row per particle, a column per free lever and
            ``weight``.
        check: The posterior predictive check (``check.json``).
        path: The output folder.
        written: The files written (the figures are drawn by
            :func:`aiscale_sim.calibration.plots.save_figures`, which adds them).
        check_table: The predictive check's draws (``check.csv``).
        calibration: What was fitted.
    """

    summary: dict[str, Any]
    posterior: pd.DataFrame
    check: dict[str, Any]
    path: Path
    written: list[Path]
    check_table: pd.DataFrame
    calibration: Calibration


def run_calibration(cal: Calibration, out: str | Path, *, executor: str = "processes",
                    workers: int | None = None, scheduler: str | None = None,
                    progress: bool = True,
                    stream: TextIO | None = None) -> CalibrationResult:
    """Fit ``cal.free`` to ``cal.org.observed`` with pyABC's ABC-SMC; write the results.

    Args:
        cal: The calibration.
        out: Output folder: created if missing; if it holds this calibration, it is resumed
            (or, finished, its outputs written again); anything else is refused.
        executor: ``serial``, ``processes`` (default) or ``dask``.
        workers: Worker processes (default: every core).
        scheduler: Address of a running Dask scheduler (implies ``dask``).
        progress: A line per population on ``stream``.
        stream: Where progress goes (default standard error).

    Returns:
        A :class:`CalibrationResult`.

    Raises:
        UserInputError: A folder that holds something else, a bad executor, or an unreachable
            scheduler; nothing is written then.
    """
    from aiscale_sim.simulate import model_fingerprint

    out = Path(out)
    spec = {**cal.as_dict(), "model_fingerprint": model_fingerprint()}
    levers = validate_levers(cal.org.levers)
    model = OrgModel(levers, cal.free, cal.int_levers, tuple(cal.org.observed), cal.steps,
                     cal.seed)
    ranges = {n: prior_range(n, cal.priors[n]) for n in cal.free}
    with Pool(executor, workers, scheduler) as pool:
        history, spent = fit(out, spec, model, ranges, dict(cal.org.observed), _distance(),
                             budget=cal.budget, population=cal.population, seed=cal.seed,
                             pool=pool, progress=progress, stream=stream)
        return _write_outputs(cal, out, history, model, pool, spent)


def fit(out: Path, spec: dict[str, Any], model: Callable[[Mapping[str, float]], dict],
        ranges: Mapping[str, tuple[float, float]], observed: Mapping[str, float], distance,
        *, budget: int, population: int, seed: int, pool: Pool, progress: bool = True,
        stream: TextIO | None = None, runs_per_particle: int = 1,
        budget_runs: int | None = None):
    """Run pyABC's ABC-SMC into ``out`` (new, or resumed from its SQLite history).

    The part every calibration shares: the folder check, the seeded sampler over ``pool``,
    uniform priors over ``ranges``, pyABC's history in ``out/history.db`` and the progress
    lines.

    Args:
        out: Output folder (see :func:`run_calibration`).
        spec: What decides the numbers; recorded as ``calibration.json`` and matched on resume.
        model: pyABC's model: a particle's parameters in, its summary statistics out.
        ranges: Each parameter's uniform prior, ``(low, high)``.
        observed: The observed summary statistics.
        distance: A pyABC distance.
        budget: Most particles simulated in all (the calibration sample included).
        population: Particles per population.
        seed: Master seed.
        pool: Where particles are simulated (entered).
        progress: A line per population on ``stream`` (default standard error).
        stream: Where progress goes.
        runs_per_particle: Model runs one particle costs (progress counts runs).
        budget_runs: The budget in model runs, as the user gave it (for progress lines).

    Returns:
        ``(history, spent)``: pyABC's ``History`` and the particles simulated in all.

    Raises:
        UserInputError: A folder that holds something else, or a budget that filled no
            population.
    """
    import pyabc

    from aiscale_sim.files import write_text as _write
    from aiscale_sim.simulate import package_version

    resuming = _check_folder(out, spec)
    stream = (stream if stream is not None else sys.stderr) if progress else None
    out.mkdir(parents=True, exist_ok=True)
    if not resuming:
        _write(out / SPEC, json.dumps({**spec, "version": package_version()}, indent=2))
    state = _read_state(out)
    db_path = out / HISTORY
    db = f"sqlite:///{db_path.resolve()}"
    history_box: dict[str, Any] = {}

    def spent() -> int:
        h = history_box.get("h")
        return int((h.total_nr_simulations or 0) if h is not None else 0) + int(
            state["discarded"])

    def acceptance(t: int) -> float | None:
        h = history_box.get("h")
        if h is None or t < 1:
            return None
        pops = h.get_all_populations()
        row = pops[pops.t == t - 1]
        if row.empty or not row.samples.iloc[0]:
            return None
        return float(row.particles.iloc[0] / row.samples.iloc[0])

    sampler = _sampler_class()(pool, seed, budget, spent, acceptance,
                               _progress_printer(stream, population, budget, spent,
                                                 runs_per_particle, budget_runs))
    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", lo, hi - lo)
                                  for n, (lo, hi) in ranges.items()})
    abc = pyabc.ABCSMC(model, prior, distance, population_size=population, sampler=sampler)
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)  # progress is ours, one line per population
    try:
        if db_path.exists() and _has_population(db):
            history_box["h"] = abc.load(db, 1)
            if stream is not None and not state["finished"]:
                print(f"resuming {out}: {history_box['h'].n_populations} populations and "
                      f"{spent() * runs_per_particle:,} simulations kept", file=stream,
                      flush=True)
        else:
            if db_path.exists():  # killed before the first population: start again
                db_path.unlink()
            history_box["h"] = abc.new(db, dict(observed))
        if not state["finished"]:
            try:
                abc.run(max_total_nr_simulations=budget)
            except KeyboardInterrupt:
                if stream is not None:
                    kept = max(history_box["h"].n_populations, 0)
                    print(f"interrupted: {kept} population{'' if kept == 1 else 's'} kept in "
                          f"{out}; run the "
                          "same command again to resume", file=stream, flush=True)
                raise
            state = {"discarded": state["discarded"] + sampler.discarded, "finished": True}
            _write(out / STATE, json.dumps(state, indent=2))
    finally:
        logger.setLevel(level)
    history = history_box["h"]
    if history.n_populations < 1:
        raise UserInputError(f"the budget of {budget_runs or budget * runs_per_particle} "
                             "simulations did not fill one population; give a larger --budget")
    return history, spent()


def _has_population(db: str) -> bool:
    """Whether a pyABC database holds at least one finished population."""
    from pyabc import History

    try:
        h = History(db, create=False)
        return h.n_populations > 0
    except Exception:  # an empty or broken file from a kill before the first population
        return False


# --- outputs --------------------------------------------------------------------------------

def weighted_quantiles(values: np.ndarray, weights: np.ndarray,
                       qs: Sequence[float]) -> list[float]:
    """Weighted quantiles (pyABC's ``weighted_quantile``)."""
    from pyabc.weighted_statistics import weighted_quantile

    return [float(weighted_quantile(values, weights, alpha=q)) for q in qs]


def last_population(history, names: Sequence[str]) -> pd.DataFrame:
    """The last population of a pyABC history: a column per parameter, and ``weight``."""
    df, w = history.get_distribution(m=0, t=history.max_t)
    posterior = df[list(names)].reset_index(drop=True).astype(float)
    posterior["weight"] = np.asarray(w, dtype=float)
    return posterior


def posterior_summary(posterior: pd.DataFrame,
                      names: Sequence[str]) -> dict[str, dict[str, float]]:
    """Each parameter's weighted ``mean`` and 90% interval (``low`` 5%, ``high`` 95%)."""
    w = posterior["weight"].to_numpy()
    out = {}
    for n in names:
        x = posterior[n].to_numpy()
        low, high = weighted_quantiles(x, w, (0.05, 0.95))
        out[n] = {"mean": float(np.sum(x * w) / w.sum()), "low": low, "high": high}
    return out


def populations(history) -> pd.DataFrame:
    """The finished populations of a pyABC history (not the calibration sample), in order."""
    pops = history.get_all_populations()
    return pops[pops.t >= 0].sort_values("t")


def _round_lever(name: str, value: float) -> Any:
    lv = LEVERS_BY_NAME[name]
    if lv.kind == "int":
        return int(min(max(math.floor(value + 0.5), lv.low), lv.high))
    return float(min(max(float(f"{value:.4g}"), lv.low), lv.high))


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)


def calibrated_toml(cal: Calibration, means: Mapping[str, float]) -> str:
    """A scenario file with the known levers and the posterior means of the free ones."""
    levers = {**cal.org.levers, **{n: _round_lever(n, means[n]) for n in cal.free}}
    validate_levers(levers, CALIBRATED)
    fitted = ", ".join(cal.free)
    observed = ", ".join(f"{k} = {v:g}" for k, v in cal.org.observed.items())
    lines = [f"name = {json.dumps(f'{cal.org.name}_calibrated')}",
             'description = """',
             f"{cal.org.name}, calibrated by ABC-SMC: {fitted} at their posterior means, fitted "
             f"to {observed} after {cal.steps} weeks (seed {cal.seed}).",
             '"""', "", "[levers]"]
    for name, value in levers.items():
        tag = "  # posterior mean" if name in cal.free else ""
        lines.append(f"{name} = {_toml_value(value)}{tag}")
    return "\n".join(lines) + "\n"


def _posterior_check(cal: Calibration, posterior: pd.DataFrame, model: OrgModel,
                     pool: Pool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Simulate posterior draws again with fresh seeds; compare with what was observed."""
    rng = np.random.default_rng([cal.seed, 0xC4EC])
    w = posterior["weight"].to_numpy()
    picks = rng.choice(len(posterior), size=cal.check_draws, replace=True, p=w / w.sum())
    rows = []
    for i, k in enumerate(picks):
        values = {n: float(posterior[n].iloc[k]) for n in cal.free}
        rows.append((values, particle_seed(cal.seed, 1_000_000, i)))
    sims = pool.map(_check_task, model, rows)
    table = pd.DataFrame([{"draw": i, **{n: model.levers_for(v)[n] for n in cal.free},
                           "seed": s, **sim}
                          for i, ((v, s), sim) in enumerate(zip(rows, sims, strict=True))])
    check: dict[str, Any] = {}
    for name, obs in cal.org.observed.items():
        x = table[name].to_numpy(dtype=float)
        ok = x[~np.isnan(x)]
        entry = {"observed": obs, "draws": int(len(x)), "missing": int(np.isnan(x).sum())}
        if len(ok):
            lo, hi = np.quantile(ok, [0.05, 0.95])
            entry.update(mean=float(ok.mean()), low=float(lo), high=float(hi),
                         observed_quantile=float(np.mean(ok <= obs)),
                         covered=bool(lo <= obs <= hi))
        else:
            entry.update(mean=None, low=None, high=None, observed_quantile=None,
                         covered=False)
        check[name] = entry
    return table, check


def _write_outputs(cal: Calibration, out: Path, history, model: OrgModel, pool: Pool,
                   simulations: int) -> CalibrationResult:
    from aiscale_sim.simulate import model_fingerprint, package_version

    posterior = last_population(history, cal.free)
    summary_post = posterior_summary(posterior, cal.free)
    means = {n: v["mean"] for n, v in summary_post.items()}
    pops = populations(history)
    table, check = _posterior_check(cal, posterior, model, pool)
    summary = {
        "posterior": summary_post,
        "observed": dict(cal.org.observed),
        "budget": cal.budget,
        "simulations": int(simulations),
        "populations": int(len(pops)),
        "epsilons": [float(e) for e in pops["epsilon"]],
        "simulations_by_population": [int(s) for s in pops["samples"]],
        "calibration_sample": int(history.get_all_populations().query("t < 0")["samples"].sum()),
        "free": list(cal.free),
        "priors": {k: {"low": lo, "high": hi} for k, (lo, hi) in cal.priors.items()},
        "levers": dict(cal.org.levers),
        "population_size": cal.population,
        "check_draws": cal.check_draws,
        "steps": cal.steps,
        "seed": cal.seed,
        "scenario": cal.org.name,
        "scenario_path": cal.org.path,
        "version": package_version(),
        "model_fingerprint": model_fingerprint(),
        "pyabc_version": _pyabc_version(),
    }
    written = [
        write_csv(out / POSTERIOR, posterior),
        write_text(out / SUMMARY, json.dumps(summary, indent=2)),
        write_csv(out / CHECK_CSV, table),
        write_text(out / CHECK_JSON, json.dumps(check, indent=2)),
        write_text(out / CALIBRATED, calibrated_toml(cal, means)),
    ]
    return CalibrationResult(summary, posterior, check, out, written, table, cal)


def _pyabc_version() -> str:
    import pyabc

    return str(pyabc.__version__)

