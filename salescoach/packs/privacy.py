"""Privacy of review packs: peers only as anonymous statistics, and a scanner that proves it.

A rep's pack shows that rep's own figures. Peers appear only as the median and quartiles of a
group large enough that no single colleague's figure can be worked out; below the minimum the
benchmark is not shown. :class:`Scanner` checks a rendered pack (its HTML and its PDF's text)
for every other rep's name and id.

The scan looks where a person is named, and tells a rep from a number:

- a name counts when all its parts stand together, in any order and with spaces, commas,
  dots or hyphens between them (`James Mitchell`, `Mitchell, James`, `mitchell.james` in a
  `mailto:`), or as an initial and the rest (`J. Mitchell`); accents and case aside. A part
  alone (`Mitchell`, which may be a common word) never counts;
- an id with letters and more than two characters (`R001`, an email) counts as a whole token
  anywhere: in text, `alt`/`title` attributes and `mailto:` links;
- an id that is a number or at most two characters (`8`, `S1`), and a one-word name, would
  match page numbers and quantities, so they count only where they label a person: a table
  cell under a column headed `Rep`/`ID`/`Owner`, after such a word (`Rep 8`), in parentheses
  after a name (`Ann Lee (8)`), or as a `mailto:` address's local part.

Text inside an image (a chart's labels) cannot be read by this scan: packs are private by
construction (the pack's sections select the rep's own row), and the scan refuses names in an
image's alt text.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from salescoach import i18n
from salescoach.i18n import _


@dataclass(frozen=True)
class Leak:
    """One other person's name or id found in a pack."""

    file: str
    rep_id: str
    found: str


@dataclass(frozen=True)
class Person:
    """What names a rep: id, name and, when the roster has one, email."""

    rep_id: str
    name: str
    email: str = ""


class ScanUnavailable(RuntimeError):
    """A PDF's text cannot be read here, so the pack cannot be checked and must not be kept."""

    tool = "pdftotext"


def people(reps: pd.DataFrame) -> list[Person]:
    """The roster as the scanner reads it (a plain list, cheap to send to a worker)."""

    def text(value) -> str:
        return "" if value is None or pd.isna(value) else str(value).strip()

    emails = reps["email"] if "email" in reps else pd.Series("", index=reps.index)
    return [
        Person(text(i), text(n), text(e))
        for i, n, e in zip(reps["rep_id"], reps["name"], emails)
        if text(i)
    ]


# --------------------------------------------------------------------------------------------
# Text of a page
# --------------------------------------------------------------------------------------------


def plain(text: str) -> str:
    """Text with accents removed and case kept (`Μιχάλης` -> `Μιχαλης`)."""
    decomposed = unicodedata.normalize("NFD", str(text))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


# Cached: a worker builds a scanner over the same roster for pack after pack.
@lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in re.findall(r"\w+", plain(text)))


@lru_cache(maxsize=1 << 16)
def _key(text: str) -> str:
    """One identifier as compared: unaccented, case-folded, spaces collapsed."""
    return " ".join(i18n.folded(text).split())


# Block elements end a run of text: `<td>Ann</td><td>Lee</td>` is two runs, `<b>Ann</b>Lee` one.
_BLOCKS = frozenset(
    "address article aside blockquote br caption dd div dl dt figcaption figure footer h1 h2 h3"
    " h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead title tr ul".split()
)
_NAMING_ATTRIBUTES = ("alt", "title", "aria-label")


class _Page(HTMLParser):
    """The places of an HTML page where a person can be named."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.runs: list[str] = []
        self.attributes: list[str] = []
        self.mailto: list[str] = []
        self.cells: list[tuple[str, str]] = []  # (column heading, cell text)
        self._skip = 0
        self._tables: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag in _BLOCKS:
            self.runs.append("\n")
        for name, value in attrs:
            if not value:
                continue
            if name in _NAMING_ATTRIBUTES:
                self.attributes.append(value)
            elif name == "href" and value.strip().lower().startswith("mailto:"):
                self.mailto.append(value.strip()[len("mailto:") :].split("?")[0])
        if tag == "table":
            self._tables.append({"head": defaultdict(str), "thead": False, "row": None})
        elif self._tables:
            table = self._tables[-1]
            if tag == "thead":
                table["thead"] = True
            elif tag == "tr":
                table["row"] = []
            elif tag in ("td", "th") and table["row"] is not None:
                span = dict(attrs).get("colspan") or "1"
                table["row"].append([tag, [], int(span) if span.isdigit() else 1])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if tag in _BLOCKS:
            self.runs.append("\n")
        if not self._tables:
            return
        table = self._tables[-1]
        if tag == "table":
            self._tables.pop()
        elif tag == "thead":
            table["thead"] = False
        elif tag == "tr" and table["row"] is not None:
            self._end_row(table)

    def _end_row(self, table):
        row, table["row"] = table["row"], None
        header_row = table["thead"] or all(kind == "th" for kind, _t, _s in row)
        column = 0
        for kind, parts, span in row:
            text = " ".join("".join(parts).split())
            if header_row and kind == "th":
                for c in range(column, column + span):
                    table["head"][c] += " " + text
            elif not header_row:
                self.cells.append((table["head"].get(column, ""), text))
            column += span

    def handle_data(self, data):
        if self._skip:
            return
        self.runs.append(data)
        if self._tables and self._tables[-1]["row"]:
            self._tables[-1]["row"][-1][1].append(data)

    @property
    def text(self) -> str:
        return "".join(self.runs)


def html_text(markup: str) -> str:
    """The visible text of an HTML page (scripts and styles dropped, entities decoded)."""
    page = _Page()
    page.feed(markup)
    page.close()
    return html.unescape(page.text)


def pdf_text(path: Path | str) -> str:
    """The text of a PDF: poppler's pdftotext, else pypdf when installed; neither raises
    :class:`ScanUnavailable`."""
    if shutil.which("pdftotext"):
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
        )
        return done.stdout.decode("utf-8", "replace")
    try:
        import pypdf
    except ImportError:
        raise ScanUnavailable(unavailable_message()) from None
    reader = pypdf.PdfReader(str(path))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def unavailable_message() -> str:
    return _(
        "the pack was not kept: its PDF could not be checked for other reps' names because "
        "pdftotext is missing (install poppler-utils)"
    )


# --------------------------------------------------------------------------------------------
# The scanner
# --------------------------------------------------------------------------------------------

# What may stand between the parts of one name: `Mitchell, James`, `J. Mitchell`, `Ann-Marie`.
_JOIN = re.compile(r"[\s,.'’‐-]+")
# Headings and words that say the next value is a person: English and every catalogue's words.
_PERSON_HEADINGS = ("Rep", "Owner", "Seller", "Salesperson", "Name", "Person", "Employee", "Staff")
_ID_WORDS = ("id", "rep_id")
_LABEL_WORDS = ("Rep", "Owner", "Seller", "Salesperson")


@cache
def _translated_words(messages: tuple[str, ...]) -> frozenset[str]:
    words: set[str] = set()
    for lang in i18n.languages():
        gettext = i18n.translator(lang)
        for message in messages:
            words.update(_words(gettext(message)))
    return frozenset(words)


def _is_person_heading(heading: str) -> bool:
    """`Rep`, `Rep ID`, `rep_id`, `Πωλητής`: a column whose cells are people, not figures."""
    words = _words(heading)
    allowed = _translated_words(_PERSON_HEADINGS) | set(_ID_WORDS)
    return bool(words) and all(w in allowed for w in words)


@cache
def _label_pattern() -> re.Pattern:
    words = sorted(_translated_words(_LABEL_WORDS) | {"id", "rep_id", "rep id"}, key=len)
    alternatives = "|".join(re.escape(w) for w in reversed(words))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)\s*[:#=]?\s*", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def _weak(identifier: str) -> bool:
    """An id that could be a figure or a word: a number, or at most two characters."""
    return len(identifier) <= 2 or not any(c.isalpha() for c in identifier)


@lru_cache(maxsize=1 << 16)
def _capitalised(name: str) -> bool:
    return not any(w[:1].islower() for w in plain(name).split())


@lru_cache(maxsize=1 << 16)
def _id_pattern(identifier: str, exact_case: bool) -> tuple[str | None, re.Pattern]:
    """The id's first word (the scan tries the pattern only where that word occurs) and the
    pattern of the id as a whole token."""
    body = r"\s+".join(re.escape(part) for part in plain(identifier).split())
    first = re.match(r"\w+", plain(identifier))
    pattern = re.compile(body + r"(?![\w-])", 0 if exact_case else re.IGNORECASE)
    return (first.group().casefold() if first else None), pattern


class Scanner:
    """Finds other reps' names and ids in one rep's pack.

    Example::

        scan = Scanner(people(reps), own_rep_id="R001")
        scan.html(markup, "R001.html")  # -> [Leak(...), ...]
        scan.text(pdf_text(path), "R001.pdf")
    """

    def __init__(self, roster: Iterable[Person], own_rep_id: str | None):
        roster = [p if isinstance(p, Person) else Person(*p) for p in roster]
        own_id = None if own_rep_id is None else str(own_rep_id)
        own = [p for p in roster if p.rep_id == own_id]
        own_ids = {own_id} if own_id is not None else set()
        own_ids.update(p.email for p in own if p.email)
        own_names = {tuple(sorted(_words(p.name))) for p in own if p.name}
        self._own = "\0own"
        # Names: the sorted parts of a name -> who has it; an initial form -> who has it. A
        # name written with capitals (`Will Price`) is matched only where it is so written
        # (`we will price it` is not a name), except in a mailto link.
        self._names: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self._cased: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self._initials: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self._weak: dict[str, set[str]] = defaultdict(set)
        self._weak_exact: dict[str, set[str]] = defaultdict(set)
        self._ids: list[tuple[str | None, re.Pattern, str]] = []
        own_keys = {_key(i) for i in own_ids}
        for person in roster:
            mine = person in own
            who = self._own if mine else person.rep_id
            parts = _words(person.name)
            if not mine and tuple(sorted(parts)) in own_names:
                parts = ()  # the own rep's name too: only this rep's id tells them apart
            if len(parts) >= 2:
                cased = not mine and _capitalised(person.name)
                (self._cased if cased else self._names)[tuple(sorted(parts))].add(who)
                if len(parts[-1]) >= 2:
                    self._initials[(parts[0][0], *parts[1:])].add(who)
            elif parts and not mine:
                self._weak[parts[0]].add(who)
            for identifier in (person.rep_id, person.email):
                if not identifier:
                    continue
                clash = not mine and _key(identifier) in own_keys
                if mine or not _weak(identifier):
                    # The own id exactly as written: `R5`'s pack may not show `r5`.
                    self._ids.append((*_id_pattern(identifier, exact_case=mine or clash), who))
                elif clash:
                    self._weak_exact[" ".join(plain(identifier).split())].add(who)
                else:
                    self._weak[_key(identifier)].add(who)
        self._lengths = sorted({len(k) for k in [*self._names, *self._cased, *self._initials]})

    # ---- the places of a page -------------------------------------------------------------

    def html(self, markup: str, file: str = "") -> list[Leak]:
        """Leaks in an HTML page: its text, naming attributes, mailto links and table cells."""
        page = _Page()
        page.feed(markup)
        page.close()
        found = self.text(page.text, file)
        for value in page.attributes:
            found += self.text(value, file)
        for address in page.mailto:
            found += self.text(address, file, any_case=True)
            local = address.split("@")[0]
            found += [Leak(file, w, local) for w in self._weak_ids(local)]
        for heading, cell in page.cells:
            if _is_person_heading(heading):
                found += [Leak(file, w, cell) for w in self._weak_ids(cell)]
        return _unique(found)

    def text(self, text: str, file: str = "", any_case: bool = False) -> list[Leak]:
        """Leaks in running text (a page's visible text, an attribute, a PDF's text);
        `any_case`: names in lower case count too (an email address)."""
        t = plain(html.unescape(text))
        names = self._name_spans(t, any_case)
        spans = list(names)
        present = {w.casefold() for w in re.findall(r"\w+", t)}
        for first, pattern, who in self._ids:
            if first is not None and first not in present:
                continue
            for m in pattern.finditer(t):
                before = t[m.start() - 1 : m.start()]
                if not before or not (before.isalnum() or before in "_-"):
                    spans.append((m.start(), m.end(), {who}))
        # A number or a short id, where it labels a person: after `Rep`, or in parentheses
        # after a name.
        for m in _label_pattern().finditer(t):
            value = re.match(r"[^\s()\[\],;:·]+", t[m.end() :])
            if value:
                token = value.group().rstrip(".")
                for who in self._weak_ids(token):
                    spans.append((m.end(), m.end() + len(token), {who}))
        for _start, end, _who in names:
            inner = re.match(r"\s*[(\[]\s*([^()\[\]\n]{1,40}?)\s*[)\]]", t[end:])
            if inner:
                for who in self._weak_ids(inner.group(1)):
                    spans.append((end + inner.start(1), end + inner.end(1), {who}))
        own = [(s, e) for s, e, who in spans if self._own in who]
        return [
            Leak(file, rep_id, t[s:e])
            for s, e, who in spans
            if self._own not in who and not any(os <= s and e <= oe for os, oe in own)
            for rep_id in sorted(who)
        ]

    # ---- matching ----------------------------------------------------------------------------

    def _weak_ids(self, value: str) -> set[str]:
        exact = self._weak_exact.get(" ".join(plain(value).split()), set())
        return (self._weak.get(_key(value), set()) | exact) - {self._own}

    def _name_spans(self, t: str, any_case: bool) -> list[tuple[int, int, set[str]]]:
        tokens = list(re.finditer(r"\w+", t))
        words = [m.group().casefold() for m in tokens]
        joined = [
            _JOIN.fullmatch(t[a.end() : b.start()]) is not None for a, b in zip(tokens, tokens[1:])
        ]
        spans = []
        for k in self._lengths:
            for i in range(len(tokens) - k + 1):
                if not all(joined[i : i + k - 1]):
                    continue
                window = words[i : i + k]
                key = tuple(sorted(window))
                who = set(self._names.get(key, ()))
                if any_case or not any(m.group()[:1].islower() for m in tokens[i : i + k]):
                    who |= self._cased.get(key, set())
                if who:
                    spans.append((tokens[i].start(), tokens[i + k - 1].end(), set(who)))
                # `J. Mitchell`: a capital initial with its dot, then the other parts as written.
                first = tokens[i].group()
                if (
                    len(first) == 1
                    and first.isupper()
                    and "." in t[tokens[i].end() : tokens[i].end() + 1]
                ):
                    who = self._initials.get(tuple(window))
                    if who and tokens[i + 1].group()[:1].isupper():
                        spans.append((tokens[i].start(), tokens[i + k - 1].end(), set(who)))
        return spans


def _unique(found: list[Leak]) -> list[Leak]:
    return list(dict.fromkeys(found))


def leaks(text: str, reps: pd.DataFrame, own_rep_id: str | None, file: str = "") -> list[Leak]:
    """Every rep other than `own_rep_id` named in `text` (plain text, not HTML)."""
    return _unique(Scanner(people(reps), own_rep_id).text(text, file))


def scan_pack(paths: list[Path], reps: pd.DataFrame, own_rep_id: str) -> list[Leak]:
    """Scan a rep's HTML and PDF files for other reps' names and ids."""
    scanner = Scanner(people(reps), own_rep_id)
    return scan_files(scanner, {Path(p).suffix.lstrip("."): Path(p) for p in paths})


def scan_files(scanner: Scanner, files: dict[str, Path], markup: str | None = None) -> list[Leak]:
    """Scan a pack's files by format (`{"html": path, "pdf": path}`); `markup`, when given, is
    the HTML the files were made from (its file may not be asked for)."""
    found: list[Leak] = []
    if markup is not None:
        found += scanner.html(markup, str(files.get("html", "")))
    elif "html" in files:
        found += scanner.html(Path(files["html"]).read_text(encoding="utf-8"), str(files["html"]))
    if "pdf" in files:
        found += scanner.text(pdf_text(files["pdf"]), str(files["pdf"]))
    return _unique(found)
