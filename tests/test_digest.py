"""The best-practice digest: positive examples only, names escaped, self-contained HTML."""

from __future__ import annotations

import dataclasses
import html
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.domain import insights
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.services import digest, training as service

PERIOD = Period.parse("2026-Q3")
ROW = re.compile(r'<tr class="example" data-measure="(\w+)"><td>(.*?)</td>')


@pytest.mark.parametrize(
    "values, n, named",
    [
        ([0.1, 0.2, 0.3, 0.4], 3, ["R4", "R3"]),  # 0.2 is under the median 0.25
        ([0.1, 0.2, 0.3, 0.4, 0.5], 2, ["R5", "R4"]),
        ([0.5, 0.5, 0.5], 3, ["R1", "R2", "R3"]),  # all at the median
        ([0.9, None], 3, []),  # too few reps with the measure to have a median
    ],
)
def test_positive_examples_stop_at_the_median(values, n, named):
    measures = pd.DataFrame({"win_rate": values}, index=[f"R{i + 1}" for i in range(len(values))])
    out = digest.positive_examples(measures, pd.Series(dtype=str), n)
    assert [e.rep_id for e in out] == named
    assert all(e.value >= e.median for e in out)


@pytest.fixture(scope="module")
def sample_digest(sample_workbook):
    return service.render_digest(sample_workbook, "2026-Q3")


def test_no_rep_is_named_beside_a_below_median_figure(sample_digest, sample_tables):
    rules = insights.InsightRules()
    measures = digest.rep_measures(sample_tables, PERIOD, rules)
    reps = sample_tables["reps"]
    by_name = reps.groupby("name")["rep_id"].apply(list)
    rows = ROW.findall(sample_digest)
    assert rows, "the sample has good examples to name"
    for measure, name in rows:
        values = measures[measure].dropna()
        ids = by_name[html.unescape(name)]
        assert any(values.get(i, float("-inf")) >= values.median() for i in ids), (measure, name)
    # No name anywhere else in the page.
    rest = ROW.sub("", sample_digest)
    for name in reps["name"]:
        assert html.escape(name) not in rest, name


def test_the_sample_digest_names_a_planted_top_performer(sample_digest, ground_truth):
    tops = {g["name"] for g in ground_truth if g["cause"] == "top_performer"}
    named = {html.unescape(n) for _, n in ROW.findall(sample_digest)}
    assert tops & named


def test_the_digest_is_self_contained(sample_digest):
    assert "<script" not in sample_digest and "http://" not in sample_digest
    assert "https://" not in sample_digest and "<link" not in sample_digest


def test_names_are_escaped(sample_tables):
    tables = dict(sample_tables)
    reps = tables["reps"].copy()
    content = digest.digest_content(tables, PERIOD, insights.InsightRules())
    top = content.examples[0].rep_id
    reps.loc[reps["rep_id"] == top, "name"] = "<script>alert(1)</script>"
    tables["reps"] = reps
    page = digest.render_digest(
        digest.digest_content(tables, PERIOD, insights.InsightRules()), Formatter("en_IE", "EUR")
    )
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_missing_table_is_said_not_failed(sample_tables):
    tables = {k: v for k, v in sample_tables.items() if k != "feedback"}
    page = digest.render_digest(
        digest.digest_content(tables, PERIOD, insights.InsightRules()), Formatter("en_IE", "EUR")
    )
    assert "not assessed: no feedback data" in page


@pytest.mark.parametrize("lang", ["en", "el"])
def test_digest_command_writes_the_file(sample_workbook, tmp_path, lang):
    out = tmp_path / f"digest-{lang}.html"
    result = CliRunner().invoke(
        main,
        [
            "--workbook",
            str(sample_workbook.root),
            "digest",
            "--period",
            "2026-Q3",
            "--out",
            str(out),
            "--lang",
            lang,
        ],
    )
    assert result.exit_code == 0, result.output
    assert f'<html lang="{lang}">' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "keep_prior_year, lang, said, not_said",
    [
        (True, "en", None, "Growth not assessed"),
        (False, "en", "Growth not assessed: no orders in Q3 2025 to compare with.", "No product"),
        (False, "el", "no-prior", "No product family grew"),
    ],
)
def test_growth_without_a_year_before_is_not_assessed(
    sample_tables, keep_prior_year, lang, said, not_said
):
    tables = dict(sample_tables)
    if not keep_prior_year:
        orders = tables["orders"]
        tables["orders"] = orders[orders["order_date"] >= PERIOD.start]
    content = digest.digest_content(tables, PERIOD, insights.InsightRules())
    assert (content.no_prior is None) is keep_prior_year
    # Without a year before, families are listed by revenue, not dropped as "not grown".
    assert len(content.families) > 0
    page = digest.render_digest(content, Formatter("el_GR" if lang == "el" else "en_IE"), lang)
    if said:
        assert said in page
    assert not_said not in page


@pytest.mark.parametrize("months", [3, 12])
def test_what_wins_reads_the_lookback_window_and_says_so(sample_tables, months):
    """One quarter holds too few deals per technique: what wins reads `lookback_months` to the
    period's end, counts every deal closed in them, and the page names the dates."""
    rules = dataclasses.replace(insights.InsightRules(), lookback_months=months, min_deals=1)
    content = digest.digest_content(sample_tables, PERIOD, rules)
    since = insights.lookback_start(PERIOD.start, PERIOD.end, months)
    assert content.since == since
    deals = sample_tables["deals"]
    closed = deals[
        deals["stage"].isin(["won", "lost"]) & deals["close_date"].between(since, PERIOD.end)
    ]
    shown = content.techniques.set_index("technique")["closed"]
    per_technique = closed.groupby("technique").size()
    assert (shown == per_technique.loc[shown.index]).all()
    page = digest.render_digest(content, Formatter("en_IE", "EUR"))
    fmt = Formatter("en_IE", "EUR")
    assert f"from {fmt.date(since)} to {fmt.date(PERIOD.end)}" in page
