"""`salescoach goals ...`: suggest, set, list, ack, letters."""

from __future__ import annotations

import click

from salescoach.cli.common import author, user_errors, workbook_from
from salescoach.domain.contract import METRICS, SCOPES
from salescoach.domain.fmt import Formatter
from salescoach.domain.goals import ALLOCATION_MODES, REASONS
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import _, _n, label
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
@click.option(
    "--from",
    "from_level",
    type=click.Choice(SCOPES[:-1]),
    help="Split each unit's goal at this level (its goal in force, else its suggestion) "
    "down to --scope, instead of suggesting from --scope's own results.",
)
@click.option(
    "--allocation",
    type=click.Choice(ALLOCATION_MODES),
    help="How --from splits: history, capacity or even (default: settings [goals] allocation).",
)
@click.option("--apply", "apply_", is_flag=True, help="Store the suggestions as new goal versions.")
@click.option("--reason", help="Why these goals are set (required with --apply).")
@click.option("--force", is_flag=True, help="Allow goals for a period that has already closed.")
@click.pass_context
@user_errors
def suggest(ctx, period, scope, metric, from_level, allocation, apply_, reason, force) -> None:
    """Suggest goals for every unit of --scope, each with its arithmetic."""
    wb = workbook_from(ctx)
    if apply_ and not (reason or "").strip():
        raise InputError(_("--apply needs --reason: why these goals are set"))
    if note := service.closed_note(wb, period, apply_, force):
        click.echo(note)
    fmt = Formatter.for_settings(wb.settings)
    lang = wb.settings.language
    names = wb.facts()["reps"].drop_duplicates("rep_id").set_index("rep_id")["name"]

    def label(scope_id):
        return f"{scope_id} {names[scope_id]}" if scope == "rep" else str(scope_id)

    if from_level:
        frame = service.split(wb, period, from_level, scope, allocation, metric)
        value = fmt.money if metric == "revenue" else fmt.number
        for r in frame.itertuples():
            click.echo(f"{label(r.scope_id)}: {r.basis} = {value(r.target)}")
        suggested = frame[frame["total_source"] == "suggested"]["parent_id"].unique()
        if len(suggested):
            click.echo(
                _(
                    "No goal in force for {units}: their suggested goal was split.",
                    units=", ".join(map(str, suggested)),
                )
            )
        stored = service.apply_split(wb, frame, reason, author(), force) if apply_ else None
    else:
        items = service.suggestions(wb, period, scope, metric)
        for s in items:
            click.echo(f"{label(s.scope_id)}: {s.sentence(fmt, lang)}")
        stored = service.apply_suggestions(wb, items, reason, author(), force) if apply_ else None
    if scope == "rep" and (note := service.support_note(wb)):
        click.echo(note)
    if stored is not None:
        click.echo(
            _n("Stored {n} goal version.", "Stored {n} goal versions.", len(stored), n=len(stored))
        )


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
    f = Formatter.for_settings(wb.settings)
    shown = (
        f.money(float(target), 0 if float(target).is_integer() else 2)
        if metric == "revenue"
        else f.number(target, 0 if float(target).is_integer() else 2)
    )
    click.echo(
        _("Stored goal {key} = {target} (event {id}).", key=event.key, target=shown, id=event.id)
    )
    if event.data.get("override"):
        click.echo(_("Recorded as an override: {period} had already closed.", period=period))
    if float(target) == 0:
        click.echo(
            _(
                "Warning: a goal of 0 counts as no goal: {key} is left out of attainment, ranks"
                " and peer figures until a goal above 0 is set.",
                key=event.key,
            )
        )


class _GoalWords:
    """A goal as people say it: the rep's name, the period as written in the workbook's
    language (Q3 2026), the metric's word and the target in money or units, not store keys."""

    def __init__(self, wb, fmt: Formatter):
        reps = wb.facts()["reps"]
        self.names = dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str)))
        self.company = wb.settings.company_name
        self.fiscal = wb.settings.fiscal_year_start_month
        self.fmt = fmt

    def who(self, scope: str, scope_id) -> str:
        if scope == "company" or not isinstance(scope_id, str) or not scope_id:
            return self.company
        if scope == "rep":
            name = self.names.get(scope_id)
            return f"{name} ({scope_id})" if name else scope_id
        return _("{scope} {name}", scope=label(scope), name=scope_id)

    def period(self, period: str) -> str:
        try:
            return self.fmt.period(Period.parse(period, self.fiscal))
        except ValueError:
            return period

    def goal(self, scope: str, scope_id, period: str, metric: str) -> str:
        return _(
            "{who}, {period}, {metric}",
            who=self.who(scope, scope_id),
            period=self.period(period),
            metric=label(metric),
        )

    def target(self, metric: str, value) -> str:
        return self.fmt.money(value) if metric == "revenue" else self.fmt.number(value)

    def source(self, source: str) -> str:
        words = {"import": _("from the targets file"), "set": _("set in the workbook")}
        return words.get(source, str(source))


@goals.command("list")
@click.option("--period", help="Only this period (also shows the roll-up gaps).")
@click.option("--scope", type=click.Choice(SCOPES), help="Only this level.")
@click.option("--history", is_flag=True, help="Every version, not only the goal in force.")
@click.option(
    "--pending",
    is_flag=True,
    help="The reps who have not yet discussed their goal (needs --period).",
)
@click.pass_context
@user_errors
def list_(ctx, period, scope, history, pending) -> None:
    """The goals in force (or every version with --history), and the roll-up gaps."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    if pending:
        if not period:
            raise InputError(_("--pending needs --period"))
        status = service.acknowledgements(wb, period)
        waiting = status[~status["acknowledged"]]
        for r in waiting.itertuples():
            click.echo(f"{r.rep_id} {r.name} ({r.team}, {r.department})")
        click.echo(
            _(
                "{n} of {total} reps have not yet discussed their goal for {period}.",
                n=len(waiting),
                total=len(status),
                period=period,
            )
        )
        return
    if history:
        frame = service.history(wb)
        if period:
            frame = frame[frame["key"].str.split("|").str[2] == period]
        if scope:
            frame = frame[frame["key"].str.startswith(scope + "|")]
        say = _GoalWords(wb, fmt)
        for r in frame.itertuples():
            g_scope, g_id, g_period, g_metric = (r.key.split("|") + ["", "", "", ""])[:4]
            line = _(
                "{goal}: version {version}, {target} ({reason})",
                goal=say.goal(g_scope, g_id, g_period, g_metric),
                version=r.version,
                target=say.target(g_metric, r.target),
                reason=label(r.reason),
            )
            if isinstance(r.set_by, str):
                line += " " + _("set by {who} on {date}", who=r.set_by, date=fmt.date(r.set_at))
            if isinstance(r.why, str) and r.why:
                line += f": {r.why}"
            click.echo(line)
        return
    frame = service.in_force(wb)
    if period:
        frame = frame[frame["period"] == period]
    if scope:
        frame = frame[frame["scope"] == scope]
    say = _GoalWords(wb, fmt)
    for r in frame.itertuples():
        click.echo(
            _(
                "{goal}: {target} (version {version}, {source})",
                goal=say.goal(r.scope, r.scope_id, r.period, r.metric),
                target=say.target(r.metric, r.target),
                version=r.version,
                source=say.source(r.source),
            )
        )
    if period:
        plural = {"rep": _("reps"), "team": _("teams"), "department": _("departments")}
        for metric in sorted(frame["metric"].unique()):
            gaps = service.gaps(wb, period, metric)
            shown = gaps[(gaps["gap"].abs() > 0.005) | (gaps["missing"] > 0) | gaps["goal"].isna()]
            for r in shown.itertuples():
                click.echo(
                    _(
                        "gap for {who} ({metric}): goal {goal}, its {children} {parts} add up to {parts_sum} ({missing} without a goal), gap {gap}",
                        who=say.who(r.scope, r.scope_id),
                        metric=label(metric),
                        goal=say.target(metric, r.goal),
                        children=r.children,
                        parts=plural[r.parts],
                        parts_sum=say.target(metric, r.sum_of_parts),
                        gap=say.target(metric, r.gap),
                        missing=r.missing,
                    )
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
    recorded = {
        "agreed": _("Recorded: {rep} agreed to the goal for {period}.", rep=rep_id, period=period),
        "disputed": _("Recorded: {rep} disputed the goal for {period}.", rep=rep_id, period=period),
    }
    click.echo(
        recorded.get(
            outcome or "",
            _("Recorded: {rep} discussed the goal for {period}.", rep=rep_id, period=period),
        )
    )
    pending = service.acknowledgements(wb, period)
    waiting = pending[~pending["acknowledged"]]
    click.echo(
        _n(
            "{n} rep has not yet discussed their goal for {period} (salescoach goals list --period {period} --pending).",
            "{n} reps have not yet discussed their goal for {period} (salescoach goals list --period {period} --pending).",
            len(waiting),
            n=len(waiting),
            period=period,
        )
    )


@goals.command()
@_period
@click.option("--rep", "rep_ids", multiple=True, help="Only these reps (repeatable).")
@click.option("--lang", help="Language of the letters (default: the workbook's).")
@_metric
@click.option(
    "--format",
    "formats",
    default="html",
    show_default=True,
    help="html, or html,pdf to print PDFs too.",
)
@click.pass_context
@user_errors
def letters(ctx, period, rep_ids, lang, metric, formats) -> None:
    """Write one goal letter per rep (HTML, and PDF with --format html,pdf) under reports/<period>/letters/."""
    wb = workbook_from(ctx, lang)
    paths = service.write_letters(wb, period, list(rep_ids) or None, metric=metric)
    if "pdf" in formats.split(","):
        from salescoach.packs.render import print_to_pdf

        print_to_pdf(paths, wb.settings.packs.paper)
    click.echo(
        _n(
            "Wrote {n} letter to {folder}",
            "Wrote {n} letters to {folder}",
            len(paths),
            n=len(paths),
            folder=wb.reports_dir / period / "letters",
        )
    )
