"""Message catalogues: every word the kit prints goes through `translator(lang)`.

Catalogues are gettext `.po` files under `salescoach/locale/<lang>/LC_MESSAGES/salescoach.po`,
read at run time through Babel, so adding a language is adding one file and needs no compile
step. English is the source language: a message missing from a catalogue prints in English.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

DOMAIN = "salescoach"


def catalogue_path(lang: str):
    return (
        resources.files("salescoach")
        .joinpath("locale")
        .joinpath(lang)
        .joinpath("LC_MESSAGES")
        .joinpath(f"{DOMAIN}.po")
    )


@cache
def _messages(lang: str) -> dict[str, str]:
    path = catalogue_path(lang)
    if not path.is_file():
        return {}
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


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


# Module-level English for code that runs before a workbook's language is known.
_ = translator("en")
