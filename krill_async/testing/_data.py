"""Deterministic fake Krill ISP network: customers, CPEs and POTS lines.

Records are plain dicts holding exactly the fields documented for the real API (facts §7.1-7.3),
with realistic values taken from the vendor samples. Each full record is encoded once with
msgspec and cached, so the server can assemble a 1000-record page by joining bytes instead of
re-serialising dicts (the benchmark serves 50,000 CPEs; the simulator must not be the bottleneck).
"""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeVar

import msgspec

__all__ = [
    "CPE_SCHEMA",
    "CUSTOMER_SCHEMA",
    "FIELDS",
    "POTS_SCHEMA",
    "V1_CPE_EXCLUDED",
    "FieldSpec",
    "Network",
    "Record",
    "ResourceName",
    "now_iso",
]

Record = dict[str, Any]
_T = TypeVar("_T")
ResourceName = Literal["cpes", "customers", "potses"]
FieldKind = Literal["str", "int", "bool", "decimal", "date", "customer", "any"]

TZ = timezone(timedelta(hours=1))
"""Every timestamp uses ``+01:00`` like the vendor samples."""

V1_CPE_EXCLUDED = frozenset({"_links", "_services", "avatar", "is_router", "tr069"})
"""Keys that API v1 CPE records do not have (facts §1.2)."""

_ENCODER = msgspec.json.Encoder(order="sorted")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Validation rule of a writable field, mirroring the DRF serializer field."""

    kind: FieldKind
    nullable: bool = False
    allow_blank: bool = True
    required: bool = False


def _s(nullable: bool = False) -> FieldSpec:
    return FieldSpec("str", nullable=nullable)


def _b() -> FieldSpec:
    return FieldSpec("bool")


CPE_SCHEMA: dict[str, FieldSpec] = {
    "access": _b(),
    "active": _b(),
    "address": _s(),
    "address_profile": _s(True),
    "bridge": _b(),
    "city": _s(),
    "country": _s(True),
    "customer": FieldSpec("customer", required=True),
    "disable_provision": _b(),
    "disable_reconfig": _b(),
    "dsn": _s(True),
    "enable_notifications": _b(),
    "expiration_date": FieldSpec("date", nullable=True),
    "external_id": _s(True),
    "external_voip": _b(),
    "fixed_address": _s(True),
    "has_tr069": _b(),
    "is_bitstream": _b(),
    "lan_cidr": _s(True),
    "latitude": FieldSpec("decimal", nullable=True),
    "line_profile": _s(True),
    "locality": _s(),
    "longitude": FieldSpec("decimal", nullable=True),
    "mac": _s(True),
    "me_vlan": FieldSpec("int", nullable=True),
    "model": _s(),
    "mtamac": _s(True),
    "notes": _s(),
    "postalcode": _s(True),
    "pppoe_password": _s(),
    "pppoe_username": _s(True),
    "probe": _b(),
    "profile": FieldSpec("int"),
    "realm": FieldSpec("str", allow_blank=False),
    "remote_id": _s(True),
    "sn": FieldSpec("str", allow_blank=False, required=True),
    "tech": FieldSpec("str", allow_blank=False),
    "topology": _s(),
    "tv_profile": _s(True),
    "voip_profile": _s(True),
    "wanmac": _s(True),
    "wifi_password": _s(True),
    "wifi_profile": _s(True),
    "wifi_ssid": _s(True),
}
"""Writable CPE fields. ``id``, ``cpename``, ``internal_id``, timestamps and the v2 computed
fields (``_links``, ``_services``, ``avatar``, ``is_router``, ``tr069``) are read-only."""

CUSTOMER_SCHEMA: dict[str, FieldSpec] = {
    "address": _s(),
    "city": _s(),
    "comment": _s(),
    "country": _s(),
    "external_id": _s(True),
    "latitude": FieldSpec("decimal", nullable=True),
    "longitude": FieldSpec("decimal", nullable=True),
    "name": FieldSpec("str", allow_blank=False, required=True),
    "postalcode": _s(True),
    "realm": FieldSpec("str", allow_blank=False),
    "surname": _s(),
}

POTS_SCHEMA: dict[str, FieldSpec] = {
    "billing_profile": FieldSpec("any", nullable=True),
    "cli": _s(True),
    "context": FieldSpec("int", nullable=True),
    "contextname": _s(True),
    "custom_digitmap": _s(True),
    "dtmf": _s(),
    "label": _s(True),
    "language": _s(True),
    "password": _s(True),
    "pbx_extension": _b(),
    "username": _s(True),
    "voicemail": _b(),
    "voicemail_password": _s(True),
}
"""POTS lines cannot be created or deleted through the API since 2022; ``lineid``, ``order``
and ``cpe`` are read-only."""

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


def cpe_links(cpe_id: int) -> dict[str, dict[str, str]]:
    """``_links`` exactly as the real 2023/2025 samples: ``/api/v2/cpes/{id}/...`` (no ``isp/``)."""
    base = f"/api/v2/cpes/{cpe_id}/"
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


class Network:
    """In-memory Krill CRM data with a pre-encoded bytes cache per record.

    Mutations go through the methods (``add_*``, ``update_*``, ``delete_*``) so the caches stay
    valid; after editing a record dict directly call :meth:`invalidate`. All methods take
    :attr:`lock` (re-entrant), so test code may mutate while the server thread serves.
    """

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self.cpes: dict[int, Record] = {}
        self.customers: dict[int, Record] = {}
        self.potses: dict[int, Record] = {}
        self.lock = threading.RLock()
        self.version = 0
        self._next_id: dict[str, int] = {"cpes": 1, "customers": 1, "potses": 1}
        self._enc: dict[str, dict[int, bytes]] = {"cpes": {}, "customers": {}, "potses": {}}
        self._enc_v1: dict[int, bytes] = {}
        self._ids: dict[str, list[int] | None] = {"cpes": None, "customers": None, "potses": None}
        self._potses_by_cpe: dict[int, list[int]] = {}
        self._cpes_by_customer: dict[int, list[int]] = {}

    # ------------------------------------------------------------------ generation
    @classmethod
    def generate(cls, seed: int = 1, customers: int | None = None, cpes: int = 200) -> Network:
        """Build a deterministic network: same arguments give byte-identical records."""
        if customers is None:
            customers = max(1, cpes // 2)
        if customers < 1 and cpes > 0:
            raise ValueError("CPEs need at least one customer")
        net = cls(seed)
        rng = random.Random(seed)
        cust_ids: list[int] = []
        next_id = 1
        step = _SPAN / max(customers, 1)
        ts = 0.0
        for _ in range(customers):
            ts += rng.uniform(0.0, 2 * step)
            rec = _random_customer(rng, next_id, ts)
            net._store("customers", rec)
            cust_ids.append(next_id)
            next_id += 1 + (_int(rng, 1, 3) if rng.random() < 0.1 else 0)
        next_id = 1
        pots_id = 1
        step = _SPAN / max(cpes, 1)
        ts = 0.0
        used_sn: set[str] = set()
        used_cli: set[str] = set()
        for _ in range(cpes):
            ts += rng.uniform(0.0, 2 * step)
            customer = net.customers[_pick(rng, cust_ids)]
            n_lines = 0
            if rng.random() < 1 / 3:
                n_lines = 1 if rng.random() < 0.75 else 2
            rec = _random_cpe(rng, next_id, customer, ts, n_lines, used_sn)
            net._store("cpes", rec)
            for order in range(1, n_lines + 1):
                pots = _random_pots(rng, pots_id, rec, order, used_cli)
                net._store("potses", pots)
                pots_id += 1 + (1 if rng.random() < 0.05 else 0)
            next_id += 1 + (_int(rng, 1, 3) if rng.random() < 0.15 else 0)
        net._next_id = {
            "cpes": max(net.cpes, default=0) + 1,
            "customers": max(net.customers, default=0) + 1,
            "potses": max(net.potses, default=0) + 1,
        }
        return net

    # ------------------------------------------------------------------ storage helpers
    def _store(self, kind: str, rec: Record) -> None:
        rid = int(rec["id"])
        table = self._table(kind)
        old = table.get(rid)
        if kind == "cpes":
            if old is not None:
                self._unindex(self._cpes_by_customer, old["customer"], rid)
            self._index(self._cpes_by_customer, rec["customer"], rid)
            self._enc_v1.pop(rid, None)
        elif kind == "potses":
            if old is not None:
                self._unindex(self._potses_by_cpe, old["cpe"], rid)
            self._index(self._potses_by_cpe, rec["cpe"], rid)
        table[rid] = rec
        self._enc[kind].pop(rid, None)
        if old is None:
            self._ids[kind] = None
        self._next_id[kind] = max(self._next_id[kind], rid + 1)
        self.version += 1

    @staticmethod
    def _index(index: dict[int, list[int]], key: int, rid: int) -> None:
        ids = index.setdefault(key, [])
        ids.append(rid)
        if len(ids) > 1 and ids[-2] > rid:
            ids.sort()

    @staticmethod
    def _unindex(index: dict[int, list[int]], key: int, rid: int) -> None:
        ids = index.get(key)
        if ids and rid in ids:
            ids.remove(rid)
            if not ids:
                del index[key]

    def _table(self, kind: str) -> dict[int, Record]:
        if kind == "cpes":
            return self.cpes
        if kind == "customers":
            return self.customers
        if kind == "potses":
            return self.potses
        raise KeyError(kind)

    def table(self, kind: ResourceName) -> dict[int, Record]:
        """The id -> record dict of a resource (``cpes``, ``customers``, ``potses``)."""
        return self._table(kind)

    def ids(self, kind: ResourceName) -> list[int]:
        """Ascending ids of a resource (cached until a record is added or removed)."""
        with self.lock:
            cached = self._ids[kind]
            if cached is None:
                cached = sorted(self._table(kind))
                self._ids[kind] = cached
            return cached

    def invalidate(self, kind: ResourceName, rid: int | None = None) -> None:
        """Drop cached encodings after a record dict was edited in place."""
        with self.lock:
            if rid is None:
                self._enc[kind].clear()
                if kind == "cpes":
                    self._enc_v1.clear()
                self._ids[kind] = None
            else:
                self._enc[kind].pop(rid, None)
                if kind == "cpes":
                    self._enc_v1.pop(rid, None)
            self.version += 1

    def encoded(self, kind: ResourceName, rid: int, *, v1: bool = False) -> bytes:
        """The JSON bytes of one full record (sorted keys, compact), cached."""
        if v1 and kind == "cpes":
            data = self._enc_v1.get(rid)
            if data is None:
                rec = self.cpes[rid]
                data = _ENCODER.encode({k: v for k, v in rec.items() if k not in V1_CPE_EXCLUDED})
                self._enc_v1[rid] = data
            return data
        cache = self._enc[kind]
        data = cache.get(rid)
        if data is None:
            data = _ENCODER.encode(self._table(kind)[rid])
            cache[rid] = data
        return data

    def warm(self) -> None:
        """Pre-encode every record (the CLI does this before announcing it is ready)."""
        with self.lock:
            kinds: tuple[ResourceName, ...] = ("cpes", "customers", "potses")
            for kind in kinds:
                for rid in self.ids(kind):
                    self.encoded(kind, rid)

    def dumps(self) -> bytes:
        """The whole network as JSON bytes (used to check determinism)."""
        with self.lock:
            parts = [b'{"customers":[']
            parts.append(b",".join(self.encoded("customers", i) for i in self.ids("customers")))
            parts.append(b'],"cpes":[')
            parts.append(b",".join(self.encoded("cpes", i) for i in self.ids("cpes")))
            parts.append(b'],"potses":[')
            parts.append(b",".join(self.encoded("potses", i) for i in self.ids("potses")))
            parts.append(b"]}")
            return b"".join(parts)

    def potses_of(self, cpe_id: int) -> list[Record]:
        """POTS lines of a CPE, by id."""
        with self.lock:
            return [self.potses[i] for i in self._potses_by_cpe.get(cpe_id, ())]

    def cpes_of(self, customer_id: int) -> list[Record]:
        """CPEs of a customer, by id."""
        with self.lock:
            return [self.cpes[i] for i in self._cpes_by_customer.get(customer_id, ())]

    def find_cpe(self, key: str) -> Record | None:
        """Look a CPE up by numeric id, ``internal_id`` or ``external_id`` (mono-kiwi)."""
        with self.lock:
            if key.isdigit():
                rec = self.cpes.get(int(key))
                if rec is not None:
                    return rec
            for rec in self.cpes.values():
                if rec["internal_id"] == key or rec["external_id"] == key:
                    return rec
            return None

    # ------------------------------------------------------------------ CPEs
    def add_cpe(self, **overrides: Any) -> Record:
        """Insert a realistic CPE with the next (highest) id; ``overrides`` set field values."""
        with self.lock:
            rid = self._next_id["cpes"]
            _check_keys("cpe", overrides, _CPE_KEYS)
            rng = random.Random(f"{self.seed}:cpe:{rid}")
            cust_id = overrides.get("customer")
            if cust_id is None:
                if not self.customers:
                    raise ValueError("no customer to attach the CPE to")
                cust_id = _pick(rng, self.ids("customers"))
            customer = self.customers[int(cust_id)]
            used_sn = {str(r["sn"]) for r in self.cpes.values()}
            rec = _random_cpe(rng, rid, customer, 0.0, 0, used_sn)
            stamp = now_iso()
            rec["created"] = rec["updated"] = stamp
            return self._finish_cpe(rec, overrides)

    def create_cpe(self, data: dict[str, Any]) -> Record:
        """Insert a CPE the way the API's POST does: unspecified fields get model defaults."""
        with self.lock:
            rid = self._next_id["cpes"]
            customer = self.customers[int(data["customer"])]
            stamp = now_iso()
            rec = _blank_cpe(rid, customer, stamp)
            return self._finish_cpe(rec, data)

    def _finish_cpe(self, rec: Record, overrides: dict[str, Any]) -> Record:
        rid = rec["id"]
        rec.update(overrides)
        if "realm" in overrides and "cpename" not in overrides:
            rec["cpename"] = f"{rec['realm']}{rid:04d}"
        if "internal_id" not in overrides:
            rec["internal_id"] = rec["cpename"]
        rec["customer"] = int(rec["customer"])
        self._recompute_cpe(rec)
        rec = dict(sorted(rec.items()))
        self._store("cpes", rec)
        return rec

    def _recompute_cpe(self, rec: Record) -> None:
        lines = len(self._potses_by_cpe.get(rec["id"], ()))
        rec["_services"] = _services(rec["tech"], rec["has_tr069"], rec["pppoe_username"] is not None, lines)
        rec["avatar"] = _AVATARS.get(rec["model"], "default")
        rec["is_router"] = not rec["bridge"]
        rec["tr069"] = rec["has_tr069"]
        rec["_links"] = cpe_links(rec["id"])

    def update_cpe(self, rid: int, **changes: Any) -> Record:
        """Change fields of a CPE (computed fields and ``updated`` follow)."""
        with self.lock:
            _check_keys("cpe", changes, _CPE_KEYS)
            old = self.cpes[rid]
            rec = dict(old)
            rec.update(changes)
            if "customer" in changes:
                rec["customer"] = int(rec["customer"])
                if rec["customer"] not in self.customers:
                    raise KeyError(f"customer {rec['customer']} does not exist")
            if "updated" not in changes:
                rec["updated"] = now_iso()
            self._recompute_cpe(rec)
            self._store("cpes", rec)
            return rec

    def delete_cpe(self, rid: int) -> None:
        """Delete a CPE and, like the real server, its POTS lines."""
        with self.lock:
            rec = self.cpes.pop(rid)
            self._unindex(self._cpes_by_customer, rec["customer"], rid)
            self._enc["cpes"].pop(rid, None)
            self._enc_v1.pop(rid, None)
            self._ids["cpes"] = None
            for pid in list(self._potses_by_cpe.get(rid, ())):
                self.potses.pop(pid, None)
                self._enc["potses"].pop(pid, None)
            self._potses_by_cpe.pop(rid, None)
            self._ids["potses"] = None
            self.version += 1

    # ------------------------------------------------------------------ customers
    def add_customer(self, **overrides: Any) -> Record:
        """Insert a realistic customer with the next (highest) id."""
        with self.lock:
            _check_keys("customer", overrides, _CUSTOMER_KEYS)
            rid = self._next_id["customers"]
            rng = random.Random(f"{self.seed}:customer:{rid}")
            rec = _random_customer(rng, rid, 0.0)
            rec["created"] = rec["updated"] = now_iso()
            rec.update(overrides)
            rec = dict(sorted(rec.items()))
            self._store("customers", rec)
            return rec

    def create_customer(self, data: dict[str, Any]) -> Record:
        """Insert a customer the way the API's POST does (model defaults)."""
        with self.lock:
            rid = self._next_id["customers"]
            stamp = now_iso()
            rec: Record = {
                "address": "", "city": "", "comment": "", "country": "", "created": stamp,
                "external_id": None, "id": rid, "latitude": None, "longitude": None, "name": "",
                "postalcode": None, "realm": "pim", "surname": "", "updated": stamp,
            }  # fmt: skip
            rec.update(data)
            self._store("customers", rec)
            return rec

    def update_customer(self, rid: int, **changes: Any) -> Record:
        """Change fields of a customer."""
        with self.lock:
            _check_keys("customer", changes, _CUSTOMER_KEYS)
            rec = dict(self.customers[rid])
            rec.update(changes)
            if "updated" not in changes:
                rec["updated"] = now_iso()
            self._store("customers", rec)
            return rec

    def delete_customer(self, rid: int) -> None:
        """Delete a customer and its CPEs (Django ``on_delete=CASCADE``)."""
        with self.lock:
            for cpe_id in list(self._cpes_by_customer.get(rid, ())):
                self.delete_cpe(cpe_id)
            del self.customers[rid]
            self._enc["customers"].pop(rid, None)
            self._ids["customers"] = None
            self.version += 1

    # ------------------------------------------------------------------ POTS
    def add_pots(self, cpe_id: int, **overrides: Any) -> Record:
        """Add a POTS line to a CPE (the real server does this when a CPE gets phone ports)."""
        with self.lock:
            _check_keys("pots", overrides, _POTS_KEYS)
            cpe = self.cpes[cpe_id]
            rid = self._next_id["potses"]
            order = len(self._potses_by_cpe.get(cpe_id, ())) + 1
            rng = random.Random(f"{self.seed}:pots:{rid}")
            used_cli = {str(p["cli"]) for p in self.potses.values() if p["cli"] is not None}
            rec = _random_pots(rng, rid, cpe, order, used_cli)
            rec.update(overrides)
            rec = dict(sorted(rec.items()))
            self._store("potses", rec)
            new_cpe = dict(cpe)
            self._recompute_cpe(new_cpe)
            self._store("cpes", new_cpe)
            return rec

    def update_pots(self, rid: int, **changes: Any) -> Record:
        """Change fields of a POTS line."""
        with self.lock:
            _check_keys("pots", changes, _POTS_KEYS)
            rec = dict(self.potses[rid])
            rec.update(changes)
            self._store("potses", rec)
            return rec

    def iter_records(self, kind: ResourceName) -> Iterator[Record]:
        """Records in id order (a snapshot of the id list)."""
        table = self._table(kind)
        for rid in list(self.ids(kind)):
            rec = table.get(rid)
            if rec is not None:
                yield rec


def _check_keys(what: str, data: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"unknown {what} field(s): {', '.join(sorted(unknown))}")


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
