"""Check a language's message catalogue: `python scripts/po_check.py [LANG]` (default el).

Prints one line per problem and exits 1 when there is any:

- a message whose msgstr is empty, or that is marked fuzzy (the kit ignores both and prints
  English);
- a msgstr whose `{...}` placeholder fields (name, conversion and format spec, as
  `string.Formatter().parse` reads them) differ from its msgid's, or that does not parse;
- a msgstr whose leading or trailing whitespace differs from its msgid's.

A counted message (msgid_plural) is checked form by form: a form may leave a field out (the
singular "the last period" has no `{n}`), but together its forms use every field of the
msgid and msgid_plural, and no form has one the code does not pass.

A few messages may swap a placeholder for another that the code passes for that language
(`ALTERNATIVES`): `Q{quarter} {year}` may use `{quarter_numeral}` (Γ' τρίμηνο 2026).

LANG may also be a path to a .po file.
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "salescoach"

# msgid -> {placeholder in the msgid: placeholders the code also passes, usable instead}
ALTERNATIVES: dict[str, dict[str, tuple[str, ...]]] = {
    "Q{quarter} {year}": {"quarter": ("quarter_numeral",)},
}

Field = tuple[str, str, str]  # name, conversion, format spec


def fields(text: str) -> set[Field]:
    """The `{...}` fields of a str.format template; ValueError when it does not parse."""
    return {
        (name, conversion or "", spec or "")
        for _literal, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


def show(found: set[Field]) -> str:
    def one(f: Field) -> str:
        name, conversion, spec = f
        return (
            "{"
            + name
            + (f"!{conversion}" if conversion else "")
            + (f":{spec}" if spec else "")
            + "}"
        )

    return ", ".join(sorted(one(f) for f in found)) or "none"


def allowed(msgid: str, expected: set[Field]) -> list[set[Field]]:
    """Every field set a translation of `msgid` may have."""
    options = [expected]
    for name, swaps in ALTERNATIVES.get(msgid, {}).items():
        for field in [f for f in expected if f[0] == name]:
            for other in swaps:
                options += [(s - {field}) | {(other, field[1], field[2])} for s in options]
    return options


def whitespace(text: str) -> tuple[str, str]:
    return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]


def problems(path: Path) -> list[str]:
    with path.open("rb") as fh:
        catalog = read_po(fh)
    out: list[str] = []
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, (tuple, list)) else (m.id,)
        strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
        where = f"{path.name}:{m.lineno}" if m.lineno else path.name
        label = repr(ids[0])
        if m.fuzzy:
            out.append(f"{where}: fuzzy: {label}")
        if not all(strings):
            out.append(f"{where}: untranslated: {label}")
            continue
        try:
            expected = set().union(*(fields(i) for i in ids))
        except ValueError as exc:
            out.append(f"{where}: msgid does not parse ({exc}): {label}")
            continue
        options = allowed(ids[0], expected)
        counted = len(ids) > 1
        used: set[Field] = set()
        for text in strings:
            try:
                got = fields(text)
            except ValueError as exc:
                out.append(f"{where}: msgstr does not parse ({exc}): {label}")
                continue
            used |= got
            # A form of a counted message may leave the count out ("the last period"), as its
            # singular msgid may; it may never bring a field the code does not pass.
            fits = any(got <= o for o in options) if counted else got in options
            if not fits:
                out.append(
                    f"{where}: placeholders differ: msgid has {show(expected)}, "
                    f"msgstr has {show(got)}: {label}"
                )
            if whitespace(text) != whitespace(ids[0]):
                out.append(f"{where}: leading/trailing whitespace differs from the msgid: {label}")
        if counted and all(strings) and used not in options and any(used <= o for o in options):
            out.append(
                f"{where}: placeholders differ: msgid has {show(expected)}, "
                f"its forms together have {show(used)}: {label}"
            )
    return out


def main(argv: list[str]) -> int:
    lang = argv[1] if len(argv) > 1 else "el"
    path = Path(lang)
    if path.suffix != ".po":
        path = ROOT / "salescoach" / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        print(f"{path}: no such catalogue")
        return 1
    found = problems(path)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
