"""Rubik (wholesale FTTH: bitstream/NEBA) records, from the Spanish Rubik guide (facts §7.11).

Addresses follow the TMForum GeographicAddress model, hence the camelCase names. Identifiers arrive
padded with trailing spaces (``"17000831539000002       "``) and are kept byte-exact: send them back as
received. Service ``state`` is an open string: older deployments use lowercase states, newer ones the
TMF622 lifecycle; both are listed in [`ServiceState`][krill_async.ServiceState].
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, ClassVar

import msgspec

from ._base import UNSET, Record, seal_records

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

    id: str | None = UNSET
    uid: str | None = UNSET
    streetNr: int | str | None = UNSET
    streetNrSuffix: str | None = UNSET
    streetNrLast: str | None = UNSET
    streetNrLastSuffix: str | None = UNSET
    streetName: str | None = UNSET
    streetType: str | None = UNSET
    streetSuffix: str | None = UNSET
    postCode: str | None = UNSET
    locality: str | None = UNSET
    city: str | None = UNSET
    stateOrProvince: str | None = UNSET
    country: str | None = UNSET
    geographicLocation: str | None = UNSET
    type: str | None = UNSET
    source: str | None = UNSET
    geographicSubAddress: list[Any] | None = UNSET


class AddressClues(Record):
    """Suggestions for narrowing an address search (note ``postcode`` lowercase here, ``postCode`` in queries)."""

    postcode: Any = UNSET
    locality: Any = UNSET
    city: Any = UNSET
    stateOrProvince: Any = UNSET
    streetType: Any = UNSET
    streetName: Any = UNSET
    streetNr: Any = UNSET


class AddressSearchMeta(Record):
    """``_meta`` of an address search: clues and the problems found (reported with HTTP 200)."""

    clues: AddressClues | None = UNSET
    errors: list[Any] | None = UNSET


class AddressSearch(Record):
    """The answer of ``rubik/addresses/``: not a paginated envelope."""

    addresses: list[RubikAddress] | None = UNSET
    meta: AddressSearchMeta | None = msgspec.field(default=UNSET, name="_meta")

    @property
    def errors(self) -> list[Any]:
        """Problems the server reported in ``_meta.errors`` (empty when none)."""
        return list(self.meta.errors or []) if self.meta is not None else []


class GeographicSubAddress(Record):
    """A dwelling inside a building."""

    subUnitType: str | None = UNSET
    subUnitNumber: str | None = UNSET
    buildingName: str | None = UNSET
    buildingNameSuffix: str | None = UNSET
    stairCase: str | None = UNSET
    levelNumber: str | None = UNSET
    doorType: str | None = UNSET
    door: str | None = UNSET


class RubikUidMeta(Record):
    """``_meta`` of a uid from ``products``."""

    lagl: str | None = UNSET
    ppapie: str | None = UNSET
    overload: bool | None = UNSET
    extension_datetime: Any = UNSET
    extension_description: Any = UNSET


class RubikUid(Record):
    """An identifier of a dwelling (``refId`` ``gescal``: ``externalId`` is the Gescal code, internal spaces kept)."""

    externalId: str | None = UNSET
    refId: str | None = UNSET
    product: str | None = UNSET
    meta: RubikUidMeta | None = msgspec.field(default=UNSET, name="_meta")

    @property
    def no_coverage(self) -> bool:
        """True when the wholesaler already said there is no coverage (``sin-cobertura``)."""
        return self.product == Product.NO_COVERAGE


class RubikSubaddress(Record):
    """A dwelling of an address, from ``rubik/subaddresses`` (which answers a bare list)."""

    owner: str | None = UNSET
    geographicSubAddress: GeographicSubAddress | None = UNSET
    uids: list[RubikUid] | None = UNSET


class RubikProducts(Record):
    """The products a wholesaler offers for a subaddress (``rubik/products``)."""

    owner: str | None = UNSET
    uids: list[RubikUid] | None = UNSET


class CoverageCheck(Record):
    """The answer of ``rubik/verify/``. Coverage is in the body, not the HTTP status: ``code`` 100 means
    coverage, 302 no coverage (both with HTTP 200)."""

    #: ``code`` when the dwelling has coverage.
    COVERAGE: ClassVar[int] = 100
    #: ``code`` when it has none.
    NO_COVERAGE: ClassVar[int] = 302

    code: int | None = UNSET
    message: str | None = UNSET
    description: str | None = UNSET
    meta: Any = msgspec.field(default=UNSET, name="_meta")

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

    diagnostic_actions: dict[str, Any] | None = UNSET
    diagnostic_tests: dict[str, Any] | None = UNSET
    has_otb_change: bool | None = UNSET
    has_products_api: bool | None = UNSET
    has_tickets: bool | None = UNSET
    ppais: Any = UNSET
    reserve_expiration: int | None = UNSET
    service_profiles: Any = UNSET
    # 2023-09 shape
    has_product_order: bool | None = UNSET
    needs_planning_date: bool | None = UNSET
    needs_reason: bool | None = UNSET


class RubikService(Record):
    """A wholesale FTTH service. ``planned`` is ``"YYYY-MM-DD HH:MM"`` text, kept as received."""

    id: int | None = UNSET
    owner: str | None = UNSET
    address_uid: str | None = UNSET
    remote_id: str | None = UNSET
    state: str | None = UNSET
    last_state: str | None = UNSET
    owner_state: str | None = UNSET
    product: str | None = UNSET
    installation_info: dict[str, Any] | None = UNSET
    service_profile: str | None = UNSET
    ppai: str | None = UNSET
    tv_remote_id: str | None = UNSET
    crm_phone_label: str | None = UNSET
    crm_contact_label: str | None = UNSET
    crm_external_id: str | None = UNSET
    crm_customer_label: str | None = UNSET
    administrative_id: str | None = UNSET
    order_id: str | None = UNSET
    reason: str | None = UNSET
    planned: str | None = UNSET
    created: _dt.datetime | None = UNSET
    updated: _dt.datetime | None = UNSET


class ServiceOrder(Record):
    """The body that creates a Rubik service (``POST rubik/services/``).

    Two documented forms: generic (``uids`` + ``address`` with its ``geographicSubAddress`` embedded) and
    NEBA (``address_uid`` + ``product`` + ``extrainfo``). ``extrainfo`` keys are per owner (NEBA:
    ``NU-CMR-IUA``, ``DS-NOM-CDR-TEC``...).
    """

    owner: str | None = UNSET
    service_profile: str | None = UNSET
    crm_external_id: str | None = UNSET
    crm_customer_label: str | None = UNSET
    crm_phone_label: str | None = UNSET
    crm_contact_label: str | None = UNSET
    remote_id: str | None = UNSET
    ppai: str | None = UNSET
    tv_remote_id: str | None = UNSET
    uids: list[RubikUid] | None = UNSET
    address: RubikAddress | None = UNSET
    address_uid: str | None = UNSET
    product: str | None = UNSET
    extrainfo: dict[str, Any] | None = UNSET
    planned: str | None = UNSET
    reason: str | None = UNSET


class RubikTicket(Record):
    """A trouble ticket (**unverified**: only the UI is documented; names are its labels)."""

    id: int | None = UNSET
    owner: str | None = UNSET
    customer: Any = UNSET
    address: Any = UNSET
    service: Any = UNSET
    state: str | None = UNSET
    priority: Any = UNSET
    type: str | None = UNSET
    symptom: str | None = UNSET
    description: str | None = UNSET
    comments: Any = UNSET
    affected_customers: Any = UNSET
    created: _dt.datetime | None = UNSET
    updated: _dt.datetime | None = UNSET


seal_records(list(globals().values()))
