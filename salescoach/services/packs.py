"""Review pack sections: one function per section, returning display-ready frames and figures.

The pack notebooks in ``notebooks/`` are thin: they call these functions and display what they
return. Everything a batch shares (every rep's figures for the period, the trend, the peer
benchmarks) is computed once per batch by :func:`batch_figures` and cached as Parquet under
``salescoach-data/packs/``, keyed by the facts, the period, the whole settings and the code
version (:func:`batch_key`), so each rep's notebook only reads a small file and selects its
own row.

Privacy: a rep's pack shows that rep's own figures; peers appear only through
:func:`salescoach.privacy.peer_benchmark` (median and quartiles, never a name or a row).
"""

from __future__ import annotations

import functools
import hashlib
import html
import importlib
import inspect
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salescoach import actuals, attainment, capabilities, monitoring, privacy
from salescoach.fmt import Formatter
from salescoach.i18n import _, label, set_language
from salescoach.periods import Period, last_complete_quarter
from salescoach.services import period_of, using_store
from salescoach.workbook import Workbook

TREND_PERIODS = 8
FIGURE_COLUMNS = (
    "revenue",
    "units",
    "deals_won",
    "new_customers",
    "goal",
    "attainment",
    "projection",
    "projected_attainment",
    "open_deals",
    "pipeline",
    "orders",
    "on_time",
    "returns",
    "follow_up",
    "feedback",
)


# --------------------------------------------------------------------------------------------
# Shared batch data
# --------------------------------------------------------------------------------------------


_WORKBOOKS: dict[tuple[str, str], Workbook] = {}


def open_workbook(workbook: str | Path | Workbook, lang: str = "") -> Workbook:
    """The workbook, in `lang` if given; a path is opened once per process (its settings parsed
    once). The pack's words follow its language from here on (`i18n.set_language`)."""
    if not isinstance(workbook, Workbook):
        key = (str(Path(workbook).resolve()), lang or "")
        if key not in _WORKBOOKS:
            _WORKBOOKS[key] = Workbook.open(workbook, language=lang or "")
        workbook = _WORKBOOKS[key]
    set_language(workbook.settings.language)
    return workbook


def _fingerprint(wb: Workbook, period: Period) -> tuple | None:
    """A cheap identity of the batch inputs when the store is the workbook's SQLite file."""
    if wb.settings["store"]["url"]:
        return None
    db = wb.data_dir / "decisions.sqlite"
    snapshot = wb.current_snapshot()
    stamps = [db.stat().st_mtime_ns if db.exists() else 0]
    wal = db.with_name(db.name + "-wal")
    stamps.append(wal.stat().st_mtime_ns if wal.exists() else 0)
    return (
        str(wb.root),
        snapshot.name if snapshot else None,
        str(period),
        settings_digest(wb.settings),
        *stamps,
    )


def parse_period(wb: Workbook, period: str | Period | None) -> Period:
    """The period asked for, or the last complete quarter of the data when None."""
    fiscal = wb.settings.fiscal_year_start_month
    if period:
        return period_of(wb, period)
    return last_complete_quarter(actuals.last_day(wb.facts().all()) or pd.Timestamp.today(), fiscal)


def _goal_events(wb: Workbook) -> pd.DataFrame | None:
    try:
        return using_store(wb, lambda store: store.frame(attainment.GOAL_KIND))
    except Exception:  # noqa: BLE001 - no store yet: imported targets only
        return None


def goals_for(wb: Workbook) -> pd.DataFrame:
    return attainment.goals_in_force(wb.facts().get("targets"), _goal_events(wb))


def settings_digest(settings) -> str:
    """A hash of the whole parsed settings as canonical JSON (sorted keys): any setting that
    changes, a threshold or the company's name, changes it."""
    text = json.dumps(
        {k: dict(v) for k, v in settings.values.items()},
        sort_keys=True,
        default=str,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def code_version() -> str:
    """The package version and a hash of the package's .py files and the pack notebooks: a
    figure computed by other code is another figure. Read once per process."""
    from salescoach import __version__, shipped

    package = Path(__file__).resolve().parent.parent
    files = sorted(package.rglob("*.py")) + sorted(shipped.notebooks_dir().glob("*.ipynb"))
    h = hashlib.sha256()
    for path in files:
        h.update(str(path.relative_to(path.parents[1])).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def batch_key(wb: Workbook, period: Period) -> str:
    """Identity of a batch's shared data: the facts (snapshot and the goals in force), the
    period, the whole settings and the code version; none of them can change unseen."""
    snapshot = wb.current_snapshot()
    goals = goals_for(wb)
    digest = hashlib.sha256(pd.util.hash_pandas_object(goals.astype(str), index=False).values)
    digest.update(settings_digest(wb.settings).encode())
    digest.update(code_version().encode())
    return f"{snapshot.name if snapshot else 'none'}-{period}-{digest.hexdigest()[:12]}"


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator > 0)


def process_figures(tables: dict, period: Period, settings) -> pd.DataFrame:
    """Per rep, for orders of the period: on-time share, return share, follow-up share, feedback.

    On time, returned and followed up are monitoring's definitions (`monitoring.process_by_rep`),
    so a pack and the monitoring page show one figure; NaN where the data cannot answer."""
    tables = monitoring.FactTables(tables)
    config = monitoring.MonitoringSettings.from_settings(settings)
    # The same day monitoring's views judge follow-ups by (services.monitoring.context).
    events = actuals.events(tables, "revenue")
    as_of = min(period.end, events["date"].max()) if len(events) else period.end
    out = monitoring.process_by_rep(tables, period, config, as_of)
    caps = capabilities.of(tables)
    if caps.has("feedback", "feedback.rep_id"):
        feedback = tables["feedback"]
        f = feedback[(feedback["date"] >= period.start) & (feedback["date"] <= period.end)]
        out["feedback"] = f.groupby("rep_id")["score"].mean()
    else:
        out["feedback"] = np.nan
    return out


def compute_batch(wb: Workbook, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every rep's figures for the period (one row per rep) and the revenue trend (rep x period)."""
    tables = wb.facts().all()
    reps = tables["reps"].set_index("rep_id")
    figures = pd.DataFrame(index=reps.index)
    for column in ("name", "team", "department", "role"):
        figures[column] = reps[column] if column in reps else None
    for metric in ("revenue", "units", "deals_won", "new_customers"):
        try:
            figures[metric] = actuals.per_rep(tables, metric, period.start, period.end)
            figures[metric] = figures[metric].fillna(0.0)
        except actuals.MissingData:
            figures[metric] = np.nan
    goals = goals_for(wb)
    table = attainment.attainment_table(tables, goals, period)
    rep_rev = table[(table["scope"] == "rep") & (table["metric"] == "revenue")].set_index(
        "scope_id"
    )
    for column, source in (
        ("goal", "target"),
        ("attainment", "attainment"),
        ("projection", "projection"),
        ("projected_attainment", "projected_attainment"),
    ):
        figures[column] = rep_rev[source] if source in rep_rev else np.nan
    # A goal of 0 is no goal: not a peer's goal of nothing in the quartiles.
    figures["goal"] = figures["goal"].where(figures["goal"] > 0)
    deals = tables.get("deals")
    if deals is not None:
        open_ = deals[deals["stage"] == "open"]
        figures["open_deals"] = open_.groupby("rep_id").size()
        figures["pipeline"] = (
            open_.groupby("rep_id")["amount"].sum() if "amount" in open_ else np.nan
        )
        figures[["open_deals"]] = figures[["open_deals"]].fillna(0)
    figures = figures.join(process_figures(tables, period, wb.settings))
    for column in FIGURE_COLUMNS:
        if column not in figures:
            figures[column] = np.nan
    try:
        trend = actuals.per_rep_period(
            tables, "revenue", "quarter", wb.settings.fiscal_year_start_month
        )
        labels = [
            p
            for p in trend.columns
            if Period.parse(p, wb.settings.fiscal_year_start_month) <= period
        ]
        trend = trend[labels[-TREND_PERIODS:]].reindex(reps.index).fillna(0.0)
    except actuals.MissingData:
        trend = pd.DataFrame(index=reps.index)
    trend.columns = [str(c) for c in trend.columns]
    return figures.reset_index(), trend.reset_index()


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


_CACHE: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
_QUICK: dict[tuple, str] = {}
_DEALS: dict[str, pd.DataFrame | None] = {}


def _open_deals(wb: Workbook) -> pd.DataFrame | None:
    """Open deals of the current snapshot, read once per process."""
    snapshot = str(wb.current_snapshot())
    if snapshot not in _DEALS:
        deals = wb.facts().get("deals")
        _DEALS.clear()
        _DEALS[snapshot] = None if deals is None else deals[deals["stage"] == "open"]
    return _DEALS[snapshot]


def batch_figures(
    wb: Workbook | str | Path, period: str | Period | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(figures, trend) for every rep, computed once per batch and cached as Parquet."""
    wb = open_workbook(wb)
    period = parse_period(wb, period)
    quick = _fingerprint(wb, period)
    if quick is not None and quick in _QUICK:
        return _CACHE[_QUICK[quick]]
    key = batch_key(wb, period)
    if key in _CACHE:
        if quick is not None:
            _QUICK[quick] = key
        return _CACHE[key]
    folder = wb.data_dir / "packs"
    fig_path, trend_path = folder / f"{key}-figures.parquet", folder / f"{key}-trend.parquet"
    if fig_path.exists() and trend_path.exists():
        result = pd.read_parquet(fig_path), pd.read_parquet(trend_path)
    else:
        result = compute_batch(wb, period)
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_parquet(result[0], fig_path)
        _atomic_parquet(result[1], trend_path)
    _CACHE.clear()
    _QUICK.clear()
    _CACHE[key] = result
    if quick is not None:
        _QUICK[quick] = key
    return result


# --------------------------------------------------------------------------------------------
# Sections of a rep's pack
# --------------------------------------------------------------------------------------------


def _row(figures: pd.DataFrame, rep_id: str) -> pd.Series:
    match = figures[figures["rep_id"].astype(str) == str(rep_id)]
    if match.empty:
        from salescoach.errors import InputError

        raise InputError(_("no rep with id {rep_id}", rep_id=rep_id))
    return match.iloc[0]


def cover(
    wb: Workbook | str | Path, rep_id: str, period: str | None = None, title: str = ""
) -> dict[str, str]:
    """Title lines of the cover: company, rep's name and id, team, department, period.

    `title` is a message with `{name}` (a trainer's `_("Coaching session: {name}")`); by
    default the review pack's."""
    wb = open_workbook(wb)
    p = parse_period(wb, period)
    figures, _trend = batch_figures(wb, p)
    row = _row(figures, rep_id)
    f = Formatter.for_settings(wb.settings)
    return {
        "company": wb.settings.company_name,
        # A message's placeholders are filled here, so a trainer's title is translated whole.
        "title": (title or _("Review pack: {name}")).format(name=row["name"]),
        "subtitle": _(
            "{rep_id} · {team} · {department} · {period}",
            rep_id=rep_id,
            team=row["team"],
            department=row["department"],
            period=f.period(p),
        ),
    }


def _peer_group(figures: pd.DataFrame, row: pd.Series) -> pd.DataFrame:
    return figures[(figures["role"] == row["role"]) & (figures["rep_id"] != row["rep_id"])]


def goal_attainment(
    wb: Workbook | str | Path, rep_id: str, period: str | None = None
) -> pd.DataFrame:
    """The rep's revenue, goal, attainment and projection, beside the peers' median and quartiles."""
    wb = open_workbook(wb)
    figures, _trend = batch_figures(wb, period)
    row = _row(figures, rep_id)
    f = Formatter.for_settings(wb.settings)
    peers = _peer_group(figures, row)
    minimum = int(wb.settings["packs"]["min_peers"])
    lines = [
        (_("Revenue"), "revenue", f.money),
        (_("Goal"), "goal", f.money),
        (_("Attainment"), "attainment", f.pct),
        (_("Projection at run rate"), "projection", f.money),
        (_("Projected attainment"), "projected_attainment", f.pct),
        (_("Units"), "units", f.number),
        (_("Deals won"), "deals_won", f.number),
        (_("New customers"), "new_customers", f.number),
    ]
    table = _with_peers(lines, row, peers, minimum)
    if not row["goal"] > 0:
        # No goal (or a goal of 0): said in words, not a dash or an infinite attainment.
        for measure in (_("Goal"), _("Attainment"), _("Projected attainment")):
            table.loc[measure, _("You")] = _("no goal")
    return table


def _with_peers(lines, row, peers, minimum, gaps=None) -> pd.DataFrame:
    """One row per measure: the rep's figure and the peers' quartiles; a measure in `gaps`
    (column -> NotAssessed) says what it lacks instead of a figure."""
    records = []
    for measure, column, show in lines:
        gone = (gaps or {}).get(column)
        if gone is not None:
            records.append(
                {
                    _("Measure"): measure,
                    _("You"): gone.text(),
                    _("Peers: lower quartile"): "",
                    _("Peers: median"): "",
                    _("Peers: upper quartile"): "",
                }
            )
            continue
        bench = privacy.peer_benchmark(peers[column], minimum)
        records.append(
            {
                _("Measure"): measure,
                _("You"): show(row[column]),
                _("Peers: lower quartile"): show(bench["q1"]),
                _("Peers: median"): show(bench["median"]),
                _("Peers: upper quartile"): show(bench["q3"]),
            }
        )
    return pd.DataFrame(records).set_index(_("Measure"))


# What each figure of the process section needs: monitoring's needs for the same measure.
PROCESS_NEEDS = {
    "orders": monitoring.MEASURE_NEEDS["orders"],
    **{fig: monitoring.MEASURE_NEEDS[m] for fig, m in monitoring.PROCESS_FIGURES.items()},
    "feedback": monitoring.MEASURE_NEEDS["feedback"],
}


def process(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> pd.DataFrame:
    """The rep's own orders: on time against the promised date, returns, follow-up, feedback."""
    wb = open_workbook(wb)
    figures, _trend = batch_figures(wb, period)
    row = _row(figures, rep_id)
    f = Formatter.for_settings(wb.settings)
    lines = [
        (_("Orders"), "orders", f.number),
        (_("Delivered on time (against promised date)"), "on_time", f.pct),
        (_("Orders returned"), "returns", f.pct),
        (_("Followed up after delivery"), "follow_up", f.pct),
        (_("Average customer feedback (0-10)"), "feedback", lambda x: f.number(x, 1)),
    ]
    caps = wb.facts().capabilities()
    gaps = {
        column: caps.check(*needs)
        for column, needs in PROCESS_NEEDS.items()
        if caps.check(*needs) is not None
    }
    return _with_peers(
        lines, row, _peer_group(figures, row), int(wb.settings["packs"]["min_peers"]), gaps
    )


def pipeline(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> pd.DataFrame:
    """The rep's open deals, largest first (at most 15)."""
    wb = open_workbook(wb)
    deals = _open_deals(wb)
    f = Formatter.for_settings(wb.settings)
    if deals is None:
        return _("not assessed: no deals data")
    mine = deals[deals["rep_id"] == rep_id]
    mine = mine.sort_values("amount", ascending=False).head(15)
    return pd.DataFrame(
        {
            _("Deal"): mine["deal_id"].astype(str),
            _("Customer"): mine["customer_id"].astype(str) if "customer_id" in mine else "",
            _("Opened"): [
                f.date(d) for d in mine.get("created_date", pd.Series(dtype="datetime64[ns]"))
            ],
            _("Amount"): [f.money(a) for a in mine["amount"]],
        }
    ).reset_index(drop=True)


def trend_figure(wb: Workbook | str | Path, rep_id: str, period: str | None = None):
    """A bar chart of the rep's revenue per quarter, the peers' median as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wb = open_workbook(wb)
    figures, trend = batch_figures(wb, period)
    row = _row(figures, rep_id)
    f = Formatter.for_settings(wb.settings)
    peers = trend[trend["rep_id"].isin(_peer_group(figures, row)["rep_id"])]
    mine = trend[trend["rep_id"] == rep_id].drop(columns="rep_id")
    labels = list(mine.columns)
    fig, ax = plt.subplots(figsize=(7, 2.6), dpi=90)
    colour = wb.settings["branding"]["primary_colour"]
    ax.bar(
        labels,
        mine.iloc[0].to_numpy() if len(mine) else np.zeros(len(labels)),
        color=colour,
        label=_("You"),
    )
    if len(peers) >= int(wb.settings["packs"]["min_peers"]):
        ax.plot(
            labels,
            peers[labels].median().to_numpy(),
            color=wb.settings["branding"]["accent_colour"],
            marker="o",
            label=_("Peers: median"),
        )
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f.money_compact(v)))
    # Periods as people say them, on two lines (`Γ' τρίμηνο` over `2026`) so eight fit.
    ax.set_xticks(range(len(labels)), ["\n".join(f.period(p).rsplit(" ", 1)) for p in labels])
    ax.set_title(_("Revenue per quarter"), fontsize=10, loc="left")
    ax.tick_params(labelsize=8)
    # Above the bars, right of the title: a long Greek label must not cover the data.
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="lower right", bbox_to_anchor=(1, 1))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _optional(module: str, function: str) -> Callable | None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("salescoach"):
            return None
        raise
    return getattr(mod, function, None)


def _other_module_section(module: str, function: str, missing: str, wb, rep_id, period) -> Any:
    fn = _optional(module, function)
    if fn is None:
        return missing
    book = open_workbook(wb)
    when = str(parse_period(book, period))
    # Decide by the signature, never by catching TypeError: that would hide a real bug
    # inside the section's own code behind a second, confusing call.
    if "scope_id" in inspect.signature(fn).parameters:
        return fn(book, scope="rep", scope_id=rep_id, period=when)
    return fn(book, rep_id, when)


def findings(wb, rep_id: str, period: str | None = None):
    """Diagnosis findings that concern the rep, with their systemic context, ready to read."""
    found = _other_module_section(
        "salescoach.services.diagnosis",
        "findings",
        _("not assessed: diagnosis is not installed"),
        wb,
        rep_id,
        period,
    )
    if not isinstance(found, pd.DataFrame):
        return found
    if found.empty:
        return _("No problem found above the materiality threshold.")
    from salescoach.services.diagnosis import readable

    book = open_workbook(wb)
    return readable(found, Formatter.for_settings(book.settings), book.settings.language)


def training(wb, rep_id: str, period: str | None = None):
    """Training status: courses done and refreshes due, one line a course."""
    status = _training_status(wb, rep_id, period)
    if not isinstance(status, pd.DataFrame) or status.empty:
        return status
    f = Formatter.for_settings(open_workbook(wb).settings)
    return pd.DataFrame(
        {
            _("Course"): status["title"],
            _("Topic"): [label(t) for t in status["topic"]],
            _("Status"): [label(s) for s in status["status"]],
            _("Last completed"): [f.date(d) for d in status["last_completed"]],
            _("Refresh due"): [f.date(d) for d in status["due_on"]],
        }
    )


def _training_status(wb, rep_id: str, period: str | None = None):
    return _other_module_section(
        "salescoach.services.training",
        "status",
        _("not assessed: training is not installed"),
        wb,
        rep_id,
        period,
    )


def coaching(wb, rep_id: str, period: str | None = None):
    """Coaching actions due for the rep."""
    return _other_module_section(
        "salescoach.services.coaching",
        "actions_due",
        _("not assessed: coaching is not installed"),
        wb,
        rep_id,
        period,
    )


def awards(wb, rep_id: str, period: str | None = None):
    """Awards the rep earned in the period."""
    return _other_module_section(
        "salescoach.services.recognition",
        "awards",
        _("not assessed: recognition is not installed"),
        wb,
        rep_id,
        period,
    )


def next_goal(wb, rep_id: str, period: str | None = None) -> str:
    """Next period's revenue goal when one is set."""
    wb = open_workbook(wb)
    p = parse_period(wb, period)
    goals = goals_for(wb)
    nxt = str(p.shift(1))
    mine = goals[
        (goals["scope"] == "rep")
        & (goals["scope_id"] == rep_id)
        & (goals["period"] == nxt)
        & (goals["metric"] == "revenue")
    ]
    f = Formatter.for_settings(wb.settings)
    if mine.empty:
        return _("No revenue goal set yet for {period}.", period=f.period(nxt))
    return _(
        "Revenue goal for {period}: {target}",
        period=f.period(nxt),
        target=f.money(mine["target"].iloc[-1]),
    )


# --------------------------------------------------------------------------------------------
# Group packs (team, department, company): totals only, members' names are the manager's to see
# --------------------------------------------------------------------------------------------


def group_summary(wb, scope: str, scope_id: str | None, period: str | None = None) -> pd.DataFrame:
    """Totals of a team, department or the company, and one row per member (manager's pack)."""
    wb = open_workbook(wb)
    figures, _trend = batch_figures(wb, period)
    f = Formatter.for_settings(wb.settings)
    if scope == "company":
        members = figures
    else:
        members = figures[figures[scope] == scope_id]
    group_col = {"company": "department", "department": "team", "team": "name"}[scope]
    totals = members.groupby(group_col)[["revenue", "goal"]].sum(min_count=1)
    totals["attainment"] = totals["revenue"] / totals["goal"].where(totals["goal"] > 0)
    return pd.DataFrame(
        {
            _("Revenue"): [f.money(v) for v in totals["revenue"]],
            _("Goal"): [f.money(v) for v in totals["goal"]],
            _("Attainment"): [
                f.pct(a) if g > 0 else _("no goal")
                for a, g in zip(totals["attainment"], totals["goal"], strict=True)
            ],
        },
        index=totals.index.rename(group_col),
    )


# --------------------------------------------------------------------------------------------
# The app's entry point
# --------------------------------------------------------------------------------------------


def render_team(
    wb: Workbook,
    team: str,
    period: str | None = None,
    formats: list[str] | tuple[str, ...] = ("html",),
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> list[Path]:
    """Render the packs of every rep of one team; returns the paths written or kept."""
    from salescoach import render

    plan = render.plan(wb, teams=[team], period=period, kinds=("rep",))
    result = render.run(
        wb, plan, formats=tuple(formats), jobs=render.default_jobs(), force=force, progress=progress
    )
    return result.paths


def show(title: str, content: Any) -> None:
    """Display a section: its heading, then a frame, a figure, a list of lines or a sentence.

    Text is escaped and shown as HTML, never passed through Markdown: names and comments come
    from data files, and Markdown would let `<script>` in a rep's name through as markup.
    """
    from IPython.display import HTML, Image, display

    esc = html.escape
    nothing = "<p>" + esc(_("nothing to show")) + "</p>"
    display(HTML(f"<h2>{esc(title)}</h2>"))
    if content is None:
        display(HTML(nothing))
    elif isinstance(content, str):
        display(HTML(f"<p>{esc(content)}</p>"))
    elif isinstance(content, (list, tuple)):
        items = "".join(f"<li>{esc(str(line))}</li>" for line in content)
        display(HTML(f"<ul>{items}</ul>" if items else nothing))
    elif isinstance(content, pd.DataFrame) and content.empty:
        display(HTML(nothing))
    elif isinstance(content, pd.DataFrame):
        if content.index.name is not None and content.columns.name is None:
            # The index's name in the header row's corner, not on a row of its own.
            content = content.rename_axis(index=None, columns=content.index.name)
        display(
            HTML(
                content.to_html(
                    index=not isinstance(content.index, pd.RangeIndex),
                    classes="dataframe",
                    escape=True,
                )
            )
        )
    elif hasattr(content, "savefig"):
        buffer = io.BytesIO()
        content.savefig(buffer, format="png", dpi=110)
        display(Image(data=buffer.getvalue(), format="png"))
    else:
        display(content)


def show_cover(cover_lines: dict[str, str]) -> None:
    from IPython.display import HTML, display

    display(
        HTML(
            f"<h1>{html.escape(cover_lines['title'])}</h1>"
            f"<p><strong>{html.escape(cover_lines['subtitle'])}</strong></p>"
        )
    )
