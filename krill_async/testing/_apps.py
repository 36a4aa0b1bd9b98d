"""Extension point of the simulator: Krill apps beyond ``isp`` (monitoring, pbx, rubik, ...).

Each app lives in its own module under ``krill_async/testing/apps/`` and registers a handler with
`register_app()`; modules are discovered on first use, so adding an app never edits the server.
A handler receives an `AppRequest` (already authenticated) and returns an aiohttp response; it
reuses the server's DRF behaviour through the request's helpers (paging, JSON errors, body parsing).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from aiohttp import web

if TYPE_CHECKING:
    from ._server import KrillSimulator

__all__ = ["AppHandler", "AppRequest", "handler_for", "register_app"]

AppHandler = Callable[["AppRequest"], Awaitable[web.StreamResponse]]

_REGISTRY: dict[str, AppHandler] = {}
_discovered = False


def register_app(name: str, handler: AppHandler) -> None:
    """Serve ``/api/v2/<name>/...`` with ``handler`` (``isp`` and the login/refresh routes stay built in)."""
    _REGISTRY[name] = handler


def handler_for(name: str) -> AppHandler | None:
    """The handler registered for an app, importing every module of ``testing/apps/`` once."""
    global _discovered
    if not _discovered:
        _discovered = True
        from . import apps

        for module in pkgutil.iter_modules(apps.__path__):
            importlib.import_module(f"{apps.__name__}.{module.name}")
    return _REGISTRY.get(name)


@dataclass(frozen=True)
class AppRequest:
    """One authenticated request to a simulated app.

    ``subpath`` is what follows ``/api/v2/<app>/`` (``"search"``, ``"hosts/pim0585"``, ``"services/12/"``),
    with the trailing slash as the client sent it; ``items`` are the query pairs in order.
    """

    sim: KrillSimulator
    request: web.Request
    app: str
    subpath: str
    raw_query: str
    items: list[tuple[str, str]]

    @property
    def method(self) -> str:
        return self.request.method.upper()

    @property
    def query(self) -> dict[str, str]:
        return dict(self.items)

    @property
    def parts(self) -> list[str]:
        """``subpath`` split on ``/`` without empty segments (so both slash forms match alike)."""
        return [part for part in self.subpath.split("/") if part]

    async def body(self) -> dict[str, Any]:
        """The request body as DRF parses it (JSON, form, multipart); DRF's 400/415 errors otherwise."""
        return await self.sim._read_body(self.request)

    async def json_body(self) -> Any:
        """The raw JSON body (any JSON value, e.g. a list); 400 ``JSON parse error`` when invalid."""
        import json

        raw = await self.request.read()
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except ValueError as exc:
            self.fail(400, {"detail": f"JSON parse error - {exc}"})

    def respond(
        self, body: Any, status: int = 200, *, allow: str | None = None, headers: dict[str, str] | None = None
    ) -> web.Response:
        """A JSON answer with the real server's headers (``body`` may be pre-encoded bytes)."""
        from ._http import _json_response

        return _json_response(status, body, allow, headers)

    def fail(self, status: int, body: Any, headers: dict[str, str] | None = None) -> NoReturn:
        """Stop with a DRF-shaped error answer, e.g. ``fail(404, {"detail": "Not found."})``."""
        from ._http import _HTTPError

        raise _HTTPError(status, body, headers)

    def not_found(self) -> NoReturn:
        self.fail(404, {"detail": "Not found."})

    def not_allowed(self) -> NoReturn:
        self.fail(405, {"detail": f'Method "{self.method}" not allowed.'})

    async def paginate(self, records: Sequence[Any], *, allow: str | None = None) -> web.StreamResponse:
        """A DRF LimitOffsetPagination answer over ``records`` (dicts or pre-encoded JSON bytes), honouring
        ``limit``/``offset``, the default page size, the ``limit`` cap and the configured link style."""
        from ._http import _ENCODER, envelope
        from ._query import limit_offset, page_links

        cfg = self.sim.config
        limit, offset = limit_offset(self.query, cfg.default_page_size, cfg.max_limit)
        count = len(records)
        page = records[offset : offset + limit] if offset <= count else []
        raw_path = self.request.raw_path.partition("?")[0]
        mode = cfg.monitoring_links if self.app == "monitoring" else None
        base = self.sim._link_base(self.request, raw_path, mode)
        nxt, prev = page_links(base, self.raw_query, count, limit, offset)
        encoded = b",".join(r if isinstance(r, bytes) else _ENCODER.encode(r) for r in page)
        return await self.sim.send_json(self.request, envelope(count, nxt, prev, encoded), allow)
