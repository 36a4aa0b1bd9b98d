"""``/api/v2/plankton/services/``: FTTH services for external CRMs, a full DRF CRUD collection."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .._apps import AppRequest, register_app
from .._data import TZ, now_iso
from ._state import Table, app_state, require, serve_table

_STATES = ("active", "active", "active", "suspended", "pending")


def _build(sim: Any) -> Table:
    rng = random.Random(f"{sim.config.seed}:plankton")
    cpes = [c for c in sim.network.cpes.values() if c["tech"] == "gpon"][:12]
    records = []
    for n, cpe in enumerate(cpes, start=1):
        created = datetime(2024, 5, 1, 10, 0, tzinfo=TZ) + timedelta(days=n * 9, minutes=rng.randrange(600))
        records.append(
            {
                "id": n,
                "crm_external_id": f"CRM-{10000 + n}",
                "cpe": cpe["id"],
                "profile": cpe["profile"],
                "state": _STATES[n % len(_STATES)],
                "address": cpe["address"],
                "created": created.isoformat(),
                "updated": created.isoformat(),
            }
        )
    return Table(records)


def _validate(req: AppRequest, data: dict[str, Any], partial: bool, instance: dict[str, Any] | None) -> dict[str, Any]:
    require(req, data, ("crm_external_id", "cpe"), partial)
    clean = {k: v for k, v in data.items() if k not in ("id", "created", "updated")}
    if "cpe" in clean and req.sim.network.find_cpe(str(clean["cpe"])) is None:
        req.fail(400, {"cpe": [f'Invalid pk "{clean["cpe"]}" - object does not exist.']})
    stamp = now_iso()
    clean["updated"] = stamp
    if instance is None:
        clean.setdefault("state", "pending")
        clean["created"] = stamp
    return clean


async def handle(req: AppRequest) -> web.StreamResponse:
    state = app_state(req.sim)
    table: Table = state.table("plankton", lambda: _build(req.sim))
    parts = req.parts
    if parts and parts[0] == "services" and len(parts) <= 2:
        return await serve_table(
            req,
            table,
            parts[1] if len(parts) == 2 else None,
            lock=state.lock,
            validate=_validate,
            search=("crm_external_id", "address"),
        )
    req.not_found()


register_app("plankton", handle)
