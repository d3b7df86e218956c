"""What a decision record is and how it is checked before it is written: the event (kind, key,
data, who, when, why, supersedes), the checks of each field, JSON that round-trips, UTC times,
and the dump file's line format."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SCHEMA_VERSION = 1


DUMP_FORMAT = "salescoach.events"


# Frame columns that come from the event itself; a data field with one of these names is shown
# as "data.<name>" so that the metadata column can always be trusted.
_META_COLUMNS = ("event_id", "at", "who", "kind", "key", "why", "supersedes")


@dataclass(frozen=True)
class Event:
    """One stored decision: what (kind, key, data), who, when (UTC) and why."""

    id: int
    at: dt.datetime
    who: str
    kind: str
    key: str
    data: dict[str, Any] = field(hash=False)
    why: str | None = None
    supersedes: int | None = None


def _require_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}.")
    return value


def _check_why(why: Any) -> str | None:
    if why is not None and not isinstance(why, str):
        raise ValueError(f"why must be a string or None, got {type(why).__name__}.")
    return why


def _check_supersedes(supersedes: Any) -> int | None:
    if supersedes is None:
        return None
    if isinstance(supersedes, bool) or not isinstance(supersedes, numbers.Integral):
        raise ValueError(f"supersedes must be an event id (an integer), got {supersedes!r}.")
    return int(supersedes)


def _jsonable(value: Any, where: str) -> Any:
    """A copy of ``value`` made of JSON types only; dates become ISO strings."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, numbers.Integral):  # int and every numpy integer
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None  # pandas' "missing"
        if math.isinf(number):
            raise ValueError(f"{where} is {number}, which cannot be stored; use a finite number.")
        return number
    if isinstance(value, np.datetime64):
        stamp = pd.Timestamp(value)
        return None if stamp is pd.NaT else stamp.isoformat()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):  # pd.Timestamp is a datetime
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, decimal.Decimal):
        raise ValueError(f"{where} is a Decimal; store money as a float or a string.")
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where} has a key {k!r} that is not a string.")
            out[k] = _jsonable(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValueError(
        f"{where} is a {type(value).__name__}, which cannot be stored as JSON; "
        "use text, numbers, booleans, dates, lists or dicts."
    )


def _check_data(data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"data must be a dict, got {type(data).__name__}.")
    return _jsonable(data, "data")


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back the naive UTC value that was written; PostgreSQL an aware one.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


@dataclass(frozen=True)
class _Record:
    kind: str
    key: str
    data: dict[str, Any]
    who: str
    why: str | None
    supersedes: int | None

    def event(self, event_id: int, at: dt.datetime) -> Event:
        """The event this record becomes once written with its id and time."""
        return Event(
            id=event_id,
            at=at,
            who=self.who,
            kind=self.kind,
            key=self.key,
            data=self.data,
            why=self.why,
            supersedes=self.supersedes,
        )


def _record(
    kind: Any, key: Any, data: Any, who: Any, why: Any = None, supersedes: Any = None
) -> _Record:
    return _Record(
        kind=_require_text("kind", kind),
        key=_require_text("key", key),
        data=_check_data(data),
        who=_require_text("who", who),
        why=_check_why(why),
        supersedes=_check_supersedes(supersedes),
    )


def _frame(events: list[Event], before: list[str], after: list[str]) -> pd.DataFrame:
    fields: dict[str, None] = {}
    for event in events:
        fields.update(dict.fromkeys(event.data))
    shown = {f: (f"data.{f}" if f in _META_COLUMNS else f) for f in fields}
    rows = []
    for event in events:
        meta = {
            "event_id": event.id,
            "at": event.at,
            "who": event.who,
            "kind": event.kind,
            "key": event.key,
            "why": event.why,
            "supersedes": event.supersedes,
        }
        row = {c: meta[c] for c in before}
        row.update({shown[f]: event.data.get(f) for f in fields})
        row.update({c: meta[c] for c in after})
        rows.append(row)
    columns = before + list(shown.values()) + after
    frame = pd.DataFrame(rows, columns=columns)
    frame["at"] = pd.to_datetime(frame["at"], utc=True).astype("datetime64[us, UTC]")
    for column in ("who", "kind", "key", "why"):
        if column in frame:
            frame[column] = frame[column].astype("str")
    frame["event_id"] = frame["event_id"].astype("int64")
    if "supersedes" in frame:
        frame["supersedes"] = frame["supersedes"].astype("Int64")
    return frame


def _dump_line(event: Event) -> str:
    return json.dumps(
        {
            "id": event.id,
            "at": event.at.isoformat(timespec="microseconds"),
            "who": event.who,
            "kind": event.kind,
            "key": event.key,
            "data": event.data,
            "why": event.why,
            "supersedes": event.supersedes,
        },
        ensure_ascii=False,
        allow_nan=False,
    )


def _read_dump(path: Path) -> list[Event]:
    with open(path, encoding="utf-8") as lines:
        try:
            header = json.loads(next(lines, "null"))
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("format") != DUMP_FORMAT:
            raise ValueError(f"{path} is not a salescoach events dump.")
        if int(header.get("schema_version", 0)) > SCHEMA_VERSION:
            raise ValueError(
                f"{path} was written by a newer salescoach "
                f"(schema {header['schema_version']}); upgrade salescoach."
            )
        events = []
        for number, line in enumerate(lines, start=2):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                r = _record(
                    raw["kind"],
                    raw["key"],
                    raw["data"],
                    raw["who"],
                    raw.get("why"),
                    raw.get("supersedes"),
                )
                event_id = _check_supersedes(raw["id"])
                at = dt.datetime.fromisoformat(raw["at"])
                if event_id is None or at.tzinfo is None:
                    raise ValueError("an id and a time with a UTC offset are required.")
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}, line {number}: {error}") from error
            events.append(r.event(event_id, _utc(at)))
    if len(events) != header.get("count"):
        raise ValueError(
            f"{path} holds {len(events)} events but its header says "
            f"{header.get('count')}; the file is incomplete."
        )
    if len({e.id for e in events}) != len(events):
        raise ValueError(f"{path} holds the same event id twice.")
    return events
