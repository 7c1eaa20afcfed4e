"""Benchmark: a Sobol' analysis of 12 policy levers on a 2,000-employee, 156-week organisation.

The target case is N=256 with 2 replicates (256 x 14 x 2 = 7,168 runs) on 2 cores, extrapolated
to N=1024 with 1 replicate (14,336 runs; target under 15 minutes). Measuring the full case takes
longer than a benchmark should, so ``--n`` measures a smaller N (the same code path: sampling,
runs through the runner, analysis, figures) and the wall time is extrapolated linearly in the
number of runs from the measured runs per minute (analysis time is measured separately and scaled
with N). The output says which numbers are measured and which are extrapolated.

    python experiments/bench_sensitivity.py --n 16 --workers 2
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from aiscale_sim.levers import LEVERS_BY_NAME, POLICY_LEVERS
from aiscale_sim.sensitivity import ModelEvaluator, lever_problem, run_sensitivity

LEVERS = [n for n in POLICY_LEVERS if LEVERS_BY_NAME[n].kind == "float"][:12]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16, help="N to measure (power of two)")
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--employees", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=156)
    ap.add_argument("--executor", default="processes")
    ap.add_argument("--out", default=None, help="keep the analysis folder here")
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
    res = run_sensitivity(problem, lambda *a, **k: timed(*a, **k), method="sobol", n=args.n,
                          replicates=args.replicates, seed=1)
    res.save(out)
    wall = time.perf_counter() - t0
    runs = len(res.X) * args.replicates
    per_min = runs / timing["runs"] * 60
    overhead = wall - timing["runs"]

    def predict(n, r):
        # runs at the measured rate; analysis time scaled with N (conservative: part of it,
        # the figures, does not grow)
        k = n * (d + 2) * r
        return k, k / per_min * 60 + overhead * n / args.n

    print(f"measured: Sobol' of {d} levers, N={args.n}, {args.replicates} replicate(s), "
          f"{args.employees} employees, {args.steps} weeks, {args.executor} x {args.workers} "
          f"workers ({os.cpu_count()} cores visible)")
    print(f"  {runs} runs in {timing['runs']:.1f} s of running + {overhead:.1f} s sampling, "
          f"analysis and figures = {wall:.1f} s wall; {per_min:.0f} runs/minute")
    for n, r in ((256, 2), (1024, 1)):
        k, secs = predict(n, r)
        verdict = "" if (n, r) != (1024, 1) else (
            "  (meets the 15-minute target)" if secs < 900 else "  (misses the 15-minute target)")
        print(f"extrapolated: N={n}, {r} replicate(s): {k} runs, ~{secs / 60:.1f} min{verdict}")
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
