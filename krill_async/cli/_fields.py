"""``--fields``: jq-like selections such as ``cpe=name,olt=attrs.vars.cpe_registration_host``.

Also accepted, so a jq filter can be pasted as is: ``'{cpe: .name, olt: .attrs.vars.cpe_registration_host}'``
and ``{name}`` (jq's shorthand for ``name: .name``). Lists of records decode only these paths through the
library's projection (several times faster than whole objects); one answer (``krill get``) is walked with
`extract()`, with the same jq semantics: a missing key or a non-object on the way reads as ``null``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .._projection import Selection, parse_path
from ._items import UsageProblem

__all__ = ["FieldSpec", "extract", "parse_fields", "split_top_level"]


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on ``separator`` outside double quotes and brackets (``."a,b"`` stays whole)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in text:
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted or depth:
        raise UsageProblem(f"unbalanced quotes or brackets in {text!r}")
    parts.append("".join(current))
    return parts


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1]
    return name


def _split_entry(entry: str, separator: str) -> tuple[str, str]:
    """``name<sep>path`` (the separator outside quotes), or a bare path named after itself."""
    parts = split_top_level(entry, separator)
    if len(parts) == 1:
        path = entry.strip()
        return path.lstrip("."), path
    name, path = parts[0], separator.join(parts[1:])
    return _unquote(name), path.strip()


def _entries(spec: str) -> Iterable[tuple[str, str]]:
    text = spec.strip()
    if text.startswith("{") and text.endswith("}"):  # a jq object constructor
        for entry in split_top_level(text[1:-1]):
            if entry.strip():
                yield _split_entry(entry, ":")  # {name} (no separator) is jq's {name: .name}
        return
    for entry in split_top_level(text):
        if entry.strip():
            yield _split_entry(entry, "=")


@dataclass(frozen=True)
class FieldSpec:
    """The selected fields: output names, the paths as typed, and their keys."""

    names: tuple[str, ...]
    paths: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]

    def selection(self) -> dict[str, str]:
        """Keyword arguments for the library's projection; internal names, since output names may be
        anything (``olt-name``) while projection names must be identifiers."""
        return {f"f{index}": path for index, path in enumerate(self.paths)}

    def row(self, record: Selection) -> dict[str, Any]:
        """A projected record as ``{name: value}`` in the order asked for."""
        return dict(zip(self.names, record, strict=True))

    def extract(self, data: Any) -> dict[str, Any]:
        """The fields of an already decoded JSON value."""
        return {name: extract(data, keys) for name, keys in zip(self.names, self.keys, strict=True)}


def extract(data: Any, keys: Sequence[str]) -> Any:
    """``data`` at ``keys``; ``None`` when a key is missing or a value on the way is not an object."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def parse_fields(specs: Sequence[str]) -> FieldSpec | None:
    """Every ``--fields`` value (repeatable) as one `FieldSpec`; ``None`` when none was given."""
    names: list[str] = []
    paths: list[str] = []
    keys: list[tuple[str, ...]] = []
    for spec in specs:
        for name, path in _entries(spec):
            if not name or not path:
                raise UsageProblem(f"--fields: {spec!r} has an empty name or path; write name=path,name=path")
            if name in names:
                raise UsageProblem(f"--fields: the name {name!r} is used twice")
            try:
                parsed = parse_path(path)
            except (TypeError, ValueError) as exc:
                raise UsageProblem(f"--fields: {exc}") from None
            names.append(name)
            paths.append(path)
            keys.append(parsed)
    if not names:
        return None
    return FieldSpec(tuple(names), tuple(paths), tuple(keys))
