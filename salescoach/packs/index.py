"""The index of a period's packs, as a dashboard: tiles (packs, reps below goal, on a coaching
step, awards proposed), filters by department and team, and one row per pack with its
attainment bar, flags and links to HTML and PDF; self-contained and printable. Also where a
period's packs are written (`period_dir`, `packs_dir`, `tmp_dir`) and the branding they carry."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from salescoach import i18n
from salescoach.data.workbook import Workbook
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.i18n import _, _n, name_order
from salescoach.packs.plan import (
    PackSpec,
    file_names,
    slug,
)

FORMATS = ("html", "pdf")


def period_dir(wb: Workbook, period: Period | str) -> Path:
    return wb.reports_dir / str(period)


def packs_dir(wb: Workbook) -> Path:
    """What rendering keeps besides the packs: shared figures, content hashes, temporary files."""
    return wb.data_dir / "packs"


def tmp_dir(wb: Workbook) -> Path:
    return packs_dir(wb) / "tmp"


def _logo_path(wb: Workbook) -> Path | None:
    logo = wb.settings.branding.logo
    if not logo:
        return None
    base = wb.settings.path.parent if wb.settings.path else wb.root
    return (base / logo).resolve()


def branding(wb: Workbook) -> dict:
    """What the template shows: company, colours, footer, paper, and the logo as a data URI."""
    import base64
    import mimetypes

    b = wb.settings["branding"]
    logo = ""
    path = _logo_path(wb)
    if path is not None and path.exists():
        kind = mimetypes.guess_type(path.name)[0] or "image/png"
        logo = f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"
    return {
        "company": wb.settings.company_name,
        "primary_colour": b["primary_colour"],
        "accent_colour": b["accent_colour"],
        "footer": b["footer"],
        "logo": logo,
        "paper": wb.settings.packs.paper,
        "language": wb.settings.language,
    }


def atomic_write_text(path: Path, text: str, tmp: Path) -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = tmp / f"{path.name}.{os.getpid()}.part"
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def write_index(wb: Workbook, period: Period | str, notebook: str = "") -> Path:
    """``reports/<period>/index.html``: a dashboard of every pack of the period on disk, by
    department and team, each with its attainment bar, flags (below goal, on a coaching step,
    award proposed) and links; filters on screen, every row on paper (a workbook notebook's
    packs: ``reports/<period>/<notebook>/index.html``)."""
    from salescoach import templating

    folder = period_dir(wb, period) / slug(notebook) if notebook else period_dir(wb, period)
    roster = wb.facts()["reps"].astype({"team": str, "department": str})
    files = file_names(roster["rep_id"].astype(str))
    f = Formatter.for_settings(wb.settings)
    flags = _index_flags(wb, period)

    def links(stem: str) -> list[tuple[str, str]]:
        return [
            (fmt.upper(), f"{stem}.{fmt}") for fmt in FORMATS if (folder / f"{stem}.{fmt}").exists()
        ]

    def row(kind: str, label: str, stem: str, reps: pd.Index, department="", team="") -> dict:
        mine = flags.reindex(reps) if flags is not None else None
        attainment = None
        if mine is not None and len(mine):
            goal = mine["goal"].where(mine["goal"] > 0).sum(min_count=1)
            if pd.notna(goal) and goal > 0:
                attainment = float(mine["revenue"].sum() / goal)
        marks = []
        if mine is not None and len(mine):
            below = int(mine["below_goal"].fillna(False).astype(bool).sum())
            coached = int((mine["step"].fillna("none") != "none").sum())
            awarded = int(mine["award"].fillna(False).astype(bool).sum())
            single = kind == "rep"
            if single and "support" in mine and bool(mine["support"].fillna(False).iloc[0]):
                # Why a person has no goal and no bar: measured on the deals they assist.
                marks.append(("support", _("support staff")))
            if below:
                marks.append(
                    (
                        "below",
                        _("below goal")
                        if single
                        else _n("{n} below goal", "{n} below goal", below, n=below),
                    )
                )
            if coached:
                marks.append(
                    (
                        "coaching",
                        _("coaching: {step}", step=i18n.label(mine["step"].iloc[0]))
                        if single
                        else _n("{n} coaching", "{n} coaching", coached, n=coached),
                    )
                )
            if awarded:
                marks.append(
                    (
                        "award",
                        _("award proposed")
                        if single
                        else _n("{n} award proposed", "{n} awards proposed", awarded, n=awarded),
                    )
                )
        top = max(1.5, (attainment or 0) * 1.05)
        return {
            "kind": kind,
            "kind_words": i18n.label(kind) if kind != "rep" else "",
            "label": label,
            "department": department,
            "team": team,
            "attainment": attainment,
            "attainment_text": f.pct(attainment) if attainment is not None else _("no goal"),
            "bar": round(100 * min(attainment or 0, top) / top, 1),
            "goal_at": round(100 / top, 1),
            "flags": marks,
            "links": links(stem),
        }

    ids = roster["rep_id"].astype(str)
    rows = []
    if links("company"):
        rows.append(row("company", wb.settings.company_name, "company", pd.Index(ids)))
    # Sorted once; groupby keeps that order (sort=False) for departments, teams and names.
    roster = roster.sort_values(["department", "team", "name"], key=name_order())
    for dept, dept_rows in roster.groupby("department", sort=False):
        probe = PackSpec("department", dept, str(period), dept, department=dept)
        dept_ids = pd.Index(dept_rows["rep_id"].astype(str))
        rows.append(row("department", dept, probe.stem, dept_ids, dept))
        for team, team_rows in dept_rows.groupby("team", sort=False):
            team_spec = PackSpec("team", team, str(period), team, department=dept, team=team)
            rows.append(
                row(
                    "team",
                    team,
                    team_spec.stem,
                    pd.Index(team_rows["rep_id"].astype(str)),
                    dept,
                    team,
                )
            )
            for r in team_rows.itertuples():
                rs = PackSpec(
                    "rep",
                    str(r.rep_id),
                    str(period),
                    str(r.name),
                    department=dept,
                    team=team,
                    file=files[str(r.rep_id)],
                )
                rows.append(
                    row(
                        "rep",
                        f"{r.name} ({r.rep_id})",
                        rs.stem,
                        pd.Index([str(r.rep_id)]),
                        dept,
                        team,
                    )
                )
    # A pack row needs its files; a department's or team's row stays, as a heading, while any
    # pack below it is listed, so a rep is never shown under another team's heading.
    kept: list[dict] = []
    below: set[tuple[str, str]] = set()
    for r in reversed(rows):
        heads = r["kind"] in ("department", "team")
        if r["links"] or (
            heads and (r["department"], r["team"] if r["kind"] == "team" else "") in below
        ):
            kept.append(r)
            below |= {(r["department"], r["team"]), (r["department"], "")}
    rows = kept[::-1]
    period_name = f.period(period)
    reps_shown = [r for r in rows if r["kind"] == "rep"]
    tiles = [
        (f.number(sum(bool(r["links"]) for r in rows)), _("packs")),
        (
            f.number(sum(any(k == "below" for k, _w in r["flags"]) for r in reps_shown)),
            _("reps below goal"),
        ),
        (
            f.number(sum(any(k == "coaching" for k, _w in r["flags"]) for r in reps_shown)),
            _("reps on a coaching step"),
        ),
        (
            f.number(sum(any(k == "award" for k, _w in r["flags"]) for r in reps_shown)),
            _("awards proposed"),
        ),
    ]
    brand = branding(wb)
    page = templating.render(
        "pack/dashboard.html.j2",
        lang=wb.settings.language,
        company=wb.settings.company_name,
        period=period_name,
        heading=_("Review packs for {period}", period=period_name),
        tiles=tiles,
        departments=list(dict.fromkeys(r["department"] for r in rows if r["department"])),
        teams=list(dict.fromkeys((r["department"], r["team"]) for r in rows if r["team"])),
        rows=rows,
        primary=brand["primary_colour"],
        accent=brand["accent_colour"],
        logo=brand["logo"],
        paper=brand["paper"],
    )
    path = folder / "index.html"
    atomic_write_text(path, page, tmp_dir(wb))
    return path


def _index_flags(wb: Workbook, period: Period | str) -> pd.DataFrame | None:
    """Each rep's attainment and flags for the index; None when they cannot be had (the index
    then lists the packs without bars rather than failing the batch)."""
    from salescoach.services import packs

    try:
        return packs.rep_flags(wb, str(period))
    except Exception:  # noqa: BLE001 - the packs are on disk whatever their figures say
        return None
