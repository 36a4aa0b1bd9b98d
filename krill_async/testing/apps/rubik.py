"""``/api/v2/rubik/``: the wholesale FTTH flow as the Spanish Rubik guide documents it.

* ``addresses/`` answers ``{addresses, _meta: {clues, errors}}`` (problems with HTTP 200); address ids
  are padded with trailing spaces, and ``subaddresses`` only recognises them byte-exact.
* ``subaddresses`` answers a bare list; ``products`` only for owners with ``has_products_api``.
* ``verify/`` answers code 100 (coverage) or 302 (no coverage) in the body, always with HTTP 200.
* ``services/`` paginates with **relative** links, filters by ``owner``/``state``, ``search``es the CRM
  labels, ``sort``s; states mix the old lowercase values and TMF622 ones; ``planned`` is
  ``YYYY-MM-DD HH:MM``. Every path answers with and without its trailing slash.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .._apps import AppRequest, register_app
from .._data import TZ
from ._state import Table, app_state, require, serve_table

_PLANNED_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_STREETS = [
    ("CL", "MAYOR", "30001", "MURCIA", "MURCIA", "MURCIA", "37.9838,-1.1280"),
    ("AV", "JUAN CARLOS I", "30100", "ESPINARDO", "MURCIA", "MURCIA", "38.0092,-1.1466"),
    ("CL", "BOLIVIA", "28820", "COSLADA", "COSLADA", "MADRID", "40.4263,-3.5613"),
]
_OWNERS = {
    "onivia": {
        "diagnostic_actions": {"reboot": "Reiniciar ONT"},
        "diagnostic_tests": {"ont_status": "Estado de la ONT", "optical_power": "Potencia óptica"},
        "has_otb_change": True,
        "has_products_api": True,
        "has_tickets": True,
        "ppais": [{"id": "NO_APLICA", "label": "No aplica"}],
        "reserve_expiration": 48,
        "service_profiles": [
            {"id": "FTTH_1G", "label": "FTTH 1 Gbps", "_meta": {"products": ["ftth-residencial", "ftth-local"]}},
            {"id": "FTTH_1G_EMP", "label": "FTTH 1 Gbps Empresa", "_meta": {"products": ["ftth-empresa"]}},
        ],
    },
    "neba": {
        "diagnostic_actions": {},
        "diagnostic_tests": {"sincronismo": "Sincronismo"},
        "has_otb_change": False,
        "has_products_api": False,
        "has_tickets": True,
        "ppais": [{"id": "_BLANK_", "label": "Sin PPAI"}],
        "reserve_expiration": 24,
        "service_profiles": [{"id": "NEBA_600", "label": "NEBA FTTH 600M", "_meta": {"products": []}}],
    },
}
_OLD_STATES = ("reserved", "ordering", "ordered", "completed", "canceled", "down")
_TMF_STATES = ("Acknowledged", "InProgress", "Pending", "Held", "Completed", "Cancelled", "Failed")
_WRITABLE = frozenset(
    {
        "crm_external_id", "crm_customer_label", "crm_phone_label", "crm_contact_label", "remote_id",
        "tv_remote_id", "planned", "reason", "ppai", "service_profile",
    }
)  # fmt: skip
_NO_COVERAGE = "sin-cobertura"


def _addresses() -> list[dict[str, Any]]:
    result = []
    n = 0
    for street_type, name, post_code, locality, city, province, location in _STREETS:
        for number in range(1, 13):
            n += 1
            ident = f"{17000831539000000 + n}".ljust(24)  # real ids are padded with spaces
            result.append(
                {
                    "id": ident, "uid": ident, "streetNr": number, "streetNrSuffix": "", "streetNrLast": "",
                    "streetNrLastSuffix": "", "streetName": name, "streetType": street_type, "streetSuffix": "",
                    "postCode": post_code, "locality": locality, "city": city, "stateOrProvince": province,
                    "country": "ES", "geographicLocation": location, "type": "finca", "source": "neba",
                }
            )  # fmt: skip
    return result


def _gescal(address_id: str, level: int, door: str) -> str:
    """A Gescal-like code: internal spaces included, like the real ones."""
    return f"ES{address_id.strip()[-12:]} {level:02d}{door}  {level}"


def _product(owner: str, external_id: str) -> str:
    digest = sum(map(ord, owner + external_id))
    if digest % 4 == 0:
        return _NO_COVERAGE
    return "ftth-empresa" if digest % 4 == 1 else "ftth-residencial"


def _subaddresses(address: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for level in (1, 2, 3):
        for door in ("A", "B"):
            for owner in _OWNERS:
                result.append(
                    {
                        "owner": owner,
                        "geographicSubAddress": {
                            "subUnitType": "PISO", "subUnitNumber": f"{level:02d}", "buildingName": "",
                            "buildingNameSuffix": "", "stairCase": None, "levelNumber": f"{level:02d}",
                            "doorType": "PUERTA", "door": door,
                        },
                        "uids": [{"externalId": _gescal(address["id"], level, door), "refId": "gescal"}],
                    }
                )  # fmt: skip
    return result


def _services(seed: int, addresses: list[dict[str, Any]]) -> Table:
    rng = random.Random(f"{seed}:rubik")
    start = datetime(2023, 6, 1, 9, 0, tzinfo=TZ)
    records = []
    for n in range(1, 24):
        owner = "onivia" if n % 3 else "neba"
        states = _TMF_STATES if n > 8 else _OLD_STATES
        created = start + timedelta(days=n * 13, seconds=rng.randrange(86400), microseconds=rng.randrange(10**6))
        address = addresses[n % len(addresses)]
        planned = created + timedelta(days=7)
        records.append(
            {
                "id": n, "owner": owner, "address_uid": address["uid"],
                "remote_id": f"R{n:05d}" if n % 2 else None, "state": states[n % len(states)],
                "last_state": "initialized" if n <= 8 else "Acknowledged", "owner_state": "VAL",
                "product": "ftth-residencial", "installation_info": {}, "service_profile": "FTTH_1G",
                "ppai": "NO_APLICA" if owner == "onivia" else "_BLANK_", "tv_remote_id": None,
                "crm_phone_label": f"6{rng.randrange(10**7, 10**8)}", "crm_contact_label": None,
                "crm_external_id": f"CLI-{2000 + n}",
                "crm_customer_label": rng.choice(["Lucía García", "José Martínez", "Carmen Ruiz", "Andrés López"]),
                "administrative_id": None, "order_id": f"42:{created:%y%m%d%H%M%S}:", "reason": "",
                "planned": f"{planned:%Y-%m-%d %H:%M}" if n % 4 else None,
                "created": created.isoformat(), "updated": (created + timedelta(hours=3)).isoformat(),
            }
        )  # fmt: skip
    return Table(records)


def _tickets() -> Table:
    base = datetime(2025, 2, 3, 10, 0, tzinfo=TZ)
    records: list[dict[str, Any]] = [
        {
            "id": n, "owner": "onivia" if n % 2 else "neba", "customer": f"CLI-{2000 + n}", "address": None,
            "service": n, "state": "open" if n % 3 else "closed", "priority": 1 + n % 3, "type": "averia",
            "symptom": "Sin servicio" if n % 2 else "Cortes intermitentes", "description": "", "comments": [],
            "affected_customers": 1, "created": (base + timedelta(days=n)).isoformat(),
            "updated": (base + timedelta(days=n, hours=2)).isoformat(),
        }
        for n in range(1, 6)
    ]  # fmt: skip
    return Table(records)


class _Data:
    def __init__(self, seed: int) -> None:
        self.addresses = _addresses()
        self.by_id = {a["id"]: a for a in self.addresses}
        self.services = _services(seed, self.addresses)
        self.tickets = _tickets()


def _data(req: AppRequest) -> _Data:
    data: _Data = app_state(req.sim).table("rubik", lambda: _Data(req.sim.config.seed))
    return data


def _search(req: AppRequest, data: _Data) -> dict[str, Any]:
    query = {k: v for k, v in req.query.items() if v != ""}
    errors: list[dict[str, str]] = []
    if not {"postCode", "city", "locality"} & set(query):
        errors.append({"code": "MISSING_PARAMS", "message": "Indique postCode, city o locality"})
        found: list[dict[str, Any]] = []
    else:
        found = []
        for address in data.addresses:
            ok = True
            for name, value in query.items():
                if name == "streetName":
                    ok = value.casefold() in address["streetName"].casefold()
                elif name == "streetNr":
                    ok = value.strip() == str(address["streetNr"])
                elif name in address:
                    ok = value.casefold() == str(address[name]).casefold()
                if not ok:
                    break
            if ok:
                found.append(address)
        if not found:
            errors.append({"code": "NOT_FOUND", "message": "No se han encontrado direcciones"})

    def clue(name: str) -> list[str]:
        return sorted({str(a[name]) for a in found})

    clues = {
        "postcode": clue("postCode"), "locality": clue("locality"), "city": clue("city"),
        "stateOrProvince": clue("stateOrProvince"), "streetType": clue("streetType"),
        "streetName": clue("streetName"), "streetNr": clue("streetNr"),
    }  # fmt: skip
    return {"addresses": found, "_meta": {"clues": clues, "errors": errors}}


def _validate_service(
    req: AppRequest, body: dict[str, Any], partial: bool, instance: dict[str, Any] | None
) -> dict[str, Any]:
    planned = body.get("planned")
    if planned is not None and not (isinstance(planned, str) and _PLANNED_RE.fullmatch(planned)):
        req.fail(400, {"planned": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DD hh:mm."]})
    if instance is not None:
        return {k: v for k, v in body.items() if k in _WRITABLE}
    require(req, body, ("owner", "service_profile", "crm_external_id"), partial)
    owner = body["owner"]
    if owner not in _OWNERS:
        req.fail(400, {"owner": [f'"{owner}" is not a valid choice.']})
    uids = body.get("uids") or []
    address = body.get("address") or {}
    address_uid = body.get("address_uid") or address.get("uid")
    if not address_uid or (not body.get("product") and not uids):
        req.fail(400, {"non_field_errors": ["Give address_uid and product, or uids and address."]})
    if address_uid not in _data(req).by_id:
        req.fail(400, {"address_uid": ["Dirección no encontrada."]})
    now = datetime.now(TZ)
    product = body.get("product") or (uids[0].get("product") if isinstance(uids[0], dict) else None)
    return {
        "owner": owner, "address_uid": address_uid, "remote_id": body.get("remote_id"), "state": "InProgress",
        "last_state": "Acknowledged", "owner_state": "VAL", "product": product, "installation_info": {},
        "service_profile": body["service_profile"], "ppai": body.get("ppai") or "NO_APLICA",
        "tv_remote_id": body.get("tv_remote_id"), "crm_phone_label": body.get("crm_phone_label", ""),
        "crm_contact_label": body.get("crm_contact_label"), "crm_external_id": body["crm_external_id"],
        "crm_customer_label": body.get("crm_customer_label", ""), "administrative_id": None,
        "order_id": f"42:{now:%y%m%d%H%M%S}:", "reason": body.get("reason", ""), "planned": planned,
        "created": now.isoformat(), "updated": now.isoformat(),
    }  # fmt: skip


async def handle(req: AppRequest) -> web.StreamResponse:
    parts = req.parts
    data = _data(req)
    state = app_state(req.sim)
    method = req.method
    if parts == ["owner-settings"]:
        if method not in ("GET", "HEAD"):
            req.not_allowed()
        return req.respond(_OWNERS)
    if parts == ["addresses"]:
        if method not in ("GET", "HEAD"):
            req.not_allowed()
        return req.respond(_search(req, data))
    if parts in (["subaddresses"], ["products"], ["verify"]):
        if method != "POST":
            req.not_allowed()
        body = await req.body()
        if parts == ["subaddresses"]:
            address = data.by_id.get(body.get("id"))  # byte-exact: a trimmed id is another id
            if address is None:
                req.fail(400, {"id": ["Dirección no encontrada."]})
            return req.respond(_subaddresses(address))
        owner = body.get("owner")
        if owner not in _OWNERS:
            req.fail(400, {"owner": ["This field is required."] if owner is None else [f'"{owner}" no existe.']})
        uids = body.get("uids")
        if not isinstance(uids, list) or not uids:
            req.fail(400, {"uids": ["This field is required."]})
        if parts == ["products"]:
            if not _OWNERS[owner]["has_products_api"]:
                req.fail(400, {"detail": f"{owner} no ofrece API de productos."})
            priced = [
                {
                    "externalId": uid.get("externalId"), "refId": uid.get("refId"),
                    "product": _product(owner, str(uid.get("externalId"))),
                    "_meta": {"lagl": "LAGL-0001", "overload": False, "extension_datetime": None,
                              "extension_description": None},
                }
                for uid in uids
            ]  # fmt: skip
            return req.respond({"owner": owner, "uids": priced})
        uncovered = [u for u in uids if _product(owner, str(u.get("externalId"))) == _NO_COVERAGE]
        if uncovered:
            return req.respond(
                {"code": 302, "message": "SIN COBERTURA", "description": "La vivienda no tiene cobertura.", "_meta": []}
            )
        return req.respond(
            {"code": 100, "message": "OK", "description": "Cobertura disponible.", "_meta": [{"owner": owner}]}
        )
    if parts and parts[0] in ("services", "tickets") and len(parts) <= 2:
        table = data.services if parts[0] == "services" else data.tickets
        validate = _validate_service if parts[0] == "services" else None
        search = ("crm_customer_label", "crm_external_id", "crm_phone_label", "address_uid", "symptom")
        return await serve_table(
            req, table, parts[1] if len(parts) == 2 else None, lock=state.lock, validate=validate, search=search,
            relative_links=True,
        )  # fmt: skip
    req.not_found()


register_app("rubik", handle)
