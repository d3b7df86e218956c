"""The `salescoach` command: the kit's public face. Command names and flags are a contract."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from salescoach.cli.common import author, user_errors, workbook_from
from salescoach.data.exporting import write_csv
from salescoach.data.workbook import Workbook, WorkbookError, init_workbook, resolve_root
from salescoach.domain.fmt import Formatter
from salescoach.i18n import N_, _, set_language, translator

if TYPE_CHECKING:  # the importer loads pandera (0.5 s): only the commands that import need it
    from salescoach.data.importer import ImportResult

DEMO_COMPANY = N_("Northwind Widgets (sample)")
# The sample's last complete quarter: `salescoach demo` renders its rep packs.
DEMO_PERIOD = "2026-Q3"


class _Root(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # Output piped into `head` and the like: the reader left; nothing went wrong.
            sys.stderr.close()
            ctx.exit(0)
        except Exception as exc:  # noqa: BLE001 - the last line of defence for users
            if os.environ.get("SALESCOACH_DEBUG"):
                raise
            what = f"{type(exc).__name__}: {exc}"
            click.echo(
                _("error: {what} (set SALESCOACH_DEBUG=1 to see the traceback)", what=what),
                err=True,
            )
            ctx.exit(1)


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workbook",
    "workbook",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SALESCOACH_WORKBOOK",
    help="Workbook folder (default: $SALESCOACH_WORKBOOK, else the current folder).",
)
@click.version_option(package_name="salescoach")
@click.pass_context
def main(ctx: click.Context, workbook: Path | None) -> None:
    """salescoach: a coaching workbook kit for sales managers."""
    ctx.obj = {"workbook": workbook}


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--company", help="Company name written into salescoach.toml.")
@click.option("--force", is_flag=True, help="Overwrite an existing salescoach.toml.")
@user_errors
def init(directory: Path, company: str | None, force: bool) -> None:
    """Create a new workbook in DIRECTORY with a commented salescoach.toml."""
    path = init_workbook(directory, company, force)
    click.echo(
        _("Created {path}. Next: salescoach --workbook {dir} import DATA", path=path, dir=directory)
    )


def _print_counts(result: ImportResult) -> None:
    counts = result.counts_frame()
    if counts.empty:
        return
    heads = [_("table"), _("read"), _("stored"), _("merged"), _("rejected"), _("file")]
    width = max(len(t) for t in [*counts["table"], heads[0]])
    wide = [max(9, len(h)) for h in heads[1:5]]
    n = Formatter.for_active_language().number
    click.echo(
        f"{heads[0]:<{width}}  "
        + "  ".join(f"{h:>{w}}" for h, w in zip(heads[1:5], wide))
        + f"  {heads[5]}"
    )
    for c in result.counts:
        enc = f" ({c.encoding})" if c.encoding and c.encoding not in ("utf-8", "utf-8-sig") else ""
        cells = (n(c.read), n(c.stored), n(c.merged), n(c.rejected))
        click.echo(
            f"{c.table:<{width}}  "
            + "  ".join(f"{v:>{w}}" for v, w in zip(cells, wide))
            + f"  {c.file}{enc}"
        )
    for note in result.notes:
        click.echo(_("note: {note}", note=note))


def _print_first_rows(result: ImportResult, limit: int) -> None:
    """The first rows of every table as the mapping made them, before anything is stored."""
    if limit <= 0:
        return
    from salescoach.data.mapping_draft import preview

    f = Formatter.for_active_language()
    for c in result.counts:
        frame = result.tables.get(c.table)
        if frame is None or frame.empty:
            continue
        click.echo("")
        click.echo(
            _(
                "{table}, first {n} of {total} rows:",
                table=c.table,
                n=f.number(min(limit, len(frame))),
                total=f.number(len(frame)),
            )
        )
        click.echo(preview(frame.head(limit), f))
    click.echo("")


def _print_rejects(result: ImportResult, limit: int = 10) -> None:
    if result.rejects.empty:
        return
    click.echo(_("First rejected rows (file, row, column, value: reason):"))
    for r in result.rejects.head(limit).itertuples():
        value = r.value if len(r.value) <= 60 else r.value[:57] + "..."
        click.echo(
            _(
                "  {file}, row {row}, {column}, {value}: {reason}",
                file=r.file,
                row=r.row,
                column=r.column,
                value=repr(value),
                reason=r.reason,
            )
        )
    if len(result.rejects) > limit:
        more = Formatter.for_active_language().number(len(result.rejects) - limit)
        click.echo(_("  ... and {n} more", n=more))


def _run_validation(path: Path, existing) -> ImportResult:
    from tqdm import tqdm

    from salescoach.data.importer import validate_path

    with tqdm(total=None, desc=_("validating"), unit=" table", disable=None, leave=False) as bar:

        def step(table: str) -> None:
            bar.set_postfix_str(table)
            bar.update(1)

        return validate_path(path, existing=existing, progress=step)


def _stored_for(wb: Workbook, path: Path, append: bool) -> dict:
    """The stored tables the validation of `path` checks against. A full import hands it every
    table; an append only those its files refer to (reps, the parents of their id columns, the
    orders a case or feedback names): a month of orders does not read a million activities.
    The others carry over untouched (`Workbook.save_import`)."""
    facts = wb.facts()
    from salescoach.data.importer import sources_for
    from salescoach.domain import contract

    given = {s.table for s in sources_for(path)}
    if not append:
        # A full import's own files replace their tables; only the others stand in (a folder
        # of every table reads none of the previous snapshot: scale 70's 4 GB of it was read
        # and held through the whole validation for nothing).
        return {t: facts[t] for t in facts.tables if t not in given}
    needed = {"reps"}
    for name in given:
        needed |= {c.references.split(".")[0] for c in contract.table(name).columns if c.references}
    if given & {"service", "feedback"}:
        needed.add("orders")
    return {t: facts[t] for t in sorted(needed - given) if facts.has(t)}


def _import(wb: Workbook, path: Path, who: str, append: bool = False) -> tuple[ImportResult, Path]:
    existing = _stored_for(wb, path, append)
    result = _run_validation(path, existing)
    del existing
    snapshot = wb.save_import(result, str(path), who, append=append) if result.usable else None
    return result, snapshot


def _print_appended(snapshot: Path) -> None:
    from salescoach.data.workbook import Facts

    counts = Facts(snapshot).manifest().get("appended") or []
    n = Formatter.for_active_language().number
    for c in counts:
        click.echo(
            _(
                "{table}: {appended} added, {updated} updated, {unchanged} already imported",
                table=c["table"],
                appended=n(c["appended"]),
                updated=n(c["updated"]),
                unchanged=n(c["unchanged"]),
            )
        )


@main.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--append",
    is_flag=True,
    help="Add PATH's rows to the stored tables by key: new rows are added, changed ones "
    "updated, identical ones left alone (importing the same file twice changes nothing).",
)
@click.pass_context
@user_errors
def import_(ctx: click.Context, path: Path, append: bool) -> None:
    """Import PATH: a data folder in the contract's layout, or a mapping YAML.

    Good rows are stored; every bad row goes to a rejects file with its file, row, column,
    value and reason. Exits non-zero only when the mapping is wrong or nothing usable remains.
    """
    wb = workbook_from(ctx)
    result, snapshot = _import(wb, path, author(), append=append)
    _print_counts(result)
    if append and snapshot is not None:
        _print_appended(snapshot)
    _print_rejects(result)
    if snapshot is None:
        raise click.ClickException(
            _("nothing usable remains: the kit needs reps and one of orders or deals")
        )
    click.echo(_("Stored in {path}", path=snapshot))
    if not result.rejects.empty:
        click.echo(_("Rejected rows with reasons: {path}", path=snapshot / "rejects.csv"))


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rejected rows to this CSV.",
)
@click.option(
    "--rows",
    default=3,
    show_default=True,
    help="Show the first N mapped rows of every table (0: none).",
)
@click.pass_context
@user_errors
def validate(ctx: click.Context, path: Path, rejects_path: Path | None, rows: int) -> None:
    """Check PATH (a data folder or mapping YAML) as import would, storing nothing."""
    root = resolve_root(ctx.obj["workbook"])
    try:
        existing = Workbook.open(root).facts().all()
    except WorkbookError:
        existing = {}
    result = _run_validation(path, existing)
    _print_counts(result)
    _print_first_rows(result, rows)
    _print_rejects(result)
    if rejects_path is not None:
        write_csv(result.rejects, rejects_path)
        click.echo(_("Rejected rows with reasons: {path}", path=rejects_path))
    if not result.usable:
        raise click.ClickException(
            _("nothing usable remains: the kit needs reps and one of orders or deals")
        )


@main.command()
@click.option(
    "--seed", default=7, show_default=True, help="Random seed of the sample organisation."
)
@click.option(
    "--scale", default=1.0, show_default=True, help="1 = about 60 reps and 150k order lines."
)
@click.option(
    "--lang",
    default="en",
    show_default=True,
    help="Language of the sample's names and comments and, in a new workbook, of all it prints (en, el).",
)
@click.option(
    "--no-packs", is_flag=True, help="Build and import the sample only; render no review packs."
)
@click.pass_context
@user_errors
def demo(ctx: click.Context, seed: int, scale: float, lang: str, no_packs: bool) -> None:
    """Build the sample organisation into the workbook and run the cycle on it."""
    from salescoach.data import sample
    from salescoach.domain import monitoring
    from salescoach.domain.fmt import Formatter

    root = resolve_root(ctx.obj["workbook"])
    from salescoach.settings import SETTINGS_FILE

    if not (root / SETTINGS_FILE).exists():
        # a Greek sample prints in Greek, its company's name too
        init_workbook(root, translator(lang)(DEMO_COMPANY), language=lang)
    wb = Workbook.open(root)
    set_language(wb.settings.language)
    folder = wb.data_dir / "sample"
    click.echo(
        _(
            "Building the sample organisation (seed {seed}, scale {scale})...",
            seed=seed,
            scale=Formatter.for_active_language().decimal(scale),
        )
    )
    sample.write_sample(folder, seed=seed, scale=scale, lang=lang)
    result, snapshot = _import(wb, folder, "salescoach demo")
    _print_counts(result)
    rejected = int(result.counts_frame()["rejected"].sum())
    # The validated tables are in the snapshot now: not held while the facts are read back.
    del result
    facts = wb.facts()
    f = Formatter.for_settings(wb.settings)
    reps = facts["reps"]
    click.echo("")
    click.echo(_("Sample organisation: {company}", company=wb.settings.company_name))
    click.echo(
        _(
            "  {reps} staff ({sellers} sellers, {support} support) in {teams} teams and {departments} departments",
            reps=len(reps),
            sellers=int((reps["role"] == "seller").sum()),
            support=int((reps["role"] == "support").sum()),
            teams=reps["team"].nunique(),
            departments=reps["department"].nunique(),
        )
    )
    if facts.has("orders") or facts.has("deals"):
        # Only the tables revenue reads (reps, orders, deals), not the million activities.
        by_dept = monitoring.revenue_by(facts.view(), "department", last_months=12)
        click.echo(_("  Revenue by department, last 12 months:"))
        for dept, value in by_dept.items():
            click.echo(f"    {dept:<24} {f.money(value):>16}")
        total = _("Total")
        click.echo(f"    {total:<24} {f.money(by_dept.sum()):>16}")
    click.echo(_("  Rows rejected at import: {n}", n=f.number(rejected)))
    click.echo("")
    click.echo(_("Settings:    {path}", path=wb.root / SETTINGS_FILE))
    click.echo(
        _(
            "Sample data: {path} (ground truth of its planted problems: ground_truth.json)",
            path=folder,
        )
    )
    click.echo(_("Facts:       {path}", path=snapshot))
    click.echo(_("Decisions:   {path}", path=wb.data_dir / "decisions.sqlite"))
    click.echo(_("Reports:     {path}", path=wb.reports_dir))
    if not no_packs:
        _demo_packs(wb)
    click.echo(_("Manager's app: salescoach --workbook {dir} serve", dir=wb.root))


def _demo_packs(wb: Workbook) -> None:
    """Render every pack of the sample (company, departments, teams, reps) for the last
    complete quarter and print the index's path."""
    from salescoach.cli.render import render_with_progress, report
    from salescoach.packs import render

    click.echo("")
    the_plan = render.plan(wb, everything=True, period=DEMO_PERIOD)
    report(render_with_progress(wb, the_plan, ("html", "pdf"), None, False, None))


# Each concept's commands live in salescoach/cli/<concept>.py and register here.
from salescoach.cli import (  # noqa: E402
    backup,
    diagnosis as _diagnosis,
    goals as _goals,
    mapping as _mapping,
    recognition as _recognition,
    render as _render,
    serve as _serve,
    template as _template,
    training as _training,
)

for _command in (
    backup.backup,
    backup.restore,
    _goals.goals,
    _recognition.awards,
    _serve.serve,
    _render.render,
    _diagnosis.diagnose,
    _diagnosis.coach,
    _training.training,
    _training.digest,
    _template.template,
    _mapping.mapping,
):
    main.add_command(_command)
