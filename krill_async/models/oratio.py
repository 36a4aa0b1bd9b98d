"""RADIUS (``/api/v2/oratio/``) records: accounting sessions and IP pool entries.

Field names are the UI column keys (facts §7.8), which are FreeRADIUS ``radacct``/``radippool``
column names; ``acctuniqueid`` is inferred from the disconnect path.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ._base import Record

__all__ = ["AccountingSession", "IpPoolEntry"]


class AccountingSession(Record):
    """One PPPoE session; online while ``acctstoptime`` is None."""

    acctuniqueid: str | None = None
    acctsessionid: str | None = None
    krillcpename: str | None = None
    username: str | None = None
    callingstationid: str | None = None
    nasipaddress: str | None = None
    framedipaddress: str | None = None
    acctstarttime: _dt.datetime | None = None
    acctstoptime: _dt.datetime | None = None
    sessiontime: int | None = None
    acctterminatecause: str | None = None

    @property
    def online(self) -> bool:
        """True while the session has no stop time."""
        return self.acctstarttime is not None and self.acctstoptime is None


class IpPoolEntry(Record):
    """One address of an IP pool and who holds it."""

    pool_name: str | None = None
    framedipaddress: str | None = None
    nasipaddress: str | None = None
    username: str | None = None
    callingstationid: str | None = None
    expiry_time: Any = None
