"""ISP (CRM) records: customers, CPEs and POTS lines, with every field documented or seen in real data."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from ._base import UNSET, Record, seal_records

__all__ = ["Cpe", "CpeActions", "CpeLinkPaths", "CpeLinks", "Customer", "Pots"]


class Customer(Record):
    """A CRM customer (``/api/v2/isp/customers/``, or embedded in a CPE with ``joins=customer``)."""

    id: int | None = UNSET
    name: str | None = UNSET
    surname: str | None = UNSET
    external_id: str | None = UNSET
    realm: str | None = UNSET
    address: str | None = UNSET
    city: str | None = UNSET
    locality: str | None = UNSET
    country: str | None = UNSET
    postalcode: str | None = UNSET
    latitude: Decimal | None = UNSET
    longitude: Decimal | None = UNSET
    comment: str | None = UNSET
    created: _dt.datetime | None = UNSET
    updated: _dt.datetime | None = UNSET


class Pots(Record):
    """A telephony (POTS) line of a CPE; ``lineid`` is ``<cpename>-<port>``."""

    __secret_fields__: ClassVar[frozenset[str]] = frozenset({"password", "voicemail_password"})

    id: int | None = UNSET
    lineid: str | None = UNSET
    order: int | None = UNSET
    cli: str | None = UNSET
    label: str | None = UNSET
    context: int | None = UNSET
    contextname: str | None = UNSET
    custom_digitmap: str | None = UNSET
    dtmf: str | None = UNSET
    language: str | None = UNSET
    username: str | None = UNSET
    password: str | None = UNSET
    pbx_extension: bool | None = UNSET
    voicemail: bool | None = UNSET
    voicemail_password: str | None = UNSET
    billing_profile: Any = UNSET
    cpe: int | None = UNSET


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

    diagnostic: str | None = UNSET
    factory: str | None = UNSET
    reboot: str | None = UNSET
    reconfig: str | None = UNSET
    reprovision: str | None = UNSET
    unprovision: str | None = UNSET


class CpeLinkPaths(_PathSet):
    """Paths of a CPE's related resources, from ``_links.links``."""

    cdrs: str | None = UNSET
    customer: str | None = UNSET
    cwmp_info: str | None = UNSET
    events: str | None = UNSET
    info: str | None = UNSET
    links: str | None = UNSET
    livestatus: str | None = UNSET
    logs: str | None = UNSET
    model: str | None = UNSET
    potses: str | None = UNSET
    profile: str | None = UNSET


class CpeLinks(Record):
    """``_links`` of a v2 CPE: its actions and related resources."""

    actions: CpeActions | None = UNSET
    links: CpeLinkPaths | None = UNSET


class Cpe(Record):
    """A customer premises equipment (ONT, cable modem, router) from ``/api/v2/isp/cpes/``.

    ``customer`` is the customer id, or a [`Customer`][krill_async.Customer] with ``joins=customer``; ``potses`` is
    filled by ``joins=potses``. Coordinates are decimal strings on the wire and decode to ``Decimal``.
    """

    __secret_fields__: ClassVar[frozenset[str]] = frozenset({"pppoe_password", "wifi_password"})
    #: ``_links`` is 17 paths (~700 bytes, 40% of a record) that most readers never touch: pages keep it as
    #: raw JSON and ``cpe.links`` decodes it on first access (to a ``CpeLinks``, as before).
    __lazy_fields__: ClassVar[dict[str, Any]] = {"links": CpeLinks | None}

    id: int | None = UNSET
    cpename: str | None = UNSET
    internal_id: str | None = UNSET
    external_id: str | None = UNSET
    realm: str | None = UNSET
    customer: int | Customer | None = UNSET
    potses: list[Pots] | None = UNSET
    # hardware
    tech: str | None = UNSET
    model: str | None = UNSET
    sn: str | None = UNSET
    dsn: str | None = UNSET
    mac: str | None = UNSET
    mtamac: str | None = UNSET
    wanmac: str | None = UNSET
    remote_id: str | None = UNSET
    avatar: str | None = UNSET
    is_router: bool | None = UNSET
    is_bitstream: bool | None = UNSET
    # status flags
    active: bool | None = UNSET
    access: bool | None = UNSET
    bridge: bool | None = UNSET
    probe: bool | None = UNSET
    enable_notifications: bool | None = UNSET
    external_voip: bool | None = UNSET
    disable_provision: bool | None = UNSET
    disable_reconfig: bool | None = UNSET
    has_tr069: bool | None = UNSET
    tr069: bool | None = UNSET
    # profiles
    profile: int | None = UNSET
    line_profile: str | None = UNSET
    tv_profile: str | None = UNSET
    voip_profile: str | None = UNSET
    wifi_profile: str | None = UNSET
    address_profile: str | None = UNSET
    # IP / network
    fixed_address: str | None = UNSET
    lan_cidr: str | None = UNSET
    me_vlan: int | str | None = UNSET
    pppoe_username: str | None = UNSET
    pppoe_password: str | None = UNSET
    # WiFi
    wifi_ssid: str | None = UNSET
    wifi_password: str | None = UNSET
    # location
    address: str | None = UNSET
    city: str | None = UNSET
    locality: str | None = UNSET
    country: str | None = UNSET
    postalcode: str | None = UNSET
    latitude: Decimal | None = UNSET
    longitude: Decimal | None = UNSET
    topology: str | None = UNSET
    # other
    notes: str | None = UNSET
    expiration_date: _dt.date | None = UNSET
    created: _dt.datetime | None = UNSET
    updated: _dt.datetime | None = UNSET
    tech_updated: _dt.datetime | None = UNSET
    if TYPE_CHECKING:
        links: CpeLinks | None = msgspec.field(default=UNSET, name="_links")
    else:  # decoded on first access (see __lazy_fields__)
        links: msgspec.Raw = msgspec.field(default=UNSET, name="_links")
    services: list[str] | None = msgspec.field(default=UNSET, name="_services")


seal_records(list(globals().values()))
