"""How long ``aiscale optimise`` takes: 40 trials x 4 seeds on 2,000 employees, 2 workers.

Usage: python experiments/bench_optimise.py [--trials N] [--seeds K] [--workers W] [--quick]

Prints, side by side: the search (trials on their common seeds), the judgement on fresh seeds
(the best split and the shipped strategies), the whole command, the bare cost of the same
number of runs called one by one in this process (simulate in a loop, capped at the budget
as every run of the study is), and the machine's load
average before and after (the machine may be shared). The target is a search under 3 minutes
on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

from aiscale_sim import simulate
from aiscale_sim.optimise import make_problem, optimise


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--fresh-seeds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--budget", type=float, default=14.0)
    ap.add_argument("--batch", type=int, default=None,
                    help="trials run together (default: optimise's own choice)")
    ap.add_argument("--quick", action="store_true", help="300 employees, 52 weeks, 8 trials")
    args = ap.parse_args()
    org = ({"employees": 300, "business_units": 4} if args.quick
           else {"employees": 2000, "business_units": 8})
    steps = 52 if args.quick else None
    trials = 8 if args.quick else args.trials
    problem = make_problem(args.budget if not args.quick else 3.0, "value", seeds=args.seeds,
                           fresh_seeds=args.fresh_seeds, overrides=org, steps=steps)
    load0 = os.getloadavg()
    tmp = tempfile.mkdtemp()
    marks = {}
    try:
        t0 = time.perf_counter()

        def on_batch(n_done: int) -> None:
            if n_done >= trials:
                marks["search"] = time.perf_counter() - t0

        result = optimise(problem, f"{tmp}/opt", n_trials=trials, workers=args.workers,
                          batch=args.batch, progress=False, on_batch=on_batch)
        total = time.perf_counter() - t0
        load1 = os.getloadavg()
        n_runs = trials * args.seeds
        sample = min(n_runs, 8)
        lv = result.best_levers
        tb = time.perf_counter()
        for s in problem.seeds[:sample]:
            simulate(lv, seed=s, steps=steps, budget_cap=problem.total_musd)
        bare = (time.perf_counter() - tb) / min(sample, len(problem.seeds)) * n_runs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    search = marks.get("search", float("nan"))
    refs = len(problem.references)
    print(f"{org['employees']:,} employees, {steps or 260} weeks, {trials} trials x "
          f"{args.seeds} seeds = {n_runs} runs, {args.workers} workers, "
          f"{refs} strategies as reference ({refs * args.seeds} runs), judged on "
          f"{args.fresh_seeds} fresh seeds ({(refs + 1) * args.fresh_seeds} runs); "
          f"batch {args.batch or 'default'}")
    print(f"{'part':<44}{'seconds':>10}")
    print(f"{'search (reference runs + trials)':<44}{search:>10.1f}")
    print(f"{'judgement on fresh seeds':<44}{total - search:>10.1f}")
    print(f"{'whole optimise()':<44}{total:>10.1f}")
    print(f"{'the trials runs one by one, 1 process (est.)':<44}{bare:>10.1f}")
    print(f"search / bare serial runs: {search / bare:.2f} (below 1: the workers pay off)")
    print(f"load average (1, 5, 15 min) before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
          f"after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; cores {os.cpu_count()}")
    print(f"target: search under 180 s -> {'met' if search < 180 else 'missed'}")


if __name__ == "__main__":
    main()
