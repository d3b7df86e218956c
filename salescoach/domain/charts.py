"""Static charts (matplotlib, Agg canvas, no pyplot state) legible in print and on screen.

The base style is here: `palette`, `figure`, `to_png`, `to_data_uri`. Chart functions take
frames, a Formatter (every label goes through it) and colours (from `[branding]`, passed in,
never read from files), and return a Figure. Other concepts append their chart functions at the
end of this file, built on `figure(...)`.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from salescoach.i18n import translator

# A title placed at the top of the axes, not placed by measuring every tick label for overlap
# (matplotlib's automatic title position): the same pixels here, where nothing sits above the
# axes, for about a quarter of a chart's drawing time.
TITLE_Y = 1.0

PRIMARY = "#1f4e79"
ACCENT = "#c55a11"
GREY = "#8c8c8c"
WIDTH = 7.5  # inches: fits A4 and Letter between 2 cm margins
DPI = 150  # sharp enough for print, small enough to embed
# Point sizes chosen to stay readable when a 7.5-inch chart is printed at full width.
TITLE_SIZE = 12
LABEL_SIZE = 10
TICK_SIZE = 9
NOTE_SIZE = 8


def palette(primary: str = PRIMARY, accent: str = ACCENT, n: int = 4) -> list[str]:
    """`n` colours: the two brand colours, then lighter tints of them, then grey."""

    def tint(colour: str, amount: float) -> str:
        r, g, b = to_rgb(colour)
        return to_hex((r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount))

    colours = [primary, accent, tint(primary, 0.5), tint(accent, 0.5), GREY]
    while len(colours) < n:
        colours.append(tint(colours[len(colours) - 5], 0.3))
    return colours[:n]


def figure(
    height: float = 3.2, width: float = WIDTH, title: str | None = None
) -> tuple[Figure, object]:
    """A Figure on an Agg canvas with one styled Axes: no top/right frame, print-sized fonts."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.xaxis.label.set_size(LABEL_SIZE)
    ax.yaxis.label.set_size(LABEL_SIZE)
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE, loc="left", y=TITLE_Y)
    return fig, ax


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (trimmed to its content)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=DPI)
    return buf.getvalue()


def to_data_uri(fig: Figure) -> str:
    """`data:image/png;base64,...` for an `<img src>` in self-contained HTML."""
    return "data:image/png;base64," + base64.b64encode(to_png(fig)).decode("ascii")


def attainment_bars(
    attainment: pd.Series, title: str, fmt, colour: str = PRIMARY, accent: str = ACCENT
) -> Figure:
    """Attainment per unit (1.0 = goal) as bars against the goal line, best at the top.

    Units at or over goal take the primary colour, those under it the accent colour.
    """
    data = attainment.dropna().sort_values()
    fig, ax = figure(max(2.2, 0.3 * len(data) + 1.0), title=title)
    values = data.to_numpy(dtype=float)
    ax.barh(
        [str(i) for i in data.index], values, color=[colour if v >= 1 else accent for v in values]
    )
    ax.axvline(1.0, color="black", lw=1, ls="--")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.pct(v)))
    for y, v in enumerate(values):
        ax.text(v, y, " " + fmt.pct(v), va="center", fontsize=NOTE_SIZE)
    ax.set_xlim(0, max(1.1, float(values.max()) * 1.15) if len(values) else 1.1)
    ax.set_ylim(-0.6, len(values) - 0.4)
    fig.tight_layout()
    return fig


def trend_lines(
    series: pd.DataFrame,
    title: str,
    fmt,
    money: bool = True,
    colours: tuple[str, ...] | None = None,
) -> Figure:
    """One line per column over periods (the index), e.g. actual against goal."""
    fig, ax = figure(title=title)
    colours = colours or tuple(palette(n=max(len(series.columns), 2)))
    x = np.arange(len(series))
    for i, column in enumerate(series.columns):
        ax.plot(
            x,
            series[column].to_numpy(dtype=float),
            marker="o",
            lw=2 if i == 0 else 1.2,
            ls="-" if i == 0 else "--",
            color=colours[i % len(colours)],
            label=str(column),
        )
    ax.set_xticks(x, [str(i) for i in series.index], fontsize=TICK_SIZE)
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _p: fmt.money_compact(v) if money else fmt.number(v))
    )
    ax.legend(fontsize=NOTE_SIZE, frameon=False)
    fig.tight_layout()
    return fig


def process_funnel(
    stages: pd.DataFrame, title: str, fmt, colour: str = PRIMARY, accent: str = ACCENT
) -> Figure:
    """The order-to-service funnel: orders reaching each stage, median days from the one before.

    `stages` has columns `label`, `count` and `median_days` (NaN for the first stage).
    """
    _ = translator(fmt.locale)
    fig, ax = figure(0.45 * len(stages) + 1.2, title=title)
    counts = stages["count"].to_numpy(dtype=float)
    days = (
        stages["median_days"].to_numpy(dtype=float)
        if "median_days" in stages
        else np.full(len(stages), np.nan)
    )
    y = np.arange(len(stages))[::-1]
    ax.barh(
        y,
        counts,
        color=[colour]
        + [accent if i == len(stages) - 1 else colour for i in range(1, len(stages))],
    )
    ax.set_yticks(y, stages["label"].astype(str).tolist(), fontsize=LABEL_SIZE)
    for yy, n, d in zip(y, counts, days):
        text = (
            fmt.number(n)
            if np.isnan(d)
            else _("{count}  ({days} d)", count=fmt.number(n), days=fmt.number(d, 1))
        )
        ax.text(n, yy, " " + text, va="center", fontsize=NOTE_SIZE)
    ax.set_xlim(0, max(counts.max() if len(counts) else 1, 1) * 1.25)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(v)))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- recognition


def leaderboard_bars(
    board: pd.DataFrame,
    title: str,
    fmt,
    colour: str = PRIMARY,
    accent: str = ACCENT,
    top: int = 15,
    value: str = "attainment",
) -> Figure:
    """The leaderboard's top rows as bars, best on top, labelled with the rank (`=2` when
    shared) and the value; bars of reps with a badge in the brand colour, the rest grey.

    `board` is `recognition.leaderboard(...)`: rank_label, name, `value`, badges.
    """
    data = board.dropna(subset=[value]).head(top).iloc[::-1]
    fig, ax = figure(max(2.2, 0.3 * len(data) + 1.1), title=title)
    y = np.arange(len(data))
    badged = data.get("badges", pd.Series("", index=data.index)).fillna("").astype(bool)
    ax.barh(y, data[value].to_numpy(dtype=float), color=[colour if b else GREY for b in badged])
    labels = [f"{r}  {n}" for r, n in zip(data["rank_label"], data["name"].astype(str))]
    ax.set_yticks(y, labels, fontsize=TICK_SIZE)
    if value == "attainment":
        ax.axvline(1.0, color=accent, lw=1, ls="--")
    for yy, v in zip(y, data[value].to_numpy(dtype=float)):
        ax.text(v, yy, " " + fmt.pct(v, 1), va="center", fontsize=NOTE_SIZE)
    top_value = float(data[value].max()) if len(data) else 1.0
    ax.set_xlim(0, max(top_value, 1.0) * 1.15)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.pct(v)))
    fig.tight_layout()
    return fig


def budget_bars(
    spent: pd.Series,
    budgets: pd.Series,
    title: str,
    fmt,
    colour: str = PRIMARY,
    accent: str = ACCENT,
) -> Figure:
    """What each part of a program costs against its budget (same index, e.g. cash and
    non-cash): the cost as a bar, the budget as a tick; a cost over budget in the accent."""
    fig, ax = figure(0.6 * len(spent) + 1.2, title=title)
    y = np.arange(len(spent))[::-1]
    cost = spent.to_numpy(dtype=float)
    limit = budgets.reindex(spent.index).to_numpy(dtype=float)
    over = np.where(np.isfinite(limit) & (limit > 0), cost > limit, False)
    ax.barh(y, cost, color=[accent if o else colour for o in over])
    for yy, c, b in zip(y, cost, limit):
        if np.isfinite(b) and b > 0:
            ax.plot([b, b], [yy - 0.4, yy + 0.4], color="black", lw=2)
        ax.text(c, yy, " " + fmt.money(c), va="center", fontsize=NOTE_SIZE)
    ax.set_yticks(y, [str(i) for i in spent.index], fontsize=TICK_SIZE)
    ax.set_xlim(0, max(np.nanmax(np.r_[cost, limit, 1.0]), 1.0) * 1.25)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.money_compact(v)))
    fig.tight_layout()
    return fig


def gap_waterfall(
    parts: pd.DataFrame,
    title: str,
    fmt,
    colour: str = PRIMARY,
    accent: str = ACCENT,
    lang: str | None = None,
) -> Figure:
    """One scope's goal-gap waterfall (rows of `diagnosis_gap.gap_waterfall` for one scope_id):
    each cause's part of the miss as a floating bar, the unexplained remainder in grey, the
    whole gap as the last bar; the parts add up to it."""
    from salescoach.i18n import N_, label

    tr = translator(lang)
    amounts = parts["amount"].to_numpy(dtype=float)
    nobody = tr(N_("explained by nobody"))
    names = [nobody if p == "unexplained" else label(p, lang) for p in parts["part"]]
    gap = float(parts["gap"].iloc[0]) if len(parts) else 0.0
    fig, ax = figure(3.4, title=title)
    start = np.r_[0.0, np.cumsum(amounts)[:-1]]
    colours = [GREY if p == "unexplained" else accent for p in parts["part"]]
    x = np.arange(len(amounts) + 1)
    ax.bar(x[:-1], amounts, bottom=start, color=colours)
    ax.bar(x[-1], gap, color=colour)
    for xx, s, a in zip(x[:-1], start, amounts):
        ax.text(
            xx, s + max(a, 0), fmt.money_compact(a), ha="center", va="bottom", fontsize=NOTE_SIZE
        )
    ax.text(
        x[-1], max(gap, 0), fmt.money_compact(gap), ha="center", va="bottom", fontsize=NOTE_SIZE
    )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, names + [tr(N_("gap to goal"))], fontsize=TICK_SIZE, rotation=20, ha="right")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.money_compact(v)))
    fig.tight_layout()
    return fig


def revenue_per_quarter(
    mine: pd.Series,
    peers_median: pd.Series | None,
    fmt,
    title: str,
    you: str,
    peers: str,
    colour: str = PRIMARY,
    accent: str = ACCENT,
) -> Figure:
    """A rep's revenue per quarter as bars (index: period labels), the peers' median as a line
    (None: too few peers to show); the review pack's trend, drawn without pyplot."""
    fig = Figure(figsize=(7, 2.6), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    labels = [str(p) for p in mine.index]
    ax.bar(labels, mine.to_numpy(dtype=float), color=colour, label=you)
    if peers_median is not None:
        ax.plot(
            labels,
            peers_median.reindex(mine.index).to_numpy(dtype=float),
            color=accent,
            marker="o",
            label=peers,
        )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.money_compact(v)))
    # Periods as people say them, on two lines (`Γ' τρίμηνο` over `2026`) so eight fit.
    ax.set_xticks(range(len(labels)), ["\n".join(fmt.period(p).rsplit(" ", 1)) for p in labels])
    ax.set_title(title, fontsize=10, loc="left", y=TITLE_Y)
    ax.tick_params(labelsize=8)
    # Above the bars, right of the title: a long Greek label must not cover the data.
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="lower right", bbox_to_anchor=(1, 1))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # Fixed margins, not tight_layout: the layout pass drew the whole chart once more, a
    # third of a pack's chart time (profiled); these fit a Greek money label and two-line
    # period labels at this size.
    fig.subplots_adjust(left=0.11, right=0.99, top=0.86, bottom=0.2)
    return fig
