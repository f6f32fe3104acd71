"""The Google store: each school's workbooks are Google spreadsheets in one shared-drive folder.

Requests go through gspread's HTTP client (retrying, see client.py) at its lowest level, so
each costs exactly what is written here: gspread's high-level Spreadsheet objects would spend a
metadata read just to open one. The budget per spreadsheet:

- provision: one Drive create, one Sheets batchUpdate that lays out every tab, one Drive permission
  per person it is shared with; plus one folder check and one folder listing per run;
- sync: one read (tabs, hidden, merges, protection and every cell's value, as grid data), then
  one batchUpdate that rewrites the summary tab (and, the night the team changed, the roster
  copy in the stamp tab, in the same request); plus the folder listing (modification times) and
  a metadata read and a batchUpdate for the rollup, once per run.

A spreadsheet the sync cannot reach (403, 404, Google busy after every retry) becomes a StoreError
for that school; the run goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gspread.exceptions import APIError
from gspread.urls import DRIVE_FILES_API_V3_URL

from ..changes import WorkbookChanges
from ..config import District, School
from ..errors import (
    ConfigError,
    PlansyncError,
    StoreError,
    WorkbookBusy,
    WorkbookMissing,
    WorkbookUnreadable,
)
from ..grid import DrawnRows, OutSheet
from ..layout import STAMP_TAB, WorkbookPlan
from ..packing import pack_sheets
from ..store import (
    RawSheet,
    RawWorkbook,
    ReadRequest,
    StrayCopy,
    WorkbookRef,
    WorkbookWrites,
    WriteOutcome,
    looks_like_copy,
    write_in_turn,
)
from ..templates import Template
from ..values import ErrorValue, is_blank
from .client import connect, error_reason, error_status, key_path, load_credentials
from .registry import Entry, Registry
from .render import (
    add_sheet,
    cell_data,
    migration_requests,
    new_workbook,
    protect,
    restamp_requests,
    roster_requests,
    write_out_sheet,
)

SPREADSHEET = "application/vnd.google-apps.spreadsheet"
FOLDER = "application/vnd.google-apps.folder"
SPREADSHEET_URL = "https://docs.google.com/spreadsheets/d/{}"
ROLLUP_TITLE = "District Rollup"
# Just what the sync uses from a spreadsheet's metadata: no cell data. (A tab's row count lets
# a roster copy into a spreadsheet read the same run go without reading the stamp tab again.)
_TAB_FIELDS = (
    "properties(sheetId,title,index,hidden,gridProperties(rowCount)),merges,"
    "protectedRanges(protectedRangeId,range)"
)
METADATA_FIELDS = f"sheets({_TAB_FIELDS})"
# A read: the same, with each cell's value, in one request instead of the metadata and then the
# values (Sheets' per-minute quota counts requests). `effectiveValue` is what the values API
# gives unformatted: numbers, text, booleans, dates and times as serial numbers, a formula's
# result; and an error as an error, not as text a person might have typed.
READ_FIELDS = f"sheets({_TAB_FIELDS},data(rowData(values(effectiveValue))))"
# The text a spreadsheet shows for each kind of error (Sheets' ErrorType).
_ERROR_TEXTS = {
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "LOADING": "Loading...",
}
# A migration needs each tab's id, title and size.
GRID_FIELDS = "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)))"
FILE_FIELDS = "id,name,modifiedTime,version,lastModifyingUser(me),appProperties"
# Values as stored: numbers and booleans typed, dates as serial day numbers (values.parse_date).
VALUE_OPTIONS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}
_DRIVE_OPTIONS = {"supportsAllDrives": "true"}


class GoogleStore:
    """Spreadsheets in the configured Drive folder, found through the registry file."""

    redraws_rollup = True

    def __init__(self, district: District):
        if district.google is None:
            raise ConfigError("google: required key is missing (backend is google)")
        self.district = district
        self.settings = district.google
        credentials = load_credentials(key_path(district))
        self.account = credentials.service_account_email
        self.http = connect(credentials)
        self.registry = Registry.load(district.path(self.settings.registry))
        # The folder's spreadsheets by id (Drive metadata), listed once per run when first needed.
        self._listing: dict[str, dict[str, Any]] | None = None
        # Tabs (title -> sheet id, protected) of each spreadsheet read this run.
        self._tabs: dict[str, dict[str, tuple[int, bool]]] = {}
        # Each tab's row count, by spreadsheet, as read this run (never kept between runs).
        self._row_counts: dict[str, dict[str, int]] = {}
        # Registry entries found through the folder listing: whom they are shared with is unknown.
        self._recovered: set[str] = set()
        self._folder_checked = False
        # The registry changed during a sync (last edits, tabs): finish() saves it once.
        self._dirty = False

    @classmethod
    def check_folders(cls, district: District, *, for_sync: bool) -> None:
        """No folder on disk holds the spreadsheets; the Drive folder is checked when first used."""

    # -- finding -------------------------------------------------------------------------------

    def locate(self, school: School, template: Template) -> WorkbookRef:
        entry = self.registry.entry(school.id, template.id) or self._recover(school, template)
        location = entry.id if entry else ""
        return WorkbookRef(school.id, template.id, location, f"{school.name} · {template.title}")

    def exists(self, ref: WorkbookRef) -> bool:
        if not ref.location:
            return False
        if ref.location in self._files():
            return True
        # Not in the folder: moved elsewhere (still there, leave it) or deleted or in the trash.
        try:
            found = self._drive("get", f"/{ref.location}", params={"fields": "id,trashed"})
        except APIError as error:
            if error_status(error) != 404:
                raise self._failure(error, "check") from None
            found = {"trashed": True}
        if found.get("trashed", False):
            self.registry.forget(ref.location)  # what it was shared with no longer matters
            return False
        return True

    def stray_copies(self, school: School, templates: tuple[Template, ...]) -> list[StrayCopy]:
        """Spreadsheets in the folder, other than the ones the sync reads, that are copies of one of
        its spreadsheets: named like a copy of it ("Copy of Lincoln Elementary · PM Tool"), or
        carrying its labels (Drive's "Make a copy" keeps them). From the run's one listing of
        the folder: no request of its own."""
        files = self._file_listing_or_nothing()
        found = []
        for file in sorted(files.values(), key=lambda f: (f.get("name", ""), f["id"])):
            if (
                self.registry.entry_by_id(file["id"]) is not None
                or file["id"] == self.registry.rollup
            ):
                continue  # a workbook the sync reads (some school's own), or the rollup
            labels = file.get("appProperties", {})
            name = file.get("name", "")
            for template in templates:
                label = f"{school.name} · {template.title}"
                labelled = labels.get("plansync_school") == school.id and (
                    labels.get("plansync_template") == template.id
                )
                if labelled or looks_like_copy(name, label):
                    found.append(StrayCopy(template.id, name))
                    break
        return found

    # -- reading -------------------------------------------------------------------------------

    def version(self, ref: WorkbookRef) -> str | None:
        """Drive's version number from the one folder listing of the run: no Sheets request. None
        (read it) for a spreadsheet outside the folder, whose version the listing cannot tell."""
        if not ref.location:
            raise WorkbookMissing(
                f"No spreadsheet is recorded for {ref.label}; run plansync provision to make it."
            )
        return self._current_version(ref.location)

    def _current_version(self, spreadsheet_id: str) -> str | None:
        """The version of what the school typed: Drive's number from the listing, or, while the
        sync's own write of its tabs is the last change Drive knows of, the version that write
        was made over (see Registry). None when the listing cannot tell."""
        file = self._file_record(spreadsheet_id)
        if "version" not in file:
            return None
        entry = self.registry.entry_by_id(spreadsheet_id)
        if entry and entry.own_write and file.get("lastModifyingUser", {}).get("me", False):
            return entry.own_write
        return str(file["version"])

    def _forget_own_write(self, spreadsheet_id: str) -> None:
        """The sync changed more than its own tabs (or read the spreadsheet afresh): from now on
        Drive's number is the version."""
        entry = self.registry.entry_by_id(spreadsheet_id)
        if entry and entry.own_write:
            entry.own_write = None
            self._dirty = True

    def _own_write_made(self, ref: WorkbookRef) -> str | None:
        """After writing a tab of the sync's own: the version to record, without a request while
        the spreadsheet is in the folder's listing."""
        version = self._current_version(ref.location)
        entry = self.registry.entry_by_id(ref.location)
        if version is None or entry is None:
            return self._version_after_write(ref)
        if entry.own_write != version:
            entry.own_write = version
            self._dirty = True
        return version

    def digest(self, ref: WorkbookRef) -> str | None:
        return None  # Drive's version number already changes with every edit

    def read_many(self, requests: list[ReadRequest]) -> Iterator[RawWorkbook | StoreError]:
        """One after the other: Sheets' per-minute quota, not the CPU, sets the pace."""
        for request in requests:
            try:
                raw = self.read(request.ref, request.skip)
            except StoreError as error:
                yield error
                continue
            yield raw

    def read(self, ref: WorkbookRef, skip: tuple[str, ...] = ()) -> RawWorkbook:
        if not ref.location:
            raise WorkbookMissing(
                f"No spreadsheet is recorded for {ref.label}; run plansync provision to make it."
            )
        try:
            meta = self.http.fetch_sheet_metadata(
                ref.location, params={"includeGridData": "true", "fields": READ_FIELDS}
            )
        except APIError as error:
            raise self._read_failure(error, ref) from None
        self._remember_tabs(ref.location, meta)
        skipped = {name.casefold() for name in skip}
        raw = [
            _raw_sheet(sheet, grid_values(sheet))
            for sheet in meta.get("sheets", [])
            if sheet["properties"]["title"].casefold() not in skipped
        ]
        file = self._file_record(ref.location)
        version = str(file["version"]) if "version" in file else None
        self._forget_own_write(ref.location)
        self._record_tabs(ref.location, version)
        packed = pack_sheets(raw)
        return RawWorkbook(
            ref,
            raw,
            self._last_edit(ref, file),
            version or "",
            content=packed.content,
            packed=packed.sheets,
        )

    def _file_record(self, spreadsheet_id: str) -> dict[str, Any]:
        """Drive's record of a spreadsheet in the folder; empty when it is elsewhere or Drive
        did not answer (modification times are worth no school's issue)."""
        return self._file_listing_or_nothing().get(spreadsheet_id, {})

    def _file_listing_or_nothing(self) -> dict[str, dict[str, Any]]:
        try:
            return self._files()
        except StoreError:
            self._listing = {}  # do not ask again this run
            return {}

    def _values(self, spreadsheet_id: str, titles: list[str]) -> list[list[list[Any]]]:
        """Every named tab's values in one batchGet."""
        if not titles:
            return []
        ranges = [_quoted(title) for title in titles]
        reply = self.http.values_batch_get(spreadsheet_id, ranges, params=dict(VALUE_OPTIONS))
        return [block.get("values", []) for block in reply.get("valueRanges", [])]

    def _tabs_of(self, spreadsheet_id: str) -> dict[str, tuple[int, bool]]:
        """The spreadsheet's tabs: read this run, or recorded at its current Drive version (it
        has not changed since), or else one metadata read."""
        if spreadsheet_id in self._tabs:
            return self._tabs[spreadsheet_id]
        entry = self.registry.entry_by_id(spreadsheet_id)
        version = self._current_version(spreadsheet_id)
        if entry and entry.tabs_version and entry.tabs_version == version:
            return {title: (sid, protected) for title, (sid, protected) in entry.tabs.items()}
        return self._fetch_tabs(spreadsheet_id)

    def _record_tabs(self, spreadsheet_id: str, version: str | None) -> None:
        """Keep the tabs known at `version` for the next run (saved by finish())."""
        entry = self.registry.entry_by_id(spreadsheet_id)
        if entry is None or spreadsheet_id not in self._tabs:
            return
        entry.tabs = {
            title: [sid, prot] for title, (sid, prot) in self._tabs[spreadsheet_id].items()
        }
        entry.tabs_version = version
        self._dirty = True

    def finish(self) -> None:
        """End of a run: save what the registry learnt (last edits, tabs) in one write."""
        if self._dirty:
            self.registry.save()
            self._dirty = False

    def _remember_tabs(self, spreadsheet_id: str, meta: Mapping[str, Any]) -> None:
        protected = {
            p["range"].get("sheetId", 0)
            for s in meta.get("sheets", [])
            for p in s.get("protectedRanges", [])
            if set(p.get("range", {})) <= {"sheetId"}
        }
        self._tabs[spreadsheet_id] = {
            s["properties"]["title"]: (
                s["properties"]["sheetId"],
                s["properties"]["sheetId"] in protected,
            )
            for s in meta.get("sheets", [])
        }
        self._row_counts[spreadsheet_id] = {
            s["properties"]["title"]: s["properties"]["gridProperties"]["rowCount"]
            for s in meta.get("sheets", [])
            if "rowCount" in s["properties"].get("gridProperties", {})
        }

    def _forget_tabs(self, spreadsheet_id: str) -> None:
        """What was known of the spreadsheet's tabs may be wrong now: read them afresh."""
        self._tabs.pop(spreadsheet_id, None)
        self._row_counts.pop(spreadsheet_id, None)

    def _last_edit(self, ref: WorkbookRef, file: dict[str, Any]) -> dt.datetime | None:
        """When a person last changed the spreadsheet: Drive's time unless the last change was
        the sync's own summary, in which case the time recorded when a person's change was seen."""
        entry = self.registry.entry(ref.school_id, ref.template_id)
        if file and not file.get("lastModifyingUser", {}).get("me", False):
            when = file.get("modifiedTime")
            if entry is None:
                return _local_time(when)
            if when != entry.last_edit:
                entry.last_edit = when
                self._dirty = True  # saved once, by finish()
        return _local_time(entry.last_edit) if entry else None

    # -- writing -------------------------------------------------------------------------------

    def refusal(self, ref: WorkbookRef) -> str | None:
        return None  # a new spreadsheet goes into the district's folder, by id: nothing to hide

    def create(self, ref: WorkbookRef, plan: WorkbookPlan) -> WorkbookRef:
        """Make the spreadsheet in the folder, lay out its tabs, and record its id."""
        school_id, template_id = ref.school_id, ref.template_id
        labels = {"plansync_school": school_id, "plansync_template": template_id}
        new = self._new_spreadsheet(ref.label, labels, f"create {ref.label}")
        try:
            self.http.batch_update(new["id"], {"requests": new_workbook(plan, 0)})
        except APIError as error:
            self._delete_quietly(new["id"])  # never leave a half-made spreadsheet to be found
            raise self._failure(error, f"lay out {ref.label}") from None
        self.registry.record(school_id, template_id, new["id"])
        self.registry.save()
        return WorkbookRef(school_id, template_id, new["id"], ref.label)

    def share(
        self, ref: WorkbookRef, school: School, dry_run: bool = False
    ) -> list[tuple[str, str]]:
        """Give the school's team (writers) and its coach access; return the grants made (or
        that would be made). Access given before, by this or an earlier run, is not given again."""
        wanted = self._access_for(school)
        entry = self.registry.entry_by_id(ref.location) if ref.location else None
        recovered = entry is not None and ref.location in self._recovered
        if entry is not None and recovered:
            entry.shared = self._permissions(ref.location)
            self._recovered.discard(ref.location)
        have = entry.shared if entry else {}
        grants = [(email, role) for email, role in wanted.items() if have.get(email) != role]
        if dry_run:
            return grants
        if recovered:
            self.registry.save()
        if entry is None:
            return []
        for email, role in grants:
            try:
                self._drive(
                    "post",
                    f"/{ref.location}/permissions",
                    params={
                        "sendNotificationEmail": str(self.settings.notify).lower(),
                        "fields": "id",
                    },
                    json={"type": "user", "role": role, "emailAddress": email},
                )
            except APIError as error:
                self.registry.save()
                raise self._failure(error, f"share {ref.label} with {email}") from None
            entry.shared[email] = role
        if grants:
            self.registry.save()
        return grants

    def _access_for(self, school: School) -> dict[str, str]:
        """email -> role the config asks for: the team writes, the coach as configured."""
        wanted = {email.casefold(): "writer" for email in school.team}
        coach = next((c for c in self.district.coaches if c.name == school.coach), None)
        if coach is not None and coach.email:
            wanted.setdefault(coach.email.casefold(), self.settings.coach_role)
        return wanted

    def relocate(self, ref: WorkbookRef, to: WorkbookRef) -> WorkbookRef:
        """Re-label the spreadsheet for the school's new id: its registry entry, and its Drive
        name and labels (one Drive request). The spreadsheet, its content and its sharing stay."""
        labels = {"plansync_school": to.school_id, "plansync_template": to.template_id}
        try:
            self._drive(
                "patch",
                f"/{ref.location}",
                params={"fields": "id"},
                json={"name": to.label, "appProperties": labels},
            )
        except APIError as error:
            raise WorkbookBusy(
                f"The spreadsheet could not be re-labelled for {to.label} "
                f"({error_reason(error)}); it is tried again on the next run."
            ) from None
        self.registry.move(ref.school_id, to.school_id, ref.template_id)
        self._forget_own_write(ref.location)
        self.registry.save()
        if self._listing is not None and ref.location in self._listing:
            record = self._listing[ref.location]
            record["name"] = to.label
            record["appProperties"] = {**record.get("appProperties", {}), **labels}
        return WorkbookRef(to.school_id, to.template_id, ref.location, to.label)

    def restamp(self, ref: WorkbookRef, stamp: dict[str, str]) -> None:
        """Rewrite the hidden stamp tab with one batchUpdate that touches no other tab."""
        try:
            tabs = self._tabs_of(ref.location)
            found = next((t for t in tabs if t.casefold() == STAMP_TAB), None)
            if found is None:
                return
            sheet_id, _protected = tabs[found]
            requests = restamp_requests(stamp, sheet_id)
            self._forget_own_write(ref.location)
            self.http.batch_update(ref.location, {"requests": requests})
        except APIError as error:
            raise WorkbookBusy(
                f"The spreadsheet's stamp could not be written ({error_reason(error)})."
            ) from None

    def write_roster(self, ref: WorkbookRef, names: tuple[str, ...], version: str) -> str | None:
        """Rewrite the stamp tab's roster column with one batchUpdate touching nothing else; the
        version to record as write_summary's. `version` is not needed: Sheets merges edits cell
        by cell."""
        try:
            requests = self._roster_requests(ref, names)
            self.http.batch_update(ref.location, {"requests": requests})
        except APIError as error:
            self._forget_tabs(ref.location)
            raise WorkbookBusy(
                "The roster the person columns offer could not be written "
                f"({error_reason(error)}); it will be on the next run."
            ) from None
        return self._own_tabs_written(ref)

    def _roster_requests(self, ref: WorkbookRef, names: tuple[str, ...]) -> list[dict[str, Any]]:
        """The requests that copy `names` into the stamp tab. The tab is never made shorter than
        the rows it uses: its row count read with the spreadsheet this run bounds them (on a
        district's first night, every spreadsheet's); otherwise one read of the tab counts them."""
        tabs = self._tabs_of(ref.location)
        found = next((t for t in tabs if t.casefold() == STAMP_TAB), None)
        if found is None:
            raise WorkbookBusy(
                f"The spreadsheet has no hidden {STAMP_TAB} tab, so the roster its person "
                "columns offer was not updated. `plansync migrate` adds it."
            )
        sheet_id, _protected = tabs[found]
        keep_rows = self._row_counts.get(ref.location, {}).pop(found, None)
        if keep_rows is None:  # not read this run: count the rows the tab uses
            (values,) = self._values(ref.location, [found])
            keep_rows = len(values)
        return roster_requests(names, sheet_id, keep_rows)

    def add_rows(self, ref: WorkbookRef, sheet: str, cells: dict[tuple[int, int], Any]) -> int:
        """Read the tab's values (one request), then write the cells that are empty with one
        batchUpdate (one updateCells per cell, so no other cell is touched)."""
        try:
            tabs = self._tabs_of(ref.location)
            found = next((t for t in tabs if t.casefold() == sheet.casefold()), None)
            if found is None:
                raise WorkbookBusy(f"The spreadsheet has no tab {sheet!r}.")
            sheet_id, _protected = tabs[found]
            (values,) = self._values(ref.location, [found])
            empty = {
                (row, column): value
                for (row, column), value in cells.items()
                if is_blank(_at(values, row, column))
            }
            requests = [
                {
                    "updateCells": {
                        "start": {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": col - 1},
                        "rows": [{"values": [cell_data(value)]}],
                        # Only the value (and a date's format): the column's dropdown stays.
                        "fields": "userEnteredValue,userEnteredFormat.numberFormat"
                        if isinstance(value, dt.date)
                        else "userEnteredValue",
                    }
                }
                for (row, col), value in sorted(empty.items())
            ]
            if requests:
                self._forget_own_write(ref.location)
                self.http.batch_update(ref.location, {"requests": requests})
        except APIError as error:
            raise WorkbookBusy(
                f"The rows could not be written into {sheet!r} ({error_reason(error)})."
            ) from None
        return len(empty)

    def start_writers(self, workbooks: int) -> None:
        """Nothing to start: requests go one after another (see write_many)."""

    def write_many(self, jobs: Iterable[WorkbookWrites]) -> Iterator[list[WriteOutcome]]:
        """One spreadsheet after another: the requests share one client and its quota."""
        for job in jobs:
            yield self._write_job(job)

    def _write_job(self, job: WorkbookWrites) -> list[WriteOutcome]:
        """A spreadsheet's summary and roster copy in one batchUpdate when it gets both (a PM
        Tool on a school's first night, or the night its team changed): one write request
        instead of two, and Sheets makes all of a batchUpdate or none of it. Should that fail,
        each is tried on its own, to fail in its own words (see write_summary, write_roster)."""
        if [write.kind for write in job.writes] == ["summary", "roster"]:
            summary, roster = job.writes
            assert summary.sheet is not None
            try:
                version = self._write_summary_and_roster(job.ref, summary.sheet, roster.names)
            except APIError:
                self._forget_tabs(job.ref.location)
            except StoreError:
                pass  # no stamp tab: the summary goes alone
            else:
                done = WriteOutcome(version, self.digest(job.ref))
                return [done, done]
        return write_in_turn(self, job)

    def _write_summary_and_roster(
        self, ref: WorkbookRef, sheet: OutSheet, names: tuple[str, ...]
    ) -> str | None:
        requests, tabs = self._summary_requests(ref, sheet)
        requests += self._roster_requests(ref, names)
        self.http.batch_update(ref.location, {"requests": requests})
        self._tabs[ref.location] = tabs
        return self._own_tabs_written(ref)

    def write_summary(self, ref: WorkbookRef, sheet: OutSheet, version: str) -> str | None:
        """Rewrite (or add) the summary tab with one batchUpdate that touches no other tab, and
        return the version to record: the one the write was made over, which the next run sees
        again while Drive says the sync made the last change (no request to ask Drive).

        Sheets merges concurrent edits cell by cell, so writing one tab cannot lose what someone
        is typing on another; `version` is not needed to guard against that.
        """
        try:
            requests, tabs = self._summary_requests(ref, sheet)
            self.http.batch_update(ref.location, {"requests": requests})
        except APIError as error:
            self._forget_tabs(ref.location)
            raise _summary_failure(error) from None
        self._tabs[ref.location] = tabs
        return self._own_tabs_written(ref)

    def _summary_requests(
        self, ref: WorkbookRef, sheet: OutSheet
    ) -> tuple[list[dict[str, Any]], dict[str, tuple[int, bool]]]:
        """The requests that rewrite (or add, protected) the summary tab, and the spreadsheet's
        tabs as they will be once those are made."""
        tabs = self._tabs_of(ref.location)
        requests = []
        found = next((t for t in tabs if t.casefold() == sheet.name.casefold()), None)
        if found is None:
            sheet_id = max((sid for sid, _ in tabs.values()), default=0) + 1
            requests += [add_sheet(sheet_id, sheet.name, min(1, len(tabs))), protect(sheet_id)]
        else:
            sheet_id, protected = tabs[found]
            if not protected:
                requests.append(protect(sheet_id))
        gids = {title: sid for title, (sid, _) in tabs.items()}
        requests += write_out_sheet(sheet, sheet_id, gids)
        return requests, {**tabs, (found or sheet.name): (sheet_id, True)}

    def _own_tabs_written(self, ref: WorkbookRef) -> str | None:
        """After a write of the sync's own tabs: the version to record, and the tabs kept at it."""
        new_version = self._own_write_made(ref)
        self._record_tabs(ref.location, new_version)
        return new_version

    def migrate(self, ref: WorkbookRef, changes: WorkbookChanges, version: str) -> str | None:
        """Apply the migration with one batchUpdate, after one metadata read for the tabs' sizes.

        Sheets merges concurrent edits cell by cell and the migration writes no cell a school
        typed, so `version` is not needed to guard what someone is typing."""
        try:
            meta = self.http.fetch_sheet_metadata(
                ref.location, params={"includeGridData": "false", "fields": GRID_FIELDS}
            )
            tabs = {
                s["properties"]["title"]: (
                    s["properties"]["sheetId"],
                    s["properties"].get("gridProperties", {}).get("rowCount", 1000),
                    s["properties"].get("gridProperties", {}).get("columnCount", 26),
                )
                for s in meta.get("sheets", [])
            }
            gids = {title: grid[0] for title, grid in tabs.items()}
            requests = migration_requests(changes, tabs, gids)
            self.http.batch_update(ref.location, {"requests": requests})
        except APIError as error:
            status = error_status(error)
            raise WorkbookBusy(
                f"Google refused the migration ({status} {error_reason(error)}); the "
                "spreadsheet is unchanged. Run `plansync migrate` again."
            ) from None
        finally:
            self._forget_tabs(ref.location)  # its tabs changed
            self._forget_own_write(ref.location)
        return self._version_after_write(ref)

    def _version_after_write(self, ref: WorkbookRef) -> str | None:
        """The spreadsheet's Drive version right after the sync wrote it (one Drive request), so
        that the next run knows the change was its own; None when Drive did not answer (the next
        run reads the spreadsheet again: slower, never wrong)."""
        try:
            file = self._drive("get", f"/{ref.location}", params={"fields": "version"})
        except APIError:
            return None
        return str(file["version"]) if "version" in file else None

    def rollup_location(self) -> str:
        spreadsheet_id = self.registry.rollup or self._find_rollup()
        return SPREADSHEET_URL.format(spreadsheet_id) if spreadsheet_id else ""

    def rollup_exists(self) -> bool:
        spreadsheet_id = self.registry.rollup or self._find_rollup()
        return bool(spreadsheet_id) and spreadsheet_id in self._file_listing_or_nothing()

    def write_rollup(self, sheets: list[OutSheet], drawn: DrawnRows | None = None) -> str:
        """Replace every tab of the district rollup spreadsheet (made on the first run). Every
        row is sent as values: nothing is kept drawn (`drawn` is not used)."""
        sheets = [sheet.expanded() for sheet in sheets]
        spreadsheet_id = self.registry.rollup or self._find_rollup()
        try:
            tabs = self._fetch_tabs(spreadsheet_id) if spreadsheet_id else None
        except APIError as error:
            if error_status(error) != 404:
                raise self._failure(error, "read the district rollup") from None
            tabs = None
        if spreadsheet_id is None or tabs is None:
            spreadsheet_id, tabs = self._new_rollup(), {"Sheet1": (0, False)}
        old = [sid for sid, _ in tabs.values()]
        first_new = max(old, default=0) + 1
        requests: list[dict[str, Any]] = [
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sid, "title": f"~old {sid}"},
                    "fields": "title",
                }
            }
            for sid in old
        ]
        gids = {sheet.name: first_new + i for i, sheet in enumerate(sheets)}
        for index, sheet in enumerate(sheets):
            requests.append(add_sheet(gids[sheet.name], sheet.name, index))
            requests += write_out_sheet(sheet, gids[sheet.name], gids)
        requests += [{"deleteSheet": {"sheetId": sid}} for sid in old]
        try:
            self.http.batch_update(spreadsheet_id, {"requests": requests})
        except APIError as error:
            raise self._failure(error, "write the district rollup") from None
        return SPREADSHEET_URL.format(spreadsheet_id)

    # -- Drive helpers ---------------------------------------------------------------------------

    def _drive(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        params = {**_DRIVE_OPTIONS, **kwargs.pop("params", {})}
        response = self.http.request(method, DRIVE_FILES_API_V3_URL + path, params=params, **kwargs)
        return response.json() if response.content else {}

    def _files(self) -> dict[str, dict[str, Any]]:
        """The folder's spreadsheets by id, listed page by page once per run."""
        if self._listing is None:
            self._check_folder()
            query = (
                f"'{self.settings.folder_id}' in parents and mimeType = '{SPREADSHEET}' "
                "and trashed = false"
            )
            params = {
                "q": query,
                "fields": f"nextPageToken,files({FILE_FIELDS})",
                "pageSize": "1000",
                "includeItemsFromAllDrives": "true",
                "corpora": "allDrives",
            }
            files: dict[str, dict[str, Any]] = {}
            try:
                while True:
                    page = self._drive("get", "", params=params)
                    files.update((f["id"], f) for f in page.get("files", []))
                    if not page.get("nextPageToken"):
                        break
                    params["pageToken"] = page["nextPageToken"]
            except APIError as error:
                raise self._failure(error, "list the Drive folder") from None
            self._listing = files
        return self._listing

    def _recover(self, school: School, template: Template) -> Entry | None:
        """A spreadsheet the registry lost, found in the folder by the labels it was made with."""
        for file in self._files().values():
            labels = file.get("appProperties", {})
            if labels.get("plansync_school") == school.id and (
                labels.get("plansync_template") == template.id
            ):
                self._recovered.add(file["id"])  # recorded for good once provisioning shares it
                return self.registry.record(school.id, template.id, file["id"])
        return None

    def _find_rollup(self) -> str | None:
        """The rollup spreadsheet of an earlier run, if the registry lost it."""
        for file in self._file_listing_or_nothing().values():
            if file.get("appProperties", {}).get("plansync_rollup") == "true":
                self.registry.rollup = file["id"]
                self.registry.save()
                return file["id"]
        return None

    def _permissions(self, file_id: str) -> dict[str, str]:
        """Who a spreadsheet is shared with, email -> role, from Drive."""
        shared: dict[str, str] = {}
        params: dict[str, str] = {"fields": "nextPageToken,permissions(emailAddress,role,type)"}
        while True:
            page = self._drive("get", f"/{file_id}/permissions", params=params)
            for permission in page.get("permissions", []):
                if permission.get("type") == "user" and permission.get("emailAddress"):
                    shared[permission["emailAddress"].casefold()] = permission["role"]
            if not page.get("nextPageToken"):
                return shared
            params["pageToken"] = page["nextPageToken"]

    def _check_folder(self) -> None:
        """Once per run before creating anything: the folder is there and the account sees it."""
        if self._folder_checked:
            return
        folder_id = self.settings.folder_id
        try:
            folder = self._drive("get", f"/{folder_id}", params={"fields": "id,mimeType,driveId"})
        except APIError as error:
            if error_status(error) in (403, 404):
                raise ConfigError(
                    f"google.folder_id: no folder {folder_id} is shared with {self.account}; "
                    "add it to the shared drive (Content manager)"
                ) from None
            raise self._failure(error, "open the Drive folder") from None
        if folder.get("mimeType") != FOLDER:
            raise ConfigError(f"google.folder_id: {folder_id} is a file, not a folder")
        self._folder_checked = True

    def _fetch_tabs(self, spreadsheet_id: str) -> dict[str, tuple[int, bool]]:
        meta = self.http.fetch_sheet_metadata(
            spreadsheet_id, params={"includeGridData": "false", "fields": METADATA_FIELDS}
        )
        self._remember_tabs(spreadsheet_id, meta)
        return self._tabs[spreadsheet_id]

    def _new_rollup(self) -> str:
        name = f"{self.district.district} · {ROLLUP_TITLE}"
        new = self._new_spreadsheet(name, {"plansync_rollup": "true"}, "create the district rollup")
        self.registry.rollup = new["id"]
        self.registry.save()
        return new["id"]

    def _new_spreadsheet(self, name: str, labels: dict[str, str], doing: str) -> dict[str, Any]:
        """An empty spreadsheet in the folder, labelled so that a lost registry can find it."""
        self._check_folder()
        body = {
            "name": name,
            "mimeType": SPREADSHEET,
            "parents": [self.settings.folder_id],
            "appProperties": labels,
        }
        try:
            return self._drive("post", "", params={"fields": "id"}, json=body)
        except APIError as error:
            raise self._failure(error, doing) from None

    def _delete_quietly(self, file_id: str) -> None:
        with contextlib.suppress(APIError):  # the first failure is the one to report
            self._drive("delete", f"/{file_id}")

    # -- errors ----------------------------------------------------------------------------------

    def _read_failure(self, error: APIError, ref: WorkbookRef) -> StoreError:
        status = error_status(error)
        if status == 404:
            return WorkbookMissing(
                f"The spreadsheet {ref.label} is gone from Google Drive (deleted, or emptied from "
                "the trash). Run plansync provision to make a new one."
            )
        if status == 403:
            return WorkbookUnreadable(
                f"The sync's Google account ({self.account}) may no longer open {ref.label}: "
                "share it with that account as an editor again."
            )
        return WorkbookUnreadable(
            f"Google Sheets did not answer for {ref.label} ({status} {error_reason(error)}), even "
            "after retrying; it will be read on the next run."
        )

    def _failure(self, error: APIError, doing: str) -> PlansyncError:
        reason = error_reason(error)
        if reason == "storageQuotaExceeded":
            return ConfigError(
                f"google.folder_id: Google refused to {doing}: a service account owns no storage, "
                "so the folder must be in a shared drive"
            )
        message = str(error.error.get("message", "")).split("\n")[0]
        return StoreError(f"Google refused to {doing} ({error_status(error)} {reason}: {message})")


def _summary_failure(error: APIError) -> WorkbookBusy:
    status = error_status(error)
    if status == 400:
        return WorkbookBusy(
            "The spreadsheet's tabs changed while the sync was running, so the summary tab was "
            "not written (nothing anyone typed was touched). It will be written next run."
        )
    if status in (403, 404):
        return WorkbookBusy(
            "The sync's Google account may no longer edit this spreadsheet, so the summary tab "
            "was not updated. Share it with that account as an editor again."
        )
    return WorkbookBusy(
        f"Google Sheets was busy ({status} {error_reason(error)}) even after retrying, so the "
        "summary tab was not updated. It will be on the next run."
    )


def _raw_sheet(sheet: dict[str, Any], rows: list[list[Any]]) -> RawSheet:
    merged = [
        (
            m.get("startRowIndex", 0) + 1,
            m.get("startColumnIndex", 0) + 1,
            m["endRowIndex"],
            m["endColumnIndex"],
        )
        for m in sheet.get("merges", [])
    ]
    properties = sheet["properties"]
    return RawSheet(
        properties["title"], rows, hidden=properties.get("hidden", False), merged=merged
    )


def grid_values(sheet: dict[str, Any]) -> list[list[Any]]:
    """A tab's values from the grid data of a read, laid out as the values API lays them out:
    a row ends at its last value, the tab at its last row with a value (rows and cells that are
    only formatted count for nothing), and an empty cell before a value is ""."""
    rows: list[list[Any]] = []
    for grid in sheet.get("data", []):
        top, left = grid.get("startRow", 0), grid.get("startColumn", 0)
        for offset, row in enumerate(grid.get("rowData", [])):
            cells = [_cell_value(cell.get("effectiveValue")) for cell in row.get("values", [])]
            while cells and cells[-1] == "":
                cells.pop()
            if not cells:
                continue
            while len(rows) <= top + offset:
                rows.append([])
            line = rows[top + offset]
            line += [""] * (left - len(line))
            line[left : left + len(cells)] = cells
    return rows


def _cell_value(value: dict[str, Any] | None) -> Any:
    """One cell's effectiveValue as the values API gives it unformatted ("" when empty)."""
    if not value:
        return ""
    if "errorValue" in value:
        kind = value["errorValue"].get("type", "")
        return ErrorValue(_ERROR_TEXTS.get(kind, "#ERROR!"))
    for kind in ("numberValue", "stringValue", "boolValue"):
        if kind in value:
            return value[kind]
    return ""


def _at(values: list[list[Any]], row: int, column: int) -> Any:
    line = values[row - 1] if row <= len(values) else []
    return line[column - 1] if column <= len(line) else None


def _quoted(title: str) -> str:
    """A tab name as an A1 range meaning the whole tab; quoting always is always valid."""
    return "'" + title.replace("'", "''") + "'"


def _local_time(stamp: str | None) -> dt.datetime | None:
    """Drive's RFC 3339 UTC time as local time without a zone (as Excel files record it)."""
    if not stamp:
        return None
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone().replace(tzinfo=None)
