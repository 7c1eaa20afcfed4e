"""Run many simulations: the loop that joins designs, executors and the experiment store.

An experiment is a *design* (:mod:`aiscale_sim.experiment.designs`: a list of :class:`Run`
made from scenarios, a grid or a sample matrix, every seed spawned from one master seed), run
on an executor (:mod:`aiscale_sim.experiment.executors`: ``serial``, ``processes`` or
``dask``) into an experiment folder (:mod:`aiscale_sim.experiment.store`: manifest, Parquet
parts, a writer thread and a lock). This module holds what joins them: what each task runs on
a worker (:func:`run_batch`) and the loop that feeds the executor and hands each result to the
store as it arrives (:func:`run_experiment`). It re-exports the names of those modules, so
``from aiscale_sim.runner import design_from_grid, run_experiment, load_experiment`` works.

Results stream to the folder as runs finish, so a finished run is on disk a moment after it
ends. Running the same design into the same folder again resumes where it stopped (after
Ctrl-C or ``kill -9``): finished runs are kept, unfinished ones run, nothing is lost or doubled.
Ctrl-C stops the workers at once and says how many runs are kept and how to resume. An
experiment can grow: the same design with more seeds, grid points or scenarios keeps the runs
already in the folder and runs only the new ones. A run that raises is recorded as a failure;
the others go on, and failed runs are tried again when the experiment is resumed.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path
from typing import Any

import numpy as np

from aiscale_sim.errors import UserInputError
from aiscale_sim.experiment.designs import (
    Design,
    Run,
    design_from_grid,
    design_from_matrix,
    design_from_scenarios,
    design_hash,
    spawn_seeds,
)
from aiscale_sim.experiment.executors import (
    EXECUTORS,
    SCHEDULER_DEADLINE_S,
    SCHEDULER_TIMEOUT_S,
    _batch_size,
    _check_workers,
    _dask_slots,
    _exit_with_parent,
    _mp_context,
    _open_dask,
    _Serial,
    _stop_workers,
)
from aiscale_sim.experiment.store import (
    COMPACT_EVERY,
    FAILURES,
    FORMAT_VERSION,
    KEY_COLUMNS,
    MANIFEST,
    PARTS,
    SUMMARIES,
    TIMESERIES,
    WRITE_PACE,
    Experiment,
    _clean_orphans,
    _compact,
    _consolidate,
    _folder_lock,
    _now,
    _ok_ids,
    _open_folder,
    _write_json,
    _Writer,
    load_experiment,
)
from aiscale_sim.outputs import MODEL_REPORTERS, NOT_REACHED_OUTCOMES
from aiscale_sim.progress import progress_bar
from aiscale_sim.scenarios import check_phase_weeks
from aiscale_sim.simulate import (
    HORIZON_WEEKS,
    MAX_STEPS,
    model_fingerprint,
    package_version,
    simulate,
)

__all__ = [
    "COMPACT_EVERY",
    "CONSTANT_PREFIX",
    "EXECUTORS",
    "FAILURES",
    "FORMAT_VERSION",
    "KEY_COLUMNS",
    "MANIFEST",
    "MEASURE_PREFIX",
    "PARTS",
    "SCHEDULER_DEADLINE_S",
    "SCHEDULER_TIMEOUT_S",
    "SUMMARIES",
    "TIMESERIES",
    "WRITE_PACE",
    "Design",
    "Experiment",
    "Run",
    "design_from_grid",
    "design_from_matrix",
    "design_from_scenarios",
    "design_hash",
    "flatten",
    "load_experiment",
    "run_batch",
    "run_experiment",
    "spawn_seeds",
    # Private names that tests reach for.
    "_batch_size",
    "_compact",
    "_consolidate",
]

# --- one batch (runs in a worker) -----------------------------------------------------------

#: Prefix of the summary columns a run's ``measure`` function adds.
MEASURE_PREFIX = "measure."
#: Prefix of the summary columns holding the calibratable constants a run overrode.
CONSTANT_PREFIX = "constant."


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _run_one(run: Run, steps: int, fingerprint: str | None = None,
             weekly: Sequence[str] | None = None,
             measure: Callable[[Any], Mapping[str, float]] | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        if fingerprint is not None and fingerprint != model_fingerprint():
            raise RuntimeError(
                f"this worker runs a different model (fingerprint {model_fingerprint()}, "
                f"aiscale-sim {package_version()}) from the one that started the experiment "
                f"({fingerprint}); install the same aiscale-sim on every worker")
        phased = {"phases": run.phases} if run.phases else {}
        if run.budget_cap is not None:
            phased["budget_cap"] = run.budget_cap
        if run.constants:
            phased["constants"] = dict(run.constants)
        result = simulate(dict(run.levers), seed=run.seed, steps=steps, **phased)
        measured = {} if measure is None else dict(measure(result))
    except Exception as e:  # a failing run is data, not the end of the experiment
        return {"run_id": run.run_id, "ok": False, "error": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc(), "seconds": time.perf_counter() - t0}
    outcomes = flatten(result.summary["outcomes"])
    # Undefined outcomes (None in the summary, NaN as numbers), except "not reached yet".
    nan = [k for k, v in outcomes.items() if k not in NOT_REACHED_OUTCOMES
           and (v is None or (isinstance(v, float) and math.isnan(v)))]
    row: dict[str, Any] = {"run_id": run.run_id, "scenario": run.scenario, "seed": run.seed}
    row.update(run.levers)
    for k, v in run.constants.items():  # which constants the run overrode (none: no columns)
        row[f"{CONSTANT_PREFIX}{k}"] = float(v)
    for k, v in outcomes.items():
        row[k if k not in row else f"outcome.{k}"] = float("nan") if v is None else v
    row["nan_outcomes"] = ",".join(nan)
    for k, v in measured.items():
        row[f"{MEASURE_PREFIX}{k}"] = float(v)
    budget = result.summary.get("budget")
    if budget is not None:  # a capped run: its budget and how it was kept
        row["budget_musd_per_year"] = budget["cap_musd_per_year"]
        row["weeks_budget_bound"] = budget["weeks_budget_bound"]
    ts = result.timeseries
    if weekly is not None:
        ts = ts[["week", *weekly]].copy()
    ts.insert(0, "run_id", np.int64(run.run_id))
    return {"run_id": run.run_id, "ok": True, "row": row, "timeseries": ts,
            "seconds": time.perf_counter() - t0}


def run_batch(runs: Sequence[Run], steps: int, fingerprint: str | None = None,
              weekly: Sequence[str] | None = None,
              measure: Callable[[Any], Mapping[str, float]] | None = None
              ) -> list[dict[str, Any]]:
    """Run a batch of runs (one task on a worker); never raises for a failing run.

    Args:
        runs: The runs of this task.
        steps: Weeks per run.
        fingerprint: The model fingerprint of the process that started the experiment; a
            worker with another model fails its runs instead of mixing in other numbers.
        weekly: Weekly metrics to keep in the time series (None: all).
        measure: Further numbers to read off each finished run (see :func:`run_experiment`).
    """
    return [_run_one(r, steps, fingerprint, weekly, measure) for r in runs]


# --- the loop -------------------------------------------------------------------------------

def _check_weekly(weekly: Sequence[str] | None) -> list[str] | None:
    """The weekly metrics to store, checked against the model's reporters (None: all)."""
    if weekly is None:
        return None
    if isinstance(weekly, str):
        weekly = [w.strip() for w in weekly.split(",") if w.strip()]
    chosen = {w for w in weekly if w != "week"}
    unknown = sorted(w for w in chosen if w not in MODEL_REPORTERS)
    names = [k for k in MODEL_REPORTERS if k in chosen]  # one order, whatever order was given
    if unknown or not names:
        what = (f"unknown weekly metric(s) {', '.join(unknown)}" if unknown
                else "no weekly metric chosen")
        allowed = ", ".join(k for k in MODEL_REPORTERS if k != "week")
        raise UserInputError(f"{what}; choose from {allowed}")
    return names


def _resolve_steps(steps: Any) -> int:
    if steps is None:
        return HORIZON_WEEKS
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or not (
            1 <= steps <= MAX_STEPS):
        raise UserInputError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    return int(steps)


def _check_design(design: Sequence[Run]) -> None:
    if not design:
        raise UserInputError("the design has no runs")
    ids = [r.run_id for r in design]
    if len(set(ids)) != len(ids):
        raise UserInputError("run ids in the design must be unique")
    for r in design:
        if not isinstance(r, Run):
            raise UserInputError(f"a design is a list of Run, got {type(r).__name__}")


def _check_phases(design: Sequence[Run], steps: int) -> None:
    """Refuse, before anything is written, a run whose phases come after its last week."""
    for r in design:
        if r.phases:
            check_phase_weeks(r.phases, steps, r.scenario)



def run_experiment(design: Sequence[Run], out_dir: str | Path, *, steps: int | None = None,
                   executor: str = "processes", workers: int | None = None,
                   scheduler: str | None = None, progress: bool = True,
                   metadata: Mapping[str, Any] | None = None,
                   weekly: Sequence[str] | None = None,
                   measure: Callable[[Any], Mapping[str, float]] | None = None) -> Experiment:
    """Run a design into an experiment folder, resuming whatever is already there.

    Args:
        design: The runs (see :func:`design_from_scenarios`, :func:`design_from_grid`,
            :func:`design_from_matrix`).
        out_dir: Experiment folder; created if missing. If it already holds this design, only
            the runs not yet finished are run; if it holds part of this design (fewer seeds,
            grid points or scenarios), the experiment grows: kept runs stay as they are, with
            their run ids, and new runs get ids after them when theirs are taken.
        steps: Weeks per run (default 260).
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes (default: every core). For ``dask`` with ``scheduler``, the
            cluster's own workers are used and this is ignored.
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``); implies dask.
        progress: Show progress: a bar on a terminal, a line every 10% in a log.
        metadata: Extra JSON-able data stored in the manifest (e.g. the experiment file).
        weekly: The weekly metrics to store in ``timeseries.parquet`` (default: all of
            them); a large experiment that needs only a few curves keeps them lighter to
            write, send and read.
        measure: A function of a finished run's :class:`~aiscale_sim.simulate.SimulationResult`
            giving further numbers to keep, ``{name: value}``, called on the worker while the
            run's model is still at hand (for what the summary does not hold, e.g. a median
            over some of the use cases). Each is stored in ``summaries.parquet`` as
            ``measure.<name>``. It must be a module-level function, so that it reaches the
            workers; a run whose measure raises is recorded as a failure. Name it in
            ``metadata`` so the folder says what it holds.

    Returns:
        The loaded :class:`Experiment`; failed runs are in ``.failures``.

    Raises:
        UserInputError: Bad executor, workers or steps, an empty design, an unreachable
            scheduler, or a folder that holds a different experiment (another model, other
            steps or weekly metrics, or runs this design does not have).
        KeyboardInterrupt: On Ctrl-C, after stopping the workers, recording what finished
            and printing how to resume.
    """
    if scheduler and executor != "dask":
        if executor in EXECUTORS and executor != "processes":
            raise UserInputError("--scheduler needs the dask executor")
        executor = "dask" if executor == "processes" else executor
    if executor not in EXECUTORS:
        raise UserInputError(f"unknown executor '{executor}'; choose one of "
                             f"{', '.join(EXECUTORS)}")
    workers = _check_workers(workers)
    steps = _resolve_steps(steps)
    weekly = _check_weekly(weekly)
    design = design if isinstance(design, list) else list(design)
    _check_design(design)
    _check_phases(design, steps)
    out = Path(out_dir)
    client = cluster = None
    if executor == "dask":  # connect first: an unreachable scheduler leaves no folder behind
        client, cluster = _open_dask(workers, scheduler)
    try:
        manifest, design = _open_folder(out, design, steps, metadata, weekly)
        with _folder_lock(out):
            return _run_in_folder(out, manifest, design, steps, executor, workers,
                                  client, progress, weekly, measure)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()



def _run_in_folder(out: Path, manifest: dict[str, Any], design: list[Run], steps: int,
                   executor: str, workers: int | None, client, progress: bool,
                   weekly: list[str] | None = None,
                   measure: Callable[[Any], Mapping[str, float]] | None = None) -> Experiment:
    _clean_orphans(out)
    done = _ok_ids(out)
    todo = [r for r in design if r.run_id not in done]
    by_id = {r.run_id: r for r in design}

    n_failed = 0
    n_kept = len(done)
    if todo:
        if executor == "serial":
            pool: Any = _Serial()
            n_workers = 1
        elif executor == "processes":
            from concurrent.futures import ProcessPoolExecutor

            n_workers = min(workers or os.cpu_count() or 1, len(todo))
            pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=_mp_context(),
                                       initializer=_exit_with_parent, initargs=(os.getpid(),))
        else:
            n_workers = _dask_slots(client, workers)
            pool = client.get_executor(pure=False)
        size = _batch_size(len(todo), n_workers)
        batches = [todo[i:i + size] for i in range(0, len(todo), size)]
        manifest.update(status="running", updated=_now(), executor=executor,
                        workers=n_workers)
        _write_json(out / MANIFEST, manifest)

        bar = progress_bar(len(design), initial=len(done), unit="run", desc="runs",
                           enabled=progress)
        pending: set = set()
        clean = False
        writer = _Writer(out, by_id)

        def record(results):
            nonlocal n_failed, n_kept
            writer.add(results)
            n_failed += sum(not r["ok"] for r in results)
            n_kept += sum(bool(r["ok"]) for r in results)
            bar.set_postfix(failed=n_failed, refresh=False)  # before update: a log line has it
            bar.update(len(results))

        try:
            if executor == "serial":
                for b in batches:
                    record(run_batch(b, steps, None, weekly, measure))
            else:
                queue = iter(batches)

                def top_up(slots: int) -> None:
                    # Keep about two tasks per worker thread in flight; on a cluster, workers
                    # that join during the experiment get work too.
                    for b in itertools.islice(queue, max(2 * slots, 4) - len(pending)):
                        pending.add(pool.submit(run_batch, b, steps, model_fingerprint(),
                                                weekly, measure))

                top_up(n_workers)
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        record(fut.result())
                    top_up(n_workers if client is None else _dask_slots(client, workers))
            writer.close()
            clean = True
        except BaseException as e:
            _stop_workers(pool, pending, client)
            writer.close()
            manifest.update(status="interrupted", updated=_now())
            _write_json(out / MANIFEST, manifest)
            if isinstance(e, KeyboardInterrupt):
                bar.close()
                print(_interrupted_message(out, n_kept, len(design)), file=sys.stderr)
            raise
        finally:
            bar.close()
            if client is None:
                pool.shutdown(wait=clean, cancel_futures=not clean)
            else:
                pool.shutdown(wait=False)
    _consolidate(out, manifest)
    return Experiment(out)



def _resume_command() -> str:
    """The command line that started this process, to run again to resume."""
    import shlex

    argv = list(sys.argv)
    if argv and argv[0] and not argv[0].endswith(".py") and os.access(argv[0], os.X_OK):
        name = os.path.basename(argv[0])  # a console script such as `aiscale`
        if shutil.which(name) and os.path.samefile(shutil.which(name), argv[0]):
            argv[0] = name
        return shlex.join(argv)
    return shlex.join(getattr(sys, "orig_argv", None) or [sys.executable, *argv])


def _interrupted_message(out: Path, kept: int, total: int) -> str:
    """What Ctrl-C leaves behind, and how to go on."""
    head = f"interrupted: {kept} of {total} runs kept in {out}"
    if hasattr(sys, "ps1") or "ipykernel" in sys.modules or not sys.argv or not sys.argv[0]:
        return f"{head}; run the same design into the same folder again to resume"
    return f"{head}; to resume, run the same command again:\n  {_resume_command()}"
