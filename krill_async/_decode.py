"""Decoding response bodies with cached msgspec decoders, straight from bytes."""

from __future__ import annotations

import functools
import re
from typing import Any, Generic, TypeVar

import msgspec

from .errors import DecodeError

T = TypeVar("T")

_FIRST_NON_SPACE = re.compile(rb"\S")


class Envelope(msgspec.Struct, Generic[T], gc=False):
    """DRF LimitOffsetPagination body. ``results`` is required: an object without it is not a page."""

    results: list[T]
    count: int | None = None
    next: str | None = None
    previous: str | None = None


def wire_type(model: Any) -> Any:
    """The type msgspec decodes for a requested model (``bytes`` means raw JSON of each record)."""
    if model is bytes:
        return msgspec.Raw
    if model is dict:
        return dict[str, Any]
    return model


@functools.lru_cache(maxsize=256)
def decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    """One reusable decoder per type: building a decoder is far costlier than using one."""
    return msgspec.json.Decoder(type_)


def _excerpt(body: bytes) -> bytes:
    return body[:200]


def too_deep(url: str, body: bytes, offset: int | None = None) -> DecodeError:
    """The error for JSON nested deeper than the decoder's recursion limit (a hostile or broken server)."""
    return DecodeError(
        f"the answer of {url} is JSON nested too deeply to decode; no Krill resource is shaped like that, "
        "so the server or a proxy is broken (or hostile). Not retried.",
        url=url,
        offset=offset,
        body_excerpt=_excerpt(body),
        malformed=False,
    )


def decode_body(body: bytes, model: Any, *, url: str) -> Any:
    """Decode a whole body (one record, or any JSON) into ``model``."""
    type_ = wire_type(model)
    try:
        value = decoder(type_).decode(body)
    except RecursionError:
        raise too_deep(url, body) from None
    except msgspec.DecodeError as exc:
        raise DecodeError(
            f"could not decode the answer of {url} as {getattr(model, '__name__', model)}: {exc}. "
            "If the server changed a field's type, decode with into=dict and report it.",
            url=url,
            body_excerpt=_excerpt(body),
            malformed=not isinstance(exc, msgspec.ValidationError),
        ) from None
    return bytes(value) if model is bytes else value


def decode_page(
    body: bytes, model: Any, *, url: str, offset: int | None = None
) -> tuple[list[Any], int | None, str | None, str | None]:
    """``(records, count, next, previous)`` of a list body.

    A bare JSON array (API v1, some v2 endpoints) is one complete page: no count, no links.
    """
    type_ = wire_type(model)
    count: int | None
    first = _FIRST_NON_SPACE.search(body)
    try:
        if first is not None and body[first.start()] == 0x5B:  # "["
            items: list[Any] = decoder(list[type_]).decode(body)  # type: ignore[valid-type]
            count, next_, previous = len(items), None, None
        else:
            envelope: Envelope[Any] = decoder(Envelope[type_]).decode(body)  # type: ignore[valid-type]
            items, count, next_, previous = envelope.results, envelope.count, envelope.next, envelope.previous
    except RecursionError:
        raise too_deep(url, body, offset) from None
    except msgspec.DecodeError as exc:
        where = f" at offset {offset}" if offset is not None else ""
        raise DecodeError(
            f"could not decode the page{where} of {url}: {exc}. "
            "If the server changed a field's type, list with into=dict and report it.",
            url=url,
            offset=offset,
            body_excerpt=_excerpt(body),
            malformed=not isinstance(exc, msgspec.ValidationError),
        ) from None
    if model is bytes:
        items = [bytes(raw) for raw in items]
    return items, count, next_, previous
