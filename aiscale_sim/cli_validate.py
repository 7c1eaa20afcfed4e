"""The ``aiscale validate`` subcommand: every stylized fact against the model.

``aiscale validate`` runs the scenarios the patterns read, prints one row per fact (id,
source, strength, target, simulated mean and 90% interval, verdict) and writes
``validation.json`` and the dashboard ``patterns.png`` into ``--out``. It exits 0 when every
moderate or strong fact the model expresses is met, 1 otherwise, 2 on bad input (with nothing
written). ``aiscale validate --bass P Q`` runs the adoption rule's Bass special case instead
and writes ``bass.json`` and ``bass.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aiscale_sim.cli_args import int_arg

EXIT_MISSED = 1
FORMATS = ("table", "json", "markdown")
BASS_JSON, BASS_PNG = "bass.json", "bass.png"


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def register(subparsers) -> None:
    """Add ``validate`` to the ``aiscale`` parser."""
    from aiscale_sim.evidence.validate import DEFAULT_SEEDS
    from aiscale_sim.simulate import MAX_STEPS

    v = subparsers.add_parser(
        "validate", help="check the model against every stylized fact; write patterns.png",
        description="Run what the stylized-fact patterns need (the baseline and pairs of "
        "scenarios on seeds 0..N-1) and print one row per fact: target, simulated mean and "
        "90% interval, and a verdict (met, missed or not expressed). Exit code 0 when every "
        "moderate or strong fact the model expresses is met, 1 otherwise. With --bass P Q, "
        "check the adoption rule's Bass special case instead.")
    v.add_argument("--seeds", type=int_arg(1), default=DEFAULT_SEEDS,
                   help=f"seeds per scenario, 0..N-1 (default {DEFAULT_SEEDS})")
    v.add_argument("--format", default="table", choices=FORMATS,
                   help="table (default), json (a list of rows) or markdown")
    v.add_argument("--out", default="out/validate",
                   help="output folder: validation.json, patterns.png and the runs "
                   "(default out/validate)")
    v.add_argument("--steps", type=int_arg(1, MAX_STEPS), default=None,
                   help="weeks per run (default 260; shorter runs leave some patterns "
                   "without a value)")
    v.add_argument("--constants", default=None, metavar="FILE",
                   help="a constants file ([constants] table, as 'aiscale calibrate --facts' "
                   "writes constants.toml): run with these calibratable constants in place "
                   "of the shipped ones")
    v.add_argument("--bass", nargs=2, type=_float, metavar=("P", "Q"), default=None,
                   help="run the Bass special case with yearly coefficients P (above 0, at "
                   "most 1) and Q (0 to 2); writes bass.json and bass.png")
    v.add_argument("--executor", choices=("serial", "processes", "dask"), default="processes",
                   help="where runs execute (default: processes, all cores)")
    v.add_argument("--workers", type=int_arg(1), default=None,
                   help="worker processes (default: every core)")
    v.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler (implies --executor dask)")
    v.add_argument("--no-plot", action="store_true", help="skip the figure")
    v.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_validate(args) -> int:
    """``aiscale validate``."""
    if args.bass is not None:
        return _bass(args)
    from aiscale_sim.evidence.plots import save_validation
    from aiscale_sim.evidence.validate import format_validation, run_validation

    constants = None
    if args.constants:
        from aiscale_sim.calibration.constants import load_constants

        constants = load_constants(args.constants)  # before anything is written
    out = Path(args.out)
    validation = run_validation(out, seeds=args.seeds, steps=args.steps, constants=constants,
                                executor="dask" if args.scheduler else args.executor,
                                workers=args.workers, scheduler=args.scheduler,
                                progress=not args.quiet)
    written = save_validation(validation, out, plot=not args.no_plot)
    print(format_validation(validation, args.format))
    if validation.failures:
        print(f"aiscale: warning: {validation.failures} runs failed and are left out (see "
              f"{Path(validation.experiment) / 'failures.json'})", file=sys.stderr)
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0 if validation.passed else EXIT_MISSED


def _bass(args) -> int:
    from aiscale_sim.evidence.bass import bass_check, check_coefficients
    from aiscale_sim.files import save_figure, write_text

    p, q = args.bass
    check_coefficients(p, q)  # before anything is written
    result = bass_check(p, q)
    summary = result.summary()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_text(out / BASS_JSON, json.dumps(summary, indent=2) + "\n")]
    if not args.no_plot:
        import matplotlib.pyplot as plt

        from aiscale_sim.evidence.plots import bass_figure

        fig = bass_figure(result)
        written.append(save_figure(fig, out / BASS_PNG, dpi=110))
        plt.close(fig)
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    else:
        print(f"Bass special case, p = {p:g}, q = {q:g} per year ({result.employees:,} "
              f"employees, {result.years} years, seed {result.seed}, aiscale-sim "
              f"{result.version})")
        print(f"  largest deviation from the discrete weekly recursion  "
              f"{result.max_abs_deviation_discrete:.4f}")
        print(f"  largest deviation from the continuous Bass curve      "
              f"{result.max_abs_deviation_continuous:.4f}")
    if not args.quiet:
        print("wrote " + ", ".join(str(w) for w in written), file=sys.stderr)
    return 0


#: Subcommand name -> handler(args) -> exit code.
COMMANDS: dict = {"validate": cmd_validate}
