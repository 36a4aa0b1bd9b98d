"""The one layer that owns aiohttp: sending requests, reading bodies, mapping failures to typed errors.

Bodies are read whole as bytes (decoding is msgspec's job), so a connection returns to the pool before
any record is handed to the caller, and breaking out of a loop never strands a connection. Every call has
one deadline (``timeout.total``) that covers its retries and waits; bodies are read within
``max_body_size``; the retry policy is the only thing that re-sends a request; and the client's own
secrets are scrubbed from every error it raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._auth import Auth
from ._body import DEFAULT_MAX_BODY_SIZE, BodyLimit, read_capped, read_limited
from ._deadline import call_deadline, caller_cancellation_first, own_deadline_binds, remaining, waiting_for
from ._error_mapping import describe, transport_error
from ._redirects import REDIRECT_STATUSES, follow_redirect
from ._response import Response, StreamingResponse
from ._retry import NO_RETRIES, RetryPolicy
from ._secrets import drop_hidden_context, scrub_error
from ._session import bound_loop, new_session
from ._throttle import Throttle
from ._timeouts import Timeout
from ._urls import join_api_path, origin_text, redact_url, same_origin, secret_values
from .errors import KrillError, NotFound, UnsafeURLError, status_error

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Response", "StreamingResponse", "Transport", "TransportStats"]

log = logging.getLogger("krill_async")
T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


@dataclass
class TransportStats:
    """Counters of one client: useful in logs, dashboards and tests."""

    requests: int = 0
    retries: int = 0
    failures: int = 0


#: Fresh credentials per request after a 401: a token revoked again while the request was re-sent gets
#: one more try; a server that refuses every fresh token does not cause a login loop.
_MAX_RENEWALS = 2


class _Poster:
    """What auth objects use to log in: an unauthenticated, never retried POST, tagged with the origin."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.origin = origin_text(transport.root)

    async def __call__(self, path: str, **kwargs: Any) -> Response:
        return await self._transport.post_unauthenticated(path, **kwargs)


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
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        if max_body_size < 1:
            raise ValueError("max_body_size must be a positive number of bytes")
        self.root = root
        self.auth = auth
        self.timeout = timeout
        self.max_connections = max_connections
        self.max_body_size = max_body_size
        self._session = session
        self._owns_session = session is None
        self._ssl = ssl_context
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.retry = retry if retry is not None else RetryPolicy()
        self.throttle = throttle if throttle is not None else Throttle(max_connections)
        self.stats = TransportStats()
        self._poster = _Poster(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise KrillError("this Krill client is closed; create a new one (or use `async with Krill(...)`)")
        self._loop = bound_loop(self._loop)
        if self._session is None:
            self._session = new_session(max(self.max_connections, self.throttle.max_in_flight), self._ssl)
        return self._session

    async def aclose(self) -> None:
        """Close the connection pool (only when the client created it)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()

    def scrubbed(self, exc: E, also: Iterable[str] = ()) -> E:
        """``exc`` with every secret of this client masked (servers may echo the Authorization header), and
        ``also`` the values masked in the URLs it was sent to."""
        secrets = [*(self.auth.secret_values() if self.auth is not None else ()), *also]
        if secrets:
            scrub_error(exc, secrets)
        return drop_hidden_context(exc)

    async def post_unauthenticated(self, path: str, **kwargs: Any) -> Response:
        """POST to an API path without credentials (login and token refresh): sent once, never retried."""
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

        Failures the ``retry`` policy (default: the client's) deems transient are retried after a delay,
        all within ``timeout.total``. ``retry=False`` sends once and counts nothing: for callers that
        retry a larger operation (a page fetch with its decoding) through `retrying()` themselves.
        A DELETE whose earlier attempt may have reached the server and whose retry answers 404 succeeded.
        """
        method, url, body, extra = self._prepare(method, url, params, json, headers)
        timeout = timeout or self.timeout
        shown = redact_url(url)
        maybe_applied = False

        async def once() -> Response:
            nonlocal maybe_applied
            try:
                async with self._exchange(method, url, body, data, extra, timeout, authenticate) as (raw, m, u):
                    limit = BodyLimit(self.max_body_size, method=m, url=shown if u is url else redact_url(u))
                    waiting_for.set("the rest of the answer's body")
                    content = await read_limited(raw, limit)
                    return Response(m, u, raw.status, raw.headers, content)
            except NotFound as exc:
                if method == "DELETE" and maybe_applied:
                    log.info("DELETE %s answered 404 after a retry: the first attempt deleted it", shown)
                    return Response(method, url, exc.status, CIMultiDictProxy(CIMultiDict(exc.headers)), b"")
                raise
            except KrillError as exc:
                maybe_applied = maybe_applied or getattr(exc, "request_sent", True)
                raise

        if retry is False:
            with call_deadline(timeout.total, method=method, url=shown):
                return await once()  # its errors come out of _exchange, scrubbed there
        return await self.retrying(method, once, retry, timeout=timeout, url=shown)

    async def retrying(
        self,
        method: str,
        operation: Callable[[], Awaitable[T]],
        policy: RetryPolicy | None = None,
        *,
        timeout: Timeout | None = None,
        url: str = "",
    ) -> T:
        """Run ``operation`` (one request, with whatever decoding belongs to it) under the retry policy,
        every attempt and delay within one deadline (``timeout.total``, default: the client's).

        A 429 (or a 503 with ``Retry-After``) pauses every request of this client, not only this one,
        for at most the policy's ``max_retry_after``. A delay that would outlast the deadline is not
        waited: the error itself is raised at once, more telling than a timeout.
        """
        policy = self.retry if policy is None else policy
        timeout = timeout or self.timeout
        with call_deadline(timeout.total, method=method, url=url):
            attempt = 1
            while True:
                try:
                    result = await operation()
                except KrillError as exc:
                    wait = policy.decide(method, attempt, exc)
                    pause = self.retry.pause_for(exc)  # the client's cap, whatever this call's policy
                    if pause is not None:
                        self.throttle.pause(pause)
                    if wait is not None and wait >= remaining() and own_deadline_binds():
                        wait = None  # (when the caller's scope ends first, wait: its cancellation wins)
                    if wait is None:
                        await caller_cancellation_first()
                        self.stats.failures += 1
                        raise self.scrubbed(exc) from exc.__cause__
                    self.stats.retries += 1
                    log.info(
                        "retrying %s %s in %.2f s after %s (attempt %d of %d)",
                        method,
                        getattr(exc, "url", "") or url,
                        wait,
                        type(exc).__name__,
                        attempt + 1,
                        policy.attempts,
                    )
                    waiting_for.set(f"the delay before attempt {attempt + 1}")
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

        Authentication, renewal, redirects and error statuses are handled exactly as by `request()`.
        Leaving the block releases the connection; failures while reading are typed errors
        ([IncompleteBody][krill_async.IncompleteBody] when the body is cut short). The body counts
        against ``max_body_size`` and, with the request, against ``timeout.total``.
        """
        method, url, body, extra = self._prepare(method, url, params, json, headers)
        async with self._exchange(method, url, body, None, extra, timeout or self.timeout, True) as (
            raw,
            final_method,
            final_url,
        ):
            limit = BodyLimit(self.max_body_size, method=final_method, url=redact_url(final_url))
            yield StreamingResponse(final_method, final_url, raw, limit)

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
        """The request loop: auth, one renewal after a 401, redirects, error statuses.

        Yields the successful response unread; aiohttp failures raised while the caller reads it are
        mapped to typed errors here too, and every error leaving it is scrubbed of the client's secrets.
        """
        import aiohttp

        session = self._get_session()
        renewals = 0
        history: tuple[URL, ...] = (url,)
        delivered = False
        try:
            while True:
                request_headers = {**self._headers, **extra_headers}
                generation = 0
                if authenticate and self.auth is not None:
                    waiting_for.set("a token (login)")
                    value, generation = await self.auth.authorization(self._poster)
                    if value is not None:
                        request_headers["Authorization"] = value
                shown = redact_url(url)
                started = time.perf_counter()
                try:
                    async with (
                        self.throttle.slot() as ticket,
                        session.request(
                            method,
                            url,
                            headers=request_headers,
                            data=body if body is not None else data,
                            # the call's deadline ends the attempt first (its message says more); aiohttp's
                            # total only matters for a streamed body read after the call's scope
                            timeout=timeout.to_aiohttp(total=min(timeout.total, remaining()) + 0.1),
                            allow_redirects=False,
                            ssl=self._ssl,
                        ) as raw,
                    ):
                        status = raw.status
                        self.stats.requests += 1
                        if ticket is not None:
                            ticket.answered(status)  # 429/502/503/504 tell the limiter the server is full
                        log.debug(
                            "%s %s -> %d (%.0f ms)", method, shown, status, (time.perf_counter() - started) * 1000
                        )
                        if 200 <= status < 300 or (status < 400 and status not in REDIRECT_STATUSES):
                            delivered = True
                            yield raw, method, url
                            return
                        location = raw.headers.get("Location") if status in REDIRECT_STATUSES else None
                        content = b"" if status in REDIRECT_STATUSES else await read_capped(raw)
                        headers = raw.headers
                except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
                    raise transport_error(exc, method=method, url=shown, timeout=timeout) from None
                except ValueError as exc:  # aiohttp refusing a header or URL it was given
                    if delivered or isinstance(exc, KrillError):
                        raise
                    raise UnsafeURLError(f"{method} {shown} could not be sent: {describe(exc)}") from None
                if status in REDIRECT_STATUSES:
                    hop = follow_redirect(
                        method=method, status=status, url=url, location=location, root=self.root, history=history
                    )
                    if not hop.keep_body:
                        body, data = None, None
                    method, url = hop.method, hop.url
                    history = (*history, url)
                    continue
                if (
                    status == 401
                    and authenticate
                    and self.auth is not None
                    and renewals < _MAX_RENEWALS
                    and await self.auth.renew(self._poster, generation)
                ):
                    renewals += 1
                    continue
                raise status_error(status=status, method=method, url=shown, body=content, headers=headers)
        except KrillError as exc:
            echoed = [v for u in history for v in secret_values(u)]  # a server may quote the request line
            raise self.scrubbed(exc, echoed) from exc.__cause__
