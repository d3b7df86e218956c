"""Order lines: volumes, prices, discounts, and the delivery dates of each line."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.arrays import _dates, _frame, _ids, _nullable_str, _workday
from salescoach.data.sample.world import _SEGMENT_LINE_BUDGET, LINES_PER_SCALE, NAT


class OrdersPart:
    """Makes the order lines: volumes, prices, discounts and delivery dates."""

    def volume_level(self, day: np.ndarray) -> np.ndarray:
        """Inflation of the size of a purchase."""
        years = (day - self.start) / 365.25
        return 1.03**years

    # ------------------------------------------------------------------ orders

    def orders(self) -> None:
        rng, d, qt = self.rng, self.d, self.quote
        n_cust, nq = len(self.cust_slot), len(self.q_start)

        # Orders from won deals: the quote lines, ordered on the close date.
        won_deals = np.flatnonzero(d["won"])
        wl = np.isin(qt["deal"], won_deals)
        w_deal = qt["deal"][wl]
        w = dict(
            deal=w_deal,
            product=qt["product"][wl],
            qty=qt["qty"][wl],
            list=qt["list"][wl],
            disc=qt["disc"][wl],
            cust=d["cust"][w_deal],
            rep=d["rep"][w_deal],
            day=d["close"][w_deal],
        )

        # Repeat orders: each customer orders at its own rate, seasonally, growing.
        rep_mult = np.ones((len(self.slot_cap), nq))
        rep_mult[self.tops] = 1.25
        if self.low_rep is not None:
            rep_mult[self.low_rep, self.q_start >= self.day_low] = 0.8
        rate = self.cust_rate[:, None] * self.volume[None, :] * rep_mult[self.cust_slot]
        mean_lines = 1 + 1.7
        target_lines = LINES_PER_SCALE * self.scale - len(w_deal)
        rate *= max(target_lines, 1000) / (rate.sum() * mean_lines)
        counts = rng.poisson(rate)
        o_cust = np.repeat(np.repeat(np.arange(n_cust), nq), counts.ravel())
        o_q = np.repeat(np.tile(np.arange(nq), n_cust), counts.ravel())
        o_day = _workday(
            self.q_start[o_q] + (rng.random(len(o_q)) * self.q_len[o_q]).astype(np.int64),
            self.start,
            self.end,
        )
        o_rep = self.rep_of(self.cust_slot[o_cust], o_day)
        n_lines = np.minimum(1 + rng.poisson(1.7, len(o_cust)), 8)
        lo = np.repeat(np.arange(len(o_cust)), n_lines)
        l_cust = o_cust[lo]
        l_prod = self.draw_products(l_cust)
        l_day = o_day[lo]
        l_list = self.price_on(l_prod, l_day)
        budget = (
            _SEGMENT_LINE_BUDGET[self.cust_seg[l_cust]]
            * np.exp(rng.normal(0, 0.5, len(lo)))
            * self.volume_level(l_day)
        )
        l_qty = np.maximum(1, np.round(budget / l_list)).astype(np.int64)
        l_disc = self.cust_discount[l_cust] + rng.normal(0, 0.01, len(lo))
        l_fam = self.prod_family[l_prod]
        l_rep = o_rep[lo]
        if self.over_family is not None:
            l_disc += 0.05 * ((l_fam == self.over_family) & (l_day >= self.day_over))
        l_disc = np.round(np.clip(l_disc, 0, 0.35), 3)
        # Planted problems thin out the repeat business they cost.
        drop = np.zeros(len(lo))
        drop = np.maximum(drop, 0.55 * (self.is_gap[l_rep] & (l_fam == self.gap_family)))
        if self.poor_product is not None:
            drop = np.maximum(
                drop, 0.25 * ((l_prod == self.poor_product) & (l_day >= self.day_poor))
            )
        if self.over_family is not None:
            drop = np.maximum(drop, 0.1 * ((l_fam == self.over_family) & (l_day >= self.day_over)))
        if self.low_rep is not None:
            drop = np.maximum(drop, 0.2 * ((l_rep == self.low_rep) & (l_day >= self.day_low)))
        keep = rng.random(len(lo)) >= drop
        r = dict(
            deal=np.full(keep.sum(), -1),
            product=l_prod[keep],
            qty=l_qty[keep],
            list=l_list[keep],
            disc=l_disc[keep],
            cust=l_cust[keep],
            rep=l_rep[keep],
            day=l_day[keep],
        )
        r_order = lo[keep]

        # All lines, one order per won deal and per repeat order, numbered by date.
        key = np.concatenate([w["deal"], len(d["won"]) + r_order])
        L = {k: np.concatenate([w[k], r[k]]) for k in w}
        order = np.lexsort((key, L["day"]))
        L = {k: v[order] for k, v in L.items()}
        key = key[order]
        new = np.r_[True, key[1:] != key[:-1]]
        # Lines of one order are contiguous only if no other order shares its day and key order.
        o_index = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        line = np.arange(len(key)) - first[o_index] + 1
        n_orders = len(first)

        # Delivery: promised by the slowest line; late more often in the planted department.
        lead = self.prod_lead[L["product"]]
        o_lead = np.maximum.reduceat(lead, first)
        o_day = L["day"][first]
        o_rep = L["rep"][first]
        o_dept = self.rep_dept[o_rep]
        promised = o_day + o_lead + 1
        p_late = np.full(n_orders, 0.07)
        late_dept = np.zeros(n_orders, bool)
        victim = np.zeros(n_orders, bool)
        if self.late_dept is not None:
            late_dept = (o_dept == self.late_dept) & (o_day >= self.day_late)
            p_late = np.where(late_dept, 0.42, p_late)
            if self.victim is not None:
                victim = (o_rep == self.victim) & (o_day >= self.day_late)
                p_late = np.where(victim, 0.62, p_late)
        late = rng.random(n_orders) < p_late
        late_by = np.where(
            late_dept, 5 + rng.gamma(2.0, 5.0, n_orders), 1 + rng.gamma(1.5, 3.0, n_orders)
        ).astype(np.int64)
        transit = rng.integers(1, 4, n_orders)
        on_time_delivery = o_day + np.maximum(
            1, (o_lead * rng.uniform(0.5, 1.0, n_orders)).astype(np.int64)
        )
        delivered = np.where(late, promised + late_by, np.minimum(on_time_delivery, promised))
        shipped = np.maximum(o_day, delivered - transit)
        delivered = np.maximum(delivered, shipped)

        p_cancel = 0.012 + np.where(late, np.where(victim, 0.3, np.where(late_dept, 0.1, 0.05)), 0)
        cancelled = (rng.random(n_orders) < p_cancel) & (promised <= self.end)
        o_status = np.where(
            shipped > self.end, 0, np.where(delivered > self.end, 1, 2)
        )  # open, shipped, delivered
        cancelled &= o_status > 0  # a still-pending order has not been cancelled yet
        l_o = o_index
        l_status = o_status[l_o].copy()
        l_cancel = cancelled[l_o]
        p_return = np.full(len(key), 0.02) + np.where(
            late[l_o], np.where(victim[l_o], 0.12, 0.02), 0
        )
        if self.poor_product is not None:
            p_return = np.where(
                (L["product"] == self.poor_product) & (L["day"] >= self.day_poor), 0.17, p_return
            )
        returned = (
            (rng.random(len(key)) < p_return)
            & (l_status == 2)
            & (delivered[l_o] + 10 <= self.end)
            & ~l_cancel
        )
        status = np.array(["open", "shipped", "delivered", "cancelled", "returned"], dtype=object)[
            np.where(l_cancel, 3, np.where(returned, 4, l_status))
        ]
        l_ship = np.where(l_cancel | (l_status == 0), NAT, shipped[l_o])
        l_deliv = np.where(l_cancel | (l_status < 2), NAT, delivered[l_o])
        unit_price = np.round(L["list"] * (1 - L["disc"]), 2)

        self.o = dict(
            n=n_orders,
            first=first,
            day=o_day,
            rep=o_rep,
            cust=L["cust"][first],
            product=L["product"][first],
            late=late & ~cancelled & (o_status == 2),
            late_by=late_by,
            delivered=delivered,
            status=o_status,
            cancelled=cancelled,
            deal=L["deal"][first],
            promised=promised,
        )
        self.l = dict(
            order=l_o,
            product=L["product"],
            returned=returned,
            cancelled=l_cancel,
            rep=L["rep"],
            day=L["day"],
            delivered=l_deliv,
            cust=L["cust"],
            revenue=np.where(l_cancel | returned, 0.0, L["qty"] * unit_price),
        )
        self.order_id = _ids("O", n_orders, 7)
        deal = L["deal"]
        self.tables["orders"] = _frame(
            "orders",
            {
                "order_id": pd.Series(self.order_id[l_o], dtype="str"),
                "line": line,
                "rep_id": pd.Series(self.rep_id[L["rep"]], dtype="str"),
                "product_id": pd.Series(self.prod_id[L["product"]], dtype="str"),
                "order_date": _dates(L["day"]),
                "quantity": L["qty"],
                "unit_price": unit_price,
                "customer_id": pd.Series(self.cust_id[L["cust"]], dtype="str"),
                "unit_list_price": L["list"],
                "discount": L["disc"],
                "promised_date": _dates(promised[l_o]),
                "shipped_date": _dates(l_ship),
                "delivered_date": _dates(l_deliv),
                "status": pd.Series(status, dtype="str"),
                "deal_id": _nullable_str(self.deal_id[np.maximum(deal, 0)], deal < 0),
            },
        )

    # ------------------------------------------------------------------ service and feedback
