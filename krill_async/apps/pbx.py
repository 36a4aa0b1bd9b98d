"""``/api/v2/pbx/``: the virtual PBX (pbxs, receptionists, groups, queues, DDIs, schedules, holidays).

Only the object names are documented, so every path below is **unverified** except ``holidays``
(changelog 2023-10). Krill spells the IVR resource ``recepcionists``; the attribute uses the English
word. A corrected path is a one-line change here, or ``krill.pbx.resource("...")`` reaches any other.
"""

from __future__ import annotations

from typing import Any

from .._checks import check_holiday_day
from .._resource import App, Resource, declare
from .._timeouts import TimeoutTypes
from .._urls import quote_identifier
from ..models.pbx import Holiday, Pbx, PbxGroup, PbxQueue, PbxSchedule, Receptionist

__all__ = ["CustomerPbx", "HolidayResource", "PbxApp"]


def _checked_holiday(data: Any) -> Any:
    """``data`` with its ``day`` validated (and a ``date`` turned into ``DD/MM``); other fields untouched."""
    if isinstance(data, Holiday):
        return data if data.day is None else Holiday(**{**data.to_dict(), "day": check_holiday_day(data.day)})
    if isinstance(data, dict) and data.get("day") is not None:
        return {**data, "day": check_holiday_day(data["day"])}
    return data


class HolidayResource(Resource[Holiday]):
    """Holidays, with ``day`` checked before sending (``DD/MM`` or ``$easter$``; duplicates are the
    server's to refuse, with a 400)."""

    async def create(self, data: Any, *, timeout: TimeoutTypes = None) -> Holiday:
        return await super().create(_checked_holiday(data), timeout=timeout)

    async def update(self, id: int | str, data: Any, *, timeout: TimeoutTypes = None) -> Holiday:
        return await super().update(id, _checked_holiday(data), timeout=timeout)

    async def patch(self, id: int | str, data: Any, *, timeout: TimeoutTypes = None) -> Holiday:
        return await super().patch(id, _checked_holiday(data), timeout=timeout)


class PbxApp(App):
    """Virtual PBX objects, flat under ``/api/v2/pbx/``; `customer_pbx()` gives the nested form."""

    name = "pbx"

    pbxs: declare[Resource[Pbx]] = declare("pbxs", Pbx)
    receptionists: declare[Resource[Receptionist]] = declare("recepcionists", Receptionist)
    groups: declare[Resource[PbxGroup]] = declare("groups", PbxGroup)
    queues: declare[Resource[PbxQueue]] = declare("queues", PbxQueue)
    ddis: declare[Resource[dict[str, Any]]] = declare("ddis", dict[str, Any])
    schedules: declare[Resource[PbxSchedule]] = declare("schedules", PbxSchedule)
    holidays: declare[HolidayResource] = declare("holidays", Holiday, resource_class=HolidayResource)

    def customer_pbx(self, customer: int | str, pbx: int | str) -> CustomerPbx:
        """The nested form ``pbx/customers/{customer}/pbxs/{pbx}/...`` (unverified, seen for DDIs and queues)."""
        return CustomerPbx(
            self.client, f"{self.name}/customers/{quote_identifier(customer)}/pbxs/{quote_identifier(pbx)}"
        )


class CustomerPbx(App):
    """One customer's PBX, for deployments that nest its objects under it."""

    ddis: declare[Resource[dict[str, Any]]] = declare("ddis", dict[str, Any])
    queues: declare[Resource[PbxQueue]] = declare("queues", PbxQueue)
    groups: declare[Resource[PbxGroup]] = declare("groups", PbxGroup)
    receptionists: declare[Resource[Receptionist]] = declare("recepcionists", Receptionist)
