"""``aiscale validate``: every stylized fact against the model, with a verdict.

:func:`run_validation` runs the scenarios the patterns read (:data:`~aiscale_sim.evidence.
patterns.SCENARIOS`) on seeds ``0 .. N-1`` each, the same seeds in every scenario (common
random numbers), through the experiment runner (in parallel, resumable, with a progress
bar), and evaluates every pattern on the runs. :class:`Validation` holds the result: one row
per fact (or per side of a two-sided fact) with its id, source, strength, target range,
simulated mean and 90% interval and a verdict, ``met``, ``missed`` or ``not expressed``.

A validation passes when every fact rated moderate or strong that the model expresses is met.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.evidence.facts import Fact, load_facts
from aiscale_sim.evidence.patterns import (
    MEASURE,
    MEASURES,
    NOT_EXPRESSED,
    PATTERNS,
    SCENARIOS,
    Pattern,
    PatternResult,
    evaluate,
    scenarios_needed,
)

#: Seeds per scenario by default (the calibration table in docs/ODD.md uses 16).
DEFAULT_SEEDS = 16
#: Result files in the output folder.
RUNS_DIR, RESULT_JSON, DASHBOARD_PNG = "runs", "validation.json", "patterns.png"
#: The keys of one row, in order.
ROW_KEYS = ("id", "source", "strength", "low", "high", "simulated", "interval", "verdict")
MET, MISSED, NOT_EXPRESSED_VERDICT = "met", "missed", "not expressed"
FORMATS = ("table", "json", "markdown")


def _finite(x: float) -> float | None:
    return None if x is None or math.isnan(x) or math.isinf(x) else float(x)


@dataclass
class Row:
    """One row of the validation: a fact, or one side of it, and its verdict."""

    fact: Fact
    pattern: Pattern | None
    result: PatternResult | None

    @property
    def id(self) -> str:
        """The fact's id, or ``FACT/SIDE``."""
        return self.pattern.id if self.pattern else self.fact.id

    @property
    def verdict(self) -> str:
        """``met``, ``missed`` or ``not expressed``."""
        if self.pattern is None:
            return NOT_EXPRESSED_VERDICT
        return MET if self.result.met else MISSED

    @property
    def low(self) -> float:
        """Target low (the pattern's reading; the published value if not expressed)."""
        return self.pattern.low if self.pattern else self.fact.low

    @property
    def high(self) -> float:
        """Target high (the pattern's reading; the published value if not expressed)."""
        return self.pattern.high if self.pattern else self.fact.high

    def as_dict(self) -> dict[str, Any]:
        """The row with :data:`ROW_KEYS` (None for an open end or an undefined value)."""
        r = self.result
        return {
            "id": self.id, "source": self.fact.source, "strength": self.fact.strength,
            "low": _finite(self.low), "high": _finite(self.high),
            "simulated": None if r is None else _finite(r.value),
            "interval": None if r is None else [_finite(r.interval[0]),
                                                _finite(r.interval[1])],
            "verdict": self.verdict,
        }

    def details(self) -> dict[str, Any]:
        """What the row reads and how: output, reading, unit, summary, seeds that counted."""
        if self.pattern is None:
            return {"id": self.id, "fact": self.fact.id, "why": NOT_EXPRESSED[self.fact.id]}
        p = self.pattern
        return {"id": self.id, "fact": p.fact, "output": p.output, "reading": p.reading,
                "unit": p.unit, "how": p.how, "scenarios": list(p.scenarios),
                "n": self.result.n}


def build_rows(results: Sequence[PatternResult], facts: dict[str, Fact] | None = None,
               subset: bool = False) -> list[Row]:
    """One row per expressed pattern and per fact declared not expressed, in the facts' order.

    Args:
        results: The patterns' results.
        facts: The facts (default: the shipped ones).
        subset: The results are of some patterns only: rows for their facts alone.

    Raises:
        ValueError: A fact that is neither expressed nor declared not expressed, or a pattern
            of a fact the table does not have.
    """
    facts = load_facts() if facts is None else facts
    by_fact: dict[str, list[PatternResult]] = {}
    for r in results:
        by_fact.setdefault(r.pattern.fact, []).append(r)
    unknown = sorted(set(by_fact) - set(facts))
    if unknown:
        raise ValueError(f"patterns of unknown facts: {', '.join(unknown)}")
    rows = []
    for fid, fact in facts.items():
        if fid in by_fact:
            rows += [Row(fact, r.pattern, r) for r in by_fact[fid]]
        elif subset:
            continue
        elif fid in NOT_EXPRESSED:
            rows.append(Row(fact, None, None))
        else:
            raise ValueError(f"stylized fact '{fid}' is neither expressed by a pattern nor "
                             "declared not expressed")
    return rows


@dataclass
class Validation:
    """The result of :func:`run_validation`.

    Attributes:
        rows: One :class:`Row` per fact or side of a fact.
        seeds: Seeds of every scenario.
        steps: Weeks per run.
        scenarios: Scenario name -> its lever settings on top of the baseline.
        version: aiscale-sim version that ran.
        experiment: The experiment folder of the runs.
        failures: Runs that failed (left out of the patterns).
        constants: Calibratable constants the runs used in place of the shipped values
            (empty: the shipped values).
    """

    rows: list[Row]
    seeds: list[int]
    steps: int
    scenarios: dict[str, dict[str, Any]]
    version: str
    experiment: str | None = None
    failures: int = 0
    constants: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether every moderate or strong fact the model expresses is met."""
        return all(r.verdict == MET for r in self.rows
                   if r.pattern is not None and r.fact.decisive)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts with :data:`ROW_KEYS` (the JSON output)."""
        return [r.as_dict() for r in self.rows]

    def provenance(self) -> dict[str, Any]:
        """Seeds, steps, scenarios, constants, version and folder: what every result records."""
        return {"version": self.version, "seeds": self.seeds, "steps": self.steps,
                "scenarios": self.scenarios, "constants": dict(self.constants),
                "experiment": self.experiment, "failed_runs": self.failures}

    def to_json(self) -> dict[str, Any]:
        """Everything, for ``validation.json``."""
        counts = {v: sum(r.verdict == v for r in self.rows)
                  for v in (MET, MISSED, NOT_EXPRESSED_VERDICT)}
        return {**self.provenance(), "passed": self.passed, "counts": counts,
                "rows": self.records(), "details": [r.details() for r in self.rows]}

    def save(self, out: str | Path) -> Path:
        """Write ``validation.json`` into ``out`` (the dashboard: :mod:`evidence.plots`)."""
        from aiscale_sim.files import write_text

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        return write_text(out / RESULT_JSON,
                          json.dumps(self.to_json(), indent=2, allow_nan=False) + "\n")


def build_design(n_seeds: int, scenarios: Sequence[str] | None = None,
                 constants: dict[str, float] | None = None):
    """Every scenario the patterns need, on seeds ``0 .. n_seeds - 1`` each.

    Seeds are the plain integers, as ``simulate(..., seed=s)`` takes them, so the baseline's
    numbers are those of ``simulate("baseline", seed=s)`` (and of the table in docs/ODD.md).
    ``constants`` (calibratable constants by name) replace the shipped values in every run.
    """
    from aiscale_sim.runner import Design, Run
    from aiscale_sim.simulate import resolve

    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 1:
        raise UserInputError(f"the number of seeds must be a whole number of at least 1, "
                             f"got {n_seeds!r}")
    names = list(scenarios) if scenarios is not None else scenarios_needed()
    runs = []
    for name in names:
        sc = resolve("baseline", dict(SCENARIOS[name]))
        start = len(runs)
        runs += [Run(start + s, name, dict(sc.levers), s, constants=dict(constants or {}))
                 for s in range(n_seeds)]
    info = {"scenarios": names, "n_seeds": n_seeds, "seeds": "0..n_seeds-1"}
    if constants:
        info["constants"] = dict(constants)
    return Design(runs, master_seed=None, kind="scenarios", info=info)


def run_validation(out: str | Path, *, seeds: int = DEFAULT_SEEDS, steps: int | None = None,
                   executor: str = "processes", workers: int | None = None,
                   scheduler: str | None = None, progress: bool = True,
                   patterns: Sequence[Pattern] = PATTERNS,
                   constants: dict[str, float] | None = None) -> Validation:
    """Run what the patterns need into ``out/runs`` and evaluate every pattern.

    Running again into the same folder reuses the finished runs (more seeds add runs).

    Args:
        out: Output folder; the runs go to its ``runs`` experiment folder.
        seeds: Seeds per scenario (seeds 0 .. seeds-1).
        steps: Weeks per run (default 260). Patterns that read a state after two or three
            years read it at the last week when the run is shorter.
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes (default: every core).
        scheduler: Address of a running Dask scheduler.
        progress: Show the runner's progress bar.
        patterns: The patterns to evaluate (default: all).
        constants: Calibratable constants in place of the shipped values (see
            :data:`aiscale_sim.calibration.constants.CONSTANTS`; None: the shipped values).

    Returns:
        The :class:`Validation` (not yet saved; see :meth:`Validation.save`).
    """
    from aiscale_sim.runner import run_experiment
    from aiscale_sim.simulate import package_version

    names = scenarios_needed(patterns)
    from aiscale_sim.calibration.constants import validate_constants

    constants = validate_constants(constants or {})
    design = build_design(seeds, names, constants)
    exp = run_experiment(design, Path(out) / RUNS_DIR, steps=steps, executor=executor,
                         workers=workers, scheduler=scheduler, progress=progress,
                         weekly=["adoption_share"], measure=_measure(),
                         metadata={"analysis": "validate",
                                   "measure": "aiscale_sim.evidence.patterns:measure",
                                   "measures": list(MEASURES)})
    runs = exp.summaries
    missing = [m for m in MEASURES if MEASURE + m not in runs.columns]
    if len(runs) and missing:
        raise UserInputError(f"{Path(out) / RUNS_DIR} holds runs without the measures "
                             f"{', '.join(missing)} (made by another version); use another "
                             "output folder or delete this one")
    if len(runs):
        results = evaluate(runs, patterns, constants)
    else:  # every run failed: nothing met, nothing to measure
        results = [PatternResult(p, float(p.compute(constants)) if p.how == "constant"
                                 else math.nan, (math.nan, math.nan), 0, ())
                   for p in patterns]
    failed = 0 if exp.failures is None else len(exp.failures)
    subset = {p.id for p in patterns} != {p.id for p in PATTERNS}
    return Validation(rows=build_rows(results, subset=subset),
                      seeds=list(range(seeds)), steps=int(exp.manifest["steps"]),
                      scenarios={n: dict(SCENARIOS[n]) for n in names},
                      version=package_version(), experiment=str(exp.path), failures=failed,
                      constants=constants)


def _measure():
    from aiscale_sim.evidence.patterns import measure

    return measure


# --- formats ----------------------------------------------------------------------------------


def fmt(x: float | None, unit: str = "") -> str:
    """A number for a table: 3 significant digits, ``-`` for an open end, ``n/a`` for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "-"
    if unit == "share":
        return f"{x:.0%}" if abs(x) >= 0.1 or x == 0 else f"{x:.1%}"
    if abs(x) >= 1 or (x != 0 and abs(x) < 0.01):
        return f"{x:.3g}"
    return f"{x:.2f}"


def target_text(row: Row) -> str:
    """The target range in words: ``0.45 to 0.55``, ``>= 9``, ``<= 0``."""
    unit = row.pattern.unit if row.pattern else ""
    lo, hi = row.low, row.high
    if row.pattern is None:
        return " / ".join(f"{v:g}" for v in (lo, hi) if not math.isnan(v)) or "-"
    if math.isinf(hi):
        return f">= {fmt(lo, unit)}"
    if math.isinf(lo):
        return f"<= {fmt(hi, unit)}"
    return f"{fmt(lo, unit)} to {fmt(hi, unit)}"


def _cells(row: Row) -> list[str]:
    if row.pattern is None:
        return [row.id, row.fact.strength, "-", target_text(row), "-", "-", row.verdict]
    unit = row.pattern.unit
    r = row.result
    if row.pattern.how == "constant":
        interval = "(constant)"
    elif any(math.isnan(x) for x in r.interval):
        interval = "n/a"
    else:
        interval = f"{fmt(r.interval[0], unit)} to {fmt(r.interval[1], unit)}"
    return [row.id, row.fact.strength, row.pattern.output, target_text(row),
            fmt(r.value, unit), interval, row.verdict]


HEADER = ["id", "strength", "model output", "target", "simulated", "90% interval", "verdict"]


def _heading(v: Validation) -> str:
    seeds = f"0..{v.seeds[-1]}" if v.seeds else "none"
    constants = ("; constants " + ", ".join(f"{k} = {x:g}" for k, x in v.constants.items())
                 if v.constants else "")
    return (f"aiscale-sim {v.version}: {len(v.scenarios)} scenarios x seeds {seeds}, "
            f"{v.steps} weeks{constants}; runs in {v.experiment}")


def _tally(v: Validation) -> str:
    expressed = [r for r in v.rows if r.pattern is not None]
    met = sum(r.verdict == MET for r in expressed)
    decisive = [r for r in expressed if r.fact.decisive]
    missed = [r.id for r in decisive if r.verdict != MET]
    status = ("every moderate or strong fact is met" if not missed
              else f"moderate or strong facts missed: {', '.join(missed)}")
    return (f"{met} of {len(expressed)} expressed patterns met; "
            f"{len(v.rows) - len(expressed)} facts not expressed; {status}")


def format_table(v: Validation) -> str:
    """Plain text: a heading, one aligned line per row, the tally and the sources."""
    rows = [HEADER, *(_cells(r) for r in v.rows)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = [_heading(v), ""]
    for i, cells in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += ["", _tally(v), "", "sources:"]
    seen = set()
    for r in v.rows:
        if r.fact.id not in seen:
            seen.add(r.fact.id)
            lines.append(f"  {r.fact.id}: {r.fact.source}")
    return "\n".join(lines)


def format_markdown(v: Validation, sources: bool = True, heading: bool = True) -> str:
    """A markdown table, one row per fact, with the heading and the tally.

    Args:
        v: The validation.
        sources: Give each row's source (a column after the id).
        heading: Start with the line naming version, seeds, weeks and runs folder, and end
            with the tally; without it, the table alone (as pasted into docs/ODD.md).
    """
    head = ["id", *(["source"] if sources else []), "strength", "model output", "target",
            "simulated", "90% interval", "verdict"]
    lines = [_heading(v), ""] if heading else []
    lines += ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for r in v.rows:
        c = _cells(r)
        cells = [f"`{c[0]}`", *([r.fact.source] if sources else []), *c[1:]]
        lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
    if heading:
        lines += ["", _tally(v)]
    return "\n".join(lines)


def format_validation(v: Validation, fmt_name: str) -> str:
    """The validation in ``table``, ``json`` (the list of rows) or ``markdown``."""
    if fmt_name == "json":
        return json.dumps(v.records(), indent=2, allow_nan=False)
    if fmt_name == "markdown":
        return format_markdown(v)
    if fmt_name == "table":
        return format_table(v)
    raise UserInputError(f"unknown format '{fmt_name}'; choose one of {', '.join(FORMATS)}")
