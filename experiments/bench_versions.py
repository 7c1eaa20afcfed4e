"""Benchmark two versions of the model side by side: seconds per run on the same lever points.

Give it two source trees (for example the current checkout and an older commit checked out
with ``git worktree add /tmp/aiscale-old <commit>``). Each round runs every tree once, in a
fresh Python process that imports ``aiscale_sim`` from that tree, on the same runs: points of
the 12-lever Sobol' sample that ``bench_sensitivity.py`` uses, 2,000 employees, 156 weeks, seed
= point index. Rounds alternate, so a busy spell on a shared machine hits both trees alike; the
best round per tree and the ratio are printed.

    git worktree add /tmp/aiscale-old 3ef74ff
    python experiments/bench_versions.py /tmp/aiscale-old . --runs 30 --rounds 3

``--panel``: the runs are instead the panels of ``aiscale calibrate --facts`` (the baseline and
the training pair on one seed, seeds 1, 2, ...; ``--runs`` panels, each three runs), at the
baseline's 5,000 employees unless ``--employees`` is given, over ``--steps`` weeks (260 for the
calibration's own case); seconds per run are still per run.
"""

import argparse
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from aiscale_sim.levers import LEVERS_BY_NAME, POLICY_LEVERS
from aiscale_sim.sensitivity import lever_problem
from aiscale_sim.simulate import simulate
from SALib.sample import sobol
levers = [n for n in POLICY_LEVERS if LEVERS_BY_NAME[n].kind == "float"][:12]
problem = lever_problem(levers)
X = sobol.sample(problem.salib(), 8, calc_second_order=False, seed=1)
points = problem.decode(X)[: int(sys.argv[2])]
t = time.perf_counter()
for i, lv in enumerate(points):
    simulate({**lv, "employees": int(sys.argv[3])}, seed=i, steps=int(sys.argv[4]))
print((time.perf_counter() - t) / len(points))
"""

PANEL = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from aiscale_sim.simulate import simulate
runs, employees, steps = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pairs = [("baseline", {}), ("training_5h", {"training_hours": 5.0}),
         ("training_0h", {"training_hours": 0.0})]
extra = {} if employees <= 0 else {"employees": employees}
simulate("baseline", seed=0, steps=2)  # imports and compiled code loaded
t = time.perf_counter()
for seed in range(1, runs + 1):
    for _name, levers in pairs:
        simulate("baseline", seed=seed, steps=steps, overrides={**levers, **extra})
print((time.perf_counter() - t) / (3 * runs))
"""


def seconds_per_run(tree: Path, runs: int, employees: int, steps: int,
                    panel: bool = False) -> float:
    out = subprocess.run([sys.executable, "-c", PANEL if panel else CHILD, str(tree), str(runs),
                          str(employees), str(steps)], capture_output=True, text=True, cwd="/")
    if out.returncode != 0:
        raise SystemExit(f"{tree}: the run failed:\n{out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path, help="source tree of the reference version")
    ap.add_argument("new", type=Path, help="source tree of the version to compare")
    ap.add_argument("--runs", type=int, default=30, help="runs per tree per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--employees", type=int, default=None,
                    help="employees (default 2,000; with --panel the baseline's 5,000)")
    ap.add_argument("--steps", type=int, default=156)
    ap.add_argument("--panel", action="store_true",
                    help="time the calibrate --facts panel instead of the Sobol' points")
    args = ap.parse_args(argv)
    if args.employees is None:
        args.employees = 0 if args.panel else 2000
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    for name, tree in trees.items():
        if not (tree / "aiscale_sim" / "__init__.py").is_file():
            raise SystemExit(f"{name}: {tree} holds no aiscale_sim package")
    best = {k: float("inf") for k in trees}
    for r in range(args.rounds):
        for name, tree in trees.items():
            s = seconds_per_run(tree, args.runs, args.employees, args.steps, args.panel)
            best[name] = min(best[name], s)
            print(f"round {r + 1} {name:3s} {s:.4f} s/run  ({tree})")
    what = f"{args.runs} panels of 3 runs" if args.panel else f"{args.runs} runs"
    size = f"{args.employees} employees" if args.employees else "the baseline's employees"
    print(f"best: old {best['old']:.4f} s/run, new {best['new']:.4f} s/run; "
          f"new is {best['old'] / best['new']:.2f}x as fast "
          f"({what}, {size}, {args.steps} weeks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
