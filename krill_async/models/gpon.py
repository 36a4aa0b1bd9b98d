"""GPON records (``/api/v2/gpon/``): ONU status on a PON port and ONUs waiting to be configured.

No response sample is published: the ONU status fields are the UI's PON dialog columns (facts §7.9);
values measured live (power levels, times) are left open because their types are unknown.
"""

from __future__ import annotations

from typing import Any

from ._base import Record

__all__ = ["OnuStatus", "UnconfiguredOnu"]


class OnuStatus(Record):
    """One ONU on a PON port, as the OLT reports it now."""

    onu_id: int | str | None = None
    type: str | None = None
    sn: str | None = None
    desc: str | None = None
    status: str | None = None
    registration_state: str | None = None
    last_up_time: Any = None
    last_down_time: Any = None
    dnrx: Any = None
    uptx: Any = None


class UnconfiguredOnu(Record):
    """An ONU seen by an OLT but not provisioned; ``id`` is what ``enable`` takes (inferred fields)."""

    id: int | str | None = None
    sn: str | None = None
