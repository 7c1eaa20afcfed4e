"""Headline sensitivity analysis: Morris on every policy lever, then Sobol' on the top few.

Runs on a small organisation (2,000 employees, three years).

    python experiments/sensitivity_headline.py            # the full analysis (~2.5 min, 2 cores)
    python experiments/sensitivity_headline.py --quick    # a seconds-long smoke version

Writes out/sensitivity_headline/{morris,sobol}/ (experiment folders + indices + figures) and prints
both rankings. A point where no pilot concluded gets a pilot-to-production rate of 0 (stated in
indices.json); time to 50% adoption is censored at steps + 1 weeks.
experiments/README.md summarises what the full run found.
"""

import argparse
import sys
import time
from pathlib import Path

from aiscale_sim.sensitivity import ModelEvaluator, lever_problem, run_sensitivity
from aiscale_sim.sensitivity.plots import save_analysis

OUTPUTS = ("pilot_to_production_rate", "adoption_share", "time_to_50pct_adoption_weeks",
           "use_cases_in_production", "cumulative_value", "roi")


def top_levers(res, k):
    """Levers ranked by their mean normalised mu_star over the analysed outputs."""
    d = res.indices.copy()
    d["rel"] = d["mu_star"] / d.groupby("output")["mu_star"].transform("max")
    return list(d.groupby("parameter")["rel"].mean().sort_values(ascending=False).index[:k])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for tests")
    ap.add_argument("--out", default="out/sensitivity_headline")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--trajectories", type=int, default=12)
    ap.add_argument("--n", type=int, default=128, help="Sobol' base sample (power of two)")
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args(argv)
    if args.quick:
        org = {"employees": 300, "business_units": 3}
        steps, traj, n, reps, top, every = 40, 2, 8, 1, 3, 20
    else:
        org = {"employees": 2000}
        steps, traj, n, reps, top, every = 156, args.trajectories, args.n, args.replicates, \
            args.top, 13
    out = Path(args.out)
    executor = "serial" if args.quick else "processes"

    t0 = time.perf_counter()
    morris_dir = out / "morris"
    ev = ModelEvaluator(overrides=org, steps=steps, every=every, out_dir=morris_dir,
                        executor=executor, workers=args.workers,
                        fill={"pilot_to_production_rate": 0.0})
    morris = run_sensitivity(lever_problem(), ev, method="morris", n=traj, replicates=reps,
                             seed=args.seed, outputs=OUTPUTS, progress=not args.quick,
                             settings={"org": org, "steps": steps})
    save_analysis(morris, morris_dir)
    print(morris.ranking_text())
    chosen = top_levers(morris, top) if len(morris.indices) else ["training_hours"]
    print(f"\nMorris took {time.perf_counter() - t0:.0f} s; Sobol' on: {', '.join(chosen)}\n")

    t1 = time.perf_counter()
    sobol_dir = out / "sobol"
    ev = ModelEvaluator(overrides=org, steps=steps, every=every, out_dir=sobol_dir,
                        executor=executor, workers=args.workers,
                        fill={"pilot_to_production_rate": 0.0})
    sobol = run_sensitivity(lever_problem(chosen), ev, method="sobol", n=n, replicates=reps,
                            seed=args.seed, outputs=OUTPUTS, progress=not args.quick,
                            settings={"org": org, "steps": steps})
    save_analysis(sobol, sobol_dir)
    print(sobol.ranking_text())
    print(f"\nSobol' took {time.perf_counter() - t1:.0f} s; total "
          f"{time.perf_counter() - t0:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
