"""The pack batch: plan, skip what has not changed, execute, export HTML and PDF, index.

One pack is one notebook of ``notebooks/`` run by papermill with its parameters, exported to
HTML by nbconvert with ``templates/pack`` and printed to PDF by the system Chromium. The
per-pack task (:func:`salescoach.packs.render_worker.render_pack`) is a plain function of a dict, so
the local process pool and a Dask cluster run the same code.

Speed: what depends on the whole organisation is computed once per batch, before any pack:
every rep's figures (:func:`salescoach.services.packs.batch_figures`) and the diagnosis pass,
award standings, training status and what works (:func:`salescoach.packs.batch.prepare`),
which the packs' service calls read instead of computing. Each worker process imports the kit
once, keeps one nbconvert exporter and one Chromium for the batch, and forks a fresh process
per pack (:func:`salescoach.packs.render_worker.run_forked`): no kernel start, no import, and no state
passes from one rep to the next.

Safety: every output is written to a temporary file outside ``reports/`` and moved into place
with ``os.replace``; a pack's content hash is recorded only after all its files are in place,
so a killed batch leaves whole files only and the next run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from salescoach import i18n
from salescoach.data.workbook import Workbook
from salescoach.domain import decisions as registry
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import _
from salescoach.packs import pack_template
from salescoach.packs.index import (
    FORMATS as FORMATS,
    _logo_path,
    atomic_write_text as atomic_write_text,
    branding as branding,
    packs_dir as packs_dir,
    period_dir as period_dir,
    tmp_dir as tmp_dir,
    write_index as write_index,
)
from salescoach.packs.plan import (
    KINDS as KINDS,
    NOTEBOOKS as NOTEBOOKS,
    PackSpec as PackSpec,
    Plan as Plan,
    file_names as file_names,
    find_notebook as find_notebook,
    notebook_for as notebook_for,
    notebook_of as notebook_of,
    plan as plan,
    plan_notebook as plan_notebook,
    slug as slug,
)

TEMPLATES = pack_template.TEMPLATES  # the names as before; read through pack_template
TEMPLATE = pack_template.TEMPLATE
# Bump when the pipeline changes what it writes, so every pack is rendered again.
PIPELINE_VERSION = "2"


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# --------------------------------------------------------------------------------------------
# Content hash
# --------------------------------------------------------------------------------------------


def _digest_files(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _decisions_by_scope(wb: Workbook) -> pd.DataFrame:
    try:
        with wb.store() as store:
            return store.frame()
    except Exception:  # noqa: BLE001 - no decisions yet
        return pd.DataFrame(columns=["kind", "key", "event_id"])


def content_hashes(
    wb: Workbook, the_plan: Plan, formats: Sequence[str], notebooks: Path = NOTEBOOKS
) -> dict[PackSpec, str]:
    """A hash per pack of everything it is made from: data, decisions, notebook, template, settings."""
    from salescoach.services import packs

    batch = packs.batch_key(wb, the_plan.period)
    folder = pack_template.TEMPLATES / pack_template.TEMPLATE
    template = _digest_files(p for p in folder.rglob("*") if p.is_file())
    # A corrected translation changes the packs printed in that language.
    catalogue = i18n.catalogue_path(wb.settings.language)
    if catalogue.is_file():
        template += _digest_files([Path(str(catalogue))])
    settings = json.dumps(
        {k: dict(v) for k, v in wb.settings.values.items()}, sort_keys=True, default=str
    )
    logo = _logo_path(wb)
    if logo is not None and logo.exists():
        settings += hashlib.sha256(logo.read_bytes()).hexdigest()
    decisions = _decisions_by_scope(wb)
    # The rep, team or department each decision concerns, read from its key by the registry:
    # a rep's pack changes with that rep's goal, discussion, course, coaching and awards.
    units = pd.Series(
        [registry.unit_of_key(k, key) for k, key in zip(decisions["kind"], decisions["key"])]
        if len(decisions)
        else [],
        dtype=object,
    )
    ids = decisions["event_id"].astype(str) if len(decisions) else pd.Series(dtype=str)
    notebook_digest = {
        k: _digest_files([notebook_of(the_plan, k, notebooks)])
        for k in {s.kind for s in the_plan.specs}
    }
    out = {}
    for spec in the_plan.specs:
        h = hashlib.sha256()
        for part in (
            PIPELINE_VERSION,
            batch,
            template,
            settings,
            notebook_digest[spec.kind],
            ",".join(sorted(formats)),
        ):
            h.update(part.encode())
            h.update(b"\0")
        h.update(json.dumps(spec.__dict__, sort_keys=True).encode())
        if spec.scope_id and len(units):
            h.update(",".join(ids[(units == spec.scope_id).to_numpy()]).encode())
        out[spec] = h.hexdigest()
    return out


# --------------------------------------------------------------------------------------------
# Running a batch
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    spec: PackSpec
    status: str  # rendered, skipped, failed
    paths: list[Path] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    # Peak resident memory in MB: the worker that rendered the pack and the pack's own process.
    memory: dict = field(default_factory=dict)


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    index: Path | None
    seconds: float

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def rendered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "rendered"]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "skipped"]

    @property
    def paths(self) -> list[Path]:
        return [p for o in self.outcomes for p in o.paths]


def pack_subject(relative: str, reps: pd.DataFrame) -> tuple[str, str] | None:
    """Whose pack a file under ``reports/`` is, as (scope, scope_id): what a served link
    checks before it hands the file out. ``PERIOD/reps/DEPT/TEAM/FILE.html`` is that rep's,
    ``PERIOD/teams/DEPT/TEAM.pdf`` the team's, ``PERIOD/departments/DEPT.html`` the
    department's; ``company.*``, ``index.html`` and anything else of the period are the
    company's. None: not a pack's file (no period folder, a path that climbs out).

    >>> reps = pd.DataFrame({"rep_id": ["R1"], "team": ["North A"], "department": ["North"]})
    >>> pack_subject("2026-Q3/reps/North/North-A/R1.html", reps), pack_subject("2026-Q3/index.html", reps)
    (('rep', 'R1'), ('company', 'company'))
    """
    parts = [p for p in relative.replace("\\", "/").split("/") if p]
    if len(parts) < 2 or ".." in parts or not PERIOD_FOLDER.match(parts[0]):
        return None
    rest = parts[1:]
    kinds = {"reps", "teams", "departments"}
    if len(rest) > 2 and rest[0] not in kinds and rest[1] in kinds:
        rest = rest[1:]  # a workbook notebook's own folder (`render --notebook`)
    stem = rest[-1].rsplit(".", 1)[0]
    if rest[0] == "reps" and len(rest) == 4:
        files = file_names(reps["rep_id"].astype(str))
        owner = [r for r, name in files.items() if name == stem]
        return ("rep", owner[0]) if owner else None
    for kind, column, depth in (("teams", "team", 3), ("departments", "department", 2)):
        if rest[0] == kind and len(rest) == depth:
            units = [u for u in reps[column].dropna().astype(str).unique() if slug(u) == stem]
            return (column, units[0]) if units else None
    if rest[0] in kinds:
        return None
    return ("company", "company")


# Where `salescoach serve` hands out the files of reports/, read-only and checked by pack_scope.
REPORTS_ROUTE = "salescoach/reports"
PERIOD_FOLDER = re.compile(r"^\d{4}(-Q[1-4]|-\d{2})?$")


def state_dir(wb: Workbook, period: Period | str) -> Path:
    """Content hashes of rendered packs, outside reports/ so reports hold packs only."""
    return wb.data_dir / "packs" / "state" / str(period)


def tasks_for(
    wb: Workbook,
    the_plan: Plan,
    formats: Sequence[str],
    force: bool = False,
    notebooks: Path = NOTEBOOKS,
) -> tuple[list[dict], list[Outcome]]:
    """The per-pack task dicts still to run, and the packs skipped because nothing changed.

    A rep's task carries the roster (`privacy`): the worker scans the pack for other reps
    before moving it into ``reports/``, so no unscanned pack is ever left there."""
    from salescoach.packs import privacy

    hashes = content_hashes(wb, the_plan, formats, notebooks)
    brand = branding(wb)
    roster = None
    out_dir, states, tmp = (
        period_dir(wb, the_plan.period),
        state_dir(wb, the_plan.period),
        tmp_dir(wb),
    )
    tasks, skipped = [], []
    for spec in the_plan.specs:
        outputs = {fmt: str(out_dir / f"{spec.stem}.{fmt}") for fmt in formats}
        state = states / f"{spec.stem}.sha256"
        done = state.exists() and state.read_text(encoding="utf-8").strip() == hashes[spec]
        if done and not force and all(Path(p).exists() for p in outputs.values()):
            skipped.append(Outcome(spec, "skipped", [Path(p) for p in outputs.values()]))
            continue
        if spec.kind == "rep" and roster is None:
            roster = [[p.rep_id, p.name, p.email] for p in privacy.people(wb.facts()["reps"])]
        tasks.append(
            {
                "privacy": {"own": spec.scope_id, "people": roster} if spec.kind == "rep" else None,
                "spec": spec.__dict__,
                "notebook": str(notebook_of(the_plan, spec.kind, notebooks)),
                "parameters": spec.parameters(wb.root, wb.language),
                "outputs": outputs,
                "hash": hashes[spec],
                "state": str(state),
                "tmp": str(tmp),
                "cwd": str(wb.root),
                "timeout": wb.settings.packs.timeout_seconds,
                "branding": brand,
                "title": spec.label,
            }
        )
    return tasks, skipped


class LocalExecutor:
    """A bounded pool of worker processes, each keeping one kernel and one browser."""

    def __init__(self, jobs: int):
        self.jobs = max(1, int(jobs))

    def map_unordered(self, fn: Callable[[dict], dict], tasks: list[dict]):
        import multiprocessing

        from salescoach.packs import render_worker

        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            max_workers=min(self.jobs, max(len(tasks), 1)),
            mp_context=ctx,
            initializer=render_worker.init_worker,
        ) as pool:
            futures = {pool.submit(fn, t): t for t in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker fails its packs only
                    yield {
                        "spec": task["spec"],
                        "status": "failed",
                        "error": f"{type(exc).__name__}: {exc}",
                        "paths": [],
                    }


class DaskExecutor:
    """The same per-pack task on a Dask distributed cluster (``dask://HOST:PORT``)."""

    def __init__(self, address: str):
        self.address = address.removeprefix("dask://")

    def map_unordered(self, fn: Callable[[dict], dict], tasks: list[dict]):
        from distributed import Client, as_completed as dask_completed

        with Client(self.address) as client:
            futures = client.map(fn, tasks, pure=False)
            index = {f.key: t for f, t in zip(futures, tasks)}
            for future in dask_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001
                    task = index[future.key]
                    yield {
                        "spec": task["spec"],
                        "status": "failed",
                        "error": f"{type(exc).__name__}: {exc}",
                        "paths": [],
                    }


def executor_for(spec: str | None, jobs: int):
    if not spec or spec == "local":
        return LocalExecutor(jobs)
    if spec.startswith("dask://"):
        return DaskExecutor(spec)
    raise InputError(_("unknown executor {executor}: use local or dask://HOST:PORT", executor=spec))


def run(
    wb: Workbook,
    the_plan: Plan,
    *,
    formats: Sequence[str] = FORMATS,
    jobs: int | None = None,
    force: bool = False,
    executor: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    notebooks: Path = NOTEBOOKS,
) -> BatchResult:
    """Render a plan; failures are collected, never raised. Writes the period's index.html."""
    from salescoach.packs import batch, render_worker

    formats = tuple(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(
            _("unknown format {format}: use html, pdf or html,pdf", format=",".join(unknown))
        )
    started = time.perf_counter()
    # A batch killed half-way left its workers' temporary files (and perhaps a half-written
    # shared figure under packs/batch/); none outlives this one.
    clean_tmp(packs_dir(wb))
    try:
        chosen = executor_for(executor, jobs or default_jobs())
        tasks, skipped = tasks_for(wb, the_plan, formats, force, notebooks)
        if tasks:  # unchanged packs need nothing computed: a re-run costs their hashes only
            shared = batch.compute_shared(wb, the_plan.period)  # once, before any worker
            for task in tasks:
                task["batch_cache"] = str(shared)
        by_key = {json.dumps(s.spec.__dict__, sort_keys=True): s.spec for s in skipped}
        by_key.update({json.dumps(t["spec"], sort_keys=True): PackSpec(**t["spec"]) for t in tasks})
        outcomes = list(skipped)
        total = len(the_plan.specs)
        if progress:
            progress(len(outcomes), total)
        if tasks:
            for result in chosen.map_unordered(render_worker.render_pack, tasks):
                key = json.dumps(result["spec"], sort_keys=True)
                spec = by_key[key]
                outcomes.append(
                    Outcome(
                        spec,
                        result["status"],
                        [Path(p) for p in result["paths"]],
                        refusal(result["privacy"])
                        if result.get("privacy")
                        else result.get("error", ""),
                        result.get("seconds", 0.0),
                        result.get("memory", {}),
                    )
                )
                if progress:
                    progress(len(outcomes), total)
        index = write_index(
            wb, the_plan.period, the_plan.notebook.stem if the_plan.notebook else ""
        )
        return BatchResult(outcomes, index, time.perf_counter() - started)
    finally:
        clean_tmp(packs_dir(wb))


# --------------------------------------------------------------------------------------------
# Index
# --------------------------------------------------------------------------------------------


# A temporary file's name holds the id of the process writing it: `<pid>-<thread>-<name>.part`
# (a worker's pack files) or `<name>.<pid>.part` (the index).
_PART_PID = re.compile(r"^(\d+)-\d+-.*\.part$|^.*\.(\d+)\.part$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def clean_tmp(folder: Path) -> list[Path]:
    """Remove the temporary files under `folder` (at any depth) no running process is
    writing: those of a batch killed half-way (its process gone) and this process's own;
    returns what was removed."""
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.rglob("*.part"):
        match = _PART_PID.match(path.name)
        if not match or not path.is_file():
            continue
        pid = int(match.group(1) or match.group(2))
        if pid == os.getpid() or not _alive(pid):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def refusal(verdict: dict) -> str:
    """Why the worker did not keep a rep's pack (:func:`render_worker.private`), in the
    batch's language: it named other reps (a trainer's notebook listing the team, say), or
    its PDF could not be checked."""
    from salescoach.packs import privacy

    if verdict.get("unavailable"):
        return privacy.unavailable_message()
    names = ", ".join(verdict.get("found", ()))
    return _("names other reps ({names}); a rep's pack may show only peer medians", names=names)


def print_to_pdf(html_paths: list[Path], paper: str = "A4") -> list[Path]:
    """Print finished HTML files (goal letters, the staff digest) to PDFs beside them.

    The same machinery as the packs: one Chromium for the whole batch, every network request
    refused, each PDF written under a temporary name and moved into place whole.
    """
    from salescoach.packs import render_worker

    written = []
    try:
        for html_path in html_paths:
            html_path = Path(html_path)
            final = html_path.with_suffix(".pdf")
            tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
            render_worker.to_pdf(html_path.read_text(encoding="utf-8"), tmp, paper)
            os.replace(tmp, final)
            written.append(final)
    finally:
        render_worker.close()
    return written


def render_team(
    wb: Workbook,
    team: str,
    period: str | None = None,
    formats: list[str] | tuple[str, ...] = ("html",),
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> list[Path]:
    """Render the packs of every rep of one team; returns the paths written or kept."""
    team_plan = plan(wb, teams=[team], period=period, kinds=("rep",))
    result = run(
        wb, team_plan, formats=tuple(formats), jobs=default_jobs(), force=force, progress=progress
    )
    return result.paths
