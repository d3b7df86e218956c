"""What a sample is: the problems to plant (`Problems`) and the tables with their ground truth (`Sample`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Problems:
    """Which problems to plant, and where.

    For each single-place problem: False = not planted, True = planted where the seed chooses,
    a string = planted there (a product_id, family, department, segment, campaign_id or rep_id
    as they appear in the tables of the chosen language). For groups of reps: None = the seed
    chooses how many (training gap 2-3, top performers 3-4), an int = that many, a tuple = those
    rep_ids. The late-delivery victim is planted only with the late department.

    Example:
        >>> mix = Problems(poor_product=False, overpriced_family="Storage", top_performers=0)
    """

    poor_product: bool | str = True
    overpriced_family: bool | str = True
    late_department: bool | str = True
    poor_service_segment: bool | str = True
    wrong_campaign: bool | str = True
    training_gap: int | tuple[str, ...] | None = None
    low_activity_rep: bool | str = True
    late_delivery_victim: bool | str = True
    top_performers: int | tuple[str, ...] | None = None

    @classmethod
    def none(cls) -> Problems:
        """A healthy organisation: nothing planted."""
        return cls(False, False, False, False, False, 0, False, False, 0)


@dataclass(frozen=True)
class Sample:
    """The sample organisation: contract tables and the ground truth of what was planted."""

    tables: dict[str, pd.DataFrame]
    ground_truth: list[dict] = field(default_factory=list)

    def planted(self, problem: str) -> list[dict]:
        """The ground-truth entries of one problem kind, e.g. `planted("training_gap")`."""
        return [g for g in self.ground_truth if g["problem"] == problem]
