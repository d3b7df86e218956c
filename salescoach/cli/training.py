"""`salescoach training ...` (status, assign, effect, suggest) and `salescoach digest`."""

from __future__ import annotations

import click
import pandas as pd

from salescoach.cli.common import author, user_errors, workbook_from
from salescoach.domain.fmt import Formatter
from salescoach.i18n import _, label
from salescoach.services import default_period, training as service


def _echo_missing(result) -> bool:
    if isinstance(result, str):
        click.echo(result)
        return True
    return False


@click.group("training")
def training() -> None:
    """Courses: who is current, due or overdue; assignments; suggestions; did a course work."""


@training.command()
@click.option(
    "--period", help="The status at this period's end (default: the last complete quarter)."
)
@click.option("--team", help="Only this team's reps.")
@click.pass_context
@user_errors
def status(ctx, period, team) -> None:
    """Per rep and course: current, due soon, overdue or never; coverage per team."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    period = period or str(default_period(wb))
    table = service.status(wb, period, "team" if team else "company", team)
    if _echo_missing(table):
        return
    late = table[table["status"].isin(["overdue", "due_soon", "never"])]
    for r in late.sort_values(["status", "rep_id", "course_id"]).itertuples():
        due = _(" (due {date})", date=fmt.date(r.due_on)) if pd.notna(r.due_on) else ""
        click.echo(f"{r.rep_id} {r.name} | {r.course_id} {r.title}: {label(r.status)}{due}")
    cover = service.training.coverage(table, wb.facts()["reps"], "team")
    click.echo("")
    for name, r in cover.iterrows():
        click.echo(
            _(
                "{team}: {share} of courses in date ({overdue} overdue, {never} never taken)",
                team=name,
                share=fmt.pct(r.in_date_share),
                overdue=fmt.number(r.overdue),
                never=fmt.number(r.never),
            )
        )


@training.command()
@click.argument("rep_id")
@click.argument("course_id")
@click.option("--due", required=True, help="Due date, YYYY-MM-DD.")
@click.option("--reason", required=True, help="Why the rep takes this course.")
@click.pass_context
@user_errors
def assign(ctx, rep_id, course_id, due, reason) -> None:
    """Assign COURSE_ID to REP_ID by a date; recorded with who and why."""
    wb = workbook_from(ctx)
    event = service.assign(wb, rep_id, course_id, due, reason, author())
    click.echo(
        _(
            "Assigned {course} to {rep} by {due} (event {id}).",
            course=course_id,
            rep=rep_id,
            due=due,
            id=event.id,
        )
    )


@training.command()
@click.option("--period", help="Completions up to this period's end (default: all).")
@click.pass_context
@user_errors
def effect(ctx, period) -> None:
    """Per course: results before and after completion against those who did not take it."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    table = service.effects(wb, period)
    if _echo_missing(table):
        return
    metric = wb.settings.training.effect_metric
    show = (
        # A course's effect on win rate is a difference of rates: points, not a percentage.
        (lambda x, signed=True: fmt.points(x, 1, signed=signed))
        if metric == "win_rate"
        else (lambda x, signed=True: fmt.money(x, 2))
    )
    for r in table.to_dict("records"):
        click.echo(
            _(
                "{course} {title}: {effect} ± {margin} ({trained} reps trained, {untrained} not; {n} completions)",
                course=r["course_id"],
                title=r["title"],
                effect=show(r["effect"]),
                margin=show(2 * r["se"], signed=False),
                trained=fmt.number(r["reps_trained"]),
                untrained=fmt.number(r["reps_untrained"]),
                n=fmt.number(r["completions"]),
            )
            + (" " + service.effect_caution(r, wb.settings.language) if not r["conclusive"] else "")
        )


@training.command()
@click.option("--period", required=True, help="2026, 2026-Q3 or 2026-07.")
@click.pass_context
@user_errors
def suggest(ctx, period) -> None:
    """Product courses for reps who lose on a family and never took its course."""
    wb = workbook_from(ctx)
    fmt = Formatter.for_settings(wb.settings)
    table = service.suggestions(wb, period)
    if _echo_missing(table):
        return
    if table.empty:
        click.echo(_("No training gap found."))
    for r in table.itertuples():
        click.echo(
            _(
                "{rep} {name}: take {course} {title}; wins {rate} of {family} deals ({won} of {closed}) against a peer median of {median}.",
                rep=r.rep_id,
                name=r.name,
                course=r.course_id,
                title=r.title,
                rate=fmt.pct(r.win_rate),
                family=r.family,
                won=fmt.number(r.won),
                closed=fmt.number(r.closed),
                median=fmt.pct(r.peer_median),
            )
        )


@click.command("digest")
@click.option("--period", required=True, help="2026, 2026-Q3 or 2026-07.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="The HTML file (default reports/PERIOD/digest.html).",
)
@click.option("--lang", help="Language of the digest, e.g. el (default: the workbook's).")
@click.option(
    "--format",
    "formats",
    default="html",
    show_default=True,
    help="html, or html,pdf to print a PDF too.",
)
@click.pass_context
@user_errors
def digest(ctx, period, out, lang, formats) -> None:
    """The best-practice digest for the whole sales staff, as HTML (and PDF)."""
    wb = workbook_from(ctx)
    path = service.write_digest(wb, period, out, lang)
    click.echo(_("Digest written to {path}", path=path))
    from salescoach.domain.capabilities import NotAssessed
    from salescoach.services import digest as digest_

    for need in digest_.missing_needs(wb.facts().capabilities()):
        click.echo(NotAssessed(need).text(lang or wb.settings.language))
    if "pdf" in formats.split(","):
        from salescoach.packs.render import print_to_pdf

        (pdf,) = print_to_pdf([path], wb.settings.packs.paper)
        click.echo(_("Digest written to {path}", path=pdf))
