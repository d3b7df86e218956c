"""The manager's app: ipywidgets pages over one shared period and scope, served by Voila.

Notebooks in ``notebooks/app/`` are thin: ``build_app(workbook)`` (or ``page="goals"``) and
display ``.widget``. ``salescoach serve`` starts Voila on them.
"""

from salescoach.app.context import Context
from salescoach.app.shell import App, SinglePage, build_app

__all__ = ["App", "Context", "SinglePage", "build_app"]
