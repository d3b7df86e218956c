"""Who sees what: each role walks every app page and service call with another scope's ids and
finds nothing of the other scope; refused actions say why."""

from __future__ import annotations

import datetime as dt
import html
import shutil

import ipywidgets as widgets
import pandas as pd
import pytest

from salescoach.app import App, Context, decisions
from salescoach.data.workbook import Workbook
from salescoach.domain import access
from salescoach.domain.access import AccessFileError, AccessRefused, Person, Subject
from salescoach.services import (
    access as guard,
    coaching,
    diagnosis,
    goals,
    monitoring,
    recognition,
    training,
)

TODAY = dt.date(2026, 10, 1)
PERIOD = "2026-Q3"

ACCESS = """
# Who sees what in this workbook.
[people.olga]
role = "sales_operations"

[people.nikos]
role = "manager"
department = "North"

[people.anna]
role = "manager"
team = "North A"

[people.bob]
role = "manager"
team = "South B"

[people.eleni]
role = "trainer"

[people.ria]
role = "rep"
rep = "{rep_a}"

[people.sam]
role = "rep"
rep = "{rep_b}"
"""


# --- the pure rules ----------------------------------------------------------------------

REPS = pd.DataFrame(
    {
        "rep_id": ["A1", "A2", "B1", "S1"],
        "name": ["Ann", "Al", "Ben", "Sue"],
        "team": ["North A", "North A", "North B", "South A"],
        "department": ["North", "North", "North", "South"],
    }
)
OPS = Person("olga", access.SALES_OPERATIONS)
DEPT = Person("nikos", access.MANAGER, "department", "North")
LEAD = Person("anna", access.MANAGER, "team", "North A")
TRAINER = Person("eleni", access.TRAINER)
REP = Person("ria", access.REP, "rep", "A1")


@pytest.mark.parametrize(
    ("person", "action", "subject", "allowed"),
    [
        (OPS, "coaching_notes.read", Subject.rep("S1"), True),
        (OPS, "export", Subject(), True),
        (DEPT, "coaching_notes.read", Subject("team", "North B"), True),
        (DEPT, "award.write", Subject.rep("S1"), False),
        (DEPT, "goal.write", Subject(), False),
        (LEAD, "coaching_notes.read", Subject.rep("A2"), True),
        (LEAD, "coaching_notes.read", Subject.rep("B1"), False),
        (LEAD, "goal.read", Subject("department", "North"), False),
        (LEAD, "goal.write", Subject("team", "North B"), False),
        (TRAINER, "training.write", Subject.rep("S1"), True),
        (TRAINER, "goal.read", Subject("team", "South A"), True),
        (TRAINER, "goal.write", Subject.rep("S1"), False),
        (TRAINER, "coaching_notes.read", Subject.rep("A1"), False),
        (TRAINER, "award.read", Subject.rep("A1"), False),
        (REP, "goal.read", Subject.rep("A1"), True),
        (REP, "ack.write", Subject.rep("A1"), True),
        (REP, "ack.write", Subject.rep("A2"), False),
        (REP, "goal.read", Subject("team", "North A"), False),
        (REP, "goal.write", Subject.rep("A1"), False),
        (REP, "pack.render", Subject.rep("A1"), True),
        (REP, "pack.render", Subject.rep("A2"), False),
        (REP, "export", Subject.rep("A1"), False),
        (access.nobody("x"), "goal.read", Subject.rep("A1"), False),
    ],
)
def test_who_may_do_what(person, action, subject, allowed):
    why = access.refusal(person, action, subject, REPS)
    assert (why is None) == allowed
    if why is not None:
        assert person.login in why and len(why.split()) > 4


def test_a_trainer_is_told_what_a_trainer_may_not_do():
    why = access.refusal(TRAINER, "coaching_notes.read", Subject.rep("A1"), REPS)
    assert why == "eleni is a trainer, who may not read coaching notes."
    why = access.refusal(LEAD, "coaching_notes.read", Subject.rep("B1"), REPS)
    assert "team North A" in why and "rep B1" in why and "outside" in why


@pytest.mark.parametrize(
    ("person", "reps", "teams", "kinds"),
    [
        (OPS, {"A1", "A2", "B1", "S1"}, {"North A", "North B", "South A"}, access.SCOPE_KINDS),
        (DEPT, {"A1", "A2", "B1"}, {"North A", "North B"}, ("department", "team", "rep")),
        (LEAD, {"A1", "A2"}, {"North A"}, ("team", "rep")),
        (REP, {"A1"}, set(), ("rep",)),
        (access.nobody("x"), set(), set(), ()),
    ],
)
def test_what_a_person_sees(person, reps, teams, kinds):
    assert set(access.visible_ids(person, REPS, "rep")) == reps
    assert set(access.visible_ids(person, REPS, "team")) == teams
    assert access.scope_kinds(person) == kinds


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"role": "boss"}, "unknown role"),
        ({"role": "manager"}, "needs a department or a team"),
        ({"role": "rep"}, "needs their rep id"),
        ({"role": "manager", "team": "A", "department": "B"}, "not several"),
        ({"role": "sales_operations", "team": "A"}, "whole company"),
        ({"role": "rep", "rep": "R1", "colour": "red"}, "unknown key colour"),
    ],
)
def test_a_bad_access_file_entry_is_one_sentence_naming_the_login(entry, error):
    with pytest.raises(AccessFileError, match=error) as caught:
        access.people_from({"maria": entry})
    assert "maria" in str(caught.value)


# --- a served workbook ------------------------------------------------------------------


@pytest.fixture(scope="module")
def org(sample_workbook, tmp_path_factory):
    """A copy of the sample workbook with an access file and decisions about two reps of
    different teams, each carrying a marker that must not reach anyone outside its scope."""
    root = tmp_path_factory.mktemp("access") / "wb"
    shutil.copytree(
        sample_workbook.root, root, ignore=shutil.ignore_patterns("sample", "*.sqlite*")
    )
    wb = Workbook.open(root)
    reps = wb.facts()["reps"]
    sellers = reps[(reps["role"].fillna("seller") == "seller") & reps["end_date"].isna()]
    rep_a = sellers[sellers["team"] == "North A"]["rep_id"].iloc[0]
    rep_b = sellers[sellers["team"] == "South B"]["rep_id"].iloc[0]
    (root / guard.ACCESS_FILE).write_text(ACCESS.format(rep_a=rep_a, rep_b=rep_b), encoding="utf-8")
    for rep in (rep_a, rep_b):
        coaching.record_session(
            wb, rep, f"SECRET-NOTE-{rep}", [], "olga", period=PERIOD, today=TODAY
        )
        goals.set_goal(wb, "rep", rep, PERIOD, 123_456, f"GOAL-WHY-{rep}", "olga", force=True)
        recognition.grant(wb, rep, PERIOD, "trip", 999, f"AWARD-WHY-{rep}", "olga")
    goals.set_goal(wb, "team", "South B", PERIOD, 654_321, "GOAL-WHY-South B", "olga", force=True)
    return {"wb": wb, "a": rep_a, "b": rep_b, "reps": reps}


def _texts(widget) -> list[str]:
    """Every text a widget tree shows: HTML, labels, options, values, tab titles."""
    out = []
    if isinstance(widget, widgets.Box):
        for child in widget.children:
            out += _texts(child)
        if isinstance(widget, widgets.Tab):
            out += [str(t) for t in widget.titles]
        return out
    for attr in ("value", "description", "placeholder"):
        value = getattr(widget, attr, None)
        if isinstance(value, str):
            out.append(html.unescape(value))
    for option in getattr(widget, "options", ()) or ():
        out.append(str(option[0] if isinstance(option, tuple) else option))
    return out


def _outsiders(reps: pd.DataFrame, seen: set[str]) -> list[str]:
    """Names of reps outside `seen` that no seen rep's name contains."""
    inside = [str(n) for n in reps[reps["rep_id"].isin(seen)]["name"]]
    return [
        str(n)
        for n in reps[~reps["rep_id"].isin(seen)]["name"]
        if not any(str(n) in i for i in inside)
    ]


# login, the reps their scope holds (by team or rep), and the markers that must stay hidden
ROLES = {
    "nikos": ("department", "North"),
    "anna": ("team", "North A"),
    "bob": ("team", "South B"),
    "eleni": ("company", None),
    "ria": ("rep", "a"),
    "sam": ("rep", "b"),
}


def _scope_reps(org, login) -> set[str]:
    scope, scope_id = ROLES[login]
    reps = org["reps"]
    if scope == "company":
        return set(reps["rep_id"])
    if scope == "rep":
        return {org[scope_id]}
    return set(reps[reps[scope] == scope_id]["rep_id"])


def _context(org, login, monkeypatch) -> Context:
    monkeypatch.setenv("SALESCOACH_USER", login)
    return Context(org["wb"], who=login, today=TODAY, period=PERIOD)


@pytest.mark.parametrize("login", ROLES)
def test_every_page_shows_only_the_persons_scope(org, login, monkeypatch):
    ctx = _context(org, login, monkeypatch)
    try:
        app = App(ctx)
        seen = _scope_reps(org, login)
        person = ctx.person
        assert {v for _label, v in ctx.scope_choices("rep")} <= seen
        assert [p.key for p in app.pages] == access.pages_of(person)
        shown = []
        for page in app.pages:
            app.show(page.key)
            assert page.last_error == "", page.last_error
            shown += _texts(page.widget)
        shown += _texts(app.widget)
        text = "\n".join(shown)
        for name in _outsiders(org["reps"], seen):
            assert name not in text, f"{login} sees {name}"
        for rep in (org["a"], org["b"]):
            if rep not in seen:
                assert f"SECRET-NOTE-{rep}" not in text
                assert f"GOAL-WHY-{rep}" not in text
                assert f"AWARD-WHY-{rep}" not in text
        if person.role in (access.TRAINER, access.REP):
            assert "SECRET-NOTE" not in text and "AWARD-WHY" not in text
        if ROLES[login] != ("team", "South B") and person.role != access.TRAINER:
            assert "GOAL-WHY-South B" not in text
    finally:
        ctx.close()


@pytest.mark.parametrize("login", ["anna", "bob", "ria", "nikos"])
def test_another_scopes_ids_are_refused_with_the_reason(org, login, monkeypatch):
    ctx = _context(org, login, monkeypatch)
    try:
        seen = _scope_reps(org, login)
        other = next(r for r in (org["b"], org["a"]) if r not in seen)
        with pytest.raises(AccessRefused, match=login) as caught:
            ctx.update(scope="rep", scope_id=other)
        assert "outside" in str(caught.value)
        assert other not in {v for _label, v in ctx.scope_choices("rep")}
        with pytest.raises(AccessRefused):
            ctx.update(scope="company")
        with pytest.raises(AccessRefused, match=login):
            decisions.record_goal_discussion(ctx, other, "agreed", True)
        with pytest.raises(AccessRefused, match=login):
            decisions.log_coaching(ctx, other, "note", [], None)
    finally:
        ctx.close()


def test_rep_a_acknowledges_their_own_goal_not_rep_bs(org, monkeypatch):
    wb, a, b = org["wb"], org["a"], org["b"]
    monkeypatch.setenv("SALESCOACH_USER", "ria")
    with pytest.raises(AccessRefused, match="ria sees rep"):
        goals.acknowledge(wb, b, PERIOD, "agreed", "ria")
    event = goals.acknowledge(wb, a, PERIOD, "agreed", "ria", comment="fine")
    assert event.who == "ria"
    with pytest.raises(AccessRefused, match="may not set goals"):
        goals.set_goal(wb, "rep", a, PERIOD, 1, "mine", "ria")
    status = goals.acknowledgements(wb, PERIOD)
    assert set(status["rep_id"]) == {a}
    assert set(goals.in_force(wb)["scope_id"]) == {a}


def test_a_trainer_reads_no_coaching_notes_or_awards_but_assigns_training(org, monkeypatch):
    wb, a = org["wb"], org["a"]
    monkeypatch.setenv("SALESCOACH_USER", "eleni")
    with pytest.raises(AccessRefused, match="eleni is a trainer, who may not read coaching"):
        coaching.sessions(wb)
    with pytest.raises(AccessRefused, match="read awards"):
        recognition.events(wb)
    with pytest.raises(AccessRefused, match="may not set goals"):
        goals.set_goal(wb, "rep", a, PERIOD, 1, "x", "eleni")
    with pytest.raises(AccessRefused, match="log a coaching session"):
        coaching.record_session(wb, a, "x", [], "eleni", period=PERIOD, today=TODAY)
    courses = wb.facts()["courses"]
    event = training.assign(
        wb,
        a,
        courses["course_id"].iloc[0],
        TODAY + dt.timedelta(days=30),
        "refresh",
        "eleni",
        today=TODAY,
    )
    assert event.who == "eleni"


def test_a_team_lead_reads_their_teams_coaching_notes_only(org, monkeypatch):
    wb, a, b = org["wb"], org["a"], org["b"]
    monkeypatch.setenv("SALESCOACH_USER", "anna")
    notes = coaching.sessions(wb)
    assert "SECRET-NOTE-" + a in set(notes["note"]) or len(notes) >= 1
    assert set(notes["rep_id"]) <= _scope_reps(org, "anna")
    assert not notes.astype(str).apply(lambda c: c.str.contains(b)).any().any()
    with pytest.raises(AccessRefused, match="anna sees team North A"):
        coaching.sessions(wb, b)
    with pytest.raises(AccessRefused):
        coaching.record_step(wb, b, "coaching_plan", "x", "anna", period=PERIOD, today=TODAY)
    with pytest.raises(AccessRefused):
        recognition.grant(wb, b, PERIOD, "trip", 1, "x", "anna")
    awards = recognition.events(wb)
    assert set(awards["rep_id"]) <= _scope_reps(org, "anna")
    history = goals.history(wb)
    assert not history["key"].str.contains(b).any()
    assert not history["key"].str.startswith("company").any()


def test_a_decision_records_the_login_as_who(org, monkeypatch):
    ctx = _context(org, "anna", monkeypatch)
    try:
        ctx.update(scope="rep", scope_id=org["a"])
        event = decisions.log_coaching(ctx, org["a"], "who wrote this", [], None)
        assert event.who == "anna"
    finally:
        ctx.close()


def test_a_login_not_in_the_access_file_sees_nothing_and_is_told_why(org, monkeypatch):
    ctx = _context(org, "stranger", monkeypatch)
    try:
        assert ctx.person.role == access.NOBODY
        app = App(ctx)
        text = "\n".join(_texts(app.widget))
        assert "stranger is not in this workbook's access file" in text
        for name in org["reps"]["name"]:
            assert str(name) not in text
    finally:
        ctx.close()


def test_the_command_line_outside_a_hub_stays_sales_operations(org, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv("SALESCOACH_USER", "local-admin")
    assert guard.person_for(org["wb"]).everything
    monkeypatch.setenv("JUPYTERHUB_USER", "local-admin")
    assert guard.person_for(org["wb"]).role == access.NOBODY
    monkeypatch.setenv("JUPYTERHUB_USER", "anna")
    monkeypatch.setenv("SALESCOACH_USER", "olga")  # the hub's user wins
    assert guard.person_for(org["wb"]).login == "anna"


def test_render_and_backup_refuse_what_the_person_may_not_see(org, monkeypatch):
    from click.testing import CliRunner

    from salescoach.cli import main

    runner = CliRunner()
    wb = ["--workbook", str(org["wb"].root)]
    env = {"SALESCOACH_USER": "ria"}
    result = runner.invoke(main, [*wb, "render", "--rep", org["b"], "--period", PERIOD], env=env)
    assert result.exit_code == 2 and "ria sees rep" in result.output
    result = runner.invoke(main, [*wb, "render", "--all", "--period", PERIOD], env=env)
    assert result.exit_code == 2 and "outside" in result.output
    result = runner.invoke(main, [*wb, "backup"], env={"SALESCOACH_USER": "nikos"})
    assert result.exit_code == 2 and "the whole company is outside it" in result.output
    result = runner.invoke(main, [*wb, "backup"], env={"SALESCOACH_USER": "eleni"})
    assert result.exit_code == 2 and "may not export decisions" in result.output


def test_only_sales_operations_restore_a_backup(org, tmp_path):
    from click.testing import CliRunner

    from salescoach.cli import main

    runner = CliRunner()
    wb = ["--workbook", str(org["wb"].root)]
    file = tmp_path / "decisions.jsonl"
    done = runner.invoke(main, [*wb, "backup", str(file)], env={"SALESCOACH_USER": "olga"})
    assert done.exit_code == 0, done.output
    with org["wb"].store() as store:
        before = len(store.history())
    for login, why in (
        ("nikos", "nikos is a manager, who may not restore decisions from a backup."),
        ("eleni", "eleni is a trainer, who may not restore decisions from a backup."),
        ("ria", "ria is a rep, who may not restore decisions from a backup."),
    ):
        result = runner.invoke(
            main, [*wb, "restore", "--merge", str(file)], env={"SALESCOACH_USER": login}
        )
        assert result.exit_code == 2 and why in result.output, (login, result.output)
    with org["wb"].store() as store:
        assert len(store.history()) == before  # nothing was written
    result = runner.invoke(
        main, [*wb, "restore", "--merge", str(file)], env={"SALESCOACH_USER": "olga"}
    )
    assert result.exit_code == 0 and "Restored 0 decisions" in result.output, result.output


def test_no_access_file_is_a_single_user_workbook(sample_workbook, monkeypatch):
    monkeypatch.setenv("SALESCOACH_USER", "anyone")
    assert guard.people(sample_workbook) is None
    assert guard.person_for(sample_workbook).everything


@pytest.mark.parametrize(
    "call",
    [
        lambda wb, o: diagnosis.findings(wb, PERIOD, "team", "South B"),
        lambda wb, o: diagnosis.findings(wb, PERIOD),
        lambda wb, o: monitoring.context(wb, PERIOD, "rep", o),
        lambda wb, o: training.status(wb, PERIOD, "team", "South B"),
        lambda wb, o: training.what_works(wb, PERIOD, "department", "South"),
        lambda wb, o: recognition.proposal(wb, PERIOD, "rep", o),
        lambda wb, o: recognition.leaderboard(wb, PERIOD),
        lambda wb, o: recognition.retention(wb, PERIOD),
        lambda wb, o: goals.render_goal_letter(wb, o, PERIOD),
        lambda wb, o: coaching.sessions(wb, o),
    ],
)
def test_a_team_leads_reads_of_another_scope_are_refused(org, monkeypatch, call):
    monkeypatch.setenv("SALESCOACH_USER", "anna")
    with pytest.raises(AccessRefused, match="anna sees team North A"):
        call(org["wb"], org["b"])
