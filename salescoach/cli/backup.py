"""`salescoach backup` and `salescoach restore`: the manager's decisions to and from a file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from salescoach.cli.common import UserError, user_errors, workbook_from
from salescoach.domain import decisions
from salescoach.i18n import _, _n


def _echo_kinds(kinds) -> None:
    """One line per kind of decision, in the registry's words; a kind this version of
    salescoach does not know is named as stored, with a warning (restored all the same)."""
    for kind, count in decisions.count_by_kind(kinds).items():
        click.echo(f"  {decisions.store_kind_label(kind)}: {count}")
        if kind not in decisions.STORE_KINDS:
            click.echo(
                "  "
                + _(
                    "Warning: {kind} is not a kind of decision this salescoach knows; it is kept as is.",
                    kind=kind,
                )
            )


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@user_errors
def backup(ctx: click.Context, file: Path | None) -> None:
    """Write every decision (all versions, with who, when and why) to FILE (JSON lines).

    Default FILE: salescoach-data/backups/decisions-<UTC time>.jsonl in the workbook.
    """
    wb = workbook_from(ctx)
    from salescoach.services.access import Subject, require

    require(wb, None, "export", Subject())  # every decision of every scope: sales operations
    if file is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        file = wb.data_dir / "backups" / f"decisions-{stamp}.jsonl"
        file.parent.mkdir(parents=True, exist_ok=True)
    with wb.store() as store:
        count = store.dump(file)
        kinds = [e.kind for e in store.history()]
    click.echo(
        _n(
            "Backed up {count} decision to {path}",
            "Backed up {count} decisions to {path}",
            count,
            count=count,
            path=file,
        )
    )
    _echo_kinds(kinds)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--merge",
    is_flag=True,
    help="Add to a database that already holds decisions (same ids must match).",
)
@click.pass_context
@user_errors
def restore(ctx: click.Context, file: Path, merge: bool) -> None:
    """Restore decisions from a FILE written by `salescoach backup`, keeping ids and times."""
    wb = workbook_from(ctx)
    from salescoach.services.access import Subject, require

    require(wb, None, "restore", Subject())  # decisions of every scope: sales operations only
    with wb.store() as store:
        before = {e.id for e in store.history()} if merge else set()
        try:
            count = store.restore(file, merge=merge)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        kinds = [e.kind for e in store.history() if e.id not in before]
    click.echo(
        _n(
            "Restored {count} decision from {path}",
            "Restored {count} decisions from {path}",
            count,
            count=count,
            path=file,
        )
    )
    _echo_kinds(kinds)
