"""Mappings of real CRM and ERP exports: `files:` + `query:` (DuckDB SQL) and the declarative forms."""

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.data.importer import MappingError, validate_path

EXPORTS = Path(__file__).parent / "data" / "exports"
MARKETPLACE = EXPORTS / "marketplace"


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _reasons(result, table):
    r = result.rejects[result.rejects["table"] == table]
    return list(zip(r["file"], r["row"], r["column"], r["value"], r["reason"]))


@pytest.fixture(scope="module")
def marketplace_sql():
    return validate_path(MARKETPLACE / "mapping-sql.yaml")


def test_the_promised_query_imports_deals_from_two_files(marketplace_sql):
    deals = marketplace_sql.tables["deals"].set_index("deal_id")
    won = deals.loc["a1f0c2e9"]
    assert (won["rep_id"], won["support_rep_id"], won["stage"]) == ("sr-bruno", "sdr-ana", "won")
    # A timestamp from the export is read as its date by the kit's own date parser.
    assert won["close_date"] == pd.Timestamp("2018-02-10")
    assert won["created_date"] == pd.Timestamp("2018-01-03")
    assert won["lead_source"] == "paid_search"


def test_rows_add_up_for_query_tables(marketplace_sql):
    for c in marketplace_sql.counts:
        assert c.read == c.stored + c.merged + c.rejected, c


def test_rejects_name_the_query_and_its_result_row(marketplace_sql):
    assert (
        "mapping-sql.yaml: tables.deals.query",
        8,
        "close_date",
        "2018-02-01 08:00:00",
        "close_date 2018-02-01 is before created_date 2018-02-06",
    ) in _reasons(marketplace_sql, "deals")
    assert (
        "mapping-sql.yaml: tables.feedback.query",
        5,
        "score",
        "7",
        "must be between 1 and 5 (the scale the mapping declares)",
    ) in _reasons(marketplace_sql, "feedback")


def test_scores_on_a_declared_scale_are_stored_on_0_to_10(marketplace_sql):
    scores = marketplace_sql.tables["feedback"].set_index("feedback_id")["score"]
    assert scores.to_dict() == {"r-1": 10.0, "r-2": 7.5, "r-3": 0.0, "r-4": 5.0}


def test_ids_with_leading_zeros_stay_text(tmp_path):
    _write(
        tmp_path,
        {
            "people.csv": "id,name\n007,Bond\n010,Moneypenny\n",
            "m.yaml": "files: {people: people.csv}\ntables:\n  reps:\n    query: |\n"
            "      SELECT id AS rep_id, name, 'A' AS team, 'B' AS department FROM people\n",
        },
    )
    reps = validate_path(tmp_path / "m.yaml").tables["reps"]
    assert list(reps["rep_id"]) == ["007", "010"]


def test_query_reads_excel_sheets_and_detected_encodings(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Staff"
    sheet.append(["Sales staff, exported 2026-03-01"])
    sheet.append([])
    sheet.append(["Code", "Name", "Team", "Hired"])
    sheet.append(["R1", "Ana", "North", pd.Timestamp("2024-05-01").to_pydatetime()])
    book.save(tmp_path / "staff.xlsx")
    (tmp_path / "regions.csv").write_bytes("team;region\nNorth;Zürich\n".encode("cp1252"))
    (tmp_path / "m.yaml").write_text(
        "files:\n"
        "  staff: {file: staff.xlsx, sheet: Staff, header_row: 3}\n"
        "  regions: regions.csv\n"
        "tables:\n  reps:\n    query: |\n"
        "      SELECT Code AS rep_id, Name AS name, s.Team AS team, region AS department,\n"
        "             Hired AS hire_date\n"
        "      FROM staff s JOIN regions r ON r.team = s.Team\n",
        encoding="utf-8",
    )
    reps = validate_path(tmp_path / "m.yaml").tables["reps"]
    assert reps.iloc[0].to_dict() == {
        "rep_id": "R1",
        "name": "Ana",
        "team": "North",
        "department": "Zürich",
        "hire_date": pd.Timestamp("2024-05-01"),
        "role": "seller",
    }


def test_values_and_date_format_apply_to_query_results(tmp_path):
    _write(
        tmp_path,
        {
            "reps.csv": "rep_id,name,team,department\nR1,Ana,A,North\n",
            "deals.csv": "id,owner,status,closed\nD1,R1,Closed Won,03/02/2026\n",
            "m.yaml": "files: {deals: deals.csv}\ntables:\n  reps: {file: reps.csv}\n"
            "  deals:\n    query: SELECT id AS deal_id, owner AS rep_id, status AS stage,"
            " closed AS close_date FROM deals\n"
            "    values: {stage: {Closed Won: won}}\n    date_format: '%d/%m/%Y'\n",
        },
    )
    deal = validate_path(tmp_path / "m.yaml").tables["deals"].iloc[0]
    assert (deal["stage"], deal["close_date"]) == ("won", pd.Timestamp("2026-02-03"))


def test_query_may_read_a_file_beside_the_mapping_by_name(tmp_path):
    _write(
        tmp_path,
        {
            "reps.csv": "rep_id,name,team,department\nR1,Ana,A,North\n",
            "m.yaml": "tables:\n  reps:\n    query: SELECT * FROM 'reps.csv'\n",
        },
    )
    assert list(validate_path(tmp_path / "m.yaml").tables["reps"]["rep_id"]) == ["R1"]


@pytest.mark.parametrize(
    "query, says",
    [
        ("SELECT nope FROM people", 'Referenced column "nope" not found'),
        ("SELEC 1", "syntax error"),
        ("SELECT * FROM nobody", "nobody"),
    ],
)
def test_a_failing_query_is_one_user_error_naming_the_table(tmp_path, query, says):
    _write(
        tmp_path,
        {
            "people.csv": "id,name\n1,Ana\n",
            "m.yaml": f"files: {{people: people.csv}}\ntables:\n  reps:\n    query: {query}\n",
        },
    )
    with pytest.raises(MappingError) as err:
        validate_path(tmp_path / "m.yaml")
    assert str(err.value).startswith("m.yaml: tables.reps.query: the query failed: ")
    assert says in str(err.value)
    result = CliRunner().invoke(
        main, ["--workbook", str(tmp_path / "wb"), "validate", str(tmp_path / "m.yaml")]
    )
    assert result.exit_code == 2
    assert "tables.reps.query: the query failed" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "yaml_text, says",
    [
        (
            "files: {x: nothere.csv}\ntables: {reps: {query: SELECT 1}}\n",
            "nothere.csv: no such file",
        ),
        ("files: {bad-name: people.csv}\ntables: {reps: {query: SELECT 1}}\n", "letters, digits"),
        ("tables: {reps: {query: SELECT 1, file: people.csv}}\n", "not both"),
        ("tables: {reps: {columns: {rep_id: id}}}\n", "needs a `file:` or a `query:`"),
        ("house: 1\ntables: {reps: {file: people.csv}}\n", "unknown key 'house'"),
    ],
)
def test_mapping_mistakes_are_named(tmp_path, yaml_text, says):
    _write(tmp_path, {"people.csv": "id,name\n1,Ana\n", "m.yaml": yaml_text})
    with pytest.raises(MappingError, match=says):
        validate_path(tmp_path / "m.yaml")


def test_a_query_missing_a_required_column_names_it(tmp_path):
    _write(
        tmp_path,
        {
            "people.csv": "id,name\n1,Ana\n",
            "m.yaml": "files: {people: people.csv}\ntables:\n  reps:\n"
            "    query: SELECT id AS rep_id, name FROM people\n",
        },
    )
    with pytest.raises(MappingError, match="required column 'team' of reps not found"):
        validate_path(tmp_path / "m.yaml")


# --------------------------------------------------------------------------- declarative forms


def _same_rows(a, b):
    for name, frame in b.tables.items():
        x = a.tables[name]
        key = list(x.columns[:2])
        left = x.sort_values(key).reset_index(drop=True)
        right = frame[x.columns].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False)
    assert set(a.tables) == set(b.tables)
    assert [(c.table, c.stored, c.rejected) for c in a.counts] == [
        (c.table, c.stored, c.rejected) for c in b.counts
    ]
    assert list(a.rejects["reason"]) == list(b.rejects["reason"])


EXPORT_NAMES = ["marketplace", "erp", "salesforce", "hubspot", "pipedrive", "odoo"]


@pytest.mark.parametrize("export", EXPORT_NAMES)
def test_declarative_mapping_and_sql_import_the_same_rows(export):
    _same_rows(
        validate_path(EXPORTS / export / "mapping.yaml"),
        validate_path(EXPORTS / export / "mapping-sql.yaml"),
    )


@pytest.fixture(scope="module")
def erp():
    return validate_path(EXPORTS / "erp" / "mapping.yaml")


def test_template_joins_names_and_skips_a_blank_part(erp):
    names = erp.tables["reps"].set_index("rep_id")["name"]
    assert names["E100"] == "Maria Papadopoulou"
    assert names["E104"] == "Sofia"


def test_where_keeps_the_rows_named(erp):
    assert "E103" not in set(erp.tables["reps"]["rep_id"])  # a warehouse clerk
    assert "SO-5003" not in set(erp.tables["orders"]["order_id"])  # cancelled


def test_join_brings_in_columns_and_rejects_name_the_base_file_row(erp):
    orders = erp.tables["orders"].set_index(["order_id", "line"])
    line = orders.loc[("SO-5002", 2.0)]
    assert (line["rep_id"], line["order_date"], line["discount"]) == (
        "E101",
        pd.Timestamp("2026-01-15"),
        0.2,
    )
    assert erp.tables["products"].set_index("product_id")["family"]["V-050"] == "Valves"
    assert ("order_lines.csv", 9, "rep_id", "E999", "unknown rep_id 'E999' (not in reps)") in (
        _reasons(erp, "orders")
    )


def test_union_gives_each_source_its_role(tmp_path):
    result = validate_path(MARKETPLACE / "mapping.yaml")
    reps = result.tables["reps"].set_index("rep_id")
    assert reps.loc["sdr-ana", "role"] == "support" and reps.loc["sr-bruno", "role"] == "seller"
    assert next(c for c in result.counts if c.table == "reps").merged == 6


def _mapping(tmp_path, table_yaml: str, files: dict[str, str] | None = None) -> Path:
    files = files or {
        "staff.csv": "id,first,last,group,score\n1,Ana,Lima,A,4\n2,Bo,,B,2\n",
        "groups.csv": "group,dept\nA,North\nB,South\n",
    }
    _write(tmp_path, {**files, "m.yaml": "tables:\n  reps:\n" + table_yaml})
    return tmp_path / "m.yaml"


def test_const_and_expressions(tmp_path):
    path = _mapping(
        tmp_path,
        "    file: staff.csv\n"
        "    columns: {rep_id: \"'R' || id\", name: first, team: group}\n"
        "    const: {department: Inside Sales}\n",
    )
    reps = validate_path(path).tables["reps"]
    assert list(reps["rep_id"]) == ["R1", "R2"]
    assert set(reps["department"]) == {"Inside Sales"}


def test_where_as_sql(tmp_path):
    path = _mapping(
        tmp_path,
        "    file: staff.csv\n    columns: {rep_id: id, name: first, team: group}\n"
        "    const: {department: X}\n    where: score * 2 > 5\n",
    )
    assert list(validate_path(path).tables["reps"]["rep_id"]) == ["1"]


@pytest.mark.parametrize(
    "table_yaml, says",
    [
        (
            "    file: staff.csv\n    columns: {rep_id: id, name: frist, team: group}\n"
            "    const: {department: X}\n",
            "column 'frist' (mapped to reps.name) not found",
        ),
        (
            "    file: staff.csv\n    columns: {rep_id: id, name: '{first} {lsat}', team: group}\n"
            "    const: {department: X}\n",
            "column 'lsat' (mapped to reps.name) not found",
        ),
        (
            "    file: staff.csv\n    join: {file: groups.csv, on: grp}\n"
            "    columns: {rep_id: id, name: first, team: group, department: dept}\n",
            "tables.reps.join[0]: key column 'grp' not found in staff.csv; the columns are: first,",
        ),
        (
            "    file: staff.csv\n    join: {file: groups.csv}\n"
            "    columns: {rep_id: id, name: first, team: group, department: dept}\n",
            "a join needs `file:` and `on:`",
        ),
        (
            "    file: staff.csv\n    columns: {rep_id: id, name: first, team: group}\n"
            "    const: {department: X}\n    where: nope = 1\n",
            "tables.reps: the query failed: Binder Error",
        ),
        (
            "    file: staff.csv\n    columns: {rep_id: id, name: first, team: group}\n"
            "    const: {departmnet: X}\n",
            "'departmnet' is not a column of reps",
        ),
    ],
)
def test_declarative_mistakes_are_named(tmp_path, table_yaml, says):
    with pytest.raises(MappingError, match=re.escape(says)):
        validate_path(_mapping(tmp_path, table_yaml))


def test_a_join_on_a_repeated_key_is_refused(tmp_path):
    path = _mapping(
        tmp_path,
        "    file: staff.csv\n    join: {file: groups.csv, on: group}\n"
        "    columns: {rep_id: id, name: first, team: group, department: dept}\n",
        {
            "staff.csv": "id,first,group\n1,Ana,A\n",
            "groups.csv": "group,dept\nA,North\nA,South\n",
        },
    )
    with pytest.raises(MappingError, match="groups.csv has 2 rows for group 'A'"):
        validate_path(path)


# --------------------------------------------------------------------------- unassigned leads

_LEADS = {
    "reps.csv": "rep_id,name,team,department\nR1,Ana,A,North\nHOUSE,House account,House,House\n",
    "deals.csv": "deal_id,rep_id,stage,close_date,lead_source\nD1,R1,won,2026-01-05,web\n"
    "D2,,open,,web\nD3,,lost,2026-01-09,fair\nD4,,won,2026-01-10,fair\n",
    "orders.csv": "order_id,rep_id,product_id,order_date,quantity,unit_price\n"
    "O1,R1,P1,2026-01-05,1,10\nO2,,P1,2026-01-06,2,10\n",
}


def _leads(tmp_path, house: str = "") -> Path:
    tables = "tables:\n  reps: {file: reps.csv}\n  deals: {file: deals.csv}\n  orders: {file: orders.csv}\n"
    return _write(tmp_path, {**_LEADS, "m.yaml": house + tables}) / "m.yaml"


def test_open_and_lost_deals_may_be_unassigned_leads(tmp_path):
    result = validate_path(_leads(tmp_path))
    deals = result.tables["deals"].set_index("deal_id")
    assert list(deals.index) == ["D1", "D2", "D3"]
    assert deals.loc[["D2", "D3"], "rep_id"].isna().all()
    assert _reasons(result, "deals") == [
        (
            "deals.csv",
            5,
            "rep_id",
            "",
            "a won deal needs a rep_id (open and lost deals may be unassigned); "
            "name a house_account in the mapping for sales without a rep",
        )
    ]
    assert [r[4] for r in _reasons(result, "orders")] == [
        "an order needs a rep_id; name a house_account in the mapping for sales without a rep"
    ]


def test_unassigned_leads_count_in_lead_source_conversion(tmp_path):
    from salescoach.domain.insights import InsightRules, lead_sources

    deals = validate_path(_leads(tmp_path)).tables["deals"]
    table = lead_sources(deals, InsightRules())
    assert table.loc["web", "leads"] == 2 and table.loc["fair", "leads"] == 1


def test_house_account_takes_sales_without_a_rep(tmp_path):
    result = validate_path(_leads(tmp_path, "house_account: HOUSE\n"))
    assert result.rejects.empty
    deals = result.tables["deals"].set_index("deal_id")
    assert deals.loc["D4", "rep_id"] == "HOUSE"
    assert pd.isna(deals.loc["D2", "rep_id"])  # an open lead stays unassigned
    assert result.tables["orders"].set_index("order_id").loc["O2", "rep_id"] == "HOUSE"


def test_house_account_per_table(tmp_path):
    path = _leads(tmp_path)
    path.write_text(
        path.read_text().replace(
            "orders: {file: orders.csv}", "orders: {file: orders.csv, house_account: HOUSE}"
        )
    )
    result = validate_path(path)
    assert result.tables["orders"]["rep_id"].notna().all()
    assert len(_reasons(result, "deals")) == 1


# --------------------------------------------------------------------------- money semantics


def test_net_price_is_checked_against_list_price_and_discount(erp):
    assert (
        "order_lines.csv",
        12,
        "unit_price",
        "80.00",
        "unit_price 80.00 is not unit_list_price 85.00 x (1 - discount 0.1) = 76.50",
    ) in _reasons(erp, "orders")


def _orders(tmp_path, header: str, rows: str):
    _write(
        tmp_path,
        {
            "reps.csv": "rep_id,name,team,department\nR1,Ana,A,North\n",
            "orders.csv": "order_id,rep_id,product_id,order_date,quantity," + header + rows,
            "m.yaml": "tables:\n  reps: {file: reps.csv}\n  orders: {file: orders.csv}\n",
        },
    )
    return validate_path(tmp_path / "m.yaml")


def test_net_price_is_derived_from_list_price_and_discount(tmp_path):
    result = _orders(tmp_path, "unit_list_price,discount\n", "O1,R1,P1,2026-01-05,3,200,15%\n")
    order = result.tables["orders"].iloc[0]
    assert (order["unit_price"], order["amount"]) == (170.0, 510.0)


@pytest.mark.parametrize(
    "rows, rejected",
    [
        ("O1,R1,P1,2026-01-05,3,10.00,30.00\n", []),
        ("O1,R1,P1,2026-01-05,3,3.33,10.00\n", []),  # 3 x 3.333... written to the cent
        (
            "O1,R1,P1,2026-01-05,3,10.00,25.00\n",
            ["amount 25.00 is not quantity 3 x unit_price 10.00 = 30.00"],
        ),
    ],
)
def test_amount_is_quantity_times_net_price(tmp_path, rows, rejected):
    result = _orders(tmp_path, "unit_price,amount\n", rows)
    assert [r[4] for r in _reasons(result, "orders")] == rejected


def test_scale_is_for_feedback_and_known_scales_only(tmp_path):
    _write(tmp_path, {"m.yaml": "tables:\n  reps: {file: reps.csv, scale: 1-5}\n"})
    with pytest.raises(MappingError, match="feedback scores declare one of 0-10, 1-5, 1-10"):
        validate_path(tmp_path / "m.yaml")


# --------------------------------------------------------------------------- real export shapes


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize(
    "export, period",
    [
        ("marketplace", "2018-Q1"),
        ("erp", "2026-Q1"),
        ("salesforce", "2026-Q1"),
        ("hubspot", "2026-Q1"),
        ("pipedrive", "2026-Q1"),
        ("odoo", "2026-Q1"),
    ],
)
def test_every_export_imports_and_the_cycle_runs_on_it(tmp_path, export, period):
    wb = tmp_path / "wb"
    assert _cli("init", wb).exit_code == 0
    imported = _cli("--workbook", wb, "import", EXPORTS / export / "mapping.yaml")
    assert imported.exit_code == 0, imported.output
    for args in (
        ("diagnose", "--period", period),
        ("goals", "suggest", "--period", period),
    ):
        result = _cli("--workbook", wb, *args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output and "error:" not in result.output


def test_hubspot_unassigned_leads_and_the_house_account():
    deals = validate_path(EXPORTS / "hubspot" / "mapping.yaml").tables["deals"].set_index("deal_id")
    assert deals.loc[["9817263504", "9817263505", "9817263506"], "rep_id"].isna().all()
    assert deals.loc["9817263507", "rep_id"] == "Web Sales (house)"


def test_salesforce_footer_lines_are_left_out_and_currency_codes_read():
    result = validate_path(EXPORTS / "salesforce" / "mapping.yaml")
    deals = result.tables["deals"].set_index("deal_id")
    assert len(deals) == 5
    assert deals.loc["0065g00000XyZ1cAAF", "amount"] == 12750.5


# --------------------------------------------------------------------------- draft and preview


def test_draft_guesses_columns_and_says_why(tmp_path):
    result = _cli("mapping", "draft", EXPORTS / "hubspot" / "all-deals.csv")
    assert result.exit_code == 0
    doc = yaml.safe_load(result.output)
    deals = doc["tables"]["deals"]["columns"]
    assert deals["deal_id"] == "Record ID" and deals["rep_id"] == "Deal owner"
    assert deals["lead_source"] == "Original Source Type"
    assert doc["tables"]["reps"]["columns"] == {"rep_id": "Deal owner", "name": "Deal owner"}
    assert "rep_id: Deal owner" in result.output
    assert "# a usual name for rep_id; check it" in result.output
    assert "# the contract's own name" in result.output


def test_draft_joins_first_and_last_names_and_marks_what_is_missing(tmp_path):
    out = tmp_path / "m.yaml"
    erp = EXPORTS / "erp"
    result = _cli(
        "mapping", "draft", erp / "employees.csv", erp / "order_headers.csv", "--out", out
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert 'name: "{First Name} {Last Name}"' in text
    assert "# product_id: TODO" in text
    again = CliRunner().invoke(
        main, ["mapping", "draft", str(erp / "employees.csv"), "--out", str(out)]
    )
    assert again.exit_code == 2 and "--force" in again.output


def test_a_drafted_mapping_validates(tmp_path):
    src = EXPORTS / "erp" / "employees.csv"
    (tmp_path / "employees.csv").write_bytes(src.read_bytes())
    out = tmp_path / "m.yaml"
    assert _cli("mapping", "draft", tmp_path / "employees.csv", "--out", out).exit_code == 0
    assert "file: employees.csv" in out.read_text(encoding="utf-8")
    reps = validate_path(out).tables["reps"]
    assert "Maria Papadopoulou" in set(reps["name"])


def test_validate_shows_the_first_mapped_rows(tmp_path):
    result = _cli(
        "--workbook", tmp_path, "validate", EXPORTS / "erp" / "mapping.yaml", "--rows", "2"
    )
    assert "reps, first 2 of 4 rows:" in result.output
    assert "Maria Papadopoulou" in result.output
    assert "12 Jan 2026" in result.output  # dates as the reader's locale writes them


def test_timestamps_with_a_time_zone_keep_the_day_written(tmp_path):
    _write(
        tmp_path,
        {
            "reps.csv": "rep_id,name,team,department\nR1,Ana,A,N\n",
            "deals.csv": "id,owner,created,closed\nD1,R1,2018-02-20T23:30:00Z,2018-02-26 19:08:29+02:00\n",
            "m.yaml": "files: {d: deals.csv}\ntables:\n  reps: {file: reps.csv}\n  deals:\n"
            "    query: |\n      SELECT id AS deal_id, owner AS rep_id, 'won' AS stage,\n"
            "             created AS created_date, closed AS close_date FROM d\n"
            "      UNION ALL SELECT 'D2', 'R1', 'won', TIMESTAMPTZ '2018-03-01 10:00:00+00',"
            " TIMESTAMPTZ '2018-03-02 10:00:00+00'\n",
        },
    )
    result = validate_path(tmp_path / "m.yaml")
    assert result.rejects.empty, result.rejects
    deals = result.tables["deals"].set_index("deal_id")
    assert deals.loc["D1", "created_date"] == pd.Timestamp("2018-02-20")
    assert deals.loc["D1", "close_date"] == pd.Timestamp("2018-02-26")
    assert deals.loc["D2", "close_date"] == pd.Timestamp("2018-03-02")


def test_ids_stay_text_so_numeric_and_coded_ids_join(tmp_path):
    _write(
        tmp_path,
        {
            "reps.csv": "rep_id,name,team,department\nR1,Ana,A,N\n",
            "lines.csv": "order_no,qty,price\n1001,2,10\n1002,1,5\n",
            "heads.csv": "order_no,seller,date\n1001,R1,2026-01-02\nSO-1,R1,2026-01-03\n1002,R1,2026-01-04\n",
            "m.yaml": "files: {lines: lines.csv, heads: heads.csv}\ntables:\n  reps: {file: reps.csv}\n"
            "  orders:\n    query: |\n      SELECT order_no AS order_id, seller AS rep_id, 'P' AS product_id,"
            " date AS order_date, qty AS quantity, price * 1 AS unit_price\n"
            "      FROM lines JOIN heads USING (order_no)\n",
        },
    )
    orders = validate_path(tmp_path / "m.yaml").tables["orders"]
    assert sorted(orders["order_id"]) == ["1001", "1002"]


# --------------------------------------------------------------------------- linked to orders


def test_feedback_naming_its_order_takes_customer_rep_and_product_from_it(tmp_path):
    _write(
        tmp_path,
        {
            "reps.csv": "rep_id,name,team,department\nR1,Ana,A,N\nR2,Bo,A,N\n",
            "orders.csv": "order_id,rep_id,product_id,order_date,quantity,unit_price,customer_id\n"
            "O1,R1,P1,2026-01-05,1,10,C1\nO2,R2,P1,2026-01-06,1,10,C2\nO2,R2,P2,2026-01-06,1,10,C2\n",
            "reviews.csv": "id,order,stars,when\nF1,O1,2,2026-01-09\nF2,O2,5,2026-01-10\nF3,O9,3,2026-01-11\n",
            "m.yaml": "tables:\n  reps: {file: reps.csv}\n  orders: {file: orders.csv}\n"
            "  feedback:\n    file: reviews.csv\n"
            "    columns: {feedback_id: id, order_id: order, score: stars, date: when}\n"
            "    scale: 1-5\n",
        },
    )
    result = validate_path(tmp_path / "m.yaml")
    feedback = result.tables["feedback"].set_index("feedback_id")
    assert feedback.loc["F1", ["customer_id", "rep_id", "product_id", "score"]].tolist() == [
        "C1",
        "R1",
        "P1",
        2.5,
    ]
    # An order of two products does not say which one the customer meant.
    assert feedback.loc["F2", "customer_id"] == "C2" and pd.isna(feedback.loc["F2", "product_id"])
    assert ("reviews.csv", 4, "customer_id", "", "required value is missing") in _reasons(
        result, "feedback"
    )


def test_a_query_reading_one_file_row_by_row_names_the_file_row():
    result = validate_path(EXPORTS / "salesforce" / "mapping-sql.yaml")
    assert [r[:3] for r in _reasons(result, "deals")] == [("opportunities.csv", 7, "close_date")]
    # DISTINCT gathers rows: the query's own rows are named.
    assert next(c for c in result.counts if c.table == "reps").file == (
        "mapping-sql.yaml: tables.reps.query"
    )


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM people",
        "SELECT p.* FROM people p",
        "SELECT count(*) AS rep_id, 'x' AS name, 'A' AS team, 'B' AS department FROM people",
    ],
)
def test_queries_that_cannot_name_file_rows_still_run(tmp_path, query):
    _write(
        tmp_path,
        {
            "people.csv": "rep_id,name,team,department,score\n1,Ana,A,B,7\n",
            "m.yaml": f"files: {{people: people.csv}}\ntables:\n  reps:\n    query: {query}\n",
        },
    )
    result = validate_path(tmp_path / "m.yaml")
    assert len(result.tables["reps"]) == 1
    assert not [n for n in result.notes if "__" in n]


def test_pipedrive_close_date_is_the_won_or_the_lost_time():
    deals = (
        validate_path(EXPORTS / "pipedrive" / "mapping.yaml").tables["deals"].set_index("deal_id")
    )
    assert deals.loc["101", "close_date"] == pd.Timestamp("2026-02-02")
    assert deals.loc["102", ["close_date", "lost_reason"]].tolist() == [
        pd.Timestamp("2026-02-18"),
        "price",
    ]
    assert pd.isna(deals.loc["106", "rep_id"])  # a lead nobody owns yet


def test_odoo_codes_in_brackets_and_percent_discounts():
    result = validate_path(EXPORTS / "odoo" / "mapping-sql.yaml")
    products = result.tables["products"].set_index("product_id")["name"]
    assert products["FURN_7800"] == "Desk Combination"
    line = result.tables["orders"].iloc[0]
    assert (line["product_id"], line["discount"], line["unit_price"]) == ("FURN_7800", 0.1, 405.0)
    # A column the query takes as is shows in the rejects file as the export wrote it.
    assert ("sale_order_lines.csv", 6, "amount", "420.00") in [
        r[:4] for r in _reasons(result, "orders")
    ]


def test_query_columns_are_contract_columns_whatever_their_case(tmp_path):
    _write(
        tmp_path,
        {
            "people.csv": "id,name\nR1,Ana\n",
            "m.yaml": "files: {people: people.csv}\ntables:\n  reps:\n    query: SELECT id AS Rep_ID,"
            " name AS Name, 'A' AS TEAM, 'B' AS Department FROM people\n",
        },
    )
    reps = validate_path(tmp_path / "m.yaml").tables["reps"]
    assert reps.iloc[0][["rep_id", "name", "team", "department"]].tolist() == [
        "R1",
        "Ana",
        "A",
        "B",
    ]


def test_a_house_account_missing_from_reps_is_named(tmp_path):
    path = _leads(tmp_path, "house_account: HOUSE2\n")
    reasons = [r[4] for r in _reasons(validate_path(path), "orders")]
    assert reasons == [
        "the house account 'HOUSE2' is not in reps: add a row for it (its own team, e.g. House)"
    ]


# --------------------------------------------------------------------------- one person, two roles

_TWO_ROLES = {
    # Pat closes three deals and is the SDR on two; Sam only ever assists, Sue only closes.
    "closed.csv": "deal,closer,sdr,won\n"
    "D1,pat,sam,2026-01-05\nD2,pat,sam,2026-01-06\nD3,pat,,2026-01-07\n"
    "D4,sue,pat,2026-01-08\nD5,sue,pat,2026-01-09\n",
}
_TWO_ROLES_MAPPING = """
files:
  closed: closed.csv
tables:
  reps:
    union:
      - file: closed
        columns: {rep_id: closer, name: closer}
        const: {team: Closers, department: Sales, role: seller}
      - file: closed
        columns: {rep_id: sdr, name: sdr}
        const: {team: SDR, department: Sales, role: support}
        where: "sdr IS NOT NULL"
    distinct: true
  deals:
    file: closed
    columns: {deal_id: deal, rep_id: closer, support_rep_id: sdr, close_date: won}
    const: {stage: won}
"""


def _two_roles(tmp_path, swap: bool = False) -> Path:
    files = dict(_TWO_ROLES)
    if swap:  # Pat the SDR on three deals and closer on two: support is most of the work
        files["closed.csv"] = (
            "deal,closer,sdr,won\nD1,sam,pat,2026-01-05\nD2,sam,pat,2026-01-06\n"
            "D3,sue,pat,2026-01-07\nD4,pat,sam,2026-01-08\nD5,pat,,2026-01-09\n"
        )
    return _write(tmp_path, {**files, "m.yaml": _TWO_ROLES_MAPPING}) / "m.yaml"


@pytest.mark.parametrize(
    "swap, role, team", [(False, "seller", "Closers"), (True, "support", "SDR")]
)
def test_a_person_in_both_roles_of_a_union_is_one_row(tmp_path, swap, role, team):
    result = validate_path(_two_roles(tmp_path, swap))
    assert result.rejects.empty, result.rejects.to_dict("records")
    reps = result.tables["reps"]
    assert sorted(reps["rep_id"]) == ["pat", "sam", "sue"]
    pat = reps.set_index("rep_id").loc["pat"]
    assert (pat["role"], pat["team"]) == (role, team)
    count = next(c for c in result.counts if c.table == "reps")
    assert count.read == count.stored + count.merged + count.rejected


def test_a_person_in_both_roles_with_the_same_count_is_a_seller(tmp_path):
    files = {"closed.csv": "deal,closer,sdr,won\nD1,pat,sam,2026-01-05\nD2,sam,pat,2026-01-06\n"}
    path = _write(tmp_path, {**files, "m.yaml": _TWO_ROLES_MAPPING}) / "m.yaml"
    reps = validate_path(path).tables["reps"].set_index("rep_id")
    assert reps.loc["pat", "role"] == "seller" and reps.loc["sam", "role"] == "seller"
