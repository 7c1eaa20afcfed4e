"""Calibration of the model against the stylized facts (pattern-oriented modelling).

A thin script over ``aiscale validate`` (:mod:`aiscale_sim.evidence`): it runs the scenarios
the patterns read (the baseline and pairs of scenarios, seeds 0..N-1 each) through the
experiment runner and prints the markdown table of docs/ODD.md, section "Calibration against
stylized facts": every fact's target, the simulated mean and 90% interval and the verdict
(the sources are in the ODD's references; ``aiscale validate --format markdown`` gives them
in each row).
The pattern functions, the facts and the verdicts live in the package; this script only picks
the output (markdown, plus the dashboard figure where asked).

Usage::

    python experiments/calibration.py                              # 16 seeds, 260 weeks
    python experiments/calibration.py --figure docs/patterns.png   # also the ODD's figure
    python experiments/calibration.py --seeds 2 --steps 60         # a quick smoke run

The same table comes from ``aiscale validate --format markdown``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from aiscale_sim.errors import UserInputError
from aiscale_sim.evidence.plots import save_validation
from aiscale_sim.evidence.validate import (
    DASHBOARD_PNG,
    DEFAULT_SEEDS,
    format_markdown,
    run_validation,
)
from aiscale_sim.files import write_bytes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS,
                    help=f"seeds 0..N-1 per scenario (default {DEFAULT_SEEDS})")
    ap.add_argument("--steps", type=int, default=None, help="weeks per run (default 260)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: all)")
    ap.add_argument("--out", default="out/calibration",
                    help="output folder: runs, validation.json (and patterns.png with "
                    "--figure; default out/calibration)")
    ap.add_argument("--figure", default=None, metavar="PNG",
                    help="draw the dashboard and copy it there (docs/patterns.png for the ODD)")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error("--seeds must be at least 1")

    t0 = time.perf_counter()
    try:
        v = run_validation(args.out, seeds=args.seeds, steps=args.steps, workers=args.workers,
                           progress=sys.stderr.isatty())
    except UserInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    written = save_validation(v, args.out, plot=bool(args.figure))
    if args.figure:
        write_bytes(args.figure, (Path(args.out) / DASHBOARD_PNG).read_bytes())
        written.append(Path(args.figure))
    print(f"aiscale-sim {v.version}, seeds 0..{args.seeds - 1} in each of {len(v.scenarios)} "
          f"scenarios, {v.steps} weeks ({time.perf_counter() - t0:.1f} s)")
    print()
    print(format_markdown(v, sources=False, heading=False))
    print()
    print(format_markdown(v).splitlines()[-1])  # the tally
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
