"""Benchmark: a Sobol' analysis of 12 policy levers on a 2,000-employee, 156-week organisation.

The target case is N=256 with 2 replicates (256 x 14 x 2 = 7,168 runs) on 2 cores, and N=1024
with 1 replicate (14,336 runs; target under 15 minutes). Two things are measured in one run:

1. **Model runs**: a Sobol' analysis at ``--n`` through the whole path (sampling, runs through
   the runner's process pool, analysis, figures); its runs per minute.
2. **Analysis at the target sizes**: sampling, SALib analysis with bootstrap CIs, convergence
   sub-samples, time-resolved indices and figures at N=256 x 2 and N=1024 x 1, on outputs of the
   right shape drawn at random (the analysis does the same work whatever the numbers are).

A target case is predicted as its runs at the measured rate plus its measured analysis time;
``--n 1024 --replicates 1`` measures the N=1024 case itself (about a quarter of an hour). The
output says which numbers are measured and which are predicted.

    python experiments/bench_sensitivity.py --n 64 --replicates 1 --workers 2
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from aiscale_sim.levers import LEVERS_BY_NAME, POLICY_LEVERS
from aiscale_sim.sensitivity import ModelEvaluator, lever_problem, run_sensitivity
from aiscale_sim.sensitivity.evaluators import MODEL_OUTPUTS, Evaluation
from aiscale_sim.sensitivity.plots import save_analysis

LEVERS = [n for n in POLICY_LEVERS if LEVERS_BY_NAME[n].kind == "float"][:12]
TARGETS = ((256, 2), (1024, 1))
TARGET_MINUTES = 15.0


def shaped_noise(weeks):
    """An evaluator returning random outputs shaped like the model's (for timing the analysis)."""
    def evaluate(problem, X, *, replicates=1, seed=0, progress=False):
        rng = np.random.default_rng(seed)
        k = len(X)
        outputs = {o: X[:, [i % X.shape[1]]] + rng.normal(0, 0.1, (k, replicates))
                   for i, o in enumerate(MODEL_OUTPUTS)}
        series = rng.random((k, replicates, len(weeks)))
        return Evaluation(outputs=outputs, series=series, weeks=list(weeks),
                          seeds=list(range(replicates)))
    return evaluate


def analysis_seconds(problem, n, replicates, weeks):
    """Wall time of sampling, analysis and saving (figures included) at ``n`` x ``replicates``."""
    out = Path(tempfile.mkdtemp(prefix="bench_sa_analysis_"))
    try:
        t = time.perf_counter()
        res = run_sensitivity(problem, shaped_noise(weeks), method="sobol", n=n,
                              replicates=replicates, seed=1)
        save_analysis(res, out)
        return time.perf_counter() - t
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=64, help="N to measure (power of two)")
    ap.add_argument("--replicates", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--employees", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=156)
    ap.add_argument("--executor", default="processes")
    ap.add_argument("--out", default=None, help="keep the analysis folder here")
    ap.add_argument("--skip-target-analysis", action="store_true",
                    help="do not time the analysis at the target sizes (quick checks)")
    args = ap.parse_args(argv)

    d = len(LEVERS)
    problem = lever_problem(LEVERS)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_sa_"))
    if out.exists() and args.out:
        shutil.rmtree(out)  # a fresh folder: a resumed run would not measure anything
    ev = ModelEvaluator(overrides={"employees": args.employees}, steps=args.steps,
                        out_dir=out, executor=args.executor, workers=args.workers)
    timing = {}

    def timed(*a, **k):
        t = time.perf_counter()
        r = ev(*a, **k)
        timing["runs"] = time.perf_counter() - t
        return r

    t0 = time.perf_counter()
    res = run_sensitivity(problem, timed, method="sobol", n=args.n,
                          replicates=args.replicates, seed=1)
    save_analysis(res, out)
    wall = time.perf_counter() - t0
    runs = len(res.X) * args.replicates
    per_min = runs / timing["runs"] * 60
    rest = wall - timing["runs"]

    print(f"measured: Sobol' of {d} levers, N={args.n}, {args.replicates} replicate(s), "
          f"{args.employees} employees, {args.steps} weeks, {args.executor} x {args.workers} "
          f"workers ({os.cpu_count()} cores visible)")
    print(f"  {runs} runs in {timing['runs']:.1f} s of running (worker start-up included) + "
          f"{rest:.1f} s sampling, analysis and figures = {wall:.1f} s wall; "
          f"{per_min:.0f} runs/minute")
    if not args.skip_target_analysis:
        for n, r in TARGETS:
            k = n * (d + 2) * r
            if (n, r) == (args.n, args.replicates):
                secs, how = wall, "measured"
            else:
                a = analysis_seconds(problem, n, r, ev.weeks)
                secs, how = k / per_min * 60 + a, (
                    f"predicted: runs at {per_min:.0f}/minute + {a:.1f} s of analysis "
                    "measured at this size")
            verdict = ""
            if (n, r) == (1024, 1) and (args.employees, args.steps) != (2000, 156):
                verdict = "  (not the target organisation: 2,000 employees, 156 weeks)"
            elif (n, r) == (1024, 1):
                verdict = ("  (meets the 15-minute target)" if secs < TARGET_MINUTES * 60
                           else "  (misses the 15-minute target)")
            print(f"N={n}, {r} replicate(s): {k} runs, {secs / 60:.1f} min ({how}){verdict}")
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
