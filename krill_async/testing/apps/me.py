"""``/api/v2/me/``: what the calling user can use (a small app, also the example of the extension point)."""

from __future__ import annotations

from aiohttp import web

from .._apps import AppRequest, register_app

_APPS = ["isp", "monitoring", "pbx", "oratio", "gpon", "docsis", "rubik", "plankton", "installer"]


async def handle(req: AppRequest) -> web.StreamResponse:
    if req.parts == ["apps"]:
        if req.method not in ("GET", "HEAD"):
            req.not_allowed()
        return await req.paginate([{"name": name} for name in _APPS], allow="GET, HEAD, OPTIONS")
    req.not_found()


register_app("me", handle)
