"""Sections of the trainer templates (`templates/notebooks/`), ready to show.

Each function takes the workbook (a path or an open Workbook), the period ("" for the last
complete quarter) and, where it is scoped, the scope, and returns a formatted table with headings
in the workbook's language, or one sentence when its data is missing. The figures come from the
domain modules through the other services; this module only chooses and formats them, so a
trainer's notebook stays a list of `packs.show(...)` calls.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from salescoach.data.workbook import Workbook
from salescoach.domain.contract import COURSE_TOPICS
from salescoach.domain.fmt import Formatter
from salescoach.i18n import _, _n, label, name_order
from salescoach.services import packs, scope as pack_scope, training

TOPICS = COURSE_TOPICS


def _open(workbook: str | Path | Workbook) -> tuple[Workbook, Formatter]:
    wb = packs.open_workbook(workbook)
    return wb, Formatter.for_settings(wb.settings)


def _period(wb: Workbook, period) -> str:
    return str(packs.parse_period(wb, period))


def _interval(f: Formatter, rows: pd.DataFrame) -> list[str]:
    return [
        _("{rate} ({low} to {high})", rate=f.pct(r.win_rate), low=f.pct(r.low), high=f.pct(r.high))
        for r in rows.itertuples()
    ]


@pack_scope.section("group", prepare=[{"topic": t} for t in ("", *COURSE_TOPICS)])
def course_status(workbook, period="", scope="team", scope_id=None, topic="") -> pd.DataFrame | str:
    """Each member's courses on one topic (product, audience, strategy, skills) at the period's
    end: current, due soon, overdue or never taken, with the refresh date."""
    wb, f = _open(workbook)
    if topic and topic not in TOPICS:
        raise ValueError(f"unknown course topic {topic!r}; use one of {', '.join(TOPICS)}")
    table = training.status(wb, _period(wb, period), scope, scope_id)
    if isinstance(table, str):
        return table
    if topic:
        table = table[table["topic"] == topic]
    table = table.sort_values(["name", "title"], key=name_order())
    return pd.DataFrame(
        {
            _("Rep"): table["name"].astype(str),
            _("Course"): table["title"].astype(str),
            _("Status"): [label(s) for s in table["status"]],
            _("Last completed"): [f.date(d) for d in table["last_completed"]],
            _("Refresh due"): [f.date(d) for d in table["due_on"]],
        }
    ).reset_index(drop=True)


@pack_scope.section("aggregate", prepare=[{"by": b} for b in ("family", "product_id", "segment")])
def what_sells(workbook, period="", by="family") -> pd.DataFrame | str:
    """Revenue by product family, product or customer segment, against a year before, with
    the margin where costs are known: what the whole sales staff sells, best first."""
    wb, f = _open(workbook)
    table = training.insight_tables(wb, _period(wb, period)).get(f"sells_by_{by}")
    if table is None:
        return _("not assessed: no {table} data", table="orders")
    table = table.sort_values("revenue", ascending=False)
    labels = table.index.astype(str)
    products = wb.facts().get("products")
    if by == "product_id" and products is not None and "name" in products:
        names = products.set_index(products["product_id"].astype(str))["name"]
        labels = [f"{names.get(p, p)} ({p})" for p in labels]
    return pd.DataFrame(
        {
            _("Revenue"): [f.money(v) for v in table["revenue"]],
            _("A year before"): [f.money(v) for v in table["revenue_before"]],
            _("Growth"): [f.pct(v) for v in table["growth"]],
            _("Margin"): [f.pct(v) for v in table["margin"]],
        },
        index=pd.Index(labels, name=table.index.name),
    )


@pack_scope.section("aggregate", prepare=[{"by": b} for b in ("family", "technique")])
def win_rates(workbook, period="", by="family") -> pd.DataFrame | str:
    """Win rate of closed deals by product family or technique, with its 95% interval; small
    groups are marked so nobody copies a technique on a handful of deals."""
    wb, f = _open(workbook)
    key = {"family": "win_rate_by_family", "technique": "wins_by_technique"}[by]
    table = training.insight_tables(wb, _period(wb, period)).get(key)
    if table is None:
        return _("not assessed: no {table} data", table="deals")
    table = table.sort_values("win_rate", ascending=False)
    return pd.DataFrame(
        {
            _("Won"): [f.number(v) for v in table["won"]],
            _("Closed"): [f.number(v) for v in table["closed"]],
            _("Win rate (95% interval)"): _interval(f, table),
            _("Enough deals to judge"): [_("yes") if e else _("no") for e in table["enough"]],
        },
        index=table[by].astype(str),
    )


@pack_scope.section("group", prepare=[{}])
def techniques(workbook, period="", scope="team", scope_id=None) -> pd.DataFrame | str:
    """How the scope's closed deals were won, technique by technique, overall."""
    wb, f = _open(workbook)
    table = training.what_works(wb, _period(wb, period), scope, scope_id)
    if "note" in table:
        return str(table["note"].iloc[0])
    table = table[table["family"] == "(all)"].sort_values("win_rate", ascending=False)
    return pd.DataFrame(
        {
            _("Won"): [f.number(v) for v in table["won"]],
            _("Closed"): [f.number(v) for v in table["closed"]],
            _("Win rate (95% interval)"): _interval(f, table),
        },
        index=table["technique"].astype(str),
    )


@pack_scope.section("aggregate", prepare=[{}])
def lead_sources(workbook, period="") -> pd.DataFrame | str:
    """Leads created in the period by source: how many, how many won, revenue per lead."""
    wb, f = _open(workbook)
    table = training.insight_tables(wb, _period(wb, period)).get("lead_sources")
    if table is None or table.empty:
        return _("not assessed: no {table} data", table="deals.lead_source")
    table = table.sort_values("revenue_per_lead", ascending=False)
    return pd.DataFrame(
        {
            _("Leads"): [f.number(v) for v in table["leads"]],
            _("Won"): [f.number(v) for v in table["won"]],
            _("Conversion"): [f.pct(v) for v in table["conversion"]],
            _("Revenue per lead"): [f.money(v) for v in table["revenue_per_lead"]],
            _("Unassigned"): [f.number(v) for v in table["unassigned"]],
        },
        index=table.index.astype(str),
    )


@pack_scope.section("aggregate", prepare=[{}])
def customer_phrases(workbook, period="") -> list[str] | str:
    """What customers say: the phrases that lean to high scores, then those that lean to low."""
    wb, _f = _open(workbook)
    tables = training.insight_tables(wb, _period(wb, period))
    if "phrases_high" not in tables:
        return _("not assessed: no {table} data", table="feedback")
    lines = [
        _n(
            "Praised: \u201c{phrase}\u201d ({count} comment)",
            "Praised: \u201c{phrase}\u201d ({count} comments)",
            r.count,
            phrase=r.phrase,
            count=r.count,
        )
        for r in tables["phrases_high"].itertuples()
    ]
    lines += [
        _n(
            "Complained of: \u201c{phrase}\u201d ({count} comment)",
            "Complained of: \u201c{phrase}\u201d ({count} comments)",
            r.count,
            phrase=r.phrase,
            count=r.count,
        )
        for r in tables["phrases_low"].itertuples()
    ]
    return lines


@pack_scope.section("group", prepare=[{}])
def findings(workbook, period="", scope="department", scope_id=None) -> pd.DataFrame | str:
    """Why goals were missed in the scope: the diagnosis, systemic causes first, each with its
    owner and action (the same presenter as the packs and the app)."""
    from salescoach.services import diagnosis

    wb, f = _open(workbook)
    found = diagnosis.findings(wb, _period(wb, period), scope, scope_id)
    if found.empty:
        return _("No problem found above the materiality threshold.")
    return diagnosis.readable(found, f, wb.settings.language)
