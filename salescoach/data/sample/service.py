"""Service cases, customer feedback and sales activities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.arrays import _dates, _frame, _ids, _nullable_str, _workday
from salescoach.data.sample.world import _PRE_DAYS, NAT


class ServicePart:
    """Makes the service cases, customer feedback and sales activities."""

    def service_and_feedback(self) -> None:
        rng, o, ln, t = self.rng, self.o, self.l, self.t
        svc_seg = self.svc_seg if self.svc_seg is not None else -1
        # Returns: one case per returned line.
        ret = np.flatnonzero(ln["returned"])
        parts = [
            dict(
                kind=np.full(len(ret), 2),
                order=ln["order"][ret],
                product=ln["product"][ret],
                day=o["delivered"][ln["order"][ret]] + rng.integers(2, 10, len(ret)),
            )
        ]
        # Complaints: late orders, and lines of the poor product once it went bad.
        delivered = o["status"] == 2
        p_comp = 0.02 + 0.15 * o["late"]
        comp = np.flatnonzero(delivered & ~o["cancelled"] & (rng.random(o["n"]) < p_comp))
        parts.append(
            dict(
                kind=np.full(len(comp), 1),
                order=comp,
                product=o["product"][comp],
                day=o["delivered"][comp] + rng.integers(0, 6, len(comp)),
            )
        )
        if self.poor_product is not None:
            bad = np.flatnonzero(
                (ln["product"] == self.poor_product)
                & (ln["day"] >= self.day_poor)
                & (ln["delivered"] != NAT)
                & ~ln["returned"]
                & (rng.random(len(ln["product"])) < 0.12)
            )
            parts.append(
                dict(
                    kind=np.full(len(bad), 1),
                    order=ln["order"][bad],
                    product=ln["product"][bad],
                    day=o["delivered"][ln["order"][bad]] + rng.integers(3, 20, len(bad)),
                )
            )
        # Follow-ups after orders from won deals; questions from anyone.
        fu = np.flatnonzero(
            delivered & (o["deal"] >= 0) & ~o["cancelled"] & (rng.random(o["n"]) < 0.5)
        )
        parts.append(
            dict(
                kind=np.full(len(fu), 0),
                order=fu,
                product=o["product"][fu],
                day=o["delivered"][fu] + rng.integers(10, 30, len(fu)),
            )
        )
        qs = np.flatnonzero(rng.random(o["n"]) < 0.06)
        parts.append(
            dict(
                kind=np.full(len(qs), 3),
                order=qs,
                product=o["product"][qs],
                day=o["day"][qs] + rng.integers(1, 40, len(qs)),
            )
        )
        c = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        keep = c["day"] <= self.end
        c = {k: v[keep] for k, v in c.items()}
        c["day"] = _workday(c["day"], self.start, self.end)
        c = {k: v[np.lexsort((c["order"], c["day"]))] for k, v in c.items()}
        n = len(c["day"])
        cust = o["cust"][c["order"]]
        seg = self.cust_seg[cust]
        poor = (seg == svc_seg) & (c["day"] >= self.day_svc)
        mean_days = np.array([1.0, 5.0, 7.0, 2.0])[c["kind"]]
        days_open = rng.gamma(1.5, mean_days / 1.5)
        days_open = np.where(poor, days_open * 3.5 + 4, days_open).astype(np.int64)
        closed = c["day"] + days_open
        is_closed = closed <= self.end
        base = np.array([4.5, 3.4, 3.6, 4.4])[c["kind"]]
        late_order = o["late"][c["order"]]
        score = (
            base
            - 0.06 * np.minimum(days_open, 20)
            - 0.9 * poor
            - 0.4 * late_order
            + rng.normal(0, 0.7, n)
        )
        csat = np.clip(np.round(score), 1, 5)
        answered = is_closed & (rng.random(n) < 0.65)
        kinds = np.array(["follow_up", "complaint", "return", "question"], dtype=object)
        self.tables["service"] = _frame(
            "service",
            {
                "case_id": pd.Series(_ids("SC", n, 6), dtype="str"),
                "customer_id": pd.Series(self.cust_id[cust], dtype="str"),
                "opened_date": _dates(c["day"]),
                "kind": pd.Series(kinds[c["kind"]], dtype="str"),
                "closed_date": _dates(np.where(is_closed, closed, NAT)),
                "order_id": pd.Series(self.order_id[c["order"]], dtype="str"),
                "rep_id": pd.Series(self.rep_id[o["rep"][c["order"]]], dtype="str"),
                "product_id": pd.Series(self.prod_id[c["product"]], dtype="str"),
                "csat": pd.array(np.where(answered, csat, np.nan), dtype="Int64"),
            },
        )

        # Feedback: a survey after delivery on about one order in eight.
        f = np.flatnonzero((o["status"] == 2) & ~o["cancelled"] & (rng.random(o["n"]) < 0.12))
        f_day = o["delivered"][f] + rng.integers(5, 25, len(f))
        f = f[f_day <= self.end]
        f_day = _workday(f_day[f_day <= self.end], self.start, self.end)
        n = len(f)
        product = o["product"][f]
        fam = self.prod_family[product]
        had_return = np.bincount(ln["order"], ln["returned"], minlength=o["n"])[f] > 0
        bad_product = np.zeros(n, bool)
        if self.poor_product is not None:
            poor_lines = (ln["product"] == self.poor_product) & (ln["day"] >= self.day_poor)
            bad_product = (np.bincount(ln["order"], poor_lines, minlength=o["n"])[f] > 0) & (
                rng.random(n) < 0.6
            )
        bad_product |= had_return
        late = o["late"][f]
        pricey = (
            (fam == self.over_family) & (o["day"][f] >= self.day_over)
            if self.over_family is not None
            else np.zeros(n, bool)
        )
        slow = (self.cust_seg[o["cust"][f]] == svc_seg) & (f_day >= self.day_svc)
        score = (
            8.4
            + rng.normal(0, 1.2, n)
            - 3.6 * bad_product
            - np.where(late, 2.0 + 0.1 * np.minimum(o["late_by"][f], 20), 0)
            - 1.3 * pricey
            - 1.4 * slow
        )
        score = np.clip(np.round(score), 0, 10).astype(np.int64)
        topic = np.where(
            bad_product,
            "product",
            np.where(
                late,
                "late",
                np.where(
                    pricey & (score <= 7),
                    "price",
                    np.where(
                        slow & (score <= 7), "service", np.where(score >= 9, "positive", "neutral")
                    ),
                ),
            ),
        )
        comments = np.empty(n, dtype=object)
        for name, options in t["comments"].items():
            m = topic == name
            comments[m] = np.array(options, dtype=object)[rng.integers(len(options), size=m.sum())]
        silent = rng.random(n) < np.where(topic == "neutral", 0.7, 0.3)
        self.tables["feedback"] = _frame(
            "feedback",
            {
                "feedback_id": pd.Series(_ids("FB", n, 6), dtype="str"),
                "customer_id": pd.Series(self.cust_id[o["cust"][f]], dtype="str"),
                "date": _dates(f_day),
                "score": score,
                "comment": _nullable_str(comments, silent),
                "rep_id": pd.Series(self.rep_id[o["rep"][f]], dtype="str"),
                "product_id": pd.Series(self.prod_id[product], dtype="str"),
            },
        )

    # ------------------------------------------------------------------ activities

    def activities(self) -> None:
        rng, d = self.rng, self.d
        # Touches on each deal, between creation and close (or today).
        deal = np.repeat(np.arange(d["n"]), d["touches"])
        stop = np.minimum(np.where(d["open"], self.end, d["close"]), self.end)
        span = np.maximum(stop - d["day"], 0)[deal]
        a_day = d["day"][deal] + (rng.random(len(deal)) * (span + 1)).astype(np.int64)
        a_day = _workday(a_day, self.start - _PRE_DAYS, self.end)
        a_rep = self.rep_of(d["slot"][deal], a_day)
        a_kind = rng.choice(4, len(deal), p=[0.38, 0.32, 0.18, 0.12])
        a_cust = d["cust"][deal]
        a_deal = deal
        # Sales engineers run a demo or two on the deals they support.
        sup = np.flatnonzero(d["support"] >= 0)
        sk = 1 + rng.poisson(0.6, len(sup))
        sd = np.repeat(sup, sk)
        s_day = d["day"][sd] + (
            rng.random(len(sd)) * (np.maximum(stop - d["day"], 0)[sd] + 1)
        ).astype(np.int64)
        # Account work not tied to a deal, per seller slot and quarter.
        n_slots, nq = len(self.slot_cap), len(self.q_start)
        base = 6 * 13 * (self.q_len / 91.25)
        mult = np.ones((n_slots, nq))
        mult[self.tops] = 1.3
        if self.low_rep is not None:
            mult[self.low_rep, self.q_start >= self.day_low] = 0.35
        counts = rng.poisson(base[None, :] * mult * np.sqrt(self.slot_cap)[:, None])
        g_slot = np.repeat(np.repeat(np.arange(n_slots), nq), counts.ravel())
        g_q = np.repeat(np.tile(np.arange(nq), n_slots), counts.ravel())
        g_day = self.q_start[g_q] + (rng.random(len(g_q)) * self.q_len[g_q]).astype(np.int64)
        g_day = _workday(g_day, self.start, self.end)
        g_rep = self.rep_of(g_slot, g_day)
        g_cust = self.book[
            self.book_start[g_slot]
            + (rng.random(len(g_slot)) * self.book_size[g_slot]).astype(np.int64)
        ]
        g_kind = rng.choice(4, len(g_slot), p=[0.5, 0.4, 0.1, 0.0])

        day = np.concatenate([a_day, _workday(s_day, self.start - _PRE_DAYS, self.end), g_day])
        rep = np.concatenate([a_rep, d["support"][sd], g_rep])
        kind = np.concatenate([a_kind, np.full(len(sd), 3), g_kind])
        cust = np.concatenate([a_cust, d["cust"][sd], g_cust])
        deal_ix = np.concatenate([a_deal, sd, np.full(len(g_slot), -1)])
        # Touches on deals opened before the history began are not part of it.
        order = np.lexsort((rep, day))
        order = order[day[order] >= self.start]
        kinds = np.array(["call", "email", "meeting", "demo"], dtype=object)
        self.tables["activities"] = _frame(
            "activities",
            {
                "activity_id": pd.Series(_ids("A", len(order), 7), dtype="str"),
                "rep_id": pd.Series(self.rep_id[rep[order]], dtype="str"),
                "date": _dates(day[order]),
                "kind": pd.Series(kinds[kind[order]], dtype="str"),
                "customer_id": pd.Series(self.cust_id[cust[order]], dtype="str"),
                "deal_id": _nullable_str(
                    self.deal_id[np.maximum(deal_ix[order], 0)], deal_ix[order] < 0
                ),
            },
        )

    # ------------------------------------------------------------------ courses and training
