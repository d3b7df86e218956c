"""What a goal suggestion starts from: a scope's history per period, seasonal indices, the
product-family mix a rep sells, and the market index (the economy and the competition) over
the periods a goal covers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from salescoach.domain import actuals
from salescoach.domain.decisions import ACK, ack_key  # noqa: F401 - the registry's key
from salescoach.domain.periods import Period
from salescoach.i18n import N_, plural_translator, translator

NO_SEASON = N_("seasonality not learnt: fewer than two complete years of history")


NO_MARKET = N_("no market data for {period}: economy and competition not applied")


SOME_MARKET = N_("market data for {n} of the period's {total} quarters")


@dataclass(frozen=True)
class Note:
    """A caveat of a suggestion, translated when it is written."""

    text: str | tuple[str, str]  # (singular, plural) for a count, in `n`
    values: tuple[tuple[str, object], ...] = ()

    def render(self, lang: str = "en") -> str:
        values = dict(self.values)
        if isinstance(self.text, tuple):
            return plural_translator(lang)(*self.text, int(values["n"]), **values)
        return translator(lang)(self.text, **values)


def _note(text: str | tuple[str, str], **values) -> Note:
    return Note(text, tuple(values.items()))


def scope_history(
    tables: Mapping[str, pd.DataFrame],
    scope: str,
    scope_id: str | None,
    metric: str,
    kind: str,
    fiscal_start: int = 1,
    per_period: pd.DataFrame | None = None,
) -> pd.Series:
    """The scope's results per period of `kind`, oldest first, zeros where nothing happened.

    `per_period` is `actuals.per_rep_period(...)` when the caller already has it (a batch of
    suggestions computes it once).
    """
    table = (
        per_period
        if per_period is not None
        else actuals.per_rep_period(tables, metric, kind, fiscal_start)
    )
    if table.empty:
        return pd.Series(dtype=float)
    reps = actuals.members(tables["reps"], scope, scope_id)
    return table.reindex(reps).fillna(0.0).sum(axis=0)


def seasonal_indices(history: pd.Series, kind: str) -> pd.Series | None:
    """Each quarter's or month's share of a typical year x the number of parts, by number.

    Learnt from complete fiscal years (every part with results); None with fewer than two.
    """
    if kind == "year" or history.empty:
        return None
    parts = 4 if kind == "quarter" else 12
    labels = pd.Series(history.index, index=history.index)
    frame = pd.DataFrame(
        {
            "year": labels.str[:4].astype(int).to_numpy(),
            "n": (labels.str[6:] if kind == "quarter" else labels.str[5:7]).astype(int).to_numpy(),
            "value": history.to_numpy(dtype=float),
        }
    )
    complete = frame.groupby("year").filter(lambda g: len(g) == parts and (g["value"] > 0).all())
    if complete["year"].nunique() < 2:
        return None
    share = complete["value"] / complete.groupby("year")["value"].transform("sum")
    return share.groupby(complete["n"]).mean() * parts


def seasonal_index(
    company_history: pd.Series, period: Period, fiscal_start: int = 1
) -> tuple[float, str | None]:
    """A quarter's or month's seasonal index (1.0 for a year), and why it is 1.0 if unlearnt."""
    if period.kind == "year":
        return 1.0, None
    index = seasonal_indices(company_history, period.kind)
    if index is None:
        return 1.0, NO_SEASON
    return float(index.get(period.number, 1.0)), None


def family_sales(
    tables: Mapping[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Revenue per rep (rows) and product family (columns) between two dates (inclusive)."""
    orders, products = tables.get("orders"), tables.get("products")
    if orders is None or products is None or "family" not in products:
        return pd.DataFrame()
    lines = orders[(orders["order_date"] >= start) & (orders["order_date"] <= end)]
    if "status" in lines:
        lines = lines[~lines["status"].isin(actuals.NOT_REVENUE)]
    sums = pd.DataFrame({"rep_id": lines["rep_id"], "product_id": lines["product_id"]}).assign(
        value=actuals.line_revenue(lines)
    )
    return family_table(sums, products)


def family_table(sums: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """Revenue per rep (rows) and product family (columns) from rep_id, product_id, value
    (order lines, or their sums per rep and product as `data.facts_query` gives them)."""
    if products is None or "family" not in products or sums.empty:
        return pd.DataFrame()
    family = sums["product_id"].map(
        products.drop_duplicates("product_id").set_index("product_id")["family"]
    )
    return sums["value"].groupby([sums["rep_id"], family]).sum().unstack(fill_value=0.0)


def family_mix(tables: Mapping[str, pd.DataFrame], reps: pd.Index, start, end) -> pd.Series:
    """The scope's share of revenue per product family over [start, end]."""
    return _mix(family_sales(tables, start, end), reps)


def _mix(by_rep_family: pd.DataFrame, reps: pd.Index) -> pd.Series:
    if by_rep_family.empty:
        return pd.Series(dtype=float)
    by_family = by_rep_family.reindex(reps).fillna(0.0).sum(axis=0)
    total = by_family.sum()
    return by_family[by_family > 0] / total if total > 0 else pd.Series(dtype=float)


def _quarters_of(period: Period, fiscal_start: int) -> list[str]:
    if period.kind == "year":
        return [f"{period.year}-Q{q}" for q in range(1, 5)]
    if period.kind == "quarter":
        return [str(period)]
    return [str(Period.containing(period.start, "quarter", fiscal_start))]


def market_for(
    market: pd.DataFrame | None, period: Period, fiscal_start: int = 1
) -> tuple[float, pd.Series, Note | None]:
    """(market growth, competitor price index per family) for the period, and a caveat.

    A year averages its quarters; a month takes its quarter's rows (or its own, if the market
    table has monthly rows). A period without rows is growth 0 and no index, stated.
    """
    quarters = _quarters_of(period, fiscal_start)
    rows = (
        market[market["period"].astype(str).isin(set(quarters) | {str(period)})]
        if market is not None and len(market)
        else pd.DataFrame()
    )
    if rows.empty:
        return 0.0, pd.Series(dtype=float), _note(NO_MARKET, period=str(period))
    note = None
    found = rows["period"].astype(str).nunique()
    if period.kind == "year" and found < len(quarters):
        note = _note(SOME_MARKET, n=found, total=len(quarters))
    growth = 0.0
    if "market_growth" in rows:
        # Family rows repeat the period's growth: one figure per period, then their mean.
        per_period = rows.groupby(rows["period"].astype(str))["market_growth"].mean().dropna()
        growth = float(per_period.mean()) if len(per_period) else 0.0
    index = pd.Series(dtype=float)
    if "competitor_price_index" in rows and "product_family" in rows:
        fam = rows.dropna(subset=["product_family", "competitor_price_index"])
        index = fam.groupby("product_family")["competitor_price_index"].mean()
    return growth, index, note


def _index_over(market: pd.DataFrame | None, periods: list[Period], fiscal_start: int) -> pd.Series:
    """Competitor price index per family averaged over the quarters of `periods`."""
    if market is None or market.empty or "competitor_price_index" not in market:
        return pd.Series(dtype=float)
    wanted = {q for p in periods for q in _quarters_of(p, fiscal_start)} | {str(p) for p in periods}
    rows = market[market["period"].astype(str).isin(wanted)]
    if "product_family" not in rows:
        return pd.Series(dtype=float)
    rows = rows.dropna(subset=["product_family", "competitor_price_index"])
    return rows.groupby("product_family")["competitor_price_index"].mean()
