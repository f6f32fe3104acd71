"""The `google:` section of the district config: where the spreadsheets live, how to sign in.

Only a pydantic model: config.py validates the section with the rest of the file, and importing
this module loads nothing from Google.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class GoogleSettings(BaseModel):
    """The `google:` section: where the spreadsheets live and how the sync signs in."""

    # As the rest of the config (config.Model): unknown keys refused, values fixed once read.
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The Drive folder (in a shared drive) that holds every school's spreadsheets and the rollup.
    folder_id: str = Field(min_length=1)
    # The service account's JSON key; when unset, the file named by $PLANSYNC_GOOGLE_KEY.
    key_file: Path | None = None
    # What a school's coach may do in its spreadsheets; the school's team are always writers.
    coach_role: Literal["writer", "commenter", "reader"] = "commenter"
    # Whether Google emails people when a spreadsheet is shared with them.
    notify: bool = False
    # Where the ids of the spreadsheets made so far are recorded, beside the config.
    registry: Path = Path("plansync-google.json")
