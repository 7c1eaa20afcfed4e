"""Wall time of ``aiscale validate``: running the patterns' scenarios, evaluating, drawing.

Runs the validation into fresh folders at each setting (default: 16 seeds x 260 weeks, the
documented one, and a quick 4 seeds x 104 weeks) on the process pool and prints, side by side,
the runs, the wall time of running them, of evaluating the patterns (bootstrap intervals
included) and of drawing the dashboard, and runs per second. A second pass over the same folder
shows what a rerun costs (the runs are reused).

    python experiments/bench_validate.py --workers 2
    python experiments/bench_validate.py --quick     # one small setting, for a smoke run
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from aiscale_sim.evidence.plots import save_validation
from aiscale_sim.evidence.validate import run_validation

SETTINGS = ((16, 260), (4, 104))
QUICK = ((1, 26),)


def measure(out: Path, seeds: int, steps: int, workers: int | None) -> dict:
    """Seconds spent running, evaluating and drawing one validation into ``out``."""
    import aiscale_sim.evidence.validate as v

    timings = {}
    real = v.evaluate

    def timed_evaluate(*a, **k):
        t = time.perf_counter()
        res = real(*a, **k)
        timings["evaluate"] = time.perf_counter() - t
        return res

    v.evaluate = timed_evaluate
    try:
        t0 = time.perf_counter()
        val = run_validation(out, seeds=seeds, steps=steps, workers=workers, progress=False)
        total = time.perf_counter() - t0
    finally:
        v.evaluate = real
    t1 = time.perf_counter()
    save_validation(val, out)
    draw = time.perf_counter() - t1
    runs = seeds * len(val.scenarios)
    met = sum(r.verdict == "met" for r in val.rows)
    expressed = sum(r.pattern is not None for r in val.rows)
    return {"runs": runs, "run": total - timings["evaluate"], "evaluate": timings["evaluate"],
            "draw": draw, "met": f"{met}/{expressed}"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: all)")
    ap.add_argument("--quick", action="store_true", help="one small setting")
    args = ap.parse_args(argv)
    settings = QUICK if args.quick else SETTINGS
    print(f"{'seeds':>5} {'weeks':>5} {'runs':>5} {'pass':>6} {'run s':>7} {'evaluate s':>10} "
          f"{'draw s':>7} {'total s':>8} {'runs/s':>7} {'met':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for seeds, steps in settings:
            out = Path(tmp) / f"v{seeds}_{steps}"
            for label in ("fresh", "rerun"):
                m = measure(out, seeds, steps, args.workers)
                total = m["run"] + m["evaluate"] + m["draw"]
                print(f"{seeds:>5} {steps:>5} {m['runs']:>5} {label:>6} {m['run']:>7.1f} "
                      f"{m['evaluate']:>10.1f} {m['draw']:>7.1f} {total:>8.1f} "
                      f"{m['runs'] / m['run']:>7.2f} {m['met']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
