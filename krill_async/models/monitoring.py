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
from typing import Any, ClassVar

from ._base import UNSET, Record, seal_records
from ._monitoring_graphs import DataPoint, DatasetMetric, Graph, GraphDataset, Series, series_from_datasets
from ._monitoring_live import (
    CpeAlarm,
    CpeInfo,
    CpeInfoPerfdata,
    CpeInfoService,
    CpeRegistration,
    CpeServicePort,
    CpeTech,
)
from ._monitoring_vars import (
    _HOST_STATES,
    _SERVICE_STATES,
    PENDING,
    AdministrativeInfo,
    Flag,
    HostVars,
    PerfData,
    PonPort,
    Registration,
    Timestamp,
    _flag,
    when,
)

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


seal_records(list(globals().values()))
