"""Reading the project's TOML input files (scenarios, experiment files) with clear errors."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import suggest


def read_toml(path: Path, *, what: str, allowed: Iterable[str], tables: Iterable[str] = (),
              strings: Iterable[str] = (),
              hint: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Read a TOML file and check its top-level keys.

    Args:
        path: The file.
        what: What kind of file it is, for messages (``"scenario"``, ``"experiment"``).
        allowed: Top-level keys the file may have.
        tables: Keys that must be tables when present.
        strings: Keys that must be strings when present.
        hint: Optional extra hint for an unknown key (defaults to the nearest allowed key).

    Raises:
        UserInputError: Missing file, unreadable file, broken TOML, an unknown key or a key of
            the wrong type; the message names the file.
    """
    allowed = tuple(allowed)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise UserInputError(f"{what} file '{path}' not found") from None
    except tomllib.TOMLDecodeError as e:
        raise UserInputError(f"{path}: broken TOML: {e}") from None
    except OSError as e:
        raise UserInputError(f"{path}: cannot read: {e.strerror}") from None
    for key in data:
        if key not in allowed:
            extra = (hint(key) if hint else "") or suggest(key, allowed)
            raise UserInputError(
                f"{path}: unknown key '{key}'{extra}; allowed keys: {', '.join(allowed)}")
    for key in tables:
        if key in data and not isinstance(data[key], dict):
            raise UserInputError(f"{path}: '{key}' must be a table ([{key}])")
    for key in strings:
        if key in data and not isinstance(data[key], str):
            raise UserInputError(f"{path}: '{key}' must be a string")
    return data
