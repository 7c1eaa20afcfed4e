r"""The ``aiscale sensitivity`` subcommand: global sensitivity analysis with SALib.

Examples::

    aiscale sensitivity --method morris --n 10 --employees 2000 --steps 156
    aiscale sensitivity --method sobol --levers training_hours,change_management --n 256 \
        --replicates 2 --out out/sobol
    aiscale sensitivity --method sobol --function experiments/ishigami.py:ishigami \
        --problem experiments/ishigami_problem.toml --n 4096

The output folder is the runner's experiment folder (resumable) plus ``indices.csv``,
``indices.json``, ``convergence.csv``, ``time_indices.csv``, ``sample.csv`` and ``figures/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aiscale_sim.cli_args import choice_arg, choices_metavar, int_arg
from aiscale_sim.errors import UserInputError

_EPILOG = """\
methods: morris (--n = trajectories; runs = n (D+1) R), sobol (--n = N, a power of two;
runs = N (D+2) R, or N (2D+2) R with --second-order), rbd_fast and pawn (--n points, Latin
hypercube). D counts groups when the analysis file groups levers.

encodings: int levers are sampled as reals and rounded; choice levers are sampled as u in
[0, 1] and take choice floor(u k) (prioritisation: u < 0.5 launch_everything, else
value_feasibility); bool levers are u >= 0.5.

analysis file (TOML): optional select = ["lever", ...] and [levers.NAME] tables with low, high
(inside the lever table's bounds), dist = "unif" | "triang" (peak, a fraction of the range) |
"norm" (mean, sd; truncated to the bounds) | "lognorm" (mean, sd of the log; clipped), group.

outputs: pilot_to_production_rate (undefined when no pilot concluded: set to 0 with
--rate-undefined-zero, otherwise the output is skipped for morris/sobol), adoption_share,
time_to_50pct_adoption_weeks (censored at steps + 1 when 50% is never reached),
use_cases_in_production, cumulative_value, roi; plus adoption_share every --every weeks.

--function MODULE:CALLABLE (or FILE.py:CALLABLE) with --problem FILE.toml analyses any Python
function: [parameters.NAME] tables with low, high and optional dist; the function gets keyword
arguments named after the parameters (and seed= if it accepts one) and returns a number or a
dict of numbers.
"""


def register(subparsers) -> None:
    """Add ``sensitivity`` to the ``aiscale`` parser."""
    from aiscale_sim.runner import EXECUTORS
    from aiscale_sim.sensitivity.analysis import METHODS

    p = subparsers.add_parser(
        "sensitivity", help="global sensitivity analysis (Morris, Sobol', RBD-FAST, PAWN)",
        description="Which levers drive which outcomes? Samples the levers (or any function's "
        "arguments), runs every point R times, and computes indices with SALib, with "
        "confidence intervals, a convergence check, the share of seed noise and indices of the "
        "adoption curve over time.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EPILOG)
    # The method is checked by the harness (one message for the CLI and the library).
    p.add_argument("--method", required=True, metavar=choices_metavar(METHODS),
                   help="the sensitivity method")
    p.add_argument("--levers", default=None,
                   help="comma-separated levers to vary (default: every policy lever)")
    p.add_argument("--analysis", default=None, metavar="FILE",
                   help="analysis TOML: narrower bounds, distributions, groups")
    p.add_argument("--n", type=int_arg(1), required=True,
                   help="trajectories (morris), base sample N (sobol) or points")
    p.add_argument("--replicates", type=int_arg(1), default=1,
                   help="runs per sample point with common seeds (default 1)")
    p.add_argument("--steps", type=int_arg(1), default=156, help="weeks per run (default 156)")
    p.add_argument("--every", type=int_arg(1), default=13,
                   help="weeks between time-resolved indices (default 13)")
    p.add_argument("--seed", type=int_arg(0), default=0,
                   help="fixes the sample, the bootstrap and the run seeds (default 0)")
    p.add_argument("--scenario", default=None, help="base scenario (default baseline)")
    p.add_argument("--employees", type=int_arg(1), default=None, help="organisation size")
    p.add_argument("--executor", default="processes", type=choice_arg("executor", EXECUTORS),
                   metavar=choices_metavar(EXECUTORS),
                   help="where runs execute (default: processes, all cores)")
    p.add_argument("--workers", type=int_arg(1), default=None, help="worker processes")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address")
    p.add_argument("--out", default=None, help="output folder (default out/sensitivity-METHOD)")
    p.add_argument("--second-order", action="store_true", help="also Sobol' S2")
    p.add_argument("--rate-undefined-zero", action="store_true",
                   help="count a point where no pilot concluded as rate 0")
    p.add_argument("--ci-share", type=float, default=0.5,
                   help="warn when a CI half-width exceeds this share of its index (0.5)")
    p.add_argument("--function", default=None, metavar="MODULE:CALLABLE",
                   help="analyse a Python function instead of the model")
    p.add_argument("--problem", default=None, metavar="FILE",
                   help="problem TOML for --function ([parameters.NAME] low, high, dist)")
    p.add_argument("--no-plot", action="store_true", help="skip figures/")
    p.add_argument("--keep-timeseries", action="store_true",
                   help="store every weekly metric of every run (default: only the analysed "
                        "adoption curve; summaries.parquet always has every outcome)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_sensitivity(args) -> int:
    """``aiscale sensitivity``."""
    from aiscale_sim.sensitivity import sensitivity_analysis

    out = Path(args.out or f"out/sensitivity-{args.method}")
    if not 0 < args.ci_share:
        raise UserInputError(f"--ci-share must be positive, got {args.ci_share}")
    res = sensitivity_analysis(
        args.method, args.n, levers=args.levers, analysis=args.analysis,
        function=args.function, problem=args.problem, replicates=args.replicates,
        seed=args.seed, scenario=args.scenario,
        overrides={} if args.employees is None else {"employees": args.employees},
        steps=args.steps, every=args.every, executor=args.executor, workers=args.workers,
        scheduler=args.scheduler, out_dir=out, second_order=args.second_order,
        rate_undefined_zero=args.rate_undefined_zero, ci_share=args.ci_share,
        progress=not args.quiet, save=True, plots=not args.no_plot,
        keep_timeseries=args.keep_timeseries)
    print(res.ranking_text())
    print()
    print(f"{len(res.X) * res.replicates} runs; wrote {out}/ (indices.csv, indices.json, "
          f"convergence.csv{'' if args.no_plot else ', figures/'})")
    return 0


#: Subcommand name -> handler(args) -> exit code.
COMMANDS: dict = {"sensitivity": cmd_sensitivity}
