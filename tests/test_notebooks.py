"""Execute every notebook under notebooks/ top to bottom and check what it produced.

Each notebook runs in a fresh ``python3`` kernel with a temporary directory as its working
directory, so nothing it might write lands in the repository. The notebooks are stored without
outputs; the executed copy only lives in memory.

Prose that states a number computes it (STYLE.md, "Pages and notebooks that people look at"):
a Markdown cell written by hand states no figure; sentences with numbers are written by code
(``display(Markdown(f"..."))``), so they follow the run. The check is on the written cells:
outside quotations of the course text (lines starting with ``>``) and section references
("section 7.4"), they may hold no percentage, no amount of money, no decimal number and no
whole number of 10 or more. Small whole numbers stay allowed (headings are numbered, a
question has a number). This is simpler than matching each sentence with a computed value,
and stricter: a number a reader sees in a written cell can only come from the course text.
"""

import re
from pathlib import Path

import pytest

from aiscale_sim.levers import POLICY_LEVERS
from aiscale_sim.teaching import LEVER_GROUPS

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = Path(__file__).parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell

RATE_LINE = re.compile(r"pilot-to-production rate:\s*([-+0-9.eE]+|nan)")

# No warning filters: starting a kernel with the installed nbclient/jupyter_client raises no
# warnings here, so the suite-wide ``filterwarnings = error`` applies unchanged.
pytestmark = pytest.mark.slow


def execute(path: Path, cwd: Path):
    """Run ``path`` in a fresh kernel with ``cwd`` as working directory; return the notebook."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.get("outputs", [])


def stream_text(nb) -> str:
    return "".join(o.get("text", "") for o in outputs(nb) if o.get("output_type") == "stream")


#: Written Markdown may not state these (see the module docstring).
HARD_NUMBER = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|percent\b|per cent\b)"   # a percentage
    r"|\$\s*\d"                                        # money
    r"|(?<![\w.])\d+\.\d+(?![\w.])"                     # a decimal number
    r"|(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w])"           # 2,000
    r"|(?<![\w.,])[1-9]\d+(?![\w.,%])")                  # 10 or more
SECTION_REF = re.compile(r"\bsections?\s+\d+(?:\.\d+)?", re.IGNORECASE)
#: Calls that run the model; each must be given a seed.
RUN_CALL = re.compile(r"\b(simulate|run_with_probes)\(")


def hard_coded_numbers(markdown: str) -> list[str]:
    """Numbers a written Markdown cell states outside quotations and section references."""
    found = []
    for line in markdown.splitlines():
        if line.lstrip().startswith(">"):
            continue  # a quotation of the course text
        found += HARD_NUMBER.findall(SECTION_REF.sub("", line))
    return found


def test_hard_coded_number_check_catches_what_it_should():
    assert hard_coded_numbers("adoption reaches 28% in a 2,000-employee company") == [
        "28%", "2,000"]
    assert hard_coded_numbers("value of $3.1M and a rate of 0.45, 40 pilots") == [
        "$3", "0.45", "40"]
    assert hard_coded_numbers("> only two of 40 pilots, 80% experiment") == []
    assert hard_coded_numbers("## 2. Three strategies (docs/ODD.md, section 7.4)") == []
    assert hard_coded_numbers("Question 3 asks; `aiscale run --seed 1`") == []


def test_notebooks_exist():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_prose_states_no_hard_coded_number(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            assert not hard_coded_numbers(cell.source), (
                f"{path.name}, cell {i}: the written text states {hard_coded_numbers(cell.source)}"
                "; compute it in a code cell and show it with display(Markdown(...))")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_its_parts(path):
    """States its question, runs with fixed seeds, ends with notes and discussion."""
    nb = nbformat.read(path, as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    if path.name != "01_pilot_purgatory.ipynb":  # 01 is the introduction, not one question
        assert re.search(r"^> \*\*Question \d", nb.cells[0].source, re.MULTILINE), (
            f"{path.name} should quote its course question in its first cell")
    assert "## Things to notice" in md and "Questions for discussion" in md
    calls = RUN_CALL.findall(code)
    assert calls, f"{path.name} runs no model"
    for m in RUN_CALL.finditer(code):
        depth, j = 1, m.end()
        while depth and j < len(code):
            depth += {"(": 1, ")": -1}.get(code[j], 0)
            j += 1
        assert "seed=" in code[m.end():j], f"{path.name}: a run without a fixed seed: " \
            f"{code[m.start():j]}"
    assert "Markdown(" in code, f"{path.name}: its numbers should be written by code"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"{path.name}: stored with outputs"
            assert cell.get("execution_count") is None, f"{path.name}: stored with counts"
            assert "sys.path" not in cell.source, f"{path.name}: import the installed package"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    nb = execute(path, tmp_path)

    errors = [o for o in outputs(nb) if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    stderr = "".join(o.get("text", "") for o in outputs(nb)
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    assert "Warning" not in stderr, f"{path.name} printed a warning:\n{stderr}"
    assert not any(tmp_path.iterdir()), f"{path.name} left files behind: {list(tmp_path.iterdir())}"

    images = [o for o in outputs(nb) if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no figure"
    for img in images:
        assert len(img["data"]["image/png"]) > 1000, "suspiciously small (empty?) figure"

    if path.name == "01_pilot_purgatory.ipynb":
        check_pilot_purgatory(nb, images)


def check_pilot_purgatory(nb, images):
    text = stream_text(nb)
    rates = [float(m) for m in RATE_LINE.findall(text)]
    assert rates, "the notebook should print a pilot-to-production rate"
    # The first printed rate is the baseline's, as a fraction; later ones are percentages.
    assert 0.0 <= rates[0] <= 1.0, rates[0]
    launched = int(re.search(r"pilots launched over \d+ years:\s*(\d+)", text).group(1))
    live = int(re.search(r"pilots that reached production:\s*(\d+)", text).group(1))
    assert launched > 0 and 0 <= live <= launched, (live, launched)
    # funnel, purgatory reasons, adoption by role, network and lever comparison
    assert len(images) >= 5, f"expected at least 5 figures, got {len(images)}"
    # the lever comparison table and the (not executed) controls of every policy lever
    plain = "".join(o.get("data", {}).get("text/plain", "") for o in outputs(nb))
    assert "more platform" in plain
    assert "Accordion(" in plain and "FloatSlider" in plain
    assert f"{len(POLICY_LEVERS)} policy levers in {len(LEVER_GROUPS)} groups" in text
    # the prose names the most common reason the run's own table shows
    entries = eval(re.search(r"entered purgatory, by reason: (\{.*\})", text).group(1))
    written = "".join(o.get("data", {}).get("text/markdown", "") for o in outputs(nb))
    top = max(entries, key=entries.get)
    assert f"most common reason to enter purgatory was **{top}**" in written


def test_teaching_guide_names_every_notebook_and_the_readme_links_it():
    root = NOTEBOOK_DIR.parent
    guide = (root / "docs" / "teaching.md").read_text()
    for path in NOTEBOOKS:
        assert f"`{path.stem}`" in guide, f"docs/teaching.md does not mention {path.stem}"
    assert "docs/teaching.md" in (root / "README.md").read_text()
