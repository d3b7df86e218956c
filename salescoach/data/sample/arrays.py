"""Small array helpers of the builder: ids, days as integers, dates, categorical draws."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach.data.sample.world import _TRANSLIT
from salescoach.domain.contract import TABLES


def _ids(prefix: str, n: int, width: int = 3) -> np.ndarray:
    width = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _days(ts) -> int:
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def _dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _workday(days: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Move weekend days to the nearest Friday or Monday, staying within [lo, hi]."""
    wd = _weekday(days)
    moved = days + np.where(wd == 5, -1, np.where(wd == 6, 1, 0))
    return np.clip(moved, lo, hi)


def _categorical(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """One index per row of a matrix of cumulative probabilities."""
    u = rng.random(cum.shape[0])[:, None]
    return np.minimum((u > cum).sum(axis=1), cum.shape[1] - 1)


def _translit(text: str) -> str:
    low = text.lower()
    for greek, latin in (("ου", "ou"), ("ού", "ou"), ("ευ", "ev"), ("αυ", "av"), ("γγ", "ng")):
        low = low.replace(greek, latin)
    return "".join(_TRANSLIT.get(ch, ch) for ch in low)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0) + 1
        seen[n] = k
        out.append(n if k == 1 else f"{n} ({k})")
    return out


def _late_share(orders: pd.DataFrame) -> float:
    done = orders.dropna(subset=["delivered_date"]).drop_duplicates("order_id")
    return float((done["delivered_date"] > done["promised_date"]).mean()) if len(done) else 0.0


def _frame(table: str, columns: dict) -> pd.DataFrame:
    """A frame with the contract's column order (columns not given are left out)."""
    order = [c for c in TABLES[table].names if c in columns]
    return pd.DataFrame({c: columns[c] for c in order})


def _nullable_str(values: np.ndarray, mask: np.ndarray) -> pd.Series:
    out = pd.Series(values, dtype="str")
    return out.mask(mask)
