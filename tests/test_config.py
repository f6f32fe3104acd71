"""A district config with a mistake gives one line naming the key, never a traceback."""

from __future__ import annotations

import copy
import datetime as dt
import re

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
            "district.yaml: cycles[0].start: 'soon' is not a date",
        ),
        (
            _changed(lambda d: d.update(backend="dropbox")),
            "district.yaml: backend: Input should be",
        ),
        ("district: [unclosed", "district.yaml: not valid YAML (expected ',' or ']'"),
        ("- just\n- a list\n", "district.yaml: expected keys such as 'district' and 'schools'"),
    ],
)
def test_config_mistakes_are_one_line_naming_the_key(tmp_path, data, message):
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, data))
    text = str(error.value)
    assert re.sub(r", line \d+", "", text).startswith(message)
    assert "\n" not in text
    if "expected keys" not in text:
        assert re.match(r"district\.yaml, line \d+: ", text)


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


def _problems(tmp_path, text: str | bytes) -> list[str]:
    path = tmp_path / "district.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    return str(error.value).splitlines()


MANY_MISTAKES = """\
district: Riverside
cycles:
  - {name: Cycle 1, start: 2026-02-30, end: 2026-10-30}
  - name: Cycle 2
    start: 20261103
    end: 2027-01-29
    ends: 2027-01-30
schools:
  - {id: north, name: North, coach: Nobody}
  - id: ../etc
    name: [a, list]
coaches:
  - {name: Maria Lopez, email: m@example.org}
"""


def test_every_problem_of_a_config_is_listed_with_its_line_and_key(tmp_path):
    assert _problems(tmp_path, MANY_MISTAKES) == [
        "district.yaml, line 3: cycles[0].start: '2026-02-30' is not a date: write it as "
        "YYYY-MM-DD, such as 2026-08-18",
        "district.yaml, line 5: cycles[1].start: should be a date written as YYYY-MM-DD, such "
        "as 2026-08-18",
        "district.yaml, line 7: cycles[1].ends: unknown key (check its spelling)",
        "district.yaml, line 10: schools[1].id: use letters, digits, '-', '_' or '.' (it names "
        "the school's folder)",
        "district.yaml, line 11: schools[1].name: should be a single value, not a list",
    ]


def test_problems_only_the_whole_config_shows_are_listed_together(tmp_path):
    text = MANY_MISTAKES.replace("2026-02-30", "2026-08-18").replace("20261103", "2026-11-03")
    text = text.replace("    ends: 2027-01-30\n", "").replace("../etc", "North")
    text = text.replace("[a, list]", "South")
    assert _problems(tmp_path, text) == [
        "district.yaml, line 8: schools[0].coach: 'Nobody' is not in coaches",
        "district.yaml, line 9: schools[1].id: 'North' is used by another school",
    ]


@pytest.mark.parametrize(
    "text, meant",
    [
        # YAML 1.1 would make these false, true and 266; a person meant the words and digits.
        ("{name: No, start: 2026-08-17, end: 2026-10-30}", ("No", "0412", "On")),
    ],
)
def test_yaml_reads_words_and_digits_as_a_person_typed_them(tmp_path, text, meant):
    config = f"district: Riverside\ncycles:\n  - {text}\nschools:\n  - {{id: 0412, name: On}}\n"
    path = tmp_path / "district.yaml"
    path.write_text(config, "utf-8")
    district = load_config(path)
    assert (district.cycles[0].name, district.schools[0].id, district.schools[0].name) == meant


@pytest.mark.parametrize(
    "text, problem",
    [
        ("district: A\ndistrict: B\n", "line 2: district: given twice (lines 1 and 2); keep one"),
        ("district: Caf\xe9\n".encode("latin-1"), "line 1: not UTF-8 text (byte 0xe9)"),
        ("a: &a [*a]\n", "line 1: an alias refers to the block that holds it"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n"
                for n in range(6)
            ),
            "its anchors and aliases expand to far more than a config holds",
        ),
        ("district: x\n" + "#" * 6_000_000, "larger than 5 MB"),
        ("district: \x00\n", "NUL characters"),
        ("district: [unclosed", "line 1: not valid YAML"),
        (
            'district: "Bell\\a"\ncycles: []\nschools: []\n',
            "line 1: district: holds an invisible control character (0x0007)",
        ),
        ("district: " + "x" * 500 + "\n", "district: too long (at most 120 characters)"),
    ],
    ids=[
        "duplicate key",
        "latin-1",
        "recursive alias",
        "alias bomb",
        "huge file",
        "NUL",
        "broken YAML",
        "control char",
        "absurd length",
    ],
)
def test_yaml_a_person_did_not_mean_is_a_problem_at_its_line(tmp_path, text, problem):
    lines = _problems(tmp_path, text)
    assert any(problem in line for line in lines), lines
    assert all(line.startswith("district.yaml") for line in lines)


def test_a_config_in_utf16_with_its_mark_or_with_a_utf8_mark_is_read(tmp_path):
    text = yaml.safe_dump(CONFIG, allow_unicode=True).replace("Test District", "Distrito Peñasco")
    for encoded in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        path = tmp_path / "district.yaml"
        path.write_bytes(encoded)
        assert load_config(path).district == "Distrito Peñasco"
