"""``/api/v2/docsis/``: two CMTSs with their MAC domains and fiber nodes (read-only collections).

The real paths are undocumented; these answer the ones the client declares (``cmtss``,
``mac-domains``, ``fiber-nodes``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._apps import AppRequest, register_app
from ._state import Table, app_state, serve_table


def _build() -> dict[str, Table]:
    cmtss = [
        {"id": 1, "name": "CMTS01", "vendor": "Casa", "model": "C100G", "address": "10.20.0.1"},
        {"id": 2, "name": "CMTS02", "vendor": "Arris", "model": "E6000", "address": "10.20.0.2"},
    ]
    domains = [
        {"id": n, "cmts": 1 + (n - 1) // 3, "name": f"Cable1/0/{(n - 1) % 3}", "upstreams": 4, "downstreams": 32}
        for n in range(1, 7)
    ]
    nodes = [
        {
            "id": n,
            "name": f"FN-{n:03d}",
            "cmts": 1 + (n - 1) // 6,
            "mac_domain": 1 + (n - 1) // 2,
            "homes_passed": 400 + 25 * n,
        }
        for n in range(1, 13)
    ]
    return {"cmtss": Table(cmtss), "mac-domains": Table(domains), "fiber-nodes": Table(nodes)}


async def handle(req: AppRequest) -> web.StreamResponse:
    state = app_state(req.sim)
    tables: dict[str, Any] = state.table("docsis", _build)
    parts = req.parts
    if parts and parts[0] in tables and len(parts) <= 2:
        return await serve_table(
            req,
            tables[parts[0]],
            parts[1] if len(parts) == 2 else None,
            lock=state.lock,
            writable=False,
            search=("name",),
        )
    req.not_found()


register_app("docsis", handle)
