"""Charts the app draws itself from the context's cached daily figures.

Pure functions: data in, a matplotlib ``Figure`` out (made without pyplot, so nothing global
is kept between redraws). Labels come formatted through the workbook's Formatter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import num2date
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

from salescoach.domain.charts import TITLE_Y

SIZE = (7.5, 3.0)
# Fixed margins (fractions of SIZE) instead of `tight_layout`: measuring every label to fit
# them drew the chart twice more, two thirds of a goals redraw (profiled at 455 reps).
# Room for compact money on the left ("600 εκ. €") and for the first slanted date below it.
MARGINS = {"left": 0.13, "right": 0.98, "top": 0.88, "bottom": 0.26}


def _cached(format_one):
    """A tick formatter that formats each value once per figure (the locale's date and money
    formatting is slow, and matplotlib asks for the same ticks at every layout pass)."""
    seen: dict[float, str] = {}

    def label(value, _pos=None):
        if value not in seen:
            seen[value] = format_one(value)
        return seen[value]

    return FuncFormatter(label)


def goal_progress_figure(
    daily: pd.Series,
    target: float | None,
    last_day: pd.Timestamp,
    title: str,
    fmt,
    labels: dict[str, str],
    colour: str = "#1f4e79",
    accent: str = "#c55a11",
) -> Figure:
    """Cumulative actual over the period against the straight path to the target."""
    fig = Figure(figsize=SIZE)
    ax = fig.add_subplot()
    days = daily.index
    shown = daily[days <= last_day]
    cumulative = shown.cumsum()
    ax.plot(cumulative.index, cumulative.to_numpy(), color=colour, lw=2, label=labels["actual"])
    if target is not None and np.isfinite(target):
        ax.plot(
            [days[0], days[-1]], [0, target], color=accent, lw=1.2, ls="--", label=labels["path"]
        )
        ax.axhline(target, color=accent, lw=0.8, alpha=0.6)
    ax.set_title(title, fontsize=11, loc="left", y=TITLE_Y)
    ax.yaxis.set_major_formatter(_cached(fmt.money_compact))
    ax.set_xlim(days[0], days[-1])
    ax.set_ylim(bottom=0)
    if _nothing_to_scale(cumulative, target):
        # No target and nothing sold (a quarter not started, a rep without sales): an axis
        # scaled to nothing would read in cents ("0.05 €"); only the zero line is true (and a
        # figure kept between redraws reckons such limits differently from a fresh one).
        ax.yaxis.set_major_locator(FixedLocator([0.0]))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # Dates as the reader's locale writes them (`1 Ιουλ 2026`), not matplotlib's ISO default.
    ax.xaxis.set_major_formatter(_cached(lambda v: fmt.date(num2date(v))))
    fig.autofmt_xdate()
    fig.subplots_adjust(**MARGINS)
    # Neither axis has a label: fixing where it would go spares measuring every tick label at
    # each drawing to place it (a tenth of the drawing).
    ax.xaxis.set_label_coords(0.5, 0.0)
    ax.yaxis.set_label_coords(0.0, 0.5)
    return fig


def _nothing_to_scale(cumulative: pd.Series, target: float | None) -> bool:
    """No target above nought and nothing sold: every line lies on zero."""
    has_target = target is not None and bool(np.isfinite(target)) and target != 0
    return not has_target and not (cumulative.abs() > 0).any()


class GoalProgressChart:
    """`goal_progress_figure` kept between redraws: a new view sets the lines, limits and title
    of a figure already built instead of building axes, ticks and legend again (a fifth of a
    goals redraw at scale 7). The PNG is the fresh figure's, pixel for pixel (tests/test_charts).
    One figure per shape: with a target, without (a period without goals yet) and with nothing
    to scale, in the words and formats of the language shown."""

    SHAPES_KEPT = 6  # with a target, without, with nothing to scale; in two languages

    def __init__(self):
        self._kept: dict[tuple, _KeptFigure] = {}

    def figure(
        self,
        daily: pd.Series,
        target: float | None,
        last_day: pd.Timestamp,
        title: str,
        fmt,
        labels: dict[str, str],
    ) -> Figure:
        has_target = target is not None and bool(np.isfinite(target))
        empty = _nothing_to_scale(daily[daily.index <= last_day], target)
        shape = (fmt, tuple(sorted(labels.items())), has_target, empty)
        kept = self._kept.pop(shape, None)
        if kept is None:
            kept = _KeptFigure(goal_progress_figure(daily, target, last_day, title, fmt, labels))
        else:
            kept.update(daily, target if has_target else None, last_day, title)
        self._kept[shape] = kept  # the newest last; the oldest goes first
        while len(self._kept) > self.SHAPES_KEPT:
            self._kept.pop(next(iter(self._kept)))
        kept.fix_ticks(daily.index)
        return kept.figure


class _KeptFigure:
    def __init__(self, figure: Figure):
        self.figure = figure
        # Its own Agg canvas: savefig then keeps one renderer, whose text measurements are
        # kept between redraws (a borrowed canvas would start afresh each time).
        FigureCanvasAgg(figure)
        self.dates = figure.axes[0].xaxis.get_major_locator()  # matplotlib's own
        self.ticks: dict[tuple, FixedLocator] = {}

    def update(self, daily: pd.Series, target: float | None, last_day, title: str) -> None:
        ax = self.figure.axes[0]
        days = daily.index
        cumulative = daily[days <= last_day].cumsum()
        actual, *rest = ax.lines
        actual.set_data(cumulative.index, cumulative.to_numpy())
        if target is not None:
            path, level = rest
            path.set_data([days[0], days[-1]], [0, target])
            level.set_ydata([target, target])
        ax.set_title(title, fontsize=11, loc="left", y=TITLE_Y)
        # As the fresh figure's limits come about: x set, y from the data down to 0.
        ax.relim()
        ax.set_xlim(days[0], days[-1])
        ax.set_autoscaley_on(True)
        ax.autoscale_view(scalex=False)
        ax.set_ylim(bottom=0)

    def fix_ticks(self, days: pd.DatetimeIndex) -> None:
        """The dates matplotlib picks for the period's axis, worked out once per period: its
        date locator reckons them by calendar rules several times in every drawing."""
        axis = self.figure.axes[0].xaxis
        span = (days[0], days[-1])
        if span not in self.ticks:
            axis.set_major_locator(self.dates)
            self.ticks[span] = FixedLocator(self.dates())
        axis.set_major_locator(self.ticks[span])


def monthly_bars_figure(monthly: pd.Series, title: str, fmt, colour: str = "#1f4e79") -> Figure:
    """One bar per month (index: month labels), values as compact money."""
    fig = Figure(figsize=SIZE)
    ax = fig.add_subplot()
    ax.bar(range(len(monthly)), monthly.to_numpy(), color=colour)
    ax.set_xticks(range(len(monthly)), [str(i) for i in monthly.index], rotation=45, fontsize=8)
    ax.yaxis.set_major_formatter(_cached(fmt.money_compact))
    ax.set_title(title, fontsize=11, loc="left", y=TITLE_Y)
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.subplots_adjust(**MARGINS)
    return fig
