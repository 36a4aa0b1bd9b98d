"""``/api/v2/auth/user/``: the authenticated user (login, refresh and token stay built into the server)."""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from .. import _jwt
from .._apps import AppRequest, register_app


def _username(req: AppRequest) -> str:
    """Who sent the request (the server has already authenticated it)."""
    scheme, _, value = req.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode("utf-8").split(":", 1)[0]
        except (binascii.Error, UnicodeDecodeError):
            req.fail(401, {"detail": "Invalid basic header."})
    claims = _jwt.decode(value.strip(), req.sim._secret, token_type="access")
    with req.sim._state_lock:
        names = [name for name, uid in req.sim._user_ids.items() if uid == claims.get("user_id")]
    if not names:
        req.fail(401, {"detail": "User not found", "code": "user_not_found"})
    return names[0]


async def handle(req: AppRequest) -> web.StreamResponse:
    if req.parts != ["user"]:
        req.not_found()
    if req.method not in ("GET", "HEAD"):
        req.not_allowed()
    username = _username(req)
    pk = req.sim._user_id(username)
    return req.respond(
        {
            "pk": pk,
            "username": username,
            "email": f"{username}@example.net",
            "first_name": username.capitalize(),
            "last_name": "",
        },
        allow="GET, PUT, PATCH, HEAD, OPTIONS",
    )


register_app("auth", handle)
