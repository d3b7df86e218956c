"""A starting mapping drafted from export files' headers, each guess said in a comment.

The draft is a first step, not an import: every line says why it was guessed (the contract's
own name, or a CRM's usual name for it), and a required column with no match is left as a
commented line to fill in, so `salescoach validate` names what is still missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from salescoach.data.importer import MappingError
from salescoach.data.readers import SourceError, read_raw
from salescoach.domain.contract import TABLE_ORDER, TABLES
from salescoach.i18n import _

# What CRMs and ERPs call the contract's columns (Salesforce, HubSpot, Pipedrive, Odoo, ERPs).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "deal_id": ("Opportunity ID", "Deal ID", "Record ID", "Deal Id", "Opportunity Id", "mql_id"),
    "rep_id": (
        "Owner",
        "Deal Owner",
        "Opportunity Owner",
        "Owner Email",
        "Owner ID",
        "Salesperson",
        "Sales Person",
        "Sales Rep",
        "Sales Representative",
        "Account Manager",
        "Account Owner",
        "Seller",
        "Rep",
        "Employee",
        "Employee ID",
        "Employee No",
        "User",
        "sr_id",
    ),
    "support_rep_id": ("Sales Engineer", "SDR", "Support Rep", "Inside Sales", "sdr_id"),
    "stage": ("Stage", "Deal Stage", "Opportunity Stage", "Pipeline Stage", "Status"),
    "created_date": ("Created Date", "Create Date", "Created", "Created On", "Deal created on"),
    "close_date": (
        "Close Date",
        "Closed Date",
        "Closing Date",
        "Won Date",
        "Expected Close Date",
        "Deal closed on",
    ),
    "amount": ("Amount", "Deal Value", "Value", "Total", "Revenue", "Subtotal", "Line Total"),
    "customer_id": (
        "Account",
        "Account Name",
        "Account ID",
        "Company",
        "Company Name",
        "Customer",
        "Customer ID",
        "Customer No",
        "Client",
        "Organization",
        "Associated Company",
    ),
    "product_id": ("Product", "Product Code", "Product ID", "SKU", "Item", "Item No", "Article"),
    "lead_source": (
        "Lead Source",
        "Source",
        "Origin",
        "Channel",
        "Original Source",
        "Original Source Type",
    ),
    "lost_reason": ("Lost Reason", "Loss Reason", "Closed Lost Reason", "Reason Lost"),
    "technique": ("Sales Technique", "Sales Method", "Approach"),
    "order_id": ("Order ID", "Order No", "Order Number", "Order Ref", "Order Reference", "SO"),
    "order_date": ("Order Date", "Date Ordered", "Invoice Date", "Order Created"),
    "quantity": ("Qty", "Quantity", "Units", "Qty Ordered", "Product Quantity"),
    "unit_price": ("Unit Price", "Price", "Net Price", "Price Unit", "Sales Price"),
    "unit_list_price": ("List Price", "Gross Price", "Catalogue Price", "Catalog Price"),
    "discount": ("Discount", "Disc", "Disc %", "Discount (%)"),
    "line": ("Line", "Line No", "Line Number", "Position"),
    "promised_date": ("Promised Date", "Promised", "Commitment Date", "Due Date", "Requested Date"),
    "shipped_date": ("Shipped Date", "Ship Date", "Dispatch Date"),
    "delivered_date": ("Delivered Date", "Delivered", "Delivery Date", "Date Delivered"),
    "name": ("Name", "Full Name", "Owner Name", "Employee Name", "Description", "Product Name"),
    "team": ("Team", "Sales Team"),
    "department": ("Department", "Region", "Division", "Business Unit"),
    "role": ("Role",),
    "manager": ("Manager", "Reports To"),
    "hire_date": ("Hire Date", "Start Date", "Hired"),
    "email": ("Email", "E-mail", "Email Address"),
    "family": ("Family", "Product Family", "Category", "Product Category", "Product Group"),
    "list_price": ("List Price", "Price"),
    "unit_cost": ("Cost", "Unit Cost", "Standard Cost"),
    "feedback_id": ("Review ID", "Response ID", "Survey ID", "review_id"),
    "score": ("Score", "Rating", "Review Score", "NPS", "review_score"),
    "comment": ("Comment", "Comments", "Review", "Feedback", "review_comment_message"),
    "date": ("Date", "Review Date", "Response Date", "Activity Date", "review_creation_date"),
    "case_id": ("Case ID", "Ticket ID", "Case Number", "Ticket Number"),
    "opened_date": ("Opened Date", "Created Date", "Date Opened"),
    "closed_date": ("Closed Date", "Date Closed", "Resolved Date"),
    "kind": ("Type", "Kind", "Case Type", "Activity Type"),
    "activity_id": ("Activity ID", "Task ID", "Engagement ID"),
    "segment": ("Segment", "Customer Segment"),
    "region": ("Region", "Territory"),
    "industry": ("Industry", "Sector"),
}


def _fold(text: str) -> str:
    return re.sub(r"[^0-9a-z\u0370-\u03ff]+", "", str(text).lower())


@dataclass(frozen=True)
class Guess:
    canonical: str
    source: str | None
    why: str  # "name", "synonym" or "" when nothing matched


def guess_columns(table: str, headers: list[str]) -> list[Guess]:
    """The export column each contract column of `table` most likely is, and why."""
    folded = {_fold(h): h for h in headers}
    taken: set[str] = set()
    guesses = []
    for col in TABLES[table].columns:
        found, why = None, ""
        if _fold(col.name) in folded:
            found, why = folded[_fold(col.name)], "name"
        else:
            for synonym in SYNONYMS.get(col.name, ()):
                if _fold(synonym) in folded and folded[_fold(synonym)] not in taken:
                    found, why = folded[_fold(synonym)], "synonym"
                    break
        if found is not None and found in taken and why == "name":
            found, why = None, ""
        if found is not None:
            taken.add(found)
        elif col.name == "name":
            first = next((folded[f] for f in ("firstname", "givenname") if f in folded), None)
            last = next(
                (folded[f] for f in ("lastname", "surname", "familyname") if f in folded), None
            )
            if first and last:
                found, why = f"{{{first}}} {{{last}}}", "template"
        guesses.append(Guess(col.name, found, why))
    return guesses


def _score(table: str, guesses: list[Guess]) -> float:
    t = TABLES[table]
    # A table needs its key; then the more columns recognised the better, required ones first.
    if not any(g.source for g in guesses if g.canonical == t.key[0]):
        return 0.0
    required = sum(1 for g in guesses if g.source and g.canonical in t.required)
    return sum(1 for g in guesses if g.source) + required / max(1, len(t.required))


def best_table(headers: list[str]) -> tuple[str | None, list[Guess]]:
    """The contract table the headers most look like (None: none has its key column)."""
    scored = []
    for name in TABLE_ORDER:
        guesses = guess_columns(name, headers)
        scored.append((_score(name, guesses), -TABLE_ORDER.index(name), name, guesses))
    score, _order, name, guesses = max(scored)
    return (name, guesses) if score > 0 else (None, [])


def _scalar(value: str) -> str:
    """A value written as YAML: plain when it reads back as itself, else quoted."""
    try:
        if yaml.safe_load(f"k: {value}") == {"k": value}:
            return value
    except yaml.YAMLError:
        pass
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _why(guess: Guess) -> str:
    if guess.why == "name":
        return _("the contract's own name")
    if guess.why == "template":
        return _("first and last name joined")
    return _("a usual name for {column}; check it", column=guess.canonical)


def draft(paths: list[Path], relative_to: Path) -> str:
    """Mapping YAML text for the files at `paths`, with file names relative to `relative_to`."""
    lines = [
        "# " + _("A first mapping drafted by salescoach mapping draft from the files' headers."),
        "# " + _("Check each guess, fill in the lines marked TODO, then run: salescoach validate"),
        "tables:",
    ]
    drafted: dict[str, str] = {}
    found = []
    for path in paths:
        try:
            raw = read_raw(path)
        except SourceError as exc:
            raise MappingError(str(exc)) from None
        headers = [str(c) for c in raw.frame.columns]
        try:
            shown = str(path.resolve().relative_to(relative_to.resolve()))
        except ValueError:
            shown = str(path.resolve())
        found.append((shown, headers, *best_table(headers)))
    for shown, headers, table, guesses in found:
        if table is None:
            lines.append(
                "  # "
                + _(
                    "{file}: no contract table recognised (columns: {columns})",
                    file=shown,
                    columns=", ".join(headers),
                )
            )
        elif table in drafted:
            lines.append(
                "  # "
                + _(
                    "{file}: looks like {table} too, which {other} gives; a table has one source: join or union them",
                    file=shown,
                    table=table,
                    other=drafted[table],
                )
            )
        else:
            drafted[table] = shown
            lines += _table_lines(table, shown, guesses, headers)
    for shown, headers, table, guesses in found:
        rep = next((g for g in guesses if g.canonical == "rep_id" and g.source), None)
        if rep is not None and "reps" not in drafted and table in ("deals", "orders"):
            drafted["reps"] = shown
            lines += _reps_lines(shown, rep.source, headers)
    return "\n".join(lines) + "\n"


def _table_lines(table: str, file: str, guesses: list[Guess], headers: list[str]) -> list[str]:
    t = TABLES[table]
    lines = [
        f"  {table}:",
        f"    file: {_scalar(file)}",
        "    columns:",
    ]
    entries = {
        g.canonical: f"      {g.canonical}: {_scalar(g.source)}" for g in guesses if g.source
    }
    width = max(map(len, entries.values()), default=0) + 2
    for g in guesses:
        if g.source:
            lines.append(f"{entries[g.canonical]:<{width}}# {_why(g)}")
        elif g.canonical in t.required:
            left = [h for h in headers if h not in {x.source for x in guesses}]
            lines.append(
                f"      # {g.canonical}: TODO  # "
                + _(
                    "required, no column recognised; columns not used: {columns}",
                    columns=", ".join(left) or "-",
                )
            )
    if table == "deals":
        lines.append(
            "    # values: {stage: {Closed Won: won, Closed Lost: lost}}  # "
            + _("translate the export's stage names into open / won / lost")
        )
    return lines


def _reps_lines(file: str, rep_column: str, headers: list[str]) -> list[str]:
    lines = [
        "  reps:",
        "    # " + _("the staff, read from the same file: one row per rep"),
        f"    file: {_scalar(file)}",
        f"    columns: {{rep_id: {_scalar(rep_column)}, name: {_scalar(rep_column)}}}",
        "    const: {team: TODO, department: TODO}  # "
        + _("the export has no team or department: name them here, or map a staff file"),
        "    distinct: true",
    ]
    return lines


def preview(frame, f) -> str:
    """Mapped rows as text a person checks: dates, money and numbers through the Formatter."""
    import pandas as pd

    from salescoach.domain.contract import MONEY

    kinds = {c.name: c.kind for t in TABLES.values() for c in t.columns}
    shown = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            shown[name] = [f.date(v) if pd.notna(v) else "" for v in s]
        elif pd.api.types.is_numeric_dtype(s):
            fmt = f.money if kinds.get(name) == MONEY else f.decimal
            shown[name] = [fmt(v) if pd.notna(v) else "" for v in s]
        else:
            shown[name] = ["" if pd.isna(v) else str(v)[:40] for v in s]
    return shown.to_string(index=False)
