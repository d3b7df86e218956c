"""pandera schemas, one per table of the contract, for frames after parsing.

The schemas check what a parsed row must satisfy on its own (required values, vocabularies,
ranges, period format). Rules across rows or tables (duplicates, references, date order) need
the other rows and live in salescoach.data.importer. Each check carries the sentence the rejects
file shows, so a failure reads as a reason, not as a check's name.
"""

from __future__ import annotations

from functools import cache

import pandera.pandas as pa

from salescoach.domain.contract import CHOICE, DATE, PERIOD, PERIOD_PATTERN, TABLES, Column


def _checks(col: Column) -> list[pa.Check]:
    checks = []
    if col.kind == CHOICE and col.choices:
        checks.append(
            pa.Check.isin(col.choices, error=f"expected one of: {', '.join(col.choices)}")
        )
    if col.kind == PERIOD:
        checks.append(
            pa.Check.str_matches(
                PERIOD_PATTERN.pattern, error="expected a period like 2026, 2026-Q3 or 2026-07"
            )
        )
    if col.min is not None and col.max is not None:
        checks.append(
            pa.Check.in_range(
                col.min, col.max, error=f"must be between {col.min:g} and {col.max:g}"
            )
        )
    elif col.min == 0:
        checks.append(pa.Check.ge(0, error="must not be negative"))
    elif col.min is not None:
        checks.append(pa.Check.ge(col.min, error=f"must be at least {col.min:g}"))
    if col.whole:
        checks.append(
            pa.Check(
                lambda s: s.isna() | (s == s.round()),
                element_wise=False,
                error="must be a whole number",
            )
        )
    return checks


@cache
def schema(table_name: str) -> pa.DataFrameSchema:
    """The pandera schema of one contract table (columns not present in a frame are skipped)."""
    t = TABLES[table_name]
    columns = {
        c.name: pa.Column(
            # Types are set by the parser; the schema checks values, not dtypes.
            None,
            nullable=not c.required,
            required=False,
            checks=_checks(c),
            title=c.name,
            description=c.doc or None,
        )
        for c in t.columns
    }
    return pa.DataFrameSchema(columns, name=t.name, strict=False, coerce=False)


# pandera's built-in checks have names, not sentences.
def readable_reason(check: str) -> str:
    """A pandera check's name as a reason a person reads, in the run's language."""
    from salescoach.i18n import _

    return {"not_nullable": _("required value is missing")}.get(check, check)


def date_columns(table_name: str) -> tuple[str, ...]:
    return tuple(c.name for c in TABLES[table_name].columns if c.kind == DATE)
