"""Which operating model leads under which demand: federated, hybrid or CoE.

Sweeps demand for AI (business units x pilot launch rate, with 1,250 employees per unit, so AI
staff grow with the organisation) against the operating model (centralisation 0, 0.5 and 1) on
the baseline scenario, several seeds per cell with common random numbers (the i-th seed is the
same in every cell). The runs go through the experiment runner, so they run in parallel, resume
after an interruption and record seed, scenario and model version in the experiment folder.

    python experiments/operating_model_regimes.py              # full grid (27 cells x 20 seeds)
    python experiments/operating_model_regimes.py --quick      # a seconds-long smoke version

Writes into --out (default out/operating_model_regimes; out/operating_model_regimes_quick with
--quick): the experiment folder (manifest.json, summaries.parquet, ...), regimes.csv (mean and
standard error of each outcome per cell and operating model), leaders.csv (leader, runner-up,
margin and whether the lead is clear, per cell) and regimes.png (the map). Prints, per demand
cell, the leader on value and on time to production, and whether two stylized facts hold:
``centralised_vs_decentralised_production`` (at low demand the CoE gets at least as many pilots
into production as a federated model) and ``coe_bottleneck`` (at high demand the CoE's median
time to production exceeds the hybrid's); it also says whether the hybrid then delivers at
least as much value as the CoE.

A lead is clear when the leader beats every other operating model by more than two standard
errors of the paired (same-seed) difference. Margins are quoted +/- one standard error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from aiscale_sim.errors import UserInputError
from aiscale_sim.files import save_figure, write_csv
from aiscale_sim.regimes import (
    EMPLOYEES_PER_UNIT,
    LAUNCH_RATES,
    MASTER_SEED,
    QUICK,
    SEEDS,
    STEPS,
    UNITS,
    build_design,
    cell_table,
    leader_table,
    regimes_figure,
    summary_lines,
)
from aiscale_sim.runner import run_experiment


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None,
                    help="output folder (default out/operating_model_regimes, "
                         "or out/operating_model_regimes_quick with --quick)")
    ap.add_argument("--seeds", type=int, default=None, help=f"seeds per cell (default {SEEDS})")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--steps", type=int, default=None, help=f"weeks per run (default {STEPS})")
    ap.add_argument("--master-seed", type=int, default=MASTER_SEED,
                    help=f"master seed of the experiment (default {MASTER_SEED})")
    ap.add_argument("--quick", action="store_true",
                    help="a tiny grid on small organisations over one year, for tests")
    args = ap.parse_args(argv)
    if args.quick:
        units, rates, epu = QUICK["units"], QUICK["rates"], QUICK["employees_per_unit"]
        steps, seeds = QUICK["steps"], QUICK["seeds"]
        out = Path(args.out or "out/operating_model_regimes_quick")
    else:
        units, rates, epu, steps, seeds = UNITS, LAUNCH_RATES, EMPLOYEES_PER_UNIT, STEPS, SEEDS
        out = Path(args.out or "out/operating_model_regimes")
    steps = args.steps if args.steps is not None else steps
    seeds = args.seeds if args.seeds is not None else seeds

    t0 = time.perf_counter()
    try:
        design = build_design(units, rates, epu, seeds, args.master_seed)
        exp = run_experiment(design, out, steps=steps, workers=args.workers,
                             progress=not args.quick, weekly=["cumulative_value"],
                             metadata={"script": "experiments/operating_model_regimes.py",
                                       "quick": args.quick})
    except UserInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if len(exp.failures):
        print(f"error: {len(exp.failures)} runs failed; see {out / 'failures.json'}",
              file=sys.stderr)
        return 1
    df = exp.summaries
    write_csv(out / "regimes.csv", cell_table(df))
    leaders = leader_table(df)
    write_csv(out / "leaders.csv", leaders)
    fig = regimes_figure(leaders, seeds, steps, epu)
    save_figure(fig, out / "regimes.png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    print("\n".join(summary_lines(df, leaders, seeds, steps, epu)))
    print(f"{len(df)} runs in {time.perf_counter() - t0:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
