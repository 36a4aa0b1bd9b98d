"""Which server and which credentials: flags first, then the environment (pure, given the environment).

``-a USER:PASSWORD`` is httpie's flag; ``-a USER`` takes the password from ``KRILL_PASSWORD`` or asks for it
without echo. ``--token`` (or ``KRILL_TOKEN``) sends a bearer token. Flags replace the environment as a
whole, so a leftover ``KRILL_TOKEN`` never mixes with ``-a``. Credentials are never printed or logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from yarl import URL

from .._auth import Auth, BasicAuth, BearerToken, JWTLogin
from ._items import Target, UsageProblem

__all__ = ["Connection", "resolve_auth", "resolve_url"]

AskPassword = Callable[[str], str]


@dataclass(frozen=True)
class Connection:
    """What a command needs to build its client."""

    url: str
    auth: Auth | None
    timeout: float | None = None

    def __repr__(self) -> str:  # never show credentials, even in a --debug traceback
        kind = type(self.auth).__name__ if self.auth is not None else None
        return f"Connection(url={self.url!r}, auth={kind})"


def resolve_url(flag: str | None, target: Target | None) -> str:
    """The deployment URL: the one inside a full-URL target, else ``--url`` / ``KRILL_URL``."""
    if target is not None and target.base_url is not None:
        return target.base_url
    if not flag:
        raise UsageProblem("which Krill? give --url https://host (or set KRILL_URL), or a whole URL as the resource")
    url = URL(flag)
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageProblem(
            f"--url needs the scheme and host, like https://krill.example.net or http://host:4780, not {flag!r}"
        )
    if url.user or url.password:
        raise UsageProblem("put credentials in -a USER[:PASSWORD] or the environment, not in --url")
    return flag


def _login(user: str, password: str, auth_type: str) -> Auth:
    if auth_type == "jwt":
        return JWTLogin(user, password)
    return BasicAuth(user, password)


def resolve_auth(
    *,
    auth: str | None,
    token: str | None,
    auth_type: str,
    env: Mapping[str, str],
    ask_password: AskPassword,
) -> Auth | None:
    """Credentials from ``-a``/``--token`` or, when neither flag is given, from the environment."""
    if auth is not None and token is not None:
        raise UsageProblem("give -a USER[:PASSWORD] or --token, not both")
    if token is not None:
        if not token:
            raise UsageProblem("--token is empty")
        return BearerToken(token)
    if auth is not None:
        user, sep, password = auth.partition(":")
        if not user:
            raise UsageProblem("-a needs a user name: -a USER or -a USER:PASSWORD")
        if not sep:
            password = env.get("KRILL_PASSWORD") or ask_password(user)
        return _login(user, password, auth_type)
    if env.get("KRILL_TOKEN"):
        return BearerToken(env["KRILL_TOKEN"])
    user = env.get("KRILL_USERNAME", "")
    if user:
        password = env.get("KRILL_PASSWORD") or ask_password(user)
        return _login(user, password, auth_type)
    return None
