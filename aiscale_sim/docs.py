"""Keep the generated parts of the documentation in step with the code.

Three tables in ``docs/ODD.md`` are generated, each between two marker lines: the lever table
(from :data:`aiscale_sim.levers.LEVERS`), the table of rule constants (the defaults of
:class:`~aiscale_sim.employees.EmployeeParams`, :class:`~aiscale_sim.pipeline.PipelineParams`,
:class:`~aiscale_sim.talent.TalentParams` and the scalar ones of
:class:`~aiscale_sim.portfolio.PortfolioParams`) and the table of use-case classes
(:class:`~aiscale_sim.portfolio.UseCaseClass`, one column per class).
``python -m aiscale_sim.docs`` rewrites them in place; ``python -m aiscale_sim.docs --check``
only reports (exit 1) when the file is out of date, so a test or CI step can catch a lever or
constant that changed without its documentation.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from aiscale_sim.employees import EmployeeParams
from aiscale_sim.levers import format_table
from aiscale_sim.pipeline import PipelineParams
from aiscale_sim.portfolio import PortfolioParams, UseCaseClass
from aiscale_sim.states import UseCaseKind
from aiscale_sim.talent import TalentParams

START = "<!-- levers:start -->"
END = "<!-- levers:end -->"
CONSTANTS_START = "<!-- constants:start -->"
CONSTANTS_END = "<!-- constants:end -->"
CLASSES_START = "<!-- classes:start -->"
CLASSES_END = "<!-- classes:end -->"

#: Exit codes: 0 up to date (or rewritten), 1 out of date (``--check``), 2 file or markers
#: missing.
EXIT_STALE = 1
EXIT_MISSING = 2


class MarkerError(ValueError):
    """The document lacks the lever-table markers, or has them out of order."""


def odd_path() -> Path:
    """Where ``docs/ODD.md`` lives: next to the package, in the source tree."""
    return Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


def _replace_region(text: str, start: str, end: str, body: str) -> str:
    if text.count(start) != 1 or text.count(end) != 1:
        raise MarkerError(f"the document must contain '{start}' and '{end}' exactly once each")
    head, rest = text.split(start)
    if end not in rest:
        raise MarkerError(f"'{end}' comes before '{start}'")
    _, tail = rest.split(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


def _arg_docs(cls: type) -> dict[str, str]:
    """The ``Args:`` entries of a Google-style class docstring, by name."""
    doc = (cls.__doc__ or "").split("Args:", 1)[-1]
    out: dict[str, str] = {}
    name = None
    for line in doc.splitlines():
        m = re.match(r"^\s{8}(\w+): (.*)$", line)
        if m:
            name = m.group(1)
            out[name] = m.group(2).strip()
        elif name and line.strip():
            out[name] += " " + line.strip()
    return out


def format_constants_table() -> str:
    """Render the default rule constants as a markdown table.

    Returns:
        One row per field of :class:`EmployeeParams`, :class:`PipelineParams` and
        :class:`TalentParams`, with its default and the meaning given in the class docstring
        (UTAUT weights, which have no docstring entry, are described by name).
    """
    lines = ["| class | constant | default | meaning |", "| --- | --- | --- | --- |"]
    for cls in (EmployeeParams, PipelineParams, TalentParams, PortfolioParams):
        docs = _arg_docs(cls)
        for f in dataclasses.fields(cls):
            if isinstance(f.default, UseCaseClass):
                continue  # in the table of use-case classes
            meaning = docs.get(f.name)
            if meaning is None and f.name.startswith("w_"):
                meaning = f"UTAUT weight of the {f.name[2:]} term of intention."
            lines.append(f"| `{cls.__name__}` | `{f.name}` | {f.default:g} | "
                         f"{meaning or ''} |")
    return "\n".join(lines)


def _class_value(name: str, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):  # a range, or the risk class's cumulative probabilities
        return (" / " if name == "risk" else " to ").join(f"{v:g}" for v in value)
    return f"{value:g}"


def format_class_table() -> str:
    """Render the use-case classes of the default :class:`PortfolioParams` as markdown.

    Returns:
        One row per field of :class:`UseCaseClass`, one column per class, and the meaning given
        in the class docstring.
    """
    params = PortfolioParams()
    kinds = list(UseCaseKind)
    docs = _arg_docs(UseCaseClass)
    lines = ["| parameter | " + " | ".join(k.label for k in kinds) + " | meaning |",
             "| --- |" + " --- |" * len(kinds) + " --- |"]
    for f in dataclasses.fields(UseCaseClass):
        cells = " | ".join(_class_value(f.name, getattr(params.of(k), f.name)) for k in kinds)
        lines.append(f"| `{f.name}` | {cells} | {docs.get(f.name, '')} |")
    return "\n".join(lines)


def render(odd_text: str) -> str:
    """Return ``odd_text`` with every generated table brought up to date.

    The lever table is required; the constants and class tables are rendered when their markers
    are present.

    Raises:
        MarkerError: The lever-table markers are missing or malformed, or the constants markers
            are malformed.
    """
    text = render_lever_table(odd_text)
    if CONSTANTS_START in text or CONSTANTS_END in text:
        text = _replace_region(text, CONSTANTS_START, CONSTANTS_END, format_constants_table())
    if CLASSES_START in text or CLASSES_END in text:
        text = _replace_region(text, CLASSES_START, CLASSES_END, format_class_table())
    return text


def render_lever_table(odd_text: str) -> str:
    """Return ``odd_text`` with the current lever table between the marker lines.

    The region becomes the start marker, a newline, the output of
    ``format_table("markdown")``, a newline and the end marker; everything outside the markers
    is left untouched.

    Args:
        odd_text: The text of the ODD document.

    Returns:
        The document with an up-to-date lever table.

    Raises:
        MarkerError: A marker is missing, repeated or the end comes before the start.
    """
    return _replace_region(odd_text, START, END, format_table("markdown"))


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with ``--check`` verify) the generated tables in ``docs/ODD.md``.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).

    Returns:
        The exit code: 0 up to date or rewritten, 1 out of date under ``--check``, 2 when the
        file or its markers are missing.
    """
    ap = argparse.ArgumentParser(
        prog="python -m aiscale_sim.docs",
        description="Regenerate the lever, constants and class tables in docs/ODD.md from the "
                    "code.")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if docs/ODD.md is out of date")
    ap.add_argument("--path", type=Path, default=None,
                    help="the ODD file (default: docs/ODD.md next to the package)")
    args = ap.parse_args(argv)
    path = args.path or odd_path()
    if not path.is_file():
        print(f"error: {path} not found; run this from a source checkout of aiscale-sim "
              "(the docs are not part of the installed package), or pass --path",
              file=sys.stderr)
        return EXIT_MISSING
    text = path.read_text(encoding="utf-8")
    try:
        new = render(text)
    except MarkerError as err:
        print(f"error: {path}: {err}", file=sys.stderr)
        return EXIT_MISSING
    if new == text:
        print(f"{path}: generated tables are up to date")
        return 0
    if args.check:
        print(f"{path}: generated tables are out of date; run 'python -m aiscale_sim.docs' "
              "to regenerate them", file=sys.stderr)
        return EXIT_STALE
    path.write_text(new, encoding="utf-8")
    print(f"{path}: generated tables rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
