"""salescoach: a Jupyter-based coaching workbook kit for sales managers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("salescoach")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

# The flat module names of before the layered layout still import, with a warning (see moved).
from salescoach import moved as _moved  # noqa: E402

_moved.install()
