"""Base classes of the wire models: lazily decoded, loss-free, typed.

Why lazy: a job listing returns thousands of jobs of which callers usually read two or three
properties. A model therefore keeps the wire JSON it came from (``_raw``) and decodes a property only
when it is first read, caching the result (``_values``). Nothing the service sent is dropped:
properties this package does not know stay in ``_raw`` and ``as_dict`` sends them back unchanged,
which matters when a fetched job is edited and sent back with ``update``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar, overload

from azure.core.exceptions import DeserializationError

from .._redact import MASK, excerpt, is_secret_name, mask_text, mask_url_query
from ._codec import Codec

T = TypeVar("T")
M = TypeVar("M", bound="Model")
E = TypeVar("E", bound="BatchEnum")

# What a codec may raise for a wire value it cannot represent; all become DeserializationError.
_DECODE_FAILURES = (TypeError, ValueError, AttributeError, LookupError, ArithmeticError, RecursionError)


class BatchEnum(str, Enum):
    """Base of the wire enums: members compare equal to their wire strings.

    The live service sometimes answers in another casing than the spec (``Spread``, ``UserError``);
    :meth:`lookup` matches case-insensitively and returns the member, whose value has the spec's
    spelling. A value it does not know is returned as the plain string, so a newer service never breaks
    an older client.
    """

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def lookup(cls: type[E], value: str) -> E | str:
        """Return the member for ``value`` (any case), or ``value`` itself when it is not a member."""
        table: dict[str, Any] = cls.__dict__.get("_lookup_table_") or cls._build_lookup()
        found = table.get(value)
        if found is None:
            found = table.get(value.lower(), value)
        return found  # type: ignore[no-any-return]

    @classmethod
    def _build_lookup(cls) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for member in cls:
            table[member.value] = member
            table[member.value.lower()] = member
        # Cached on the class; Enum forbids setting attributes the normal way.
        type.__setattr__(cls, "_lookup_table_", table)
        return table


class Field(Generic[T]):
    """Descriptor for one wire property of a model.

    Reading decodes the raw JSON value on first access and caches it; writing replaces it. The
    descriptor also carries the wire name and the codec, which ``as_dict`` and ``from_dict`` use.
    """

    __slots__ = ("attr", "codec", "required", "secret", "url", "wire")

    def __init__(
        self,
        wire: str,
        codec: Codec,
        *,
        required: bool = False,
        secret: bool = False,
        url: bool = False,
    ) -> None:
        self.wire = wire
        self.codec = codec
        self.required = required
        self.secret = secret
        self.url = url
        self.attr = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Field[T]: ...
    @overload
    def __get__(self, obj: Model, owner: type | None = None) -> T: ...
    def __get__(self, obj: Model | None, owner: type | None = None) -> Field[T] | T:
        if obj is None:
            return self
        values = obj._values
        try:
            return values[self.attr]  # type: ignore[no-any-return]
        except KeyError:
            pass
        raw = obj._raw.get(self.wire)
        if raw is None:
            values[self.attr] = None
            return None  # type: ignore[return-value]
        try:
            value = self.codec.decode(raw)
        except DeserializationError:
            raise
        except _DECODE_FAILURES as exc:
            reason = "" if self.secret else ": " + excerpt(str(exc), 120)
        else:
            values[self.attr] = value
            return value  # type: ignore[no-any-return]
        # Raised outside the except block so that the codec's exception, whose message may quote the
        # raw value unmasked, is not attached as context; the excerpt above is its masked form.
        # Nothing is cached: the raw value stays what as_dict sends, and reading again fails again.
        raise DeserializationError(
            f"{type(obj).__name__}.{self.attr} (wire {self.wire!r}): cannot read {self.codec.name}{reason}"
        )

    def __set__(self, obj: Model, value: T) -> None:
        obj._values[self.attr] = value
        # The raw value no longer describes the property; dropping it makes as_dict encode the new one.
        obj._raw.pop(self.wire, None)

    def __repr__(self) -> str:
        return f"Field({self.wire!r}, {self.codec!r})"


class Model:
    """Base of all wire models.

    * Construct with keywords (``PoolInformation(pool_id="p1")``) or from wire JSON with
      :meth:`from_dict`; :meth:`as_dict` returns wire JSON (camelCase keys, ``None`` left out).
    * Equality compares values, property by property, including properties this package does not know.
    * ``repr`` shows the set properties and masks credentials.
    """

    __slots__ = ("_raw", "_values")

    _wire_name: ClassVar[str] = "Model"
    _fields: ClassVar[tuple[Field[Any], ...]] = ()
    _by_wire: ClassVar[dict[str, Field[Any]]] = {}
    _by_attr: ClassVar[dict[str, Field[Any]]] = {}
    _canonical: ClassVar[tuple[Field[Any], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Precompute the field tables once per class; decoding and encoding only look them up.
        cls._fields = tuple(
            v for base in reversed(cls.__mro__) for v in vars(base).values() if isinstance(v, Field)
        )
        cls._by_wire = {f.wire: f for f in cls._fields}
        cls._by_attr = {f.attr: f for f in cls._fields}
        cls._canonical = tuple(f for f in cls._fields if f.codec.canonical is not None)

    def __init__(self) -> None:
        self._raw: dict[str, Any] = {}
        self._values: dict[str, Any] = {}

    # ---------------------------------------------------------------- wire conversion

    @classmethod
    def _from_wire(cls: type[M], data: dict[str, Any]) -> M:
        """Wrap ``data`` without copying it; for JSON this package parsed itself."""
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
        obj = cls.__new__(cls)
        obj._raw = data
        obj._values = {}
        return obj

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """Build a model from wire JSON (camelCase keys). Properties it does not know are kept."""
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}.from_dict: expected a mapping, got {type(data).__name__}")
        # A deep copy: setting a nested property later must not edit the caller's own dicts and lists.
        return cls._from_wire(_copy_json(data))

    def as_dict(self) -> dict[str, Any]:
        """Return wire JSON: camelCase keys, ``None`` values left out, unknown properties kept.

        :raises TypeError: a property holds a value of the wrong type (the message names it).
        :raises ValueError: a property holds a value the wire cannot carry (a date-time past the year
            9999 in UTC); the message names it.
        """
        raw = self._raw
        result = dict(raw)
        values = self._values
        for field in self._canonical:
            # Values as received go out as this package would send them: enum values in the spec's
            # spelling even where the service answered in another casing (``Spread``, ``UserError``).
            # A read, possibly edited, container is re-encoded below instead.
            value = raw.get(field.wire)
            if value is not None and not (field.codec.mutable and field.attr in values):
                result[field.wire] = field.codec.canonical(value)  # type: ignore[misc]
        by_attr = self._by_attr
        for attr, value in values.items():
            field = by_attr[attr]
            if field.wire in raw:
                # Read but not replaced (assignment drops the raw value). A scalar's raw text is exact,
                # re-encoding could lose digits; a container may have been edited in place.
                if value is None or not field.codec.mutable:
                    continue
            elif value is None:
                continue
            try:
                result[field.wire] = field.codec.encode(value)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{type(self).__name__}.{attr}: {exc}") from None
        return result

    @property
    def additional_properties(self) -> dict[str, Any]:
        """Wire properties this package does not model, as received (read-only copy)."""
        return {k: v for k, v in self._raw.items() if k not in self._by_wire}

    # ---------------------------------------------------------------- value semantics

    def _items(self) -> Iterator[tuple[str, Any]]:
        """(attribute, value) of every set property; an undecodable one as :class:`_Undecodable`."""
        for field in self._fields:
            try:
                value = field.__get__(self)
            except DeserializationError:
                value = _Undecodable(self._raw.get(field.wire))
            if value is not None:
                yield field.attr, value

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Model)
        if other is self:
            return True
        try:
            return dict(self._items()) == dict(other._items()) and (
                self.additional_properties == other.additional_properties
            )
        except RecursionError:
            return False  # values nested too deeply to compare; == must not raise

    __hash__ = None  # type: ignore[assignment]  # mutable value objects are not hashable

    def __repr__(self) -> str:
        parts = []
        # A name/value pair (an environment setting, a metadata item) named like a secret hides its value.
        items = list(self._items())
        secret_value = "value" in self._by_attr and any(
            attr == "name" and is_secret_name(value) for attr, value in items
        )
        for attr, value in items:
            field = self._by_attr[attr]
            if field.secret or (secret_value and attr == "value"):
                text = MASK
            elif field.url and isinstance(value, str):
                text = repr(mask_url_query(value))
            else:
                # Every string is scrubbed, not only URL properties: a SAS also turns up in command
                # lines, environment values and properties this package does not know.
                text = _safe_repr(value)
            parts.append(f"{attr}={text}")
        # OData annotations (odata.metadata) come with every answer: listing them would only be noise.
        extra = [key for key in self.additional_properties if not str(key).startswith("odata.")]
        if extra:
            parts.append(f"additional_properties={_safe_repr(sorted(extra, key=str))}")
        return f"{type(self).__name__}({', '.join(parts)})"


class _Undecodable:
    """A wire value a property cannot hold, as ``repr`` and ``==`` see it."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Undecodable) and type(self.raw) is type(other.raw) and self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<undecodable {self.raw!r}>"


def _safe_repr(value: Any) -> str:
    """``repr(value)`` with credentials masked; never raises for values read from JSON."""
    try:
        text = repr(value)
    except RecursionError:
        return "<nested too deeply to show>"
    return mask_text(text)


def _copy_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of JSON-shaped data (dicts and lists; anything else is kept as is).

    Iterative, not recursive: hostile nesting thousands of levels deep must copy, not overflow the stack.
    """
    root: dict[str, Any] = dict(data)
    pending: list[dict[str, Any] | list[Any]] = [root]
    while pending:
        container = pending.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in list(items):
            if isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, list):
                value = list(value)
            else:
                continue
            container[key] = value  # type: ignore[index,call-overload]  # key fits its container
            pending.append(value)
    return root
