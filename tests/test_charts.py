"""Charts: the base style, PNG and data-URI output, and the monitoring charts' content."""

import base64

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from salescoach.domain import charts
from salescoach.domain.fmt import Formatter

FMT = Formatter()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("n", [1, 2, 4, 5, 8])
def test_palette_starts_with_the_brand_colours(n):
    colours = charts.palette("#112233", "#aa5500", n)
    assert len(colours) == n and len(set(colours)) == n
    assert colours[0] == "#112233"
    if n > 1:
        assert colours[1] == "#aa5500"


def test_figure_is_print_sized_on_an_agg_canvas():
    fig, ax = charts.figure(3.0, title="T")
    assert fig.get_size_inches().tolist() == [charts.WIDTH, 3.0]
    assert type(fig.canvas).__name__ == "FigureCanvasAgg"
    assert not ax.spines["top"].get_visible() and ax.title.get_fontsize() == charts.TITLE_SIZE


def test_png_and_data_uri():
    fig, ax = charts.figure()
    ax.plot([0, 1], [0, 1])
    png = charts.to_png(fig)
    assert png.startswith(PNG_MAGIC)
    uri = charts.to_data_uri(fig)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).startswith(PNG_MAGIC)


def test_attainment_bars_colour_units_under_goal_with_the_accent():
    att = pd.Series({"North": 1.07, "West": 0.68, "East": np.nan})
    fig = charts.attainment_bars(att, "Attainment", FMT, "#1f4e79", "#c55a11")
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 2  # East has no goal: left out
    colours = {to_hex(b.get_facecolor()) for b in bars}
    assert colours == {"#1f4e79", "#c55a11"}
    assert any(line.get_xdata()[0] == 1.0 for line in ax.lines)  # the goal line
    assert {t.get_text().strip() for t in ax.texts} == {"107%", "68%"}


def test_trend_lines_one_line_per_column_with_formatted_axis():
    data = pd.DataFrame(
        {"Revenue": [1e6, 1.2e6, 0.9e6], "Goal": [1e6, 1e6, 1e6]}, index=["Q1", "Q2", "Q3"]
    )
    fig = charts.trend_lines(data, "Trend", FMT)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["Revenue", "Goal"]
    fig.canvas.draw()
    assert any("M" in t.get_text() for t in ax.get_yticklabels())


def test_process_funnel_labels_counts_and_days():
    stages = pd.DataFrame(
        {
            "label": ["Ordered", "Shipped", "Delivered"],
            "count": [100, 90, 80],
            "median_days": [np.nan, 3.0, 2.0],
        }
    )
    fig = charts.process_funnel(stages, "Funnel", FMT)
    texts = [t.get_text().strip() for t in fig.axes[0].texts]
    assert texts == ["100", "90  (3.0 d)", "80  (2.0 d)"]
    assert isinstance(fig, Figure)


def test_greek_locale_formats_the_labels():
    att = pd.Series({"Βόρεια": 1.25})
    fig = charts.attainment_bars(att, "Επίτευξη", Formatter("el_GR", "EUR"))
    assert fig.axes[0].texts[0].get_text().strip() == "125%"
    assert charts.to_png(fig).startswith(PNG_MAGIC)


@pytest.mark.parametrize("with_peers", [True, False])
def test_revenue_per_quarter_is_drawn_without_pyplot(with_peers):
    import sys

    mine = pd.Series([10_000.0, 12_000.0, 9_000.0], index=["2026-Q1", "2026-Q2", "2026-Q3"])
    median = mine * 0.9 if with_peers else None
    pyplot = sys.modules.get("matplotlib.pyplot")
    before = pyplot.get_fignums() if pyplot else []
    fig = charts.revenue_per_quarter(mine, median, FMT, "Revenue", "You", "Peers: median")
    assert isinstance(fig, Figure) and type(fig.canvas).__name__ == "FigureCanvasAgg"
    assert (pyplot.get_fignums() if pyplot else []) == before  # no pyplot figure left open
    ax = fig.axes[0]
    assert len(ax.patches) == 3 and len(ax.lines) == (1 if with_peers else 0)
    assert charts.to_png(fig).startswith(PNG_MAGIC)


def test_the_app_goal_chart_kept_between_redraws_draws_what_a_fresh_one_draws():
    """The goals page sets the lines, limits and title of one kept figure; its PNG must be the
    fresh figure's, whatever the period's length, the target (none, nought, any size), the day
    reached or the language, and whether the last view kept the figure or built it afresh."""
    from salescoach.app.figures import GoalProgressChart, goal_progress_figure
    from salescoach.app.widgets import png_bytes

    rng = np.random.default_rng(20261203)
    labels = {"actual": "Actual to date", "path": "Path to target"}
    chart, kept = GoalProgressChart(), 0
    for i in range(12):
        days = pd.date_range(
            pd.Timestamp("2026-01-01") + pd.DateOffset(months=int(rng.integers(0, 12))),
            periods=int(rng.choice([31, 92, 365])),
        )
        daily = pd.Series(rng.uniform(0, 10 ** rng.uniform(2, 7), len(days)), index=days)
        if i % 6 == 5:
            daily[:] = 0.0  # nothing sold yet
        target = (None, 0.0, float(rng.uniform(0.2, 3) * daily.sum()))[min(2, i % 4)]
        last = days[int(rng.integers(0, len(days)))]
        fmt = Formatter("el_GR") if i % 5 == 4 else FMT
        before = {id(k.figure) for k in chart._kept.values()}
        figure = chart.figure(daily, target, last, f"Team {i}", fmt, labels)
        kept += id(figure) in before
        kept_png = png_bytes(figure)
        fresh_png = png_bytes(goal_progress_figure(daily, target, last, f"Team {i}", fmt, labels))
        assert kept_png == fresh_png, (i, len(days), target, fmt.locale)
    assert kept >= 4  # the kept figure was drawn again, not only built afresh


def test_the_app_goal_chart_with_no_target_and_nothing_sold_shows_only_the_zero_line():
    """A quarter not started has no sale and often no goal yet: an axis scaled to nothing read
    in cents ("0.05 €"). Only the zero line is drawn; one sale or a target scales it again."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from salescoach.app.figures import GoalProgressChart, goal_progress_figure

    days = pd.date_range("2027-04-01", "2027-06-30")
    nothing = pd.Series(0.0, index=days)
    labels = {"actual": "Actual to date", "path": "Path to target"}

    def y_ticks(fig):
        FigureCanvasAgg(fig).draw()
        return [t for t in fig.axes[0].get_yticks() if 0 <= t <= fig.axes[0].get_ylim()[1]]

    assert y_ticks(goal_progress_figure(nothing, None, days[-1], "T", FMT, labels)) == [0.0]
    assert len(y_ticks(goal_progress_figure(nothing, 5e5, days[-1], "T", FMT, labels))) > 2
    sold = nothing.copy()
    sold.iloc[3] = 1200.0
    assert len(y_ticks(goal_progress_figure(sold, None, days[-1], "T", FMT, labels))) > 2
    chart = GoalProgressChart()  # kept figures: the empty one never lends its axis to a sale
    chart.figure(nothing, None, days[-1], "T", FMT, labels)
    assert len(y_ticks(chart.figure(sold, None, days[-1], "T", FMT, labels))) > 2
