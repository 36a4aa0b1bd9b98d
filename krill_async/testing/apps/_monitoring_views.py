"""The monitoring views besides search: live CPE info, graphs, datasets and the status summary.

Shapes follow the vendor's Postman samples (facts §5.3, §7.5, §7.7); split from the search module so each
stays small.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from .._apps import AppRequest
from .._monitoring_data import HostFacts, MonitoringData

__all__ = ["cpe_info", "datasets", "graphs", "summary"]

_TIMESPEC = re.compile(r"^(\d+)([mhd])$")
_NOW_UTC = datetime(2025, 8, 8, 14, 0, 0, tzinfo=timezone.utc)
#: Live CPE info perfdata, as the Postman sample: (uom, min, max, thresholds); dnatt and pondesv are absent.
_INFO_METRICS: dict[str, tuple[str, int, int, tuple[int, ...]]] = {
    "dnrx": ("dBm", -49, 5, (-29, -27, -11, -8)),
    "uptx": ("dBm", -10, 15, ()),
    "uprx": ("dBm", -49, 5, (-32, -30, -12, -9)),
    "upatt": ("dB", 1, 60, (26, 46)),
}
#: Service graphs in the Postman sample's order: metric -> (min, warning, critical, weight).
_GRAPH_LIMITS: dict[str, tuple[int, int, int, int]] = {
    "dnatt": (1, 26, 46, 1),
    "dnrx": (-49, -11, -8, -2),
    "uptx": (-10, 15, 16, 0),
    "uprx": (-49, -12, -9, -1),
    "upatt": (1, 26, 46, 1),
    "pondesv": (-10, 2, 4, 0),
}


def cpe_info(data: MonitoringData, f: HostFacts) -> dict[str, Any]:
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
    perfdatas = []
    for name, value in f.metrics("txrx").items():
        if name in _INFO_METRICS:
            uom, low, high, thresholds = _INFO_METRICS[name]
            limits = {"min": low, "max": high, "thresholds": list(thresholds)}
            perfdatas.append({"metric": name, "value": value, "uom": uom, **limits, "items": []})
    txrx = f.metrics("txrx")
    output = " ".join(f"{k}={v:.2f}" for k, v in txrx.items()) if txrx else "UNKNOWN - no data"
    profile = admin["profile_downstream"]
    label = f.olt_label
    registration: dict[str, Any] = {  # a live query finds an unregistered ONU nowhere (shape: a guess)
        "host": label if f.registered else "",
        "id": f.regid if f.registered else "",
        "last_down_time": None if up else datetime.fromtimestamp(f.changed, timezone.utc).isoformat(),
        "related_services": [f"onug-{label.lower()}{f.pon[0]}/{slot:02d}/{port:02d}"] if f.registered else [],
        "states": list(f.states) if f.registered else [],
        "tags": [f.regtag, label] if f.registered else [],
    }
    return {
        "state": "up" if up else "down",
        "state_id": 0 if up else 1,
        "output": host["output"] or "Offline!",
        "uptime": int(f.latency * 977) if up else 0,
        "dnbw": int(f.dnbw),  # integers in the sample, unlike the search's perfdata
        "upbw": int(f.upbw),
        "ips": [f.ip] if up else [],
        "distance": 1200 + f.onu * 37 if up else -1,
        "alarms": alarms,
        "registration": registration,
        "services": {"txrx": {"output": output, "state_id": 0 if up else 3, "perfdatas": perfdatas}},
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


def _dataset(metric: str, measurement: str, uom: str, color: int | None, **limits: int | None) -> dict[str, Any]:
    dataset: dict[str, Any] = {"label": metric, "measurement": measurement, "metric": metric, "uom": uom}
    dataset.update({"min": None, "max": None, "warning": None, "critical": None})
    dataset.update(limits)
    dataset.update({"error": None, "percentile": None, "operator": None, "color_index": color})
    return dataset


def graphs(f: HostFacts, service: str | None) -> list[dict[str, Any]]:
    """As the Postman samples: a host has one ``bandwidth`` graph (uom ``B``); a service has one graph per
    metric (``dnatt Graph.``, ...), one dataset each, uom the literal string ``"null"``, integer limits with
    ``min`` and ``max`` both the metric's minimum (sic)."""
    if service is None:
        datasets = [_dataset(m, "check_cpe", "B", color) for color, m in enumerate(("dnbw", "upbw"), 1)]
        graph = {"group": "bandwidth", "severity": 0, "title": "Bandwidth", "type": "LineChart", "weight": 3}
        return [{**graph, "range": "24h", "datasets": datasets}]
    if service != "txrx" or "txrx" not in f.services:
        return []
    values = f.metrics("txrx")
    result = []
    for metric, (low, warning, critical, weight) in _GRAPH_LIMITS.items():
        value = values.get(metric)
        severity = 50 if value is not None and value > critical else 0
        dataset = _dataset(metric, "check_txrx", "null", None, min=low, max=low, warning=warning, critical=critical)
        title = f"{metric} Graph."
        graph = {"group": title, "severity": severity, "title": title, "type": "LineChart", "weight": weight}
        result.append({**graph, "range": "24h", "datasets": [dataset]})
    return result


def _seconds(spec: Any) -> int | None:
    match = _TIMESPEC.match(spec) if isinstance(spec, str) else None
    if match is None:
        return None
    return int(match[1]) * {"m": 60, "h": 3600, "d": 86400}[match[2]]


async def datasets(req: AppRequest, data: MonitoringData) -> web.StreamResponse:
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


def summary(data: MonitoringData) -> dict[str, Any]:
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
