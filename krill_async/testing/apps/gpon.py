"""``/api/v2/gpon/`` and ``/api/v2/installer/``: ONUs of the network's GPON CPEs placed on three OLTs,
ONU status per PON port, and ONUs waiting to be configured.

Frame, slot and port are matched exactly as the OLT spells them (frame ``0``, slot and port two
digits: ``/frames/0/slots/05/ports/15/``); another spelling is a 404, like an unknown port.
Enabling an unconfigured ONU answers 202 once (logged in ``app_state(sim).actions``), then 404.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .._apps import AppRequest, register_app
from .._data import TZ
from ._state import ActionCall, Table, app_state, filter_records, serve_table

_OLTS = ("OLT01", "OLT02", "oltCEEIM")


def _position(cpe_id: int) -> tuple[str, str, str, str, int]:
    """Where a GPON CPE hangs: OLT, frame, slot, port (as the OLT spells them) and ONU number."""
    return _OLTS[cpe_id % 3], "0", f"{1 + cpe_id % 16:02d}", f"{cpe_id // 7 % 16:02d}", cpe_id % 64


def _ports(sim: Any) -> dict[tuple[str, str, str, str], list[dict[str, Any]]]:
    rng = random.Random(f"{sim.config.seed}:gpon")
    ports: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    now = datetime(2025, 3, 1, 12, 0, tzinfo=TZ)
    for cpe in sim.network.cpes.values():
        if cpe["tech"] != "gpon":
            continue
        olt, frame, slot, port, onu = _position(cpe["id"])
        online = cpe["active"] and rng.random() < 0.9
        down = now - timedelta(hours=rng.randrange(1, 900))
        ports.setdefault((olt, frame, slot, port), []).append(
            {
                "onu_id": onu,
                "type": cpe["model"],
                "sn": cpe["sn"],
                "desc": cpe["cpename"],
                "status": "online" if online else "offline",
                "registration_state": "online" if online else rng.choice(["losi", "dyinggasp", "offline"]),
                "last_up_time": (down + timedelta(minutes=3)).isoformat() if online else None,
                "last_down_time": down.isoformat(),
                "dnrx": round(rng.uniform(-27, -15), 2) if online else None,
                "uptx": round(rng.uniform(1, 4), 2) if online else None,
            }
        )
    for onus in ports.values():
        onus.sort(key=lambda onu: onu["onu_id"])
    return ports


def _unconfigured(sim: Any) -> Table:
    rng = random.Random(f"{sim.config.seed}:gpon-unconfigured")
    records = []
    for n in range(1, 7):
        olt = _OLTS[n % 3]
        records.append(
            {
                "id": n,
                "sn": f"48575443{rng.getrandbits(32):08X}",
                "olt": olt,
                "frame": "0",
                "slot": f"{1 + n % 16:02d}",
                "port": f"{n % 16:02d}",
                "type": "HG8245H" if n % 2 else "EG8145V5",
                "discovered": (datetime(2025, 3, 1, 8, 0, tzinfo=TZ) + timedelta(minutes=17 * n)).isoformat(),
            }
        )
    return Table(records)


async def _unconfigured_view(req: AppRequest, parts: list[str]) -> web.StreamResponse:
    state = app_state(req.sim)
    table: Table = state.table("gpon-unconfigured", lambda: _unconfigured(req.sim))
    if len(parts) == 3 and parts[2] == "enable":
        if req.method != "POST":
            req.not_allowed()
        raw = await req.request.read()
        body = await req.json_body() if raw.strip() else None
        with state.lock:
            onu = table.get(parts[1])
            if onu is None:
                req.not_found()
            del table.records[onu["id"]]
            state.actions.append(ActionCall("POST", req.request.path, "gpon", onu["id"], "enable", body, 202))
        return req.respond({"detail": f"ONU {onu['sn']} enabled on {onu['olt']}"}, 202)
    if len(parts) <= 2:
        return await serve_table(req, table, parts[1] if len(parts) == 2 else None, lock=state.lock, writable=False)
    req.not_found()


async def handle_gpon(req: AppRequest) -> web.StreamResponse:
    parts = req.parts
    if parts and parts[0] == "unconfigured":
        return await _unconfigured_view(req, parts)
    shape = ["olts", None, "frames", None, "slots", None, "ports", None, "onus", "status"]
    if len(parts) == len(shape) and all(want is None or want == got for want, got in zip(shape, parts, strict=True)):
        if req.method not in ("GET", "HEAD"):
            req.not_allowed()
        state = app_state(req.sim)
        ports = state.table("gpon-ports", lambda: _ports(req.sim))
        key = (parts[1], parts[3], parts[5], parts[7])
        if parts[1] not in _OLTS or key not in ports:
            req.not_found()
        return req.respond(ports[key])
    req.not_found()


async def handle_installer(req: AppRequest) -> web.StreamResponse:
    parts = req.parts
    if parts[:2] == ["gpon", "unconfigured"] and len(parts) == 2:
        return await _unconfigured_view(req, parts[1:])
    if parts and parts[0] == "cpes" and req.method in ("GET", "HEAD"):
        network = req.sim.network
        if len(parts) == 1:
            with network.lock:
                records = filter_records(req.items, list(network.iter_records("cpes")))
            return await req.paginate(records, allow="GET, HEAD, OPTIONS")
        cpe = network.find_cpe(parts[1])
        if cpe is None:
            req.not_found()
        if len(parts) == 2:
            return req.respond(cpe, allow="GET, HEAD, OPTIONS")
        if parts[2:] == ["info"]:
            olt, frame, slot, port, onu = _position(cpe["id"])
            online = cpe["active"] and cpe["access"]
            where = f"{frame}/{int(slot)}/{int(port)}-{onu}"
            return req.respond(
                {
                    "state": "up" if online else "down",
                    "output": f"{'online' if online else 'offline'} {olt}:{where} 0.0.0.0",
                    "registration": {"host": olt, "id": where},
                }
            )
    if parts and parts[0] == "cpes":
        req.not_allowed()
    req.not_found()


register_app("gpon", handle_gpon)
register_app("installer", handle_installer)
