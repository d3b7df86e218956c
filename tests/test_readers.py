"""A quote never closed costs its own row only: the rows after it are read, counted and stored."""

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from salescoach.data.importer import validate_path
from salescoach.data.readers import MAX_FIELD_LINES, read_raw

HEADERS = {
    "reps": ["rep_id", "name", "team", "department"],
    "customers": ["customer_id", "name", "segment", "region"],
    "orders": ["order_id", "rep_id", "product_id", "order_date", "quantity", "unit_price"],
}


def _rows(table: str, n: int) -> list[list[str]]:
    make = {
        "reps": lambda i: [f"R{i}", f"Rep {i}", "Alpha", "North"],
        "customers": lambda i: [f"C{i}", f"Customer {i}", "retail", "North"],
        "orders": lambda i: [f"O{i}", f"R{i % 5}", "P1", "2026-01-02", "1", "10.5"],
    }[table]
    return [make(i) for i in range(n)]


def _csv(header, rows, sep=",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


def _with_open_quote(text: str, line: int, cell: int, sep: str = ",") -> str:
    """The text with a quote opened at the start of one cell of one line (0 = the header)."""
    lines = text.split("\n")
    cells = lines[line].split(sep)
    cells[cell] = '"' + cells[cell]
    lines[line] = sep.join(cells)
    return "\n".join(lines)


def _folder(tmp_path: Path, table: str, text: str) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    reps = _csv(HEADERS["reps"], _rows("reps", 5))
    (folder / "reps.csv").write_text(text if table == "reps" else reps)
    if table != "reps":
        (folder / f"{table}.csv").write_text(text)
    if table == "orders":
        (folder / "products.csv").write_text("product_id,name\nP1,Widget\n")
    return folder


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(sorted(HEADERS)),
    n=st.integers(min_value=1, max_value=120),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    cell=st.integers(min_value=0, max_value=3),
    sep=st.sampled_from([",", ";"]),
)
def test_an_unbalanced_quote_costs_one_row_and_the_rest_is_imported(
    tmp_path_factory, table, n, where, cell, sep
):
    rows = _rows(table, n)
    bad = int(where * n)  # 0-based data row
    text = _with_open_quote(_csv(HEADERS[table], rows, sep), bad + 1, cell, sep)
    tmp = tmp_path_factory.mktemp("quote")
    result = validate_path(_folder(tmp, table, text))
    count = next(c for c in result.counts if c.table == table)
    assert count.read == count.stored + count.merged + count.rejected == n
    quote = result.rejects[result.rejects["reason"].str.contains("unbalanced quote")]
    assert quote[["table", "row"]].values.tolist() == [[table, bad + 2]]
    key = HEADERS[table][0]
    stored = set(result.tables[table][key])
    assert stored == {r[0] for i, r in enumerate(rows) if i != bad}


def test_the_reported_case_300_orders_quote_at_row_69(tmp_path):
    text = _with_open_quote(_csv(HEADERS["orders"], _rows("orders", 300)), 68, 1)
    result = validate_path(_folder(tmp_path, "orders", text))
    orders = next(c for c in result.counts if c.table == "orders")
    assert (orders.read, orders.stored, orders.rejected) == (300, 299, 1)
    row = result.rejects[result.rejects["table"] == "orders"].iloc[0]
    assert row["row"] == 69 and row["column"] == "(whole row)"
    assert row["value"] == 'O67,"R2,P1,2026-01-02,1,10.5'
    assert "O299" in set(result.tables["orders"]["order_id"])


@pytest.mark.parametrize(
    "text, rows, index, broken",
    [
        # A quoted newline is one row, numbered as a spreadsheet numbers it.
        (
            'id,note,x\n1,"two\nlines",a\n2,b,c\n',
            [["1", "two\nlines", "a"], ["2", "b", "c"]],
            [2, 3],
            [],
        ),
        # A doubled quote inside a quoted field, and a quote inside an unquoted one.
        (
            'id,note,x\n1,"say ""hi""",a\n2,5" screen,c\n',
            [["1", 'say "hi"', "a"], ["2", '5" screen', "c"]],
            [2, 3],
            [],
        ),
        # A blank line is a row of the sheet, not of the data.
        ("id,note,x\n1,a,b\n\n2,c,d\n", [["1", "a", "b"], ["2", "c", "d"]], [2, 4], []),
        # Opened on the last line: runs to the end of the file.
        ('id,note,x\n1,a,b\n2,"c,d\n', [["1", "a", "b"]], [2], [3]),
        # Opened in the last column, the next line is a whole row.
        ('id,note,x\n1,a,"b\n2,c,d\n3,e,f\n', [["2", "c", "d"], ["3", "e", "f"]], [3, 4], [2]),
        # Two quotes never closed: each costs its row.
        (
            'id,note,x\n1,"a,b\n2,c,d\n3,"e,f\n4,g,h\n',
            [["2", "c", "d"], ["4", "g", "h"]],
            [3, 5],
            [2, 4],
        ),
        # Old Mac endings (\r alone).
        ('id,note,x\r1,"a,b\r2,c,d\r3,e,f', [["2", "c", "d"], ["3", "e", "f"]], [3, 4], [2]),
        # CRLF endings.
        ('id,note,x\r\n1,"a,b\r\n2,c,d\r\n', [["2", "c", "d"]], [3], [2]),
    ],
)
def test_careful_reading(tmp_path, text, rows, index, broken):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    raw = read_raw(path)
    assert raw.frame.values.tolist() == rows
    assert raw.frame.index.tolist() == index
    assert [b[0] for b in raw.broken_rows] == broken
    assert all("unbalanced quote" in b[2] for b in raw.broken_rows)


def test_a_long_quoted_field_is_kept_up_to_the_limit(tmp_path):
    note = "\n".join(f"line {i}" for i in range(MAX_FIELD_LINES))
    path = tmp_path / "t.csv"
    path.write_text(f'id,note\n1,"{note}"\n2,x\n3,"{note}\nmore"\n4,y\n')
    raw = read_raw(path)
    assert raw.frame["id"].tolist()[:2] == ["1", "2"] and raw.frame["id"].iloc[-1] == "4"
    assert raw.frame.loc[2, "note"] == note
    # Past the limit the field is taken for a quote never closed; its lines are read as rows
    # (which the importer then rejects for their missing cells), never dropped unseen.
    assert [b[0] for b in raw.broken_rows] == [4]
