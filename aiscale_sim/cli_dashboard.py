"""The ``aiscale dashboard`` subcommand: serve the live dashboard in a browser."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from aiscale_sim.cli_args import int_arg

#: Packages the dashboard needs (the ``viz`` extra).
VIZ_PACKAGES = ("solara", "uvicorn", "starlette", "altair", "matplotlib")
EXIT_MISSING_EXTRA = 3


def register(subparsers) -> None:
    """Add ``dashboard`` to the ``aiscale`` parser."""
    from aiscale_sim.dashboard.controls import DEFAULT_EMPLOYEES, MAX_EMPLOYEES

    d = subparsers.add_parser(
        "dashboard", help="open the live dashboard (play, step, levers, org chart)",
        description="Serve a live Mesa dashboard of one enterprise: play or step it week by "
        "week, move any policy lever, compare with the baseline. It listens on 127.0.0.1 only "
        "unless --host says otherwise; Ctrl-C stops it.")
    d.add_argument("--scenario", default="baseline",
                   help="scenario to start with: a shipped name or a TOML file "
                   "(default baseline)")
    d.add_argument("--port", type=int_arg(1, 65535), default=8765,
                   help="TCP port (default 8765)")
    d.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                   help="interface to listen on (default 127.0.0.1, this machine only); "
                   "e.g. 0.0.0.0 lets other machines connect")
    d.add_argument("--no-browser", action="store_true",
                   help="do not open a browser, only print the address")
    d.add_argument("--employees", type=int_arg(100, MAX_EMPLOYEES), default=DEFAULT_EMPLOYEES,
                   help=f"size of the company drawn (default {DEFAULT_EMPLOYEES:,}; every "
                   "employee is a dot on the org chart)")
    d.add_argument("--seed", type=int_arg(0), default=0, help="seed of the run (default 0)")


def missing_viz_packages() -> list[str]:
    """The ``viz`` extra's packages that are not installed."""
    return [p for p in VIZ_PACKAGES if importlib.util.find_spec(p) is None]


def cmd_dashboard(args) -> int:
    """``aiscale dashboard``."""
    from aiscale_sim.dashboard.controls import DashboardSettings
    from aiscale_sim.dashboard.model import scenario_for
    from aiscale_sim.dashboard.server import is_loopback, serve

    missing = missing_viz_packages()
    if missing:
        print(f"aiscale: error: the dashboard needs the 'viz' extra ({', '.join(missing)} "
              "not installed); install it with: pip install 'aiscale-sim[viz]' "
              "(./aiscale.sh installs it)", file=sys.stderr)
        return EXIT_MISSING_EXTRA
    # Validates the scenario and the size together (e.g. too few employees for its units).
    scenario_for(args.scenario, {"employees": args.employees})
    if not is_loopback(args.host):
        print(f"aiscale dashboard: listening on {args.host}: other machines on the network "
              "can open and drive this page", file=sys.stderr)
    scenario = args.scenario
    if scenario.endswith(".toml") or Path(scenario).parent != Path("."):
        scenario = str(Path(scenario).resolve())  # the page may not share this folder
    settings = DashboardSettings(scenario=scenario, employees=args.employees,
                                 seed=args.seed)
    serve(settings, host=args.host, port=args.port, open_browser=not args.no_browser)
    return 0


#: Subcommand name -> handler(args) -> exit code.
COMMANDS: dict = {"dashboard": cmd_dashboard}
