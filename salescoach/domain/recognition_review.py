"""Recognition reviewed: leaderboards and tie notes, fairness (award rates by group, goals set
low), top performers at risk of leaving, and why a rep got no award."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from salescoach.domain.decisions import AWARD, award_key  # noqa: F401 - the registry's key
from salescoach.domain.fmt import Formatter
from salescoach.domain.recognition_program import (
    ProgramSettings,
)
from salescoach.domain.recognition_standings import (
    history_of,
    rank_labels,
    ranks,
)
from salescoach.i18n import N_, _, _n, name_order, separated, translator

# The labels of the default award rules (resources/salescoach.toml). An award is stored under
# its rule's label as the workbook wrote it; one of these is shown in the reader's language,
# a label the workbook gave its own rule prints as written.
DEFAULT_LABELS = frozenset(
    {
        N_("Goal bonus"),
        N_("Best of the department: trip"),
        N_("Consistent: two days of extra leave"),
        N_("Most improved"),
        N_("Customers' choice"),
        N_("Bigger office"),
    }
)


def award_label(text, gettext=None) -> str:
    """The words for a stored award label: a default rule's label translated, others as is."""
    text = str(text)
    return (gettext or _)(text) if text in DEFAULT_LABELS else text


def leaderboard(
    s: pd.DataFrame, digits: int = 3, badges: pd.DataFrame | None = None, value: str = "attainment"
) -> pd.DataFrame:
    """Eligible reps by attainment, best first; ties share a rank (`=2`). `badges`: awards
    (rep_id, award) whose labels are listed per rep."""
    board = s[s["eligible"]].copy()
    board["rank"] = ranks(board[value], digits)
    board["rank_label"] = rank_labels(board["rank"])
    if badges is not None and len(badges):
        got = badges.groupby("rep_id")["award"].apply(
            lambda a: ", ".join(dict.fromkeys(award_label(x) for x in a))
        )
        board["badges"] = got.reindex(board.index).fillna("")
    else:
        board["badges"] = ""
    board = board.sort_values(
        ["rank", "name"],
        na_position="last",
        key=name_order("name"),
    )
    columns = [
        "rank",
        "rank_label",
        "name",
        "team",
        "department",
        value,
        "actual",
        "goal",
        "badges",
    ]
    return board[columns]


def tie_notes(
    board: pd.DataFrame, fmt: Formatter, lang: str = "en", value: str = "attainment"
) -> list[str]:
    """One sentence per shared rank on a leaderboard."""
    _ = translator(lang)
    shared = board[board["rank_label"].str.startswith("=")]
    return [
        _(
            "{names} share rank {rank} with {value}.",
            names=", ".join(part["name"].astype(str)),
            rank=label,
            value=fmt.pct(part[value].iloc[0], 1),
        )
        for label, part in shared.groupby("rank_label", sort=False)
    ]


def award_rates(s: pd.DataFrame, awards: pd.DataFrame, level: str) -> pd.DataFrame:
    """Share of each department's or team's eligible reps with at least one award, next to
    the company's rate."""
    eligible = s[s["eligible"]]
    got = eligible.index.isin(set(awards["rep_id"]) if len(awards) else set())
    frame = pd.DataFrame(
        {
            "eligible": eligible.groupby(level).size(),
            "awarded": pd.Series(got, index=eligible.index).groupby(eligible[level]).sum(),
        }
    )
    frame["rate"] = frame["awarded"] / frame["eligible"]
    frame["company_rate"] = got.mean() if len(got) else np.nan
    frame["difference"] = frame["rate"] - frame["company_rate"]
    return frame


def low_goals(s: pd.DataFrame, fence: float) -> pd.DataFrame:
    """Reps whose goal, relative to their own trailing results, sits far below peers': under
    the peers' lower quartile minus `fence` interquartile ranges (Tukey's fence) of the same
    ratio. Peers are eligible reps of the same role. Columns: goal_ratio, peer_median, limit."""
    e = s[s["eligible"] & s["goal_ratio"].notna()]
    rows = []
    for _role, part in e.groupby("role"):
        q1, median, q3 = part["goal_ratio"].quantile([0.25, 0.5, 0.75])
        limit = q1 - fence * (q3 - q1)
        low = part[part["goal_ratio"] < limit]
        rows.append(
            pd.DataFrame(
                {"goal_ratio": low["goal_ratio"], "peer_median": median, "limit": limit},
                index=low.index,
            )
        )
    if not rows:
        return pd.DataFrame(columns=["goal_ratio", "peer_median", "limit"])
    return pd.concat(rows)


def fairness_flags(
    s: pd.DataFrame,
    awards: pd.DataFrame,
    program: ProgramSettings,
    fmt: Formatter,
    lang: str = "en",
) -> pd.DataFrame:
    """Awarded reps who qualify only because their goal sits far below peers': with a goal set
    like peers' (the peer median ratio x their trailing results) they would miss the floor of
    the goal rules they won."""
    _ = translator(lang)
    low = low_goals(s, program.goal_fence)
    floors = {
        r.name: r.floor for r in program.rules if r.qualifies in ("met_goal", "top_n", "consistent")
    }
    won = awards[awards["rule"].isin(floors) & awards["rep_id"].isin(low.index)]
    rows = []
    for rep_id, part in won.groupby("rep_id"):
        row, lg = s.loc[rep_id], low.loc[rep_id]
        fair_goal = lg["peer_median"] * row["trailing"]
        fair_att = row["actual"] / fair_goal if fair_goal > 0 else np.nan
        lost = [a for rule, a in zip(part["rule"], part["award"]) if not fair_att >= floors[rule]]
        if not lost:
            continue
        rows.append(
            {
                "rep_id": rep_id,
                "name": row.get("name", rep_id),
                "goal_ratio": lg["goal_ratio"],
                "peer_median": lg["peer_median"],
                "fair_attainment": fair_att,
                "awards": ", ".join(lost),
                "sentence": _(
                    "{name}'s goal is {ratio} of their trailing results while peers' median is "
                    "{median} (flagged below {limit}); with a goal set like peers' ({fair_goal}) "
                    "they would have reached {fair} and not qualified for: {awards}.",
                    name=row.get("name", rep_id),
                    ratio=fmt.pct(lg["goal_ratio"]),
                    median=fmt.pct(lg["peer_median"]),
                    limit=fmt.pct(lg["limit"]),
                    fair_goal=fmt.money(fair_goal),
                    fair=fmt.pct(fair_att),
                    awards=", ".join(lost),
                ),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "rep_id",
            "name",
            "goal_ratio",
            "peer_median",
            "fair_attainment",
            "awards",
            "sentence",
        ],
    )


def retention_risks(
    s: pd.DataFrame,
    payouts: pd.Series,
    program: ProgramSettings,
    fmt: Formatter,
    lang: str = "en",
) -> pd.DataFrame:
    """Top performers at risk of leaving, each with the reasons.

    Top performers: the top `top_share` of eligible reps by mean attainment over the history
    columns of the standings. Reasons: activity down by more than `activity_drop` on their trailing
    average; no approved award in the last `unrecognised_periods` periods; cash pay-out under
    (1 - `payout_gap`) of the median of peers whose results are within `similar_results`.
    """
    _ = translator(lang)
    e = s[s["eligible"]]
    hist = history_of(e)
    mean_att = hist.mean(axis=1) if hist.shape[1] else e["attainment"]
    cut = max(1, math.ceil(program.top_share * mean_att.notna().sum()))
    top = mean_att.dropna().sort_values(ascending=False).index[:cut]
    paid = payouts.reindex(e.index).fillna(0.0)
    rows = []
    for rep_id in top:
        row = e.loc[rep_id]
        reasons = []
        if (
            row["trailing_activities"] > 0
            and row["activities"] < (1 - program.activity_drop) * row["trailing_activities"]
        ):
            reasons.append(
                _(
                    "activity down {drop} on their average of the previous {n} periods",
                    drop=fmt.pct(1 - row["activities"] / row["trailing_activities"]),
                    n=program.trailing_periods,
                )
            )
        if row.get("awards_recorded", True) and not row["recognised_recently"]:
            reasons.append(
                _n(
                    "no award approved in the last period",
                    "no award approved in the last {n} periods",
                    program.unrecognised_periods,
                    n=program.unrecognised_periods,
                )
            )
        # errors="ignore": with no result (0) the rep is not among those "near" themselves.
        near = e[(e["actual"] / row["actual"] - 1).abs() <= program.similar_results].drop(
            index=rep_id, errors="ignore"
        )
        if row["actual"] > 0 and len(near) >= 3:
            median = paid.reindex(near.index).median()
            if median > 0 and paid[rep_id] < (1 - program.payout_gap) * median:
                reasons.append(
                    _(
                        "paid {paid} against a median of {median} for {k} peers with results "
                        "within {band} of theirs",
                        paid=fmt.money(paid[rep_id]),
                        median=fmt.money(median),
                        k=len(near),
                        band=fmt.pct(program.similar_results),
                    )
                )
        if reasons:
            rows.append(
                {
                    "rep_id": rep_id,
                    "name": row.get("name", rep_id),
                    "mean_attainment": mean_att[rep_id],
                    "reasons": separated(reasons, lang),
                    "sentence": _(
                        "{name} (mean attainment {attainment}) is at risk: {reasons}.",
                        name=row.get("name", rep_id),
                        attainment=fmt.pct(mean_att[rep_id]),
                        reasons=separated(reasons, lang),
                    ),
                }
            )
    return pd.DataFrame(rows, columns=["rep_id", "name", "mean_attainment", "reasons", "sentence"])


def attainment_text(fmt: Formatter, x: float) -> str:
    """Attainment as a percentage, with a decimal near the goal so 99.97% never reads 100%."""
    return fmt.pct(x, 1 if pd.notna(x) and 0.995 <= x < 1.005 else 0)


def late_deliveries_explain(row: pd.Series, ratio: float) -> bool:
    """Late deliveries in the rep's department explain part of a miss: the department's late
    share is at least `ratio` times the rest of the company's, and the rep's own is too."""
    dept, rest, mine = (
        row.get("department_late_share"),
        row.get("rest_late_share"),
        row.get("late_share"),
    )
    if any(pd.isna(x) for x in (dept, rest, mine)) or rest <= 0:
        return False
    return dept >= ratio * rest and mine >= ratio * rest


def status_sentences(
    s: pd.DataFrame,
    awards: pd.DataFrame,
    program: ProgramSettings,
    period: str,
    fmt: Formatter,
    lang: str = "en",
) -> pd.Series:
    """For every rep without an award, why not; a missed goal says when late deliveries in
    their department explain part of it (the full attribution is the diagnosis's)."""
    _ = translator(lang)
    have = set(awards["rep_id"]) if len(awards) else set()
    out = {}
    for rep_id, row in s.iterrows():
        if rep_id in have:
            continue
        name = row.get("name", rep_id)
        if not row["eligible"]:
            why = {
                "no_goal": _("{name} had no goal in force for {period}, so no award."),
                "support": _(
                    "{name} is support staff, measured on the deals they assist; the award "
                    "rules rank sellers."
                ),
                "left": _("{name} left before the end of {period}, so no award."),
            }[row["ineligible"]]
            out[rep_id] = why.format(name=name, period=fmt.period(period))
            continue
        if row["attainment"] >= 1:
            out[rep_id] = _(
                "{name} reached {attainment} of the {period} goal but no rule's other "
                "conditions were met.",
                name=name,
                attainment=attainment_text(fmt, row["attainment"]),
                period=fmt.period(period),
            )
            continue
        text = _(
            "{name} missed the {period} goal ({attainment}), so no goal award.",
            name=name,
            period=fmt.period(period),
            attainment=attainment_text(fmt, row["attainment"]),
        )
        if late_deliveries_explain(row, program.late_delivery_ratio):
            text += " " + _(
                "Late deliveries in {department} explain part of it: {mine} of their delivered "
                "orders arrived late, against {dept} in {department} and {rest} in the rest "
                "of the company. See the diagnosis before judging the rep.",
                department=row["department"],
                mine=fmt.pct(row["late_share"]),
                dept=fmt.pct(row["department_late_share"]),
                rest=fmt.pct(row["rest_late_share"]),
            )
        out[rep_id] = text
    return pd.Series(out, dtype=object)
