"""Record factories of the simulated CRM: realistic, seeded customers, CPEs and POTS lines.

Values follow the vendor's samples (models, serial prefixes, ``_links``, ``_services`` per technology); the
generators avoid ``random.choice``/``randint`` overhead because 50,000 CPEs must be generated in about a second.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import msgspec

__all__ = ["FIELDS", "TZ", "V1_CPE_EXCLUDED", "Record", "cpe_links", "now_iso"]

Record = dict[str, Any]
_T = TypeVar("_T")

TZ = timezone(timedelta(hours=1))
"""Every timestamp uses ``+01:00`` like the vendor samples."""

V1_CPE_EXCLUDED = frozenset({"_links", "_services", "avatar", "is_router", "tr069"})
"""Keys that API v1 CPE records do not have (facts §1.2)."""

_ENCODER = msgspec.json.Encoder(order="sorted")


_ACTIONS = {
    "diagnostic": "cwmp_diagnostic",
    "factory": "factory",
    "reboot": "reboot",
    "reconfig": "reconfig",
    "reprovision": "reprovision",
    "unprovision": "unprovision",
}
_LINKS = {
    "cdrs": "events?type=cdr",
    "customer": "customer",
    "cwmp_info": "cwmp_info",
    "events": "events",
    "info": "info",
    "links": "links",
    "livestatus": "livestatus",
    "logs": "logs",
    "model": "model",
    "potses": "potses",
    "profile": "profile",
}
_SERVICES = {
    "gpon": ["provision", "txrx", "dhcp", "tr069"],
    "docsis": ["docsis", "dhcp", "downstream", "provision", "qos", "tr069", "upstream"],
    "ghn": ["dhcp", "pppoe", "qos", "setup", "tr069"],
    "wimax": ["dhcp", "info", "downstream", "pppoe", "qos", "radio", "setup", "tr069", "upstream"],
    "ethernet": ["dhcp", "provision"],
}
_MODELS = {
    "gpon": [
        ("HG8245H", "HG4201", "48575443"),
        ("HS8145V", "HS8145V", "48575443"),
        ("EG8145V5", "EG8145V5", "48575443"),
        ("HG8546M", "HG8546M", "48575443"),
        ("G-0425G-C", "G-0425G-C", "414c434c"),
        ("HG6144F", "HG6144F", "46485454"),
        ("HG6143D", "HG6143D", "46485454"),
    ],
    "docsis": [("TC7200", "TC7200", "54433732"), ("CGA4233", "CGA4233", "43474134")],
    "ghn": [("GN-4", "GN-4", "474e3400")],
    "wimax": [("WIXS-177", "WIXS-177", "57495853")],
    "ethernet": [("GENERIC", "generic", "45544830")],
}
_AVATARS = {model: avatar for models in _MODELS.values() for model, avatar, _ in models}
_FIRST_NAMES = [
    "Incredulo", "Lucía", "José", "María", "Begoña", "Antonio", "Carmen", "Íñigo", "Pilar", "Andrés",
    "Nuria", "Ramón", "Elena", "Joaquín", "Rocío", "Sergio", "Ana", "Francisco", "Marta", "Jesús",
]  # fmt: skip
_SURNAMES = [
    "Trotamundos", "García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez",
    "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez",
]  # fmt: skip
_STREETS = [
    "Calle Bolivia", "Avenida de la Constitución", "Calle Mayor", "Plaza de España", "Calle del Carmen",
    "Camino Viejo", "Calle San Antonio", "Avenida Juan Carlos I", "Calle Real", "Ronda Norte",
]  # fmt: skip
_CITIES = [
    ("Coslada, Madrid", "Coslada", "28820", 40.426, -3.561),
    ("Murcia", "Murcia", "30001", 37.992, -1.130),
    ("Cartagena, Murcia", "Cartagena", "30201", 37.605, -0.986),
    ("Lorca, Murcia", "Lorca", "30800", 37.677, -1.701),
    ("Molina de Segura", "Molina de Segura", "30500", 38.054, -1.207),
    ("Alcantarilla", "Alcantarilla", "30820", 37.969, -1.217),
]
_START = datetime(2019, 1, 7, 9, 0, 0, tzinfo=TZ)
_START_EPOCH = _START.timestamp()
_SPAN = 6.4 * 365 * 86400.0


def now_iso() -> str:
    """Current time formatted like Django (``+01:00``, microseconds kept)."""
    return datetime.now(TZ).isoformat()


def _iso(ts: float, rng: random.Random) -> str:
    stamp = _START_EPOCH + ts
    if rng.random() < 0.5:
        stamp = float(int(stamp))
    return datetime.fromtimestamp(stamp, TZ).isoformat()


def _pick(rng: random.Random, seq: Sequence[_T]) -> _T:
    """``rng.choice`` without its overhead (generation of 50,000 CPEs must take ~1 s)."""
    return seq[int(rng.random() * len(seq))]


def _int(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint`` without its overhead."""
    return low + int(rng.random() * (high - low + 1))


def _secret(rng: random.Random, n: int) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(n)).decode("ascii")[:n]


def _decimal(value: float) -> str:
    return f"{value:.7f}"


def cpe_links(cpe_id: int, layout: str = "vendor") -> dict[str, dict[str, str]]:
    """``_links`` exactly as the real samples: ``/api/v2/cpes/{id}/...`` (the overview and 2025 data, layout
    ``vendor``) or ``/api/v2/isp/cpes/{id}/...`` (the 2023-02 Postman sample, layout ``isp``)."""
    base = f"/api/v2/isp/cpes/{cpe_id}/" if layout == "isp" else f"/api/v2/cpes/{cpe_id}/"
    return {
        "actions": {name: base + seg for name, seg in _ACTIONS.items()},
        "links": {name: base + seg for name, seg in _LINKS.items()},
    }


def _services(tech: str, has_tr069: bool, pppoe: bool, voice_lines: int) -> list[str]:
    services = list(_SERVICES.get(tech, ["dhcp"]))
    if not has_tr069 and "tr069" in services:
        services.remove("tr069")
    if pppoe and tech == "gpon":
        services.append("pppoe")
    services.extend(f"voice{i}" for i in range(1, voice_lines + 1))
    return services


# ---------------------------------------------------------------------- record factories
def _random_customer(rng: random.Random, rid: int, ts: float) -> Record:
    city, _locality, _postal, _lat, _lon = _pick(rng, _CITIES)
    address = ""
    if rng.random() < 0.85:
        address = f"{_pick(rng, _STREETS)} nº {_int(rng, 1, 120)}"
        if rng.random() < 0.5:
            address += f" {_int(rng, 1, 9)}º{_pick(rng, 'ABCD')}"
    created = _iso(ts, rng)
    updated = created if rng.random() < 0.6 else _iso(ts + rng.uniform(0, 4e7), rng)
    surname = _pick(rng, _SURNAMES)
    if rng.random() < 0.7:
        surname += " " + _pick(rng, _SURNAMES)
    return {
        "address": address,
        "city": city if address else "",
        "comment": "" if rng.random() < 0.9 else "Cliente preferente",
        "country": "Spain",
        "created": created,
        "external_id": str(10000 + rid * 7 + _int(rng, 0, 6)) if rng.random() < 0.4 else None,
        "id": rid,
        "latitude": None,
        "longitude": None,
        "name": _pick(rng, _FIRST_NAMES),
        "postalcode": None,
        "realm": "pim" if rng.random() < 0.9 else "cpe",
        "surname": surname,
        "updated": updated,
    }


def _pick_tech(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.88:
        return "gpon"
    if r < 0.94:
        return "docsis"
    if r < 0.97:
        return "ghn"
    if r < 0.99:
        return "wimax"
    return "ethernet"


def _random_cpe(rng: random.Random, rid: int, customer: Record, ts: float, n_lines: int, used_sn: set[str]) -> Record:
    realm = str(customer["realm"])
    cpename = f"{realm}{rid:04d}"
    tech = _pick_tech(rng)
    model, _avatar, sn_prefix = _pick(rng, _MODELS[tech])
    sn = sn_prefix + f"{rng.getrandbits(32):08x}"
    while sn in used_sn:
        sn = sn_prefix + f"{rng.getrandbits(32):08x}"
    used_sn.add(sn)
    city, locality, postal, lat, lon = _pick(rng, _CITIES)
    located = rng.random() < 0.6
    has_address = rng.random() < 0.7
    address_profile = _pick(rng, [None, None, "nat", "nat", "public", "fixed", ""])
    pppoe = rng.random() < 0.3
    wifi = rng.random() < 0.6
    has_tr069 = rng.random() < 0.9
    bridge = rng.random() < 0.1
    created = _iso(ts, rng)
    updated = created if rng.random() < 0.5 else _iso(ts + rng.uniform(0, 3e7), rng)
    topo = rng.random()
    topology = "" if topo < 0.5 else f"NAP-{_int(rng, 1, 400):04d}" if topo < 0.75 else _uuid(rng)
    mac = ":".join(f"{rng.getrandbits(8):02x}" for _ in range(6)) if rng.random() < 0.4 else None
    rec: Record = {
        "access": rng.random() < 0.93,
        "active": rng.random() < 0.96,
        "address": f"{_pick(rng, _STREETS)} {_int(rng, 1, 120)}" if has_address else "",
        "address_profile": address_profile,
        "bridge": bridge,
        "city": city if has_address else "",
        "country": "Spain" if has_address else None,
        "cpename": cpename,
        "created": created,
        "customer": customer["id"],
        "disable_provision": rng.random() < 0.03,
        "disable_reconfig": rng.random() < 0.05,
        "dsn": None,
        "enable_notifications": rng.random() < 0.2,
        "expiration_date": (
            (_START + timedelta(days=_int(rng, 700, 2900))).date().isoformat() if rng.random() < 0.1 else None
        ),
        "external_id": f"FTTH-{rid:06d}" if rng.random() < 0.3 else None,
        "external_voip": rng.random() < 0.05,
        "fixed_address": (f"100.64.{_int(rng, 0, 255)}.{_int(rng, 1, 254)}" if address_profile == "fixed" else None),
        "has_tr069": has_tr069,
        "id": rid,
        "internal_id": cpename,
        "is_bitstream": rng.random() < 0.04,
        "lan_cidr": "192.168.1.0/24" if rng.random() < 0.15 else None,
        "latitude": _decimal(lat + rng.uniform(-0.05, 0.05)) if located else None,
        "line_profile": "residential" if rng.random() < 0.6 else None,
        "locality": locality if has_address else "",
        "longitude": _decimal(lon + rng.uniform(-0.05, 0.05)) if located else None,
        "mac": mac,
        "me_vlan": None,
        "model": model,
        "mtamac": mac if tech == "docsis" else None,
        "notes": "" if rng.random() < 0.9 else "Instalación en ático; llamar antes de ir",
        "postalcode": postal if has_address and rng.random() < 0.7 else None,
        "pppoe_password": _secret(rng, 12) if pppoe else "",
        "pppoe_username": f"{cpename}@{realm}.isp" if pppoe else None,
        "probe": rng.random() < 0.01,
        "profile": _int(rng, 1, 12),
        "realm": realm,
        "remote_id": None,
        "sn": sn,
        "tech": tech,
        "tech_updated": _iso(ts + rng.uniform(0, 2e7), rng) if rng.random() < 0.3 else None,
        "topology": topology,
        "tv_profile": "basic" if rng.random() < 0.1 else None,
        "updated": updated,
        "voip_profile": "sip" if n_lines else None,
        "wanmac": None,
        "wifi_password": _secret(rng, 10) if wifi else "",
        "wifi_profile": None,
        "wifi_ssid": f"KRILL_{rng.getrandbits(16):04X}" if wifi else "",
    }
    rec["_services"] = _services(tech, has_tr069, pppoe, n_lines)
    rec["_links"] = cpe_links(rid)
    rec["avatar"] = _AVATARS[model]
    rec["is_router"] = not bridge
    rec["tr069"] = has_tr069
    return dict(sorted(rec.items()))


def _blank_cpe(rid: int, customer: Record, stamp: str) -> Record:
    realm = str(customer["realm"])
    cpename = f"{realm}{rid:04d}"
    rec: Record = {
        "access": True, "active": True, "address": "", "address_profile": None, "bridge": False,
        "city": "", "country": None, "cpename": cpename, "created": stamp, "customer": customer["id"],
        "disable_provision": False, "disable_reconfig": False, "dsn": None, "enable_notifications": False,
        "expiration_date": None, "external_id": None, "external_voip": False, "fixed_address": None,
        "has_tr069": True, "id": rid, "internal_id": cpename, "is_bitstream": False, "lan_cidr": None,
        "latitude": None, "line_profile": None, "locality": "", "longitude": None, "mac": None,
        "me_vlan": None, "model": "", "mtamac": None, "notes": "", "postalcode": None,
        "pppoe_password": "", "pppoe_username": None, "probe": False, "profile": 1, "realm": realm,
        "remote_id": None, "sn": "", "tech": "gpon", "tech_updated": None, "topology": "",
        "tv_profile": None, "updated": stamp, "voip_profile": None, "wanmac": None,
        "wifi_password": "", "wifi_profile": None, "wifi_ssid": "",
    }  # fmt: skip
    return rec


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _random_pots(rng: random.Random, rid: int, cpe: Record, order: int, used_cli: set[str]) -> Record:
    cli: str | None = None
    if rng.random() < 0.7:
        cli = f"{_pick(rng, '89')}{_int(rng, 10**7, 10**8 - 1)}"
        while cli in used_cli:
            cli = f"{_pick(rng, '89')}{_int(rng, 10**7, 10**8 - 1)}"
        used_cli.add(cli)
    sip = cli is not None and rng.random() < 0.5
    voicemail = rng.random() < 0.2
    has_context = rng.random() < 0.3
    return {
        "billing_profile": None,
        "cli": cli,
        "context": _int(rng, 1, 20) if has_context else None,
        "contextname": f"ctx-{cpe['realm']}" if has_context else None,
        "cpe": cpe["id"],
        "custom_digitmap": None,
        "dtmf": "auto",
        "id": rid,
        "label": f"Línea {order}" if rng.random() < 0.3 else None,
        "language": "es" if rng.random() < 0.3 else None,
        "lineid": f"{cpe['cpename']}-{order}",
        "order": order,
        "password": _secret(rng, 14) if sip else None,
        "pbx_extension": rng.random() < 0.05,
        "username": cli if sip else None,
        "voicemail": voicemail,
        "voicemail_password": f"{_int(rng, 0, 9999):04d}" if voicemail else None,
    }


_CPE_KEYS = frozenset(_random_cpe(random.Random(0), 1, {"realm": "pim", "id": 1}, 0.0, 0, set()))
_CUSTOMER_KEYS = frozenset(_random_customer(random.Random(0), 1, 0.0))
_POTS_KEYS = frozenset(_random_pots(random.Random(0), 1, {"realm": "pim", "id": 1, "cpename": "x"}, 1, set()))
FIELDS: dict[str, frozenset[str]] = {"cpes": _CPE_KEYS, "customers": _CUSTOMER_KEYS, "potses": _POTS_KEYS}
"""Every key of a full (v2) record, per resource: the filterable and projectable fields."""
