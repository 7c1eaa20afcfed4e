"""Do the shipped strategies keep their budgets? Spending by budget year, at several sizes.

For each strategy with a ``[budget]`` and each organisation size, runs the same seeds and prints
the budget, the mean yearly AI spending (cost less incident losses) over the horizon and its
deviation from the budget, the lowest and highest single budget year over all seeds, the year-1
mean (while the first pilots start) and the weeks the budget held pilots back.

    python experiments/budgets_kept.py                      # 2,000, 5,000 and 20,000 employees
    python experiments/budgets_kept.py --sizes 2000 --seeds 2 --steps 104
"""

from __future__ import annotations

import argparse

import numpy as np

from aiscale_sim import simulate

STRATEGIES = ("tech_first", "people_first_budget", "balanced")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 20000])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=260)
    ap.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    args = ap.parse_args(argv)
    print(f"{'strategy':20s} {'employees':>9s} {'budget':>7s} {'mean/yr':>8s} {'vs budget':>9s} "
          f"{'year 1':>7s} {'lowest':>7s} {'highest':>7s} {'bound wks':>9s}")
    for name in args.strategies:
        for n in args.sizes:
            years, bound, cap = [], [], None
            for seed in range(args.seeds):
                r = simulate(name, seed=seed, steps=args.steps, overrides={"employees": n})
                b = r.summary["budget"]
                cap = b["cap_musd_per_year"]
                years.append(b["spending_by_year_musd"])
                bound.append(b["weeks_budget_bound"])
            y = np.array(years)
            mean = y.mean()
            print(f"{name:20s} {n:9,d} {cap:7.2f} {mean:8.2f} {mean / cap - 1:+9.1%} "
                  f"{y[:, 0].mean():7.2f} {y.min():7.2f} {y.max():7.2f} "
                  f"{np.mean(bound):9.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
