"""The Google backend: each school's workbooks are Google spreadsheets in one shared-drive folder.

store (the Store: Sheets and Drive requests) over client (sign-in, retries, pacing), registry
(which spreadsheet is which) and render (plans and sheets as Sheets requests); settings is the
config's `google:` section. Nothing is imported here: config.py imports `settings`, and that must
not load gspread or google-auth for an Excel district (backends.py imports `store` when used).
"""
