"""The Google backend: each school's workbooks are Google spreadsheets in one shared-drive folder.

store (the Store: Sheets and Drive requests) over client (sign-in, retries, pacing), registry
(which spreadsheet is which) and render (plans and sheets as Sheets requests). The config's
`google:` section is config.GoogleSettings. Nothing is imported here: an Excel district must not
load gspread or google-auth (backends.py imports `store` when used).
"""
