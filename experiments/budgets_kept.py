"""Do the shipped strategies keep their budgets? Spending by budget year, at several sizes.

For each strategy with a ``[budget]`` and each organisation size, runs the same seeds and prints
the budget, the mean yearly AI spending (cost less incident losses) over the horizon and its
deviation from the budget, the lowest and highest single budget year over all seeds, the year-1
mean (while the first pilots start) and the weeks the budget held pilots back. Then, for each
size, every budget year's highest and lowest spending over the strategies and seeds, against
the budget.

``--breakdown`` also prints, for every budget year that ends over the budget (after the first),
what it was spent on, by component, next to the year before: AI staff, the other spend levers
(training, change management, data, integration and platform, fixed by the budget's split),
adoption incentives, pilot compute, run costs, vendor licences (pilots and live) and exit costs
of retired bought use cases, with the weeks the budget held hiring back.

    python experiments/budgets_kept.py                      # 2,000, 5,000 and 20,000 employees
    python experiments/budgets_kept.py --sizes 2000 --seeds 2 --steps 104
    python experiments/budgets_kept.py --breakdown          # what the years over were spent on
"""

from __future__ import annotations

import argparse

import numpy as np

from aiscale_sim import portfolio, simulate
from aiscale_sim.model import EnterpriseModel
from aiscale_sim.pipeline import BUDGET_YEAR_WEEKS
from aiscale_sim.simulate import resolve, scenario_budget_cap
from aiscale_sim.states import Stage

STRATEGIES = ("tech_first", "people_first_budget", "balanced")

#: The components of a week's spending, in the order printed (see :func:`components`).
COMPONENTS = ("staff", "fixed levers", "incentives", "pilot compute", "run cost", "licences",
              "exits")


def components(model: EnterpriseModel) -> np.ndarray:
    """This week's spending by component, $M, as :func:`pipeline.weekly_cost` books it.

    Read after the week's step, when the model is in the state its cost was booked from.
    Licences (pilots and live) and exit costs together are :func:`portfolio.licence_cost`.
    """
    pp, lv = model.pipeline_params, model.levers
    n = lv["employees"]
    fixed = (lv["training_hours"] * n * pp.training_cost / 1e6 + lv["change_management"] * n / 1e6
             + (lv["data_investment"] + lv["integration_investment"]) * lv["business_units"]
             + lv["platform_investment"])
    licences = portfolio.licence_cost(model)
    now, exits = int(model.time), 0.0
    for uc in reversed(model.use_cases_in(Stage.RETIRED)):
        if uc.stage_week < now:
            break
        if uc.bought:
            exits += model.portfolio_params.switching_weeks * portfolio.licence_weekly(
                model, uc, True)
    return np.array([model.ai_headcount * pp.salary / 52.0, fixed / 52.0,
                     lv["adoption_incentive"] * model.n_adopted / 1e6 / 52.0,
                     pp.pilot_cost * model.count_stage(Stage.PILOT),
                     pp.run_cost * len(model.live_use_cases()), licences - exits, exits])


def breakdown(name: str, employees: int, seed: int, steps: int) -> tuple[np.ndarray, list[int]]:
    """Spending by week (rows) and component (:data:`COMPONENTS`), and hiring-held weeks a year.

    The same run as ``simulate(name, seed=seed, steps=steps, overrides={"employees": ...})``,
    stepped a week at a time to read each week's components.
    """
    sc = resolve(resolve(name), {"employees": employees})
    model = EnterpriseModel(sc.levers, rng=seed, phases=sc.phases,
                            budget_cap=scenario_budget_cap(sc))
    n_years = -(-steps // BUDGET_YEAR_WEEKS)
    out = np.zeros((steps, len(COMPONENTS)))
    held = [0] * n_years
    for week in range(steps):
        model.run_for(1)
        out[week] = components(model)
        held[week // BUDGET_YEAR_WEEKS] += model.counters.get("hiring_frozen_week") == int(
            model.time)
    return out, held


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 20000])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=260)
    ap.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    ap.add_argument("--breakdown", action="store_true",
                    help="print what every year over the budget was spent on")
    args = ap.parse_args(argv)
    print(f"{'strategy':20s} {'employees':>9s} {'budget':>7s} {'mean/yr':>8s} {'vs budget':>9s} "
          f"{'year 1':>7s} {'lowest':>7s} {'highest':>7s} {'bound wks':>9s}")
    by_size: dict[int, list[np.ndarray]] = {n: [] for n in args.sizes}
    over: list[tuple[str, int, int, int, float]] = []
    for name in args.strategies:
        for n in args.sizes:
            years, bound, cap = [], [], None
            for seed in range(args.seeds):
                r = simulate(name, seed=seed, steps=args.steps, overrides={"employees": n})
                b = r.summary["budget"]
                cap = b["cap_musd_per_year"]
                years.append(b["spending_by_year_musd"])
                bound.append(b["weeks_budget_bound"])
                for y, spent in enumerate(b["spending_by_year_musd"]):
                    if y > 0 and spent > cap:
                        over.append((name, n, seed, y, spent))
            y = np.array(years)
            by_size[n].append(y / cap - 1.0)
            mean = y.mean()
            print(f"{name:20s} {n:9,d} {cap:7.2f} {mean:8.2f} {mean / cap - 1:+9.1%} "
                  f"{y[:, 0].mean():7.2f} {y.min():7.2f} {y.max():7.2f} "
                  f"{np.mean(bound):9.0f}")
    print(f"\nEvery budget year against the budget, highest and lowest over "
          f"{', '.join(args.strategies)} and seeds 0-{args.seeds - 1}:")
    n_years = min(len(d[0][0]) for d in by_size.values() if d)
    print(f"{'employees':>9s} {'strategy':20s} "
          + " ".join(f"{f'year {i + 1}':>15s}" for i in range(n_years)) + f" {'years 2+':>15s}")
    for n, dev in by_size.items():
        rows = [*zip(args.strategies, dev, strict=True), ("all", np.concatenate(dev))]
        for name, d in rows:  # d: seeds x years
            cells = [f"{d[:, i].max():+6.1%}/{d[:, i].min():+6.1%}" for i in range(n_years)]
            later = d[:, 1:n_years]
            cells.append(f"{later.max():+6.1%}/{later.min():+6.1%}" if n_years > 1 else "")
            print(f"{n:9,d} {name:20s} " + " ".join(f"{c:>15s}" for c in cells))
    if args.breakdown:
        w = BUDGET_YEAR_WEEKS
        print(f"\nYears over the budget (after the first), {len(over)}: spending by component, "
              f"$M: the year before; the run rate of the year's first and last weeks (x 52); "
              f"what the year spent, and that less its first week's run rate x 52")
        for name, n, seed, y, spent in sorted(over, key=lambda o: -o[4]):
            weekly, held = breakdown(name, n, seed, args.steps)
            year = weekly[y * w:(y + 1) * w]
            before = weekly[(y - 1) * w:y * w].sum(axis=0)
            print(f"{name} {n:,} seed {seed} year {y + 1}: {spent:.2f} ({spent / 14 - 1:+.1%}; "
                  f"hiring held {held[y]} weeks)")
            print(f"    {'':14s} {'before':>6s} {'first':>6s} {'last':>6s} {'spent':>6s} "
                  f"{'-first':>6s}")
            for i, c in enumerate(COMPONENTS):
                first, last, total = year[0, i] * w, year[-1, i] * w, year[:, i].sum()
                print(f"    {c:14s} {before[i]:6.2f} {first:6.2f} {last:6.2f} {total:6.2f} "
                      f"{total - first:+6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
