"""Signing in to Google and sending requests: the one seam between plansync and Google's APIs.

Every request to Sheets and Drive goes through gspread's HTTPClient, subclassed here to retry
what Google asks to be retried (429 quota replies, 5xx) with capped exponential backoff and
jitter. gspread's own BackOffHTTPClient retries a lasting 429 forever; this one gives up after a
bounded number of attempts and seconds, so one exhausted quota cannot hang the nightly run.

The key file is read only to build credentials: no message here ever includes its contents.
"""

from __future__ import annotations

import collections
import json
import os
import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ..config import District
from ..errors import ConfigError, PlansyncError, read_text_file

KEY_ENV = "PLANSYNC_GOOGLE_KEY"
SHEETS_API = "https://sheets.googleapis.com/"
SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
)
# Drive answers some quota overruns with 403 and one of these reasons instead of 429.
_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


class GoogleUnreachable(PlansyncError):
    """No answer from Google at all (network down): every school would fail, so the run stops."""


def network_adapter() -> requests.adapters.BaseAdapter:
    """The transport every Google request travels on. The tests swap in an in-process fake."""
    return requests.adapters.HTTPAdapter(pool_maxsize=4)


def key_path(district: District) -> Path:
    """The service-account key file the config (or $PLANSYNC_GOOGLE_KEY) names."""
    settings = district.google
    if settings is not None and settings.key_file is not None:
        return district.path(settings.key_file)
    named = os.environ.get(KEY_ENV, "").strip()
    if not named:
        raise ConfigError(
            f"google.key_file: not set, and ${KEY_ENV} is empty; name the service account's "
            "JSON key file in one of them"
        )
    return Path(named).expanduser()


def load_credentials(path: Path) -> service_account.Credentials:
    """Service-account credentials from a JSON key; a one-line ConfigError when it is unusable."""
    where = f"google key file {path}"
    try:
        info = json.loads(read_text_file(path, where))
    except ValueError:
        raise ConfigError(f"{where}: not JSON; use the key Google Cloud downloads") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ConfigError(f"{where}: not a service-account key (its type must be service_account)")
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if missing:
        raise ConfigError(f"{where}: the key lacks {', '.join(missing)}")
    try:
        return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, TypeError):  # the message could quote the key: never pass it on
        raise ConfigError(f"{where}: its private key cannot be read") from None


def connect(credentials: service_account.Credentials) -> RetryingHTTPClient:
    """An HTTP client signed in as the service account, on the network adapter."""
    adapter = network_adapter()
    token_session = requests.Session()
    token_session.mount("https://", adapter)
    session = AuthorizedSession(credentials, auth_request=Request(token_session))
    session.mount("https://", adapter)
    client = RetryingHTTPClient(auth=None, session=session)
    client.set_timeout((10, 120))
    return client


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client, retrying 429 and 5xx with capped exponential backoff and jitter,
    and pacing Sheets requests to the per-user quota so that a large district rarely meets 429."""

    # Enough waiting (about two and a half minutes in all) to outlast a quota minute spent by
    # another program on the same account, not so much that a dead service stalls the night.
    max_attempts = 8
    # No retry starts once this many seconds have passed since the first attempt.
    max_seconds = 240.0
    first_delay = 2.0
    longest_delay = 64.0
    # Sheets allows a user (a service account is one) 60 reads and 60 writes a minute.
    sheets_per_minute = {"read": 60, "write": 60}
    # Seams for the tests, which run on a fake clock.
    sleep = staticmethod(time.sleep)
    clock = staticmethod(time.monotonic)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._sent: dict[str, collections.deque[float]] = {
            kind: collections.deque() for kind in self.sheets_per_minute
        }

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        started = self.clock()
        attempt = 1
        while True:
            self._pace(method, endpoint)
            try:
                return super().request(method, endpoint, *args, **kwargs)
            except APIError as error:
                if not should_retry(error):
                    raise
                delay = self._delay(attempt, error.response.headers)
                if attempt >= self.max_attempts or self._out_of_time(started, delay):
                    raise
            except RefreshError:
                raise ConfigError(
                    "google key file: Google refused the service account's key (deleted, "
                    "disabled, or from another project); download a new key"
                ) from None
            except (requests.ConnectionError, requests.Timeout, TransportError):
                delay = self._delay(attempt, {})
                if attempt >= self.max_attempts or self._out_of_time(started, delay):
                    raise GoogleUnreachable(
                        f"Google could not be reached after {attempt} tries; the run stopped, "
                        "run it again later"
                    ) from None
            self.sleep(delay)
            attempt += 1

    def _pace(self, method: str, endpoint: str) -> None:
        """Wait, if need be, so that no more Sheets reads (or writes) than the quota allows go
        out in any 60 seconds. Drive requests have a far larger quota and are not paced."""
        if not endpoint.startswith(SHEETS_API):
            return
        kind = "read" if method.upper() == "GET" else "write"
        sent = self._sent[kind]
        while sent and sent[0] <= self.clock() - 60:
            sent.popleft()
        if len(sent) >= self.sheets_per_minute[kind]:
            self.sleep(sent[0] + 60 - self.clock())
            sent.popleft()
        sent.append(self.clock())

    def _delay(self, attempt: int, headers: Mapping[str, str]) -> float:
        """Seconds to wait: Google's Retry-After when given, else doubling with jitter."""
        asked = headers.get("Retry-After", "")
        if asked.isdigit():
            return min(float(asked), self.longest_delay)
        ceiling = min(self.first_delay * 2 ** (attempt - 1), self.longest_delay)
        # Jitter spreads retries out so parallel clients do not hit the quota in lockstep.
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _out_of_time(self, started: float, delay: float) -> bool:
        return self.clock() - started + delay > self.max_seconds


def should_retry(error: APIError) -> bool:
    """Whether Google says to try again later: quota (429, Drive's 403 rate limits) or 5xx."""
    status = error.response.status_code
    if status in (408, 429) or status >= 500:
        return True
    if status == 403:
        reasons = {item.get("reason") for item in error.error.get("errors", ()) or ()}
        return bool(reasons & _RATE_LIMIT_REASONS)
    return False


def error_status(error: APIError) -> int:
    return error.response.status_code


def error_reason(error: APIError) -> str:
    """Google's short reason for a failure (e.g. storageQuotaExceeded), or its status name."""
    for item in error.error.get("errors", ()) or ():
        if item.get("reason"):
            return str(item["reason"])
    return str(error.error.get("status", ""))
