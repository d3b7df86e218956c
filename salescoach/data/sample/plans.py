"""Targets set against realised results, the market table and the campaigns table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.arrays import _dates, _frame
from salescoach.data.sample.world import NAT


class PlansPart:
    """Makes the targets against realised results, the market table and the campaigns table."""

    def targets(self) -> None:
        rng, nq = self.rng, len(self.q_start)
        n_reps = len(self.rep_id)
        ln = self.l
        q = self.quarter_of(ln["day"])
        revenue = np.zeros((n_reps, nq))
        np.add.at(revenue, (ln["rep"], q), ln["revenue"])
        # Support staff are measured on the won deals they supported.
        d = self.d
        sup_won = d["won"] & (d["support"] >= 0)
        np.add.at(
            revenue,
            (d["support"][sup_won], self.quarter_of(d["close"][sup_won])),
            d["amount"][sup_won],
        )
        self.revenue = revenue

        # Planted attainment: normal reps 90-110%, problem reps clearly below, top reps above.
        att = np.clip(rng.normal(1.0, 0.045, (n_reps, nq)), 0.9, 1.1)
        after = lambda day: self.q_start >= day  # noqa: E731
        if self.late_dept is not None:
            in_late = (self.rep_dept == self.late_dept) & (self.rep_role == "seller")
            att[np.ix_(in_late, after(self.day_late))] = np.clip(
                rng.normal(0.96, 0.04, (in_late.sum(), after(self.day_late).sum())), 0.9, 1.06
            )
        problem_rows = [(r, np.ones(nq, bool)) for r in self.gap_reps]
        if self.low_rep is not None:
            problem_rows.append((self.low_rep, after(self.day_low)))
        if self.victim is not None:
            problem_rows.append((self.victim, after(self.day_late)))
        for r, qs in problem_rows:
            att[r, qs] = rng.uniform(0.66, 0.84, qs.sum())
        for r in self.tops:
            att[r] = rng.uniform(1.26, 1.42, nq)
        employed_days = np.array(
            [
                [
                    max(
                        0,
                        min(self.q_stop[k], self.rep_end[r] if self.rep_end[r] != NAT else self.end)
                        - max(self.q_start[k], self.rep_hire[r])
                        + 1,
                    )
                    for k in range(nq)
                ]
                for r in range(n_reps)
            ]
        )
        target = np.where((employed_days > 0) & (revenue > 0), np.round(revenue / att, -2), np.nan)
        self.attainment = revenue / target

        # The coming quarter: last year's same quarter, grown with the market forecast.
        same_q = nq - 4
        growth = (1 + self.market_growth[nq] + 0.02) * 1.03
        active = self.rep_end == NAT
        future = np.where(
            active & ~np.isnan(target[:, same_q]) & (same_q >= 0),
            np.round(target[:, max(same_q, 0)] * growth, -2),
            np.nan,
        )
        periods = list(self.q_labels) + [f"{self.next_quarter.year}-Q{self.next_quarter.quarter}"]
        full = np.column_stack([target, future])
        rows = []
        rep_idx, per_idx = np.nonzero(~np.isnan(full))
        rep_rows = pd.DataFrame(
            {"rep": rep_idx, "period": np.array(periods)[per_idx], "target": full[rep_idx, per_idx]}
        )
        rep_rows["year"] = rep_rows["period"].str[:4]
        rep_rows["scope_id"] = self.rep_id[rep_rows["rep"]]
        rep_rows["team"] = np.array(self.teams, dtype=object)[self.rep_team[rep_rows["rep"]]]
        rep_rows["department"] = np.array(self.departments, dtype=object)[
            self.rep_dept[rep_rows["rep"]]
        ]
        rep_rows["seller"] = self.rep_role[rep_rows["rep"]] == "seller"
        rep_rows["company"] = ""
        for scope, col, frame in (
            ("rep", "scope_id", rep_rows),
            ("team", "team", rep_rows[rep_rows["seller"]]),
            ("department", "department", rep_rows[rep_rows["seller"]]),
            ("company", "company", rep_rows[rep_rows["seller"]]),
        ):
            quarterly = frame.groupby([col, "period"], sort=True)["target"].sum().reset_index()
            yearly = (
                frame.groupby([col, "year"], sort=True)["target"]
                .sum()
                .reset_index()
                .rename(columns={"year": "period"})
            )
            for part in (yearly, quarterly):
                rows.append(
                    pd.DataFrame(
                        {
                            "scope": scope,
                            "period": part["period"],
                            "metric": "revenue",
                            "target": part["target"].astype(float),
                            "scope_id": part[col].where(part[col] != "", None),
                        }
                    )
                )
        targets = pd.concat(rows, ignore_index=True)
        self.tables["targets"] = _frame(
            "targets",
            {
                "scope": pd.Series(targets["scope"], dtype="str"),
                "period": pd.Series(targets["period"], dtype="str"),
                "metric": pd.Series(targets["metric"], dtype="str"),
                "target": targets["target"].to_numpy(),
                "scope_id": pd.Series(targets["scope_id"], dtype="str"),
            },
        )
        self.market_table()
        self.campaigns_table()
        self.record_truth()

    def market_table(self) -> None:
        rng, t = self.rng, self.t
        nq = len(self.q_start)
        periods = list(self.q_labels) + [f"{self.next_quarter.year}-Q{self.next_quarter.quarter}"]
        n_fam = len(self.family_names)
        cpi = np.round(1.0 + rng.normal(0, 0.02, (nq + 1, n_fam)), 3)
        note = np.full((nq + 1, n_fam), None, dtype=object)
        note[nq, :] = t["market_forecast"]
        if self.over_family is not None:
            qs = np.r_[self.q_start, self.q_stop[-1] + 1] >= self.day_over
            cpi[qs, self.over_family] = np.round(rng.uniform(0.86, 0.9, qs.sum()), 3)
            first = int(np.argmax(qs))
            note[first, self.over_family] = t["market_cut"]
        pq, pf = np.meshgrid(np.arange(nq + 1), np.arange(n_fam), indexing="ij")
        self.tables["market"] = _frame(
            "market",
            {
                "period": pd.Series(np.array(periods, dtype=object)[pq.ravel()], dtype="str"),
                "market_growth": self.market_growth[pq.ravel()],
                "competitor_price_index": cpi.ravel(),
                "product_family": pd.Series(
                    np.array(self.family_names, dtype=object)[pf.ravel()], dtype="str"
                ),
                "note": pd.Series(note.ravel(), dtype="str"),
            },
        )

    def campaigns_table(self) -> None:
        t = self.t
        self.tables["campaigns"] = _frame(
            "campaigns",
            {
                "campaign_id": pd.Series(self.camp_id, dtype="str"),
                "channel": pd.Series(
                    np.array(t["channels"], dtype=object)[self.camp_channel], dtype="str"
                ),
                "target_segment": pd.Series(
                    np.array(t["segments"], dtype=object)[self.camp_seg], dtype="str"
                ),
                "start_date": _dates(self.camp_start),
                "end_date": _dates(self.camp_stop),
                "spend": self.camp_spend.astype(float),
            },
        )
