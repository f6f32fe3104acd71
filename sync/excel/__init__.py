"""The Excel backend: one folder per school holding .xlsx files.

store (the Store: reading with calamine, safe writes) over scan (what calamine does not report),
package (writing one sheet into an existing file), render (new workbooks and the rollup, drawn with
openpyxl) and file_kinds (what an unreadable file really is).
"""

from .store import ExcelStore, read_file, write_file

__all__ = ["ExcelStore", "read_file", "write_file"]
