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

from ._base import Record

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

    name: str | None = None
    value: float | None = None
    uom: str | None = None
    min: float | None = None
    max: float | None = None
    warning: float | None = None
    critical: float | None = None

    @property
    def unit(self) -> str | None:
        """The unit of measure, ``None`` when the server sent ``""``, ``"null"`` or nothing."""
        return None if self.uom in (None, "", "null") else self.uom


# -- vars ----------------------------------------------------------------------------------------------


class AdministrativeInfo(Record):
    """``vars.administrative_info``: the CRM view of a CPE host (``id`` is the CPE's id in ``isp/cpes``)."""

    id: int | None = None
    sn: str | None = None
    dsn: str | None = None
    mac: str | None = None
    tech: str | None = None
    model: str | None = None
    vendor: str | None = None
    realm: str | None = None
    access: bool | None = None
    active: bool | None = None
    tr069: bool | None = None
    external_voip: bool | None = None
    actions: tuple[str, ...] | None = None
    services: tuple[str, ...] | None = None
    potses: tuple[str, ...] | None = None
    address: str | None = None
    customer_address: str | None = None
    customer_name: str | None = None
    customer_external_id: str | None = None
    address_profile: str | None = None
    line_profile: str | None = None
    tv_profile: str | None = None
    voip_profile: str | None = None
    profile_name: str | None = None
    profile_downstream: str | None = None
    profile_upstream: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    topology: str | None = None
    notes: str | None = None


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
    are skipped: select them with a projection (``.select(x="attrs.vars.my_var")``) or ``into=dict``."""

    type: str | None = None
    vendor: str | None = None
    model: str | None = None
    business_impact: int | None = None
    search: str | None = None
    cpe_registration_host: str | tuple[str, ...] | None = None
    cpe_registration_id: str | tuple[str, ...] | None = None
    cpe_registration_state: str | tuple[str, ...] | None = None
    cpe_registration_tags: str | tuple[str, ...] | None = None
    administrative_info: AdministrativeInfo | None = None

    @property
    def registration(self) -> Registration:
        """The normalised registration (see :class:`Registration`)."""
        return Registration(
            host=_first(self.cpe_registration_host),
            id=_first(self.cpe_registration_id),
            states=_as_tuple(self.cpe_registration_state),
            tags=_as_tuple(self.cpe_registration_tags),
        )


# -- attrs ---------------------------------------------------------------------------------------------


class CheckResult(Record):
    """``attrs.last_check_result`` (``/monitoring/hosts/{name}``); null on pending objects."""

    command: Any = None
    output: str | None = None
    state: int | None = None
    exit_status: int | None = None
    execution_start: Timestamp = None
    execution_end: Timestamp = None
    schedule_start: Timestamp = None
    schedule_end: Timestamp = None
    execution_time: float | None = None


class ObjectAttrs(Record):
    """``attrs`` of a monitored object (host or service), every documented field.

    Flags are the server's 0/1 numbers; the ``is_*`` properties give booleans. ``state`` 99 is pending.
    """

    host_name: str | None = None
    service_name: str | None = None
    address: str | None = None
    check_command: str | None = None
    check_period: str | None = None
    check_interval: float | None = None
    retry_interval: float | None = None
    check_attempt: int | None = None
    max_check_attempts: int | None = None
    state: int | None = None
    state_long: str | None = None
    state_type: int | None = None
    last_hard_state: int | None = None
    severity: int | None = None
    business_impact: int | None = None
    latency: float | None = None
    output: str | None = None
    long_output: str | None = None
    perfdata: tuple[PerfData, ...] | None = None
    last_check: Timestamp = None
    next_check: Timestamp = None
    last_state_change: Timestamp = None
    last_hard_state_change: Timestamp = None
    last_check_result: CheckResult | None = None
    acknowledged: Flag = None
    acknowledgement: Flag = None
    alarm: Flag = None
    downtime: Flag = None
    downtime_depth: int | None = None
    downtimed: Flag = None
    enable_active_checks: Flag = None
    enable_passive_checks: Flag = None
    flap_detection_enabled: Flag = None
    handled: Flag = None
    has_been_checked: Flag = None
    is_flapping: Flag = None
    problem: Flag = None
    vars: HostVars | None = None

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

    services: tuple[Service, ...] | None = None


class MonitoringObject(Record):
    """An Icinga-style object ``{type, name, attrs, joins, meta}`` of either type.

    The accessors answer what operators ask (OLT, registration id, PON port, serial, a metric's value);
    they read ``attrs.vars``, which Host objects and Service search results carry.
    """

    type: str | None = None
    name: str | None = None
    attrs: ObjectAttrs | None = None
    joins: ObjectJoins | None = None
    meta: dict[str, Any] | None = None

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

    attrs: HostAttrs | None = None


class Service(MonitoringObject):
    """A monitored service ``<host>!<service>`` (``txrx`` carries ``dnrx uptx uprx dnatt upatt pondesv``)."""

    attrs: ServiceAttrs | None = None


# -- live CPE info (/monitoring/cpes/{id}/info) --------------------------------------------------------


class CpeAlarm(Record):
    level: str | None = None
    type: str | None = None
    admin_status: str | None = None
    name: str | None = None
    extra: str | None = None


class CpeRegistration(Record):
    host: str | None = None
    id: str | None = None
    last_down_time: str | None = None
    related_services: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None


class CpeInfoPerfdata(Record):
    metric: str | None = None
    value: float | None = None
    uom: str | None = None
    min: float | None = None
    max: float | None = None
    thresholds: tuple[float, ...] | None = None
    items: tuple[Any, ...] | None = None


class CpeInfoService(Record):
    output: str | None = None
    state_id: int | None = None
    perfdatas: tuple[CpeInfoPerfdata, ...] | None = None

    def metric(self, name: str) -> float | None:
        for item in self.perfdatas or ():
            if item.metric == name:
                return item.value
        return None


class CpeServicePort(Record):
    id: int | None = None
    user_vlan: int | None = None
    service_vlan: int | None = None
    native_vlan: int | None = None
    inbound_traffic_table_name: str | None = None
    outbound_traffic_table_name: str | None = None


class CpeTech(Record):
    line_profile: str | None = None
    service_profile: str | None = None
    type_name: str | None = None
    service_ports: tuple[CpeServicePort, ...] | None = None


class CpeInfo(Record):
    """Real-time CPE info, queried live from the OLT and other devices (slow; may fail when they are down)."""

    state: str | None = None
    state_id: int | None = None
    output: str | None = None
    uptime: int | None = None
    dnbw: float | None = None
    upbw: float | None = None
    ips: tuple[str, ...] | None = None
    distance: int | None = None
    alarms: tuple[CpeAlarm, ...] | None = None
    registration: CpeRegistration | None = None
    services: dict[str, CpeInfoService] | None = None
    tech: CpeTech | None = None

    @property
    def is_up(self) -> bool:
        return self.state == "up"


# -- graphs and datasets -------------------------------------------------------------------------------


class GraphDataset(Record):
    """One line of a graph; ``measurement`` and ``metric`` are what ``datasets()`` asks for."""

    label: str | None = None
    measurement: str | None = None
    metric: str | None = None
    uom: str | None = None
    min: float | None = None
    max: float | None = None
    warning: float | None = None
    critical: float | None = None
    error: float | None = None
    percentile: float | None = None
    operator: str | None = None
    color_index: int | None = None

    @property
    def unit(self) -> str | None:
        """The unit, ``None`` for ``""`` or the literal string ``"null"`` some graphs carry."""
        return None if self.uom in (None, "", "null") else self.uom


class Graph(Record):
    """A graph definition from ``/monitoring/graphs/``."""

    title: str | None = None
    group: str | None = None
    type: str | None = None
    range: str | None = None
    severity: int | None = None
    weight: int | None = None
    datasets: tuple[GraphDataset, ...] | None = None


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
