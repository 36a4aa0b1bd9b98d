"""GPON records (``/api/v2/gpon/``): ONU status on a PON port and ONUs waiting to be configured.

No response sample is published: the ONU status fields are the UI's PON dialog columns (facts §7.9);
values measured live (power levels, times) are left open because their types are unknown.
"""

from __future__ import annotations

from typing import Any

from ._base import UNSET, Record, seal_records

__all__ = ["OnuStatus", "UnconfiguredOnu"]


class OnuStatus(Record):
    """One ONU on a PON port, as the OLT reports it now."""

    onu_id: int | str | None = UNSET
    type: str | None = UNSET
    sn: str | None = UNSET
    desc: str | None = UNSET
    status: str | None = UNSET
    registration_state: str | None = UNSET
    last_up_time: Any = UNSET
    last_down_time: Any = UNSET
    dnrx: Any = UNSET
    uptx: Any = UNSET


class UnconfiguredOnu(Record):
    """An ONU seen by an OLT but not provisioned; ``id`` is what ``enable`` takes (inferred fields)."""

    id: int | str | None = UNSET
    sn: str | None = UNSET


seal_records(list(globals().values()))
