"""Colours shared by the rollup's charts and the HTML report, so both read the same way."""

from __future__ import annotations

# Benchmark statuses: met and on track in greens, off track and not met in warm colours.
STATUS_COLORS = {
    "Met": "2E7D32",
    "On Track": "81C784",
    "Not Started": "B0BEC5",
    "Off Track": "F5A623",
    "Not Met": "D32F2F",
    "No status": "E0E0E0",
}
OTHER_STATUS = "9E9E9E"

# Completeness bands, as the coach summary colours its score.
GOOD, WARN, BAD = "2E7D32", "B26A00", "C62828"
LAST_RUN = "90A4AE"


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, OTHER_STATUS)


def score_color(score: int) -> str:
    return GOOD if score >= 85 else WARN if score >= 60 else BAD
