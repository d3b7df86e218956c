"""The systemic checks, in the order a manager works through them: product, price, delivery
(by department, region, family and shipper where the data hold them), service, marketing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.domain import monitoring
from salescoach.domain.diagnosis_data import (
    _between,
    closed_deals,
    excess_losses,
    exposure_losses,
    first_per_group,
    line_amount,
    map_keys,
    win_rates,
    with_family,
)
from salescoach.domain.diagnosis_evidence import compare_amounts, compare_rates, flag
from salescoach.domain.diagnosis_judge import _judge, _Outcome
from salescoach.domain.diagnosis_rules import RULE
from salescoach.i18n import N_


def reason_rates(closed: pd.DataFrame, reason: str, by: pd.Series, cfg) -> pd.DataFrame:
    """Per unit, the share of its lost deals lost for `reason` against the other units'."""
    lost = closed["stage"] == "lost"
    hits = (closed["lost_reason"].eq(reason) & lost).groupby(by).sum()
    return compare_rates(hits, lost.groupby(by).sum(), "high", cfg)


def reason_losses(deals: pd.DataFrame, row: pd.Series | None, size: float) -> pd.Series:
    """Per rep, the unit's deals lost for a reason beyond the peers' share of such losses, at
    the deal size: what the reason cost, read from the lost reasons themselves."""
    if row is None or row["level"] in ("too_few", "none") or not np.isfinite(size):
        return pd.Series(dtype=float)
    excess = max(0.0, float(row["value"]) - float(row["peer"]))
    lost = (deals["stage"] == "lost").groupby(deals["rep_id"]).sum()
    return lost * excess * size


def within_family_win_rates(c: pd.DataFrame, products, cfg, own=None) -> pd.DataFrame:
    """Each product's win rate against all other products and, where the rest of its family
    wins less than the other families (a family priced out), against the other products of its
    own family; the weaker of the two levels holds then. A product alone in its family cannot be
    told apart from its family on win rate: its level is the family-blind one only when products
    have no family at all, or when its own records (`own`: products whose returns, complaints
    or losses on the product stand out) already say the product is poor; then the family is
    the product, and its fall in wins is the product's, not its price's."""
    wr = win_rates(c, "product_id")
    overall = compare_rates(wr["won"], wr["closed"], "low", cfg)
    fam = with_family(c, products).groupby("product_id")["family"].first()
    if products is None or not products["family"].notna().any():
        return overall
    order = ["too_few", "none", "moderate", "extreme"]
    out = overall.copy()
    for _family, members in fam.groupby(fam):
        ids = members.index
        inner = compare_rates(wr.loc[ids, "won"], wr.loc[ids, "closed"], "low", cfg)
        for pid in ids:
            # The family's other products against every other family's: when they win as often,
            # the family is not priced out and the product's comparison with all products holds.
            rest = ids.drop(pid)
            outside = wr.index.difference(ids)
            if len(rest) and len(outside):
                groups = pd.Series(
                    {"rest": wr.loc[rest, "won"].sum(), "out": wr.loc[outside, "won"].sum()}
                )
                sizes = pd.Series(
                    {"rest": wr.loc[rest, "closed"].sum(), "out": wr.loc[outside, "closed"].sum()}
                )
                if compare_rates(groups, sizes, "low", cfg).loc["rest", "level"] == "none":
                    continue
            if pd.isna(inner.loc[pid, "peer"]):
                if own is not None and pid in own:
                    continue
                out.loc[pid, "level"] = "too_few" if out.loc[pid, "level"] != "none" else "none"
                continue
            lv = min(order.index(out.loc[pid, "level"]), order.index(inner.loc[pid, "level"]))
            out.loc[pid, "level"] = order[lv]
    return out


def check_product(t, ctx, known, found=()) -> _Outcome:
    o = ctx.orders.dropna(subset=["product_id"])
    lines = o.groupby("product_id").size()
    frames = {}
    if "returns" in known:
        returned = o["status"].eq("returned").groupby(o["product_id"]).sum()
        frames["returns"] = compare_rates(returned, lines, "high", ctx.cfg)
    if "complaints" in known:
        s = t["service"]
        s = s[_between(s["opened_date"], ctx.start, ctx.end) & (s["kind"] == "complaint")]
        counts = s.groupby("product_id").size().reindex(lines.index).fillna(0)
        frames["complaints"] = compare_rates(counts, lines, "high", ctx.cfg)
    c = ctx.closed.dropna(subset=["product_id"])
    if "product_lost" in known and len(c):
        frames["product_lost"] = reason_rates(c, "product", c["product_id"], ctx.cfg)
    if "win_rate" in known and len(c):
        flagged_own = set()
        for f in frames.values():
            flagged_own |= set(f.index[f["level"].isin(("moderate", "extreme"))])
        wr = within_family_win_rates(c, t.get("products"), ctx.cfg, flagged_own)
        # A product that loses more deals on price than the others, with nothing of its own
        # (returns, complaints, losses on the product) against it, is priced out, not poor: the
        # price check reads it (as its family, or as itself where products have no family).
        if c["lost_reason"].eq("price").any():
            priced = reason_rates(c, "price", c["product_id"], ctx.cfg)["level"]
            own = [f["level"] for k, f in frames.items() if k != "win_rate"]
            flagged = (
                pd.concat(own, axis=1).isin(("moderate", "extreme")).any(axis=1)
                if own
                else pd.Series(False, index=wr.index)
            )
            defer = priced.reindex(wr.index).isin(("moderate", "extreme")) & ~flagged.reindex(
                wr.index
            ).fillna(False).astype(bool)
            wr.loc[defer, "level"] = wr.loc[defer, "level"].replace(
                {"moderate": "none", "extreme": "none"}
            )
        frames["win_rate"] = wr

    def effect(pid, rows):
        parts = []
        if "returns" in rows:
            mine = o[(o["product_id"] == pid) & (o["status"] == "returned")]
            excess = 1 - rows["returns"]["peer"] / max(rows["returns"]["value"], 1e-9)
            parts.append(line_amount(mine).groupby(mine["rep_id"]).sum() * max(0.0, excess))
        deals = c[c["product_id"] == pid]
        size = float(deals.loc[deals["stage"] == "won", "amount"].mean())
        size = size if np.isfinite(size) else float(c.loc[c["stage"] == "won", "amount"].mean())
        lost = pd.Series(dtype=float)
        if "win_rate" in rows and rows["win_rate"]["level"] != "too_few":
            lost = exposure_losses(deals, rows["win_rate"]["peer"], size)
        # Deals lost on the product beyond the other products' share: the larger of the two
        # readings of the same lost deals, never their sum.
        reason = reason_losses(deals, rows.get("product_lost"), size)
        parts.append(reason if reason.sum() > lost.sum() else lost)
        return (pd.concat(parts) if parts else pd.Series(dtype=float)) * ctx.share

    return _judge(RULE["poor_product"], frames, ctx, effect)


def _period_start(text) -> pd.Timestamp:
    from salescoach.domain.periods import Period

    try:
        return Period.parse(str(text)).start
    except Exception:  # noqa: BLE001 - a free-text period in the market table is skipped
        return pd.NaT


# How a family's discounts read when compared with the other families', not its own past.
DISCOUNT_PEERS = N_("discounts {value} deeper than the other families'")


def check_price(t, ctx, known, found=()) -> _Outcome:
    c = with_family(ctx.closed.dropna(subset=["product_id"]), t.get("products"))
    # A product already found poor is its own cause: its deals do not make its family look
    # priced out.
    poor = {f["scope_id"] for f in found if f["cause"] == "product"}
    c = c[~c["product_id"].isin(poor)]
    frames = {}
    if "price_lost" in known:
        lost = c[c["stage"] == "lost"]
        hits = lost["lost_reason"].eq("price").groupby(lost["family"]).sum()
        frames["price_lost"] = compare_rates(hits, lost.groupby("family").size(), "high", ctx.cfg)
    wr = win_rates(c, "family") if len(c) else None
    if "win_rate" in known and wr is not None:
        frames["win_rate"] = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)
    families = pd.Index(c["family"].dropna().unique())
    if "discount" in known and t.get("orders") is not None:
        year = pd.DateOffset(years=1)
        # Only the lines of the two windows, and only the columns read: the whole history's
        # million order lines are not copied to keep two years of them (scale 7: 0.3 s).
        o = t["orders"]
        dates = o["order_date"]
        keep = (
            _between(dates, ctx.start, ctx.end) | _between(dates, ctx.start - year, ctx.end - year)
        ) & o["product_id"].notna()
        o = with_family(o.loc[keep, ["order_date", "product_id", "discount"]], t.get("products"))
        now = o[_between(o["order_date"], ctx.start, ctx.end)].groupby("family")["discount"].mean()
        before = o[_between(o["order_date"], ctx.start - year, ctx.end - year)]
        deeper = now - before.groupby("family")["discount"].mean()
        # A family with no lines a year before (an export of one year, a new family) is read
        # against the other families' discounts in the window instead: the same depth deeper
        # than its peers' median supports a price finding as deeper than its own past would.
        now = now.dropna()
        fresh = deeper.index[deeper.isna()].intersection(now.index) if len(now) > 1 else []
        for f in fresh:
            deeper[f] = now[f] - now.drop(f).median()
        rows = {f: flag(deeper.get(f, np.nan) >= ctx.cfg["discount_points"]) for f in families}
        frame = pd.DataFrame(rows).T if rows else None
        if frame is not None:
            frame["text"] = [ctx.fmt.pct(deeper.get(f, np.nan), 1) for f in frame.index]
            frame["phrase"] = [DISCOUNT_PEERS if f in fresh else None for f in frame.index]
            frames["discount"] = frame
    if "price_index" in known and t.get("market") is not None:
        m = t["market"].dropna(subset=["competitor_price_index", "product_family"])
        starts = m["period"].map(_period_start)
        m = m[(starts >= ctx.start.to_period("Q").start_time) & (starts <= ctx.end)]
        index = m.groupby("product_family")["competitor_price_index"].mean()
        rows = {f: flag(index.get(f, np.nan) <= ctx.cfg["price_index"]) for f in families}
        if rows:
            frame = pd.DataFrame(rows).T
            frame["text"] = [ctx.fmt.number(index.get(f, np.nan), 2) for f in frame.index]
            frames["price_index"] = frame
    # A family is judged only where a comparison with peers could be made.
    frames = {k: v for k, v in frames.items() if len(v)}
    if not any(k in frames for k in ("price_lost", "win_rate")):
        return _Outcome()

    def effect(fam, rows):
        if wr is None or fam not in wr.index:
            return pd.Series(dtype=float)
        peer = wr["win_rate"].drop(fam).median() if len(wr) > 1 else np.nan
        deals = c[c["family"] == fam]
        lost = exposure_losses(deals, peer, wr.loc[fam, "won_amount"])
        reason = reason_losses(deals, rows.get("price_lost"), wr.loc[fam, "won_amount"])
        return (reason if reason.sum() > lost.sum() else lost) * ctx.share

    return _judge(RULE["overpriced_family"], frames, ctx, effect)


# Cuts delivery is judged by, each where the data hold it: who sold (department), where the
# customer is (region), what was sold (family), who shipped it (columns outside the contract
# that exports often carry).
DELIVERY_CUTS = ("department", "region", "family", "shipper", "warehouse", "carrier")


def delivery_groups(frame: pd.DataFrame, t, ctx) -> dict[str, pd.Series]:
    """Per cut the data can give, each row's unit (orders or deals)."""
    out = {"department": map_keys(frame["rep_id"], ctx.department)}
    customers = t.get("customers")
    if customers is not None and customers["region"].notna().any() and "customer_id" in frame:
        region = customers.drop_duplicates("customer_id").set_index("customer_id")["region"]
        out["region"] = map_keys(frame["customer_id"], region)
    products = t.get("products")
    if products is not None and products["family"].notna().any() and "product_id" in frame:
        out["family"] = with_family(frame, products)["family"]
    for column in DELIVERY_CUTS[3:]:
        if column in frame and frame[column].notna().any():
            out[column] = frame[column].astype("string").astype(object)
    return {k: v for k, v in out.items() if v.dropna().nunique() >= 2}


def check_delivery(t, ctx, known, found=()) -> _Outcome:
    # A product already found poor is its own cause: its returns and lost deals do not make the
    # department (or family) that sells it look late.
    poor = {f["scope_id"] for f in found if f["cause"] == "product"}
    o = ctx.orders[~ctx.orders["product_id"].isin(poor)]
    # Late as monitoring defines it (an order's latest dates, the grace days), so the app, the
    # packs and this check show one on-time figure.
    outcomes = monitoring.order_outcomes(o, int(ctx.cfg.get("on_time_grace_days", 0)))
    amount = line_amount(o)
    closed = ctx.closed[~ctx.closed["product_id"].isin(poor)]
    deal_groups = delivery_groups(closed, t, ctx)
    total = _Outcome()
    # Cuts are judged in order, each on the orders and deals no earlier cut's finding holds: a
    # late department seen again through the region it serves is one problem, not two.
    seen_o = pd.Series(False, index=o.index)
    seen_d = pd.Series(False, index=closed.index)
    if "late" in outcomes:
        judged = outcomes.dropna(subset=["late"])
        # Each line's order numbered once, and each judged order's number: every cut takes an
        # order's unit from its first line that has one without hashing the million lines'
        # order ids again (scale 7: 0.45 s a cut).
        line_order, order_ids = pd.factorize(o["order_id"])
        order_ids = pd.Index(order_ids)
        if outcomes.index.equals(order_ids):
            # order_outcomes numbers orders as factorize does (first appearance, no missing
            # id): each judged order's number is its row, no hash pass over the order ids.
            judged_order = np.flatnonzero(outcomes["late"].notna().to_numpy())
        else:
            judged_order = order_ids.get_indexer(judged.index)
    lost_line = o["status"].isin(("cancelled", "returned"))
    for cut, groups in delivery_groups(o, t, ctx).items():
        groups = groups.where(~seen_o)
        frames = {}
        if "late" in outcomes:
            per_order = first_per_group(groups, line_order, len(order_ids))
            unit = per_order.take(judged_order).set_axis(judged.index)
            late = judged["late"].groupby(unit)
            frames["late"] = compare_rates(late.sum(), late.size(), "high", ctx.cfg)
        if "lost_lines" in known:
            lost = lost_line.groupby(groups)
            frames["lost_lines"] = compare_rates(lost.sum(), lost.size(), "high", ctx.cfg)
        by_deal = deal_groups.get(cut)
        by_deal = by_deal.where(~seen_d) if by_deal is not None else None
        if by_deal is not None and len(closed):
            if "timing_lost" in known:
                frames["timing_lost"] = reason_rates(closed, "timing", by_deal, ctx.cfg)
            if "win_rate" in known:
                wr = win_rates(closed.assign(_g=by_deal).dropna(subset=["_g"]), "_g")
                frames["win_rate"] = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)

        def effect(unit, rows, groups=groups, by_deal=by_deal):
            parts = []
            mine = groups == unit
            if "lost_lines" in rows:
                excess = max(0.0, rows["lost_lines"]["value"] - rows["lost_lines"]["peer"])
                parts.append((amount[mine] * excess).groupby(o.loc[mine, "rep_id"]).sum())
            # Deals lost to late deliveries: the unit's win rate short of the others'.
            if by_deal is not None:
                parts.append(_segment_losses(closed, by_deal, unit))
            return (pd.concat(parts) if parts else pd.Series(dtype=float)) * ctx.share

        part = _judge(RULE["late_department"], frames, ctx, effect, scope_label=cut)
        for f in part.findings:
            f["scope"] = cut
            seen_o |= groups == f["scope_id"]
            if by_deal is not None:
                seen_d |= by_deal == f["scope_id"]
        total.findings += part.findings
        total.judged += part.judged
        total.too_few += part.too_few
    return total


def _segment_losses(closed: pd.DataFrame, groups: pd.Series, unit) -> pd.Series:
    """Per rep, the deals of one group (a department, a customer segment) lost beyond the
    other groups' win rate, at the mean won amount (exposure, not the rep's own record)."""
    mine = groups == unit
    others = closed[~mine & groups.notna()]
    if others.empty or not mine.any():
        return pd.Series(dtype=float)
    peer = float((others["stage"] == "won").mean())
    size = float(closed.loc[closed["stage"] == "won", "amount"].mean())
    return exposure_losses(closed[mine], peer, size)


def check_service(t, ctx, known, found=()) -> _Outcome:
    s = t["service"]
    s = s[_between(s["opened_date"], ctx.start, ctx.end)]
    segment = t["customers"].drop_duplicates("customer_id").set_index("customer_id")["segment"]
    s = s.assign(segment=s["customer_id"].map(segment)).dropna(subset=["segment"])
    frames = {}
    if "days" in known:
        days = (s["closed_date"] - s["opened_date"]).dt.days
        # A mean of days is read as Student's t from the segment's own cases, honest from
        # fewer cases than a rate's interval (`min_count_mean`): a small segment served slowly
        # is not "too few to tell" at 15 cases.
        frames["days"] = compare_amounts(
            days, s["segment"], "high", ctx.cfg, min_count=ctx.cfg["min_count_mean"]
        )
    if "unhappy" in known:
        rated = s.dropna(subset=["csat"])
        g = (rated["csat"] <= 2).groupby(rated["segment"])
        frames["unhappy"] = compare_rates(g.sum(), g.size(), "high", ctx.cfg)
    o = ctx.orders

    deal_segment = ctx.closed["customer_id"].map(segment)

    def effect(seg, rows):
        # Two ways poor service costs revenue: deals the segment's customers no longer give
        # (its win rate short of the others') and revenue at risk from the customers who opened
        # a case, weighted by the excess share of unhappy cases (or of case time). The larger
        # is taken, not the sum, since both can show the same customers leaving.
        lost = _segment_losses(ctx.closed, deal_segment, seg) * ctx.share
        who = s.loc[s["segment"] == seg, "customer_id"].unique()
        mine = o[o["customer_id"].isin(who)]
        if "unhappy" in rows and rows["unhappy"]["level"] != "too_few":
            weight = rows["unhappy"]["value"] - rows["unhappy"]["peer"]
        elif "days" in rows:
            weight = 0.5 * (1 - rows["days"]["peer"] / rows["days"]["value"])
        else:
            weight = 0.0
        weight = float(np.clip(np.nan_to_num(weight), 0, 1))
        risk = (line_amount(mine) * weight).groupby(mine["rep_id"]).sum() * ctx.share
        return lost if lost.sum() > risk.sum() else risk

    return _judge(RULE["poor_service_segment"], frames, ctx, effect)


def check_marketing(t, ctx, known, found=()) -> _Outcome:
    campaigns = t.get("campaigns")
    # Campaigns are judged on their leads closed up to the window's end; the benchmark is every
    # other campaign's history, since few campaigns overlap one window.
    history = closed_deals(t["deals"], pd.Timestamp.min, ctx.end).dropna(subset=["lead_source"])
    if campaigns is not None and len(campaigns):
        history = history[history["lead_source"].isin(campaigns["campaign_id"])]
    recent = set(ctx.closed["lead_source"].dropna())
    frames = {}
    wr = win_rates(history, "lead_source") if len(history) else None
    if wr is None:
        return _Outcome()
    frames["win_rate"] = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)
    frames["win_rate"] = frames["win_rate"][frames["win_rate"].index.isin(recent)]
    if "in_target" in known:
        target = campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["target_segment"]
        seg = t["customers"].drop_duplicates("customer_id").set_index("customer_id")["segment"]
        won = history[history["stage"] == "won"]
        hit = (
            won["customer_id"]
            .map(seg)
            .eq(won["lead_source"].map(target))
            .groupby(won["lead_source"])
        )
        f = compare_rates(hit.sum(), hit.size(), "low", ctx.cfg)
        frames["in_target"] = f[f.index.isin(target.dropna().index)]

    def effect(cid, rows):
        # A campaign runs for weeks, not evenly over the window: its cost in the period is that
        # of its leads closed in the period, or the window's average when that is larger.
        leads = ctx.closed[ctx.closed["lead_source"] == cid]
        own = leads[_between(leads["close_date"], ctx.period_start, ctx.period_end)]
        peer, size = rows["win_rate"]["peer"], wr["won_amount"].median()
        spread = excess_losses(leads, peer, size) * ctx.share
        period = excess_losses(own, peer, size)
        return period if period.sum() > spread.sum() else spread

    return _judge(RULE["wrong_campaign"], frames, ctx, effect)
