"""Writing result files atomically: a crash or a kill never leaves a half-written file.

Every file is written under a temporary name in the same folder, flushed to disk and renamed
into place (``os.replace`` is atomic on POSIX and Windows). Files get the usual permissions
(0666 less the process umask), not the private ones of a temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Write ``path`` atomically; ``write`` receives a binary file object.

    Args:
        path: Target file; its folder must exist.
        write: Function that writes the content to the file object it is given.

    Returns:
        The path written.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write(path, lambda f: f.write(data))


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_csv(path: str | Path, df) -> Path:
    """Write a DataFrame as CSV (no index) atomically."""
    return write_text(path, df.to_csv(index=False))


def write_parquet(path: str | Path, df) -> Path:
    """Write a DataFrame as Parquet (pyarrow, no index) atomically."""
    return atomic_write(path, lambda f: df.to_parquet(f, engine="pyarrow", index=False))


def save_figure(fig, path: str | Path, **savefig_kw) -> Path:
    """Save a matplotlib figure atomically (the format follows the file's suffix)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    return atomic_write(path, lambda f: fig.savefig(f, format=fmt, **savefig_kw))
