"""Writable fields of the CRM resources and their DRF validation rules (facts §7.1-7.3).

Kept apart from the data so the write views and the generator share one definition of each field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CPE_SCHEMA", "CUSTOMER_SCHEMA", "POTS_SCHEMA", "FieldKind", "FieldSpec"]

FieldKind = Literal["str", "int", "bool", "decimal", "date", "customer", "any"]


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
