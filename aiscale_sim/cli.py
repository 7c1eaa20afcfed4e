"""The ``aiscale`` command.

``aiscale run [SCENARIO]`` runs one scenario and writes its summary, time series and picture;
``aiscale levers`` prints the lever table; ``aiscale scenarios`` lists the shipped scenarios.
A user's mistake (bad scenario, unknown lever, value out of range) prints one clear line and
exits with code 2; nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from aiscale_sim.cli_args import EXIT_USAGE, AiscaleParser, add_set_option, int_arg
from aiscale_sim.errors import UserInputError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to render the CLI help in the docs)."""
    from aiscale_sim.levers import format_table
    from aiscale_sim.simulate import HORIZON_WEEKS, MAX_STEPS

    p = AiscaleParser(prog="aiscale", description="Simulate how AI spreads, or stalls, inside "
                      "an enterprise: pilots, pilot purgatory, production and employee adoption.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", parser_class=AiscaleParser)

    run = sub.add_parser(
        "run", help="run one scenario and write summary.json, timeseries.csv, overview.png",
        description="Run one scenario (default: baseline) and print a readable summary.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="levers (set with --set NAME=VALUE or in a scenario's [levers] table):\n"
        + format_table("table"))
    run.add_argument("scenario", nargs="?", default=None,
                     help="a shipped scenario name (see 'aiscale scenarios') or a TOML file")
    run.add_argument("--seed", type=int_arg(0), default=None,
                     help="master seed (default: fresh entropy, recorded in summary.json)")
    run.add_argument("--steps", type=int_arg(1, MAX_STEPS), default=None,
                     help=f"weeks to simulate (default {HORIZON_WEEKS})")
    run.add_argument("--out", default="out/run", help="output folder (default out/run)")
    add_set_option(run)
    run.add_argument("--constants", default=None, metavar="FILE",
                     help="a constants file ([constants] table, as 'aiscale calibrate --facts' "
                     "writes constants.toml): calibratable constants in place of the shipped "
                     "ones, recorded in summary.json")
    run.add_argument("--no-plot", action="store_true", help="skip overview.png")
    run.add_argument("--quiet", action="store_true", help="no progress bar, no summary")

    lev = sub.add_parser(
        "levers", help="print the lever table",
        description="Print every lever a scenario or --set can change: its name, kind, "
        "default, allowed range or choices, unit and meaning.")
    lev.add_argument("--format", default="table", choices=("table", "csv", "json", "markdown"),
                     help="table (default), csv, json or markdown")

    sub.add_parser(
        "scenarios", help="list the shipped scenarios and their stories",
        description="List the scenarios that ship with aiscale-sim, each with the story it "
        "tells; run one with 'aiscale run NAME'.")
    for module in _command_modules():
        module.register(sub)
    return p


def _command_modules():
    """Modules that add further subcommands: experiments, analyses, evidence, faces, decisions."""
    from aiscale_sim import (
        cli_calibrate,
        cli_dashboard,
        cli_experiments,
        cli_optimise,
        cli_sensitivity,
        cli_validate,
    )

    return (cli_experiments, cli_sensitivity, cli_validate, cli_calibrate, cli_dashboard,
            cli_optimise)


def _fmt_money(x: float) -> str:
    return f"${x:,.1f}M"


def format_summary(result) -> str:
    """A readable summary of one run."""
    s = result.summary
    o = s["outcomes"]
    rate = o["pilot_to_production_rate"]
    t50 = o["time_to_50pct_adoption_weeks"]
    t50 = t50 if t50 is None else f"week {t50}"
    payback = o["payback_week"]
    payback = "not reached" if payback is None else f"week {payback}"
    ttp = o["median_time_to_production_weeks"]
    lines = [
        f"scenario {s['scenario']}  seed {s['seed']}  {s['steps']} weeks  "
        f"aiscale-sim {s['version']}",
        "",
        "Pilots",
        f"  launched                 {o['pilots_launched']}",
        f"  reached production       {o['pilots_reached_production']}"
        f"   (pilot-to-production rate {'n/a' if rate is None else f'{rate:.0%}'}"
        " of concluded pilots)",
        f"  abandoned                {o['pilots_abandoned']}",
        f"  still being built        {o['pilots_active']}",
        f"  in purgatory now         {o['pilots_in_purgatory']}",
        f"  median time to production "
        f"{'n/a' if ttp is None else f'{ttp:.0f} weeks ({ttp / 4.35:.1f} months)'}",
        f"  median wait for a team   {_weeks(o['median_pilot_wait_weeks'])}"
        f"   (in the CoE's queue {_weeks(o['coe_median_wait_weeks'])})",
        f"  vanity pilots            {o['vanity_pilots']}",
        "",
        "Why pilots stalled           entered purgatory   abandoned   stuck now",
    ]
    for r in ("technical", "infrastructure", "commitment", "governance"):
        entered = o["purgatory_entries_by_reason"].get(r, "-")
        now = o["purgatory_by_reason"].get(r, "-")
        lines.append(f"  {r:<26} {entered!s:>8}   {o['abandoned_by_reason'][r]:>12}"
                     f"   {now!s:>9}")
    lines += ["", "By class and sourcing         launched    reached   rate"]
    for k, label in (("classic", "classic ML"), ("genai", "custom GenAI"),
                     ("assistant", "off-the-shelf assistants")):
        lines.append(f"  {label:<26} {o['pilots_launched_by_class'][k]:>8}   "
                     f"{o['pilots_reached_production_by_class'][k]:>8}   "
                     f"{_pct(o['pilot_to_production_by_class'][k]):>4}")
    sourcing = o["pilot_to_production_by_sourcing"]
    lines.append(f"  custom use cases: bought {_pct(sourcing['bought'])}, "
                 f"built {_pct(sourcing['built'])}")
    lines += [
        "",
        "Use cases",
        f"  in production            {o['use_cases_in_production']}"
        f"   (scaled to other units: {o['use_cases_scaled']}, retired: {o['use_cases_retired']})",
        f"  deepened in their unit   {o['use_cases_deepened']}",
        f"  incidents                {o['incidents']}"
        f"   (hallucinations {o['hallucination_incidents']}; cost "
        f"{_fmt_money(o['incident_cost'])})",
        "",
        "AI staff",
        f"  in post at the end       {o['ai_headcount']}"
        f"   (left {o['ai_staff_left']}, hired {o['ai_staff_hired']})",
        "",
        "Employees",
        f"  using AI regularly       {o['adoption_share']:.0%}"
        f"   (frontline {o['adoption_frontline']:.0%}, managers {o['adoption_managers']:.0%})",
        f"  time to 50% adoption     {'never within the horizon' if t50 is None else t50}",
        "",
        "Money",
        f"  value realised           {_fmt_money(o['cumulative_value'])}",
        f"  cost                     {_fmt_money(o['cumulative_cost'])}",
        f"  ROI                      {'n/a' if o['roi'] is None else f'{o['roi']:+.0%}'}"
        f"   (payback {payback})",
    ]
    return "\n".join(lines)


def _weeks(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0f} weeks"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def cmd_run(args) -> int:
    """``aiscale run``."""
    from aiscale_sim.plots import save_run
    from aiscale_sim.simulate import resolve, simulate

    overrides = dict(args.overrides)
    scenario = resolve(args.scenario, overrides)  # validates before anything is written
    constants = None
    if args.constants:
        from aiscale_sim.calibration.constants import load_constants

        constants = load_constants(args.constants)
    result = simulate(scenario, seed=args.seed, steps=args.steps, progress=not args.quiet,
                      constants=constants)
    written = save_run(result, Path(args.out), plot=not args.no_plot)
    if not args.quiet:
        print(format_summary(result))
        print()
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def cmd_levers(args) -> int:
    """``aiscale levers``."""
    from aiscale_sim.levers import format_table

    print(format_table(args.format))
    return 0


def cmd_scenarios(args) -> int:
    """``aiscale scenarios``."""
    from aiscale_sim.scenarios import available, load_scenario

    for name in available():
        sc = load_scenario(name)
        story = " ".join(sc.description.split())
        print(f"{name}\n    {story}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aiscale`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from aiscale_sim import __version__

        print(f"aiscale-sim {__version__}")
        return 0
    commands = {"run": cmd_run, "levers": cmd_levers, "scenarios": cmd_scenarios}
    for module in _command_modules():
        commands.update(module.COMMANDS)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return commands[args.command](args)
    except UserInputError as e:
        print(f"aiscale: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("aiscale: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `aiscale run | head`: the reader left, which is fine
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
