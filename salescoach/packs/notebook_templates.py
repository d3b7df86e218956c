"""Trainer templates: notebooks a trainer copies, adapts in JupyterLab, checks and renders.

`templates/notebooks/` holds the shipped templates. `new` copies one into a workbook's
`notebooks/` folder; `check` says what would stop a notebook from rendering like the built-in
packs, one problem per line with its cell number (cells count from 1, as JupyterLab shows them).

A notebook's scope follows from its parameters: `rep_id` (one per rep), `team`, `department`,
or none of them (one for the company). `render` passes `workbook`, `period`, `lang` and that one.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from salescoach import shipped
from salescoach.errors import InputError
from salescoach.i18n import _

TEMPLATES = shipped.templates_dir() / "notebooks"
COMMON_PARAMETERS = ("workbook", "period", "lang")
SCOPE_PARAMETERS = {"rep_id": "rep", "team": "team", "department": "department"}
# The cycle's notebooks (03_monitoring, ...) take any scope: render passes scope (company,
# department, team or rep) and scope_id from --rep, --team or --department.
FREE_SCOPE_PARAMETERS = ("scope", "scope_id")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def available() -> dict[str, Path]:
    """The shipped templates by name (the file name without .ipynb)."""
    return {p.stem: p for p in sorted(TEMPLATES.glob("*.ipynb"))}


def new(workbook_root: Path, kind: str, name: str, force: bool = False) -> Path:
    """Copy template `kind` to `<workbook>/notebooks/<name>.ipynb`; never overwrites unasked."""
    templates = available()
    if kind not in templates:
        raise InputError(
            _(
                "no template called {kind}; templates: {known}",
                kind=kind,
                known=", ".join(templates),
            )
        )
    name = name.removesuffix(".ipynb")
    if not NAME.match(name):
        raise InputError(
            _(
                "{name} cannot be a notebook name: use letters, digits, '-', '_' or '.'",
                name=repr(name),
            )
        )
    target = workbook_root / "notebooks" / f"{name}.ipynb"
    if target.exists() and not force:
        raise InputError(_("{path} already exists; use --force to replace it", path=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(templates[kind], target)
    return target


@dataclass(frozen=True)
class Problem:
    cell: int | None  # None: the notebook as a whole
    text: str

    def __str__(self) -> str:
        if self.cell is None:
            return self.text
        return _("cell {cell}: {problem}", cell=self.cell, problem=self.text)


def _read(path: Path):
    import nbformat

    try:
        return nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise InputError(_("{path}: no such notebook", path=path)) from None
    except Exception as exc:  # nbformat raises several kinds for a file that is not a notebook
        raise InputError(
            _("{path} is not a notebook: {error}", path=path, error=str(exc).splitlines()[0])
        ) from None


def _code(cell) -> str:
    # IPython magics and shell escapes are not Python; papermill and Jupyter accept them.
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines()
    )


def parameters(path: Path) -> dict[str, str]:
    """The names the parameters cell declares, with their default as written."""
    import papermill as pm

    return {name: info["default"] for name, info in pm.inspect_notebook(str(path)).items()}


def scope_of(declared) -> str:
    """rep, team, department or company: which packs `render --notebook` makes of it; "any"
    for a notebook that declares `scope` (and `scope_id`): its scope is the command line's."""
    scopes = [SCOPE_PARAMETERS[p] for p in declared if p in SCOPE_PARAMETERS]
    if not scopes and any(p in FREE_SCOPE_PARAMETERS for p in declared):
        return "any"
    return scopes[0] if len(scopes) == 1 else "company"


def static_problems(path: Path) -> list[Problem]:
    """Everything `check` finds without running the notebook."""
    nb = _read(path)
    problems: list[Problem] = []
    tagged = [
        i
        for i, cell in enumerate(nb.cells, start=1)
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", [])
    ]
    if not tagged:
        problems.append(
            Problem(
                None,
                _(
                    "no cell tagged `parameters`: tag the cell that sets workbook, period and the "
                    "scope (JupyterLab: Property Inspector > Cell Tags > parameters)"
                ),
            )
        )
    elif len(tagged) > 1:
        problems.append(
            Problem(
                tagged[1],
                _(
                    "a second cell tagged `parameters` (the first is cell {first}); keep one",
                    first=tagged[0],
                ),
            )
        )
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            problems.append(
                Problem(
                    i, _("outputs left in; clear them (Edit > Clear Outputs of All Cells) and save")
                )
            )
        try:
            tree = ast.parse(_code(cell))
        except SyntaxError as exc:
            problems.append(
                Problem(
                    i, _("syntax error on line {line}: {error}", line=exc.lineno, error=exc.msg)
                )
            )
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                problems.append(
                    Problem(
                        i,
                        _(
                            "defines {name}: logic belongs in the salescoach package, so every "
                            "notebook computes it the same way; call it from there",
                            name=node.name,
                        ),
                    )
                )
    if tagged and not any(p.cell == tagged[0] for p in problems):
        problems.extend(_parameter_problems(path, tagged[0]))
    return problems


def _parameter_problems(path: Path, cell: int) -> list[Problem]:
    declared = parameters(path)
    known = (*COMMON_PARAMETERS, *SCOPE_PARAMETERS, *FREE_SCOPE_PARAMETERS)
    problems = [
        Problem(
            cell,
            _(
                "parameter {name} is not one render passes ({known}); compute it in a cell "
                "below instead",
                name=name,
                known=", ".join(known),
            ),
        )
        for name in declared
        if name not in known
    ]
    problems += [
        Problem(cell, _('parameter {name} is missing; add {name} = ""', name=name))
        for name in ("workbook", "period")
        if name not in declared
    ]
    scopes = [p for p in declared if p in SCOPE_PARAMETERS]
    if len(scopes) > 1:
        problems.append(
            Problem(
                cell,
                _(
                    "declares {names}: a notebook is for one scope, so keep one of rep_id, team "
                    "or department (none: the company)",
                    names=", ".join(scopes),
                ),
            )
        )
    return problems


def first_scope_id(wb, scope: str) -> str | None:
    """The scope a trial run uses: the first rep, team or department of the workbook."""
    if scope == "company":
        return None
    column = {"rep": "rep_id", "team": "team", "department": "department"}[scope]
    values = sorted(wb.facts()["reps"][column].dropna().astype(str).unique())
    return values[0] if values else None


def run_problems(path: Path, wb, period: str | None = None, timeout: int = 600) -> list[Problem]:
    """Run the notebook as `render` runs a pack (the same worker kernel and papermill engine)
    on the workbook, for its first rep, team or department; a failing cell is one problem
    naming the cell and the error."""
    import papermill as pm

    from salescoach.packs import render_worker
    from salescoach.services import packs

    declared = parameters(path)
    scope = scope_of(declared)
    values = {"workbook": str(wb.root), "period": str(packs.parse_period(wb, period)), "lang": ""}
    key = {v: k for k, v in SCOPE_PARAMETERS.items()}.get(scope)
    if key:
        values[key] = first_scope_id(wb, scope)
    elif scope == "any":
        values.update(scope="company", scope_id=None)
    try:
        render_worker.execute(str(path), values, str(wb.root), timeout)
    except pm.PapermillExecutionError as exc:
        cell = _cell_number(path, exc.cell_index)
        return [Problem(cell, _("fails: {name}: {message}", name=exc.ename, message=exc.evalue))]
    finally:
        render_worker.drop_kernel()
    return []


def _cell_number(path: Path, executed_index: int) -> int:
    """The trainer's cell number of a cell of the executed copy, which has the worker's reset
    cell first and papermill's injected parameters after the tagged cell."""
    nb = _read(path)
    tagged = next(
        (i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), None
    )
    index = executed_index - 1
    if tagged is not None and index > tagged:
        index -= 1
    return index + 1


def check(path: Path, wb=None, period: str | None = None) -> list[Problem]:
    """Every problem of a trainer's notebook; with a workbook, also a real run on it (only when
    nothing static is wrong, since a notebook that cannot be read cannot run)."""
    problems = static_problems(path)
    if wb is not None and not problems:
        problems = run_problems(path, wb, period)
    return problems
