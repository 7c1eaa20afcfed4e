"""Sampling, SALib analysis, model noise, convergence and time-resolved indices.

Methods (all through SALib's documented APIs):

* ``morris``: elementary effects (Morris 1991; Campolongo et al. 2007), ``mu_star``,
  ``mu_star_conf``, ``sigma`` (and ``mu``); ``--n`` is the number of trajectories.
* ``sobol``: Saltelli/Jansen estimators on a scrambled Sobol' sequence
  (``SALib.sample.sobol``; Saltelli et al. 2010): ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` and
  optionally ``S2``; ``--n`` is the base sample size N, a power of two; runs = N (D + 2) R.
  RBD-FAST's S1 from the same runs is added as a cross-check (``S1_rbd_fast``; ungrouped).
* ``rbd_fast``, ``pawn``: cheap given-data estimators (Tarantola et al. 2006; Pianosi &
  Wagener 2015) on a Latin-hypercube sample of N points. (SALib's delta estimator is left out:
  its balanced bootstrap takes minutes on a few hundred points.)

Model noise: each point is run R times with common seeds and the point mean is analysed. For each
output the *noise share* = mean within-point variance across replicates / variance of all single
runs says how much of a single run's spread is seed noise; ``noise_share_of_mean`` is the same
for the analysed replicate mean. Indices of an output whose noise share of mean is high mostly
describe noise.

Undefined values: an output with NaN at some points (failed runs, undefined outcomes) is not
given to Sobol or Morris (their designs need every point): it is skipped and the reason is
recorded. Given-data methods drop the NaN points and say how many.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiscale_sim.errors import UserInputError
from aiscale_sim.files import write_csv, write_text
from aiscale_sim.sensitivity.problem import Problem

METHODS = ("morris", "sobol", "rbd_fast", "pawn")
#: The index each method ranks by (and plots, and checks for convergence).
MAIN_INDEX = {"morris": "mu_star", "sobol": "ST", "rbd_fast": "S1", "pawn": "median"}
INDEX_COLUMNS = {
    "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "rbd_fast": ("S1", "S1_conf"),
    "pawn": ("median", "mean", "minimum", "maximum", "CV"),
}
MORRIS_LEVELS = 4
#: Fewest points RBD-FAST accepts (M = 10 harmonics; the bootstrap halves the sample).
RBD_MIN = 50


def check_method(method: str) -> str:
    """Return ``method`` or raise :class:`UserInputError` naming the allowed ones."""
    if method not in METHODS:
        import difflib

        near = difflib.get_close_matches(str(method), METHODS, n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise UserInputError(
            f"unknown method '{method}'; choose one of {', '.join(METHODS)}{hint}")
    return method


def nearest_powers_of_two(n: int) -> tuple[int, int]:
    """The powers of two just below and just above ``n``."""
    lo = 1 << max(int(n).bit_length() - 1, 0)
    return lo, lo * 2


def check_n(method: str, n: int, problem: Problem) -> None:
    """Check the sample size for ``method`` (a power of two for Sobol)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise UserInputError(f"--n must be a positive whole number, got {n!r}")
    if method == "sobol" and n & (n - 1):
        lo, hi = nearest_powers_of_two(n)
        raise UserInputError(f"--n {n}: Sobol' sampling needs N to be a power of two; "
                             f"use {lo} or {hi}")
    if method == "morris" and n < 2:
        raise UserInputError("--n: Morris needs at least 2 trajectories")
    if method in ("rbd_fast", "pawn"):
        if problem.grouped:
            raise UserInputError(f"method {method} does not support groups; use morris or "
                                 "sobol, or remove 'group' from the analysis file")
        if n < RBD_MIN and method == "rbd_fast":
            raise UserInputError(f"--n: RBD-FAST needs at least {RBD_MIN} points (its "
                                 "bootstrap uses half of them, and needs more than 2M = 20)")


def _seeds(seed: int) -> tuple[int, int, int]:
    """Sampling, bootstrap and replicate seeds, all fixed by the one ``seed``."""
    s = np.random.SeedSequence([int(seed), 2021]).generate_state(3, dtype=np.uint32)
    return int(s[0]), int(s[1]), int(seed)


def rows_per_unit(method: str, problem: Problem, second_order: bool) -> int:
    """Rows per base point (Sobol), per trajectory (Morris) or 1 (given-data methods)."""
    k = len(problem.factor_names)
    if method == "sobol":
        return 2 * k + 2 if second_order else k + 2
    if method == "morris":
        return k + 1
    return 1


def sample(problem: Problem, method: str, n: int, seed: int,
           second_order: bool = False) -> np.ndarray:
    """Draw the sample matrix for ``method`` with SALib."""
    check_method(method)
    check_n(method, n, problem)
    sp = problem.salib()
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        return sobol_sample.sample(sp, n, calc_second_order=second_order, scramble=True,
                                   seed=seed)
    if method == "morris":
        from SALib.sample import morris as morris_sample

        return morris_sample.sample(sp, n, num_levels=MORRIS_LEVELS, seed=seed)
    from SALib.sample import latin

    return latin.sample(sp, n, seed=seed)


def _salib_analyze(problem: Problem, method: str, X: np.ndarray, y: np.ndarray, seed: int,
                   second_order: bool, num_resamples: int) -> dict[str, Any]:
    sp = problem.salib()
    with warnings.catch_warnings():
        # SALib warns on degenerate bootstrap resamples; the CI check reports wide intervals.
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "sobol":
            from SALib.analyze import sobol

            return sobol.analyze(sp, y, calc_second_order=second_order,
                                 num_resamples=num_resamples, seed=seed)
        if method == "morris":
            from SALib.analyze import morris

            return morris.analyze(sp, X, y, num_resamples=num_resamples,
                                  num_levels=MORRIS_LEVELS, seed=seed)
        if method == "rbd_fast":
            from SALib.analyze import rbd_fast

            return rbd_fast.analyze(sp, X, y, num_resamples=num_resamples, seed=seed)
        from SALib.analyze import pawn

        return pawn.analyze(sp, X, y, seed=seed)


def analyze_output(problem: Problem, method: str, X: np.ndarray, y: np.ndarray, *, seed: int,
                   second_order: bool = False, num_resamples: int = 100,
                   ) -> tuple[pd.DataFrame | None, str | None]:
    """Indices of one output, or (None, reason) when it cannot be analysed.

    NaN is never passed to SALib: Sobol and Morris refuse an output with NaN; the given-data
    methods drop those points (and say so in the returned note).
    """
    y = np.asarray(y, dtype=float)
    note = None
    bad = ~np.isfinite(y)
    if bad.any():
        if method in ("sobol", "morris"):
            return None, (f"{int(bad.sum())} of {len(y)} sample points have no value (failed "
                          f"runs or an undefined outcome); {method} needs every point, so this "
                          "output was not analysed")
        X, y = X[~bad], y[~bad]
        note = f"dropped {int(bad.sum())} of {len(bad)} points without a value"
        if len(y) < RBD_MIN:
            return None, note + "; too few left to analyse"
    if np.nanmax(y) - np.nanmin(y) <= 1e-12 * max(1.0, abs(float(np.nanmax(y)))):
        return None, "the output is constant across the sample; no variance to apportion"
    Si = _salib_analyze(problem, method, X, y, seed, second_order, num_resamples)
    cols = {c: np.asarray(Si[c], dtype=float) for c in INDEX_COLUMNS[method]}
    df = pd.DataFrame({"parameter": problem.factor_names, **cols})
    if method == "sobol" and second_order:
        names = problem.factor_names
        S2, S2c = np.asarray(Si["S2"]), np.asarray(Si["S2_conf"])
        s2 = {n: {m: float(S2[i, j]) for j, m in enumerate(names) if j > i}
              for i, n in enumerate(names)}
        df.attrs["S2"] = s2
        df.attrs["S2_conf"] = {n: {m: float(S2c[i, j]) for j, m in enumerate(names) if j > i}
                               for i, n in enumerate(names)}
    return df, note


def noise_shares(Y: np.ndarray) -> dict[str, float | None]:
    """Share of variance that is seed noise, from an array of shape (points, replicates)."""
    Y = np.asarray(Y, dtype=float)
    keep = np.all(np.isfinite(Y), axis=1)
    Y = Y[keep]
    R = Y.shape[1] if Y.ndim == 2 else 1
    if R < 2 or len(Y) < 2:
        return {"noise_share": None, "noise_share_of_mean": None}
    within = float(np.mean(np.var(Y, axis=1, ddof=1)))
    total = float(np.var(Y.ravel(), ddof=1))
    means = float(np.var(Y.mean(axis=1), ddof=1))
    scale = float(np.max(np.abs(Y))) if Y.size else 0.0
    if total <= (1e-9 * max(scale, 1e-300)) ** 2:
        return {"noise_share": None, "noise_share_of_mean": None}  # a constant output
    share = within / total if total > 0 else None
    share_mean = min(within / R / means, 1.0) if means > 0 else (1.0 if within > 0 else None)
    return {"noise_share": None if share is None else min(share, 1.0),
            "noise_share_of_mean": share_mean}


def _subsample_sizes(method: str, n: int) -> list[int]:
    if method == "sobol":
        sizes = [n >> k for k in range(5, -1, -1) if (n >> k) >= 16]
    elif method == "morris":
        sizes = sorted({max(2, n // 4), max(2, n // 2), n})
    else:
        sizes = sorted({m for m in (n // 8, n // 4, n // 2, n) if m >= RBD_MIN} | {n})
    return sizes or [n]


@dataclass
class SensitivityResult:
    """Everything an analysis produced.

    Attributes:
        method: The SALib method.
        problem: The problem analysed.
        n: Sample size (trajectories for Morris, base N for Sobol, points otherwise).
        replicates: Runs per sample point.
        seed: The seed every random choice derives from.
        X: The sample matrix.
        indices: One row per (output, parameter): index columns and their ``_conf``.
        time_indices: Like ``indices`` with a ``week`` column (time-resolved), may be empty.
        convergence: ``output, parameter, n, index, value, conf`` for growing sub-samples.
        noise: One row per output: ``noise_share``, ``noise_share_of_mean``.
        skipped: Output -> reason it was not analysed.
        notes: Output -> what was done to it (e.g. points dropped).
        warnings: Plain-language warnings (wide CIs, noise, failures).
        failures: Failed runs.
        settings: Other settings (steps, evaluator notes...).
    """

    method: str
    problem: Problem
    n: int
    replicates: int
    seed: int
    X: np.ndarray
    indices: pd.DataFrame
    time_indices: pd.DataFrame
    convergence: pd.DataFrame
    noise: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    second_order: dict[str, Any] = field(default_factory=dict)

    @property
    def main_index(self) -> str:
        """The index used for ranking."""
        return MAIN_INDEX[self.method]

    def ranking(self, output: str) -> pd.DataFrame:
        """Parameters of ``output`` sorted by the main index, largest first."""
        d = self.indices[self.indices["output"] == output]
        return d.sort_values(self.main_index, ascending=False, kind="stable")

    def ranking_text(self, top: int | None = None) -> str:
        """A plain-text ranking of the parameters for every output."""
        idx = self.main_index
        lines = [f"{self.method} ranking by {idx} (95% CI); N={self.n}, "
                 f"{self.replicates} replicate(s) per point, seed {self.seed}"]
        noise = self.noise.set_index("output") if len(self.noise) else None
        outputs = list(dict.fromkeys(self.indices["output"])) + list(self.skipped)
        for out in dict.fromkeys(outputs):
            lines.append("")
            head = out
            if noise is not None and out in noise.index:
                ns = noise.loc[out, "noise_share"]
                nm = noise.loc[out, "noise_share_of_mean"]
                if ns is not None and not pd.isna(ns):
                    head += (f"   (seed noise: {ns:.0%} of single-run variance, "
                             f"{nm:.0%} of the analysed mean's)")
            lines.append(head)
            if out in self.skipped:
                lines.append(f"  not analysed: {self.skipped[out]}")
                continue
            rank = self.ranking(out)
            if top:
                rank = rank.head(top)
            conf = f"{idx}_conf" if f"{idx}_conf" in rank else None
            for k, row in enumerate(rank.itertuples(index=False), start=1):
                r = row._asdict()
                ci = f" +/- {r[conf]:.3g}" if conf and not pd.isna(r[conf]) else ""
                extra = ""
                if self.method == "sobol":
                    extra = f"   S1 {r['S1']:.3f}"
                elif self.method == "morris":
                    extra = f"   sigma {r['sigma']:.3g}"
                lines.append(f"  {k:>2}. {r['parameter']:<28} {idx} {r[idx]:.3g}{ci}{extra}")
            if out in self.notes:
                lines.append(f"  note: {self.notes[out]}")
        if self.warnings:
            lines.append("")
            lines.append("Warnings")
            lines.extend(f"  - {w}" for w in self.warnings)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Plain-data form written to ``indices.json``."""
        def clean(v):
            if isinstance(v, float | np.floating):
                return None if not math.isfinite(float(v)) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            return v

        return {
            "method": self.method, "n": self.n, "replicates": self.replicates,
            "seed": self.seed, "runs": int(len(self.X) * self.replicates),
            "main_index": self.main_index,
            "problem": self.problem.as_dict(),
            "indices": [{k: clean(v) for k, v in r.items()}
                        for r in self.indices.to_dict("records")],
            "second_order": self.second_order,
            "noise": [{k: clean(v) for k, v in r.items()} for r in self.noise.to_dict("records")],
            "skipped": self.skipped, "notes": self.notes, "warnings": self.warnings,
            "failures": self.failures[:100], "n_failures": len(self.failures),
            "settings": self.settings,
        }

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write indices.csv, indices.json, time_indices.csv, convergence.csv and sample.csv.

        The figures and index.html are drawn by a higher layer:
        :func:`aiscale_sim.sensitivity.plots.save_analysis` writes these files and them.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = [
            write_csv(out / "indices.csv", self.indices),
            write_text(out / "indices.json", json.dumps(self.to_json(), indent=2, default=str)),
        ]
        if len(self.time_indices):
            written.append(write_csv(out / "time_indices.csv", self.time_indices))
        written.append(write_csv(out / "convergence.csv", self.convergence))
        written.append(write_csv(out / "sample.csv",
                                 pd.DataFrame(self.X, columns=self.problem.names)))
        return written


def _long(df: pd.DataFrame, method: str, n: int) -> pd.DataFrame:
    rows = []
    for idx in INDEX_COLUMNS[method]:
        if idx.endswith("_conf") or idx in ("mu",):
            continue
        conf = df.get(f"{idx}_conf")
        for k, r in df.iterrows():
            rows.append({"output": r["output"], "parameter": r["parameter"], "n": n,
                         "index": idx, "value": r[idx],
                         "conf": float(conf.loc[k]) if conf is not None else np.nan})
    return pd.DataFrame(rows)


def run_sensitivity(problem: Problem, evaluator: Callable[..., Any], *, method: str, n: int,
                    replicates: int = 1, seed: int = 0, second_order: bool = False,
                    outputs: Sequence[str] | None = None, convergence: bool = True,
                    ci_share: float = 0.5, min_index: float = 0.05, noise_warn: float = 0.5,
                    num_resamples: int = 100, progress: bool = False,
                    settings: dict[str, Any] | None = None) -> SensitivityResult:
    """Sample, evaluate, analyse: the whole harness in one call (also for notebooks).

    Args:
        problem: What varies (:func:`lever_problem` or :func:`function_problem`).
        evaluator: ``evaluator(problem, X, replicates=, seed=, progress=) -> Evaluation``.
        method: One of :data:`METHODS`.
        n: Trajectories (Morris), base sample size N (Sobol, a power of two), points otherwise.
        replicates: Runs per sample point (common seeds); their mean is analysed.
        seed: Fixes the sample, the bootstrap and the replicate seeds.
        second_order: Also compute Sobol' S2 (doubles the runs).
        outputs: Outputs to analyse (default: every output the evaluator returns).
        convergence: Recompute indices on growing sub-samples.
        ci_share: Warn when a CI half-width exceeds this share of its index.
        min_index: Only check CIs of indices at least this large (Morris: relative to the
            largest ``mu_star`` of the output).
        noise_warn: Warn when seed noise is more than this share of the analysed mean's
            variance.
        num_resamples: Bootstrap resamples for confidence intervals.
        progress: Show a progress bar.
        settings: Extra settings recorded in ``indices.json``.

    Returns:
        A :class:`SensitivityResult`.

    Raises:
        UserInputError: Bad method, sample size, replicates or outputs.
    """
    check_method(method)
    check_n(method, n, problem)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise UserInputError(f"--replicates must be at least 1, got {replicates!r}")
    if method == "sobol" and second_order and len(problem.factor_names) < 2:
        raise UserInputError("second-order indices need at least two parameters")
    s_sample, s_boot, s_rep = _seeds(seed)
    X = sample(problem, method, n, s_sample, second_order)
    ev = evaluator(problem, X, replicates=replicates, seed=s_rep, progress=progress)
    names = list(ev.outputs) if outputs is None else list(outputs)
    missing = [o for o in names if o not in ev.outputs]
    if missing:
        raise UserInputError(f"unknown output(s) {', '.join(missing)}; available: "
                             f"{', '.join(ev.outputs)}")
    warn: list[str] = []
    if ev.failures:
        warn.append(f"{len(ev.failures)} of {len(X) * replicates} runs failed; their points "
                    "have no value (see failures in indices.json); first error: "
                    f"{ev.failures[0]['error']}")
    clipped = problem.clipped(X)
    if clipped:
        warn.append("values outside the bounds were clipped: " + ", ".join(
            f"{k} ({v} samples)" for k, v in clipped.items()))

    frames, conv_frames, noise_rows = [], [], []
    skipped: dict[str, str] = {}
    notes: dict[str, str] = {}
    s2: dict[str, Any] = {}
    unit = rows_per_unit(method, problem, second_order)
    for out in names:
        Y = ev.outputs[out]
        noise_rows.append({"output": out, **noise_shares(Y)})
        y = Y.mean(axis=1)
        df, note = analyze_output(problem, method, X, y, seed=s_boot, second_order=second_order,
                                  num_resamples=num_resamples)
        if df is None:
            remedy = getattr(ev, "remedies", {}).get(out)
            if remedy and not np.isfinite(y).all():
                note += f" ({remedy})"
            skipped[out] = note
            warn.append(f"{out}: not analysed: {note}")
            continue
        if note:
            notes[out] = note
            warn.append(f"{out}: {note}")
        if "S2" in df.attrs:
            s2[out] = {"S2": df.attrs["S2"], "S2_conf": df.attrs["S2_conf"]}
        if method == "sobol" and not problem.grouped and len(y) >= RBD_MIN:
            # A free cross-check: RBD-FAST's first-order estimate from the very same runs.
            fast, _ = analyze_output(problem, "rbd_fast", X, y, seed=s_boot,
                                     num_resamples=num_resamples)
            if fast is not None:
                df["S1_rbd_fast"] = fast["S1"].to_numpy()
                df["S1_rbd_fast_conf"] = fast["S1_conf"].to_numpy()
        df.insert(0, "output", out)
        frames.append(df)
        if convergence:
            for m in _subsample_sizes(method, n):
                rows = m * unit
                sub, _ = analyze_output(problem, method, X[:rows], y[:rows], seed=s_boot,
                                        second_order=second_order,
                                        num_resamples=num_resamples)
                if sub is not None:
                    sub.insert(0, "output", out)
                    conv_frames.append(_long(sub, method, m))
    indices = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["output", "parameter", *INDEX_COLUMNS[method]])
    noise = pd.DataFrame(noise_rows)
    for r in noise_rows:
        nm = r["noise_share_of_mean"]
        if nm is not None and nm > noise_warn:
            warn.append(f"{r['output']}: seed noise is {nm:.0%} of the variance of the analysed "
                        f"mean (> {noise_warn:.0%}); its indices mostly describe noise; add "
                        "replicates")
    warn.extend(_ci_warnings(indices, method, ci_share, min_index))

    time_indices = pd.DataFrame()
    if ev.series is not None and len(ev.weeks):
        tframes = []
        for w, week in enumerate(ev.weeks):
            yw = ev.series[:, :, w].mean(axis=1)
            df, _ = analyze_output(problem, method, X, yw, seed=s_boot,
                                   second_order=second_order, num_resamples=num_resamples)
            if df is None:
                df = pd.DataFrame({"parameter": problem.factor_names,
                                   **{c: np.nan for c in INDEX_COLUMNS[method]}})
            df.insert(0, "week", week)
            tframes.append(df)
        time_indices = pd.concat(tframes, ignore_index=True)
        time_indices.insert(0, "output", "adoption_share")

    conv = pd.concat(conv_frames, ignore_index=True) if conv_frames else pd.DataFrame(
        columns=["output", "parameter", "n", "index", "value", "conf"])
    return SensitivityResult(
        method=method, problem=problem, n=n, replicates=replicates, seed=seed, X=X,
        indices=indices, time_indices=time_indices, convergence=conv, noise=noise,
        skipped=skipped, notes=notes, warnings=warn, failures=ev.failures,
        settings={"ci_share": ci_share, "min_index": min_index, "second_order": second_order,
                  "num_resamples": num_resamples, "sampling_seed": s_sample,
                  "bootstrap_seed": s_boot, "replicate_seeds": ev.seeds,
                  "evaluator_notes": ev.notes, "experiment_dir": ev.experiment_dir,
                  **(settings or {})},
        second_order=s2)


def _ci_warnings(indices: pd.DataFrame, method: str, ci_share: float,
                 min_index: float) -> list[str]:
    out = []
    checks = {"sobol": ("S1", "ST"), "morris": ("mu_star",), "rbd_fast": ("S1",)}.get(
        method, ())
    for idx in checks:
        for output, d in indices.groupby("output", sort=False):
            scale = float(d[idx].abs().max()) if method == "morris" else 1.0
            if not scale > 0:
                continue
            wide = []
            for r in d.itertuples(index=False):
                r = r._asdict()
                v, c = r[idx], r[f"{idx}_conf"]
                if pd.isna(v) or pd.isna(c) or abs(v) / scale < min_index:
                    continue
                if c > ci_share * abs(v):
                    wide.append(f"{r['parameter']} {v:.3g} +/- {c:.3g}")
            if wide:
                out.append(f"{output}: the 95% CI of {idx} is wider than {ci_share:.0%} of the "
                           f"index for {', '.join(wide)}; increase --n (or --replicates) "
                           "before relying on these")
    return out
