"""salescoach: a Jupyter-based coaching workbook kit for sales managers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("salescoach")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
