"""URL building and link rebasing: pure functions, no I/O.

Krill answers pagination links that name an internal host or plain http (``http://pre1:4280/api/v2/...``)
or are relative (``/api/v2/rubik/services/?limit=5``). The client never follows such a link verbatim: it
keeps its own scheme, host, port and path prefix and takes only the API path and query from the link.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import functools
import re
import types
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote_plus

from yarl import URL

from .errors import InvalidArgument, InvalidIdentifier, UnsafeURLError

_API_MARKER = "/api/"
#: Query parameter names whose values are never shown: matched as a pattern, so ``access_token``,
#: ``pppoe_password``, ``wifi_password``, ``api-key``, ``apikey``, ``client_secret``, ``sessionid``... all are.
_SECRET_PARAM = re.compile(
    r"pass(word|wd|phrase)?|secret|token|jwt|api[-_.]?key|session|sessid|csrf|auth|credential|signature"
    r"|^(key|access|refresh|sig|code|otp|pin|psk)$",
    re.IGNORECASE,
)
_DOT = frozenset({".", "%2e"})
_DOT_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
_FORBIDDEN_ID_CHARS = re.compile(r"[\x00-\x1f\x7f/\\?#]")


def normalise_base_url(base_url: str | URL) -> URL:
    """The deployment root: scheme, host, port and any reverse-proxy path prefix, ending in ``/``.

    Accepts ``https://host``, ``https://host/prefix/`` and, forgivingly, a URL that already ends in
    ``/api/v2`` or ``/api``.
    """
    url = URL(str(base_url))
    if not url.scheme or not url.host:
        raise ValueError(f"base_url must be absolute, like 'https://krill.example.net', not {str(base_url)!r}")
    if url.scheme not in ("http", "https"):
        raise ValueError(f"base_url scheme must be http or https, not {url.scheme!r}")
    if url.user or url.password:
        raise ValueError("put credentials in Krill(auth=...), not in base_url")
    path = url.path.rstrip("/")
    for suffix in ("/api/v2", "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return url.with_path(path + "/").with_query(None).with_fragment(None)


def origin_text(url: URL) -> str:
    """``scheme://host[:port]`` for messages; never raises, whatever the URL."""
    host = url.raw_host or "?"
    port = f":{url.explicit_port}" if url.explicit_port is not None else ""
    return f"{url.scheme or '?'}://{host}{port}"


def same_origin(a: URL, b: URL) -> bool:
    """True when both URLs share scheme, host and effective port (RFC 6454 origin)."""
    return (a.scheme, (a.host or "").lower(), a.port) == (b.scheme, (b.host or "").lower(), b.port)


def join_api_path(root: URL, path: str) -> URL:
    """URL for ``path`` under the deployment root.

    ``"isp/cpes/"`` is relative to ``/api/v2/``; ``"/api/cpes/"`` is relative to the root (v1 and any
    other absolute API path). A full URL is accepted only on the configured origin.
    """
    if "://" in path:
        url = URL(path)
        if not same_origin(url, root):
            raise UnsafeURLError(
                f"refusing to send credentials to {origin_text(url)}: the client is configured for "
                f"{origin_text(root)}; create another Krill client for that server"
            )
        return url
    if path.startswith("/"):
        return root.with_path(root.path.rstrip("/") + path)
    return root.with_path(root.path + "api/v2/" + path)


# Every request's URL is shown in its would-be error messages: a parameter name is matched once, not on
# every message (a regex search per parameter per message, several messages a page). The names come from
# the code and the server: a few dozen.
@functools.lru_cache(maxsize=1024)
def is_secret_param(name: str) -> bool:
    """Whether a query parameter's value must never be shown (matched by pattern, case-insensitive)."""
    return _SECRET_PARAM.search(name) is not None


def resolve_dot_segments(raw_path: str) -> str:
    """``raw_path`` with ``.`` and ``..`` segments resolved as RFC 3986 §5.2.4 says, percent-encoded dots
    (``%2e``) included, since servers and proxies decode them before routing."""
    segments = raw_path.split("/")
    if not any(seg.lower() in _DOT or seg.lower() in _DOT_DOT for seg in segments):
        return raw_path
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        lowered = segment.lower()
        if lowered in _DOT_DOT:
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        elif lowered in _DOT:
            if last:
                out.append("")
        else:
            out.append(segment)
    path = "/".join(out)
    return path if path.startswith("/") else "/" + path


def api_base_path(root: URL) -> str:
    """The path every link the server gives us must stay under: the deployment prefix plus ``/api/``."""
    return root.raw_path.rstrip("/") + _API_MARKER


def check_server_url(url: URL, *, root: URL, what: str) -> URL:
    """A URL the server handed us (a ``next`` link, a ``_links`` entry, a redirect) made safe to follow.

    It must be on the configured origin, carry no userinfo, and its path, once dot segments are resolved,
    must stay under the configured prefix's ``/api/``: a link to ``/admin/...`` or one that climbs out with
    ``../`` is refused with [`UnsafeURLError`][krill_async.UnsafeURLError], since credentials go with it.
    """
    if url.scheme not in ("http", "https") or not same_origin(url, root):
        raise UnsafeURLError(
            f"refusing to follow a {what} to another origin ({origin_text(url)}) with credentials: this client "
            f"is configured for {origin_text(root)}. Point Krill(base_url=...) at the final server."
        )
    if url.raw_user or url.raw_password:
        raise UnsafeURLError(f"refusing to follow a {what} that carries credentials in its URL ({origin_text(url)})")
    raw_path = url.raw_path or "/"
    resolved = resolve_dot_segments(raw_path)
    base = api_base_path(root)
    if not resolved.startswith(base):
        raise UnsafeURLError(
            f"refusing to follow a {what} to {redact_url(url.with_query(None))}: it leaves the API ({base}); "
            "the server or a proxy is misconfigured, or hostile"
        )
    if resolved == raw_path:
        return url
    return _on_origin(url, resolved, url.raw_query_string)


def rebase_link(link: str, *, root: URL, request_url: URL) -> URL:
    """Turn a ``next``/``previous``/``_links`` link into a URL on our own origin and prefix.

    The link's path from ``/api/`` on and its query are kept byte-exact; scheme, host, port and the
    path prefix come from ``root``. A link without a leading ``/`` resolves against ``request_url``. Dot
    segments are resolved first, and a link that leaves the API raises
    [`UnsafeURLError`][krill_async.UnsafeURLError] (a ``ValueError``).
    """
    if not isinstance(link, str) or not link.strip():
        raise UnsafeURLError("empty link")
    try:
        parsed = URL(link.strip(), encoded=True)
    except (ValueError, TypeError) as exc:
        raise UnsafeURLError(f"unusable link: {exc}") from None
    if parsed.scheme not in ("", "http", "https"):
        raise UnsafeURLError(f"refusing a link with scheme {parsed.scheme!r}")
    if not parsed.is_absolute() and not parsed.raw_path.startswith("/"):
        parsed = request_url.join(parsed)
    raw_path = resolve_dot_segments(parsed.raw_path or "/")
    if not raw_path.startswith("/"):
        raw_path = "/" + raw_path
    prefix = root.raw_path.rstrip("/")
    index = raw_path.find(_API_MARKER)
    if index >= 0:
        api_path = raw_path[index:]
    elif prefix and (raw_path == prefix or raw_path.startswith(prefix + "/")):
        api_path = raw_path[len(prefix) :]
    else:
        api_path = raw_path
    path = prefix + api_path  # dot segments were resolved above, and the prefix has none
    if not path.startswith(api_base_path(root)):
        raise UnsafeURLError(f"refusing a link that leaves the API ({api_base_path(root)}): {redact_url(link)}")
    return _on_origin(root, path, parsed.raw_query_string)


def _on_origin(origin: URL, raw_path: str, raw_query: str) -> URL:
    """``raw_path?raw_query`` (already encoded, kept byte-exact) on the scheme, host and port of ``origin``."""
    return URL.build(
        scheme=origin.scheme,
        host=origin.raw_host or "",
        port=origin.explicit_port,
        path=raw_path,
        query_string=raw_query,
        encoded=True,
    )


def quote_identifier(value: int | str) -> str:
    """Validate a record identifier and percent-quote it for one path segment.

    Strings are kept byte-exact (Rubik ids carry trailing spaces); separators, control characters and
    dot segments are refused so an id can never change which resource is addressed.
    """
    if isinstance(value, bool):
        raise InvalidIdentifier(f"identifier must be an int or str, not bool ({value!r})")
    if isinstance(value, int):
        if value < 0:
            raise InvalidIdentifier(f"identifier must not be negative: {value}")
        return str(value)
    if not isinstance(value, str):
        raise InvalidIdentifier(f"identifier must be an int or str, not {type(value).__name__}")
    if not value or value.strip() in ("", ".", ".."):
        raise InvalidIdentifier(f"identifier {value!r} is empty or a dot segment")
    if _FORBIDDEN_ID_CHARS.search(value):
        raise InvalidIdentifier(f"identifier {value!r} contains '/', '\\', '?', '#' or a control character")
    return quote(value, safe="")


def format_param(value: Any) -> str:
    """One query value as Krill/Django expects it (``true``/``false``, ISO dates, comma lists)."""
    if isinstance(value, (type, types.GenericAlias)):
        raise InvalidArgument(
            f"a type ({getattr(value, '__name__', value)}) cannot be a filter value. Every keyword is a filter "
            "(model= filters CPEs by their model); to choose what records decode into, pass into=..."
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return format_param(value.value)
    if isinstance(value, (int, float, decimal.Decimal, str)):
        return str(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return ",".join(format_param(v) for v in items)
    raise TypeError(f"cannot send {type(value).__name__} as a query parameter")


def encode_params(params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> list[tuple[str, str]]:
    """Query pairs in a stable order; ``None`` values are dropped (meaning: no filter)."""
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    return [(str(k), format_param(v)) for k, v in items if v is not None]


def with_params(url: URL, params: Iterable[tuple[str, str]]) -> URL:
    """``url`` with ``params`` replacing any parameters of the same name, others kept in order."""
    pairs = list(params)
    names = {k for k, _ in pairs}
    kept = [(k, v) for k, v in url.query.items() if k not in names]
    return url.with_query(kept + pairs)


def query_int(url: URL, name: str) -> int | None:
    """An integer query parameter of ``url``, or None when absent or not an integer."""
    value = url.query.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def redact_url(url: URL | str) -> str:
    """The URL as text for a message, with every secret-looking value masked (never raises).

    Masked: userinfo; the value of a secret-looking parameter (`is_secret_param`) in the query, whether
    pairs are joined by ``&`` or ``;`` and however often the name was percent-encoded (``%2574oken``);
    the same in path parameters (``/x;jsessionid=...``); a value that is itself a query or URL carrying
    one (``redirect=%2F%3Ftoken%3D...``). The fragment is never shown: it is never sent to a server, and
    a login redirect puts tokens there (``#access_token=...``).
    """
    try:
        parsed = url if isinstance(url, URL) else URL(url)
        if parsed.raw_user or parsed.raw_password:
            parsed = parsed.with_user(None)
        if parsed.raw_fragment:
            parsed = parsed.with_fragment(None)
        raw_path, raw_query = parsed.raw_path, parsed.raw_query_string
        path = _redact_path(raw_path) if ";" in raw_path else None
        query = _redact_pairs(raw_query) if raw_query else None
        if path is None and query is None:
            return str(parsed)
        shown = URL.build(
            scheme=parsed.scheme,
            authority=parsed.raw_authority,
            path=raw_path if path is None else path,
            query_string=raw_query if query is None else query,
            encoded=True,
        )
        return str(shown)
    except (ValueError, TypeError):
        return "<an unparsable URL>"


_PAIR_SEPARATORS = re.compile(r"([&;])")
#: Where a query nested in a value may start or continue (``/login?token=...#state``).
_NESTED_SEPARATORS = re.compile(r"[&;?#]")
_MASK = "***"


def _decoded(text: str) -> str:
    """``text`` percent-decoded until it stops changing: a name or value encoded
    twice is the same name to whoever decodes it twice, a proxy and then the application."""
    for _ in range(len(text)):  # each round that changes the text shortens it: bounded
        if "%" not in text and "+" not in text:
            break
        decoded = unquote_plus(text)
        if decoded == text:
            break
        text = decoded
    return text


@functools.lru_cache(maxsize=1024)
def _is_secret_raw_name(raw_name: str) -> bool:
    return is_secret_param(_decoded(raw_name))


def _carries_secret(raw_value: str) -> bool:
    """Whether a value holds a query of its own with a secret in it (a ``next=`` or ``redirect_uri=``)."""
    if "=" not in raw_value and "%" not in raw_value:
        return False
    value = _decoded(raw_value)
    for piece in _NESTED_SEPARATORS.split(value):
        name, equals, _ = piece.partition("=")
        if equals and _is_secret_raw_name(name.rsplit("/", 1)[-1]):
            return True
    return False


def _masked_pair(piece: str) -> tuple[str, str] | None:
    """One ``name=value`` pair masked, and the text it hides; None when nothing in it is secret."""
    name, equals, value = piece.partition("=")
    if equals and value != _MASK and (_is_secret_raw_name(name) or _carries_secret(value)):
        return f"{name}={_MASK}", value
    if not equals and "%" in name and _carries_secret(name):  # "token%3D...": "=" encoded
        return _MASK, name
    return None


def _redact_pairs(raw: str) -> str | None:
    """``raw`` (``a=1&b=2;c=3``, kept byte-exact) with secret values masked; None when none is."""
    pieces = _PAIR_SEPARATORS.split(raw)
    changed = False
    for index in range(0, len(pieces), 2):
        masked = _masked_pair(pieces[index])
        if masked is not None:
            pieces[index] = masked[0]
            changed = True
    return "".join(pieces) if changed else None


def _redact_path(raw_path: str) -> str | None:
    """``raw_path`` with secret path parameters (``/a;jsessionid=X/b``) masked; None when none is."""
    segments = raw_path.split("/")
    changed = False
    for index, segment in enumerate(segments):
        head, semicolon, params = segment.partition(";")
        if semicolon:
            redacted = _redact_pairs(params)
            if redacted is not None:
                segments[index] = f"{head};{redacted}"
                changed = True
    return "/".join(segments) if changed else None


def secret_values(url: URL | str) -> list[str]:
    """The values `redact_url` masks in ``url``, as sent and decoded: a server may echo them (a 400 page
    that quotes the request line), so errors are scrubbed of them as of the client's own secrets."""
    try:
        parsed = url if isinstance(url, URL) else URL(url)
        raws = [parsed.raw_query_string]
        raws += [seg.partition(";")[2] for seg in parsed.raw_path.split("/") if ";" in seg]
    except (ValueError, TypeError):
        return []
    found: list[str] = []
    for raw in raws:
        for piece in _PAIR_SEPARATORS.split(raw or "")[::2]:
            masked = _masked_pair(piece)
            if masked is not None:
                found += [masked[1], _decoded(masked[1])]
    return found
