"""Which problems are planted where, and the ground truth written about them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.arrays import _dates, _late_share


class ProblemsPart:
    """Chooses where each problem is planted and writes the ground truth about it."""

    def _quarter_start_label(self, back: int) -> tuple[int, str]:
        q = len(self.q_start) - back
        return int(self.q_start[q]), self.q_labels[q]

    def _pick(self, want, pool: np.ndarray, labels, what: str):
        """Index chosen for a single-place problem: the seed's choice, or the one asked for."""
        if want is False or want is None:
            return None
        if want is True:
            return int(self.rng.choice(pool))
        matches = [i for i, v in enumerate(labels) if v == want]
        if not matches:
            raise ValueError(
                f"Problems: no {what} {want!r} in this sample; known: {', '.join(map(str, labels))}"
            )
        return matches[0]

    def choose_problems(self) -> None:
        rng, w = self.rng, self.want
        n_fam = len(self.family_names)
        recent = lambda: self._quarter_start_label(int(rng.integers(3, 5)))  # noqa: E731
        self.p_from = {}
        # Products and families: keep the product, price and training problems apart.
        fam_order = list(rng.permutation(n_fam))
        self.poor_product = self._pick(
            w.poor_product,
            np.flatnonzero(self.prod_family == fam_order[0]),
            list(self.prod_id),
            "product",
        )
        used = (
            {int(self.prod_family[self.poor_product])} if self.poor_product is not None else set()
        )
        free = [f for f in fam_order if f not in used] or fam_order
        self.over_family = self._pick(
            w.overpriced_family, np.array(free[:1]), self.family_names, "family"
        )
        if self.over_family is not None:
            used.add(self.over_family)
        free = [f for f in fam_order if f not in used] or fam_order
        self.gap_family = int(free[0])
        self.late_dept = self._pick(
            w.late_department, np.arange(len(self.departments)), self.departments, "department"
        )
        self.svc_seg = self._pick(
            w.poor_service_segment, np.arange(4), self.t["segments"], "segment"
        )
        for key in (
            "poor_product",
            "overpriced_family",
            "late_department",
            "poor_service_segment",
            "low_activity",
        ):
            self.p_from[key] = recent()

        self.bad_campaign = None
        if w.wrong_campaign is not False:
            # A recent campaign whose leads have had time to close.
            eligible = np.flatnonzero(
                (self.camp_start >= self.end - 400) & (self.camp_stop <= self.end - 75)
            )
            if len(eligible) == 0:
                eligible = np.array([len(self.camp_start) // 2])
            self.bad_campaign = self._pick(
                w.wrong_campaign, eligible, list(self.camp_id), "campaign"
            )
            self.p_from["wrong_campaign"] = (
                int(self.q_start[self.quarter_of(self.camp_start[[self.bad_campaign]])[0]]),
                self.q_labels[self.quarter_of(self.camp_start[[self.bad_campaign]])[0]],
            )
            # Aimed at a segment that rarely buys what it promoted; its leads come from there.
            self.camp_seg[self.bad_campaign] = int(rng.choice([0, 3]))

        # Reps: incumbents that hold their slot for the whole history.
        steady = np.setdiff1d(np.arange(self.n_sellers), self.leave_slots)
        taken: set[int] = set()
        in_late = self.rep_dept[steady] == (self.late_dept if self.late_dept is not None else -1)

        def reps(want, default_count: tuple[int, int], prefer_outside_late: bool) -> list[int]:
            if isinstance(want, tuple):
                idx = []
                for rid in want:
                    hits = np.flatnonzero(self.rep_id == rid)
                    if len(hits) == 0 or hits[0] >= self.n_sellers:
                        raise ValueError(f"Problems: {rid!r} is not a seller of this sample")
                    idx.append(int(hits[0]))
                taken.update(idx)
                return idx
            count = int(rng.integers(*default_count)) if want is None else int(want)
            pool = [i for i in steady[~in_late] if i not in taken] if prefer_outside_late else []
            if len(pool) < count:
                pool = [i for i in steady if i not in taken]
            chosen = [int(i) for i in rng.choice(pool, min(count, len(pool)), replace=False)]
            taken.update(chosen)
            return chosen

        self.gap_reps = reps(w.training_gap, (2, 4), True)
        low = w.low_activity_rep
        chosen = reps((low,) if isinstance(low, str) else 1, (1, 2), True) if low else []
        self.low_rep = chosen[0] if chosen else None
        self.tops = reps(w.top_performers, (3, 5), True)
        # The victim is picked once deals exist (see deals), among typical sellers of the department.
        self.victim, self.victim_pool = None, np.array([], dtype=int)
        if w.late_delivery_victim and self.late_dept is not None:
            if isinstance(w.late_delivery_victim, str):
                self.victim = reps((w.late_delivery_victim,), (1, 2), False)[0]
                if self.rep_dept[self.victim] != self.late_dept:
                    raise ValueError(
                        "Problems: the late-delivery victim must work in the late department"
                    )
            else:
                self.victim_pool = np.array(
                    [i for i in steady[in_late] if i not in taken], dtype=int
                )
        elif isinstance(w.late_delivery_victim, str):
            raise ValueError("Problems: a late-delivery victim needs the late department planted")

        n_reps = len(self.rep_id)
        self.is_gap = np.zeros(n_reps, bool)
        self.is_gap[self.gap_reps] = True
        self.is_top = np.zeros(n_reps, bool)
        self.is_top[self.tops] = True
        # Top performers are more skilled and favour the techniques that win.
        self.rep_skill[self.tops] = np.maximum(self.rep_skill[self.tops], 1.0) * 1.25
        best = np.cumsum([0.5, 0.25, 0.15, 0.08, 0.02])
        self.rep_tech_cum[self.tops] = (self.rep_tech_cum[self.tops] + best) / 2
        self.start_day = {k: v[0] for k, v in self.p_from.items()}
        big = np.iinfo(np.int64).max
        self.day_poor = (
            self.start_day.get("poor_product", big) if self.poor_product is not None else big
        )
        self.day_over = self.start_day["overpriced_family"] if self.over_family is not None else big
        self.day_late = self.start_day["late_department"] if self.late_dept is not None else big
        self.day_svc = self.start_day["poor_service_segment"] if self.svc_seg is not None else big
        self.day_low = self.start_day["low_activity"] if self.low_rep is not None else big

    # ------------------------------------------------------------------ deals

    def record_truth(self) -> None:
        """Ground truth, with notes that quote the strength actually generated."""
        truth = self.truth
        deals, orders = self.tables["deals"], self.tables["orders"]
        products = self.tables["products"]
        closed = deals[deals["stage"] != "open"]
        fam_of = dict(zip(products["product_id"], products["family"]))

        def win_rate(mask) -> float:
            part = closed[mask]
            return float((part["stage"] == "won").mean()) if len(part) else float("nan")

        def pct(x: float) -> str:
            return f"{100 * x:.0f}%"

        def rep_entry(problem, cause, r, period_from, note, **extra) -> dict:
            return dict(
                problem=problem,
                cause=cause,
                scope="rep",
                scope_id=str(self.rep_id[r]),
                period_from=period_from,
                note=note,
                name=str(self.rep_name[r]),
                team=self.teams[self.rep_team[r]],
                department=self.departments[self.rep_dept[r]],
                **extra,
            )

        since = lambda key: pd.Timestamp(_dates(np.array([self.start_day[key]]))[0])  # noqa: E731
        if self.poor_product is not None:
            pid = str(self.prod_id[self.poor_product])
            recent = since("poor_product")
            lines = orders[orders["order_date"] >= recent]
            done = lines[lines["status"].isin(["delivered", "returned"])]
            ret = done.groupby(done["product_id"] == pid)["status"].apply(
                lambda s: (s == "returned").mean()
            )
            truth.append(
                dict(
                    problem="poor_product",
                    cause="product",
                    scope="product",
                    scope_id=pid,
                    period_from=self.p_from["poor_product"][1],
                    note=(
                        f"Product {pid} ({products.set_index('product_id').loc[pid, 'name']}) turned bad from "
                        f"{self.p_from['poor_product'][1]}: {pct(ret.get(True, 0))} of its delivered lines returned "
                        f"(others {pct(ret.get(False, 0))}), many complaints and low feedback ('broke after a week'), "
                        f"win rate since then {pct(win_rate((closed['product_id'] == pid) & (closed['close_date'] >= recent)))} "
                        f"vs {pct(win_rate((closed['product_id'] == pid) & (closed['close_date'] < recent)))} before; "
                        "lost deals mostly give lost_reason product."
                    ),
                )
            )
        if self.over_family is not None:
            fam = self.family_names[self.over_family]
            recent = since("overpriced_family")
            is_fam = closed["product_id"].map(fam_of) == fam
            after = closed["close_date"] >= recent
            lost = closed[(closed["stage"] == "lost") & after]
            price_share = lost.groupby(lost["product_id"].map(fam_of) == fam)["lost_reason"].apply(
                lambda s: (s == "price").mean()
            )
            market = self.tables["market"]
            cpi = market.loc[
                (market["product_family"] == fam)
                & (pd.PeriodIndex(market["period"], freq="Q").start_time >= recent),
                "competitor_price_index",
            ].mean()
            fam_lines = orders[orders["product_id"].map(fam_of) == fam]
            deeper = (
                fam_lines.loc[fam_lines["order_date"] >= recent, "discount"].mean()
                - fam_lines.loc[fam_lines["order_date"] < recent, "discount"].mean()
            )
            truth.append(
                dict(
                    problem="overpriced_family",
                    cause="price",
                    scope="family",
                    scope_id=fam,
                    period_from=self.p_from["overpriced_family"][1],
                    note=(
                        f"Competitors undercut the {fam} family from {self.p_from['overpriced_family'][1]} "
                        f"(competitor_price_index {cpi:.2f}): win rate {pct(win_rate(is_fam & after))} vs "
                        f"{pct(win_rate(is_fam & ~after))} before, {pct(price_share.get(True, 0))} of its lost deals "
                        f"lost on price (other families {pct(price_share.get(False, 0))}), discounts "
                        f"{100 * deeper:.0f} points deeper on its order lines."
                    ),
                )
            )
        if self.late_dept is not None:
            dept = self.departments[self.late_dept]
            recent = since("late_department")
            reps = self.tables["reps"].set_index("rep_id")["department"]
            done = orders[
                (orders["order_date"] >= recent) & orders["delivered_date"].notna()
            ].drop_duplicates("order_id")
            late = (
                (done["delivered_date"] > done["promised_date"])
                .groupby(done["rep_id"].map(reps) == dept)
                .mean()
            )
            truth.append(
                dict(
                    problem="late_department",
                    cause="delivery",
                    scope="department",
                    scope_id=dept,
                    period_from=self.p_from["late_department"][1],
                    note=(
                        f"Deliveries in {dept} run late from {self.p_from['late_department'][1]}: "
                        f"{pct(late.get(True, 0))} of its delivered orders arrived after promised_date "
                        f"(other departments {pct(late.get(False, 0))}), often 1-3 weeks late; more cancellations, "
                        "complaints and 'late delivery' feedback. Its other sellers land a little below goal "
                        f"({pct(self._dept_attainment(self.late_dept, self.day_late))} since then)."
                    ),
                )
            )
        if self.svc_seg is not None:
            seg = self.t["segments"][self.svc_seg]
            svc = self.tables["service"]
            svc = svc[svc["opened_date"] >= since("poor_service_segment")]
            segs = self.tables["customers"].set_index("customer_id")["segment"]
            is_seg = svc["customer_id"].map(segs) == seg
            days = (svc["closed_date"] - svc["opened_date"]).dt.days
            truth.append(
                dict(
                    problem="poor_service_segment",
                    cause="service",
                    scope="segment",
                    scope_id=seg,
                    period_from=self.p_from["poor_service_segment"][1],
                    note=(
                        f"Service for {seg} customers slipped from {self.p_from['poor_service_segment'][1]}: cases take a "
                        f"median {days[is_seg].median():.0f} days to close (others {days[~is_seg].median():.0f}), mean CSAT "
                        f"{svc.loc[is_seg, 'csat'].mean():.1f} vs {svc.loc[~is_seg, 'csat'].mean():.1f}; "
                        "feedback mentions slow support."
                    ),
                )
            )
        if self.bad_campaign is not None:
            cid = str(self.camp_id[self.bad_campaign])
            is_c = closed["lead_source"] == cid
            other = closed["lead_source"].str.startswith("CMP") & ~is_c
            truth.append(
                dict(
                    problem="wrong_campaign",
                    cause="marketing",
                    scope="campaign",
                    scope_id=cid,
                    period_from=self.p_from["wrong_campaign"][1],
                    target_segment=self.t["segments"][self.camp_seg[self.bad_campaign]],
                    note=(
                        f"Campaign {cid} targeted {self.t['segments'][self.camp_seg[self.bad_campaign]]}, a segment that "
                        f"does not buy what it promoted: {int(is_c.sum())} closed leads, win rate {pct(win_rate(is_c))} "
                        f"vs {pct(win_rate(other))} for the other campaigns; lost leads end in no_decision or other."
                    ),
                )
            )
        if self.gap_reps:
            fam = self.family_names[self.gap_family]
            course = str(self.course_id[self.gap_family])
            is_fam = closed["product_id"].map(fam_of) == fam
            for r in self.gap_reps:
                mine = closed["rep_id"] == self.rep_id[r]
                truth.append(
                    rep_entry(
                        "training_gap",
                        "training",
                        r,
                        self.q_labels[0],
                        (
                            f"{self.rep_name[r]} never took the {fam} product course ({course}) and loses on that family: "
                            f"win rate {pct(win_rate(mine & is_fam))} on {fam} vs {pct(win_rate(mine & ~is_fam))} on other "
                            f"families (peers on {fam}: {pct(win_rate(~mine & is_fam))}); repeat orders of {fam} from their "
                            f"customers about halved. Attainment {pct(self._attainment(r))} over the history."
                        ),
                        family=fam,
                        course_id=course,
                    )
                )
        if self.low_rep is not None:
            r = self.low_rep
            recent = since("low_activity")
            acts = self.tables["activities"]
            acts = acts[
                (acts["date"] >= recent)
                & self.tables["activities"]["rep_id"].isin(self.rep_id[: self.n_sellers])
            ]
            per_rep = acts.groupby("rep_id").size()
            mine = closed["rep_id"] == self.rep_id[r]
            after = closed["close_date"] >= recent
            truth.append(
                rep_entry(
                    "low_activity",
                    "rep",
                    r,
                    self.p_from["low_activity"][1],
                    (
                        f"{self.rep_name[r]} slowed down from {self.p_from['low_activity'][1]}: {per_rep.get(self.rep_id[r], 0)} "
                        f"activities since then vs a median of {per_rep.median():.0f} for sellers, fewer new deals, win rate "
                        f"{pct(win_rate(mine & after))} vs {pct(win_rate(~mine & after))} for peers; attainment "
                        f"{pct(self._attainment(r, self.day_low))} since then. Products, prices, delivery and service are normal."
                    ),
                )
            )
        if self.victim is not None:
            r = self.victim
            recent = since("late_department")
            mine = orders[(orders["rep_id"] == self.rep_id[r]) & (orders["order_date"] >= recent)]
            lost_share = mine["status"].isin(["cancelled", "returned"]).mean()
            late_share = _late_share(mine)
            truth.append(
                rep_entry(
                    "late_delivery_victim",
                    "late_delivery_victim",
                    r,
                    self.p_from["late_department"][1],
                    (
                        f"{self.rep_name[r]} works in {self.departments[self.late_dept]} and misses goal only because of late "
                        f"deliveries: {pct(late_share)} of their delivered orders arrived late, {pct(lost_share)} of their order lines since "
                        f"{self.p_from['late_department'][1]} were cancelled or returned, extra lost deals give timing or "
                        f"service; activity, deal size and conversion otherwise like peers (their win rate dips only by the deals lost on timing or service). Attainment "
                        f"{pct(self._attainment(r, self.day_late))} since then. Coaching will not fix it; delivery will."
                    ),
                )
            )
        for r in self.tops:
            truth.append(
                rep_entry(
                    "top_performer",
                    "top_performer",
                    r,
                    self.q_labels[0],
                    (
                        f"{self.rep_name[r]} beats goal clearly: attainment {pct(self._attainment(r))} over the history, "
                        "more activity, higher win rate, better techniques, more courses with higher scores."
                    ),
                )
            )

    def _dept_attainment(self, dept: int, since_day: int) -> float:
        """Attainment of a department's sellers since a day, leaving out the planted reps."""
        planted = set(self.gap_reps) | set(self.tops) | {self.low_rep, self.victim}
        members = [
            r
            for r in range(len(self.rep_id))
            if self.rep_dept[r] == dept and self.rep_role[r] == "seller" and r not in planted
        ]
        qs = self.q_start >= since_day
        rev = self.revenue[np.ix_(members, qs)]
        target = rev / self.attainment[np.ix_(members, qs)]
        ok = ~np.isnan(target)
        return float(rev[ok].sum() / target[ok].sum()) if ok.any() else float("nan")

    def _attainment(self, r: int, since_day: int | None = None) -> float:
        qs = np.ones(len(self.q_start), bool) if since_day is None else self.q_start >= since_day
        rev = self.revenue[r, qs]
        target = rev / self.attainment[r, qs]
        ok = ~np.isnan(target)
        return float(rev[ok].sum() / target[ok].sum()) if ok.any() else float("nan")
