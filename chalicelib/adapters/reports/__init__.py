"""Report files, written as the rows stream by: CSV (``write_csv``) and XLSX workbooks of one
sheet per table (``XlsxWorkbook``), or either through one call (``write_table``).

Writers take any writable binary file and never close it: the caller's sink (a multipart upload,
``chalicelib.adapters.aws.s3_multipart``) completes the object only when the writer returned.
"""

from chalicelib.adapters.reports.csv_table import write_csv
from chalicelib.adapters.reports.sink import BinarySink
from chalicelib.adapters.reports.tables import Format, write_table
from chalicelib.adapters.reports.xlsx_workbook import SHEET_DATA_ROWS, XlsxWorkbook

__all__ = ["SHEET_DATA_ROWS", "BinarySink", "Format", "XlsxWorkbook", "write_csv", "write_table"]
