"""``/api/v2/installer/``: what a field installer's app reads (paths **unverified**, one undocumented source)."""

from __future__ import annotations

from typing import Any

from .._resource import App, Resource, declare
from .._timeouts import TimeoutTypes, resolve_timeout
from ..models import Cpe
from ..models.gpon import UnconfiguredOnu

__all__ = ["Installer", "InstallerCpes"]


class InstallerCpes(Resource[Cpe]):
    """CPE lookup for installers: ``get(id)``, ``list(sn=...)``, and live ``info``."""

    async def info(self, cpe: int | str, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """Real-time information on the CPE (asked of the OLT now; shape undocumented)."""
        response = await self._client.transport.request(
            "GET", self._detail_url(cpe, "info"), timeout=resolve_timeout(timeout, self._client.timeout)
        )
        return response.json(into)


class Installer(App):
    """CPEs and unconfigured ONUs as the installer app sees them."""

    name = "installer"

    cpes: declare[InstallerCpes] = declare("cpes", Cpe, resource_class=InstallerCpes)
    unconfigured_onus: declare[Resource[UnconfiguredOnu]] = declare("gpon/unconfigured", UnconfiguredOnu)
