"""Ablation: every command and app page on exports of any shape.

From one small sample organisation the shapes are generated, not hand-picked: each optional
table dropped in turn, each optional column of each table (from `salescoach.domain.contract`) dropped in
turn, and the minimal shapes real exports have (deals only, orders only, orders without status
or dates, numeric ids, ids that are substrings of each other, Greek and Portuguese names, one
rep, one product). For each shape every command runs through the CLI runner and every app page
draws: no traceback, exit code 0 (or 2 with one sentence), and what lacks its input says "not
assessed" (the features and their needs come from `capabilities.FEATURES`).

Each shape's workbook is built once per run, also across pytest-xdist workers (a file lock on a
folder they share). Rendering packs, `template check` and `render --notebook` start kernels and
run on a few representative shapes only: select them with `-m render`, leave them out with
`-m "not render"`.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.domain import capabilities, contract

PERIOD = "2026-Q3"
SEED = 11
SCALE = 0.02
REPO = Path(__file__).resolve().parent.parent

Tables = dict[str, pd.DataFrame]
Shape = Callable[[Tables], Tables]


# --------------------------------------------------------------------------- shapes


def _drop_table(name: str) -> Shape:
    return lambda t: {k: v for k, v in t.items() if k != name}


def _drop_column(table: str, column: str) -> Shape:
    def shape(t: Tables) -> Tables:
        out = dict(t)
        # A contract column the sample does not fill (yet) is absent already: the shape is the
        # sample itself, still worth running.
        frame = t[table].drop(columns=[column], errors="ignore")
        # A group of which one column must be present (orders: unit_price or amount) keeps
        # its other member, as an export that has only the line total would.
        for group in contract.table(table).one_of:
            if column in group and not any(c in frame.columns for c in group):
                if column == "unit_price":
                    frame["amount"] = (t[table]["unit_price"] * t[table]["quantity"]).round(2)
        out[table] = frame
        return out

    return shape


def _only(names: tuple[str, ...], required: bool = False) -> Shape:
    def shape(t: Tables) -> Tables:
        out = {k: v for k, v in t.items() if k in names}
        return _required_only(out) if required else out

    return shape


def _required_only(t: Tables) -> Tables:
    out = {}
    for name, frame in t.items():
        spec = contract.table(name)
        keep = list(spec.required)
        for group in spec.one_of:
            if not any(c in keep for c in group):
                keep.append(next(c for c in group if c in frame.columns))
        out[name] = frame[[c for c in frame.columns if c in keep]]
    return out


def _orders_without_status_or_dates(t: Tables) -> Tables:
    out = {k: v for k, v in t.items() if k in ("reps", "products", "customers", "orders")}
    gone = ["status", "promised_date", "shipped_date", "delivered_date", "deal_id"]
    out["orders"] = t["orders"].drop(columns=gone)
    return out


def _recode_reps(t: Tables, new_ids: list[str]) -> Tables:
    """Every rep id replaced, wherever a rep is referred to."""
    old = list(t["reps"]["rep_id"])
    mapping = dict(zip(old, new_ids, strict=False))
    out = {}
    for name, frame in t.items():
        frame = frame.copy()
        for column in ("rep_id", "support_rep_id"):
            if column in frame.columns:
                frame[column] = frame[column].map(mapping).where(frame[column].notna())
        if name == "targets":
            is_rep = frame["scope"] == "rep"
            frame.loc[is_rep, "scope_id"] = frame.loc[is_rep, "scope_id"].map(mapping)
        out[name] = frame
    return out


def _numeric_ids(t: Tables) -> Tables:
    """An ERP's ids: employees, products, customers and orders numbered 1, 2, 3..."""
    t = _recode_reps(t, [str(i + 1) for i in range(len(t["reps"]))])
    out = dict(t)
    for table, key, users in (
        ("products", "product_id", ("orders", "deals", "service", "feedback")),
        ("customers", "customer_id", ("orders", "deals", "service", "feedback", "activities")),
    ):
        mapping = {old: str(i + 1) for i, old in enumerate(t[table][key])}
        for name in (table, *users):
            frame = out[name].copy()
            frame[key] = frame[key].map(mapping).where(frame[key].notna())
            out[name] = frame
    orders = {old: str(i + 1) for i, old in enumerate(t["orders"]["order_id"].unique())}
    for name in ("orders", "service"):
        frame = out[name].copy()
        frame["order_id"] = frame["order_id"].map(orders).where(frame["order_id"].notna())
        out[name] = frame
    return out


def _substring_ids(t: Tables) -> Tables:
    ids = ["1", "11", "S1", "S10", "111", "S11", "2", "12", "S2", "S12", "21", "S21"]
    n = len(t["reps"])
    ids = (ids + [f"S1{i}" for i in range(n)])[:n]
    return _recode_reps(t, ids)


GREEK = ["Σοφία Παπαδοπούλου", "Άννα Νικολάου", "Γιώργος Ιωάννου", "Ελένη Οικονόμου"]
PORTUGUESE = ["João Araújo", "Conceição Simões", "Luís Gonçalves", "Inês Magalhães"]


def _names(names: list[str], teams: list[str], families: list[str]) -> Shape:
    def shape(t: Tables) -> Tables:
        out = dict(t)
        reps = t["reps"].copy()
        reps["name"] = [f"{names[i % len(names)]} {i}" for i in range(len(reps))]
        team_map = {old: teams[i % len(teams)] for i, old in enumerate(reps["team"].unique())}
        teams_new = reps["team"].map(team_map)
        dept_map = {
            old: f"{teams[-1 - i % len(teams)]} ΙΙ"
            for i, old in enumerate(reps["department"].unique())
        }
        reps["team"] = teams_new
        reps["department"] = reps["department"].map(dept_map)
        out["reps"] = reps
        targets = t["targets"].copy()
        targets.loc[targets["scope"] == "team", "scope_id"] = targets["scope_id"].map(team_map)
        targets.loc[targets["scope"] == "department", "scope_id"] = targets["scope_id"].map(
            dept_map
        )
        out["targets"] = targets
        products = t["products"].copy()
        fam = {
            old: families[i % len(families)] for i, old in enumerate(products["family"].unique())
        }
        products["family"] = products["family"].map(fam)
        products["name"] = [f"{families[i % len(families)]} {i}" for i in range(len(products))]
        out["products"] = products
        for name in ("courses", "market"):
            frame = t[name].copy()
            frame["product_family"] = (
                frame["product_family"].map(fam).where(frame["product_family"].notna())
            )
            out[name] = frame
        return out

    return shape


def _one_rep(t: Tables) -> Tables:
    rep = t["reps"].loc[t["reps"]["role"] == "seller", "rep_id"].iloc[0]
    out = {}
    for name, frame in t.items():
        if name == "reps":
            frame = frame[frame["rep_id"] == rep]
        elif name == "targets":
            frame = frame[(frame["scope"] != "rep") | (frame["scope_id"] == rep)]
        elif "rep_id" in frame.columns and name in ("deals", "orders", "activities", "training"):
            frame = frame[frame["rep_id"] == rep]
            if "support_rep_id" in frame.columns:
                frame = frame.assign(support_rep_id=None)
        elif "rep_id" in frame.columns:
            frame = frame.assign(rep_id=frame["rep_id"].where(frame["rep_id"] == rep))
        out[name] = frame
    return _without_dangling_links(out)


def _without_dangling_links(out: Tables) -> Tables:
    """Links to orders and deals a shape removed are blanked, as an export of fewer rows has."""
    keep_orders = set(out["orders"]["order_id"])
    out["service"] = out["service"].assign(
        order_id=out["service"]["order_id"].where(out["service"]["order_id"].isin(keep_orders))
    )
    keep_deals = set(out["deals"]["deal_id"])
    for name in ("orders", "activities"):
        frame = out[name]
        out[name] = frame.assign(deal_id=frame["deal_id"].where(frame["deal_id"].isin(keep_deals)))
    return out


def _one_product(t: Tables) -> Tables:
    product = t["orders"]["product_id"].value_counts().index[0]
    out = dict(t)
    out["products"] = t["products"][t["products"]["product_id"] == product]
    for name in ("orders", "deals"):
        out[name] = t[name][t[name]["product_id"] == product]
    for name in ("service", "feedback"):
        frame = t[name]
        out[name] = frame.assign(
            product_id=frame["product_id"].where(frame["product_id"] == product)
        )
    return _without_dangling_links(out)


def _erp(t: Tables) -> Tables:
    """An ERP order database: numeric employee ids, no status, no delivery dates, no activities."""
    return _orders_without_status_or_dates(_numeric_ids(t))


MINIMAL: dict[str, Shape] = {
    "full": lambda t: t,
    "required-only": _required_only,
    "deals-only": _only(("reps", "deals")),
    "orders-only": _only(("reps", "orders")),
    "deals-only-required": _only(("reps", "deals"), required=True),
    "orders-no-status-dates": _orders_without_status_or_dates,
    "numeric-ids": _numeric_ids,
    "erp": _erp,
    "substring-ids": _substring_ids,
    "greek-names": _names(GREEK, ["Βόρεια Ομάδα", "Νότια Ομάδα"], ["Αποθήκευση", "Δίκτυα"]),
    "portuguese-names": _names(
        PORTUGUESE, ["Equipa Norte", "Equipa Sul"], ["Armazenamento", "Redes"]
    ),
    "one-rep": _one_rep,
    "one-product": _one_product,
}


def _generated(base_tables: list[str], base_columns: dict[str, list[str]]) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for name in base_tables:
        if name != "reps":
            shapes[f"no-{name}"] = _drop_table(name)
    for name in base_tables:
        spec = contract.table(name)
        for column in spec.names:
            if not spec.by_name[column].required and column in base_columns[name]:
                shapes[f"{name}-no-{column}"] = _drop_column(name, column)
    return {**shapes, **MINIMAL}


def _column_shapes(base_tables: list[str], base_columns: dict[str, list[str]]) -> set[str]:
    return {
        f"{name}-no-{column}"
        for name in base_tables
        for column in base_columns[name]
        if not contract.table(name).by_name[column].required
    }


def _sample_tables() -> Tables:
    from salescoach.data.sample import build_sample

    return build_sample(seed=SEED, scale=SCALE).tables


# The sample's tables and columns decide which shapes exist; they are known without building it
# (the sample writes every contract column it fills; `contract` says which are optional).
_SAMPLE_COLUMNS = {
    name: [c for c in contract.table(name).names if c != "amount"] for name in contract.TABLE_ORDER
}
SHAPES = _generated(list(contract.TABLE_ORDER), _SAMPLE_COLUMNS)
COLUMN_SHAPES = _column_shapes(list(contract.TABLE_ORDER), _SAMPLE_COLUMNS)
# Drawing every app page and running every command costs seconds a shape: the column-drop
# shapes get them only with SALESCOACH_ABLATION=all (the whole matrix is about a quarter of an
# hour on two cores); by default they run diagnose and the figures' not-assessed checks.
SHAPE_TESTS = [
    s for s in SHAPES if s not in COLUMN_SHAPES or os.environ.get("SALESCOACH_ABLATION") == "all"
]
RENDER_SHAPES = ("deals-only", "orders-no-status-dates", "numeric-ids", "required-only")


# --------------------------------------------------------------------------- workbooks


def _run(*args, **kw):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True, **kw)
    return result


class Built:
    """A shape's workbook, its data folder and what the import said."""

    def __init__(self, name: str, root: Path):
        self.name = name
        self.root = root
        self.data = root / "data"
        self.wb = root / "wb"
        info = json.loads((root / "built.json").read_text(encoding="utf-8"))
        self.import_output: str = info["output"]
        self.import_code: int = info["code"]
        self.present = frozenset(info["present"])
        self.caps = capabilities.Capabilities(self.present)
        self.rep: str | None = info["rep"]
        self.team: str | None = info["team"]
        self.department: str | None = info["department"]

    def cli(self, *args):
        return _run("--workbook", self.wb, *args)

    @contextlib.contextmanager
    def figures_once(self, cache: Path):
        """Within the block the organisation-wide figures (the diagnosis pass, award inputs,
        training status, what works: the functions `services.batch.shared` marks) are computed
        once per workbook state and read back by the next caller, as a render batch reads them.

        Profiled (scale 0.02, full shape): the diagnosis pass is 2 s of each `diagnose` run and
        ran four times per app walk, three times per `diagnose` trio, more in the awards and
        digest commands. Each distinct state and argument set is still computed for real: the
        folder is named by `packs.batch.folder_for` (facts snapshot, goals in force, settings,
        code version, decisions recorded, the day), so a command that sets a goal makes the next
        call compute afresh, and an entry is named by its arguments (period, day, language,
        login). `cache` is the test's own folder, never the workbook's batch folder, so the
        render tests still prepare their batches themselves."""
        from salescoach.data.workbook import Workbook
        from salescoach.packs import batch as pack_batch
        from salescoach.services import batch

        try:
            name = pack_batch.folder_for(Workbook.open(self.wb), PERIOD).name
        except Exception:  # noqa: BLE001 - no key (no facts, no such period): nothing reused
            yield
            return
        folder = cache / name
        folder.mkdir(parents=True, exist_ok=True)
        root = json.dumps({"root": str(self.wb.resolve())})
        (folder / batch.MANIFEST).write_text(root, encoding="utf-8")
        batch.activate(folder, writable=True)
        try:
            yield
        finally:
            batch.activate(None)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, worker_id) -> Path:
    """A folder every xdist worker of this run sees, so a shape is built once per run."""
    base = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        base = base.parent
    folder = base / "ablation"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def base_tables(shared_dir) -> Tables:
    path = shared_dir / "base"
    with _locked(shared_dir / "base.lock"):
        if not (path / "done").exists():
            path.mkdir(exist_ok=True)
            for name, frame in _sample_tables().items():
                frame.to_parquet(path / f"{name}.parquet", index=False)
            (path / "done").write_text("")
    return {p.stem: pd.read_parquet(p) for p in sorted(path.glob("*.parquet"))}


class _locked:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.handle = open(self.path, "w")  # noqa: SIM115 - held for the block
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _build(name: str, base: Tables, shared: Path) -> Built:
    root = shared / name
    with _locked(shared / f"{name}.lock"):
        if not (root / "built.json").exists():
            root.mkdir(exist_ok=True)
            tables = SHAPES[name]({k: v.copy() for k, v in base.items()})
            data = root / "data"
            data.mkdir(exist_ok=True)
            for table, frame in tables.items():
                frame.to_csv(data / f"{table}.csv", index=False, date_format="%Y-%m-%d")
            init = _run("init", root / "wb", "--company", f"Ablation {name}")
            assert init.exit_code == 0, init.output
            result = _run("--workbook", root / "wb", "import", data)
            from salescoach.data.workbook import Workbook

            facts = Workbook.open(root / "wb").facts()
            present = sorted(capabilities.of(facts.all()).present) if facts.folder else []
            reps = facts["reps"] if facts.folder else None
            sellers = reps[reps["role"] == "seller"] if reps is not None else None
            rep = str(sellers["rep_id"].iloc[0]) if sellers is not None and len(sellers) else None
            team = str(sellers["team"].iloc[0]) if rep else None
            dept = str(sellers["department"].iloc[0]) if rep else None
            (root / "built.json").write_text(
                json.dumps(
                    {
                        "output": result.output,
                        "code": result.exit_code,
                        "present": present,
                        "rep": rep,
                        "team": team,
                        "department": dept,
                    }
                ),
                encoding="utf-8",
            )
    return Built(name, root)


@pytest.fixture(scope="session")
def built(base_tables, shared_dir):
    cache: dict[str, Built] = {}

    def get(name: str) -> Built:
        if name not in cache:
            cache[name] = _build(name, base_tables, shared_dir)
        return cache[name]

    return get


# --------------------------------------------------------------------------- what each says

# Which features each command shows: when a feature's needs are missing the command's output
# must say "not assessed" (and name what is missing) rather than print a figure.
SHOWS: dict[str, tuple[str, ...]] = {
    "training status": ("training_status",),
    "training effect": ("training_status",),
    "training suggest": ("training_status",),
    "digest": ("techniques", "feedback"),
}
PAGE_SHOWS: dict[str, tuple[str, ...]] = {
    "monitoring": ("on_time", "returns", "complaints", "follow_up"),
    "what_works": ("techniques",),
    "training": ("training_status",),
}


def _commands(b: Built) -> list[tuple[str, list[str]]]:
    rep = b.rep or "nobody"
    return [
        ("validate", ["validate", b.data]),
        ("goals suggest", ["goals", "suggest", "--period", PERIOD]),
        ("goals suggest team", ["goals", "suggest", "--period", PERIOD, "--scope", "team"]),
        (
            "goals suggest apply",
            ["goals", "suggest", "--period", "2027-Q1", "--apply", "--reason", "ablation"],
        ),
        (
            "goals set",
            ["goals", "set", "--scope", "rep", "--id", rep, "--period", PERIOD]
            + ["--target", "1000", "--reason", "ablation", "--force"],
        ),
        ("goals list", ["goals", "list"]),
        ("goals list period", ["goals", "list", "--period", PERIOD]),
        ("goals letters", ["goals", "letters", "--period", PERIOD, "--rep", rep]),
        ("coach list", ["coach", "list"]),
        ("training status", ["training", "status", "--period", PERIOD]),
        ("training effect", ["training", "effect"]),
        ("training suggest", ["training", "suggest", "--period", PERIOD]),
        ("awards propose", ["awards", "propose", "--period", PERIOD, "--dry-run"]),
        ("awards leaderboard", ["awards", "leaderboard", "--period", PERIOD]),
        ("awards budget", ["awards", "budget", "--period", PERIOD]),
        ("awards risks", ["awards", "risks", "--period", PERIOD]),
        ("digest", ["digest", "--period", PERIOD]),
    ]


DIAGNOSE = {
    "diagnose table": ["diagnose", "--period", PERIOD],
    "diagnose json": ["diagnose", "--period", PERIOD, "--format", "json"],
    "diagnose by-owner": ["diagnose", "--period", PERIOD, "--by-owner"],
}


def _problem(result) -> str | None:
    """What is wrong with a command's run, or None: exit 0, or 2 with one sentence."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))
        return f"exception: {tb[-1500:]}"
    if "Traceback" in result.output:
        return f"traceback printed: {result.output[-800:]}"
    if result.exit_code == 0:
        return None
    if result.exit_code == 2:
        lines = [line for line in result.output.strip().splitlines() if line.strip()]
        if lines and len(lines) <= 3:
            return None
        return f"exit 2 with more than one sentence: {result.output[-600:]}"
    return f"exit {result.exit_code}: {result.output[-600:]}"


def _unsaid(b: Built, features: tuple[str, ...], text: str) -> list[str]:
    """Features whose needs are missing but whose output does not say 'not assessed'."""
    out = []
    low = text.lower()
    for feature in features:
        gone = b.caps.feature(feature)
        if gone is None:
            continue
        if "not assessed" not in low and "no " not in low:
            out.append(f"{feature}: {gone.text()}")
        elif "not assessed" not in low:
            out.append(f"{feature}: {gone.text()} (said otherwise)")
    return out


# --------------------------------------------------------------------------- the tests


def _imported(b: Built) -> None:
    """The import ran without a traceback; a shape it refuses must say why in one sentence."""
    assert "Traceback" not in b.import_output
    assert b.import_code in (0, 2), b.import_output[-600:]
    if b.import_code != 0:
        pytest.skip(f"import refused the shape: {b.import_output.strip()[-300:]}")


@pytest.mark.parametrize("shape", list(SHAPE_TESTS))
def test_commands(built, shape, tmp_path):
    b = built(shape)
    _imported(b)
    problems = []
    for label, args in _commands(b):
        with b.figures_once(tmp_path):  # per call: the goals commands change the state
            result = b.cli(*args)
        problem = _problem(result)
        if problem:
            problems.append(f"{label}: {problem}")
            continue
        if result.exit_code == 0:
            problems += [f"{label}: {u}" for u in _unsaid(b, SHOWS.get(label, ()), result.output)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_diagnose(built, shape, tmp_path):
    b = built(shape)
    _imported(b)
    problems = []
    for label, args in DIAGNOSE.items():
        if b.name in COLUMN_SHAPES and label != "diagnose json":
            continue
        with b.figures_once(tmp_path):  # one diagnosis pass for the three formats
            result = b.cli(*args)
        problem = _problem(result)
        if problem:
            problems.append(f"{label}: {problem}")
        elif label == "diagnose json" and result.exit_code == 0:
            json.loads(result.output)
    assert not problems, "\n".join(problems)


def _texts(widget) -> list[str]:
    """Every text a widget tree shows (HTML, labels, tables)."""
    out = []
    value = getattr(widget, "value", None)
    if isinstance(value, str):
        out.append(value)
    for child in getattr(widget, "children", ()):
        out += _texts(child)
    return out


@pytest.mark.parametrize("shape", list(SHAPE_TESTS))
def test_app_pages(built, shape, tmp_path):
    """Every page of the manager's app draws for the company and for one rep, without a
    browser, and says what it cannot assess."""
    import datetime as dt

    from salescoach.app import App, Context
    from salescoach.data.workbook import Workbook

    b = built(shape)
    _imported(b)
    # The diagnosis page asks for the pass for its overview and again for a rep: one pass.
    with b.figures_once(tmp_path):
        ctx = Context(Workbook.open(b.wb), who="ablation", today=dt.date(2026, 10, 1))
        try:
            if PERIOD in ctx.period_choices():  # a shape with no dated facts offers other periods
                ctx.update(period=PERIOD)
            app = App(ctx)
            scopes = [("company", None)]
            if b.rep and b.name not in COLUMN_SHAPES:
                scopes.append(("rep", b.rep))
            problems = []
            for scope, scope_id in scopes:
                ctx.update(scope=scope, scope_id=scope_id)
                for page in app.pages:
                    app.show(page.key)
                    if page.last_error:
                        problems.append(f"{scope} {page.key}: {page.last_error[-1200:]}")
                        continue
                    text = html.unescape(" ".join(_texts(page.widget)))
                    problems += [
                        f"{scope} {page.key}: {u}"
                        for u in _unsaid(b, PAGE_SHOWS.get(page.key, ()), text)
                    ]
            assert not problems, "\n".join(problems)
        finally:
            ctx.close()


@pytest.mark.parametrize("shape", list(SHAPES))
def test_figures_say_what_they_lack(built, shape):
    """The service calls behind the monitoring page, the pack's process section, training and
    the digest: a figure whose needs are missing is 'not assessed: <what>', never a number."""
    from salescoach.data.workbook import Workbook
    from salescoach.domain import monitoring
    from salescoach.services import monitoring as mon_service, packs, training as training_service

    b = built(shape)
    _imported(b)
    wb = Workbook.open(b.wb)
    problems = []
    from salescoach.domain.actuals import MissingData

    try:
        stages = mon_service.scope_summary(wb, PERIOD)
    except MissingData as exc:  # no revenue at all: the page says "Not assessed: <this>"
        assert "needs" in str(exc)
        return
    shown = " ".join(stages.astype(str).to_numpy().ravel()) if len(stages) else ""
    labels = {c.measure: c.label for c in monitoring.STAGE_CHECKS}
    for measure, needs in monitoring.MEASURE_NEEDS.items():
        gone = b.caps.check(*needs)
        if gone is None or measure not in labels:
            continue
        if gone.text() not in shown:
            problems.append(f"monitoring {measure}: does not say '{gone.text()}'")
        if labels[measure] in list(stages.get("Measure", [])):
            problems.append(f"monitoring {measure}: shows a figure without {gone.needs}")
    if b.rep:
        process = packs.process(wb, b.rep, PERIOD)
        for figure, needs in packs.PROCESS_NEEDS.items():
            gone = b.caps.check(*needs)
            you = " ".join(process["You"].astype(str))
            if gone is not None and gone.text() not in you:
                problems.append(f"pack process {figure}: does not say '{gone.text()}'")
    status = training_service.status(wb, PERIOD)
    gone = b.caps.feature("training_status")
    if gone is not None and status != gone.text():
        problems.append(f"training status: {str(status)[:200]} instead of '{gone.text()}'")
    assert not problems, "\n".join(problems)


def test_one_definition_of_on_time_returns_and_follow_up(built):
    """A rep's on-time, returned and followed-up shares are the same figure in the monitoring
    service (the app's monitoring page) and in the review pack (issue 21)."""
    from salescoach.data.workbook import Workbook
    from salescoach.services import monitoring as mon_service, packs

    b = built("full")
    wb = Workbook.open(b.wb)
    figures, _trend = packs.batch_figures(wb, PERIOD)
    figures = figures.set_index("rep_id")
    checked = 0
    for rep in figures.index[:4]:
        ctx = mon_service.context(wb, PERIOD, "rep", rep)
        measures = mon_service.monitoring.stage_measures(
            ctx.tables, ctx.period, ctx.members, ctx.config, ctx.as_of
        )
        for figure, measure in mon_service.monitoring.PROCESS_FIGURES.items():
            a, p = measures[measure], figures.loc[rep, figure]
            assert (pd.isna(a) and pd.isna(p)) or a == pytest.approx(p), (rep, figure, a, p)
            checked += not pd.isna(a)
    assert checked >= 6


@pytest.mark.parametrize("shape", list(SHAPE_TESTS))
def test_process_measures_from_the_period_orders_equal_those_from_every_order(built, shape):
    """The app's Monitoring page reads only the period's month files of the orders
    (`scope_summary`); its table equals the one read from every order line, for a closed and
    a not-started quarter, for the company and a rep, whatever the shape. And the workbook's
    'now' read from the files' statistics is the one read from every row."""
    from salescoach.data.workbook import Workbook
    from salescoach.domain.actuals import MissingData
    from salescoach.services import monitoring as mon_service

    b = built(shape)
    _imported(b)
    every_line, period_lines = Workbook.open(b.wb), Workbook.open(b.wb)
    compared = 0
    for period in (PERIOD, "2027-Q1"):
        for scope, scope_id in (("company", None), ("rep", b.rep)):
            if scope != "company" and scope_id is None:
                continue
            try:
                every = mon_service.stages_table(
                    mon_service.context(every_line, period, scope, scope_id)
                )
            except MissingData:
                with pytest.raises(MissingData):
                    mon_service.scope_summary(period_lines, period, scope, scope_id)
                continue
            windowed = mon_service.scope_summary(period_lines, period, scope, scope_id)
            pd.testing.assert_frame_equal(windowed, every)
            compared += 1
    assert not period_lines.facts().loaded("orders"), "the period's orders only"
    assert compared or not b.caps.has("orders")
    # The workbook's 'now' from the files' statistics is the one read from every row.
    from salescoach.domain import actuals
    from salescoach.services import last_data_day

    assert last_data_day(period_lines) == actuals.last_day(every_line.facts().all())


# --------------------------------------------------------------------------- render (slow)

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
TEMPLATES = sorted((REPO / "templates" / "notebooks").glob("*.ipynb"))


def _render_problem(result) -> str | None:
    problem = _problem(result)
    if problem is None and "failed: " in result.output:
        return f"a pack failed: {result.output[-600:]}"
    return problem


# One test per shape and run, not one per shape: each run starts its own kernels, so each shows
# its own time in --durations, has its own timeout and can be chosen with -k. A shape's runs stay
# one xdist group (tests/conftest.py): they write to the same workbook.
RENDER_RUNS = [
    "packs",
    "company pack",
    *(f"template check {t.stem}" for t in TEMPLATES),
    *(f"render --notebook {n.name}" for n in NOTEBOOKS),
]


def _render_args(b: Built, run: str) -> list:
    """The command line of one render run on a shape's workbook."""
    scope = ["--rep", b.rep, "--team", b.team, "--department", b.department] if b.rep else []
    if run == "packs":
        return ["render", *scope, "--period", PERIOD, "--format", "html,pdf", "--jobs", "1"]
    if run == "company pack":
        return ["render", "--all", "--period", PERIOD, "--format", "html"]
    if run.startswith("template check "):
        (template,) = [t for t in TEMPLATES if run == f"template check {t.stem}"]
        return ["template", "check", template]
    (notebook,) = [n for n in NOTEBOOKS if run == f"render --notebook {n.name}"]
    from salescoach.packs import notebook_templates

    scope = notebook_templates.scope_of(notebook_templates.parameters(notebook))
    # A cycle notebook (any scope) is a manager's view: rendered for a team, not as a rep's
    # pack (which the privacy check rightly refuses when it lists the team's reps).
    chosen = {
        "rep": ["--rep", b.rep],
        "team": ["--team", b.team],
        "any": ["--team", b.team],
        "department": ["--department", b.department],
    }.get(scope, [])
    if not b.rep:
        chosen = []
    format_ = ["--format", "html", "--jobs", "1"]
    return ["render", "--notebook", notebook, *chosen, "--period", PERIOD, *format_]


# The four review notebooks are the packs themselves: on every shape the "packs" and "company
# pack" runs render them (every rep, team, department and the company) from the same notebooks
# on the same data, and `render --notebook` is proved on every shape by the six cycle notebooks.
# What `render --notebook <review>` adds is the rep, department and company branches of the
# --notebook scoping (the cycle notebooks are "any", rendered for a team): one shape proves
# them in `make test`, the others run with SALESCOACH_ABLATION=all (`make test-ablation`).
REVIEW_RUNS = {f"render --notebook {n.name}" for n in NOTEBOOKS if n.stem.endswith("_review")}
REVIEW_SHAPE = "numeric-ids"
# The shape with the most runs first: xdist sends groups in this order (tests/conftest.py), so
# the longest starts first and the other worker takes the shorter ones.
RENDER_CASES = [
    (shape, run)
    for shape in sorted(RENDER_SHAPES, key=lambda shape: shape != REVIEW_SHAPE)
    for run in RENDER_RUNS
    if run not in REVIEW_RUNS
    or shape == REVIEW_SHAPE
    or os.environ.get("SALESCOACH_ABLATION") == "all"
]


@pytest.mark.render
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "shape, run", RENDER_CASES, ids=[f"{shape}-run={run}" for shape, run in RENDER_CASES]
)
def test_render_packs_templates_and_notebooks(built, shape, run):
    """Every pack kind as HTML and PDF for a few reps, `template check` on every template and
    `render --notebook` on every notebook of notebooks/, on the shapes real exports have."""
    b = built(shape)
    _imported(b)
    problem = _render_problem(b.cli(*_render_args(b, run)))
    assert problem is None, f"{run}: {problem}"


def test_each_shape_is_one_xdist_group(request):
    """`make test` runs a shape's tests on one worker (tests/conftest.py: group_of): they write to
    one workbook, and two renders of one workbook at once fail."""
    from conftest import group_of

    items = [i for i in request.session.items if i.nodeid.startswith("tests/test_ablation.py")]
    shaped = [i for i in items if "shape" in getattr(getattr(i, "callspec", None), "params", {})]
    if not shaped:
        pytest.skip("no shape's test is selected")
    wrong = [
        i.nodeid for i in shaped if group_of(i.nodeid) != f"ablation-{i.callspec.params['shape']}"
    ]
    assert wrong == []


def test_render_notebook_finds_a_name_in_the_workbook(built, tmp_path, monkeypatch):
    """`render --notebook NAME` looks in the workbook's notebooks/ too, not only the current
    folder, and a notebook for any scope (03_monitoring) is not refused."""
    from salescoach.data.workbook import Workbook
    from salescoach.packs import render

    b = built("full")
    monkeypatch.chdir(tmp_path)
    wb = Workbook.open(b.wb)
    for name in ("03_monitoring", "notebooks/03_monitoring.ipynb", "rep_review.ipynb"):
        assert render.find_notebook(wb, name).parent == (b.wb / "notebooks").resolve()
    plan = render.plan_notebook(wb, "03_monitoring", period=PERIOD)
    assert [s.kind for s in plan.specs] == ["company"]
    assert plan.specs[0].parameters(b.wb)["scope"] == "company"
    plan = render.plan_notebook(wb, "03_monitoring", reps=[b.rep], period=PERIOD)
    assert plan.specs[0].parameters(b.wb) | {"scope": "rep", "scope_id": b.rep} == (
        plan.specs[0].parameters(b.wb)
    )
    result = b.cli("render", "--notebook", "no_such_notebook", "--period", PERIOD)
    assert result.exit_code == 2 and "no such notebook" in result.output


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_can_be_rendered(notebook):
    """Nothing in a notebook of notebooks/ stops `render --notebook` (the cycle's notebooks
    declare scope and scope_id, which render fills)."""
    from salescoach.packs import notebook_templates

    assert [str(p) for p in notebook_templates.static_problems(notebook)] == []
    assert notebook_templates.scope_of(notebook_templates.parameters(notebook)) in (
        "any",
        "company",
        "department",
        "team",
        "rep",
    )
