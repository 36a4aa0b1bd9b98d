"""Scrubbing the client's own secrets out of everything it says: pure functions, no I/O.

A server (or a proxy) may echo request headers in an error body: a debugging middleware, a WAF page, a
"400 Bad Request" that quotes the request. The client knows exactly which secrets it sends (the auth
object lists them), so it replaces each of them, in every form it could be echoed in, in every error it
raises: the message, the server's ``detail`` and field errors, the kept body and headers.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

E = TypeVar("E", bound=BaseException)

__all__ = ["MASK", "drop_hidden_context", "scrub_error", "secret_forms"]

MASK = "***"
#: Shorter values are not scrubbed: masking every "a" or "12" in a message would make it unreadable, and a
#: secret that short is no secret.
_MIN_LENGTH = 4


def secret_forms(values: Iterable[str]) -> list[str]:
    """Each secret as it may appear in an echo: as is, JSON-escaped, percent-encoded and base64-encoded;
    longest first, so a header value is masked whole before the token inside it."""
    forms: set[str] = set()
    for value in values:
        if not value or len(value) < _MIN_LENGTH:
            continue
        forms.add(value)
        forms.add(value.replace("/", "\\/"))  # JSON encoders may escape "/" (base64 has it)
        forms.add(quote(value, safe=""))
        forms.add(quote_plus(value, safe=""))  # a form-encoded echo (the login form: a space is "+")
        forms.add(json.dumps(value)[1:-1])  # a JSON echo with non-ASCII escaped ("contrase\u00f1a")
        forms.add(base64.b64encode(value.encode()).decode("ascii"))
    return sorted((f for f in forms if len(f) >= _MIN_LENGTH), key=len, reverse=True)


def scrub_text(text: str, forms: list[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def scrub_bytes(data: bytes, forms: list[str]) -> bytes:
    for form in forms:
        encoded = form.encode("utf-8", "ignore")
        if encoded and encoded in data:
            data = data.replace(encoded, MASK.encode())
    return data


def _scrub_value(value: Any, forms: list[str]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, forms)
    if isinstance(value, bytes):
        return scrub_bytes(value, forms)
    if isinstance(value, list):
        return [_scrub_value(v, forms) for v in value]
    if isinstance(value, tuple):
        return tuple(_scrub_value(v, forms) for v in value)
    if isinstance(value, dict):
        return {k: _scrub_value(v, forms) for k, v in value.items()}
    return value


def scrub_error(exc: BaseException, secrets: Iterable[str]) -> BaseException:
    """Mask every form of ``secrets`` in ``exc`` (its message and text attributes), in place; returns it.

    Cheap when there is nothing to mask, and idempotent. Errors chained as ``__cause__``/``__context__``
    are scrubbed too (they show in tracebacks).
    """
    forms = secret_forms(secrets)
    if not forms:
        return exc
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(_scrub_value(arg, forms) for arg in current.args)
        for name, value in list(vars(current).items()):
            if isinstance(value, (str, bytes, list, tuple, dict)):
                setattr(current, name, _scrub_value(value, forms))
        current = current.__cause__ or current.__context__
    return exc


def drop_hidden_context(exc: E) -> E:
    """``exc`` without the errors its chain hides (``raise ... from None``); returns it.

    A hidden context is not shown in tracebacks, but it stays reachable as ``__context__``: aiohttp's
    own error keeps the request's URL, query and all, and its headers, ``Authorization`` included, in
    forms `scrub_error` cannot mask (yarl URLs, multidicts)."""
    current: BaseException | None = exc
    while current is not None:
        if current.__suppress_context__:
            current.__context__ = None
        current = current.__cause__ or current.__context__
    return exc
