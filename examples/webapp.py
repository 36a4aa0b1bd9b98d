"""An async web backend that embeds krill_async: one shared client for the whole application.

    KRILL_URL=http://127.0.0.1:4780 python examples/webapp.py     # then: curl localhost:8080/cpes/74

- The client is created once, in the app's lifespan (``cleanup_ctx``), and closed at shutdown.
- Every request shares it: its connection pool and ``max_in_flight`` cap protect Krill however many
  requests arrive at once.
- A request cancelled by its HTTP client (a closed browser tab) cancels its Krill requests too: the
  export below stops and its connections go back to the pool.
- Errors map to what the caller can do about them: an id that cannot be a CPE is 400, one Krill does not
  know is 404, a request Krill refuses (400) is 422; only Krill failing (5xx, network, timeouts) is 502.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from aiohttp import web

from krill_async import BadRequest, InvalidArgument, InvalidIdentifier, Krill, KrillError, NotFound

KRILL = web.AppKey("krill", Krill)
KRILL_URL = web.AppKey("krill_url", str)
_encode = msgspec.json.Encoder().encode


async def krill_client(app: web.Application) -> AsyncIterator[None]:
    """Lifespan: one client for the whole application."""
    auth = (os.environ.get("KRILL_USERNAME", "usuario"), os.environ.get("KRILL_PASSWORD", "contraseña"))
    async with Krill(app[KRILL_URL], auth=auth, concurrency=8, max_in_flight=16) as krill:
        app[KRILL] = krill
        yield


async def get_cpe(request: web.Request) -> web.Response:
    krill = request.app[KRILL]
    try:
        cpe = await krill.isp.cpes.get(request.match_info["id"], attrs=["id", "cpename", "sn", "realm"], timeout=10)
    except (InvalidIdentifier, InvalidArgument) as exc:  # refused before sending: the caller's input
        raise web.HTTPBadRequest(text=f"invalid CPE id: {exc}") from None
    except NotFound:
        raise web.HTTPNotFound(text="no such CPE") from None
    except BadRequest:  # Krill refused the request it was sent: still about the input, not an outage
        raise web.HTTPUnprocessableEntity(text="Krill refused this request") from None
    except KrillError as exc:  # a typed, secret-free message: safe to log, not to show
        request.app.logger.warning("Krill failed: %s", exc)
        raise web.HTTPBadGateway(text="Krill is unavailable") from None
    return web.Response(body=_encode(cpe), content_type="application/json")


async def export_cpes(request: web.Request) -> web.StreamResponse:
    """Every CPE of a realm as NDJSON, streamed while the export runs (constant memory)."""
    krill = request.app[KRILL]
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    await response.prepare(request)
    filters: dict[str, Any] = {"realm": request.query["realm"]} if "realm" in request.query else {}
    async with krill.isp.cpes.export(page_size=500, attrs=["id", "cpename", "sn"], **filters) as cpes:
        async for cpe in cpes:
            await response.write(_encode(cpe) + b"\n")
    await response.write_eof()
    return response


def make_app(krill_url: str) -> web.Application:
    # handler_cancellation: a disconnected HTTP client cancels its handler, hence its Krill requests
    app = web.Application(handler_args={"handler_cancellation": True})
    app[KRILL_URL] = krill_url
    app.cleanup_ctx.append(krill_client)
    app.router.add_get("/cpes/{id}", get_cpe)
    app.router.add_get("/cpes.ndjson", export_cpes)
    return app


if __name__ == "__main__":
    web.run_app(make_app(os.environ.get("KRILL_URL", "http://127.0.0.1:4780")), port=8080)
