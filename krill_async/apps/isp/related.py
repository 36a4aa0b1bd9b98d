"""A CPE's related resources (``customer``, ``events``, ``info``... whatever its ``_links.links`` carry),
read on the deployment's own path like the actions are (see `.resolve`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yarl import URL

from ..._pagination import ListQuery
from ..._timeouts import TimeoutTypes, resolve_timeout
from ..._urls import encode_params
from ...models import Customer, Pots
from ...models.profiles import CpeProfile
from .resolve import CpeResolver
from .targets import LINKS, CpeTarget

__all__ = ["CpeRelated"]


class CpeRelated(CpeResolver):
    """The related-resource half of `CpeResource` (GET only: safe to retry)."""

    async def link(
        self,
        cpe: CpeTarget,
        name: str,
        *,
        into: Any = Any,
        params: Mapping[str, Any] | None = None,
        timeout: TimeoutTypes = None,
    ) -> Any:
        """GET any related resource by its ``_links`` name, decoded into ``model`` (plain JSON by default)."""
        transport = self._client.transport
        limits = resolve_timeout(timeout, self._client.timeout)
        query = encode_params(params)

        async def send(url: URL) -> Any:
            response = await transport.request("GET", url, params=query, timeout=limits)
            return response.json(into)

        return await self._reach(cpe, "links", name, LINKS.get(name, name), send)

    def link_list(
        self,
        cpe: CpeTarget,
        name: str,
        *,
        into: Any = dict,
        page_size: int | None = None,
        sort: str | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: TimeoutTypes = None,
        **filters: Any,
    ) -> ListQuery[Any]:
        """A list of related records (paginated or a bare list; both are read the same way)."""
        url, fetcher = self._discovering(cpe, "links", name, LINKS.get(name, name))
        base = url.with_query(None)
        query = list(url.query.items()) + self._query(sort=sort, params=params, filters=filters)
        client = self._client
        return ListQuery(
            client.transport,
            base,
            params=query,
            model=into,
            page_size=page_size or client.page_size,
            timeout=resolve_timeout(timeout, client.timeout) if timeout is not None else None,
            concurrency=client.concurrency,
            page_fetcher=fetcher,
        )

    async def customer(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> Customer:
        """The CPE's customer."""
        result: Customer = await self.link(cpe, "customer", into=Customer, timeout=timeout)
        return result

    def potses(self, cpe: CpeTarget, *, page_size: int | None = None) -> ListQuery[Pots]:
        """The CPE's telephone lines."""
        return self.link_list(cpe, "potses", into=Pots, page_size=page_size)

    async def profile(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> CpeProfile:
        """The CPE's profile."""
        result: CpeProfile = await self.link(cpe, "profile", into=CpeProfile, timeout=timeout)
        return result

    async def device_model(self, cpe: CpeTarget, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """The CPE's hardware model (the ``model`` link; shape undocumented)."""
        return await self.link(cpe, "model", into=into, timeout=timeout)

    def events(
        self,
        cpe: CpeTarget,
        *,
        type: str | None = None,
        sort: str | None = None,
        into: Any = dict,
        page_size: int | None = None,
        **filters: Any,
    ) -> ListQuery[Any]:
        """The CPE's events; ``type="cdr"`` gives call records, ``"cwmp"`` TR-069 sessions (also seen:
        ``iplease6``, ``iplease6pd``); ``sort="-start_time"`` newest first (parameter name inferred)."""
        return self.link_list(cpe, "events", into=into, page_size=page_size, sort=sort, type=type, **filters)

    def cdrs(self, cpe: CpeTarget, *, into: Any = dict, page_size: int | None = None) -> ListQuery[Any]:
        """The CPE's call records (its ``cdrs`` link, ``events?type=cdr``)."""
        return self.link_list(cpe, "cdrs", into=into, page_size=page_size)

    def logs(self, cpe: CpeTarget, *, into: Any = dict, page_size: int | None = None, **filters: Any) -> ListQuery[Any]:
        """The CPE's log entries."""
        return self.link_list(cpe, "logs", into=into, page_size=page_size, **filters)

    async def livestatus(self, cpe: CpeTarget, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """Live monitoring status (queried now: may be slow)."""
        return await self.link(cpe, "livestatus", into=into, timeout=timeout)

    async def links(self, cpe: CpeTarget, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """The CPE's ``links`` resource (shape undocumented)."""
        return await self.link(cpe, "links", into=into, timeout=timeout)

    async def info(self, cpe: CpeTarget, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """Real-time information (the OLT or CMTS is asked now: give slow networks a longer ``timeout``)."""
        return await self.link(cpe, "info", into=into, timeout=timeout)

    async def cwmp_info(self, cpe: CpeTarget, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """TR-069 (CWMP) information from the ACS."""
        return await self.link(cpe, "cwmp_info", into=into, timeout=timeout)
