"""``/api/v2/rubik/``: wholesale FTTH (bitstream/NEBA) addresses, coverage and services.

The documented flow (Spanish Rubik guide): ``owner_settings`` -> ``search_addresses`` ->
``subaddresses(address)`` -> ``products(subaddress)`` (when the owner ``has_products_api``) ->
``verify(products)`` -> ``services.create(order)``. Paths are as documented except ``tickets``
(**unverified**). Records are sent back as received (ids keep their trailing spaces).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from .._checks import InvalidArgument, format_planned
from .._resource import App, Resource, declare
from .._timeouts import TimeoutTypes, resolve_timeout
from .._urls import encode_params, join_api_path
from ..models.rubik import (
    AddressSearch,
    CoverageCheck,
    OwnerSettings,
    RubikAddress,
    RubikProducts,
    RubikService,
    RubikSubaddress,
    RubikTicket,
    RubikUid,
)

__all__ = ["Rubik", "RubikServices", "with_planned"]


def _builtins(data: Any) -> Any:
    return msgspec.to_builtins(data) if isinstance(data, msgspec.Struct) else data


def with_planned(data: Any) -> Any:
    """A service body with ``planned`` checked and written ``"YYYY-MM-DD HH:MM"`` (a datetime is converted)."""
    if isinstance(data, Mapping):
        planned = data.get("planned")
    else:  # read before converting: to_builtins would turn a datetime into ISO text
        planned = getattr(data, "planned", None) if isinstance(data, msgspec.Struct) else None
    body = _builtins(data)
    if planned is not None and isinstance(body, Mapping):
        body = {**body, "planned": format_planned(planned)}
    return body


class RubikServices(Resource[RubikService]):
    """Rubik services: ``list(sort=, search=, owner=, state=)``, ``get``, ``create``, ``update``, ``patch``.

    ``state`` is an open string (see [`ServiceState`][krill_async.models.rubik.ServiceState]).
    """

    async def create(self, data: Any, *, timeout: TimeoutTypes = None) -> RubikService:
        """Order a service (a [`ServiceOrder`][krill_async.ServiceOrder] or a dict). The answer is the stored service,
        usually ``InProgress``: the wholesaler processes the order later."""
        return await super().create(with_planned(data), timeout=timeout)

    async def update(self, id: int | str, data: Any, *, timeout: TimeoutTypes = None) -> RubikService:
        return await super().update(id, with_planned(data), timeout=timeout)

    async def patch(self, id: int | str, data: Any, *, timeout: TimeoutTypes = None) -> RubikService:
        return await super().patch(id, with_planned(data), timeout=timeout)


class Rubik(App):
    """Addresses, coverage, owner settings, services and tickets."""

    name = "rubik"
    addresses_path = "addresses/"
    subaddresses_path = "subaddresses/"
    products_path = "products"
    verify_path = "verify/"
    owner_settings_path = "owner-settings/"

    services: declare[RubikServices] = declare("services", RubikService, resource_class=RubikServices)
    tickets: declare[Resource[RubikTicket]] = declare("tickets", RubikTicket)

    async def _call(
        self, method: str, path: str, model: Any, *, json: Any = None, params: Any = None, timeout: TimeoutTypes
    ) -> Any:
        response = await self.client.transport.request(
            method,
            join_api_path(self.client.root, f"{self.name}/{path}"),
            params=encode_params(params),
            json=json,
            timeout=resolve_timeout(timeout, self.client.timeout),
        )
        return response.json(model)

    async def owner_settings(self, *, timeout: TimeoutTypes = None) -> dict[str, OwnerSettings]:
        """Each wholesaler's (owner's) configuration, by owner name."""
        result: dict[str, OwnerSettings] = await self._call(
            "GET", self.owner_settings_path, dict[str, OwnerSettings], timeout=timeout
        )
        return result

    async def search_addresses(self, *, timeout: TimeoutTypes = None, **query: Any) -> AddressSearch:
        """Buildings matching TMF query fields (``postCode``, ``city``, ``streetName``, ``streetNr``...).

        Problems come back in ``search.errors`` with HTTP 200, and ``search.meta.clues`` suggests values.
        """
        result: AddressSearch = await self._call(
            "GET", self.addresses_path, AddressSearch, params=query, timeout=timeout
        )
        return result

    async def subaddresses(
        self, address: RubikAddress | Mapping[str, Any], *, timeout: TimeoutTypes = None
    ) -> list[RubikSubaddress]:
        """The dwellings of a building (POST of the address as received; the answer is a bare list)."""
        result: list[RubikSubaddress] = await self._call(
            "POST", self.subaddresses_path, list[RubikSubaddress], json=_builtins(address), timeout=timeout
        )
        return result

    async def products(
        self, subaddress: RubikSubaddress | Mapping[str, Any], *, timeout: TimeoutTypes = None
    ) -> RubikProducts:
        """The products the owner offers for a dwelling (only owners whose settings say ``has_products_api``)."""
        result: RubikProducts = await self._call(
            "POST", self.products_path, RubikProducts, json=_builtins(subaddress), timeout=timeout
        )
        return result

    async def verify(
        self,
        products: RubikProducts | RubikSubaddress | Mapping[str, Any],
        *,
        uids: Sequence[RubikUid | Mapping[str, Any]] | None = None,
        timeout: TimeoutTypes = None,
    ) -> CoverageCheck:
        """Check coverage: ``{owner, uids}`` from ``products`` (``uids=`` narrows to the ones chosen).

        No coverage is an answer, not an error: ``check.covered`` (code 100) or ``check.not_covered``
        (code 302), both with HTTP 200.
        """
        body = _builtins(products)
        if not isinstance(body, dict):
            raise InvalidArgument("verify takes the products answer (or a subaddress, or a {owner, uids} dict)")
        request = {"owner": body.get("owner"), "uids": body.get("uids")}
        if uids is not None:
            request["uids"] = [_builtins(uid) for uid in uids]
        result: CoverageCheck = await self._call("POST", self.verify_path, CoverageCheck, json=request, timeout=timeout)
        return result
