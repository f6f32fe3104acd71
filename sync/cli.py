"""The `plansync` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the result; a mistake in
the config or the arguments is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from . import __version__
from .config import District, load_config
from .errors import PlansyncError

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _district(config: Path) -> District:
    try:
        return load_config(config)
    except PlansyncError as error:
        raise click.ClickException(str(error)) from None


def _run(action, *args, **options):
    """Call the library; a PlansyncError (a bad folder, another sync running) is one line."""
    try:
        return action(*args, **options)
    except PlansyncError as error:
        raise click.ClickException(str(error)) from None


def _day(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


class _ProgressBars:
    """A progress bar per phase on stderr, shown only to a person at a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.phase = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or total < 2:
            return
        if phase != self.phase:
            self.close()
            self.phase = phase
            self.bar = click.progressbar(length=total, label=phase, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
            self.phase = None


def _progress() -> _ProgressBars:
    return _ProgressBars(sys.stderr.isatty())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plansync")
def main() -> None:
    """Provision, check and roll up school improvement plans kept in spreadsheets."""


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would be created; create nothing.")
def provision(config: Path, dry_run: bool) -> None:
    """Create each school's PM Tool, roles tracker and decision log.

    Workbooks that already exist are left exactly as they are.
    """
    from .provision import provision_district

    district = _district(config)
    done = _run(provision_district, district, dry_run=dry_run, progress=_progress())
    for item in done:
        if item.outcome != "exists":
            click.echo(f"{item.outcome:>12}  {item.ref.label}")
    created = sum(1 for item in done if item.outcome in ("created", "would create"))
    existing = sum(1 for item in done if item.outcome == "exists")
    verb = "Would create" if dry_run else "Created"
    click.echo(
        f"{verb} {created} workbook{'s' if created != 1 else ''} for "
        f"{len(district.schools)} schools; {existing} already existed and were left as "
        "they are."
    )


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON for scripts.")
@click.option("--today", type=DATE, help="The date overdue checks use (default: today).")
def sync(config: Path, as_json: bool, today: dt.datetime | None) -> None:
    """Read every school's workbooks, check them, write the summary tabs and the rollup."""
    from .nightly import sync_district
    from .reports.export import as_json as result_json

    district = _district(config)
    result = _run(sync_district, district, today=_day(today), progress=_progress())
    if as_json:
        click.echo(json.dumps(result_json(result), indent=2, ensure_ascii=False))
        return
    width = max(len(school.school.name) for school in result.schools)
    click.echo(f"{'School':<{width}}  Complete  Errors  Warnings")
    for school in result.schools:
        click.echo(
            f"{school.school.name:<{width}}  {school.completeness:>7}%  "
            f"{school.errors:>6}  {school.warnings:>8}"
        )
    seconds = sum(result.timings.values())
    errors = sum(school.errors for school in result.schools)
    warnings = sum(school.warnings for school in result.schools)
    click.echo(
        f"\n{len(result.schools)} schools, {errors} errors, {warnings} warnings in {seconds:.1f} s."
    )
    click.echo(f"Rollup: {result.rollup}")


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="District config, for its monitoring cycles (default: those in the workbook).",
)
@click.option("--today", type=DATE, help="The date overdue checks use (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the issues as JSON.")
def check(workbook: Path, config: Path | None, today: dt.datetime | None, as_json: bool) -> None:
    """Check one workbook against its template. Exits 1 when it has issues."""
    from .checks import completeness
    from .nightly import check_file

    district = _district(config) if config else None
    try:
        template, outcome = check_file(workbook, _day(today), district)
    except PlansyncError as error:
        raise click.ClickException(f"{workbook}: {error}") from None
    score = completeness(outcome.expected, outcome.met)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "workbook": str(workbook),
                    "template": template.id,
                    "completeness": score,
                    "issues": [issue.as_json() for issue in outcome.issues],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        click.echo(
            f"{workbook}: {template.title}, {score}% complete, "
            f"{len(outcome.issues)} issue{'s' if len(outcome.issues) != 1 else ''}"
        )
        for issue in outcome.issues:
            place = f"{issue.sheet}!{issue.cell}" if issue.cell else (issue.sheet or "(workbook)")
            click.echo(f"  {issue.severity:<7} {place:<24} {issue.message}")
    if outcome.issues:
        sys.exit(1)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--schools",
    default=12,
    show_default=True,
    type=click.IntRange(1, 5000),
    help="How many schools.",
)
@click.option("--seed", default=7, show_default=True, help="Same seed, same district.")
@click.option("--today", type=DATE, help="Pretend it is this day (default: today).")
def demo(directory: Path, schools: int, seed: int, today: dt.datetime | None) -> None:
    """Write a demo district into DIRECTORY, fill its plans and run the nightly sync."""
    from .demo import CONFIG_NAME, write_demo
    from .nightly import sync_district

    if (directory / CONFIG_NAME).exists():
        raise click.ClickException(
            f"{directory / CONFIG_NAME} exists already; choose an empty "
            "folder (or run `plansync sync` on it)."
        )
    day = _day(today)
    district, config = write_demo(directory, schools=schools, seed=seed, today=day)
    result = _run(sync_district, district, today=day, progress=_progress())
    first = result.schools[0]
    pm_tool = first.workbook("pm_tool").ref.label
    click.echo(f"Demo district: {len(result.schools)} schools in {directory}/")
    click.echo(f"  config        {config}")
    click.echo(f"  rollup        {result.rollup}")
    click.echo(f"  a school      {directory / pm_tool}  (see its Coach Summary tab)")
    click.echo(f"Run the nightly sync again with: plansync sync {config}")
