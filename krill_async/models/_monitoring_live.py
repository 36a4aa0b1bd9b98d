"""Live CPE information (``/monitoring/cpes/{id}/info``); re-exported by ``krill_async.models.monitoring``."""

from __future__ import annotations

from typing import Any

from ._base import UNSET, Record, seal_records

# -- live CPE info (/monitoring/cpes/{id}/info) --------------------------------------------------------


class CpeAlarm(Record):
    level: str | None = UNSET
    type: str | None = UNSET
    admin_status: str | None = UNSET
    name: str | None = UNSET
    extra: str | None = UNSET


class CpeRegistration(Record):
    host: str | None = UNSET
    id: str | None = UNSET
    last_down_time: str | None = UNSET
    related_services: tuple[str, ...] | None = UNSET
    states: tuple[str, ...] | None = UNSET
    tags: tuple[str, ...] | None = UNSET


class CpeInfoPerfdata(Record):
    metric: str | None = UNSET
    value: float | None = UNSET
    uom: str | None = UNSET
    min: float | None = UNSET
    max: float | None = UNSET
    thresholds: tuple[float, ...] | None = UNSET
    items: tuple[Any, ...] | None = UNSET


class CpeInfoService(Record):
    output: str | None = UNSET
    state_id: int | None = UNSET
    perfdatas: tuple[CpeInfoPerfdata, ...] | None = UNSET

    def metric(self, name: str) -> float | None:
        for item in self.perfdatas or ():
            if item.metric == name:
                return item.value
        return None


class CpeServicePort(Record):
    id: int | None = UNSET
    user_vlan: int | None = UNSET
    service_vlan: int | None = UNSET
    native_vlan: int | None = UNSET
    inbound_traffic_table_name: str | None = UNSET
    outbound_traffic_table_name: str | None = UNSET


class CpeTech(Record):
    line_profile: str | None = UNSET
    service_profile: str | None = UNSET
    type_name: str | None = UNSET
    service_ports: tuple[CpeServicePort, ...] | None = UNSET


class CpeInfo(Record):
    """Real-time CPE info, queried live from the OLT and other devices (slow; may fail when they are down)."""

    state: str | None = UNSET
    state_id: int | None = UNSET
    output: str | None = UNSET
    uptime: int | None = UNSET
    dnbw: float | None = UNSET
    upbw: float | None = UNSET
    ips: tuple[str, ...] | None = UNSET
    distance: int | None = UNSET
    alarms: tuple[CpeAlarm, ...] | None = UNSET
    registration: CpeRegistration | None = UNSET
    services: dict[str, CpeInfoService] | None = UNSET
    tech: CpeTech | None = UNSET

    @property
    def is_up(self) -> bool:
        return self.state == "up"


seal_records(list(globals().values()))
