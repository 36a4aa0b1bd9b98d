"""CPE profiles (``/api/v2/isp/cpe-profiles/``, in the API docs since 2023-01); fields are the UI columns."""

from __future__ import annotations

import datetime as _dt

from ._base import Record

__all__ = ["CpeProfile"]


class CpeProfile(Record):
    """A speed/service profile a CPE points to with its ``profile`` id."""

    id: int | None = None
    tech: str | None = None
    name: str | None = None
    label: str | None = None
    internet_access: bool | None = None
    downstream_profile: str | None = None
    upstream_profile: str | None = None
    updated: _dt.datetime | None = None
    cpes_count: int | None = None
