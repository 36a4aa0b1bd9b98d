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
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .._apps import AppRequest, register_app
from .._monitoring_data import TXRX_METRICS, HostFacts, MonitoringData, ObjectList

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
            if item[1] not in f.exposed_tags():
                return False
        elif kind == "reghost":
            if f.exposed_host() != item[1]:
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
    from .._query import limit_offset, page_links
    from .._server import _COMMON_HEADERS, envelope

    cfg = req.sim.config
    limit, offset = limit_offset(req.query, cfg.default_page_size, cfg.max_limit)
    count = len(records)
    page = records[offset : offset + limit] if offset <= count else []
    raw_path = req.request.raw_path.partition("?")[0]
    nxt, prev = page_links(req.sim._link_base(req.request, raw_path), req.raw_query, count, limit, offset)
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


def _cpe_info(data: MonitoringData, f: HostFacts) -> dict[str, Any]:
    up = f.state == 0
    host = data.host_attrs(f)
    admin = host["vars"]["administrative_info"]
    alarms: list[dict[str, Any]] = []
    if f.txrx and f.txrx_state() in (1, 2):
        alarms.append(
            {
                "level": "warning",
                "type": "servicequality",
                "admin_status": "init",
                "name": "pondesv",
                "extra": f"pondesv={f.txrx[5]:.2f}",
            }
        )
    if "alarm" in f.states:
        alarms.append(
            {"level": "warning", "type": "processerror", "admin_status": "init", "name": f.states[1], "extra": ""}
        )
    slot, port = f.pon[1], f.pon[2]
    perfdatas: list[dict[str, Any]] = [
        {
            "metric": name,
            "value": value,
            "uom": "dB" if name.endswith("att") or name == "pondesv" else "dBm",
            "min": -50.0,
            "max": 10.0,
            "thresholds": [],
            "items": [],
        }
        for name, value in f.metrics("txrx").items()
    ]
    profile = admin["profile_downstream"]
    return {
        "state": "up" if up else "down",
        "state_id": 0 if up else 1,
        "output": host["output"] or "Offline!",
        "uptime": int(f.latency * 977) if up else 0,
        "dnbw": f.dnbw,
        "upbw": f.upbw,
        "ips": [f.ip] if up else [],
        "distance": 1200 + f.onu * 37 if up else -1,
        "alarms": alarms,
        "registration": {
            "host": f.olt,
            "id": f.regid,
            "last_down_time": None if up else datetime.fromtimestamp(f.changed, timezone.utc).isoformat(),
            "related_services": [f"onug-{f.olt.lower()}0/{slot:02d}/{port:02d}"],
            "states": list(f.states),
            "tags": [f.regtag, f.olt],
        },
        "services": {"txrx": {"output": "OK" if up else "UNKNOWN", "state_id": 0 if up else 3, "perfdatas": perfdatas}},
        "tech": {
            "line_profile": admin["line_profile"],
            "service_profile": "internet",
            "type_name": admin["model"],
            "service_ports": [
                {
                    "id": f.cpe_id,
                    "user_vlan": 100,
                    "service_vlan": 100,
                    "native_vlan": 100,
                    "inbound_traffic_table_name": profile,
                    "outbound_traffic_table_name": profile,
                }
            ],
        },
    }


def _graphs(f: HostFacts, service: str | None) -> list[dict[str, Any]]:
    def line(label: str, measurement: str, metric: str, uom: str, **limits: float | None) -> dict[str, Any]:
        base: dict[str, Any] = {"critical": None, "max": None, "min": None, "warning": None}
        base.update(limits)
        return {
            "label": label,
            "measurement": measurement,
            "metric": metric,
            "uom": uom,
            "error": None,
            "percentile": None,
            "operator": None,
            "color_index": None,
            **base,
        }

    graphs: list[dict[str, Any]] = []
    if service is None:
        graphs.append(
            {
                "group": "cpe",
                "severity": 0,
                "title": "Bandwidth",
                "type": "LineChart",
                "weight": 1,
                "range": "24h",
                "datasets": [line("Download", "check_cpe", "dnbw", "bps"), line("Upload", "check_cpe", "upbw", "bps")],
            }
        )
    if "txrx" in f.services and service in (None, "txrx"):
        datasets = [
            line(name, "check_txrx", name, "null" if name == "pondesv" else "dBm", warning=w, critical=c)
            for name, (w, c) in zip(
                TXRX_METRICS, ((-11, -8), (15, 16), (-12, -9), (30, 50), (30, 50), (2, 4)), strict=True
            )
        ]
        graphs.append(
            {
                "group": "txrx",
                "severity": f.txrx_state() if f.txrx else 0,
                "title": "Tx/Rx",
                "type": "LineChart",
                "weight": 2,
                "range": "24h",
                "datasets": datasets,
            }
        )
    return graphs


def _seconds(spec: Any) -> int | None:
    match = _TIMESPEC.match(spec) if isinstance(spec, str) else None
    if match is None:
        return None
    return int(match[1]) * {"m": 60, "h": 3600, "d": 86400}[match[2]]


async def _datasets(req: AppRequest, data: MonitoringData) -> web.StreamResponse:
    body = await req.json_body()
    if not isinstance(body, dict):
        req.fail(400, {"non_field_errors": ["Invalid data. Expected a dictionary."]})
    errors: dict[str, list[str]] = {}
    start, end = _seconds(body.get("start", "24h")), _seconds(body.get("end", "0m"))
    if start is None:
        errors["start"] = ["Invalid time range: use <n>m, <n>h or <n>d."]
    if end is None:
        errors["end"] = ["Invalid time range: use <n>m, <n>h or <n>d."]
    metrics = body.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        errors["metrics"] = ["This field is required."]
    if not isinstance(body.get("host_name"), str):
        errors["host_name"] = ["This field is required."]
    if errors:
        req.fail(400, errors)
    assert start is not None and end is not None and isinstance(metrics, list)
    span = max(start - end, 60)
    step = max(span // 6, 60)
    first = _NOW_UTC - timedelta(seconds=start)
    result: dict[str, list[dict[str, Any]]] = {}
    for wanted in metrics:
        if not isinstance(wanted, dict) or not wanted.get("measurement") or not wanted.get("metric"):
            req.fail(400, {"metrics": ["Each metric needs measurement and metric."]})
        host = wanted.get("host_name") or body["host_name"]
        service = wanted.get("service_name", body.get("service_name"))
        f = data.by_name.get(host)
        value = (f.metrics(service).get(wanted["metric"]) if f is not None else None) if service != "" else None
        if f is not None and value is None:
            value = f.metrics(None).get(wanted["metric"])
        points = []
        for n in range(span // step + 1):
            when = first + timedelta(seconds=n * step)
            wobble = ((n * 7919 + len(host)) % 11 - 5) / 100.0
            points.append(
                {
                    "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "value": None if value is None else round(value + wobble * abs(value or 1.0), 2),
                    "unit": None,
                }
            )
        result[f"{wanted['measurement']}__{host}__{service}__{wanted['metric']}"] = points
    return req.respond(result, allow="POST, OPTIONS")


def _summary(data: MonitoringData) -> dict[str, Any]:
    hosts = {"up": 0, "down": 0, "unreachable": 0, "pending": 0}
    services = {"ok": 0, "warning": 0, "critical": 0, "unknown": 0, "pending": 0}
    host_names = {0: "up", 1: "down", 99: "pending"}
    service_names = {0: "ok", 1: "warning", 2: "critical", 3: "unknown", 99: "pending"}
    problems = handled = 0
    for f in data.facts:
        hosts[host_names[f.state]] += 1
        if f.state == 1:
            problems += 1
            handled += f.handled
        for name in f.services:
            state = f.txrx_state() if name == "txrx" else (99 if f.pending else 0)
            services[service_names[state]] += 1
    return {
        "hosts": {**hosts, "total": len(data.facts), "problems": problems, "handled": handled},
        "services": {**services, "total": sum(services.values())},
    }


async def handle(req: AppRequest) -> web.StreamResponse:
    parts = req.parts
    data = monitoring_data(req.sim)
    method = req.method
    if parts == ["datasets"]:
        if method != "POST":
            req.not_allowed()
        return await _datasets(req, data)
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
        return req.respond(_cpe_info(data, f), allow="GET, HEAD, OPTIONS")
    if parts == ["graphs"]:
        name = req.query.get("host_name")
        if not name:
            req.fail(400, {"host_name": ["This field is required."]})
        f = _find_host(req, data, name)
        return req.respond({"graphs": _graphs(f, req.query.get("service_name") or None)}, allow="GET, HEAD, OPTIONS")
    if parts == ["status", "summary"]:
        return req.respond(_summary(data), allow="GET, HEAD, OPTIONS")
    if parts == ["hostgroups"]:
        counts: dict[str, int] = {}
        for f in data.facts:
            for group in f.groups:
                counts[group] = counts.get(group, 0) + 1
        groups = [{"name": n, "display_name": n.upper(), "hosts": c} for n, c in sorted(counts.items())]
        return await req.paginate(groups, allow="GET, HEAD, OPTIONS")
    req.not_found()


register_app("monitoring", handle)
