"""Review pack sections: one function per section, returning display-ready frames and figures.

The pack notebooks in ``notebooks/`` are thin: they call these functions and display what they
return. Everything a batch shares (every rep's figures for the period, the trend, the peer
benchmarks) is computed once per batch by :func:`batch_figures` and cached as Parquet under
``salescoach-data/packs/``, keyed by the facts, the period, the whole settings and the code
version (:func:`batch_key`), so each rep's notebook only reads a small file and selects its
own row.

The functions live in five modules, all re-exported here (notebooks and the app import this
one): :mod:`~salescoach.services.pack_data` (the batch's shared data and its key),
:mod:`~salescoach.services.pack_summary` (page 1 and the rep's gap explained),
:mod:`~salescoach.services.pack_rep` (a rep's other sections),
:mod:`~salescoach.services.pack_group` (team, department and company packs) and
:mod:`~salescoach.services.pack_display` (showing a section). Patch a function in its own
module, not here.

Privacy: a rep's pack shows that rep's own figures; peers appear only through
:func:`salescoach.domain.peers.peer_benchmark` (median and quartiles, never a name or a row).
"""

from __future__ import annotations

from salescoach.services.pack_data import (  # noqa: F401 - re-exported
    _CACHE,
    _DEALS,
    _GOALS,
    _KEYS,
    _QUICK,
    _WORKBOOKS,
    FIGURE_COLUMNS,
    TREND_PERIODS,
    _atomic_parquet,
    _batch_key,
    _fingerprint,
    _goal_events,
    _open_deals,
    _share,
    batch_figures,
    batch_key,
    code_version,
    compute_batch,
    goals_for,
    open_workbook,
    parse_period,
    process_figures,
    settings_digest,
)
from salescoach.services.pack_display import (  # noqa: F401 - re-exported
    _body_html,
    new_page,
    show,
    show_columns,
    show_cover,
)
from salescoach.services.pack_group import (  # noqa: F401 - re-exported
    _OVERVIEWS,
    AWARD_FLAGGED,
    MISSING_TEXT,
    SYSTEMIC_CAUSES,
    _flag_words,
    _members,
    _overview,
    _trend_text,
    coverage,
    gap_figure,
    group_cover,
    group_summary,
    rep_flags,
    roster,
    systemic,
    what_works,
)
from salescoach.services.pack_rep import (  # noqa: F401 - re-exported
    PROCESS_NEEDS,
    _peer_group,
    _rep_section,
    _row,
    _training_status,
    _with_peers,
    awards,
    coaching,
    cover,
    findings,
    goal_attainment,
    next_action,
    next_goal,
    peer_benchmarks,
    pipeline,
    process,
    results_title,
    training,
    trend_figure,
)
from salescoach.services.pack_summary import (  # noqa: F401 - re-exported
    _BETTER,
    _DIAGNOSES,
    _EXPLAINED,
    _diagnosis,
    _finite,
    _held_back,
    _next_step,
    _went_well,
    _where,
    explanation,
    gap_causes,
    page_one,
    show_summary,
    summary,
)
