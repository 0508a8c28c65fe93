"""Wire codecs: how each kind of property travels between JSON and Python.

A codec is a small immutable object with ``decode`` (wire -> Python) and ``encode`` (Python -> wire).
Field tables in the generated models are built from these once, at import time, so decoding a payload
never has to interpret a type description again.

Formats handled here, all as the Batch service writes them:

* date-times: ISO 8601 with 0-7 fractional digits and ``Z`` (``2016-11-19T00:05:27.5391608Z``); the
  fraction is truncated to microseconds because that is what ``datetime`` holds.
* durations: ISO 8601 as .NET TimeSpan prints them, day counts in the millions and 7-digit seconds
  (``P10675199DT2H48M5.4775807S`` is TimeSpan.MaxValue, "no limit"). Decoding truncates towards zero so
  that re-encoding never yields a value larger than the one received, which the service would reject.
  Calendar forms other clients send (``P3Y6M4DT12H30M5S``) are accepted with 1Y = 365D and 1M = 30D,
  the same conversion the service applies.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import BatchEnum, Model

_UTC = datetime.timezone.utc


class Codec:
    """Converts one kind of property value between wire JSON and Python.

    ``mutable`` says whether the decoded value can be changed in place (models, lists, dicts); a model
    re-encodes such values on ``as_dict`` because the caller may have edited them. ``canonical``, when
    set, rewrites a raw wire value the way this package would send it (enum values in the spec's
    spelling, also inside nested objects); ``as_dict`` applies it to values nobody has read or set.
    ``inner`` is what a composite codec is built from (the item codec of a list or map, the model or
    enum class), so that tools and tests can walk the type without parsing ``name``.
    """

    __slots__ = ("canonical", "decode", "encode", "inner", "mutable", "name")

    def __init__(
        self,
        name: str,
        decode: Callable[[Any], Any],
        encode: Callable[[Any], Any],
        *,
        mutable: bool = False,
        canonical: Callable[[Any], Any] | None = None,
        inner: Any = None,
    ) -> None:
        self.name = name
        self.decode = decode
        self.encode = encode
        self.mutable = mutable
        self.canonical = canonical
        self.inner = inner

    def __repr__(self) -> str:
        return f"Codec({self.name})"


class WireTypeError(TypeError):
    """A wire value has the wrong JSON type for its property (a number where text belongs, say)."""


def _wire_type(value: Any) -> str:
    # JSON's names, not Python's: the message describes what the service sent.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _accept(*types: type) -> Callable[[Any], Any]:
    """A decoder that returns a wire value unchanged if it has one of ``types`` and refuses it otherwise.

    Nothing is converted: a number is never turned into text, a ``true`` never into ``1``.
    """
    names = " or ".join(t.__name__ for t in types)
    allow_bool = bool in types

    def check(value: Any) -> Any:
        if (isinstance(value, bool) and not allow_bool) or not isinstance(value, types):
            raise WireTypeError(f"expected {names}, got {_wire_type(value)}")
        return value

    return check


def _expect(*types: type) -> Callable[[Any], Any]:
    names = " or ".join(t.__name__ for t in types)

    def check(value: Any) -> Any:
        # bool is an int subclass; a True sent as a priority is almost certainly a bug.
        if isinstance(value, bool) and bool not in types:
            raise TypeError(f"expected {names}, got bool")
        if not isinstance(value, types):
            raise TypeError(f"expected {names}, got {type(value).__name__}")
        return value

    return check


# --------------------------------------------------------------------------------------------------
# date-time
# --------------------------------------------------------------------------------------------------

# ASCII only: ``\d`` would otherwise accept digits of other scripts, which the service never writes.
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?\s*(Z|z|[+-]\d\d:?\d\d)?\Z",
    re.ASCII,
)


def parse_datetime(text: str) -> datetime.datetime:
    """Parse an ISO 8601 date-time as the service writes it into an aware UTC ``datetime``.

    :raises ValueError: not such a date-time, or one whose UTC time ``datetime`` cannot hold (year 9999
        with a negative offset, year 1 with a positive one).
    """
    if not isinstance(text, str):
        raise WireTypeError(f"expected a date-time string, got {_wire_type(text)}")
    match = _DATETIME_RE.match(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = _UTC
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = datetime.timezone(sign * offset)
    value = datetime.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=tz
    )
    if tz is _UTC:
        return value
    try:
        return value.astimezone(_UTC)
    except OverflowError:
        raise ValueError(f"date-time outside the years 1-9999 in UTC: {text!r}") from None


def format_datetime(value: datetime.datetime) -> str:
    """Format a ``datetime`` as ISO 8601 UTC with ``Z``; a naive value is taken to be UTC already."""
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"expected datetime, got {type(value).__name__}")
    if value.tzinfo is not None:
        try:
            value = value.astimezone(_UTC)
        except OverflowError:
            raise ValueError(f"{value.isoformat()} is outside the years 1-9999 in UTC") from None
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


# --------------------------------------------------------------------------------------------------
# duration
# --------------------------------------------------------------------------------------------------

_NUM = r"(\d+(?:[.,]\d+)?)"
_DURATION_RE = re.compile(
    rf"([-+])?P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:(\d+(?:[.,]\d*)?)S)?)?\Z",
    re.ASCII,
)
# Longer digit runs than any real duration has; refused before int() or Decimal spend time on them.
_MAX_DURATION_TEXT = 64
# Microseconds per unit; years and months use the service's fixed 365 and 30 days.
_UNIT_US = (
    365 * 86_400_000_000,
    30 * 86_400_000_000,
    7 * 86_400_000_000,
    86_400_000_000,
    3_600_000_000,
    60_000_000,
    1_000_000,
)


def parse_duration(text: str) -> datetime.timedelta:
    """Parse an ISO 8601 duration, truncating below one microsecond (never rounding up).

    :raises ValueError: not such a duration, or one longer than ``timedelta`` can hold.
    """
    if not isinstance(text, str):
        raise WireTypeError(f"expected a duration string, got {_wire_type(text)}")
    if len(text) > _MAX_DURATION_TEXT:
        raise ValueError(f"duration text too long: {len(text)} characters")
    match = _DURATION_RE.match(text)
    if match is None or text.endswith(("P", "T")):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    sign, *parts = match.groups()
    total = 0
    for part, unit in zip(parts, _UNIT_US, strict=True):
        if part is None:
            continue
        if "." in part or "," in part:
            # Decimal keeps all seven .NET digits exact before truncating to microseconds.
            total += int(Decimal(part.replace(",", ".")) * unit)
        else:
            total += int(part) * unit
    if sign == "-":
        total = -total
    try:
        return datetime.timedelta(microseconds=total)
    except OverflowError:
        raise ValueError(f"duration beyond what timedelta holds: {text!r}") from None


TIMESPAN_MAX_TEXT = "P10675199DT2H48M5.4775807S"
"""The service's largest duration (.NET TimeSpan.MaxValue); it also means "no limit"."""


def format_duration(value: datetime.timedelta) -> str:
    """Format a ``timedelta`` as an ISO 8601 duration (``P1DT2H``, ``PT0.5S``, ``PT0S``).

    Values above the service's largest duration (``timedelta.max``, say) are sent as that largest
    duration, which the service reads as "no limit", instead of a value it would reject.
    """
    if not isinstance(value, datetime.timedelta):
        raise TypeError(f"expected timedelta, got {type(value).__name__}")
    if value > TIMESPAN_MAX:
        return TIMESPAN_MAX_TEXT
    total = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    text = f"{sign}P{days}D" if days else f"{sign}P"
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if seconds or micros:
        clock += f"{seconds}.{micros:06d}".rstrip("0").rstrip(".") + "S"
    if clock:
        text += "T" + clock
    elif not days:
        text += "T0S"
    return text


TIMESPAN_MAX = parse_duration(TIMESPAN_MAX_TEXT)  # truncated to microseconds: 5.477580 s


# --------------------------------------------------------------------------------------------------
# Codec instances used by the generated field tables
# --------------------------------------------------------------------------------------------------

STR = Codec("str", _accept(str), _expect(str))
INT = Codec("int", _accept(int), _expect(int))
# A JSON number without a fraction is a valid double; it stays an int rather than being converted.
FLOAT = Codec("float", _accept(int, float), _expect(int, float))
BOOL = Codec("bool", _accept(bool), _expect(bool))
OBJECT = Codec("object", _accept(dict), _expect(dict), mutable=True)
DATETIME = Codec("datetime", parse_datetime, format_datetime)
DURATION = Codec("duration", parse_duration, format_duration)


def enum(cls: type[BatchEnum]) -> Codec:
    """Codec for a wire enum: known values (any case) become members, unknown ones stay ``str``."""

    def decode(value: Any) -> Any:
        if not isinstance(value, str):
            raise WireTypeError(f"expected {cls.__name__} (a string), got {_wire_type(value)}")
        return cls.lookup(value)

    def encode(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected {cls.__name__} or str, got {type(value).__name__}")
        # Members and known strings in any case are sent in the spec's spelling; others as given.
        found = cls.lookup(value)
        return found.value if isinstance(found, Enum) else value

    def canonical(value: Any) -> Any:
        return encode(value) if isinstance(value, str) else value

    return Codec(cls.__name__, decode, encode, canonical=canonical, inner=cls)


def model(cls: type[Model]) -> Codec:
    """Codec for a nested model; a plain mapping is accepted on encode as wire JSON."""

    def decode(value: Any) -> Any:
        if not isinstance(value, dict):
            raise WireTypeError(f"expected {cls.__name__} (an object), got {_wire_type(value)}")
        return cls._from_wire(value)

    def encode(value: Any) -> Any:
        if isinstance(value, cls):
            return value.as_dict()
        if isinstance(value, Mapping):
            return dict(value)
        raise TypeError(f"expected {cls.__name__} or a mapping, got {type(value).__name__}")

    canonical = None
    if any(field.codec.canonical is not None for field in cls._fields):

        def canonical(value: Any) -> Any:
            return cls._from_wire(value).as_dict() if isinstance(value, dict) else value

    return Codec(cls.__name__, decode, encode, mutable=True, canonical=canonical, inner=cls)


def list_of(item: Codec) -> Codec:
    """Codec for a JSON array whose items all use ``item``."""
    item_decode, item_encode = item.decode, item.encode

    def decode(value: Any) -> Any:
        # Only a JSON array: list() of a string would give its letters, of an object its keys.
        if not isinstance(value, list):
            raise WireTypeError(f"expected an array, got {_wire_type(value)}")
        return [None if v is None else item_decode(v) for v in value]

    def encode(value: Any) -> Any:
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return [None if v is None else item_encode(v) for v in value]

    item_canonical = item.canonical
    canonical = None
    if item_canonical is not None:

        def canonical(value: Any) -> Any:
            if not isinstance(value, list):
                return value
            return [None if v is None else item_canonical(v) for v in value]

    return Codec(f"list[{item.name}]", decode, encode, mutable=True, canonical=canonical, inner=item)


def dict_of(item: Codec) -> Codec:
    """Codec for a JSON object used as a string-keyed map of ``item`` values."""

    def decode(value: Any) -> Any:
        if not isinstance(value, dict):
            raise WireTypeError(f"expected an object, got {_wire_type(value)}")
        return {k: None if v is None else item.decode(v) for k, v in value.items()}

    def encode(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a mapping, got {type(value).__name__}")
        return {str(k): None if v is None else item.encode(v) for k, v in value.items()}

    item_canonical = item.canonical
    canonical = None
    if item_canonical is not None:

        def canonical(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            return {k: None if v is None else item_canonical(v) for k, v in value.items()}

    return Codec(f"dict[{item.name}]", decode, encode, mutable=True, canonical=canonical, inner=item)
