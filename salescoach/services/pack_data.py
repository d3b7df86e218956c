"""Review packs: the batch's shared data (every rep's figures and trend, computed once per
batch and cached as Parquet) and what identifies it (:func:`batch_key`). Part of
:mod:`salescoach.services.packs`, which re-exports every name."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from salescoach.data.workbook import Workbook
from salescoach.domain import actuals, attainment, capabilities, monitoring, roles
from salescoach.domain.periods import Period
from salescoach.i18n import set_language
from salescoach.services import period_or_default, scope as pack_scope, using_store

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
    "assisted",
    "assisted_won",
    "assisted_win_rate",
    "comparable_win_rate",
    "assisted_uplift",
    "assisted_revenue",
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


def _fingerprint(wb: Workbook, period: Period | None) -> tuple | None:
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
    """The period asked for, or the default one (the last complete quarter of the data)."""
    return period_or_default(wb, period)


def _goal_events(wb: Workbook) -> pd.DataFrame | None:
    try:
        return using_store(wb, lambda store: store.frame(attainment.GOAL_KIND))
    except Exception:  # noqa: BLE001 - no store yet: imported targets only
        return None


_GOALS: dict[tuple, pd.DataFrame] = {}


def goals_for(wb: Workbook) -> pd.DataFrame:
    """The goals in force; read once per process while the facts and decisions are unchanged
    (a pack asks for them four times)."""
    quick = _fingerprint(wb, None)
    if quick is not None and quick in _GOALS:
        return _GOALS[quick].copy()
    goals = attainment.goals_in_force(wb.facts().get("targets"), _goal_events(wb))
    if quick is not None:
        _GOALS.clear()
        _GOALS[quick] = goals.copy()
    return goals


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


_KEYS: dict[tuple, str] = {}


def batch_key(wb: Workbook, period: Period) -> str:
    """Identity of a batch's shared data: the facts (snapshot and the goals in force), the
    period, the whole settings and the code version; none of them can change unseen."""
    quick = _fingerprint(wb, period)
    if quick is not None and quick in _KEYS:
        return _KEYS[quick]
    key = _batch_key(wb, period)
    if quick is not None:
        _KEYS.clear()
        _KEYS[quick] = key
    return key


def _batch_key(wb: Workbook, period: Period) -> str:
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
    # Support staff who sell nothing are measured on the deals they assist: a seller goal an
    # export gave them is set aside (kept to be named on page 1), not read as 0% attained.
    staff = support_only_ids(tables)
    aside = roles.support_goals(goals, tables["reps"], tables, staff=staff)
    figures["measured_as"] = "seller"
    figures.loc[figures.index.isin(staff), "measured_as"] = "support"
    dropped = goals[aside & goals["metric"].eq("revenue") & goals["period"].eq(str(period))]
    figures["goal_set_aside"] = dropped.set_index("scope_id")["target"]
    table = attainment.attainment_table(tables, goals[~aside], period)
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
    figures = figures.join(assisted_figures(tables, period))
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


def support_only_ids(tables) -> pd.Index:
    return pd.Index(roles.support_only(tables["reps"], tables)["rep_id"])


# Support staff's figures, named apart from a seller's own (revenue, deals_won): the deals they
# assisted, closed in the period, against comparable deals nobody assisted.
ASSISTED_COLUMNS = {
    "assisted": "assisted",
    "won": "assisted_won",
    "win_rate": "assisted_win_rate",
    "comparable_win_rate": "comparable_win_rate",
    "uplift": "assisted_uplift",
    "revenue": "assisted_revenue",
}


def assisted_figures(tables: dict, period: Period) -> pd.DataFrame:
    """Per support rep, monitoring's assisted-against-comparable figures for the period
    (`monitoring.support_contribution`); no rows when the deals name no support staff."""
    deals = tables.get("deals")
    # The column is always there (the contract's conformed facts); whether it holds a value
    # is the capability: without one, nobody is known to have assisted anything (NaN, not 0).
    if not capabilities.of(tables).has("deals.support_rep_id"):
        return pd.DataFrame(columns=list(ASSISTED_COLUMNS.values()))
    found = monitoring.support_contribution(
        deals, tables["reps"], period, tables.get("products"), tables.get("customers")
    )
    return found.set_index("rep_id")[list(ASSISTED_COLUMNS)].rename(columns=ASSISTED_COLUMNS)


_ASSISTED: dict[str, pd.DataFrame] = {}


def assisted_trend(wb: Workbook, period: Period) -> pd.DataFrame:
    """Per support rep who sells nothing (index rep_id), the amount of the assisted deals won
    per quarter by close date, in the batch trend's columns: what their trend chart shows in
    place of their own revenue, which is nothing. Kept apart from the batch trend, whose rows a
    team's or the company's figures add up. Once per process and batch."""
    key = batch_key(wb, period)
    if key not in _ASSISTED:
        _figures, trend = batch_figures(wb, period)
        columns = [c for c in trend.columns if c != "rep_id"]
        tables = wb.facts().all()
        staff = support_only_ids(tables)
        deals = tables.get("deals")
        out = pd.DataFrame(0.0, index=staff.rename("rep_id"), columns=columns)
        if len(staff) and columns and capabilities.of(tables).has("deals.support_rep_id"):
            won = deals[deals["stage"].eq("won") & deals["support_rep_id"].isin(staff)]
            events = pd.DataFrame(
                {
                    "rep_id": won["support_rep_id"],
                    "date": won.get("close_date", pd.Series(pd.NaT, index=won.index)),
                    "value": won.get("amount", pd.Series(np.nan, index=won.index)),
                }
            )
            per = actuals.per_period_of(events, "quarter", wb.settings.fiscal_year_start_month)
            out = per.reindex(index=out.index, columns=columns).fillna(0.0)
        _ASSISTED.clear()
        _ASSISTED[key] = out
    return _ASSISTED[key]


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    # Named as render.clean_tmp expects: a batch killed while writing leaves nothing behind.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
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
    """(figures, trend) for every rep, computed once per batch and cached as Parquet; in a
    pack's process, of the pack's subject only (`services.scope`)."""
    if pack_scope.active() is not None:
        return pack_scope.figures(period)
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


def next_revenue_goal(wb: Workbook, rep_id: str, period: str) -> float | None:
    """The rep's revenue goal in force for `period` (its latest version), or None."""
    goals = goals_for(wb)
    mine = goals[
        (goals["scope"] == "rep")
        & (goals["scope_id"] == rep_id)
        & (goals["period"] == period)
        & (goals["metric"] == "revenue")
    ]
    return float(mine["target"].iloc[-1]) if len(mine) else None
