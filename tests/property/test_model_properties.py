"""Properties of the wire models, for every model class and every codec kind.

* valid wire JSON decodes, with the Python type the codec promises, and goes back unchanged;
* reading properties never changes what ``as_dict`` sends, whatever the wire held;
* any JSON at all in any property: reading raises ``DeserializationError`` or nothing, and ``repr``,
  ``==`` and ``as_dict`` never raise;
* extreme date-times and durations: a value or ``ValueError`` from the codec, ``DeserializationError``
  from the model; re-encoding a decoded value reads back the same value;
* a SAS signature in any string property never reaches ``repr``.
"""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any

from azure.core.exceptions import DeserializationError
from hypothesis import given
from hypothesis import strategies as st

from azbatch import models
from azbatch.models._base import BatchEnum, Model
from azbatch.models._codec import (
    TIMESPAN_MAX,
    Codec,
    format_datetime,
    format_duration,
    parse_datetime,
    parse_duration,
)

from .strategies import (
    MODEL_CLASSES,
    REPRESENTATIVES,
    extreme_datetime_texts,
    extreme_duration_texts,
    json_values,
    models_and_any_case_wire,
    models_and_anything,
    models_and_mixed_wire,
    models_and_wire,
    service_datetimes,
    service_durations,
)

# Python types each scalar codec may hand out: never a bool for a number, never a number for text.
_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "object": (dict,),
    "datetime": (datetime.datetime,),
    "duration": (datetime.timedelta,),
}


def _check_type(codec: Codec, value: Any, *, check: bool = True) -> None:
    """Assert ``value`` (not None) is what ``codec`` promises, recursing into containers and models."""
    inner = codec.inner
    if isinstance(inner, type) and issubclass(inner, BatchEnum):
        assert isinstance(value, str)
        return
    if isinstance(inner, type) and issubclass(inner, Model):
        assert type(value) is inner
        _read_all(value, check=check)
        return
    if codec.name.startswith("list["):
        assert type(value) is list
        for item in value:
            if item is not None:
                _check_type(inner, item, check=check)
        return
    if codec.name.startswith("dict["):
        assert type(value) is dict
        for item in value.values():
            if item is not None:
                _check_type(inner, item, check=check)
        return
    allowed = _SCALAR_TYPES[codec.name]
    assert isinstance(value, allowed), (codec.name, type(value))
    if bool not in allowed:
        assert not isinstance(value, bool)
    if isinstance(value, datetime.datetime):
        assert value.tzinfo is not None


def _read_all(model: Model, *, check: bool = False) -> None:
    """Read every property, recursing into nested models; what reads has the promised type.

    With ``check`` (valid wire values), no read may fail; otherwise a read may fail only with
    ``DeserializationError``, and anything that does read must still have the promised type.
    """
    for field in type(model)._fields:
        try:
            value = getattr(model, field.attr)
        except DeserializationError:
            assert not check, f"{type(model).__name__}.{field.attr} failed on a valid value"
            continue
        if value is not None:
            _check_type(field.codec, value, check=check)


@given(models_and_wire)
def test_valid_wire_values_round_trip_untouched(case: tuple[type[Model], dict[str, Any]]) -> None:
    cls, data = case
    original = copy.deepcopy(data)

    model = cls.from_dict(data)
    sent = model.as_dict()

    # Enum values are generated in the spec's spelling, so nothing needs rewriting: byte-exact.
    assert json.dumps(sent, sort_keys=True) == json.dumps(original, sort_keys=True)
    assert data == original


@given(models_and_wire)
def test_valid_wire_values_decode_to_the_promised_types_and_stay_exact(
    case: tuple[type[Model], dict[str, Any]],
) -> None:
    cls, data = case
    original = copy.deepcopy(data)
    model = cls.from_dict(data)

    _read_all(model, check=True)

    assert json.dumps(model.as_dict(), sort_keys=True) == json.dumps(original, sort_keys=True)
    assert model == cls.from_dict(copy.deepcopy(original))


@given(models_and_any_case_wire, st.randoms(use_true_random=False))
def test_reading_never_changes_what_is_sent(case: tuple[type[Model], dict[str, Any]], rnd: Any) -> None:
    cls, data = case
    model = cls.from_dict(copy.deepcopy(data))
    before = model.as_dict()

    fields = list(cls._fields)
    rnd.shuffle(fields)
    for field in fields[: rnd.randint(0, len(fields))]:
        try:
            value = getattr(model, field.attr)
        except DeserializationError:
            continue
        if isinstance(value, Model):
            _read_all(value)

    assert model.as_dict() == before


@given(models_and_mixed_wire)
def test_reading_hostile_values_never_changes_what_is_sent(case: tuple[type[Model], dict[str, Any]]) -> None:
    cls, data = case
    original = copy.deepcopy(data)
    model = cls.from_dict(data)
    before = copy.deepcopy(model.as_dict())

    _read_all(model)

    assert model.as_dict() == before
    assert data == original


@given(models_and_anything)
def test_any_json_in_any_property_raises_only_deserialization_error(
    case: tuple[type[Model], dict[str, Any]],
) -> None:
    cls, data = case
    model = cls.from_dict(copy.deepcopy(data))
    twin = cls.from_dict(copy.deepcopy(data))

    _read_all(model)  # fails only with DeserializationError, which it skips

    assert isinstance(repr(model), str)
    assert model == twin and twin == model
    assert (model != twin) is False
    assert isinstance(model.as_dict(), dict)


@given(st.sampled_from(MODEL_CLASSES), json_values)
def test_a_model_built_from_a_non_object_is_a_type_error(cls: type[Model], value: Any) -> None:
    if isinstance(value, dict):
        assert isinstance(cls.from_dict(value), cls)
        return
    try:
        cls.from_dict(value)
    except TypeError as exc:
        assert "from_dict" in str(exc)
    else:
        raise AssertionError("from_dict accepted a non-mapping")


# ------------------------------------------------------------------------------------ date-times, durations


@given(service_datetimes())
def test_service_datetimes_survive_a_round_trip(text: str) -> None:
    value = parse_datetime(text)
    assert value.tzinfo is not None
    assert parse_datetime(format_datetime(value)) == value


@given(extreme_datetime_texts())
def test_extreme_datetimes_are_a_value_or_a_deserialization_error(text: str) -> None:
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    job = models.CloudJob.from_dict({"creationTime": text})
    if value is None:
        try:
            _ = job.creation_time
        except DeserializationError:
            pass
        else:
            raise AssertionError("the model read what the codec refused")
    else:
        assert job.creation_time == value
        assert parse_datetime(format_datetime(value)) == value
    assert job.as_dict() == {"creationTime": text}
    assert isinstance(repr(job), str)


@given(service_durations())
def test_service_durations_survive_a_round_trip_and_never_grow(text: str) -> None:
    value = parse_duration(text)
    again = parse_duration(format_duration(value))
    assert again == value


@given(extreme_duration_texts())
def test_extreme_durations_are_a_value_or_a_deserialization_error(text: str) -> None:
    try:
        value = parse_duration(text)
    except ValueError:
        value = None
    constraints = models.JobConstraints.from_dict({"maxWallClockTime": text})
    if value is None:
        try:
            _ = constraints.max_wall_clock_time
        except DeserializationError:
            pass
        else:
            raise AssertionError("the model read what the codec refused")
    else:
        assert constraints.max_wall_clock_time == value
        # Re-encoded exactly, except that nothing above the service's maximum is ever sent.
        assert parse_duration(format_duration(value)) == min(value, TIMESPAN_MAX)
    assert constraints.as_dict() == {"maxWallClockTime": text}


# ------------------------------------------------------------------------------------ secrets in repr

_SECRET_CHARS = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%+/", min_size=8, max_size=20
)


@st.composite
def _string_fields_with_a_sas(draw: st.DrawFn) -> tuple[type[Model], str, str, str]:
    cls = draw(st.sampled_from(MODEL_CLASSES).filter(lambda c: any(f.codec.name == "str" for f in c._fields)))
    field = draw(st.sampled_from([f for f in cls._fields if f.codec.name == "str"]))
    secret = "ZQX" + draw(_SECRET_CHARS)
    before = draw(st.sampled_from(["", "curl ", "https://a.blob.core.windows.net/c/f", "x y "]))
    name = draw(st.sampled_from(["sig", "SIG", "Sig"]))
    after = draw(st.sampled_from(["", " -o f", "&se=2030", "'", '"', " && echo done"]))
    return cls, field.wire, secret, f"{before}?sv=1&{name}={secret}{after}"


@given(_string_fields_with_a_sas())
def test_a_sas_in_any_string_property_is_masked_in_repr(case: tuple[type[Model], str, str, str]) -> None:
    cls, wire, secret, value = case
    model = cls.from_dict({wire: value, "unknownProperty": value})

    assert secret not in repr(model)


def test_every_property_meets_every_json_type() -> None:
    # Exhaustive rather than sampled: each property of each model, with one value of every JSON type.
    for cls in MODEL_CLASSES:
        for field in cls._fields:
            for value in REPRESENTATIVES:
                data = {field.wire: copy.deepcopy(value)}
                model = cls.from_dict(data)
                before = copy.deepcopy(model.as_dict())
                try:
                    read = getattr(model, field.attr)
                except DeserializationError as error:
                    assert f"{cls.__name__}.{field.attr}" in str(error)
                else:
                    if read is not None:
                        _check_type(field.codec, read, check=False)
                assert model.as_dict() == before, (cls.__name__, field.attr, value)
                assert isinstance(repr(model), str)
                assert model == cls.from_dict(copy.deepcopy(data))
