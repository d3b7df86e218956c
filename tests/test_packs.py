"""Review packs as a manager reads them: page 1 of a rep's pack (snapshots on a fixed small
organisation), every pack kind rendered and scanned, the index as a dashboard, and a batch that
leaves no temporary file behind."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from salescoach.domain.fmt import Formatter
from salescoach.packs import privacy, render
from salescoach.services import packs

PERIOD = "2026-Q3"


@pytest.fixture(scope="module")
def small_workbook(built_once):
    """The sample at scale 0.1, this module's own copy: its tests write decisions and packs."""
    from salescoach.data.workbook import Workbook
    from tests.conftest import build_sample_workbook

    return Workbook.open(built_once("sample-0.1", lambda root: build_sample_workbook(root, 0.1)))


def _reps(wb) -> dict[str, str]:
    """A seller above goal, one below and one without a goal, by the batch's figures."""
    figures, _trend = packs.batch_figures(wb, PERIOD)
    sellers = figures[figures["role"] == "seller"].sort_values("rep_id")
    with_goal = sellers[sellers["goal"] > 0]
    chosen = {
        "above": with_goal[with_goal["attainment"] >= 1]["rep_id"].iloc[0],
        "below": with_goal[with_goal["attainment"] < 1]["rep_id"].iloc[0],
    }
    no_goal = sellers[~(sellers["goal"] > 0)]
    if len(no_goal):
        chosen["no goal"] = no_goal["rep_id"].iloc[0]
    support = figures[figures["measured_as"] == "support"].sort_values("rep_id")
    if len(support):
        chosen["support"] = support["rep_id"].iloc[0]
    return chosen


@pytest.mark.parametrize("case", ["above", "below", "no goal", "support"])
def test_page_one_summary(small_workbook, snapshot, case):
    rep_id = _reps(small_workbook).get(case)
    if rep_id is None:
        pytest.skip(f"the small sample has no rep {case}")
    page = packs.summary(small_workbook, rep_id, PERIOD)
    assert [p["title"] for p in page["points"]] == [
        "What went well",
        "What held you back",
        "The next step",
    ]
    assert page == snapshot


def test_page_one_summary_in_greek(small_workbook, snapshot):
    book = packs.open_workbook(small_workbook.root, "el")
    page = packs.summary(book, _reps(small_workbook)["below"], PERIOD)
    assert "στόχου" in page["headline"]
    assert page == snapshot


def test_held_back_gives_each_cause_its_share_of_the_gap(small_workbook):
    rep_id = _reps(small_workbook)["below"]
    explained = packs.explanation(small_workbook, rep_id, PERIOD)
    page = packs.summary(small_workbook, rep_id, PERIOD)
    held = page["points"][1]["text"]
    f = Formatter.for_settings(small_workbook.settings)
    assert f.money(explained["gap"]) in held
    for part in explained["parts"].itertuples():
        if part.amount > 0 and part.Index < 3:
            assert f.pct(part.amount / explained["gap"]) in held


F = Formatter("en_US", "EUR")


def test_support_staff_get_a_support_pack_not_a_sellers(small_workbook):
    """Support staff who sell nothing are measured on the deals they assist: the revenue goals
    the sample imports for them (an overlay quota, as some CRMs export) are set aside and named,
    never read as 0% of a goal with the whole goal left unexplained."""
    from salescoach.domain import monitoring, roles
    from salescoach.domain.periods import Period
    from salescoach.services import diagnosis

    wb = small_workbook
    tables = wb.facts().all()
    staff = roles.support_only(tables["reps"], tables)["rep_id"]
    assert len(staff), "the sample has support staff who sell nothing"
    figures, trend = packs.batch_figures(wb, PERIOD)
    mine = figures[figures["rep_id"].isin(staff)].set_index("rep_id")
    assert (mine["measured_as"] == "support").all()
    assert mine["goal"].isna().all() and mine["attainment"].isna().all()
    targets = tables["targets"]
    imported = targets[
        (targets["scope"] == "rep")
        & (targets["period"] == PERIOD)
        & targets["scope_id"].isin(staff)
    ].set_index("scope_id")["target"]
    assert len(imported)
    pd.testing.assert_series_equal(
        mine["goal_set_aside"].reindex(imported.index), imported, check_names=False
    )
    # The same figures as the monitoring page's assisted-against-comparable table.
    period = Period.parse(PERIOD)
    expected = monitoring.support_contribution(
        tables["deals"], tables["reps"], period, tables["products"], tables["customers"]
    ).set_index("rep_id")
    assert mine["assisted"].tolist() == expected.loc[mine.index, "assisted"].tolist()
    assert mine["assisted_win_rate"].tolist() == expected.loc[mine.index, "win_rate"].tolist()
    # Their chart shows the assisted deals they won; the batch trend, which a team's figures
    # add up, keeps their own revenue (nothing), so no deal is counted twice.
    from salescoach.services.pack_data import assisted_trend

    assert assisted_trend(wb, period).loc[mine.index].sum(axis=1).gt(0).all()
    assert trend.set_index("rep_id").loc[mine.index].sum(axis=1).eq(0).all()
    assert not figures[~figures["rep_id"].isin(staff)]["measured_as"].eq("support").any()

    rep_id = sorted(staff)[0]
    page = packs.summary(wb, rep_id, PERIOD)
    text = " ".join([page["headline"], page["next_goal"], *(p["text"] for p in page["points"])])
    assert page["headline"].startswith("Support:")
    assert "of the goal" not in text and "gap" not in text
    f = Formatter.for_settings(wb.settings)
    assert f"revenue goal of {f.money(imported[rep_id])}" in page["next_goal"]
    assert page["bar"] is None
    table = packs.goal_attainment(wb, rep_id, PERIOD)
    assert list(table.index)[0] == "Deals assisted" and "Revenue" not in table.index
    assert packs.results_title(wb, rep_id, PERIOD) == "Deals assisted"
    assert "support staff" in packs.gap_causes(wb, rep_id, PERIOD)
    assert "Support staff take no revenue goal" in packs.next_goal(wb, rep_id, PERIOD)
    assert isinstance(packs.process(wb, rep_id, PERIOD), str)

    # Their team's roster and the index say why they have no goal and no bar.
    team = str(tables["reps"].set_index("rep_id").loc[rep_id, "team"])
    roster = packs.roster(wb, "team", team, PERIOD)
    assert "support staff" in set(roster["Flags"])
    plan = render.plan(wb, reps=[rep_id], period=PERIOD, kinds=("rep",))
    result = render.run(wb, plan, formats=("html",), jobs=1)
    assert [o.status for o in result.outcomes] != ["failed"]
    assert 'class="flag support"' in result.index.read_text(encoding="utf-8")

    # Diagnosis: no goal, so no gap of theirs in the waterfall or a rep explanation.
    result = diagnosis.run(wb, PERIOD)
    assert not result.gaps.index.isin(staff).any()
    assert packs.explanation(wb, rep_id, PERIOD)["status"] == "not_assessed"


def test_support_goals_are_those_of_support_staff_who_sell_nothing():
    from salescoach.domain import roles

    reps = pd.DataFrame(
        {
            "rep_id": ["7", "8", "9"],
            "role": ["support", "support", "seller"],
            "team": ["A", "A", "A"],
        }
    )
    # "8" is support by role but sells (rep_id on an order): a seller goal on their own sales.
    tables = {"orders": pd.DataFrame({"rep_id": ["8", "9"]}), "deals": pd.DataFrame()}
    goals = pd.DataFrame(
        {
            "scope": ["rep", "rep", "rep", "team", "company"],
            "scope_id": ["7", "8", "9", "A", "company"],
        }
    )
    assert roles.support_goals(goals, reps, tables).tolist() == [True, False, False, False, False]
    assert not roles.support_goals(goals, reps.iloc[:0], tables).any()


@pytest.mark.parametrize(
    "own, expected",
    [
        (
            {
                "assisted": 100,
                "assisted_won": 25,
                "assisted_win_rate": 0.25,
                "comparable_win_rate": 0.4,
                "assisted_uplift": -0.15,
                "assisted_revenue": 900.0,
            },
            ["25 of 100 assisted deals won (25%)", "won 15 pp less often", "look at which"],
        ),
        (
            {
                "assisted": 100,
                "assisted_won": 55,
                "assisted_win_rate": 0.55,
                "comparable_win_rate": 0.4,
                "assisted_uplift": 0.15,
                "assisted_revenue": 900.0,
            },
            ["won 15 pp more often", "Nothing on the deals"],
        ),
        # On 10 deals, 10 points either way is what chance gives (about 31 points here).
        (
            {
                "assisted": 10,
                "assisted_won": 3,
                "assisted_win_rate": 0.3,
                "comparable_win_rate": 0.4,
                "assisted_uplift": -0.1,
                "assisted_revenue": 900.0,
            },
            ["won 10 pp less often", "within what chance gives on 10 deals"],
        ),
        (
            {
                "assisted": 10,
                "assisted_won": 5,
                "assisted_win_rate": 0.5,
                "comparable_win_rate": 0.4,
                "assisted_uplift": 0.1,
                "assisted_revenue": 900.0,
            },
            ["won 10 pp more often", "within what chance", "Nothing on the deals"],
        ),
        ({"assisted": 0, "assisted_won": 0}, ["no assisted deal closed", "not assessed"]),
        ({"assisted": None}, ["do not name who assisted"]),
    ],
)
def test_support_page_one(own, expected):
    page = packs.page_one({"measured_as": "support", **own}, {}, None, 5000.0, "2026-Q4", F)
    text = " ".join([page["headline"], *(p["text"] for p in page["points"])])
    for words in expected:
        assert words in text
    assert "-" not in text.replace("one-to-one", "")  # a fall said in words, not "-10 pp less"
    # A next revenue goal a support person was given is not theirs to chase.
    assert "no revenue goal" in page["next_goal"] and "€5,000" not in page["next_goal"]


@pytest.mark.parametrize(
    "own, explained, expected",
    [
        # No goal: said, not a 0% or an infinite attainment.
        ({"revenue": 5000.0, "goal": None, "attainment": None}, None, "no goal was set"),
        (
            {"revenue": 5000.0, "goal": 4000.0, "attainment": 1.25},
            {"status": "under_way", "gap": -1000.0},
            "not over",
        ),
        (
            {"revenue": 5000.0, "goal": 4000.0, "attainment": 1.25},
            {"status": "not_assessed", "needs": ["targets"]},
            "not assessed",
        ),
    ],
)
def test_page_one_says_what_it_cannot_tell(own, explained, expected):
    page = packs.page_one(own, {}, explained, None, "2026-Q4", F)
    text = " ".join([page["headline"], *(p["text"] for p in page["points"])])
    assert expected in text
    assert "too few" in page["peers"]
    assert "No revenue goal set yet" in page["next_goal"]


def test_page_one_names_no_other_rep():
    """Peers reach page 1 as quartiles only: no name, id or row of anyone else."""
    peers = {"attainment": {"q1": 0.8, "median": 0.95, "q3": 1.1, "n": 9}}
    page = packs.page_one(
        {"revenue": 900.0, "goal": 1000.0, "attainment": 0.9}, peers, None, 1200.0, "2026-Q4", F
    )
    assert page["peers"] == "Peers in the same role: median 95%, middle half 80% to 110%"
    assert page["bar"] == {"attainment": 0.9, "q1": 0.8, "median": 0.95, "q3": 1.1}


@pytest.mark.parametrize(
    "close, contact, expected",
    [
        ("2026-09-01", "2026-09-20", "has passed"),
        (None, None, "No contact on record"),
        ("2026-10-20", "2026-08-01", "No contact for 60 days"),
        ("2026-10-20", "2026-09-25", "Expected to close"),
    ],
)
def test_next_action(close, contact, expected):
    as_of = pd.Timestamp("2026-09-30")
    text = packs.next_action(
        pd.Timestamp(close) if close else pd.NaT,
        pd.Timestamp(contact) if contact else pd.NaT,
        pd.Timestamp("2026-07-01"),
        as_of,
        F,
    )
    assert expected in text


def test_pipeline_names_customers(small_workbook):
    figures, _trend = packs.batch_figures(small_workbook, PERIOD)
    busiest = figures.sort_values("open_deals", ascending=False)["rep_id"].iloc[0]
    table = packs.pipeline(small_workbook, busiest, PERIOD)
    assert len(table)
    customers = small_workbook.facts()["customers"]
    assert set(table["Customer"]) <= set(customers["name"])
    assert not set(table["Customer"]) & set(customers["customer_id"])
    assert table["Next action"].str.len().gt(0).all()


def test_group_sections(small_workbook):
    dept = small_workbook.facts()["reps"]["department"].iloc[0]
    roster = packs.roster(small_workbook, "department", dept, PERIOD)
    assert {"Name", "Attainment", "On the quarter before", "Flags"} <= set(roster.columns)
    company = packs.roster(small_workbook, "company", None, PERIOD)
    assert {"Department", "Team", "Reps"} <= set(company.columns)
    found = packs.systemic(small_workbook, "company", None, PERIOD)
    if isinstance(found, pd.DataFrame):
        assert set(found["Cause"]) <= {"product", "price", "delivery", "service", "marketing"}
        assert found["Owner"].str.len().gt(0).all()
    assert "Courses in date" in packs.coverage(small_workbook, "company", None, PERIOD).index


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def test_clean_tmp_removes_only_what_no_process_writes(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    stale = [tmp_path / f"{dead}-1-R001.pdf.part", tmp_path / f"index.html.{dead}.part"]
    mine = tmp_path / f"{os.getpid()}-7-R002.html.part"
    kept = [tmp_path / f"{alive}-1-R003.pdf.part", tmp_path / "notes.txt"]
    for path in [*stale, mine, *kept]:
        path.write_text("x")
    removed = render.clean_tmp(tmp_path)
    assert sorted(removed) == sorted([*stale, mine])
    assert all(p.exists() for p in kept)


def test_every_pack_kind_renders_and_passes_the_privacy_check(small_workbook):
    """Company, a department, a team and two reps, as HTML (and PDF when Chromium is here);
    a `.part` left by a killed batch is gone after the run, and nothing else is left."""
    from salescoach.packs import browser

    wb = small_workbook
    formats = ("html", "pdf") if browser.find_chromium() else ("html",)
    the_plan = render.plan(wb, everything=True, period=PERIOD)
    reps = wb.facts()["reps"].sort_values("rep_id")
    dept = reps["department"].iloc[0]
    team = reps[reps["department"] == dept]["team"].iloc[0]
    rep_ids = list(reps[reps["team"] == team]["rep_id"].head(2))
    keep = {("company", None), ("department", dept), ("team", team)} | {("rep", r) for r in rep_ids}
    the_plan.specs = [s for s in the_plan.specs if (s.kind, s.scope_id) in keep]
    tmp = render.tmp_dir(wb)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / f"{_dead_pid()}-1-{rep_ids[0]}.pdf.part").write_bytes(b"%PDF-half")
    # A batch killed while writing a shared figure (a pickle, a Parquet file) left it too.
    stale_batch = render.packs_dir(wb) / "batch" / "killed"
    stale_batch.mkdir(parents=True, exist_ok=True)
    (stale_batch / f".diagnosis-0123.{_dead_pid()}.part").write_bytes(b"half")
    (render.packs_dir(wb) / f".key-figures.parquet.{_dead_pid()}.part").write_bytes(b"half")

    result = render.run(wb, the_plan, formats=formats, jobs=2, force=True)

    assert not result.failed, [(o.spec, o.error) for o in result.failed]
    assert {o.spec.kind for o in result.rendered} == set(render.KINDS)
    assert len(result.paths) == len(keep) * len(formats)
    assert list(tmp.iterdir()) == []
    assert list(render.packs_dir(wb).rglob("*.part")) == []
    people = [[p.rep_id, p.name, p.email] for p in privacy.people(reps)]
    for outcome in result.rendered:
        markup = next(p for p in outcome.paths if p.suffix == ".html").read_text(encoding="utf-8")
        for needle in ('src="http', 'href="http', "<script src"):
            assert needle not in markup
        if outcome.spec.kind == "rep":
            scanner = privacy.Scanner(people, outcome.spec.scope_id)
            parts = {p.suffix[1:]: p for p in outcome.paths}
            assert privacy.scan_files(scanner, parts, markup) == []
            assert "Talking points" in markup
        else:
            assert "Roster" in markup
    index = result.index.read_text(encoding="utf-8")
    assert 'class="bar"' in index and 'id="f-department"' in index
    assert "http" not in index.replace("http-equiv", "")
    for path in result.paths:
        assert str(path.relative_to(result.index.parent)) in index


@pytest.fixture(scope="module")
def orders_only_workbook(tmp_path_factory, small_workbook):
    """The small sample with only its reps and orders: no deals, goals, training or service."""
    import shutil

    from salescoach.data.importer import validate_path
    from salescoach.data.workbook import Workbook, init_workbook

    root = tmp_path_factory.mktemp("orders-only")
    init_workbook(root, company="Orders only")
    folder = root / "salescoach-data" / "export"
    folder.mkdir(parents=True)
    for table in ("reps", "orders"):
        shutil.copy(small_workbook.data_dir / "sample" / f"{table}.csv", folder)
    result = validate_path(folder)
    wb = Workbook.open(root)
    wb.save_import(result, str(folder), "tests")
    return wb


def test_every_section_says_what_it_lacks(orders_only_workbook):
    """Each section of every pack kind answers from reps and orders alone: a figure, a table
    or a sentence ("not assessed: ..."), never a traceback."""
    wb = orders_only_workbook
    reps = wb.facts()["reps"]
    rep_id, team, dept = (str(reps[c].iloc[0]) for c in ("rep_id", "team", "department"))
    page = packs.summary(wb, rep_id, PERIOD)
    assert "not assessed" in page["points"][1]["text"]
    assert "not assessed" in packs.pipeline(wb, rep_id, PERIOD)
    assert isinstance(packs.gap_causes(wb, rep_id, PERIOD), str)
    for scope, scope_id in (("team", team), ("department", dept), ("company", None)):
        assert packs.group_cover(wb, scope, scope_id, PERIOD)["title"]
        assert len(packs.roster(wb, scope, scope_id, PERIOD))
        assert packs.gap_figure(wb, scope, scope_id, PERIOD).startswith("not assessed")
        packs.systemic(wb, scope, scope_id, PERIOD)
        coverage = packs.coverage(wb, scope, scope_id, PERIOD)
        assert coverage.iloc[0, 0].startswith("not assessed")
        assert "not assessed" in str(packs.what_works(wb, scope, scope_id, PERIOD))


@pytest.mark.parametrize(
    "close, opened, expected",
    [
        (None, "2026-09-01", "No close date yet"),
        (None, "2026-03-01", "without a close date"),
        ("2026-10-20", "2026-09-01", "Expected to close"),
    ],
)
def test_next_action_without_contact_records_never_says_no_contact(close, opened, expected):
    """An export without activities (or without their deal_id) cannot show a contact: "no
    contact on record" would read missing data as neglect."""
    text = packs.next_action(
        pd.Timestamp(close) if close else pd.NaT,
        pd.NaT,
        pd.Timestamp(opened),
        pd.Timestamp("2026-09-30"),
        F,
        contacts_known=False,
    )
    assert expected in text and "contact" not in text.lower()


def test_assisted_figures_without_support_ids_say_nothing_rather_than_zero():
    """An export whose deals never name who assisted them: support staff's figures are unknown
    (NaN, said as not assessed), never 0 deals assisted."""
    from salescoach.domain.periods import Period
    from salescoach.services.pack_data import assisted_figures

    reps = pd.DataFrame(
        {
            "rep_id": ["1", "2"],
            "name": ["A", "B"],
            "team": ["T", "T"],
            "department": ["D", "D"],
            "role": ["seller", "support"],
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": ["d1", "d2"],
            "rep_id": ["1", "1"],
            "stage": ["won", "lost"],
            "close_date": pd.to_datetime(["2026-08-01", "2026-08-02"]),
            "amount": [10.0, 20.0],
            "support_rep_id": [None, None],
        }
    )
    period = Period.parse("2026-Q3")
    assert assisted_figures({"reps": reps, "deals": deals}, period).empty
    deals.loc[0, "support_rep_id"] = "2"
    found = assisted_figures({"reps": reps, "deals": deals}, period)
    assert found.loc["2", ["assisted", "assisted_won"]].tolist() == [1, 1]
