"""``/api/v2/auth/``: obtain and refresh JWTs, and read the calling user.

These calls return tokens; they do not change how the client authenticates (use ``JWTLogin`` for
that). ``login`` (form fields, as the third-party ``jmq-krill`` sends them) is verified; ``refresh/``
and ``user/`` are **unverified** (SimpleJWT and dj-rest-auth defaults).
"""

from __future__ import annotations

from .._resource import App
from .._timeouts import TimeoutTypes, resolve_timeout
from .._urls import join_api_path
from ..errors import APIStatusError, InvalidCredentials
from ..models.auth import TokenPair, User

__all__ = ["AuthApp"]


class AuthApp(App):
    """Login, token refresh and the current user."""

    name = "auth"
    login_path = "login"
    refresh_path = "refresh/"
    user_path = "user/"

    async def login(self, username: str, password: str) -> TokenPair:
        """Log in (sent without the client's credentials) and return the ``access``/``refresh`` pair.

        A refused login raises [`InvalidCredentials`][krill_async.InvalidCredentials]; it is never retried, because
        Krill bans IPs after repeated failures.
        """
        try:
            response = await self.client.transport.post_unauthenticated(
                f"{self.name}/{self.login_path}", data={"username": username, "password": password}
            )
        except APIStatusError as exc:
            if exc.status in (400, 401, 403):
                raise InvalidCredentials(
                    status=exc.status, method=exc.method, url=exc.url, detail=exc.detail, field_errors=exc.field_errors
                ) from None
            raise
        result: TokenPair = response.json(TokenPair)
        return result

    async def refresh(self, refresh: str) -> TokenPair:
        """A new ``access`` token for a ``refresh`` token (SimpleJWT; ``refresh`` is set when rotated)."""
        response = await self.client.transport.post_unauthenticated(
            f"{self.name}/{self.refresh_path}", json={"refresh": refresh}
        )
        result: TokenPair = response.json(TokenPair)
        return result

    async def user(self, *, timeout: TimeoutTypes = None) -> User:
        """The user the client is authenticated as."""
        response = await self.client.transport.request(
            "GET",
            join_api_path(self.client.root, f"{self.name}/{self.user_path}"),
            timeout=resolve_timeout(timeout, self.client.timeout),
        )
        result: User = response.json(User)
        return result
