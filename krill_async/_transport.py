"""The one layer that owns aiohttp: sending requests, reading bodies, mapping failures to typed errors.

Bodies are read whole as bytes (decoding is msgspec's job), so a connection returns to the pool before
any record is handed to the caller, and breaking out of a loop never strands a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
from yarl import URL

from ._auth import Auth
from ._error_mapping import transport_error
from ._response import Response, StreamingResponse
from ._retry import NO_RETRIES, RetryPolicy
from ._throttle import Throttle
from ._timeouts import Timeout
from ._urls import join_api_path, origin_text, redact_url, same_origin
from .errors import (
    KrillError,
    Throttled,
    TransportError,
    UnsafeURLError,
    status_error,
)

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Response", "StreamingResponse", "Transport", "TransportStats"]

log = logging.getLogger("krill_async")
T = TypeVar("T")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass
class TransportStats:
    """Counters of one client: useful in logs, dashboards and tests."""

    requests: int = 0
    retries: int = 0
    failures: int = 0


_MAX_REDIRECTS = 5
#: Fresh credentials per request after a 401: a token revoked again while the request was re-sent gets
#: one more try; a server that refuses every fresh token does not cause a login loop.
_MAX_RENEWALS = 2


class Transport:
    """Sends requests to one Krill deployment (one origin), with authentication and timeouts."""

    def __init__(
        self,
        *,
        root: URL,
        auth: Auth | None,
        timeout: Timeout,
        max_connections: int,
        session: aiohttp.ClientSession | None = None,
        ssl_context: ssl.SSLContext | bool = True,
        user_agent: str,
        retry: RetryPolicy | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.root = root
        self.auth = auth
        self.timeout = timeout
        self.max_connections = max_connections
        self._session = session
        self._owns_session = session is None
        self._ssl = ssl_context
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        self._closed = False
        self.retry = retry if retry is not None else RetryPolicy()
        self.throttle = throttle if throttle is not None else Throttle(max_connections)
        self.stats = TransportStats()

    @property
    def closed(self) -> bool:
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        import aiohttp  # on first use: `from krill_async import Krill` does not load aiohttp

        if self._closed:
            raise KrillError("this Krill client is closed; create a new one (or use `async with Krill(...)`)")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, limit_per_host=self.max_connections, ssl=self._ssl
            )
            # cookie jar off: Krill's Django session cookie would otherwise be replayed, and CSRF rules
            # for cookie-authenticated writes would apply.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=True
            )
        return self._session

    async def aclose(self) -> None:
        """Close the connection pool (only when the client created it)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()

    async def post_unauthenticated(self, path: str, **kwargs: Any) -> Response:
        """POST to an API path without credentials (login and token refresh)."""
        return await self.request(
            "POST", join_api_path(self.root, path), authenticate=False, retry=NO_RETRIES, **kwargs
        )

    def _prepare(
        self, method: str, url: URL, params: list[tuple[str, str]] | None, json: Any, headers: Mapping[str, str] | None
    ) -> tuple[str, URL, bytes | None, dict[str, str]]:
        method = method.upper()
        if params:
            url = url.update_query(params)
        if not same_origin(url, self.root):
            raise UnsafeURLError(
                f"refusing to send a request to {origin_text(url)}: this client is configured for "
                f"{origin_text(self.root)}"
            )
        body: bytes | None = None
        extra_headers = dict(headers or {})
        if json is not None:
            import msgspec

            body = msgspec.json.encode(json)
            extra_headers.setdefault("Content-Type", "application/json")
        return method, url, body, extra_headers

    async def request(
        self,
        method: str,
        url: URL,
        *,
        params: list[tuple[str, str]] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        authenticate: bool = True,
        retry: RetryPolicy | Literal[False] | None = None,
    ) -> Response:
        """Send one request and return the complete answer; raise a typed error for 4xx/5xx.

        Failures the ``retry`` policy (default: the client's) deems transient are retried after a delay.
        ``retry=False`` sends once and counts nothing: for callers that retry a larger operation (a page
        fetch with its decoding) through :meth:`retrying` themselves.
        """
        method, url, body, extra = self._prepare(method, url, params, json, headers)

        async def once() -> Response:
            async with self._exchange(method, url, body, data, extra, timeout or self.timeout, authenticate) as (
                raw,
                final_method,
                final_url,
            ):
                content = await raw.read()
                return Response(final_method, final_url, raw.status, raw.headers, content)

        if retry is False:
            return await once()
        return await self.retrying(method, once, retry)

    async def retrying(
        self, method: str, operation: Callable[[], Awaitable[T]], policy: RetryPolicy | None = None
    ) -> T:
        """Run ``operation`` (one request, with whatever decoding belongs to it) under the retry policy.

        A 429 pauses every request of this client, not only this one.
        """
        policy = self.retry if policy is None else policy
        attempt = 1
        while True:
            try:
                result = await operation()
            except KrillError as exc:
                wait = policy.decide(method, attempt, exc)
                if isinstance(exc, Throttled):
                    self.throttle.pause(exc.retry_after if exc.retry_after is not None else (wait or policy.backoff))
                if wait is None:
                    self.stats.failures += 1
                    raise
                self.stats.retries += 1
                log.info(
                    "retrying %s %s in %.2f s after %s (attempt %d of %d)",
                    method,
                    getattr(exc, "url", ""),
                    wait,
                    type(exc).__name__,
                    attempt + 1,
                    policy.attempts,
                )
                await anyio.sleep(wait)
                attempt += 1
            else:
                self.throttle.success()
                return result

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        url: URL,
        *,
        params: list[tuple[str, str]] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> AsyncIterator[StreamingResponse]:
        """Send one request and give its successful answer as chunks, as they arrive.

        Authentication, renewal, redirects and error statuses are handled exactly as by :meth:`request`.
        Leaving the block releases the connection; failures while reading are typed errors
        (:class:`~krill_async.IncompleteBody` when the body is cut short).
        """
        method, url, body, extra = self._prepare(method, url, params, json, headers)
        async with self._exchange(method, url, body, None, extra, timeout or self.timeout, True) as (
            raw,
            final_method,
            final_url,
        ):
            yield StreamingResponse(final_method, final_url, raw)

    @contextlib.asynccontextmanager
    async def _exchange(
        self,
        method: str,
        url: URL,
        body: bytes | None,
        data: Any,
        extra_headers: dict[str, str],
        timeout: Timeout,
        authenticate: bool,
    ) -> AsyncIterator[tuple[aiohttp.ClientResponse, str, URL]]:
        """The request loop: auth, one renewal after a 401, same-origin redirects, error statuses.

        Yields the successful response unread; aiohttp failures raised while the caller reads it are
        mapped to typed errors here too.
        """
        import aiohttp

        session = self._get_session()
        renewals = 0
        redirects = 0
        while True:
            request_headers = {**self._headers, **extra_headers}
            generation = 0
            if authenticate and self.auth is not None:
                value, generation = await self.auth.authorization(self.post_unauthenticated)
                if value is not None:
                    request_headers["Authorization"] = value
            shown = redact_url(url)
            started = time.perf_counter()
            try:
                async with (
                    self.throttle.slot(),
                    session.request(
                        method,
                        url,
                        headers=request_headers,
                        data=body if body is not None else data,
                        timeout=timeout.to_aiohttp(),
                        allow_redirects=False,
                        ssl=self._ssl,
                    ) as raw,
                ):
                    status = raw.status
                    self.stats.requests += 1
                    log.debug("%s %s -> %d (%.0f ms)", method, shown, status, (time.perf_counter() - started) * 1000)
                    if 200 <= status < 300 or (status < 400 and status not in _REDIRECTS):
                        yield raw, method, url
                        return
                    location = raw.headers.get("Location") if status in _REDIRECTS else None
                    content = b"" if location else await raw.read()
                    headers = raw.headers
            except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
                raise transport_error(exc, method=method, url=shown, timeout=timeout) from None
            if location is not None:
                try:
                    target = url.join(URL(location))
                except ValueError:
                    raise TransportError(
                        f"{method} {shown} redirected to an unusable Location; the server or a proxy is misconfigured",
                        method=method,
                        url=shown,
                    ) from None
                if not same_origin(target, self.root):
                    raise UnsafeURLError(
                        f"{method} {shown} redirected to another origin ({origin_text(target)}); "
                        "not following it with credentials. Point Krill(base_url=...) at the final server."
                    )
                redirects += 1
                if redirects > _MAX_REDIRECTS:
                    raise TransportError(f"too many redirects from {shown}", method=method, url=shown)
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, body, data = "GET", None, None
                url = target
                continue
            if (
                status == 401
                and authenticate
                and self.auth is not None
                and renewals < _MAX_RENEWALS
                and await self.auth.renew(self.post_unauthenticated, generation)
            ):
                renewals += 1
                continue
            raise status_error(status=status, method=method, url=shown, body=content, headers=headers)
