"""Review packs: the sections of a rep's pack after page 1 (goal, trend, pipeline, process,
findings, training, coaching, awards). Part of :mod:`salescoach.services.packs`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from salescoach.data.workbook import Workbook
from salescoach.domain import actuals, capabilities, charts, monitoring
from salescoach.domain.fmt import Formatter
from salescoach.domain.peers import peer_benchmark
from salescoach.i18n import _, label
from salescoach.services import (
    coaching as coaching_service,
    diagnosis as diagnosis_service,
    recognition as recognition_service,
    scope as pack_scope,
    training as training_service,
)
from salescoach.services.pack_data import (
    FIGURE_COLUMNS,
    _open_deals,
    assisted_trend,
    batch_figures,
    next_revenue_goal,
    open_workbook,
    parse_period,
)

# --------------------------------------------------------------------------------------------
# Sections of a rep's pack
# --------------------------------------------------------------------------------------------


def _row(figures: pd.DataFrame, rep_id: str) -> pd.Series:
    match = figures[figures["rep_id"].astype(str) == str(rep_id)]
    if match.empty:
        from salescoach.errors import InputError

        raise InputError(_("no rep with id {rep_id}", rep_id=rep_id))
    return match.iloc[0]


@pack_scope.section("rep")
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


def peer_benchmarks(wb: Workbook | str | Path, rep_id: str, period: str | None = None):
    """The rep's peers (same role) as anonymous aggregates, one row per figure: how many peers
    have it (``n``), the lower quartile, median and upper quartile; NaN below ``min_peers``."""
    if pack_scope.active() is not None:
        pack_scope.check_rep(rep_id)
        return pack_scope.peer_benchmarks(period)
    wb = open_workbook(wb)
    figures, _trend = batch_figures(wb, period)
    row = _row(figures, rep_id)
    return pack_scope.peer_table(figures, row, FIGURE_COLUMNS, wb.settings.packs.min_peers)


def _peer_group(figures: pd.DataFrame, row: pd.Series) -> pd.DataFrame:
    return figures[(figures["role"] == row["role"]) & (figures["rep_id"] != row["rep_id"])]


@pack_scope.section("rep", prepare=[{}])
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
    if _is_support(row):
        lines = _assisted_lines(f)
        gone = wb.facts().capabilities().check("deals.support_rep_id")
        gaps = {column: gone for _m, column, _s in lines} if gone is not None else None
        return _with_peers(lines, row, peers, minimum, gaps)
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


@pack_scope.section("rep", prepare=[{}])
def results_title(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> str:
    """The heading of :func:`goal_attainment`: a seller's goal, or the deals support staff
    assisted."""
    wb = open_workbook(wb)
    figures, _trend = batch_figures(wb, period)
    return _("Deals assisted") if _is_support(_row(figures, rep_id)) else _("Goal and attainment")


def _is_support(row: pd.Series) -> bool:
    """Support staff who sell nothing: measured on the deals they assist (`roles.support_only`)."""
    return row.get("measured_as") == "support"


def _assisted_lines(f: Formatter) -> list:
    """Support staff's measures in place of a seller's revenue and goal: monitoring's deals
    assisted against comparable deals nobody assisted."""
    return [
        (_("Deals assisted"), "assisted", f.number),
        (_("Assisted deals won"), "assisted_won", f.number),
        (_("Win rate of assisted deals"), "assisted_win_rate", f.pct),
        (_("Win rate of comparable deals nobody assisted"), "comparable_win_rate", f.pct),
        (_("Difference"), "assisted_uplift", f.points),
        (_("Revenue of assisted deals won"), "assisted_revenue", f.money),
    ]


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


@pack_scope.section("rep", prepare=[{}])
def process(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> pd.DataFrame:
    """The rep's own orders: on time against the promised date, returns, follow-up, feedback."""
    wb = open_workbook(wb)
    figures, _trend = batch_figures(wb, period)
    row = _row(figures, rep_id)
    f = Formatter.for_settings(wb.settings)
    if _is_support(row):
        return _(
            "Support staff take no orders of their own: delivery, returns and follow-up are measured on the sellers' orders."
        )
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


@pack_scope.section("rep")
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
    figures, _trend = batch_figures(wb, period)
    # Support staff's pipeline is the deals they assist; a seller's, the deals they own.
    owner = "support_rep_id" if _is_support(_row(figures, rep_id)) else "rep_id"
    if not caps.has(f"deals.{owner}"):
        return capabilities.NotAssessed(f"deals.{owner}").text(wb.settings.language)
    mine = deals[deals[owner] == rep_id]
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
    known = caps.has("activities", "activities.deal_id")
    if known:
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
                next_action(
                    c if has_close else pd.NaT,
                    contact.get(d, pd.NaT),
                    o,
                    as_of,
                    f,
                    contacts_known=known,
                )
                for d, c, o in zip(mine["deal_id"], closes, opened)
            ],
        }
    ).reset_index(drop=True)


@pack_scope.section("rep", prepare=[{}])
def trend_figure(wb: Workbook | str | Path, rep_id: str, period: str | None = None):
    """A bar chart of the rep's revenue per quarter, the peers' median as a line."""
    wb = open_workbook(wb)
    figures, trend = batch_figures(wb, period)
    row = _row(figures, rep_id)
    if _is_support(row):
        gone = wb.facts().capabilities().check("deals.support_rep_id")
        if gone is not None:
            return gone.text(wb.settings.language)
        trend = assisted_trend(wb, parse_period(wb, period)).reset_index()
    peers = trend[trend["rep_id"].isin(_peer_group(figures, row)["rep_id"])]
    mine = trend[trend["rep_id"] == rep_id].drop(columns="rep_id")
    labels = list(mine.columns)
    values = mine.iloc[0] if len(mine) else pd.Series(0.0, index=labels)
    enough = len(peers) >= wb.settings.packs.min_peers
    return charts.revenue_per_quarter(
        values,
        peers[labels].median() if enough else None,
        Formatter.for_settings(wb.settings),
        title=_("Assisted deals won per quarter") if _is_support(row) else _("Revenue per quarter"),
        you=_("You"),
        peers=_("Peers: median"),
        colour=wb.settings.branding.primary_colour,
        accent=wb.settings.branding.accent_colour,
    )


def _rep_section(fn: Callable, wb, rep_id, period) -> Any:
    """Another step's service section for one rep, called as its signature asks (by scope or by
    rep)."""
    book = open_workbook(wb)
    when = str(parse_period(book, period))
    # Decide by the signature, never by catching TypeError: that would hide a real bug
    # inside the section's own code behind a second, confusing call.
    if "scope_id" in inspect.signature(fn).parameters:
        return fn(book, scope="rep", scope_id=rep_id, period=when)
    return fn(book, rep_id, when)


@pack_scope.section("rep", prepare=[{}])
def findings(wb, rep_id: str, period: str | None = None):
    """Diagnosis findings that concern the rep, with their systemic context, ready to read."""
    found = _rep_section(
        diagnosis_service.findings,
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


@pack_scope.section("rep", prepare=[{}])
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
    return _rep_section(
        training_service.status,
        wb,
        rep_id,
        period,
    )


@pack_scope.section("rep", prepare=[{}])
def coaching(wb, rep_id: str, period: str | None = None):
    """Coaching actions due for the rep."""
    return _rep_section(
        coaching_service.actions_due,
        wb,
        rep_id,
        period,
    )


@pack_scope.section("rep", prepare=[{}])
def awards(wb, rep_id: str, period: str | None = None):
    """Awards the rep earned in the period."""
    return _rep_section(
        recognition_service.awards,
        wb,
        rep_id,
        period,
    )


@pack_scope.section("rep")
def next_goal(wb, rep_id: str, period: str | None = None) -> str:
    """Next period's revenue goal when one is set."""
    wb = open_workbook(wb)
    p = parse_period(wb, period)
    nxt = str(p.shift(1))
    figures, _trend = batch_figures(wb, p)
    if _is_support(_row(figures, rep_id)):
        return _("Support staff take no revenue goal: they are measured on the deals they assist.")
    target = next_revenue_goal(wb, rep_id, nxt)
    f = Formatter.for_settings(wb.settings)
    if target is None:
        return _("No revenue goal set yet for {period}.", period=f.period(nxt))
    return _("Revenue goal for {period}: {target}", period=f.period(nxt), target=f.money(target))


def next_action(
    close_date,
    last_contact,
    opened,
    as_of: pd.Timestamp,
    fmt: Formatter,
    quiet_days: int = 30,
    contacts_known: bool = True,
) -> str:
    """What to do next with an open deal, judged on `as_of`: a close date passed, no contact
    for a while, open long without a close date, or the expected close. `contacts_known`:
    whether the data record contacts with deals at all (activities naming the deal); without
    them no deal is said to lack contact, since none could show one."""
    if pd.notna(close_date) and close_date < as_of:
        return _(
            "Close date {date} has passed: update it or close the deal", date=fmt.date(close_date)
        )
    if contacts_known:
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
    if not contacts_known:
        return _("No close date yet: agree one with the customer")
    return _("Last contact {date}: agree a close date", date=fmt.date(last_contact))
