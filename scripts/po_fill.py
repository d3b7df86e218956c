"""Fill msgstr entries of a catalogue from a JSON file of {msgid: translation}; a counted
message (`_n`) is keyed by its singular msgid and takes a list of the language's forms.

    python scripts/po_fill.py el translations.json

Only entries that exist in the catalogue (run `i18n.update_catalogue(lang)` first) are filled;
an msgid the catalogue does not have is reported, not added, so extraction stays the one source.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main(lang: str, source: str) -> int:
    path = ROOT / "salescoach" / "locale" / lang / "LC_MESSAGES" / "salescoach.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    unknown = []
    for msgid, text in json.loads(Path(source).read_text(encoding="utf-8")).items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        # A list fills a counted message's forms (msgid the singular, as in the .po).
        message.string = tuple(text) if isinstance(text, list) else text
        message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, include_previous=False)
    for msgid in unknown:
        print(f"not in the {lang} catalogue (run update_catalogue first): {msgid!r}")
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
