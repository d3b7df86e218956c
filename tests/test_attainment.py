import pandas as pd
import pytest

from salescoach.domain.attainment import attainment_table, elapsed_share, goal_key, goals_in_force
from salescoach.domain.periods import Period

REPS = pd.DataFrame(
    {"rep_id": ["R1", "R2"], "name": ["A", "B"], "team": ["T", "T"], "department": ["D", "D"]}
)
ORDERS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2", "R1"],
        "order_date": pd.to_datetime(["2026-07-01", "2026-07-20", "2026-08-15"]),
        "amount": [100.0, 200.0, 300.0],
        "quantity": [1.0, 1.0, 1.0],
    }
)
TARGETS = pd.DataFrame(
    {
        "scope": ["rep", "rep", "team", "company"],
        "scope_id": ["R1", "R2", "T", None],
        "period": ["2026-Q3"] * 4,
        "metric": ["revenue"] * 4,
        "target": [800.0, 400.0, 1200.0, 1200.0],
    }
)


def test_store_versions_override_imported_targets_in_order():
    events = pd.DataFrame(
        {
            "event_id": [1, 2],
            "key": [goal_key("rep", "R1", "2026-Q3", "revenue")] * 2,
            "target": [900.0, 700.0],
            "reason": ["performance", "economy"],
            "who": ["ann", "ann"],
            "at": ["2026-07-01T10:00:00+00:00", "2026-07-02T10:00:00+00:00"],
            "why": ["a", "b"],
        }
    )
    goals = goals_in_force(TARGETS, events).set_index(["scope", "scope_id"])
    assert goals.loc[("rep", "R1"), "target"] == 700.0
    assert goals.loc[("rep", "R1"), "version"] == 2
    assert goals.loc[("rep", "R2"), "version"] == 0
    assert goals.loc[("company", "company"), "target"] == 1200.0


@pytest.mark.parametrize(
    "as_of, share",
    [("2026-07-01", 1 / 92), ("2026-08-15", 46 / 92), ("2026-09-30", 1.0), ("2026-12-01", 1.0)],
)
def test_elapsed_share(as_of, share):
    assert elapsed_share(Period.parse("2026-Q3"), pd.Timestamp(as_of)) == pytest.approx(share)


def test_attainment_and_projection_roll_up_members():
    goals = goals_in_force(TARGETS, None)
    table = attainment_table(
        {"orders": ORDERS, "reps": REPS}, goals, Period.parse("2026-Q3"), pd.Timestamp("2026-08-15")
    )
    t = table.set_index(["scope", "scope_id"])
    assert t.loc[("rep", "R1"), "actual"] == 400.0
    assert t.loc[("team", "T"), "actual"] == 600.0
    assert t.loc[("company", "company"), "actual"] == 600.0
    assert t.loc[("rep", "R1"), "attainment"] == 0.5
    assert t.loc[("rep", "R1"), "projection"] == pytest.approx(400.0 / (46 / 92))
