"""An in-process fake of the Google APIs plansync uses: Sheets v4, Drive v3 and the OAuth token
endpoint, served to gspread's real HTTP code as a requests transport adapter.

`FakeGoogle` is mounted (through `plansync.google.client.network_adapter`) on the session that
gspread's HTTPClient uses, and on google-auth's token session, so the code under test is the code
that would talk to Google: the service account signs a real JWT, the fake checks its signature and
hands out a token, and every API request must carry one.

It is stateful (Drive files with parents, permissions and modification records; spreadsheets with
tabs, cells, merges, validation and protection) and strict: an unknown endpoint or query parameter,
a field mask naming an unknown field, a bad range, a missing tab or sheet id, a file the caller
cannot see: each is answered with Google's error JSON ({"error": {"code", "status", "message"}}).
It counts requests per endpoint (`calls`), logs them (`log`), and injects faults on demand
(`fail(429, times=3)`). Its clock (`clock`, `sleep`) is fake, so retries cost no time.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from google.auth import jwt
from google_fake_sheets import (
    SPREADSHEET_SCHEMA,
    ApiError,
    Spreadsheet,
    apply_mask,
    check_mask,
    invalid,
    parse_mask,
)
from requests.structures import CaseInsensitiveDict

SPREADSHEET = "application/vnd.google-apps.spreadsheet"
FOLDER = "application/vnd.google-apps.folder"
TOKEN_URI = "https://oauth2.googleapis.com/token"
ROLES = ["reader", "commenter", "writer", "fileOrganizer", "organizer", "owner"]
FILE_FIELDS = {
    "kind": None,
    "id": None,
    "name": None,
    "mimeType": None,
    "parents": None,
    "appProperties": None,
    "properties": None,
    "trashed": None,
    "modifiedTime": None,
    "createdTime": None,
    "version": None,
    "lastModifyingUser": None,
    "driveId": None,
    "webViewLink": None,
    "owners": None,
    "capabilities": None,
    "modifiedByMeTime": None,
}
PERMISSION_FIELDS = {
    "kind": None,
    "id": None,
    "type": None,
    "role": None,
    "emailAddress": None,
    "displayName": None,
    "domain": None,
    "deleted": None,
    "permissionDetails": None,
}
# Query parameters every Google API accepts.
_SYSTEM_PARAMS = {"fields", "alt", "prettyPrint", "quotaUser", "key"}


@functools.cache
def _rsa_key() -> tuple[str, str]:
    """One RSA key pair per test run (private PEM, public PEM): generating one is the slow part."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # 1024 bits: loading a larger key costs google-auth tens of milliseconds per store.
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class DriveFile:
    id: str
    name: str
    mime: str
    parents: list[str]
    created_by: str
    app_properties: dict[str, str] = field(default_factory=dict)
    # email -> (permission id, role)
    permissions: dict[str, tuple[str, str]] = field(default_factory=dict)
    shared_drive: bool = False
    trashed: bool = False
    modified: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    modified_by: str = ""
    version: int = 1
    spreadsheet: Spreadsheet | None = None


@dataclass
class Call:
    endpoint: str
    method: str
    path: str
    params: dict[str, list[str]]
    body: Any
    caller: str
    status: int = 200


@dataclass
class Fault:
    status: int
    times: int | None
    endpoint: str | None
    file_id: str | None


class FakeGoogle(requests.adapters.BaseAdapter):
    """Sheets v4 + Drive v3 + OAuth, in memory. See the module docstring."""

    def __init__(self, now: dt.datetime = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)):
        super().__init__()
        self.now = now
        self.monotonic = 0.0
        self.slept: list[float] = []
        self.files: dict[str, DriveFile] = {}
        self.calls: Counter[str] = Counter()
        self.log: list[Call] = []
        self.faults: list[Fault] = []
        self.page_size = 1000
        # Sheets' per-user quota (reads and writes a minute), enforced when set.
        self.quota_per_minute: int | None = None
        self._quota_used: dict[tuple[str, str], list[float]] = {}
        self._accounts: dict[str, str] = {}  # service account email -> public key PEM
        self._tokens: dict[str, str] = {}  # token -> email
        self._ids = itertools.count(1)

    # -- set-up and test controls ----------------------------------------------------------------

    def service_account(self, email: str) -> dict[str, str]:
        """A service-account key (the JSON Google Cloud downloads) the fake will accept."""
        private, public = _rsa_key()
        self._accounts[email] = public
        return {
            "type": "service_account",
            "project_id": "test-district",
            "private_key_id": "fake-key-1",
            "private_key": private,
            "client_email": email,
            "client_id": "1",
            "token_uri": TOKEN_URI,
        }

    def folder(self, folder_id: str, members: dict[str, str], shared_drive: bool = True) -> None:
        """A folder (in a shared drive unless told otherwise) whose members have these roles."""
        self.files[folder_id] = DriveFile(
            folder_id,
            "Plans",
            FOLDER,
            [],
            "admin",
            shared_drive=shared_drive,
            permissions={email: (self._new_id("perm"), role) for email, role in members.items()},
        )

    def session_as(self, email: str) -> requests.Session:
        """A signed-in session for a person (a school team member, district staff)."""
        token = self._new_id("person-token")
        self._tokens[token] = email
        session = requests.Session()
        session.mount("https://", self)
        session.headers["Authorization"] = f"Bearer {token}"
        return session

    def fail(
        self,
        status: int,
        times: int | None = 1,
        endpoint: str | None = None,
        file_id: str | None = None,
    ) -> None:
        """Answer the next `times` matching requests (None: all of them) with `status`; status
        0 drops the connection instead."""
        self.faults.append(Fault(status, times, endpoint, file_id))

    def formula_shows(self, file_id: str, tab: str, row: int, column: int, value: dict) -> None:
        """Stand in for Sheets' formula engine: the formula in the cell (1-based) shows `value`,
        an ExtendedValue such as {"errorValue": {"type": "DIVIDE_BY_ZERO"}}."""
        sheet = self.files[file_id].spreadsheet.sheet_named(tab)
        sheet.results[(row - 1, column - 1)] = value

    def clock(self) -> float:
        return self.monotonic

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.monotonic += seconds
        self.now += dt.timedelta(seconds=seconds)

    def edited_by(self, file_id: str, email: str, when: dt.datetime) -> None:
        """Record that a person changed the file at `when` (as Drive would)."""
        file = self.files[file_id]
        file.modified, file.modified_by, file.version = when, email, file.version + 1

    def spreadsheets(self) -> list[DriveFile]:
        return [f for f in self.files.values() if f.spreadsheet is not None]

    def reset_counts(self) -> None:
        self.calls.clear()
        self.log.clear()

    # -- the adapter -----------------------------------------------------------------------------

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url)
        params = parse_qs(url.query, keep_blank_values=True)
        body = _body(request)
        endpoint, handler, args = self._route(request.method, url.netloc, url.path)
        call = Call(endpoint, request.method, url.path, params, body, "")
        self.calls[endpoint] += 1
        self.log.append(call)
        try:
            if handler is None:
                raise ApiError(404, "NOT_FOUND", f"Method not found: {request.method} {url.path}")
            self._injected_fault(endpoint, args)
            if endpoint != "oauth.token":
                call.caller = self._caller(request)
                self._within_quota(endpoint, request.method, call.caller)
            status, reply = handler(call, *args)
        except ApiError as error:
            status, reply = error.code, _error_json(error, endpoint)
        call.status = status
        return _response(request, status, reply)

    def close(self) -> None:
        pass

    def _route(self, method: str, host: str, path: str):
        sheets = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        drive = re.fullmatch(r"/drive/v3/files(?:/([^/]+))?(/permissions|/copy)?", path)
        if host == "oauth2.googleapis.com" and path == "/token" and method == "POST":
            return "oauth.token", self._token, ()
        if host == "sheets.googleapis.com" and sheets:
            key, rest = sheets.group(1), sheets.group(2)
            routes = {
                ("GET", ""): ("sheets.spreadsheets.get", self._get_spreadsheet),
                ("POST", ":batchUpdate"): ("sheets.spreadsheets.batchUpdate", self._batch_update),
                ("GET", "/values:batchGet"): ("sheets.values.batchGet", self._batch_get),
                ("POST", "/values:batchUpdate"): ("sheets.values.batchUpdate", self._values_batch),
            }
            if (method, rest) in routes:
                name, handler = routes[(method, rest)]
                return name, handler, (key,)
            value_range = re.fullmatch(r"/values/([^:]+|'[^']*'(?:![^:]*)?)(:clear)?", rest)
            if value_range and method == "PUT" and not value_range.group(2):
                return (
                    "sheets.values.update",
                    self._values_update,
                    (key, unquote(value_range.group(1))),
                )
            if value_range and method == "POST" and value_range.group(2):
                return (
                    "sheets.values.clear",
                    self._values_clear,
                    (key, unquote(value_range.group(1))),
                )
        if host == "www.googleapis.com" and drive:
            file_id, tail = drive.group(1), drive.group(2)
            routes = {
                ("GET", False, None): ("drive.files.list", self._list_files),
                ("POST", False, None): ("drive.files.create", self._create_file),
                ("GET", True, None): ("drive.files.get", self._get_file),
                ("DELETE", True, None): ("drive.files.delete", self._delete_file),
                ("PATCH", True, None): ("drive.files.update", self._update_file),
                ("POST", True, "/copy"): ("drive.files.copy", self._copy_file),
                ("GET", True, "/permissions"): ("drive.permissions.list", self._list_permissions),
                ("POST", True, "/permissions"): ("drive.permissions.create", self._share),
            }
            found = routes.get((method, file_id is not None, tail))
            if found:
                return found[0], found[1], ((file_id,) if file_id else ())
        return f"unknown {method} {host}{path}", None, ()

    def _caller(self, request: requests.PreparedRequest) -> str:
        header = request.headers.get("Authorization", "")
        email = self._tokens.get(header.removeprefix("Bearer "))
        if email is None:
            raise ApiError(
                401,
                "UNAUTHENTICATED",
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                "authError",
            )
        return email

    def _injected_fault(self, endpoint: str, args: tuple) -> None:
        for fault in self.faults:
            if fault.times == 0:
                continue
            if fault.endpoint not in (None, endpoint):
                continue
            if fault.file_id is not None and (not args or args[0] != fault.file_id):
                continue
            if fault.times is not None:
                fault.times -= 1
            if fault.status == 0:
                raise requests.ConnectionError("fake: the network is down")
            raise _fault_error(fault.status)

    def _within_quota(self, endpoint: str, method: str, caller: str) -> None:
        """Refuse a Sheets request over the per-user, per-minute quota, as Google does."""
        if self.quota_per_minute is None or not endpoint.startswith("sheets."):
            return
        kind = "Read" if method == "GET" else "Write"
        used = self._quota_used.setdefault((caller, kind), [])
        used[:] = [moment for moment in used if moment > self.monotonic - 60]
        if len(used) >= self.quota_per_minute:
            raise ApiError(
                429,
                "RESOURCE_EXHAUSTED",
                f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests "
                "per minute per user' of service 'sheets.googleapis.com'.",
                "rateLimitExceeded",
            )
        used.append(self.monotonic)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    # -- OAuth -----------------------------------------------------------------------------------

    def _token(self, call: Call) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(call.body or "").items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}
        try:
            claims = jwt.decode(form.get("assertion", ""), verify=False)
            public = self._accounts[claims["iss"]]
            claims = jwt.decode(form["assertion"], certs=public, audience=TOKEN_URI)
        except (KeyError, ValueError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        scopes = set(claims.get("scope", "").split())
        if (
            not {
                "https://www.googleapis.com/auth/spreadsheets",
                "https://www.googleapis.com/auth/drive",
            }
            <= scopes
        ):
            return 400, {"error": "invalid_scope"}
        token = self._new_id("token")
        self._tokens[token] = claims["iss"]
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    # -- access ------------------------------------------------------------------------------------

    def role(self, file: DriveFile, email: str) -> str | None:
        """The caller's role on a file: its own permission or one inherited from a folder."""
        best = None
        seen: set[str] = set()
        stack = [file]
        while stack:
            current = stack.pop()
            if current.id in seen:
                continue
            seen.add(current.id)
            granted = current.permissions.get(email.casefold())
            if granted and (best is None or ROLES.index(granted[1]) > ROLES.index(best)):
                best = granted[1]
            stack += [self.files[p] for p in current.parents if p in self.files]
        return best

    def _drive_file(self, file_id: str, caller: str, need: str = "reader") -> DriveFile:
        file = self.files.get(file_id)
        role = self.role(file, caller) if file else None
        if file is None or role is None:
            raise ApiError(404, "NOT_FOUND", f"File not found: {file_id}.", "notFound")
        if ROLES.index(role) < ROLES.index(need):
            raise ApiError(
                403,
                "PERMISSION_DENIED",
                "The user does not have sufficient permissions for this file.",
                "insufficientFilePermissions",
            )
        return file

    def _spreadsheet(self, key: str, caller: str, need: str = "reader") -> DriveFile:
        file = self.files.get(key)
        if file is None or file.spreadsheet is None:
            raise ApiError(404, "NOT_FOUND", "Requested entity was not found.")
        role = self.role(file, caller)
        if role is None or ROLES.index(role) < ROLES.index(need):
            raise ApiError(403, "PERMISSION_DENIED", "The caller does not have permission")
        return file

    def _modified(self, file: DriveFile, caller: str) -> None:
        file.modified, file.modified_by, file.version = self.now, caller, file.version + 1

    # -- Sheets ----------------------------------------------------------------------------------

    def _get_spreadsheet(self, call: Call, key: str) -> tuple[int, dict]:
        params = _params(call, {"includeGridData", "ranges", "excludeTablesInBandedRanges"})
        if "ranges" in params:
            raise invalid("the fake serves whole spreadsheets only (no ranges)")
        grid = params.get("includeGridData", ["false"])[0]
        if grid not in ("true", "false"):
            raise invalid(f"Invalid value at 'include_grid_data' ({grid})")
        file = self._spreadsheet(key, call.caller)
        spreadsheet = file.spreadsheet.as_json(grid=grid == "true")
        return 200, _masked(spreadsheet, params, SPREADSHEET_SCHEMA, "spreadsheet")

    def _batch_update(self, call: Call, key: str) -> tuple[int, dict]:
        _params(call, set())
        file = self._spreadsheet(key, call.caller, need="writer")
        body = call.body or {}
        if set(body) - {
            "requests",
            "includeSpreadsheetInResponse",
            "responseRanges",
            "responseIncludeGridData",
        }:
            raise invalid(f"Invalid JSON payload received. Unknown name in {sorted(body)}")
        working = file.spreadsheet.snapshot()
        replies = working.batch_update(body.get("requests"))
        for sheet in working.sheets:
            for protected in sheet.protected:
                # The spreadsheet's owner stays an editor of every range it protects.
                protected.setdefault("_owner", file.created_by)
        file.spreadsheet = working
        self._modified(file, call.caller)
        return 200, {"spreadsheetId": key, "replies": replies}

    def _batch_get(self, call: Call, key: str) -> tuple[int, dict]:
        params = _params(
            call, {"ranges", "valueRenderOption", "dateTimeRenderOption", "majorDimension"}
        )
        _only(params, "valueRenderOption", "UNFORMATTED_VALUE", required=True)
        _only(params, "dateTimeRenderOption", "SERIAL_NUMBER")
        _only(params, "majorDimension", "ROWS")
        file = self._spreadsheet(key, call.caller)
        ranges = params.get("ranges", [])
        value_ranges = [file.spreadsheet.values(text) for text in ranges]
        return 200, {"spreadsheetId": key, "valueRanges": value_ranges}

    def _values_update(self, call: Call, key: str, text: str) -> tuple[int, dict]:
        params = _params(call, {"valueInputOption", "includeValuesInResponse"})
        _only(params, "valueInputOption", "RAW", required=True)
        file = self._spreadsheet(key, call.caller, need="writer")
        values = (call.body or {}).get("values", [])
        file.spreadsheet.check_editor(text, values, call.caller)
        reply = file.spreadsheet.put_values(text, values)
        self._modified(file, call.caller)
        return 200, reply

    def _values_batch(self, call: Call, key: str) -> tuple[int, dict]:
        _params(call, set())
        body = call.body or {}
        if body.get("valueInputOption") != "RAW":
            raise invalid("the fake accepts valueInputOption RAW only")
        file = self._spreadsheet(key, call.caller, need="writer")
        working = file.spreadsheet.snapshot()
        for d in body.get("data", []):
            working.check_editor(d["range"], d.get("values", []), call.caller)
        replies = [
            working.put_values(d["range"], d.get("values", [])) for d in body.get("data", [])
        ]
        file.spreadsheet = working
        self._modified(file, call.caller)
        return 200, {"spreadsheetId": key, "responses": replies}

    def _values_clear(self, call: Call, key: str, text: str) -> tuple[int, dict]:
        _params(call, set())
        file = self._spreadsheet(key, call.caller, need="writer")
        file.spreadsheet.check_editor(text, None, call.caller)
        reply = file.spreadsheet.clear_values(text)
        self._modified(file, call.caller)
        return 200, reply

    # -- Drive -----------------------------------------------------------------------------------

    def _file_json(self, file: DriveFile, caller: str) -> dict[str, Any]:
        data = {
            "kind": "drive#file",
            "id": file.id,
            "name": file.name,
            "mimeType": file.mime,
            "parents": list(file.parents),
            "trashed": file.trashed,
            "modifiedTime": file.modified.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "version": str(file.version),
            "lastModifyingUser": {
                "kind": "drive#user",
                "emailAddress": file.modified_by,
                "me": file.modified_by.casefold() == caller.casefold(),
            },
        }
        if file.app_properties:
            data["appProperties"] = dict(file.app_properties)
        if file.shared_drive:
            data["driveId"] = "shared-drive-1"
        return data

    def _list_files(self, call: Call) -> tuple[int, dict]:
        params = _params(
            call,
            {
                "q",
                "pageSize",
                "pageToken",
                "supportsAllDrives",
                "includeItemsFromAllDrives",
                "corpora",
                "orderBy",
                "spaces",
            },
        )
        clauses = _parse_query(params.get("q", [""])[0])
        found = [
            f
            for f in self.files.values()
            if self.role(f, call.caller) and all(_matches(f, clause) for clause in clauses)
        ]
        found.sort(key=lambda f: f.id)
        size = min(int(params.get("pageSize", ["100"])[0]), self.page_size)
        start = int(params.get("pageToken", ["0"])[0])
        page = found[start : start + size]
        reply: dict[str, Any] = {
            "kind": "drive#fileList",
            "files": [self._file_json(f, call.caller) for f in page],
        }
        if start + size < len(found):
            reply["nextPageToken"] = str(start + size)
        schema = {
            "kind": None,
            "nextPageToken": None,
            "incompleteSearch": None,
            "files": FILE_FIELDS,
        }
        if "fields" not in params:
            reply["files"] = [
                apply_mask(f, parse_mask("kind,id,name,mimeType")) for f in reply["files"]
            ]
            return 200, reply
        return 200, _masked(reply, params, schema, "fileList")

    def _create_file(self, call: Call) -> tuple[int, dict]:
        params = _params(
            call, {"supportsAllDrives", "includePermissionsForView", "ignoreDefaultVisibility"}
        )
        body = call.body or {}
        unknown = set(body) - {
            "name",
            "mimeType",
            "parents",
            "appProperties",
            "properties",
            "description",
        }
        if unknown:
            raise invalid(f"Invalid field in file resource: {sorted(unknown)}")
        parents = body.get("parents") or []
        if len(parents) != 1:
            raise invalid("A file needs exactly one parent here.")
        parent = self._drive_file(parents[0], call.caller, need="writer")
        if not parent.shared_drive and call.caller.endswith(".gserviceaccount.com"):
            raise ApiError(
                403,
                "PERMISSION_DENIED",
                "Service Accounts do not have storage quota. Leverage shared drives, or use OAuth "
                "delegation instead.",
                "storageQuotaExceeded",
            )
        if body.get("mimeType") not in (SPREADSHEET, FOLDER):
            raise invalid(f"the fake creates spreadsheets and folders, not {body.get('mimeType')}")
        file_id = self._new_id("sheet" if body["mimeType"] == SPREADSHEET else "folder")
        name = body.get("name", "Untitled spreadsheet")
        file = DriveFile(
            file_id,
            name,
            body["mimeType"],
            parents,
            call.caller,
            app_properties=dict(body.get("appProperties", {})),
            shared_drive=parent.shared_drive,
        )
        if body["mimeType"] == SPREADSHEET:
            file.spreadsheet = Spreadsheet.blank(file_id, name)
        self._modified(file, call.caller)
        self.files[file_id] = file
        return 200, self._file_reply(file, call, params)

    def _file_reply(self, file: DriveFile, call: Call, params: dict) -> dict:
        data = self._file_json(file, call.caller)
        if "fields" not in params:
            return apply_mask(data, parse_mask("kind,id,name,mimeType"))
        return _masked(data, params, FILE_FIELDS, "file")

    def _get_file(self, call: Call, file_id: str) -> tuple[int, dict]:
        params = _params(
            call, {"supportsAllDrives", "includeItemsFromAllDrives", "acknowledgeAbuse"}
        )
        file = self._drive_file(file_id, call.caller)
        return 200, self._file_reply(file, call, params)

    def _update_file(self, call: Call, file_id: str) -> tuple[int, dict]:
        """files.update with a metadata body: a new name; appProperties are merged key by key
        (a key set to null is removed), as Drive does. Other fields are refused here."""
        params = _params(call, {"supportsAllDrives"})
        file = self._drive_file(file_id, call.caller, need="writer")
        body = call.body or {}
        unknown = set(body) - {"name", "appProperties"}
        if unknown:
            raise ApiError(400, "INVALID_ARGUMENT", f"the fake cannot update {sorted(unknown)}")
        if "name" in body:
            file.name = body["name"]
        for key, value in (body.get("appProperties") or {}).items():
            if value is None:
                file.app_properties.pop(key, None)
            else:
                file.app_properties[key] = value
        self._modified(file, call.caller)
        return 200, self._file_reply(file, call, params)

    def _delete_file(self, call: Call, file_id: str) -> tuple[int, dict]:
        _params(call, {"supportsAllDrives"})
        self._drive_file(file_id, call.caller, need="writer")
        del self.files[file_id]
        return 204, None

    def _copy_file(self, call: Call, file_id: str) -> tuple[int, dict]:
        params = _params(call, {"supportsAllDrives"})
        source = self._drive_file(file_id, call.caller)
        body = call.body or {}
        parents = body.get("parents") or source.parents
        parent = self._drive_file(parents[0], call.caller, need="writer")
        new_id = self._new_id("sheet")
        copied = copy.deepcopy(source)
        copied.id, copied.name, copied.parents = (
            new_id,
            body.get("name", f"Copy of {source.name}"),
            parents,
        )
        copied.permissions, copied.shared_drive = {}, parent.shared_drive
        if copied.spreadsheet is not None:
            copied.spreadsheet.id = new_id
        self._modified(copied, call.caller)
        self.files[new_id] = copied
        return 200, self._file_reply(copied, call, params)

    def _share(self, call: Call, file_id: str) -> tuple[int, dict]:
        params = _params(
            call,
            {
                "supportsAllDrives",
                "sendNotificationEmail",
                "emailMessage",
                "transferOwnership",
                "moveToNewOwnersRoot",
                "useDomainAdminAccess",
            },
        )
        file = self._drive_file(file_id, call.caller, need="writer")
        body = call.body or {}
        if body.get("type") != "user" or not body.get("emailAddress"):
            raise invalid("The permission type field is required (the fake shares with users).")
        if body.get("role") not in ROLES[:-1]:
            raise invalid(f"The value of the parameter 'role' is invalid: {body.get('role')}")
        email = body["emailAddress"].casefold()
        permission_id = file.permissions.get(email, (self._new_id("perm"), ""))[0]
        file.permissions[email] = (permission_id, body["role"])
        data = {
            "kind": "drive#permission",
            "id": permission_id,
            "type": "user",
            "role": body["role"],
            "emailAddress": email,
        }
        if "fields" not in params:
            return 200, apply_mask(data, parse_mask("kind,id,type,role"))
        return 200, _masked(data, params, PERMISSION_FIELDS, "permission")

    def _list_permissions(self, call: Call, file_id: str) -> tuple[int, dict]:
        params = _params(call, {"supportsAllDrives", "pageSize", "pageToken"})
        file = self._drive_file(file_id, call.caller)
        permissions = [
            {
                "kind": "drive#permission",
                "id": pid,
                "type": "user",
                "role": role,
                "emailAddress": email,
            }
            for email, (pid, role) in sorted(file.permissions.items())
        ]
        reply = {"kind": "drive#permissionList", "permissions": permissions}
        schema = {"kind": None, "nextPageToken": None, "permissions": PERMISSION_FIELDS}
        return 200, _masked(reply, params, schema, "permissionList")


# -- helpers -------------------------------------------------------------------------------------


def _body(request: requests.PreparedRequest) -> Any:
    raw = request.body
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    if "json" in request.headers.get("Content-Type", ""):
        return json.loads(text)
    return text


def _params(call: Call, allowed: set[str]) -> dict[str, list[str]]:
    unknown = set(call.params) - allowed - _SYSTEM_PARAMS
    if unknown:
        name = sorted(unknown)[0]
        raise invalid(
            f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter.'
        )
    return call.params


def _only(params: dict[str, list[str]], name: str, value: str, required: bool = False) -> None:
    given = params.get(name)
    if given is None and not required:
        return
    if given != [value]:
        raise invalid(f"the fake supports {name}={value} only, not {given}")


def _masked(data: dict, params: dict[str, list[str]], schema: dict, where: str) -> dict:
    if "fields" not in params:
        return data
    tree = parse_mask(params["fields"][0])
    check_mask(tree, schema, where)
    return apply_mask(data, tree)


_CLAUSES = [
    (re.compile(r"'([^']+)' in parents"), "parent"),
    (re.compile(r"mimeType\s*=\s*'([^']+)'"), "mime"),
    (re.compile(r"trashed\s*=\s*(true|false)"), "trashed"),
    (re.compile(r"name\s*=\s*'([^']*)'"), "name"),
]


def _parse_query(q: str) -> list[tuple[str, str]]:
    """Drive's `q` for the clauses the fake knows, joined by `and`; anything else is refused."""
    if not q.strip():
        return []
    clauses = []
    for part in re.split(r"\s+and\s+", q.strip()):
        for pattern, kind in _CLAUSES:
            match = pattern.fullmatch(part.strip())
            if match:
                clauses.append((kind, match.group(1)))
                break
        else:
            raise ApiError(400, "INVALID_ARGUMENT", "Invalid Value", "invalid")
    return clauses


def _matches(file: DriveFile, clause: tuple[str, str]) -> bool:
    kind, value = clause
    if kind == "parent":
        return value in file.parents
    if kind == "mime":
        return file.mime == value
    if kind == "trashed":
        return file.trashed == (value == "true")
    return file.name == value


def _fault_error(status: int) -> ApiError:
    names = {
        429: (
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Read requests' and limit "
            "'Read requests per minute per user'.",
            "rateLimitExceeded",
        ),
        400: ("INVALID_ARGUMENT", "Invalid requests[0]: No grid with id: 7", "badRequest"),
        500: ("INTERNAL", "Internal error encountered.", "backendError"),
        503: ("UNAVAILABLE", "The service is currently unavailable.", "backendError"),
        403: ("PERMISSION_DENIED", "The caller does not have permission", "forbidden"),
        404: ("NOT_FOUND", "Requested entity was not found.", "notFound"),
    }
    status_name, message, reason = names[status]
    return ApiError(status, status_name, message, reason)


def _error_json(error: ApiError, endpoint: str) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message, "status": error.status}
    if endpoint.startswith("drive."):  # Drive adds the older list of errors with a reason
        body["errors"] = [
            {"domain": "global", "reason": error.reason or "error", "message": error.message}
        ]
    return {"error": body}


def _response(request: requests.PreparedRequest, status: int, reply: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.request = request
    response.url = request.url
    response.encoding = "utf-8"
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json; charset=UTF-8"})
    response._content = b"" if reply is None else json.dumps(reply).encode()
    return response
