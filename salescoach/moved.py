"""The flat module names of salescoach before its layered layout, kept importable.

Notebooks that `salescoach init` copied into a workbook, and trainers' own, may still say
`from salescoach.workbook import Workbook` or `from salescoach import fmt`. Those names resolve to
the module's new home with a FutureWarning naming it, so an upgrade never breaks a manager's
notebook; the kit's own code uses the new names (tests/test_architecture.py checks).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

# old name (under salescoach.) -> new name (under salescoach.)
MOVED = {
    **{
        name: f"domain.{name}"
        for name in (
            "access actuals attainment capabilities charts coaching contract decisions diagnosis "
            "diagnosis_evidence diagnosis_gap fmt goals insights monitoring periods recognition "
            "roles training"
        ).split()
    },
    **{
        name: f"data.{name}"
        for name in (
            "importer mapping mapping_draft partitions facts_query readers schemas store "
            "workbook exporting sample"
        ).split()
    },
    **{
        name: f"packs.{name}"
        for name in "render render_worker browser privacy notebook_templates".split()
    },
    "digest": "services.digest",
    "commands": "cli",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self) -> None:
        self._kept: dict[int, tuple] = {}

    def find_spec(self, fullname, path=None, target=None):
        head, _, rest = fullname.partition(".")
        first = rest.split(".")[0]
        if head != "salescoach" or first not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        old = spec.name.removeprefix("salescoach.")
        first, _, tail = old.partition(".")
        new = f"salescoach.{MOVED[first]}" + (f".{tail}" if tail else "")
        warnings.warn(
            f"{spec.name} is now {new}; the old name will go in a later release",
            FutureWarning,
            stacklevel=2,
        )
        module = importlib.import_module(new)
        # The import system writes the alias's spec onto the module it gets: keep the real one.
        self._kept[id(module)] = (module.__spec__, module.__loader__)
        return module

    def exec_module(self, module) -> None:
        """The module is the new one, already run: only its own spec and loader are put back."""
        module.__spec__, module.__loader__ = self._kept.pop(id(module))


def install() -> None:
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())
