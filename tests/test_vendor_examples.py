"""Every request of the vendor's API v2 overview (and the Postman guide's samples) against the simulator.

The overview's requests are parsed from its text (``tests/data``, a verbatim copy) and sent with httpie's
semantics (``key==value`` is a query parameter, ``-a user:pass`` HTTP Basic, no scheme means ``http://``, no
redirect is followed), only the host adapted. Each answer must have the sample's status and shape (keys,
nesting, JSON types) and the vendor's values wherever the sample fixes them. ``requests`` is used, not our
client, so that the simulator is checked on its own.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from krill_async.testing import KrillSimulator, SimulatorConfig
from krill_async.testing._schemas import CPE_SCHEMA

from ._samples import JOINS_BODY, V1_CPES_BODY, V2_CPES_BODY

DATA = Path(__file__).parent / "data"
OVERVIEW = (DATA / "krill-api-v2-overview.es.txt").read_text(encoding="utf-8")
POSTMAN = (DATA / "krill-user-guide-postman.en.md").read_text(encoding="utf-8")
MONITORING = json.loads((DATA / "overview-monitoring-samples.json").read_text(encoding="utf-8"))
AUTH = ("usuario", "contraseña")

#: Keys real answers gained after the overview's 2023 samples (facts §7): allowed on top of a sample's keys.
LATER_KEYS = {
    "cpe": {"locality", "is_bitstream"},  # 2023-02 Postman sample, 2025 data
    "pots": {"billing_profile"},  # 2025
    "administrative_info": {"dsn", "mac", "notes", "topology", "tv_profile", "voip_profile"},  # optional
    "info": {"distance"},  # 2025
}


#: Fields a sample shows set that real records may have null (a CPE without coordinates: facts §7.1).
NULLABLE = {"latitude", "longitude"}


def _kind(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(type(value), "null")


def assert_shape(
    sample: Any,
    actual: Any,
    where: str = "$",
    extra: frozenset[str] = frozenset(),
    nullable: frozenset[str] = frozenset(NULLABLE),
) -> None:
    """``actual`` has ``sample``'s keys (plus ``extra``), nesting and JSON types; a sample ``null`` fixes no
    type, and each list element is compared with the sample's element at the same place (or its first)."""
    if sample is None or (actual is None and where.rsplit(".", 1)[-1] in nullable):
        return
    assert _kind(actual) == _kind(sample), f"{where}: {_kind(actual)} where the sample has {_kind(sample)}"
    if isinstance(sample, dict):
        missing = set(sample) - set(actual)
        unexpected = set(actual) - set(sample) - extra
        assert not missing and not unexpected, f"{where}: missing {missing}, unexpected {unexpected}"
        for key, value in sample.items():
            assert_shape(value, actual[key], f"{where}.{key}", extra, nullable)
    elif isinstance(sample, list) and sample:
        for n, item in enumerate(actual):
            assert_shape(sample[n] if n < len(sample) else sample[0], item, f"{where}[{n}]", extra, nullable)


def overview_requests() -> list[tuple[str, str, dict[str, str]]]:
    """``(title, path, params)`` of each request line of the overview, in order.

    Two forms appear: ``GET api/...?query`` request lines, where ``k==v`` items are httpie's (the overview's
    ``joins==customer,potses``), and ``http --stream -a user:pass host:port/path k==v ...`` commands (one is
    garbled, ``regstate==alarmhttp --stream ...`` with the command's head after its tail: the words after
    the URL that are not ``k==v`` items are dropped)."""
    found: list[tuple[str, str, dict[str, str]]] = []
    lines = OVERVIEW.splitlines()
    for n, line in enumerate(lines):
        title = lines[n - 1].strip()
        if line.startswith("GET api/"):
            url = "/" + line.split()[1]
            path, _, query = url.partition("?")
            params = {}
            for item in filter(None, query.split("&")):
                key, sep, value = item.partition("==") if "==" in item else item.partition("=")
                params[key] = value
            found.append((title, path, params))
        elif "/api/v2/monitoring/search" in line and "==" in line:
            words = shlex.split(line.split("|")[0])
            url = next(w for w in words if "/api/v2/" in w)
            params = {}
            for word in words:
                key, sep, value = word.partition("==")
                if sep and "/" not in key:
                    params[key] = value.removesuffix("http")  # the garbled line's "alarmhttp"
            found.append((title, "/" + url.split("/", 1)[1], params))
    return found


REQUESTS = overview_requests()
V1, V2, ATTRS, JOINS, PAGE, PONDESV, PONDESV_JQ, ALARM, PORT, PORT_JQ, SMR, SMR_AGAIN, SMR_JQ = range(13)


def test_the_overview_is_read_whole() -> None:
    titles = [title for title, _, _ in REQUESTS]
    assert len(REQUESTS) == 13, REQUESTS  # the SMR-OLT03 command is printed twice
    assert REQUESTS[V2] == ("Con v2", "/api/v2/isp/cpes/", {"sn": "0000deadbeef0000"})
    assert REQUESTS[JOINS] == ("Joins", "/api/v2/isp/cpes/74/", {"attrs": "id", "joins": "customer,potses"})
    assert REQUESTS[PONDESV][2] == REQUESTS[PONDESV_JQ][2] == {"type": "Service", "perfdata.pondesv__gt": "2"}
    assert REQUESTS[ALARM][2] == {"type": "Host", "regstate": "alarm"}  # the garbled command
    assert REQUESTS[PORT][2] == {"type": "Host", "regstate": "alarm", "regtag": "CAR-OLT02-0/3/9"}
    assert REQUESTS[SMR][2] == REQUESTS[SMR_JQ][2] == {"type": "Host", "reghost": "SMR-OLT03", "limit": "1"}
    assert titles[PAGE] == "Paginación" and titles[SMR_JQ] == "Filtro para sacar cpe y serial"


@pytest.fixture(scope="module")
def sim() -> Iterator[KrillSimulator]:
    """The overview's deployment size (158 CPEs), without real-data drift so that shapes are the samples'."""
    server = KrillSimulator(SimulatorConfig(cpes=158, monitoring_drift=0.0, monitoring_unregistered=0.0))
    with server.run_in_thread():
        yield server


def get(sim: KrillSimulator, path: str, params: dict[str, str] | None = None) -> requests.Response:
    """httpie's semantics: Basic auth, query items, redirects not followed."""
    return requests.get(sim.url + path, params=params, auth=AUTH, allow_redirects=False, timeout=30)


def answers(sim: KrillSimulator) -> dict[str, requests.Response]:
    result = {}
    for n, (title, path, params) in enumerate(REQUESTS):
        result[f"{n}:{title}"] = get(sim, path, params)
    return result


def test_every_request_answers_200_json(sim: KrillSimulator) -> None:
    for key, reply in answers(sim).items():
        assert reply.status_code == 200, key
        assert reply.headers["Content-Type"] == "application/json", key
        assert reply.headers["Server"] == "nginx/1.18.0 (Ubuntu)" and reply.headers["Vary"] == "Accept, Cookie"


def test_the_crm_examples_answer_the_samples_values(sim: KrillSimulator) -> None:
    v1 = get(sim, *REQUESTS[V1][1:]).json()
    v2 = get(sim, *REQUESTS[V2][1:]).json()
    later = LATER_KEYS["cpe"]
    assert_shape(json.loads(V1_CPES_BODY), v1, extra=frozenset(later))
    assert_shape(json.loads(V2_CPES_BODY), v2, extra=frozenset(later))
    (record,) = v2["results"]
    assert {k: v for k, v in record.items() if k not in later} == json.loads(V2_CPES_BODY)["results"][0]
    assert {k: v for k, v in v1[0].items() if k not in later} == json.loads(V1_CPES_BODY)[0]
    assert get(sim, *REQUESTS[ATTRS][1:]).json() == {"cpename": "pim0074", "id": 74}
    joined = get(sim, *REQUESTS[JOINS][1:]).json()
    expected = json.loads(JOINS_BODY)
    for pots in joined["potses"]:
        assert pots.pop("billing_profile") is None  # the 2025 field
    assert joined == expected
    page = get(sim, *REQUESTS[PAGE][1:]).json()
    assert page == {
        "count": 158,
        "next": "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=45",
        "previous": "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=39",
        "results": [{"id": 119}, {"id": 121}, {"id": 123}],
    }


def _monitoring(sim: KrillSimulator, n: int) -> dict[str, Any]:
    reply = get(sim, *REQUESTS[n][1:])
    body: dict[str, Any] = reply.json()
    assert set(body) == {"count", "next", "previous", "results"} and body["previous"] is None
    return body


def test_pondesv_above_two(sim: KrillSimulator) -> None:
    body = _monitoring(sim, PONDESV)
    assert body == _monitoring(sim, PONDESV_JQ)
    sample = MONITORING["pondesv_service"]
    extra = frozenset(LATER_KEYS["administrative_info"])
    for obj in body["results"]:
        assert_shape(sample, obj, extra=extra)
        assert obj["type"] == "Service" and obj["name"].endswith("!txrx")
        assert next(p["value"] for p in obj["attrs"]["perfdata"] if p["name"] == "pondesv") > 2
    # the jq projection's values: the first three CPEs and their OLTs
    projected = [{"cpe": o["name"], "olt": o["attrs"]["vars"]["cpe_registration_host"]} for o in body["results"]]
    assert projected[:3] == [
        {"cpe": "cpe41385!txrx", "olt": "OLT04"},
        {"cpe": "cpe7819!txrx", "olt": "OLT03"},
        {"cpe": "cpe0482!txrx", "olt": "OLT03"},
    ]
    # the printed fragment's service, with the values the sample fixes
    mine = next(o for o in body["results"] if o["name"] == sample["name"])
    for key in ("check_command", "check_interval", "output", "service_name", "state", "state_long", "latency"):
        assert mine["attrs"][key] == sample["attrs"][key], key
    assert mine["attrs"]["perfdata"] == sample["attrs"]["perfdata"]
    sample_vars, my_vars = sample["attrs"]["vars"], mine["attrs"]["vars"]
    assert (my_vars["cpe_registration_id"], my_vars["cpe_registration_state"]) == ("0/7/7-35", "dyinggasp")
    admin = my_vars["administrative_info"]
    for key in ("id", "sn", "model", "vendor", "latitude", "longitude", "realm", "services", "tech"):
        assert admin[key] == sample_vars["administrative_info"][key], key


def test_alarmed_hosts(sim: KrillSimulator) -> None:
    body = _monitoring(sim, ALARM)
    sample = MONITORING["alarm_host"]
    assert body["results"] and body["count"] >= len(body["results"])
    for obj in body["results"]:
        assert_shape(sample, obj, extra=frozenset(LATER_KEYS["administrative_info"]))
        assert obj["attrs"]["vars"]["cpe_registration_state"] == "alarm" and obj["attrs"]["alarm"] == 1
    mine = next(o for o in body["results"] if o["name"] == sample["name"])
    for key in ("output", "severity", "state_long", "latency", "perfdata"):
        assert mine["attrs"][key] == sample["attrs"][key], key


def test_alarmed_hosts_of_one_olt_port_and_their_regid(sim: KrillSimulator) -> None:
    for n in (PORT, PORT_JQ):  # the page, then the same request whose jq keeps the registration id
        body = _monitoring(sim, n)
        sample = MONITORING["alarm_port_page"]
        assert_shape(sample, body, extra=frozenset(LATER_KEYS["administrative_info"]))
        assert (body["count"], body["next"]) == (1, None)
        assert [{"regid": o["attrs"]["vars"]["cpe_registration_id"]} for o in body["results"]] == [
            {"regid": "0/3/9-15"}
        ]
        (host,) = body["results"]
        assert host["name"] == "cpe40250" and host["attrs"]["output"] == sample["results"][0]["attrs"]["output"]


def test_one_host_of_smr_olt03_with_name_and_serial(sim: KrillSimulator) -> None:
    body = _monitoring(sim, SMR)
    assert body == _monitoring(sim, SMR_AGAIN) == _monitoring(sim, SMR_JQ)
    sample = MONITORING["smr_olt03_page"]
    assert_shape(sample, body, extra=frozenset(LATER_KEYS["administrative_info"]))
    # DRF's build_absolute_uri: the request's own host, the query re-sorted
    host = urlsplit(sim.url).netloc
    assert body["next"] == sample["next"].replace("krill.phicus.es:4780", host)
    (obj,) = body["results"]
    # the jq projection's values (the printed JSON is redacted: "name": "cpe", "sn": "")
    assert {"name": obj["name"], "sn": obj["attrs"]["vars"]["administrative_info"]["sn"]} == {
        "name": "cpe18838",
        "sn": "4648545497b054c0",
    }
    attrs, fixed = obj["attrs"], sample["results"][0]["attrs"]
    for key in ("host_name", "output", "latency", "perfdata", "state_long", "last_check"):
        assert attrs[key] == fixed[key].replace("-05:00", "+01:00") if key == "last_check" else fixed[key], key


def test_the_examples_hold_at_the_default_settings() -> None:
    """Drift and unregistered hosts (the defaults) never touch the sample hosts."""
    server = KrillSimulator(SimulatorConfig(cpes=400))
    with server.run_in_thread():
        services = get(server, *REQUESTS[PONDESV][1:]).json()["results"]
        assert [o["name"] for o in services[:3]] == ["cpe41385!txrx", "cpe7819!txrx", "cpe0482!txrx"]
        port = get(server, *REQUESTS[PORT][1:]).json()
        assert [o["name"] for o in port["results"]] == ["cpe40250"]
        first = get(server, *REQUESTS[SMR][1:]).json()["results"][0]
        assert first["name"] == "cpe18838"
        assert get(server, *REQUESTS[V2][1:]).json()["results"][0]["id"] == 350


# -- the Postman guide's samples (host pim0585 there; the simulator's pim0350 here) ----------------------------


def postman_blocks() -> list[Any]:
    """The guide's JSON code blocks that parse (the two request templates are not valid JSON)."""
    blocks = []
    for block in re.findall(r"```\n(.*?)```", POSTMAN, flags=re.DOTALL):
        try:
            blocks.append(json.loads(block))
        except ValueError:
            continue
    return blocks


CPE_LIST, CPE_INFO, HOST, HOST_GRAPHS, SERVICE_GRAPHS, DATASETS = postman_blocks()


def test_cpe_by_external_id_has_the_postman_record_shape(sim: KrillSimulator) -> None:
    wanted = next(c for c in sim.network.cpes.values() if c["external_id"] and c["realm"] == "pim")
    body = get(sim, "/api/v2/isp/cpes/", {"external_id": wanted["external_id"], "realm": "pim"}).json()
    assert [c["id"] for c in body["results"]] == [wanted["id"]]
    # the sample's CPE has every nullable field set; the model's nullable fields may be null here
    nullable = frozenset(name for name, spec in CPE_SCHEMA.items() if spec.nullable) | {"tech_updated"}
    assert_shape(CPE_LIST, body, extra=frozenset({"is_bitstream"}), nullable=nullable)


def test_live_cpe_info_as_postman(sim: KrillSimulator) -> None:
    reply = get(sim, "/api/v2/monitoring/cpes/350/info")
    assert reply.status_code == 200
    info = reply.json()
    assert_shape(CPE_INFO, info, extra=frozenset(LATER_KEYS["info"]))
    perfdatas = {p["metric"]: p for p in info["services"]["txrx"]["perfdatas"]}
    sample = {p["metric"]: p for p in CPE_INFO["services"]["txrx"]["perfdatas"]}
    assert list(perfdatas) == list(sample)  # dnrx, uptx, uprx, upatt: no dnatt, no pondesv
    for metric, wanted in sample.items():
        got = perfdatas[metric]
        assert (got["thresholds"], got["min"], got["max"], got["uom"]) == (
            wanted["thresholds"],
            wanted["min"],
            wanted["max"],
            wanted["uom"],
        )
    assert type(info["dnbw"]) is int and type(info["upbw"]) is int


def test_deferred_host_info_as_postman(sim: KrillSimulator) -> None:
    host = get(sim, "/api/v2/monitoring/hosts/pim0350").json()
    assert_shape(HOST, host, extra=frozenset(LATER_KEYS["administrative_info"]))
    assert host["attrs"]["last_check_result"]["execution_time"] == 0
    assert type(host["attrs"]["last_check_result"]["execution_time"]) is int


def test_graphs_as_postman(sim: KrillSimulator) -> None:
    host = get(sim, "/api/v2/monitoring/graphs/", {"host_name": "pim0350"}).json()
    assert host == HOST_GRAPHS  # the sample fixes every value of a host's graph
    service = get(sim, "/api/v2/monitoring/graphs/", {"host_name": "pim0350", "service_name": "txrx"}).json()
    assert_shape(SERVICE_GRAPHS, service)
    strip = [{**g, "severity": 0} for g in service["graphs"]]
    assert strip == [{**g, "severity": 0} for g in SERVICE_GRAPHS["graphs"]]  # all but the live severity


def test_datasets_as_postman(sim: KrillSimulator) -> None:
    metrics = [{"host_name": "pim0350", "service_name": "txrx", "measurement": "check_txrx", "metric": "dnatt"}]
    body: dict[str, Any] = {
        "host_name": "pim0350",
        "service_name": "txrx",
        "start": "24h",
        "end": "0m",
        "metrics": metrics,
    }
    reply = requests.post(f"{sim.url}/api/v2/monitoring/datasets/", json=body, auth=AUTH, timeout=30)
    assert reply.status_code == 200
    sample_points = DATASETS["check_txrx__pim0585__txrx__dnatt"]
    (key,) = reply.json()
    assert key == "check_txrx__pim0350__txrx__dnatt"
    assert_shape(sample_points, reply.json()[key])
    assert all(p["time"].endswith("Z") and p["unit"] is None for p in reply.json()[key])
