"""Keep the generated parts of the documentation in step with the code.

The lever table in ``docs/ODD.md`` is generated from :data:`aiscale_sim.levers.LEVERS` and sits
between two marker lines. ``python -m aiscale_sim.docs`` rewrites it in place;
``python -m aiscale_sim.docs --check`` only reports (exit 1) when the file is out of date, so a
test or CI step can catch a lever that changed without its documentation.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from aiscale_sim.levers import format_table

START = "<!-- levers:start -->"
END = "<!-- levers:end -->"

#: Exit codes: 0 up to date (or rewritten), 1 out of date (``--check``), 2 file or markers
#: missing.
EXIT_STALE = 1
EXIT_MISSING = 2


class MarkerError(ValueError):
    """The document lacks the lever-table markers, or has them out of order."""


def odd_path() -> Path:
    """Where ``docs/ODD.md`` lives: next to the package, in the source tree."""
    return Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


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
    if odd_text.count(START) != 1 or odd_text.count(END) != 1:
        raise MarkerError(f"the document must contain '{START}' and '{END}' exactly once each")
    head, rest = odd_text.split(START)
    if END not in rest:
        raise MarkerError(f"'{END}' comes before '{START}'")
    _, tail = rest.split(END)
    return f"{head}{START}\n{format_table('markdown')}\n{END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with ``--check`` verify) the lever table in ``docs/ODD.md``.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).

    Returns:
        The exit code: 0 up to date or rewritten, 1 out of date under ``--check``, 2 when the
        file or its markers are missing.
    """
    ap = argparse.ArgumentParser(
        prog="python -m aiscale_sim.docs",
        description="Regenerate the lever table in docs/ODD.md from the lever declarations.")
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
        new = render_lever_table(text)
    except MarkerError as err:
        print(f"error: {path}: {err}", file=sys.stderr)
        return EXIT_MISSING
    if new == text:
        print(f"{path}: lever table is up to date")
        return 0
    if args.check:
        print(f"{path}: lever table is out of date; run 'python -m aiscale_sim.docs' to "
              "regenerate it", file=sys.stderr)
        return EXIT_STALE
    path.write_text(new, encoding="utf-8")
    print(f"{path}: lever table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
