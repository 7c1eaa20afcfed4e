"""Imports run down the layers of the package, and form no circle but the model's own.

Layers, low to high: data and helpers; the model (``simulate`` included); running many
(designs, executors, the experiment store, the runner); questions (sweeps, comparisons,
sensitivity analysis); faces (the CLI, reports, figures). A module may import from its own
layer or a lower one. The graph is read from the source with :mod:`ast`, function-level
imports and ``TYPE_CHECKING`` imports included, so a lazy import is an arrow too.

The model's modules import each other, as Mesa's model and agents do: the model holds its
agents, and agents, the pipeline, the portfolio, talent and the reporters read the model they
belong to. That circle may stay; nothing outside it is in a circle.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aiscale_sim"

HELPERS, MODEL, RUNNING, QUESTIONS, FACES = range(5)
LAYERS = {
    HELPERS: ["errors", "files", "labels", "levers", "states", "progress", "tomlfile",
              "index_page", "version", "evidence", "evidence.facts"],
    MODEL: ["agents", "budget", "employees", "kernel", "model", "network", "outputs", "phases",
            "pipeline", "portfolio", "scenarios", "simulate", "talent", "calibration.constants"],
    # The package itself is the public front door: it re-exports simulate and load_experiment.
    RUNNING: ["", "experiment", "experiment.designs", "experiment.executors",
              "experiment.store", "runner"],
    QUESTIONS: ["sweep", "compare", "sensitivity.analysis", "sensitivity.evaluators",
                "sensitivity.problem", "evidence.patterns", "evidence.validate", "evidence.bass",
                "optimise", "robustness", "ema", "calibration", "calibration.observed",
                "calibration.abc", "calibration.facts", "regimes"],
    # sensitivity's front door and its one-call API save an analysis with its figures, as the
    # CLI does, so they sit with the figures.
    FACES: ["cli", "cli_args", "cli_experiments", "cli_sensitivity", "docs", "report", "plots",
            "sensitivity", "sensitivity.api", "sensitivity.plots", "cli_validate",
            "evidence.plots", "cli_dashboard", "dashboard", "dashboard.app",
            "dashboard.controls", "dashboard.figures", "dashboard.layout", "dashboard.model",
            "dashboard.server", "cli_optimise", "optimise_report", "cli_calibrate",
            "calibration.plots", "teaching"],
}
LAYER = {(f"aiscale_sim.{m}" if m else "aiscale_sim"): layer
         for layer, mods in LAYERS.items() for m in mods}

#: The circle that may stay (see the module docstring).
MODEL_CIRCLE = {f"aiscale_sim.{m}" for m in ("model", "agents", "pipeline", "outputs",
                                             "portfolio", "talent")}

#: Arrows that run up, each kept for a reason; the test fails when one is no longer there.
UPWARD = {
}


def _modules() -> dict[str, tuple[Path, bool]]:
    mods = {}
    for p in PACKAGE.rglob("*.py"):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        mods[".".join(parts)] = (p, is_pkg)
    return mods


def import_graph() -> dict[str, set[str]]:
    """Every module of the package and the modules of the package it imports, anywhere."""
    mods = _modules()

    def owner(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in mods.items():
        here = name if is_pkg else name.rpartition(".")[0]
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out.update(filter(None, (owner(a.name) for a in node.names)))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = here
                    for _ in range(node.level - 1):
                        pkg = pkg.rpartition(".")[0]
                    base = f"{pkg}.{base}" if base else pkg
                for a in node.names:  # `from pkg import module` imports the module
                    full = f"{base}.{a.name}"
                    target = full if full in mods else owner(base)
                    if target:
                        out.add(target)
        out.discard(name)
        graph[name] = out
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_every_module_has_a_layer(graph):
    missing = sorted(set(graph) - set(LAYER))
    assert not missing, f"put these modules in a layer in tests/test_layers.py: {missing}"
    gone = sorted(set(LAYER) - set(graph))
    assert not gone, f"these modules are listed in a layer but do not exist: {gone}"


def test_no_import_circle_but_the_models_own(graph):
    bad = [sorted(c) for c in circles(graph) if not c <= MODEL_CIRCLE]
    assert not bad, f"import circles: {bad}"


def test_the_graph_sees_circles_and_lazy_imports():
    toy = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(toy) == [{"a", "b", "c"}]
    # The model's own circle is found, and so is an import inside a function.
    g = import_graph()
    assert {"aiscale_sim.model", "aiscale_sim.agents"} <= next(
        c for c in circles(g) if "aiscale_sim.model" in c)
    # cmd_run imports the figures inside the function.
    assert "aiscale_sim.plots" in g["aiscale_sim.cli"]


def test_arrows_run_down(graph):
    up = sorted((a, b) for a, targets in graph.items() for b in targets
                if a in LAYER and b in LAYER and LAYER[b] > LAYER[a])
    unexpected = [edge for edge in up if edge not in UPWARD]
    assert not unexpected, f"imports that run up a layer: {unexpected}"
    stale = sorted(set(UPWARD) - set(up))
    assert not stale, f"no longer run up, drop them from UPWARD: {stale}"
