"""What works: products that sell, techniques that win, lead sources, what customers say.

Pure functions over the contract's `orders`, `deals`, `products`, `customers` and `feedback`
frames. Win rates carry Wilson intervals so a technique with ten deals is not crowned over one
with a thousand; phrases of feedback are ranked by smoothed log-odds between low and high scores.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from importlib import resources
from statistics import NormalDist

import numpy as np
import pandas as pd

from salescoach.domain import actuals
from salescoach.settings import Insights


def _fold(text: str) -> str:
    """Lower case without Greek accents, so "Καλή" and "καλη" are one word."""
    decomposed = unicodedata.normalize("NFD", str(text).lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


_STOP_WORD_FILES = resources.files("salescoach").joinpath("resources", "stopwords")
# Languages whose stop words ship as salescoach/resources/stopwords/<lang>.txt: a new language
# is a new file.
STOP_WORD_LANGUAGES = tuple(
    sorted(f.name[:-4] for f in _STOP_WORD_FILES.iterdir() if f.name.endswith(".txt"))
)


def _stop_words(lang: str) -> frozenset[str]:
    text = _STOP_WORD_FILES.joinpath(f"{lang}.txt").read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return frozenset(_fold(word) for line in lines for word in line.split())


# Words that say nothing on their own, per language (folded: lower case, no accents).
STOP_WORDS_BY_LANGUAGE = {lang: _stop_words(lang) for lang in STOP_WORD_LANGUAGES}
STOP_WORDS = frozenset().union(*STOP_WORDS_BY_LANGUAGE.values())


def comment_languages(words) -> tuple[str, ...]:
    """The languages a comment is most likely in: those whose stop words make up the largest
    share of its (folded) words; none when no word is a stop word of any language.

    Stop words are a language's most frequent words, so a sentence of a few words almost
    always holds some, and a list's share of them tells the language without a model.

    >>> comment_languages(["a", "entrega", "foi", "muito", "lenta"])
    ('pt',)
    """
    words = list(words)
    if not words:
        return ()
    hits = {lang: sum(w in stop for w in words) for lang, stop in STOP_WORDS_BY_LANGUAGE.items()}
    best = max(hits.values())
    return tuple(lang for lang, n in hits.items() if n == best) if best else ()


TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def wilson(successes, trials, confidence: float = 0.95):
    """Wilson score interval (low, high) for a proportion; NaN where there are no trials.

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = np.where(n > 0, centre - half, np.nan), np.where(n > 0, centre + half, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


# The thresholds of `[insights]`: the settings model's section, defaults from salescoach.toml.
InsightRules = Insights


# --------------------------------------------------------------------------- what sells


def _with_dims(
    frame: pd.DataFrame, products: pd.DataFrame | None, customers: pd.DataFrame | None
) -> pd.DataFrame:
    out = frame.copy()
    if products is not None and "product_id" in out:
        dims = products.set_index("product_id")
        for col in ("family", "unit_cost"):
            if col in dims:
                out[col] = out["product_id"].map(dims[col])
    if customers is not None and "customer_id" in out and "segment" in customers:
        out["segment"] = out["customer_id"].map(customers.set_index("customer_id")["segment"])
    return out


def order_lines(
    orders: pd.DataFrame,
    products: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Booked order lines between two dates with value, cost (where known), family and segment."""
    lines = actuals._booked_orders(
        orders[(orders["order_date"] >= start) & (orders["order_date"] <= end)]
    )
    lines = _with_dims(lines, products, customers)
    lines["value"] = actuals.line_revenue(lines)
    if "unit_cost" in lines:
        # Mapped onto no lines (a period without orders) the cost column comes out as text.
        lines["cost"] = lines["quantity"] * pd.to_numeric(lines["unit_cost"], errors="coerce")
    return lines


def what_sells(now: pd.DataFrame, before: pd.DataFrame, by: str = "family") -> pd.DataFrame:
    """Per `by` (product_id, family, segment): revenue now and a year before, growth, margin.

    Margin counts only lines whose cost is known (`costed_share` says how much of revenue that is).
    """
    if by not in now:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "revenue": now.groupby(by)["value"].sum(),
            "revenue_before": before.groupby(by)["value"].sum() if by in before else np.nan,
        }
    ).fillna({"revenue": 0.0})
    out["growth"] = out["revenue"] / out["revenue_before"].where(out["revenue_before"] > 0) - 1
    if "cost" in now:
        costed = now[now["cost"].notna()]
        value = costed.groupby(by)["value"].sum()
        out["margin"] = (value - costed.groupby(by)["cost"].sum()) / value.where(value > 0)
        out["costed_share"] = value / out["revenue"].where(out["revenue"] > 0)
    return out.sort_values("revenue", ascending=False).rename_axis(by)


def lookback_start(start: pd.Timestamp, end: pd.Timestamp, months: int) -> pd.Timestamp:
    """The first day of the `months` months that end on `end` (a period's last day), or `start`
    when that is earlier. What wins, lead sources and what customers say read this window: one
    quarter holds too few deals per technique, and too few comments, to tell them apart."""
    window = pd.Timestamp(end).normalize() + pd.Timedelta(days=1) - pd.DateOffset(months=months)
    return min(pd.Timestamp(window), pd.Timestamp(start))


def between(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Which dates fall from `start` to `end`, both days included."""
    return (dates >= start) & (dates <= end)


def closed_deals(
    deals: pd.DataFrame,
    products: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Deals won or lost between two dates, with family and segment where known."""
    closed = deals[
        deals["stage"].isin(["won", "lost"])
        & (deals["close_date"] >= start)
        & (deals["close_date"] <= end)
    ]
    out = _with_dims(closed, products, customers)
    out["won"] = (out["stage"] == "won").astype(int)
    return out


def win_rates(closed: pd.DataFrame, by: list[str], rules: InsightRules) -> pd.DataFrame:
    """Win rate per group with its Wilson interval; `enough` marks groups of at least min_deals."""
    keys = [k for k in by if k in closed]
    if len(keys) < len(by) or closed.empty:
        return pd.DataFrame(columns=[*by, "won", "closed", "win_rate", "low", "high", "enough"])
    out = (
        closed.dropna(subset=keys).groupby(keys)["won"].agg(won="sum", closed="size").reset_index()
    )
    out["win_rate"] = out["won"] / out["closed"]
    out["low"], out["high"] = wilson(out["won"], out["closed"], rules.confidence)
    out["enough"] = out["closed"] >= rules.min_deals
    return out.sort_values([*keys[:-1], "low"], ascending=[True] * (len(keys) - 1) + [False])


def what_wins(closed: pd.DataFrame, rules: InsightRules) -> dict[str, pd.DataFrame]:
    """Win rate by technique overall, within product family, and within family and segment."""
    out = {"technique": win_rates(closed, ["technique"], rules)}
    if "family" in closed:
        out["family"] = win_rates(closed, ["family", "technique"], rules)
    if {"family", "segment"} <= set(closed):
        out["family_segment"] = win_rates(closed, ["family", "segment", "technique"], rules)
    return out


def lead_sources(created: pd.DataFrame, rules: InsightRules) -> pd.DataFrame:
    """Per lead source of deals created in a window: leads, won, conversion, revenue per lead,
    and how many of the leads no rep has taken yet (`unassigned`: counted, never a rep's)."""
    if "lead_source" not in created:
        return pd.DataFrame()
    deals = created.dropna(subset=["lead_source"])
    won = deals["stage"] == "won"
    amount = deals["amount"].where(won, 0.0) if "amount" in deals else pd.Series(0.0, deals.index)
    out = pd.DataFrame(
        {
            "leads": deals.groupby("lead_source").size(),
            "won": won.groupby(deals["lead_source"]).sum(),
            "revenue": amount.groupby(deals["lead_source"]).sum(),
            "unassigned": deals["rep_id"].isna().groupby(deals["lead_source"]).sum()
            if "rep_id" in deals
            else 0,
        }
    )
    out["conversion"] = out["won"] / out["leads"]
    out["low"], out["high"] = wilson(out["won"], out["leads"], rules.confidence)
    out["revenue_per_lead"] = out["revenue"] / out["leads"]
    return out.sort_values("revenue_per_lead", ascending=False).rename_axis("lead_source")


# --------------------------------------------------------------------------- what customers say


def feedback_scores(
    feedback: pd.DataFrame,
    customers: pd.DataFrame | None,
    products: pd.DataFrame | None,
    by: str,
    period_kind: str = "quarter",
    fiscal_start: int = 1,
) -> pd.DataFrame:
    """Mean score and responses per period and `by` (product_id, family, rep_id, segment)."""
    frame = _with_dims(feedback, products, customers)
    if by not in frame:
        return pd.DataFrame()
    frame = frame.dropna(subset=[by])
    frame["period"] = actuals.period_labels(frame["date"], period_kind, fiscal_start)
    return (
        frame.groupby(["period", by])["score"]
        .agg(mean_score="mean", responses="size")
        .reset_index()
    )


def phrases_of(text: str) -> set[str]:
    """The distinct words and two-word phrases of a comment, lower case, without stop words."""
    return set(_phrases_as_written(text))


def _phrases_as_written(text: str) -> dict[str, str]:
    """Each phrase of a comment (folded, as `phrases_of` counts it) -> the phrase as the
    customer wrote it, lower case with its accents (`γρηγορη παραδοση` -> `γρήγορη παράδοση`)."""
    written = TOKEN.findall(unicodedata.normalize("NFC", str(text).lower()))
    pairs = [(_fold(w), w) for w in written]
    # Only the comment's own language's stop words go: "come" is a word in English, not in
    # Italian's sense, and "die" is a word in English, an article in German.
    stop = frozenset().union(
        *(STOP_WORDS_BY_LANGUAGE[lang] for lang in comment_languages(f for f, _w in pairs))
    )
    kept = [(f, w) for f, w in pairs if f not in stop and len(f) > 1]
    out = {f: w for f, w in kept}
    out.update({f"{a[0]} {b[0]}": f"{a[1]} {b[1]}" for a, b in zip(kept, kept[1:])})
    return out


def _as_written(comments: pd.Series, phrases) -> dict[str, str]:
    """The most common way customers wrote each folded phrase."""
    wanted = set(phrases)
    seen: dict[str, Counter] = {p: Counter() for p in wanted}
    for text in comments.dropna():
        for folded, written in _phrases_as_written(text).items():
            if folded in wanted:
                seen[folded][written] += 1
    return {p: (c.most_common(1)[0][0] if c else p) for p, c in seen.items()}


def phrase_log_odds(low: pd.Series, high: pd.Series, min_count: int = 5, prior: float = 0.5):
    """Phrases ranked by smoothed log-odds of appearing in low-score vs high-score comments.

    Counts are comments containing the phrase; `prior` is added to every cell (Haldane-Anscombe
    smoothing). `z` is the log-odds over its standard error: positive leans low, negative high.
    """
    docs_low = [phrases_of(t) for t in low.dropna()]
    docs_high = [phrases_of(t) for t in high.dropna()]
    c_low, c_high = Counter(), Counter()
    for d in docs_low:
        c_low.update(d)
    for d in docs_high:
        c_high.update(d)
    terms = [t for t in set(c_low) | set(c_high) if c_low[t] + c_high[t] >= min_count]
    # A word that only ever appears inside one phrase says nothing the phrase does not.
    same = {
        w
        for t in terms
        if " " in t
        for w in t.split()
        if (c_low[w], c_high[w]) == (c_low[t], c_high[t])
    }
    terms = sorted(t for t in terms if t not in same)
    a, b = np.array([c_low[t] for t in terms], float), np.array([c_high[t] for t in terms], float)
    n_low, n_high = len(docs_low), len(docs_high)
    log_odds = np.log((a + prior) / (n_low - a + prior)) - np.log(
        (b + prior) / (n_high - b + prior)
    )
    se = np.sqrt(
        1 / (a + prior) + 1 / (n_low - a + prior) + 1 / (b + prior) + 1 / (n_high - b + prior)
    )
    out = pd.DataFrame(
        {"phrase": terms, "low": a.astype(int), "high": b.astype(int), "log_odds": log_odds}
    )
    out["z"] = log_odds / se if len(terms) else []
    return out.sort_values(["z", "phrase"], ascending=[False, True]).reset_index(drop=True)


def customer_voice(feedback: pd.DataFrame, rules: InsightRules) -> dict[str, pd.DataFrame]:
    """The phrases that lean to low scores and those that lean to high, top `top_phrases` each."""
    if "comment" not in feedback:
        return {"low": pd.DataFrame(), "high": pd.DataFrame()}
    ranked = phrase_log_odds(
        feedback.loc[feedback["score"] <= rules.low_score, "comment"],
        feedback.loc[feedback["score"] >= rules.high_score, "comment"],
        rules.min_phrase_count,
    )
    # Only phrases that lean clearly (|z| past the confidence's critical value) are listed,
    # strongest lean first, so a common word used on both sides does not head the list.
    critical = NormalDist().inv_cdf(0.5 + rules.confidence / 2)
    ranked["count"] = ranked["low"] + ranked["high"]
    low = ranked[ranked["z"] >= critical].sort_values(["log_odds", "count"], ascending=False)
    high = ranked[ranked["z"] <= -critical].sort_values(
        ["log_odds", "count"], ascending=[True, False]
    )
    low = low.head(rules.top_phrases).reset_index(drop=True)
    high = high.head(rules.top_phrases).reset_index(drop=True)
    # Counted without accents and case, shown as customers wrote them (Greek keeps its tonos).
    written = _as_written(feedback["comment"], [*low["phrase"], *high["phrase"]])
    for side in (low, high):
        side["phrase"] = side["phrase"].map(written)
    return {"low": low, "high": high}
