"""Monitoring building blocks: Icinga's value drift helpers, perfdata and the vars of a host (registration,
administrative info); re-exported by ``krill_async.models.monitoring``."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ._base import UNSET, Record, seal_records

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
    are skipped: select them with a projection (``.select(x="attrs.vars.my_var")``) or ``into=dict``."""

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


seal_records(list(globals().values()))
