"""Run many simulations: a reproducible, resumable experiment runner.

An experiment is a *design*, a list of :class:`Run` (run id, scenario name, complete lever
values, seed, and the scenario's phases if it has any), executed on one of three executors:

``serial``
    In this process, one run after another (handy for debugging).
``processes``
    A :class:`concurrent.futures.ProcessPoolExecutor` using every core (the default).
``dask``
    A Dask cluster through ``dask.distributed``'s concurrent.futures interface: a
    ``LocalCluster`` by default, or an existing scheduler given by its address.

Every run's seed comes from one master seed (``numpy.random.SeedSequence(master).spawn``) and is
stored with the run, so the same design gives the same numbers on every executor and any
number of workers. Each run is one task.

Results stream to the experiment folder as runs finish: each run is written as small part
files under a temporary name and renamed into place, then a marker file commits it, so a
finished run is on disk a moment after it ends; parts are merged now and then to keep the
folder small. Running the same design into the same folder again resumes where it stopped
(after Ctrl-C or ``kill -9``): finished runs are kept, unfinished ones run, nothing is lost or
doubled. Ctrl-C stops the workers at once and says how many runs are kept and how to resume.

An experiment can grow: a run is known by its scenario, levers, seed and phases, so the same
design with more seeds, grid points or scenarios keeps the runs already in the folder (rows
and run ids untouched) and runs only the new ones; the manifest records the grown design.
A folder made by another model, or with other steps or weekly metrics, is refused. At the
end the parts are consolidated into::

    manifest.json        design, master seed, version, status, counts, failures
    summaries.parquet    one row per finished run: run_id, scenario, seed, levers, outcomes
    timeseries.parquet   long form: run_id, week, one column per weekly metric (all of
                         them, or those chosen with ``weekly=``)
    failures.json        runs that raised: levers, seed, error and traceback

A run that raises is recorded as a failure; the others go on. Failed runs are tried again when
the experiment is resumed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.errors import UserInputError
from aiscale_sim.files import atomic_write, write_bytes, write_parquet
from aiscale_sim.levers import LEVERS, LEVERS_BY_NAME, unknown_lever_error
from aiscale_sim.outputs import MODEL_REPORTERS, NOT_REACHED_OUTCOMES
from aiscale_sim.progress import progress_bar
from aiscale_sim.scenarios import Phase, check_phase_weeks, validate_phases
from aiscale_sim.simulate import (
    HORIZON_WEEKS,
    MAX_STEPS,
    model_fingerprint,
    package_version,
    resolve,
    simulate,
)

EXECUTORS = ("serial", "processes", "dask")
FORMAT_VERSION = 1
#: Seconds allowed to reach a Dask scheduler before giving up.
SCHEDULER_TIMEOUT_S = 15
#: Hard limit on connecting to a scheduler, whatever the endpoint does.
SCHEDULER_DEADLINE_S = 25

MANIFEST = "manifest.json"
SUMMARIES = "summaries.parquet"
TIMESERIES = "timeseries.parquet"
FAILURES = "failures.json"
PARTS = "parts"
#: Committed part files that are merged into one, so a long experiment keeps few files.
COMPACT_EVERY = 200
#: After writing a part, the writer waits this many times as long before the next one.
WRITE_PACE = 4.0

KEY_COLUMNS = ("run_id", "scenario", "seed")


@dataclass(frozen=True)
class Run:
    """One run of an experiment.

    Attributes:
        run_id: Unique id of the run within its experiment.
        scenario: Name of the scenario (or design point) the run belongs to.
        levers: Complete, validated lever values (from the first week).
        seed: The integer seed passed to :func:`aiscale_sim.simulate`.
        phases: Levers that change on given weeks (the scenario's phases; empty for none).
    """

    run_id: int
    scenario: str
    levers: dict[str, Any] = field(hash=False)
    seed: int
    phases: tuple[Phase, ...] = field(default=(), hash=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.phases, tuple)
                and all(isinstance(ph, Phase) for ph in self.phases)):
            object.__setattr__(self, "phases", validate_phases(self.phases, f"run {self.run_id}"))

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form, as stored in the manifest.

        ``phases`` is there only when the run has some, so a run without phases keeps the
        identity (and design hash) it had before phases existed.
        """
        d = {"run_id": self.run_id, "scenario": self.scenario, "seed": self.seed,
             "levers": dict(self.levers)}
        if self.phases:
            d["phases"] = [ph.as_dict() for ph in self.phases]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Run:
        """The run of a manifest entry (:meth:`as_dict`)."""
        return cls(int(d["run_id"]), d["scenario"], d["levers"], int(d["seed"]),
                   d.get("phases") or ())


class Design(list):
    """A list of :class:`Run` that also remembers its master seed and how it was built."""

    def __init__(self, runs: Iterable[Run] = (), master_seed: int | None = None,
                 kind: str = "custom", info: dict[str, Any] | None = None):
        super().__init__(runs)
        self.master_seed = master_seed
        self.kind = kind
        self.info = info or {}


# --- seeds and designs ----------------------------------------------------------------------

def _check_count(value: Any, what: str, lo: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise UserInputError(f"{what} must be a whole number of at least {lo}, got {value!r}")
    return int(value)


def spawn_seeds(master_seed: int, n: int) -> list[int]:
    """Derive ``n`` independent run seeds from one master seed.

    Uses ``numpy.random.SeedSequence(master_seed).spawn(n)``; each child's first 32-bit word of
    state is the integer seed passed to :func:`aiscale_sim.simulate`.

    Args:
        master_seed: Non-negative master seed of the experiment.
        n: How many seeds.

    Returns:
        ``n`` non-negative integers; the i-th depends only on ``master_seed`` and ``i``.
    """
    master_seed = _check_count(master_seed, "master seed", lo=0)
    children = np.random.SeedSequence(master_seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def _scenario(ref: Any):
    """Resolve a scenario name/path/Scenario/lever dict into a Scenario."""
    return resolve(ref)


def design_from_scenarios(scenarios: Sequence[Any], n_seeds: int, master_seed: int) -> Design:
    """Every scenario crossed with ``n_seeds`` seeds, with common random numbers.

    The i-th seed is shared by every scenario, so differences between scenarios are paired.

    Args:
        scenarios: Scenario names, TOML paths, :class:`~aiscale_sim.scenarios.Scenario` objects
            or lever dicts.
        n_seeds: Seeds per scenario.
        master_seed: Master seed of the experiment.

    Returns:
        A :class:`Design`; run ids go scenario by scenario, seed by seed.

    Raises:
        UserInputError: No scenarios, a bad scenario or a bad count.
    """
    n_seeds = _check_count(n_seeds, "number of seeds")
    if not scenarios:
        raise UserInputError("name at least one scenario")
    resolved = [_scenario(s) for s in scenarios]
    for j, (ref, sc) in enumerate(zip(scenarios, resolved, strict=True)):
        if isinstance(ref, Mapping) and len(resolved) > 1:
            sc.name = f"custom{j + 1}"
    names = [s.name for s in resolved]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserInputError(f"scenario named more than once: {', '.join(dupes)}")
    seeds = spawn_seeds(master_seed, n_seeds)
    runs = [Run(j * n_seeds + i, sc.name, dict(sc.levers), seeds[i], sc.phases)
            for j, sc in enumerate(resolved) for i in range(n_seeds)]
    return Design(runs, master_seed=int(master_seed), kind="scenarios",
                  info={"scenarios": names, "n_seeds": n_seeds})


def _point_name(base_name: str, point: Mapping[str, Any]) -> str:
    return base_name + "[" + ",".join(f"{k}={_fmt(v)}" for k, v in point.items()) + "]"


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _known_levers(names, where: str) -> list[str]:
    """The lever names as a list, or an error naming the first unknown one."""
    names = list(names)
    for name in names:
        if name not in LEVERS_BY_NAME:
            raise unknown_lever_error(name, where)
    return names


def design_from_grid(base: Any, grid: Mapping[str, Sequence[Any]], n_seeds: int,
                     master_seed: int) -> Design:
    """A full-factorial grid of lever values on top of a base scenario, times seeds.

    Seeds are common across grid points (the i-th seed is the same at every point).

    Args:
        base: Base scenario (name, path, Scenario or lever dict).
        grid: Lever name -> list of values.
        n_seeds: Seeds per grid point.
        master_seed: Master seed of the experiment.

    Returns:
        A :class:`Design`; run ids go point by point (first lever slowest), seed by seed.

    Raises:
        UserInputError: Unknown lever, empty value list, value out of bounds, bad count.
    """
    n_seeds = _check_count(n_seeds, "number of seeds")
    sc = _scenario(base)
    names = _known_levers(grid, "the grid")
    for name in names:
        if isinstance(grid[name], str | bytes) or not len(grid[name]):
            raise UserInputError(f"grid lever '{name}' needs a non-empty list of values")
    seeds = spawn_seeds(master_seed, n_seeds)
    runs: list[Run] = []
    for values in itertools.product(*(list(grid[n]) for n in names)):
        point = {n: _plain(v) for n, v in zip(names, values, strict=True)}
        levers = resolve(sc, point).levers
        label = _point_name(sc.name, {n: levers[n] for n in names})
        start = len(runs)
        runs.extend(Run(start + i, label, dict(levers), seeds[i], sc.phases)
                    for i in range(n_seeds))
    return Design(runs, master_seed=int(master_seed), kind="grid",
                  info={"base": sc.name, "grid": {n: [_plain(v) for v in grid[n]]
                                                  for n in names}, "n_seeds": n_seeds})


def _plain(v: Any) -> Any:
    """Numpy scalars to plain Python values."""
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _matrix_value(name: str, v: Any) -> Any:
    lever = LEVERS_BY_NAME[name]
    v = _plain(v)
    if lever.kind == "int" and isinstance(v, float) and math.isfinite(v):
        return int(round(v))
    if lever.kind == "bool" and isinstance(v, int | float) and not isinstance(v, bool):
        return bool(v >= 0.5)
    if lever.kind == "choice" and isinstance(v, int | float) and not isinstance(v, bool):
        k = len(lever.choices)
        return lever.choices[min(max(int(math.floor(v)), 0), k - 1)]
    return v


def design_from_matrix(base: Any, names: Sequence[str], matrix: np.ndarray, replicates: int,
                       master_seed: int) -> Design:
    """One run per row of a sample matrix (e.g. from SALib) and replicate.

    Integer levers are rounded; bool levers are ``value >= 0.5``; choice levers take a
    number as an index into their choices (``floor``, clipped).

    Args:
        base: Base scenario supplying the levers not in ``names``.
        names: Lever name of each matrix column.
        matrix: Array of shape (rows, len(names)).
        replicates: Seeds per row; the r-th replicate's seed is shared by every row.
        master_seed: Master seed of the experiment.

    Returns:
        A :class:`Design`; run id = row * replicates + replicate.

    Raises:
        UserInputError: Unknown lever, wrong matrix shape, value out of bounds, bad count.
    """
    replicates = _check_count(replicates, "number of replicates")
    sc = _scenario(base)
    names = _known_levers(names, "the sample matrix")
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[1] != len(names):
        raise UserInputError(f"sample matrix must have shape (rows, {len(names)}), got {m.shape}")
    seeds = spawn_seeds(master_seed, replicates)
    runs = []
    for i, row in enumerate(m):
        point = {n: _matrix_value(n, v) for n, v in zip(names, row, strict=True)}
        levers = resolve(sc, point).levers
        runs.extend(Run(i * replicates + r, sc.name, dict(levers), seeds[r], sc.phases)
                    for r in range(replicates))
    return Design(runs, master_seed=int(master_seed), kind="matrix",
                  info={"base": sc.name, "names": names, "rows": int(m.shape[0]),
                        "replicates": replicates})


def design_hash(design: Sequence[Run], steps: int,
                weekly: Sequence[str] | None = None) -> str:
    """A fingerprint of the experiment: same design, horizon and stored weekly metrics."""
    h = hashlib.sha256()
    h.update(f"steps={steps};".encode())
    if weekly is not None:  # (absent for the default, all metrics)
        h.update(f"weekly={','.join(weekly)};".encode())
    for r in design:
        h.update(json.dumps(r.as_dict(), sort_keys=True, default=str).encode())
    return h.hexdigest()


# --- one batch (runs in a worker) -----------------------------------------------------------

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
             weekly: Sequence[str] | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        if fingerprint is not None and fingerprint != model_fingerprint():
            raise RuntimeError(
                f"this worker runs a different model (fingerprint {model_fingerprint()}, "
                f"aiscale-sim {package_version()}) from the one that started the experiment "
                f"({fingerprint}); install the same aiscale-sim on every worker")
        phased = {"phases": run.phases} if run.phases else {}
        result = simulate(dict(run.levers), seed=run.seed, steps=steps, **phased)
    except Exception as e:  # a failing run is data, not the end of the experiment
        return {"run_id": run.run_id, "ok": False, "error": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc(), "seconds": time.perf_counter() - t0}
    outcomes = flatten(result.summary["outcomes"])
    # Undefined outcomes (None in the summary, NaN as numbers), except "not reached yet".
    nan = [k for k, v in outcomes.items() if k not in NOT_REACHED_OUTCOMES
           and (v is None or (isinstance(v, float) and math.isnan(v)))]
    row: dict[str, Any] = {"run_id": run.run_id, "scenario": run.scenario, "seed": run.seed}
    row.update(run.levers)
    for k, v in outcomes.items():
        row[k if k not in row else f"outcome.{k}"] = float("nan") if v is None else v
    row["nan_outcomes"] = ",".join(nan)
    ts = result.timeseries
    if weekly is not None:
        ts = ts[["week", *weekly]].copy()
    ts.insert(0, "run_id", np.int64(run.run_id))
    return {"run_id": run.run_id, "ok": True, "row": row, "timeseries": ts,
            "seconds": time.perf_counter() - t0}


def run_batch(runs: Sequence[Run], steps: int, fingerprint: str | None = None,
              weekly: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run a batch of runs (one task on a worker); never raises for a failing run.

    Args:
        runs: The runs of this task.
        steps: Weeks per run.
        fingerprint: The model fingerprint of the process that started the experiment; a
            worker with another model fails its runs instead of mixing in other numbers.
        weekly: Weekly metrics to keep in the time series (None: all).
    """
    return [_run_one(r, steps, fingerprint, weekly) for r in runs]


# --- files ----------------------------------------------------------------------------------

def _json_default(o: Any) -> Any:
    o2 = _plain(o)
    if o2 is not o:
        return o2
    return str(o)


def _write_json(path: Path, data: Any) -> None:
    write_bytes(path, json.dumps(data, indent=2, default=_json_default).encode())


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _part_markers(out: Path) -> list[dict[str, Any]]:
    parts = out / PARTS
    if not parts.is_dir():
        return []
    markers = []
    for p in sorted(parts.glob("*.done.json")):
        try:
            markers.append(_read_json(p))
        except (OSError, ValueError):
            continue  # cannot happen with atomic writes; be safe: treat as not committed
    return markers


def _clean_orphans(out: Path) -> None:
    """Delete part files whose batch never committed (the process died mid-batch)."""
    parts = out / PARTS
    if not parts.is_dir():
        return
    committed = {p.name[: -len(".done.json")] for p in parts.glob("*.done.json")}
    for p in parts.iterdir():
        stem = p.name.split(".", 1)[0]
        if p.name.startswith(".") or stem not in committed:
            p.unlink(missing_ok=True)


def _numeric_fix(df: pd.DataFrame) -> pd.DataFrame:
    """Make column types independent of how runs were split into parts."""
    for c in df.columns:
        if df[c].dtype == object:
            vals = df[c].dropna()
            if len(vals) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                 for v in vals):
                df[c] = pd.to_numeric(df[c])
    return df


def _write_arrow(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as an Arrow IPC file, atomically (quick to write and to read)."""
    import pyarrow as pa

    if all(dt.kind in "iufb" for dt in df.dtypes):  # the usual case; from_pandas is slower
        table = pa.table({str(c): df[c].to_numpy() for c in df.columns})
    else:
        table = pa.Table.from_pandas(df, preserve_index=False)

    def write(f):
        with pa.ipc.new_file(f, table.schema) as w:
            w.write_table(table)

    atomic_write(path, write)


def _read_arrow(path: Path) -> pd.DataFrame:
    import pyarrow as pa

    with pa.OSFile(str(path), "rb") as f:
        return pa.ipc.open_file(f).read_all().to_pandas()


def _read_parts(out: Path, markers: Sequence[Mapping[str, Any]], kind: str,
                seen: set[int] | None = None) -> pd.DataFrame | None:
    """The committed parts' rows of one table, each run once (the first part that has it).

    A run's own part keeps its summary row in its marker and its time series as Arrow; a
    merged part keeps both as Parquet.
    """
    seen = set() if seen is None else seen
    frames = []
    rows: list[dict[str, Any]] = []
    for m in markers:
        ids = {int(x) for x in m.get("ok", [])} - seen
        if not ids:
            continue
        if kind == "summaries" and "rows" in m:
            rows.extend(r for r in m["rows"] if int(r["run_id"]) in ids)
            seen.update(ids)
            continue
        p = out / PARTS / f"{m['stem']}.{kind}.parquet"
        arrow = p.with_suffix(".arrow")
        if arrow.exists():
            df = _read_arrow(arrow)
        elif p.exists():
            df = pd.read_parquet(p)
        else:
            continue
        if len(ids) < len(m["ok"]):  # some runs are also in an earlier part
            df = df[df["run_id"].isin(ids)]
        frames.append(df)
        seen.update(ids)
    if rows:
        frames.append(pd.DataFrame(rows))
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _read_table(out: Path, name: str, kind: str) -> pd.DataFrame | None:
    """Consolidated table plus committed parts, one source per run, sorted by run id."""
    part_ids: set[int] = set()
    parts = _read_parts(out, _part_markers(out), kind, part_ids)
    frames = [] if parts is None else [parts]
    base = out / name
    if base.exists():
        df = pd.read_parquet(base)
        if part_ids:
            df = df[~df["run_id"].isin(part_ids)]
        frames.insert(0, df)
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    sort = ["run_id", "week"] if kind == "timeseries" and "week" in df.columns else ["run_id"]
    df = df.sort_values(sort, kind="stable").reset_index(drop=True)
    return _numeric_fix(df)


def _failures(out: Path, ok_ids: set[int]) -> list[dict[str, Any]]:
    """Failures still standing: the latest failure of each run that never succeeded."""
    latest: dict[int, dict[str, Any]] = {}
    base = out / FAILURES
    if base.exists():
        for f in _read_json(base):
            latest[int(f["run_id"])] = f
    for m in sorted(_part_markers(out), key=lambda m: m.get("written", 0)):
        for f in m.get("failed", []):
            latest[int(f["run_id"])] = f
    return [latest[k] for k in sorted(latest) if k not in ok_ids]


def _ok_ids(out: Path) -> set[int]:
    ids: set[int] = set()
    base = out / SUMMARIES
    if base.exists():
        ids.update(int(x) for x in pd.read_parquet(base, columns=["run_id"])["run_id"])
    for m in _part_markers(out):
        ids.update(int(x) for x in m.get("ok", []))
    return ids


# --- the loaded experiment ------------------------------------------------------------------

class Experiment:
    """A finished (or partly finished) experiment folder.

    Attributes:
        path: The folder.
        manifest: The parsed ``manifest.json``.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        mf = self.path / MANIFEST
        if not mf.is_file():
            raise UserInputError(f"{self.path}: not an experiment folder (no {MANIFEST})")
        try:
            self.manifest: dict[str, Any] = _read_json(mf)
        except ValueError as e:
            raise UserInputError(f"{mf}: broken manifest: {e}") from None
        self._summaries: pd.DataFrame | None = None
        self._timeseries: pd.DataFrame | None = None

    @property
    def summaries(self) -> pd.DataFrame:
        """One row per finished run: run_id, scenario, seed, lever values, outcomes."""
        if self._summaries is None:
            df = _read_table(self.path, SUMMARIES, "summaries")
            self._summaries = df if df is not None else pd.DataFrame(columns=list(KEY_COLUMNS))
        return self._summaries

    @property
    def timeseries(self) -> pd.DataFrame:
        """Long form: run_id, week and one column per weekly metric."""
        if self._timeseries is None:
            df = _read_table(self.path, TIMESERIES, "timeseries")
            self._timeseries = df if df is not None else pd.DataFrame(columns=["run_id", "week"])
        return self._timeseries

    @property
    def failures(self) -> pd.DataFrame:
        """Runs that raised: run_id, scenario, seed, levers, error, traceback."""
        rows = _failures(self.path, set(self.summaries["run_id"].astype(int)))
        cols = ["run_id", "scenario", "seed", "levers", "error", "traceback"]
        return pd.DataFrame(rows, columns=cols)

    @property
    def design(self) -> list[Run]:
        """The design as :class:`Run` objects."""
        return [Run.from_dict(d) for d in self.manifest.get("design", [])]

    @property
    def status(self) -> str:
        """``running``, ``interrupted``, ``complete`` or ``complete_with_failures``."""
        return self.manifest.get("status", "unknown")

    def __repr__(self) -> str:
        c = self.manifest.get("counts", {})
        return (f"Experiment({str(self.path)!r}, status={self.status!r}, "
                f"runs={c.get('total')}, done={c.get('done')}, failed={c.get('failed')})")


def load_experiment(path: str | Path) -> Experiment:
    """Open an experiment folder written by :func:`run_experiment`.

    Args:
        path: The experiment folder.

    Returns:
        An :class:`Experiment` with ``.summaries``, ``.timeseries``, ``.manifest`` and
        ``.failures`` (pandas DataFrames read lazily).

    Raises:
        UserInputError: The folder holds no experiment.
    """
    return Experiment(path)


# --- executors ------------------------------------------------------------------------------

def _check_workers(workers: Any) -> int | None:
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise UserInputError(f"workers must be a whole number of at least 1, got {workers!r}")
    return int(workers)


class _Serial:
    """A tiny in-process stand-in for a concurrent.futures executor."""

    def submit(self, fn, *args):
        from concurrent.futures import Future

        f: Future = Future()
        try:
            f.set_result(fn(*args))
        except BaseException as e:  # noqa: B036 - hand the error to the future, like executors
            if isinstance(e, KeyboardInterrupt):
                raise
            f.set_exception(e)
        return f

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Nothing to shut down."""


def _connect(client_class, scheduler: str):
    """Connect to a Dask scheduler, or fail with a clear message within the deadline.

    Dask's own ``timeout`` covers a refused connection but not an endpoint that accepts the
    connection and never answers (a dashboard port, another service); the attempt therefore
    runs in a daemon thread with a hard deadline, and any error becomes a user error.
    """
    import threading

    box: dict[str, Any] = {}

    def attempt():
        try:
            box["client"] = client_class(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s",
                                         set_as_default=False)
        except BaseException as e:  # reported below, in the caller's thread
            box["error"] = e

    t = threading.Thread(target=attempt, daemon=True, name="aiscale-dask-connect")
    t.start()
    t.join(SCHEDULER_DEADLINE_S)
    if "client" in box:
        return box["client"]
    why = (f"no answer within {SCHEDULER_DEADLINE_S} s" if t.is_alive()
           else f"{type(box['error']).__name__}: {box['error']}")
    raise UserInputError(f"cannot reach the Dask scheduler at {scheduler} ({why}); check the "
                         "address (tcp://HOST:8786 by default, not the dashboard port) and "
                         "that 'dask scheduler' is running there")


def _dask_slots(client, workers: int | None) -> int:
    """Worker threads the Dask cluster has now (at least 1)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # a scheduler hiccup must not stop the experiment
        return max(1, workers or 1)


def _open_dask(workers: int | None, scheduler: str | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UserInputError("the dask executor needs dask.distributed: "
                             "pip install 'aiscale-sim[dask]'") from None
    if scheduler:
        return _connect(Client, scheduler), None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    client = Client(cluster, set_as_default=False)
    return client, cluster


def _exit_with_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Worker initialiser: end this worker soon after the experiment's process is gone.

    A ``kill -9`` of the main process gives it no chance to stop its pool, and the workers'
    own parent is the fork server, so they would otherwise run on as orphans.
    """
    import threading

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the pid exists (reused by another user): keep going
                pass

    threading.Thread(target=watch, daemon=True, name="aiscale-parent-watch").start()


def _mp_context():
    """Worker start method: a fork server that imports the package once, else spawn."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["aiscale_sim.runner"])
        return ctx
    return multiprocessing.get_context("spawn")


def _batch_size(n_runs: int, workers: int) -> int:
    """Runs per task: one, so that every run is written to the folder as soon as it ends.

    A task costs about a millisecond on a process pool, far less than a run; sending runs
    one by one lets the main process write each result the moment it arrives, so an
    interruption loses only the runs still in progress.
    """
    return 1


# --- the runner -----------------------------------------------------------------------------

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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_manifest(design: Sequence[Run], steps: int, fingerprint: str,
                  metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    varied = [lv.name for lv in LEVERS
              if len({json.dumps(r.levers[lv.name]) for r in design}) > 1]
    meta = dict(metadata or {})
    master = meta.pop("master_seed", getattr(design, "master_seed", None))
    return {
        "format": FORMAT_VERSION,
        "kind": getattr(design, "kind", "custom"),
        "design_hash": fingerprint,
        "package_version": package_version(),
        "model_fingerprint": model_fingerprint(),
        "master_seed": master,
        "steps": steps,
        "created": _now(),
        "updated": _now(),
        "status": "running",
        "counts": {"total": len(design), "done": 0, "failed": 0, "nan": 0},
        "levers": [lv.name for lv in LEVERS],
        "levers_varied": varied,
        "scenarios": list(dict.fromkeys(r.scenario for r in design)),
        "design_info": getattr(design, "info", {}),
        "metadata": meta,
        "failures": [],
        "design": [r.as_dict() for r in design],
    }


def _run_keys(design: Sequence[Run]) -> list[str]:
    """What makes each run the run it is: scenario, levers, seed and phases (not its id).

    Steps, stored weekly metrics and the model are the same for every run of a folder and
    are checked once. A run repeated in a design gets its own key (``#2``, ...).
    """
    keys, seen = [], {}
    for r in design:
        d = r.as_dict()
        del d["run_id"]
        k = json.dumps(d, sort_keys=True, default=_json_default)
        seen[k] = seen.get(k, 0) + 1
        keys.append(k if seen[k] == 1 else f"{k}#{seen[k]}")
    return keys


def _grow(kept: list[Run], design: list[Run]) -> tuple[Design, list[Run]]:
    """The kept design plus the runs of ``design`` it lacks, and those missing runs.

    Kept runs keep their ids (their stored rows stay as they are); new runs keep theirs when
    none clashes with a kept id, else they are numbered on from the largest kept id.
    """
    have = set(_run_keys(kept))
    new = [r for r, k in zip(design, _run_keys(design), strict=True) if k not in have]
    kept_ids = {r.run_id for r in kept}
    if any(r.run_id in kept_ids for r in new):
        start = max(kept_ids) + 1
        new = [Run(start + i, r.scenario, r.levers, r.seed, r.phases)
               for i, r in enumerate(new)]
    grown = Design(kept + new, master_seed=getattr(design, "master_seed", None),
                   kind=getattr(design, "kind", "custom"), info=getattr(design, "info", {}))
    return grown, new


def _refuse_other(out: Path, manifest: Mapping[str, Any], design: Sequence[Run], steps: int,
                  weekly: list[str] | None, why: str) -> UserInputError:
    total = manifest.get("counts", {}).get("total", "?")
    kept = ",".join(manifest.get("weekly_metrics") or ["all"])
    asked = ",".join(weekly or ["all"])
    return UserInputError(
        f"{out} already holds a different experiment ({why}; it has {total} runs, "
        f"{manifest.get('steps', '?')} weeks, weekly metrics: {kept}; this one: "
        f"{len(design)} runs, {steps} weeks, weekly metrics: {asked}); an experiment can "
        "only grow (more seeds, grid points or scenarios on the same steps and metrics): "
        "use another output folder, or delete this one to start over")


def _open_folder(out: Path, design: list[Run], steps: int,
                 metadata: Mapping[str, Any] | None,
                 weekly: list[str] | None = None) -> tuple[dict[str, Any], list[Run]]:
    """Open (or create) the folder; returns its manifest and the (possibly grown) design."""
    fingerprint = design_hash(design, steps, weekly)
    mf = out / MANIFEST
    if mf.exists():
        try:
            manifest = _read_json(mf)
        except ValueError as e:
            raise UserInputError(f"{mf}: broken manifest ({e}); "
                                 "delete the folder or choose another") from None
        made_by = manifest.get("model_fingerprint", "unrecorded")
        if made_by != model_fingerprint():
            raise UserInputError(
                f"{out} holds results of a different model (fingerprint {made_by}, "
                f"aiscale-sim {manifest.get('package_version', '?')}; this one is "
                f"{model_fingerprint()}): new runs would not be comparable. Use another "
                "output folder, or delete this one to start over")
        if manifest.get("design_hash") == fingerprint:
            return manifest, design
        if manifest.get("steps") != steps:
            raise _refuse_other(out, manifest, design, steps, weekly, "other steps")
        if manifest.get("weekly_metrics") != weekly:
            raise _refuse_other(out, manifest, design, steps, weekly, "other weekly metrics")
        kept = [Run.from_dict(d) for d in manifest.get("design", [])]
        missing = set(_run_keys(kept)) - set(_run_keys(design))
        if missing:
            raise _refuse_other(out, manifest, design, steps, weekly,
                                f"{len(missing)} of its runs are not in this design")
        grown, new = _grow(kept, design)
        asked = dict(zip(_run_keys(design), (r.run_id for r in design), strict=True))
        if getattr(design, "kind", None) == "matrix" and any(
                asked.get(k, r.run_id) != r.run_id
                for k, r in zip(_run_keys(grown), grown, strict=True)):
            # Readers of a sample-matrix experiment find a run's row and replicate from its
            # id (row * replicates + replicate); renumbered runs would land on other rows.
            raise _refuse_other(out, manifest, design, steps, weekly,
                                "a sample-matrix experiment grows by rows only, with the "
                                "same replicates")
        if new:
            fresh = _new_manifest(grown, steps, design_hash(grown, steps, weekly), metadata)
            for k in ("created", "failures", "counts"):
                fresh[k] = manifest.get(k, fresh[k])
            fresh["counts"] = {**fresh["counts"], "total": len(grown)}
            fresh["weekly_metrics"] = weekly
            fresh["grown"] = [*manifest.get("grown", []),
                              {"when": _now(), "runs_before": len(kept),
                               "runs_after": len(grown)}]
            manifest = fresh  # written once the folder is locked, before the new runs start
        return manifest, grown
    if out.exists() and any(p for p in out.iterdir() if not p.name.startswith(".")):
        raise UserInputError(f"{out} exists and is not an experiment folder; "
                             "choose an empty or new output folder")
    out.mkdir(parents=True, exist_ok=True)
    manifest = _new_manifest(design, steps, fingerprint, metadata)
    manifest["weekly_metrics"] = weekly  # None: all of them
    _write_json(mf, manifest)
    return manifest, design


def _write_batch(out: Path, results: list[dict[str, Any]], by_id: Mapping[int, Run]) -> dict:
    parts = out / PARTS
    parts.mkdir(exist_ok=True)
    ids = sorted(r["run_id"] for r in results)
    stem = f"b{ids[0]:09d}-{uuid.uuid4().hex[:10]}"
    ok = [r for r in results if r["ok"]]
    failed = []
    for r in results:
        if not r["ok"]:
            run = by_id[r["run_id"]]
            failed.append({**run.as_dict(), "error": r["error"], "traceback": r["traceback"]})
    if ok:  # a part is cheap to write: the time series as Arrow, the summary rows as JSON
        ok.sort(key=lambda r: r["run_id"])
        _write_arrow(parts / f"{stem}.timeseries.arrow",
                     pd.concat([r["timeseries"] for r in ok], ignore_index=True))
    nan = [r["run_id"] for r in ok if r["row"].get("nan_outcomes")]
    marker = {"stem": stem, "ok": [r["run_id"] for r in ok], "failed": failed, "nan": nan,
              "written": time.time(), "rows": [r["row"] for r in ok]}
    _write_json(parts / f"{stem}.done.json", marker)  # commits the batch
    return marker


def _compact(out: Path) -> None:
    """Merge the committed parts into one, so the folder keeps a handful of files.

    The merged part is committed before the old markers and files are deleted; a kill in
    between leaves some runs in two parts, which the readers count once.
    """
    markers = [m for m in _part_markers(out) if m["stem"].startswith("b")]
    if len(markers) < 2:
        return
    parts = out / PARTS
    stem = f"c{min(_marker_ids(m) for m in markers):09d}-{uuid.uuid4().hex[:10]}"
    ok: list[int] = []
    for kind in ("timeseries", "summaries"):
        df = _read_parts(out, markers, kind)
        if df is not None:
            write_parquet(parts / f"{stem}.{kind}.parquet", df)
            if kind == "summaries":
                ok = [int(x) for x in df["run_id"]]
    ordered = sorted(markers, key=lambda m: m.get("written", 0))
    marker = {"stem": stem, "ok": ok,
              "failed": [f for m in ordered for f in m.get("failed", [])],
              "nan": sorted({int(x) for m in markers for x in m.get("nan", [])}),
              "written": max(m.get("written", 0) for m in markers)}
    _write_json(parts / f"{stem}.done.json", marker)  # commits the merged part
    for m in markers:
        (parts / f"{m['stem']}.done.json").unlink(missing_ok=True)
        for f in parts.glob(f"{m['stem']}.*"):
            f.unlink(missing_ok=True)


def _marker_ids(m: Mapping[str, Any]) -> int:
    ids = [int(x) for x in m.get("ok", [])] + [int(f["run_id"]) for f in m.get("failed", [])]
    return min(ids, default=0)


def _consolidate(out: Path, manifest: dict[str, Any], status_if_done: bool = True) -> None:
    summaries = _read_table(out, SUMMARIES, "summaries")
    ok_ids = set() if summaries is None else set(summaries["run_id"].astype(int))
    failures = _failures(out, ok_ids)
    timeseries = _read_table(out, TIMESERIES, "timeseries")
    if summaries is not None:
        write_parquet(out / SUMMARIES, summaries)
    if timeseries is not None:
        write_parquet(out / TIMESERIES, timeseries)
    _write_json(out / FAILURES, failures)
    shutil.rmtree(out / PARTS, ignore_errors=True)
    total = manifest["counts"]["total"]
    n_nan = 0 if summaries is None else int((summaries["nan_outcomes"].fillna("") != "").sum())
    manifest["counts"] = {"total": total, "done": len(ok_ids), "failed": len(failures),
                          "nan": n_nan}
    manifest["failures"] = [{k: f[k] for k in ("run_id", "scenario", "seed", "error")}
                            for f in failures]
    if summaries is not None and n_nan:
        manifest["nan_runs"] = [int(x) for x in
                                summaries.loc[summaries["nan_outcomes"] != "", "run_id"]]
    if status_if_done:
        if len(ok_ids) + len(failures) < total:
            manifest["status"] = "interrupted"
        else:
            manifest["status"] = "complete" if not failures else "complete_with_failures"
    manifest["updated"] = _now()
    _write_json(out / MANIFEST, manifest)


def run_experiment(design: Sequence[Run], out_dir: str | Path, *, steps: int | None = None,
                   executor: str = "processes", workers: int | None = None,
                   scheduler: str | None = None, progress: bool = True,
                   metadata: Mapping[str, Any] | None = None,
                   weekly: Sequence[str] | None = None) -> Experiment:
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
                                  client, progress, weekly)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _folder_lock(out: Path):
    """An exclusive lock on the experiment folder, so two processes never write it at once."""
    import contextlib

    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks; one process per folder is on the user
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def locked():
        with open(out / ".lock", "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserInputError(
                    f"{out} is in use by another aiscale process; wait for it to finish, or "
                    "use another output folder") from None
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    return locked()


def _run_in_folder(out: Path, manifest: dict[str, Any], design: list[Run], steps: int,
                   executor: str, workers: int | None, client, progress: bool,
                   weekly: list[str] | None = None) -> Experiment:
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
                    record(run_batch(b, steps, None, weekly))
            else:
                queue = iter(batches)

                def top_up(slots: int) -> None:
                    # Keep about two tasks per worker thread in flight; on a cluster, workers
                    # that join during the experiment get work too.
                    for b in itertools.islice(queue, max(2 * slots, 4) - len(pending)):
                        pending.add(pool.submit(run_batch, b, steps, model_fingerprint(),
                                                weekly))

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


class _Writer:
    """Writes finished runs to the folder from a thread, as soon as they arrive.

    The writing overlaps the runs instead of holding them up. Runs that end while a part is
    being written share the next part, and after each part the writer pauses
    ``WRITE_PACE`` times as long as the part took, so that very short runs do not spend most
    of their time on files (writing stays under a fifth of the time, and a finished run waits
    a fraction of a second at most). Every ``COMPACT_EVERY`` parts are merged into one. An
    error while writing (a full disk) is raised in the caller's thread.
    """

    def __init__(self, out: Path, by_id: Mapping[int, Run]):
        import threading

        import pyarrow.parquet  # noqa: F401 - imported now, so the first part is quick too

        self.out, self.by_id = out, by_id
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._parts = sum(1 for m in _part_markers(out) if m["stem"].startswith("b"))
        self._thread = threading.Thread(target=self._loop, daemon=True, name="aiscale-writer")
        self._thread.start()

    def add(self, results: list[dict[str, Any]]) -> None:
        """Queue finished runs for writing."""
        if self._error is not None:
            raise self._error
        with self._lock:
            self._buffer.extend(results)
        self._wake.set()

    def _flush(self) -> None:
        with self._lock:
            results, self._buffer = self._buffer, []
        if results:
            _write_batch(self.out, results, self.by_id)
            self._parts += 1
            if self._parts >= COMPACT_EVERY:
                _compact(self.out)
                self._parts = 0

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            t0 = time.perf_counter()
            try:
                self._flush()
            except BaseException as e:  # handed to the main thread by add() and close()
                self._error = e
                return
            if self._stop.wait(min(WRITE_PACE * (time.perf_counter() - t0), 0.5)):
                return

    def close(self) -> None:
        """Write what is left and stop the thread; raises a writing error if there was one."""
        self._stop.set()
        self._wake.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        self._flush()


def _stop_workers(pool: Any, pending: set, client) -> None:
    """Stop at once: cancel queued tasks and end worker processes mid-run.

    A process pool's shutdown waits for the runs in progress, which can take as long as a run;
    their results would be thrown away anyway, so the workers are terminated.
    """
    for f in pending:
        f.cancel()
    if client is not None:
        try:
            client.cancel(list(pending), force=True)
        except Exception:  # the cluster may already be gone; nothing left to stop then
            pass
        return
    processes = getattr(pool, "_processes", None) or {}
    for proc in list(processes.values()):
        try:
            proc.terminate()
        except (OSError, AttributeError):  # already gone
            pass


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
