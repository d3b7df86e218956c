"""The data contract: every table the kit reads, its columns, vocabularies and rules.

This module is the single description of the contract in DESIGN.md. The importer, the
pandera schemas, the sample organisation and the README's table are all derived from it, so
the contract cannot drift between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

# Canonical vocabularies. Imports translate a CRM's own codes into these through `values`.
STAGES = ("open", "won", "lost")
LOST_REASONS = ("price", "product", "competitor", "timing", "no_decision", "service", "other")
ORDER_STATUSES = ("open", "shipped", "delivered", "cancelled", "returned")
SERVICE_KINDS = ("follow_up", "complaint", "return", "question", "other")
ACTIVITY_KINDS = ("call", "email", "meeting", "demo", "other")
COURSE_TOPICS = ("product", "audience", "strategy", "skills", "other")
SCOPES = ("company", "department", "team", "rep")
METRICS = ("revenue", "units", "deals_won", "new_customers")
ROLES = ("seller", "support")

# `2026` (year), `2026-Q3` (quarter) or `2026-07` (month).
PERIOD_PATTERN = re.compile(r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")

# Column kinds decide how raw text is parsed (see salescoach.data.importer.parse_column).
ID, TEXT, DATE, MONEY, NUMBER, CHOICE, PERIOD = (
    "id",
    "text",
    "date",
    "money",
    "number",
    "choice",
    "period",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    # Integral values only (quantities, scores on a whole-number scale).
    whole: bool = False
    # Filled in when the column is absent or empty, e.g. a rep's role defaults to seller.
    default: object = None
    # "table.column" this column must match; checked only when that table is present.
    references: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    # Columns that identify one row; a second row with the same key is a duplicate.
    key: tuple[str, ...]
    # Pairs (earlier, later) of date columns that must be in that order when both are given.
    date_order: tuple[tuple[str, str], ...] = ()
    # Groups of which at least one column must be present (orders: unit_price or amount).
    one_of: tuple[tuple[str, ...], ...] = ()
    doc: str = ""
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _c(name: str, kind: str = TEXT, **kw) -> Column:
    return Column(name, kind, **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "reps",
            (
                _c("rep_id", ID, required=True),
                _c("name", required=True),
                _c("team", required=True),
                _c("department", required=True),
                _c("role", CHOICE, choices=ROLES, default="seller"),
                _c("manager"),
                _c("hire_date", DATE),
                _c("end_date", DATE),
                _c("email"),
            ),
            key=("rep_id",),
            date_order=(("hire_date", "end_date"),),
            doc="Every member of the sales staff: sellers and the support staff who assist them.",
        ),
        Table(
            "products",
            (
                _c("product_id", ID, required=True),
                _c("name"),
                _c("family"),
                _c("list_price", MONEY, min=0),
                _c("unit_cost", MONEY, min=0),
            ),
            key=("product_id",),
        ),
        Table(
            "customers",
            (
                _c("customer_id", ID, required=True),
                _c("name"),
                _c("segment"),
                _c("region"),
                _c("industry"),
            ),
            key=("customer_id",),
        ),
        Table(
            "deals",
            (
                _c("deal_id", ID, required=True),
                _c(
                    "rep_id",
                    ID,
                    references="reps.rep_id",
                    doc="blank for an unassigned lead (open or lost); a won deal needs one",
                ),
                _c("stage", CHOICE, required=True, choices=STAGES),
                _c("created_date", DATE),
                _c("close_date", DATE, doc="needed once won or lost"),
                _c("amount", MONEY, min=0),
                _c("customer_id", ID, references="customers.customer_id"),
                _c("product_id", ID, references="products.product_id"),
                _c("lost_reason", CHOICE, choices=LOST_REASONS),
                _c("technique"),
                _c("lead_source"),
                _c(
                    "support_rep_id",
                    ID,
                    references="reps.rep_id",
                    doc="the support staff member who assisted",
                ),
            ),
            key=("deal_id",),
            date_order=(("created_date", "close_date"),),
        ),
        Table(
            "orders",
            (
                _c("order_id", ID, required=True),
                _c("rep_id", ID, required=True, references="reps.rep_id"),
                _c("product_id", ID, required=True, references="products.product_id"),
                _c("order_date", DATE, required=True),
                _c("quantity", NUMBER, required=True, min=0),
                _c("unit_price", MONEY, min=0, doc="or `amount`, the line total"),
                _c("amount", MONEY, min=0),
                _c("line", NUMBER, min=0, whole=True),
                _c("customer_id", ID, references="customers.customer_id"),
                _c("unit_list_price", MONEY, min=0),
                _c("discount", NUMBER, min=0, max=1, doc="fraction off list"),
                _c("promised_date", DATE),
                _c("shipped_date", DATE),
                _c("delivered_date", DATE),
                _c("status", CHOICE, choices=ORDER_STATUSES),
                _c("deal_id", ID, references="deals.deal_id"),
            ),
            key=("order_id", "line"),
            date_order=(
                ("order_date", "promised_date"),
                ("order_date", "shipped_date"),
                ("order_date", "delivered_date"),
                ("shipped_date", "delivered_date"),
            ),
            one_of=(("unit_price", "amount"),),
            doc="One row per order line.",
        ),
        Table(
            "service",
            (
                _c("case_id", ID, required=True),
                _c("customer_id", ID, required=True, references="customers.customer_id"),
                _c("opened_date", DATE, required=True),
                _c("kind", CHOICE, choices=SERVICE_KINDS),
                _c("closed_date", DATE),
                _c(
                    "order_id",
                    ID,
                    references="orders.order_id",
                    doc="the order it is about; customer, rep and product follow from it",
                ),
                _c("rep_id", ID, references="reps.rep_id"),
                _c("product_id", ID, references="products.product_id"),
                _c("csat", NUMBER, min=1, max=5, whole=True),
            ),
            key=("case_id",),
            date_order=(("opened_date", "closed_date"),),
        ),
        Table(
            "feedback",
            (
                _c("feedback_id", ID, required=True),
                _c("customer_id", ID, required=True, references="customers.customer_id"),
                _c("date", DATE, required=True),
                _c("score", NUMBER, required=True, min=0, max=10),
                _c("comment"),
                _c("rep_id", ID, references="reps.rep_id"),
                _c("product_id", ID, references="products.product_id"),
                _c(
                    "order_id",
                    ID,
                    references="orders.order_id",
                    doc="the order it is about; customer, rep and product follow from it",
                ),
            ),
            key=("feedback_id",),
        ),
        Table(
            "activities",
            (
                _c("activity_id", ID, required=True),
                _c("rep_id", ID, required=True, references="reps.rep_id"),
                _c("date", DATE, required=True),
                _c("kind", CHOICE, required=True, choices=ACTIVITY_KINDS),
                _c("customer_id", ID, references="customers.customer_id"),
                _c("deal_id", ID, references="deals.deal_id"),
            ),
            key=("activity_id",),
        ),
        Table(
            "courses",
            (
                _c("course_id", ID, required=True),
                _c("title", required=True),
                _c("topic", CHOICE, required=True, choices=COURSE_TOPICS),
                _c("refresh_days", NUMBER, min=1, whole=True),
                _c("product_family"),
            ),
            key=("course_id",),
        ),
        Table(
            "training",
            (
                _c("rep_id", ID, required=True, references="reps.rep_id"),
                _c("course_id", ID, required=True, references="courses.course_id"),
                _c("completed_date", DATE, required=True),
                _c("score", NUMBER, min=0, max=100),
            ),
            key=("rep_id", "course_id", "completed_date"),
        ),
        Table(
            "targets",
            (
                _c("scope", CHOICE, required=True, choices=SCOPES),
                _c("period", PERIOD, required=True),
                _c("metric", CHOICE, required=True, choices=METRICS),
                _c("target", NUMBER, required=True, min=0),
                _c("scope_id", ID, doc="the rep, team or department; blank for company"),
            ),
            key=("scope", "scope_id", "period", "metric"),
        ),
        Table(
            "market",
            (
                _c("period", PERIOD, required=True),
                _c("market_growth", NUMBER, min=-1, doc="fraction"),
                _c("competitor_price_index", NUMBER, min=0, doc="1.0 = parity"),
                _c("product_family"),
                _c("note"),
            ),
            key=("period", "product_family"),
        ),
        Table(
            "campaigns",
            (
                _c("campaign_id", ID, required=True, doc="the value used in deals.lead_source"),
                _c("channel"),
                _c("target_segment"),
                _c("start_date", DATE),
                _c("end_date", DATE),
                _c("spend", MONEY, min=0),
            ),
            key=("campaign_id",),
            date_order=(("start_date", "end_date"),),
        ),
    )
}

# Only reps and one of orders/deals are required; every other table is optional.
REQUIRED_TABLES = ("reps",)
REQUIRED_ONE_OF_TABLES = ("orders", "deals")

# Tables are validated parents first so that references can be checked against stored rows.
TABLE_ORDER = (
    "reps",
    "products",
    "customers",
    "campaigns",
    "courses",
    "deals",
    "orders",
    "service",
    "feedback",
    "activities",
    "training",
    "targets",
    "market",
)
assert set(TABLE_ORDER) == set(TABLES)


def table(name: str) -> Table:
    """The contract's table of that name; KeyError names the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"unknown table {name!r}; the contract's tables are {', '.join(TABLES)}"
        ) from None


def contract_markdown() -> str:
    """The contract as the Markdown table README shows (a test keeps README in step)."""
    rows = ["| table | columns (required in bold) |", "|---|---|"]
    for t in TABLES.values():
        cells = []
        for c in t.columns:
            text = f"**{c.name}**" if c.required else c.name
            notes = []
            if c.choices:
                notes.append(" / ".join(c.choices))
            if c.min is not None and c.max is not None:
                notes.append(f"{c.min:g}-{c.max:g}")
            if c.default is not None:
                notes.append(f"default {c.default}")
            if c.doc:
                notes.append(c.doc)
            cells.append(text + (f" ({'; '.join(notes)})" if notes else ""))
        rows.append(f"| {t.name} | {', '.join(cells)} |")
    return "\n".join(rows)


_EMPTY_DTYPE = {DATE: "datetime64[ns]", MONEY: "float64", NUMBER: "float64"}


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every contract column, absent ones all missing, in the contract's order.

    Real exports hold some columns, never all; code reads any contract column without a
    KeyError and asks `salescoach.domain.capabilities` whether it holds values. Columns outside the
    contract are kept after the contract's."""
    t = table(name)
    absent = [c for c in t.columns if c.name not in frame.columns]
    if not absent:
        return frame
    out = frame.copy(deep=False)
    for c in absent:
        out[c.name] = pd.Series(None, index=frame.index, dtype=_EMPTY_DTYPE.get(c.kind, "str"))
    extra = [c for c in frame.columns if c not in t.by_name]
    return out[list(t.names) + extra]
