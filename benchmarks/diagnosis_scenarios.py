"""Randomised scenario benchmark for diagnosis: organisations it has never seen.

Its own generator (nothing shared with `salescoach.data.sample` nor with the rules' settings): each
organisation has a random size (10 to 500 sellers), a random subset of the optional tables and
columns, and 0 to 5 planted causes drawn from every cause (product, price, delivery, service,
marketing, training, rep) at random magnitudes, borderline ones included. Every planted effect
removes real revenue (deals lost that would have been won, lines returned or cancelled), and
each seller's goal is what they would have sold without any planted cause, within +-5-7%; so a
seller in a late department, or selling the overpriced family, misses the goal because of a
systemic cause only (a decoy).

Printed per cause and overall: recall (planted causes above materiality whose check could run,
found at the right unit), precision (material findings that match a planted cause), scope
accuracy (findings of a planted cause at the planted unit), unfair rep findings (rep findings on
sellers not planted as the rep cause; on decoys), and findings above materiality in
organisations with no cause. `--missed` prints each missed cause (what its check said, any
finding below materiality) and each finding no planted cause explains.

Recall is also given on causes material *and detectable in principle* (`detect`, `recall
det`): the planted loss at least DETECT standard errors of the revenue it moves at its unit, given
the unit's own deals and order lines (see DETECT); `--missed` says of each miss whether it was.

Scoring, honestly: recall is also given on causes *clearly* material (at least twice the
materiality; `clear`, `recall≥2x`): a cause at 1.1% of revenue against a 1% line is found or
not by the noise in any estimate of its impact. Where `products.family` is left out the data
cannot name a family, so a price finding on a product of the planted family finds it.

Run:  .venv/bin/python benchmarks/diagnosis_scenarios.py [N] [--missed] [--seed S]
To measure another version, run this file with PYTHONPATH pointing at that version's checkout.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

START, END = pd.Timestamp("2025-07-01"), pd.Timestamp("2026-06-30")
PERIOD = (pd.Timestamp("2026-04-01"), pd.Timestamp("2026-06-30"))
TODAY = pd.Timestamp("2026-12-02")
CAUSES = ("product", "price", "delivery", "service", "marketing", "training", "rep")
DAYS = (END - START).days + 1
SHARE = ((PERIOD[1] - PERIOD[0]).days + 1) / DAYS
# The benchmark's own notion of "material": a cause costing at least 1% of a period's revenue
# (its unit's: the company's, or the seller's for training and rep causes). The rep cause counts
# when it costs at least 10% of the seller's goal, as a manager would expect it to show.
MATERIAL = 0.01
REP_MATERIAL = 0.10
# The benchmark's own notion of "detectable in principle" (nothing of the rules'): the planted
# loss against the standard error of the revenue it moves at that unit, given the unit's own
# sample (its deals, its order lines), worked out from the generator's true rates. A cause that
# lowers win rates moves won revenue given the deals: binomial SE sqrt(sum p(1-p) a^2) over the
# unit's deals. The rep cause also removes deals: compound-Poisson SE sqrt(sum p a^2), since the
# count is then part of what moves. Returns and cancellations move line revenue: binomial SE at
# the base rate over the unit's lines (only where orders.status shows them). Independent
# channels add in quadrature (z = sqrt(z_deals^2 + z_lines^2)). The window is the one the data
# shows the cause in: the year for systemic and training causes, the period for the rep cause.
# Some causes also leave a trace apart from revenue, planted far off the base rate over tens to
# hundreds of records (`TRACES`: lost reasons, late deliveries, discounts, the price index,
# complaints, slow or unhappy service cases); where the export keeps one, the cause is detectable
# whatever its revenue z. Training and marketing leave none: their only trace is the win rate.
# The rep cause's fall in activity is scored, not assumed: the seller's expected count in the
# period lam_p falls to f*lam_p, read against their own pace before (lam_b over three quarters):
# z = lam_p(1 - f) / sqrt(f lam_p + lam_p^2 / lam_b), added in quadrature to the revenue z.
# DETECT = 3: a rule must find the unit among its peers (up to hundreds of sellers, a dozen
# products), so its bar sits at 2-3 SE; a loss of 3 SE is found by an ideal test at the 2-SE bar
# 84% of the time and at the 3-SE bar half the time. Below it the unit's own sample cannot tell
# the cause from the luck of its deals, whatever the rules; above it a miss is the rules' fault.
DETECT = 3.0
# Per cause, the records (table, column or None for the table, optional kind) the generator marks
# the cause in apart from revenue.
TRACES = {
    "product": (("deals", "lost_reason"), ("service", "product_id", "complaint")),
    "price": (("deals", "lost_reason"), ("orders", "discount"), ("market", None)),
    "delivery": (("deals", "lost_reason"), ("orders", "delivered_date")),
    "service": (("service", "closed_date"), ("service", "csat")),
}


@dataclass
class Scenario:
    seed: int
    tables: dict
    attainment: pd.DataFrame
    planted: list = field(default_factory=list)  # (cause, unit, loss per period, material)
    clear: set = field(default_factory=set)  # (cause, unit) of at least twice materiality
    decoys: set = field(default_factory=set)
    rep_cause: set = field(default_factory=set)
    families: dict = field(default_factory=dict)
    detect: dict = field(default_factory=dict)  # (cause, unit) -> z of the loss (see DETECT)
    traces: dict = field(default_factory=dict)  # cause -> the records kept that show it apart

    def detectable(self, cause: str, unit: str) -> bool:
        return bool(self.traces.get(cause)) or self.detect.get((cause, unit), 0.0) >= DETECT


def generate(seed: int, size: int | None = None, n_causes: int | None = None) -> Scenario:
    rng = np.random.default_rng(seed)
    n = size or int(np.exp(rng.uniform(np.log(10), np.log(500))))
    n_dept = int(np.clip(n // rng.integers(6, 30), 2, 12))
    reps = pd.DataFrame(
        {
            "rep_id": [f"E{i:03d}" for i in range(n)],
            "name": [f"Seller {i}" for i in range(n)],
            "department": [f"Dept{i % n_dept}" for i in range(n)],
            "team": [f"Team{i % (n_dept * 2)}" for i in range(n)],
            "role": "seller",
        }
    )
    n_fam = int(rng.integers(2, 6))
    n_prod = int(rng.integers(max(4, n_fam), 16))
    products = pd.DataFrame(
        {
            "product_id": [f"SKU{i}" for i in range(n_prod)],
            "name": [f"Item {i}" for i in range(n_prod)],
            "family": [f"Fam{i % n_fam}" for i in range(n_prod)],
        }
    )
    n_seg = int(rng.integers(3, 6))
    n_cust = max(60, 8 * n)
    customers = pd.DataFrame(
        {
            "customer_id": [f"K{i}" for i in range(n_cust)],
            "name": "c",
            "segment": rng.choice([f"Seg{s}" for s in range(n_seg)], n_cust),
            "region": rng.choice(["North", "South", "East"], n_cust),
        }
    )
    n_camp = int(rng.integers(3, 9))
    camp_start = START + pd.to_timedelta(rng.integers(0, 250, n_camp), unit="D")
    campaigns = pd.DataFrame(
        {
            "campaign_id": [f"CMP{i}" for i in range(n_camp)],
            "target_segment": rng.choice([f"Seg{s}" for s in range(n_seg)], n_camp),
            "start_date": camp_start,
            "end_date": camp_start + pd.to_timedelta(rng.integers(60, 160, n_camp), unit="D"),
        }
    )

    # Which causes, where, how strong (borderline magnitudes included).
    k = n_causes if n_causes is not None else int(rng.choice([0, 0, 1, 2, 3, 4, 5]))
    chosen = set(rng.choice(CAUSES, size=min(k, len(CAUSES)), replace=False)) if k else set()
    bad_product = str(rng.choice(products["product_id"])) if "product" in chosen else None
    bad_family = str(rng.choice(products["family"].unique())) if "price" in chosen else None
    bad_dept = f"Dept{rng.integers(n_dept)}" if "delivery" in chosen else None
    bad_seg = f"Seg{rng.integers(n_seg)}" if "service" in chosen else None
    bad_camp = f"CMP{rng.integers(n_camp)}" if "marketing" in chosen else None
    trained_gap = (
        set(
            rng.choice(reps["rep_id"], size=min(n // 5 + 1, int(rng.integers(1, 4))), replace=False)
        )
        if "training" in chosen and n >= 10
        else set()
    )
    gap_family = str(rng.choice(products["family"].unique())) if trained_gap else None
    weak = (
        set(rng.choice(reps["rep_id"], size=int(rng.integers(1, 3)), replace=False)) - trained_gap
        if "rep" in chosen
        else set()
    )
    m_ret = rng.uniform(1.5, 10) if bad_product else 1
    f_prod = rng.uniform(0.5, 0.95) if bad_product else 1
    f_price = rng.uniform(0.45, 0.9) if bad_family else 1
    late_dept = rng.uniform(0.12, 0.5)
    f_dept = rng.uniform(0.75, 0.95)
    f_seg = rng.uniform(0.6, 0.95)
    f_camp = rng.uniform(0.15, 0.7)
    f_train = rng.uniform(0.25, 0.7)
    f_act = rng.uniform(0.3, 0.6)

    # Deals: every seller's volume, skill and the planted effects on win probability.
    capacity = np.exp(rng.normal(0, 0.25, n))
    skill = rng.uniform(0.85, 1.15, n)
    per_year = rng.uniform(40, 110)
    counts = rng.poisson(per_year * capacity)
    rep_idx = np.repeat(np.arange(n), counts)
    m = len(rep_idx)
    close = START + pd.to_timedelta(rng.integers(0, DAYS, m), unit="D")
    rid = reps["rep_id"].to_numpy()[rep_idx]
    in_period = np.asarray(close >= PERIOD[0])
    # The weak sellers make fewer deals in the period (less activity): drop some of them.
    keep = ~(np.isin(rid, list(weak)) & in_period & (rng.random(m) > f_act))
    dropped_weak = pd.Series(~keep).groupby(rid).sum()
    rep_idx, rid, close, in_period = rep_idx[keep], rid[keep], close[keep], in_period[keep]
    m = len(rep_idx)
    prod = rng.choice(products["product_id"].to_numpy(), m)
    fam = pd.Series(prod).map(products.set_index("product_id")["family"]).to_numpy()
    cust = rng.choice(customers["customer_id"].to_numpy(), m)
    seg = pd.Series(cust).map(customers.set_index("customer_id")["segment"]).to_numpy()
    dept = pd.Series(rid).map(reps.set_index("rep_id")["department"]).to_numpy()
    active = [(c.campaign_id, c.start_date, c.end_date) for c in campaigns.itertuples(index=False)]
    lead = np.full(m, "web", dtype=object)
    from_camp = rng.random(m) < 0.4
    for i in np.flatnonzero(from_camp):
        options = [c for c, s, e in active if s <= close[i] <= e + pd.Timedelta(days=60)]
        if options:
            lead[i] = options[rng.integers(len(options))]
    base = rng.uniform(0.25, 0.45) * skill[rep_idx]
    size_by_product = dict(zip(products["product_id"], rng.uniform(3000, 20000, n_prod)))
    amount = np.array([size_by_product[p] for p in prod]) * np.exp(rng.normal(0, 0.3, m))
    factors = {
        "product": np.where(prod == bad_product, f_prod, 1.0),
        "price": np.where(fam == bad_family, f_price, 1.0),
        "service": np.where(seg == bad_seg, f_seg, 1.0),
        "marketing": np.where(lead == bad_camp, f_camp, 1.0),
        "training": np.where(np.isin(rid, list(trained_gap)) & (fam == gap_family), f_train, 1.0),
        "delivery": np.where(dept == bad_dept, f_dept, 1.0),
        "rep": np.where(np.isin(rid, list(weak)) & in_period, 0.7, 1.0),
    }
    u = rng.random(m)
    p = base.copy()
    won_base = u < base
    loss = defaultdict(lambda: pd.Series(dtype=float))
    lost_deal = {}  # per deal, the amount each cause lost (for `detectability`)
    for cause, f in factors.items():
        before = u < p
        p = p * f
        lost_now = before & ~(u < p)
        lost_deal[cause] = np.where(lost_now, amount, 0.0)
        loss[cause] = pd.Series(lost_deal[cause]).groupby(rid).sum()
    won = u < p
    del won_base
    reason = rng.choice(
        ["price", "competitor", "timing", "no_decision", "other"], m, p=[0.2, 0.3, 0.15, 0.25, 0.1]
    )
    reason = np.where((factors["price"] < 1) & (rng.random(m) < 0.5), "price", reason)
    reason = np.where((factors["product"] < 1) & (rng.random(m) < 0.5), "product", reason)
    reason = np.where((factors["delivery"] < 1) & (rng.random(m) < 0.4), "timing", reason)
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(m)],
            "rep_id": rid,
            "stage": np.where(won, "won", "lost"),
            "created_date": close - pd.to_timedelta(rng.integers(10, 90, m), unit="D"),
            "close_date": close,
            "amount": amount.round(2),
            "customer_id": cust,
            "product_id": prod,
            "lost_reason": np.where(won, None, reason),
            "lead_source": lead,
        }
    )

    # Orders: one to three lines per won deal; returns, cancellations and late deliveries.
    w = deals[won]
    lines = rng.integers(1, 4, len(w))
    li = np.repeat(np.arange(len(w)), lines)
    L = len(li)
    odate = w["close_date"].to_numpy()[li] + pd.to_timedelta(rng.integers(0, 15, L), unit="D")
    odate = np.minimum(odate, np.datetime64(END))
    lprod = w["product_id"].to_numpy()[li]
    lrep = w["rep_id"].to_numpy()[li]
    ldept = pd.Series(lrep).map(reps.set_index("rep_id")["department"]).to_numpy()
    lamount = (w["amount"].to_numpy() / lines)[li]
    r_base = rng.uniform(0.01, 0.04)
    ur = rng.random(L)
    returned = ur < np.where(lprod == bad_product, min(0.6, r_base * m_ret), r_base)
    lost_ret = returned & ~(ur < r_base)
    # Kept apart too: a return leaves its trace only in orders.status (see `strip`).
    by_status = {
        "product": pd.Series(np.where(lost_ret, lamount, 0)).groupby(lrep).sum(),
    }
    loss["product"] = loss["product"].add(by_status["product"], fill_value=0)
    late_base = rng.uniform(0.03, 0.1)
    late = rng.random(L) < np.where(ldept == bad_dept, late_dept, late_base)
    uc = rng.random(L)
    c_base = rng.uniform(0.01, 0.03)
    cancelled = ~returned & (uc < np.where(ldept == bad_dept, 2.5 * c_base, c_base))
    lost_can = cancelled & ~(uc < c_base)
    by_status["delivery"] = pd.Series(np.where(lost_can, lamount, 0)).groupby(lrep).sum()
    loss["delivery"] = loss["delivery"].add(by_status["delivery"], fill_value=0)
    promised = pd.DatetimeIndex(odate) + pd.Timedelta(days=14)
    delivered = promised + pd.to_timedelta(
        np.where(late, rng.integers(3, 25, L), -rng.integers(0, 6, L)), unit="D"
    )
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(L)],
            "rep_id": lrep,
            "product_id": lprod,
            "order_date": pd.DatetimeIndex(odate),
            "quantity": 1,
            "unit_price": lamount.round(2),
            "customer_id": w["customer_id"].to_numpy()[li],
            "discount": np.clip(rng.normal(0.06, 0.02, L), 0, 0.5),
            "promised_date": promised,
            "delivered_date": delivered,
            "status": np.where(returned, "returned", np.where(cancelled, "cancelled", "delivered")),
        }
    )
    if bad_family:
        fam_lines = (
            pd.Series(lprod).map(products.set_index("product_id")["family"]).to_numpy()
            == bad_family
        )
        recent = orders["order_date"] >= START
        orders.loc[fam_lines & recent, "discount"] += rng.uniform(0.02, 0.07)

    # Service cases on a share of lines; the bad product draws complaints, the bad segment waits.
    s_idx = np.flatnonzero(rng.random(L) < rng.uniform(0.05, 0.15))
    S = len(s_idx)
    scust = orders["customer_id"].to_numpy()[s_idx]
    sseg = pd.Series(scust).map(customers.set_index("customer_id")["segment"]).to_numpy()
    sprod = lprod[s_idx]
    comp_p = np.where(sprod == bad_product, min(0.9, 0.25 * m_ret**0.5), 0.25)
    kind = np.where(rng.random(S) < comp_p, "complaint", rng.choice(["follow_up", "question"], S))
    opened = pd.DatetimeIndex(odate[s_idx]) + pd.to_timedelta(rng.integers(1, 30, S), unit="D")
    slow = np.where(sseg == bad_seg, rng.uniform(3, 7), 1.0)
    service = pd.DataFrame(
        {
            "case_id": [f"S{i}" for i in range(S)],
            "customer_id": scust,
            "opened_date": opened,
            "kind": kind,
            "closed_date": opened
            + pd.to_timedelta((rng.integers(1, 6, S) * slow).astype(int), unit="D"),
            "order_id": orders["order_id"].to_numpy()[s_idx],
            "rep_id": lrep[s_idx],
            "product_id": sprod,
            "csat": np.where(sseg == bad_seg, rng.integers(1, 4, S), rng.integers(3, 6, S)).astype(
                float
            ),
        }
    )

    # Activities per seller per quarter; the weak sellers slow down in the period.
    quarters = pd.date_range(START, END, freq="QS")
    rows = []
    pace = {"now": 0.0, "before": 0.0}  # each seller's expected activities without the cause
    for q in quarters:
        lam = rng.uniform(60, 150) * capacity
        pace["now" if q >= PERIOD[0] else "before"] = (
            pace["now" if q >= PERIOD[0] else "before"] + lam
        )
        lam = np.where(
            np.isin(rid_all := reps["rep_id"].to_numpy(), list(weak)) & (q >= PERIOD[0]),
            lam * f_act,
            lam,
        )
        c = rng.poisson(lam)
        rows.append(
            pd.DataFrame(
                {
                    "rep_id": np.repeat(rid_all, c),
                    "date": q + pd.to_timedelta(rng.integers(0, 90, c.sum()), unit="D"),
                }
            )
        )
    activities = pd.concat(rows, ignore_index=True)
    activities.insert(0, "activity_id", [f"A{i}" for i in range(len(activities))])
    activities["kind"] = "call"

    courses = pd.DataFrame(
        {
            "course_id": [f"CRS{j}" for j in range(n_fam)],
            "title": [f"Fam{j} course" for j in range(n_fam)],
            "topic": "product",
            "product_family": [f"Fam{j}" for j in range(n_fam)],
        }
    )
    pairs = [
        (r, f"CRS{j}")
        for r in reps["rep_id"]
        for j in range(n_fam)
        if not (r in trained_gap and f"Fam{j}" == gap_family)
    ]
    training = pd.DataFrame(pairs, columns=["rep_id", "course_id"])
    training["completed_date"] = START - pd.to_timedelta(
        rng.integers(30, 300, len(training)), unit="D"
    )
    market = pd.DataFrame(
        [
            (
                f"{q.year}-Q{q.quarter}",
                f"Fam{j}",
                (rng.uniform(0.85, 0.94) if f"Fam{j}" == bad_family else rng.uniform(0.98, 1.04)),
            )
            for q in quarters
            for j in range(n_fam)
        ],
        columns=["period", "product_family", "competitor_price_index"],
    )

    # Goals: what each seller would have sold in the period without any planted cause.
    booked = orders[~orders["status"].isin(("returned", "cancelled"))]
    booked = booked[booked["order_date"] >= PERIOD[0]]
    actual = (
        (booked["quantity"] * booked["unit_price"])
        .groupby(booked["rep_id"])
        .sum()
        .reindex(rid_all)
        .fillna(0)
    )
    per_cause = {c: loss[c].reindex(rid_all).fillna(0) * SHARE for c in CAUSES if c != "rep"}
    # The weak seller's cost is in the period only (fewer deals, lower win rate).
    weak_loss = loss["rep"].reindex(rid_all).fillna(0)
    weak_loss += dropped_weak.reindex(rid_all).fillna(0) * np.mean(amount) * 0.35
    per_cause["rep"] = weak_loss
    lost_total = sum(per_cause.values())
    target = (actual + lost_total) * rng.uniform(0.95, 1.07, n)
    attainment = pd.DataFrame(
        {"actual": actual, "target": target.round(0)}, index=pd.Index(rid_all, name="rep_id")
    )
    attainment["attainment"] = attainment["actual"] / attainment["target"]
    company = float((actual + lost_total).sum())
    tables = {
        "reps": reps,
        "products": products,
        "customers": customers,
        "deals": deals,
        "orders": orders,
        "service": service,
        "activities": activities,
        "courses": courses,
        "training": training,
        "campaigns": campaigns,
        "market": market,
        "targets": pd.DataFrame(
            {
                "scope": "rep",
                "scope_id": rid_all,
                "period": "2026-Q2",
                "metric": "revenue",
                "target": attainment["target"].to_numpy(),
            }
        ),
    }
    tables = strip(tables, rng)
    # The export's shape is drawn before the causes are scored (no draw in between, so every
    # organisation is the one it was): a loss whose only trace is a column left out (returns and
    # cancellations without orders.status, whose lines then look booked) cannot be found by any
    # diagnosis, so it does not count towards the cause being material; it still counts in the
    # goal, since the seller did not sell it.
    traceless = {}
    if "status" not in tables["orders"]:
        traceless = {c: v.reindex(rid_all).fillna(0) * SHARE for c, v in by_status.items()}
    # How far each planted loss stands above the noise of its unit's own sample (see DETECT).
    status_seen = "status" in tables["orders"]
    deal_units = {
        ("product", bad_product): prod == bad_product,
        ("price", bad_family): fam == bad_family,
        ("delivery", bad_dept): dept == bad_dept,
        ("service", bad_seg): seg == bad_seg,
        ("marketing", bad_camp): lead == bad_camp,
    }
    line_units = {
        ("product", bad_product): (lprod == bad_product, lost_ret, r_base),
        ("delivery", bad_dept): (ldept == bad_dept, lost_can, c_base),
    }
    detect = {}
    for (cause, unit), mask in deal_units.items():
        if unit is None:
            continue
        lines = line_units.get((cause, unit)) if status_seen else None
        detect[(cause, unit)] = detectability(
            lost_deal[cause][mask], base[mask], amount[mask], lines=lines, line_amount=lamount
        )
    for r in trained_gap:
        mask = (rid == r) & (fam == gap_family)
        detect[("training", r)] = detectability(
            lost_deal["training"][mask], base[mask], amount[mask]
        )
    for r in weak:
        # The weak seller's deals in the period, and those they did not make (valued as in the
        # goal: the mean deal at a 0.35 win rate, the mean square for their noise).
        mask = (rid == r) & in_period
        gone = float(dropped_weak.get(r, 0))
        z = detectability(
            lost_deal["rep"][mask],
            base[mask],
            amount[mask],
            poisson=True,
            dropped=(gone * np.mean(amount) * 0.35, gone * 0.35 * np.mean(amount**2)),
        )
        if "activities" in tables:
            i = int(np.flatnonzero(rid_all == r)[0])
            now, before = pace["now"][i], pace["before"][i]
            z = float(np.hypot(z, now * (1 - f_act) / np.sqrt(f_act * now + now**2 / before)))
        detect[("rep", r)] = z

    planted = []
    units = {
        "product": bad_product,
        "price": bad_family,
        "delivery": bad_dept,
        "service": bad_seg,
        "marketing": bad_camp,
    }
    clear = set()
    for cause, unit in units.items():
        if unit:
            lost = float(per_cause[cause].sum())
            lost -= float(traceless[cause].sum()) if cause in traceless else 0.0
            planted.append((cause, unit, lost, lost >= MATERIAL * company))
            if lost >= 2 * MATERIAL * company:
                clear.add((cause, unit))
    for r in trained_gap:
        lost = float(per_cause["training"][r])
        base = float(actual[r] + lost_total[r])
        planted.append(("training", r, lost, lost >= MATERIAL * base))
        if lost >= 2 * MATERIAL * base:
            clear.add(("training", r))
    for r in weak:
        lost = float(per_cause["rep"][r])
        goal = float(attainment.loc[r, "target"])
        planted.append(("rep", r, lost, lost >= REP_MATERIAL * goal))
        if lost >= 2 * REP_MATERIAL * goal:
            clear.add(("rep", r))
    systemic = sum(per_cause[c] for c in ("product", "price", "delivery", "service", "marketing"))
    decoys = set(attainment.index[(systemic >= 0.05 * attainment["target"])]) - weak - trained_gap

    families = dict(zip(products["product_id"], products["family"]))
    return Scenario(
        seed,
        tables,
        attainment,
        planted,
        clear,
        decoys,
        set(weak),
        families,
        detect,
        traces(tables),
    )


def traces(tables: dict) -> dict:
    """Per cause, the records in which the export keeps the cause's trace apart from revenue."""
    out = {}
    for cause, records in TRACES.items():
        kept = []
        for name, column, *kind in records:
            t = tables.get(name)
            if t is None or (column is not None and column not in t):
                continue
            if kind and not (t["kind"] == kind[0]).any():
                continue
            kept.append(f"{name}.{column}" if column else name)
        out[cause] = kept
    return out


def detectability(
    lost, p, amount, poisson=False, dropped=(0.0, 0.0), lines=None, line_amount=None
) -> float:
    """The z of a planted loss against the SE of the revenue it moves at its unit (see DETECT):
    `lost`, `p` and `amount` are the unit's deals (the amount each lost to the cause, its win
    probability without any cause, its amount); `dropped` the (value, variance) of deals the
    cause removed; `lines` (mask, lost, base rate) the unit's order lines a return or
    cancellation took, with `line_amount` every line's amount."""
    var = np.sum((p if poisson else p * (1 - p)) * amount**2) + dropped[1]
    z = (float(np.sum(lost)) + dropped[0]) / np.sqrt(var) if var > 0 else 0.0
    if lines is not None:
        mask, gone, r0 = lines
        var_l = np.sum(r0 * (1 - r0) * line_amount[mask] ** 2)
        z_l = float(np.sum(line_amount[mask & gone])) / np.sqrt(var_l) if var_l > 0 else 0.0
        z = float(np.hypot(z, z_l))
    return float(z)


def strip(tables: dict, rng) -> dict:
    """A random shape of export: optional tables and columns left out, kinds of record absent."""
    t = dict(tables)
    for name, p in (
        ("service", 0.25),
        ("activities", 0.25),
        ("campaigns", 0.25),
        ("market", 0.4),
        ("customers", 0.15),
        ("courses", 0.2),
        ("training", 0.1),
    ):
        if rng.random() < p:
            t.pop(name, None)
    for name, column, p in (
        ("deals", "lost_reason", 0.3),
        ("orders", "status", 0.2),
        ("orders", "discount", 0.3),
        ("orders", "delivered_date", 0.2),
        ("service", "csat", 0.3),
        ("service", "closed_date", 0.2),
        ("products", "family", 0.15),
        ("deals", "lead_source", 0.15),
        ("service", "product_id", 0.2),
    ):
        if name in t and rng.random() < p:
            t[name] = t[name].drop(columns=column)
    if "service" in t and rng.random() < 0.25:  # an organisation that records no complaint cases
        t["service"] = t["service"][t["service"]["kind"] != "complaint"]
    return t


def load(path: str | None):
    if path is None:
        from salescoach.domain import diagnosis

        return diagnosis
    spec = importlib.util.spec_from_file_location("diagnosis_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def run(module, s: Scenario, overrides: dict | None = None):
    from salescoach.domain.fmt import Formatter

    kwargs = {"today": TODAY} if "today" in module.diagnose.__code__.co_varnames else {}
    cfg = dict(overrides or {})
    return module.diagnose(s.tables, *PERIOD, s.attainment, cfg, Formatter(), **kwargs)


def score(s: Scenario, result) -> dict:
    """Per cause: planted material and assessable, found, findings, correct, scope hits, unfair."""
    out = {c: defaultdict(int) for c in CAUSES}
    if result is None:
        for cause, _unit, _lost, material in s.planted:
            if material:
                out[cause]["planted"] += 1
        out["_crash"] = 1
        return out
    f = result.findings
    f = f[f["material"] & ~f["positive"]]
    checks = (
        result.checks.set_index("cause")["status"]
        if hasattr(result, "checks")
        else pd.Series(dtype=object)
    )
    got = set(zip(f["cause"], f["scope_id"].astype(str)))
    planted = {(c, u) for c, u, _l, _m in s.planted}
    # Without products.family the data cannot name a family: a price finding on a product of
    # the planted family finds it (at the narrowest unit the data allow).
    hits = set(got)
    if "family" not in s.tables["products"]:
        hits |= {("price", s.families[u]) for c, u in got if c == "price" and u in s.families}
    for cause, unit, _lost, material in s.planted:
        assessed = str(checks.get(cause, "")).replace(" ", "_") != "not_assessed"
        if material and assessed:
            out[cause]["planted"] += 1
            out[cause]["found"] += (cause, unit) in hits
            if (cause, unit) in s.clear:
                out[cause]["clear"] += 1
                out[cause]["clear_found"] += (cause, unit) in hits
            if s.detectable(cause, unit):
                out[cause]["detect"] += 1
                out[cause]["detect_found"] += (cause, unit) in hits
    # Without products.family a family's price problem can only show on its products: a
    # finding on a product of the planted family names the right cause at a narrower unit.
    family = s.families
    inside = {(c, p) for c, u in planted if c == "price" for p, f in family.items() if f == u}
    for cause, unit in got:
        out[cause]["findings"] += 1
        out[cause]["correct"] += (cause, unit) in planted or (cause, unit) in inside
        if cause in {c for c, _u in planted}:
            out[cause]["scoped"] += 1
            out[cause]["scope_hit"] += (cause, unit) in planted
        if cause == "rep" and unit not in s.rep_cause:
            out[cause]["unfair"] += 1
            out[cause]["on_decoys"] += unit in s.decoys
    out["_no_cause_findings"] = len(got) if not s.planted else 0
    return out


def missed(s: Scenario, result) -> list[str]:
    """One line per planted material cause not found: what the check said, and any finding at the
    planted unit below materiality (its impact against the planted loss)."""
    if result is None:
        return []
    f = result.findings
    checks = result.checks.set_index("cause")
    company = float(s.attainment["target"].sum())
    out = []
    m = f[f["material"] & ~f["positive"]]
    got = set(zip(m["cause"], m["scope_id"].astype(str)))
    if "family" not in s.tables["products"]:
        got |= {("price", s.families[u]) for c, u in list(got) if c == "price" and u in s.families}
    for cause, unit, lost, material in s.planted:
        if not material or (cause, unit) in got:
            continue
        status = checks.loc[cause, "status"] if cause in checks.index else "?"
        if status == "not_assessed":
            continue
        base = (
            company if cause not in ("training", "rep") else float(s.attainment.loc[unit, "target"])
        )
        here = f[(f["cause"] == cause) & (f["scope_id"].astype(str) == unit)]
        note = "; ".join(
            f"below materiality impact {r.impact:,.0f} ({r.strength}): {r.evidence}"
            for r in here.itertuples()
        )
        z = s.detect.get((cause, unit), 0.0)
        seen = (
            f"detectable ({', '.join(s.traces[cause])})"
            if s.traces.get(cause)
            else "detectable"
            if z >= DETECT
            else "undetectable"
        )
        out.append(
            f"seed {s.seed} n={len(s.attainment)} MISSED {cause} {unit}: lost {lost:,.0f} "
            f"({lost / base:.1%} of base; {seen}, {z:.1f} SE) check {status}: {checks.loc[cause, 'detail'] if cause in checks.index else ''}"
            + (f" | {note}" if note else "")
        )
    planted = {(c, u) for c, u, _l, _m in s.planted}
    inside = {
        ("price", p) for c, u in planted if c == "price" for p, g in s.families.items() if g == u
    }
    for r in f[f["material"] & ~f["positive"]].itertuples():
        if (r.cause, str(r.scope_id)) not in planted | inside:
            out.append(
                f"seed {s.seed} EXTRA {r.cause} {r.scope_id} impact {r.impact:,.0f}: {r.evidence}"
            )
    return out


def table(scores: list[dict]) -> str:
    total = {c: defaultdict(int) for c in CAUSES}
    for sc in scores:
        for c in CAUSES:
            for k, v in sc[c].items():
                total[c][k] += v
    rows = []

    def pct(a, b):
        return f"{a / b:6.1%}" if b else "     –"

    head = f"{'cause':<10} {'planted':>7} {'found':>5} {'recall':>7} {'clear':>5} {'recall≥2x':>9} {'detect':>6} {'recall det':>10} {'findings':>8} {'precision':>9} {'scope acc':>9} {'unfair rep':>10} {'on decoys':>9}"
    rows.append(head)
    agg = defaultdict(int)
    for c in CAUSES + ("overall",):
        t = total[c] if c != "overall" else agg
        if c != "overall":
            for k, v in t.items():
                agg[k] += v
        rows.append(
            f"{c:<10} {t['planted']:>7} {t['found']:>5} {pct(t['found'], t['planted']):>7}"
            f" {t['clear']:>5} {pct(t['clear_found'], t['clear']):>9}"
            f" {t['detect']:>6} {pct(t['detect_found'], t['detect']):>10} {t['findings']:>8}"
            f" {pct(t['correct'], t['findings']):>9} {pct(t['scope_hit'], t['scoped']):>9} {t['unfair']:>10} {t['on_decoys']:>9}"
        )
    crashes = sum(sc.get("_crash", 0) for sc in scores)
    nocause = sum(sc.get("_no_cause_findings", 0) for sc in scores)
    rows.append(
        f"crashes: {crashes} of {len(scores)}; findings above materiality in organisations without a cause: {nocause}"
    )
    return "\n".join(rows)


def table_of(path: str) -> str:
    """The table from a --dump file (runs split over several processes)."""
    rows = [json.loads(line) for line in open(path)]
    return table(
        [
            {k: (defaultdict(int, v) if isinstance(v, dict) else v) for k, v in r.items()}
            for r in rows
        ]
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=50)
    ap.add_argument("--old", help="a diagnosis.py to compare (e.g. from git show HEAD~:...)")
    ap.add_argument("--seed", type=int, default=2000)
    ap.add_argument("--set", action="append", default=[], help="a [diagnosis] setting, key=value")
    ap.add_argument("--missed", action="store_true", help="print each missed or extra finding")
    ap.add_argument("--dump", help="append each organisation's scores to this JSON-lines file")
    args = ap.parse_args(argv)
    overrides = {k: float(v) for k, v in (item.split("=", 1) for item in args.set)}
    module = load(args.old)
    scores, t0 = [], time.time()
    for i in range(args.n):
        s = generate(args.seed + i)
        try:
            result = run(module, s, overrides)
        except Exception as exc:  # noqa: BLE001 - a crash is scored as missing everything
            print(f"seed {s.seed}: {type(exc).__name__}: {str(exc)[:100]}")
            result = None
        scores.append(score(s, result))
        if args.dump:
            with open(args.dump, "a") as out:
                out.write(
                    json.dumps({"seed": s.seed} | {k: v for k, v in scores[-1].items()}) + "\n"
                )
        if args.missed:
            for line in missed(s, result):
                print(line)
    print(f"{args.n} organisations in {time.time() - t0:.0f} s")
    print(table(scores))


if __name__ == "__main__":
    main()
