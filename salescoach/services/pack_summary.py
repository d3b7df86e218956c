"""Review packs: page 1 of a rep's pack, what the one-to-one talks about (attainment against
goal and peers, the talking points, the next goal), and the rep's own gap explained. Part of
:mod:`salescoach.services.packs`."""

from __future__ import annotations

import copy
import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salescoach.data.workbook import Workbook
from salescoach.domain.fmt import Formatter
from salescoach.domain.peers import peer_benchmark
from salescoach.domain.periods import Period
from salescoach.i18n import _, _n, label, separated
from salescoach.services import scope as pack_scope
from salescoach.services.pack_data import (
    _fingerprint,
    batch_figures,
    batch_key,
    next_revenue_goal,
    open_workbook,
    parse_period,
)
from salescoach.services.pack_rep import _is_support, _peer_group, _row

# --------------------------------------------------------------------------------------------
# Page 1 of a rep's pack: what the one-to-one talks about
# --------------------------------------------------------------------------------------------

_DIAGNOSES: dict[str, Any] = {}


def _diagnosis(wb: Workbook, period: Period):
    """The period's diagnosis pass (`services.diagnosis.run`), once per process and batch: a
    kept kernel renders many reps of one batch, and the pass covers the whole organisation."""
    from salescoach.services import diagnosis

    key = batch_key(wb, period)
    if key not in _DIAGNOSES:
        _DIAGNOSES.clear()
        _DIAGNOSES[key] = diagnosis.run(wb, str(period))
    return _DIAGNOSES[key]


@pack_scope.section("rep", prepare=[{}])
def explanation(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> dict:
    """What explains the rep's own gap and the next coaching step: the goal-gap decomposition
    (`diagnosis_gap.rep_explanation`) on the batch's diagnosis pass."""
    from salescoach.domain.diagnosis_gap import rep_explanation
    from salescoach.services import coaching as coach_service

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    # Page 1 and the diagnosis section both read it: worked out once while nothing changed.
    quick = _fingerprint(wb, p)
    if quick is not None and (quick, rep_id) in _EXPLAINED:
        return copy.deepcopy(_EXPLAINED[quick, rep_id])
    try:
        steps = coach_service.steps(wb)
        sessions = len(coach_service.sessions(wb, rep_id))
    except Exception:  # noqa: BLE001 - a new workbook has no coaching records yet
        steps, sessions = None, 0
    minimum = wb.settings.packs.min_peers
    reps = wb.facts()["reps"]
    explained = rep_explanation(_diagnosis(wb, p), rep_id, steps, sessions, reps, minimum)
    if quick is not None:
        _EXPLAINED.clear()
        _EXPLAINED[quick, rep_id] = copy.deepcopy(explained)
    return explained


_EXPLAINED: dict[tuple, dict] = {}


# Process figures compared with the peers' median for "what went well": +1 when more is better.
_BETTER = {"on_time": 1, "returns": -1, "follow_up": 1, "feedback": 1}


def page_one(
    own: dict,
    peers: dict[str, dict],
    explained: dict | None,
    next_target: float | None,
    next_period: str,
    fmt: Formatter,
) -> dict:
    """The page-1 summary of a rep's pack, as text: attainment against goal and peers, three
    talking points (went well, held back with each cause's share of the gap, the next step on
    the coaching ladder) and the next goal.

    `own`: the rep's figures (revenue, goal, attainment, on_time, returns, follow_up, feedback);
    `peers`: column -> `peer_benchmark` of the peers (anonymous quartiles only);
    `explained`: `diagnosis_gap.rep_explanation`; `next_target`: next period's revenue goal.

    Example:
        >>> page_one({"revenue": 90, "goal": 100, "attainment": 0.9}, {}, None, None, "2026-Q4", fmt)  # doctest: +SKIP
    """
    if _is_support(own):
        return _support_page(own, peers, next_period, fmt)
    attainment = own.get("attainment")
    goal = own.get("goal")
    has_goal = goal is not None and pd.notna(goal) and goal > 0
    if has_goal:
        headline = _(
            "{attainment} of the goal: {revenue} against {goal}",
            attainment=fmt.pct(attainment),
            revenue=fmt.money(own.get("revenue")),
            goal=fmt.money(goal),
        )
    else:
        headline = _(
            "{revenue} in the period; no goal was set", revenue=fmt.money(own.get("revenue"))
        )
    bench = peers.get("attainment") or {}
    peer_line = _peer_line(
        bench,
        fmt,
        lambda **q: _("Peers in the same role: median {median}, middle half {q1} to {q3}", **q),
    )
    return {
        "headline": headline,
        "peers": peer_line,
        "bar": {
            "attainment": _finite(attainment) if has_goal else None,
            "q1": _finite(bench.get("q1")),
            "median": _finite(bench.get("median")),
            "q3": _finite(bench.get("q3")),
        },
        "points": [
            {"title": _("What went well"), "text": _went_well(own, peers, has_goal, fmt)},
            {"title": _("What held you back"), "text": _held_back(explained, fmt)},
            {"title": _("The next step"), "text": _next_step(explained)},
        ],
        "next_goal": _(
            "Revenue goal for {period}: {target}",
            period=fmt.period(next_period),
            target=fmt.money(next_target),
        )
        if next_target is not None and pd.notna(next_target)
        else _("No revenue goal set yet for {period}.", period=fmt.period(next_period)),
    }


def _support_page(own: dict, peers: dict[str, dict], next_period: str, fmt: Formatter) -> dict:
    """Page 1 of support staff who sell nothing: the deals they assisted against comparable
    deals nobody assisted (monitoring's definition), the other support staff as peers; no seller
    goal, so no gap, no share of one and no coaching-ladder step from it."""
    assisted, won = own.get("assisted"), own.get("assisted_won")
    rate, comparable = own.get("assisted_win_rate"), own.get("comparable_win_rate")
    uplift = own.get("assisted_uplift")
    if not _known(assisted):
        headline = _("Support: not assessed: the deals do not name who assisted them")
    elif not assisted:
        headline = _("Support: no assisted deal closed in the period")
    elif _known(comparable):
        headline = _(
            "Support: {won} of {assisted} assisted deals won ({rate}); comparable deals nobody assisted: {comparable}",
            won=fmt.number(won),
            assisted=fmt.number(assisted),
            rate=fmt.pct(rate),
            comparable=fmt.pct(comparable),
        )
    else:
        headline = _(
            "Support: {won} of {assisted} assisted deals won ({rate}); no comparable deal nobody assisted",
            won=fmt.number(won),
            assisted=fmt.number(assisted),
            rate=fmt.pct(rate),
        )
    peer_line = _peer_line(
        peers.get("assisted_win_rate") or {},
        fmt,
        lambda **q: _(
            "Other support staff, win rate of assisted deals: median {median}, middle half {q1} to {q3}",
            **q,
        ),
    )
    # About two standard errors of a win rate on this many deals: a difference inside it is
    # what chance gives, not a support engineer's doing (10 deals: about 29 points).
    noise = (
        2 * np.sqrt(comparable * (1 - comparable) / assisted)
        if _known(comparable) and _known(assisted) and assisted
        else np.nan
    )
    chance = _known(uplift) and _known(noise) and abs(uplift) <= noise
    if chance:
        said = _(
            "Deals you assisted were won {points} {direction} than comparable deals nobody assisted, within what chance gives on {n} deals: nothing to act on yet.",
            points=fmt.points(abs(uplift), signed=False),
            direction=_("more often") if uplift > 0 else _("less often"),
            n=fmt.number(assisted),
        )
        # Said where it belongs: a rise among what went well, a fall among what held back.
        if uplift > 0:
            well, back = said, _("Nothing on the deals you assisted fell below comparable deals.")
        else:
            amount = fmt.money(own.get("assisted_revenue"))
            well, back = _("Assisted deals won: {amount}.", amount=amount), said
    elif _known(uplift) and uplift > 0:
        well = _(
            "Deals you assisted were won {points} more often than comparable deals nobody assisted.",
            points=fmt.points(abs(uplift), signed=False),
        )
        back = _("Nothing on the deals you assisted fell below comparable deals.")
    elif _known(uplift) and uplift < 0:
        well = (
            _("Assisted deals won: {amount}.", amount=fmt.money(own.get("assisted_revenue")))
            if own.get("assisted_won")
            else _("No figure stood above the peers' median this period.")
        )
        back = _(
            "Deals you assisted were won {points} less often than comparable deals nobody assisted: look at which products and customers they were.",
            points=fmt.points(abs(uplift), signed=False),
        )
    else:
        well = _("No figure stood above the peers' median this period.")
        if _known(uplift):  # no difference at all
            back = _("Nothing on the deals you assisted fell below comparable deals.")
        elif _known(assisted):
            back = _("not assessed: no assisted deal with a comparable deal to set it against")
        else:
            back = _("not assessed: the deals do not name who assisted them")
    next_goal = _("Support staff take no revenue goal: they are measured on the deals they assist.")
    aside = own.get("goal_set_aside")
    if _known(aside):
        next_goal = " ".join(
            [
                _(
                    "The imported revenue goal of {goal} for this period is set aside.",
                    goal=fmt.money(aside),
                ),
                next_goal,
            ]
        )
    return {
        "headline": headline,
        "peers": peer_line,
        "bar": None,
        "points": [
            {"title": _("What went well"), "text": well},
            {"title": _("What held you back"), "text": back},
            {
                "title": _("The next step"),
                "text": _(
                    "Coaching ladder: not used for support staff, who have no seller goal; coach on the deals they assist."
                ),
            },
        ],
        "next_goal": next_goal,
    }


def _peer_line(bench: dict, fmt: Formatter, say) -> str:
    """The peers' median and middle half (quartiles only) in `say`'s words, or that they are
    too few to show."""
    if not _known(bench.get("median")):
        return _("Peers: too few in the same role to show a benchmark")
    return say(median=fmt.pct(bench["median"]), q1=fmt.pct(bench["q1"]), q3=fmt.pct(bench["q3"]))


def _known(x) -> bool:
    return x is not None and pd.notna(x)


def _finite(x) -> float | None:
    """A number for the attainment bar (rounded: the summary is compared as a snapshot)."""
    return round(float(x), 4) if x is not None and pd.notna(x) and np.isfinite(float(x)) else None


def _went_well(own: dict, peers: dict, has_goal: bool, fmt: Formatter) -> str:
    if has_goal and pd.notna(own.get("attainment")) and own["attainment"] >= 1:
        return _(
            "You beat the goal by {amount} ({attainment}).",
            amount=fmt.money(own["revenue"] - own["goal"]),
            attainment=fmt.pct(own["attainment"]),
        )
    names = {
        "on_time": _("Delivered on time"),
        "returns": _("Orders returned"),
        "follow_up": _("Followed up after delivery"),
        "feedback": _("Average customer feedback (0-10)"),
    }
    best, margin = None, 0.0
    for column, sign in _BETTER.items():
        median = (peers.get(column) or {}).get("median")
        mine = own.get(column)
        if median is None or pd.isna(median) or mine is None or pd.isna(mine):
            continue
        scale = 10.0 if column == "feedback" else 1.0
        lead = sign * (float(mine) - float(median)) / scale
        if lead > margin:
            best, margin = column, lead
    if best is None:
        if has_goal and pd.notna(own.get("attainment")):
            return _(
                "You reached {attainment} of the goal; no process figure stood above the peers' median.",
                attainment=fmt.pct(own["attainment"]),
            )
        return _("No figure stood above the peers' median this period.")
    show = (lambda x: fmt.number(x, 1)) if best == "feedback" else fmt.pct
    return _(
        "{measure}: {mine}, better than the peers' median of {median}.",
        measure=names[best],
        mine=show(own[best]),
        median=show(peers[best]["median"]),
    )


def _held_back(explained: dict | None, fmt: Formatter) -> str:
    if not explained or explained.get("status") == "not_assessed":
        # rep_explanation says "targets" when this rep has no goal, whatever the others have.
        return _("not assessed: no revenue goal for this rep in the period")
    if explained.get("status") in ("under_way", "not_started"):
        return _("The period is not over: no cause is blamed yet.")
    gap = float(explained["gap"])
    if gap <= 0:
        return _("Nothing held you back on revenue: there is no gap to the goal.")
    ranked = explained["parts"]
    ranked = ranked[ranked["amount"] > 0].sort_values("amount", ascending=False)
    # The three largest by name; the others summed, so the parts said still add up to the gap
    # and "the rest" is only what no finding explains.
    parts, others = ranked.head(3), ranked.iloc[3:]
    said = [
        _(
            "your own selling explains {share} of the gap ({amount})",
            share=fmt.pct(r.amount / gap),
            amount=fmt.money(r.amount),
        )
        if r.cause == "rep"
        else _(
            "{cause} ({where}) explains {share} of the gap ({amount})",
            cause=label(r.cause),
            where=_where(r.scope, r.scope_id),
            share=fmt.pct(r.amount / gap),
            amount=fmt.money(r.amount),
        )
        for r in parts.itertuples()
    ]
    if len(others):
        amount = float(others["amount"].sum())
        said.append(
            _n(
                "{n} other cause explains {share} ({amount})",
                "{n} other causes explain {share} ({amount})",
                len(others),
                n=len(others),
                share=fmt.pct(amount / gap),
                amount=fmt.money(amount),
            )
        )
    rest = float(explained.get("unexplained", 0.0))
    if rest >= 0.005 * gap:
        said.append(
            _(
                "no finding explains the rest, {share} ({amount})",
                share=fmt.pct(rest / gap),
                amount=fmt.money(rest),
            )
        )
    text = _("A gap of {gap}: {parts}.", gap=fmt.money(gap), parts=separated(said))
    return f"{text} {_peers_left(explained, fmt)}".strip()


def _peers_left(explained: dict, fmt: Formatter) -> str:
    """How the rep's unexplained remainder compares with peers of the same role (anonymous
    quartiles; nothing when too few peers)."""
    bench = explained.get("peers_unexplained") or {}
    own = explained.get("unexplained_share")
    if own is None or bench.get("median") is None:
        return ""
    return _(
        "Unexplained: {own} of your goal; peers in your role: median {median} (quartiles {q1} to {q3}).",
        own=fmt.pct(max(own, 0.0)),
        median=fmt.pct(max(bench["median"], 0.0)),
        q1=fmt.pct(max(bench["q1"], 0.0)),
        q3=fmt.pct(max(bench["q3"], 0.0)),
    )


def _where(scope: str, scope_id) -> str:
    if scope == "rep":
        return _("your own results")
    return _("{scope} {id}", scope=label(scope), id=scope_id)


def _next_step(explained: dict | None) -> str:
    proposal = (explained or {}).get("next_step")
    if proposal is None:
        return _("not assessed: the coaching ladder needs a goal for the period")
    if proposal.proposed == proposal.current:
        return _(
            "Coaching ladder: {step}, no change. {reason}",
            step=label(proposal.current),
            reason=proposal.reason,
        )
    return _(
        "Move from {current} to {proposed} on the coaching ladder: {reason}",
        current=label(proposal.current),
        proposed=label(proposal.proposed),
        reason=proposal.reason,
    )


@pack_scope.section("rep", prepare=[{}])
def summary(wb: Workbook | str | Path, rep_id: str, period: str | None = None) -> dict:
    """Page 1 of the rep's pack (:func:`page_one`) from the batch's figures and diagnosis."""
    wb = open_workbook(wb)
    p = parse_period(wb, period)
    figures, _trend = batch_figures(wb, p)
    row = _row(figures, rep_id)
    others = _peer_group(figures, row)
    minimum = wb.settings.packs.min_peers
    peers = {
        c: peer_benchmark(others[c], minimum) for c in ("attainment", *_BETTER, "assisted_win_rate")
    }
    nxt = str(p.shift(1))
    return page_one(
        row.to_dict(),
        peers,
        explanation(wb, rep_id, p),
        next_revenue_goal(wb, rep_id, nxt),
        nxt,
        Formatter.for_settings(wb.settings),
    )


def show_summary(page: dict) -> None:
    """Page 1: the headline, a bar of attainment against the peers' middle half, the three
    talking points and the next goal. Text escaped; the bar is plain HTML, so it prints."""
    from IPython.display import HTML, display

    esc = html.escape
    points = "".join(
        f"<li><strong>{esc(p['title'])}.</strong> {esc(p['text'])}</li>" for p in page["points"]
    )
    heading = _("Talking points")
    display(
        HTML(
            '<section class="sc-summary">'
            f'<p class="sc-headline">{esc(page["headline"])}</p>'
            f"{_attainment_bar(page['bar'], page['peers'])}"
            f'<p class="sc-peers">{esc(page["peers"])}</p>'
            f'<h2>{esc(heading)}</h2><ol class="sc-points">{points}</ol>'
            f'<p class="sc-next"><strong>{esc(page["next_goal"])}</strong></p>'
            "</section>"
        )
    )


def _attainment_bar(bar: dict | None, label_text: str) -> str:
    """Attainment against the goal mark and the peers' middle half, as plain HTML; nothing for
    a page without a goal to attain (support staff)."""
    if bar is None:
        return ""
    top = max([1.5, *(v * 1.1 for v in bar.values() if v is not None)])

    def at(x: float) -> str:
        return f"{100 * min(max(x, 0.0), top) / top:.1f}%"

    marks = [f'<span class="sc-goal" style="left:{at(1.0)}"></span>']
    if bar["q1"] is not None:
        marks.append(
            f'<span class="sc-band" style="left:{at(bar["q1"])};'
            f'width:calc({at(bar["q3"])} - {at(bar["q1"])})"></span>'
            f'<span class="sc-median" style="left:{at(bar["median"])}"></span>'
        )
    if bar["attainment"] is not None:
        marks.append(f'<span class="sc-you" style="width:{at(bar["attainment"])}"></span>')
    aria = html.escape(label_text)
    return f'<div class="sc-bar" role="img" aria-label="{aria}">{"".join(marks)}</div>'


@pack_scope.section("rep", prepare=[{}])
def gap_causes(wb: Workbook | str | Path, rep_id: str, period: str | None = None):
    """The rep's own explanation: each cause that touched the rep's deals and orders, with its
    share of the rep's gap (the parts add up to it), instead of the company's findings."""
    wb = open_workbook(wb)
    explained = explanation(wb, rep_id, period)
    f = Formatter.for_settings(wb.settings)
    if _measured_as_support(wb, rep_id, period):
        return _(
            "not assessed: support staff have no seller goal, so no gap to explain; page 1 sets the deals they assisted against comparable ones."
        )
    if explained.get("status") == "not_assessed":
        return _("not assessed: no revenue goal for this rep in the period")
    gap = float(explained["gap"])
    if gap <= 0:
        return _(
            "No gap to the goal: nothing to explain ({amount} above it).", amount=f.money(-gap)
        )
    parts = explained["parts"]
    parts = parts[parts["amount"] > 0]
    rows = [
        {
            _("Cause"): label(r.cause),
            _("Where"): _where(r.scope, r.scope_id),
            _("Evidence"): r.evidence,
            _("Share of your gap"): f.pct(r.amount / gap),
            _("Amount"): f.money(r.amount),
        }
        for r in parts.itertuples()
    ]
    if abs(float(explained["unexplained"])) >= 0.005 * gap:
        rows.append(
            {
                _("Cause"): _("explained by nobody"),
                _("Where"): "",
                _("Evidence"): "",
                _("Share of your gap"): f.pct(explained["unexplained"] / gap),
                _("Amount"): f.money(explained["unexplained"]),
            }
        )
    return pd.DataFrame(rows)


def _measured_as_support(wb: Workbook, rep_id: str, period) -> bool:
    figures, _trend = batch_figures(wb, parse_period(wb, period))
    return _is_support(_row(figures, rep_id))
