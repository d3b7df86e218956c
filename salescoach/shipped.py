"""Where the kit's own notebooks and templates are, installed or in a checkout.

The repository keeps them at its top level (`notebooks/`, `templates/`). A wheel carries them
inside the package as `salescoach/_shipped/notebooks` and `salescoach/_shipped/templates`
(setup.py copies them at build time); an editable install has no copy and reads the checkout.
Every command finds them here, never through the current folder, so an installed kit works
from any folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# Built into the wheel by setup.py; absent in a checkout and an editable install.
SHIPPED = PACKAGE / "_shipped"
CHECKOUT = PACKAGE.parent

# The notebooks `salescoach init` copies into a new workbook's notebooks/ for trainers to
# change: the cycle notebooks and the review packs. The app notebooks stay in the kit.
EDITABLE_NOTEBOOKS = (
    "01_goals.ipynb",
    "02_training.ipynb",
    "03_monitoring.ipynb",
    "04_diagnosis.ipynb",
    "05_what_works.ipynb",
    "06_recognition.ipynb",
    "rep_review.ipynb",
    "team_review.ipynb",
    "department_review.ipynb",
    "company_review.ipynb",
)


def root() -> Path:
    """The folder holding `notebooks/` and `templates/`: the installed copy, else the checkout."""
    return SHIPPED if (SHIPPED / "notebooks").is_dir() else CHECKOUT


def notebooks_dir() -> Path:
    """The kit's notebooks: the review packs and cycle notebooks, the app in `app/`."""
    return root() / "notebooks"


def templates_dir() -> Path:
    """The kit's templates: `pack/`, `letters/`, `digest/` and the trainers' `notebooks/`."""
    return root() / "templates"


def notebook(name: str) -> Path:
    """One of the kit's notebooks by its path under notebooks/, e.g. ``rep_review`` or
    ``app/manager.ipynb`` (the suffix is optional)."""
    name = name if name.endswith(".ipynb") else f"{name}.ipynb"
    return notebooks_dir() / name
