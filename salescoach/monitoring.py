"""Monitoring: results across the sales process, as pure functions over the fact tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from salescoach import actuals


def revenue_by(tables: Mapping[str, pd.DataFrame], level: str, last_months: int | None = None) -> pd.Series:
    """Revenue per `rep`, `team`, `department` or `company`, largest first.

    `last_months` counts back from the latest sale in the data, not from today, so a
    historical export reads the same whenever it is opened.
    """
    ev = actuals.events(tables, "revenue")
    end = ev["date"].max()
    start = end - pd.DateOffset(months=last_months) + pd.Timedelta(days=1) if last_months else ev["date"].min()
    per_rep = actuals.per_rep(tables, "revenue", start, end)
    return actuals.rollup(per_rep, tables["reps"], level).sort_values(ascending=False)
