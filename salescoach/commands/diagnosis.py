"""`salescoach diagnose` and `salescoach coach ...`: findings, briefs and the coaching ladder."""

from __future__ import annotations

import json

import click
import pandas as pd

from salescoach.commands.common import author, user_errors, workbook_from
from salescoach.diagnosis import FINDING_COLUMNS
from salescoach.fmt import Formatter
from salescoach.i18n import _, _n, label
from salescoach.services import coaching as coach_service
from salescoach.services import diagnosis as service

# What `--format json` promises: a finding's fields, less the internals (benchmark, rule).
JSON_COLUMNS = [c for c in FINDING_COLUMNS if c not in ("benchmark", "rule")]


@click.command()
@click.option("--period", help="2026-Q3, 2026 or 2026-07; default: the last complete quarter.")
@click.option(
    "--scope",
    type=click.Choice(["company", "department", "team", "rep"]),
    default="company",
    show_default=True,
)
@click.option("--scope-id", help="The department, team or rep_id with --scope.")
@click.option(
    "--format", "fmt_", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--by-owner", is_flag=True, help="One brief per owning department.")
@click.pass_context
@user_errors
def diagnose(ctx, period, scope, scope_id, fmt_, by_owner) -> None:
    """Why goals were missed: product, price, delivery, service, marketing, training, then the rep."""
    wb = workbook_from(ctx)
    frame = service.findings(wb, period, scope, scope_id)
    if fmt_ == "json":
        rows = frame[JSON_COLUMNS] if len(frame) else frame
        click.echo(json.dumps(rows.to_dict("records"), ensure_ascii=False, indent=2, default=str))
        return
    fmt = Formatter.for_settings(wb.settings)
    if by_owner:
        from salescoach.diagnosis import by_owner as briefs

        for owner, rows in briefs(frame).items():
            click.echo(
                _(
                    "== Brief for {owner}: {money} at stake ==",
                    owner=label(owner),
                    money=fmt.money(rows["impact"].sum()),
                )
            )
            for r in rows.itertuples():
                click.echo(f"- [{label(r.scope)} {r.scope_id}] {r.evidence}")
                click.echo("  " + _("Action: {action}", action=r.action))
        return
    checks = list(frame.attrs.get("checks", pd.DataFrame()).itertuples())
    width = max([len(label(c.cause)) for c in checks] or [0])
    for c in checks:
        click.echo(f"{label(c.cause):<{width}}  {c.detail}")
    click.echo("")
    for r in frame.itertuples():
        if not r.material:
            continue
        tag = _("works") if r.positive else label(r.cause)
        unit = f"{label(r.scope)} {r.scope_id}"
        click.echo(f"[{tag}] {unit}  {fmt.money(r.impact)}  ({label(r.owner)})")
        click.echo(f"    {r.evidence}")
        click.echo("    " + _("Action: {action}", action=r.action))


@click.group()
def coach() -> None:
    """The coaching ladder and coaching sessions; each one a recorded decision."""


@coach.command("step")
@click.argument("rep")
@click.option(
    "--to",
    "to",
    required=True,
    help="none, training_assigned, coaching_plan, improvement_plan, dismissal_review",
)
@click.option("--reason", required=True, help="Why (recorded with the decision).")
@click.option("--period", help="The period the evidence is from.")
@click.option("--evidence", default="", help="The evidence snapshot, e.g. the finding's sentence.")
@click.option("--outcome", default="", help="The outcome agreed.")
@click.option("--follow-up", help="Follow-up date, YYYY-MM-DD.")
@click.pass_context
@user_errors
def step(ctx, rep, to, reason, period, evidence, outcome, follow_up) -> None:
    """Record REP's step on the coaching ladder."""
    wb = workbook_from(ctx)
    coach_service.record_step(wb, rep, to, reason, author(), period, evidence, outcome, follow_up)
    click.echo(_("{rep} is now at {step}.", rep=rep, step=label(to)))


@coach.command("session")
@click.argument("rep")
@click.option("--notes", required=True, help="What was discussed.")
@click.option(
    "--action", "actions", multiple=True, help='An agreed action, "text@YYYY-MM-DD"; repeat.'
)
@click.option("--period", help="The period discussed.")
@click.option("--follow-up", help="Follow-up date, YYYY-MM-DD.")
@click.pass_context
@user_errors
def session(ctx, rep, notes, actions, period, follow_up) -> None:
    """Record a coaching session with REP: notes and agreed actions with due dates."""
    wb = workbook_from(ctx)
    event = coach_service.record_session(wb, rep, notes, actions, author(), period, follow_up)
    click.echo(
        _n(
            "Session recorded: {key} ({n} action).",
            "Session recorded: {key} ({n} actions).",
            len(actions),
            key=event.key,
            n=len(actions),
        )
    )


@coach.command("done")
@click.argument("action_id")
@click.pass_context
@user_errors
def done(ctx, action_id) -> None:
    """Mark an agreed action (SESSION_KEY#N, see `coach list`) done."""
    coach_service.action_done(workbook_from(ctx), action_id, author())
    click.echo(_("Action {id} done.", id=action_id))


@coach.command("list")
@click.argument("rep", required=False)
@click.pass_context
@user_errors
def list_(ctx, rep) -> None:
    """Ladder steps and sessions, for everyone or one REP."""
    wb = workbook_from(ctx)
    steps = coach_service.steps(wb)
    if rep:
        steps = steps[steps["rep_id"] == rep]
    for r in steps.itertuples():
        click.echo(f"{r.at}  {r.rep_id}  {label(r.step)}  {r.who}: {r.why}")
    for r in coach_service.sessions(wb, rep).itertuples():
        acts = ", ".join(f"{r.key}#{n + 1} {a}" for n, a in enumerate(r.actions or []))
        session = _("session")
        click.echo(f"{r.at}  {r.rep_id}  {session}: {r.note}  {acts}")


@coach.command("overdue")
@click.pass_context
@user_errors
def overdue(ctx) -> None:
    """Agreed actions past their due date and not done."""
    wb = workbook_from(ctx)
    frame = coach_service.overdue(wb)
    fmt = Formatter.for_settings(wb.settings)
    if frame.empty:
        click.echo(_("No overdue actions."))
    for r in frame.itertuples():
        click.echo(f"{r.rep_id}  {fmt.date(r.due)}  {r.text}  ({r.action_id})")
