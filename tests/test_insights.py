"""What works: Wilson bounds, win rates, lead sources, what sells, phrase ranking; on the sample."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from salescoach.domain import insights

T = pd.Timestamp
RULES = insights.InsightRules(min_deals=3, confidence=0.95, min_phrase_count=2, top_phrases=5)


@pytest.mark.parametrize(
    "k, n, low, high",
    [
        (8, 10, 0.4902, 0.9433),  # textbook values for z = 1.96
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
    ],
)
def test_wilson_known_bounds(k, n, low, high):
    lo, hi = insights.wilson(k, n, 0.95)
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_wilson_is_vectorised_and_empty_is_nan():
    lo, hi = insights.wilson(np.array([1, 0]), np.array([2, 0]))
    assert lo[0] < 0.5 < hi[0] and math.isnan(lo[1]) and math.isnan(hi[1])


DEALS = pd.DataFrame(
    {
        "deal_id": [f"D{i}" for i in range(8)],
        "rep_id": ["R1"] * 8,
        "stage": ["won", "won", "lost", "won", "lost", "lost", "open", "won"],
        "created_date": [T("2026-01-05")] * 8,
        "close_date": [T("2026-02-01")] * 6 + [pd.NaT, T("2025-01-01")],
        "technique": ["a", "a", "a", "b", "b", "b", "a", "b"],
        "lead_source": ["web", "web", "web", "ref", "ref", None, "ref", "ref"],
        "amount": [100.0, 300.0, 50.0, 1000.0, 10.0, 10.0, 5.0, 7.0],
        "product_id": ["P1", "P1", "P2", "P1", "P2", "P2", "P1", "P1"],
        "customer_id": ["C1"] * 8,
    }
)
PRODUCTS = pd.DataFrame(
    {"product_id": ["P1", "P2"], "family": ["F1", "F2"], "unit_cost": [6.0, None]}
)


def test_win_rate_by_technique_counts_closed_deals_in_the_window():
    closed = insights.closed_deals(DEALS, PRODUCTS, None, T("2026-01-01"), T("2026-03-31"))
    out = insights.win_rates(closed, ["technique"], RULES).set_index("technique")
    assert out.loc["a", ["won", "closed"]].tolist() == [2, 3]
    assert out.loc["b", ["won", "closed"]].tolist() == [1, 3]  # open and 2025 deals left out
    assert out.loc["a", "low"] == pytest.approx(insights.wilson(2, 3)[0])
    fam = insights.what_wins(closed, RULES)["family"]
    assert fam.set_index(["family", "technique"]).loc[("F2", "b"), "closed"] == 2


@pytest.mark.parametrize(
    "start, end, months, expected",
    [
        ("2026-07-01", "2026-09-30", 12, "2025-10-01"),  # a quarter reads the year to its end
        ("2026-07-01", "2026-09-30", 3, "2026-07-01"),
        ("2026-07-01", "2026-09-30", 1, "2026-07-01"),  # never shorter than the period
        ("2026-01-01", "2026-12-31", 12, "2026-01-01"),
        ("2026-02-01", "2026-02-28", 12, "2025-03-01"),  # a month's end, not a quarter's
    ],
)
def test_the_lookback_window_ends_with_the_period(start, end, months, expected):
    assert insights.lookback_start(T(start), T(end), months) == T(expected)


def test_lead_sources_conversion_and_revenue_per_lead():
    out = insights.lead_sources(DEALS, RULES)
    assert out.loc["web", "conversion"] == pytest.approx(2 / 3)
    assert out.loc["web", "revenue_per_lead"] == pytest.approx(400 / 3)
    assert out.loc["ref", "leads"] == 4 and out.loc["ref", "revenue"] == pytest.approx(1007)


def test_what_sells_growth_and_margin_where_costs_are_known():
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "rep_id": ["R1"] * 4,
            "product_id": ["P1", "P2", "P1", "P2"],
            "order_date": [T("2026-02-01"), T("2026-02-01"), T("2025-02-01"), T("2025-02-01")],
            "quantity": [10, 1, 5, 1],
            "unit_price": [10.0, 50.0, 10.0, 100.0],
        }
    )
    now = insights.order_lines(orders, PRODUCTS, None, T("2026-01-01"), T("2026-03-31"))
    before = insights.order_lines(orders, PRODUCTS, None, T("2025-01-01"), T("2025-03-31"))
    out = insights.what_sells(now, before, "family")
    assert out.loc["F1", "growth"] == pytest.approx(1.0)  # 100 against 50
    assert out.loc["F2", "growth"] == pytest.approx(-0.5)
    assert out.loc["F1", "margin"] == pytest.approx(0.4)  # (100 - 60) / 100
    assert math.isnan(out.loc["F2", "margin"])  # no cost known


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Late delivery, again!", {"late", "delivery", "late delivery"}),
        ("Η παράδοση ήταν πολύ αργή", {"παραδοση", "αργη", "παραδοση αργη"}),
        ("the and of", set()),
        ("not working", {"not", "working", "not working"}),
    ],
)
def test_phrases_fold_case_and_accents_and_drop_stop_words(text, expected):
    assert insights.phrases_of(text) == expected


@pytest.mark.parametrize(
    "text, languages, expected",
    [
        (
            "A entrega foi muito lenta",
            ("pt",),
            {"entrega", "lenta", "entrega lenta"},
        ),
        (
            "El pedido llegó muy tarde, sin factura",
            ("es",),
            {"pedido", "llego", "tarde", "sin", "factura", "pedido llego", "llego tarde"}
            | {"tarde sin", "sin factura"},
        ),
        (
            "Die Lieferung war sehr langsam",
            ("de",),
            {"lieferung", "langsam", "lieferung langsam"},
        ),
        (
            "La livraison était très lente",
            ("fr",),
            {"livraison", "lente", "livraison lente"},
        ),
        ("Η παράδοση ήταν πολύ αργή", ("el",), {"παραδοση", "αργη", "παραδοση αργη"}),
        ("The delivery was slow", ("en",), {"delivery", "slow", "delivery slow"}),
        # Only the comment's own language's stop words go: "come" stays in English.
        ("Come again soon", ("en",), {"come", "soon", "come soon"}),
        ("fast", (), {"fast"}),
    ],
)
def test_stop_words_of_the_comments_language(text, languages, expected):
    words = [insights._fold(w) for w in insights.TOKEN.findall(text.lower())]
    assert insights.comment_languages(words) == languages
    assert insights.phrases_of(text) == expected


@pytest.mark.parametrize(
    "lang, negations",
    [
        ("en", {"not", "no", "nor", "never", "without"}),
        ("el", {"δεν", "μη", "μην", "οχι", "χωρις"}),
        ("pt", {"nao", "nem", "nunca", "sem"}),  # "no" is "em o" here, a stop word
        ("es", {"no", "ni", "nunca", "sin"}),
        ("de", {"nicht", "kein", "keine", "nie", "ohne"}),
        ("fr", {"ne", "pas", "non", "jamais", "sans"}),
    ],
)
def test_stop_word_lists_ship_and_keep_negations(lang, negations):
    stop = insights.STOP_WORDS_BY_LANGUAGE[lang]
    assert len(stop) > 80
    assert not stop & negations


def test_portuguese_themes_are_not_stop_words():
    low = ["A entrega foi muito lenta e o produto chegou com defeito"] * 4 + [
        "Entrega lenta de novo"
    ] * 2
    high = ["O atendimento foi muito bom e a entrega rápida"] * 4 + ["Atendimento excelente"] * 2
    feedback = pd.DataFrame({"score": [2] * len(low) + [9] * len(high), "comment": low + high})
    voice = insights.customer_voice(feedback, RULES)
    shown = set(voice["low"]["phrase"]) | set(voice["high"]["phrase"])
    assert shown and not {p for p in shown if p.split()[0] in {"a", "o", "e", "de", "foi", "muito"}}
    assert "atendimento" in set(voice["high"]["phrase"])


def test_phrase_ranking_known_answer():
    low = pd.Series(["late delivery", "late delivery", "late again", "ok"])
    high = pd.Series(["fast delivery", "fast delivery", "fast", "ok"])
    out = insights.phrase_log_odds(low, high, min_count=2).set_index("phrase")
    # "late": 3 of 4 low comments, 0 of 4 high: log((3.5/1.5)) - log(0.5/4.5)
    assert out.loc["late", "log_odds"] == pytest.approx(math.log(3.5 / 1.5) - math.log(0.5 / 4.5))
    assert out.loc["late", "z"] > 0 > out.loc["fast", "z"]
    assert out.loc["delivery", "log_odds"] == pytest.approx(0.0)  # as common on both sides
    assert "ok" in out.index and out.loc["ok", "log_odds"] == pytest.approx(0.0)
    ranked = list(out.index)
    assert ranked.index("late") < ranked.index("delivery") < ranked.index("fast")


# ----------------------------------------------------------------------------- on the sample


def test_on_the_sample_the_planted_best_technique_wins_and_the_worst_loses(sample_tables):
    t = sample_tables
    closed = insights.closed_deals(
        t["deals"], t["products"], t["customers"], T("2000-01-01"), T("2100-01-01")
    )
    out = insights.win_rates(closed, ["technique"], insights.InsightRules())
    best, worst = out.iloc[0], out.sort_values("high").iloc[0]
    # The generator's techniques are listed from the one that wins most to the one that wins least.
    from salescoach.data.sample import _TEXT

    planted = _TEXT["en"]["techniques"]
    assert (best["technique"], worst["technique"]) == (planted[0], planted[-1])
    assert worst["high"] < best["low"]


def test_on_the_sample_the_mistargeted_campaign_converts_worst(sample_tables, ground_truth):
    (campaign,) = [g["scope_id"] for g in ground_truth if g["cause"] == "marketing"]
    start = T(
        pd.Period(
            next(g["period_from"] for g in ground_truth if g["cause"] == "marketing"), "Q"
        ).start_time
    )
    deals = sample_tables["deals"]
    out = insights.lead_sources(deals[deals["created_date"] >= start], insights.InsightRules())
    campaigns = out[out.index.str.startswith("CMP") & (out["leads"] >= 30)]
    assert campaigns["conversion"].idxmin() == campaign


def test_on_the_sample_phrases_separate_complaints_from_praise(sample_tables):
    voice = insights.customer_voice(sample_tables["feedback"], insights.InsightRules())
    assert len(voice["low"]) and len(voice["high"])
    assert set(voice["low"]["phrase"]).isdisjoint(voice["high"]["phrase"])
    assert (voice["low"]["z"] > 0).all() and (voice["high"]["z"] < 0).all()
