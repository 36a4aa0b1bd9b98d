"""Deterministic monitoring objects (Icinga-style Host and Service) for the simulated ``/api/v2/monitoring``.

Derived from a [`Network`][krill_async.testing.Network]: host ``i`` mirrors the ``i``-th CPE (host name = cpename,
``vars.administrative_info.id`` = CPE id, serial, model, services...). ``hosts`` may exceed the CPE count:
the extra hosts are CPE-like GPON hosts with ids after the last CPE, so 200,000 hosts are served without
generating 200,000 CRM records. Facts that filters need are generated eagerly in one pass; the JSON of each
object is built and encoded on first use and cached, so a page is assembled by joining bytes.

A share ``drift`` of hosts (and their services) carries the variations seen in real data: registration vars
as lists, as ``__placeholders__`` or absent; pending objects (state 99); integers written ``1.0`` (Icinga
< 2.13); uom ``"null"``; timestamps without microseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import overload

import msgspec

from ._data import Network, Record
from ._monitoring_facts import (
    _ACTIONS,
    _CHECK_COMMANDS,
    _GPON_MODELS,
    _PROFILES,
    _TXRX_LIMITS,
    _VENDORS,
    DRIFT_KINDS,
    TXRX_METRICS,
    HostFacts,
    _floats,
    _iso,
)
from ._monitoring_generate import generate_facts
from ._monitoring_samples import SAMPLE_HOSTS

__all__ = ["DRIFT_KINDS", "TXRX_METRICS", "HostFacts", "MonitoringData"]

_ENCODER = msgspec.json.Encoder(order="sorted")  # the real answers have their keys sorted


class MonitoringData:
    """Monitoring objects for one simulated deployment (a snapshot of the network when created)."""

    def __init__(
        self,
        network: Network,
        *,
        hosts: int | None = None,
        drift: float = 0.1,
        seed: int = 1,
        unregistered: float = 0.3,
    ) -> None:
        if not 0.0 <= drift <= 1.0:
            raise ValueError("drift is a share between 0 and 1")
        if not 0.0 <= unregistered <= 1.0:
            raise ValueError("unregistered is a share between 0 and 1")
        self.network = network
        self.drift = drift
        self.unregistered = unregistered
        self.seed = seed
        self.lock = threading.RLock()
        with network.lock:
            cpe_ids = list(network.ids("cpes"))
            first = [i for i in SAMPLE_HOSTS if i in network.cpes]  # the samples' hosts lead the search order
            rest = [i for i in cpe_ids if i not in SAMPLE_HOSTS]
            self._cpes = [network.cpes[i] for i in first + rest]
        count = len(cpe_ids) if hosts is None else hosts
        if count < 0:
            raise ValueError("hosts must be 0 or more")
        self.facts = generate_facts(self._cpes, count, seed=seed, drift_share=drift, unregistered=unregistered)
        self.by_name = {f.name: f for f in self.facts}
        self.by_cpe = {f.cpe_id: f for f in self.facts}
        self._host_bytes: list[bytes | None] = [None] * count
        self._service_bytes: dict[tuple[int, int, bool], bytes] = {}

    # -- generation -----------------------------------------------------------------------------------

    # -- JSON -----------------------------------------------------------------------------------------

    def host_vars(self, f: HostFacts) -> Record:
        """``attrs.vars`` of a host (and of its services in search results)."""
        cpe = self._cpes[f.index] if f.index < len(self._cpes) else None
        if cpe is not None:
            model, sn = str(cpe["model"]), str(cpe["sn"])
            customer = self.network.customers.get(cpe["customer"]) or {}
            profile = _PROFILES.get((int(cpe["profile"]) - 1) % 8 + 1, _PROFILES[6])
            admin: Record = {
                "access": cpe["access"],
                "actions": _ACTIONS if cpe["tr069"] else ["reboot", "reprovision", "unprovision"],
                "active": cpe["active"],
                "address": cpe["address"],
                "address_profile": cpe["address_profile"] or "",
                "customer_address": customer.get("address", ""),
                "customer_external_id": customer.get("external_id") or "",
                "customer_name": f"{customer.get('name', '')} {customer.get('surname', '')}".strip(),
                "external_voip": cpe["external_voip"],
                "id": f.cpe_id,
                "latitude": float(cpe["latitude"]) if cpe["latitude"] is not None else None,
                "line_profile": cpe["line_profile"] or "residential",
                "longitude": float(cpe["longitude"]) if cpe["longitude"] is not None else None,
                "model": model,
                "potses": [p["cli"] for p in self.network.potses_of(f.cpe_id) if p["cli"]],
                "profile_downstream": profile[1],
                "profile_name": profile[0],
                "profile_upstream": profile[2],
                "realm": cpe["realm"],
                "services": list(f.services),
                "sn": sn,
                "tech": f.tech,
                "tr069": cpe["tr069"],
                "vendor": _VENDORS.get(sn[:8], "Generic"),
            }
            for key in ("dsn", "mac", "notes", "topology", "tv_profile", "voip_profile"):
                if cpe[key]:
                    admin[key] = cpe[key]
        else:
            mix = (f.cpe_id * 2654435761 + self.seed * 40503) & 0xFFFFFFFF  # cheap, deterministic, no RNG
            model, prefix = _GPON_MODELS[mix % len(_GPON_MODELS)]
            sn = prefix + f"{mix:08x}"
            profile = _PROFILES[6]
            admin = {
                "access": True,
                "actions": _ACTIONS,
                "active": True,
                "address": "",
                "address_profile": "nat",
                "customer_address": "",
                "customer_external_id": str(30000 + f.cpe_id),
                "customer_name": "",
                "external_voip": False,
                "id": f.cpe_id,
                "latitude": round(10.0 + (mix % 1_000_003) / 1_000_003, 6),
                "line_profile": "residential",
                "longitude": round(-75.0 + (mix % 999_983) / 999_983, 6),
                "model": model,
                "potses": [],
                "profile_downstream": profile[1],
                "profile_name": profile[0],
                "profile_upstream": profile[2],
                "realm": "cpe",
                "services": list(f.services),
                "sn": sn,
                "tech": "gpon",
                "tr069": True,
                "vendor": _VENDORS[prefix],
            }
            if f.topology:
                admin["topology"] = f.topology
        host_vars: Record = {
            "administrative_info": admin,
            "business_impact": 1,
            "model": model,
            "search": " ".join(x for x in (f.name, sn, admin["customer_name"]) if x),
            "type": "cpe",
            "vendor": admin["vendor"],
        }
        if "placeholder" in f.drift:
            host_vars.update(
                cpe_registration_host="__reghost__",
                cpe_registration_id="__regid__",
                cpe_registration_state="__regstate__",
                cpe_registration_tags=["__regtags__"],
            )
        elif "absent" not in f.drift:
            listed = "list" in f.drift
            host_vars.update(
                cpe_registration_host=f.olt_label,
                cpe_registration_id=f.regid,
                cpe_registration_state=list(f.states) if listed else f.states[0],
                cpe_registration_tags=[f.regtag, f.olt_label] if listed else f.regtag,
            )
        return host_vars

    def _perfdata(self, f: HostFacts, service: str | None) -> list[Record]:
        uom = "null" if "uom_null" in f.drift else ""
        items: list[Record] = []
        for name, value in f.metrics(service).items():
            if service is None:
                items.append(
                    {
                        "critical": None,
                        "max": None,
                        "min": None,
                        "name": name,
                        "uom": uom,
                        "value": value,
                        "warning": None,
                    }
                )
            else:
                critical, high, low, warning = _TXRX_LIMITS[name]
                items.append(
                    {
                        "critical": critical,
                        "max": high,
                        "min": low,
                        "name": name,
                        "uom": uom,
                        "value": value,
                        "warning": warning,
                    }
                )
        return items

    def _common(self, f: HostFacts, state: int, state_long: str, output: str | None, interval: int) -> Record:
        pending = f.pending
        micro = "no_micro" not in f.drift
        checked = f.checked + f.latency / 1000.0
        problem = 0 if state in (0, 99) else 1
        return {
            "acknowledged": 0,
            "acknowledgement": 0,
            "address": "",
            "alarm": 1 if "alarm" in f.states and state == 1 else 0,
            "business_impact": 1,
            "check_attempt": 1,
            "check_interval": interval,
            "check_period": "",
            "downtime": 0,
            "downtime_depth": 0,
            "downtimed": 0,
            "enable_active_checks": 1,
            "enable_passive_checks": 1,
            "flap_detection_enabled": 0,
            "handled": 1 if problem and f.handled else 0,
            "has_been_checked": 0 if pending else 1,
            "host_name": f.name,
            "is_flapping": 0,
            "last_check": None if pending else _iso(checked, micro),
            "last_hard_state": 0,
            "last_hard_state_change": _iso(f.changed, False),
            "last_state_change": _iso(f.changed, False),
            "latency": 0 if pending else f.latency,
            "long_output": None,
            "max_check_attempts": 1,
            "next_check": _iso(checked + interval, micro),
            "output": output,
            "problem": problem,
            "retry_interval": 60,
            "severity": 0 if not problem else 1056 if f.handled else 2112,
            "state": state,
            "state_long": state_long,
            "state_type": 1,
        }

    def host_attrs(self, f: HostFacts) -> Record:
        state = f.state
        if f.pending:
            output: str | None = None
        elif "placeholder" in f.drift:
            output = "DOWN - not found"
        else:
            output = f"{'/'.join(f.states)} {f.olt_label}:{f.regid} {f.ip}"
        attrs = self._common(f, state, {0: "up", 1: "down", 99: "pending"}[state], output, 86400)
        attrs["check_command"] = "check_cpe"
        attrs["perfdata"] = self._perfdata(f, None)
        attrs["service_name"] = ""
        attrs["vars"] = self.host_vars(f)
        return attrs

    def host_dict(self, f: HostFacts) -> Record:
        """The Host object as ``/monitoring/search`` returns it."""
        obj: Record = {"attrs": self.host_attrs(f), "joins": {}, "meta": {}, "name": f.name, "type": "Host"}
        return _floats(obj) if "floats" in f.drift else obj

    def service_dict(self, f: HostFacts, service: str, *, with_vars: bool = True) -> Record:
        """A Service object; joined services (``joins=services``) carry no ``vars``."""
        if service == "txrx":
            state = f.txrx_state()
            if state in (1, 2):
                limit = 2.0 if state == 1 else 4.0
                output: str | None = f"pondesv={f.txrx[5]:.2f} > {limit:.2f}!"
            elif state == 0:
                output = " ".join(f"{k}={v:.2f}" for k, v in zip(TXRX_METRICS, f.txrx, strict=True))
            else:
                output = None if state == 99 else "UNKNOWN - no data"
            interval = 604800
        else:
            state = 99 if f.pending else 0
            output = None if f.pending else "OK"
            interval = 300
        names = {0: "ok", 1: "warning", 2: "critical", 3: "unknown", 99: "pending"}
        attrs = self._common(f, state, names[state], output, interval)
        attrs["check_command"] = _CHECK_COMMANDS.get(service, f"check_{service.rstrip('0123456789')}")
        attrs["perfdata"] = self._perfdata(f, service)
        attrs["service_name"] = service
        if with_vars:
            attrs["vars"] = self.host_vars(f)
        obj: Record = {"attrs": attrs, "meta": {}, "name": f"{f.name}!{service}", "type": "Service"}
        if with_vars:  # a service joined into its host (``joins=services``) carries no vars and no joins
            obj["joins"] = {}
        return _floats(obj) if "floats" in f.drift else obj

    def host_detail(self, f: HostFacts) -> Record:
        """``/monitoring/hosts/{name}`` (2023 shape): fewer attrs, a ``last_check_result``, list-valued
        registration state and tags."""
        full = self.host_attrs(f)
        host_vars = full["vars"]
        for key in ("cpe_registration_state", "cpe_registration_tags"):
            if isinstance(host_vars.get(key), str):
                host_vars[key] = [host_vars[key]]
        keep = (
            "address",
            "host_name",
            "last_check",
            "next_check",
            "output",
            "service_name",
            "state",
            "state_type",
            "state_long",
            "vars",
        )
        attrs = {k: full[k] for k in keep}
        if f.pending:
            attrs["last_check_result"] = None
        else:
            start = f.checked + f.latency / 1000.0
            attrs["last_check_result"] = {
                "command": None,
                "execution_end": _iso(start, True),
                "execution_start": _iso(start, True),
                "execution_time": 0,  # an int, as in the Postman sample
                "output": full["output"],
                "schedule_start": _iso(f.checked, True),
                "state": full["state"],
            }
        return {"attrs": attrs, "joins": {}, "meta": {}, "name": f.name, "type": "Host"}

    # -- encoded objects ------------------------------------------------------------------------------

    def host_bytes(self, index: int, *, joins: bool = False) -> bytes:
        data = self._host_bytes[index]
        if data is None:
            data = _ENCODER.encode(self.host_dict(self.facts[index]))
            self._host_bytes[index] = data
        if not joins:
            return data
        f = self.facts[index]
        services = b",".join(self.service_bytes(index, k, with_vars=False) for k in range(len(f.services)))
        return data.replace(b'"joins":{}', b'"joins":{"services":[' + services + b"]}", 1)

    def service_bytes(self, index: int, k: int, *, with_vars: bool = True) -> bytes:
        key = (index, k, with_vars)
        data = self._service_bytes.get(key)
        if data is None:
            f = self.facts[index]
            data = _ENCODER.encode(self.service_dict(f, f.services[k], with_vars=with_vars))
            if len(self._service_bytes) < 200_000:
                self._service_bytes[key] = data
        return data

    def warm(self) -> None:
        """Encode every Host object now (the standalone simulator does this before announcing it is ready)."""
        for index in range(len(self.facts)):
            self.host_bytes(index)


class ObjectList(Sequence[bytes]):
    """The encoded objects matching a search, built lazily page by page."""

    def __init__(self, data: MonitoringData, refs: list[tuple[int, int]], joins: bool) -> None:
        self._data = data
        self._refs = refs  # (host index, -1 for the host itself or the service number)
        self._joins = joins

    def __len__(self) -> int:
        return len(self._refs)

    def _encode(self, ref: tuple[int, int]) -> bytes:
        index, k = ref
        if k < 0:
            return self._data.host_bytes(index, joins=self._joins)
        return self._data.service_bytes(index, k)

    @overload
    def __getitem__(self, item: int) -> bytes: ...
    @overload
    def __getitem__(self, item: slice) -> list[bytes]: ...
    def __getitem__(self, item: int | slice) -> bytes | list[bytes]:
        with self._data.lock:
            if isinstance(item, slice):
                return [self._encode(ref) for ref in self._refs[item]]
            return self._encode(self._refs[item])

    def __iter__(self) -> Iterator[bytes]:
        for ref in self._refs:
            yield self._encode(ref)
