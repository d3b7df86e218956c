"""Messy exports: every file either imports with read = stored + merged + rejected, or stops
with one sentence naming the file. Never a traceback, never a silent drop."""

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from salescoach.data.exporting import neutralise, write_csv
from salescoach.data.importer import MappingError, validate_path

BAD = Path(__file__).parent / "data" / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir())


def _run(case: str):
    folder = BAD / case
    target = folder / "mapping.yaml" if (folder / "mapping.yaml").exists() else folder
    return validate_path(target)


def _adds_up(result) -> None:
    for c in result.counts:
        assert c.read == c.stored + c.merged + c.rejected, c
    per_table = result.rejects.groupby("table")["row"].nunique()
    for c in result.counts:
        assert per_table.get(c.table, 0) == c.rejected, c


STOPS = {
    "binary_garbage": "reps.csv: cannot tell the text encoding",
    "declared_wrong_delimiter": "reps.csv: column 'rep_id' (mapped to reps.rep_id) not found",
    "empty_file": "reps.csv: the file is empty",
}


@pytest.mark.parametrize("case", CASES)
def test_every_case_adds_up_or_stops_with_one_sentence(case):
    if case in STOPS:
        with pytest.raises(MappingError) as exc:
            _run(case)
        assert STOPS[case] in str(exc.value)
        assert "\n" not in str(exc.value)
    else:
        _adds_up(_run(case))


@pytest.mark.parametrize(
    "case, names",
    [
        ("semicolon_delimiter", ["José Müller", "Zoë Ørsted"]),
        ("tab_delimiter", ["José Müller", "Zoë Ørsted"]),
        ("windows_1252", ["Renée Façade €", "“Smart” O’Neil"]),
        ("utf16", ["Renée Façade €", "“Smart” O’Neil"]),
        ("byte_order_mark", ["Renée Façade €", "“Smart” O’Neil"]),
        ("windows_1253_greek", ["Γιώργος Παπαδόπουλος", "Ελένη Ιωάννου"]),
    ],
)
def test_text_comes_through_intact(case, names):
    assert _run(case).tables["reps"]["name"].tolist() == names


def test_excel_title_rows_and_merged_cells():
    result = _run("excel_title_rows_merged_cells")
    reps = result.tables["reps"].set_index("rep_id")
    # The merged team cell covers R1 and R2, as a reader of the sheet sees it.
    assert reps["team"].to_dict() == {"R1": "Alpha", "R2": "Alpha", "R3": "Beta"}
    assert result.counts[0].rejected == 0


def test_three_date_formats_rejected_with_reason_unless_mapped():
    plain = _run("three_date_formats")
    assert plain.counts[1].stored == 1
    assert "not a date (expected YYYY-MM-DD)" in set(plain.rejects["reason"])
    mapped = _run("three_date_formats_mapped")
    deals = mapped.tables["deals"].set_index("deal_id")
    assert set(deals["created_date"]) == {pd.Timestamp("2026-03-01")}
    assert mapped.rejects[["row", "value"]].values.tolist() == [[5, "2026-13-45"]]


def test_thousands_separators_and_decimal_commas():
    result = _run("thousands_and_decimal_commas")
    prices = result.tables["orders"].set_index("order_id")["unit_price"].to_dict()
    assert prices == {"O1": 1234.5, "O2": 1234.5, "O3": 99.0, "O5": 12500.0}
    assert result.rejects[["row", "value", "reason"]].values.tolist() == [
        [5, "7,5", "not an amount"]
    ]
    declared = _run("decimal_comma_declared").tables["orders"].set_index("order_id")["unit_price"]
    assert declared["O1"] == 1234.5 and declared["O4"] == 7.5


def test_header_only_is_empty_not_an_error():
    result = _run("header_only")
    assert [c.read for c in result.counts] == [0, 0]
    assert not result.usable


def test_one_megabyte_field_survives():
    feedback = _run("one_megabyte_field").tables["feedback"]
    assert feedback["comment"].str.len().max() == 1_000_000


def test_ragged_rows_are_rejected_not_fatal():
    result = _run("ragged_rows")
    broken = result.rejects[result.rejects["column"] == "(whole row)"]
    assert broken[["row", "reason"]].values.tolist() == [[4, "6 cells, the header has 4"]]


def test_formula_text_is_stored_as_text_and_neutralised_on_export(tmp_path):
    result = _run("formula_injection")
    names = result.tables["reps"]["name"].tolist()
    assert names[0].startswith("=HYPERLINK(")
    out = write_csv(result.rejects, tmp_path / "rejects.csv")
    text = out.read_text()
    assert "'=cmd|" in text and ",=cmd" not in text
    reps_out = write_csv(result.tables["reps"], tmp_path / "reps.csv").read_text()
    assert "'=HYPERLINK" in reps_out and "'@SUM" in reps_out


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946", "'+44 20 7946"),
        ("-5", "-5"),
        ("-1.5e3", "-1.5e3"),
        ("@x", "'@x"),
        ("ok", "ok"),
        (3, 3),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


# ---------------------------------------------------------------- fuzzing

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "R1",
            "R2",
            "won",
            "lost",
            "open",
            "2026-01-02",
            "02/01/2026",
            "-3",
            "1,5",
            "=SUM(A1)",
            '"',
            "\r\n",
            ";",
            "\t",
        ]
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    reps=st.lists(st.lists(cell, min_size=1, max_size=6), max_size=8),
    deals=st.lists(st.lists(cell, min_size=1, max_size=6), max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_fuzzed_files_never_crash_and_always_add_up(tmp_path_factory, reps, deals, encoding, sep):
    import csv
    import io

    folder = tmp_path_factory.mktemp("fuzz")
    for name, header, rows in (
        ("reps.csv", ["rep_id", "name", "team", "department"], reps),
        ("deals.csv", ["deal_id", "rep_id", "stage", "close_date", "amount"], deals),
    ):
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
        (folder / name).write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    try:
        result = validate_path(folder)
    except MappingError as exc:
        assert "\n" not in str(exc) and ".csv" in str(exc)
        return
    _adds_up(result)
