"""Which packs a render batch makes: one per rep, team, department and the company (or a
trainer's notebook per scope), with each pack's notebook, subject and file name (ids made safe
and unique, ignoring case)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from salescoach import shipped
from salescoach.data.workbook import Workbook
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import _

NOTEBOOKS = shipped.notebooks_dir()


KINDS = ("rep", "team", "department", "company")


def notebook_for(kind: str) -> Path:
    return NOTEBOOKS / f"{kind}_review.ipynb"


def notebook_of(the_plan: Plan, kind: str, notebooks: Path = NOTEBOOKS) -> Path:
    """The notebook a plan's packs of `kind` run: its own, or the built-in review."""
    return the_plan.notebook or notebooks / f"{kind}_review.ipynb"


def slug(text: str) -> str:
    """A file-name-safe form of a team or department name (letters of any script kept)."""
    cleaned = re.sub(r"[^\w.-]+", "-", str(text), flags=re.UNICODE).strip("-.")
    return cleaned or "unnamed"


def file_names(rep_ids: Iterable[str]) -> dict[str, str]:
    """Each rep's pack file name, distinct from every other rep's even where case is ignored
    (macOS, Windows): the id itself when it is safe and unique, else its slug and a short
    hash of the exact id (`R/5` and `R 5` are `R-5-…` twice, with different hashes)."""
    ids = [str(i) for i in dict.fromkeys(rep_ids)]
    slugs = {i: slug(i) for i in ids}
    seen: dict[str, int] = {}
    for s in slugs.values():
        seen[s.casefold()] = seen.get(s.casefold(), 0) + 1
    return {
        i: s
        if s == i and seen[s.casefold()] == 1
        else f"{s}-{hashlib.sha256(i.encode()).hexdigest()[:8]}"
        for i, s in slugs.items()
    }


@dataclass(frozen=True)
class PackSpec:
    """One pack to render: its kind, scope id, period and where it sits in the index."""

    kind: str
    scope_id: str | None
    period: str
    label: str
    department: str = ""
    team: str = ""
    # A workbook notebook rendered instead of the built-in pack (`render --notebook`): its
    # files go to their own folder, named after it, so they never replace the packs.
    notebook: str = ""
    # A rep pack's file name (`file_names`, over the whole roster); empty: the id's slug.
    file: str = ""
    # The notebook takes any scope (`scope`, `scope_id` parameters), not one of its own.
    free_scope: bool = False

    @property
    def stem(self) -> str:
        folder = f"{slug(self.notebook)}/" if self.notebook else ""
        if self.kind == "company":
            return f"{folder}company"
        if self.kind == "department":
            return f"{folder}departments/{slug(self.scope_id)}"
        if self.kind == "team":
            return f"{folder}teams/{slug(self.department)}/{slug(self.scope_id)}"
        name = self.file or slug(self.scope_id)
        return f"{folder}reps/{slug(self.department)}/{slug(self.team)}/{name}"

    def parameters(self, workbook: Path, lang: str = "") -> dict:
        params = {"workbook": str(workbook), "period": self.period, "lang": lang}
        key = {"rep": "rep_id", "team": "team", "department": "department"}.get(self.kind)
        if key:
            params[key] = self.scope_id
        if self.free_scope:
            params.update(scope=self.kind, scope_id=self.scope_id)
        return params


@dataclass
class Plan:
    period: Period
    specs: list[PackSpec]
    notebook: Path | None = None  # None: the built-in <kind>_review.ipynb


def find_notebook(wb: Workbook, name: str | Path) -> Path:
    """The notebook a user names: a path as given, else in the workbook's folder or its
    `notebooks/` (README: `render --notebook notebooks/rep_review.ipynb` from anywhere), with
    or without `.ipynb`."""
    given = Path(name).expanduser()
    tries = [given, wb.root / given, wb.root / "notebooks" / given]
    if given.suffix != ".ipynb":
        tries += [t.with_name(t.name + ".ipynb") for t in tries]
    for path in tries:
        if path.is_file():
            return path.resolve()
    raise InputError(_("{path}: no such notebook", path=given))


def plan_notebook(
    wb: Workbook,
    notebook: Path,
    *,
    everything: bool = False,
    reps: Sequence[str] = (),
    teams: Sequence[str] = (),
    departments: Sequence[str] = (),
    period: str | Period | None = None,
) -> Plan:
    """The packs of a workbook notebook: one per rep, team or department it is for (its
    parameters say which), chosen like the built-in packs, or one for the company."""
    from dataclasses import replace

    from salescoach.packs import notebook_templates

    notebook = find_notebook(wb, notebook)
    problems = notebook_templates.static_problems(notebook)
    if problems:
        raise InputError(
            _(
                "{path} cannot be rendered: {problem} (salescoach template check lists every problem)",
                path=notebook,
                problem=str(problems[0]),
            )
        )
    scope = notebook_templates.scope_of(notebook_templates.parameters(notebook))
    chose = everything or reps or teams or departments
    if scope == "any" and chose:
        # The levels asked for, not their members too: `--team T` is the team's view.
        kinds = KINDS if everything else ()
        kinds = kinds or tuple(
            k for k, asked in (("rep", reps), ("team", teams), ("department", departments)) if asked
        )
        p = plan(
            wb,
            everything=everything,
            reps=reps,
            teams=teams,
            departments=departments,
            period=period,
            kinds=kinds,
        )
        specs = [replace(s, free_scope=True) for s in p.specs]
    elif scope in ("company", "any"):
        p = plan(wb, everything=True, period=period, kinds=())
        specs = [
            PackSpec(
                "company",
                None,
                str(p.period),
                wb.settings.company_name,
                free_scope=scope == "any",
            )
        ]
    else:
        p = plan(
            wb,
            everything=everything,
            reps=reps,
            teams=teams,
            departments=departments,
            period=period,
            kinds=(scope,),
        )
        specs = p.specs
    return Plan(p.period, [replace(s, notebook=notebook.stem) for s in specs], notebook)


def plan(
    wb: Workbook,
    *,
    everything: bool = False,
    reps: Sequence[str] = (),
    teams: Sequence[str] = (),
    departments: Sequence[str] = (),
    period: str | Period | None = None,
    kinds: Sequence[str] = KINDS,
) -> Plan:
    """The packs a scope selection asks for.

    ``everything``: every rep, team and department pack and the company pack. ``teams``: the
    team packs and their reps' packs; ``departments`` likewise with their teams; ``reps``: those
    reps' packs. ``kinds`` narrows the kinds rendered.
    """
    from salescoach.services import packs

    p = packs.parse_period(wb, period)
    roster = wb.facts()["reps"]
    for column in ("team", "department"):
        roster[column] = roster[column].astype(str)
    known = set(roster["rep_id"].astype(str))
    for rep in reps:
        if rep not in known:
            raise InputError(_("no rep with id {rep_id} in the workbook", rep_id=rep))
    for team in teams:
        if team not in set(roster["team"]):
            raise InputError(_("no team called {team} in the workbook", team=team))
    for dept in departments:
        if dept not in set(roster["department"]):
            raise InputError(
                _("no department called {department} in the workbook", department=dept)
            )
    if not (everything or reps or teams or departments):
        raise InputError(_("say which packs to render: --all, --rep, --team or --department"))
    chosen = (
        roster
        if everything
        else roster[
            roster["rep_id"].astype(str).isin(reps)
            | roster["team"].isin(teams)
            | roster["department"].isin(departments)
        ]
    )
    specs: list[PackSpec] = []
    if everything and "company" in kinds:
        specs.append(PackSpec("company", None, str(p), wb.settings.company_name))
    if "department" in kinds:
        for dept in sorted(set(departments) | (set(roster["department"]) if everything else set())):
            specs.append(PackSpec("department", dept, str(p), dept, department=dept))
    if "team" in kinds:
        pairs = chosen[["department", "team"]].drop_duplicates()
        if not everything:
            pairs = pairs[pairs["team"].isin(teams) | pairs["department"].isin(departments)]
        for dept, team in sorted(pairs.itertuples(index=False)):
            specs.append(PackSpec("team", team, str(p), team, department=dept, team=team))
    if "rep" in kinds:
        files = file_names(roster["rep_id"].astype(str))
        for r in chosen.sort_values(["department", "team", "name"]).itertuples():
            rep_id = str(r.rep_id)
            specs.append(
                PackSpec(
                    "rep",
                    rep_id,
                    str(p),
                    str(r.name),
                    department=r.department,
                    team=r.team,
                    file=files[rep_id],
                )
            )
    return Plan(p, specs)
