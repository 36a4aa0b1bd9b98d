"""Virtual PBX records (``/api/v2/pbx/``).

The PBX API is undocumented beyond its object names: the field names below are the guide's UI labels
(facts §7.10) written the Django way, **unverified**. Types are left open (``Any``) where nothing says
what they hold; ``into=dict`` on any call shows the server's own shape.
"""

from __future__ import annotations

from typing import Any

from ._base import Record

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

    id: int | None = None
    customer: Any = None
    ddis: Any = None
    items: Any = None
    default_context: Any = None
    contexts: Any = None
    language: str | None = None
    out_ddi: Any = None
    outbound_ddi: Any = None
    ring_time: int | None = None
    schedule: Any = None
    holidays: Any = None
    comment: str | None = None
    fix: Any = None
    within_schedule: Any = None
    outside_schedule: Any = None


class ReceptionistOption(Record):
    """One IVR option: press ``dial`` to jump to ``jump`` (``decoded_jump`` is its readable form, 2021-11)."""

    name: str | None = None
    dial: Any = None
    jump: Any = None
    decoded_jump: Any = None


class Receptionist(Record):
    """An IVR ("recepcionist" in Krill's own spelling)."""

    id: int | None = None
    name: str | None = None
    record: Any = None
    schedule: Any = None
    holidays: Any = None
    fail: Any = None
    out_of_schedule: Any = None
    options: list[ReceptionistOption] | None = None


class PbxGroup(Record):
    """A ring group of extensions."""

    id: int | None = None
    name: str | None = None
    cli: str | None = None
    extensions: Any = None
    fail: Any = None
    out_of_schedule: Any = None
    schedule: Any = None
    holiday: Any = None
    holidays: Any = None


class PbxQueue(PbxGroup):
    """A call queue: a group plus queue timings and announcements."""

    wrapup_time: Any = None
    max_users: Any = None
    user_timeout: Any = None
    agent_timeout: Any = None
    announce: Any = None
    announce_frequency: Any = None
    record: Any = None
    periodic_announce_frequency: Any = None


class PbxSchedule(Record):
    """Opening hours: ``items`` hold weekday ranges with morning and evening times."""

    id: int | None = None
    name: str | None = None
    items: list[Any] | None = None


class Holiday(Record):
    """A PBX holiday. ``day`` is ``DD/MM`` or ``$easter$`` (checked before sending, see ``check_holiday_day``)."""

    id: int | None = None
    day: str | None = None
    comment: str | None = None
    realm: str | None = None
