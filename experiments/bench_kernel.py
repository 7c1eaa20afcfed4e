"""The compiled employee rule against the numpy rule, side by side in one process.

Usage: python experiments/bench_kernel.py [--repeats N] [--employees N] [--steps N] [--quick]

Runs the ``calibrate --facts`` panel (the baseline and the training pair, one seed) with the
employee rule compiled by Numba and with the numpy rule, alternating, ``--repeats`` times each
(new seeds every repeat, the same seeds for both rules), and prints:

* the mean wall time of a run with each rule, and their ratio;
* the time of one week's employee update alone (a 30-week-old enterprise, the same inputs and
  draws), with each rule;
* whether the two rules gave the same numbers (every output column of every run, exactly);
* what 20,000 runs would take on 2 worker processes at each rule's speed (runs / 2 x the mean
  run time; the calibration adds little, see ``bench_calibrate_facts.py``).

The machine may be shared: the load average before and after is printed, and only the ratio,
measured side by side, means much.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _panel(seed: int, steps: int, employees: int):
    from aiscale_sim.evidence.patterns import SCENARIOS
    from aiscale_sim.simulate import simulate

    out = []
    for name in ("baseline", "training_5h", "training_0h"):
        levers = {**SCENARIOS[name], "employees": employees}
        t0 = time.perf_counter()
        result = simulate("baseline", seed=seed, steps=steps, overrides=levers)
        out.append((time.perf_counter() - t0, result))
    return out


def _same(a, b) -> bool:
    if not a.timeseries.equals(b.timeseries) or a.outcomes != b.outcomes:
        return False
    return all(np.array_equal(a.model.emp[c], b.model.emp[c]) for c in a.model.emp)


def _week_update(compiled: bool, employees: int, repeats: int = 200) -> float:
    from aiscale_sim import employees as emp_mod
    from aiscale_sim.model import EnterpriseModel

    m = EnterpriseModel({"employees": employees}, rng=1)
    m.run_for(30)
    draws = np.random.default_rng(0).random(len(m.employees))
    args = (m.emp, m.org.influence, m.unit_inputs(), m.policy_inputs(), m.employee_params,
            draws)
    f = emp_mod._employee_step_compiled if compiled else emp_mod.employee_step_numpy
    f(*args)
    t0 = time.perf_counter()
    for _ in range(repeats):
        f(*args)
    return (time.perf_counter() - t0) / repeats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5, help="panels per rule (default 5)")
    ap.add_argument("--employees", type=int, default=5000, help="default 5,000")
    ap.add_argument("--steps", type=int, default=260, help="weeks (default 260)")
    ap.add_argument("--quick", action="store_true", help="a small case for the test suite")
    args = ap.parse_args()
    if args.quick:
        args.repeats, args.employees, args.steps = 1, 500, 20

    from aiscale_sim import kernel

    if not kernel.AVAILABLE:
        raise SystemExit(f"bench_kernel: the compiled rule is not available ({kernel.UNAVAILABLE})"
                         "; install the 'fast' extra (numba)")
    _panel(0, 5, args.employees)  # compile (or load the cache) and warm the imports
    load_before = os.getloadavg()
    times = {True: [], False: []}
    same = True
    for r in range(args.repeats):
        runs = {}
        for compiled in (True, False) if r % 2 == 0 else (False, True):
            kernel.AVAILABLE = compiled
            try:
                runs[compiled] = _panel(100 + r, args.steps, args.employees)
            finally:
                kernel.AVAILABLE = True
            times[compiled] += [t for t, _ in runs[compiled]]
        same &= all(_same(a, b) for (_, a), (_, b) in zip(runs[True], runs[False], strict=True))
    week = {c: _week_update(c, args.employees, 20 if args.quick else 200) for c in (True, False)}
    load_after = os.getloadavg()

    fast, slow = float(np.mean(times[True])), float(np.mean(times[False]))
    print(f"panel runs: {len(times[True])} per rule, {args.employees:,} employees, "
          f"{args.steps} weeks; load before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"{'rule':10s} {'run s':>8s} {'week update us':>15s} {'20,000 runs on 2 workers':>26s}")
    for name, c, t in (("compiled", True, fast), ("numpy", False, slow)):
        print(f"{name:10s} {t:8.3f} {week[c] * 1e6:15.0f} {20_000 * t / 2 / 60:22.1f} min")
    print(f"numpy / compiled: run {slow / fast:.2f}x, week update {week[False] / week[True]:.2f}x")
    print(f"same numbers from both rules: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
