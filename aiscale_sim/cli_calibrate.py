"""The ``aiscale calibrate`` subcommand: fit levers to an organisation's outcomes by ABC-SMC."""

from __future__ import annotations

import argparse
import sys
import textwrap

from aiscale_sim.cli_args import int_arg

EXECUTORS = ("serial", "processes", "dask")


def register(subparsers) -> None:
    """Add ``calibrate`` to the ``aiscale`` parser."""
    from aiscale_sim.calibration.abc import CHECK_DRAWS, POPULATION
    from aiscale_sim.simulate import HORIZON_WEEKS, MAX_STEPS

    p = subparsers.add_parser(
        "calibrate", help="fit free levers to an organisation's observed outcomes (ABC-SMC)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Fit the free levers to what an organisation has observed, by ABC-SMC (pyABC). "
            "The observed file has a [levers] table (what is known) and an [observed] table "
            "(end-of-run outcomes, e.g. pilot_to_production_rate = 0.3). Free levers get "
            "uniform priors over their bounds in the lever table. Writes posterior.csv, "
            "summary.json, marginals.png, the posterior predictive check (check.csv, "
            "check.json, check.png) and calibrated.toml, a scenario for 'aiscale run' and "
            "'aiscale compare'. Running the same command again resumes after the last "
            "finished population.", 78),
        epilog="example:\n  aiscale calibrate --observed my_org.toml "
        "--free executive_sponsorship,change_management --budget 1500 --seed 1 "
        "--out out/my_org")
    p.add_argument("--observed", required=True, metavar="FILE",
                   help="TOML file with [levers] (known) and [observed] (outcomes)")
    p.add_argument("--free", required=True, metavar="LEVER[,LEVER...]",
                   help="the numeric levers to fit (see 'aiscale levers')")
    p.add_argument("--budget", required=True, type=int_arg(1), metavar="N",
                   help="most simulations in all, the calibration sample from the prior "
                   "included (pyABC's max_total_nr_simulations, held to the last simulation)")
    p.add_argument("--seed", type=int_arg(0), default=0, help="master seed (default 0)")
    p.add_argument("--out", default="out/calibrate", metavar="DIR",
                   help="output folder (default out/calibrate)")
    p.add_argument("--population", type=int_arg(10), default=POPULATION, metavar="N",
                   help=f"particles per population (default {POPULATION})")
    p.add_argument("--check-draws", type=int_arg(1), default=CHECK_DRAWS, metavar="N",
                   help="posterior draws simulated again for the predictive check "
                   f"(default {CHECK_DRAWS}; beyond the budget)")
    p.add_argument("--steps", type=int_arg(1, MAX_STEPS), default=None, metavar="W",
                   help=f"weeks after which the outcomes were observed (default {HORIZON_WEEKS})")
    p.add_argument("--executor", choices=EXECUTORS, default="processes",
                   help="where simulations run (default: processes, all cores)")
    p.add_argument("--workers", type=int_arg(1), default=None,
                   help="worker processes (default: every core)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler (implies --executor dask)")
    p.add_argument("--no-plot", action="store_true",
                   help="skip marginals.png and check.png")
    p.add_argument("--quiet", action="store_true", help="no progress, no summary")


def cmd_calibrate(args) -> int:
    """``aiscale calibrate``."""
    from aiscale_sim.calibration.abc import Calibration, run_calibration
    from aiscale_sim.calibration.observed import load_observed
    from aiscale_sim.labels import lever_label
    from aiscale_sim.simulate import HORIZON_WEEKS

    org = load_observed(args.observed)
    cal = Calibration(org, args.free, args.budget, seed=args.seed,
                      steps=args.steps or HORIZON_WEEKS, population=args.population,
                      check_draws=args.check_draws)
    result = run_calibration(cal, args.out, executor=args.executor, workers=args.workers,
                             scheduler=args.scheduler, progress=not args.quiet)
    if not args.no_plot:
        from aiscale_sim.calibration.plots import save_figures

        save_figures(result)
    if not args.quiet:
        s = result.summary
        print(f"{s['populations']} populations, {s['simulations']:,} of {s['budget']:,} "
              f"simulations; final threshold {s['epsilons'][-1]:.4g}")
        for name, post in s["posterior"].items():
            lo, hi = cal.priors[name]
            print(f"  {lever_label(name, unit=True)}: {post['mean']:.4g} "
                  f"(90% interval {post['low']:.4g} to {post['high']:.4g}; prior {lo:g} to "
                  f"{hi:g})")
        missed = [k for k, c in result.check.items() if not c["covered"]]
        if missed:
            print(f"aiscale: note: the observed {', '.join(missed)} lies outside 90% of what "
                  "the posterior simulates (see check.png)", file=sys.stderr)
        print(f"wrote {', '.join(p.name for p in result.written)} in {result.path}")
    return 0


#: Subcommand name -> handler(args) -> exit code.
COMMANDS: dict = {"calibrate": cmd_calibrate}
