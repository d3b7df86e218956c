"""`salescoach awards ...`: propose, approve, communicate, list, leaderboard, budget, risks."""

from __future__ import annotations

import click

from salescoach.cli.common import author, user_errors, workbook_from
from salescoach.domain.capabilities import NotAssessed
from salescoach.domain.fmt import Formatter
from salescoach.domain.recognition import (
    CASH_REWARDS,
    STATUS_LABELS,
    STATUSES,
    attainment_text,
    award_label,
)
from salescoach.i18n import _n, translator
from salescoach.services import recognition as service

_period = click.option("--period", required=True, help="2026, 2026-Q3 or 2026-07.")
_scope = click.option(
    "--scope",
    type=click.Choice(["company", "department", "team"]),
    default="company",
    show_default=True,
)
_scope_id = click.option("--id", "scope_id", help="The department or team (not for company).")
_reason = click.option("--reason", required=True, help="Why (recorded with the decision).")
_reps = click.option("--rep", "rep_ids", multiple=True, help="Only this rep's awards (repeatable).")
_rules = click.option(
    "--rule", "rules", multiple=True, help="Only this rule's awards (repeatable)."
)
_all = click.option(
    "--all", "everything", is_flag=True, help="Every award of the period that can take this step."
)


def _worth(fmt, reward: str, amount: float, _) -> str:
    if reward in CASH_REWARDS or reward == "trip":
        return fmt.money(amount)
    if reward == "leave_days":
        return _("{days} days", days=fmt.number(amount))
    return ""


@click.group()
def awards() -> None:
    """Recognition: award rules, bonuses, leaderboards; awards are the manager's decisions."""


@awards.command()
@_period
@_scope
@_scope_id
@click.option("--reason", help="Why (default: proposed by the award rules).")
@click.option("--dry-run", is_flag=True, help="Show the proposal, store nothing.")
@click.pass_context
@user_errors
def propose(ctx, period, scope, scope_id, reason, dry_run) -> None:
    """Apply the award rules of salescoach.toml and record each award as proposed."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    _ = translator(wb.settings.language)
    if dry_run:
        result, stored = service.proposal(wb, period, scope, scope_id), []
    else:
        result, stored = service.propose(wb, period, author(), reason, scope, scope_id)
    for r in result.awards.itertuples():
        click.echo(
            f"{r.rep_id}  {r.rule:<18} {_worth(fmt, r.reward, r.amount, _):>10}  {r.sentence}"
        )
    for r in result.unfunded.itertuples():
        click.echo(f"{r.rep_id}  {r.rule:<18} {'-':>10}  {r.sentence}")
    for note in result.notes:
        click.echo(note)
    click.echo(
        _n(
            "{n} award, cash {cash} (budget {budget}), non-cash {noncash} (budget {noncash_budget}), total {total}.",
            "{n} awards, cash {cash} (budget {budget}), non-cash {noncash} (budget {noncash_budget}), total {total}.",
            len(result.awards),
            n=len(result.awards),
            cash=fmt.money(result.cash),
            budget=fmt.money(result.cash_budget) if result.cash_budget else _("none"),
            noncash=fmt.money(result.noncash_cost),
            noncash_budget=fmt.money(result.noncash_budget) if result.noncash_budget else _("none"),
            total=fmt.money(result.cost),
        )
    )
    if not dry_run:
        click.echo(
            _n(
                "Stored {n} award as proposed; approve with `salescoach awards approve --period {period} --rep ID --reason TEXT`.",
                "Stored {n} awards as proposed; approve with `salescoach awards approve --period {period} --rep ID --reason TEXT`.",
                len(stored),
                n=len(stored),
                period=period,
            )
        )


def _decide(ctx, status, period, keys, rep_ids, rules, everything, reason) -> None:
    wb = workbook_from(ctx)
    _ = translator(wb.settings.language)
    stored = service.decide(
        wb, period, status, author(), reason, tuple(keys), tuple(rep_ids), tuple(rules), everything
    )
    for warning in service.award_warnings(wb, period):
        click.echo(_("Warning: {text}", text=warning))
    for e in stored:
        click.echo(f"{e.key}  {_(STATUS_LABELS[status])}")
    click.echo(
        _n(
            "{n} award now {status}.",
            "{n} awards now {status}.",
            len(stored),
            n=len(stored),
            status=_(STATUS_LABELS[status]),
        )
    )


@awards.command()
@click.argument("keys", nargs=-1)
@_period
@_reps
@_rules
@_all
@click.option("--reject", is_flag=True, help="Reject instead of approving.")
@_reason
@click.pass_context
@user_errors
def approve(ctx, keys, period, rep_ids, rules, everything, reject, reason) -> None:
    """Approve (or --reject) proposed awards, chosen by KEY, --rep, --rule or --all."""
    _decide(
        ctx, "rejected" if reject else "approved", period, keys, rep_ids, rules, everything, reason
    )


@awards.command()
@click.argument("keys", nargs=-1)
@_period
@_reps
@_rules
@_all
@_reason
@click.pass_context
@user_errors
def communicate(ctx, keys, period, rep_ids, rules, everything, reason) -> None:
    """Record that approved awards were told to the reps."""
    _decide(ctx, "communicated", period, keys, rep_ids, rules, everything, reason)


@awards.command()
@click.argument("rep_id")
@_period
@click.option("--award", required=True, help="What is awarded, e.g. 'extra leave'.")
@click.option("--amount", type=float, default=0.0, show_default=True, help="Its worth.")
@_reason
@click.pass_context
@user_errors
def grant(ctx, rep_id, period, award, amount, reason) -> None:
    """Approve an award for REP_ID granted by hand, outside the award rules."""
    wb = workbook_from(ctx)
    _ = translator(wb.settings.language)
    saved = service.grant(wb, rep_id, period, award, amount, reason, author())
    for warning in saved.warnings:
        click.echo(_("Warning: {text}", text=warning))
    click.echo(
        _("Approved: {award} for {rep} ({key}).", award=award, rep=rep_id, key=saved.event.key)
    )


@awards.command("list")
@click.option("--period", help="Only this period.")
@click.option("--status", type=click.Choice(STATUSES), help="Only awards with this status.")
@click.option("--rep", "rep_id", help="Only this rep.")
@click.pass_context
@user_errors
def list_(ctx, period, status, rep_id) -> None:
    """Awards with their current status and the date of each step."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    _ = translator(wb.settings.language)
    frame = service.current(wb, period, status)
    if rep_id and len(frame):
        frame = frame[frame["rep_id"] == rep_id]
    if frame.empty:
        click.echo(_("No awards."))
        return
    for _i, r in frame.iterrows():
        dates = ", ".join(
            f"{_(STATUS_LABELS[s])} {fmt.iso(r[f'{s}_at'])}"
            for s in STATUSES
            if f"{s}_at" in r and r[f"{s}_at"] == r[f"{s}_at"]
        )
        worth = _worth(fmt, r.get("reward", ""), r.get("amount", 0.0), _)
        award = award_label(r.get("award", r["rule"]), _)
        click.echo(
            f"{r['key']}  {_(STATUS_LABELS.get(r['status'], r['status'])):<12} {worth:>10}  {award}  ({dates}; {r['who']})"
        )


@awards.command()
@_period
@_scope
@_scope_id
@click.option("--top", type=int, default=20, show_default=True, help="How many rows to print.")
@click.pass_context
@user_errors
def leaderboard(ctx, period, scope, scope_id, top) -> None:
    """Sellers by attainment with their badges; ties share a rank (=2) and are stated."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    board, notes = service.leaderboard(wb, period, scope, scope_id)
    for _rep_id, r in board.head(top).iterrows():
        click.echo(
            f"{r['rank_label']:>4}  {str(r['name']):<28} {attainment_text(fmt, r['attainment']):>7}  "
            f"{fmt.money(r['actual']):>14}  {r['badges']}"
        )
    for note in notes:
        click.echo(note)


@awards.command()
@_period
@_scope
@_scope_id
@click.pass_context
@user_errors
def budget(ctx, period, scope, scope_id) -> None:
    """The program's cost against its budgets, per rule, and the bonus plan in both modes on
    the run-rate projection with a what-if on attainment."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    _ = translator(wb.settings.language)
    got = service.budget(wb, period, scope, scope_id)
    result = got["proposal"]
    for r in got["per_rule"].itertuples():
        click.echo(
            _n(
                "{rule}: {n} award, {cost}",
                "{rule}: {n} awards, {cost}",
                int(r.awards),
                rule=r.rule,
                n=int(r.awards),
                cost=fmt.money(r.cost),
            )
        )
    click.echo(_("Total: {total}", total=fmt.money(result.cost)))
    for note in result.notes:
        click.echo(note)
    click.echo(_("Bonus plan on the run-rate projection (attainment moved by each shift):"))
    for r in got["projection"].itertuples():
        click.echo(
            _(
                "  {shift}: {n} reps, marginal {marginal}, tiered {tiered}",
                shift=fmt.pct(r.shift, signed=True),
                n=r.reps,
                marginal=fmt.money(r.marginal),
                tiered=fmt.money(r.tiered),
            )
        )


@awards.command()
@_period
@click.pass_context
@user_errors
def risks(ctx, period) -> None:
    """Top performers at risk of leaving, and awards won only thanks to a low goal."""
    wb = workbook_from(ctx)
    _ = translator(wb.settings.language)
    standings = service.inputs(wb, period).standings
    if "attainment" not in standings or not standings["attainment"].notna().any():
        # Nobody's attainment is known: "no one at risk" would be a check that never ran.
        click.echo(NotAssessed(("targets",)).text(wb.settings.language))
        return
    at_risk = service.retention(wb, period)
    flags = service.fairness(wb, period)["flags"]
    for text in list(at_risk["sentence"]) + list(flags["sentence"]):
        click.echo(text)
    if at_risk.empty and flags.empty:
        click.echo(_("No top performer at risk and no award won only thanks to a low goal."))
