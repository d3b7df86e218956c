"""Import a data folder or a mapped CRM export: parse, validate, and split good rows from rejects.

Nothing is dropped silently. Every row read is either stored, merged into an identical row
(`distinct: true` dimensions read from fact files), or rejected with the file, row, column,
value and reason. For every table: read = stored + merged + rejected.

The flow per table is: read raw strings -> rename columns by the mapping -> translate codes ->
parse each column by its kind -> pandera schema (lazy, every failure collected) -> rules across
rows (duplicates, date order) -> references to the other tables.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from salescoach.data.readers import READABLE_SUFFIXES, RawTable, SourceError, read_raw
from salescoach.data.schemas import readable_reason, schema
from salescoach.data.sources import MappingError, TableSource, _as_text
from salescoach.domain import contract
from salescoach.domain.contract import CHOICE, DATE, MONEY, NUMBER, PERIOD, TABLES, Table
from salescoach.i18n import _, _n

REJECT_COLUMNS = ["table", "file", "row", "column", "value", "reason"]


@dataclass(frozen=True)
class TableCount:
    table: str
    file: str
    read: int
    stored: int
    merged: int
    rejected: int
    encoding: str | None = None


@dataclass(frozen=True)
class ImportResult:
    tables: dict[str, pd.DataFrame]
    counts: tuple[TableCount, ...]
    rejects: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """The minimum the kit needs: reps and one of orders/deals with rows."""
        have = {name for name, frame in self.tables.items() if len(frame)}
        return set(contract.REQUIRED_TABLES) <= have and bool(
            have & set(contract.REQUIRED_ONE_OF_TABLES)
        )

    def counts_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.counts])


# --------------------------------------------------------------------------- sources


def folder_sources(folder: Path | str) -> list[TableSource]:
    """A data folder in the contract's layout: one file per table, named after it."""
    folder = Path(folder)
    sources = []
    for name in contract.TABLE_ORDER:
        found = [
            folder / f"{name}{s}" for s in READABLE_SUFFIXES if (folder / f"{name}{s}").exists()
        ]
        if len(found) > 1:
            raise MappingError(
                _(
                    "{folder}: more than one file for {name}: {values}",
                    folder=folder,
                    name=name,
                    values=", ".join(p.name for p in found),
                )
            )
        if found:
            sources.append(TableSource(table=name, file=found[0]))
    if not sources:
        raise MappingError(
            _(
                "{folder}: no contract tables found (expected files such as reps.csv, deals.csv, orders.csv)",
                folder=folder,
            )
        )
    return sources


def sources_for(path: Path | str) -> list[TableSource]:
    path = Path(path)
    if path.is_dir():
        return folder_sources(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        from salescoach.data.mapping import load_mapping

        return load_mapping(path)
    if not path.exists():
        raise MappingError(_("{path}: no such file or folder", path=path))
    raise MappingError(_("{name}: expected a data folder or a mapping .yaml", name=path.name))


# --------------------------------------------------------------------------- parsing

_CURRENCY = re.compile(r"[\s\u00a0\u202f€$£¥]|[A-Z]{3}$|^[A-Z]{3}")
_THOUSANDS_COMMA = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")
_ZONE = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$")
_PERIOD_LOOSE = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$|^[Qq]([1-4])\s*[- ]?\s*(\d{4})$")


def _parse_numbers(s: pd.Series, decimal: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    text = _as_text(s)
    try:
        # Clean columns (the usual case) convert in one vectorised Arrow cast.
        cast = pc.cast(pa.array(text.array), pa.float64())
        return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        pass
    out = pd.to_numeric(text, errors="coerce")
    retry = out.isna() & text.notna()
    if retry.any():
        t = text[retry].str.replace(_CURRENCY, "", regex=True)
        percent = t.str.endswith("%")
        t = t.str.rstrip("%")
        if decimal == ",":
            t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            t = t.where(~t.str.match(_THOUSANDS_COMMA), t.str.replace(",", "", regex=False))
            # 1.234,56 can only be a decimal comma with dot thousands; 7,5 stays ambiguous.
            european = t.str.match(_THOUSANDS_DOT) & t.str.contains(",", regex=False)
            t = t.where(
                ~european, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            )
        fixed = pd.to_numeric(t, errors="coerce")
        fixed = fixed.where(~percent, fixed / 100)
        out = out.astype("float64")
        out[retry] = fixed
    return out.astype("float64")


def _parse_dates(s: pd.Series, date_format: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_localize(None).dt.normalize() if s.dt.tz is not None else s.dt.normalize()
    if s.dtype == object:
        # Excel cells arrive as datetime objects; keep them and parse only the text cells.
        is_dt = s.map(lambda v: hasattr(v, "year"))
        if is_dt.any():
            out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
            out[is_dt] = pd.to_datetime(s[is_dt], errors="coerce")
            rest = _parse_dates(_as_text(s[~is_dt]), date_format)
            out[~is_dt] = rest
            return out.dt.normalize()
    return _by_unique(_as_text(s), lambda u: _parse_date_text(u, date_format))


def _parse_date_text(text: pd.Series, date_format: str | list[str] | None) -> pd.Series:
    if isinstance(date_format, (list, tuple)):
        # Several formats in one column (exports merged from different systems): each value
        # takes the first format that reads it, in the order the mapping lists them.
        out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        for fmt in date_format:
            todo = out.isna() & text.notna()
            if not todo.any():
                break
            out[todo] = _plausible(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
        return out.dt.normalize()
    out = pd.to_datetime(text, format=date_format or "%Y-%m-%d", errors="coerce")
    if date_format is None:
        # Exports often carry a time of day ("2026-03-01 00:00:00", ISO with T).
        retry = out.isna() & text.notna()
        if retry.any():
            # A time zone (`Z`, `+02:00`: APIs and CRM exports) is dropped: the day is the one
            # the export wrote, not the day in another zone.
            local = text[retry].str.replace(_ZONE, r"\1", regex=True)
            out[retry] = pd.to_datetime(local, format="ISO8601", errors="coerce")
    return _plausible(out)


def _plausible(dates: pd.Series) -> pd.Series:
    """Dates a sales record can carry; others (year 1, year 9999 typos) count as not a date."""
    ok = (dates >= pd.Timestamp("1900-01-01")) & (dates < pd.Timestamp("2200-01-01"))
    return dates.where(ok).astype("datetime64[ns]").dt.normalize()


def _by_unique(text: pd.Series, parse) -> pd.Series:
    """Parse each distinct value once: a million order lines hold a few thousand dates."""
    codes, uniques = pd.factorize(text)
    parsed = parse(pd.Series(uniques, dtype=text.dtype))
    values = parsed.to_numpy()
    if len(values) == 0:
        return parsed.reindex(range(len(text))).set_axis(text.index)
    out = values[np.where(codes < 0, 0, codes)]
    result = pd.Series(out, index=text.index, dtype=parsed.dtype)
    return result.mask(codes < 0)


def _parse_choice(s: pd.Series, choices: tuple[str, ...]) -> pd.Series:
    def fold(u: pd.Series) -> pd.Series:
        folded = u.str.lower().str.replace(r"[\s\-]+", "_", regex=True)
        return u.where(~folded.isin(choices), folded)

    return _by_unique(_as_text(s), fold)


def _parse_period(s: pd.Series) -> pd.Series:
    text = _as_text(s)
    m = text.str.extract(_PERIOD_LOOSE)
    loose = m[0].notna() | m[2].notna()
    if loose.any():
        year = m[0].fillna(m[3])
        quarter = m[1].fillna(m[2])
        text = text.where(~loose, year + "-Q" + quarter)
    return text


def parse_column(
    s: pd.Series, kind: str, *, date_format: str | None = None, decimal: str = ".", choices=None
):
    """Raw values -> typed values; a value that cannot be parsed becomes missing (see `parse_failures`)."""
    if kind == DATE:
        return _parse_dates(s, date_format)
    if kind in (MONEY, NUMBER):
        return _parse_numbers(s, decimal)
    if kind == CHOICE:
        return _parse_choice(s, choices or ())
    if kind == PERIOD:
        return _parse_period(s)
    return _as_text(s)


def _kind_reason(kind: str) -> str | None:
    # Built when a file is read, so the reason is in that run's language.
    return {DATE: _("not a date"), MONEY: _("not an amount"), NUMBER: _("not a number")}.get(kind)


# --------------------------------------------------------------------------- validation


@dataclass
class _Work:
    """One table on its way through validation."""

    source: TableSource
    raw: pd.DataFrame  # renamed to canonical columns, raw values (for the rejects file)
    frame: pd.DataFrame  # parsed
    failures: list[pd.DataFrame] = field(default_factory=list)
    merged: int = 0
    encoding: str | None = None
    shown: str = ""  # what the rejects file names: the file, or a mapping's query

    @property
    def spec(self) -> Table:
        return TABLES[self.source.table]

    def fail(self, mask_or_index, column: str, reason) -> None:
        """Record a reason for the rows selected (a boolean mask or an index of row numbers)."""
        if isinstance(mask_or_index, pd.Series):
            rows = mask_or_index.index[mask_or_index.to_numpy(dtype=bool)]
        else:
            rows = pd.Index(mask_or_index)
        if len(rows) == 0:
            return
        if isinstance(reason, pd.Series):
            reasons = reason.reindex(rows).astype(str).to_numpy()
        else:
            reasons = np.full(len(rows), reason, dtype=object)
        self.failures.append(pd.DataFrame({"row": rows, "column": column, "reason": reasons}))

    def rejected_rows(self) -> pd.Index:
        if not self.failures:
            return pd.Index([])
        return pd.Index(pd.concat([f["row"] for f in self.failures]).unique())


# Feedback and service cases naming their order take its customer, rep and product from it.
_ORDER_FILLS = {
    "feedback": ("customer_id", "rep_id", "product_id"),
    "service": ("customer_id", "rep_id", "product_id"),
}


def _from_order(table: str, column: str, given) -> bool:
    return column in _ORDER_FILLS.get(table, ()) and "order_id" in given


def _fill_from_orders(work: _Work, stored: Mapping[str, pd.DataFrame]) -> None:
    """Customer, rep and product of a feedback or a case, from the order it names, when the
    export has no such column (a column given keeps its values, blanks included).

    A product is taken only from an order of one product; an order of several says nothing
    about which one the customer meant.
    """
    frame, orders = work.frame, stored.get("orders")
    if work.spec.name not in _ORDER_FILLS or "order_id" not in frame:
        return
    for column in _ORDER_FILLS[work.spec.name]:
        if column in work.raw.columns:
            continue
        frame[column] = pd.Series(pd.NA, index=frame.index, dtype="object")
        if orders is None or column not in orders:
            continue
        per_order = orders.dropna(subset=[column]).groupby("order_id", sort=False)[column]
        known = per_order.first()[per_order.nunique() == 1]
        todo = frame[column].isna() & frame["order_id"].notna()
        frame.loc[todo, column] = frame.loc[todo, "order_id"].map(known)


def _rename(raw: RawTable, source: TableSource) -> pd.DataFrame:
    t = TABLES[source.table]
    frame = raw.frame
    if source.columns is None:
        mapping = {c: c for c in t.names if c in frame.columns}
        missing = [
            c for c in t.required if c not in frame.columns and not _from_order(t.name, c, frame)
        ]
        if missing:
            raise MappingError(
                _(
                    "{name}: required column {missing} of {name2} not found; the file's columns are: {values}",
                    name=raw.path.name,
                    missing=repr(missing[0]),
                    name2=t.name,
                    values=", ".join(map(str, frame.columns)),
                )
            )
    else:
        mapping = dict(source.columns)
        for canonical, src in mapping.items():
            if src not in frame.columns:
                raise MappingError(
                    _(
                        "{name}: column {src} (mapped to {name2}.{canonical}) not found; the file's columns are: {values}",
                        name=raw.path.name,
                        src=repr(src),
                        name2=t.name,
                        canonical=canonical,
                        values=", ".join(map(str, frame.columns)),
                    )
                )
        missing = [
            c for c in t.required if c not in mapping and not _from_order(t.name, c, mapping)
        ]
        if missing:
            raise MappingError(
                _(
                    "{name}: the mapping gives no column for {name2}.{missing}, which is required",
                    name=raw.path.name,
                    name2=t.name,
                    missing=missing[0],
                )
            )
    for group in t.one_of:
        if not any(c in mapping for c in group) and not _PRICE_FROM_LIST <= set(mapping):
            raise MappingError(
                _(
                    "{name}: {name2} needs a column for one of {values}",
                    name=raw.path.name,
                    name2=t.name,
                    values=", ".join(group),
                )
            )
    # One source column may feed several canonical ones, so build column by column.
    return pd.DataFrame(
        {canonical: frame[src] for canonical, src in mapping.items()}, index=frame.index
    )


def _translate_values(raw: pd.DataFrame, source: TableSource) -> pd.DataFrame:
    if not source.values:
        return raw
    out = raw.copy()
    for column, codes in source.values.items():
        if column not in out.columns:
            raise MappingError(
                _(
                    "{name}: `values` names {column}, which is not mapped",
                    name=source.file.name if source.read is None else source.table,
                    column=repr(column),
                )
            )
        text = _as_text(out[column])
        out[column] = text.map(lambda v, codes=codes: codes.get(v, v) if isinstance(v, str) else v)
    return out


def _parse(work: _Work) -> None:
    spec, src = work.spec, work.source
    parsed = {}
    for name in work.raw.columns:
        col = spec.by_name[name]
        values = parse_column(
            work.raw[name],
            col.kind,
            date_format=src.date_format_for(name),
            decimal=src.decimal,
            choices=col.choices,
        )
        reason = _kind_reason(col.kind)
        if reason:
            had_value = _as_text(work.raw[name]).notna()
            bad = had_value & values.isna()
            if bad.any():
                if col.kind == DATE:
                    fmt = src.date_format_for(name)
                    fmt = ", ".join(fmt) if isinstance(fmt, (list, tuple)) else fmt
                    reason = _("not a date (expected {format})", format=fmt or "YYYY-MM-DD")
                work.fail(bad, name, reason)
        parsed[name] = values
    frame = pd.DataFrame(parsed, index=work.raw.index)
    for col in spec.columns:
        if col.default is not None:
            frame[col.name] = (
                frame[col.name].fillna(col.default) if col.name in frame else col.default
            )
    if spec.name == "orders":
        if "line" not in frame:
            # Exports without line numbers: lines of one order are numbered in file order.
            frame["line"] = frame.groupby("order_id", sort=False).cumcount().astype("float64") + 1
    work.frame = frame


def _derive_order_amounts(frame: pd.DataFrame) -> None:
    """Fill whichever of unit_price and amount (the line total) the export left out."""
    qty = frame["quantity"]
    if "amount" not in frame:
        frame["amount"] = qty * frame["unit_price"]
    elif "unit_price" not in frame:
        frame["unit_price"] = frame["amount"] / qty.where(qty != 0)
    else:
        frame["amount"] = frame["amount"].fillna(qty * frame["unit_price"])
        frame["unit_price"] = frame["unit_price"].fillna(frame["amount"] / qty.where(qty != 0))


def _check_rep(work: _Work, stored: Mapping[str, pd.DataFrame]) -> None:
    """Open and lost deals may be unassigned leads; a sale (a won deal, an order) needs a rep.

    The mapping's house account stands in for the rep of sales that have none.
    """
    name, frame = work.spec.name, work.frame
    if name not in ("deals", "orders"):
        return
    if "rep_id" not in frame:
        frame["rep_id"] = pd.Series(pd.NA, index=frame.index, dtype="object")
    missing = frame["rep_id"].isna()
    if name == "deals":
        missing &= frame["stage"].eq("won")
    if not missing.any():
        return
    house = work.source.house_account
    reps = stored.get("reps")
    if house and reps is not None and not reps["rep_id"].eq(house).any():
        work.fail(
            missing,
            "rep_id",
            _(
                "the house account {house} is not in reps: add a row for it (its own team, e.g. House)",
                house=repr(house),
            ),
        )
    elif house:
        frame.loc[missing, "rep_id"] = house
    elif name == "deals":
        work.fail(
            missing,
            "rep_id",
            _(
                "a won deal needs a rep_id (open and lost deals may be unassigned); name a house_account in the mapping for sales without a rep"
            ),
        )
    else:
        work.fail(
            missing,
            "rep_id",
            _(
                "an order needs a rep_id; name a house_account in the mapping for sales without a rep"
            ),
        )


# Given both, the net unit price is derived from them (`unit_price` may then be left out).
_PRICE_FROM_LIST = {"unit_list_price", "discount"}
# Figures written to the cent agree within half a cent each way.
_CENT = 0.01 + 1e-9


def _money_text(value: float) -> str:
    return f"{value:.2f}"


def _number_text(value: float) -> str:
    # As the export writes numbers (reasons quote the file), not in the reader's locale.
    return f"{value:g}"


def _check_prices(work: _Work) -> None:
    """`unit_price` is the net price per unit: unit_list_price x (1 - discount), and amount is
    quantity x unit_price. Figures given that disagree beyond rounding are rejected with the
    arithmetic; a net price not given is derived from list price and discount."""
    frame = work.frame
    if _PRICE_FROM_LIST <= set(frame.columns):
        net = frame["unit_list_price"] * (1 - frame["discount"])
        if "unit_price" not in frame:
            frame["unit_price"] = np.nan
        given = frame["unit_price"]
        bad = given.notna() & net.notna() & ((given - net).abs() > _CENT)
        if bad.any():
            reasons = pd.Series(
                [
                    _(
                        "unit_price {price} is not unit_list_price {list_price} x (1 - discount {discount}) = {net}",
                        price=_money_text(p),
                        list_price=_money_text(lp),
                        discount=_number_text(d),
                        net=_money_text(n),
                    )
                    for p, lp, d, n in zip(
                        given[bad],
                        frame.loc[bad, "unit_list_price"],
                        frame.loc[bad, "discount"],
                        net[bad],
                    )
                ],
                index=frame.index[bad],
            )
            work.fail(bad, "unit_price", reasons)
        frame["unit_price"] = given.fillna(net)
    if {"amount", "unit_price"} <= set(frame.columns):
        qty = frame["quantity"]
        line = qty * frame["unit_price"]
        bad = line.notna() & frame["amount"].notna()
        bad &= (frame["amount"] - line).abs() > _CENT + 0.005 * qty.abs()
        if bad.any():
            reasons = pd.Series(
                [
                    _(
                        "amount {amount} is not quantity {quantity} x unit_price {price} = {line}",
                        amount=_money_text(a),
                        quantity=_number_text(q),
                        price=_money_text(p),
                        line=_money_text(t),
                    )
                    for a, q, p, t in zip(
                        frame.loc[bad, "amount"], qty[bad], frame.loc[bad, "unit_price"], line[bad]
                    )
                ],
                index=frame.index[bad],
            )
            work.fail(bad, "amount", reasons)


def _rescale(work: _Work) -> None:
    """Feedback scores on a declared scale (1-5, 1-10) are stored on 0-10."""
    scale = work.source.scale
    if scale is None or work.spec.name != "feedback" or "score" not in work.frame:
        return
    low, high = scale
    score = work.frame["score"]
    outside = score.notna() & ((score < low) | (score > high))
    work.fail(
        outside,
        "score",
        _(
            "must be between {low} and {high} (the scale the mapping declares)",
            low=_number_text(low),
            high=_number_text(high),
        ),
    )
    work.frame["score"] = ((score - low) / (high - low) * 10).where(~outside, score)


def _check_schema(work: _Work) -> None:
    try:
        schema(work.spec.name).validate(work.frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna() & cases["column"].isin(work.frame.columns)]
        for (column, check), group in cases.groupby(["column", "check"], sort=False):
            work.fail(
                pd.Index(group["index"].astype("int64").unique()), column, readable_reason(check)
            )


def _check_rows(work: _Work) -> None:
    """Rules that read several columns of one row."""
    frame, name = work.frame, work.spec.name
    for earlier, later in work.spec.date_order:
        if earlier in frame and later in frame:
            bad = frame[later] < frame[earlier]
            if bad.any():
                reason = pd.Series(
                    [
                        _(
                            "{later} {later_date} is before {earlier} {earlier_date}",
                            later=later,
                            later_date=a,
                            earlier=earlier,
                            earlier_date=b,
                        )
                        for a, b in zip(
                            frame.loc[bad, later].dt.strftime("%Y-%m-%d"),
                            frame.loc[bad, earlier].dt.strftime("%Y-%m-%d"),
                            strict=True,
                        )
                    ],
                    index=frame.index[bad],
                )
                work.fail(bad, later, reason)
    if name == "orders":
        _check_prices(work)
    for group in work.spec.one_of:
        present = [c for c in group if c in frame]
        bad = frame[present].isna().all(axis=1)
        work.fail(bad, present[0], _("needs one of {columns}", columns=", ".join(group)))
    if name == "deals":
        closed = frame["stage"].isin(["won", "lost"])
        if "close_date" in frame:
            work.fail(
                closed & frame["close_date"].isna(),
                "close_date",
                "a won or lost deal needs close_date",
            )
        else:
            work.fail(
                closed, "close_date", "a won or lost deal needs close_date (no close_date column)"
            )
    if name == "targets":
        scoped = frame["scope"].isin(["department", "team", "rep"])
        ids = frame["scope_id"] if "scope_id" in frame else pd.Series(pd.NA, index=frame.index)
        work.fail(scoped & ids.isna(), "scope_id", "scope_id is required unless scope is company")


def _merge_identical(work: _Work) -> None:
    """`distinct: true`: a dimension read from a fact file repeats each row; identical copies merge.

    Copies that disagree stay and are reported as conflicting duplicates, except a person listed
    in both roles, who keeps one row (`_other_role`).
    """
    if not work.source.distinct:
        return
    same = work.raw.duplicated(keep="first")
    if work.spec.name == "reps":
        same |= _other_role(work.frame).to_numpy()
    work.merged = int(same.sum())
    keep = work.frame.index[~same.to_numpy()]
    work.frame = work.frame.loc[keep]
    work.raw = work.raw.loc[keep]
    work.failures = [f[f["row"].isin(keep)] for f in work.failures]


def _other_role(frame: pd.DataFrame) -> pd.Series:
    """Rows of a person listed in both roles (the closer and the SDR columns of a union): those
    not in the role of most of their rows merge, a tie keeping `seller`. The deals measure each
    role on its own work, so one person row is enough; it is not a conflicting duplicate."""
    if "role" not in frame or "rep_id" not in frame or frame.empty:
        return pd.Series(False, index=frame.index)
    support = frame["role"].eq("support").fillna(False).astype(bool)
    per_rep = support.groupby(frame["rep_id"]).agg(["sum", "size"])
    assisting = per_rep["sum"]
    selling = per_rep["size"] - assisting
    main_is_support = (assisting > selling).reindex(frame["rep_id"]).fillna(False).to_numpy(bool)
    both = ((assisting > 0) & (selling > 0)).reindex(frame["rep_id"]).fillna(False).to_numpy(bool)
    return pd.Series(both & (support.to_numpy() != main_is_support), index=frame.index)


def _check_duplicates(work: _Work) -> None:
    frame = work.frame
    key = [c for c in work.spec.key if c in frame]
    dup = frame.duplicated(key, keep="first")
    if dup.any():
        first = frame[key].reset_index().drop_duplicates(key, keep="first").set_index(key)["index"]
        first_rows = frame.loc[dup, key].merge(
            first.rename("first"), left_on=key, right_index=True, how="left"
        )["first"]
        label = "+".join(key)
        reason = pd.Series(
            [
                _("conflicting duplicate {key} (first at row {row})", key=label, row=row)
                if work.source.distinct
                else _("duplicate {key} (first at row {row})", key=label, row=row)
                for row in first_rows.astype("int64")
            ],
            index=first_rows.index,
        )
        work.fail(dup, key[0], reason)


def _fold(text: str) -> str:
    return re.sub(r"[^0-9a-z\u0370-\u03ff\u0400-\u04ff]+", "", str(text).lower())


def _suggest(value: str, known: pd.Index) -> str | None:
    folded = {_fold(k): k for k in known[:50000]}
    exact = folded.get(_fold(value))
    if exact is not None:
        return exact
    close = difflib.get_close_matches(_fold(value), list(folded), n=1, cutoff=0.9)
    return folded[close[0]] if close else None


def _check_references(
    work: _Work, stored: Mapping[str, pd.DataFrame], rejected_keys: Mapping[str, dict]
) -> list[str]:
    notes = []
    frame = work.frame
    refs = [(c.name, c.references) for c in work.spec.columns if c.references and c.name in frame]
    # An export without scope_id has only company targets to check (others are rejected for it).
    if work.spec.name == "targets" and "reps" in stored and "scope_id" in frame:
        reps = stored["reps"]
        for scope, col in (("rep", "rep_id"), ("team", "team"), ("department", "department")):
            rows = frame["scope"] == scope
            known = pd.Index(reps[col].dropna().unique())
            bad = rows & frame["scope_id"].notna() & ~frame["scope_id"].isin(known)
            work.fail(
                bad,
                "scope_id",
                "unknown " + scope + " '" + frame["scope_id"].astype(str) + "' (not in reps)",
            )
    for column, ref in refs:
        parent, parent_col = ref.split(".")
        if parent not in stored:
            if frame[column].notna().any():
                notes.append(f"{work.spec.name}.{column} not checked: no {parent} table")
            continue
        known = pd.Index(stored[parent][parent_col].dropna().unique())
        values = frame[column]
        bad = values.notna() & ~values.isin(known)
        if not bad.any():
            continue
        reasons = {}
        for value in values[bad].unique():
            if value in rejected_keys.get(parent, {}):
                where = rejected_keys[parent][value]
                reasons[value] = _(
                    "{column} '{value}' was rejected in {parent} ({where})",
                    column=column,
                    value=value,
                    parent=parent,
                    where=where,
                )
                continue
            hint = _suggest(value, known)
            reasons[value] = (
                _(
                    "unknown {column} '{value}' (not in {parent}; did you mean '{hint}'?)",
                    column=column,
                    value=value,
                    parent=parent,
                    hint=hint,
                )
                if hint
                else _(
                    "unknown {column} '{value}' (not in {parent})",
                    column=column,
                    value=value,
                    parent=parent,
                )
            )
        work.fail(bad, column, values[bad].map(reasons))
    return notes


def _rejects_frame(work: _Work) -> pd.DataFrame:
    if not work.failures:
        return pd.DataFrame(columns=REJECT_COLUMNS)
    f = pd.concat(work.failures, ignore_index=True).drop_duplicates(["row", "column"], keep="first")
    raw_values = []
    for column, group in f.groupby("column", sort=False):
        raw = work.raw[column] if column in work.raw else pd.Series(pd.NA, index=work.raw.index)
        vals = raw.reindex(group["row"]).astype("object").to_numpy()
        raw_values.append(pd.Series(vals, index=group.index))
    f["value"] = (
        pd.concat(raw_values)
        .reindex(f.index)
        .map(
            lambda v: (
                "" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
        )
    )
    f["table"] = work.spec.name
    f["file"] = work.shown
    return f.sort_values(["row", "column"])[REJECT_COLUMNS]


def validate_sources(
    sources: list[TableSource],
    existing: Mapping[str, pd.DataFrame] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Read, parse and validate every source; `existing` tables stand in for those not imported."""
    existing = dict(existing or {})
    by_table = {}
    for src in sources:
        if src.table in by_table:
            raise MappingError(
                _("{name}: {table} is given twice", name=src.file.name, table=src.table)
            )
        by_table[src.table] = src
    stored: dict[str, pd.DataFrame] = {k: v for k, v in existing.items() if k not in by_table}
    rejected_keys: dict[str, dict] = {}
    counts, rejects, notes = [], [], []
    for name in contract.TABLE_ORDER:
        src = by_table.get(name)
        if src is None:
            continue
        if progress:
            progress(name)
        expect = (
            frozenset(src.columns.values()) if src.columns else frozenset(TABLES[name].required)
        )
        try:
            raw = (
                src.read(expect)
                if src.read is not None
                else read_raw(
                    src.file,
                    expect=expect,
                    encoding=src.encoding,
                    delimiter=src.delimiter,
                    sheet=src.sheet,
                    header_row=src.header_row,
                )
            )
        except SourceError as exc:
            raise MappingError(str(exc)) from None
        renamed = _translate_values(_rename(raw, src), src)
        shown = raw.path.name
        work = _Work(src, renamed, renamed, encoding=raw.encoding, shown=shown)
        _parse(work)
        _merge_identical(work)
        _check_rep(work, stored)
        _fill_from_orders(work, stored)
        _rescale(work)
        _check_schema(work)
        _check_rows(work)
        _check_duplicates(work)
        notes += _check_references(work, stored, rejected_keys)
        bad_rows = work.rejected_rows()
        good = work.frame.drop(index=bad_rows)
        if name == "orders":
            # Derived after validation so that a reason names the value the user wrote.
            good = good.copy()
            _derive_order_amounts(good)
        key_col = work.spec.key[0]
        if len(work.spec.key) == 1 and len(bad_rows):
            # Children naming a rejected parent get told where the parent went.
            bad = work.frame.loc[bad_rows, key_col].dropna()
            bad = bad[~bad.isin(good[key_col])]
            rejected_keys[name] = {k: f"{shown} row {r}" for r, k in bad.items()}
        stored[name] = good.reset_index(drop=True)
        if name == "targets":
            notes += _zero_targets(good, src.file.name)
        table_rejects = _rejects_frame(work)
        if raw.broken_rows:
            broken = pd.DataFrame(raw.broken_rows, columns=["row", "value", "reason"])
            broken = broken.assign(table=name, file=shown, column="(whole row)")
            table_rejects = pd.concat([broken[REJECT_COLUMNS], table_rejects], ignore_index=True)
        rejects.append(table_rejects)
        counts.append(
            TableCount(
                name,
                shown,
                raw.rows_read,
                len(good),
                work.merged,
                len(bad_rows) + len(raw.broken_rows),
                raw.encoding,
            )
        )
        ignored = [
            c for c in raw.frame.columns if src.columns is None and c not in work.spec.by_name
        ]
        if ignored:
            notes.append(
                f"{shown}: columns not in the contract, not imported: {', '.join(ignored)}"
            )
    all_rejects = (
        pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=REJECT_COLUMNS)
    )
    return ImportResult(stored, tuple(counts), all_rejects, tuple(notes))


def _zero_targets(targets: pd.DataFrame, file: str) -> list[str]:
    """A target of 0 is stored, but said: it counts as no goal (no attainment, rank or peer
    figure), which is seldom what a 0 in a spreadsheet meant."""
    zero = targets[pd.to_numeric(targets["target"], errors="coerce").eq(0)]
    if zero.empty:
        return []
    rows = ", ".join(str(r) for r in zero.index[:10]) + (" …" if len(zero) > 10 else "")
    return [
        _n(
            "{file}: {n} target of 0 (row {rows}) counts as no goal: left out of attainment,"
            " ranks and peer figures",
            "{file}: {n} targets of 0 (rows {rows}) count as no goal: left out of attainment,"
            " ranks and peer figures",
            len(zero),
            file=file,
            n=len(zero),
            rows=rows,
        )
    ]


def validate_path(path: Path | str, existing=None, progress=None) -> ImportResult:
    """Validate a data folder or a mapping YAML."""
    return validate_sources(sources_for(path), existing, progress)
