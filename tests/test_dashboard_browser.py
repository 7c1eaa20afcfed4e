"""The dashboard in a real browser: ``aiscale dashboard`` served on loopback, driven by Chromium.

Starts the command as a user would, loads the page in Debian's headless Chromium through
playwright, presses Step a few times and then play, and checks that the org chart and the pilot
funnel are redrawn with the model's new state. A screenshot of the page is kept in
``tests/artifacts/`` (ignored by git). Without ``/usr/bin/chromium`` the browser test is
skipped, unless ``AISCALE_REQUIRE_BROWSER=1`` (as in CI), where a missing browser is a failure.
The same server is then stopped with Ctrl-C (SIGINT), which must end it cleanly.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def _require_browser():
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get("AISCALE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"AISCALE_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _aiscale() -> list[str]:
    script = Path(sys.executable).parent / "aiscale"
    return [str(script)] if script.exists() else [sys.executable, "-m", "aiscale_sim.cli"]


@pytest.fixture(scope="module")
def dashboard():
    """A running ``aiscale dashboard --no-browser`` on a free loopback port; its URL."""
    port = _free_loopback_port()
    proc = subprocess.Popen([*_aiscale(), "dashboard", "--no-browser", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    else:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the dashboard did not start listening on port {port}:\n{out}\n{err}")
    try:
        yield proc, f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.communicate()


def _src(page, css_class: str) -> str:
    return page.locator(f"img.{css_class}").get_attribute("src") or ""


def _week(page) -> int:
    text = page.locator(".aiscale-company").inner_text()
    return int(re.search(r"week (\d+) of", text).group(1))


def _headline(page, label: str) -> str:
    card = page.locator(".aiscale-headlines")
    return card.locator(f"text={label}").locator("xpath=..").inner_text()


def test_dashboard_steps_and_plays_in_a_real_browser(dashboard):
    _require_browser()
    from playwright.sync_api import sync_playwright

    proc, url = dashboard
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1450})
            t0 = time.monotonic()
            page.goto(url)
            page.wait_for_selector("img.aiscale-orgchart", timeout=30_000)
            page.wait_for_selector("img.aiscale-funnel", timeout=30_000)
            assert _week(page) == 0
            assert "1,500 employees" in page.locator(".aiscale-company").inner_text()
            org0, funnel0 = _src(page, "aiscale-orgchart"), _src(page, "aiscale-funnel")

            step = page.get_by_role("button", name="Step")
            for _ in range(3):
                before = _week(page)
                step.click()
                page.wait_for_function(
                    "w => /week (\\d+) of/.exec(document.querySelector('.aiscale-company')"
                    ".innerText)[1] > w", arg=before, timeout=20_000)
                assert _week(page) == before + 4, "one Step is one frame of 4 weeks"
            org_stepped = _src(page, "aiscale-orgchart")
            print(f"loaded and stepped 3 times in {time.monotonic() - t0:.1f} s")
            assert org_stepped != org0

            page.get_by_role("button", name="▶").click()
            page.wait_for_function(
                "() => /week (\\d+) of/.exec(document.querySelector('.aiscale-company')"
                ".innerText)[1] >= 20", timeout=30_000)
            pause = page.get_by_role("button", name="❚❚")
            if pause.is_enabled():  # still playing (it stops by itself at the horizon)
                pause.click()
            page.wait_for_timeout(500)
            week = _week(page)
            print(f"played to week {week} in {time.monotonic() - t0:.1f} s")
            assert week >= 20
            org1, funnel1 = _src(page, "aiscale-orgchart"), _src(page, "aiscale-funnel")
            assert org1 not in (org0, org_stepped), "the org chart was not redrawn by play"
            assert funnel1 != funnel0, "the pilot funnel was not redrawn"
            launched = _headline(page, "Pilots launched")
            assert int(launched.split()[-1].replace(",", "")) > 0, launched

            page.locator(".aiscale-compare input").check(force=True)  # Vuetify's ripple covers it
            page.wait_for_selector("text=/^baseline /", timeout=20_000)
            page.wait_for_timeout(500)
            shot = ARTIFACTS / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()


def test_ctrl_c_stops_the_dashboard_cleanly(dashboard):
    proc, url = dashboard
    assert proc.poll() is None, "the dashboard stopped by itself"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode in (0, 130), err
    assert "Traceback" not in err, err
    assert f"serving {url}" in out
