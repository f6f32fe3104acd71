"""A workbook's tabs packed into bytes, as the state store keeps them between runs.

A backend packs every workbook where it reads it (in the worker processes, for the Excel store, so
that packing runs on every core too) and the RawWorkbook carries the bytes and their hash; the state
store saves them and unpacks them on a later night. Cell values are JSON, with dates, times and
error cells tagged, compressed with zlib. Pure functions, no I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import operator
import zlib
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from .store import RawSheet
from .values import ErrorValue, FormulaWithoutResult


class Packed(NamedTuple):
    """A workbook's tabs as bytes, and a hash of them."""

    sheets: bytes
    # The same as long as nobody changes those tabs, whatever else happens to the file.
    content: str


def pack_sheets(sheets: Sequence[RawSheet]) -> Packed:
    """The tabs as the state store keeps them, and the hash of what they hold."""
    encoded = _encode([(s.name, s.hidden, s.merged, s.rows, s.left_out) for s in sheets])
    return Packed(encoded, hashlib.blake2b(encoded, digest_size=16).hexdigest())


def unpack_sheets(blob: bytes) -> list[RawSheet]:
    """The tabs `pack_sheets` packed; ValueError when `blob` is not something it made."""
    try:
        return [
            RawSheet(name, rows, hidden, [_area(m) for m in merged], left_out)
            for name, hidden, merged, rows, left_out in _decode(blob)
        ]
    except (ValueError, TypeError, zlib.error) as error:
        raise ValueError(f"not a packed workbook: {error}") from None


def pack_value(value: Any) -> bytes:
    """Lists, text, numbers, dates and times as bytes (for what the state store keeps). No
    dicts: a JSON object is how a tagged value is stored."""
    return _encode(value)


def unpack_value(blob: bytes) -> Any:
    """What `pack_value` packed; ValueError when `blob` is not something it made."""
    try:
        return _decode(blob)
    except (ValueError, TypeError, zlib.error) as error:
        raise ValueError(f"not a packed value: {error}") from None


def _area(merged: Sequence[int]) -> tuple[int, int, int, int]:
    first_row, first_column, last_row, last_column = merged
    return first_row, first_column, last_row, last_column


# -- cell values: JSON, with dates, times and error cells tagged ----------------------------------


def _tag(value: Any) -> dict[str, Any]:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, ErrorValue):
        return {"err": value.code}
    if isinstance(value, FormulaWithoutResult):
        return {"fx": value.formula}
    raise TypeError(f"cannot store {type(value).__name__}")


def _untag(tagged: dict[str, Any]) -> Any:
    if "dt" in tagged:
        return dt.datetime.fromisoformat(tagged["dt"])
    if "d" in tagged:
        return dt.date.fromisoformat(tagged["d"])
    if "t" in tagged:
        return dt.time.fromisoformat(tagged["t"])
    if "td" in tagged:
        return dt.timedelta(seconds=tagged["td"])
    if "err" in tagged:
        return ErrorValue(tagged["err"])
    if "fx" in tagged:
        return FormulaWithoutResult(tagged["fx"])
    raise ValueError("unknown tagged value")


def value_text(value: Any) -> str:
    """What `pack_value` packs, as JSON text not yet compressed: to nest inside a packed value
    a part that is unpacked (`text_value`) only when it is wanted."""
    return json.dumps(value, default=_tag, ensure_ascii=False, separators=(",", ":"))


def text_value(text: str) -> Any:
    """What `value_text` made text of."""
    return json.loads(text, object_hook=_untag)


def _encode(value: Any) -> bytes:
    return zlib.compress(value_text(value).encode("utf-8"), 1)


def _decode(blob: bytes) -> Any:
    return text_value(zlib.decompress(blob).decode("utf-8"))


def field_values(record: Any) -> list[Any]:
    """A flat dataclass's fields as a list, in their order: what `dataclasses.astuple` gives for
    one whose fields hold plain values, without its deep copy of each (a tenth of the time)."""
    kind = type(record)
    get = _FIELD_GETTERS.get(kind)
    if get is None:
        get = _FIELD_GETTERS[kind] = _getter(tuple(f.name for f in dataclasses.fields(kind)))
    return list(get(record))


_FIELD_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) != 1:
        return operator.attrgetter(*names)

    def one(record: Any) -> tuple[Any, ...]:  # attrgetter of one name gives the value alone
        return (getattr(record, names[0]),)

    return one
