"""The comparison report: a recommendation a leader reads, and a page that renders whole.

The render test opens report.html in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright) and checks that nothing is cut off and nothing overflows the window. It is skipped
when Chromium or Playwright is missing, unless ``AISCALE_REQUIRE_BROWSER=1``.
"""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from aiscale_sim.compare import recommend, robustness
from aiscale_sim.errors import UserInputError

CHROMIUM = os.environ.get("AISCALE_CHROMIUM", "/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run"]


def _runs(values: dict[str, list[float]], cost: float = 10.0) -> pd.DataFrame:
    """Summaries with the given net values per seed (value = cost + net value)."""
    rows = []
    for name, nets in values.items():
        for seed, net in enumerate(nets):
            rows.append({"scenario": name, "seed": seed, "cumulative_value": cost + net,
                         "cumulative_cost": cost, "roi": net / cost,
                         "adoption_share": 0.8 if name == "b" else 0.5})
    return pd.DataFrame(rows)


def test_regret_and_satisficing_per_seed():
    s = _runs({"a": [1, 2, 3, 4], "b": [3, 1, 3, -2], "c": [0, 0, 0, 0]})
    r = robustness(s, ["a", "b", "c"], target_roi=0.05).set_index("strategy")
    # best per seed: 3, 2, 3, 4 -> regrets a: 2,0,0,0; b: 0,1,0,6; c: 3,2,3,4
    assert r.loc["a", "regret_mean"] == pytest.approx(0.5)
    assert r.loc["b", "regret_mean"] == pytest.approx(1.75)
    assert r.loc["c", "regret_p90"] == pytest.approx(pd.Series([3, 2, 3, 4]).quantile(0.9))
    assert r.loc["a", "target_share"] == 1.0  # ROI 0.1, 0.2, 0.3, 0.4: all at least 0.05
    assert r.loc["b", "target_share"] == pytest.approx(0.75)  # ROI 0.3, 0.1, 0.3, -0.2
    assert r.loc["c", "target_share"] == 0.0 and (r["n"] == 4).all()


def test_recommendation_names_one_strategy_how_sure_and_the_trade_off():
    s = _runs({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "b": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9.5]})
    rec = recommend(s, ["b", "a"])
    assert rec["best"] == "a" and rec["runner_up"] == "b"
    assert (rec["wins"], rec["ties"], rec["losses"], rec["n"]) == (10, 0, 0, 10)
    assert rec["confidence"] == "clear" and rec["p_value"] == pytest.approx(2 / 1024)
    assert rec["sentence"].startswith("Choose a: over 10 shared seeds it leaves the most")
    assert "beats b on 10 of 10 seeds" in rec["sentence"]
    assert ("b does better on employees using AI regularly, higher at 80% against 50% for a"
            in rec["tradeoff"])
    few = recommend(s[s["seed"] < 3], ["a", "b"])
    assert few["confidence"] == "too few" and "run at least 5 seeds" in few["sentence"]
    mixed = recommend(_runs({"a": [1, -1, 1, -1, 1, -1], "b": [0] * 6}), ["a", "b"])
    assert mixed["confidence"] == "uncertain"
    losing = recommend(_runs({"a": [-1] * 5, "b": [-2] * 5}), ["a", "b"])
    assert "no strategy earns back its cost on average, and it loses the least" in (
        losing["sentence"])
    with pytest.raises(UserInputError, match="at least two"):
        recommend(s[s["scenario"] == "a"], ["a"])


def test_run_compare_refuses_one_strategy_before_writing(tmp_path):
    from aiscale_sim.compare import run_compare

    with pytest.raises(UserInputError, match="one strategy alone is no comparison"):
        run_compare(["balanced"], tmp_path / "x", n_seeds=2, steps=5, executor="serial",
                    progress=False)
    assert not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from aiscale_sim.cli import main

    out = tmp_path_factory.mktemp("report") / "cmp"
    assert main(["compare", "tech_first", "people_first_budget", "balanced", "--set",
                 "employees=2000", "--seeds", "5", "--steps", "104", "--executor", "serial",
                 "--quiet", "--out", str(out)]) == 0
    return out / "report.html"


def test_report_states_recommendation_assumptions_budgets_and_regret(report):
    html = report.read_text()
    top = html.index('id="recommendation"')
    assert top < html.index("<h2>Assumptions</h2>") < html.index("Did each strategy keep")
    assert "Recommendation: " in html and "How sure: <b>" in html and "which here means" in html
    assert "The main trade-off" in html or "is not better than" in html
    for text in ("2,000 employees", "8 business units", "2 years", "5 seeds",
                 "Operations (pilots, run costs, licences)", "becomes the lever",
                 "Change management: $", "per employee per year", "AI spending a year",
                 "In purgatory for want of production infrastructure", "Payback week",
                 "regret, 90th percentile", "McPhail et al. 2018", "ROI at least 0%"):
        assert text in html, text
    assert "+0.0796" not in html and "Verdict" not in html


def _browser():
    """A launched headless Chromium, or a skip (a failure with AISCALE_REQUIRE_BROWSER=1)."""
    required = os.environ.get("AISCALE_REQUIRE_BROWSER") == "1"
    why = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        why = "playwright is not installed (pip install -e '.[test]')"
    if why is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        why = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if why:
        if required:
            pytest.fail(f"AISCALE_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    return sync_playwright


#: Width in CSS pixels of the windows the report is checked in: a laptop and a narrow one.
WIDTHS = (1280, 900)


@pytest.mark.slow
def test_report_renders_in_chromium_with_nothing_cut_off(report, tmp_path):
    sync_playwright = _browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(report.as_uri())
                page.wait_for_load_state("load")
                m = page.evaluate("""() => {
                    const w = window.innerWidth;
                    const boxes = sel => Array.from(document.querySelectorAll(sel)).map(e => {
                        const r = e.getBoundingClientRect();
                        return {left: r.left, right: r.right, sw: e.scrollWidth,
                                cw: e.clientWidth};
                    });
                    return {width: w, scroll: document.documentElement.scrollWidth,
                            tables: boxes('table'), cells: boxes('td, th'),
                            images: Array.from(document.images).map(i => ({
                                ok: i.complete && i.naturalWidth > 0,
                                right: i.getBoundingClientRect().right})),
                            rec: document.getElementById('recommendation')
                                     .getBoundingClientRect().top};
                }""")
                shot = tmp_path / f"report-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                page.close()
                assert m["scroll"] <= m["width"], f"horizontal overflow at {width}px"
                assert m["tables"], "no tables rendered"
                for t in m["tables"]:
                    assert t["left"] >= 0 and t["right"] <= m["width"], (width, t)
                clipped = [c for c in m["cells"] if c["sw"] > c["cw"] + 1]
                assert not clipped, f"{len(clipped)} table cells cut off at {width}px"
                assert len(m["images"]) == 3 and all(i["ok"] for i in m["images"])
                assert all(i["right"] <= m["width"] for i in m["images"])
                assert m["rec"] < 200, "the recommendation is not at the top"
                with open(shot, "rb") as f:
                    head = f.read(24)
                assert head[:8] == b"\x89PNG\r\n\x1a\n"
                assert int.from_bytes(head[16:20], "big") == width  # no wider than the window
        finally:
            browser.close()
