"""``/api/v2/oratio/``: RADIUS accounting sessions of the network's PPPoE CPEs, disconnect, IP pool stats.

Every PPPoE CPE has one online session and some closed ones (FreeRADIUS ``radacct`` columns).
``accounting`` answers with and without a trailing slash, like the UI calls it; ``online=true`` keeps
sessions without a stop time; ``sort`` orders. A disconnect closes the session (logged in
``app_state(sim).actions``); a second one is refused.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .._apps import AppRequest, register_app
from .._data import TZ
from ._state import ActionCall, app_state, filter_records

_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_POOLS = {"cgnat": ("100.64.0.0/22", 1022), "public": ("185.12.44.0/24", 254)}
_CAUSES = ["User-Request", "Lost-Carrier", "Idle-Timeout", "NAS-Reboot"]


def _build(sim: Any) -> list[dict[str, Any]]:
    rng = random.Random(f"{sim.config.seed}:oratio")
    now = datetime(2025, 3, 1, 12, 0, tzinfo=TZ)
    sessions: list[dict[str, Any]] = []
    for cpe in sim.network.cpes.values():
        if not cpe["pppoe_username"]:
            continue
        mac = cpe["mac"] or f"00:25:9e:{cpe['id'] % 256:02x}:{(cpe['id'] >> 8) % 256:02x}:07"
        for n in range(3):
            start = now - timedelta(hours=rng.randrange(1, 2000))
            online = n == 0
            length = rng.randrange(60, 86400)
            pool = "cgnat" if rng.random() < 0.8 else "public"
            base = _POOLS[pool][0].split("/")[0].rsplit(".", 2)[0]
            sessions.append(
                {
                    "acctuniqueid": f"{rng.getrandbits(128):032x}",
                    "acctsessionid": f"{rng.getrandbits(32):08X}",
                    "krillcpename": cpe["cpename"],
                    "username": cpe["pppoe_username"],
                    "callingstationid": mac.upper(),
                    "nasipaddress": f"10.0.0.{1 + cpe['id'] % 4}",
                    "framedipaddress": f"{base}.{rng.randrange(0, 4)}.{rng.randrange(1, 255)}",
                    "framedpool": pool,
                    "acctstarttime": start.isoformat(),
                    "acctstoptime": None if online else (start + timedelta(seconds=length)).isoformat(),
                    "sessiontime": int((now - start).total_seconds()) if online else length,
                    "acctterminatecause": "" if online else rng.choice(_CAUSES),
                }
            )
    return sessions


async def handle(req: AppRequest) -> web.StreamResponse:
    state = app_state(req.sim)
    sessions: list[dict[str, Any]] = state.table("oratio", lambda: _build(req.sim))
    parts = req.parts
    if parts == ["accounting"]:
        if req.method not in ("GET", "HEAD"):
            req.not_allowed()
        online = req.query.get("online")
        items = [(k, v) for k, v in req.items if k != "online"]
        with state.lock:
            records = list(sessions)
            if online is not None:
                wanted = online.lower() in _TRUE
                records = [s for s in records if (s["acctstoptime"] is None) == wanted]
            records = [{k: v for k, v in s.items() if k != "framedpool"} for s in filter_records(items, records)]
        return await req.paginate(records, allow="GET, HEAD, OPTIONS")
    if len(parts) == 3 and parts[0] == "accounting" and parts[2] == "disconnect":
        if req.method not in ("POST", "GET"):  # one undocumented source shows GET; the client sends POST
            req.not_allowed()
        with state.lock:
            session = next((s for s in sessions if s["acctuniqueid"] == parts[1]), None)
            if session is None:
                req.not_found()
            if session["acctstoptime"] is not None:
                status, body = 400, {"detail": "The session is not online."}
            else:
                session["acctstoptime"] = datetime.now(TZ).isoformat()
                session["acctterminatecause"] = "Admin-Reset"
                status, body = 202, {"detail": f"Disconnect requested for {session['username']}"}
            state.actions.append(
                ActionCall(req.method, req.request.path, "oratio", parts[1], "disconnect", None, status)
            )
        return req.respond(body, status)
    if len(parts) == 3 and parts[0] == "pools" and parts[2] == "stats":
        if parts[1] not in _POOLS:
            req.not_found()
        network, size = _POOLS[parts[1]]
        with state.lock:
            used = sum(1 for s in sessions if s["framedpool"] == parts[1] and s["acctstoptime"] is None)
        return req.respond(
            {
                "pool_name": parts[1],
                "network": network,
                "size": size,
                "used": used,
                "free": size - used,
                "usage": round(100 * used / size, 2),
            }
        )
    req.not_found()


register_app("oratio", handle)
