"""Base of every typed Krill record: tolerant decoding, no secrets in repr."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import msgspec

__all__ = ["Record"]


class Record(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """A Krill record decoded from JSON.

    Every field defaults to ``None`` because ``attrs=`` may leave any of them out, and unknown fields are
    ignored so new server versions do not break old clients. ``gc=False`` keeps large exports cheap:
    decoded records never form reference cycles. Fields named in ``__secret_fields__`` are shown as
    ``'***'`` by ``repr``/``str`` (the value itself stays available as the attribute).
    """

    __secret_fields__: ClassVar[frozenset[str]] = frozenset()

    def _visible_fields(self) -> Iterator[tuple[str, Any]]:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if value is None:
                continue
            if name in self.__secret_fields__ and value != "":
                value = "***"
            yield name, value

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in self._visible_fields())
        return f"{type(self).__name__}({inner})"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return list(self._visible_fields())

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-compatible builtins (fields left out by ``attrs=`` are omitted)."""
        result: dict[str, Any] = msgspec.to_builtins(self)
        return result
