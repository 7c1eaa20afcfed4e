"""Throughput of the experiment runner against mesa.batch_run, worker scaling and overhead.

Usage: python experiments/bench_runner.py [--quick] [--seeds N]

Design: a 2,000-employee, 156-week organisation (quick: 300 employees, 52 weeks), training
hours x centralisation grid, several seeds. Prints runs/s of our runner (processes) and of
mesa.batch_run on the same model and design, the 1 -> 2 worker speed-up, and the runner's
overhead per run (serial runner vs bare simulate calls in a loop).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings

from aiscale_sim import simulate
from aiscale_sim.model import EnterpriseModel
from aiscale_sim.runner import design_from_grid, run_experiment


class BatchModel(EnterpriseModel):
    """EnterpriseModel taking lever values as keyword arguments, as batch_run expects."""

    def __init__(self, rng=None, **levers):
        super().__init__(levers, rng=rng)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds per grid point (4 grid points; default 4, quick 2)")
    args = ap.parse_args()
    org = ({"employees": 300, "business_units": 3} if args.quick
           else {"employees": 2000, "business_units": 6})
    steps = 52 if args.quick else 156
    seeds = args.seeds or (2 if args.quick else 4)
    grid = {"training_hours": [0.0, 20.0], "centralisation": [0.0, 1.0]}
    design = design_from_grid(org, grid, seeds, 1)
    n = len(design)
    tmp = tempfile.mkdtemp()
    try:
        def ours(executor, workers, tag):
            return timed(lambda: run_experiment(design, f"{tmp}/{tag}", steps=steps,
                                                executor=executor, workers=workers,
                                                progress=False))

        t_bare = timed(lambda: [simulate(r.levers, seed=r.seed, steps=steps) for r in design])
        t_serial = ours("serial", 1, "serial")
        t1 = ours("processes", 1, "p1")
        t2 = ours("processes", 2, "p2")

        import mesa

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="mesa")
            warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")
            t_batch = timed(lambda: mesa.batch_run(
                BatchModel, parameters={**org, **grid}, number_processes=2,
                rng=[r.seed for r in design[:seeds]], max_steps=steps - 1,
                data_collection_period=-1, display_progress=False))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"design: {n} runs, {org['employees']:,} employees, {steps} weeks")
    print(f"bare simulate loop:          {n / t_bare:6.2f} runs/s ({t_bare:.1f} s)")
    print(f"runner serial:               {n / t_serial:6.2f} runs/s ({t_serial:.1f} s)")
    print(f"runner processes, 1 worker:  {n / t1:6.2f} runs/s ({t1:.1f} s)")
    print(f"runner processes, 2 workers: {n / t2:6.2f} runs/s ({t2:.1f} s)")
    print(f"mesa.batch_run, 2 processes: {n / t_batch:6.2f} runs/s ({t_batch:.1f} s)")
    print(f"runner / batch_run throughput (2 workers each): {t_batch / t2:.2f}x")
    print(f"speed-up 1 -> 2 workers: {t1 / t2:.2f}x")
    over = (t_serial - t_bare) / n
    print(f"runner overhead per run: {over * 1000:+.1f} ms ({over / (t_bare / n):+.1%} of a run)")


if __name__ == "__main__":
    main()
