"""The edge between the pure domain modules and the workbook.

A service reads facts and decisions from a Workbook, calls the pure functions of its concept
(salescoach.goals, salescoach.diagnosis, ...) and appends decisions to the store. The CLI, the
notebooks and the Voila app all go through services, so each write is made in one place.
"""

from salescoach.errors import InputError
from salescoach.i18n import _
from salescoach.periods import Period


def period_of(wb, period) -> Period:
    """The period a user asked for (a Period or text such as 2026-Q3) in the workbook's fiscal
    calendar; bad text is an InputError, so every command and page says the same sentence."""
    if isinstance(period, Period):
        return period
    try:
        return Period.parse(str(period), wb.settings.fiscal_year_start_month)
    except ValueError as exc:
        raise InputError(_("unknown period: {exc}", exc=exc)) from None


def using_store(wb, action):
    """Run `action(store)` on the workbook's decisions store and close it afterwards."""
    with wb.store() as store:
        return action(store)
