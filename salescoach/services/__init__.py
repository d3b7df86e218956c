"""The edge between the pure domain modules and the workbook.

A service reads facts and decisions from a Workbook, calls the pure functions of its concept
(salescoach.domain.goals, salescoach.domain.diagnosis, ...) and appends decisions to the store. The CLI, the
notebooks and the Voila app all go through services, so each write is made in one place.
"""

from dataclasses import dataclass

from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import _


def period_of(wb, period) -> Period:
    """The period a user asked for (a Period or text such as 2026-Q3) in the workbook's fiscal
    calendar; bad text is an InputError, so every command and page says the same sentence."""
    if isinstance(period, Period):
        return period
    try:
        return Period.parse(str(period), wb.settings.fiscal_year_start_month)
    except ValueError as exc:
        raise InputError(_("unknown period: {exc}", exc=exc)) from None


def last_data_day(wb, tables=None):
    """The workbook's 'now', `actuals.last_day`: the newest order or close date. From `tables`
    (facts already read) when given, else from the order and deal files' statistics: a command
    that needs only 'now' (a goal written, the default period) reads no order line (scale 7:
    a million of them, 1-3 s, for two dates)."""
    import pandas as pd

    from salescoach.data import facts_query
    from salescoach.domain import actuals

    if tables is not None:
        return actuals.last_day(tables)
    facts = wb.facts()
    if facts.folder is None:
        return None
    days = [
        facts_query.date_range(facts.folder, table, column)[1]
        for table, column in (("orders", "order_date"), ("deals", "close_date"))
    ]
    days = [d for d in days if d is not None and pd.notna(d)]
    return max(days) if days else None


def default_period(wb, tables=None) -> Period:
    """The period a command or page opens on when none is given: the last complete quarter of
    the workbook's data (`salescoach.domain.periods.default_period`). `tables`: facts already read."""
    from salescoach.domain import periods

    return periods.default_period(last_data_day(wb, tables), wb.settings.fiscal_year_start_month)


def period_or_default(wb, period, tables=None) -> Period:
    """The period asked for, or the default one when None or empty."""
    return period_of(wb, period) if period else default_period(wb, tables)


def check_scope(reps, scope, scope_id) -> None:
    """A department, team or rep the workbook's reps do not name is an InputError, as is one not
    given: a figure for nobody must not read as a figure (ids compared as text, so a rep id
    read as a number still matches)."""
    if scope in (None, "company"):
        return
    from salescoach.domain.actuals import SCOPE_COLUMN

    column = SCOPE_COLUMN.get(scope)
    if column is None:
        raise InputError(
            _("unknown scope {scope}; use company, department, team or rep", scope=repr(scope))
        )
    if scope_id is None or str(scope_id) == "":
        raise InputError(_("no {scope} given: a {scope} scope needs its id", scope=scope))
    known = set() if reps is None else set(reps[column].dropna().astype(str))
    if str(scope_id) not in known:
        raise InputError(
            _(
                "unknown {scope} {scope_id}: not in the workbook's reps",
                scope=scope,
                scope_id=repr(scope_id),
            )
        )


def using_store(wb, action):
    """Run `action(store)` on the workbook's decisions store and close it afterwards."""
    with wb.store() as store:
        return action(store)


def writing(wb, store, action):
    """Run `action(store)` on `store` (an already open one: the app's) or the workbook's own."""
    if store is not None:
        return action(store)
    return using_store(wb, action)


def staff_and_now(wb, tables=None):
    """(reps, the workbook's 'now'): what every write checks a rep and a period against.

    'Now' is the newest order or close date in the facts, so a closed period is the same
    whether the CLI, the app or a notebook asks. `tables` are facts already read (the app's)."""
    if tables is None:
        return wb.facts()["reps"], last_data_day(wb)
    return tables["reps"], last_data_day(wb, tables)


@dataclass(frozen=True)
class Saved:
    """What a write stored, and the warnings its caller must show (the CLI prints them, the
    app shows them under the form): accepted, but worth a second look."""

    events: tuple
    warnings: tuple[str, ...] = ()

    @property
    def event(self):
        return self.events[0]


def check_seller(wb, tables, reps, rep_id: str, period: Period) -> None:
    """A seller goal or award needs a rep on staff during the period who sells (by role or by
    their own deals and orders); the same check and words for every decision that needs one."""
    from salescoach.domain import decisions, roles
    from salescoach.domain.fmt import Formatter

    decisions.check_rep(
        reps,
        rep_id,
        period,
        seller=True,
        fmt=Formatter.for_settings(wb.settings),
        selling=roles.selling(tables if tables is not None else wb.facts()),
    )
