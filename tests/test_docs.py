"""The ODD document stays in step with the code, and the calibration script runs."""

import subprocess
import sys
from pathlib import Path

import pytest

from aiscale_sim import docs
from aiscale_sim.levers import LEVERS, format_table

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
CALIBRATION = ROOT / "experiments" / "calibration.py"


@pytest.fixture(scope="module")
def odd_text() -> str:
    return ODD.read_text(encoding="utf-8")


def _between_markers(text: str) -> str:
    return text.split(docs.START, 1)[1].split(docs.END, 1)[0]


def test_lever_table_is_generated_from_the_code(odd_text):
    assert odd_text.count(docs.START) == 1
    assert odd_text.count(docs.END) == 1
    assert _between_markers(odd_text) == "\n" + format_table("markdown") + "\n"
    assert docs.render_lever_table(odd_text) == odd_text, (
        "docs/ODD.md lever table is out of date; run 'python -m aiscale_sim.docs'")


def test_constants_table_is_generated_from_the_code(odd_text):
    body = odd_text.split(docs.CONSTANTS_START, 1)[1].split(docs.CONSTANTS_END, 1)[0]
    assert body == "\n" + docs.format_constants_table() + "\n"
    assert docs.render(odd_text) == odd_text, (
        "docs/ODD.md is out of date; run 'python -m aiscale_sim.docs'")


def test_constants_table_lists_every_constant_with_a_meaning():
    import dataclasses

    from aiscale_sim.employees import EmployeeParams
    from aiscale_sim.pipeline import PipelineParams
    from aiscale_sim.talent import TalentParams

    table = docs.format_constants_table()
    for cls in (EmployeeParams, PipelineParams, TalentParams):
        for f in dataclasses.fields(cls):
            row = next(ln for ln in table.splitlines() if f"| `{f.name}` |" in ln)
            assert f"| {f.default:g} |" in row
            assert not row.endswith("|  |"), f"{f.name} has no meaning in the docstring"


def test_render_leaves_documents_without_constants_markers_alone():
    text = f"a\n{docs.START}\n{docs.END}\nb\n"
    assert docs.render(text) == docs.render_lever_table(text)


def test_render_lever_table_replaces_a_stale_table():
    stale = f"# ODD\n\nbefore\n{docs.START}\n| old | table |\n{docs.END}\nafter\n"
    new = docs.render_lever_table(stale)
    assert new.startswith("# ODD\n\nbefore\n")
    assert new.endswith(f"{docs.END}\nafter\n")
    assert _between_markers(new) == "\n" + format_table("markdown") + "\n"
    assert docs.render_lever_table(new) == new


@pytest.mark.parametrize("text", [
    "no markers at all",
    f"{docs.END}\n{docs.START}\n",
    f"{docs.START}\n{docs.START}\n{docs.END}\n",
])
def test_render_lever_table_rejects_bad_markers(text):
    with pytest.raises(docs.MarkerError):
        docs.render_lever_table(text)


def test_docs_check_reports_stale_and_missing_files(tmp_path, capsys):
    stale = tmp_path / "ODD.md"
    stale.write_text(f"x\n{docs.START}\nold\n{docs.END}\n", encoding="utf-8")
    assert docs.main(["--check", "--path", str(stale)]) == docs.EXIT_STALE
    assert "python -m aiscale_sim.docs" in capsys.readouterr().err
    assert docs.main(["--path", str(stale)]) == 0
    assert docs.main(["--check", "--path", str(stale)]) == 0
    missing = tmp_path / "nope.md"
    assert docs.main(["--check", "--path", str(missing)]) == docs.EXIT_MISSING
    assert "not found" in capsys.readouterr().err


def test_docs_module_finds_the_repository_odd():
    assert docs.odd_path() == ODD


@pytest.mark.parametrize("needle", [
    "Bass", "Granovetter", "Watts", "Strogatz", "Rogers", "Sculley", "Grimm",
])
def test_odd_cites_its_sources(odd_text, needle):
    assert needle in odd_text


def test_odd_cites_utaut(odd_text):
    assert "UTAUT" in odd_text and "Venkatesh" in odd_text


def test_odd_states_the_simultaneous_update(odd_text):
    lower = odd_text.lower()
    assert "simultaneous" in lower
    assert "one uniform draw per employee per week" in lower


@pytest.mark.parametrize("name", [lv.name for lv in LEVERS])
def test_every_lever_appears_in_the_odd(odd_text, name):
    assert f"`{name}`" in odd_text


def test_calibration_script_runs_small(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(CALIBRATION), "--seeds", "1", "--steps", "8", "--workers", "2",
         "--out", str(tmp_path / "cal")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines()
             if ln.startswith("| `pilot_to_production_classic` |")]
    assert lines, proc.stdout
    assert lines[0].rstrip().endswith(("| met |", "| missed |"))
    assert (tmp_path / "cal" / "validation.json").is_file()


def test_odd_shows_the_pattern_dashboard(odd_text):
    assert "patterns.png" in odd_text
    assert (ROOT / "docs" / "patterns.png").is_file()


def test_trace_has_every_element_and_names_the_missed_patterns():
    text = (ROOT / "docs" / "TRACE.md").read_text(encoding="utf-8")
    for heading in ("Problem formulation", "Model description", "Data evaluation",
                    "Conceptual model evaluation", "Implementation verification",
                    "Model output verification", "Model analysis",
                    "Model output corroboration"):
        assert f". {heading}" in text, heading
    for needle in ("ODD.md", "tests/reference.py", "aiscale validate", "patterns.png",
                   "Missed", "fully_scaled_share", "Grimm"):
        assert needle in text, needle
