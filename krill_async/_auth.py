"""Authentication: HTTP Basic, a static bearer token, and JWT login with single-flight renewal.

Krill bans IPs after repeated failed logins, so a refused login is remembered and never retried; a login
is sent once per renewal whatever it answers; and when many concurrent requests see their token expire
together, exactly one renewal runs while the others wait for it and share its outcome.
"""

from __future__ import annotations

import base64
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import msgspec

from .errors import APIStatusError, InvalidArgument, InvalidCredentials, KrillError, LoginFailed

if TYPE_CHECKING:
    from ._transport import Response

__all__ = ["Auth", "BasicAuth", "BearerToken", "JWTLogin"]

#: Sends an unauthenticated POST to an API path; supplied by the transport (keeps auth free of aiohttp).
#: The transport's poster also has an ``origin`` attribute (``scheme://host:port``), which token-holding
#: auth objects use to keep each deployment's tokens apart.
PostFn = Callable[..., Awaitable["Response"]]

#: Characters that can never be part of a header value: a token holding one would split the request.
_UNSAFE_HEADER_CHARS = re.compile(r"[\x00-\x1f\x7f]")
#: Token lifetimes beyond this are treated as "no expiry known" (an ``exp`` of 10**400, a year-9999 date).
_MAX_LIFETIME = 10 * 365 * 86400.0


def _check_token(token: object, *, source: str) -> str:
    if not isinstance(token, str) or not token:
        raise KrillError(f"{source} has no usable token; check the auth paths")
    if _UNSAFE_HEADER_CHARS.search(token):
        raise KrillError(f"{source} holds a token with control characters (CR, LF, NUL...); refusing to send it")
    return token


def _origin_of(post: PostFn) -> str:
    return str(getattr(post, "origin", ""))


class Auth:
    """How requests are authenticated. Subclasses hold credentials; none of them show in repr."""

    async def authorization(self, post: PostFn) -> tuple[str | None, int]:
        """The ``Authorization`` header value and the credential generation it belongs to."""
        raise NotImplementedError

    async def renew(self, post: PostFn, failed_generation: int) -> bool:
        """Called after a 401; True when the request should be sent once more with new credentials."""
        return False

    def secret_values(self) -> Iterable[str]:
        """Every secret this object has sent or may send (passwords, header values, tokens): the client
        scrubs them from every error message, even when a server echoes them back."""
        return ()


class BasicAuth(Auth):
    """HTTP Basic, as in the vendor's own httpie examples (``-a usuario:contraseña``)."""

    def __init__(self, username: str, password: str) -> None:
        raw = f"{username}:{password}".encode()
        if any(ch in raw for ch in b"\r\n\x00"):
            raise InvalidArgument("username and password must not contain CR, LF or NUL")
        self._encoded = base64.b64encode(raw).decode("ascii")
        self._header = "Basic " + self._encoded
        self._password = password
        self.username = username

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password='***')"

    async def authorization(self, post: PostFn) -> tuple[str | None, int]:
        return self._header, 0

    def secret_values(self) -> Iterable[str]:
        return (self._header, self._encoded, f"{self.username}:{self._password}", self._password)


class BearerToken(Auth):
    """A static token (for example a JWT access token obtained elsewhere)."""

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token or _UNSAFE_HEADER_CHARS.search(token):
            raise InvalidArgument("token must be a non-empty single-line string without control characters")
        self._token = token
        self._header = f"Bearer {token}"

    def __repr__(self) -> str:
        return "BearerToken('***')"

    async def authorization(self, post: PostFn) -> tuple[str | None, int]:
        return self._header, 0

    def secret_values(self) -> Iterable[str]:
        return (self._header, self._token)


def _claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (no signature check: only used to schedule renewal); {} when unreadable."""
    try:
        payload = token.split(".")[1]
        data = msgspec.json.decode(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, msgspec.DecodeError, RecursionError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT in seconds since the epoch; None when absent or absurd."""
    return _number(_claims(token).get("exp"))


def token_lifetime(token: str, *, now: float) -> float | None:
    """Seconds the token stays valid from now, as far as the client can tell.

    Measured on the server's clock when the token says when it was issued (``exp - iat``, less the one
    second ``iat`` may have been truncated by), so a client clock minutes fast or slow does not matter;
    else (or for sub-second test tokens) ``exp - now`` on the local clock. None when unknown, absurd (an
    ``exp`` of ``10**400``) or already past: the token is then renewed after a 401 only.
    """
    claims = _claims(token)
    exp, iat = _number(claims.get("exp")), _number(claims.get("iat"))
    if exp is None:
        return None
    lifetime: float | None = None
    if iat is not None and iat <= exp:
        lifetime = exp - iat - (1.0 if float(iat).is_integer() else 0.0)
    if lifetime is None or lifetime <= 0:
        lifetime = exp - now
    if not 0 < lifetime <= _MAX_LIFETIME:
        return None
    return lifetime


@dataclass(eq=False)
class _Flight:
    done: anyio.Event = field(default_factory=anyio.Event)
    error: Exception | None = None


@dataclass(eq=False)
class _Tokens:
    """The tokens of one deployment (origin): a JWTLogin shared by two clients keeps them apart."""

    access: str | None = None
    refresh: str | None = None
    renew_at: float | None = None  # time.monotonic(): immune to the wall clock being wrong or changed
    generation: int = 0
    refused: InvalidCredentials | None = None
    flight: _Flight | None = None


class JWTLogin(Auth):
    """Log in at ``POST /api/v2/auth/login`` (form fields ``username``/``password``) and send
    ``Authorization: Bearer <access>``.

    The access token is renewed shortly before it expires and after a 401: first with the SimpleJWT
    refresh token (``POST auth/refresh/``), then by logging in again. A refused login raises
    [InvalidCredentials][krill_async.InvalidCredentials] and is never attempted again for that deployment;
    any other failure raises [LoginFailed][krill_async.LoginFailed], shared by every call waiting for that
    renewal. Tokens are kept per deployment origin, so one object may serve clients of several Krills.
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
        self._tokens: dict[str, _Tokens] = {}
        self._seen: list[str] = []  # every token handed out, for scrubbing (bounded)
        #: Renewals performed (logins plus refreshes): useful in logs and tests.
        self.renewals = 0
        #: Login and refresh requests sent (whatever they answered).
        self.logins_sent = 0

    def __repr__(self) -> str:
        return f"JWTLogin(username={self.username!r}, password='***')"

    @property
    def _access(self) -> str | None:
        """The access token of the only (or first) deployment: for tests and debugging."""
        return next(iter(self._tokens.values())).access if self._tokens else None

    def secret_values(self) -> Iterable[str]:
        return (self._password, *self._seen)

    def _state(self, post: PostFn) -> _Tokens:
        return self._tokens.setdefault(_origin_of(post), _Tokens())

    async def authorization(self, post: PostFn) -> tuple[str | None, int]:
        state = self._state(post)
        if state.refused is not None:
            raise state.refused
        expiring = state.renew_at is not None and time.monotonic() >= state.renew_at
        if state.access is None or expiring:
            await self.renew(post, state.generation)
        return f"Bearer {state.access}", state.generation

    async def renew(self, post: PostFn, failed_generation: int) -> bool:
        state = self._state(post)
        while True:
            if state.refused is not None:
                raise state.refused
            if state.generation != failed_generation:
                return True  # another task renewed while this request was in flight
            flight = state.flight
            if flight is None:
                flight = state.flight = _Flight()
                try:
                    await self._renew_now(post, state)
                except InvalidCredentials as exc:
                    flight.error = exc
                    raise
                except Exception as exc:
                    error = exc if isinstance(exc, LoginFailed) else _login_failed(exc)
                    flight.error = error
                    raise error from exc
                finally:
                    state.flight = None
                    flight.done.set()
                return True
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            # The renewing task was cancelled without an answer: loop and renew ourselves.

    async def _renew_now(self, post: PostFn, state: _Tokens) -> None:
        if state.refresh is not None:
            try:
                self.logins_sent += 1
                response = await post(self.refresh_path, json={"refresh": state.refresh})
                self._store(state, response.json(dict), keep_refresh=True)
                return
            except APIStatusError as exc:
                if exc.status not in (400, 401):
                    raise
                state.refresh = None  # refresh token expired or revoked: log in again
        try:
            self.logins_sent += 1
            response = await post(self.login_path, data={"username": self.username, "password": self._password})
        except APIStatusError as exc:
            if exc.status in (400, 401, 403):
                state.refused = InvalidCredentials(
                    status=exc.status,
                    method=exc.method,
                    url=exc.url,
                    detail=exc.detail,
                    field_errors=exc.field_errors,
                )
                raise state.refused from None
            raise
        self._store(state, response.json(dict), keep_refresh=False)

    def _store(self, state: _Tokens, data: dict[str, Any], *, keep_refresh: bool) -> None:
        access = _check_token(data.get("access"), source="Krill's login/refresh answer")
        refresh = data.get("refresh")
        if refresh is not None and refresh != "":
            state.refresh = _check_token(refresh, source="Krill's login/refresh answer")
        elif not keep_refresh:
            state.refresh = None
        state.access = access
        for token in (access, state.refresh):
            if token and token not in self._seen:
                self._seen.append(token)
        del self._seen[:-16]
        lifetime = token_lifetime(access, now=time.time())
        if lifetime is None:
            state.renew_at = None  # renewed after a 401 only
        else:
            # Renew `leeway` early, but never so early that a short-lived token is "expiring" at once.
            state.renew_at = time.monotonic() + lifetime - min(self.leeway, lifetime / 2)
        state.generation += 1
        self.renewals += 1


def _login_failed(exc: Exception) -> LoginFailed:
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return LoginFailed(
        f"getting a token failed ({what}). The login is not re-sent within this call; the next call logs "
        "in again. If it persists, check the auth paths (JWTLogin(login_path=...)) and the server."
    )
