"""The builder: one object holding the organisation as it is made, each part of it in its own module."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.arrays import _days
from salescoach.data.sample.deals import DealsPart
from salescoach.data.sample.model import Problems, Sample
from salescoach.data.sample.orders import OrdersPart
from salescoach.data.sample.organisation import OrganisationPart
from salescoach.data.sample.plans import PlansPart
from salescoach.data.sample.problems import ProblemsPart
from salescoach.data.sample.service import ServicePart
from salescoach.data.sample.training import TrainingPart
from salescoach.data.sample.world import _SEASON, _TEXT
from salescoach.domain.contract import TABLES


class _Builder(
    OrganisationPart, ProblemsPart, DealsPart, OrdersPart, ServicePart, TrainingPart, PlansPart
):
    """Builds one organisation. Methods run in order; each adds tables or state to self."""

    def __init__(self, seed: int, scale: float, lang: str, problems: Problems, end: str):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.scale = scale
        self.lang = lang
        self.t = _TEXT[lang]
        self.want = problems
        self.end = _days(end)
        end_ts = pd.Timestamp(end)
        self.start = _days(pd.Timestamp(year=end_ts.year - 2, month=1, day=1))
        quarters = pd.period_range(
            pd.Timestamp(year=end_ts.year - 2, month=1, day=1), end_ts, freq="Q"
        )
        self.q_labels = [f"{p.year}-Q{p.quarter}" for p in quarters]
        self.q_start = np.array([_days(p.start_time) for p in quarters])
        self.q_stop = np.minimum(
            np.array([_days(p.end_time) for p in quarters]), self.end
        )  # inclusive
        self.q_len = self.q_stop - self.q_start + 1
        self.q_season = np.array([_SEASON[p.quarter] for p in quarters])
        self.next_quarter = quarters[-1] + 1
        self.tables: dict[str, pd.DataFrame] = {}
        self.truth: list[dict] = []

    def quarter_of(self, days: np.ndarray) -> np.ndarray:
        return np.clip(
            np.searchsorted(self.q_start, days, side="right") - 1, 0, len(self.q_start) - 1
        )

    def build(self) -> Sample:
        self.market()
        self.organisation()
        self.catalogue()
        self.customer_base()
        self.campaign_plan()
        self.choose_problems()
        self.deals()
        self.orders()
        self.service_and_feedback()
        self.activities()
        self.courses_and_training()
        self.targets()
        order = [n for n in TABLES if n in self.tables]
        return Sample({n: self.tables[n] for n in order}, self.truth)

    # ------------------------------------------------------------------ market and volumes
