"""Award money left "auto" follows the organisation's own revenue per seller, in its currency,
and the proposal says how each amount was reached."""

import math

import pandas as pd
import pytest

from salescoach.data.importer import validate_path
from salescoach.data.workbook import Workbook, init_workbook
from salescoach.domain import recognition as r
from salescoach.domain.fmt import Formatter
from salescoach.services import recognition as service
from salescoach.settings import Settings, SettingsError

BRL = Formatter("pt_BR", "BRL")


def program(**settings) -> r.ProgramSettings:
    return r.ProgramSettings.from_settings(Settings.from_dict({"recognition": settings}))


@pytest.mark.parametrize(
    "revenue, expected",
    [
        # Sellers x periods; the median of each seller's mean per period.
        ({"Q2": [4000, 4400, 3800], "Q3": [4400, 4000, 4600]}, 4200.0),
        # A period before the data starts does not halve everyone's mean.
        ({"Q1": [0, 0, 0], "Q2": [4000, 4400, 3800], "Q3": [4400, 4000, 4600]}, 4200.0),
        # A seller who sold nothing is not the median seller.
        ({"Q3": [0, 100, 300]}, 200.0),
        ({"Q3": [0, 0]}, math.nan),
        ({}, math.nan),
    ],
)
def test_revenue_per_seller(revenue, expected):
    got = r.revenue_per_seller(pd.DataFrame(revenue))
    assert got == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize(
    "median, sellers, base, cash, noncash",
    [
        # The reported case: R$ 21k of revenue among 5 sellers in a quarter.
        (4200.0, 5, 21.0, 210.0, 52.0),
        # The sample organisation: close to the old fixed 8,000.
        (1_563_799.0, 61, 7800.0, 950_000.0, 240_000.0),
    ],
)
def test_auto_amounts_follow_revenue(median, sellers, base, cash, noncash):
    revenue = pd.DataFrame({"Q3": [median] * sellers})
    got = r.with_auto_amounts(program(), revenue)
    assert (got.plan.base, got.cash_budget, got.noncash_budget) == (base, cash, noncash)


def test_amounts_given_are_kept():
    given = program(cash_budget=60000.0, noncash_budget=0.0, bonus={"base": 8000.0})
    assert given.auto == ()
    got = r.with_auto_amounts(given, pd.DataFrame({"Q3": [4200.0] * 5}))
    assert (got.plan.base, got.cash_budget, got.noncash_budget) == (8000.0, 60000.0, 0.0)
    assert r.auto_notes(got, BRL) == []


@pytest.mark.parametrize(
    "fmt, lang, expected",
    [
        (
            BRL,
            "en",
            [
                "Bonus base 0,5% of the median revenue per seller per period (R$\xa04.200) ="
                ' R$\xa021 ([recognition.bonus] base = "auto").',
                "Cash budget 1% of the median revenue per seller per period (R$\xa04.200) x 5"
                ' sellers = R$\xa0210 ([recognition] cash_budget = "auto").',
                "Non-cash budget 0,25% of the median revenue per seller per period (R$\xa04.200)"
                ' x 5 sellers = R$\xa052 ([recognition] noncash_budget = "auto").',
            ],
        ),
        (
            Formatter("el_GR", "EUR"),
            "el",
            [
                "Βασικό ποσό μπόνους 0,5% της διάμεσης αξίας πωλήσεων ανά πωλητή ανά περίοδο"
                ' (4.200\xa0€) = 21\xa0€ ([recognition.bonus] base = "auto").',
                "Προϋπολογισμός μετρητών 1% της διάμεσης αξίας πωλήσεων ανά πωλητή ανά περίοδο"
                ' (4.200\xa0€) x 5 πωλητές = 210\xa0€ ([recognition] cash_budget = "auto").',
                "Προϋπολογισμός μη χρηματικών ανταμοιβών 0,25% της διάμεσης αξίας πωλήσεων ανά"
                " πωλητή ανά περίοδο (4.200\xa0€) x 5 πωλητές = 52\xa0€ ([recognition]"
                ' noncash_budget = "auto").',
            ],
        ),
    ],
)
def test_notes_say_how(fmt, lang, expected):
    got = r.with_auto_amounts(program(), pd.DataFrame({"Q3": [4200.0] * 5}))
    assert r.auto_notes(got, fmt, lang) == expected


def test_no_revenue_no_bonus_and_said():
    got = r.with_auto_amounts(program(), pd.DataFrame())
    assert (got.plan.base, got.cash_budget, got.noncash_budget) == (0.0, 0.0, 0.0)
    assert "no sellers' revenue" in r.auto_notes(got, BRL)[0]


@pytest.mark.parametrize(
    "settings, error",
    [
        ({"cash_budget": "auto"}, None),
        ({"cash_budget": 5000}, None),
        (
            {"cash_budget": "lots"},
            "[recognition] cash_budget = 'lots' should be a number or \"auto\"",
        ),
        (
            {"bonus": {"base": "lots"}},
            "[recognition.bonus] base = 'lots' should be a number or \"auto\"",
        ),
    ],
)
def test_settings_take_auto_or_an_amount(settings, error):
    if error is None:
        program(**settings)
        return
    with pytest.raises(SettingsError) as exc:
        program(**settings)
    assert str(exc.value) == f"salescoach.toml: {error}"


@pytest.fixture(scope="module")
def small_brl(tmp_path_factory):
    """Five sellers who sold R$ 21,000 in 2026-Q3, each beating a goal of R$ 3,000."""
    root = tmp_path_factory.mktemp("brl")
    data = root / "data"
    data.mkdir()
    reps = [f"R{i}" for i in range(1, 6)]
    (data / "reps.csv").write_text(
        "rep_id,name,team,department\n" + "".join(f"{x},Rep {x},A,Sul\n" for x in reps)
    )
    (data / "products.csv").write_text("product_id,name\nP1,Widget\n")
    (data / "orders.csv").write_text(
        "order_id,rep_id,product_id,order_date,quantity,unit_price\n"
        + "".join(f"O{x},{x},P1,2026-08-01,1,4200\n" for x in reps)
    )
    (data / "targets.csv").write_text(
        "scope,scope_id,period,metric,target\n"
        + "".join(f"rep,{x},2026-Q3,revenue,3000\n" for x in reps)
    )
    settings = init_workbook(root / "wb")
    text = settings.read_text().replace('currency = "EUR"', 'currency = "BRL"', 1)
    settings.write_text(text.replace('locale = "en_IE"', 'locale = "pt_BR"', 1))
    wb = Workbook.open(root / "wb")
    wb.save_import(validate_path(data), str(data), "tests")
    return wb


def test_a_small_business_is_not_proposed_more_than_its_revenue(small_brl):
    result = service.proposal(small_brl, "2026-Q3")
    assert result.cash_budget == 210.0 and result.noncash_budget == 52.0
    assert result.cost <= result.cash_budget + result.noncash_budget
    assert any("R$\xa021 ([recognition.bonus] base" in n for n in result.notes)
    # The trip of the shipped rules (3,000) does not fit a R$ 52 non-cash budget: unfunded.
    assert "trip" not in set(result.awards["reward"])
