"""Review pack sections: one function per section, returning display-ready frames and figures.

The pack notebooks in ``notebooks/`` are thin: they call these functions and display what they
return. Everything a batch shares (every rep's figures for the period, the trend, the peer
benchmarks) is computed once per batch by :func:`batch_figures` and cached as Parquet under
``salescoach-data/packs/``, keyed by the facts, the period, the whole settings and the code
version (:func:`batch_key`), so each rep's notebook only reads a small file and selects its
own row.

Privacy: a rep's pack shows that rep's own figures; peers appear only through
:func:`salescoach.domain.peers.peer_benchmark` (median and quartiles, never a name or a row).
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

from salescoach.data.workbook import Workbook
from salescoach.domain import actuals, attainment, capabilities, charts, monitoring
from salescoach.domain.fmt import Formatter
from salescoach.domain.peers import peer_benchmark
from salescoach.domain.periods import Period, last_complete_quarter
from salescoach.i18n import _, _n, label, name_order, separated, set_language
from salescoach.services import period_of, using_store

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
    if wb.settings.store.url:
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
    config = settings.monitoring
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
    minimum = wb.settings.packs.min_peers
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
        bench = peer_benchmark(peers[column], minimum)
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
    return _with_peers(lines, row, _peer_group(figures, row), wb.settings.packs.min_peers, gaps)


def pipeline(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> pd.DataFrame:
    """The rep's open deals, largest first (at most 15): the customer by name and what to do
    next (`next_action`, judged on the data's last day)."""
    wb = open_workbook(wb)
    deals = _open_deals(wb)
    f = Formatter.for_settings(wb.settings)
    if deals is None:
        return capabilities.NotAssessed("deals").text(wb.settings.language)
    facts = wb.facts()
    caps = facts.capabilities()
    mine = deals[deals["rep_id"] == rep_id]
    mine = mine.sort_values("amount", ascending=False).head(15)
    if caps.has("deals.customer_id", "customers.name"):
        names = facts["customers"].drop_duplicates("customer_id").set_index("customer_id")["name"]
        customer = [str(names.get(c, c)) if pd.notna(c) else "" for c in mine["customer_id"]]
    elif caps.has("deals.customer_id"):
        customer = [str(c) if pd.notna(c) else "" for c in mine["customer_id"]]
    else:
        customer = [""] * len(mine)
    as_of = actuals.last_day(facts.all()) or pd.Timestamp.today().normalize()
    contact = pd.Series(dtype="datetime64[ns]")
    if caps.has("activities", "activities.deal_id"):
        acts = facts["activities"]
        acts = acts[acts["date"] <= as_of]
        contact = acts.groupby("deal_id")["date"].max()
    has_close = caps.has("deals.close_date")
    closes = mine.get("close_date", pd.Series(pd.NaT, index=mine.index))
    opened = mine.get("created_date", pd.Series(pd.NaT, index=mine.index))
    return pd.DataFrame(
        {
            _("Customer"): customer,
            _("Deal"): mine["deal_id"].astype(str).to_numpy(),
            _("Opened"): [f.date(d) for d in opened],
            _("Amount"): [f.money(a) for a in mine["amount"]],
            _("Next action"): [
                next_action(c if has_close else pd.NaT, contact.get(d, pd.NaT), o, as_of, f)
                for d, c, o in zip(mine["deal_id"], closes, opened)
            ],
        }
    ).reset_index(drop=True)


def trend_figure(wb: Workbook | str | Path, rep_id: str, period: str | None = None):
    """A bar chart of the rep's revenue per quarter, the peers' median as a line."""
    wb = open_workbook(wb)
    figures, trend = batch_figures(wb, period)
    row = _row(figures, rep_id)
    peers = trend[trend["rep_id"].isin(_peer_group(figures, row)["rep_id"])]
    mine = trend[trend["rep_id"] == rep_id].drop(columns="rep_id")
    labels = list(mine.columns)
    values = mine.iloc[0] if len(mine) else pd.Series(0.0, index=labels)
    enough = len(peers) >= wb.settings.packs.min_peers
    return charts.revenue_per_quarter(
        values,
        peers[labels].median() if enough else None,
        Formatter.for_settings(wb.settings),
        title=_("Revenue per quarter"),
        you=_("You"),
        peers=_("Peers: median"),
        colour=wb.settings.branding.primary_colour,
        accent=wb.settings.branding.accent_colour,
    )


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
# Page 1 of a rep's pack: what the one-to-one talks about
# --------------------------------------------------------------------------------------------

_DIAGNOSES: dict[str, Any] = {}


def _diagnosis(wb: Workbook, period: Period):
    """The period's diagnosis pass (`services.diagnosis.run`), once per process and batch: a
    kept kernel renders many reps of one batch, and the pass covers the whole organisation."""
    from salescoach.services import diagnosis

    key = batch_key(wb, period)
    if key not in _DIAGNOSES:
        _DIAGNOSES.clear()
        _DIAGNOSES[key] = diagnosis.run(wb, str(period))
    return _DIAGNOSES[key]


def explanation(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> dict:
    """What explains the rep's own gap and the next coaching step: the goal-gap decomposition
    (`diagnosis_gap.rep_explanation`) on the batch's diagnosis pass."""
    from salescoach.domain.diagnosis_gap import rep_explanation
    from salescoach.services import coaching as coach_service

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    try:
        steps = coach_service.steps(wb)
        sessions = len(coach_service.sessions(wb, rep_id))
    except Exception:  # noqa: BLE001 - a new workbook has no coaching records yet
        steps, sessions = None, 0
    return rep_explanation(_diagnosis(wb, p), rep_id, steps, sessions)


# Process figures compared with the peers' median for "what went well": +1 when more is better.
_BETTER = {"on_time": 1, "returns": -1, "follow_up": 1, "feedback": 1}


def page_one(
    own: dict,
    peers: dict[str, dict],
    explained: dict | None,
    next_target: float | None,
    next_period: str,
    fmt: Formatter,
) -> dict:
    """The page-1 summary of a rep's pack, as text: attainment against goal and peers, three
    talking points (went well, held back with each cause's share of the gap, the next step on
    the coaching ladder) and the next goal.

    `own`: the rep's figures (revenue, goal, attainment, on_time, returns, follow_up, feedback);
    `peers`: column -> `peer_benchmark` of the peers (anonymous quartiles only);
    `explained`: `diagnosis_gap.rep_explanation`; `next_target`: next period's revenue goal.

    Example:
        >>> page_one({"revenue": 90, "goal": 100, "attainment": 0.9}, {}, None, None, "2026-Q4", fmt)  # doctest: +SKIP
    """
    attainment = own.get("attainment")
    goal = own.get("goal")
    has_goal = goal is not None and pd.notna(goal) and goal > 0
    if has_goal:
        headline = _(
            "{attainment} of the goal: {revenue} against {goal}",
            attainment=fmt.pct(attainment),
            revenue=fmt.money(own.get("revenue")),
            goal=fmt.money(goal),
        )
    else:
        headline = _(
            "{revenue} in the period; no goal was set", revenue=fmt.money(own.get("revenue"))
        )
    bench = peers.get("attainment") or {}
    if bench.get("median") is not None and pd.notna(bench.get("median")):
        peer_line = _(
            "Peers in the same role: median {median}, middle half {q1} to {q3}",
            median=fmt.pct(bench["median"]),
            q1=fmt.pct(bench["q1"]),
            q3=fmt.pct(bench["q3"]),
        )
    else:
        peer_line = _("Peers: too few in the same role to show a benchmark")
    return {
        "headline": headline,
        "peers": peer_line,
        "bar": {
            "attainment": _finite(attainment) if has_goal else None,
            "q1": _finite(bench.get("q1")),
            "median": _finite(bench.get("median")),
            "q3": _finite(bench.get("q3")),
        },
        "points": [
            {"title": _("What went well"), "text": _went_well(own, peers, has_goal, fmt)},
            {"title": _("What held you back"), "text": _held_back(explained, fmt)},
            {"title": _("The next step"), "text": _next_step(explained)},
        ],
        "next_goal": _(
            "Revenue goal for {period}: {target}",
            period=fmt.period(next_period),
            target=fmt.money(next_target),
        )
        if next_target is not None and pd.notna(next_target)
        else _("No revenue goal set yet for {period}.", period=fmt.period(next_period)),
    }


def _finite(x) -> float | None:
    """A number for the attainment bar (rounded: the summary is compared as a snapshot)."""
    return round(float(x), 4) if x is not None and pd.notna(x) and np.isfinite(float(x)) else None


def _went_well(own: dict, peers: dict, has_goal: bool, fmt: Formatter) -> str:
    if has_goal and pd.notna(own.get("attainment")) and own["attainment"] >= 1:
        return _(
            "You beat the goal by {amount} ({attainment}).",
            amount=fmt.money(own["revenue"] - own["goal"]),
            attainment=fmt.pct(own["attainment"]),
        )
    names = {
        "on_time": _("Delivered on time"),
        "returns": _("Orders returned"),
        "follow_up": _("Followed up after delivery"),
        "feedback": _("Average customer feedback (0-10)"),
    }
    best, margin = None, 0.0
    for column, sign in _BETTER.items():
        median = (peers.get(column) or {}).get("median")
        mine = own.get(column)
        if median is None or pd.isna(median) or mine is None or pd.isna(mine):
            continue
        scale = 10.0 if column == "feedback" else 1.0
        lead = sign * (float(mine) - float(median)) / scale
        if lead > margin:
            best, margin = column, lead
    if best is None:
        if has_goal and pd.notna(own.get("attainment")):
            return _(
                "You reached {attainment} of the goal; no process figure stood above the peers' median.",
                attainment=fmt.pct(own["attainment"]),
            )
        return _("No figure stood above the peers' median this period.")
    show = (lambda x: fmt.number(x, 1)) if best == "feedback" else fmt.pct
    return _(
        "{measure}: {mine}, better than the peers' median of {median}.",
        measure=names[best],
        mine=show(own[best]),
        median=show(peers[best]["median"]),
    )


def _held_back(explained: dict | None, fmt: Formatter) -> str:
    if not explained or explained.get("status") == "not_assessed":
        # rep_explanation says "targets" when this rep has no goal, whatever the others have.
        return _("not assessed: no revenue goal for this rep in the period")
    if explained.get("status") in ("under_way", "not_started"):
        return _("The period is not over: no cause is blamed yet.")
    gap = float(explained["gap"])
    if gap <= 0:
        return _("Nothing held you back on revenue: there is no gap to the goal.")
    parts = explained["parts"]
    parts = parts[parts["amount"] > 0].sort_values("amount", ascending=False).head(3)
    said = [
        _(
            "your own selling explains {share} of the gap ({amount})",
            share=fmt.pct(r.amount / gap),
            amount=fmt.money(r.amount),
        )
        if r.cause == "rep"
        else _(
            "{cause} ({where}) explains {share} of the gap ({amount})",
            cause=label(r.cause),
            where=_where(r.scope, r.scope_id),
            share=fmt.pct(r.amount / gap),
            amount=fmt.money(r.amount),
        )
        for r in parts.itertuples()
    ]
    rest = float(explained.get("unexplained", 0.0))
    if rest >= 0.005 * gap:
        said.append(
            _(
                "no finding explains the rest, {share} ({amount})",
                share=fmt.pct(rest / gap),
                amount=fmt.money(rest),
            )
        )
    return _("A gap of {gap}: {parts}.", gap=fmt.money(gap), parts=separated(said))


def _where(scope: str, scope_id) -> str:
    if scope == "rep":
        return _("your own results")
    return _("{scope} {id}", scope=label(scope), id=scope_id)


def _next_step(explained: dict | None) -> str:
    proposal = (explained or {}).get("next_step")
    if proposal is None:
        return _("not assessed: the coaching ladder needs a goal for the period")
    if proposal.proposed == proposal.current:
        return _(
            "Coaching ladder: {step}, no change. {reason}",
            step=label(proposal.current),
            reason=proposal.reason,
        )
    return _(
        "Move from {current} to {proposed} on the coaching ladder: {reason}",
        current=label(proposal.current),
        proposed=label(proposal.proposed),
        reason=proposal.reason,
    )


def summary(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> dict:
    """Page 1 of the rep's pack (:func:`page_one`) from the batch's figures and diagnosis."""
    wb = open_workbook(wb)
    p = parse_period(wb, period)
    figures, _trend = batch_figures(wb, p)
    row = _row(figures, rep_id)
    others = _peer_group(figures, row)
    minimum = wb.settings.packs.min_peers
    peers = {c: peer_benchmark(others[c], minimum) for c in ("attainment", *_BETTER)}
    goals = goals_for(wb)
    nxt = str(p.shift(1))
    mine = goals[
        (goals["scope"] == "rep")
        & (goals["scope_id"] == rep_id)
        & (goals["period"] == nxt)
        & (goals["metric"] == "revenue")
    ]
    return page_one(
        row.to_dict(),
        peers,
        explanation(wb, rep_id, p),
        float(mine["target"].iloc[-1]) if len(mine) else None,
        nxt,
        Formatter.for_settings(wb.settings),
    )


def show_summary(page: dict) -> None:
    """Page 1: the headline, a bar of attainment against the peers' middle half, the three
    talking points and the next goal. Text escaped; the bar is plain HTML, so it prints."""
    from IPython.display import HTML, display

    esc = html.escape
    bar = page["bar"]
    top = max([1.5, *(v * 1.1 for v in bar.values() if v is not None)])

    def at(x: float) -> str:
        return f"{100 * min(max(x, 0.0), top) / top:.1f}%"

    marks = [f'<span class="sc-goal" style="left:{at(1.0)}"></span>']
    if bar["q1"] is not None:
        marks.append(
            f'<span class="sc-band" style="left:{at(bar["q1"])};'
            f'width:calc({at(bar["q3"])} - {at(bar["q1"])})"></span>'
            f'<span class="sc-median" style="left:{at(bar["median"])}"></span>'
        )
    if bar["attainment"] is not None:
        marks.append(f'<span class="sc-you" style="width:{at(bar["attainment"])}"></span>')
    points = "".join(
        f"<li><strong>{esc(p['title'])}.</strong> {esc(p['text'])}</li>" for p in page["points"]
    )
    heading = _("Talking points")
    display(
        HTML(
            '<section class="sc-summary">'
            f'<p class="sc-headline">{esc(page["headline"])}</p>'
            f'<div class="sc-bar" role="img" aria-label="{esc(page["peers"])}">{"".join(marks)}</div>'
            f'<p class="sc-peers">{esc(page["peers"])}</p>'
            f'<h2>{esc(heading)}</h2><ol class="sc-points">{points}</ol>'
            f'<p class="sc-next"><strong>{esc(page["next_goal"])}</strong></p>'
            "</section>"
        )
    )


def gap_causes(wb: Workbook | str | Path, rep_id: str, period: str | None = None):
    """The rep's own explanation: each cause that touched the rep's deals and orders, with its
    share of the rep's gap (the parts add up to it), instead of the company's findings."""
    wb = open_workbook(wb)
    explained = explanation(wb, rep_id, period)
    f = Formatter.for_settings(wb.settings)
    if explained.get("status") == "not_assessed":
        return _("not assessed: no revenue goal for this rep in the period")
    gap = float(explained["gap"])
    if gap <= 0:
        return _(
            "No gap to the goal: nothing to explain ({amount} above it).", amount=f.money(-gap)
        )
    parts = explained["parts"]
    parts = parts[parts["amount"] > 0]
    rows = [
        {
            _("Cause"): label(r.cause),
            _("Where"): _where(r.scope, r.scope_id),
            _("Evidence"): r.evidence,
            _("Share of your gap"): f.pct(r.amount / gap),
            _("Amount"): f.money(r.amount),
        }
        for r in parts.itertuples()
    ]
    if abs(float(explained["unexplained"])) >= 0.005 * gap:
        rows.append(
            {
                _("Cause"): _("explained by nobody"),
                _("Where"): "",
                _("Evidence"): "",
                _("Share of your gap"): f.pct(explained["unexplained"] / gap),
                _("Amount"): f.money(explained["unexplained"]),
            }
        )
    return pd.DataFrame(rows)


def next_action(
    close_date, last_contact, opened, as_of: pd.Timestamp, fmt: Formatter, quiet_days: int = 30
) -> str:
    """What to do next with an open deal, judged on `as_of`: a close date passed, no contact
    for a while, open long without a close date, or the expected close."""
    if pd.notna(close_date) and close_date < as_of:
        return _(
            "Close date {date} has passed: update it or close the deal", date=fmt.date(close_date)
        )
    if pd.isna(last_contact):
        return _("No contact on record: call the customer")
    days = int((as_of - last_contact).days)
    if days > quiet_days:
        return _("No contact for {days} days: call the customer", days=days)
    if pd.notna(close_date):
        return _("Expected to close {date}: agree the next step", date=fmt.date(close_date))
    age = int((as_of - opened).days) if pd.notna(opened) else 0
    if age > 3 * quiet_days:
        return _("Open {days} days without a close date: qualify it or close it", days=age)
    return _("Last contact {date}: agree a close date", date=fmt.date(last_contact))


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
# Team, department and company packs: for a manager of managers
# --------------------------------------------------------------------------------------------

# Causes owned outside sales (production, marketing, logistics, customer service): systemic.
SYSTEMIC_CAUSES = ("product", "price", "delivery", "service", "marketing")
# The award statuses that count as "award proposed" on a roster or the index.
AWARD_FLAGGED = ("proposed", "approved", "communicated")


def _members(figures: pd.DataFrame, scope: str, scope_id: str | None) -> pd.DataFrame:
    if scope == "company":
        return figures
    return figures[figures[scope].astype(str) == str(scope_id)]


def rep_flags(wb: Workbook | str | Path, period: str | None = None) -> pd.DataFrame:
    """Per rep (index rep_id): attainment, below_goal, trend (revenue change on the quarter
    before), step (the coaching ladder's current step, "none" off it) and award (an award
    proposed, approved or communicated for the period)."""
    from salescoach.domain import coaching as ladder

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    figures, trend = batch_figures(wb, p)
    out = figures.set_index("rep_id")[
        ["name", "team", "department", "role", "revenue", "goal", "attainment"]
    ].copy()
    out["below_goal"] = (out["goal"] > 0) & (out["attainment"] < 1)
    quarters = [c for c in trend.columns if c != "rep_id"]
    if len(quarters) >= 2:
        t = trend.set_index("rep_id")
        before = t[quarters[-2]]
        out["trend"] = (t[quarters[-1]] - before) / before.where(before > 0)
    else:
        out["trend"] = np.nan
    try:
        from salescoach.services import coaching as coach_service

        steps = coach_service.steps(wb)
    except Exception:  # noqa: BLE001 - no store or no coaching records: nobody on the ladder
        steps = None
    out["step"] = [ladder.current_step(steps, str(r)) for r in out.index]
    try:
        from salescoach.services import recognition

        awarded = recognition.current(wb, str(p))
        awarded = set(awarded.loc[awarded["status"].isin(AWARD_FLAGGED), "rep_id"].astype(str))
    except Exception:  # noqa: BLE001 - no store or no award records
        awarded = set()
    out["award"] = [str(r) in awarded for r in out.index]
    return out


def _flag_words(row) -> str:
    words = []
    if row["below_goal"]:
        words.append(_("below goal"))
    if row["step"] != "none":
        words.append(_("coaching: {step}", step=label(row["step"])))
    if row["award"]:
        words.append(_("award proposed"))
    return separated(words)


def _trend_text(f: Formatter, change) -> str:
    if change is None or pd.isna(change) or not np.isfinite(change):
        return MISSING_TEXT
    arrow = "\u2191" if change > 0.02 else "\u2193" if change < -0.02 else "\u2192"
    return f"{arrow} {f.pct(change, signed=True)}"


MISSING_TEXT = "\u2013"


def group_cover(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
) -> dict[str, str]:
    """Title lines of a team, department or company pack, and its headline: attainment of the
    scope's goal and how many of its reps are below theirs."""
    wb = open_workbook(wb)
    p = parse_period(wb, period)
    f = Formatter.for_settings(wb.settings)
    flags = _members(rep_flags(wb, p).reset_index(), scope, scope_id)
    goal = flags["goal"].where(flags["goal"] > 0).sum(min_count=1)
    revenue = flags["revenue"].sum()
    title = {
        "team": _("Team review: {name}", name=scope_id),
        "department": _("Department review: {name}", name=scope_id),
        "company": _("Company review: {name}", name=wb.settings.company_name),
    }[scope]
    where = flags["department"].iloc[0] if scope == "team" and len(flags) else ""
    subtitle = " · ".join(w for w in (str(where), f.period(p)) if w)
    below = int(flags["below_goal"].sum())
    if pd.notna(goal) and goal > 0:
        headline = _(
            "{attainment} of the goal: {revenue} against {goal}; {below} of {reps} reps below their goal",
            attainment=f.pct(revenue / goal),
            revenue=f.money(revenue),
            goal=f.money(goal),
            below=f.number(below),
            reps=f.number(len(flags)),
        )
    else:
        headline = _("{revenue} in the period; no goal was set", revenue=f.money(revenue))
    return {
        "company": wb.settings.company_name,
        "title": title,
        "subtitle": subtitle,
        "headline": headline,
    }


def roster(wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None):
    """One row per rep of a team or department (per team for the company): revenue, goal,
    attainment, the change on the quarter before, and flags (below goal, coaching, award)."""
    wb = open_workbook(wb)
    f = Formatter.for_settings(wb.settings)
    flags = rep_flags(wb, period)
    mine = _members(flags.reset_index(), scope, scope_id)
    if scope != "company":
        mine = mine.sort_values(["team", "name"], key=name_order())
        frame = pd.DataFrame(
            {
                _("Name"): mine["name"].astype(str).to_numpy(),
                _("Team"): mine["team"].astype(str).to_numpy(),
                _("Revenue"): [f.money(v) for v in mine["revenue"]],
                _("Goal"): [f.money(v) if v > 0 else _("no goal") for v in mine["goal"].fillna(0)],
                _("Attainment"): [f.pct(v) for v in mine["attainment"]],
                _("On the quarter before"): [_trend_text(f, v) for v in mine["trend"]],
                _("Flags"): [_flag_words(r) for _i, r in mine.iterrows()],
            }
        )
        return frame.drop(columns=_("Team")) if scope == "team" else frame
    units = mine.groupby(["department", "team"], sort=True)
    figures, trend = batch_figures(wb, period)
    quarters = [c for c in trend.columns if c != "rep_id"]
    t = trend.set_index("rep_id")
    rows = []
    for (dept, team), g in units:
        goal = g["goal"].where(g["goal"] > 0).sum(min_count=1)
        revenue = g["revenue"].sum()
        change = np.nan
        if len(quarters) >= 2:
            last, before = (
                t.loc[g["rep_id"], quarters[-1]].sum(),
                t.loc[g["rep_id"], quarters[-2]].sum(),
            )
            change = (last - before) / before if before > 0 else np.nan
        below, coached, awarded = (
            int(g["below_goal"].sum()),
            int((g["step"] != "none").sum()),
            int(g["award"].sum()),
        )
        counts = [
            _n("{n} below goal", "{n} below goal", below, n=below) if below else "",
            _n("{n} coaching", "{n} coaching", coached, n=coached) if coached else "",
            _n("{n} award proposed", "{n} awards proposed", awarded, n=awarded) if awarded else "",
        ]
        rows.append(
            {
                _("Department"): str(dept),
                _("Team"): str(team),
                _("Reps"): f.number(len(g)),
                _("Revenue"): f.money(revenue),
                _("Goal"): f.money(goal),
                _("Attainment"): f.pct(revenue / goal) if goal and goal > 0 else _("no goal"),
                _("On the quarter before"): _trend_text(f, change),
                _("Flags"): separated([c for c in counts if c]),
            }
        )
    return pd.DataFrame(rows)


_OVERVIEWS: dict[tuple, dict] = {}


def _overview(wb: Workbook, p: Period, scope: str, scope_id: str | None) -> dict:
    """`services.diagnosis.overview` for a scope, once per process and batch."""
    from salescoach.services import diagnosis

    key = (batch_key(wb, p), scope, scope_id)
    if key not in _OVERVIEWS:
        _OVERVIEWS.clear()
        _OVERVIEWS[key] = diagnosis.overview(wb, str(p), scope=scope, scope_id=scope_id)
    return _OVERVIEWS[key]


def gap_figure(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
):
    """The scope's goal-gap waterfall (`charts.gap_waterfall`), or why there is none."""
    from salescoach.domain import charts

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    parts = _overview(wb, p, scope, scope_id)["waterfall"]
    if parts.empty:
        return capabilities.NotAssessed("targets").text(wb.settings.language)
    brand = wb.settings["branding"]
    f = Formatter.for_settings(wb.settings)
    gap = float(parts["gap"].iloc[0])
    title = (
        _("Gap to goal {gap}: what explains it", gap=f.money_compact(gap))
        if gap > 0
        else _("Above goal by {amount}", amount=f.money_compact(-gap))
    )
    return charts.gap_waterfall(
        parts, title, f, brand["primary_colour"], brand["accent_colour"], wb.settings.language
    )


def systemic(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
):
    """The material problems owned outside sales (production, marketing, logistics, customer
    service) that touch the scope, each with its owner, the action asked of them, and the part
    of the scope's gap its cause explains (one scale, so parts compare and add up)."""
    from salescoach.domain import diagnosis

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    seen = _overview(wb, p, scope, scope_id)
    f = Formatter.for_settings(wb.settings)
    parts = seen["waterfall"].groupby("part")["amount"].sum() if len(seen["waterfall"]) else {}
    rows = []
    for owner, found in diagnosis.by_owner(seen["findings"]).items():
        for r in found[found["cause"].isin(SYSTEMIC_CAUSES)].itertuples():
            rows.append(
                {
                    _("Owner"): label(owner),
                    _("Cause"): label(r.cause),
                    _("Where"): _where(r.scope, r.scope_id),
                    _("Evidence"): r.evidence,
                    _("Action"): r.action,
                    _("Cause's part of the gap"): f.money(parts.get(r.cause, np.nan)),
                }
            )
    if not rows:
        return _("No systemic problem found above the materiality threshold.")
    return pd.DataFrame(rows)


def coverage(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
):
    """Coaching and training coverage of the scope: courses in date, reps with an overdue
    course, reps on the coaching ladder, sessions held and open actions."""
    from salescoach.services import training as training_service

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    f = Formatter.for_settings(wb.settings)
    flags = _members(rep_flags(wb, p).reset_index(), scope, scope_id)
    n = len(flags)
    rows = []
    status = training_service.status(wb, str(p), scope, scope_id)
    if isinstance(status, str):
        rows.append((_("Training"), status))
    else:
        in_date = status["status"].isin(["current", "due_soon"])
        overdue = status.loc[status["status"].isin(["overdue", "never"]), "rep_id"].nunique()
        rows.append((_("Courses in date"), f.pct(in_date.mean() if len(status) else np.nan)))
        rows.append(
            (
                _("Reps with a course overdue or never taken"),
                _("{n} of {total}", n=f.number(overdue), total=f.number(n)),
            )
        )
    on_ladder = int((flags["step"] != "none").sum())
    rows.append(
        (
            _("Reps on the coaching ladder"),
            _("{n} of {total}", n=f.number(on_ladder), total=f.number(n)),
        )
    )
    try:
        from salescoach.services import coaching as coach_service

        sessions = coach_service.sessions(wb)
        ids = set(flags["rep_id"].astype(str))
        mine = sessions[sessions["rep_id"].astype(str).isin(ids)] if len(sessions) else sessions
        # A session records the period it was about; older records only when it was held.
        if len(mine) and "period" in mine:
            held = int((mine["period"].astype(str) == str(p)).sum())
        elif len(mine):
            when = pd.to_datetime(mine["at"], errors="coerce", utc=True).dt.tz_localize(None)
            held = int(((when >= p.start) & (when <= p.end + pd.Timedelta(days=1))).sum())
        else:
            held = 0
        rows.append((_("Coaching sessions in the period"), f.number(held)))
    except Exception:  # noqa: BLE001 - no store yet: no session on record
        rows.append((_("Coaching sessions in the period"), _("none on record")))
    awards = int(flags["award"].sum())
    rows.append((_("Awards proposed"), f.number(awards)))
    return pd.DataFrame(rows, columns=[_("Measure"), _("Value")]).set_index(_("Measure"))


def what_works(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
):
    """The techniques that win in the scope: win rates with enough deals to judge, best first."""
    from salescoach.services import training as training_service

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    table = training_service.what_works(wb, p, scope, scope_id)
    if "note" in table:
        return str(table["note"].iloc[0])
    table = table[table["enough"].astype(bool)].sort_values("win_rate", ascending=False).head(8)
    if table.empty:
        return _("Too few closed deals in this scope to tell which techniques win.")
    return training_service.what_works_shown(table, Formatter.for_settings(wb.settings))


def show(title: str, content: Any) -> None:
    """Display a section: its heading, then a frame, a figure, a list of lines or a sentence.

    Text is escaped and shown as HTML, never passed through Markdown: names and comments come
    from data files, and Markdown would let `<script>` in a rep's name through as markup.
    """
    import base64

    from IPython.display import HTML, display

    # Heading and body in one output, so print keeps them together and a long table may
    # still run on to the next page (a heading alone at a page's foot is what breaks avoid).
    if hasattr(content, "savefig"):
        buffer = io.BytesIO()
        content.savefig(buffer, format="png", dpi=110)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        body = f'<img src="data:image/png;base64,{data}" alt="{html.escape(title)}">'
    elif content is None or isinstance(content, (str, list, tuple, pd.DataFrame)):
        body = _body_html(content)
    else:
        display(HTML(f"<h2>{html.escape(title)}</h2>"))
        display(content)
        return
    kind = "sc-section sc-figure" if hasattr(content, "savefig") else "sc-section"
    display(HTML(f'<section class="{kind}"><h2>{html.escape(title)}</h2>{body}</section>'))


def show_columns(*sections: tuple[str, Any]) -> None:
    """Short sections (a sentence or a small table each) side by side, so that a line of text
    does not take a printed page of its own."""
    from IPython.display import HTML, display

    columns = "".join(
        f'<div class="sc-column"><h2>{html.escape(title)}</h2>{_body_html(content)}</div>'
        for title, content in sections
    )
    display(HTML(f'<div class="sc-columns">{columns}</div>'))


def _body_html(content: Any) -> str:
    """A sentence, a list of lines or a frame as escaped HTML."""
    esc = html.escape
    nothing = "<p>" + esc(_("nothing to show")) + "</p>"
    if content is None:
        return nothing
    if isinstance(content, str):
        return f"<p>{esc(content)}</p>"
    if isinstance(content, (list, tuple)):
        items = "".join(f"<li>{esc(str(line))}</li>" for line in content)
        return f"<ul>{items}</ul>" if items else nothing
    if isinstance(content, pd.DataFrame) and content.empty:
        return nothing
    if isinstance(content, pd.DataFrame):
        if content.index.name is not None and content.columns.name is None:
            # The index's name in the header row's corner, not on a row of its own.
            content = content.rename_axis(index=None, columns=content.index.name)
        return content.to_html(
            index=not isinstance(content.index, pd.RangeIndex), classes="dataframe", escape=True
        )
    return esc(str(content))


def show_cover(cover_lines: dict[str, str]) -> None:
    from IPython.display import HTML, display

    headline = cover_lines.get("headline")
    display(
        HTML(
            f"<h1>{html.escape(cover_lines['title'])}</h1>"
            f"<p><strong>{html.escape(cover_lines['subtitle'])}</strong></p>"
            + (f'<p class="sc-headline">{html.escape(headline)}</p>' if headline else "")
        )
    )


def new_page() -> None:
    """Start the next section on a new printed page."""
    from IPython.display import HTML, display

    display(HTML('<div class="sc-page-break"></div>'))
