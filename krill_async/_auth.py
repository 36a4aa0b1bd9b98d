"""Authentication: HTTP Basic, a static bearer token, and JWT login with single-flight renewal.

Krill bans IPs after repeated failed logins, so a refused login is remembered and never retried; and
when many concurrent requests see their token expire together, exactly one renewal runs while the
others wait for it.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from .errors import APIStatusError, InvalidCredentials, KrillError

if TYPE_CHECKING:
    from ._transport import Response

__all__ = ["Auth", "BasicAuth", "BearerToken", "JWTLogin"]

#: Sends an unauthenticated POST to an API path; supplied by the transport (keeps auth free of aiohttp).
PostFn = Callable[..., Awaitable["Response"]]


class Auth:
    """How requests are authenticated. Subclasses hold credentials; none of them show in repr."""

    async def authorization(self, post: PostFn) -> tuple[str | None, int]:
        """The ``Authorization`` header value and the credential generation it belongs to."""
        raise NotImplementedError

    async def renew(self, post: PostFn, failed_generation: int) -> bool:
        """Called after a 401; True when the request should be sent once more with new credentials."""
        return False


class BasicAuth(Auth):
    """HTTP Basic, as in the vendor's own httpie examples (``-a usuario:contraseña``)."""

    def __init__(self, username: str, password: str) -> None:
        raw = f"{username}:{password}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode("ascii")
        self.username = username

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password='***')"

    async def authorization(self, post: PostFn) -> tuple[str | None, int]:
        return self._header, 0


class BearerToken(Auth):
    """A static token (for example a JWT access token obtained elsewhere)."""

    def __init__(self, token: str) -> None:
        if not token or any(c in token for c in "\r\n"):
            raise ValueError("token must be a non-empty single-line string")
        self._header = f"Bearer {token}"

    def __repr__(self) -> str:
        return "BearerToken('***')"

    async def authorization(self, post: PostFn) -> tuple[str | None, int]:
        return self._header, 0


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (no signature check: only used to renew before expiry)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = data.get("exp") if isinstance(data, dict) else None
        return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass(eq=False)
class _Flight:
    done: anyio.Event = field(default_factory=anyio.Event)
    error: Exception | None = None


class JWTLogin(Auth):
    """Log in at ``POST /api/v2/auth/login`` (form fields ``username``/``password``) and send
    ``Authorization: Bearer <access>``.

    The access token is renewed shortly before its ``exp`` and after a 401: first with the SimpleJWT
    refresh token (``POST auth/refresh/``), then by logging in again. A refused login raises
    :class:`~krill_async.InvalidCredentials` and is never attempted again by this object.
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        login_path: str = "auth/login",
        refresh_path: str = "auth/refresh/",
        leeway: float = 30.0,
    ) -> None:
        self.username = username
        self._password = password
        self.login_path = login_path
        self.refresh_path = refresh_path
        self.leeway = leeway
        self._access: str | None = None
        self._refresh: str | None = None
        self._renew_at: float | None = None
        self._generation = 0
        self._refused: InvalidCredentials | None = None
        self._flight: _Flight | None = None
        #: Renewals performed (logins plus refreshes): useful in logs and tests.
        self.renewals = 0

    def __repr__(self) -> str:
        return f"JWTLogin(username={self.username!r}, password='***')"

    def _expiring(self) -> bool:
        return self._renew_at is not None and time.time() >= self._renew_at

    async def authorization(self, post: PostFn) -> tuple[str | None, int]:
        if self._refused is not None:
            raise self._refused
        if self._access is None or self._expiring():
            await self.renew(post, self._generation)
        return f"Bearer {self._access}", self._generation

    async def renew(self, post: PostFn, failed_generation: int) -> bool:
        while True:
            if self._refused is not None:
                raise self._refused
            if self._generation != failed_generation:
                return True  # another task renewed while this request was in flight
            flight = self._flight
            if flight is None:
                flight = self._flight = _Flight()
                try:
                    await self._renew_now(post)
                except Exception as exc:
                    flight.error = exc
                    raise
                finally:
                    self._flight = None
                    flight.done.set()
                return True
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            # The renewing task was cancelled without an answer: loop and renew ourselves.

    async def _renew_now(self, post: PostFn) -> None:
        if self._refresh is not None:
            try:
                response = await post(self.refresh_path, json={"refresh": self._refresh})
                self._store(response.json(dict), keep_refresh=True)
                return
            except APIStatusError as exc:
                if exc.status not in (400, 401):
                    raise
                self._refresh = None  # refresh token expired or revoked: log in again
        try:
            response = await post(self.login_path, data={"username": self.username, "password": self._password})
        except APIStatusError as exc:
            if exc.status in (400, 401, 403):
                self._refused = InvalidCredentials(
                    status=exc.status,
                    method=exc.method,
                    url=exc.url,
                    detail=exc.detail,
                    field_errors=exc.field_errors,
                )
                raise self._refused from None
            raise
        self._store(response.json(dict), keep_refresh=False)

    def _store(self, data: dict[str, Any], *, keep_refresh: bool) -> None:
        access = data.get("access")
        if not isinstance(access, str) or not access:
            raise KrillError("Krill's login/refresh answer has no 'access' token; check the auth paths")
        refresh = data.get("refresh")
        if isinstance(refresh, str) and refresh:
            self._refresh = refresh
        elif not keep_refresh:
            self._refresh = None
        self._access = access
        expires_at = token_expiry(access)
        if expires_at is None:
            self._renew_at = None
        else:
            lifetime = max(0.0, expires_at - time.time())
            # Renew `leeway` early, but never so early that a short-lived token is "expiring" at once.
            self._renew_at = expires_at - min(self.leeway, lifetime / 2)
        self._generation += 1
        self.renewals += 1
