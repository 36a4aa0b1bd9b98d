"""Rubik (wholesale FTTH: bitstream/NEBA) records, from the Spanish Rubik guide (facts §7.11).

Addresses follow the TMForum GeographicAddress model, hence the camelCase names. Identifiers arrive
padded with trailing spaces (``"17000831539000002       "``) and are kept byte-exact: send them back as
received. Service ``state`` is an open string: older deployments use lowercase states, newer ones the
TMF622 lifecycle; both are listed in :class:`ServiceState`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, ClassVar

import msgspec

from ._base import Record

__all__ = [
    "AddressClues",
    "AddressSearch",
    "AddressSearchMeta",
    "CoverageCheck",
    "GeographicSubAddress",
    "OwnerSettings",
    "Product",
    "RubikAddress",
    "RubikProducts",
    "RubikService",
    "RubikSubaddress",
    "RubikTicket",
    "RubikUid",
    "RubikUidMeta",
    "ServiceOrder",
    "ServiceState",
]


class ServiceState:
    """Known values of a Rubik service ``state`` (an open string: compare, don't enumerate)."""

    # TMF622 product order lifecycle (current deployments; the sample writes "InProgress")
    ACKNOWLEDGED = "Acknowledged"
    IN_PROGRESS = "InProgress"
    PENDING = "Pending"
    HELD = "Held"
    PENDING_CANCELLATION = "Pending Cancellation"
    CANCELLED = "Cancelled"
    COMPLETED = "Completed"
    FAILED = "Failed"
    # older deployments and the UI guide
    RESERVED = "reserved"
    ORDERING = "ordering"
    ORDERED = "ordered"
    COMPLETED_OLD = "completed"
    CANCELED_OLD = "canceled"
    DOWN = "down"
    INITIALIZED = "initialized"


class Product:
    """Known ``product`` values of a subaddress uid. ``sin-cobertura`` means no coverage (no verify needed)."""

    LOCAL = "ftth-local"
    RESIDENTIAL = "ftth-residencial"
    RESIDENTIAL_EN = "ftth-residential"
    BUSINESS = "ftth-empresa"
    BUSINESS_EN = "ftth-business"
    NO_COVERAGE = "sin-cobertura"


class RubikAddress(Record):
    """A building (``finca``) from ``rubik/addresses/``: pass it as received to ``subaddresses``."""

    id: str | None = None
    uid: str | None = None
    streetNr: int | str | None = None
    streetNrSuffix: str | None = None
    streetNrLast: str | None = None
    streetNrLastSuffix: str | None = None
    streetName: str | None = None
    streetType: str | None = None
    streetSuffix: str | None = None
    postCode: str | None = None
    locality: str | None = None
    city: str | None = None
    stateOrProvince: str | None = None
    country: str | None = None
    geographicLocation: str | None = None
    type: str | None = None
    source: str | None = None
    geographicSubAddress: list[Any] | None = None


class AddressClues(Record):
    """Suggestions for narrowing an address search (note ``postcode`` lowercase here, ``postCode`` in queries)."""

    postcode: Any = None
    locality: Any = None
    city: Any = None
    stateOrProvince: Any = None
    streetType: Any = None
    streetName: Any = None
    streetNr: Any = None


class AddressSearchMeta(Record):
    """``_meta`` of an address search: clues and the problems found (reported with HTTP 200)."""

    clues: AddressClues | None = None
    errors: list[Any] | None = None


class AddressSearch(Record):
    """The answer of ``rubik/addresses/``: not a paginated envelope."""

    addresses: list[RubikAddress] | None = None
    meta: AddressSearchMeta | None = msgspec.field(default=None, name="_meta")

    @property
    def errors(self) -> list[Any]:
        """Problems the server reported in ``_meta.errors`` (empty when none)."""
        return list(self.meta.errors or []) if self.meta is not None else []


class GeographicSubAddress(Record):
    """A dwelling inside a building."""

    subUnitType: str | None = None
    subUnitNumber: str | None = None
    buildingName: str | None = None
    buildingNameSuffix: str | None = None
    stairCase: str | None = None
    levelNumber: str | None = None
    doorType: str | None = None
    door: str | None = None


class RubikUidMeta(Record):
    """``_meta`` of a uid from ``products``."""

    lagl: str | None = None
    ppapie: str | None = None
    overload: bool | None = None
    extension_datetime: Any = None
    extension_description: Any = None


class RubikUid(Record):
    """An identifier of a dwelling (``refId`` ``gescal``: ``externalId`` is the Gescal code, internal spaces kept)."""

    externalId: str | None = None
    refId: str | None = None
    product: str | None = None
    meta: RubikUidMeta | None = msgspec.field(default=None, name="_meta")

    @property
    def no_coverage(self) -> bool:
        """True when the wholesaler already said there is no coverage (``sin-cobertura``)."""
        return self.product == Product.NO_COVERAGE


class RubikSubaddress(Record):
    """A dwelling of an address, from ``rubik/subaddresses`` (which answers a bare list)."""

    owner: str | None = None
    geographicSubAddress: GeographicSubAddress | None = None
    uids: list[RubikUid] | None = None


class RubikProducts(Record):
    """The products a wholesaler offers for a subaddress (``rubik/products``)."""

    owner: str | None = None
    uids: list[RubikUid] | None = None


class CoverageCheck(Record):
    """The answer of ``rubik/verify/``. Coverage is in the body, not the HTTP status: ``code`` 100 means
    coverage, 302 no coverage (both with HTTP 200)."""

    #: ``code`` when the dwelling has coverage.
    COVERAGE: ClassVar[int] = 100
    #: ``code`` when it has none.
    NO_COVERAGE: ClassVar[int] = 302

    code: int | None = None
    message: str | None = None
    description: str | None = None
    meta: Any = msgspec.field(default=None, name="_meta")

    @property
    def covered(self) -> bool:
        """True for code 100."""
        return self.code == self.COVERAGE

    @property
    def not_covered(self) -> bool:
        """True for code 302 (no coverage; not an error)."""
        return self.code == self.NO_COVERAGE


class OwnerSettings(Record):
    """One wholesaler's configuration (``rubik/owner-settings/`` maps owner name -> settings).

    ``ppais`` and ``service_profiles`` are lists of ``{id, label}`` today and were dicts in 2023, so they
    are left open.
    """

    diagnostic_actions: dict[str, Any] | None = None
    diagnostic_tests: dict[str, Any] | None = None
    has_otb_change: bool | None = None
    has_products_api: bool | None = None
    has_tickets: bool | None = None
    ppais: Any = None
    reserve_expiration: int | None = None
    service_profiles: Any = None
    # 2023-09 shape
    has_product_order: bool | None = None
    needs_planning_date: bool | None = None
    needs_reason: bool | None = None


class RubikService(Record):
    """A wholesale FTTH service. ``planned`` is ``"YYYY-MM-DD HH:MM"`` text, kept as received."""

    id: int | None = None
    owner: str | None = None
    address_uid: str | None = None
    remote_id: str | None = None
    state: str | None = None
    last_state: str | None = None
    owner_state: str | None = None
    product: str | None = None
    installation_info: dict[str, Any] | None = None
    service_profile: str | None = None
    ppai: str | None = None
    tv_remote_id: str | None = None
    crm_phone_label: str | None = None
    crm_contact_label: str | None = None
    crm_external_id: str | None = None
    crm_customer_label: str | None = None
    administrative_id: str | None = None
    order_id: str | None = None
    reason: str | None = None
    planned: str | None = None
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None


class ServiceOrder(Record):
    """The body that creates a Rubik service (``POST rubik/services/``).

    Two documented forms: generic (``uids`` + ``address`` with its ``geographicSubAddress`` embedded) and
    NEBA (``address_uid`` + ``product`` + ``extrainfo``). ``extrainfo`` keys are per owner (NEBA:
    ``NU-CMR-IUA``, ``DS-NOM-CDR-TEC``...).
    """

    owner: str | None = None
    service_profile: str | None = None
    crm_external_id: str | None = None
    crm_customer_label: str | None = None
    crm_phone_label: str | None = None
    crm_contact_label: str | None = None
    remote_id: str | None = None
    ppai: str | None = None
    tv_remote_id: str | None = None
    uids: list[RubikUid] | None = None
    address: RubikAddress | None = None
    address_uid: str | None = None
    product: str | None = None
    extrainfo: dict[str, Any] | None = None
    planned: str | None = None
    reason: str | None = None


class RubikTicket(Record):
    """A trouble ticket (**unverified**: only the UI is documented; names are its labels)."""

    id: int | None = None
    owner: str | None = None
    customer: Any = None
    address: Any = None
    service: Any = None
    state: str | None = None
    priority: Any = None
    type: str | None = None
    symptom: str | None = None
    description: str | None = None
    comments: Any = None
    affected_customers: Any = None
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None
