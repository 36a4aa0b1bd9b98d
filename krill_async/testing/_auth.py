"""Authentication of the simulated server: DRF BasicAuthentication, SimpleJWT access tokens, and the
dj-rest-auth / SimpleJWT login and refresh views, with their exact error bodies.

A mixin of [`KrillSimulator`][krill_async.testing.KrillSimulator]: it shares the simulator's config, counters and token
registry, so tests can expire tokens and count logins on the simulator itself.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import _jwt
from ._http import _BASIC_HEADER, _BEARER_HEADER, HTTPError, _token_invalid, json_response

if TYPE_CHECKING:
    from ._config import SimulatorConfig, SimulatorStats

__all__ = ["AuthMixin"]

_ALLOW_AUTH = "POST, OPTIONS"


class AuthMixin:
    """Token issuing and checking; the simulator provides the attributes annotated here."""

    config: SimulatorConfig
    stats: SimulatorStats
    _secret: bytes
    _user_ids: dict[str, int]
    _live_access: set[str]
    _revoked: set[str]
    _state_lock: threading.Lock

    def _user_id(self, username: str) -> int:
        with self._state_lock:
            uid = self._user_ids.get(username)
            if uid is None:
                uid = len(self._user_ids) + 1
                self._user_ids[username] = uid
            return uid

    def _issue_pair(self, username: str) -> dict[str, str]:
        uid = self._user_id(username)
        refresh, _ = _jwt.make_token("refresh", uid, self.config.refresh_token_lifetime, self._secret)
        access = self._issue_access(uid)
        return {"access": access, "refresh": refresh}

    def _issue_access(self, uid: int) -> str:
        access, claims = _jwt.make_token("access", uid, self.config.access_token_lifetime, self._secret)
        with self._state_lock:
            self._live_access.add(claims["jti"])
        return access

    def _authenticate(self, request: web.Request) -> None:
        """DRF BasicAuthentication + SimpleJWT JWTAuthentication; raises on failure."""
        header = request.headers.get("Authorization", "")
        parts = header.split()
        if parts and parts[0] == "Bearer":
            if len(parts) != 2:
                raise HTTPError(
                    401,
                    {
                        "detail": "Authorization header must contain two space-delimited values",
                        "code": "bad_authorization_header",
                    },
                    {"WWW-Authenticate": _BEARER_HEADER},
                )
            try:
                claims = _jwt.decode(parts[1], self._secret, token_type="access")
            except _jwt.TokenError as exc:
                raise _token_invalid(str(exc)) from None
            if claims.get("jti") in self._revoked:
                raise _token_invalid("Token is invalid or expired")
            uid = claims.get("user_id")
            with self._state_lock:
                names = [name for name, i in self._user_ids.items() if i == uid]
            if not names or names[0] not in self.config.users:
                raise HTTPError(
                    401,
                    {"detail": "User not found", "code": "user_not_found"},
                    {"WWW-Authenticate": _BEARER_HEADER},
                )
            return
        if parts and parts[0].lower() == "basic":
            basic = {"WWW-Authenticate": _BASIC_HEADER}
            if len(parts) == 1:
                raise HTTPError(401, {"detail": "Invalid basic header. No credentials provided."}, basic)
            if len(parts) > 2:
                msg = "Invalid basic header. Credentials string should not contain spaces."
                raise HTTPError(401, {"detail": msg}, basic)
            try:
                decoded_bytes = base64.b64decode(parts[1])
                try:
                    decoded = decoded_bytes.decode("utf-8")
                except UnicodeDecodeError:
                    decoded = decoded_bytes.decode("latin-1")
                username, password = decoded.split(":", 1)
            except (TypeError, ValueError, binascii.Error):
                msg = "Invalid basic header. Credentials not correctly base64 encoded."
                raise HTTPError(401, {"detail": msg}, basic) from None
            expected = self.config.users.get(username)
            if expected is None or not secrets.compare_digest(expected.encode(), password.encode()):
                raise HTTPError(401, {"detail": "Invalid username/password."}, basic)
            return
        raise HTTPError(
            401, {"detail": "Authentication credentials were not provided."}, {"WWW-Authenticate": _BASIC_HEADER}
        )

    def _login(self, data: dict[str, Any], *, simplejwt: bool) -> web.Response:
        username = data.get("username")
        password = data.get("password")
        errors: dict[str, list[str]] = {}
        if simplejwt and username is None:
            errors["username"] = ["This field is required."]
        if password is None:
            errors["password"] = ["This field is required."]
        if errors:
            raise HTTPError(400, errors)
        if not simplejwt and not username:
            # dj-rest-auth LoginSerializer: username is optional but needed without an email
            self.stats.failed_logins += 1
            raise HTTPError(400, {"non_field_errors": ['Must include "username" and "password".']})
        ok = isinstance(username, str) and isinstance(password, str) and self.config.users.get(username) == password
        if not ok:
            self.stats.failed_logins += 1
            if simplejwt:
                raise HTTPError(
                    401,
                    {"detail": "No active account found with the given credentials"},
                    {"WWW-Authenticate": _BEARER_HEADER},
                )
            raise HTTPError(400, {"non_field_errors": ["Unable to log in with provided credentials."]})
        self.stats.logins += 1
        assert isinstance(username, str)
        return json_response(200, self._issue_pair(username), _ALLOW_AUTH)

    def _refresh(self, data: dict[str, Any]) -> web.Response:
        token = data.get("refresh")
        if token is None:
            raise HTTPError(400, {"refresh": ["This field is required."]})
        try:
            if not isinstance(token, str):
                raise _jwt.TokenError("Token is invalid or expired")
            claims = _jwt.decode(token, self._secret, token_type="refresh")
        except _jwt.TokenError as exc:
            self.stats.failed_refreshes += 1
            raise HTTPError(
                401, {"detail": str(exc), "code": "token_not_valid"}, {"WWW-Authenticate": _BEARER_HEADER}
            ) from None
        self.stats.refreshes += 1
        return json_response(200, {"access": self._issue_access(int(claims["user_id"]))}, _ALLOW_AUTH)
