"""The `plansync` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the result; a mistake in
the config or the arguments is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .config import District, load_config
from .errors import PlansyncError
from .runlog import RunLog, quiet_unraisable, record_crash
from .version import __version__

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _district(config: Path) -> District:
    try:
        return load_config(config)
    except PlansyncError as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def _one_line_errors(log: RunLog | None = None):
    """What stops a command (a bad Google key, an unusable folder, another sync running) is one
    line, not a traceback (into the run's log too, when it has one)."""
    try:
        yield
    except PlansyncError as error:
        if log is not None:
            log.record(f"Error: {error}")  # click prints it on stderr
        raise click.ClickException(str(error)) from None


def _day(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


class _ProgressBars:
    """A progress bar per phase on stderr, shown only to a person at a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: ProgressBar[int] | None = None
        self.phase: str | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or total < 2:
            return
        if phase != self.phase:
            self.close()
            self.phase = phase
            self.bar = click.progressbar(length=total, label=phase, file=sys.stderr)
            self.bar.__enter__()
        if self.bar is not None:
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


# Where a command's output and any crash's traceback go (`sync --log FILE`), set by the command.
LOG_FILE = "plansync.log_file"


class _NoTracebacks(click.Group):
    """Exit codes: 0 the command did its work (whatever the schools' issues), 1 it could not,
    2 a usage mistake (click's own). An exception nobody expected is one line naming the log
    file that holds its traceback, never the traceback itself."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # Output piped into `head` and the reader went away: nothing is wrong with the run.
            _silence_stdout()
            ctx.exit(0)
        except Exception as error:
            path = record_crash(error, ctx.meta.get(LOG_FILE))
            where = f"the details are in {path}" if path else "no log file could be written"
            raise click.ClickException(
                f"plansync stopped on an unexpected error ({type(error).__name__}); {where}. "
                "Nothing a school typed was changed."
            ) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush has nowhere to fail."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@click.group(cls=_NoTracebacks, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plansync")
def main() -> None:
    """Provision, check and roll up school improvement plans kept in spreadsheets.

    Exit codes: 0 the command completed (whatever the schools' issues; `check` exits 1 when
    the workbook has issues), 1 it could not, 2 a mistake in the command line.
    """


def run() -> None:
    """The installed `plansync` command: `main`, with Python's reports of errors in finalizers
    ("Exception ignored in ...") kept out of the terminal."""
    quiet_unraisable()
    main()


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would be created; create nothing.")
def provision(config: Path, dry_run: bool) -> None:
    """Create each school's PM Tool, roles tracker and decision log.

    Workbooks that already exist are left exactly as they are.
    """
    from .provision import provision_district

    district = _district(config)
    with _one_line_errors():
        done = provision_district(district, dry_run=dry_run, progress=_progress())
    for item in done:
        if item.outcome == "refused":
            click.echo(f"{item.outcome:>12}  {item.reason}", err=True)
        elif item.move is not None:
            why = f": {item.move.problem}" if item.move.problem else ""
            click.echo(f"{item.outcome:>12}  {item.ref.label} (was {item.move.old_id}){why}")
        elif item.outcome != "exists":
            click.echo(f"{item.outcome:>12}  {item.ref.label}")
        if item.shared:
            people = ", ".join(f"{email} ({role})" for email, role in item.shared)
            click.echo(
                f"{'would share' if dry_run else 'shared':>12}  {item.ref.label} with {people}"
            )
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
@click.option(
    "--full",
    is_flag=True,
    help="Read and write everything, ignoring what the last run "
    "saw (by default, workbooks nobody changed are not read again).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and the one-line summary.")
@click.option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Append every line to FILE (problems still go to stderr too).",
)
def sync(
    config: Path,
    as_json: bool,
    today: dt.datetime | None,
    full: bool,
    quiet: bool,
    log_file: Path | None,
) -> None:
    """Read every school's workbooks, check them, write the summary tabs, the rollup and the
    HTML report: the whole night in one command."""
    from .nightly import sync_district
    from .reports.export import as_json as result_json

    ctx = click.get_current_context()
    ctx.meta[LOG_FILE] = log_file
    try:
        log = RunLog(log_file, quiet=quiet)
    except OSError as error:
        raise click.ClickException(f"{log_file}: cannot be written ({error.strerror})") from None
    ctx.call_on_close(log.close)
    try:
        district = _district(config)
    except click.ClickException as error:
        log.record(f"Error: {error.message}")  # click prints it on stderr
        raise
    with _one_line_errors(log):
        result = sync_district(
            district, today=_day(today), full=full, progress=_progress() if not quiet else None
        )
    for note in result.notes:
        log.problem(note)
    if as_json:
        click.echo(json.dumps(result_json(result), indent=2, ensure_ascii=False))
        return
    width = max(len(school.school.name) for school in result.schools)
    log.info(f"{'School':<{width}}  Complete  Quality  Errors  Warnings")
    for school in result.schools:
        line = (
            f"{school.school.name:<{width}}  {school.completeness:>7}%  {school.quality:>6}%  "
            f"{school.errors:>6}  {school.warnings:>8}"
        )
        trouble = school.run_problems()
        if trouble and quiet:
            log.summary(f"{line}  ({trouble})")
        else:
            log.info(line + (f"  ({trouble})" if trouble else ""))
    log.summary(result.one_line())
    log.info(f"Rollup: {result.rollup}")
    if result.reports:
        log.info(f"Report: {result.reports}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def templates(directory: Path) -> None:
    """Write the shipped templates into DIRECTORY as YAML for the district to edit.

    Point the config's `templates:` key at DIRECTORY to use them; a file already there is kept.
    """
    from .catalog import LOCK_NAME, write_templates

    with _one_line_errors():
        try:
            written = write_templates(directory)
        except OSError as error:
            raise click.ClickException(
                f"{directory}: cannot write there ({error.strerror or error})"
            ) from None
    for path in written:
        click.echo(f"     wrote  {path}")
    kept = 3 - len(written)
    click.echo(
        f"Wrote {len(written)} template{'s' if len(written) != 1 else ''} into {directory}"
        + (f"; {kept} already there {'was' if kept == 1 else 'were'} kept" if kept else "")
        + f". Versions are recorded in {LOCK_NAME}: raise a template's `version` when you change"
        f" it, then add `templates: {directory}` to the config and run `plansync migrate`."
    )


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="List what would change in each workbook.")
def migrate(config: Path, dry_run: bool) -> None:
    """Bring every school's workbooks up to the templates and config in use.

    Adds new tabs and columns with their dropdowns, renames renamed columns, updates dropdowns
    (new cycles, changed choices), the Instructions tab and the stamp. Never changes a cell a
    school typed; a tab or column the template dropped stays and is listed.
    """
    from .migrate import migrate_district

    district = _district(config)
    with _one_line_errors():
        done = migrate_district(district, dry_run=dry_run, progress=_progress())
    for item in done:
        if item.outcome == "up to date" and not item.changes.kept:
            continue
        reason = f": {item.reason}" if item.reason else ""
        click.echo(f"{item.outcome:>13}  {item.ref.label}{reason}")
        if item.outcome != "skipped":
            for line in item.changes.lines():
                click.echo(f"{'':>13}    {line}")
    counts = {outcome: sum(1 for i in done if i.outcome == outcome) for outcome in OUTCOMES}
    verb = "would migrate" if dry_run else "migrated"
    moved = counts["would migrate"] if dry_run else counts["migrated"]
    click.echo(
        f"{len(done)} workbooks: {moved} {verb}, {counts['up to date']} up to date"
        + (f", {counts['skipped']} skipped (run migrate again later)" if counts["skipped"] else "")
        + (f", {counts['missing']} missing (run provision)" if counts["missing"] else "")
        + "."
    )


OUTCOMES = ("migrated", "would migrate", "up to date", "skipped", "missing")


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
    from .nightly import check_file
    from .results import completeness

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
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--school", "school_id", metavar="ID", help="One school's nights in detail.")
@click.option("--json", "as_json", is_flag=True, help="Print every recorded night as JSON.")
def history(config: Path, school_id: str | None, as_json: bool) -> None:
    """Print how completeness, issues and benchmarks moved from one nightly run to the next."""
    from .history import HISTORY_NAME, last_year, open_history
    from .reports.trend import district_table, history_json, last_year_lines, school_table

    district = _district(config)
    path = district.rollup_dir / HISTORY_NAME
    store = open_history(path, writable=False, aliases=district.id_aliases())
    snapshots = store.snapshots(school_id, benchmarks=as_json or school_id is not None)
    store.close()
    for note in store.notes:
        click.echo(note, err=True)
    known = {school.id for school in district.schools}
    if school_id and school_id not in known and not snapshots:
        raise click.ClickException(f"no school with id {school_id!r} in {config.name}")
    before = last_year(district, snapshots[-1].day if snapshots else dt.date.today())
    for note in before.notes:
        click.echo(note, err=True)
    if as_json:
        data = history_json(district, snapshots, before)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if not snapshots:
        click.echo(f"No nights recorded yet in {path}: the history starts with the next sync.")
    elif school_id:
        click.echo("\n".join(school_table(snapshots, [cycle.name for cycle in district.cycles])))
    else:
        click.echo("\n".join(district_table(district, snapshots)))
    lines = last_year_lines(district, snapshots, before, school_id)
    if lines:
        click.echo("\n".join(lines))


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--today", type=DATE, help="The date overdue checks use (default: today).")
def report(config: Path, today: dt.datetime | None) -> None:
    """Write the district report and a page per coach: self-contained HTML files.

    The workbooks are read and checked as the sync does, but nothing is written into them.
    """
    from .nightly import report_district

    district = _district(config)
    with _one_line_errors():
        written = report_district(district, _day(today), progress=_progress())
    click.echo(f"District report: {written.district}")
    for coach, path in written.coaches.items():
        click.echo(f"  coach page    {path}  ({coach})")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "parquet", "xlsx"]),
    default="csv",
    show_default=True,
    help="The files' format (parquet needs the plansync[parquet] extra).",
)
@click.option("--today", type=DATE, help="The date overdue checks use (default: today).")
def export(config: Path, directory: Path, file_format: str, today: dt.datetime | None) -> None:
    """Write every plan tab, the schools, the issues and the history as files for BI tools.

    One file per table in DIRECTORY, and a README.txt describing every column. The workbooks are
    read and checked as the sync does, but nothing is written into them.
    """
    from .frame_files import README, export_district

    district = _district(config)
    with _one_line_errors():
        exported = export_district(
            district, directory, file_format, _day(today), progress=_progress()
        )
    for note in exported.notes:
        click.echo(note, err=True)
    width = max((len(path.name) for path, _rows in exported.files), default=0)
    for path, rows in exported.files:
        click.echo(f"  {path.name:<{width}}  {rows:>7} rows")
    click.echo(f"Wrote {len(exported.files)} {file_format} files and {README} into {directory}")


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
    """Write a demo district into DIRECTORY, sync it over a few nights and write its report."""
    from .demo import past_note_spans, past_snapshots, run_demo
    from .reports.html import write_report_files

    day = _day(today)
    with _one_line_errors():
        run = run_demo(directory, schools=schools, seed=seed, today=day, progress=_progress())
        result = run.result
        written = write_report_files(result, past_snapshots(run), spans=past_note_spans(run))
    first = result.schools[0]
    pm_tool = first.workbook("pm_tool").ref.label
    nights = f"{len(run.nights)} nights, {run.nights[0]:%b %d} to {run.nights[-1]:%b %d, %Y}"
    click.echo(f"Demo district: {len(result.schools)} schools in {directory}/")
    click.echo(f"  config        {run.config}")
    click.echo(f"  rollup        {result.rollup}")
    click.echo(f"  a school      {directory / pm_tool}  (see its Coach Summary tab)")
    click.echo(f"  history       {nights}: plansync history {run.config}")
    click.echo(f"  coach pages   {written.district.parent / 'coaches'}")
    click.echo(f"Run the nightly sync again with: plansync sync {run.config}")
    click.echo(f"Open the district report: {written.district}")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--carry",
    default="strategies,roles",
    show_default=True,
    metavar="LIST",
    help="What each school carries into next year, comma-separated: strategies, goals, roles.",
)
@click.option(
    "--google-folder",
    "folder_id",
    metavar="ID",
    help="A Google district: the new Drive folder for next year's spreadsheets.",
)
def rollover(config: Path, new_dir: Path, carry: str, folder_id: str | None) -> None:
    """Start next school year in NEW_DIR: its config (cycles one year later, to adjust) and
    each school's new workbooks with what it carries forward. This year's files are only read."""
    from .rollover import rollover as roll_over

    district = _district(config)
    names = tuple(name.strip() for name in carry.split(",") if name.strip())
    with _one_line_errors():
        done = roll_over(
            district, config, new_dir, names, folder_id=folder_id, progress=_progress()
        )
    for note in done.notes:
        click.echo(note, err=True)
    created = sum(1 for item in done.provisioned if item.outcome == "created")
    rows = sum(done.carried.values())
    click.echo(
        f"Wrote {done.config} for {done.district.school_year}: {created} workbooks for "
        f"{len(done.district.schools)} schools, {rows} rows carried from "
        f"{district.school_year} ({', '.join(names)}), each marked for the team to review."
    )
    click.echo("Check the cycles' dates in the new config before the first cycle starts.")


@main.command(name="import")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("school_id")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def import_(config: Path, school_id: str, file: Path) -> None:
    """Add the rows of a school's own spreadsheet FILE to its provisioned workbooks.

    Tabs, headers and status words are matched through the templates' aliases. Nothing already
    typed in the workbooks is overwritten. Whatever could not be placed is listed with where it
    is in FILE.
    """
    from .importing import import_plan

    district = _district(config)
    with _one_line_errors():
        done = import_plan(district, school_id, file)
    for place, count in done.added.items():
        click.echo(f"{count:>5} row{'s' if count != 1 else ' '}  added to {place}")
    if done.already_there:
        click.echo(f"{done.already_there:>5} rows   already in the workbooks, not added again")
    if not done.added and not done.already_there:
        click.echo(f"Nothing in {file.name} matched a tab of the plan.")
    if done.unplaced:
        click.echo(f"\nNot placed ({len(done.unplaced)}), by where it is in {file.name}:")
        for item in done.unplaced:
            click.echo(f"  {item.line()}")
