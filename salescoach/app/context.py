"""What every view of the manager's app shares: the workbook, the period and the scope.

The period and the scope are picked once (:class:`salescoach.app.picker.ScopePicker`) and every
page follows: a page observes the :class:`Context` and redraws when told what changed. Writes
tell the context too (:meth:`Context.decisions_changed`), so a goal saved on one page shows on
the others without a reload.

The context also keeps what is slow to compute and the same for every redraw: the fact tables
(read once per kernel) and, per metric, the daily total per rep, so that a change of scope or
period filters a few hundred thousand rows instead of a million order lines.

Example::

    ctx = Context(Workbook.open("my-workbook"))
    ctx.observe(lambda ctx, changed: print(changed))
    ctx.update(scope="team", scope_id="North A")     # prints frozenset({'scope', 'scope_id'})
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import Any

import pandas as pd

from salescoach.domain import access, actuals, goals
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import CLOSED, NOT_STARTED, Period, default_period, period_state
from salescoach.i18n import matches, sort_key, translator

SCOPES = ("company", "department", "team", "rep")
PERIOD_KINDS = ("year", "quarter", "month")
# Periods offered after the last day with data, so that next quarter's goals can be set.
FUTURE_QUARTERS = 4
# Periods whose slice of the daily sums a kernel keeps: the one shown and a few gone back to.
PERIODS_KEPT = 4

Observer = Callable[["Context", frozenset[str]], None]


class Context:
    """The workbook, the period and the scope every page shows, and who is at the keyboard.

    Parameters
    ----------
    workbook:
        An open :class:`salescoach.data.workbook.Workbook`.
    period, scope, scope_id:
        The starting view; by default the quarter of the last day with data, whole company.
    who:
        The author recorded with every write (default: the hub user, ``$SALESCOACH_USER``,
        else the login).
    person:
        Who is at the keyboard and what they may see (default: the access file's person for
        `who`; a login it does not name sees nothing). The picker offers only that scope.
    today:
        The date against which "in the past" is judged (default: the real today).
    """

    def __init__(
        self,
        workbook,
        period: str | None = None,
        scope: str = "company",
        scope_id: str | None = None,
        who: str | None = None,
        today: dt.date | None = None,
        person=None,
    ):
        self.workbook = workbook
        self._observers: list[Observer] = []
        self._today = today
        self._who = who
        self._daily: dict[str, pd.DataFrame] = {}
        self._on_staff: dict[str, frozenset[str]] = {}
        # The reps and the facts do not change while a kernel runs: what a redraw would work
        # out again (the sorted pickers, a period's slice of the daily sums) is kept.
        self._choices: dict[tuple, tuple[pd.DataFrame, list[tuple[str, str]]]] = {}
        self._period_daily: dict[tuple[str, str], pd.DataFrame] = {}
        self._per_period: dict[tuple[str, str], pd.DataFrame] = {}
        self._shares: dict[str, pd.Series] = {}
        self._store = None
        self.revision = 0
        # Writes per decision kind, so a page can tell whether what it computed still holds.
        self.revisions: dict[str, int] = {}
        self._held: list[frozenset[str]] | None = None
        self.person = person or self._person()
        self.period = str(period) if period else str(self.default_period())
        if not access.scope_kinds(self.person):  # nobody: every page says why, nothing shown
            self.scope, self.scope_id = "rep", None
            return
        if scope == "company" and scope_id is None and not self.person.everything:
            home = access.home(self.person)
            scope, scope_id = home.scope, home.scope_id
        self.scope, self.scope_id = self._checked_scope(scope, scope_id)

    def _person(self):
        from salescoach.services.access import person_for

        return person_for(self.workbook, self.who, served=True)

    def refusal(self, action: str, subject=None) -> str | None:
        """Why the person may not take `action` on `subject` (the current scope by default),
        or None when they may."""
        subject = subject or access.Subject(self.scope, self.scope_id)
        return access.refusal(self.person, action, subject, self.reps)

    def page_refusal(self, page: str) -> str | None:
        """Why the person may not open an app page on the current scope, or None."""
        subject = access.Subject(self.scope, self.scope_id)
        return access.page_refusal(self.person, page, subject, self.reps)

    def require(self, action: str, subject=None) -> None:
        """Raise :class:`salescoach.domain.access.AccessRefused` with the reason when not allowed."""
        why = self.refusal(action, subject)
        if why is not None:
            raise access.AccessRefused(why)

    # -- what does not change while the app runs

    @cached_property
    def settings(self):
        return self.workbook.settings

    @cached_property
    def fmt(self) -> Formatter:
        return Formatter.for_settings(self.settings)

    @cached_property
    def _(self) -> Callable[..., str]:
        """The translator for the workbook's language: ``ctx._("Saved {what}", what=...)``."""
        return translator(self.settings.language)

    @cached_property
    def fiscal_start(self) -> int:
        return self.settings.fiscal_year_start_month

    @cached_property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """The fact tables of the workbook's current snapshot, each read once when a page first
        asks for it (`Facts.view`): the goals page a manager opens on never reads the million
        activities or the service cases, and each metric's events are derived once."""
        return self._facts.view()

    @cached_property
    def _facts(self):
        return self.workbook.facts()

    @cached_property
    def _order_dates(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The oldest and newest order date, asked of the files: the goals page a manager
        opens on then never holds the million order lines in the kernel."""
        from salescoach.data import facts_query

        folder = self._facts.folder
        if folder is None or self._facts.loaded("orders"):
            orders = self.tables.get("orders")
            if orders is None or "order_date" not in orders:
                return None, None
            return orders["order_date"].min(), orders["order_date"].max()
        return facts_query.order_dates(folder)

    @cached_property
    def _close_dates(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The oldest and newest deal close date, asked of the files when the deals are not
        in memory: reading 160,000 deals for two dates held 34 MB of a scale-7 kernel."""
        from salescoach.data import facts_query

        folder = self._facts.folder
        if folder is None or self._facts.loaded("deals"):
            deals = self.tables.get("deals")
            if deals is None or "close_date" not in deals:
                return None, None
            return deals["close_date"].min(), deals["close_date"].max()  # NaT when none
        return facts_query.date_range(folder, "deals", "close_date")

    def _day_span(self, pick) -> pd.Timestamp | None:
        """The oldest (`pick=min`) or newest (`max`) order or close date; None without any."""
        end = 0 if pick is min else 1
        days = [self._order_dates[end], self._close_dates[end]]
        days = [pd.Timestamp(d) for d in days if d is not None and pd.notna(d)]
        return pick(days) if days else None

    @property
    def reps(self) -> pd.DataFrame:
        return self.tables["reps"]

    @property
    def who(self) -> str:
        if self._who is None:
            from salescoach.data.store import default_author

            self._who = default_author()
        return self._who

    @property
    def today(self) -> dt.date:
        return self._today or dt.date.today()

    def store(self):
        """The workbook's decisions store, opened once and shared by every page."""
        if self._store is None:
            self._store = self.workbook.store()
        return self._store

    def decisions_revision(self, *kinds: str) -> tuple[int, int]:
        """A token that changes whenever a decision of `kinds` is written, by this kernel or
        any other server sharing the store (one small query): what a view cached from the
        store is keyed on. `revisions` counts only this kernel's own writes."""
        return self.store().revision(kinds or None)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @cached_property
    def last_day(self) -> pd.Timestamp:
        """The workbook's 'now': the newest order or close date (not today), as the services
        judge it, so a historical export reads the same later. Today when there is no data."""
        day = self._day_span(max)  # `actuals.last_day`, without reading the order lines
        return pd.Timestamp(day) if day is not None else pd.Timestamp(self.today)

    @cached_property
    def first_day(self) -> pd.Timestamp:
        """The oldest order or close date (today when there is no data)."""
        day = self._day_span(min)
        return pd.Timestamp(day) if day is not None else pd.Timestamp(self.today)

    def default_period(self) -> Period:
        """The period the app opens on: `salescoach.domain.periods.default_period`, as `diagnose`
        and `render` choose it."""
        return default_period(self.last_day, self.fiscal_start)

    def period_choices(self) -> list[str]:
        """Years, then quarters, newest first, from the first day with data to a year ahead.

        The period the app opens on is always offered, even when it comes before the first
        dated fact (a workbook whose only dates are this quarter's open deals opens on the
        last complete quarter, which then says it has no data)."""
        first = min(
            Period.containing(self.first_day, "quarter", self.fiscal_start),
            self.default_period(),
        )
        last = Period.containing(self.last_day, "quarter", self.fiscal_start).shift(FUTURE_QUARTERS)
        quarters, p = [], first
        while p <= last:
            quarters.append(p)
            p = p.shift(1)
        years = sorted({Period(q.year, "year", 0, self.fiscal_start) for q in quarters})
        return [str(p) for p in reversed(years)] + [str(q) for q in reversed(quarters)]

    def period_label(self, period: str | None = None) -> str:
        return self.fmt.period(self.period_obj if period is None else self._parse(period))

    def period_state(self, period: str | None = None) -> str:
        """closed, current or not_started against the data's newest day: the services' one
        definition (`salescoach.domain.periods.period_state`), so what a heading calls closed is
        what a write refuses without an override."""
        return period_state(
            self.period_obj if period is None else self._parse(period), self.last_day
        )

    def period_has_data(self, period: str | None = None) -> bool:
        """Whether the data reach into the period (a quarter after the export has none)."""
        return self.period_state(period) != NOT_STARTED

    def period_title(self, period: str | None = None) -> str:
        """The period's name marked with what it is: `Q2 2026 (closed)`, `Q3 2026 (current)`,
        `Q4 2026 (not started)`. Every picker and heading shows this."""
        state = self.period_state(period)
        name = self.period_label(period)
        if state == NOT_STARTED:
            return self._("{period} (not started)", period=name)
        if state == CLOSED:
            return self._("{period} (closed)", period=name)
        return self._("{period} (current)", period=name)

    def scope_choices(self, scope: str, query: str = "") -> list[tuple[str, str]]:
        """(label, id) pairs for a scope kind: departments, teams, or reps by name, in
        dictionary order for their script; with `query`, only those whose label contains it,
        case and accents aside (`σοφια` finds `Σοφία Παππά (R007)`)."""
        kept = self._choices.get((scope, self.person))
        if kept is not None and kept[0] is self.reps:
            choices = kept[1]
        else:
            choices = self._sorted_choices(scope)
            # Sorting 455 names by their folded form was a tenth of a redraw at scale 7.
            self._choices[scope, self.person] = (self.reps, choices)
        if query.strip():
            return [c for c in choices if matches(query, c[0])]
        return list(choices)

    def _sorted_choices(self, scope: str) -> list[tuple[str, str]]:
        reps = access.visible_reps(self.person, self.reps)
        if scope not in access.scope_kinds(self.person) and scope in SCOPES:
            choices = []
        elif scope == "company":
            choices = [(self.settings.company_name, "company")]
        elif scope in ("department", "team"):
            units = sorted((str(v) for v in reps[scope].dropna().unique()), key=sort_key)
            choices = [(v, v) for v in units]
        elif scope == "rep":
            people = sorted(
                zip(reps["name"].astype(str), reps["rep_id"].astype(str)),
                key=lambda p: (sort_key(p[0]), p[1]),
            )
            choices = [(f"{n} ({r})", r) for n, r in people]
        else:
            raise ValueError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
        return choices

    def scope_label(self) -> str:
        for label, value in self.scope_choices(self.scope):
            if value == self.scope_id:
                return label
        return "" if self.scope_id is None else str(self.scope_id)  # nobody: no scope at all

    # -- the current view

    @property
    def period_obj(self) -> Period:
        return self._parse(self.period)

    def members(self) -> pd.Index:
        """The rep_ids the current scope counts."""
        return actuals.members(self.reps, self.scope, self.scope_id)

    def rep_choices(self, sellers: bool = False) -> list[tuple[str, str]]:
        """(label, id) of the reps in the current scope on staff during the period, for forms
        that act on one rep; only sellers with `sellers` (an award on sales, a seller goal).
        Leavers and joiners outside the period are left out: the services refuse them."""
        reps = self.reps
        if self.period not in self._on_staff:
            share = self.active_share(self.period_obj)
            self._on_staff[self.period] = frozenset(share[share > 0].index.astype(str))
        wanted = set(self.members()) & self._on_staff[self.period]
        if sellers:
            wanted -= set(goals.support_staff(reps)["rep_id"].astype(str))
        return [(label, rid) for label, rid in self.scope_choices("rep") if rid in wanted]

    def active_share(self, period: Period) -> pd.Series:
        """`goals.active_share` of every rep in a period, once per period and kernel (the reps
        do not change while it runs): everyone's days on staff was a tenth of a goals redraw,
        and a suggestion reads them for each period before its own."""
        key = str(period)
        if key not in self._shares:
            self._shares[key] = goals.active_share(self.reps, period)
        return self._shares[key]

    def daily(self, metric: str) -> pd.DataFrame:
        """rep_id, date, value: the metric per rep and day, computed once per kernel."""
        if metric not in self._daily:
            summed = None
            if metric in ("revenue", "units") and self._facts.folder is not None:
                from salescoach.data import facts_query

                # Summed where the order lines lie (tests/test_facts_query.py holds it equal).
                summed = facts_query.daily_order_sums(self._facts.folder, metric)
            if summed is None:
                ev = actuals.events(self.tables, metric).dropna(subset=["date"])
                summed = (
                    ev.groupby(["rep_id", "date"], sort=True, observed=True)["value"]
                    .sum()
                    .reset_index()
                )
            self._daily[metric] = summed
        return self._daily[metric]

    def per_rep_period(self, metric: str, kind: str) -> pd.DataFrame:
        """`actuals.per_rep_period` from the daily sums (no order line read again); once per
        metric and kind of period, since every period's suggestion reads the same history."""
        if (metric, kind) not in self._per_period:
            self._per_period[metric, kind] = actuals.per_period_of(
                self.daily(metric), kind, self.fiscal_start
            )
        return self._per_period[metric, kind]

    def family_sales(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """`goals_history.family_sales`, summed where the order lines lie when they are files."""
        from salescoach.data import facts_query
        from salescoach.domain.goals_history import family_sales, family_table

        if self._facts.folder is not None and not self._facts.loaded("orders"):
            sums = facts_query.rep_product_sums(self._facts.folder, start, end)
            if sums is not None:
                return family_table(sums, self.tables.get("products"))
        return family_sales(self.tables, start, end)

    def _has_metric(self, metric: str) -> bool:
        try:
            self.daily(metric)
        except actuals.MissingData:
            return False
        return True

    def _daily_within(self, metric: str, period: Period) -> pd.DataFrame:
        """The daily sums of a period: sliced once per period (a scale-7 redraw sliced the
        year's 150,000 rows up to three times)."""
        key = (metric, str(period))
        if key not in self._period_daily:
            d = self.daily(metric)
            self._period_daily[key] = d[(d["date"] >= period.start) & (d["date"] <= period.end)]
            while len(self._period_daily) > PERIODS_KEPT:
                self._period_daily.pop(next(iter(self._period_daily)))
        return self._period_daily[key]

    def per_rep(self, metric: str, period: Period | None = None) -> pd.Series:
        """The metric per rep of the scope over a period (the current one by default)."""
        d = self._daily_within(metric, period or self.period_obj)
        values = d.groupby("rep_id", sort=True, observed=True)["value"].sum()
        return values.reindex(self.members()).fillna(0.0)

    def scope_series(self, metric: str, period: Period | None = None) -> pd.Series:
        """The scope's daily total of a metric over a period, every day present (zeros)."""
        period = period or self.period_obj
        d = self._daily_within(metric, period)
        d = d[d["rep_id"].isin(self.members())]
        days = pd.date_range(period.start, period.end, freq="D")
        return d.groupby("date")["value"].sum().reindex(days, fill_value=0.0)

    # -- changes

    def observe(self, observer: Observer) -> None:
        """Call ``observer(context, changed)`` after every change; ``changed`` names what."""
        if observer not in self._observers:
            self._observers.append(observer)

    def unobserve(self, observer: Observer) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def update(self, **changes: Any) -> frozenset[str]:
        """Change period, scope and/or scope_id at once; observers hear of it once.

        Raises ValueError for an unknown period, scope or scope id, changing nothing.
        """
        unknown = set(changes) - {"period", "scope", "scope_id"}
        if unknown:
            raise TypeError(f"cannot change {', '.join(sorted(unknown))}")
        period = str(self._parse(changes.get("period", self.period)))
        scope = changes.get("scope", self.scope)
        scope_id = changes.get("scope_id", self.scope_id if scope == self.scope else None)
        scope, scope_id = self._checked_scope(scope, scope_id)
        new = {"period": period, "scope": scope, "scope_id": scope_id}
        changed = frozenset(k for k, v in new.items() if getattr(self, k) != v)
        if changed:
            self.period, self.scope, self.scope_id = period, scope, scope_id
            self._notify(changed)
        return changed

    def decisions_changed(self, kind: str | None = None) -> None:
        """Tell every page that a decision (of `kind`) was written, so views of the store reload."""
        self.revision += 1
        if kind:
            self.revisions[kind] = self.revisions.get(kind, 0) + 1
        self._notify(frozenset({"decisions"}))

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold change notices until the block ends: a form shows "Saved" before the pages
        redraw for what it saved, however long that takes."""
        if self._held is not None:  # already holding: the outer block delivers
            yield
            return
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
            if held:
                self._notify(frozenset().union(*held))

    def _notify(self, changed: frozenset[str]) -> None:
        if self._held is not None:
            self._held.append(changed)
            return
        for observer in list(self._observers):
            observer(self, changed)

    def in_language(self, language: str) -> Context:
        """The same view in another language; the facts and totals already read are shared."""
        import copy

        from salescoach.data.workbook import Workbook

        other = copy.copy(self)
        other.workbook = Workbook(self.workbook.root, language)
        for words in ("settings", "fmt", "_"):  # what follows the language is worked out again
            other.__dict__.pop(words, None)
        other._observers, other._held, other.revisions = [], None, dict(self.revisions)
        return other

    def _parse(self, period: str) -> Period:
        return Period.parse(str(period), self.fiscal_start)

    def _checked_scope(self, scope: str, scope_id: str | None) -> tuple[str, str | None]:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
        ids = [value for _label, value in self.scope_choices(scope)]
        if scope_id is None:
            scope_id = ids[0] if ids else None
        if scope_id not in ids:
            # Outside the person's scope: say so, rather than "no such team".
            why = access.refusal(
                self.person, "goal.read", access.Subject(scope, scope_id), self.reps
            )
            if why is not None and not self.person.everything:
                raise access.AccessRefused(why)
            raise ValueError(f"no {scope} {scope_id!r} in this workbook")
        return scope, scope_id

    def snapshot(self) -> Mapping[str, Any]:
        return {"period": self.period, "scope": self.scope, "scope_id": self.scope_id}
