"""Redirect decisions: a pure function, no I/O.

Reads follow same-origin redirects inside the API. A write never silently changes what it does: aiohttp
(like browsers) would turn a POST answered with 301/302 into a GET, and against Django's ``APPEND_SLASH``
(``POST /api/v2/isp/cpes`` -> 301 -> ``/api/v2/isp/cpes/``) the call would "succeed" with the CPE list and
create nothing. So for POST, PUT, PATCH and DELETE:

- 307/308 on the same origin: sent again with the same method and body (that is what they mean);
- 301/302/303 whose ``Location`` differs only by a trailing slash (Django's redirect, sent before the view
  ran, so nothing was done): sent again once with the same method and body;
- anything else: [`RedirectError`][krill_async.RedirectError] naming the ``Location``.
"""

from __future__ import annotations

from dataclasses import dataclass

from yarl import URL

from ._urls import check_server_url, redact_url
from .errors import RedirectError

__all__ = ["MAX_REDIRECTS", "REDIRECT_STATUSES", "WRITE_METHODS", "Redirect", "follow_redirect"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Redirect:
    """Where to send the request next, and how."""

    method: str
    url: URL
    keep_body: bool


def _slash_only(a: URL, b: URL) -> bool:
    """True when ``b`` is ``a`` with a trailing slash added (or removed), same query."""
    pa, pb = a.raw_path, b.raw_path
    return pa != pb and pa.rstrip("/") == pb.rstrip("/") and a.raw_query_string == b.raw_query_string


def follow_redirect(
    *, method: str, status: int, url: URL, location: str | None, root: URL, history: tuple[URL, ...]
) -> Redirect:
    """What to do with a redirect answer to ``method url``; raises when it must not be followed.

    ``history`` holds the URLs already requested by this call (the first included): a loop or more than
    `MAX_REDIRECTS` hops is one [`RedirectError`][krill_async.RedirectError], never retried.
    """
    shown = redact_url(url)
    if not location:
        raise RedirectError(
            f"{method} {shown} answered {status} without a Location; the server or a proxy is misconfigured",
            method=method,
            url=shown,
        )
    try:
        target = url.join(URL(location))
    except (ValueError, TypeError):
        raise RedirectError(
            f"{method} {shown} redirected to an unusable Location; the server or a proxy is misconfigured",
            method=method,
            url=shown,
            location=redact_url(location),
        ) from None
    target = check_server_url(target, root=root, what=f"redirect of {method} {shown}")
    shown_target = redact_url(target)
    if target in history:
        raise RedirectError(
            f"{method} {shown} redirects in a loop (back to {shown_target}); the server or a proxy is misconfigured",
            method=method,
            url=shown,
            location=shown_target,
        )
    if len(history) > MAX_REDIRECTS:
        raise RedirectError(
            f"too many redirects from {redact_url(history[0])} (more than {MAX_REDIRECTS})",
            method=method,
            url=shown,
            location=shown_target,
        )
    if method not in WRITE_METHODS:
        return Redirect("GET" if status == 303 and method != "HEAD" else method, target, keep_body=False)
    if status in (307, 308):
        return Redirect(method, target, keep_body=True)
    first = history[0]
    if _slash_only(first, target) and len(history) == 1:
        return Redirect(method, target, keep_body=True)
    raise RedirectError(
        f"{method} {shown} was redirected ({status}) to {shown_target}. A write is never re-sent as a GET, "
        "nor to another path: nothing was sent there. Use the final URL (krill.request(...) with that path).",
        method=method,
        url=shown,
        location=shown_target,
    )
