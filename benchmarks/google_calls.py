"""Google API requests per run, read from the in-process fake's counters.

    python benchmarks/google_calls.py --schools 50

Builds a demo district (filled plans, team and coach emails) on the fake Sheets and Drive of the
test suite (tests/google_fake.py), with Sheets' per-user quota enforced, and prints how many
requests each endpoint received for: the first provisioning, a second provisioning (which must
create and share nothing), the first sync, the next night with no edits, and a night after 1% of
the spreadsheets were edited. It also prints how long each run waited to stay within the quota, on
the fake's clock (the fake itself answers at once), which is the floor for a real run of that size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from edits import GoogleEdits  # noqa: E402
from google_fake import FakeGoogle  # noqa: E402
from plansync.config import dump_config, load_config  # noqa: E402
from plansync.demo import DemoFiller, demo_district  # noqa: E402
from plansync.google import client as google_client  # noqa: E402
from plansync.nightly import sync_district  # noqa: E402
from plansync.provision import provision_district  # noqa: E402

ACCOUNT = "plansync@riverside-district.iam.gserviceaccount.com"
TODAY = dt.date(2026, 11, 27)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=50)
    args = parser.parse_args(argv)
    fake = FakeGoogle()
    fake.folder("district-folder", {ACCOUNT: "fileOrganizer"})
    fake.quota_per_minute = 60
    google_client.network_adapter = lambda: fake
    google_client.RetryingHTTPClient.sleep = staticmethod(fake.sleep)
    google_client.RetryingHTTPClient.clock = staticmethod(fake.clock)
    with tempfile.TemporaryDirectory(prefix="plansync-google-") as scratch:
        district = _district(Path(scratch), fake, args.schools)
        filler = DemoFiller(district, 7, TODAY)

        def fill_every_workbook(school, template, plan):  # the demo leaves some out on purpose
            return filler(school, template, plan) or plan

        night = iter(TODAY + dt.timedelta(days=n) for n in range(3))
        phases = [
            ("provision", lambda: provision_district(district, fill=fill_every_workbook)),
            ("provision again", lambda: provision_district(district)),
            ("first sync", lambda: sync_district(district, today=next(night))),
            ("night, no edits", lambda: sync_district(district, today=next(night))),
            ("night, 1% edited", lambda: _edit_then_sync(fake, district, next(night))),
        ]
        counts = {}
        waits = {}
        results = {}
        for name, run in phases:
            fake.sleep(24 * 3600)  # runs are a night apart: the quota minute starts afresh
            fake.reset_counts()
            before = fake.monotonic
            results[name] = run()
            counts[name] = dict(fake.calls)
            waits[name] = fake.monotonic - before
    _print(counts, waits, args.schools)
    _targets(counts, waits, results, args.schools)


def _targets(counts, waits, results, schools: int) -> None:
    """Issue 16's targets for these counts, met or not met."""
    total = {name: sum(calls.values()) for name, calls in counts.items()}
    edited = len(_edited_schools(schools))
    one_percent = results["night, 1% edited"]
    allowed = 3 * edited + one_percent.summaries_written + 1
    print()
    print(
        f"  first sync: {3 * schools} spreadsheets read, waiting {waits['first sync'] / 60:.1f} "
        "minutes in all for the Sheets quota (60 reads and 60 writes a minute)"
    )
    quiet = results["night, no edits"]
    for label, value, goal in (
        ("next night, no edits: requests in all", total["night, no edits"], 10),
        (
            f"night with 1% edited ({edited} spreadsheets, "
            f"{one_percent.summaries_written} summaries changed): requests",
            total["night, 1% edited"],
            allowed,
        ),
    ):
        verdict = "met" if value <= goal else "NOT met"
        print(f"  {label}: {value} (target <= {goal}: {verdict})")
    # The target counts every request; a summary whose content changed overnight (a step, a
    # responsibility or a decision fell due) must be written: one batchUpdate each (the endpoint
    # table shows the rest).
    print(
        f"    of the next night's requests, {quiet.summaries_written} wrote summaries whose "
        f"content changed (something fell due); the other "
        f"{total['night, no edits'] - quiet.summaries_written} signed in, listed the folder and "
        "wrote the rollup"
    )


def _edit_then_sync(fake: FakeGoogle, district, night: dt.date):
    """A school lead edits 1% of the spreadsheets (at least one) before the night's sync; the
    edits' own requests are not counted."""
    for school in _edited_schools(len(district.schools), district):
        GoogleEdits(fake, f"lead@{school.id}.example").set_cells(
            district, school.id, "Strategies", {"E2": "Full Implementation"}
        )
    fake.reset_counts()
    return sync_district(district, today=night)


def _edited_schools(count: int, district=None) -> list:
    """Every 33rd school, one spreadsheet each: 1% of the spreadsheets (3 a school), at least 1."""
    step = max(1, round(100 / 3))
    if district is None:
        return list(range(count))[::step]
    return district.schools[::step]


def _district(folder: Path, fake: FakeGoogle, schools: int):
    district = demo_district(schools, 7, TODAY)
    data = yaml.safe_load(dump_config(district))
    data["backend"] = "google"
    data["google"] = {"folder_id": "district-folder", "key_file": "key.json"}
    for school in data["schools"]:
        school["team"] = [f"lead@{school['id']}.example", f"principal@{school['id']}.example"]
    (folder / "key.json").write_text(json.dumps(fake.service_account(ACCOUNT)))
    (folder / "district.yaml").write_text(yaml.safe_dump(data), "utf-8")
    return load_config(folder / "district.yaml")


def _print(counts: dict[str, dict[str, int]], waits: dict[str, float], schools: int) -> None:
    endpoints = sorted({endpoint for phase in counts.values() for endpoint in phase})
    width = max(len(e) for e in endpoints + ["total"])
    print(f"{schools} schools, {3 * schools} spreadsheets; requests per endpoint:\n")
    print(f"{'endpoint':<{width}}" + "".join(f"{name:>18}" for name in counts))
    for endpoint in endpoints:
        row = "".join(f"{counts[name].get(endpoint, 0):>18}" for name in counts)
        print(f"{endpoint:<{width}}{row}")
    print(f"{'total':<{width}}" + "".join(f"{sum(c.values()):>18}" for c in counts.values()))
    paced = "".join(f"{waits[name] / 60:>16.1f} m" for name in counts)
    print(f"{'waited for quota':<{width}}{paced}")


if __name__ == "__main__":
    main()
