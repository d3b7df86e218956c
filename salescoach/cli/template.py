"""`salescoach template`: copy a trainer template, list them, check a trainer's notebook."""

from __future__ import annotations

from pathlib import Path

import click

from salescoach.cli.common import user_errors, workbook_from
from salescoach.i18n import _


@click.group("template")
def template() -> None:
    """Trainer templates: notebooks to copy, adapt in JupyterLab, check and render."""


@template.command("list")
def list_templates() -> None:
    """The shipped templates and the scope each is for (rep, team, department, company)."""
    from salescoach.packs import notebook_templates as nt

    for name, path in nt.available().items():
        scope = nt.scope_of(nt.parameters(path))
        click.echo(_("{name:<28} for each {scope}", name=name, scope=scope))


@template.command("new")
@click.argument("kind")
@click.argument("name")
@click.option("--force", is_flag=True, help="Replace a notebook of that name in the workbook.")
@click.pass_context
@user_errors
def new(ctx, kind: str, name: str, force: bool) -> None:
    """Copy template KIND into the workbook as notebooks/NAME.ipynb."""
    from salescoach.packs import notebook_templates as nt

    wb = workbook_from(ctx)
    path = nt.new(wb.root, kind, name, force)
    click.echo(
        _(
            "Created {path}. Edit it in JupyterLab, then: salescoach template check {path}",
            path=path,
        )
    )


@template.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--period", metavar="P", help="Period of the trial run (default: the last complete quarter)."
)
@click.option(
    "--no-run", is_flag=True, help="Only read the notebook; do not run it on the workbook."
)
@click.pass_context
@user_errors
def check(ctx, path: Path, period: str | None, no_run: bool) -> None:
    """Say what would stop notebook PATH from rendering: one line per problem, with its cell."""
    from salescoach.packs import notebook_templates as nt

    wb = None if no_run else workbook_from(ctx)
    if wb is not None and not wb.facts().has("reps"):
        raise click.UsageError(
            _(
                "{root} has no data to run the notebook on: import some, or use --no-run",
                root=wb.root,
            )
        )
    problems = nt.check(path, wb, period)
    for problem in problems:
        click.echo(f"{path}: {problem}", err=True)
    if problems:
        ctx.exit(2)
    if wb is None:
        click.echo(_("{path}: ok (read only; not run)", path=path))
    else:
        click.echo(_("{path}: ok (read, and ran on {root})", path=path, root=wb.root))
