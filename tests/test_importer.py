"""The import path: mappings, rejects with reasons, cross-table checks, encodings."""

from pathlib import Path

import pandas as pd
import pytest

from salescoach.data.importer import MappingError, validate_path

DATA = Path(__file__).parent / "data"
CRM = DATA / "crm_export" / "mapping.yaml"


def _write(folder: Path, files: dict[str, str], encoding="utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode(encoding))
    return folder


REPS = "rep_id,name,team,department\nR1,Ana,A,North\nR2,Bo,B,South\n"


def _reasons(result, table=None):
    r = result.rejects
    if table:
        r = r[r["table"] == table]
    return list(zip(r["row"], r["column"], r["value"], r["reason"]))


@pytest.fixture(scope="module")
def crm():
    return validate_path(CRM)


def test_crm_export_rows_add_up(crm):
    for c in crm.counts:
        assert c.read == c.stored + c.merged + c.rejected, c


def test_crm_export_misspelt_product_is_named_with_a_suggestion(crm):
    reasons = _reasons(crm, "deals")
    assert (
        3,
        "product_id",
        "Widget-Pro",
        "unknown product_id 'Widget-Pro' (not in products; did you mean 'Widget Pro'?)",
    ) in reasons


def test_crm_export_coded_stages_translate_and_unknown_codes_are_rejected(crm):
    deals = crm.tables["deals"]
    assert set(deals["stage"]) <= {"open", "won", "lost"}
    assert (5, "stage", "Negotiation", "expected one of: open, won, lost") in _reasons(crm, "deals")


def test_crm_export_windows_1252_names_read_correctly(crm):
    names = set(crm.tables["reps"]["name"])
    assert {"Ana Martínez", "Björn Öberg", "Chloé Lefèvre"} == names
    assert crm.counts[0].encoding == "cp1252"


def test_crm_export_day_first_dates(crm):
    deal = crm.tables["deals"].set_index("deal_id").loc["D-1"]
    assert deal["close_date"] == pd.Timestamp("2026-02-20")
    assert (6, "order_date", "31/02/2026", "not a date (expected %d/%m/%Y)") in _reasons(
        crm, "orders"
    )


def test_crm_export_products_from_order_lines_merge_and_conflicts_are_reported(crm):
    products = crm.tables["products"]
    assert sorted(products["product_id"]) == ["Gadget Mini", "Widget Pro"]
    count = next(c for c in crm.counts if c.table == "products")
    assert (count.merged, count.rejected) == (2, 1)
    assert "conflicting duplicate product_id (first at row 3)" in [
        r[3] for r in _reasons(crm, "products")
    ]


def test_crm_export_dates_out_of_order_and_missing_close_date(crm):
    reasons = [r[3] for r in _reasons(crm, "deals")]
    assert "close_date 2026-03-10 is before created_date 2026-03-20" in reasons
    assert "a won or lost deal needs close_date" in reasons


def test_crm_export_one_source_column_feeds_two(crm):
    reps = crm.tables["reps"]
    assert (reps["rep_id"] == reps["email"]).all()


def test_order_amount_derived_from_unit_price(crm):
    orders = crm.tables["orders"]
    assert (orders["amount"] == orders["quantity"] * orders["unit_price"]).all()


def test_unknown_rep_gets_no_misleading_suggestion(crm):
    assert (
        6,
        "rep_id",
        "zoe@example.com",
        "unknown rep_id 'zoe@example.com' (not in reps)",
    ) in _reasons(crm, "deals")


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"reps.csv": "rep_id,name,team\nR1,Ana,A\n", "deals.csv": "deal_id,rep_id,stage\n"},
            "reps.csv: required column 'department' of reps not found",
        ),
        (
            {"reps.csv": REPS, "orders.csv": "order_id,rep_id,product_id,order_date,quantity\n"},
            "orders.csv: orders needs a column for one of unit_price, amount",
        ),
        ({"reps.csv": "", "deals.csv": "deal_id,rep_id,stage\n"}, "reps.csv: the file is empty"),
        ({"notes.txt": "hello"}, "no contract tables found"),
    ],
)
def test_wrong_input_stops_with_one_sentence(tmp_path, files, message):
    folder = _write(tmp_path / "d", files)
    with pytest.raises(MappingError) as exc:
        validate_path(folder)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    "mapping, message",
    [
        ("tables:\n  deels: {file: x.csv}\n", "'deels' is not a contract table"),
        (
            "tables:\n  reps: {file: reps.csv, columns: {rep_id: Id, nme: Name}}\n",
            "'nme' is not a column of reps",
        ),
        (
            "tables:\n  reps: {file: reps.csv, columns: {rep_id: Id, name: Name, team: T, department: D}}\n",
            "column 'Id' (mapped to reps.rep_id) not found",
        ),
        (
            "tables:\n  reps: {file: reps.csv, columns: {rep_id: rep_id, name: name}}\n",
            "gives no column for reps.team, which is required",
        ),
        ("tables:\n  reps: {file: reps.csv, colums: {}}\n", "unknown key 'colums'"),
        ("tables: [1, 2]\n", "expected a `tables:` section"),
    ],
)
def test_wrong_mapping_names_the_problem(tmp_path, mapping, message):
    _write(tmp_path, {"reps.csv": REPS})
    (tmp_path / "m.yaml").write_text(mapping)
    with pytest.raises(MappingError, match=None) as exc:
        validate_path(tmp_path / "m.yaml")
    assert message in str(exc.value)


def test_duplicate_ids_keep_the_first_and_report_the_rest(tmp_path):
    folder = _write(
        tmp_path,
        {
            "reps.csv": REPS + "R1,Ann again,A,North\n",
            "deals.csv": "deal_id,rep_id,stage\nD1,R1,open\n",
        },
    )
    result = validate_path(folder)
    assert _reasons(result, "reps") == [(4, "rep_id", "R1", "duplicate rep_id (first at row 2)")]
    assert result.tables["reps"].set_index("rep_id").loc["R1", "name"] == "Ana"


def test_rows_naming_a_rejected_parent_say_so(tmp_path):
    folder = _write(
        tmp_path,
        {
            "reps.csv": REPS + "R3,,C,East\n",
            "deals.csv": "deal_id,rep_id,stage\nD1,R3,open\nD2,R1,open\n",
        },
    )
    result = validate_path(folder)
    assert _reasons(result, "deals") == [
        (2, "rep_id", "R3", "rep_id 'R3' was rejected in reps (reps.csv row 4)")
    ]


def test_targets_scope_ids_are_checked_against_reps(tmp_path):
    folder = _write(
        tmp_path,
        {
            "reps.csv": REPS,
            "deals.csv": "deal_id,rep_id,stage\nD1,R1,open\n",
            "targets.csv": "scope,scope_id,period,metric,target\ncompany,,2026,revenue,100\nteam,A,2026-Q1,revenue,10\n"
            "team,Z,2026-Q1,revenue,10\nrep,,2026-Q1,revenue,5\n",
        },
    )
    result = validate_path(folder)
    reasons = [(row, reason) for row, _, _, reason in _reasons(result, "targets")]
    assert reasons == [
        (4, "unknown team 'Z' (not in reps)"),
        (5, "scope_id is required unless scope is company"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path, encoding):
    text = "rep_id;name;team;department\nR1;José Müller;A;Norð\n"
    folder = _write(
        tmp_path, {"reps.csv": text, "deals.csv": "deal_id,rep_id,stage\nD1,R1,open\n"}, encoding
    )
    # deals.csv in the same (odd) encoding is fine too: each file is detected on its own.
    result = validate_path(folder)
    assert result.tables["reps"]["name"].tolist() == ["José Müller"]
    assert result.tables["reps"]["department"].tolist() == ["Norð"]


def test_parquet_and_excel_sources(tmp_path):
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2"],
            "name": ["Ana", "Bo"],
            "team": ["A", "B"],
            "department": ["N", "S"],
        }
    )
    reps.to_parquet(tmp_path / "reps.parquet")
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D2"],
            "rep_id": ["R1", "R2"],
            "stage": ["won", "won"],
            "close_date": [pd.Timestamp("2026-01-05"), "not yet"],
            "amount": [100, 200],
        }
    )
    deals.to_excel(tmp_path / "deals.xlsx", index=False)
    result = validate_path(tmp_path)
    assert len(result.tables["reps"]) == 2
    assert result.tables["deals"]["close_date"].tolist() == [pd.Timestamp("2026-01-05")]
    assert _reasons(result, "deals") == [
        (3, "close_date", "not yet", "not a date (expected YYYY-MM-DD)")
    ]


def test_nothing_usable(tmp_path):
    folder = _write(
        tmp_path,
        {
            "reps.csv": "rep_id,name,team,department\nR1,,A,N\n",
            "deals.csv": "deal_id,rep_id,stage\nD1,R1,open\n",
        },
    )
    result = validate_path(folder)
    assert not result.usable
    assert sum(c.rejected for c in result.counts) == 2
