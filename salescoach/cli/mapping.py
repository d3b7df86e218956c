"""`salescoach mapping draft`: a starting mapping YAML from export files' headers."""

from __future__ import annotations

from pathlib import Path

import click

from salescoach.cli.common import UserError, user_errors
from salescoach.i18n import _


@click.group("mapping")
def mapping() -> None:
    """Mappings of CRM and ERP exports onto the kit's tables."""


@mapping.command("draft")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the mapping to this file (default: print it).",
)
@click.option("--force", is_flag=True, help="Replace the --out file if it exists.")
@user_errors
def draft(files: tuple[Path, ...], out: Path | None, force: bool) -> None:
    """Draft a mapping from FILES' headers, with a comment on each guess."""
    from salescoach.data.mapping_draft import draft as draft_text

    if out is not None and out.exists() and not force:
        raise UserError(_("{path} exists; add --force to replace it", path=out))
    text = draft_text(list(files), (out or Path.cwd()).resolve().parent if out else Path.cwd())
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(_("Wrote {path}. Next: salescoach validate {path}", path=out))
