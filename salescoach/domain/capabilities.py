"""What the data can answer: which tables exist, which optional columns hold any value, and
which kinds of record occur.

Real exports hold some tables and some columns, never all. Every figure, check, page and pack
section asks this one model before it computes anything, and what lacks its input is reported
as `NotAssessed` with what it needs ("not assessed: orders have no delivered_date"), never
computed from missing data. "No record of a kind" (no complaint cases) is unknown, not zero:
it is the need `service.kind=complaint`, absent until at least one such record exists.

A need is written as the data contract names it:

    "orders"                      the table exists and has rows
    "orders.delivered_date"       the column holds at least one value
    "service.kind=complaint"      at least one row has that value in that column

`FEATURES` lists each figure and check with the needs behind it; README's data contract section
is generated from it (a test keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from salescoach.domain import contract
from salescoach.i18n import N_, separated, translator


def holds(frame: pd.DataFrame | None, column: str) -> bool:
    """The frame has that column with at least one value (a conformed table has every contract
    column, so `column in frame` says nothing about the data)."""
    return frame is not None and column in frame and bool(frame[column].notna().any())


def parse_need(need: str) -> tuple[str, str | None, str | None]:
    """'service.kind=complaint' -> ('service', 'kind', 'complaint')."""
    table, _, rest = need.partition(".")
    column, _, value = rest.partition("=")
    return table, column or None, value or None


@dataclass(frozen=True)
class NotAssessed:
    """A part whose input the workbook does not hold: it says which, in one line.

    `needs` are the missing needs in the form above; `NotAssessed("activities")` still reads as
    'not assessed: no activities data'."""

    needs: tuple[str, ...] | str

    def __post_init__(self) -> None:
        if isinstance(self.needs, str):
            object.__setattr__(self, "needs", (self.needs,))
        object.__setattr__(self, "needs", tuple(self.needs))

    @property
    def table(self) -> str:
        return parse_need(self.needs[0])[0]

    def text(self, lang: str = "en") -> str:
        tr = translator(lang)
        parts = []
        for need in self.needs:
            table, column, value = parse_need(need)
            if column is None:
                parts.append(tr(N_("no {table} data"), table=table))
            elif value is None:
                parts.append(tr(N_("{table} have no {column}"), table=table, column=column))
            else:
                parts.append(
                    tr(
                        N_("no {value} records in {table} ({column})"),
                        table=table,
                        column=column,
                        value=value,
                    )
                )
        return tr(N_("not assessed: {needs}"), needs=separated(parts, lang))

    def as_dict(self, lang: str = "en") -> dict:
        """The JSON form: {"status": "not_assessed", "needs": [...], "reason": "..."}."""
        return {"status": "not_assessed", "needs": list(self.needs), "reason": self.text(lang)}

    @property
    def reason(self) -> str:
        return self.text()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        import html

        return f"<p><em>{html.escape(self.text())}</em></p>"


# Choice columns whose values are recorded, so a kind of record can be asked for.
_VALUE_COLUMNS = {
    t.name: tuple(c.name for c in t.columns if c.choices) for t in contract.TABLES.values()
}


@dataclass(frozen=True)
class Capabilities:
    """The needs the workbook meets, computed once from its tables."""

    present: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame | None]) -> Capabilities:
        present: set[str] = set()
        for name, frame in tables.items():
            if frame is None or name not in contract.TABLES or len(frame) == 0:
                continue
            present.add(name)
            for column in contract.table(name).names:
                if column not in frame.columns:
                    continue
                values = frame[column]
                if not values.notna().any():
                    continue
                present.add(f"{name}.{column}")
                if column in _VALUE_COLUMNS[name]:
                    for value in values.dropna().unique():
                        present.add(f"{name}.{column}={value}")
        return cls(frozenset(present))

    def has(self, *needs: str) -> bool:
        return all(n in self.present for n in needs)

    def missing(self, *needs: str) -> tuple[str, ...]:
        """The needs not met, a table's absence said once rather than per column."""
        out: list[str] = []
        for need in needs:
            if need in self.present:
                continue
            table = parse_need(need)[0]
            item = table if table not in self.present else need
            if item not in out:
                out.append(item)
        return tuple(out)

    def check(self, *needs: str) -> NotAssessed | None:
        """None when every need is met, else what is missing."""
        gone = self.missing(*needs)
        return NotAssessed(gone) if gone else None

    def feature(self, name: str) -> NotAssessed | None:
        """`check` for a feature of FEATURES by name."""
        return self.check(*FEATURES[name].needs)

    def tables(self) -> tuple[str, ...]:
        return tuple(t for t in contract.TABLE_ORDER if t in self.present)


def of(tables: Mapping[str, pd.DataFrame | None]) -> Capabilities:
    """The capabilities of a mapping of tables, computed once per mapping object.

    Monitoring's FactTables and the workbook's fact cache hand the same mapping to every
    figure in a run, so the scan of the columns is paid once."""
    cached = getattr(tables, "_capabilities", None)
    if isinstance(cached, Capabilities):
        return cached
    caps = Capabilities.from_tables(tables)
    try:
        object.__setattr__(tables, "_capabilities", caps)
    except (AttributeError, TypeError):
        pass
    return caps


@dataclass(frozen=True)
class Feature:
    name: str
    needs: tuple[str, ...]
    doc: str


def _f(name: str, needs: Iterable[str], doc: str) -> Feature:
    return Feature(name, tuple(needs), doc)


# Each figure and check with the needs behind it. Where a feature can use a column but does not
# need it, it is not listed here: the feature says in its own output what it left out.
FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        _f("revenue", ["orders"], "results from order lines (else won deals)"),
        _f("attainment", ["targets"], "results against goals set in targets or the store"),
        _f("win_rate", ["deals.close_date"], "won / (won + lost) deals closed in the period"),
        _f("conversion", ["deals"], "deals by stage and lead source (the funnel)"),
        _f(
            "on_time",
            ["orders.promised_date", "orders.delivered_date"],
            "delivered by the promised date plus the grace days",
        ),
        _f(
            "shipped_late",
            ["orders.promised_date", "orders.shipped_date"],
            "shipped after the promised date",
        ),
        _f("returns", ["orders.status"], "order lines returned (status) or return cases"),
        _f("cancellations", ["orders.status"], "order lines cancelled"),
        _f(
            "follow_up",
            ["orders.delivered_date", "service.kind=follow_up"],
            "a follow-up case within the follow-up days of delivery",
        ),
        _f("complaints", ["service.kind=complaint"], "complaint cases per order line"),
        _f("case_speed", ["service.closed_date"], "days from opening to closing a case"),
        _f("csat", ["service.csat"], "mean CSAT of service cases"),
        _f("feedback", ["feedback"], "customer feedback scores and comments"),
        _f("pipeline", ["deals.stage=open"], "open deals, their age and coverage of the goal"),
        _f("activity", ["activities"], "activities per week against the team median"),
        _f("price_check", ["deals.lost_reason=price"], "deals lost on price by product family"),
        _f(
            "discounts",
            ["orders.discount"],
            "discount off list by family against a year before, or against the other families"
            " without one",
        ),
        _f("competitor_prices", ["market.competitor_price_index"], "competitor price index"),
        _f("campaigns", ["deals.lead_source"], "win rate of leads by campaign"),
        _f("segments", ["customers.segment"], "customers grouped by segment"),
        _f("training_status", ["courses", "training"], "courses completed and refresh due"),
        _f("techniques", ["deals.technique"], "win rate by sales technique"),
        _f("support_staff", ["deals.support_rep_id"], "sales supported by support staff"),
    )
}


def features_markdown() -> str:
    """The feature table README's data contract section shows (a test keeps README in step)."""
    rows = ["| figure or check | needs |", "|---|---|"]
    for f in FEATURES.values():
        rows.append(f"| {f.name} ({f.doc}) | {', '.join(f'`{n}`' for n in f.needs)} |")
    return "\n".join(rows)
