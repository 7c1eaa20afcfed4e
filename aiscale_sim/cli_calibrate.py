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
    from aiscale_sim.calibration.facts import CHECK_SEEDS as FACTS_CHECK_SEEDS
    from aiscale_sim.calibration.facts import POPULATION as FACTS_POPULATION
    from aiscale_sim.simulate import HORIZON_WEEKS, MAX_STEPS

    p = subparsers.add_parser(
        "calibrate", help="fit levers to an organisation, or the model's constants to the "
        "stylized facts (ABC-SMC)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Fit the free levers to what an organisation has observed, by ABC-SMC (pyABC). "
            "The observed file has a [levers] table (what is known) and an [observed] table "
            "(end-of-run outcomes, e.g. pilot_to_production_rate = 0.3). Free levers get "
            "uniform priors over their bounds in the lever table. Writes posterior.csv, "
            "summary.json, marginals.png, the posterior predictive check (check.csv, "
            "check.json, check.png) and calibrated.toml, a scenario for 'aiscale run' and "
            "'aiscale compare'. Running the same command again resumes after the last "
            "finished population. With --facts instead, fit the model's calibratable "
            "constants to the stylized facts, through the patterns of 'aiscale validate'; "
            "it writes posterior.csv, summary.json, marginals.png, constants.toml and a check "
            "of every pattern with the shipped and the calibrated constants (check.csv, "
            "check.json, check.png).", 78),
        epilog="examples:\n  aiscale calibrate --observed my_org.toml "
        "--free executive_sponsorship,change_management --budget 1500 --seed 1 "
        "--out out/my_org\n  aiscale calibrate --facts --budget 20000 --seed 1 "
        "--out out/facts")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--observed", metavar="FILE",
                      help="TOML file with [levers] (known) and [observed] (outcomes)")
    mode.add_argument("--facts", action="store_true",
                      help="fit the model's constants to the stylized facts instead")
    p.add_argument("--free", default=None, metavar="NAME[,NAME...]",
                   help="with --observed: the numeric levers to fit (required; see 'aiscale "
                   "levers'); with --facts: the constants to fit (default: all but the Bass "
                   "coefficients; see docs/ODD.md, section 7)")
    p.add_argument("--budget", required=True, type=int_arg(1), metavar="N",
                   help="most simulations (model runs) in all, the calibration sample from "
                   "the prior included, held to the last simulation; with --facts a particle "
                   "costs one run per scenario it reads")
    p.add_argument("--seed", type=int_arg(0), default=0, help="master seed (default 0)")
    p.add_argument("--out", default="out/calibrate", metavar="DIR",
                   help="output folder (default out/calibrate)")
    p.add_argument("--population", type=int_arg(10), default=None, metavar="N",
                   help=f"particles per population (default {POPULATION}; {FACTS_POPULATION} "
                   "with --facts)")
    p.add_argument("--check-seeds", type=int_arg(1), default=FACTS_CHECK_SEEDS, metavar="N",
                   help="with --facts: seeds per scenario of the check's two validations "
                   f"(default {FACTS_CHECK_SEEDS}; beyond the budget)")
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
    if args.facts:
        return _facts(args)
    if not args.free:
        from aiscale_sim.errors import UserInputError

        raise UserInputError("--observed needs --free LEVER[,LEVER...]: the levers to fit")
    from aiscale_sim.calibration.abc import POPULATION, Calibration, run_calibration
    from aiscale_sim.calibration.observed import load_observed
    from aiscale_sim.labels import lever_label
    from aiscale_sim.simulate import HORIZON_WEEKS

    org = load_observed(args.observed)
    cal = Calibration(org, args.free, args.budget, seed=args.seed,
                      steps=args.steps or HORIZON_WEEKS,
                      population=args.population or POPULATION,
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


def _facts(args) -> int:
    """``aiscale calibrate --facts``: the model's constants fitted to the stylized facts."""
    from aiscale_sim.calibration.facts import (
        DEFAULT_FREE,
        POPULATION,
        FactsCalibration,
        format_check,
        run_facts_calibration,
    )
    from aiscale_sim.simulate import HORIZON_WEEKS

    free = tuple(n.strip() for n in args.free.split(",")) if args.free else DEFAULT_FREE
    cal = FactsCalibration(free, args.budget, seed=args.seed,
                           steps=args.steps or HORIZON_WEEKS,
                           population=args.population or POPULATION,
                           check_seeds=args.check_seeds)
    result = run_facts_calibration(cal, args.out, executor=args.executor,
                                   workers=args.workers, scheduler=args.scheduler,
                                   progress=not args.quiet)
    if not args.no_plot:
        from aiscale_sim.calibration.plots import save_facts_figures

        save_facts_figures(result)
    if not args.quiet:
        s = result.summary
        print(f"{s['populations']} populations, {s['simulations']:,} of {s['budget']:,} "
              f"simulations ({s['particles']:,} particles of {s['simulations_per_particle']} "
              f"runs); final threshold {s['epsilons'][-1]:.4g}")
        for name, post in s["posterior"].items():
            print(f"  {name}: {post['mean']:.4g} (90% interval {post['low']:.4g} to "
                  f"{post['high']:.4g}; shipped {post['shipped']:g} {post['unit']})")
        m = s["met"]
        print(f"patterns met: shipped {m['shipped']} of {m['patterns']}, calibrated "
              f"{m['calibrated']} (fitted {m['fitted_shipped']} -> {m['fitted_calibrated']} of "
              f"{m['fitted']}; held out {m['held_out_shipped']} -> "
              f"{m['held_out_calibrated']} of {m['patterns'] - m['fitted']})")
        print(format_check(result))
        print(f"wrote {', '.join(p.name for p in result.written)} in {result.path}")
    return 0


#: Subcommand name -> handler(args) -> exit code.
COMMANDS: dict = {"calibrate": cmd_calibrate}
