"""`salescoach awards ...`: propose, approve, list, leaderboard."""

from __future__ import annotations

import click

from salescoach.commands.common import author, user_errors, workbook_from
from salescoach.fmt import Formatter
from salescoach.i18n import _
from salescoach.services import recognition as service


@click.group()
def awards() -> None:
    """Recognition: award rules, bonuses, leaderboards; awards are the manager's decisions."""


@awards.command()
@click.option("--period", required=True)
@click.pass_context
@user_errors
def propose(ctx, period) -> None:
    """Apply the award rules of salescoach.toml and record each award as proposed."""
    wb = workbook_from(ctx)
    events = service.propose(wb, period, author())
    fmt = Formatter.for_settings(wb.settings)
    for e in events:
        click.echo(f"{e.key}  {fmt.money(e.data['amount'])}  {e.data['sentence']}")
    click.echo(
        _(
            "Proposed {n} awards; approve them with `salescoach awards approve KEY --reason TEXT`.",
            n=len(events),
        )
    )


@awards.command()
@click.argument("keys", nargs=-1)
@click.option("--period", help="With --all: every proposed award of this period.")
@click.option("--all", "all_", is_flag=True, help="Every proposed award of --period.")
@click.option(
    "--status",
    type=click.Choice(["approved", "communicated", "rejected"]),
    default="approved",
    show_default=True,
)
@click.option("--reason", required=True, help="Why (recorded with the decision).")
@click.pass_context
@user_errors
def approve(ctx, keys, period, all_, status, reason) -> None:
    """Approve (or communicate, or reject) proposed awards by KEY."""
    wb = workbook_from(ctx)
    if all_:
        frame = service.current(wb, period)
        keys = tuple(frame.loc[frame["status"] == "proposed", "key"]) if len(frame) else ()
    for key in keys:
        service.set_status(wb, key, status, author(), reason)
    click.echo(_("{n} awards now {status}.", n=len(keys), status=status))


@awards.command("list")
@click.option("--period", help="Only this period.")
@click.pass_context
@user_errors
def list_(ctx, period) -> None:
    """Awards and their current status."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    frame = service.current(wb, period)
    for r in frame.itertuples() if len(frame) else []:
        click.echo(f"{r.key}  {r.status}  {fmt.money(r.amount)}  {r.award}")


@awards.command()
@click.option("--period", required=True)
@click.option(
    "--scope",
    type=click.Choice(["company", "department", "team"]),
    default="company",
    show_default=True,
)
@click.option("--id", "scope_id", help="The department or team.")
@click.pass_context
@user_errors
def leaderboard(ctx, period, scope, scope_id) -> None:
    """Sellers by attainment; ties share a rank (=2)."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    for _rep_id, r in service.leaderboard(wb, period, scope, scope_id).iterrows():
        click.echo(
            f"{r['rank']:>4}  {r['name']:<28} {fmt.pct(r['attainment']):>6}  {fmt.money(r['revenue']):>14}"
        )
