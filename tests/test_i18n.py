"""Languages: every message in the catalogue, Greek complete, formats by locale, a Greek pack."""

from __future__ import annotations

import ast
import json
import runpy
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import pytest
from babel.messages.pofile import read_po

from salescoach import i18n
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "salescoach"
# Exceptions whose message a user reads (the CLI prints it as one sentence).
USER_ERRORS = {
    "InputError",
    "SettingsError",
    "WorkbookError",
    "MappingError",
    "UserError",
    "UsageError",
    "ClickException",
    "BadParameter",
}


def _catalogue(lang: str):
    with open(i18n.catalogue_path(lang), "rb") as fh:
        return read_po(fh, locale=lang)


def test_every_message_the_kit_prints_has_a_greek_translation():
    extracted = i18n.extract_messages()
    assert len(extracted) > 500
    greek = {m.id: m for m in _catalogue("el") if m.id}

    def translated(m) -> bool:
        return all(m.string) if isinstance(m.string, tuple) else bool(m.string)

    missing = [msgid for msgid in extracted if msgid not in greek or not translated(greek[msgid])]
    assert any(isinstance(msgid, tuple) for msgid in extracted)  # counted messages are extracted
    fuzzy = [msgid for msgid in extracted if msgid in greek and greek[msgid].fuzzy]
    assert not missing, f"run i18n.update_catalogue('el') and translate: {missing[:10]}"
    assert not fuzzy, fuzzy[:10]


def test_greek_catalogue_keeps_every_placeholder(capsys):
    check = runpy.run_path(str(ROOT / "scripts" / "po_check.py"))
    assert check["main"](["po_check.py", "el"]) == 0, capsys.readouterr().out


PO_HEAD = 'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'


@pytest.mark.parametrize(
    "forms, problem",
    [
        (("{n} επιβράβευση", "{n} επιβραβεύσεις"), None),
        (("μία επιβράβευση", "{n} επιβραβεύσεις"), None),  # a form may leave the count out
        (("μία επιβράβευση", "πολλές επιβραβεύσεις"), "its forms together have none"),
        (("{n} επιβράβευση", "{count} επιβραβεύσεις"), "msgstr has {count}"),
        (("{n} επιβράβευση", ""), "untranslated"),
    ],
)
def test_po_check_reads_counted_messages(tmp_path, capsys, forms, problem):
    po = tmp_path / "xx.po"
    po.write_text(
        PO_HEAD + 'msgid "{n} award"\nmsgid_plural "{n} awards"\n'
        f'msgstr[0] "{forms[0]}"\nmsgstr[1] "{forms[1]}"\n',
        encoding="utf-8",
    )
    check = runpy.run_path(str(ROOT / "scripts" / "po_check.py"))
    assert check["main"](["po_check.py", str(po)]) == (0 if problem is None else 1)
    out = capsys.readouterr().out
    assert (problem or "") in out and (problem is not None or out == "")


def _user_facing_calls():
    """(file:line, what) of every message that would reach a user without the catalogue."""
    found = []
    for where, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            literal = isinstance(first, ast.JoinedStr) or (
                isinstance(first, ast.Constant) and isinstance(first.value, str)
            )
            if name in USER_ERRORS and literal:
                found.append(f"{where}:{node.lineno} {name}({ast.unparse(first)[:60]})")
            # `_(label)` of a name marked elsewhere with `_("...")` is deferred translation; an
            # f-string, a concatenation or a call built at run time can never be in a catalogue.
            lookup = isinstance(first, ast.Call) and getattr(first.func, "attr", "") == "get"
            built = isinstance(first, (ast.JoinedStr, ast.BinOp, ast.Call)) and not lookup
            if name in ("_", "gettext") and built:
                found.append(f"{where}:{node.lineno} {name}() of {ast.unparse(first)[:60]}")
            # A CLI line or an app notice with English words outside `_()`, literal or f-string.
            if name in ("echo", "secho", "info", "error", "ok") and literal:
                parts = first.values if isinstance(first, ast.JoinedStr) else [first]
                words = " ".join(v.value for v in parts if isinstance(v, ast.Constant)).split()
                if any(w.strip(":()[],.|-").isalpha() and len(w) > 2 for w in words):
                    found.append(f"{where}:{node.lineno} {name}({ast.unparse(first)[:60]})")
            # A widget's words: its description, placeholder or tooltip.
            for kw in node.keywords:
                if (
                    kw.arg in ("description", "placeholder", "tooltip")
                    and isinstance(kw.value, (ast.Constant, ast.JoinedStr))
                    and any(c.isalpha() for c in ast.unparse(kw.value))
                ):
                    found.append(f"{where}:{node.lineno} {kw.arg}={ast.unparse(kw.value)[:60]}")
    return [f for f in found if f.split(" ", 1)[0].rsplit(":", 1)[0] not in NOT_USER_FACING]


def _sources():
    """(where, AST) of the package's modules and of the notebooks' code cells."""
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"))
    for path in i18n._notebooks(ROOT):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for number, cell in enumerate(cells, start=1):
            if cell["cell_type"] == "code":
                try:
                    tree = ast.parse("".join(cell["source"]))
                except SyntaxError:  # IPython magics
                    continue
                yield f"{path.relative_to(ROOT)}#cell{number}", tree


# Files whose strings never reach a user, each with its reason (none at present: the bench
# scripts and the data contract's README table live outside the package or print no words).
NOT_USER_FACING: dict[str, str] = {}


def _marked_literals():
    """(where, msgid) of every `_("...")`, `N_("...")` and `_n("...", "...", n)` with literal
    arguments in the package and the notebooks, found by the AST: Babel skips a call inside an
    f-string (`f"{_('Total'):<24}"`), so such a message would never reach the catalogue."""

    def calls(tree, where):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if isinstance(node.func, ast.Call):  # `translator(lang)("...")`: Babel misses it
                outer = getattr(node.func.func, "id", None) or getattr(node.func.func, "attr", None)
                name = {"translator": "_", "plural_translator": "_n"}.get(outer)
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args[:2]]
            if name in ("_", "gettext", "N_") and isinstance(args[0], str):
                yield f"{where}:{node.lineno}", args[0]
            if (
                name in ("_n", "ngettext", "N_n")
                and len(args) == 2
                and all(isinstance(a, str) for a in args)
            ):
                yield f"{where}:{node.lineno}", tuple(args)

    for where, tree in _sources():
        yield from calls(tree, where)


def test_every_marked_message_is_extracted():
    extracted = i18n.extract_messages()
    lost = [f"{where} {msgid!r}" for where, msgid in _marked_literals() if msgid not in extracted]
    assert lost == [], "move the _() call out of the f-string: " + "; ".join(lost[:10])


def test_constants_marked_with_N_are_translated_where_shown():
    from salescoach import settings
    from salescoach.domain import training
    from salescoach.services.training import effect_caution

    assert settings.defaults()["branding"]["footer"] == settings.DEFAULT_FOOTER
    greek = settings.Settings.from_dict({"company": {"language": "el", "locale": "el_GR"}})
    assert greek["branding"]["footer"].startswith("Εμπιστευτικό")
    assert (
        settings.Settings.from_dict({}).with_language("el")["branding"]["footer"]
        == (greek["branding"]["footer"])
    )
    own = settings.Settings.from_dict({"branding": {"footer": "Internal"}}).with_language("el")
    assert own["branding"]["footer"] == "Internal"  # a workbook's own words print as written
    from salescoach.domain import recognition

    rules = settings.defaults()["recognition"]["rules"]
    assert {r["label"] for r in rules} == recognition.DEFAULT_LABELS
    i18n.set_language("el")
    assert recognition.award_label("Goal bonus") == "Μπόνους στόχου"
    assert recognition.award_label("Our own prize") == "Our own prize"
    i18n.set_language("en")
    row = {"conclusive": False, "reps_trained": 2, "reps_untrained": 1}
    assert effect_caution(row, "el").startswith("Πολύ λίγοι πωλητές")
    assert i18n.N_(training.EffectVerdict.caution) == training.EffectVerdict.caution


def test_deferred_labels_are_in_the_catalogue():
    """Labels marked at import and translated when shown: their English must be extracted."""
    from salescoach.app.pages import PAGES
    from salescoach.domain import recognition
    from salescoach.services import digest

    extracted = set(i18n.extract_messages())
    marked = [
        *digest.EXAMPLE_MEASURES.values(),
        *recognition.STATUS_LABELS.values(),
        *(page.title for page in PAGES),
    ]
    assert [m for m in marked if m not in extracted] == []
    i18n.set_language("el")
    assert [i18n.label(k) for k in ("revenue", "overdue", "production", "coaching_plan")] == [
        "έσοδα",
        "εκπρόθεσμο",
        "παραγωγή",
        "σχέδιο καθοδήγησης",
    ]


def test_no_user_message_escapes_the_catalogue():
    """Errors users read go through `_()` with a literal message (never an f-string), and no
    CLI line carries English words outside `_()`."""
    assert _user_facing_calls() == []


@pytest.mark.parametrize(
    "locale, method, args, expected",
    [
        ("en_IE", "money", (1234.56, 2), "€1,234.56"),
        ("el_GR", "money", (1234.56, 2), "1.234,56\xa0€"),
        ("en_IE", "period", (Period.parse("2026-Q3"),), "Q3 2026"),
        ("el_GR", "period", (Period.parse("2026-Q3"),), "Γ' τρίμηνο 2026"),
        ("el_GR", "period", (Period.parse("2026-Q1"),), "Α' τρίμηνο 2026"),
        ("en_IE", "period", (Period.parse("2026-07"),), "July 2026"),
        ("el_GR", "period", (Period.parse("2026-07"),), "Ιούλιος 2026"),
        ("en_IE", "pct", (0.256,), "26%"),
        ("el_GR", "pct", (0.256,), "26%"),
        ("en_IE", "date", ("2026-09-30",), "30 Sept 2026"),
        ("el_GR", "date", ("2026-09-30",), "30 Σεπ 2026"),
        ("el_GR", "number", (1234567,), "1.234.567"),
        ("en_IE", "number", (1234567,), "1,234,567"),
        ("el_GR", "number", (2400000.0, 2), "2.400.000,00"),
        ("el_GR", "decimal", (0.05,), "0,05"),
        ("en_IE", "decimal", (1.0,), "1"),
        ("el_GR", "pct", (0.1234, 1), "12,3%"),
        ("en_IE", "pct", (0.1234, 1), "12.3%"),
    ],
)
def test_formatting_follows_the_locale(locale, method, args, expected):
    assert getattr(Formatter(locale, "EUR"), method)(*args) == expected


def test_language_of_a_run():
    """`--lang` changes the words and, with them, the locale; the catalogue decides the words."""
    from salescoach.settings import Settings, SettingsError

    greek = Settings.from_dict({}).with_language("el")
    assert (greek.language, greek.locale) == ("el", "el_GR")
    with pytest.raises(SettingsError, match="has no catalogue; use one of el, en"):
        Settings.from_dict({}).with_language("xx")
    i18n.set_language("el")
    assert i18n._("Goal and attainment") == "Στόχος και επίτευξη"
    assert i18n.label("customer service") == "εξυπηρέτηση πελατών"
    assert i18n.separated(["α", "β"]) == "α· β"  # a Greek ';' is a question mark
    i18n.set_language("en")
    assert i18n._("Goal and attainment") == "Goal and attainment"


def test_greek_names_sort_and_match_as_people_expect():
    names = ["Ωραία", "Άννα", "Βασίλης", "αντώνης", "Ανδρέας", "Zoe", "Έλενα", "Ευάγγελος"]
    # Code-point order would put Άννα and Έλενα before Ανδρέας and αντώνης after Ωραία.
    assert sorted(names, key=i18n.sort_key) == [
        "Zoe",
        "Ανδρέας",
        "Άννα",
        "αντώνης",
        "Βασίλης",
        "Έλενα",
        "Ευάγγελος",
        "Ωραία",
    ]
    assert i18n.matches("σοφια", "Σοφία Παππά (R007)")
    assert i18n.matches("ΣΟΦΊΑ", "σοφία")
    assert i18n.matches("οδυσσεας", "Οδυσσέας")  # a final ς folds to σ
    assert not i18n.matches("σοφια", "Μαρία")


def test_counted_messages_take_the_languages_form():
    singular, plural = "Wrote {n} letter to {folder}", "Wrote {n} letters to {folder}"
    i18n.set_language("el")
    assert i18n._n(singular, plural, 1, n=1, folder="X") == "Γράφτηκε 1 επιστολή στο X"
    assert i18n._n(singular, plural, 3, n=3, folder="X") == "Γράφτηκαν 3 επιστολές στο X"
    i18n.set_language("en")
    assert i18n._n(singular, plural, 1, n=1, folder="X") == "Wrote 1 letter to X"
    assert i18n._n(singular, plural, 0, n=0, folder="X") == "Wrote 0 letters to X"


def test_greek_chart_has_every_glyph():
    """matplotlib warns 'Glyph ... missing' when its font lacks a letter; Greek must not."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from salescoach.domain import charts

    fig, ax = plt.subplots()
    ax.set_title("Έσοδα ανά τρίμηνο · Πέτρος Οικονόμου")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.to_png(fig)
    plt.close(fig)


@pytest.fixture(scope="module")
def greek_workbook(tmp_path_factory):
    """The sample organisation built in Greek, as `salescoach demo --lang el` builds it."""
    from click.testing import CliRunner

    from salescoach.cli import main

    root = tmp_path_factory.mktemp("greek") / "wb"
    done = CliRunner().invoke(main, ["--workbook", str(root), "demo", "--lang", "el", "--no-packs"])
    assert done.exit_code == 0, done.output
    assert "Σύνολο" in done.output or "Δύση" in done.output  # the summary speaks Greek
    from salescoach.data.workbook import Workbook

    return Workbook.open(root)


def test_greek_app_tables_show_words_not_keys(greek_workbook):
    """What the app's pages show of the service frames: Greek headings, labels for stored
    keys, numbers by the locale."""
    from salescoach.domain.fmt import Formatter
    from salescoach.services import recognition, training

    wb = greek_workbook
    i18n.set_language("el")
    fmt = Formatter.for_settings(wb.settings)
    wins = training.what_works_shown(training.what_works(wb, "2026-Q3"), fmt)
    assert list(wins.columns)[:2] == ["Οικογένεια προϊόντων", "Τεχνική"]
    assert "(all)" not in set(wins.iloc[:, 0]) and "όλες οι οικογένειες" in set(wins.iloc[:, 0])
    assert set(wins.iloc[:, -1]) <= {"ναι", "όχι"}
    found = recognition.candidates_shown(recognition.candidates(wb, "2026-Q3"), fmt)
    assert "Μπόνους στόχου" in set(found["Επιβράβευση"])
    assert any(w.endswith("\xa0€") and "." in w for w in found["Αξία"])  # 1.050 €
    i18n.set_language("en")


def test_greek_breaches_name_their_owner_in_greek(greek_workbook):
    """Every breach shows its owner; in a Greek workbook, in Greek (the stored key is English)."""
    from salescoach.services import monitoring

    i18n.set_language("el")
    ctx = monitoring.context(greek_workbook, "2026-Q3")
    breaches = set(monitoring.stages_table(ctx)["Παραβίαση"]) - {""}
    by_owner = set(monitoring.breach_table(ctx)["Υπεύθυνος"])
    i18n.set_language("en")
    assert breaches and all(b.startswith("ναι: ") for b in breaches), breaches
    assert "ναι: παραγωγή" in breaches and "ναι: production" not in breaches
    assert {"παραγωγή", "εξυπηρέτηση πελατών"} <= by_owner


def test_greek_pack_prints_greek(greek_workbook, chromium_path, tmp_path):
    from salescoach.packs import privacy, render

    wb = greek_workbook
    assert (wb.settings.language, wb.settings.locale) == ("el", "el_GR")
    reps = wb.facts()["reps"].sort_values("rep_id")
    rep = reps.iloc[0]
    assert any("\u0370" <= ch <= "\u03ff" for ch in rep["name"]), rep["name"]
    the_plan = render.plan(wb, reps=[rep["rep_id"]], period="2026-Q3")
    result = render.run(wb, the_plan, formats=("html", "pdf"), jobs=1, force=True)
    assert [o.status for o in result.outcomes] == ["rendered"], result.outcomes
    pdf = next(p for p in result.outcomes[0].paths if p.suffix == ".pdf")
    text = " ".join(privacy.pdf_text(pdf).split())
    for expected in ("Στόχος και επίτευξη", "Διάγνωση", "Γ' τρίμηνο 2026", rep["name"]):
        assert expected in text, expected
    assert "Goal and attainment" not in text
    assert "Εμπιστευτικό" in text and "Confidential" not in text  # the default footer
    assert "\ufffd" not in text  # no character lost on the way through the PDF
    # Every font embedded: the glyphs travel with the PDF, whatever the reader has installed.
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), fonts.stdout
    # ... and they are the CSS's first choice, which has Greek (not a fallback that may not).
    assert all("DejaVuSans" in row.split()[0] for row in rows), fonts.stdout
    # Looked at as an image too: the first page rasterises (kept for a person to open).
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
            check=True,
        )
        assert list(tmp_path.glob("p*.png"))


def test_app_goal_chart_dates_follow_the_locale():
    from salescoach.app.figures import goal_progress_figure
    from salescoach.domain.fmt import Formatter

    days = pd.date_range("2026-07-01", "2026-09-30", freq="D")
    daily = pd.Series(1000.0, index=days)
    labels = {"actual": "Πραγματικό", "path": "Πορεία"}
    fig = goal_progress_figure(daily, 95_000.0, days[-1], "έσοδα", Formatter("el_GR"), labels)
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert ticks and all(t.endswith("2026") for t in ticks), ticks
    assert any("Ιουλ" in t for t in ticks) and not any("2026-07" in t for t in ticks), ticks
