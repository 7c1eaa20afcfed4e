"""Argument types and the parser class shared by every ``aiscale`` subcommand.

``cli`` builds the top-level parser and imports the subcommand modules (``cli_experiments``,
``cli_sensitivity``); all of them import their argument types from here, so no subcommand module
imports ``cli`` back. A user's mistake in the arguments prints the usage of the subcommand at
fault, one line naming what is wrong (with a suggestion for a mistyped option) and exits with
code 2.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence

EXIT_USAGE = 2


def _closest(word: str, candidates: Sequence[str]) -> str | None:
    hits = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return hits[0] if hits else None


class AiscaleParser(argparse.ArgumentParser):
    """An argument parser whose errors name the subcommand at fault and suggest a fix.

    argparse hands a subcommand's unknown options back to the top-level parser, which then
    prints its own usage; this parser sends them to the subcommand's parser instead, and adds
    "did you mean" for an option close to one the subcommand knows.
    """

    def error(self, message):  # argparse's own errors: exit 2 with our prefix
        """Print this parser's usage and one error line; exit with code 2."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"aiscale: error: {message}\n")

    def _check_value(self, action, value):
        # argparse's "invalid choice" (a subcommand, --executor, --format), plus a suggestion.
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as e:
            guess = _closest(value, [str(c) for c in action.choices]) if isinstance(
                value, str) and action.choices else None
            if guess is None:
                raise
            raise argparse.ArgumentError(action, f"{e.message} (did you mean {guess}?)") from None

    def option_strings(self) -> list[str]:
        """Every option string this parser accepts, e.g. ``--seed``."""
        return [s for a in self._actions for s in a.option_strings]

    def parse_args(self, args=None, namespace=None):
        """Parse like argparse, reporting leftover arguments on the subcommand's parser."""
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            parser = self._subcommand_parser(ns) or self
            parser.error(unrecognized_message(extras, parser.option_strings()))
        return ns

    def _subcommand_parser(self, ns) -> AiscaleParser | None:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices.get(getattr(ns, action.dest, None) or "")
        return None


def unrecognized_message(extras: Sequence[str], options: Sequence[str]) -> str:
    """The error for arguments nobody took, with a suggestion for a mistyped option.

    Args:
        extras: The arguments left over after parsing.
        options: The option strings the parser at fault accepts.

    Returns:
        E.g. ``unrecognized arguments: --sedd 3 (did you mean --seed?)``.
    """
    message = f"unrecognized arguments: {' '.join(extras)}"
    for word in extras:
        if word.startswith("-"):
            guess = _closest(word.split("=", 1)[0], options)
            if guess:
                return f"{message} (did you mean {guess}?)"
    return message


def int_arg(lo: int, hi: int | None = None):
    """An argparse type: a whole number from ``lo`` to ``hi`` (no upper bound if None).

    Args:
        lo: The smallest value allowed.
        hi: The largest value allowed, or None for no upper bound.

    Returns:
        A function from the argument's text to the number.
    """

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if v < lo or (hi is not None and v > hi):
            allowed = f"{lo} to {hi}" if hi is not None else f"at least {lo}"
            raise argparse.ArgumentTypeError(f"{v} is out of range; allowed {allowed}")
        return v

    return parse


def choice_arg(what: str, choices: Sequence[str]):
    """An argparse type: one of ``choices``, with "did you mean" for a near miss.

    Use with ``metavar=choices_metavar(choices)`` so that ``--help`` lists the choices.

    Args:
        what: What the value names, for the error message ("method", "executor").
        choices: The allowed values.

    Returns:
        A function from the argument's text to the value.
    """

    def parse(text: str) -> str:
        if text in choices:
            return text
        guess = _closest(text, choices)
        hint = f" (did you mean {guess}?)" if guess else ""
        raise argparse.ArgumentTypeError(
            f"unknown {what} '{text}'; choose one of {', '.join(choices)}{hint}")

    return parse


def choices_metavar(choices: Sequence[str]) -> str:
    """How ``--help`` shows a choice, the way argparse does: ``{a,b,c}``."""
    return "{" + ",".join(choices) + "}"


def set_arg(text: str) -> tuple[str, object]:
    """An argparse type for ``--set LEVER=VALUE``: the lever's name and its value.

    The value is read as a TOML value (``30``, ``0.5``, ``true``); a bare word is kept as a
    string (``prioritisation=value_feasibility``). Lever names and values are checked later,
    against the lever table, where a wrong name gets a suggestion.

    Args:
        text: The argument, ``LEVER=VALUE``.

    Returns:
        ``(name, value)``.
    """
    import tomllib

    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected LEVER=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word, e.g. prioritisation=value_feasibility
    return name.strip(), value


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--set LEVER=VALUE`` option (stored as ``args.overrides``)."""
    parser.add_argument("--set", dest="overrides", action="append", type=set_arg, default=[],
                        metavar="LEVER=VALUE",
                        help="override a lever (repeatable; see 'aiscale levers')")
