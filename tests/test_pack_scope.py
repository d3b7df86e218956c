"""A pack's process holds its subject only: a trainer's template that goes looking for every
rep through the kit (facts, a fresh Workbook, the batch figures, the store, the services, the
sections with another rep's id) finds the pack's rep, or the team's reps, and nobody else."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest

from salescoach import shipped
from salescoach.data.workbook import Workbook
from salescoach.domain.access import Subject
from salescoach.packs import pack_scope, render
from salescoach.services import scope

PERIOD = "2026-Q3"

# Appended to a trainer's template: everything it can reach through the kit, written to a file
# the test reads (names of what it found, never shown in the pack).
SNOOP = """\
import json as _json
from salescoach.services import diagnosis as _diagnosis, training as _training
from salescoach.domain.access import AccessRefused as _Refused
from salescoach.data.workbook import Workbook as _Workbook
_seen = {}
_facts = book.facts()
_seen["reps"] = sorted(_facts["reps"]["rep_id"].astype(str))
_seen["names"] = sorted(_facts["reps"]["name"].astype(str))
_seen["fresh"] = sorted(_Workbook.open(workbook).facts()["reps"]["rep_id"].astype(str))
for _t in ("orders", "deals", "activities", "training", "feedback", "service"):
    if _facts.has(_t):
        _seen[_t] = sorted(set(_facts[_t]["rep_id"].dropna().astype(str)))
_seen["support"] = sorted(set(_facts["deals"]["support_rep_id"].dropna().astype(str)))
_seen["targets"] = sorted(set(_facts["targets"].query("scope == 'rep'")["scope_id"].astype(str)))
_seen["figures"] = sorted(packs.batch_figures(book, period)[0]["rep_id"].astype(str))
with book.store() as _store:
    _seen["events"] = sorted({str(e.data["rep_id"]) for e in _store.history() if e.data.get("rep_id")})
    try:
        _store.append("coaching_session", "x", {"rep_id": OTHER}, who="snoop")
        _seen["write"] = "written"
    except _Refused as _e:
        _seen["write"] = str(_e)
_found = _diagnosis.findings(book, period)
_seen["findings"] = sorted(set(_found.query("scope == 'rep'")["scope_id"].astype(str))) if len(_found) else []
_status = _training.status(book, period)
_seen["training_status"] = sorted(set(_status["rep_id"].astype(str))) if hasattr(_status, "columns") else []
_seen["refusals"] = []
for _call in (
    lambda: packs.goal_attainment(book, OTHER, period),
    lambda: packs.findings(book, OTHER, period),
    lambda: packs.cover(book, OTHER, period),
    lambda: packs.roster(book, "department", OTHER_DEPARTMENT, period),
    lambda: packs.goal_attainment(book, SUBJECT, "2025-Q1"),
):
    try:
        _call()
        _seen["refusals"].append("answered")
    except _Refused as _e:
        _seen["refusals"].append(str(_e))
if KIND == "rep":
    _seen["peers"] = packs.peer_benchmarks(book, SUBJECT, period).reset_index().to_dict("records")
open(OUT, "w").write(_json.dumps(_seen, default=str))
"""


def _snooping(tmp_path, template: str, kind: str, subject: str, other: str, dept: str):
    nb = nbformat.read(shipped.templates_dir() / "notebooks" / template, as_version=4)
    out = tmp_path / f"seen-{kind}.json"
    head = (
        f"OUT, KIND, SUBJECT, OTHER, OTHER_DEPARTMENT = {str(out)!r}, {kind!r}, "
        f"{subject!r}, {other!r}, {dept!r}\n"
    )
    nb.cells.append(nbformat.v4.new_code_cell(head + SNOOP))
    path = tmp_path / f"snoop_{kind}.ipynb"
    nbformat.write(nb, path)
    return path, out


@pytest.fixture(scope="module")
def org(sample_workbook):
    """The sample, with a coaching session on record for two reps of different teams."""
    from salescoach.services import coaching

    wb = sample_workbook
    reps = wb.facts()["reps"].sort_values("rep_id")
    a = reps.iloc[0]
    b = reps[(reps["team"] != a["team"]) & (reps["department"] != a["department"])].iloc[0]
    for rep in (a, b):
        coaching.record_session(wb, rep["rep_id"], "pack scope test", [], who="tests")
    return {"wb": wb, "reps": reps, "a": a, "b": b}


def _render(wb, notebook, **chosen):
    the_plan = render.plan_notebook(wb, notebook, period=PERIOD, **chosen)
    result = render.run(wb, the_plan, formats=("html",), jobs=1, force=True)
    assert not result.failed, [(o.spec.scope_id, o.error) for o in result.failed]
    return result


def test_a_trainers_template_in_a_reps_pack_reaches_that_rep_only(org, tmp_path):
    a, b, reps = org["a"], org["b"], org["reps"]
    notebook, out = _snooping(
        tmp_path, "coaching_session.ipynb", "rep", a["rep_id"], b["rep_id"], b["department"]
    )
    result = _render(org["wb"], notebook, reps=[a["rep_id"]])
    seen = json.loads(out.read_text())
    own = [str(a["rep_id"])]
    for key in ("reps", "fresh", "orders", "deals", "figures", "events", "targets"):
        assert seen[key] == own, (key, seen[key])
    assert seen["names"] == [str(a["name"])]
    for key in ("activities", "training", "feedback", "service", "support", "findings"):
        assert set(seen.get(key, [])) <= set(own), (key, seen[key])
    assert seen["training_status"] == own
    assert "records none" in seen["write"]
    # Another rep's sections, another department's roster, another period: each refused.
    refusals = seen["refusals"]
    assert all(r != "answered" for r in refusals), refusals
    assert str(b["rep_id"]) in refusals[0] and "outside" in refusals[0]
    assert "own subject and period" in refusals[4]
    # Peers only as anonymous aggregates: a count and quartiles per figure, no id, no name.
    peers = pd.DataFrame(seen["peers"]).set_index("index")
    assert list(peers.columns) == ["n", "q1", "median", "q3"]
    same_role = reps[reps["role"].fillna("seller") == (a.get("role") or "seller")]
    assert peers.loc["revenue", "n"] == len(same_role) - 1
    # The pack itself still holds the rep's own figures and the peers' quartiles.
    [outcome] = result.rendered
    markup = outcome.paths[0].read_text(encoding="utf-8")
    assert "Peers: median" in markup and "Where you stand" in markup
    others = set(reps["name"].astype(str)) - {str(a["name"])}
    assert not [n for n in others if n in markup]


def test_a_team_pack_reaches_its_team_only(org, tmp_path):
    a, b, reps = org["a"], org["b"], org["reps"]
    team = reps[reps["team"] == a["team"]]
    notebook, out = _snooping(
        tmp_path, "team_meeting.ipynb", "team", a["team"], b["rep_id"], b["department"]
    )
    result = _render(org["wb"], notebook, teams=[a["team"]])
    seen = json.loads(out.read_text())
    members = sorted(team["rep_id"].astype(str))
    for key in ("reps", "fresh", "figures"):
        assert seen[key] == members, (key, seen[key])
    assert seen["orders"] and set(seen["orders"]) <= set(members)  # support staff sell nothing
    assert set(seen["events"]) <= set(members) and str(a["rep_id"]) in seen["events"]
    assert str(b["rep_id"]) not in seen["events"]
    assert all(r != "answered" for r in seen["refusals"]), seen["refusals"]
    # What works stays the whole staff's, as an aggregate prepared before narrowing.
    markup = result.rendered[0].paths[0].read_text(encoding="utf-8")
    assert "Techniques that win in the team" in markup


def test_outside_a_pack_nothing_is_narrowed(org):
    wb = Workbook.open(org["wb"].root)
    assert scope.active() is None
    assert len(wb.facts()["reps"]) == len(org["reps"])


def test_narrowing_is_by_rep_and_unit():
    deals = pd.DataFrame(
        {
            "rep_id": ["A", "B", "B", None],
            "support_rep_id": [None, "A", "C", "A"],
            "x": [1, 2, 3, 4],
        }
    )
    out = scope.narrow_table("deals", deals, {"A"}, {})
    assert out["x"].tolist() == [1, 2, 4]
    # The seller of a deal A supported is another rep: blanked.
    assert out["rep_id"].iloc[0] == "A" and pd.isna(out["rep_id"].iloc[1])
    targets = pd.DataFrame(
        {"scope": ["rep", "rep", "team", "company"], "scope_id": ["A", "B", "T", None]}
    )
    kept = scope.narrow_table("targets", targets, {"A"}, {"rep": {"A"}, "team": set()})
    assert kept["scope_id"].tolist() == ["A"]
    products = pd.DataFrame({"product_id": ["P1"]})
    assert scope.narrow_table("products", products, set(), {}) is products


def test_leave_restores_the_kits_readers(org):
    from salescoach.data.store import Store
    from salescoach.data.workbook import Facts

    get, history = Facts.get, Store.history
    a = org["a"]
    pack_scope.enter(org["wb"].root, Subject.rep(a["rep_id"]), PERIOD)
    try:
        assert scope.active() == Subject.rep(a["rep_id"])
        assert len(Workbook.open(org["wb"].root).facts()["reps"]) == 1
    finally:
        pack_scope.leave()
    assert Facts.get is get and Store.history is history
    assert len(Workbook.open(org["wb"].root).facts()["reps"]) == len(org["reps"])
