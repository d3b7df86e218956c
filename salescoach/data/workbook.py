"""A workbook folder: settings, imported facts, the decisions database and reports.

    DIR/salescoach.toml          settings (salescoach init writes a commented one)
    DIR/salescoach-data/         facts snapshots, rejects, decisions.sqlite (git-ignored)
    DIR/reports/                 rendered packs
    DIR/notebooks/               the cycle and review notebooks, the workbook's to change

Each import writes a new snapshot of Parquet files (fact tables split by month, see
`partitions`), and then points `CURRENT` at it, so a reader never sees a half-written import
and loading a million order lines is a Parquet read, not a CSV parse. An appended import
(`import --append`) writes only the months it changes and hard-links the rest.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from salescoach.data import partitions
from salescoach.data.exporting import write_csv
from salescoach.domain import contract
from salescoach.domain.capabilities import Capabilities
from salescoach.i18n import _
from salescoach.settings import SETTINGS_FILE, Settings, default_text

if TYPE_CHECKING:  # the importer (pandera) is for imports only: a served kernel never loads it
    from salescoach.data.importer import ImportResult

DATA_DIR = "salescoach-data"
REPORTS_DIR = "reports"
NOTEBOOKS_DIR = "notebooks"
ENV_VAR = "SALESCOACH_WORKBOOK"
KEEP_SNAPSHOTS = 5


class WorkbookError(ValueError):
    """Not a workbook, or a workbook without the data a command needs."""


class MissingTable(WorkbookError):
    pass


def resolve_root(root: Path | str | None = None) -> Path:
    """--workbook, else $SALESCOACH_WORKBOOK, else the current folder."""
    return Path(root or os.environ.get(ENV_VAR) or ".").resolve()


def init_workbook(
    root: Path | str, company: str | None = None, force: bool = False, language: str = "en"
) -> Path:
    """Create a workbook folder with a commented salescoach.toml; returns the settings path.

    `language` also sets the locale to that language's usual one (el: el_GR)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / SETTINGS_FILE
    if path.exists() and not force:
        raise WorkbookError(_("{path} already exists; use --force to overwrite it", path=path))
    text = default_text()
    if company:
        text = text.replace(
            'name = "Sample Company"', f"name = {json.dumps(company, ensure_ascii=False)}", 1
        )
    if language != "en":
        from salescoach.i18n import language_locale

        text = text.replace('language = "en"', f'language = "{language}"', 1)
        text = text.replace(
            'locale = "en_IE"', f'locale = "{language_locale(language, "en_IE")}"', 1
        )
    path.write_text(text, encoding="utf-8")
    (root / DATA_DIR).mkdir(exist_ok=True)
    (root / REPORTS_DIR).mkdir(exist_ok=True)
    copy_notebooks(root)
    return path


def copy_notebooks(root: Path) -> list[Path]:
    """Copy the kit's cycle and review notebooks into `<root>/notebooks/` for trainers to
    change; a notebook already there is the workbook's own and is kept. Returns the copies."""
    from salescoach import shipped

    source = shipped.notebooks_dir()
    target = root / NOTEBOOKS_DIR
    # A workbook at the root of a checkout: its notebooks/ are the kit's own.
    if target.is_dir() and target.resolve() == source.resolve():
        return []
    target.mkdir(exist_ok=True)
    copied = []
    for name in shipped.EDITABLE_NOTEBOOKS:
        if (source / name).is_file() and not (target / name).exists():
            shutil.copyfile(source / name, target / name)
            copied.append(target / name)
    return copied


class Facts:
    """The tables of one snapshot, each read from Parquet on first use."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._cache: dict[str, pd.DataFrame] = {}
        self._capabilities: Capabilities | None = None
        self._view: FactsView | None = None
        self._tables: list[str] | None = None

    @property
    def tables(self) -> list[str]:
        # Listed once: a snapshot never changes once written, and a command asks for a table
        # hundreds of times (goals suggest at scale 7: 11,000 stat calls, 0.3 s, profiled).
        if self._tables is None:
            self._tables = (
                []
                if self.folder is None
                else [t for t in contract.TABLE_ORDER if partitions.exists(self.folder, t)]
            )
        return self._tables

    def has(self, name: str) -> bool:
        return name in self.tables

    def loaded(self, name: str) -> bool:
        """Whether table `name` is in memory already (then asking pandas is cheaper than a
        DuckDB pass over its files)."""
        return name in self._cache

    def held(self) -> dict[str, pd.DataFrame]:
        """The tables in memory already, by name (none is read for it)."""
        return dict(self._cache)

    def get(self, name: str) -> pd.DataFrame | None:
        contract.table(name)
        if name not in self._cache:
            if not self.has(name):
                return None
            # Conformed: an export's absent optional columns read as all missing, never a
            # KeyError; `capabilities()` says which of them hold values.
            self._cache[name] = contract.conform(name, partitions.read(self.folder, name))
        return self._cache[name]

    def __getitem__(self, name: str) -> pd.DataFrame:
        frame = self.get(name)
        if frame is None:
            raise MissingTable(f"no {name} data in this workbook")
        return frame

    def window(self, name: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
        """Table `name`'s rows filed under the months from `start` to `end` (a fact table is
        filed by its date: `partitions.PARTITION_BY`), conformed and not kept; the whole table
        when it is in memory already or kept in one file. The caller still filters on its own
        dates: a month's file holds all of the month's rows, and none without a date."""
        contract.table(name)
        if name in self._cache or self.folder is None or not self.has(name):
            return self.get(name)
        months = (f"{pd.Timestamp(start):%Y-%m}", f"{pd.Timestamp(end):%Y-%m}")
        return contract.conform(name, partitions.read(self.folder, name, months=months))

    def all(self) -> dict[str, pd.DataFrame]:
        return {t: self[t] for t in self.tables}

    def view(self) -> FactsView:
        """The tables as a read-only mapping that reads a table when it is first asked for: a
        command that needs the reps and the orders never reads a million activities."""
        if self._view is None:
            self._view = FactsView(self)
        return self._view

    def capabilities(self) -> Capabilities:
        """What these facts can answer; stored with the snapshot at import, so asking costs
        no table read (older snapshots without it are scanned once)."""
        if self._capabilities is None:
            stored = self.manifest().get("capabilities") if self.folder is not None else None
            if stored is not None:
                self._capabilities = Capabilities(frozenset(stored))
            else:
                self._capabilities = Capabilities.from_tables(self.all())
        return self._capabilities

    def manifest(self) -> dict:
        if self.folder is None:
            return {}
        return json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))


class FactsView(Mapping):
    """`Facts.all()` without reading every table up front, and what is derived from the tables
    kept for the next asker (as `monitoring.FactTables` does): `actuals.events` and
    `roles.selling` read the million order lines once per command, not once per period. Do
    not change the frames in place."""

    def __init__(self, facts: Facts):
        self._facts = facts
        self._derived: dict = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in contract.TABLES or not self._facts.has(name):
            raise KeyError(name)
        return self._facts[name]

    def __iter__(self):
        return iter(self._facts.tables)

    def __len__(self) -> int:
        return len(self._facts.tables)

    def __contains__(self, name) -> bool:
        return name in self._facts.tables

    @property
    def _capabilities(self) -> Capabilities:
        # What `capabilities.of` looks for: the snapshot's stored capabilities, so asking what
        # the facts can answer reads no table (a scan would read the million order lines).
        return self._facts.capabilities()

    def derive(self, key: tuple, build):
        if key not in self._derived:
            queried = self._queried(key)
            self._derived[key] = queried if queried is not None else build()
        return self._derived[key]

    def _queried(self, key: tuple):
        """What is derived from a large table, asked of its files when the table is not in
        memory: the rep ids on the order lines (`roles.column_ids`, for who sells) are one
        DuckDB pass over one column, the rows per rep and period one count, where building either would load a million rows that `goals
        suggest` or `awards propose` read for nothing else (tests/test_facts_query.py holds
        both paths equal). None: build it from the frames."""
        facts = self._facts
        if facts.folder is None:
            return None
        if key[0] == "rows per rep and period" and not facts.loaded(key[1]):
            from salescoach.data.facts_query import rep_period_counts

            return rep_period_counts(facts.folder, key[1], key[2], list(key[3]))
        if key != ("roles", ("ids", "orders", "rep_id")) or facts.loaded("orders"):
            return None
        from salescoach.data.facts_query import order_rep_ids

        return order_rep_ids(facts.folder)


@dataclass
class Workbook:
    root: Path
    # A language for this run only (`--lang`); empty: the one in salescoach.toml.
    language: str = ""

    @classmethod
    def open(cls, root: Path | str | None = None, language: str = "") -> Workbook:
        wb = cls(resolve_root(root), language or "")
        if not (wb.root / SETTINGS_FILE).exists():
            raise WorkbookError(
                _(
                    "{root} is not a workbook (no {file}); run `salescoach init {root}` first",
                    root=wb.root,
                    file=SETTINGS_FILE,
                )
            )
        return wb

    @cached_property
    def settings(self) -> Settings:
        return Settings.load(self.root / SETTINGS_FILE).with_language(self.language)

    @property
    def data_dir(self) -> Path:
        return self.root / DATA_DIR

    @property
    def facts_dir(self) -> Path:
        return self.data_dir / "facts"

    @property
    def reports_dir(self) -> Path:
        return self.root / REPORTS_DIR

    def current_snapshot(self) -> Path | None:
        pointer = self.facts_dir / "CURRENT"
        if not pointer.exists():
            return None
        folder = self.facts_dir / pointer.read_text(encoding="utf-8").strip()
        return folder if folder.is_dir() else None

    def facts(self) -> Facts:
        """The current snapshot's facts. One Facts per snapshot and Workbook: a command that asks
        several services reads each table once (a snapshot never changes once written; a new
        import points CURRENT at a new one, and the next call sees it)."""
        folder = self.current_snapshot()
        cached = self.__dict__.get("_facts")
        if cached is None or cached.folder != folder:
            cached = Facts(folder)
            self.__dict__["_facts"] = cached
        return cached

    def store(self):
        from salescoach.data.store import Store

        return Store.for_workbook(self.data_dir, self.settings.store.url or None)

    def save_import(
        self, result: ImportResult, source: str, who: str, append: bool = False
    ) -> Path:
        """Write the imported tables as a new snapshot; tables not imported carry over.

        With `append`, an imported table is merged into the stored one by key (see
        `partitions.merge`) and only the months it changes are written; the manifest's
        `appended` says, per table, how many rows were added, updated or already there."""
        self.facts_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        tmp = self.facts_dir / f".tmp-{stamp}"
        tmp.mkdir()
        previous = self.current_snapshot()
        imported = {c.table for c in result.counts}
        # Tables the import was not handed (an append validates against the few it refers to)
        # carry over like those handed back unchanged.
        carried = set()
        if previous is not None:
            for name in contract.TABLE_ORDER:
                if name not in result.tables and partitions.exists(previous, name):
                    partitions.carry_over(previous, tmp, name)
                    carried.add(name)
        written: dict[str, pd.DataFrame] = {}
        scanned: set[str] = set()  # appended by month: capabilities from the files
        appended = []
        for name, frame in result.tables.items():
            if name not in imported:
                if previous is not None and partitions.exists(previous, name):
                    partitions.carry_over(previous, tmp, name)
                continue
            # An append reads only the months the file can change (and the keys of the others).
            touched_read = (
                partitions.read_touched(previous, name, frame)
                if append and previous is not None
                else None
            )
            if touched_read is not None:
                old, next_row = touched_read
                merged, count, touched = partitions.merge(name, old, frame, next_row)
                partitions.write(tmp, name, merged, previous, touched)
                scanned.add(name)
                appended.append(count.__dict__)
                continue
            old = (
                partitions.read(previous, name, keep_row=True)
                if append and previous is not None
                else None
            )
            if old is None:
                partitions.write(tmp, name, frame)
                written[name] = frame
                continue
            if partitions.ROW not in old:  # a snapshot from before tables were split by month
                old[partitions.ROW] = range(len(old))
                linked_from = None
            else:
                linked_from = previous
            merged, count, touched = partitions.merge(name, old, frame)
            partitions.write(tmp, name, merged, linked_from, touched if linked_from else None)
            written[name] = merged.drop(columns=partitions.ROW)
            appended.append(count.__dict__)
        write_csv(result.rejects, tmp / "rejects.csv")
        manifest = {
            "imported_at": datetime.now(UTC).isoformat(),
            "who": who,
            "source": source,
            "counts": [c.__dict__ for c in result.counts],
            "carried_over": sorted((set(result.tables) | carried) - imported),
            "notes": list(result.notes),
            "capabilities": sorted(self._capabilities_of(written, tmp, previous, scanned).present),
        }
        if append:
            manifest["appended"] = appended
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        final = self.facts_dir / stamp
        tmp.rename(final)
        pointer_tmp = self.facts_dir / "CURRENT.tmp"
        pointer_tmp.write_text(stamp, encoding="utf-8")
        os.replace(pointer_tmp, self.facts_dir / "CURRENT")
        self._prune(keep=final)
        return final

    @staticmethod
    def _capabilities_of(
        written: dict[str, pd.DataFrame],
        folder: Path,
        previous: Path | None = None,
        scanned: frozenset[str] | set[str] = frozenset(),
    ) -> Capabilities:
        """Of the snapshot being written: written tables from memory, tables appended by month
        scanned in their files (DuckDB), carried-over ones from the previous snapshot's
        manifest (read when it has none)."""
        from salescoach.data.facts_query import table_capabilities

        stored = None
        if previous is not None and (previous / "manifest.json").is_file():
            stored = json.loads((previous / "manifest.json").read_text(encoding="utf-8")).get(
                "capabilities"
            )
        tables = dict(written)
        present: set[str] = set()
        for name in contract.TABLE_ORDER:
            if name in tables or not partitions.exists(folder, name):
                continue
            if name in scanned:
                present |= table_capabilities(folder, name)
            elif stored is not None:
                present |= {c for c in stored if c == name or c.startswith(f"{name}.")}
            else:
                tables[name] = partitions.read(folder, name)
        return Capabilities(frozenset(present | Capabilities.from_tables(tables).present))

    def _prune(self, keep: Path) -> None:
        snapshots = sorted(
            p for p in self.facts_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
        for old in snapshots[:-KEEP_SNAPSHOTS]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)
