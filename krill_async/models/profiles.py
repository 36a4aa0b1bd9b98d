"""CPE profiles (``/api/v2/isp/cpe-profiles/``, in the API docs since 2023-01); fields are the UI columns."""

from __future__ import annotations

import datetime as _dt

from ._base import UNSET, Record, seal_records

__all__ = ["CpeProfile"]


class CpeProfile(Record):
    """A speed/service profile a CPE points to with its ``profile`` id."""

    id: int | None = UNSET
    tech: str | None = UNSET
    name: str | None = UNSET
    label: str | None = UNSET
    internet_access: bool | None = UNSET
    downstream_profile: str | None = UNSET
    upstream_profile: str | None = UNSET
    updated: _dt.datetime | None = UNSET
    cpes_count: int | None = UNSET


seal_records(list(globals().values()))
