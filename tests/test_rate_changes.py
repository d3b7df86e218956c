"""Changes of rates in percentage points, changes of money and counts relative: the monitoring
results table's "vs prior" and "vs last year" columns."""

import pandas as pd
import pytest

from salescoach.domain.fmt import Formatter
from salescoach.services.monitoring import _change

EN = Formatter("en_IE", "EUR")
EL = Formatter("el_GR", "EUR")


def _row(period, prior):
    vs = period / prior - 1 if prior else float("nan")
    return pd.Series({"period": period, "prior": prior, "vs_prior": vs})


@pytest.mark.parametrize(
    "fmt, period, prior, unit, expected",
    [
        # On-time 90% -> 85%: five points down, not "-5.6%".
        (EN, 0.85, 0.90, "share", "-5 pp"),
        (EL, 0.85, 0.90, "share", "-5 μ.μ."),
        (EN, 0.30, 0.25, "share", "+5 pp"),
        (EN, 0.301, 0.30, "share", "+0.1 pp"),
        (EN, 0.30, float("nan"), "share", "–"),
        # Money and counts keep relative changes.
        (EN, 1100.0, 1000.0, "money", "+10.0%"),
        (EL, 90.0, 100.0, "count", "-10,0%"),
    ],
)
def test_rate_changes_in_points_money_relative(fmt, period, prior, unit, expected):
    assert _change(fmt, _row(period, prior), "prior", unit) == expected
