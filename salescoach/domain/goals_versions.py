"""Goal versions and their discussion: a target checked before it is written (a number, a
metric, a closed period only with an override and a reason), the record each version is, the
full history of a goal with who, when and why, acknowledgement status and what changed in a
goal letter."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salescoach.domain import decisions
from salescoach.domain.attainment import goal_key
from salescoach.domain.contract import METRICS, SCOPES
from salescoach.domain.decisions import ACK, ack_key  # noqa: F401 - the registry's key
from salescoach.domain.fmt import Formatter
from salescoach.domain.goals_allocation import (
    active_share,
    sellers,
)
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import _, name_order

REASONS = ("performance", "economy", "competition", "other")


def check_goal_input(
    scope: str,
    scope_id: str | None,
    period: str,
    metric: str,
    target,
    reason: str | None,
    reps: pd.DataFrame,
    closed_before: pd.Timestamp | None = None,
    force: bool = False,
    fiscal_start: int = 1,
    fmt: Formatter | None = None,
    selling=(),
) -> Period:
    """Refuse a goal that cannot be right, with one sentence; returns the parsed period.

    `selling` names the people who sell (`roles.selling(tables)`): support staff among them may
    take a seller goal on their own sales.

    A period has closed when it ended before `closed_before` (the newest date in the data);
    changing it needs `force` (the explicit override). The checks are the registry's
    (:mod:`salescoach.domain.decisions`), so the CLI, the app and a notebook refuse with the same words.
    """
    try:
        p = Period.parse(period, fiscal_start)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if scope not in SCOPES:
        raise InputError(
            _("unknown scope {scope}; use one of {choices}", scope=scope, choices=", ".join(SCOPES))
        )
    if metric not in METRICS:
        raise InputError(
            _(
                "unknown metric {metric}; use one of {choices}",
                metric=metric,
                choices=", ".join(METRICS),
            )
        )
    if scope == "rep":
        decisions.check_rep(reps, scope_id, p, seller=True, fmt=fmt, selling=selling)
    elif scope != "company":
        column = {"team": "team", "department": "department"}[scope]
        if scope_id not in set(reps[column].dropna()):
            raise InputError(
                _(
                    "unknown {scope} {scope_id}: not in the workbook's reps",
                    scope=scope,
                    scope_id=scope_id,
                )
            )
    decisions.check_amount(target, "target")
    decisions.check_reason(reason, _("a goal needs a reason (why it is set or revised)"))
    decisions.check_open_period(p, closed_before, force)
    return p


def goal_record(
    scope, scope_id, period, metric, target, reason_code, basis=None, override=False
) -> tuple[str, dict]:
    """The store key and data of one goal version; `override` marks a closed period's goal
    changed on purpose (`override: true` in the record)."""
    if reason_code not in REASONS:
        raise InputError(
            _(
                "unknown reason {reason}; use one of {choices}",
                reason=reason_code,
                choices=", ".join(REASONS),
            )
        )
    data = {
        "scope": scope,
        "scope_id": scope_id if scope != "company" else "company",
        "period": str(period),
        "metric": metric,
        "target": float(target),
        "reason": reason_code,
    }
    if basis:
        data["basis"] = basis
    if override:
        data["override"] = True
    return goal_key(scope, scope_id, str(period), metric), data


def goal_history(
    goal_events: pd.DataFrame | None, targets: pd.DataFrame | None, key_prefix: str | None = None
) -> pd.DataFrame:
    """Every version of every goal, oldest first: the imported target, then each revision."""
    columns = ["key", "version", "target", "reason", "basis", "why", "set_by", "set_at"]
    parts = []
    if targets is not None and len(targets):
        t = targets
        scope_id = np.where(t["scope"] == "company", "company", t.get("scope_id"))
        parts.append(
            pd.DataFrame(
                {
                    "key": [
                        goal_key(s, i, str(p), m)
                        for s, i, p, m in zip(t["scope"], scope_id, t["period"], t["metric"])
                    ],
                    "version": 0,
                    "target": t["target"].astype(float).to_numpy(),
                    "reason": "imported",
                    "basis": None,
                    "why": None,
                    "set_by": None,
                    "set_at": pd.NaT,
                }
            )
        )
    if goal_events is not None and len(goal_events):
        e = goal_events.sort_values("event_id")
        parts.append(
            pd.DataFrame(
                {
                    "key": e["key"].to_numpy(),
                    "version": (e.groupby("key").cumcount() + 1).to_numpy(),
                    "target": e["target"].astype(float).to_numpy(),
                    "reason": e["reason"].to_numpy() if "reason" in e else None,
                    "basis": e["basis"].to_numpy() if "basis" in e else None,
                    "why": e["why"].to_numpy(),
                    "set_by": e["who"].to_numpy(),
                    "set_at": pd.to_datetime(e["at"]).to_numpy(),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    frame = frame[columns]
    if key_prefix:
        frame = frame[frame["key"].str.startswith(key_prefix)]
    return frame.sort_values(["key", "version"], kind="stable").reset_index(drop=True)


def acknowledgement_status(
    reps: pd.DataFrame,
    period: Period,
    acks: pd.DataFrame | None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Each seller on staff during the period: discussed or not, agreed or disputed, comment.

    Those who have not discussed their goal come first.
    """
    staff = sellers(reps, tables)
    staff = staff[active_share(staff, period).to_numpy() > 0]
    out = staff[["rep_id", "name", "team", "department"]].copy()
    fields = ("outcome", "discussed_on", "manager", "comment")
    a = (
        acks[acks["period"].astype(str) == str(period)]
        .drop_duplicates("rep_id", keep="last")
        .set_index("rep_id")
        if acks is not None and len(acks)
        else pd.DataFrame()
    )
    for col in fields:
        out[col] = out["rep_id"].map(a[col]) if col in a else None
    out["acknowledged"] = out["outcome"].notna()
    order = ["acknowledged", "department", "team", "name"]
    out = out.sort_values(order, key=name_order("department", "team", "name"))
    return out.reset_index(drop=True)


def letter_changes(history: pd.DataFrame, key: str) -> tuple[float | None, float | None]:
    """(previous target, current target) of one goal, from its version history."""
    versions = history[history["key"] == key].sort_values("version")
    if versions.empty:
        return None, None
    current = float(versions["target"].iloc[-1])
    previous = float(versions["target"].iloc[-2]) if len(versions) > 1 else None
    return previous, current
