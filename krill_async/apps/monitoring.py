"""``/api/v2/monitoring/``: typed search over Icinga-style objects, live CPE status, graphs and datasets.

``krill.monitoring.search(...)`` is a [`ListQuery`][krill_async.ListQuery] (sequential, pages, concurrent export)
whose pages are decoded incrementally as they arrive, with two additions: ``.select(...)`` decodes only the
paths you name (several times faster), and ``.stream()`` yields records while a huge body is still arriving.
Filter names that are not Python identifiers have typed spellings: ``perf.pondesv > 2`` for
``perfdata.pondesv__gt=2`` and ``vars={"administrative_info.topology": t}`` for
``vars.administrative_info__topology=t``; anything else goes through ``params=`` unchanged.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from yarl import URL

from .._pagination import Export, ListQuery, PageFetcher
from .._paging import record_limit, sizes
from .._projection import PathSpec, Selection, projection
from .._resource import App, Resource, declare
from .._stream_decode import DEFAULT_BATCH_BYTES, ObjectStream, decode_lax, streaming_fetcher
from .._timeouts import Timeout, TimeoutTypes, resolve_timeout
from .._urls import encode_params, join_api_path, quote_identifier, redact_url
from ..errors import InvalidArgument
from ..models._base import Record
from ..models.monitoring import (
    CpeInfo,
    DataPoint,
    Graph,
    Host,
    MonitoringObject,
    Series,
    Service,
    series_from_datasets,
)
from ._monitoring_params import (
    Metric,
    MetricFilter,
    MetricsSpec,
    dataset_metrics,
    perf,
    search_params,
    timespec,
)

if TYPE_CHECKING:
    from .._transport import Transport

__all__ = ["Metric", "MetricFilter", "Monitoring", "SearchQuery", "perf", "search_params", "timespec"]

T = TypeVar("T")
M = TypeVar("M")

_TYPES = {"host": "Host", "service": "Service"}
_MODELS: dict[str | None, type[MonitoringObject]] = {"Host": Host, "Service": Service}


# -- queries -------------------------------------------------------------------------------------------


class SearchQuery(ListQuery[T]):
    """A monitoring search, not yet sent: every [`ListQuery`][krill_async.ListQuery] mode, plus ``select()``
    (decode only some paths) and ``stream()`` (records while the body arrives)."""

    def __init__(
        self, transport: Transport, url: URL, *, batch_bytes: int = DEFAULT_BATCH_BYTES, **options: Any
    ) -> None:
        self._options = dict(options, batch_bytes=batch_bytes)
        self._search_transport = transport
        self.batch_bytes = batch_bytes
        fetcher: PageFetcher = streaming_fetcher(batch_bytes)
        super().__init__(transport, url, page_fetcher=fetcher, **options)

    def _with(self, **changes: Any) -> SearchQuery[Any]:
        options = {**self._options, **changes}
        return SearchQuery(self._search_transport, self.url, **options)

    def select(self, **paths: PathSpec) -> SearchQuery[Selection]:
        """Decode only these jq-like paths: ``.select(cpe="name", olt="attrs.vars.cpe_registration_host")``.

        Records are small [`Selection`][krill_async.Selection] objects (``rec.cpe``, ``rec.olt``, ``rec.to_dict()``);
        a missing path reads as ``None``. ``name=("attrs.state", int)`` decodes into a type.
        """
        return self._with(model=projection(**paths))

    def export(self, *, consistent: bool = False, **options: Any) -> Export[T]:
        """Every list export mode but ``consistent=True``: monitoring objects have no ``id`` to deduplicate
        on and no detail path to fetch a missed one from (resume points do work)."""
        if consistent:
            raise InvalidArgument(
                "consistent=True is not available for monitoring searches (objects have no id and no detail "
                "path); export without it, and deduplicate on `name` if the monitored set may change"
            )
        return super().export(**options)

    def stream(self, *, batch_bytes: int | None = None) -> ObjectStream[T]:
        """``async with query.stream() as records: async for r in records`` — sequential paging that hands
        out records while each page is still arriving; memory holds about one batch, even for a server that
        sends everything in one huge chunked body."""
        return ObjectStream(
            self._search_transport,
            self.page_url(self.offset, self.page_size),
            self.model,
            timeout=self.timeout,
            batch_bytes=batch_bytes or self.batch_bytes,
            limit=self.limit,
        )


# -- the namespace -------------------------------------------------------------------------------------


class Monitoring(App):
    """Hosts and services as Krill's monitoring (Icinga) sees them.

    ``live_timeout`` applies to ``cpe_info()``, which queries the OLT and the device while you wait: it is
    never shorter than the client's own timeout.
    """

    name = "monitoring"

    #: Host groups (``cpegpon``, ``core``...): plain dicts, the shape is not documented.
    hostgroups: declare[Resource[dict[str, Any]]] = declare("hostgroups", dict[str, Any], trailing_slash=False)

    live_timeout = Timeout(total=90.0, connect=10.0, read=60.0)

    @overload
    def search(
        self,
        *where: MetricFilter,
        type: Literal["Host", "host"],
        regstate: str | None = ...,
        regtag: str | None = ...,
        reghost: str | None = ...,
        hostgroups: str | Sequence[str] | None = ...,
        joins: str | Sequence[str] | None = ...,
        topology: str | None = ...,
        vars: Mapping[str, Any] | None = ...,
        perfdata: Mapping[str, Any] | None = ...,
        limit: int | None = ...,
        page_size: int | None = ...,
        offset: int = ...,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = ...,
        timeout: TimeoutTypes = ...,
        into: None = ...,
        batch_bytes: int = ...,
        **filters: Any,
    ) -> SearchQuery[Host]: ...

    @overload
    def search(
        self,
        *where: MetricFilter,
        type: Literal["Service", "service"],
        regstate: str | None = ...,
        regtag: str | None = ...,
        reghost: str | None = ...,
        hostgroups: str | Sequence[str] | None = ...,
        joins: str | Sequence[str] | None = ...,
        topology: str | None = ...,
        vars: Mapping[str, Any] | None = ...,
        perfdata: Mapping[str, Any] | None = ...,
        limit: int | None = ...,
        page_size: int | None = ...,
        offset: int = ...,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = ...,
        timeout: TimeoutTypes = ...,
        into: None = ...,
        batch_bytes: int = ...,
        **filters: Any,
    ) -> SearchQuery[Service]: ...

    @overload
    def search(
        self,
        *where: MetricFilter,
        type: str | None = ...,
        regstate: str | None = ...,
        regtag: str | None = ...,
        reghost: str | None = ...,
        hostgroups: str | Sequence[str] | None = ...,
        joins: str | Sequence[str] | None = ...,
        topology: str | None = ...,
        vars: Mapping[str, Any] | None = ...,
        perfdata: Mapping[str, Any] | None = ...,
        limit: int | None = ...,
        page_size: int | None = ...,
        offset: int = ...,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = ...,
        timeout: TimeoutTypes = ...,
        into: None = ...,
        batch_bytes: int = ...,
        **filters: Any,
    ) -> SearchQuery[MonitoringObject]: ...

    @overload
    def search(
        self,
        *where: MetricFilter,
        type: str | None = ...,
        regstate: str | None = ...,
        regtag: str | None = ...,
        reghost: str | None = ...,
        hostgroups: str | Sequence[str] | None = ...,
        joins: str | Sequence[str] | None = ...,
        topology: str | None = ...,
        vars: Mapping[str, Any] | None = ...,
        perfdata: Mapping[str, Any] | None = ...,
        limit: int | None = ...,
        page_size: int | None = ...,
        offset: int = ...,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = ...,
        timeout: TimeoutTypes = ...,
        into: type[M],
        batch_bytes: int = ...,
        **filters: Any,
    ) -> SearchQuery[M]: ...

    def search(
        self,
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
        limit: int | None = None,
        page_size: int | None = None,
        offset: int = 0,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        timeout: TimeoutTypes = None,
        into: Any = None,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        **filters: Any,
    ) -> SearchQuery[Any]:
        """Search hosts and services (``GET /monitoring/search``); nothing is sent until it is iterated.

        ``search(perf.pondesv > 2, type="Service")``, ``search(type="Host", regstate="alarm",
        regtag="CAR-OLT02-0/3/9")``, ``search(type="Host", reghost="SMR-OLT03", joins="services")``.
        Records are [`Host`][krill_async.Host], [`Service`][krill_async.Service] (by ``type``) or
        [`MonitoringObject`][krill_async.MonitoringObject]; ``into=`` picks another type (``dict``, ``bytes``).
        ``limit=`` is the most records yielded (one request for ``limit=1``), ``page_size=`` the size of each request.
        """
        most = record_limit(limit)
        pairs = search_params(
            *where,
            type=type,
            regstate=regstate,
            regtag=regtag,
            reghost=reghost,
            hostgroups=hostgroups,
            joins=joins,
            topology=topology,
            vars=vars,
            perfdata=perfdata,
            filters=filters,
            params=params,
        )
        model = into
        if model is None:
            model = _MODELS.get(_TYPES.get(type.lower()) if type else None, MonitoringObject)
        client = self.client
        return SearchQuery(
            client.transport,
            join_api_path(client.root, f"{self.name}/search"),
            batch_bytes=batch_bytes,
            params=pairs,
            model=model,
            page_size=sizes(page_size=page_size, limit=most, default=client.page_size),
            offset=int(offset),
            timeout=resolve_timeout(timeout, client.timeout) if timeout is not None else None,
            concurrency=client.concurrency,
            export_page_size=sizes(page_size=page_size, limit=most, default=client.export_page_size),
            limit=most,
        )

    async def _get(self, path: str, model: Any, *, params: Any = None, timeout: Timeout) -> Any:
        url = join_api_path(self.client.root, f"{self.name}/{path}")
        response = await self.client.transport.request("GET", url, params=encode_params(params), timeout=timeout)
        return decode_lax(response.content, model, url=str(response.url))

    async def host(self, host_name: str, *, timeout: TimeoutTypes = None) -> Host:
        """One host's last-check state (``/monitoring/hosts/{name}``; the name is the CPE's ``internal_id``)."""
        limits = resolve_timeout(timeout, self.client.timeout)
        result: Host = await self._get(f"hosts/{quote_identifier(host_name)}", Host, timeout=limits)
        return result

    async def cpe_info(self, cpe_id: int | str, *, timeout: TimeoutTypes = None) -> CpeInfo:
        """Real-time state of one CPE, queried live from its OLT (``/monitoring/cpes/{id}/info``): slow, and
        it fails when the device or OLT does not answer. Uses `live_timeout` unless told otherwise."""
        limits = resolve_timeout(timeout, self._live_timeout())
        result: CpeInfo = await self._get(f"cpes/{quote_identifier(cpe_id)}/info", CpeInfo, timeout=limits)
        return result

    def _live_timeout(self) -> Timeout:
        own, live = self.client.timeout, self.live_timeout
        return Timeout(total=max(own.total, live.total), connect=own.connect, read=max(own.read, live.read))

    async def graphs(
        self, host_name: str, service_name: str | None = None, *, timeout: TimeoutTypes = None
    ) -> list[Graph]:
        """The graphs defined for a host (or one of its services): titles, and the datasets to ask for."""
        limits = resolve_timeout(timeout, self.client.timeout)
        body: _Graphs = await self._get(
            "graphs/", _Graphs, params={"host_name": host_name, "service_name": service_name}, timeout=limits
        )
        return body.graphs or []

    async def datasets(
        self,
        host_name: str,
        metrics: MetricsSpec,
        *,
        service_name: str | None = None,
        start: str | _dt.timedelta = "24h",
        end: str | _dt.timedelta = "0m",
        timeout: TimeoutTypes = None,
    ) -> list[Series]:
        """Metric time series (``POST /monitoring/datasets/``), down-sampled by the server.

        ``metrics`` are ``(measurement, metric)`` pairs, graphs or graph datasets from `graphs()`, or
        [`DatasetMetric`][krill_async.models.DatasetMetric]. ``start``/``end`` are ago-times like ``"24h"`` and ``"0m"``
        (or timedeltas).
        """
        wanted = dataset_metrics(metrics, host_name, service_name)
        body = {
            "host_name": host_name,
            "service_name": service_name,
            "start": timespec(start),
            "end": timespec(end),
            "metrics": [
                {
                    "host_name": m.host_name,
                    "service_name": m.service_name,
                    "measurement": m.measurement,
                    "metric": m.metric,
                }
                for m in wanted
            ],
        }
        url = join_api_path(self.client.root, f"{self.name}/datasets/")
        response = await self.client.transport.request(
            "POST", url, json=body, timeout=resolve_timeout(timeout, self.client.timeout)
        )
        data: dict[str, list[DataPoint]] = decode_lax(response.content, dict[str, list[DataPoint]], url=redact_url(url))
        return series_from_datasets(data, wanted)

    async def status_summary(self, *, timeout: TimeoutTypes = None) -> dict[str, Any]:
        """Counts of hosts and services by state (``/monitoring/status/summary``; the shape is undocumented,
        so it comes as plain JSON)."""
        result: dict[str, Any] = await self._get(
            "status/summary", dict[str, Any], timeout=resolve_timeout(timeout, self.client.timeout)
        )
        return result


class _Graphs(Record):
    """``{"graphs": [...]}``."""

    graphs: list[Graph] | None = None
