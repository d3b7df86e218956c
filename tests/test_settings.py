import pytest

from salescoach.data.workbook import Workbook, WorkbookError, init_workbook
from salescoach.settings import Settings, SettingsError, defaults


def test_init_writes_commented_defaults_that_load(tmp_path):
    path = init_workbook(tmp_path / "wb", company="Ακμή Α.Ε.")
    text = path.read_text(encoding="utf-8")
    assert text.count("#") > 10
    wb = Workbook.open(tmp_path / "wb")
    assert wb.settings.company_name == "Ακμή Α.Ε."
    assert wb.settings["goals"]["stretch"] == defaults()["goals"]["stretch"]


def test_init_refuses_to_overwrite(tmp_path):
    init_workbook(tmp_path)
    with pytest.raises(WorkbookError, match="already exists; use --force"):
        init_workbook(tmp_path)
    init_workbook(tmp_path, force=True)


@pytest.mark.parametrize(
    "user, message",
    [
        ({"compnay": {"name": "x"}}, "unknown section [compnay]"),
        ({"company": {"nme": "x"}}, "unknown key 'nme' in [company]"),
        ({"goals": {"stretch": "high"}}, "[goals] stretch = 'high' should be a float"),
        ({"company": {"fiscal_year_start_month": 13}}, "should be 1-12"),
    ],
)
def test_bad_settings_name_section_and_key(user, message):
    with pytest.raises(SettingsError) as exc:
        Settings.from_dict(user)
    assert message in str(exc.value)


def test_ints_are_accepted_for_floats():
    assert Settings.from_dict({"goals": {"stretch": 0}})["goals"]["stretch"] == 0


def test_not_a_workbook(tmp_path):
    with pytest.raises(WorkbookError, match="is not a workbook"):
        Workbook.open(tmp_path)


def test_workbook_from_environment(tmp_path, monkeypatch):
    init_workbook(tmp_path)
    monkeypatch.setenv("SALESCOACH_WORKBOOK", str(tmp_path))
    assert Workbook.open().root == tmp_path.resolve()


def test_sub_tables_override_key_by_key_and_reject_typos():
    s = Settings.from_dict({"recognition": {"bonus": {"mode": "tiered"}}})
    assert s["recognition"]["bonus"]["mode"] == "tiered"
    assert s["recognition"]["bonus"]["tiers"] == defaults()["recognition"]["bonus"]["tiers"]
    with pytest.raises(SettingsError, match="unknown key 'moda' in \\[recognition.bonus\\]"):
        Settings.from_dict({"recognition": {"bonus": {"moda": "tiered"}}})
    owners = Settings.from_dict({"monitoring": {"owners": {"delivery": "3PL partner"}}})[
        "monitoring"
    ]["owners"]
    assert owners["delivery"] == "3PL partner" and owners["order"] == "sales"


def test_award_rules_replace_the_list():
    rules = [{"name": "x", "qualifies": "met_goal", "reward": "title"}]
    assert Settings.from_dict({"recognition": {"rules": rules}})["recognition"]["rules"] == rules


@pytest.mark.parametrize(
    "rule, message",
    [
        (
            {"name": "x", "qualifies": "met_goal", "reward": "title", "colour": "red"},
            "unknown key 'colour' in item 1",
        ),
        (
            {"name": "x", "qualifies": "top_n", "reward": "trip", "n": "three"},
            "item 1 n = 'three' should be a int",
        ),
    ],
)
def test_award_rule_items_are_checked_against_the_default_rules(rule, message):
    with pytest.raises(SettingsError) as exc:
        Settings.from_dict({"recognition": {"rules": [rule]}})
    assert "[recognition] rules" in str(exc.value) and message in str(exc.value)
    with pytest.raises(SettingsError, match="must be a table of keys"):
        Settings.from_dict({"recognition": {"rules": ["goal_met"]}})
