"""Every shipped notebook is thin: a parameters cell papermill can read, no outputs, no logic.

Notebooks are found on disk, so a new notebook is checked without editing this file.
"""

import ast
from pathlib import Path

import nbformat
import papermill as pm
import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted(
    p
    for folder in ("notebooks", "templates/notebooks")
    for p in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_parameters_cell_is_inspectable(path):
    params = pm.inspect_notebook(str(path))
    assert params, f"{path.name}: no cell tagged `parameters` (or it declares nothing)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            assert not cell.get("outputs"), (
                f"{path.name}: cell {i} has outputs; clear them before committing"
            )
            assert cell.get("execution_count") is None, (
                f"{path.name}: cell {i} has an execution count"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_logic_at_top_level(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        tree = ast.parse(source)
        for node in tree.body:
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)), (
                f"{path.name}: cell {i} defines {node.name}; logic belongs in the salescoach package"
            )
