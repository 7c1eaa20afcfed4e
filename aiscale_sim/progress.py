"""Progress of long runs: a tqdm bar on a terminal, plain lines in a log.

A bar redrawn with carriage returns is unreadable in a log file or a CI job, and tqdm shows
nothing at all there when asked to hide itself off a terminal. When standard error is not a
terminal (and not a notebook, where tqdm draws a widget), :func:`progress_bar` prints one line
each time another tenth of the work is done instead: done/total, rate and time left.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def _interactive(stream: TextIO) -> bool:
    if "ipykernel" in sys.modules:  # a notebook: tqdm.auto draws a widget
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class LineProgress:
    """Progress as one line per tenth of the work, for logs.

    Same calls as the tqdm bar it stands in for: :meth:`update`, :meth:`set_postfix`,
    :meth:`close`, and use as a context manager.

    Args:
        total: Units of work in all (runs, weeks).
        initial: Units already done before this session (a resumed experiment).
        unit: The unit's name, e.g. ``"run"``.
        desc: What is progressing, at the start of each line.
        stream: Where the lines go.
    """

    def __init__(self, total: int, *, initial: int = 0, unit: str = "it", desc: str = "",
                 stream: TextIO | None = None):
        self.total = int(total)
        self.n = int(initial)
        self.unit = unit
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.postfix: dict[str, Any] = {}
        self._start = time.monotonic()
        self._start_n = self.n
        self._tenth = self._tenths()

    def _tenths(self) -> int:
        return 10 * self.n // self.total if self.total > 0 else 10

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done; print a line if another tenth is complete."""
        self.n += n
        tenth = self._tenths()
        if tenth <= self._tenth:
            return
        self._tenth = tenth
        print(self.line(time.monotonic() - self._start), file=self.stream, flush=True)

    def line(self, elapsed: float) -> str:
        """The progress line after ``elapsed`` seconds, e.g.

        ``30/100 runs (30%), 2.5 runs/s, 0:28 left, failed=0``.
        """
        units = f"{self.unit}s"
        share = self.n / self.total if self.total > 0 else 1.0
        rate = (self.n - self._start_n) / elapsed if elapsed > 0 else float("inf")
        label = f"{self.desc}: " if self.desc and self.desc != units else ""
        parts = [f"{label}{self.n}/{self.total} {units} ({share:.0%})"]
        if rate != float("inf"):
            parts.append(f"{rate:.3g} {units}/s")
        if self.n >= self.total:
            parts.append(f"done in {_clock(elapsed)}")
        elif rate > 0 and rate != float("inf"):
            parts.append(f"{_clock((self.total - self.n) / rate)} left")
        parts += [f"{k}={v}" for k, v in self.postfix.items()]
        return ", ".join(parts)

    def set_postfix(self, refresh: bool = False, **values: Any) -> None:
        """Extra ``name=value`` fields for the next lines (e.g. ``failed=2``)."""
        self.postfix = values

    def close(self) -> None:
        """Nothing to tidy: every line is already written."""

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(total: int, *, initial: int = 0, unit: str = "it", desc: str = "",
                 enabled: bool = True, delay: float = 0.0, leave: bool = True,
                 stream: TextIO | None = None):
    """A progress display for ``total`` units of work, chosen by where standard error goes.

    Args:
        total: Units of work in all.
        initial: Units already done.
        unit: The unit's name, e.g. ``"run"`` or ``"week"``.
        desc: What is progressing.
        enabled: False: show nothing (the object still accepts every call).
        delay: Seconds before the terminal bar appears (no flashing bar for a quick job). In
            a log every tenth is reported: ten lines are no clutter there, and a job's log
            should say how it went however quickly.
        leave: Keep the terminal bar when it closes.
        stream: Where to write (default ``sys.stderr``).

    Returns:
        A tqdm bar on a terminal or in a notebook, a :class:`LineProgress` elsewhere; both
        take ``update``, ``set_postfix`` and ``close`` and work as context managers.
    """
    stream = stream if stream is not None else sys.stderr
    if enabled and not _interactive(stream):
        return LineProgress(total, initial=initial, unit=unit, desc=desc, stream=stream)
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit=unit, desc=desc, file=stream,
                disable=not enabled, delay=delay, leave=leave, dynamic_ncols=True)
