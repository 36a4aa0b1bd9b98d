"""Base of every typed Krill record: tolerant decoding, no secrets in repr, absent kept apart from null."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import msgspec

__all__ = ["UNSET", "Record", "seal_records"]

_struct_eq = msgspec.Struct.__eq__

#: The default of every record field: "the server did not send this key". Typed ``Any`` so that a field
#: keeps its plain annotation (``str | None``); readers never see it (see `seal_records()`).
UNSET: Any = msgspec.UNSET


class Record(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """A Krill record decoded from JSON.

    Every field may be missing because ``attrs=`` may leave any of them out, and unknown fields are
    ignored so new server versions do not break old clients. ``gc=False`` keeps large exports cheap:
    decoded records never form reference cycles. Fields named in ``__secret_fields__`` are shown as
    ``'***'`` by ``repr``/``str`` (the value itself stays available as the attribute).

    A field the answer left out and a field the server sent as ``null`` both read as ``None``, but the
    record tells them apart: ``to_dict()`` (and re-encoding) keeps the server's nulls and omits only what
    was left out, and ``has(name)`` says whether a key was sent. That is what keeps an export's columns the
    same from the first record to the last (a null is still a column).
    """

    __secret_fields__: ClassVar[frozenset[str]] = frozenset()
    #: Fields decoded on first access: the wire keeps them as ``msgspec.Raw`` (the JSON text, zero-copy,
    #: referencing the page's body) until read; reading decodes them once into their documented type.
    __lazy_fields__: ClassVar[dict[str, Any]] = {}
    #: Per sealed class: each plain field's slot reader (C level; an absent field reads as ``UNSET``), for
    #: the library's own bulk reads (an export's keys) where a Python property call per record shows.
    __raw_readers__: ClassVar[dict[str, Any]] = {}

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

    def has(self, name: str) -> bool:
        """True when the answer carried ``name`` (even as ``null``); False when the request left it out."""
        if name not in self.__struct_fields__:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        return msgspec.structs.asdict(self)[name] is not msgspec.UNSET

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-compatible builtins, with the wire's key names (``_links``).

        The server's ``null``s are kept (as ``None``) and only fields the request left out (``attrs=``) are
        omitted, so every record of one query has the same keys: one stable schema for CSV or Parquet.
        """
        self._materialise()
        result: dict[str, Any] = msgspec.to_builtins(self)
        return result

    def _materialise(self) -> None:
        """Decode every lazy field still held as raw JSON (``to_builtins``, ``==`` and pickling need values)."""
        for name in self.__lazy_fields__:
            getattr(self, name)

    def __eq__(self, other: object) -> bool:
        if self.__lazy_fields__ and type(other) is type(self):
            self._materialise()  # raw JSON and its decoded value compare by value, not by text
            other._materialise()
        result: bool = _struct_eq(self, other)
        return result

    __hash__ = None  # type: ignore[assignment]


def _reader(slot: Any) -> property:
    """A property over a field's slot that reads an absent field (``UNSET``) as ``None``."""
    get = slot.__get__
    unset = msgspec.UNSET

    def read(self: Any) -> Any:
        value = get(self)
        return None if value is unset else value

    return property(read, slot.__set__, None, slot.__doc__)


def _lazy_reader(slot: Any, name: str, cls: Any) -> property:
    """Like `_reader()`, for a field decoded on first access from the ``msgspec.Raw`` the page left in it."""
    get = slot.__get__
    put = slot.__set__
    unset = msgspec.UNSET
    raw_type = msgspec.Raw
    decoders: list[Any] = []

    def read(self: Any) -> Any:
        value = get(self)
        if value.__class__ is raw_type:
            if not decoders:
                decoders.append(msgspec.json.Decoder(cls.__lazy_fields__[name]).decode)
            try:
                value = decoders[0](value)
            except msgspec.DecodeError as exc:
                from ..errors import DecodeError

                raise DecodeError(
                    f"could not decode {type(self).__name__}.{name} (decoded on first access): {exc}",
                    body_excerpt=bytes(get(self))[:200],
                    malformed=not isinstance(exc, msgspec.ValidationError),
                ) from None
            put(self, value)
        return None if value is unset else value

    return property(read, put, None, slot.__doc__)


def seal_records(classes: Iterable[Any]) -> None:
    """Make absent fields read as ``None`` on these record classes (call once, after the classes exist).

    Fields default to ``UNSET`` so that msgspec itself (C code: decoding, encoding, ``to_builtins``)
    tells a key left out from a ``null``; Python code reading an attribute should not have to, so each
    field's slot is wrapped in a property returning ``None`` for ``UNSET``. Classes are sealed by their
    module rather than by a metaclass: msgspec sets ``__struct_fields__`` after ``__init_subclass__``.
    """
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, Record)):
            continue
        readers: dict[str, Any] = {}
        for name in cls.__struct_fields__:
            slot = cls.__dict__.get(name)
            if slot is not None and type(slot).__name__ == "member_descriptor":
                lazy = name in cls.__lazy_fields__
                setattr(cls, name, _lazy_reader(slot, name, cls) if lazy else _reader(slot))
                if not lazy:
                    readers[name] = slot.__get__
        cls.__raw_readers__ = readers
