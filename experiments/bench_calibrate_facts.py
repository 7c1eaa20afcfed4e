"""Wall time of ``aiscale calibrate --facts`` on the target case, and where the time goes.

Usage: python experiments/bench_calibrate_facts.py [--quick] [--budget N] [--workers K]
       [--executor E] [--seed S]

Target case: the eight default constants fitted to the stylized facts with a budget of 20,000
simulations (model runs) on 2 worker processes, 260-week runs; each particle is a panel of
one run per fitting scenario (quick: budget 160, 10 particles a population, 104 weeks, one
seed per scenario in the check). Prints the wall time of the fit and of the check beside what
the simulations alone cost (one panel's time measured in this process, times the panels, over
the workers), the machine's load average before and after (the machine may be shared), and
the patterns met with the shipped and the calibrated constants.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

from aiscale_sim.calibration.constants import CONSTANTS_BY_NAME
from aiscale_sim.calibration.facts import (
    DEFAULT_FREE,
    FactsCalibration,
    FactsModel,
    run_facts_calibration,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a small case for the test suite")
    ap.add_argument("--budget", type=int, default=None, help="simulations (default 20,000)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    ap.add_argument("--executor", default="processes", choices=("serial", "processes", "dask"),
                    help="where simulations run (default processes)")
    args = ap.parse_args()
    steps = 104 if args.quick else 260
    budget = args.budget or (160 if args.quick else 20_000)
    cal = FactsCalibration(DEFAULT_FREE, budget, seed=args.seed, steps=steps,
                           population=10 if args.quick else 200,
                           check_seeds=1 if args.quick else 8)

    model = FactsModel(cal.free, cal.patterns, cal.scenarios, cal.steps, cal.seed)
    defaults = {n: CONSTANTS_BY_NAME[n].default for n in cal.free}
    model.simulate(defaults, 0)  # imports and caches warm
    t0, c0 = time.perf_counter(), time.process_time()
    for s in (1, 2):
        model.simulate(defaults, s)
    t_panel, cpu_panel = (time.perf_counter() - t0) / 2, (time.process_time() - c0) / 2

    load_before = os.getloadavg()
    tmp = tempfile.mkdtemp()
    stamps = {}
    try:
        import aiscale_sim.calibration.facts as facts

        real = facts._write_outputs

        def timed(*a, **kw):  # the fit ends where the outputs (and the check) begin
            stamps["fit"] = time.perf_counter()
            return real(*a, **kw)

        facts._write_outputs = timed
        t0 = time.perf_counter()
        result = run_facts_calibration(cal, f"{tmp}/facts", executor=args.executor,
                                       workers=args.workers, progress=not args.quick)
        wall = time.perf_counter() - t0
        facts._write_outputs = real
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()

    s = result.summary
    workers = 1 if args.executor == "serial" else args.workers
    fit_wall = stamps["fit"] - t0
    alone = s["particles"] * t_panel / workers
    print(f"case: {len(cal.free)} constants, budget {budget:,} simulations, "
          f"{len(cal.patterns)} patterns, panels of {cal.runs_per_particle} runs "
          f"({', '.join(cal.scenarios)}), {steps} weeks, {workers} workers ({args.executor}), "
          f"population {cal.population}")
    print(f"simulations: {s['simulations']:,} ({s['particles']:,} particles) in "
          f"{s['populations']} populations; final threshold {s['epsilons'][-1]:.4g}")
    print(f"wall time of the fit: {fit_wall:.1f} s ({fit_wall / 60:.2f} min); "
          f"{s['simulations'] / fit_wall:.2f} runs/s; the check (two validations, "
          f"{cal.check_seeds} seeds): {wall - fit_wall:.1f} s")
    print(f"one panel in this process: {t_panel:.3f} s ({cpu_panel:.3f} s CPU); the panels alone "
          f"over {workers} workers: {alone:.1f} s; everything else in the fit (worker start, "
          f"pyABC, the sampler): {fit_wall - alone:.1f} s; fit / panels alone: "
          f"{fit_wall / alone:.2f}")
    print(f"load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; "
          f"after: {', '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} cores")
    m = s["met"]
    print(f"patterns met: shipped {m['shipped']} of {m['patterns']}, calibrated "
          f"{m['calibrated']}")
    for name, post in s["posterior"].items():
        print(f"posterior {name}: mean {post['mean']:.4g}, 90% {post['low']:.4g} to "
              f"{post['high']:.4g} (shipped {post['shipped']:g})")
    # The fit may stop short of the budget (a population that cannot be filled is not
    # started), so the target is judged on the whole budget at the measured rate.
    rate = s["simulations"] / fit_wall
    whole = budget / rate
    print(f"the whole budget of {budget:,} simulations at {rate:.2f} runs/s: {whole:.0f} s "
          f"({whole / 60:.1f} min)")
    print(f"target ({budget:,} simulations under 30 minutes): "
          f"{'met' if whole < 1800 else 'missed'}")


if __name__ == "__main__":
    main()
