"""Deterministic fake Krill ISP network: customers, CPEs and POTS lines.

Records are plain dicts holding exactly the fields documented for the real API (facts §7.1-7.3),
with realistic values taken from the vendor samples. Each full record is encoded once with
msgspec and cached, so the server can assemble a 1000-record page by joining bytes instead of
re-serialising dicts (the benchmark serves 50,000 CPEs; the simulator must not be the bottleneck).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from ._generate import generate_network
from ._records import (
    _AVATARS,
    _CPE_KEYS,
    _CUSTOMER_KEYS,
    _ENCODER,
    _POTS_KEYS,
    FIELDS,
    TZ,
    V1_CPE_EXCLUDED,
    Record,
    _blank_cpe,
    _pick,
    _random_cpe,
    _random_customer,
    _random_pots,
    _services,
    cpe_links,
    now_iso,
)
from ._schemas import CPE_SCHEMA, CUSTOMER_SCHEMA, POTS_SCHEMA, FieldSpec

__all__ = [
    "CPE_SCHEMA",
    "CUSTOMER_SCHEMA",
    "FIELDS",
    "POTS_SCHEMA",
    "TZ",
    "V1_CPE_EXCLUDED",
    "FieldSpec",
    "Network",
    "Record",
    "ResourceName",
    "cpe_links",
    "now_iso",
]


ResourceName = Literal["cpes", "customers", "potses"]


class Network:
    """In-memory Krill CRM data with a pre-encoded bytes cache per record.

    Mutations go through the methods (``add_*``, ``update_*``, ``delete_*``) so the caches stay
    valid; after editing a record dict directly call [`invalidate()`][krill_async.testing.Network.invalidate]. All
    methods take `lock` (re-entrant), so test code may mutate while the server thread serves.
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
        #: Where CPE ``_links`` point (``vendor``: ``/api/v2/cpes/{id}/``, ``isp``: ``/api/v2/isp/cpes/{id}/``).
        self.link_layout = "vendor"

    # ------------------------------------------------------------------ generation
    @classmethod
    def generate(
        cls, seed: int = 1, customers: int | None = None, cpes: int = 200, *, vendor_samples: bool = True
    ) -> Network:
        """Build a deterministic network: same arguments give byte-identical records.

        With ``vendor_samples`` (and at least ``MIN_CPES`` CPEs) the vendor's sample records are part of it
        (see ``_vendor.py``), so the overview's requests answer as the overview shows."""
        return generate_network(cls(seed), seed, customers, cpes, vendor_samples=vendor_samples)

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

    def set_link_layout(self, layout: str) -> None:
        """Point every CPE's ``_links`` at ``layout`` (``vendor`` or ``isp``), now and for later records."""
        if layout not in ("vendor", "isp"):
            raise ValueError(f"unknown CPE link layout {layout!r}")
        with self.lock:
            if layout == self.link_layout:
                return
            self.link_layout = layout
            for rec in self.cpes.values():
                rec["_links"] = cpe_links(rec["id"], layout)
            self.invalidate("cpes")

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
        rec["_links"] = cpe_links(rec["id"], self.link_layout)

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
