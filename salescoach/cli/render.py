"""`salescoach render`: the review pack batch."""

from __future__ import annotations

from pathlib import Path

import click

from salescoach.cli.common import user_errors, workbook_from
from salescoach.domain.fmt import Formatter
from salescoach.i18n import _, label


def _csv(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def render_with_progress(wb, the_plan, formats, jobs, force, executor):
    """Run a batch behind a tqdm bar; returns the BatchResult."""
    from tqdm import tqdm

    from salescoach.packs import render

    with tqdm(
        total=len(the_plan.specs), desc=_("rendering packs"), unit=" pack", disable=None
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        return render.run(
            wb,
            the_plan,
            formats=formats,
            jobs=jobs,
            force=force,
            executor=executor,
            progress=progress,
        )


def report(result) -> None:
    """The closing summary: counts, failures with their error, the index; exit 1 on failure."""
    click.echo(
        _(
            "{rendered} rendered, {skipped} unchanged (skipped), {failed} failed in {seconds} s",
            rendered=len(result.rendered),
            skipped=len(result.skipped),
            failed=len(result.failed),
            seconds=Formatter.for_active_language().number(result.seconds, 1),
        )
    )
    for outcome in result.failed:
        click.echo(
            _(
                "failed: {kind} {id}: {error}",
                kind=label(outcome.spec.kind),
                id=outcome.spec.scope_id or "",
                error=outcome.error,
            ),
            err=True,
        )
    if result.index is not None:
        click.echo(_("Index: {path}", path=result.index))


def _require_packs(wb, chosen) -> None:
    """Refuse, with the reason, a pack of a subject the person at the keyboard may not see."""
    from salescoach.services.access import Subject, person_for, require

    person = person_for(wb)
    subjects = [Subject()] if chosen["everything"] else []
    subjects += [Subject.rep(r) for r in chosen["reps"]]
    subjects += [Subject("team", t) for t in chosen["teams"]]
    subjects += [Subject("department", d) for d in chosen["departments"]]
    for subject in subjects:
        require(wb, person, "pack.render", subject)


@click.command("render")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every rep, team and department pack and the company pack.",
)
@click.option(
    "--rep", "reps", multiple=True, metavar="ID", help="A rep's pack (repeat, or comma-separated)."
)
@click.option(
    "--team", "teams", multiple=True, metavar="T", help="A team's pack and its reps' packs."
)
@click.option(
    "--department",
    "departments",
    multiple=True,
    metavar="D",
    help="A department's pack, its teams' and its reps'.",
)
@click.option(
    "--period", metavar="P", help="Period such as 2026-Q3 (default: the last complete quarter)."
)
@click.option(
    "--format", "formats", default="html,pdf", show_default=True, help="html, pdf or html,pdf."
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: CPU count, at most 4).",
)
@click.option(
    "--force", is_flag=True, help="Render again even the packs whose inputs have not changed."
)
@click.option(
    "--executor",
    metavar="URL",
    default="local",
    show_default=True,
    help="local, or dask://HOST:PORT for a Dask cluster.",
)
@click.option(
    "--notebook",
    type=click.Path(path_type=Path),
    help="Render this workbook notebook (a trainer's) instead of the built-in packs; its "
    "parameters say whether it is per rep, team, department or for the company.",
)
@click.option(
    "--lang",
    metavar="LANG",
    help="Language of the packs for this run (en, el; default: the workbook's).",
)
@click.pass_context
@user_errors
def render(
    ctx,
    everything,
    reps,
    teams,
    departments,
    period,
    formats,
    jobs,
    force,
    executor,
    notebook,
    lang,
) -> None:
    """Render review packs (HTML and PDF) under reports/PERIOD/, with an index.html."""
    from salescoach.packs import render as batch

    wb = workbook_from(ctx, lang)
    chosen = {
        "everything": everything,
        "reps": _csv(reps),
        "teams": _csv(teams),
        "departments": _csv(departments),
        "period": period,
    }
    _require_packs(wb, chosen)
    if notebook is None:
        the_plan = batch.plan(wb, **chosen)
    else:
        the_plan = batch.plan_notebook(wb, notebook, **chosen)
    result = render_with_progress(wb, the_plan, tuple(_csv((formats,))), jobs, force, executor)
    report(result)
    if result.failed:
        ctx.exit(1)
