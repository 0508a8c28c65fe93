"""The Batch subset of OData query options: ``$filter`` (tokenizer, parser, compiler), ``$select``, ``$expand``.

A filter is parsed into a small AST, then checked against the listing's field table and compiled into one
predicate per request. The predicate runs over a flat mapping of filterable values (``"executionInfo/poolId"``
style keys; date-times as integer 100 ns ticks since the Unix epoch), so the store decides what a field means.

Grammar (lowest precedence first; ``and`` binds tighter than ``or``)::

    expr    := and ( 'or' and )*
    and     := unary ( 'and' unary )*
    unary   := 'not' unary | primary
    primary := '(' expr ')' | call [ ('eq' | 'ne') bool ] | prop op literal
    call    := 'startswith' '(' prop ',' literal ')'
    literal := 'string' | datetime'...' | integer | 'true' | 'false' | 'null'
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = [
    "FilterError",
    "FilterField",
    "Predicate",
    "compile_filter",
    "parse_datetime_ticks",
    "parse_expand",
    "parse_filter",
    "parse_select",
    "project",
]

TICKS_PER_SECOND = 10_000_000

Predicate = Callable[[Mapping[str, Any]], bool]
"""A compiled filter: takes the flat value mapping of one item, answers whether it matches."""


class FilterError(ValueError):
    """The expression is malformed, or uses a property, operator or literal the listing does not allow."""


# --------------------------------------------------------------------------------------------- date-times

_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_datetime_ticks(text: str) -> int:
    """Parse an ISO 8601 date-time into 100 ns ticks since 1970-01-01T00:00:00Z.

    Accepts up to 7 fractional digits (more are truncated, as .NET does), ``Z`` or a numeric offset, and
    treats a missing offset as UTC. Raises ``ValueError`` for anything else.
    """
    m = _ISO_RE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        raise ValueError(f"not a valid date: {text!r}")
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"not a valid time: {text!r}")
    fraction = int((m[7] or "").ljust(7, "0"))
    offset_s = 0
    zone = m[8]
    if zone and zone not in ("Z", "z"):
        digits = zone[1:].replace(":", "")
        offset_s = (int(digits[:2]) * 60 + int(digits[2:])) * 60
        if zone[0] == "-":
            offset_s = -offset_s
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset_s
    return seconds * TICKS_PER_SECOND + fraction


# ---------------------------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, keyword, string, datetime, number, lparen, rparen, comma, eof
    text: str
    value: Any
    pos: int


_KEYWORDS = frozenset({"and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "true", "false", "null"})
_COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_IDENT_START = re.compile(r"[A-Za-z_$]")
_IDENT_REST = re.compile(r"[A-Za-z0-9_$/.]*")
_NUMBER = re.compile(r"-?\d+")
_MAX_INT_DIGITS = 19
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _integer(digits: str, pos: int) -> int:
    # Checked on the digit count before converting: Python refuses to convert strings of more than
    # 4300 digits (a ValueError that is not a FilterError), and no filterable property is wider than
    # a 64-bit integer anyway.
    if len(digits.lstrip("-").lstrip("0")) > _MAX_INT_DIGITS:
        raise FilterError(f"the integer literal at position {pos} is out of range")
    value = int(digits)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise FilterError(f"the integer literal at position {pos} is out of range")
    return value


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            kind = {"(": "lparen", ")": "rparen", ",": "comma"}[ch]
            tokens.append(_Token(kind, ch, None, i))
            i += 1
        elif ch == "'":
            value, end = _read_quoted(text, i)
            tokens.append(_Token("string", text[i:end], value, i))
            i = end
        elif (m := _NUMBER.match(text, i)) is not None:
            tokens.append(_Token("number", m[0], _integer(m[0], i), i))
            i = m.end()
        elif _IDENT_START.match(ch):
            m2 = _IDENT_REST.match(text, i + 1)
            end = m2.end() if m2 else i + 1
            word = text[i:end]
            if word.lower() == "datetime" and end < n and text[end] == "'":
                raw, after = _read_quoted(text, end)
                try:
                    ticks = parse_datetime_ticks(raw)
                except ValueError as exc:
                    raise FilterError(f"invalid DateTime literal at position {i}: {exc}") from None
                tokens.append(_Token("datetime", text[i:after], ticks, i))
                end = after
            elif word.lower() in _KEYWORDS:
                tokens.append(_Token("keyword", word, word.lower(), i))
            else:
                tokens.append(_Token("ident", word, word, i))
            i = end
        else:
            raise FilterError(f"unexpected character {ch!r} at position {i}")
    tokens.append(_Token("eof", "", None, n))
    return tokens


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a single-quoted literal starting at ``start``; a doubled quote stands for one quote."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        if text[i] == "'":
            if i + 1 < len(text) and text[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    raise FilterError(f"unterminated string literal starting at position {start}")


# -------------------------------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Literal:
    """A constant: kind is ``string``, ``datetime`` (value in ticks), ``number``, ``bool`` or ``null``."""

    kind: str
    value: Any


@dataclass(frozen=True)
class Compare:
    """``prop op literal``."""

    prop: str
    op: str
    literal: Literal


@dataclass(frozen=True)
class StartsWith:
    """``startswith(prop, literal)``, optionally negated by a trailing ``eq false`` / ``ne true``."""

    prop: str
    literal: Literal
    expected: bool = True


@dataclass(frozen=True)
class And:
    """Both operands must hold."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    """Either operand must hold."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    """The operand must not hold."""

    operand: Node


Node: TypeAlias = "Compare | StartsWith | And | Or | Not"


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._i = 0

    def parse(self) -> Node:
        if self._peek().kind == "eof":
            raise FilterError("the filter expression is empty")
        node = self._or()
        tok = self._peek()
        if tok.kind != "eof":
            raise FilterError(f"unexpected {tok.text!r} at position {tok.pos}")
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._i]

    def _next(self) -> _Token:
        tok = self._tokens[self._i]
        if tok.kind != "eof":
            self._i += 1
        return tok

    def _is_keyword(self, word: str) -> bool:
        tok = self._peek()
        return tok.kind == "keyword" and tok.value == word

    def _expect(self, kind: str, what: str) -> _Token:
        tok = self._next()
        if tok.kind != kind:
            found = tok.text or "end of expression"
            raise FilterError(f"expected {what} at position {tok.pos}, found {found!r}")
        return tok

    def _or(self) -> Node:
        node = self._and()
        while self._is_keyword("or"):
            self._next()
            node = Or(node, self._and())
        return node

    def _and(self) -> Node:
        node = self._unary()
        while self._is_keyword("and"):
            self._next()
            node = And(node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._is_keyword("not"):
            self._next()
            return Not(self._unary())
        return self._primary()

    def _primary(self) -> Node:
        tok = self._peek()
        if tok.kind == "lparen":
            self._next()
            node = self._or()
            self._expect("rparen", "')'")
            return node
        if tok.kind != "ident":
            raise FilterError(
                f"expected a property or function at position {tok.pos}, found {tok.text or 'end'!r}"
            )
        self._next()
        if self._peek().kind == "lparen":
            return self._call(tok)
        op_tok = self._next()
        if op_tok.kind != "keyword" or op_tok.value not in _COMPARISONS:
            raise FilterError(f"expected a comparison operator after {tok.text!r} at position {op_tok.pos}")
        return Compare(tok.text, op_tok.value, self._literal())

    def _call(self, name: _Token) -> Node:
        if name.text.lower() != "startswith":
            raise FilterError(f"unsupported function {name.text!r} at position {name.pos}")
        self._expect("lparen", "'('")
        prop = self._expect("ident", "a property name")
        self._expect("comma", "','")
        literal = self._literal()
        self._expect("rparen", "')'")
        expected = True
        # OData v2/v3 clients write "startswith(x,'y') eq true"; accept that spelling too.
        if self._is_keyword("eq") or self._is_keyword("ne"):
            negate = self._next().value == "ne"
            value = self._literal()
            if value.kind != "bool":
                raise FilterError("startswith(...) can only be compared with true or false")
            expected = bool(value.value) != negate
        return StartsWith(prop.text, literal, expected)

    def _literal(self) -> Literal:
        tok = self._next()
        if tok.kind == "string":
            return Literal("string", tok.value)
        if tok.kind == "datetime":
            return Literal("datetime", tok.value)
        if tok.kind == "number":
            return Literal("number", tok.value)
        if tok.kind == "keyword" and tok.value in ("true", "false"):
            return Literal("bool", tok.value == "true")
        if tok.kind == "keyword" and tok.value == "null":
            return Literal("null", None)
        raise FilterError(
            f"expected a literal at position {tok.pos}, found {tok.text or 'end of expression'!r}"
        )


def parse_filter(text: str) -> Node:
    """Parse a ``$filter`` expression into an AST; raise :class:`FilterError` when malformed."""
    try:
        return _Parser(text).parse()
    except RecursionError:
        raise FilterError("the filter expression is nested too deeply") from None


# ------------------------------------------------------------------------------------------- compilation


@dataclass(frozen=True)
class FilterField:
    """What a listing allows for one filterable property.

    ``type`` is ``string``, ``enum``, ``datetime`` or ``int``; ``ops`` the allowed operators (comparison
    keywords and ``startswith``); ``values`` the legal enum values; ``ignore_case`` compares strings
    case-insensitively (job ids are case-insensitive in Batch).
    """

    type: str
    ops: frozenset[str]
    values: frozenset[str] = frozenset()
    ignore_case: bool = False


def compile_filter(text: str, fields: Mapping[str, FilterField]) -> Predicate:
    """Parse ``text`` and compile it against ``fields`` into a predicate; raise :class:`FilterError`."""
    return _compile(parse_filter(text), fields, 0)


# The predicate evaluates recursively, one frame per AST level; a cap keeps long and/or chains from
# exhausting the stack while a page is being listed.
_MAX_DEPTH = 200


def _compile(node: Node, fields: Mapping[str, FilterField], depth: int) -> Predicate:
    if depth > _MAX_DEPTH:
        raise FilterError(f"the filter expression is nested too deeply (more than {_MAX_DEPTH} levels)")
    if isinstance(node, And):
        left, right = _compile(node.left, fields, depth + 1), _compile(node.right, fields, depth + 1)
        return lambda item: left(item) and right(item)
    if isinstance(node, Or):
        left, right = _compile(node.left, fields, depth + 1), _compile(node.right, fields, depth + 1)
        return lambda item: left(item) or right(item)
    if isinstance(node, Not):
        inner = _compile(node.operand, fields, depth + 1)
        return lambda item: not inner(item)
    if isinstance(node, StartsWith):
        return _compile_startswith(node, fields)
    return _compile_compare(node, fields)


def _field(prop: str, fields: Mapping[str, FilterField]) -> FilterField:
    spec = fields.get(prop)
    if spec is None:
        raise FilterError(f"property {prop!r} cannot be used in a filter on this listing")
    return spec


def _compile_startswith(node: StartsWith, fields: Mapping[str, FilterField]) -> Predicate:
    spec = _field(node.prop, fields)
    if "startswith" not in spec.ops:
        raise FilterError(f"startswith is not allowed on property {node.prop!r}")
    if node.literal.kind != "string":
        raise FilterError(f"startswith on {node.prop!r} needs a string literal")
    prefix: str = node.literal.value
    prop, expected = node.prop, node.expected
    if spec.ignore_case:
        prefix = prefix.lower()

        def match_ci(item: Mapping[str, Any]) -> bool:
            value = item.get(prop)
            return isinstance(value, str) and value.lower().startswith(prefix) == expected

        return match_ci

    def match(item: Mapping[str, Any]) -> bool:
        value = item.get(prop)
        return isinstance(value, str) and value.startswith(prefix) == expected

    return match


def _compile_compare(node: Compare, fields: Mapping[str, FilterField]) -> Predicate:
    spec = _field(node.prop, fields)
    if node.op not in spec.ops:
        raise FilterError(f"operator {node.op!r} is not allowed on property {node.prop!r}")
    constant = _coerce_literal(node.prop, spec, node.literal)
    prop, op = node.prop, node.op
    if constant is None:
        if op not in ("eq", "ne"):
            raise FilterError(f"null can only be compared with eq or ne (property {prop!r})")
        want_missing = op == "eq"
        return lambda item: (item.get(prop) is None) == want_missing
    fold = spec.ignore_case and isinstance(constant, str)
    if fold:
        constant = constant.lower()
    compare = _OPERATORS[op]

    def predicate(item: Mapping[str, Any]) -> bool:
        value = item.get(prop)
        if value is None:
            # A missing value differs from every constant and is neither larger nor smaller than it.
            return op == "ne"
        if fold and isinstance(value, str):
            value = value.lower()
        return compare(value, constant)

    return predicate


def _coerce_literal(prop: str, spec: FilterField, literal: Literal) -> Any:
    if literal.kind == "null":
        return None
    if spec.type in ("string", "enum"):
        if literal.kind != "string":
            raise FilterError(f"property {prop!r} needs a quoted string literal")
        if spec.type == "enum" and literal.value not in spec.values:
            allowed = ", ".join(sorted(spec.values))
            raise FilterError(f"{literal.value!r} is not a valid value for {prop!r} (one of: {allowed})")
        return literal.value
    if spec.type == "datetime":
        if literal.kind == "datetime":
            return literal.value
        if literal.kind == "string":
            try:
                return parse_datetime_ticks(literal.value)
            except ValueError:
                raise FilterError(
                    f"property {prop!r} needs a DateTime literal, e.g. datetime'2024-01-01T00:00:00Z'"
                ) from None
        raise FilterError(f"property {prop!r} needs a DateTime literal, e.g. datetime'2024-01-01T00:00:00Z'")
    if spec.type == "int":
        if literal.kind != "number":
            raise FilterError(f"property {prop!r} needs an integer literal")
        return literal.value
    raise FilterError(f"property {prop!r} has an unsupported type {spec.type!r}")  # pragma: no cover


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: bool(a == b),
    "ne": lambda a, b: bool(a != b),
    "gt": lambda a, b: bool(a > b),
    "ge": lambda a, b: bool(a >= b),
    "lt": lambda a, b: bool(a < b),
    "le": lambda a, b: bool(a <= b),
}


# ------------------------------------------------------------------------------------ $select / $expand


def _split_list(text: str, option: str) -> list[str]:
    items = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise FilterError(f"{option} must be a comma-separated list of names")
    return items


def parse_select(text: str, allowed: Collection[str]) -> list[tuple[str, ...]]:
    """Parse ``$select`` into property paths; the first segment of each must be in ``allowed``.

    Nested paths (``executionInfo/poolId``) select one sub-property; deeper segments are not checked
    because the emulator keeps nested objects as the caller sent them.
    """
    paths: list[tuple[str, ...]] = []
    for item in _split_list(text, "$select"):
        parts = tuple(item.split("/"))
        if any(not p for p in parts) or parts[0] not in allowed:
            raise FilterError(f"{item!r} is not a property that can be selected")
        paths.append(parts)
    return paths


def parse_expand(text: str, allowed: Collection[str]) -> set[str]:
    """Parse ``$expand`` into a set of names, each of which must be in ``allowed``."""
    names = set(_split_list(text, "$expand"))
    unknown = sorted(names.difference(allowed))
    if unknown:
        raise FilterError(f"{unknown[0]!r} cannot be expanded")
    return names


def project(doc: Mapping[str, Any], paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """Keep only the selected paths of ``doc`` (missing ones are simply absent), preserving key order."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for i, part in enumerate(path):
            if node.get(part) is True:
                break  # an ancestor is already selected whole
            if i == len(path) - 1:
                node[part] = True
            else:
                node = node.setdefault(part, {})
    return _project(doc, tree)


def _project(doc: Mapping[str, Any], tree: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        sel = tree.get(key)
        if sel is True:
            out[key] = value
        elif isinstance(sel, dict) and isinstance(value, Mapping):
            out[key] = _project(value, sel)
    return out
