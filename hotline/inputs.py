"""Input specs: each request type is declared once, as fields, and yields both its parser and its JSON
Schema (the OpenAPI document). The same spec parses a JSON body (typed values: an age must be a number)
and an HTML form or query string (every value is text: "7" is read as 7, a checkbox as true).

Every refusal is an ``InputError`` (422) naming the field, with a Chinese message and a machine code;
a spec may replace the codes with its own (``code="bad_parameter"`` for query filters), a field too
(``code="bad_phone"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from hotline.errors import InputError
from hotline.timeutil import SHANGHAI

Source = Literal["json", "text"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,9}")
_MISSING = object()


@dataclass(frozen=True, kw_only=True)
class Field:
    name: str
    label: str
    required: bool = False
    #: replaces the generic error codes for this field
    code: str | None = None
    help: str | None = None
    #: the console form shows the field only when this says so (given the object the form acts on)
    show: Callable[[Any], bool] | None = None
    #: the console form's initial value (given the object the form acts on)
    initial: Callable[[Any], Any] | None = None

    widget = "input"

    def parse(self, raw: Any, source: Source, path: str) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def fail(self, path: str, message: str, code: str) -> InputError:
        return InputError(f"{self.label}（{path}）{message}", code=self.code or code, details={"field": path})

    def stripped(self, raw: Any, path: str) -> str | None:
        """A text value without surrounding blanks; None when blank."""
        if not isinstance(raw, str):
            raise self.fail(path, "必须是文本", "wrong_type")
        return raw.strip() or None

    def parse_iso(self, raw: Any, path: str, fromisoformat: Callable[[str], Any], example: str, code: str) -> Any:
        """A date or time written in ISO 8601 (blank: None)."""
        value = self.stripped(raw, path)
        if value is None:
            return None
        try:
            return fromisoformat(value)
        except ValueError:
            raise self.fail(path, f"格式不正确（示例 {example}）", code) from None

    def shown(self, subject: Any) -> bool:
        return self.show is None or self.show(subject)

    def initial_value(self, subject: Any) -> Any:
        return self.initial(subject) if self.initial else None


@dataclass(frozen=True, kw_only=True)
class Text(Field):
    max_length: int | Callable[[], int] = 200
    #: several lines allowed (a textarea in the console); otherwise CR/LF is refused
    multiline: bool = False
    pattern: str | None = None
    placeholder: str | None = None

    @property
    def widget(self) -> str:  # type: ignore[override]
        return "textarea" if self.multiline else "input"

    def limit(self) -> int:
        return self.max_length() if callable(self.max_length) else self.max_length

    def parse(self, raw: Any, source: Source, path: str) -> str | None:
        value = self.stripped(raw, path)
        if value is None:
            return None
        if len(value) > self.limit():
            raise self.fail(path, f"不能超过 {self.limit()} 字", "too_long")
        if _CONTROL.search(value) or (not self.multiline and _LINE_BREAK.search(value)):
            raise self.fail(path, "含有换行或控制字符", "bad_characters")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise self.fail(path, "格式不正确", "bad_format")
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "maxLength": self.limit()}
        if self.pattern:
            out["pattern"] = self.pattern
        return out


@dataclass(frozen=True, kw_only=True)
class Integer(Field):
    widget = "number"
    minimum: int | Callable[[], int] = 0
    maximum: int | Callable[[], int] = 10**9

    def bounds(self) -> tuple[int, int]:
        lo = self.minimum() if callable(self.minimum) else self.minimum
        hi = self.maximum() if callable(self.maximum) else self.maximum
        return lo, hi

    def parse(self, raw: Any, source: Source, path: str) -> int | None:
        lo, hi = self.bounds()
        if source == "text" and isinstance(raw, str):
            raw = raw.strip()
            if not raw:
                return None
            if not _ASCII_INT.fullmatch(raw):  # not str.isdigit(): "²" is a digit to Python, not a number
                raise self.fail(path, f"须为 {lo}-{hi} 的整数", "out_of_range")
            raw = int(raw)
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise self.fail(path, f"须为 {lo}-{hi} 的整数", "wrong_type")
        if not lo <= raw <= hi:
            raise self.fail(path, f"须为 {lo}-{hi} 的整数", "out_of_range")
        return raw

    def schema(self) -> dict[str, Any]:
        lo, hi = self.bounds()
        return {"type": "integer", "minimum": lo, "maximum": hi}


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, kw_only=True)
class Boolean(Field):
    widget = "checkbox"

    def parse(self, raw: Any, source: Source, path: str) -> bool | None:
        if source == "text" and isinstance(raw, str):
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise self.fail(path, "须为 true 或 false", "wrong_type")
        if not isinstance(raw, bool):
            raise self.fail(path, "须为 true 或 false", "wrong_type")
        return raw

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True, kw_only=True)
class Choice(Field):
    """One of a set of codes; ``choices`` maps code → Chinese name (or is a function returning that)."""

    choices: Mapping[str, str] | Callable[[], Mapping[str, str]]
    #: other spellings accepted and what they mean (``male`` → ``男``)
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: the console groups the options (county by prefecture): option code → group label
    group_of: Callable[[str], str | None] | None = None
    widget = "select"

    def options(self) -> Mapping[str, str]:
        return self.choices() if callable(self.choices) else self.choices

    def parse(self, raw: Any, source: Source, path: str) -> str | None:
        value = self.stripped(raw, path)
        if value is None:
            return None
        value = self.aliases.get(value, value)
        options = self.options()
        if value not in options:
            shown = "、".join(list(options)[:12]) + ("…" if len(options) > 12 else "")
            raise self.fail(path, f"取值“{value[:40]}”无效，可选：{shown}", "unknown_code")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": [*self.options(), *self.aliases]}


@dataclass(frozen=True, kw_only=True)
class DateTime(Field):
    """ISO 8601; a time without an offset is Beijing time (the console's datetime-local input sends one)."""

    widget = "datetime"

    def parse(self, raw: Any, source: Source, path: str) -> datetime | None:
        moment = self.parse_iso(raw, path, datetime.fromisoformat, "2026-06-01T09:00:00+08:00", "bad_datetime")
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=SHANGHAI)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


@dataclass(frozen=True, kw_only=True)
class Day(Field):
    """A calendar date, ``YYYY-MM-DD``."""

    widget = "date"

    def parse(self, raw: Any, source: Source, path: str) -> date | None:
        return self.parse_iso(raw, path, date.fromisoformat, "YYYY-MM-DD，如 2027-01-31", "bad_date")

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


@dataclass(frozen=True, kw_only=True)
class TextList(Field):
    """A list of values of one field (a JSON array; a repeated form field or a multiple select)."""

    item: Field
    max_items: int = 20
    widget = "multiselect"

    def parse(self, raw: Any, source: Source, path: str) -> list[Any] | None:
        if isinstance(raw, str) and source == "text":
            raw = [raw]
        if not isinstance(raw, list):
            raise self.fail(path, "必须是文本列表", "wrong_type")
        if len(raw) > self.max_items:
            raise self.fail(path, f"不能超过 {self.max_items} 项", "too_long")
        out = [self.item.parse(v, source, f"{path}[{i}]") for i, v in enumerate(raw)]
        return [v for v in out if v is not None]

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema(), "maxItems": self.max_items}


@dataclass(frozen=True, kw_only=True)
class Group(Field):
    """A nested object (``caller: {name, phone}``)."""

    spec: Spec

    def parse(self, raw: Any, source: Source, path: str) -> dict[str, Any] | None:
        if not isinstance(raw, Mapping):
            raise self.fail(path, "必须是 JSON 对象", "wrong_type")
        return self.spec.parse(raw, source=source, prefix=f"{path}.")

    def schema(self) -> dict[str, Any]:
        return self.spec.json_schema()


@dataclass(frozen=True)
class Spec:
    fields: Sequence[Field]
    #: replaces every error code (query filters answer bad_parameter whatever went wrong)
    code: str | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        assert len(names) == len(set(names)), f"duplicate field in spec: {names}"

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def parse(self, data: Any, *, source: Source, prefix: str = "") -> dict[str, Any]:
        """Validated values by field name (absent or blank optional fields are None)."""
        if not isinstance(data, Mapping):
            raise InputError("请求体必须是 JSON 对象", code=self.code or "wrong_type")
        known = {f.name for f in self.fields}
        if source == "json":  # forms carry other inputs (csrf_token, buttons): only JSON is strict
            unknown = sorted(str(k) for k in data if k not in known)
            if unknown:
                raise InputError(f"含有未知字段：{', '.join(prefix + u for u in unknown)}",
                                 code=self.code or "unknown_field", details={"fields": unknown})
        out: dict[str, Any] = {}
        try:
            for f in self.fields:
                if isinstance(f, TextList) and source == "text" and hasattr(data, "getlist"):
                    raw = data.getlist(f.name) or _MISSING  # a repeated form field
                else:
                    raw = data.get(f.name, _MISSING)
                value = None if raw is _MISSING or raw is None else f.parse(raw, source, prefix + f.name)
                if value is None and f.required:
                    raise InputError(f"请填写{f.label}（{prefix + f.name}）", code=f.code or "missing_field",
                                     details={"field": prefix + f.name})
                out[f.name] = value
        except InputError as exc:
            if self.code:
                exc.code = self.code
            raise
        return out

    def json_schema(self) -> dict[str, Any]:
        properties = {}
        for f in self.fields:
            schema = f.schema()
            schema.setdefault("description", f.label + (f"。{f.help}" if f.help else ""))
            properties[f.name] = schema
        out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
        required = [f.name for f in self.fields if f.required]
        if required:
            out["required"] = required
        return out
