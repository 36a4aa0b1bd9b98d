"""Monitoring search filters and dataset specs: pure functions, no I/O.

Filter names that are not Python identifiers have typed spellings: ``perf.pondesv > 2`` for
``perfdata.pondesv__gt=2`` and ``vars={"administrative_info.topology": t}`` for
``vars.administrative_info__topology=t``; anything else goes through ``params=`` unchanged.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from .._urls import encode_params, format_param
from ..models.monitoring import DatasetMetric, Graph, GraphDataset

__all__ = ["Metric", "MetricFilter", "MetricsSpec", "dataset_metrics", "perf", "search_params", "timespec"]

Lookup = Literal["gt", "gte", "lt", "lte"]
Number = int | float | Decimal
_TYPES = {"host": "Host", "service": "Service"}
_TIMESPEC = re.compile(r"^\d+[mhd]$")
_OneMetric = DatasetMetric | GraphDataset | Graph | tuple[str, str]
#: What ``datasets()`` accepts: one metric (a graph, a graph dataset, ``(measurement, metric)``) or several.
MetricsSpec = _OneMetric | Iterable[_OneMetric]


# -- filters (pure) ------------------------------------------------------------------------------------


def _number(value: Number) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeError(f"a metric is compared with a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot compare a metric with {value!r}")
    return format_param(value)


@dataclass(frozen=True)
class MetricFilter:
    """``perfdata.<metric>__<lookup>=<value>``: objects whose metric compares true (``perf.pondesv > 2``)."""

    metric: str
    lookup: Lookup
    value: Number

    def param(self) -> tuple[str, str]:
        return f"perfdata.{self.metric}__{self.lookup}", _number(self.value)


class Metric:
    """A perfdata metric to compare: ``perf.pondesv > 2``, ``perf.dnrx <= -27.5``, ``perf("odd-name") > 1``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not name or not isinstance(name, str) or any(c in name for c in "&=#?\x00"):
            raise ValueError(f"invalid metric name {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return f"perf.{self.name}"

    def __gt__(self, value: Number) -> MetricFilter:
        return MetricFilter(self.name, "gt", value)

    def __ge__(self, value: Number) -> MetricFilter:
        return MetricFilter(self.name, "gte", value)

    def __lt__(self, value: Number) -> MetricFilter:
        return MetricFilter(self.name, "lt", value)

    def __le__(self, value: Number) -> MetricFilter:
        return MetricFilter(self.name, "lte", value)


class _Perf:
    """``perf.<metric>`` or ``perf("<metric>")``: a `Metric` to compare with a number."""

    def __getattr__(self, name: str) -> Metric:
        if name.startswith("__"):
            raise AttributeError(name)
        return Metric(name)

    def __call__(self, name: str) -> Metric:
        return Metric(name)

    def __repr__(self) -> str:
        return "perf"


perf = _Perf()


def _comma(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


def _vars_key(path: str) -> str:
    """``administrative_info.sn`` -> ``vars.administrative_info__sn`` (the nesting form real clients send)."""
    path = path.removeprefix("vars.")
    parts = [part for part in re.split(r"\.|__", path) if part]
    if not parts:
        raise ValueError(f"invalid vars path {path!r}")
    return "vars." + "__".join(parts)


def search_params(
    *where: MetricFilter,
    type: str | None = None,
    regstate: str | None = None,
    regtag: str | None = None,
    reghost: str | None = None,
    hostgroups: str | Sequence[str] | None = None,
    joins: str | Sequence[str] | None = None,
    topology: str | None = None,
    vars: Mapping[str, Any] | None = None,
    perfdata: Mapping[str, Any] | None = None,
    filters: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
) -> list[tuple[str, str]]:
    """The query pairs of a monitoring search, in a stable order (pure: no I/O).

    ``topology`` is sent both as ``topology`` and ``vars.administrative_info__topology`` (which one a
    server honours is undocumented; the peer client sends both). ``perfdata={"pondesv__gt": 2}`` and
    ``params`` go through unchanged.
    """
    for item in where:
        if not isinstance(item, MetricFilter):
            raise TypeError(f"positional filters are metric comparisons like perf.pondesv > 2, not {item!r}")
    if type is not None:
        type = _TYPES.get(type.lower(), type)
    pairs = encode_params(
        {
            "type": type,
            "regstate": regstate,
            "regtag": regtag,
            "reghost": reghost,
            "hostgroups": _comma(hostgroups),
            "joins": _comma(joins),
            "topology": topology,
        }
    )
    if topology is not None:
        pairs.append(("vars.administrative_info__topology", format_param(topology)))
    pairs += encode_params({_vars_key(k): v for k, v in (vars or {}).items()})
    pairs += encode_params({f"perfdata.{k.removeprefix('perfdata.')}": v for k, v in (perfdata or {}).items()})
    pairs += [item.param() for item in where]
    pairs += encode_params(filters)
    pairs += encode_params(params)
    return pairs


def timespec(value: str | _dt.timedelta) -> str:
    """A datasets time as the API writes it: ``"24h"``, ``"30m"``, ``"7d"`` (a timedelta is converted)."""
    if isinstance(value, _dt.timedelta):
        seconds = value.total_seconds()
        if seconds < 0 or seconds % 60:
            raise ValueError(f"a datasets time is a whole number of minutes, not {value!r}")
        minutes = int(seconds // 60)
        if minutes and minutes % 1440 == 0:
            return f"{minutes // 1440}d"
        if minutes and minutes % 60 == 0:
            return f"{minutes // 60}h"
        return f"{minutes}m"
    if not isinstance(value, str) or not _TIMESPEC.match(value):
        raise ValueError(f"a datasets time looks like '24h', '30m' or '7d', not {value!r}")
    return value


def dataset_metrics(
    metrics: MetricsSpec,
    host_name: str,
    service_name: str | None,
) -> list[DatasetMetric]:
    """What ``datasets()`` asks for: explicit metrics, a graph's datasets, or ``(measurement, metric)``."""
    if isinstance(metrics, (DatasetMetric, GraphDataset, Graph)) or (
        isinstance(metrics, tuple) and len(metrics) == 2 and all(isinstance(x, str) for x in metrics)
    ):
        metrics = [metrics]  # type: ignore[list-item]  # one metric given on its own
    result: list[DatasetMetric] = []
    for item in metrics:
        if isinstance(item, DatasetMetric):
            result.append(item)
        elif isinstance(item, Graph):
            result += dataset_metrics(item.datasets or (), host_name, service_name)
        elif isinstance(item, GraphDataset):
            if not item.measurement or not item.metric:
                raise ValueError(f"this graph dataset names no measurement or metric: {item!r}")
            result.append(
                DatasetMetric(
                    host_name=host_name, service_name=service_name, measurement=item.measurement, metric=item.metric
                )
            )
        elif isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item):
            result.append(
                DatasetMetric(host_name=host_name, service_name=service_name, measurement=item[0], metric=item[1])
            )
        else:
            raise TypeError(f"a dataset metric is a DatasetMetric, a graph dataset or (measurement, metric): {item!r}")
    if not result:
        raise ValueError("ask for at least one metric")
    return result
