"""The ``aiscale`` experiment subcommands: ``sweep`` and ``compare``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aiscale_sim.cli_args import add_set_option, int_arg

EXIT_FAILED_RUNS = 1
EXECUTORS = ("serial", "processes", "dask")


def _common(p: argparse.ArgumentParser) -> None:
    from aiscale_sim.simulate import MAX_STEPS

    p.add_argument("--executor", choices=EXECUTORS, default="processes",
                   help="where runs execute (default: processes, all cores)")
    p.add_argument("--workers", type=int_arg(1), default=None,
                   help="worker processes (default: every core)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(implies --executor dask)")
    p.add_argument("--steps", type=int_arg(1, MAX_STEPS), default=None,
                   help="weeks per run")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def register(subparsers) -> None:
    """Add this module's subcommands to the ``aiscale`` parser."""
    sw = subparsers.add_parser(
        "sweep", help="run a grid of lever values from an experiment TOML file",
        description="Run (or resume) the lever grid an experiment file describes; write the "
        "experiment folder and one plot per outcome against each swept lever.")
    sw.add_argument("experiment", help="experiment TOML file")
    sw.add_argument("--out", default=None, help="experiment folder (default out/<name>)")
    add_set_option(sw)
    sw.add_argument("--seeds", type=int_arg(1), default=None,
                    help="seeds per grid point (default: the file's 'seeds')")
    _common(sw)

    cp = subparsers.add_parser(
        "compare", help="compare strategies with common random numbers; write report.html",
        description="Run (or resume) every strategy on the same seeds and write "
        "comparison.csv, plots and a self-contained report.html that recommends one. Name at "
        "least two strategies; the first is the reference for paired differences. --set "
        "changes a lever in every strategy (a budget's spend levers are recomputed for a new "
        "organisation size).")
    cp.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                    help="two or more shipped scenario names or TOML files")
    cp.add_argument("--seeds", type=int_arg(1), default=10, help="seeds per strategy "
                    "(default 10)")
    cp.add_argument("--seed", type=int_arg(0), default=0, help="master seed (default 0)")
    cp.add_argument("--out", default="out/compare", help="experiment folder "
                    "(default out/compare)")
    add_set_option(cp)
    _common(cp)


def _executor(args) -> str:
    return "dask" if args.scheduler else args.executor


def _report_failures(exp) -> int:
    f = exp.failures
    nan = exp.manifest.get("counts", {}).get("nan", 0)
    if nan:
        print(f"aiscale: warning: {nan} runs have NaN outcomes (see nan_outcomes in "
              "summaries.parquet)", file=sys.stderr)
    if f.empty:
        return 0
    print(f"aiscale: {len(f)} of {exp.manifest['counts']['total']} runs failed "
          f"(details in {exp.path / 'failures.json'}; run the same command to retry them):",
          file=sys.stderr)
    for _, r in f.head(20).iterrows():
        print(f"  run {r['run_id']} ({r['scenario']}, seed {r['seed']}): {r['error']}",
              file=sys.stderr)
    if len(f) > 20:
        print(f"  ... and {len(f) - 20} more", file=sys.stderr)
    return EXIT_FAILED_RUNS


def cmd_sweep(args) -> int:
    """``aiscale sweep``."""
    from aiscale_sim.sweep import run_sweep

    exp, written = run_sweep(args.experiment, args.out, steps=args.steps,
                             overrides=dict(args.overrides), seeds=args.seeds,
                             executor=_executor(args), workers=args.workers,
                             scheduler=args.scheduler, progress=not args.quiet)
    if not args.quiet:
        c = exp.manifest["counts"]
        print(f"{c['done']} of {c['total']} runs done; experiment folder {exp.path}")
        print(f"wrote summaries.parquet, timeseries.parquet and {len(written)} plots")
    return _report_failures(exp)


def cmd_compare(args) -> int:
    """``aiscale compare``: run the comparison, then write its report (a face of its own)."""
    from aiscale_sim.compare import recommend, run_compare
    from aiscale_sim.report import write_report

    exp, table = run_compare(args.scenarios, Path(args.out), n_seeds=args.seeds,
                             master_seed=args.seed, steps=args.steps,
                             executor=_executor(args), workers=args.workers,
                             scheduler=args.scheduler, progress=not args.quiet,
                             overrides=dict(args.overrides))
    names = exp.manifest["metadata"]["strategies"]
    report = write_report(exp, table, names)
    if not args.quiet:
        rec = recommend(exp.summaries, names)
        print(rec["sentence"])
        print(rec["tradeoff"])
        print(f"\nwrote {exp.path / 'comparison.csv'} and {report}")
    return _report_failures(exp)


#: Subcommand name -> handler(args) -> exit code.
COMMANDS: dict = {"sweep": cmd_sweep, "compare": cmd_compare}
