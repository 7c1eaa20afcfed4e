"""The installed aiscale-sim version (from the package metadata)."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("aiscale-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
