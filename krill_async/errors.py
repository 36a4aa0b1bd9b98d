"""One exception hierarchy for everything that can go wrong talking to Krill.

Every error the library raises is a [`KrillError`][krill_async.KrillError]; each message says what happened and what to
do next. URLs in messages have secret-looking query parameters redacted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._resume import ResumePoint

__all__ = [
    "APIStatusError",
    "BadRequest",
    "ConnectError",
    "DecodeError",
    "Forbidden",
    "IncompleteBody",
    "InvalidArgument",
    "InvalidCredentials",
    "InvalidIdentifier",
    "KrillError",
    "LoginFailed",
    "MethodNotAllowed",
    "NotFound",
    "PaginationError",
    "RedirectError",
    "RequestTimeout",
    "ResponseTooLarge",
    "ServerError",
    "Throttled",
    "TransportError",
    "Unauthorized",
    "UnsafeURLError",
]


class KrillError(Exception):
    """Base of every error raised by krill_async.

    ``resume_point`` is set when the error ended an export: pass it to ``export(resume=...)`` to carry on
    where the export stopped, without yielding any record twice.
    """

    resume_point: ResumePoint | None = None


class TransportError(KrillError):
    """The request did not get a complete HTTP answer (network, TLS, timeout, redirects, size).

    ``transient`` tells the retry policy whether sending the same request again can help: true for a
    dropped connection or a timeout, false for a redirect loop or a body over the size limit.
    """

    transient: bool = True

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        #: False when the request certainly never reached the server (the connection could not be made).
        self.request_sent = True


class ConnectError(TransportError):
    """Could not connect, or the connection broke before the answer was complete."""


class IncompleteBody(ConnectError):
    """The answer's body ended before it was complete (connection cut mid-body, truncated chunked stream).

    Safe to retry for reads: nothing was decoded from the partial body.
    """


class RequestTimeout(TransportError):
    """The request exceeded one of its timeouts (connect, read, or the call's total, which covers its
    retries and every wait: the shared 429 pause, the rate limit, a free request slot)."""


class RedirectError(TransportError):
    """A redirect could not be followed safely: a loop, too many hops, an unusable ``Location``, or a
    write (POST, PUT, PATCH, DELETE) redirected in a way that would change what it does. Never retried."""

    transient = False

    def __init__(self, message: str, *, method: str = "", url: str = "", location: str = "") -> None:
        super().__init__(message, method=method, url=url)
        self.location = location


class ResponseTooLarge(TransportError):
    """The answer's body (decompressed) exceeded the client's ``max_body_size``. Never retried: the same
    request would get the same answer. Ask for smaller pages, or raise ``Krill(max_body_size=...)``."""

    transient = False

    def __init__(self, message: str, *, method: str = "", url: str = "", limit: int = 0) -> None:
        super().__init__(message, method=method, url=url)
        self.limit = limit


class UnsafeURLError(KrillError, ValueError):
    """A URL would send credentials to an origin other than the configured one."""


class LoginFailed(KrillError):
    """Getting a token failed for a reason other than refused credentials (the login endpoint answered
    429, 5xx, an HTML page, or could not be reached).

    The login is sent once per renewal whatever it answers, and every call waiting for that renewal gets
    this same error; it is never retried within the call (a login is a write). The next call logs in
    again. ``__cause__`` holds the underlying error.
    """


class InvalidArgument(KrillError, ValueError):
    """A value Krill would refuse (a holiday day, a GPON port, a Rubik date...), caught before anything was
    sent."""


class InvalidIdentifier(KrillError, ValueError):
    """A path identifier (record id, name) cannot be placed safely in a URL."""


class DecodeError(KrillError):
    """The server answered, but the body is not the JSON shape expected."""

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        offset: int | None = None,
        body_excerpt: bytes = b"",
        malformed: bool = False,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.offset = offset
        self.body_excerpt = body_excerpt
        #: True when the body is not JSON at all (garbled, cut, an HTML page): sending again may help.
        #: False when it is JSON that does not fit the model: sending again cannot help.
        self.malformed = malformed


class PaginationError(KrillError):
    """Paging through a collection went wrong (a `next` link loops or goes backwards)."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class APIStatusError(KrillError):
    """Krill answered with an HTTP error status.

    ``detail`` is DRF's ``detail`` message when present; ``field_errors`` maps field names (and
    ``non_field_errors``) to DRF's validation messages.
    """

    status: int = 0
    hint: str = "Check the request against the Krill API documentation."

    def __init__(
        self,
        *,
        status: int,
        method: str,
        url: str,
        detail: str | None = None,
        field_errors: Mapping[str, list[str]] | None = None,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.detail = detail
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"{self.method} {self.url} -> HTTP {self.status}"]
        if self.detail:
            parts.append(f": {self.detail}")
        if self.field_errors:
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.field_errors.items())
            parts.append(f" [{fields}]")
        text = "".join(parts)
        return f"{text}{'' if text.endswith('.') else '.'} {self.hint}"


class BadRequest(APIStatusError):
    status = 400
    hint = "Krill rejected the request data; fix the fields listed in `field_errors`."


class Unauthorized(APIStatusError):
    status = 401
    hint = "Check the credentials or token given to Krill(auth=...)."


class InvalidCredentials(Unauthorized):
    """Login was refused. Never retried: Krill bans IPs after repeated failed logins."""

    hint = (
        "Krill refused the username/password. They are not retried automatically because Krill bans IPs "
        "after repeated failed logins; fix the credentials and create a new client."
    )


class Forbidden(APIStatusError):
    status = 403
    hint = "The user lacks the Django permission or realm for this resource; ask a Krill administrator."


class NotFound(APIStatusError):
    status = 404
    hint = "Check the path and the record id (the record may be outside your realms or deleted)."


class MethodNotAllowed(APIStatusError):
    status = 405
    hint = "This resource does not support that method (see the `Allow` header)."


class Throttled(APIStatusError):
    """HTTP 429. ``retry_after`` holds the server's ``Retry-After`` in seconds when it sent one."""

    status = 429
    hint = "Krill is throttling requests; lower the concurrency or wait `retry_after` seconds."

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)


class ServerError(APIStatusError):
    """HTTP 5xx. ``retry_after`` holds a 503's ``Retry-After`` in seconds when the server sent one."""

    status = 500
    hint = "Krill failed internally; retry later, and report it to Phicus if it persists."

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    429: Throttled,
}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        import datetime as _dt

        now = _dt.datetime.now(tz=when.tzinfo or _dt.timezone.utc)
        seconds = (when - now).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


def _drf_messages(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) if not isinstance(v, (dict, list)) else repr(v) for v in value]
    return [str(value)]


def parse_error_body(body: bytes) -> tuple[str | None, dict[str, list[str]]]:
    """Split a DRF error body into ``detail`` and field errors; tolerate HTML and garbage."""
    import msgspec

    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return None, {}
    if isinstance(data, list):  # DRF ValidationError raised with a list
        return "; ".join(_drf_messages(data)) or None, {}
    if not isinstance(data, dict):
        return None, {}
    detail = data.get("detail")
    fields = {str(k): _drf_messages(v) for k, v in data.items() if k not in ("detail", "code", "messages")}
    return (str(detail) if detail is not None else None), fields


_HTML_NOISE = re.compile(r"<(head|script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")
_HTML_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def body_excerpt(body: bytes, size: int = 200) -> str | None:
    """A short excerpt of an error body that is not DRF's JSON, as its ``detail``: an nginx or Django
    HTML page (its text, the markup left out: "Not Found The requested resource was not found on this
    server."), or the start of whatever else it is."""
    text = body[: 16 * size].decode("utf-8", "replace")
    if text.lstrip()[:1] == "<":
        title = _HTML_TITLE.search(text)
        text = html.unescape(_HTML_TAG.sub(" ", _HTML_NOISE.sub(" ", text)))
        if title is not None:  # the page's title says what it is, when its body does not
            heading = " ".join(html.unescape(title.group(1)).split())
            if heading not in " ".join(text.split()):
                text = f"{heading} {text}"
    words = " ".join(text.split())
    return (words if len(words) <= size else words[: size - 1] + "…") or None


def status_error(*, status: int, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> APIStatusError:
    """Map an HTTP error answer to the matching typed error (pure: no I/O)."""
    detail, fields = parse_error_body(body)
    if detail is None and not fields and body:
        detail = body_excerpt(body)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIStatusError
    kwargs: dict[str, Any] = dict(
        status=status,
        method=method,
        url=url,
        detail=detail,
        field_errors=fields,
        body=body[:4096],
        headers=headers,
    )
    if cls is Throttled or cls is ServerError:
        return cls(retry_after=parse_retry_after(headers.get("Retry-After")), **kwargs)
    return cls(**kwargs)
