"""A district config with a mistake gives one line naming the key, never a traceback."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml
from click.testing import CliRunner
from district_helpers import CONFIG
from plansync.cli import main
from plansync.config import load_config
from plansync.errors import ConfigError


def _write(tmp_path, data) -> object:
    path = tmp_path / "district.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), "utf-8")
    return path


def _changed(change) -> dict:
    data = copy.deepcopy(CONFIG)
    change(data)
    return data


@pytest.mark.parametrize(
    "data, message",
    [
        (_changed(lambda d: d.update(distrct="x")), "district.yaml: distrct: unknown key"),
        (_changed(lambda d: d.pop("schools")), "district.yaml: schools: required key is missing"),
        (
            _changed(lambda d: d["schools"][1].pop("id")),
            "district.yaml: schools[1].id: required key is missing",
        ),
        (
            _changed(lambda d: d["schools"][1].update(id="north")),
            "district.yaml: schools[1].id: 'north' is used by another school",
        ),
        (_changed(lambda d: d["schools"][0].update(id="../etc")), "district.yaml: schools[0].id: "),
        (
            _changed(lambda d: d["schools"][0].update(coach="Nobody")),
            "district.yaml: schools[0].coach: 'Nobody' is not in coaches",
        ),
        (
            _changed(lambda d: d["cycles"][0].update(end="2026-01-01")),
            "district.yaml: cycles[0]: cycle 'Cycle 1' ends before it starts",
        ),
        (
            _changed(lambda d: d["cycles"][0].update(start="soon")),
            "district.yaml: cycles[0].start: Input should be a valid date",
        ),
        (
            _changed(lambda d: d.update(backend="dropbox")),
            "district.yaml: backend: Input should be",
        ),
        ("district: [unclosed", "district.yaml: not valid YAML at line"),
        ("- just\n- a list\n", "district.yaml: expected keys such as 'district' and 'schools'"),
    ],
)
def test_config_mistakes_are_one_line_naming_the_key(tmp_path, data, message):
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, data))
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_a_missing_config_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"no such file$"):
        load_config(tmp_path / "nope.yaml")


def test_paths_are_read_relative_to_the_config_file(tmp_path):
    district = load_config(_write(tmp_path, CONFIG))
    assert district.workbooks_dir == tmp_path / "workbooks"
    assert district.rollup_dir == tmp_path / "rollup"
    assert [c.name for c in district.cycles_begun(dt.date(2026, 11, 27))] == ["Cycle 1", "Cycle 2"]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda tmp: None,
            "workbooks: the folder {tmp}/workbooks does not exist (run `plansync provision` "
            "first, or fix the path)",
        ),
        (
            lambda tmp: (tmp / "workbooks").write_text("a file"),
            "workbooks: {tmp}/workbooks is a file, not a folder",
        ),
        (
            lambda tmp: ((tmp / "workbooks").mkdir(), (tmp / "rollup").write_text("a file")),
            "rollup: {tmp}/rollup is a file, not a folder",
        ),
    ],
    ids=["workbooks missing", "workbooks is a file", "rollup is a file"],
)
def test_folders_that_cannot_be_used_stop_the_sync_with_one_line(tmp_path, change, message):
    config = _write(tmp_path, CONFIG)
    change(tmp_path)
    result = CliRunner().invoke(main, ["sync", str(config)])
    assert result.exit_code == 1
    assert result.output == f"Error: {message.format(tmp=tmp_path)}\n"
