import pandas as pd
import pytest

from salescoach.domain.fmt import MISSING, Formatter
from salescoach.domain.periods import Period

EN = Formatter("en_IE", "EUR")
EL = Formatter("el_GR", "EUR")


@pytest.mark.parametrize(
    "f, method, args, expected",
    [
        (EN, "money", (1234.56, 2), "€1,234.56"),
        (EL, "money", (1234.56, 2), "1.234,56\xa0€"),
        (EN, "money", (1234567.4,), "€1,234,567"),
        (EN, "money_compact", (1220000,), "€1.2M"),
        (EN, "pct", (0.034,), "3%"),
        (EN, "pct", (0.0346, 1, True), "+3.5%"),
        (EN, "pct", (-0.02, 0, True), "-2%"),
        (EL, "number", (1234.5, 1), "1.234,5"),
        (EN, "date", ("2026-07-03",), "3 Jul 2026"),
        (EN, "iso", (pd.Timestamp("2026-07-03"),), "2026-07-03"),
        (EN, "money", (None,), MISSING),
        (EN, "pct", (float("nan"),), MISSING),
        (EN, "date", (pd.NaT,), MISSING),
    ],
)
def test_formats(f, method, args, expected):
    assert getattr(f, method)(*args) == expected


BR = Formatter("pt_BR", "BRL")
JP = Formatter("ja_JP", "JPY")


@pytest.mark.parametrize(
    "f, x, expected",
    [
        # Seen on real exports as `R$ 230,14950000000002` and `€120.6975`.
        (BR, 230.14950000000002, "R$\xa0230,15"),
        (EN, 120.6975, "€120.70"),
        (EL, 120.6975, "120,70\xa0€"),
        (EL, 1234.56, "1.235\xa0€"),
        (EL, 1234567.891, "1.234.568\xa0€"),
        (BR, 60000, "R$\xa060.000"),
        (EN, 500, "€500"),
        (EN, 999.999, "€1,000"),
        (EN, -12.5, "-€12.50"),
        (JP, 120.6975, "￥121"),
        (EN, None, MISSING),
    ],
)
def test_money_to_the_cent_below_a_thousand_whole_above(f, x, expected):
    assert f.money(x) == expected


@pytest.mark.parametrize(
    "f, x, expected",
    [
        # Babel's compact form leaves an amount it cannot shorten as it is: the exact strings
        # seen on real exports' chart labels.
        (BR, 230.14950000000002, "R$\xa0230,15"),
        (EN, 120.6975, "€120.70"),
        (EN, 1220000, "€1.2M"),
        (EL, 1220000, "1,2\xa0εκ.\xa0€"),
    ],
)
def test_compact_money_is_rounded_too(f, x, expected):
    assert f.money_compact(x) == expected


@pytest.mark.parametrize(
    "f, args, expected",
    [
        (EL, (1234.56, 2), "1.234,56\xa0€"),
        (BR, (1234.5, 2), "R$\xa01.234,50"),
        (JP, (1234.56, 2), "￥1,235"),
        (EN, (120.6975,), "€121"),
    ],
)
def test_money_digits_asked_for(f, args, expected):
    assert (f.money(*args) if len(args) > 1 else f.money_whole(*args)) == expected


@pytest.mark.parametrize(
    "f, delta, expected",
    [
        (EN, 0.85 - 0.90, "-5 pp"),
        (EN, 0.0123, "+1.2 pp"),
        (EN, 0.0, "0 pp"),
        (EN, 1e-9, "0 pp"),
        (EL, -0.05, "-5 μ.μ."),
        (EL, 0.0125, "+1,2 μ.μ."),
        (BR, 0.105, "+10,5 pp"),
        (EN, None, MISSING),
    ],
)
def test_rate_changes_in_points(f, delta, expected):
    assert f.points(delta) == expected


def test_points_unsigned_for_a_margin():
    assert EN.points(-0.032, signed=False) == "3.2 pp"
    assert EL.points(0.032, signed=False) == "3,2 μ.μ."


@pytest.mark.parametrize(
    "text, fiscal, start, end",
    [
        ("2026", 1, "2026-01-01", "2026-12-31"),
        ("2026-Q3", 1, "2026-07-01", "2026-09-30"),
        ("2026-02", 1, "2026-02-01", "2026-02-28"),
        ("2026", 4, "2026-04-01", "2027-03-31"),
        ("2026-Q4", 4, "2027-01-01", "2027-03-31"),
    ],
)
def test_period_bounds(text, fiscal, start, end):
    p = Period.parse(text, fiscal)
    assert (p.start, p.end) == (pd.Timestamp(start), pd.Timestamp(end))
    assert str(p) == text


@pytest.mark.parametrize(
    "text, n, expected",
    [
        ("2026-Q1", -1, "2025-Q4"),
        ("2026-Q4", 1, "2027-Q1"),
        ("2026-12", 1, "2027-01"),
        ("2026", -2, "2024"),
    ],
)
def test_period_shift(text, n, expected):
    assert str(Period.parse(text).shift(n)) == expected


def test_period_containing_fiscal():
    assert str(Period.containing("2027-02-10", "quarter", 4)) == "2026-Q4"
    assert str(Period.containing("2026-05-10", "year", 4)) == "2026"


@pytest.mark.parametrize("bad", ["2026-Q5", "26", "2026-13", "Q3"])
def test_bad_period(bad):
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse(bad)


@pytest.mark.parametrize(
    "day, fiscal, expected",
    [
        ("2026-09-30", 1, "2026-Q3"),
        ("2026-09-29", 1, "2026-Q2"),
        ("2027-03-31", 4, "2026-Q4"),
        ("2026-04-15", 4, "2025-Q4"),
    ],
)
def test_last_complete_quarter(day, fiscal, expected):
    from salescoach.domain.periods import last_complete_quarter

    assert str(last_complete_quarter(pd.Timestamp(day), fiscal)) == expected


def test_frame_formats_the_named_columns_only():
    table = pd.DataFrame(
        {"source": ["web"], "revenue_per_lead": [120.6975], "conversion": [0.25], "leads": [1234]}
    )
    shown = BR.frame(
        table, money=["revenue_per_lead", "absent"], pct=["conversion"], number=["leads"]
    )
    assert shown.iloc[0].tolist() == ["web", "R$\xa0120,70", "25%", "1.234"]
    assert table["revenue_per_lead"].iloc[0] == 120.6975  # the original is untouched
    assert BR.frame("not assessed: no deals data") == "not assessed: no deals data"
