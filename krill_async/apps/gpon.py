"""``/api/v2/gpon/``: live ONU status per PON port, and ONUs waiting to be configured.

The status path is the one the third-party client ``jmq-krill`` uses against real deployments;
``unconfigured`` and ``enable`` are **unverified** (one undocumented source).
"""

from __future__ import annotations

from typing import Any

from .._actions import ActionResult, acknowledgement
from .._checks import InvalidArgument, check_pon_segment
from .._pagination import ListQuery
from .._resource import App, Resource, declare
from .._retry import NO_RETRIES
from .._timeouts import TimeoutTypes, resolve_timeout
from .._urls import join_api_path, quote_identifier
from ..models.gpon import OnuStatus, UnconfiguredOnu

__all__ = ["Gpon", "onu_status_path"]

#: Relative to ``/api/v2/gpon/``; frame, slot and port are sent exactly as given.
ONU_STATUS_PATH = "olts/{olt}/frames/{frame}/slots/{slot}/ports/{port}/onus/status"


def onu_status_path(olt: str, frame: str, slot: str, port: str) -> str:
    """The status path of one PON port, every segment validated and quoted (``"05"`` stays ``"05"``)."""
    return ONU_STATUS_PATH.format(
        olt=quote_identifier(olt),
        frame=check_pon_segment("frame", frame),
        slot=check_pon_segment("slot", slot),
        port=check_pon_segment("port", port),
    )


class Gpon(App):
    """OLTs, PON ports and ONUs, read live from the OLT (slow when the OLT is: give a longer ``timeout``)."""

    name = "gpon"
    enable_path = "unconfigured/{id}/enable/"

    unconfigured: declare[Resource[UnconfiguredOnu]] = declare("unconfigured", UnconfiguredOnu)

    def onu_status(
        self, olt: str, frame: str, slot: str, port: str, *, into: Any = OnuStatus, timeout: TimeoutTypes = None
    ) -> ListQuery[Any]:
        """The ONUs of one PON port and their state: ``await krill.gpon.onu_status("oltCEEIM", "0", "05",
        "15").collect()``. Give frame/slot/port as the server spells them (strings)."""
        return self.resource(onu_status_path(olt, frame, slot, port), into).list(timeout=timeout)

    async def enable(
        self, onu: UnconfiguredOnu | int | str, data: Any = None, *, timeout: TimeoutTypes = None
    ) -> ActionResult:
        """Provision an unconfigured ONU (POST, sent once). ``data`` is sent as the body when given."""
        ident = onu.id if isinstance(onu, UnconfiguredOnu) else onu
        if ident is None:
            raise InvalidArgument("the ONU has no id (was it listed with attrs= leaving it out?)")
        path = self.enable_path.format(id=quote_identifier(ident))
        response = await self.client.transport.request(
            "POST",
            join_api_path(self.client.root, f"{self.name}/{path}"),
            json=data,
            timeout=resolve_timeout(timeout, self.client.timeout),
            retry=NO_RETRIES,
        )
        return acknowledgement(ident, "enable", response)
