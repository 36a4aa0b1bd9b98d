"""The one layer that owns aiohttp: sending requests, reading bodies, mapping failures to typed errors.

Bodies are read whole as bytes (decoding is msgspec's job), so a connection returns to the pool before
any record is handed to the caller, and breaking out of a loop never strands a connection.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from ._auth import Auth
from ._decode import decode_body
from ._timeouts import Timeout
from ._urls import join_api_path, redact_url, same_origin
from .errors import (
    ConnectError,
    KrillError,
    RequestTimeout,
    TransportError,
    UnsafeURLError,
    status_error,
)

__all__ = ["Response", "Transport"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5


@dataclass(frozen=True, eq=False)
class Response:
    """A complete HTTP answer: status, headers and the body as bytes."""

    method: str
    url: URL
    status: int
    headers: CIMultiDictProxy[str]
    content: bytes

    def json(self, model: Any = Any) -> Any:
        """The body decoded into ``model`` (a Struct, ``dict``, ``list``...; ``Any`` for plain JSON)."""
        return decode_body(self.content, model, url=redact_url(self.url))

    def __repr__(self) -> str:
        return f"<Response {self.method} {redact_url(self.url)} {self.status} ({len(self.content)} bytes)>"


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

    @property
    def closed(self) -> bool:
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
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
        return await self.request("POST", join_api_path(self.root, path), authenticate=False, **kwargs)

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
    ) -> Response:
        """Send one request and return the complete answer; raise a typed error for 4xx/5xx."""
        method = method.upper()
        if params:
            url = url.update_query(params)
        if not same_origin(url, self.root):
            raise UnsafeURLError(
                f"refusing to send a request to {url.origin()}: this client is configured for {self.root.origin()}"
            )
        body: bytes | None = None
        extra_headers = dict(headers or {})
        if json is not None:
            import msgspec

            body = msgspec.json.encode(json)
            extra_headers.setdefault("Content-Type", "application/json")
        renewed = False
        redirects = 0
        while True:
            request_headers = {**self._headers, **extra_headers}
            generation = 0
            if authenticate and self.auth is not None:
                value, generation = await self.auth.authorization(self.post_unauthenticated)
                if value is not None:
                    request_headers["Authorization"] = value
            response = await self._send(
                method, url, headers=request_headers, body=body, data=data, timeout=timeout or self.timeout
            )
            if response.status in _REDIRECTS and "Location" in response.headers:
                target = url.join(URL(response.headers["Location"]))
                if not same_origin(target, self.root):
                    raise UnsafeURLError(
                        f"{method} {redact_url(url)} redirected to another origin ({target.origin()}); "
                        "not following it with credentials. Point Krill(base_url=...) at the final server."
                    )
                redirects += 1
                if redirects > _MAX_REDIRECTS:
                    raise TransportError(
                        f"too many redirects from {redact_url(url)}", method=method, url=redact_url(url)
                    )
                if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                    method, body, data = "GET", None, None
                url = target
                continue
            if (
                response.status == 401
                and authenticate
                and self.auth is not None
                and not renewed
                and await self.auth.renew(self.post_unauthenticated, generation)
            ):
                renewed = True
                continue
            if response.status >= 400:
                raise status_error(
                    status=response.status,
                    method=method,
                    url=redact_url(url),
                    body=response.content,
                    headers=response.headers,
                )
            return response

    async def _send(
        self,
        method: str,
        url: URL,
        *,
        headers: dict[str, str],
        body: bytes | None,
        data: Any,
        timeout: Timeout,
    ) -> Response:
        session = self._get_session()
        shown = redact_url(url)
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                data=body if body is not None else data,
                timeout=timeout.to_aiohttp(),
                allow_redirects=False,
                ssl=self._ssl,
            ) as resp:
                content = await resp.read()
                return Response(method, url, resp.status, resp.headers, content)
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise RequestTimeout(
                f"{method} {shown} timed out ({_describe(exc)}); raise the timeout for this call "
                f"(timeout=...) or check the network. Limits were {timeout}.",
                method=method,
                url=shown,
            ) from None
        except aiohttp.ClientSSLError as exc:
            raise ConnectError(
                f"TLS failed for {shown}: {_describe(exc)}. Give Krill(ssl=...) a context with your CA.",
                method=method,
                url=shown,
            ) from None
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise ConnectError(
                f"{method} {shown} failed: {_describe(exc)}. The server may be down or the connection "
                "was cut; retrying is safe for reads.",
                method=method,
                url=shown,
            ) from None
        except aiohttp.ClientError as exc:
            raise TransportError(f"{method} {shown} failed: {_describe(exc)}", method=method, url=shown) from None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
