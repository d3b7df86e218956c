import typing
from dataclasses import fields, replace

import pytest

from salescoach.data.workbook import Workbook, WorkbookError, init_workbook
from salescoach.settings import (
    DEFAULT_FOOTER,
    SECTIONS,
    Bonus,
    Company,
    Goals,
    Monitoring,
    Recognition,
    Settings,
    SettingsError,
    Training,
    defaults,
)


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
        ({"goals": {"stretch": "high"}}, "[goals] stretch = 'high' should be a number"),
        ({"company": {"fiscal_year_start_month": 13}}, "= 13 should be a month from 1 to 12"),
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
            "unknown key 'colour' in [recognition] rules, item 1",
        ),
        (
            {"name": "x", "qualifies": "top_n", "reward": "trip", "n": "three"},
            "rules, item 1, n = 'three' should be a whole number",
        ),
        ({"name": "x", "reward": "trip"}, "rules, item 1 needs qualifies"),
    ],
)
def test_award_rule_items_are_checked_against_the_default_rules(rule, message):
    with pytest.raises(SettingsError) as exc:
        Settings.from_dict({"recognition": {"rules": [rule]}})
    assert "[recognition] rules" in str(exc.value) and message in str(exc.value)
    with pytest.raises(SettingsError, match="must be a table of keys"):
        Settings.from_dict({"recognition": {"rules": ["goal_met"]}})


# --------------------------------------------------------------------------- the typed model


def test_the_model_is_the_shipped_file():
    """Every section's fields are the shipped file's keys, and its defaults the file's values:
    the model keeps no second copy of a default."""
    assert set(SECTIONS) == set(defaults())
    for name, kind in SECTIONS.items():
        assert [f.name for f in fields(kind)] == list(defaults()[name]), name
    assert Settings().values == defaults()
    assert Settings.from_dict({}) == Settings()


def test_the_choices_are_the_domains_own():
    from salescoach.domain import contract, goals, monitoring, recognition, training

    hints = {kind: typing.get_type_hints(kind) for kind in (Goals, Training, Recognition)}
    assert typing.get_args(hints[Goals]["allocation"]) == goals.ALLOCATION_MODES
    assert typing.get_args(hints[Training]["effect_metric"]) == training.EFFECT_METRICS
    assert set(typing.get_args(hints[Recognition]["metric"])) == set(contract.METRICS)
    assert typing.get_args(typing.get_type_hints(Bonus)["mode"]) == tuple(recognition.MODES)
    assert tuple(Settings().monitoring.owners) == monitoring.STAGES


def _workbook_with(tmp_path, text: str) -> Workbook:
    init_workbook(tmp_path)
    (tmp_path / "salescoach.toml").write_text(text, encoding="utf-8")
    return Workbook.open(tmp_path)


@pytest.mark.parametrize(
    "text, setting, value, expected",
    [
        ("[goals]\nstretch = true", "[goals] stretch", "True", "a number"),
        ("[packs]\nmin_peers = 2.5", "[packs] min_peers", "2.5", "a whole number"),
        ("[packs]\npaper = 'A3'", "[packs] paper", "'A3'", 'one of "A4", "Letter"'),
        ("[branding]\nlogo = 3", "[branding] logo", "3", "text"),
        (
            "[recognition]\ncash_budget = 'lots'",
            "[recognition] cash_budget",
            "'lots'",
            'a number or "auto"',
        ),
        ("[recognition.bonus]\ncap = '2'", "[recognition.bonus] cap", "'2'", "a number"),
        (
            "[recognition.bonus]\ntiers = [[0.5]]",
            "[recognition.bonus] tiers, item 1",
            "[0.5]",
            "a list [a number, a number]",
        ),
        ("[monitoring.targets]\ncsat = 'good'", "[monitoring.targets] csat", "'good'", "a number"),
        (
            "[monitoring.scorecard_weights]\nwin_rate = -0.2",
            "[monitoring.scorecard_weights] win_rate",
            "-0.2",
            "a number of 0 or more",
        ),
        (
            "[training]\neffect_metric = 'margin'",
            "[training] effect_metric",
            "'margin'",
            'one of "win_rate", "revenue"',
        ),
    ],
)
def test_a_wrong_value_is_one_sentence_naming_file_key_value_and_kind(
    tmp_path, text, setting, value, expected
):
    with pytest.raises(SettingsError) as exc:
        _workbook_with(tmp_path, text).settings  # noqa: B018 - loading is the test
    path = tmp_path / "salescoach.toml"
    assert str(exc.value) == f"{path}: {setting} = {value} should be {expected}"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "[goals]\nstrech = 0.1",
            "unknown key 'strech' in [goals] (known: stretch, trailing_periods",
        ),
        (
            "[monitoring.owners]\npacking = 'warehouse'",
            "unknown key 'packing' in [monitoring.owners]",
        ),
        (
            "[monitoring.scorecard_weights]\ncharm = 1.0",
            "unknown key 'charm' in [monitoring.scorecard_weights]",
        ),
        ("[recognition.bonus]\nmoda = 'tiered'", "unknown key 'moda' in [recognition.bonus]"),
        ("[goal]\nstretch = 0.1", "unknown section [goal] (known: company, branding"),
        ("goals = 0.1", "[goals] must be a table of keys"),
    ],
)
def test_an_unknown_key_or_section_is_named_with_its_file(tmp_path, text, message):
    with pytest.raises(SettingsError) as exc:
        _workbook_with(tmp_path, text).settings  # noqa: B018 - loading is the test
    assert str(exc.value).startswith(f"{tmp_path / 'salescoach.toml'}: ")
    assert message in str(exc.value)


def test_a_key_an_earlier_version_used_is_named_and_ignored(tmp_path):
    """A workbook made before a key was retired still opens (an upgrade never locks a manager
    out); the key is named with its file, and a typo beside it is still an error."""
    from salescoach.settings import RETIRED, SettingsWarning

    text = "[diagnosis]\nagree_ratio = 1.5\nextreme_z = 4.0\n"
    with pytest.warns(SettingsWarning, match=r"salescoach.toml: \[diagnosis\] agree_ratio"):
        settings = _workbook_with(tmp_path, text).settings
    assert settings.diagnosis.extreme_z == 4.0
    names = {f.name for f in fields(type(settings.diagnosis))}
    assert not names & set(RETIRED["diagnosis"])  # retired means no longer read
    with pytest.raises(SettingsError, match="unknown key 'agree_ratoi'"):
        _workbook_with(tmp_path / "typo", "[diagnosis]\nagree_ratoi = 1.5\n").settings  # noqa: B018


def test_a_missing_section_takes_the_defaults(tmp_path):
    wb = _workbook_with(tmp_path, '[company]\nname = "Acme"\n')
    assert wb.settings.company.name == "Acme"
    assert wb.settings.company.currency == Company().currency
    for name in SECTIONS:
        if name != "company":
            assert getattr(wb.settings, name) == getattr(Settings(), name), name


def test_a_workbook_override_of_one_key_keeps_the_other_defaults(tmp_path):
    wb = _workbook_with(
        tmp_path,
        "[goals]\nstretch = 0\n[monitoring.owners]\ndelivery = '3PL partner'\n"
        "[recognition.bonus]\nmode = 'tiered'\n",
    )
    s = wb.settings
    assert s.goals == replace(Goals(), stretch=0.0) and isinstance(s.goals.stretch, float)
    assert s.monitoring.owners == {**Monitoring().owners, "delivery": "3PL partner"}
    assert s.monitoring.targets == Monitoring().targets
    assert s.recognition.bonus == replace(Bonus(), mode="tiered")
    assert s.recognition.rules == Recognition().rules
    # What the domain reads follows: the goal suggestions and the award programme.
    from salescoach.domain import goals, recognition

    config = goals.SuggestionSettings.from_settings(s)
    assert config.stretch == 0.0 and config.trailing_periods == Goals().trailing_periods
    program = recognition.ProgramSettings.from_settings(s)
    assert program.plan.mode == "tiered" and program.plan.tiers == Bonus().tiers
    assert program.offices == Recognition().offices


def test_the_default_footer_follows_the_language():
    greek = Settings.from_dict({"company": {"language": "el", "locale": "el_GR"}})
    assert greek.branding.footer != DEFAULT_FOOTER
    assert greek.with_language("en").branding.footer == DEFAULT_FOOTER
