"""Graphs and datasets (``/monitoring/graphs/``, ``/monitoring/datasets/``); re-exported by
``krill_async.models.monitoring``."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import msgspec

from ._base import UNSET, Record, seal_records

# -- graphs and datasets -------------------------------------------------------------------------------


class GraphDataset(Record):
    """One line of a graph; ``measurement`` and ``metric`` are what ``datasets()`` asks for."""

    label: str | None = UNSET
    measurement: str | None = UNSET
    metric: str | None = UNSET
    uom: str | None = UNSET
    min: float | None = UNSET
    max: float | None = UNSET
    warning: float | None = UNSET
    critical: float | None = UNSET
    error: float | None = UNSET
    percentile: float | None = UNSET
    operator: str | None = UNSET
    color_index: int | None = UNSET

    @property
    def unit(self) -> str | None:
        """The unit, ``None`` for ``""`` or the literal string ``"null"`` some graphs carry."""
        return None if self.uom in (None, "", "null") else self.uom


class Graph(Record):
    """A graph definition from ``/monitoring/graphs/``."""

    title: str | None = UNSET
    group: str | None = UNSET
    type: str | None = UNSET
    range: str | None = UNSET
    severity: int | None = UNSET
    weight: int | None = UNSET
    datasets: tuple[GraphDataset, ...] | None = UNSET


class DatasetMetric(msgspec.Struct, frozen=True, kw_only=True):
    """One series to ask ``POST /monitoring/datasets/`` for (from a graph's ``datasets``)."""

    host_name: str
    service_name: str | None
    measurement: str
    metric: str

    @property
    def key(self) -> str:
        """The response key ``<measurement>__<host>__<service>__<metric>`` (``None`` service written as Python
        writes it: the server's format for that case is undocumented)."""
        return f"{self.measurement}__{self.host_name}__{self.service_name}__{self.metric}"


class DataPoint(msgspec.Struct, frozen=True, gc=False):
    """One down-sampled point of a series (``time`` is UTC)."""

    time: _dt.datetime
    value: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Series:
    """A metric's time series from ``datasets()``, identified like the response key."""

    measurement: str
    host_name: str
    service_name: str | None
    metric: str
    points: list[DataPoint]

    @property
    def values(self) -> list[float | None]:
        return [point.value for point in self.points]


_NO_SERVICE = ("None", "null", "")


def series_from_datasets(data: dict[str, list[DataPoint]], requested: list[DatasetMetric]) -> list[Series]:
    """The series of a ``datasets`` answer, in the order asked for, then any other key the server added.

    Keys are ``<measurement>__<host>__<service>__<metric>``; the requested metrics identify them exactly
    (host and service names may contain ``__``), other keys are split on ``__``.
    """
    series: list[Series] = []
    seen: set[str] = set()
    for want in requested:
        services = [want.service_name] if want.service_name is not None else list(_NO_SERVICE)
        for service in services:
            key = f"{want.measurement}__{want.host_name}__{service}__{want.metric}"
            if key in data and key not in seen:
                seen.add(key)
                series.append(Series(want.measurement, want.host_name, want.service_name, want.metric, data[key]))
                break
    for key, points in data.items():
        if key in seen:
            continue
        parts = key.split("__")
        if len(parts) >= 4:
            middle = "__".join(parts[2:-1])
            series.append(Series(parts[0], parts[1], None if middle in _NO_SERVICE else middle, parts[-1], points))
        else:
            series.append(Series(parts[0], parts[1] if len(parts) > 2 else "", None, parts[-1], points))
    return series


seal_records(list(globals().values()))
