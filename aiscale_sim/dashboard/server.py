"""Serve the dashboard page with solara's server (starlette) on uvicorn, in this process.

The page's settings travel in the environment (:data:`controls.ENV_VAR`), which solara's app
reads when a browser connects. Solara's command-line runner is not used: it asks the package
index for a newer solara at start-up; here solara's telemetry is switched off too, and the
page's assets come from the installed packages. uvicorn stops on Ctrl-C (SIGINT) and raises
``KeyboardInterrupt`` afterwards, which the ``aiscale`` command turns into exit code 130.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import threading
import time
import warnings
import webbrowser

from aiscale_sim.dashboard.controls import ENV_VAR, DashboardSettings
from aiscale_sim.errors import UserInputError

APP = "aiscale_sim.dashboard.app"

#: Environment that solara reads when it is first imported: no telemetry, and the app to
#: serve. The page's scripts and styles come from the solara-assets package (in the ``viz``
#: extra), which solara's asset proxy serves from disk.
SOLARA_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_APP": APP,
}


def is_loopback(host: str) -> bool:
    """True if ``host`` names only this machine (127.0.0.0/8, ::1 or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """Refuse a port that something else already listens on, before solara starts.

    Raises:
        UserInputError: The address is in use or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise UserInputError(f"cannot listen on {host}:{port} ({e.strerror}); choose "
                                 "another --port, or stop what is using it") from None


def url_for(host: str, port: int) -> str:
    """The address a browser opens."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(settings: DashboardSettings, host: str = "127.0.0.1", port: int = 8765,
          open_browser: bool = True) -> None:
    """Serve the dashboard until Ctrl-C.

    Args:
        settings: What the page starts with.
        host: Interface to listen on (loopback unless asked otherwise).
        port: TCP port.
        open_browser: Open the page in the default browser once the server is up.

    Raises:
        KeyboardInterrupt: After a clean shutdown on Ctrl-C.
    """
    check_port(host, port)
    os.environ[ENV_VAR] = settings.to_env()
    for k, v in SOLARA_ENV.items():
        os.environ[k] = v
    import uvicorn

    # Solara warns on every page load that a cookie falls back to SameSite=Lax over plain
    # http, which is what a page on this machine wants.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https",
                            category=UserWarning)

    url = url_for(host, port)
    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port,
                            log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            print(f"aiscale dashboard: serving {url}  (Ctrl-C to stop)", flush=True)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
    if not server.started:  # uvicorn logged why (e.g. the port was taken meanwhile)
        sys.exit(1)
