"""Each contract table's schema on good and bad rows, table by table."""

import pandas as pd
import pytest

from salescoach.data.importer import parse_column
from salescoach.data.schemas import readable_reason, schema
from salescoach.domain import contract


def _validate(table: str, row: dict) -> list[tuple[str, str]]:
    """(column, reason) pairs the schema reports for one parsed row."""
    t = contract.TABLES[table]
    parsed = {
        name: parse_column(
            pd.Series([value], index=[2]), t.by_name[name].kind, choices=t.by_name[name].choices
        )
        for name, value in row.items()
    }
    frame = pd.DataFrame(parsed)
    try:
        schema(table).validate(frame, lazy=True)
    except Exception as exc:  # pandera SchemaErrors
        cases = exc.failure_cases
        return sorted(zip(cases["column"], cases["check"].map(readable_reason)))
    return []


GOOD = {
    "reps": {"rep_id": "R1", "name": "Ana", "team": "A", "department": "North", "role": "seller"},
    "products": {
        "product_id": "P1",
        "name": "Widget",
        "family": "W",
        "list_price": "10",
        "unit_cost": "4",
    },
    "deals": {
        "deal_id": "D1",
        "rep_id": "R1",
        "stage": "won",
        "amount": "1000",
        "lost_reason": "price",
    },
    "orders": {
        "order_id": "O1",
        "rep_id": "R1",
        "product_id": "P1",
        "order_date": "2026-01-02",
        "quantity": "3",
        "unit_price": "9.5",
        "discount": "0.05",
        "status": "delivered",
    },
    "service": {
        "case_id": "C1",
        "customer_id": "K1",
        "opened_date": "2026-01-02",
        "kind": "complaint",
        "csat": "4",
    },
    "feedback": {"feedback_id": "F1", "customer_id": "K1", "date": "2026-01-02", "score": "9"},
    "activities": {"activity_id": "A1", "rep_id": "R1", "date": "2026-01-02", "kind": "demo"},
    "courses": {
        "course_id": "C1",
        "title": "Widgets 101",
        "topic": "product",
        "refresh_days": "365",
    },
    "training": {"rep_id": "R1", "course_id": "C1", "completed_date": "2026-01-02", "score": "88"},
    "targets": {
        "scope": "team",
        "scope_id": "A",
        "period": "2026-Q3",
        "metric": "revenue",
        "target": "100000",
    },
    "market": {"period": "2026-Q3", "market_growth": "0.03", "competitor_price_index": "0.95"},
    "campaigns": {"campaign_id": "CMP1", "channel": "email", "spend": "5000"},
    "customers": {"customer_id": "K1", "segment": "enterprise"},
}


@pytest.mark.parametrize("table", sorted(GOOD))
def test_good_rows_pass(table):
    assert _validate(table, GOOD[table]) == []


@pytest.mark.parametrize(
    "table, change, column, reason",
    [
        ("reps", {"name": ""}, "name", "required value is missing"),
        ("reps", {"role": "boss"}, "role", "expected one of: seller, support"),
        ("deals", {"stage": "negotiation"}, "stage", "expected one of: open, won, lost"),
        ("deals", {"lost_reason": "weather"}, "lost_reason", "expected one of"),
        ("deals", {"amount": "-5"}, "amount", "must not be negative"),
        ("orders", {"quantity": "-1"}, "quantity", "must not be negative"),
        ("orders", {"discount": "1.5"}, "discount", "must be between 0 and 1"),
        ("orders", {"status": "lost in the post"}, "status", "expected one of"),
        ("service", {"csat": "6"}, "csat", "must be between 1 and 5"),
        ("service", {"csat": "3.5"}, "csat", "must be a whole number"),
        ("feedback", {"score": "11"}, "score", "must be between 0 and 10"),
        ("activities", {"kind": "lunch"}, "kind", "expected one of"),
        ("courses", {"topic": "golf"}, "topic", "expected one of"),
        ("training", {"score": "101"}, "score", "must be between 0 and 100"),
        ("targets", {"period": "2026-Q5"}, "period", "expected a period"),
        ("targets", {"metric": "smiles"}, "metric", "expected one of"),
        ("targets", {"scope": "galaxy"}, "scope", "expected one of"),
        ("targets", {"target": "-1"}, "target", "must not be negative"),
        (
            "market",
            {"competitor_price_index": "-0.1"},
            "competitor_price_index",
            "must not be negative",
        ),
    ],
)
def test_bad_rows_name_column_and_reason(table, change, column, reason):
    failures = _validate(table, GOOD[table] | change)
    assert any(c == column and reason in r for c, r in failures), failures


@pytest.mark.parametrize(
    "kind, raw, expected",
    [
        ("money", "1,234.50", 1234.5),
        ("money", "€ 99", 99.0),
        ("number", "15%", 0.15),
        ("date", "2026-03-01 00:00:00", pd.Timestamp("2026-03-01")),
        ("date", "2026-03-01T14:30:00", pd.Timestamp("2026-03-01")),
        ("period", "2026Q3", "2026-Q3"),
        ("period", "Q3 2026", "2026-Q3"),
        ("choice", "Closed Won", "Closed Won"),
        ("id", "  R1 ", "R1"),
    ],
)
def test_parse_column(kind, raw, expected):
    out = parse_column(pd.Series([raw]), kind, choices=("won", "lost"))
    assert out.iloc[0] == expected


def test_choice_folds_case_and_spaces():
    out = parse_column(
        pd.Series(["No Decision", "FOLLOW-UP"]), "choice", choices=("no_decision", "follow_up")
    )
    assert list(out) == ["no_decision", "follow_up"]


def test_decimal_comma():
    out = parse_column(pd.Series(["1.234,56", "7,5"]), "money", decimal=",")
    assert list(out) == [1234.56, 7.5]


def test_contract_markdown_lists_every_table():
    text = contract.contract_markdown()
    for name in contract.TABLES:
        assert f"| {name} |" in text
    assert "**rep_id**" in text
