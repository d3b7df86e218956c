"""Privacy of review packs: peers only as anonymous statistics, and a scanner that proves it.

A rep's pack shows that rep's own figures. Peers appear only as the median and quartiles of a
group large enough that no single colleague's figure can be worked out; below the minimum the
benchmark is not shown. :func:`leaks` checks a rendered pack (its HTML text and its PDF's text)
for every other rep's name and id.
"""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


def peer_benchmark(values: pd.Series, min_peers: int = 5) -> dict[str, float]:
    """Lower quartile, median and upper quartile of the peers' values; NaN below `min_peers`."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    if len(v) < max(int(min_peers), 1):
        return {"q1": np.nan, "median": np.nan, "q3": np.nan, "n": len(v)}
    q1, med, q3 = np.quantile(v.to_numpy(dtype=float), [0.25, 0.5, 0.75])
    return {"q1": float(q1), "median": float(med), "q3": float(q3), "n": len(v)}


@dataclass(frozen=True)
class Leak:
    """One other person's name or id found in a pack."""

    file: str
    rep_id: str
    found: str


def html_text(markup: str) -> str:
    """The visible text of an HTML page (scripts and styles dropped, entities decoded)."""
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", markup)
    markup = re.sub(r"(?s)<[^>]+>", " ", markup)
    return html.unescape(markup)


def pdf_text(path: Path | str) -> str:
    """The text of a PDF through poppler's pdftotext."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8", "replace")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def _contains_word(text: str, needle: str) -> bool:
    pattern = r"(?<![\w-])" + re.escape(_normalise(needle)) + r"(?![\w-])"
    return re.search(pattern, text) is not None


def leaks(text: str, reps: pd.DataFrame, own_rep_id: str | None, file: str = "") -> list[Leak]:
    """Every rep other than `own_rep_id` whose name or id appears in `text` as a whole word."""
    haystack = _normalise(text)
    found = []
    for rep in reps.itertuples():
        if own_rep_id is not None and str(rep.rep_id) == str(own_rep_id):
            continue
        for needle in (str(rep.rep_id), str(rep.name)):
            if needle and _contains_word(haystack, needle):
                found.append(Leak(file, str(rep.rep_id), needle))
    return found


def scan_pack(paths: list[Path], reps: pd.DataFrame, own_rep_id: str) -> list[Leak]:
    """Scan a rep's HTML and PDF files for other reps' names and ids."""
    found: list[Leak] = []
    for path in paths:
        path = Path(path)
        if path.suffix == ".pdf":
            text = pdf_text(path)
        else:
            text = html_text(path.read_text(encoding="utf-8"))
        found.extend(leaks(text, reps, own_rep_id, str(path)))
    return found
