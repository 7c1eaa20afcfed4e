"""Benchmark the dashboard: model step time, figure drawing, page build, layout, by company size.

Usage::

    python experiments/bench_dashboard.py                  # 500, 1,500 and 5,000 employees
    python experiments/bench_dashboard.py --sizes 1500 --weeks 52
    python experiments/bench_dashboard.py --quick          # one small size (for the tests)

For each size, in one process, all timed with ``time.perf_counter``:

* **model build**: ``DashboardModel(employees=n)`` (baseline scenario, seed 0);
* **ms per step**: the mean over ``--weeks`` weekly steps;
* **layout**: the radial tree layout of the org chart, computed (first call) and from its
  cache (second call), against networkx's spring layout on the same org chart (what Mesa's
  network drawing uses), timed once on companies of up to 1,500 employees;
* **figures**: each of the four figures drawn and encoded as PNG (what one frame costs the
  server), at the last week, with the baseline ghost;
* **page build**: ``solara.render(Page())`` with the company of that size, without a browser
  (model build, layout and the first drawing of every component).

A frame while playing is one redraw of the four figures plus ``weeks per frame`` steps, so the
figures, not the model, set the pace.
"""

from __future__ import annotations

import argparse
import io
import os
import time


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def bench(n: int, weeks: int, spring: bool) -> dict[str, float]:
    from aiscale_sim.dashboard import figures, layout
    from aiscale_sim.dashboard.model import DashboardModel, baseline_history

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    model = DashboardModel(employees=n)
    out["model build ms"] = _ms(t0)
    t0 = time.perf_counter()
    for _ in range(weeks):
        model.step()
    out["ms per step"] = _ms(t0) / weeks

    layout._CACHE.clear()
    t0 = time.perf_counter()
    layout.org_layout(model.org.manager)
    out["layout ms (first)"] = _ms(t0)
    t0 = time.perf_counter()
    layout.org_layout(model.org.manager)
    out["layout ms (cached)"] = _ms(t0)
    if spring and n <= 1500:
        import networkx as nx

        t0 = time.perf_counter()
        nx.spring_layout(model.org.graph, seed=0)
        out["spring layout ms"] = _ms(t0)

    ghost = baseline_history(model.structure(), model.seed, model.horizon)
    total = 0.0
    for name in ("org_chart", "pilot_funnel", "adoption_curve", "value_and_cost"):
        draw = getattr(figures, name)
        t0 = time.perf_counter()
        fig = draw(model) if name == "org_chart" else draw(model, ghost)
        fig.savefig(io.BytesIO(), format="png")
        out[f"{name} ms"] = _ms(t0)
        total += out[f"{name} ms"]
    out["frame (4 figures) ms"] = total

    import solara

    from aiscale_sim.dashboard import app
    from aiscale_sim.dashboard.controls import ENV_VAR, DashboardSettings

    os.environ[ENV_VAR] = DashboardSettings(employees=n).to_env()
    layout._CACHE.clear()
    t0 = time.perf_counter()
    _box, rc = solara.render(app.Page(), handle_error=False)
    out["page build ms"] = _ms(t0)
    rc.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="500,1500,5000", help="employees, comma-separated")
    p.add_argument("--weeks", type=int, default=260, help="weekly steps to time")
    p.add_argument("--quick", action="store_true", help="one small size, 20 weeks")
    p.add_argument("--no-spring", action="store_true", help="skip the spring-layout timing")
    args = p.parse_args()
    sizes = [300] if args.quick else [int(s) for s in args.sizes.split(",")]
    weeks = 20 if args.quick else args.weeks
    rows = {n: bench(n, weeks, spring=not (args.no_spring or args.quick)) for n in sizes}
    keys = list(dict.fromkeys(k for r in rows.values() for k in r))
    width = max(len(k) for k in keys)
    print(f"{'employees':<{width}}" + "".join(f"{n:>12,}" for n in sizes))
    for k in keys:
        cells = "".join(f"{rows[n][k]:>12.1f}" if k in rows[n] else f"{'-':>12}"
                        for n in sizes)
        print(f"{k:<{width}}{cells}")
    for n in sizes:
        r = rows[n]
        if "spring layout ms" in r:
            print(f"{n:,} employees: the cached radial layout is "
                  f"{r['spring layout ms'] / max(r['layout ms (first)'], 1e-3):,.0f}x faster "
                  "than networkx's spring layout to compute")
        print(f"{n:,} employees: one frame draws in {r['frame (4 figures) ms']:.0f} ms, "
              f"{r['frame (4 figures) ms'] / r['ms per step']:,.0f} times one model step")


if __name__ == "__main__":
    main()
