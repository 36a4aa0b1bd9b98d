"""A CPE bound to its resource: every action and link without repeating the CPE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..._actions import ActionResult
from ..._pagination import ListQuery
from ..._timeouts import TimeoutTypes
from ...models import Customer, Pots
from ...models.profiles import CpeProfile
from .targets import CpeTarget, cpe_key

if TYPE_CHECKING:
    from .actions import CpeResource

__all__ = ["CpeRef"]


class CpeRef:
    """One CPE bound to its resource: every action and link without repeating the CPE.

    Built by `CpeResource.of()` from a fetched record (its ``_links`` are followed) or an id.
    """

    def __init__(self, resource: CpeResource, cpe: CpeTarget) -> None:
        self.resource = resource
        self.cpe = cpe

    def __repr__(self) -> str:
        return f"<CpeRef {cpe_key(self.cpe)!r}>"

    async def action(self, name: str, *, data: Any = None, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.action(self.cpe, name, data=data, timeout=timeout)

    async def reboot(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.reboot(self.cpe, timeout=timeout)

    async def factory(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.factory(self.cpe, timeout=timeout)

    async def reconfig(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.reconfig(self.cpe, timeout=timeout)

    async def reprovision(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.reprovision(self.cpe, timeout=timeout)

    async def unprovision(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.unprovision(self.cpe, timeout=timeout)

    async def diagnostic(self, data: Any = None, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.diagnostic(self.cpe, data, timeout=timeout)

    async def customer(self, *, timeout: TimeoutTypes = None) -> Customer:
        return await self.resource.customer(self.cpe, timeout=timeout)

    def potses(self, *, page_size: int | None = None) -> ListQuery[Pots]:
        return self.resource.potses(self.cpe, page_size=page_size)

    async def profile(self, *, timeout: TimeoutTypes = None) -> CpeProfile:
        return await self.resource.profile(self.cpe, timeout=timeout)

    async def device_model(self, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.device_model(self.cpe, into=into, timeout=timeout)

    def events(
        self, *, type: str | None = None, sort: str | None = None, into: Any = dict, **filters: Any
    ) -> ListQuery[Any]:
        return self.resource.events(self.cpe, type=type, sort=sort, into=into, **filters)

    def cdrs(self, *, into: Any = dict) -> ListQuery[Any]:
        return self.resource.cdrs(self.cpe, into=into)

    def logs(self, *, into: Any = dict, **filters: Any) -> ListQuery[Any]:
        return self.resource.logs(self.cpe, into=into, **filters)

    async def livestatus(self, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.livestatus(self.cpe, into=into, timeout=timeout)

    async def links(self, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.links(self.cpe, into=into, timeout=timeout)

    async def info(self, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.info(self.cpe, into=into, timeout=timeout)

    async def cwmp_info(self, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.cwmp_info(self.cpe, into=into, timeout=timeout)
