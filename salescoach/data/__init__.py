"""The data layer: reading exports (readers, mapping, import, validation), the workbook folder
with its Parquet facts and DuckDB queries over them, the decision store (SQLite/PostgreSQL), and
the sample organisation. It knows the domain's contract but none of the services above it.
"""
