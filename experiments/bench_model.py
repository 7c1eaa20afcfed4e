"""Benchmark the model: run time and memory by organisation size, and fast vs reference rule.

Usage::

    python experiments/bench_model.py                 # 1k, 10k, 100k employees, 260 weeks
    python experiments/bench_model.py --million       # + 1M employees (10 weeks, extrapolated)
    python experiments/bench_model.py --sizes 1000,10000 --steps 52
    python experiments/bench_model.py --quick         # tiny sizes, a few weeks (for the tests)

Each size runs in a fresh Python process (so peak memory of one size does not carry into the
next): the model is built with ``EnterpriseModel({"employees": n}, rng=1)`` (default levers
otherwise) and stepped with ``model.run_for(steps)``; construction and stepping are timed
separately with ``time.perf_counter``. Memory is the peak resident set size of that process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), which includes the interpreter and imported
libraries; the RSS after imports, before the model is built, is printed alongside.

Finally the vectorised employee update (``employees.employee_step``) is timed against the
per-agent reference in ``tests/reference.py`` on the same 10,000-employee org, same inputs and
same draws, and the speed-up is printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
HORIZON = 260

TARGETS = {
    10_000: {"seconds": 2.0},
    100_000: {"seconds": 30.0, "rss_mb": 2048.0},
}
TARGET_SPEEDUP = 100.0


def _rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 1024.0 / 1024.0


def worker(n: int, steps: int) -> None:
    """Build and run one model in this process; print one JSON line of measurements."""
    rss_imports = _rss_mb()
    from aiscale_sim import EnterpriseModel

    rss_imports = max(rss_imports, _rss_mb())
    t0 = time.perf_counter()
    model = EnterpriseModel({"employees": n}, rng=1)
    t1 = time.perf_counter()
    rss_built = _rss_mb()
    model.run_for(steps)
    t2 = time.perf_counter()
    rss_run = _rss_mb()
    model.grid  # noqa: B018 - the Mesa space and org chart, built on first use
    t3 = time.perf_counter()
    print(json.dumps({
        "employees": n, "steps": steps, "construct_s": t1 - t0, "step_s": t2 - t1,
        "space_s": t3 - t2, "rss_imports_mb": rss_imports, "rss_built_mb": rss_built,
        "rss_run_mb": rss_run, "rss_peak_mb": _rss_mb(), "adopted": model.n_adopted,
    }))


def measure(n: int, steps: int) -> dict:
    """Run :func:`worker` for ``n`` employees in a fresh subprocess and return its figures."""
    proc = subprocess.run([sys.executable, str(HERE), "--worker", str(n), "--steps", str(steps)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark of {n} employees failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def speedup(n: int, weeks: int, fast_calls: int, ref_calls: int) -> dict:
    """Time the fast employee update against the per-agent reference on one org."""
    import numpy as np

    sys.path.insert(0, str(REPO / "tests"))
    from reference import reference_step

    from aiscale_sim import EnterpriseModel
    from aiscale_sim.employees import employee_step

    model = EnterpriseModel({"employees": n}, rng=1)
    if weeks:
        model.run_for(weeks)
    unit_in, policy, params = model.unit_inputs(), model.policy_inputs(), model.employee_params
    draws = np.random.default_rng(0).random(n)

    def fast():
        return employee_step(model.emp, model.org.influence, unit_in, policy, params, draws)

    def ref():
        return reference_step(model, unit_in, policy, params, draws)

    a, b = fast(), ref()  # warm-up, and a check that they agree
    agree = all(np.allclose(a[k], b[k], rtol=1e-9, atol=1e-12) for k in a if k != "stage")
    agree = agree and bool(np.array_equal(a["stage"], b["stage"]))
    t0 = time.perf_counter()
    for _ in range(fast_calls):
        fast()
    t_fast = (time.perf_counter() - t0) / fast_calls
    t0 = time.perf_counter()
    for _ in range(ref_calls):
        ref()
    t_ref = (time.perf_counter() - t0) / ref_calls
    return {"employees": n, "week": weeks, "fast_ms": t_fast * 1e3, "ref_ms": t_ref * 1e3,
            "ratio": t_ref / t_fast, "agree": agree, "fast_calls": fast_calls,
            "ref_calls": ref_calls}


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000",
                    help="comma-separated employee counts (default 1000,10000,100000)")
    ap.add_argument("--steps", type=int, default=HORIZON, help="weeks per run (default 260)")
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes and a few weeks (a smoke test, not a measurement)")
    ap.add_argument("--million", action="store_true",
                    help="also measure 1,000,000 employees (see --million-steps)")
    ap.add_argument("--million-steps", type=int, default=10,
                    help="weeks stepped at 1M employees, extrapolated to 260 (default 10)")
    ap.add_argument("--ratio-size", type=int, default=10_000,
                    help="org size for the fast vs reference comparison (default 10000)")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker is not None:
        worker(args.worker, args.steps)
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    steps, ratio_size, fast_calls, ref_calls = args.steps, args.ratio_size, 20, 3
    if args.quick:
        sizes, steps, ratio_size, fast_calls, ref_calls = [300, 1000], 5, 300, 5, 1

    print(f"aiscale-sim benchmark: EnterpriseModel({{'employees': n}}, rng=1), default levers, "
          f"python {sys.version.split()[0]}")
    print("peak RSS = resource.getrusage(RUSAGE_SELF).ru_maxrss of a fresh process per size "
          "(includes interpreter and imports; 'imports' is the RSS before the model is built)")
    print("space s = building the Mesa space and networkx org chart, which a run does not need "
          "and builds only on first use (model.grid); it is timed after the run and is not in "
          "run s, but peak RSS includes it")
    print()
    rows = [measure(n, steps) for n in sizes]
    if args.million:
        rows.append(measure(1_000_000, args.million_steps))

    head = (f"{'employees':>10} {'weeks':>6} {'build s':>9} {'step s':>9} {'run s':>9} "
            f"{'ms/step':>9} {'run s@260':>10} {'space s':>8} {'imports MB':>11} "
            f"{'peak RSS MB':>12}")
    print(head)
    print("-" * len(head))
    for r in rows:
        per_step = r["step_s"] / r["steps"]
        r["run_s"] = r["construct_s"] + r["step_s"]
        r["run_260_s"] = r["construct_s"] + per_step * HORIZON
        print(f"{r['employees']:>10,} {r['steps']:>6} {r['construct_s']:>9.2f} "
              f"{r['step_s']:>9.2f} {r['run_s']:>9.2f} {per_step * 1e3:>9.2f} "
              f"{r['run_260_s']:>10.2f} {r['space_s']:>8.2f} {r['rss_imports_mb']:>11.0f} "
              f"{r['rss_peak_mb']:>12.0f}")
    if any(r["steps"] != HORIZON for r in rows):
        print("(run s@260 = build s + ms/step x 260 where fewer weeks were stepped)")
    print()

    sp = speedup(ratio_size, 30 if not args.quick else 3, fast_calls, ref_calls)
    print(f"employee update on {sp['employees']:,} employees (week {sp['week']}): "
          f"fast {sp['fast_ms']:.2f} ms (mean of {sp['fast_calls']}), "
          f"per-agent reference {sp['ref_ms']:.1f} ms (mean of {sp['ref_calls']}), "
          f"results agree: {'yes' if sp['agree'] else 'NO'}")
    print(f"fast/reference speed-up: {sp['ratio']:.1f}x")
    print()

    print("targets:")
    by_n = {r["employees"]: r for r in rows}
    for n, target in TARGETS.items():
        r = by_n.get(n)
        if r is None:
            print(f"  {n:>7,} employees: not measured in this run")
            continue
        t = r["run_260_s"]
        ok = t < target["seconds"]
        text = f"run {t:.2f} s < {target['seconds']:.0f} s"
        if "rss_mb" in target:
            ok_mem = r["rss_peak_mb"] < target["rss_mb"]
            ok = ok and ok_mem
            text += f", peak RSS {r['rss_peak_mb']:.0f} MB < {target['rss_mb'] / 1024:.0f} GB"
        print(f"  {n:>7,} employees: {text}: {_verdict(ok)}")
    print(f"  fast path >= {TARGET_SPEEDUP:.0f}x the reference "
          f"(on {sp['employees']:,} employees): {sp['ratio']:.1f}x: "
          f"{_verdict(sp['ratio'] >= TARGET_SPEEDUP and sp['agree'])}")
    if args.quick:
        print("  (--quick: tiny sizes, figures are not comparable with the targets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
