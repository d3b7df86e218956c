"""`salescoach diagnose` and `salescoach coach ...`: findings, briefs and the coaching ladder."""

from __future__ import annotations

import json

import click
import pandas as pd

from salescoach.cli.common import author, user_errors, workbook_from
from salescoach.domain.diagnosis import FINDING_COLUMNS
from salescoach.domain.fmt import Formatter
from salescoach.i18n import _, _n, label
from salescoach.services import coaching as coach_service, diagnosis as service

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
    from salescoach.domain.diagnosis import not_assessed

    wb = workbook_from(ctx)
    frame = service.findings(wb, period, scope, scope_id)
    checks = frame.attrs.get("checks", pd.DataFrame(columns=["cause", "status", "detail"]))
    if fmt_ == "json":
        rows = frame[JSON_COLUMNS] if len(frame) else frame
        records = [
            {k: (None if _missing(v) else v) for k, v in r.items()} | {"status": "finding"}
            for r in rows.to_dict("records")
        ]
        records += not_assessed(checks)
        click.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
        return
    fmt = Formatter.for_settings(wb.settings)
    if by_owner:
        from salescoach.domain.diagnosis import by_owner as briefs

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
    state = frame.attrs.get("state", "closed")
    if state != "closed":
        click.echo(_period_note(state, frame.attrs.get("as_of"), fmt))
        pace = frame.attrs.get("pace")
        if pace is not None and len(pace):
            company = pace[pace["scope"] == "company"].iloc[0]
            click.echo(
                _(
                    "Pace: {actual} against {expected} expected by now ({target} for the period); open pipeline due in the period {pipeline}.",
                    actual=fmt.money(company["actual"]),
                    expected=fmt.money(company["expected"]),
                    target=fmt.money(company["target"]),
                    pipeline=fmt.money(company["pipeline"]),
                )
            )
        click.echo("")
    rows = list(checks.itertuples())
    width = max([len(label(c.cause)) for c in rows] or [0])
    for c in rows:
        click.echo(f"{label(c.cause):<{width}}  {c.detail}")
    click.echo("")
    for r in frame.itertuples():
        if not r.material:
            continue
        tag = _("works") if r.positive else label(r.cause)
        unit = f"{label(r.scope)} {r.scope_id}"
        confidence = service._confidence(fmt, _, r.n, r.low, r.high)
        click.echo(f"[{tag}] {unit}  {fmt.money(r.impact)}  ({label(r.owner)})  {confidence}")
        click.echo(f"    {r.evidence}")
        click.echo("    " + _("Action: {action}", action=r.action))


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _period_note(state: str, as_of, fmt: Formatter) -> str:
    if state == "not_started":
        return _(
            "The period has not started in the data (it runs to {date}): judged on pace and pipeline; no rep is blamed.",
            date=fmt.date(as_of),
        )
    return _(
        "The period is under way (data runs to {date}): judged on pace against the pro-rated goal and the pipeline; no rep is blamed before it ends.",
        date=fmt.date(as_of),
    )


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
    if rep:
        from salescoach.services import check_scope

        check_scope(wb.facts()["reps"], "rep", rep)
    steps = coach_service.steps(wb)
    if rep:
        steps = steps[steps["rep_id"] == rep]
    sessions = coach_service.sessions(wb, rep)
    for r in steps.itertuples():
        click.echo(f"{r.at}  {r.rep_id}  {label(r.step)}  {r.who}: {r.why}")
    for r in sessions.itertuples():
        acts = ", ".join(f"{r.key}#{n + 1} {a}" for n, a in enumerate(r.actions or []))
        session = _("session")
        click.echo(f"{r.at}  {r.rep_id}  {session}: {r.note}  {acts}")
    if steps.empty and sessions.empty:
        click.echo(
            _("No coaching records for {rep} yet.", rep=rep)
            if rep
            else _("No coaching records yet.")
        )


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
