"""Virtual PBX records (``/api/v2/pbx/``).

The PBX API is undocumented beyond its object names: the field names below are the guide's UI labels
(facts §7.10) written the Django way, **unverified**. Types are left open (``Any``) where nothing says
what they hold; ``into=dict`` on any call shows the server's own shape.
"""

from __future__ import annotations

from typing import Any

from ._base import UNSET, Record, seal_records

__all__ = [
    "Holiday",
    "Pbx",
    "PbxGroup",
    "PbxQueue",
    "PbxSchedule",
    "Receptionist",
    "ReceptionistOption",
]


class Pbx(Record):
    """A customer's virtual PBX."""

    id: int | None = UNSET
    customer: Any = UNSET
    ddis: Any = UNSET
    items: Any = UNSET
    default_context: Any = UNSET
    contexts: Any = UNSET
    language: str | None = UNSET
    out_ddi: Any = UNSET
    outbound_ddi: Any = UNSET
    ring_time: int | None = UNSET
    schedule: Any = UNSET
    holidays: Any = UNSET
    comment: str | None = UNSET
    fix: Any = UNSET
    within_schedule: Any = UNSET
    outside_schedule: Any = UNSET


class ReceptionistOption(Record):
    """One IVR option: press ``dial`` to jump to ``jump`` (``decoded_jump`` is its readable form, 2021-11)."""

    name: str | None = UNSET
    dial: Any = UNSET
    jump: Any = UNSET
    decoded_jump: Any = UNSET


class Receptionist(Record):
    """An IVR ("recepcionist" in Krill's own spelling)."""

    id: int | None = UNSET
    name: str | None = UNSET
    record: Any = UNSET
    schedule: Any = UNSET
    holidays: Any = UNSET
    fail: Any = UNSET
    out_of_schedule: Any = UNSET
    options: list[ReceptionistOption] | None = UNSET


class PbxGroup(Record):
    """A ring group of extensions."""

    id: int | None = UNSET
    name: str | None = UNSET
    cli: str | None = UNSET
    extensions: Any = UNSET
    fail: Any = UNSET
    out_of_schedule: Any = UNSET
    schedule: Any = UNSET
    holiday: Any = UNSET
    holidays: Any = UNSET


class PbxQueue(PbxGroup):
    """A call queue: a group plus queue timings and announcements."""

    wrapup_time: Any = UNSET
    max_users: Any = UNSET
    user_timeout: Any = UNSET
    agent_timeout: Any = UNSET
    announce: Any = UNSET
    announce_frequency: Any = UNSET
    record: Any = UNSET
    periodic_announce_frequency: Any = UNSET


class PbxSchedule(Record):
    """Opening hours: ``items`` hold weekday ranges with morning and evening times."""

    id: int | None = UNSET
    name: str | None = UNSET
    items: list[Any] | None = UNSET


class Holiday(Record):
    """A PBX holiday. ``day`` is ``DD/MM`` or ``$easter$`` (checked before sending, see ``check_holiday_day``)."""

    id: int | None = UNSET
    day: str | None = UNSET
    comment: str | None = UNSET
    realm: str | None = UNSET


seal_records(list(globals().values()))
