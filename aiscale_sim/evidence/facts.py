"""The stylized facts of enterprise AI, shipped with the package as data.

``stylized_facts.csv`` holds one row per fact: its id, the pattern in words, the published
range (``low``, ``high``; either may be empty), its unit, source, year, strength (``weak`` to
``strong``, or ``definition``) and a hint of which model output it maps onto. The file is the
project's domain table, copied unchanged; :func:`load_facts` reads it.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from importlib import resources

FACTS_FILE = "stylized_facts.csv"

#: Strengths whose facts decide ``aiscale validate``'s exit code when the model expresses them.
DECISIVE_STRENGTHS = ("moderate", "strong")


@dataclass(frozen=True)
class Fact:
    """One stylized fact, as published.

    Attributes:
        id: Short name, e.g. ``pilot_to_production_classic``.
        pattern: The pattern in words.
        low: Lower end of the published range (NaN if none is given).
        high: Upper end of the published range (NaN if none is given). For a pair of
            conditions (``fraction (excellent / poor)``) ``low`` and ``high`` are the two
            conditions' values, not a range.
        unit: Unit of ``low`` and ``high``.
        source: Where the fact comes from.
        year: Year(s) of the source.
        strength: ``weak``, ``weak-moderate``, ``moderate``, ``strong`` (possibly with a note
            such as ``strong (Pew)``) or ``definition``.
        hint: Which model output the fact maps onto.
    """

    id: str
    pattern: str
    low: float
    high: float
    unit: str
    source: str
    year: str
    strength: str
    hint: str

    @property
    def decisive(self) -> bool:
        """Whether the fact is rated moderate or strong (it decides the exit code)."""
        return self.strength.split(" ")[0] in DECISIVE_STRENGTHS


def _num(text: str) -> float:
    text = text.strip()
    return float(text) if text else math.nan


def read_facts(text: str) -> dict[str, Fact]:
    """Parse the facts table from CSV text (the columns of ``stylized_facts.csv``)."""
    rows = csv.DictReader(io.StringIO(text))
    facts: dict[str, Fact] = {}
    for r in rows:
        fact = Fact(id=r["id"].strip(), pattern=r["pattern"], low=_num(r["low"]),
                    high=_num(r["high"]), unit=r["unit"], source=r["source"], year=r["year"],
                    strength=r["strength"].strip(), hint=r["model_output_hint"])
        if fact.id in facts:
            raise ValueError(f"stylized fact '{fact.id}' appears twice")
        facts[fact.id] = fact
    return facts


def facts_text() -> str:
    """The shipped ``stylized_facts.csv``, as text."""
    return resources.files("aiscale_sim.evidence").joinpath(FACTS_FILE).read_text(
        encoding="utf-8")


def load_facts() -> dict[str, Fact]:
    """Every shipped stylized fact, by id, in the file's order."""
    return read_facts(facts_text())
