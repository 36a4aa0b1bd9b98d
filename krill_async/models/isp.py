"""ISP (CRM) records: customers, CPEs and POTS lines, with every field documented or seen in real data."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any, ClassVar

import msgspec

from ._base import Record

__all__ = ["Cpe", "CpeActions", "CpeLinkPaths", "CpeLinks", "Customer", "Pots"]


class Customer(Record):
    """A CRM customer (``/api/v2/isp/customers/``, or embedded in a CPE with ``joins=customer``)."""

    id: int | None = None
    name: str | None = None
    surname: str | None = None
    external_id: str | None = None
    realm: str | None = None
    address: str | None = None
    city: str | None = None
    locality: str | None = None
    country: str | None = None
    postalcode: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    comment: str | None = None
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None


class Pots(Record):
    """A telephony (POTS) line of a CPE; ``lineid`` is ``<cpename>-<port>``."""

    __secret_fields__: ClassVar[frozenset[str]] = frozenset({"password", "voicemail_password"})

    id: int | None = None
    lineid: str | None = None
    order: int | None = None
    cli: str | None = None
    label: str | None = None
    context: int | None = None
    contextname: str | None = None
    custom_digitmap: str | None = None
    dtmf: str | None = None
    language: str | None = None
    username: str | None = None
    password: str | None = None
    pbx_extension: bool | None = None
    voicemail: bool | None = None
    voicemail_password: str | None = None
    billing_profile: Any = None
    cpe: int | None = None


class _PathSet(Record):
    """Named paths with lookup by name, for code that gets the name from elsewhere (a CLI, a config)."""

    def get(self, name: str) -> str | None:
        """The path called ``name``, or None when the record does not carry it."""
        value = getattr(self, name, None) if name in self.__struct_fields__ else None
        return value if isinstance(value, str) else None


class CpeActions(_PathSet):
    """Paths of a CPE's actions, from ``_links.actions`` (the prefix differs between deployments:
    ``/api/v2/cpes/{id}/...`` or ``/api/v2/isp/cpes/{id}/...``).

    Named fields rather than a dict: typed access, and about a quarter faster to decode in bulk.
    """

    diagnostic: str | None = None
    factory: str | None = None
    reboot: str | None = None
    reconfig: str | None = None
    reprovision: str | None = None
    unprovision: str | None = None


class CpeLinkPaths(_PathSet):
    """Paths of a CPE's related resources, from ``_links.links``."""

    cdrs: str | None = None
    customer: str | None = None
    cwmp_info: str | None = None
    events: str | None = None
    info: str | None = None
    links: str | None = None
    livestatus: str | None = None
    logs: str | None = None
    model: str | None = None
    potses: str | None = None
    profile: str | None = None


class CpeLinks(Record):
    """``_links`` of a v2 CPE: its actions and related resources."""

    actions: CpeActions | None = None
    links: CpeLinkPaths | None = None


class Cpe(Record):
    """A customer premises equipment (ONT, cable modem, router) from ``/api/v2/isp/cpes/``.

    ``customer`` is the customer id, or a :class:`Customer` with ``joins=customer``; ``potses`` is filled
    by ``joins=potses``. Coordinates are decimal strings on the wire and decode to ``Decimal``.
    """

    __secret_fields__: ClassVar[frozenset[str]] = frozenset({"pppoe_password", "wifi_password"})

    id: int | None = None
    cpename: str | None = None
    internal_id: str | None = None
    external_id: str | None = None
    realm: str | None = None
    customer: int | Customer | None = None
    potses: list[Pots] | None = None
    # hardware
    tech: str | None = None
    model: str | None = None
    sn: str | None = None
    dsn: str | None = None
    mac: str | None = None
    mtamac: str | None = None
    wanmac: str | None = None
    remote_id: str | None = None
    avatar: str | None = None
    is_router: bool | None = None
    is_bitstream: bool | None = None
    # status flags
    active: bool | None = None
    access: bool | None = None
    bridge: bool | None = None
    probe: bool | None = None
    enable_notifications: bool | None = None
    external_voip: bool | None = None
    disable_provision: bool | None = None
    disable_reconfig: bool | None = None
    has_tr069: bool | None = None
    tr069: bool | None = None
    # profiles
    profile: int | None = None
    line_profile: str | None = None
    tv_profile: str | None = None
    voip_profile: str | None = None
    wifi_profile: str | None = None
    address_profile: str | None = None
    # IP / network
    fixed_address: str | None = None
    lan_cidr: str | None = None
    me_vlan: int | str | None = None
    pppoe_username: str | None = None
    pppoe_password: str | None = None
    # WiFi
    wifi_ssid: str | None = None
    wifi_password: str | None = None
    # location
    address: str | None = None
    city: str | None = None
    locality: str | None = None
    country: str | None = None
    postalcode: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    topology: str | None = None
    # other
    notes: str | None = None
    expiration_date: _dt.date | None = None
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None
    tech_updated: _dt.datetime | None = None
    links: CpeLinks | None = msgspec.field(default=None, name="_links")
    services: list[str] | None = msgspec.field(default=None, name="_services")
