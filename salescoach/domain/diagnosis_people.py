"""The checks on people, last: training gaps (sellers without a family's course against those with
it), then each seller's own performance once every systemic effect is taken off."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.domain.diagnosis_data import (
    _between,
    active_days,
    closed_deals,
    course_status,
    win_rates,
    with_family,
)
from salescoach.domain.diagnosis_evidence import (
    compare_amounts,
    compare_means,
    compare_rates,
    compare_values,
    family_bar,
    flag,
)
from salescoach.domain.diagnosis_judge import _finding, _Outcome
from salescoach.domain.diagnosis_rules import RULE
from salescoach.domain.diagnosis_systemic import delivery_groups
from salescoach.i18n import _


def check_training(t, ctx, known, found=()) -> _Outcome:
    """Per product family with a course: do the sellers without the course (never taken, or
    overdue) win less of that family than those with it? The untrained are compared as a pool
    (one seller's few deals on a family rarely tell alone); when the pool's gap holds, each
    untrained seller whose own deals are likelier under the other untrained sellers' rate than
    under the trained sellers' is a finding (their own record must lean with the pool's gap,
    not merely belong to it). Where the pool cannot tell (too few deals, or a gap within noise),
    a seller whose own rate on the family is below the trained and whose shortfall is far below
    peers is named when the two agree (`_lone_untrained`)."""
    # A missing course is a lasting state: its effect is read over two windows, so a rep with
    # few deals a quarter on the family still has enough of them to judge.
    since = ctx.end - pd.DateOffset(months=2 * int(ctx.cfg["window_months"]))
    c = closed_deals(t["deals"], since, ctx.end).dropna(subset=["product_id"])
    c = with_family(c, t["products"])
    c = c[c["rep_id"].isin(ctx.sellers)]
    long_share = ctx.share * ((ctx.end - ctx.start).days + 1) / max(1, (ctx.end - since).days + 1)
    status = course_status(t["training"], t["courses"], ctx.end).reset_index()
    out = _Outcome()
    rule = RULE["training_gap"]
    families = sorted(set(t["courses"]["product_family"].dropna()))
    c = c[c["family"].isin(families)]
    if c.empty:
        return out
    # Per seller and family in one pass: closed, won, mean won amount and the course's state.
    wr = win_rates(c, ["family", "rep_id"]).reset_index()
    wr = wr.merge(status, on=["rep_id", "family"], how="left")
    wr["untrained"] = wr["last"].isna() | wr["overdue"].fillna(False).astype(bool)
    # Every untrained seller of a family that also has trained sellers may be named by the lone
    # test below: its bar is corrected for that many comparisons.
    mixed = wr.groupby("family")["untrained"].transform(lambda u: u.any() and not u.all())
    bar = max(ctx.cfg["agree_z"], family_bar(int((wr["untrained"] & mixed).sum()), _alarm(ctx)))
    size = c[c["stage"] == "won"].groupby("family")["amount"].mean()
    # The sellers' shortfall depends on the findings before this check only, not on the
    # family: worked out once for every family that needs it (scale 7: 0.2 s a family).
    memo: dict = {}
    for fam, g in wr.groupby("family", sort=True):
        untrained = g[g["untrained"]]
        if untrained.empty or len(untrained) == len(g):
            continue  # nobody to compare with
        trained = g[~g["untrained"]]
        won = pd.Series({"untrained": untrained["won"].sum(), "trained": trained["won"].sum()})
        n = pd.Series({"untrained": untrained["closed"].sum(), "trained": trained["closed"].sum()})
        pooled = compare_rates(won, n, "low", ctx.cfg).loc["untrained"]
        trained_rate = float(trained["won"].sum() / max(1, trained["closed"].sum()))
        own = untrained["won"] / untrained["closed"]
        if pooled["level"] not in ("moderate", "extreme"):
            # Too few untrained deals for the pool to tell, or a pool gap within noise: a
            # seller is still named when their own deals on the family lean below the trained
            # and their miss, with every systemic effect taken off, leans below peers; the two
            # agree (Stouffer's z) beyond the bar for the untrained sellers compared.
            lone = _lone_untrained(untrained, own, trained_rate, found, t, ctx, bar, memo)
            out.too_few += len(untrained) if pooled["level"] == "too_few" else 0
            out.judged += 0 if pooled["level"] == "too_few" else len(untrained)
            if not len(lone):
                continue
            pooled = pooled.copy()
            pooled["level"] = "moderate"
            untrained = untrained.loc[lone]
            own = own.loc[lone]
            leans = pd.Series(True, index=lone)
        else:
            out.judged += len(untrained)
            leans = None
        drop = max(0.0, trained_rate - float(pooled["value"]))
        # The other untrained sellers' rate (the pool's own when the seller is alone in it), so
        # one seller's bad year does not make the pool's gap and then match it.
        rest_n = n["untrained"] - untrained["closed"]
        rest = ((won["untrained"] - untrained["won"]) / rest_n.where(rest_n > 0)).fillna(
            float(pooled["value"])
        )
        if leans is None:
            leans = (own < trained_rate) & (
                _loglik(untrained["won"], untrained["closed"], rest)
                > _loglik(
                    untrained["won"], untrained["closed"], pd.Series(trained_rate, index=rest.index)
                )
            )
        fam_size = float(size.get(fam, np.nan))
        for i in untrained.index[leans.to_numpy()]:
            r = untrained.loc[i]
            rep = r["rep_id"]
            rows = {
                "win_rate": pd.Series(
                    {
                        "value": own[i],
                        "n": int(r["closed"]),
                        "low": pooled["low"],
                        "high": pooled["high"],
                        "peer": trained_rate,
                        "z": pooled["z"],
                        "level": pooled["level"],
                    }
                ),
                "course": flag(True),
            }
            if pd.isna(r["last"]):
                text = _("never completed")
            else:
                text = _("overdue (last completed {date})", date=ctx.fmt.date(r["last"]))
            # The seller's exposure to the pool's gap, not their own noisy shortfall.
            effects = pd.Series({rep: r["closed"] * drop * fam_size * long_share})
            extra = {"family": fam, "status": text}
            f = _finding(
                rule,
                rep,
                ctx.label("rep", rep),
                rows,
                "agree",
                effects,
                ctx.rep_base.get(rep, 0.0),
                ctx,
                extra,
            )
            f["family"] = fam
            out.findings.append(f)
    return out


def _lone_untrained(untrained, own, trained_rate, found, t, ctx, bar: float, memo=None) -> pd.Index:
    """The untrained sellers (rows of `untrained`) whose own win rate on the family is below the
    trained sellers' and whose shortfall (attainment with every systemic effect found so far
    added back, against peers) is below peers too: Stouffer's z of the two at least `bar`.
    `memo` (a dict) keeps the shortfall between calls with the same `found`.

    The bar is corrected for how many untrained sellers are compared (`family_bar`): one seller
    without a course is one question, and 3.0 there would ask for proof no quarter of deals can
    give; a hundred untrained sellers need a far stronger signal than one."""
    att = ctx.attainment
    if att is None or att.empty or not len(untrained):
        return pd.Index([])
    memo = {} if memo is None else memo
    if "short" not in memo:
        effects = [f["_effects"] for f in found if not f["positive"] and len(f["_effects"])]
        explained = pd.concat(effects).groupby(level=0).sum() if effects else pd.Series(dtype=float)
        memo["short"] = shortfall(att, explained, t["reps"], ctx)
    short = memo["short"]
    se = np.sqrt(trained_rate * (1 - trained_rate) / untrained["closed"])
    z_own = (trained_rate - own) / se.where(se > 0)
    z_short = untrained["rep_id"].map(short["z"])
    combined = (z_own + z_short) / np.sqrt(2)
    ok = (z_own > 0) & (z_short > 0) & (combined >= bar)
    return untrained.index[ok.fillna(False).to_numpy()]


def _alarm(ctx) -> float:
    return float(ctx.cfg["family_alarm"])


def _loglik(won, n, rate) -> pd.Series:
    """Binomial log-likelihood (without the constant) of won out of n at each rate."""
    p = np.clip(pd.Series(rate, dtype=float).to_numpy(), 1e-6, 1 - 1e-6)
    won, n = np.asarray(won, dtype=float), np.asarray(n, dtype=float)
    return pd.Series(
        won * np.log(p) + (n - won) * np.log(1 - p), index=getattr(rate, "index", None)
    )


def touched(
    closed: pd.DataFrame,
    products,
    systemic: list[dict],
    department: pd.Series,
    segment: pd.Series | None = None,
    cuts: dict[str, pd.Series] | None = None,
) -> pd.Series:
    """True for the closed deals a systemic finding explains (fair attribution). A late
    department's deals lost on timing or service, or all its deals when lost reasons are not
    recorded; a poorly served segment's deals."""
    c = with_family(closed, products)
    hit = pd.Series(False, index=c.index)
    dept = c["rep_id"].map(department)
    reasons_known = c["lost_reason"].notna().any()
    seg = c["customer_id"].map(segment) if segment is not None else pd.Series(None, index=c.index)
    for f in systemic:
        sid = f["scope_id"]
        if f["scope"] == "product":
            hit |= c["product_id"] == sid
        elif f["scope"] == "family":
            hit |= c["family"] == sid
        elif f["scope"] == "campaign":
            hit |= c["lead_source"] == sid
        elif f["cause"] == "delivery":
            late = c["lost_reason"].isin(("timing", "service")) if reasons_known else True
            unit = dept if f["scope"] == "department" else (cuts or {}).get(f["scope"])
            if unit is not None:
                hit |= (unit.reindex(c.index) == sid) & late
        elif f["scope"] == "segment":
            hit |= seg == sid
        elif f["cause"] == "training":
            hit |= (c["rep_id"] == sid) & (c["family"] == f.get("family"))
    return hit


def own_pace(now: pd.Series, before: pd.Series, reps: pd.DataFrame, ctx) -> pd.DataFrame:
    """Each seller's count in the period (activities, deals closed) against their own pace
    before it in the window: sellers' capacities differ, so a slowdown shows against the
    seller's own history. The expected share in the period follows the days employed in each
    part and the peers' seasonality (their pooled pace in the period over their pace before);
    the comparison is binomial on the seller's count (value: the share in the period)."""
    idx = ctx.sellers
    now = now.reindex(idx).fillna(0)
    before = before.reindex(idx).fillna(0)
    d_now = active_days(reps, ctx.period_start, ctx.period_end).reindex(idx).fillna(0)
    d_before = active_days(reps, ctx.start, ctx.period_start - pd.Timedelta(days=1))
    d_before = d_before.reindex(idx).fillna(0)
    full = (d_now > 0) & (d_before > 0)
    season = (now[full].sum() / d_now[full].sum()) / max(
        before[full].sum() / d_before[full].sum(), 1e-9
    )
    expected = d_now * season / (d_now * season + d_before)
    total = (now + before).where(full, 0)
    return compare_rates(now, total, "low", ctx.cfg, expected=expected)


def rep_signals(t, ctx, systemic, known) -> dict[str, pd.DataFrame]:
    """Each seller's activity, win rate and deal size in the period, on the deals no systemic
    finding touches (a rep's own change shows in the period; the window would dilute it)."""
    c = ctx.closed[ctx.closed["rep_id"].isin(ctx.sellers)]
    c = c[_between(c["close_date"], ctx.period_start, ctx.period_end)]
    customers = t.get("customers")
    segment = (
        customers.drop_duplicates("customer_id").set_index("customer_id")["segment"]
        if customers is not None
        else None
    )
    cuts = delivery_groups(c, t, ctx)
    clean = c[~touched(c, t.get("products"), systemic, ctx.department, segment, cuts)]
    frames = {}
    if "activity" in known:
        # The period's own activity (a slowdown shows at once), per 91.25 employed days so a
        # new hire is not compared on raw counts; n is the employed days.
        days = active_days(t["reps"], ctx.period_start, ctx.period_end).reindex(ctx.sellers)
        # Only the rep ids of the activities counted: a filter of the whole frame copies every
        # column of a million activities (scale 7), twice.
        dates, who = t["activities"]["date"], t["activities"]["rep_id"]
        a = who[_between(dates, ctx.period_start, ctx.period_end)]
        count = a.groupby(a).size().rename(None).reindex(ctx.sellers).fillna(0)
        per = 91.25 / days.where(days > 0)
        frames["activity"] = compare_means(
            count * per, days, np.sqrt(count) * per * np.sqrt(days), "low", ctx.cfg
        )
        before = who[_between(dates, ctx.start, ctx.period_start - pd.Timedelta(days=1))]
        frames["activity_trend"] = own_pace(
            count, before.groupby(before).size().rename(None), t["reps"], ctx
        )
    if "deal_pace" in known:
        every = ctx.closed[ctx.closed["rep_id"].isin(ctx.sellers)]
        now = _between(every["close_date"], ctx.period_start, ctx.period_end)
        frames["deal_pace"] = own_pace(
            every[now].groupby("rep_id").size(),
            every[~now].groupby("rep_id").size(),
            t["reps"],
            ctx,
        )
    if "win_rate" in known and len(clean):
        wr = win_rates(clean, "rep_id")
        frames["win_rate"] = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)
    if "deal_size" in known and len(clean):
        won = clean[clean["stage"] == "won"]
        frames["deal_size"] = compare_amounts(won["amount"], won["rep_id"], "low", ctx.cfg)
    return frames


EFFORT = ("activity", "activity_trend", "deal_pace")
CHANGE = ("activity_trend", "deal_pace")
RESULTS = ("win_rate", "deal_size")


def rep_verdict(
    levels: dict[str, str],
    alone: set[str],
    zs: dict[str, float] | None = None,
    extreme_z=3.0,
    bars: tuple[float, float] | None = None,
    alone_bars: dict[str, float] | None = None,
) -> str | None:
    """A rep finding: one extreme fall in effort; activity far below peers while slowing down;
    effort (activity against peers, or a fall against their own pace) and results (win rate,
    deal size) both at least moderate; or a shortfall far below peers once systemic causes are
    taken off with a fall against their own pace that shows on its own. Two effort signals do
    not agree with each other (a low-capacity seller's bad quarter shows in both); results alone
    can carry a systemic cause the checks could not see.

    `bars` (shortfall, fall) are the last test's bars corrected for how many units each is read
    among (`check_rep`); without them, the seller's own signals together (Stouffer's z) must
    reach `extreme_z`. `alone_bars`, per signal that may stand alone, is the z its extreme fall
    must reach to name the seller on its own, corrected for how many sellers it is read among
    (`_alone_bars`); without them, the level's `extreme_z`."""
    # Deals closed against their own pace stand for effort only where activities are not
    # recorded: a seller whose activity held is not slowing down.
    if "activity_trend" in levels and levels["activity_trend"] != "too_few":
        levels = {k: v for k, v in levels.items() if k != "deal_pace"}
    zs = zs or {}
    if any(
        levels.get(s) == "extreme" and zs.get(s, np.inf) >= (alone_bars or {}).get(s, -np.inf)
        for s in alone
    ):
        return "extreme"
    hit = {k for k, v in levels.items() if v in ("moderate", "extreme")}
    # Far below peers and slowing down: a change, not a seller's ordinary capacity.
    if levels.get("activity") == "extreme" and hit & set(CHANGE):
        return "agree"
    if hit & set(EFFORT) and hit & set(RESULTS):
        return "agree"
    if levels.get("shortfall") != "extreme" or not hit & set(CHANGE):
        return None

    def z(k):
        return zs[k] if k in levels and k in zs and np.isfinite(zs[k]) else None

    if bars is not None:
        # The shortfall beyond what the most extreme of all sellers reaches by chance, then a
        # fall in the seller's own pace beyond what the most extreme of the sellers so screened
        # reaches by chance: a quarter holds too few deals for a fall to reach 3.0 alone, and
        # the screen leaves only a handful of sellers to read it among.
        short_bar, fall_bar = bars
        fall = max((z(k) for k in CHANGE if z(k) is not None), default=None)
        if (z("shortfall") or -np.inf) >= short_bar and fall is not None and fall >= fall_bar:
            return "agree"
    # A shortfall far below peers and the seller's own signals together (Stouffer's combined z
    # of their pace and results, each z already scaled by its sample) at the extreme level.
    own = [z(k) for k in CHANGE + RESULTS if z(k) is not None]
    if own and sum(own) / np.sqrt(len(own)) >= extreme_z:
        return "agree"
    return None


def shortfall(att: pd.DataFrame, explained: pd.Series, reps: pd.DataFrame, ctx) -> pd.DataFrame:
    """Each seller's attainment once the systemic effects on them are added back, against the
    other sellers on staff through the period (leavers and support staff are not peers)."""
    a = att[att.index.isin(ctx.sellers)]
    a = a[np.isfinite(a["attainment"]) & (a["target"] > 0)]
    adjusted = (a["actual"].fillna(0) + explained.reindex(a.index).fillna(0)) / a["target"]
    r = reps.drop_duplicates("rep_id").set_index("rep_id")
    stayed = r["end_date"].reindex(a.index)
    eligible = stayed.isna() | (stayed >= ctx.period_end)
    # Against the sellers of the same department where it has enough of them: a cause of the
    # department the checks missed leaves its sellers' shortfall alike, and is not theirs.
    dept = ctx.department.reindex(a.index)
    out = compare_values(adjusted, eligible, "low", ctx.cfg)
    for _d, ids in dept.groupby(dept).groups.items():
        if eligible.reindex(ids).sum() >= 5:
            inner = compare_values(adjusted[ids], eligible[ids], "low", ctx.cfg)
            out.loc[ids] = inner
    return out


def _rep_bars(short: pd.DataFrame, att: pd.DataFrame, ctx) -> tuple[float, float]:
    """The bars of `rep_verdict`'s last test: the shortfall's for every seller compared, at least
    `extreme_z`; a fall's for the sellers below goal whose shortfall clears that bar, at least
    `agree_z` (a fall must show on its own)."""
    cfg = ctx.cfg
    compared = short["level"] != "too_few"
    short_bar = max(cfg["extreme_z"], family_bar(int(compared.sum()), _alarm(ctx)))
    below = att["attainment"].reindex(short.index) < 1
    screened = int((compared & below & (short["z"] >= short_bar)).sum())
    return short_bar, max(cfg["agree_z"], family_bar(screened, _alarm(ctx)))


def _alone_bars(frames: dict[str, pd.DataFrame], alone: set[str], ctx) -> dict[str, float]:
    """Per signal that may name a seller alone (a fall against their own pace), the bar its
    extreme z must clear: `extreme_z`, or more where so many sellers are compared that the most
    extreme of them, nothing wrong with any, would clear 3.0 by chance (Sidak at `fall_alarm`:
    3.0 up to about 37 sellers, 3.3 for a hundred, 3.7 for four hundred)."""
    cfg = ctx.cfg
    return {
        k: max(
            cfg["extreme_z"], family_bar(int((f["level"] != "too_few").sum()), cfg["fall_alarm"])
        )
        for k, f in frames.items()
        if k in alone
    }


def check_rep(t, ctx, systemic, effects: pd.DataFrame, known) -> tuple[list, list, _Outcome]:
    """Problems left to the rep once systemic causes are taken off, and what works (positive)."""
    att = ctx.attainment
    out = _Outcome()
    if att is None or att.empty:
        return [], [], out
    frames = rep_signals(t, ctx, systemic, known)
    explained = (
        effects.groupby("rep_id")["effect"].sum() if len(effects) else pd.Series(dtype=float)
    )
    frames["shortfall"] = shortfall(att, explained, t["reps"], ctx)
    rule, top = RULE["rep_performance"], RULE["top_performer"]
    alone = {s.name for s in rule.signals if s.alone}
    problems, positives = [], []
    # Each frame read once as {rep: row}: one label lookup per rep and frame was most of the
    # check's time with hundreds of sellers.
    lookup = {k: f.to_dict("index") for k, f in frames.items()}
    sellers = set(ctx.sellers)
    bars = _rep_bars(frames["shortfall"], att, ctx)
    alone_bars = _alone_bars(frames, alone, ctx)
    for rep, row in zip(att.index, att[["attainment", "actual", "target"]].to_dict("records")):
        if rep not in sellers or not np.isfinite(row["attainment"]):
            continue
        rows = {k: d[rep] for k, d in lookup.items() if rep in d}
        levels = {k: r["level"] for k, r in rows.items()}
        extra = {"attainment": ctx.fmt.pct(row["attainment"])}
        if row["attainment"] >= ctx.cfg["positive_attainment"]:
            gain = pd.Series({rep: float(row["actual"] - row["target"])})
            positives.append(
                _finding(
                    top,
                    rep,
                    ctx.label("rep", rep),
                    rows,
                    "extreme",
                    gain,
                    1.0,
                    ctx,
                    extra,
                    positive=True,
                )
            )
            continue
        if all(v == "too_few" for v in levels.values()):
            out.too_few += 1
            continue
        out.judged += 1
        if row["attainment"] >= 1:
            continue
        zs = {k: float(r["z"]) for k, r in rows.items() if pd.notna(r.get("z"))}
        strength = rep_verdict(levels, alone, zs, ctx.cfg["extreme_z"], bars, alone_bars)
        if strength is None:
            continue
        gap = max(0.0, row["target"] - row["actual"])
        unexplained = max(0.0, gap - explained.get(rep, 0.0))
        if unexplained < ctx.cfg["rep_gap"] * row["target"]:
            continue  # within the band where ordinary sellers land: not the rep's problem
        extra["gap"] = ctx.fmt.money(unexplained)
        found = _finding(
            rule,
            rep,
            ctx.label("rep", rep),
            rows,
            strength,
            pd.Series({rep: unexplained}),
            row["target"],
            ctx,
            extra,
        )
        problems.append(found)
    return problems, positives, out
