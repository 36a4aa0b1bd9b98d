"""RADIUS (``/api/v2/oratio/``) records: accounting sessions and IP pool entries.

Field names are the UI column keys (facts §7.8), which are FreeRADIUS ``radacct``/``radippool``
column names; ``acctuniqueid`` is inferred from the disconnect path.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ._base import UNSET, Record, seal_records

__all__ = ["AccountingSession", "IpPoolEntry"]


class AccountingSession(Record):
    """One PPPoE session; online while ``acctstoptime`` is None."""

    acctuniqueid: str | None = UNSET
    acctsessionid: str | None = UNSET
    krillcpename: str | None = UNSET
    username: str | None = UNSET
    callingstationid: str | None = UNSET
    nasipaddress: str | None = UNSET
    framedipaddress: str | None = UNSET
    acctstarttime: _dt.datetime | None = UNSET
    acctstoptime: _dt.datetime | None = UNSET
    sessiontime: int | None = UNSET
    acctterminatecause: str | None = UNSET

    @property
    def online(self) -> bool:
        """True while the session has no stop time."""
        return self.acctstarttime is not None and self.acctstoptime is None


class IpPoolEntry(Record):
    """One address of an IP pool and who holds it."""

    pool_name: str | None = UNSET
    framedipaddress: str | None = UNSET
    nasipaddress: str | None = UNSET
    username: str | None = UNSET
    callingstationid: str | None = UNSET
    expiry_time: Any = UNSET


seal_records(list(globals().values()))
