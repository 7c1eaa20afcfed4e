"""The experiment store: one folder per experiment, written as runs finish, read back lazily.

Each finished run is written as small part files under a temporary name and renamed into
place, then a marker file commits it; a writer thread does this while the runs go on and merges
parts now and then (:class:`_Writer`, :func:`_compact`). The folder's manifest records the
design, master seed, model fingerprint, status and counts; an experiment folder can grow (same
steps and weekly metrics, more runs) and refuses anything else (:func:`_open_folder`). A lock
keeps two processes from writing one folder. At the end the parts are consolidated into::

    manifest.json        design, master seed, version, status, counts, failures
    summaries.parquet    one row per finished run: run_id, scenario, seed, levers, outcomes
    timeseries.parquet   long form: run_id, week, one column per weekly metric
    failures.json        runs that raised: levers, seed, error and traceback

:func:`load_experiment` opens a folder, finished or not, as an :class:`Experiment`.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from aiscale_sim.errors import UserInputError
from aiscale_sim.experiment.designs import Design, Run, _plain, design_hash
from aiscale_sim.files import atomic_write, write_bytes, write_parquet
from aiscale_sim.levers import LEVERS
from aiscale_sim.simulate import model_fingerprint, package_version

FORMAT_VERSION = 1
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


# --- the folder: manifest, growth, parts, lock ----------------------------------------------

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
        new = [Run(start + i, r.scenario, r.levers, r.seed, r.phases, r.budget_cap)
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


