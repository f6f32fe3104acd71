"""The JSON report: the stable interface for scripts (`plansync sync --json`)."""

from __future__ import annotations

from ..results import SyncResult


def as_json(result: SyncResult) -> dict:
    """Schools with their completeness, quality, figures and issues, and where the rollup is."""
    return {
        "district": result.district.district,
        "today": result.today.isoformat(),
        "rollup": result.rollup,
        "need_migrate": result.need_migrate,
        "schools": [
            {
                "id": school.school.id,
                "name": school.school.name,
                "coach": school.school.coach,
                "completeness": school.completeness,
                "quality": school.quality,
                "errors": school.errors,
                "warnings": school.warnings,
                "metrics": school.labelled_metrics,
                "last_edit": school.last_edit.isoformat() if school.last_edit else None,
                "issues": [issue.as_json() for issue in school.issues],
                "notes": [note.as_json(result.today) for note in school.notes],
            }
            for school in result.schools
        ],
        # Schools marked `active: false`: kept with their files and history, not checked.
        "inactive_schools": [
            {"id": school.id, "name": school.name, "coach": school.coach}
            for school in result.district.inactive_schools
        ],
    }
