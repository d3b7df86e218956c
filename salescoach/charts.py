"""Static charts (matplotlib, Agg, no pyplot state) legible in print and on screen.

Every function takes frames and a Formatter and returns a Figure; `to_data_uri` embeds one in
self-contained HTML. Colours come in as arguments (from `[branding]`), never read from files.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

PRIMARY = "#1f4e79"
ACCENT = "#c55a11"
GREY = "#8c8c8c"
WIDTH = 7.5  # inches: fits A4 and Letter between margins


def figure(height: float = 3.2) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH, height), dpi=110)
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)
    return fig, ax


def to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def to_data_uri(fig: Figure) -> str:
    return "data:image/png;base64," + base64.b64encode(to_png(fig)).decode("ascii")


def attainment_bars(
    attainment: pd.Series, title: str, fmt, colour: str = PRIMARY, accent: str = ACCENT
) -> Figure:
    """Attainment per unit (1.0 = goal) as bars against the goal line, best first."""
    data = attainment.dropna().sort_values()
    fig, ax = figure(max(2.2, 0.28 * len(data) + 1))
    colours = [colour if v >= 1 else accent for v in data.to_numpy()]
    ax.barh([str(i) for i in data.index], data.to_numpy(), color=colours)
    ax.axvline(1.0, color="black", lw=1, ls="--")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.pct(v)))
    for y, v in enumerate(data.to_numpy()):
        ax.text(v, y, " " + fmt.pct(v), va="center", fontsize=8)
    ax.set_title(title, fontsize=11, loc="left")
    fig.tight_layout()
    return fig


def trend_lines(
    series: pd.DataFrame, title: str, fmt, money: bool = True, colours=(PRIMARY, ACCENT, GREY)
) -> Figure:
    """One line per column over periods (the index), e.g. actual against goal."""
    fig, ax = figure()
    for i, column in enumerate(series.columns):
        ax.plot(
            range(len(series)),
            series[column].to_numpy(),
            marker="o",
            lw=2 if i == 0 else 1.2,
            color=colours[i % len(colours)],
            label=str(column),
        )
    ax.set_xticks(range(len(series)), [str(i) for i in series.index], rotation=0, fontsize=8)
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _p: fmt.money_compact(v) if money else fmt.number(v))
    )
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(title, fontsize=11, loc="left")
    fig.tight_layout()
    return fig


def process_funnel(
    stages: pd.DataFrame, title: str, fmt, colour: str = PRIMARY, accent: str = ACCENT
) -> Figure:
    """The order-to-service funnel: line counts per stage with the median days between stages."""
    fig, ax = figure(2.8)
    counts = stages["count"].to_numpy(dtype=float)
    ax.barh(range(len(stages))[::-1], counts, color=colour)
    ax.set_yticks(range(len(stages))[::-1], stages["stage"].tolist(), fontsize=9)
    for y, (n, days) in zip(
        range(len(stages))[::-1], zip(counts, stages.get("median_days", [np.nan] * len(stages)))
    ):
        label = fmt.number(n) + ("" if pd.isna(days) else f"  ({fmt.number(days)} d)")
        ax.text(n, y, " " + label, va="center", fontsize=8)
    ax.set_title(title, fontsize=11, loc="left")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(v)))
    fig.tight_layout()
    return fig
