"""``/api/v2/gpon/`` and ``/api/v2/installer/``: ONU status per PON port and ONUs waiting to be configured.

The ONUs are monitoring's registered GPON hosts, each on the port monitoring's registration names (one
position per CPE, states agreeing); OLTs are named in full (``SMR-OLT03``) or by monitoring's label.

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
from .._monitoring_facts import OLTS
from ._state import ActionCall, Table, app_state, filter_records, serve_table
from .monitoring import monitoring_data


def _ports(sim: Any) -> dict[tuple[str, int, int, int], list[dict[str, Any]]]:
    """Every registered GPON host of monitoring, on the port where monitoring says it is (one source of
    truth: ``HostFacts``), with its ONU status agreeing with monitoring's registration state."""
    ports: dict[tuple[str, int, int, int], list[dict[str, Any]]] = {}
    data = monitoring_data(sim)
    network = sim.network
    for f in data.facts:
        if f.tech != "gpon" or not f.registered:
            continue
        cpe = network.cpes.get(f.cpe_id)
        online = f.states[0] == "online" and not f.pending
        down = datetime.fromtimestamp(f.changed, TZ)
        host_vars = data.host_vars(f)["administrative_info"]
        dnrx, uptx = (f.txrx[0], f.txrx[1]) if f.txrx and online else (None, None)
        ports.setdefault((f.olt, *f.pon), []).append(
            {
                "onu_id": f.onu,
                "type": host_vars["model"],
                "sn": host_vars["sn"],
                "desc": cpe["cpename"] if cpe is not None else f.name,
                "status": "online" if online else "offline",
                "registration_state": f.states[0],
                "last_up_time": (down + timedelta(minutes=3)).isoformat() if online else None,
                "last_down_time": down.isoformat(),
                "dnrx": dnrx,
                "uptx": uptx,
            }
        )
    for onus in ports.values():
        onus.sort(key=lambda onu: onu["onu_id"])
    return ports


def resolve_olt(name: str) -> str | None:
    """The OLT a path names, by its full name or by the label monitoring shows (when only one OLT has it)."""
    if name in OLTS:
        return name
    named = [olt for olt, label in OLTS.items() if label == name]
    return named[0] if len(named) == 1 else None


def _number(text: str, width: int) -> int | None:
    """A frame (``0``) or slot/port (``05``) number as the OLT spells it; another spelling is None."""
    if not text.isdigit() or text != f"{int(text):0{width}d}" or int(text) > 15:
        return None
    return int(text)


def _unconfigured(sim: Any) -> Table:
    rng = random.Random(f"{sim.config.seed}:gpon-unconfigured")
    records = []
    olts = list(OLTS)
    for n in range(1, 7):
        olt = olts[n % len(olts)]
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
        olt = resolve_olt(parts[1])
        frame, slot, port = _number(parts[3], 1), _number(parts[5], 2), _number(parts[7], 2)
        if olt is None or frame is None or slot is None or port is None:
            req.not_found()
        return req.respond(ports.get((olt, frame, slot, port), []))
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
            f = monitoring_data(req.sim).by_cpe.get(cpe["id"])
            if f is None:
                req.not_found()
            online = f.state == 0
            registration = {"host": f.olt_label, "id": f.regid} if f.registered else {"host": "", "id": ""}
            output = f"{'/'.join(f.states)} {f.olt_label}:{f.regid} {f.ip}" if f.registered else "DOWN - not found"
            return req.respond({"state": "up" if online else "down", "output": output, "registration": registration})
    if parts and parts[0] == "cpes":
        req.not_allowed()
    req.not_found()


register_app("gpon", handle_gpon)
register_app("installer", handle_installer)
