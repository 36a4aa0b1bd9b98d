"""CPE actions and related resources, under both prefixes real deployments use, plus ``isp/cpe-profiles``.

``/api/v2/cpes/{id}/<action|link>`` (the ``_links`` of the 2023 docs and of 2025 real data) and
``/api/v2/isp/cpes/{id}/<action|link>`` (the 2023 Postman sample) are served alike. Actions answer 202
with a message and are logged in `app_state()` ``(sim).actions`` (refused ones too), so tests can
assert that nothing was done twice. Refusals follow the CPE's flags: ``disable_provision`` refuses
provisioning actions, ``disable_reconfig`` a reconfig, TR-069 actions need ``has_tr069``; tests can force
any answer with ``app_state(sim).action_failures[cpe_id] = (status, body)``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .._apps import AppRequest, register_app
from .._data import TZ
from ._monitoring_views import cpe_info
from ._state import ActionCall, Table, app_state, serve_table
from .monitoring import monitoring_data

_ACTIONS = {
    "reboot": "reboot",
    "factory": "factory",
    "reconfig": "reconfig",
    "reprovision": "reprovision",
    "unprovision": "unprovision",
    "cwmp_diagnostic": "diagnostic",
}
_MESSAGES = {
    "reboot": "Reboot requested for {name}",
    "factory": "Factory reset requested for {name}",
    "reconfig": "Reconfiguration flag set for {name}; applied in the next ACS session",
    "reprovision": "{name} reprovisioned on the OLT",
    "unprovision": "{name} unprovisioned from the OLT",
    "diagnostic": "Diagnostic requested for {name}",
}
_PROVISIONING = frozenset({"reprovision", "unprovision"})
_TR069 = frozenset({"reconfig", "diagnostic"})
_LINKS = frozenset(
    {"customer", "potses", "profile", "model", "events", "logs", "livestatus", "links", "info", "cwmp_info"}
)
_EVENT_TYPES = ("cwmp", "cdr", "dhcp", "iplease6", "iplease6pd")
_SPEEDS = ["10M", "30M", "50M", "100M", "300M", "400M", "600M", "1G"]


def _profiles(seed: int) -> Table:
    rng = random.Random(f"{seed}:cpe-profiles")
    records = []
    for pid in range(1, 13):
        down = _SPEEDS[pid % len(_SPEEDS)]
        records.append(
            {
                "id": pid,
                "tech": "gpon" if pid <= 9 else "docsis",
                "name": f"{down.replace('M', ' MB').replace('1G', '1 GB')}",
                "label": f"FTTH {down}" if pid <= 9 else f"HFC {down}",
                "internet_access": pid != 12,
                "downstream_profile": down,
                "upstream_profile": down if rng.random() < 0.6 else _SPEEDS[max(0, pid % len(_SPEEDS) - 2)],
                "updated": (datetime(2023, 1, 10, 9, 0, tzinfo=TZ) + timedelta(days=pid * 11)).isoformat(),
                "cpes_count": 0,
            }
        )
    return Table(records)


def _profile_table(req: AppRequest) -> Table:
    """The profiles, with ``cpes_count`` as of now."""
    state = app_state(req.sim)
    table: Table = state.table("cpe-profiles", lambda: _profiles(req.sim.config.seed))
    with state.lock:
        counts: dict[int, int] = {}
        for cpe in req.sim.network.cpes.values():
            counts[cpe["profile"]] = counts.get(cpe["profile"], 0) + 1
        for profile in table.values():
            profile["cpes_count"] = counts.get(profile["id"], 0)
    return table


def _events(cpe: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:events:{cpe['id']}")
    start = datetime(2025, 1, 1, tzinfo=TZ)
    events = []
    for n in range(1, 26):
        kind = _EVENT_TYPES[int(rng.random() * len(_EVENT_TYPES))]
        at = start + timedelta(minutes=int(rng.random() * 200_000))
        event: dict[str, Any] = {
            "id": cpe["id"] * 100 + n,
            "type": kind,
            "host_name": cpe["internal_id"],
            "start_time": at.isoformat(),
        }
        if kind == "cdr":
            event.update(
                source=f"9{int(rng.random() * 10**8):08d}",
                destination=f"6{int(rng.random() * 10**8):08d}",
                duration=int(rng.random() * 900),
                disposition="ANSWERED" if rng.random() < 0.8 else "NO ANSWER",
            )
        else:
            event["message"] = {"cwmp": "0 BOOTSTRAP, 1 BOOT", "dhcp": "DHCPACK"}.get(kind, "lease renewed")
        events.append(event)
    return events


def _record(req: AppRequest, key: str) -> dict[str, Any]:
    cpe = req.sim.network.find_cpe(key)
    if cpe is None:
        req.not_found()
    return cpe


async def _action(req: AppRequest, cpe: dict[str, Any], segment: str) -> web.StreamResponse:
    if req.method != "POST":
        req.not_allowed()
    action = _ACTIONS[segment]
    raw = await req.request.read()
    body = await req.json_body() if raw.strip() else None
    state = app_state(req.sim)
    name = cpe["cpename"]
    status, answer = 202, {"message": _MESSAGES[action].format(name=name)}
    forced = state.action_failures.get(cpe["id"])
    if forced is not None:
        status, answer = forced
    elif cpe["disable_provision"] and action in _PROVISIONING:
        status, answer = 400, {"detail": f"{name} has 'No reprovision' set: Krill does not act on it."}
    elif action == "reconfig" and cpe["disable_reconfig"]:
        status, answer = 400, {"detail": f"{name} has configuration changes via TR-069 disabled."}
    elif action in _TR069 and not cpe["has_tr069"]:
        status, answer = 400, {"detail": f"{name} is not managed by TR-069."}
    with state.lock:
        state.actions.append(ActionCall(req.method, req.request.path, "cpes", cpe["id"], action, body, status))
    return req.respond(answer, status)


async def _link(req: AppRequest, cpe: dict[str, Any], name: str) -> web.StreamResponse:
    if req.method not in ("GET", "HEAD"):
        req.not_allowed()
    sim = req.sim
    seed = sim.config.seed
    if name == "customer":
        customer = sim.network.customers.get(cpe["customer"])
        if customer is None:
            req.not_found()
        return req.respond(customer)
    if name == "potses":
        return req.respond([{k: v for k, v in p.items() if k != "cpe"} for p in sim.network.potses_of(cpe["id"])])
    if name == "profile":
        profile = _profile_table(req).get(str(cpe["profile"]))
        if profile is None:
            req.not_found()
        return req.respond(profile)
    if name == "model":
        return req.respond({"name": cpe["model"], "tech": cpe["tech"], "avatar": cpe.get("avatar")})
    if name == "events":
        events = _events(cpe, seed)
        kind = req.query.get("type")
        if kind:
            events = [e for e in events if e["type"] == kind]
        order = req.query.get("sort", "")
        if order.lstrip("-") == "start_time":
            events.sort(key=lambda e: e["start_time"], reverse=order.startswith("-"))
        return await req.paginate(events)
    if name == "logs":
        base = datetime(2025, 2, 1, tzinfo=TZ)
        logs = [
            {
                "id": n,
                "date": (base + timedelta(hours=n * 7)).isoformat(),
                "level": "info",
                "text": f"provision step {n}",
            }
            for n in range(1, 8)
        ]
        return await req.paginate(logs)
    online = cpe["active"] and cpe["access"]
    if name == "livestatus":
        return req.respond(
            {"state": "up" if online else "down", "state_id": 0 if online else 1, "services": cpe["_services"]}
        )
    if name == "links":
        return req.respond({"topology": cpe["topology"], "parents": [], "children": []})
    if name == "info":  # the CPE's own link to its live info: monitoring's /monitoring/cpes/{id}/info
        data = monitoring_data(sim)
        f = data.by_cpe.get(cpe["id"])
        if f is None:
            req.not_found()
        return req.respond(cpe_info(data, f))
    if not cpe["has_tr069"]:
        req.fail(404, {"detail": "Not found."})
    return req.respond(
        {"last_inform": "2025-01-20T10:00:00+01:00", "software_version": "V5R020C10S115", "parameters": {}}
    )


async def _cpe_subresource(req: AppRequest, parts: list[str]) -> web.StreamResponse:
    """``{id}/<action|link>`` below either CPE prefix."""
    if len(parts) != 2:
        req.not_found()
    cpe = _record(req, parts[0])
    if parts[1] in _ACTIONS:
        return await _action(req, cpe, parts[1])
    if parts[1] in _LINKS:
        return await _link(req, cpe, parts[1])
    req.not_found()


async def handle_cpes(req: AppRequest) -> web.StreamResponse:
    return await _cpe_subresource(req, req.parts)


async def handle_isp(req: AppRequest) -> web.StreamResponse:
    """What the built-in ``isp`` routes leave: CPE sub-resources and ``cpe-profiles``."""
    parts = req.parts
    if parts and parts[0] == "cpes" and len(parts) == 3:
        return await _cpe_subresource(req, parts[1:])
    if parts and parts[0] == "cpe-profiles" and len(parts) <= 2:
        table = _profile_table(req)
        return await serve_table(req, table, parts[1] if len(parts) == 2 else None, lock=app_state(req.sim).lock)
    req.not_found()


register_app("cpes", handle_cpes)
register_app("isp", handle_isp)
