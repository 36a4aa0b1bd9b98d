"""What the operator types: a resource (path or httpie-style URL) and ``name==value`` query items.

Pure functions, no I/O: they are unit-tested on their own and the commands stay thin.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from yarl import URL

__all__ = ["Paging", "Target", "UsageProblem", "is_monitoring_search", "parse_items", "split_paging", "split_target"]


class UsageProblem(ValueError):
    """Something the operator typed cannot work; the command line reports it as a usage error (exit 2)."""


@dataclass(frozen=True)
class Target:
    """Where a request goes: ``path`` is relative to ``/api/v2/`` (``isp/cpes/``) or absolute from the
    deployment root (``/api/cpes/``, API v1); ``base_url`` is set when the operator typed a whole URL, and
    ``params`` holds that URL's own query."""

    path: str
    base_url: str | None = None
    params: tuple[tuple[str, str], ...] = field(default=())


def _looks_like_host(text: str) -> bool:
    return text == "localhost" or "." in text or ":" in text


def split_target(text: str) -> Target:
    """Read a resource the way httpie users write it.

    ``isp/cpes/``, ``/api/v2/isp/cpes/``, ``api/v2/isp/cpes/`` (as the vendor's guide writes it) and
    ``/api/cpes/`` (API v1) are paths on ``--url``; ``https://host/api/v2/isp/cpes/``,
    ``krill.phicus.es:4780/api/v2/monitoring/search`` (httpie's scheme-less form, plain http like httpie)
    and ``:4780/api/v2/...`` (httpie's localhost shorthand) also name the server.
    """
    text = text.strip()
    if not text:
        raise UsageProblem("give a resource path, like isp/cpes/ or monitoring/search")
    if "://" not in text:
        head, sep, _ = text.partition("/api/")
        if text.startswith(":") and sep:
            text = "http://localhost" + text
        elif sep and head and not head.startswith("/") and _looks_like_host(head):
            text = "http://" + text
    if "://" in text:
        return _split_url(text)
    path, _, query = text.partition("?")
    params = tuple(URL("/?" + query).query.items()) if query else ()
    if path.startswith("api/"):
        path = "/" + path
    if path.startswith("/api/v2/"):
        path = path[len("/api/v2/") :]
    elif path.startswith("/") and not path.startswith("/api/"):
        path = path.lstrip("/")  # "/isp/cpes/" is the same resource as "isp/cpes/"
    if not path.strip("/"):
        raise UsageProblem(f"{text!r} names no resource; write a path like isp/cpes/")
    return Target(path, None, params)


def _split_url(text: str) -> Target:
    url = URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageProblem(f"{text!r} is not an http(s) URL")
    if url.user or url.password:
        raise UsageProblem("put credentials in -a USER[:PASSWORD] or the environment, not in the URL")
    prefix, sep, rest = url.path.partition("/api/")
    if not sep:
        raise UsageProblem(f"{text!r} has no /api/ path: write the resource, like {text.rstrip('/')}/api/v2/isp/cpes/")
    base = str(url.with_path(prefix or "/").with_query(None).with_fragment(None))
    path = rest[len("v2/") :] if rest.startswith("v2/") else "/api/" + rest
    if not path.strip("/") or path.rstrip("/") == "/api":
        raise UsageProblem(f"{text!r} names no resource; add one, like /api/v2/isp/cpes/")
    return Target(path, base, tuple(url.query.items()))


def parse_items(items: Iterable[str]) -> list[tuple[str, str]]:
    """``name==value`` items as query pairs, in order (httpie's syntax: ``type==Host``, ``limit==1``).

    Only the first ``==`` separates, so a value may itself contain ``==``; an empty value is sent empty.
    """
    pairs: list[tuple[str, str]] = []
    for item in items:
        name, sep, value = item.partition("==")
        if not sep or not name:
            hint = ""
            if "=" in item and not sep:
                hint = " (httpie's name=value sends a JSON field; a query parameter takes ==)"
            raise UsageProblem(f"expected a query item like type==Host, got {item!r}{hint}")
        pairs.append((name, value))
    return pairs


@dataclass(frozen=True)
class Paging:
    """``limit==N`` and ``offset==N`` read the vendor's way: start at ``offset``, give at most ``limit``
    records (the CLI pages on its own, so ``limit`` is how many records you want, not a page size)."""

    params: list[tuple[str, str]]
    limit: int | None
    offset: int


def _int_item(name: str, value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise UsageProblem(f"{name}=={value!r}: expected a whole number") from None
    if number < minimum:
        raise UsageProblem(f"{name}=={value}: must be at least {minimum}")
    return number


def split_paging(pairs: Sequence[tuple[str, str]]) -> Paging:
    """Take ``limit`` and ``offset`` out of the query pairs (the last one given wins, like Django)."""
    limit: int | None = None
    offset = 0
    rest: list[tuple[str, str]] = []
    for name, value in pairs:
        if name == "limit":
            limit = _int_item(name, value, 1)
        elif name == "offset":
            offset = _int_item(name, value, 0)
        else:
            rest.append((name, value))
    return Paging(rest, limit, offset)


def is_monitoring_search(target: Target) -> bool:
    """True for ``monitoring/search`` (with or without the trailing slash)."""
    return target.path.strip("/") == "monitoring/search"
