"""``/api/v2/monitoring/``: search, hosts, live CPE info, graphs, datasets, status summary, hostgroups.

Written from the documented facts (krill-api-facts §3.2, §5.2, §5.3, §7.5-7.7). Search filters: ``type``,
``regstate``, ``regtag``, ``reghost``, ``hostgroups`` (comma list: any), ``topology`` and
``vars.administrative_info__topology``, ``vars.<path>`` equality (path separated by ``.`` or ``__``; a list
value matches when any element does), ``perfdata.<metric>`` with ``__gt``/``__gte``/``__lt``/``__lte`` or
equality, ``joins=services``. Unknown parameters and empty values are ignored, like django-filter does.
Hosts come first (in CPE order), then services. With ``monitoring_chunked`` the answers use chunked
transfer encoding, like Icinga 2.16 streaming its object queries.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import weakref
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .._apps import AppRequest, register_app
from .._monitoring_data import HostFacts, MonitoringData, ObjectList
from ._monitoring_views import cpe_info, datasets, graphs, summary

if TYPE_CHECKING:
    from .._server import KrillSimulator

__all__ = ["monitoring_data"]

_DATA: weakref.WeakKeyDictionary[KrillSimulator, MonitoringData] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_CACHE: weakref.WeakKeyDictionary[MonitoringData, dict[tuple[Any, ...], list[tuple[int, int]]]] = (
    weakref.WeakKeyDictionary()
)
_LOOKUPS = ("gt", "gte", "lt", "lte", "exact")
_TIMESPEC = re.compile(r"^(\d+)([mhd])$")
_CHUNK = 128 * 1024
_TXRX_GRAPH_LIMITS = ((-11, -8), (15, 16), (-12, -9), (30, 50), (30, 50), (2, 4))
_NOW_UTC = datetime(2025, 8, 8, 14, 0, 0, tzinfo=timezone.utc)


def monitoring_data(sim: KrillSimulator) -> MonitoringData:
    """The monitoring objects of a simulator (built from its network on first use, then kept)."""
    with _LOCK:
        data = _DATA.get(sim)
        if data is None:
            cfg = sim.config
            data = MonitoringData(
                sim.network,
                hosts=cfg.monitoring_hosts,
                drift=cfg.monitoring_drift,
                seed=cfg.seed,
                unregistered=cfg.monitoring_unregistered,
            )
            _DATA[sim] = data
        return data


# -- search ------------------------------------------------------------------------------------------


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _var_equals(value: Any, wanted: str) -> bool:
    if isinstance(value, list):
        return any(_var_equals(item, wanted) for item in value)
    if isinstance(value, bool):
        return wanted.lower() in (("true", "1") if value else ("false", "0"))
    if isinstance(value, (int, float)):
        number = _number(wanted)
        return number is not None and number == value
    return value is not None and not isinstance(value, dict) and str(value) == wanted


def _var_path(value: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _compare(value: float, lookup: str, wanted: float) -> bool:
    if lookup == "gt":
        return value > wanted
    if lookup == "gte":
        return value >= wanted
    if lookup == "lt":
        return value < wanted
    if lookup == "lte":
        return value <= wanted
    return value == wanted


def _parse_search(req: AppRequest) -> tuple[tuple[Any, ...], bool]:
    """Canonical filters (a cache key) and whether services are joined; 400 for an unusable number."""
    params = req.query  # the last value of a repeated key wins, like Django's QueryDict
    filters: list[tuple[Any, ...]] = []
    errors: dict[str, list[str]] = {}
    for key, value in params.items():
        if value == "":
            continue
        if key == "type":
            filters.append(("type", value.lower()))
        elif key in ("regstate", "regtag", "reghost"):
            filters.append((key, value))
        elif key == "hostgroups":
            filters.append(("hostgroups", frozenset(v.strip() for v in value.split(",") if v.strip())))
        elif key in ("topology", "vars.administrative_info__topology"):
            filters.append(("topology", value))
        elif key.startswith("vars."):
            path = [part for part in re.split(r"\.|__", key[5:]) if part]
            if path:
                filters.append(("vars", tuple(path), value))
        elif key.startswith("perfdata."):
            metric, _, lookup = key[9:].partition("__")
            lookup = lookup or "exact"
            number = _number(value)
            if lookup not in _LOOKUPS or not metric:
                continue
            if number is None:
                errors[key] = ["Enter a number."]
                continue
            filters.append(("perfdata", metric, lookup, number))
    if errors:
        req.fail(400, errors)
    joins = "services" in {v.strip() for v in params.get("joins", "").split(",")}
    return tuple(sorted(filters, key=repr)), joins


def _host_matches(data: MonitoringData, f: HostFacts, filters: tuple[Any, ...]) -> bool:
    host_vars: dict[str, Any] | None = None
    for item in filters:
        kind = item[0]
        if kind == "regstate":
            if item[1] not in f.exposed_states():
                return False
        elif kind == "regtag":
            if not f.matches_regtag(item[1]):
                return False
        elif kind == "reghost":
            if not f.matches_reghost(item[1]):
                return False
        elif kind == "hostgroups":
            if not item[1] & set(f.groups):
                return False
        elif kind == "topology":
            if f.topology != item[1]:
                return False
        elif kind == "vars":
            if host_vars is None:
                host_vars = data.host_vars(f)
            if not _var_equals(_var_path(host_vars, list(item[1])), item[2]):
                return False
    return True


def _metrics_match(metrics: dict[str, float], filters: tuple[Any, ...]) -> bool:
    for item in filters:
        if item[0] == "perfdata":
            value = metrics.get(item[1])
            if value is None or not _compare(value, item[2], item[3]):
                return False
    return True


def matching_objects(data: MonitoringData, filters: tuple[Any, ...]) -> list[tuple[int, int]]:
    """``(host index, -1)`` for hosts and ``(host index, service number)`` for services that match."""
    with data.lock:
        cache = _CACHE.setdefault(data, {})
        found = cache.get(filters)
        if found is not None:
            return found
        types = {item[1] for item in filters if item[0] == "type"}
        want_hosts = not types or "host" in types
        want_services = not types or "service" in types
        hosts: list[tuple[int, int]] = []
        services: list[tuple[int, int]] = []
        for f in data.facts:
            if not _host_matches(data, f, filters):
                continue
            if want_hosts and _metrics_match(f.metrics(None), filters):
                hosts.append((f.index, -1))
            if want_services:
                for k, name in enumerate(f.services):
                    if _metrics_match(f.metrics(name), filters):
                        services.append((f.index, k))
        found = hosts + services
        if len(cache) > 64:
            cache.clear()
        cache[filters] = found
        return found


async def _search(req: AppRequest) -> web.StreamResponse:
    data = monitoring_data(req.sim)
    filters, joins = _parse_search(req)
    records = ObjectList(data, matching_objects(data, filters), joins)
    if req.sim.config.monitoring_chunked:
        return await _paginate_chunked(req, records)
    return await req.paginate(records, allow="GET, HEAD, OPTIONS")


async def _paginate_chunked(req: AppRequest, records: ObjectList) -> web.StreamResponse:
    """Like ``req.paginate`` but with chunked transfer encoding and ~128 KB flushes (Icinga 2.16 style)."""
    from .._http import _COMMON_HEADERS, envelope
    from .._query import limit_offset, page_links

    cfg = req.sim.config
    limit, offset = limit_offset(req.query, cfg.default_page_size, cfg.max_limit)
    count = len(records)
    page = records[offset : offset + limit] if offset <= count else []
    raw_path = req.request.raw_path.partition("?")[0]
    base = req.sim._link_base(req.request, raw_path, cfg.monitoring_links)
    nxt, prev = page_links(base, req.raw_query, count, limit, offset)
    body = envelope(count, nxt, prev, b",".join(page))
    resp = web.StreamResponse(status=200, headers=_COMMON_HEADERS)
    resp.content_type = "application/json"
    resp.enable_chunked_encoding()
    await resp.prepare(req.request)
    view = memoryview(body)
    for start in range(0, len(view), _CHUNK):
        await resp.write(view[start : start + _CHUNK])
    await resp.write_eof()
    req.sim.stats.bytes_sent += len(body)
    return resp


# -- other endpoints ---------------------------------------------------------------------------------


def _find_host(req: AppRequest, data: MonitoringData, name: str | None) -> HostFacts:
    f = data.by_name.get(name or "")
    if f is None:
        req.not_found()
    return f


async def handle(req: AppRequest) -> web.StreamResponse:
    parts = req.parts
    data = monitoring_data(req.sim)
    method = req.method
    if parts == ["datasets"]:
        if method != "POST":
            req.not_allowed()
        return await datasets(req, data)
    if method not in ("GET", "HEAD"):
        req.not_allowed()
    if parts == ["search"]:
        return await _search(req)
    if len(parts) == 2 and parts[0] == "hosts":
        return req.respond(data.host_detail(_find_host(req, data, parts[1])), allow="GET, HEAD, OPTIONS")
    if len(parts) == 3 and parts[0] == "cpes" and parts[2] == "info":
        f = data.by_cpe.get(int(parts[1])) if parts[1].isdigit() else None
        if f is None:
            req.not_found()
        delay = req.sim.config.monitoring_live_delay
        if delay:
            await asyncio.sleep(delay)  # a live query of the OLT
        return req.respond(cpe_info(data, f), allow="GET, HEAD, OPTIONS")
    if parts == ["graphs"]:
        name = req.query.get("host_name")
        if not name:
            req.fail(400, {"host_name": ["This field is required."]})
        f = _find_host(req, data, name)
        return req.respond({"graphs": graphs(f, req.query.get("service_name") or None)}, allow="GET, HEAD, OPTIONS")
    if parts == ["status", "summary"]:
        return req.respond(summary(data), allow="GET, HEAD, OPTIONS")
    if parts == ["hostgroups"]:
        counts: dict[str, int] = {}
        for f in data.facts:
            for group in f.groups:
                counts[group] = counts.get(group, 0) + 1
        groups = [{"name": n, "display_name": n.upper(), "hosts": c} for n, c in sorted(counts.items())]
        return await req.paginate(groups, allow="GET, HEAD, OPTIONS")
    req.not_found()


register_app("monitoring", handle)
