"""Reps, teams and departments, the product catalogue, customers and the campaign plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.arrays import _categorical, _dates, _dedupe, _frame, _ids, _translit
from salescoach.data.sample.world import (
    _ENGLISH_FIRST,
    _ENGLISH_SURNAMES,
    _FAMILIES,
    _GREEK_FEMALE,
    _GREEK_MALE,
    _GREEK_SURNAMES,
    _SEGMENT_DISCOUNT,
    _SEGMENT_FIT,
    _SEGMENT_ORDER_RATE,
    _SEGMENT_SHARE,
    CUSTOMERS_PER_SCALE,
    NAT,
    SELLERS_PER_SCALE,
)


class OrganisationPart:
    """Makes the reps, teams and departments, the catalogue, the customers and the campaign plan."""

    def market(self) -> None:
        rng = self.rng
        nq = len(self.q_start)
        # Year-on-year market growth per quarter; the company sells about 2 points more each year
        # than the market grows, and baskets grow with inflation (about 3%).
        self.market_growth = np.round(
            0.045 + 0.012 * np.sin(np.arange(nq + 1) / 2.2) + rng.normal(0, 0.008, nq + 1), 3
        )
        level = np.cumprod((1 + self.market_growth[:nq] + 0.02) ** 0.25)
        self.volume = level / level.mean() * self.q_season * (self.q_len / 91.25)

    # ------------------------------------------------------------------ people

    def _people(self, n: int, greek_share: float) -> list[tuple[str, str]]:
        """n distinct (name, email local part) pairs."""
        rng = self.rng
        greek = np.zeros(n, bool)
        greek[rng.permutation(n)[: max(3, round(n * greek_share))]] = True
        names: list[str] = []
        taken: set[str] = set()
        for g in greek:
            for _ in range(50):
                if g:
                    female = rng.random() < 0.45
                    first = rng.choice(_GREEK_FEMALE if female else _GREEK_MALE)
                    last = _GREEK_SURNAMES[rng.integers(len(_GREEK_SURNAMES))][1 if female else 0]
                else:
                    first = rng.choice(_ENGLISH_FIRST)
                    last = rng.choice(_ENGLISH_SURNAMES)
                name = f"{first} {last}"
                if name not in taken:
                    break
            else:
                name = f"{name} {len(names) + 1}"
            taken.add(name)
            names.append(str(name))
        emails, seen = [], set()
        for name in names:
            local = ".".join(_translit(part) for part in name.split(" "))
            while local in seen:
                local += str(len(seen) % 10)
            seen.add(local)
            emails.append(local)
        return list(zip(names, emails))

    def organisation(self) -> None:
        rng, t, scale = self.rng, self.t, self.scale
        n_dept = int(rng.integers(3, 5))
        self.departments = list(t["departments"][:n_dept])
        n_sellers = max(8, round(SELLERS_PER_SCALE * scale))
        n_teams = max(n_dept, round(8 * scale))
        team_dept = np.arange(n_teams) % n_dept
        letters = t["team_letters"]
        teams, per_dept = [], [0] * n_dept
        for d in team_dept:
            k = per_dept[d]
            per_dept[d] += 1
            teams.append(f"{self.departments[d]} {letters[k] if k < len(letters) else k + 1}")
        self.teams, self.team_dept = teams, team_dept

        slot_team = rng.permutation(np.arange(n_sellers) % n_teams)
        self.slot_team = slot_team
        self.slot_dept = team_dept[slot_team]
        self.slot_cap = np.exp(rng.normal(0, 0.22, n_sellers))
        n_support = max(n_dept, round(n_dept * scale))
        n_leave = max(1, round(scale))
        n_reps = n_sellers + n_leave + n_support

        # Rep rows (internal order): incumbent sellers by slot, replacements, support staff.
        span = self.end - self.start
        leave_slots = rng.choice(n_sellers, n_leave, replace=False)
        switch = self.start + (rng.uniform(0.45, 0.7, n_leave) * span).astype(np.int64)
        self.slot_rep = np.arange(n_sellers)
        self.slot_rep2 = np.full(n_sellers, -1)
        self.slot_switch = np.full(n_sellers, np.iinfo(np.int64).max)
        self.slot_rep2[leave_slots] = n_sellers + np.arange(n_leave)
        self.slot_switch[leave_slots] = switch
        self.leave_slots = leave_slots

        team = np.concatenate([slot_team, slot_team[leave_slots], np.zeros(n_support, int)])
        support_dept = np.arange(n_support) % n_dept
        for i, d in enumerate(support_dept):
            choices = np.flatnonzero(team_dept == d)
            team[n_sellers + n_leave + i] = rng.choice(choices)
        role = np.array(["seller"] * (n_sellers + n_leave) + ["support"] * n_support, dtype=object)
        hire = self.start - rng.integers(90, 3650, n_reps)
        hire[n_sellers : n_sellers + n_leave] = switch
        end_day = np.full(n_reps, NAT)
        end_day[leave_slots] = switch - 1
        people = self._people(n_reps + n_teams, t["greek_share"])
        manager_names = [p[0] for p in people[n_reps:]]

        # Ids follow the order of hiring, as a CRM would number them.
        rank = np.empty(n_reps, int)
        rank[np.lexsort((np.arange(n_reps), hire))] = np.arange(n_reps)
        ids = _ids("R", n_reps)[rank]
        self.rep_id = ids
        self.rep_team = team
        self.rep_dept = team_dept[team]
        self.rep_role = role
        self.rep_hire = hire
        self.rep_end = end_day
        self.rep_name = np.array([p[0] for p in people[:n_reps]], dtype=object)
        self.n_sellers, self.n_leave, self.n_support = n_sellers, n_leave, n_support
        self.support_idx = np.arange(n_sellers + n_leave, n_reps)
        self.rep_skill = np.exp(rng.normal(0, 0.08, n_reps))
        tech = rng.dirichlet(np.array([2.0, 1.5, 1.5, 1.5, 1.2]) * 4, n_reps)
        self.rep_tech_cum = np.cumsum(tech, axis=1)

        order = np.argsort(rank)
        emails = np.array([f"{p[1]}@{t['company_domain']}" for p in people[:n_reps]], dtype=object)
        self.tables["reps"] = _frame(
            "reps",
            {
                "rep_id": pd.Series(ids[order], dtype="str"),
                "name": pd.Series(self.rep_name[order], dtype="str"),
                "team": pd.Series(np.array(teams, dtype=object)[team[order]], dtype="str"),
                "department": pd.Series(
                    np.array(self.departments, dtype=object)[self.rep_dept[order]], dtype="str"
                ),
                "role": pd.Series(role[order], dtype="str"),
                "manager": pd.Series(
                    np.array(manager_names, dtype=object)[team[order]], dtype="str"
                ),
                "hire_date": _dates(hire[order]),
                "end_date": _dates(end_day[order]),
                "email": pd.Series(emails[order], dtype="str"),
            },
        )

    def rep_of(self, slot: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The rep holding a seller slot on a day (a leaver's slot passes to the replacement)."""
        later = day >= self.slot_switch[slot]
        return np.where(later, self.slot_rep2[slot], self.slot_rep[slot])

    # ------------------------------------------------------------------ products and customers

    def catalogue(self) -> None:
        rng, lang = self.rng, self.lang
        n_fam = int(rng.integers(3, 5))
        fams = np.sort(rng.choice(len(_FAMILIES), n_fam, replace=False))
        per = 4 if n_fam == 3 else 3
        rows = []
        for f_new, f in enumerate(fams):
            en, el, lead, cost, items = _FAMILIES[f]
            keep = np.sort(rng.choice(len(items), per, replace=False))
            for k in keep:
                p_en, p_el, price = items[k]
                rows.append(
                    (
                        f_new,
                        f,
                        en if lang == "en" else el,
                        p_en if lang == "en" else p_el,
                        price,
                        lead,
                        cost,
                    )
                )
        self.family_names = [(_FAMILIES[f][0] if lang == "en" else _FAMILIES[f][1]) for f in fams]
        self.family_fit = _SEGMENT_FIT[:, fams]
        n = len(rows)
        self.prod_family = np.array([r[0] for r in rows])
        self.prod_price = np.array([r[4] for r in rows])
        self.prod_lead = np.array([r[5] for r in rows])
        cost = np.array([r[6] for r in rows]) * rng.uniform(0.9, 1.1, n)
        self.prod_id = _ids("P", n, 2)
        self.prod_pop = rng.uniform(0.5, 1.5, n)
        # Within-family cumulative popularity, padded so every family has `per` columns.
        self.fam_products = np.array([np.flatnonzero(self.prod_family == f) for f in range(n_fam)])
        pop = self.prod_pop[self.fam_products]
        self.fam_prod_cum = np.cumsum(pop / pop.sum(axis=1, keepdims=True), axis=1)
        self.tables["products"] = _frame(
            "products",
            {
                "product_id": pd.Series(self.prod_id, dtype="str"),
                "name": pd.Series([r[3] for r in rows], dtype="str"),
                "family": pd.Series([r[2] for r in rows], dtype="str"),
                "list_price": self.prod_price,
                "unit_cost": np.round(self.prod_price * cost, 2),
            },
        )

    def price_on(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """List price on a day: the catalogue price rises 3% every January."""
        end_year = 1970 + int(np.datetime64(self.end, "D").astype("datetime64[Y]").astype(int))
        years = day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        return np.round(self.prod_price[product] * 1.03 ** (years - end_year), 2)

    def draw_products(self, cust: np.ndarray) -> np.ndarray:
        fam = _categorical(self.rng, self.cust_fam_cum[cust])
        k = _categorical(self.rng, self.fam_prod_cum[fam])
        return self.fam_products[fam, k]

    def customer_base(self) -> None:
        rng, t = self.rng, self.t
        n = max(len(self.slot_cap) * 5, round(CUSTOMERS_PER_SCALE * self.scale))
        n_slots = len(self.slot_cap)
        slot = np.concatenate(
            [
                np.arange(n_slots),
                rng.choice(n_slots, n - n_slots, p=self.slot_cap / self.slot_cap.sum()),
            ]
        )
        slot = rng.permutation(slot)
        seg = rng.choice(4, n, p=_SEGMENT_SHARE)
        self.cust_slot, self.cust_seg = slot, seg
        self.cust_dept = self.slot_dept[slot]
        prefs = rng.gamma(self.family_fit[seg])
        prefs /= prefs.sum(axis=1, keepdims=True)
        self.cust_fam_cum = np.cumsum(prefs, axis=1)
        self.cust_rate = _SEGMENT_ORDER_RATE[seg] * np.exp(rng.normal(0, 0.4, n))
        self.cust_discount = np.clip(_SEGMENT_DISCOUNT[seg] + rng.normal(0, 0.02, n), 0, 0.3)
        # Books: customers grouped by the seller slot that owns them.
        self.book = np.argsort(slot, kind="stable")
        counts = np.bincount(slot, minlength=n_slots)
        self.book_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.book_size = counts

        industries = t["industries"]
        industry = rng.choice(8, n)
        public = seg == 3
        industry[public] = rng.choice([8, 6, 2], public.sum(), p=[0.6, 0.2, 0.2])
        prefix, core, suffix = t["name_prefix"], t["name_core"], t["name_suffix"]
        names = [
            f"{prefix[a]} {core[b]} {suffix[c]}"
            for a, b, c in zip(
                rng.integers(len(prefix), size=n),
                rng.integers(len(core), size=n),
                rng.integers(len(suffix), size=n),
            )
        ]
        inst = rng.integers(len(t["institutions"]), size=n)
        city = rng.integers(len(t["cities"]), size=n)
        for i in np.flatnonzero(public):
            names[i] = t["institutions"][inst[i]].format(t["cities"][city[i]])
        self.cust_id = _ids("C", n, 5)
        self.tables["customers"] = _frame(
            "customers",
            {
                "customer_id": pd.Series(self.cust_id, dtype="str"),
                "name": pd.Series(_dedupe(names), dtype="str"),
                "segment": pd.Series(np.array(t["segments"], dtype=object)[seg], dtype="str"),
                "region": pd.Series(
                    np.array(self.departments, dtype=object)[self.cust_dept], dtype="str"
                ),
                "industry": pd.Series(np.array(industries, dtype=object)[industry], dtype="str"),
            },
        )

    def campaign_plan(self) -> None:
        rng, t = self.rng, self.t
        starts, day = [], self.start + int(rng.integers(10, 40))
        while day < self.end - 45:
            starts.append(day)
            day += int(rng.integers(55, 90))
        n = len(starts)
        self.camp_start = np.array(starts)
        self.camp_stop = np.minimum(self.camp_start + rng.integers(28, 70, n), self.end)
        self.camp_seg = rng.choice(4, n, p=[0.3, 0.35, 0.2, 0.15])
        self.camp_channel = rng.integers(len(t["channels"]), size=n)
        self.camp_spend = np.round(rng.uniform(8000, 40000, n) * self.scale, -2)
        self.camp_id = _ids("CMP", n, 2)

    # ------------------------------------------------------------------ planted problems
