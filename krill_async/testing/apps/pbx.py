"""``/api/v2/pbx/``: virtual PBXs of some customers, with receptionists, groups, queues, DDIs, schedules and
holidays; flat collections plus the nested ``customers/{c}/pbxs/{p}/<objects>`` reading form.

Holidays are validated like Krill since 2023-10: ``day`` is ``DD/MM`` or ``$easter$``, and a day is not
repeated within a realm.
"""

from __future__ import annotations

import random
import re
from datetime import date
from typing import Any

from aiohttp import web

from .._apps import AppRequest, register_app
from ._state import Table, app_state, filter_records, require, serve_table

_DAY_RE = re.compile(r"(\d{2})/(\d{2})")
_EASTER = "$easter$"
_NESTED = {"ddis", "queues", "groups", "recepcionists"}
_NATIONAL = [
    ("01/01", "Año Nuevo"),
    ("06/01", "Reyes"),
    (_EASTER, "Semana Santa"),
    ("01/05", "Día del Trabajo"),
    ("15/08", "Asunción"),
    ("12/10", "Fiesta Nacional"),
    ("08/12", "Inmaculada"),
    ("25/12", "Navidad"),
]


def _build(sim: Any) -> dict[str, Table]:
    rng = random.Random(f"{sim.config.seed}:pbx")
    customers = sorted(sim.network.customers)
    owners = customers[:: max(1, len(customers) // 6)][:6]
    tables: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("pbxs", "recepcionists", "groups", "queues", "ddis", "schedules", "holidays")
    }
    for n, (day, comment) in enumerate(_NATIONAL, start=1):
        tables["holidays"].append({"id": n, "day": day, "comment": comment, "realm": "pim"})
    tables["schedules"].append(
        {
            "id": 1,
            "name": "Oficina",
            "items": [
                {
                    "active": True,
                    "weekday_from": 1,
                    "weekday_to": 5,
                    "morning_from": "09:00",
                    "morning_to": "14:00",
                    "evening_from": "16:00",
                    "evening_to": "19:00",
                }
            ],
        }
    )
    for pid, customer in enumerate(owners, start=1):
        ddis = [f"9{rng.randrange(10**7, 10**8)}" for _ in range(1 + pid % 3)]
        tables["pbxs"].append(
            {
                "id": pid,
                "customer": customer,
                "ddis": ddis,
                "items": [],
                "default_context": f"ctx-{pid}",
                "language": "es",
                "out_ddi": ddis[0],
                "ring_time": 20,
                "schedule": 1,
                "holidays": [1, 2, 3],
                "comment": "",
            }
        )
        for ddi in ddis:
            tables["ddis"].append({"id": len(tables["ddis"]) + 1, "pbx": pid, "customer": customer, "ddi": ddi})
        group = {
            "id": pid,
            "pbx": pid,
            "name": f"Ventas {pid}",
            "cli": ddis[0],
            "extensions": ["100", "101", "102"],
            "fail": None,
            "out_of_schedule": None,
            "schedule": 1,
            "holiday": None,
        }
        tables["groups"].append(group)
        tables["queues"].append(
            {
                **group,
                "name": f"Soporte {pid}",
                "wrapup_time": 5,
                "max_users": 10,
                "user_timeout": 30,
                "agent_timeout": 15,
                "announce": None,
                "announce_frequency": 0,
                "record": False,
                "periodic_announce_frequency": 60,
            }
        )
        tables["recepcionists"].append(
            {
                "id": pid,
                "pbx": pid,
                "name": f"Bienvenida {pid}",
                "record": False,
                "schedule": 1,
                "holidays": [1],
                "fail": None,
                "out_of_schedule": None,
                "options": [
                    {"name": "Ventas", "dial": "1", "jump": f"group:{pid}", "decoded_jump": f"Grupo Ventas {pid}"},
                    {"name": "Soporte", "dial": "2", "jump": f"queue:{pid}", "decoded_jump": f"Cola Soporte {pid}"},
                ],
            }
        )
    return {name: Table(records) for name, records in tables.items()}


def _validate_holiday(
    req: AppRequest, data: dict[str, Any], partial: bool, instance: dict[str, Any] | None
) -> dict[str, Any]:
    require(req, data, ("day",), partial)
    clean: dict[str, Any] = {k: data[k] for k in ("day", "comment", "realm") if k in data}
    day = clean.get("day")
    if day is not None:
        match = _DAY_RE.fullmatch(str(day))
        valid = day == _EASTER
        if match:
            try:
                date(2000, int(match.group(2)), int(match.group(1)))
                valid = True
            except ValueError:
                valid = False
        if not valid:
            req.fail(400, {"day": ["Invalid format. Use DD/MM or $easter$."]})
        realm = clean.get("realm", instance["realm"] if instance else "pim")
        holidays = _tables(req)["holidays"]
        own = instance["id"] if instance else None
        if any(h["day"] == day and h["realm"] == realm and h["id"] != own for h in holidays.values()):
            req.fail(400, {"non_field_errors": ["The fields day, realm must make a unique set."]})
        clean.setdefault("realm", realm)
    return clean


def _tables(req: AppRequest) -> dict[str, Table]:
    tables: dict[str, Table] = app_state(req.sim).table("pbx", lambda: _build(req.sim))
    return tables


async def handle(req: AppRequest) -> web.StreamResponse:
    parts = req.parts
    tables = _tables(req)
    lock = app_state(req.sim).lock
    if parts and parts[0] in tables and len(parts) <= 2:
        validate = _validate_holiday if parts[0] == "holidays" else None
        return await serve_table(
            req,
            tables[parts[0]],
            parts[1] if len(parts) == 2 else None,
            lock=lock,
            validate=validate,
            search=("name", "comment", "ddi"),
        )
    if len(parts) == 5 and parts[0] == "customers" and parts[2] == "pbxs" and parts[4] in _NESTED:
        if req.method not in ("GET", "HEAD"):
            req.not_allowed()
        with lock:
            pbx = tables["pbxs"].get(parts[3])
            if pbx is None or str(pbx["customer"]) != parts[1]:
                req.not_found()
            records = [r for r in tables[parts[4]].values() if r["pbx"] == pbx["id"]]
            records = filter_records(req.items, records)
        return await req.paginate(records)
    req.not_found()


register_app("pbx", handle)
