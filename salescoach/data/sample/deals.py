"""Deals: who works them, how they are won or lost, and with which technique."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.arrays import (
    _categorical,
    _dates,
    _frame,
    _ids,
    _nullable_str,
    _workday,
)
from salescoach.data.sample.world import (
    _LOST_REASONS,
    _NORMAL_LOSS,
    _PRE_DAYS,
    _PROBLEM_LOSS,
    _SEASON,
    _SEGMENT_CYCLE_DAYS,
    _SEGMENT_DEAL_BUDGET,
    _SEGMENT_DISCOUNT,
    _SEGMENT_WIN,
    _SOURCE_WIN,
    _SOURCES,
    _TECHNIQUE_WIN,
    DEALS_PER_SCALE,
    NAT,
)


class DealsPart:
    """Makes the deals: who works them, whether they are won or lost, and how."""

    def activity_mult(self, rep: np.ndarray, day: np.ndarray) -> np.ndarray:
        m = np.where(self.is_top[rep], 1.3, 1.0)
        if self.low_rep is not None:
            m = np.where((rep == self.low_rep) & (day >= self.day_low), 0.4, m)
        return m

    def deals(self) -> None:
        rng = self.rng
        n_slots, nq = len(self.slot_cap), len(self.q_start)
        slot_mult = np.ones((n_slots, nq))
        slot_mult[self.tops] = 1.15
        if self.low_rep is not None:
            slot_mult[self.low_rep, self.q_start >= self.day_low] = 0.6
        lam = self.slot_cap[:, None] * self.volume[None, :] * slot_mult
        lam *= DEALS_PER_SCALE * self.scale / lam.sum()
        counts = rng.poisson(lam)
        slot = np.repeat(np.repeat(np.arange(n_slots), nq), counts.ravel())
        q = np.repeat(np.tile(np.arange(nq), n_slots), counts.ravel())
        day = self.q_start[q] + (rng.random(len(q)) * self.q_len[q]).astype(np.int64)
        # The pipeline is already full on day one: deals opened in the year before the
        # history that close inside it are kept (those that closed earlier are dropped below).
        first = pd.Period(self.q_labels[0].replace("-", ""), freq="Q")
        before = np.mean([_SEASON[(first - k).quarter] for k in (1, 2, 3, 4)]) / self.q_season[0]
        pre = rng.poisson(lam[:, 0] * before * _PRE_DAYS / self.q_len[0] / 1.06)
        slot = np.concatenate([np.repeat(np.arange(n_slots), pre), slot])
        day = np.concatenate([self.start - 1 - rng.integers(0, _PRE_DAYS, pre.sum()), day])
        day = _workday(day, self.start - _PRE_DAYS, self.end)
        cust = self.book[
            self.book_start[slot] + (rng.random(len(slot)) * self.book_size[slot]).astype(np.int64)
        ]
        source = rng.choice(3, len(slot), p=[0.2, 0.3, 0.5])

        # Campaign leads: customers of the targeted segment, during the campaign.
        c_slot, c_day, c_cust, c_src = [slot], [day], [cust], [source]
        for c in range(len(self.camp_id)):
            members = np.flatnonzero(self.cust_seg == self.camp_seg[c])
            k = rng.poisson(self.camp_spend[c] / (110 if c == self.bad_campaign else 160))
            cc = rng.choice(members, k)
            c_cust.append(cc)
            c_slot.append(self.cust_slot[cc])
            d = rng.integers(self.camp_start[c], self.camp_stop[c] + 1, k)
            c_day.append(_workday(d, self.start, self.end))
            c_src.append(np.full(k, 3 + c))
        slot, day, cust, source = (np.concatenate(x) for x in (c_slot, c_day, c_cust, c_src))
        rep = self.rep_of(slot, day)
        # A replacement ramps up: fewer deals in the first three months.
        ramp = np.isin(rep, self.slot_rep2[self.leave_slots]) & (day < self.rep_hire[rep] + 90)
        keep = ~(ramp & (rng.random(len(rep)) < 0.4))
        # Leads come in date order, as a CRM numbers them.
        order = np.lexsort((rng.random(keep.sum()), day[keep]))
        slot, day, cust, source, rep = (x[keep][order] for x in (slot, day, cust, source, rep))
        seg = self.cust_seg[cust]
        cycle = 1 + rng.gamma(2.0, _SEGMENT_CYCLE_DAYS[seg] / 2.0).astype(np.int64)
        close = day + cycle
        close = np.where(close > self.end, close, _workday(close, day, self.end + 10**6))
        inside = close >= self.start
        slot, day, cust, source, rep, seg, close = (
            x[inside] for x in (slot, day, cust, source, rep, seg, close)
        )
        n = len(day)
        product = self.draw_products(cust)
        fam = self.prod_family[product]
        tech = _categorical(rng, self.rep_tech_cum[rep])
        dept = self.rep_dept[rep]

        # Support staff join bigger, technical deals from their own department.
        p_sup = 0.12 + 0.18 * (seg == 0) + 0.08 * (seg == 3) + 0.1 * (self.prod_lead[product] >= 14)
        sup_flag = rng.random(n) < p_sup
        sup_by_dept = [
            self.support_idx[self.rep_dept[self.support_idx] == d]
            for d in range(len(self.departments))
        ]
        support = np.full(n, -1)
        for d, members in enumerate(sup_by_dept):
            m = sup_flag & (dept == d)
            if len(members):
                support[m] = rng.choice(members, m.sum())

        # Deal-linked activities: more touches, better odds.
        touches = rng.poisson(4.0 * self.activity_mult(rep, day))
        src_win = np.where(source < 3, _SOURCE_WIN[np.minimum(source, 2)], 0.95)
        p = (
            0.36
            * self.rep_skill[rep]
            * _TECHNIQUE_WIN[tech]
            * src_win
            * _SEGMENT_WIN[seg]
            * np.where(support >= 0, 1.15, 1.0)
            * (0.8 + 0.05 * np.minimum(touches, 8))
        )
        p = np.minimum(p, 0.85)

        open_ = close > self.end
        # Quote lines: the deal's product first, then others of the same family or any.
        n_lines = np.minimum(1 + rng.poisson(0.9, n), 5)
        deal_of_line = np.repeat(np.arange(n), n_lines)
        first = np.r_[0, np.cumsum(n_lines)[:-1]]
        line_no = np.arange(len(deal_of_line)) - first[deal_of_line] + 1
        line_prod = self.draw_products(cust[deal_of_line])
        same = rng.random(len(line_prod)) < 0.5
        same_fam_prod = self.fam_products[
            fam[deal_of_line], rng.integers(self.fam_products.shape[1], size=len(line_prod))
        ]
        line_prod = np.where(same, same_fam_prod, line_prod)
        line_prod[first] = product
        budget = _SEGMENT_DEAL_BUDGET[seg] * np.exp(rng.normal(0, 0.6, n)) * self.volume_level(day)
        line_budget = (
            budget[deal_of_line]
            / n_lines[deal_of_line]
            * np.exp(rng.normal(0, 0.3, len(line_prod)))
        )
        line_budget[first] *= 1.6
        price_day = np.where(open_, day, close)
        list_price = self.price_on(line_prod, price_day[deal_of_line])
        qty = np.maximum(1, np.round(line_budget / list_price)).astype(np.int64)
        disc = _SEGMENT_DISCOUNT[seg] + rng.normal(0, 0.03, n) - 0.01 * self.is_top[rep]
        if self.over_family is not None:
            disc += 0.07 * ((fam == self.over_family) & (price_day >= self.day_over))
        disc = np.round(np.clip(disc, 0, 0.35), 3)
        unit_price = np.round(list_price * (1 - disc[deal_of_line]), 2)
        amount = np.round(np.bincount(deal_of_line, qty * unit_price, minlength=n), 2)

        if len(self.victim_pool):
            self.victim = self.typical(self.victim_pool, rep, amount)

        # Planted problems: a multiplier on the odds and the code of the reason it cost.
        m = np.ones(n)
        code = np.zeros(n, int)

        def hit(mask, factor, c, force=False):
            nonlocal m, code
            # The strongest problem names the reason, unless this one is the story (force).
            stronger = mask & (factor < 1) & ((code == 0) | (factor < m) | force)
            code = np.where(stronger, c, code)
            m = np.where(mask, m * factor, m)

        if self.poor_product is not None:
            hit((product == self.poor_product) & (close >= self.day_poor), 0.5, 1)
        if self.over_family is not None:
            hit((fam == self.over_family) & (close >= self.day_over), 0.6, 2)
        if self.late_dept is not None:
            hit((dept == self.late_dept) & (close >= self.day_late), 0.95, 3)
            if self.victim is not None:
                hit((rep == self.victim) & (close >= self.day_late), 0.75, 3, force=True)
        if self.bad_campaign is not None:
            hit(source == 3 + self.bad_campaign, 0.22, 4)
        if self.gap_reps:
            hit(self.is_gap[rep] & (fam == self.gap_family), 0.25, 5, force=True)
        if self.low_rep is not None:
            hit((rep == self.low_rep) & (day >= self.day_low), 0.4, 6, force=True)

        u = rng.random(n)
        won = ~open_ & (u < p * m)
        problem_loss = ~open_ & ~won & (u < p) & (code > 0)
        probs = np.array([_NORMAL_LOSS] + [_PROBLEM_LOSS[k] for k in range(1, 7)])
        reason = _categorical(rng, np.cumsum(probs, axis=1)[np.where(problem_loss, code, 0)])
        lost = ~open_ & ~won
        stage = np.where(won, "won", np.where(lost, "lost", "open"))
        # Leads of a deal lost to a reassignment keep the holder on the close date.
        rep = np.where(open_, rep, self.rep_of(slot, np.minimum(close, self.end)))

        self.d = dict(
            n=n,
            rep=rep,
            slot=slot,
            day=day,
            close=close,
            cust=cust,
            product=product,
            source=source,
            won=won,
            lost=lost,
            open=open_,
            support=support,
            touches=touches,
            seg=seg,
            amount=amount,
        )
        self.quote = dict(
            deal=deal_of_line,
            line=line_no,
            product=line_prod,
            qty=qty,
            list=list_price,
            disc=disc[deal_of_line],
            price=unit_price,
        )
        self.deal_id = _ids("D", n, 6)
        source_text = np.array(list(_SOURCES) + list(self.camp_id), dtype=object)[source]
        reasons = np.array(_LOST_REASONS, dtype=object)[reason]
        self.tables["deals"] = _frame(
            "deals",
            {
                "deal_id": pd.Series(self.deal_id, dtype="str"),
                "rep_id": pd.Series(self.rep_id[rep], dtype="str"),
                "stage": pd.Series(stage, dtype="str"),
                "created_date": _dates(day),
                "close_date": _dates(np.where(open_, NAT, close)),
                "amount": amount,
                "customer_id": pd.Series(self.cust_id[cust], dtype="str"),
                "product_id": pd.Series(self.prod_id[product], dtype="str"),
                "lost_reason": _nullable_str(reasons, ~lost),
                "technique": pd.Series(
                    np.array(self.t["techniques"], dtype=object)[tech], dtype="str"
                ),
                "lead_source": pd.Series(source_text, dtype="str"),
                "support_rep_id": _nullable_str(self.rep_id[np.maximum(support, 0)], support < 0),
            },
        )

    def typical(self, pool: np.ndarray, rep: np.ndarray, amount: np.ndarray) -> int:
        """A seller of the pool whose deal count and deal size sit near the company's medians."""
        sellers = np.setdiff1d(np.arange(self.n_sellers), self.leave_slots)
        counts = np.bincount(rep, minlength=len(self.rep_id)).astype(float)
        order = np.argsort(rep, kind="stable")
        bounds = np.r_[0, np.cumsum(counts.astype(int))]
        sizes = np.array(
            [
                np.median(amount[order[bounds[i] : bounds[i + 1]]]) if counts[i] else 0.0
                for i in range(len(counts))
            ]
        )
        score = np.maximum(
            np.abs(np.log((counts + 1) / np.median(counts[sellers] + 1))),
            np.abs(np.log((sizes + 1) / np.median(sizes[sellers] + 1))),
        )
        near = pool[np.argsort(score[pool], kind="stable")[: max(1, len(pool) // 4)]]
        return int(self.rng.choice(near))
