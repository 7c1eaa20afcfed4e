"""The ``aiscale`` decision subcommands: ``optimise`` and ``discover``.

``optimise`` searches the best split of a budget; ``discover`` finds the worlds in which a
strategy fails to pay back.
"""

from __future__ import annotations

import argparse
import math

from aiscale_sim.cli_args import add_set_option, choice_arg, choices_metavar, int_arg

EXECUTORS = ("serial", "processes", "dask")
OBJECTIVE_NAMES = ("value", "roi", "p10_value", "regret")


def _money(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of $M a year, got {text!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"the budget must be a positive number of $M a year, "
                                         f"got {text!r}")
    return v


def _names(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def _run_options(p: argparse.ArgumentParser) -> None:
    from aiscale_sim.simulate import MAX_STEPS

    p.add_argument("--steps", type=int_arg(1, MAX_STEPS), default=None, help="weeks per run "
                   "(default 260)")
    p.add_argument("--seed", type=int_arg(0), default=0, help="master seed (default 0)")
    p.add_argument("--executor", choices=EXECUTORS, default="processes",
                   help="where runs execute (default: processes, all cores)")
    p.add_argument("--workers", type=int_arg(1), default=None,
                   help="worker processes (default: every core)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def register(subparsers) -> None:
    """Add ``optimise`` and ``discover`` to the ``aiscale`` parser."""
    op = subparsers.add_parser(
        "optimise", help="search the best split of a budget (Optuna), judged on fresh seeds",
        description="Search the split of a yearly AI budget over training, change management, "
        "incentives, data, platform, AI headcount and operations (pilot compute, run costs, "
        "licences), and the policy levers that cost nothing, with Optuna's TPE sampler and "
        "common random numbers; every run is capped at the budget. Then run the best split and "
        "the shipped strategies on fresh seeds. Writes trials.csv, best.toml, convergence.png and "
        "report.md. The same command resumes after an interruption.")
    op.add_argument("--budget", type=_money, required=True, metavar="MUSD",
                    help="yearly AI budget in $M (every run's spending cap)")
    op.add_argument("--objective", type=choice_arg("objective", OBJECTIVE_NAMES),
                    default="value", metavar=choices_metavar(OBJECTIVE_NAMES),
                    help="what to optimise (default value: mean value realised)")
    op.add_argument("--trials", type=int_arg(1), default=40, help="trials (default 40)")
    op.add_argument("--seeds", type=int_arg(1), default=4, help="seeds per trial, the same for "
                    "every trial (default 4)")
    op.add_argument("--fresh-seeds", type=int_arg(2), default=10,
                    help="fresh seeds for judging the best split (default 10)")
    op.add_argument("--scenario", default="baseline",
                    help="base scenario for everything not searched (default baseline)")
    op.add_argument("--free", type=_names, default=None, metavar="LEVER,...",
                    help="cost-free policy levers to search besides the split (default "
                    "prioritisation,success_criteria_clarity,centralisation; '' for none)")
    op.add_argument("--phases", action="store_true",
                    help="also search a switch week (the first week of a quarter, at least 13 "
                    "weeks from either end; needs --steps of at least 27) and a second value "
                    "of each free lever from that week: two-phase strategies")
    add_set_option(op)
    op.add_argument("--out", default="out/optimise", help="output folder (default "
                    "out/optimise)")
    _run_options(op)


    dp = subparsers.add_parser(
        "discover", help="PRIM scenario discovery: in which worlds does a strategy fail to pay "
        "back?",
        description="Run a strategy in worlds sampled by Latin hypercube from ranges of the "
        "structure levers and calibratable constants (the package's default, or an "
        "experiment file's [uncertain] table), "
        "and ask PRIM (EMA Workbench) for the box of worlds in which it fails to pay back within "
        "the horizon. Writes worlds.csv, box.md (the box in words) and box.png.")
    dp.add_argument("strategy", metavar="STRATEGY", help="shipped scenario name or TOML file")
    dp.add_argument("--experiment", default=None, metavar="FILE",
                    help="experiment TOML file with an [uncertain] table of ranges")
    dp.add_argument("--worlds", type=int_arg(10), default=200,
                    help="worlds sampled (default 200)")
    dp.add_argument("--seeds", type=int_arg(1), default=1, help="seeds per world, the same in "
                    "every world (default 1)")
    dp.add_argument("--density", type=_share, default=0.8,
                    help="share of failing worlds the box must hold at least (default 0.8)")
    dp.add_argument("--against", type=_names, default=None, metavar="STRATEGY,...",
                    help="also run these strategies in the same worlds and write regret and "
                    "satisficing per strategy (robustness.csv)")
    add_set_option(dp)
    dp.add_argument("--out", default="out/discover", help="output folder (default "
                    "out/discover)")
    _run_options(dp)


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1], got {text!r}") from None
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1], got {text!r}")
    return v


def cmd_discover(args) -> int:
    """``aiscale discover``."""
    from aiscale_sim.optimise_report import write_discovery
    from aiscale_sim.robustness import discover, read_uncertain

    uncertain = read_uncertain(args.experiment) if args.experiment else None
    d = discover(args.strategy, args.out, uncertain=uncertain, n_worlds=args.worlds,
                 seeds=args.seeds, overrides=dict(args.overrides), master_seed=args.seed,
                 steps=args.steps, min_density=args.density, executor=args.executor,
                 workers=args.workers, progress=not args.quiet)
    png = write_discovery(d)
    table = None
    if args.against:
        from aiscale_sim.robustness import across_worlds

        table, _ = across_worlds([args.strategy, *args.against], d.out / "against",
                                 uncertain=uncertain, n_worlds=args.worlds, seeds=args.seeds,
                                 overrides=dict(args.overrides), master_seed=args.seed,
                                 steps=args.steps, executor=args.executor,
                                 workers=args.workers, progress=not args.quiet)
        _append_robustness(d.out / "box.md", table)
    if not args.quiet:
        print(d.words[0].upper() + d.words[1:] + ".")
        if table is not None:
            for _, r in table.iterrows():
                print(f"{r['strategy']}: regret in value mean ${r['regret_mean']:,.1f}M, 90th "
                      f"percentile ${r['regret_p90']:,.1f}M; best in {r['best_share']:.0%} of "
                      f"worlds; pays back in {r['pays_back_share']:.0%}")
        print(f"wrote {d.out / 'worlds.csv'}, {d.out / 'box.md'} and {png}")
    return 0


def _append_robustness(md, table) -> None:
    from aiscale_sim.files import write_text

    lines = ["", "## Regret and satisficing across the same worlds", "",
             "Regret: the value realised by the best strategy in a world less this strategy's "
             "(mean over seeds). Satisficing: the share of worlds in which it pays back "
             "within the horizon, and in which its ROI is at least 0.", "",
             "| strategy | worlds | mean value | mean regret | 90th-percentile regret | "
             "best in | pays back in | ROI >= 0 in |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    roi_col = next(c for c in table.columns if c.startswith("roi_at_least_"))
    for _, r in table.iterrows():
        lines.append(f"| {r['strategy']} | {int(r['worlds'])} | ${r['value_mean']:,.1f}M | "
                     f"${r['regret_mean']:,.1f}M | ${r['regret_p90']:,.1f}M | "
                     f"{r['best_share']:.0%} | {r['pays_back_share']:.0%} | "
                     f"{r[roi_col]:.0%} |")
    write_text(md, md.read_text() + "\n".join(lines) + "\n")


def cmd_optimise(args) -> int:
    """``aiscale optimise``."""
    from aiscale_sim.optimise import make_problem, optimise, write_best
    from aiscale_sim.optimise_report import write_outputs

    problem = make_problem(args.budget, args.objective, seeds=args.seeds,
                           fresh_seeds=args.fresh_seeds, overrides=dict(args.overrides),
                           scenario=args.scenario, free=args.free, master_seed=args.seed,
                           steps=args.steps, phases=args.phases)
    result = optimise(problem, args.out, n_trials=args.trials, executor=args.executor,
                      workers=args.workers, progress=not args.quiet)
    best = write_best(result)
    written = write_outputs(result)
    if not args.quiet:
        from aiscale_sim.optimise_report import SHARE_LABELS, _fmt_objective

        fl = result.flattery
        split = ", ".join(f"{SHARE_LABELS[k].lower()} {v:.0%}"
                          for k, v in result.best_split.items())
        print(f"best of {len(result.trials)} trials (trial {int(result.best['trial'])}): {split}")
        if problem.phases:
            from aiscale_sim.optimise import phase_words

            print("second phase: " + (phase_words(result.best_phases) if result.best_phases
                                      else "none (the levers hold for the whole run)"))
        print(f"objective {args.objective}: {_fmt_objective(args.objective, fl['in_sample'])} "
              f"on the {len(problem.seeds)} search seeds, "
              f"{_fmt_objective(args.objective, fl['fresh'])} on {len(problem.fresh_seeds)} "
              "fresh seeds")
        print(f"wrote {result.out / 'trials.csv'}, {best}, {written['convergence']} and "
              f"{written['report']}")
    return 0


#: Subcommand name -> handler(args) -> exit code.
COMMANDS: dict = {"optimise": cmd_optimise, "discover": cmd_discover}
