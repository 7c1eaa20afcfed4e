"""Evaluators: turn a sample matrix into model outputs, R replicates per point.

An evaluator is any callable ``evaluator(problem, X, *, replicates, seed) -> Evaluation``.
Replicate ``r`` of every sample point uses the same seed (common random numbers), so the
differences between points are not blurred by different random streams.

* :class:`ModelEvaluator` runs the enterprise model through the experiment runner
  (:mod:`aiscale_sim.runner`: every executor, resume, failures, progress).
* :class:`FunctionEvaluator` calls any Python function with keyword arguments named after the
  problem's parameters (and ``seed=`` when the function accepts it).

Outcomes the model leaves undefined are made explicit here: ``time_to_50pct_adoption_weeks``
is None when adoption never reaches 50%; it is censored at ``steps + 1`` weeks (so "never" ranks
as slower than any observed time). Other None outcomes (``pilot_to_production_rate`` when no
pilot has concluded, ``roi`` when nothing was spent) become NaN and are handled by the analysis,
which never passes NaN to SALib.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aiscale_sim.errors import UserInputError
from aiscale_sim.sensitivity.problem import Problem

#: Model outcomes analysed by default.
MODEL_OUTPUTS = ("pilot_to_production_rate", "adoption_share", "time_to_50pct_adoption_weeks",
                 "use_cases_in_production", "cumulative_value", "roi")
#: The time series analysed week by week.
SERIES_METRIC = "adoption_share"


@dataclass
class Evaluation:
    """What an evaluator returns.

    Attributes:
        outputs: Output name -> array of shape (points, replicates); NaN where undefined.
        series: Time-series values, shape (points, replicates, weeks), or None.
        weeks: The weeks of ``series``.
        failures: One dict per failed run (``point``, ``replicate``, ``seed``, ``error``).
        seeds: The seed of each replicate.
        experiment_dir: Folder the runs were written to, if any.
        notes: What the evaluator did that a reader should know.
        remedies: Output -> what to do when some points leave it undefined (shown when the
            analysis has to skip that output).
    """

    outputs: dict[str, np.ndarray]
    series: np.ndarray | None = None
    weeks: list[int] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    experiment_dir: str | None = None
    notes: list[str] = field(default_factory=list)
    remedies: dict[str, str] = field(default_factory=dict)


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The seed of each replicate, shared by every sample point."""
    ss = np.random.SeedSequence([int(seed), 7])
    return [int(s) for s in ss.generate_state(replicates, dtype=np.uint32)]


def _to_float(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def load_function(spec: str) -> Callable[..., Any]:
    """Import ``MODULE:CALLABLE`` (from the working directory or PYTHONPATH) or ``FILE.py:NAME``.

    Raises:
        UserInputError: The module or callable cannot be found or imported.
    """
    mod_name, sep, attr = spec.rpartition(":")
    if not sep or not mod_name or not attr:
        raise UserInputError(f"--function: expected MODULE:CALLABLE, got {spec!r}")
    try:
        if mod_name.endswith(".py") or "/" in mod_name or "\\" in mod_name:
            path = Path(mod_name)
            if not path.is_file():
                raise UserInputError(f"--function: file '{mod_name}' does not exist")
            name = f"_aiscale_fn_{path.stem}"
            mspec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(mspec)
            sys.modules[name] = module
            mspec.loader.exec_module(module)
        else:
            cwd = str(Path.cwd())
            added = cwd not in sys.path
            if added:
                sys.path.insert(0, cwd)
            try:
                module = importlib.import_module(mod_name)
            finally:
                if added:
                    sys.path.remove(cwd)
    except UserInputError:
        raise
    except Exception as e:  # any import-time failure is the user's module
        raise UserInputError(f"--function: cannot import '{mod_name}': "
                             f"{type(e).__name__}: {e}") from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        raise UserInputError(f"--function: module '{mod_name}' has no callable '{attr}'")
    return fn


def _numeric(param, value: Any) -> float:
    if param.kind == "choice":
        return float(param.choices.index(value))
    return float(value)


class FunctionEvaluator:
    """Evaluate any Python function point by point.

    The function is called as ``func(**values)`` (plus ``seed=`` when its signature has a
    ``seed`` parameter or ``**kwargs``) and must return a number or a dict of numbers.

    Args:
        func: The function, or ``"MODULE:CALLABLE"``.
    """

    def __init__(self, func: Callable[..., Any] | str):
        self.func = load_function(func) if isinstance(func, str) else func
        try:
            params = inspect.signature(self.func).parameters
        except (TypeError, ValueError):
            params = {}
        self.takes_seed = "seed" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        self.name = getattr(self.func, "__name__", "function")

    def _check(self, value: Any, point: dict[str, Any]) -> dict[str, float]:
        def num(v, key):
            if isinstance(v, bool) or not isinstance(v, int | float | np.number):
                raise UserInputError(
                    f"--function {self.name} returned {type(v).__name__} {v!r}"
                    f"{' for ' + key if key else ''} at {point}; it must return a number "
                    "or a dict of numbers")
            return float(v)

        if isinstance(value, Mapping):
            if not value:
                raise UserInputError(f"--function {self.name} returned an empty dict")
            return {str(k): num(v, str(k)) for k, v in value.items()}
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        return {"y": num(value, "")}

    def __call__(self, problem: Problem, X: np.ndarray, *, replicates: int = 1,
                 seed: int = 0, progress: bool = False) -> Evaluation:
        """Evaluate every point ``replicates`` times."""
        seeds = replicate_seeds(seed, replicates)
        points = problem.decode(X)
        keys: list[str] | None = None
        out: dict[str, np.ndarray] = {}
        failures = []
        for i, point in enumerate(points):
            for r, s in enumerate(seeds):
                kwargs = dict(point, seed=s) if self.takes_seed else point
                try:
                    value = self.func(**kwargs)
                except TypeError as e:
                    if i == 0 and r == 0:
                        raise UserInputError(f"--function {self.name} cannot be called with "
                                             f"{', '.join(kwargs)}: {e}") from None
                    failures.append({"point": i, "replicate": r, "seed": s, "error": repr(e)})
                    continue
                except Exception as e:  # a failing evaluation is recorded, not fatal
                    failures.append({"point": i, "replicate": r, "seed": s, "error": repr(e)})
                    continue
                d = self._check(value, point)
                if keys is None:
                    keys = list(d)
                    out = {k: np.full((len(points), replicates), np.nan) for k in keys}
                if set(d) != set(keys):
                    raise UserInputError(f"--function {self.name} returned keys {sorted(d)} at "
                                         f"point {i}, but {sorted(keys)} before")
                for k, v in d.items():
                    out[k][i, r] = v
        if keys is None:
            raise UserInputError(f"--function {self.name} failed on every point; first error: "
                                 f"{failures[0]['error'] if failures else 'none'}")
        return Evaluation(outputs=out, failures=failures, seeds=seeds)


class ModelEvaluator:
    """Run the enterprise model at every sample point.

    Args:
        base: Scenario name/path or dict of lever values the sampled levers are applied on.
        overrides: Further fixed lever values (e.g. ``{"employees": 2000}``).
        steps: Weeks per run.
        every: Sample the adoption curve every ``every`` weeks for time-resolved indices.
        out_dir: Experiment folder (required; running again with the same sample resumes).
        executor: Runner executor (``serial``, ``processes``, ``dask``...).
        workers: Worker processes.
        scheduler: Dask scheduler address.
        outputs: Outcome names to collect.
        fill: Explicit values for undefined outcomes, e.g. ``{"pilot_to_production_rate":
            0.0}`` (read: no pilot concluded counts as none reaching production); recorded in
            the notes. Without it undefined outcomes stay NaN.
        keep_timeseries: Store every weekly metric of every run in the experiment folder.
            By default only the analysed curve (``adoption_share``) is stored: at N = 1024
            the full series would be over two million rows of 28 metrics, costly to send,
            write and read, and not used by the analysis. ``summaries.parquet`` always holds
            every outcome of every run.
    """

    def __init__(self, base: Any = None, *, overrides: Mapping[str, Any] | None = None,
                 steps: int = 156, every: int = 13, out_dir: str | Path | None = None,
                 executor: str = "processes", workers: int | None = None,
                 scheduler: str | None = None, outputs: tuple[str, ...] = MODEL_OUTPUTS,
                 fill: Mapping[str, float] | None = None, keep_timeseries: bool = False):
        from aiscale_sim.simulate import resolve

        self.scenario = resolve(base, dict(overrides or {}))
        self.steps = int(steps)
        if every < 1:
            raise UserInputError(f"--every must be at least 1 week, got {every}")
        self.weeks = list(range(every, self.steps + 1, every)) or [self.steps]
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.executor, self.workers, self.scheduler = executor, workers, scheduler
        self.outputs = tuple(outputs)
        self.fill = dict(fill or {})
        self.weekly = None if keep_timeseries else [SERIES_METRIC]

    def _outcome(self, name: str, outcomes: Mapping[str, Any]) -> float:
        v = outcomes.get(name)
        if name == "time_to_50pct_adoption_weeks" and (v is None or _to_float(v) != _to_float(v)):
            return float(self.steps + 1)  # censored: never reached within the horizon
        v = _to_float(v)
        if v != v and name in self.fill:
            return float(self.fill[name])
        return v

    def __call__(self, problem: Problem, X: np.ndarray, *, replicates: int = 1,
                 seed: int = 0, progress: bool = False) -> Evaluation:
        """Run every point ``replicates`` times (replicate r uses the same seed everywhere)."""
        points = problem.decode(X)
        n = len(points)
        out = {k: np.full((n, replicates), np.nan) for k in self.outputs}
        series = np.full((n, replicates, len(self.weeks)), np.nan)
        notes = [f"time_to_50pct_adoption_weeks is censored at {self.steps + 1} weeks "
                 "(steps + 1) when adoption never reaches 50%"]
        notes += [f"undefined {k} set to {v:g}" for k, v in self.fill.items()]
        ev = self._run_with_runner(problem, points, replicates, seed, progress, out, series)
        ev.notes = notes + ev.notes
        if "pilot_to_production_rate" not in self.fill:
            ev.remedies["pilot_to_production_rate"] = (
                "the rate is undefined where no pilot concluded; --rate-undefined-zero "
                "(rate_undefined_zero=True) counts such a point as a rate of 0")
        return ev

    def _fill(self, i: int, r: int, outcomes: Mapping[str, Any], ts, out, series) -> None:
        for k in self.outputs:
            out[k][i, r] = self._outcome(k, outcomes)
        col = ts[SERIES_METRIC].to_numpy(dtype=float)
        wk = ts["week"].to_numpy()
        pos = np.searchsorted(wk, self.weeks)
        ok = pos < len(wk)
        vals = np.full(len(self.weeks), np.nan)
        vals[ok] = col[pos[ok]]
        series[i, r] = vals

    def _run_with_runner(self, problem, points, replicates, seed, progress, out,
                         series) -> Evaluation:
        import pandas as pd

        from aiscale_sim.runner import design_from_matrix, run_experiment

        if self.out_dir is None:
            raise UserInputError("the experiment runner needs an output folder (--out)")
        names = problem.names
        # The runner reads a numeric matrix: whole numbers for int levers, 0/1 for bool levers
        # and the index of the choice for choice levers (already decoded here).
        matrix = np.array([[_numeric(prm, pt[prm.name]) for prm in problem.parameters]
                           for pt in points], dtype=float)
        design = design_from_matrix(self.scenario, names, matrix, replicates, seed)
        exp = run_experiment(design, self.out_dir, steps=self.steps, executor=self.executor,
                             workers=self.workers, scheduler=self.scheduler,
                             progress=progress, weekly=self.weekly,
                             metadata={"analysis": "sensitivity", "parameters": names})
        # Map each run back to (point, replicate): the design lists row i, replicate r.
        where: dict[Any, tuple[int, int]] = {}
        seeds: list[int] = [0] * replicates
        for run in design:
            i, r = divmod(run.run_id, replicates)  # the runner's run id = row * R + replicate
            where[run.run_id] = (i, r)
            seeds[r] = int(run.seed)
        summ = exp.summaries
        ts = exp.timeseries
        ts_by_run = dict(tuple(ts.groupby("run_id"))) if len(ts) else {}
        for _, row in summ.iterrows():
            ir = where.get(row["run_id"])
            if ir is None:
                continue
            outcomes = {k: (None if pd.isna(row.get(k)) else row.get(k)) for k in self.outputs}
            t = ts_by_run.get(row["run_id"])
            if t is None:
                continue
            self._fill(*ir, outcomes, t.sort_values("week"), out, series)
        failures = []
        fails = exp.failures
        if fails is not None and len(fails):
            frame = fails if isinstance(fails, pd.DataFrame) else pd.DataFrame(fails)
            for rec in frame.to_dict("records"):
                i, r = where.get(rec.get("run_id"), (None, None))
                failures.append({"point": i, "replicate": r, "seed": rec.get("seed"),
                                 "error": str(rec.get("error", rec))})
        return Evaluation(outputs=out, series=series, weeks=self.weeks, failures=failures,
                          seeds=seeds, experiment_dir=str(self.out_dir))
