"""The miss in revenue, split: the goal-gap waterfall, each rep's own explanation, and the pace
of a period still under way.

Every material finding carries its effect per rep in one currency (revenue a period of the
length diagnosed loses to it). A rep's gap (target - actual) is split among the findings that
touch the rep; when they claim more than the gap, each is scaled down in proportion, so no cause
explains more than was missed; what is left is explained by nobody (negative when the rep beat
the goal). A scope's parts are the sums over its reps, so parts always add up to the gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.domain.diagnosis_rules import CAUSES

UNEXPLAINED = "unexplained"
WATERFALL_COLUMNS = ["scope", "scope_id", "part", "amount", "gap"]


def rep_gaps(gaps: pd.DataFrame | None) -> pd.Series:
    """target - actual per rep (index rep_id), reps without a goal left out."""
    if gaps is None or gaps.empty:
        return pd.Series(dtype=float)
    g = gaps.dropna(subset=["target"])
    return (g["target"].astype(float) - g["actual"].fillna(0).astype(float)).rename("gap")


def allocate(gaps: pd.DataFrame | None, effects: pd.DataFrame) -> pd.DataFrame:
    """Each finding's effect on each rep, scaled so a rep's causes never exceed the rep's gap:
    the effects frame plus a `contribution` column (reps without a goal dropped)."""
    gap = rep_gaps(gaps)
    e = effects[effects["rep_id"].isin(gap.index)].copy()
    if e.empty:
        return e.assign(contribution=pd.Series(dtype=float))
    total = e.groupby("rep_id")["effect"].transform("sum")
    room = e["rep_id"].map(gap).clip(lower=0)
    scale = (room / total.where(total > 0)).clip(upper=1).fillna(0)
    return e.assign(contribution=e["effect"] * scale)


def gap_waterfall(
    gaps: pd.DataFrame | None,
    effects: pd.DataFrame,
    reps: pd.DataFrame,
    level: str = "company",
) -> pd.DataFrame:
    """The revenue gap per scope split into causes plus an unexplained remainder.

    `gaps`: one row per rep (index rep_id) with `actual` and `target` for the period (the
    `Diagnosis.gaps` frame); `effects`: `Diagnosis.effects` (finding, cause, scope, scope_id,
    rep_id, effect); `reps`: the reps table (department, team); `level`: company, department,
    team or rep. Returns rows scope, scope_id, part (a cause in diagnosis order, then
    "unexplained"), amount, gap; per scope the amounts add up to the gap.

    Example:
        >>> w = gap_waterfall(result.gaps, result.effects, tables["reps"], "department")  # doctest: +SKIP
    """
    gap = rep_gaps(gaps)
    if gap.empty:
        return pd.DataFrame(columns=WATERFALL_COLUMNS)
    a = allocate(gaps, effects)
    key = _scope_key(reps, gap.index, level)
    by_cause = a.groupby([a["rep_id"].map(key), "cause"])["contribution"].sum() if len(a) else None
    explained = (
        a.groupby("rep_id")["contribution"].sum().reindex(gap.index).fillna(0)
        if len(a)
        else gap * 0
    )
    remainder = (gap - explained).groupby(key).sum()
    totals = gap.groupby(key).sum()
    rows = []
    for unit in totals.index:
        for cause in CAUSES:
            if by_cause is not None and (unit, cause) in by_cause.index:
                rows.append(
                    (level, unit, cause, float(by_cause[(unit, cause)]), float(totals[unit]))
                )
        rows.append((level, unit, UNEXPLAINED, float(remainder[unit]), float(totals[unit])))
    return pd.DataFrame(rows, columns=WATERFALL_COLUMNS)


def _scope_key(reps: pd.DataFrame, ids: pd.Index, level: str) -> pd.Series:
    if level == "company":
        return pd.Series("company", index=ids)
    if level == "rep":
        return pd.Series(ids, index=ids)
    column = {"department": "department", "team": "team"}[level]
    r = reps.assign(rep_id=reps["rep_id"].astype(str)).drop_duplicates("rep_id").set_index("rep_id")
    return r[column].reindex(ids).fillna("?").astype(str)


def peer_ids(
    reps: pd.DataFrame | None, rep_id: str, gaps: pd.DataFrame, period_end=None
) -> pd.Index:
    """The rep's peers: the other staff of the same role (sellers with sellers, support staff
    with support staff) with a goal, still on staff at the period's end. Without the reps table,
    every other rep with a goal."""
    others = gaps.index.drop(rep_id, errors="ignore")
    if reps is None or reps.empty:
        return others
    r = reps.assign(rep_id=reps["rep_id"].astype(str)).drop_duplicates("rep_id").set_index("rep_id")
    role = r["role"].fillna("seller") if "role" in r else pd.Series("seller", index=r.index)
    mine = role.get(rep_id, "seller")
    same = role.reindex(others).fillna("seller") == mine
    keep = same
    if "end_date" in r and period_end is not None:
        ended = pd.to_datetime(r["end_date"], errors="coerce").reindex(others)
        keep &= ended.isna() | (ended >= pd.Timestamp(period_end))
    return others[keep.to_numpy()]


def rep_explanation(
    result,
    rep_id: str,
    steps: pd.DataFrame | None = None,
    sessions: int = 0,
    reps: pd.DataFrame | None = None,
    min_peers: int = 5,
) -> dict:
    """What touched one rep's own deals and orders and how much of their gap each explains.

    `result` is a `Diagnosis`; `steps` the coaching ladder so far (`services.coaching.steps`),
    `sessions` how many coaching sessions were held; `reps` the reps table, so peers are the
    same role and leavers are left out (a support engineer or a leaver at 0% is no seller's
    benchmark). Returns a dict: rep_id, actual, target, gap, parts (a frame: cause, scope,
    scope_id, evidence, amount, share of the gap), unexplained (and its share), peers (median
    and quartiles of the peers' attainment, the unexplained share's too, and n; NaN below
    `min_peers` so no colleague's figure can be worked out), attainment, and next_step (a
    `coaching.Proposal`), or status "not_assessed" with the reason when the rep has no goal.
    """
    from salescoach.domain import coaching
    from salescoach.domain.peers import peer_benchmark

    rep_id = str(rep_id)
    gaps = result.gaps
    if gaps is None or rep_id not in gaps.index or pd.isna(gaps.loc[rep_id, "target"]):
        return {"rep_id": rep_id, "status": "not_assessed", "needs": ["targets"]}
    row = gaps.loc[rep_id]
    gap = float(row["target"] - (row["actual"] if pd.notna(row["actual"]) else 0.0))
    a = allocate(gaps, result.effects)
    mine = a[a["rep_id"] == rep_id]
    f = result.findings
    parts = pd.DataFrame(
        {
            "cause": mine["cause"].to_numpy(),
            "scope": mine["scope"].to_numpy(),
            "scope_id": mine["scope_id"].to_numpy(),
            "evidence": [_evidence(f, r) for r in mine.itertuples()],
            "amount": mine["contribution"].to_numpy(),
        }
    ).sort_values("amount", ascending=False, ignore_index=True)
    parts["share"] = parts["amount"] / gap if gap > 0 else np.nan
    ids = peer_ids(reps, rep_id, gaps, getattr(result, "period_end", None))
    others = gaps.loc[ids, "attainment"].astype(float)
    others = others[np.isfinite(others)]
    # Each peer's gap left unexplained by systemic causes, as a share of their goal: how the
    # rep's own remainder compares with what is usual.
    peer_gap = rep_gaps(gaps).reindex(others.index)
    peer_explained = a.groupby("rep_id")["contribution"].sum().reindex(others.index).fillna(0)
    peer_target = gaps.loc[others.index, "target"].astype(float)
    peer_left = ((peer_gap - peer_explained) / peer_target.where(peer_target > 0)).dropna()
    own = f[(f["scope"] == "rep") & (f["scope_id"] == rep_id) & f["material"] & ~f["positive"]]
    steps = steps if steps is not None else pd.DataFrame(columns=["rep_id", "step", "at"])
    proposal = coaching.propose(rep_id, own, steps, sessions, None, row.get("attainment"))
    return {
        "rep_id": rep_id,
        "status": "assessed" if result.state == "closed" else result.state,
        "actual": float(row["actual"]) if pd.notna(row["actual"]) else 0.0,
        "target": float(row["target"]),
        "attainment": float(row["attainment"]) if pd.notna(row.get("attainment")) else None,
        "gap": gap,
        "parts": parts,
        "unexplained": gap - float(parts["amount"].sum()),
        "unexplained_share": (gap - float(parts["amount"].sum())) / float(row["target"])
        if row["target"]
        else None,
        "peers": _none_for_nan(peer_benchmark(others, min_peers)),
        "peers_unexplained": _none_for_nan(peer_benchmark(peer_left, min_peers)),
        "next_step": proposal,
    }


def _none_for_nan(bench: dict) -> dict:
    return {
        k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in bench.items()
    }


def _evidence(findings: pd.DataFrame, effect) -> str:
    hit = findings[
        (findings["cause"] == effect.cause)
        & (findings["scope"] == effect.scope)
        & (findings["scope_id"] == effect.scope_id)
    ]
    return str(hit["evidence"].iloc[0]) if len(hit) else ""


def pace(tables, gaps: pd.DataFrame | None, period_start, period_end, as_of) -> pd.DataFrame:
    """For a period under way or not started: per rep and for the company, revenue to date
    against the goal pro-rated to the days elapsed, and the open pipeline due in the rest of
    the period. Pace is a fact to watch, never a finding against a rep."""
    columns = ["scope", "scope_id", "actual", "target", "expected", "pace", "pipeline"]
    if gaps is None or gaps.empty:
        return pd.DataFrame(columns=columns)
    days = (period_end - period_start).days + 1
    elapsed = float(np.clip(((as_of - period_start).days + 1) / days, 0, 1))
    g = gaps.dropna(subset=["target"])
    pipeline = pd.Series(dtype=float)
    deals = tables.get("deals")
    if deals is not None:
        d = deals[(deals["stage"] == "open") & (deals["close_date"] >= max(as_of, period_start))]
        d = d[d["close_date"] <= period_end]
        pipeline = d["amount"].fillna(0).groupby(d["rep_id"]).sum()
    out = pd.DataFrame(
        {
            "scope": "rep",
            "scope_id": g.index,
            "actual": g["actual"].fillna(0).to_numpy(),
            "target": g["target"].to_numpy(),
        }
    )
    out.loc[len(out)] = ["company", "company", out["actual"].sum(), out["target"].sum()]
    out["expected"] = out["target"] * elapsed
    out["pace"] = out["actual"] / out["expected"].where(out["expected"] > 0)
    pipe = pipeline.reindex(g.index).fillna(0)
    out["pipeline"] = list(pipe.to_numpy()) + [float(pipe.sum())]
    return out[columns]
