"""`salescoach goals ...`: suggest, set, list, ack, letters."""

from __future__ import annotations

import click

from salescoach.commands.common import author, user_errors, workbook_from
from salescoach.contract import METRICS, SCOPES
from salescoach.fmt import Formatter
from salescoach.goals import REASONS
from salescoach.i18n import _
from salescoach.services import goals as service

_scope = click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="rep",
    show_default=True,
    help="Level of the goals.",
)
_metric = click.option("--metric", type=click.Choice(METRICS), default="revenue", show_default=True)
_period = click.option("--period", required=True, help="2026, 2026-Q3 or 2026-07.")


@click.group()
def goals() -> None:
    """Goals for reps, teams, departments and the company: suggest, set, list, discuss."""


@goals.command()
@_period
@_scope
@_metric
@click.option("--apply", "apply_", is_flag=True, help="Store the suggestions as new goal versions.")
@click.option("--reason", help="Why these goals are set (required with --apply).")
@click.option("--force", is_flag=True, help="Allow goals for a period that has already closed.")
@click.pass_context
@user_errors
def suggest(ctx, period, scope, metric, apply_, reason, force) -> None:
    """Suggest goals for every unit of --scope, each with its arithmetic."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    items = service.suggestions(wb, period, scope, metric)
    names = wb.facts()["reps"].set_index("rep_id")["name"] if scope == "rep" else None
    for s in items:
        label = f"{s.scope_id} {names[s.scope_id]}" if names is not None else s.scope_id
        click.echo(f"{label}: {s.sentence(fmt, wb.settings.language)}")
    if apply_:
        stored = service.apply_suggestions(wb, items, reason or "", author(), force)
        click.echo(_("Stored {n} goal versions.", n=len(stored)))


@goals.command("set")
@click.option("--scope", type=click.Choice(SCOPES), required=True)
@click.option("--id", "scope_id", help="The rep, team or department (not for company).")
@_period
@click.option("--target", type=float, required=True)
@click.option("--reason", required=True, help="Why the goal is set or revised.")
@click.option(
    "--because",
    type=click.Choice(REASONS),
    default="performance",
    show_default=True,
    help="What drove the change.",
)
@_metric
@click.option("--force", is_flag=True, help="Allow a goal for a period that has already closed.")
@click.pass_context
@user_errors
def set_(ctx, scope, scope_id, period, target, reason, because, metric, force) -> None:
    """Set or revise one goal; every version is kept."""
    wb = workbook_from(ctx)
    event = service.set_goal(
        wb, scope, scope_id, period, target, reason, author(), because, metric, force=force
    )
    click.echo(
        _("Stored goal {key} = {target} (event {id}).", key=event.key, target=target, id=event.id)
    )


@goals.command("list")
@click.option("--period", help="Only this period.")
@click.option("--scope", type=click.Choice(SCOPES), help="Only this level.")
@click.option("--history", is_flag=True, help="Every version, not only the goal in force.")
@click.pass_context
@user_errors
def list_(ctx, period, scope, history) -> None:
    """The goals in force (or every version with --history)."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    if history:
        frame = service.history(wb)
        if period:
            frame = frame[frame["key"].str.split("|").str[2] == period]
        if scope:
            frame = frame[frame["key"].str.startswith(scope + "|")]
        for r in frame.itertuples():
            who = f" {r.set_by} {fmt.iso(r.set_at)}" if isinstance(r.set_by, str) else ""
            why = r.why if isinstance(r.why, str) else ""
            click.echo(
                f"{r.key} v{r.version} {fmt.number(r.target, 2)} [{r.reason}]{who} {why}".rstrip()
            )
        return
    frame = service.in_force(wb)
    if period:
        frame = frame[frame["period"] == period]
    if scope:
        frame = frame[frame["scope"] == scope]
    for r in frame.itertuples():
        click.echo(
            f"{r.scope}|{r.scope_id}|{r.period}|{r.metric} {fmt.number(r.target, 2)} v{r.version} ({r.source})"
        )


@goals.command()
@click.argument("rep_id")
@_period
@click.option("--agreed", "outcome", flag_value="agreed", help="The rep agreed to the goal.")
@click.option("--disputed", "outcome", flag_value="disputed", help="The rep disputed the goal.")
@click.option("--comment", default="", help="The rep's comment.")
@click.option("--on", "discussed_on", help="Date of the discussion (default today).")
@click.pass_context
@user_errors
def ack(ctx, rep_id, period, outcome, comment, discussed_on) -> None:
    """Record that REP_ID's goal was discussed, agreed or disputed."""
    wb = workbook_from(ctx)
    service.acknowledge(
        wb, rep_id, period, outcome or "", author(), comment, discussed_on=discussed_on
    )
    click.echo(
        _(
            "Recorded: {rep} {outcome} the goal for {period}.",
            rep=rep_id,
            outcome=outcome,
            period=period,
        )
    )
    pending = service.acknowledgements(wb, period)
    waiting = pending[~pending["acknowledged"]]
    click.echo(
        _("{n} reps have not yet discussed their goal for {period}.", n=len(waiting), period=period)
    )


@goals.command()
@_period
@click.option("--rep", "rep_ids", multiple=True, help="Only these reps (repeatable).")
@click.option("--lang", help="Language of the letters (default: the workbook's).")
@click.pass_context
@user_errors
def letters(ctx, period, rep_ids, lang) -> None:
    """Write one goal letter per rep (HTML) under reports/<period>/letters/."""
    wb = workbook_from(ctx)
    paths = service.write_letters(wb, period, list(rep_ids) or None, lang)
    click.echo(
        _("Wrote {n} letters to {folder}", n=len(paths), folder=wb.reports_dir / period / "letters")
    )
