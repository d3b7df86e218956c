"""Courses and who completed them when."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.arrays import _dates, _frame, _ids, _workday
from salescoach.data.sample.world import NAT


class TrainingPart:
    """Makes the courses and who completed them when."""

    def courses_and_training(self) -> None:
        rng, t = self.rng, self.t
        titles = [t["product_course"].format(family=f) for f in self.family_names] + [
            c[1] for c in t["courses"]
        ]
        topics = ["product"] * len(self.family_names) + [c[0] for c in t["courses"]]
        refresh = [365] * len(self.family_names) + [c[2] for c in t["courses"]]
        families = list(self.family_names) + [None] * len(t["courses"])
        n_courses = len(titles)
        self.course_id = _ids("CRS", n_courses, 2)
        self.tables["courses"] = _frame(
            "courses",
            {
                "course_id": pd.Series(self.course_id, dtype="str"),
                "title": pd.Series(titles, dtype="str"),
                "topic": pd.Series(topics, dtype="str"),
                "refresh_days": pd.array(refresh, dtype="Int64"),
                "product_family": pd.Series(families, dtype="str"),
            },
        )
        # Each rep takes each product course on joining and refreshes it about yearly; other
        # courses are taken by some. Gap reps never took their family's product course.
        rows_rep, rows_course, rows_day = [], [], []
        n_fam = len(self.family_names)
        for r in range(len(self.rep_id)):
            first_day = max(int(self.rep_hire[r]) + 20, self.start - 400)
            last_day = self.rep_end[r] if self.rep_end[r] != NAT else self.end
            for c in range(n_courses):
                if c < n_fam and self.is_gap[r] and c == self.gap_family:
                    continue
                if c >= n_fam and rng.random() > (0.8 if self.is_top[r] else 0.55):
                    continue
                cadence = refresh[c]
                day = first_day + int(rng.integers(0, 120))
                lapses = rng.random() < 0.06
                while day <= last_day:
                    rows_rep.append(r)
                    rows_course.append(c)
                    rows_day.append(day)
                    day += cadence + int(rng.integers(-30, 45)) + (400 if lapses else 0)
        rep = np.array(rows_rep)
        course = np.array(rows_course)
        day = _workday(np.array(rows_day, dtype=np.int64), -(10**6), self.end)
        score = np.clip(
            np.round(rng.normal(78, 10, len(rep)) + 8 * self.is_top[rep]), 35, 100
        ).astype(np.int64)
        order = np.lexsort((course, rep, day))
        self.tables["training"] = _frame(
            "training",
            {
                "rep_id": pd.Series(self.rep_id[rep[order]], dtype="str"),
                "course_id": pd.Series(self.course_id[course[order]], dtype="str"),
                "completed_date": _dates(day[order]),
                "score": score[order],
            },
        )

    # ------------------------------------------------------------------ targets, market, campaigns, truth
