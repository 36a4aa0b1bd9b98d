"""Monitoring records: Icinga-style objects ``{type, name, attrs, joins, meta}`` and the other monitoring answers.

Arrays decode to tuples: immutable, and (holding only strings or ``gc=False`` Structs) untracked by the cyclic
garbage collector after its first pass, so a scan of many objects does not trigger costly full collections.
Decoded in msgspec's lax mode (see ``krill_async.apps.monitoring``), so the drift seen in real data decodes:
integers written ``3.0`` by Icinga before 2.13, flags as ``0``/``1`` (or JSON booleans), numbers as strings,
``"null"`` for a missing number. Fields keep what the server sent; properties give the normalised view
(registration state as a tuple whatever its wire form, placeholders such as ``"__regstate__"`` as absent,
``uom`` ``"null"`` as ``None``, pending timestamps ``-1`` as ``None``).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import msgspec

from ._base import UNSET, Record, seal_records

__all__ = [
    "AdministrativeInfo",
    "CheckResult",
    "CpeAlarm",
    "CpeInfo",
    "CpeInfoPerfdata",
    "CpeInfoService",
    "CpeRegistration",
    "CpeServicePort",
    "CpeTech",
    "DataPoint",
    "DatasetMetric",
    "Graph",
    "GraphDataset",
    "Host",
    "HostAttrs",
    "HostVars",
    "MonitoringObject",
    "ObjectAttrs",
    "ObjectJoins",
    "PerfData",
    "PonPort",
    "Registration",
    "Series",
    "Service",
    "ServiceAttrs",
    "series_from_datasets",
    "when",
]

#: A timestamp: an aware datetime (server offset, with or without microseconds) or Icinga's raw number
#: (``-1`` means never, on pending objects).
Timestamp = _dt.datetime | float | None
#: A 0/1 flag as Icinga sends it (``0``, ``1``, ``1.0`` from Icinga < 2.13, or a JSON boolean).
Flag = int | bool | None

_PLACEHOLDER = re.compile(r"^__[a-z_]+__$")
_REGISTRATION_ID = re.compile(r"^(\d+)/(\d+)/(\d+)(?:-(\d+))?$")
_HOST_STATES = {0: "up", 1: "down", 2: "unreachable", 99: "pending"}
_SERVICE_STATES = {0: "ok", 1: "warning", 2: "critical", 3: "unknown", 99: "pending"}
PENDING = 99


def _present(value: str | None) -> str | None:
    """``None`` for absent, empty and placeholder values (``"__reghost__"``, ``"__regid__"``)."""
    if value is None or value == "" or _PLACEHOLDER.match(value):
        return None
    return value


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A string, a list or nothing as a tuple, placeholders (``"__regstate__"``, ``["__regtags__"]``) dropped."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    return tuple(item for item in items if isinstance(item, str) and _present(item) is not None)


def _first(value: str | Sequence[str] | None) -> str | None:
    items = _as_tuple(value)
    return items[0] if items else None


def when(value: Timestamp) -> _dt.datetime | None:
    """A timestamp field as a datetime, ``None`` for Icinga's "never" (``-1``) and other raw numbers."""
    return value if isinstance(value, _dt.datetime) else None


def _flag(value: Flag) -> bool | None:
    return None if value is None else bool(value)


# -- perfdata ------------------------------------------------------------------------------------------


class PerfData(Record):
    """One performance metric of a check (``dnrx``, ``pondesv``, ``dnbw``...). ``uom`` ``"null"`` means none."""

    name: str | None = UNSET
    value: float | None = UNSET
    uom: str | None = UNSET
    min: float | None = UNSET
    max: float | None = UNSET
    warning: float | None = UNSET
    critical: float | None = UNSET

    @property
    def unit(self) -> str | None:
        """The unit of measure, ``None`` when the server sent ``""``, ``"null"`` or nothing."""
        return None if self.uom in (None, "", "null") else self.uom


# -- vars ----------------------------------------------------------------------------------------------


class AdministrativeInfo(Record):
    """``vars.administrative_info``: the CRM view of a CPE host (``id`` is the CPE's id in ``isp/cpes``)."""

    id: int | None = UNSET
    sn: str | None = UNSET
    dsn: str | None = UNSET
    mac: str | None = UNSET
    tech: str | None = UNSET
    model: str | None = UNSET
    vendor: str | None = UNSET
    realm: str | None = UNSET
    access: bool | None = UNSET
    active: bool | None = UNSET
    tr069: bool | None = UNSET
    external_voip: bool | None = UNSET
    actions: tuple[str, ...] | None = UNSET
    services: tuple[str, ...] | None = UNSET
    potses: tuple[str, ...] | None = UNSET
    address: str | None = UNSET
    customer_address: str | None = UNSET
    customer_name: str | None = UNSET
    customer_external_id: str | None = UNSET
    address_profile: str | None = UNSET
    line_profile: str | None = UNSET
    tv_profile: str | None = UNSET
    voip_profile: str | None = UNSET
    profile_name: str | None = UNSET
    profile_downstream: str | None = UNSET
    profile_upstream: str | None = UNSET
    latitude: float | None = UNSET
    longitude: float | None = UNSET
    topology: str | None = UNSET
    notes: str | None = UNSET


class PonPort(NamedTuple):
    """A GPON port ``frame/slot/port``; ``str()`` gives ``"0/3/9"``."""

    frame: int
    slot: int
    port: int

    def __str__(self) -> str:
        return f"{self.frame}/{self.slot}/{self.port}"


@dataclass(frozen=True)
class Registration:
    """Where and how a CPE is registered, whatever the wire form of its ``cpe_registration_*`` vars.

    ``states`` and ``tags`` are tuples (the server sends a string, a list, a placeholder or nothing);
    ``host`` is the OLT; ``id`` is ``frame/slot/port-onu`` (``"0/3/9-15"``).
    """

    host: str | None
    id: str | None
    states: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def registered(self) -> bool:
        """False for hosts carrying the ``__reghost__``/``__regid__`` placeholders or no registration vars."""
        return self.host is not None or self.id is not None

    @property
    def state(self) -> str | None:
        """The first (main) registration state: ``online``, ``offline``, ``alarm``, ``dyinggasp``, ``losi``..."""
        return self.states[0] if self.states else None

    @property
    def pon_port(self) -> PonPort | None:
        """The PON port from the registration id (``"0/3/9-15"`` gives ``0/3/9``)."""
        match = _REGISTRATION_ID.match(self.id or "")
        return PonPort(int(match[1]), int(match[2]), int(match[3])) if match else None

    @property
    def onu(self) -> int | None:
        """The ONU number on its PON port (``"0/3/9-15"`` gives ``15``)."""
        match = _REGISTRATION_ID.match(self.id or "")
        return int(match[4]) if match and match[4] is not None else None


class HostVars(Record):
    """``attrs.vars`` of a CPE host (and of Service objects in search results). Custom vars not listed here
    are skipped: select them with a projection (``.select(x="attrs.vars.my_var")``) or ``model=dict``."""

    type: str | None = UNSET
    vendor: str | None = UNSET
    model: str | None = UNSET
    business_impact: int | None = UNSET
    search: str | None = UNSET
    cpe_registration_host: str | tuple[str, ...] | None = UNSET
    cpe_registration_id: str | tuple[str, ...] | None = UNSET
    cpe_registration_state: str | tuple[str, ...] | None = UNSET
    cpe_registration_tags: str | tuple[str, ...] | None = UNSET
    administrative_info: AdministrativeInfo | None = UNSET

    @property
    def registration(self) -> Registration:
        """The normalised registration (see [`Registration`][krill_async.models.Registration])."""
        return Registration(
            host=_first(self.cpe_registration_host),
            id=_first(self.cpe_registration_id),
            states=_as_tuple(self.cpe_registration_state),
            tags=_as_tuple(self.cpe_registration_tags),
        )


# -- attrs ---------------------------------------------------------------------------------------------


class CheckResult(Record):
    """``attrs.last_check_result`` (``/monitoring/hosts/{name}``); null on pending objects."""

    command: Any = UNSET
    output: str | None = UNSET
    state: int | None = UNSET
    exit_status: int | None = UNSET
    execution_start: Timestamp = UNSET
    execution_end: Timestamp = UNSET
    schedule_start: Timestamp = UNSET
    schedule_end: Timestamp = UNSET
    execution_time: float | None = UNSET


class ObjectAttrs(Record):
    """``attrs`` of a monitored object (host or service), every documented field.

    Flags are the server's 0/1 numbers; the ``is_*`` properties give booleans. ``state`` 99 is pending.
    """

    host_name: str | None = UNSET
    service_name: str | None = UNSET
    address: str | None = UNSET
    check_command: str | None = UNSET
    check_period: str | None = UNSET
    check_interval: float | None = UNSET
    retry_interval: float | None = UNSET
    check_attempt: int | None = UNSET
    max_check_attempts: int | None = UNSET
    state: int | None = UNSET
    state_long: str | None = UNSET
    state_type: int | None = UNSET
    last_hard_state: int | None = UNSET
    severity: int | None = UNSET
    business_impact: int | None = UNSET
    latency: float | None = UNSET
    output: str | None = UNSET
    long_output: str | None = UNSET
    perfdata: tuple[PerfData, ...] | None = UNSET
    last_check: Timestamp = UNSET
    next_check: Timestamp = UNSET
    last_state_change: Timestamp = UNSET
    last_hard_state_change: Timestamp = UNSET
    last_check_result: CheckResult | None = UNSET
    acknowledged: Flag = UNSET
    acknowledgement: Flag = UNSET
    alarm: Flag = UNSET
    downtime: Flag = UNSET
    downtime_depth: int | None = UNSET
    downtimed: Flag = UNSET
    enable_active_checks: Flag = UNSET
    enable_passive_checks: Flag = UNSET
    flap_detection_enabled: Flag = UNSET
    handled: Flag = UNSET
    has_been_checked: Flag = UNSET
    is_flapping: Flag = UNSET
    problem: Flag = UNSET
    vars: HostVars | None = UNSET

    _STATE_NAMES: ClassVar[dict[int, str]] = _SERVICE_STATES

    @property
    def state_name(self) -> str | None:
        """``up``/``down`` (hosts), ``ok``/``warning``/``critical``/``unknown`` (services) or ``pending``."""
        if self.state_long:
            return self.state_long
        return None if self.state is None else self._STATE_NAMES.get(int(self.state))

    @property
    def is_pending(self) -> bool:
        """Not checked yet (``state`` 99)."""
        return self.state == PENDING or self.state_long == "pending"

    @property
    def is_problem(self) -> bool | None:
        return _flag(self.problem)

    @property
    def is_handled(self) -> bool | None:
        return _flag(self.handled)

    @property
    def is_acknowledged(self) -> bool | None:
        return _flag(self.acknowledged)

    @property
    def in_downtime(self) -> bool | None:
        return _flag(self.downtimed if self.downtimed is not None else self.downtime)

    @property
    def is_alarmed(self) -> bool | None:
        return _flag(self.alarm)

    @property
    def is_flapping_now(self) -> bool | None:
        return _flag(self.is_flapping)

    @property
    def last_checked(self) -> _dt.datetime | None:
        """``last_check`` as a datetime; ``None`` when never checked (``null`` or ``-1``)."""
        return when(self.last_check)

    def perf(self, name: str) -> PerfData | None:
        """The metric called ``name``, or ``None``."""
        for item in self.perfdata or ():
            if item.name == name:
                return item
        return None

    def metric(self, name: str) -> float | None:
        """The value of the metric called ``name`` (``attrs.metric("pondesv")``), or ``None``."""
        item = self.perf(name)
        return item.value if item is not None else None


class HostAttrs(ObjectAttrs):
    """``attrs`` of a Host: state 0 = up, 1 = down, 99 = pending."""

    _STATE_NAMES: ClassVar[dict[int, str]] = _HOST_STATES


class ServiceAttrs(ObjectAttrs):
    """``attrs`` of a Service: state 0 = ok, 1 = warning, 2 = critical, 3 = unknown, 99 = pending."""

    _STATE_NAMES: ClassVar[dict[int, str]] = _SERVICE_STATES


# -- objects -------------------------------------------------------------------------------------------


class ObjectJoins(Record):
    """``joins``: ``services`` is filled by ``joins="services"`` on Host searches."""

    services: tuple[Service, ...] | None = UNSET


class MonitoringObject(Record):
    """An Icinga-style object ``{type, name, attrs, joins, meta}`` of either type.

    The accessors answer what operators ask (OLT, registration id, PON port, serial, a metric's value);
    they read ``attrs.vars``, which Host objects and Service search results carry.
    """

    type: str | None = UNSET
    name: str | None = UNSET
    attrs: ObjectAttrs | None = UNSET
    joins: ObjectJoins | None = UNSET
    meta: dict[str, Any] | None = UNSET

    @property
    def is_host(self) -> bool:
        return self.type == "Host"

    @property
    def is_service(self) -> bool:
        return self.type == "Service"

    @property
    def host_name(self) -> str | None:
        """The host's name (``cpe25365`` for both ``cpe25365`` and ``cpe25365!txrx``)."""
        if self.attrs is not None and self.attrs.host_name:
            return self.attrs.host_name
        return self.name.partition("!")[0] if self.name else None

    @property
    def service_name(self) -> str | None:
        """The service's short name (``txrx``), ``None`` for hosts."""
        if self.attrs is not None and self.attrs.service_name:
            return self.attrs.service_name
        if self.name and "!" in self.name:
            return self.name.partition("!")[2]
        return None

    @property
    def vars(self) -> HostVars | None:
        return self.attrs.vars if self.attrs is not None else None

    @property
    def registration(self) -> Registration:
        """Normalised registration vars (empty when the object carries none)."""
        host_vars = self.vars
        return host_vars.registration if host_vars is not None else Registration(None, None, (), ())

    @property
    def olt(self) -> str | None:
        """The OLT the CPE is registered on (``vars.cpe_registration_host``)."""
        return self.registration.host

    @property
    def registration_id(self) -> str | None:
        """``frame/slot/port-onu`` (``"0/3/9-15"``), from ``vars.cpe_registration_id``."""
        return self.registration.id

    @property
    def pon_port(self) -> PonPort | None:
        """The PON port of the CPE (``str(host.pon_port)`` is ``"0/3/9"``)."""
        return self.registration.pon_port

    @property
    def administrative_info(self) -> AdministrativeInfo | None:
        host_vars = self.vars
        return host_vars.administrative_info if host_vars is not None else None

    @property
    def serial(self) -> str | None:
        """The CPE's serial number (``None`` when absent or empty)."""
        info = self.administrative_info
        return info.sn or None if info is not None else None

    @property
    def cpe_id(self) -> int | None:
        """The CPE's id in ``isp/cpes`` (``vars.administrative_info.id``)."""
        info = self.administrative_info
        return info.id if info is not None else None

    @property
    def state(self) -> int | None:
        return self.attrs.state if self.attrs is not None else None

    @property
    def state_name(self) -> str | None:
        return self.attrs.state_name if self.attrs is not None else None

    @property
    def is_pending(self) -> bool:
        return self.attrs is not None and self.attrs.is_pending

    def metric(self, name: str) -> float | None:
        """A metric's value by name (``service.metric("pondesv")``), or ``None``."""
        return self.attrs.metric(name) if self.attrs is not None else None

    @property
    def services(self) -> tuple[Service, ...]:
        """Joined services (``joins="services"``), empty otherwise."""
        return (self.joins.services or ()) if self.joins is not None else ()

    def service(self, name: str) -> Service | None:
        """The joined service called ``name`` (``"txrx"``), or ``None``."""
        for item in self.services:
            if item.service_name == name:
                return item
        return None


class Host(MonitoringObject):
    """A monitored host (for CPEs, the host name is the cpename and ``cpe_id`` its CRM id)."""

    attrs: HostAttrs | None = UNSET


class Service(MonitoringObject):
    """A monitored service ``<host>!<service>`` (``txrx`` carries ``dnrx uptx uprx dnatt upatt pondesv``)."""

    attrs: ServiceAttrs | None = UNSET


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


# -- graphs and datasets -------------------------------------------------------------------------------


class GraphDataset(Record):
    """One line of a graph; ``measurement`` and ``metric`` are what ``datasets()`` asks for."""

    label: str | None = UNSET
    measurement: str | None = UNSET
    metric: str | None = UNSET
    uom: str | None = UNSET
    min: float | None = UNSET
    max: float | None = UNSET
    warning: float | None = UNSET
    critical: float | None = UNSET
    error: float | None = UNSET
    percentile: float | None = UNSET
    operator: str | None = UNSET
    color_index: int | None = UNSET

    @property
    def unit(self) -> str | None:
        """The unit, ``None`` for ``""`` or the literal string ``"null"`` some graphs carry."""
        return None if self.uom in (None, "", "null") else self.uom


class Graph(Record):
    """A graph definition from ``/monitoring/graphs/``."""

    title: str | None = UNSET
    group: str | None = UNSET
    type: str | None = UNSET
    range: str | None = UNSET
    severity: int | None = UNSET
    weight: int | None = UNSET
    datasets: tuple[GraphDataset, ...] | None = UNSET


class DatasetMetric(msgspec.Struct, frozen=True, kw_only=True):
    """One series to ask ``POST /monitoring/datasets/`` for (from a graph's ``datasets``)."""

    host_name: str
    service_name: str | None
    measurement: str
    metric: str

    @property
    def key(self) -> str:
        """The response key ``<measurement>__<host>__<service>__<metric>`` (``None`` service written as Python
        writes it: the server's format for that case is undocumented)."""
        return f"{self.measurement}__{self.host_name}__{self.service_name}__{self.metric}"


class DataPoint(msgspec.Struct, frozen=True, gc=False):
    """One down-sampled point of a series (``time`` is UTC)."""

    time: _dt.datetime
    value: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Series:
    """A metric's time series from ``datasets()``, identified like the response key."""

    measurement: str
    host_name: str
    service_name: str | None
    metric: str
    points: list[DataPoint]

    @property
    def values(self) -> list[float | None]:
        return [point.value for point in self.points]


_NO_SERVICE = ("None", "null", "")


def series_from_datasets(data: dict[str, list[DataPoint]], requested: list[DatasetMetric]) -> list[Series]:
    """The series of a ``datasets`` answer, in the order asked for, then any other key the server added.

    Keys are ``<measurement>__<host>__<service>__<metric>``; the requested metrics identify them exactly
    (host and service names may contain ``__``), other keys are split on ``__``.
    """
    series: list[Series] = []
    seen: set[str] = set()
    for want in requested:
        services = [want.service_name] if want.service_name is not None else list(_NO_SERVICE)
        for service in services:
            key = f"{want.measurement}__{want.host_name}__{service}__{want.metric}"
            if key in data and key not in seen:
                seen.add(key)
                series.append(Series(want.measurement, want.host_name, want.service_name, want.metric, data[key]))
                break
    for key, points in data.items():
        if key in seen:
            continue
        parts = key.split("__")
        if len(parts) >= 4:
            middle = "__".join(parts[2:-1])
            series.append(Series(parts[0], parts[1], None if middle in _NO_SERVICE else middle, parts[-1], points))
        else:
            series.append(Series(parts[0], parts[1] if len(parts) > 2 else "", None, parts[-1], points))
    return series


seal_records(list(globals().values()))
