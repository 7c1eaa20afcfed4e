"""Wall time of ``aiscale calibrate`` on the target case, and where the time goes.

Usage: python experiments/bench_calibrate.py [--quick] [--budget N] [--workers K] [--executor E]

Target case: fit 2 free levers (executive sponsorship, change management) with a budget of
1,500 simulations on a 2,000-employee, 260-week organisation, on 2 worker processes
(quick: 300 employees, 52 weeks, budget 60). The organisation is planted: its outcomes come
from one run with known lever values (sponsorship 0.7, change management $250 per employee
per year), so the posterior can be read against the truth. Prints the wall time next to what
the simulations alone cost (seconds per run measured in this process, times the runs, over the
workers), the machine's load average before and after (the machine may be shared), and the
posterior.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

from aiscale_sim import simulate
from aiscale_sim.calibration.abc import Calibration, run_calibration
from aiscale_sim.calibration.observed import make_org
from aiscale_sim.calibration.plots import save_figures

OBSERVED = ("pilot_to_production_rate", "median_time_to_production_weeks", "adoption_share")
TRUTH = {"executive_sponsorship": 0.7, "change_management": 250.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a small case for the test suite")
    ap.add_argument("--budget", type=int, default=None, help="simulations (default 1,500)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    ap.add_argument("--executor", default="processes", choices=("serial", "processes", "dask"),
                    help="where simulations run (default processes)")
    args = ap.parse_args()
    known = ({"employees": 300, "business_units": 3} if args.quick
             else {"employees": 2000, "business_units": 6})
    steps = 52 if args.quick else 260
    budget = args.budget or (60 if args.quick else 1500)
    population = 10 if args.quick else 100

    t0, c0 = time.perf_counter(), time.process_time()
    truth_run = simulate({**known, **TRUTH}, seed=12345, steps=steps)
    t_one, cpu_one = time.perf_counter() - t0, time.process_time() - c0
    observed = {k: truth_run.outcomes[k] for k in OBSERVED if truth_run.outcomes[k] is not None}
    org = make_org(known, observed, name="planted")
    cal = Calibration(org, tuple(TRUTH), budget, seed=args.seed, steps=steps,
                      population=population, check_draws=5 if args.quick else 50)

    load_before = os.getloadavg()
    tmp = tempfile.mkdtemp()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_calibration(cal, f"{tmp}/cal", executor=args.executor,
                                 workers=args.workers, progress=not args.quick)
        save_figures(result)
        wall, cpu_main = time.perf_counter() - t0, time.process_time() - c0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()

    s = result.summary
    runs = s["simulations"] + cal.check_draws
    workers = 1 if args.executor == "serial" else args.workers
    alone = runs * t_one / workers
    print(f"case: {len(TRUTH)} free levers, budget {budget:,}, {known['employees']:,} employees, "
          f"{steps} weeks, {workers} workers ({args.executor}), population {population}")
    print("observed: " + ", ".join(f"{k} = {v:.4g}" for k, v in observed.items()))
    print(f"simulations: {s['simulations']:,} in {s['populations']} populations "
          f"(+{cal.check_draws} for the predictive check); final threshold "
          f"{s['epsilons'][-1]:.4g}")
    print(f"wall time: {wall:.1f} s ({wall / 60:.2f} min); {runs / wall:.2f} runs/s")
    print(f"one run in this process: {t_one:.3f} s; the runs alone over {workers} workers: "
          f"{alone:.1f} s; everything else (worker start, pyABC, figures): "
          f"{wall - alone:.1f} s")
    print(f"one run's CPU time: {cpu_one:.3f} s; on {workers} idle cores the runs alone would "
          f"take about {runs * cpu_one / workers:.1f} s; the main process (pyABC, the sampler, "
          f"figures) used {cpu_main:.1f} s of CPU")
    print(f"load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; "
          f"after: {', '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} cores")
    for name, post in s["posterior"].items():
        print(f"posterior {name}: mean {post['mean']:.4g}, 90% {post['low']:.4g} to "
              f"{post['high']:.4g} (truth {TRUTH[name]:g})")
    print(f"target (under 5 minutes): {'met' if wall < 300 else 'missed'}")


if __name__ == "__main__":
    main()
