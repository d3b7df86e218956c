"""Message catalogues: every word the kit prints goes through `translator(lang)`.

Catalogues are gettext `.po` files under `salescoach/locale/<lang>/LC_MESSAGES/salescoach.po`,
read at run time through Babel, so adding a language is adding one file and needs no compile
step. English is the source language: a message missing from a catalogue prints in English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources

DOMAIN = "salescoach"
# Babel's extraction keywords: `_("text")`, `gettext("text")`, `_n("one", "many", n)`, and
# `N_("text")`, which marks a message kept in English (a default, a constant) and translated
# where it is shown.
KEYWORDS = {"_": None, "gettext": None, "_n": (1, 2), "ngettext": (1, 2), "N_": None, "N_n": (1, 2)}


def catalogue_path(lang: str):
    return (
        resources.files("salescoach")
        .joinpath("locale")
        .joinpath(lang)
        .joinpath("LC_MESSAGES")
        .joinpath(f"{DOMAIN}.po")
    )


@cache
def _catalogue(lang: str) -> tuple[dict, Callable[[int], int]]:
    """The translated messages of a language (msgid -> text; (singular, plural) -> forms) and
    its plural rule (n -> which form), read once per process."""
    import gettext as stdlib_gettext

    path = catalogue_path(lang)
    if not path.is_file():
        return {}, lambda n: int(n != 1)
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    messages = {
        m.id: m.string
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    return messages, stdlib_gettext.c2py(catalog.plural_expr)


def _messages(lang: str) -> dict:
    return _catalogue(lang)[0]


def languages() -> list[str]:
    base = resources.files("salescoach").joinpath("locale")
    found = [
        p.name
        for p in base.iterdir()
        if p.joinpath("LC_MESSAGES").joinpath(f"{DOMAIN}.po").is_file()
    ]
    return sorted({"en", *found})


def translator(lang: str = "en") -> Callable[..., str]:
    """`_("Revenue by {department}", department=...)`: look up, then fill the placeholders."""
    messages = _messages(lang.split("_")[0]) if lang else {}

    def gettext(message: str, /, **values) -> str:
        text = messages.get(message, message)
        return text.format(**values) if values else text

    return gettext


# The language of this process's words. Like gettext's install(), it is process-wide on
# purpose: a process serves one workbook at a time (a CLI run, a pack kernel, an app kernel),
# and its entry point sets the language once (`set_language`), so the messages of every layer
# below (services, rules, errors) follow without each call passing it down.
_active = "en"


def set_language(lang: str | None) -> str:
    """Make `lang` the language of `_`; returns the previous one (to restore it)."""
    global _active
    previous, _active = _active, (lang or "en")
    return previous


def active_language() -> str:
    return _active


def _(message: str, /, **values) -> str:
    """Translate into the active language (see `set_language`), then fill the placeholders."""
    return translator(_active)(message, **values)


def N_(message: str, /) -> str:
    """Mark `message` for the catalogue without translating it now (gettext's `gettext_noop`):
    for a constant defined at import and shown later through `_(CONSTANT)`."""
    return message


def N_n(singular: str, plural: str, /) -> tuple[str, str]:
    """Mark a counted message for the catalogue without translating it now; translate it where
    it is shown with `plural_translator(lang)(*message, n, ...)`."""
    return singular, plural


def plural_translator(lang: str = "en") -> Callable[..., str]:
    """`ngettext("{n} award", "{n} awards", n, n=n)`: the language's form for n, filled."""
    messages, form = _catalogue(lang.split("_")[0] if lang else "en")

    def ngettext(singular: str, plural: str, n: int, /, **values) -> str:
        forms = messages.get((singular, plural))
        if forms:
            text = forms[min(form(int(n)), len(forms) - 1)]
        else:
            text = singular if n == 1 else plural
        return text.format(**values)

    return ngettext


def _n(singular: str, plural: str, n: int, /, **values) -> str:
    """A counted message in the active language: `_n("{n} letter", "{n} letters", n, n=n)`."""
    return plural_translator(_active)(singular, plural, n, **values)


def separated(items, lang: str | None = None) -> str:
    """Items of one sentence (reasons, notes, actions) joined the language's way; English's
    "; " would read as question marks in Greek."""
    gettext = translator(lang or _active)
    return gettext("; ").join(str(i) for i in items)


def folded(text) -> str:
    """Text as search and sorting compare it: accents and case set aside, in any script
    (`Άννα` -> `αννα`, `ΣΟΦΙΑ` and `Σοφία` -> `σοφια`; a final `ς` folds to `σ`)."""
    decomposed = unicodedata.normalize("NFD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sort_key(text) -> tuple[str, str]:
    """Dictionary order for names in any script: `Άννα` next to `Αννα`, before `Βασίλης`,
    whatever the accents and case (plain code-point order puts every accented Greek vowel
    after `ω`); ties broken by the accented, cased text so the order is stable."""
    return folded(text), str(text)


def name_order(*columns: str) -> Callable:
    """A `sort_values(key=...)` that puts the text columns named (all columns when none are)
    in dictionary order, accents and case aside, and leaves the others (a rank, a flag) as
    they are: `frame.sort_values(["rank", "name"], key=name_order("name"))`."""

    def key(values):
        return values.astype(str).map(folded) if not columns or values.name in columns else values

    return key


def matches(query, text) -> bool:
    """Does `text` contain `query`, case and accents aside (`σοφια` finds `Σοφία`)?"""
    return folded(query).strip() in folded(text)


def label(key, lang: str | None = None) -> str:
    """The words for a key the kit stores in English (a cause, a scope, an owner, a course
    status or topic, a coaching step), in the active language; other text is returned as it is,
    so owners a workbook names itself print as written."""
    gettext = translator(lang or _active)
    words = {
        # goal metrics
        "revenue": gettext("revenue"),
        "units": gettext("units"),
        "deals_won": gettext("deals won"),
        "new_customers": gettext("new customers"),
        # causes of a missed goal, in the order diagnosis checks them
        "product": gettext("product"),
        "price": gettext("price"),
        "delivery": gettext("delivery"),
        "service": gettext("service"),
        "marketing": gettext("marketing"),
        "training": gettext("training"),
        # scopes
        "company": gettext("company"),
        "department": gettext("department"),
        "team": gettext("team"),
        "rep": gettext("rep"),
        "family": gettext("family"),
        "segment": gettext("segment"),
        "campaign": gettext("campaign"),
        # owners (the defaults of [monitoring.owners] and the diagnosis rules)
        "sales": gettext("sales"),
        "production": gettext("production"),
        "logistics": gettext("logistics"),
        "customer service": gettext("customer service"),
        "sales enablement": gettext("sales enablement"),
        "the rep's manager": gettext("the rep's manager"),
        # course status and topics
        "current": gettext("current"),
        "due_soon": gettext("due soon"),
        "overdue": gettext("overdue"),
        "never": gettext("never taken"),
        "audience": gettext("audience"),
        "strategy": gettext("strategy"),
        "skills": gettext("skills"),
        "other": gettext("other"),
        # what drove a goal (salescoach.domain.goals.REASONS), and a target imported as it was
        "performance": gettext("performance"),
        "economy": gettext("economy"),
        "competition": gettext("competition"),
        "imported": gettext("imported"),
        # the coaching ladder
        "none": gettext("no step yet"),
        "training_assigned": gettext("training assigned"),
        "coaching_plan": gettext("coaching plan"),
        "improvement_plan": gettext("improvement plan"),
        "dismissal_review": gettext("dismissal review"),
    }
    return words.get(str(key), str(key))


def language_locale(lang: str, locale: str) -> str:
    """The locale for `lang`: `locale` when it is already of that language, else the language's
    most likely one (el -> el_GR, en -> en_US), so numbers and dates read as the words do."""
    if not lang or locale.split("_")[0] == lang:
        return locale
    from babel.core import get_global

    likely = get_global("likely_subtags").get(lang, lang)
    parts = [p for p in likely.split("_") if not (len(p) == 4 and p.istitle())]  # drop the script
    return "_".join(parts)


def extract_messages(package_root=None) -> dict[str, list[str]]:
    """Every message the kit can print: msgid -> where it is used.

    Reads `_("...")` calls in the package's Python files and `{{ _("...") }}` / `{% trans %}` in
    its Jinja templates, the same way `babel extract` does.
    """
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    root = Path(package_root or Path(__file__).resolve().parent)
    found: dict[str, list[str]] = {}
    method_map = [("**.py", "python")]
    options = {}
    templates = root.parent / "templates"
    for folder, methods in (
        (root, method_map),
        (templates, [("**.j2", "jinja2"), ("**.html", "jinja2")]),
    ):
        if not folder.exists():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(folder),
            method_map=methods,
            options_map=options,
            keywords=KEYWORDS,
        ):
            if isinstance(message, tuple):
                # (singular, plural) from `_n`; from `_`, its first argument
                message = tuple(message) if len(message) == 2 and all(message) else message[0]
            if message:
                found.setdefault(message, []).append(f"{folder.name}/{filename}:{lineno}")
    for notebook in _notebooks(root.parent):
        for message, where in _notebook_messages(notebook):
            found.setdefault(message, []).append(f"{notebook.relative_to(root.parent)}:{where}")
    return found


def _notebooks(repo):
    """The notebooks the kit ships: review packs, the manager's app, the trainer templates."""
    for folder in ("notebooks", "templates/notebooks"):
        yield from sorted((repo / folder).rglob("*.ipynb")) if (repo / folder).exists() else ()


def _notebook_messages(path):
    """`_("...")` in a notebook's code cells as (message, cell number); cells count from 1 as
    JupyterLab shows them."""
    import io
    import json

    from babel.messages.extract import extract_python

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells, start=1):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]).encode("utf-8")
        for _lineno, _func, message, _comments in extract_python(
            io.BytesIO(source), KEYWORDS, [], {}
        ):
            if isinstance(message, tuple):
                # (singular, plural) from `_n`; from `_`, its first argument
                message = tuple(message) if len(message) == 2 and all(message) else message[0]
            if message:
                yield message, number


def update_catalogue(lang: str) -> tuple[int, list[str]]:
    """Add every extracted message to the language's .po file, keeping existing translations.

    Returns (number of messages, the msgids that still lack a translation).
    """
    from pathlib import Path

    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = Path(__file__).resolve().parent / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
    else:
        catalog = Catalog(locale=lang, project="salescoach", domain=DOMAIN)
    messages = extract_messages()
    template = Catalog(project="salescoach", domain=DOMAIN)
    for msgid, where in messages.items():
        template.add(
            msgid, locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where]
        )
    catalog.update(template, no_fuzzy_matching=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, include_previous=False)
    missing = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    _catalogue.cache_clear()
    return len(messages), missing
