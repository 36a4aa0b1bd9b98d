"""The simulator's loopback control route, ``/_simulator/config`` (benchmarks change the latency at runtime)."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request

from krill_async.testing import KrillSimulator, SimulatorConfig, spawn_simulator

BASIC = "Basic " + base64.b64encode("usuario:contraseña".encode()).decode()


def call(url: str, path: str, *, method: str = "GET", body: Any = None, auth: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if auth:
        headers["Authorization"] = auth
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


@pytest.fixture
def sim() -> Iterator[KrillSimulator]:
    simulator = KrillSimulator(SimulatorConfig(cpes=20))
    with simulator.run_in_thread():
        yield simulator


def test_get_reports_the_settings_without_auth(sim: KrillSimulator) -> None:
    status, body = call(sim.url, "/_simulator/config")
    assert status == 200
    assert body == {
        "latency": 0.0,
        "max_limit": 1000,
        "default_page_size": 10,
        "links": "internal",
        "monitoring_links": "absolute",
    }


def test_put_changes_the_running_config(sim: KrillSimulator) -> None:
    status, body = call(
        sim.url,
        "/_simulator/config",
        method="PUT",
        body={"latency": 0.05, "max_limit": 7, "links": "relative", "monitoring_links": "internal"},
    )
    assert status == 200
    assert body == {
        "latency": 0.05,
        "max_limit": 7,
        "default_page_size": 10,
        "links": "relative",
        "monitoring_links": "internal",
    }
    assert sim.config.latency == 0.05 and sim.config.max_limit == 7
    started = time.perf_counter()
    status, page = call(sim.url, "/api/v2/isp/cpes/?limit=100", auth=BASIC)
    assert time.perf_counter() - started >= 0.05
    assert status == 200 and len(page["results"]) == 7 and page["next"].startswith("/api/v2/isp/cpes/")
    status, body = call(sim.url, "/_simulator/config/", method="PUT", body={"latency": 0})
    assert status == 200 and body["latency"] == 0.0 and isinstance(sim.config.latency, float)


@pytest.mark.parametrize(
    "body",
    [
        {"latency": -1},
        {"latency": "0.03"},
        {"latency": True},
        {"latency": 61},
        {"max_limit": 0},
        {"max_limit": 2.5},
        {"links": "elsewhere"},
        {"users": {"x": "y"}},
        {"latency": 0.01, "port": 80},  # one bad setting: nothing is applied
    ],
)
def test_put_rejects_bad_or_unknown_settings(sim: KrillSimulator, body: dict[str, Any]) -> None:
    status, errors = call(sim.url, "/_simulator/config", method="PUT", body=body)
    assert status == 400
    assert set(errors) <= set(body) and errors
    assert sim.config.latency == 0.0 and sim.config.max_limit == 1000 and sim.config.links == "internal"


def test_other_methods_are_refused(sim: KrillSimulator) -> None:
    status, body = call(sim.url, "/_simulator/config", method="DELETE")
    assert status == 405 and body == {"detail": 'Method "DELETE" not allowed.'}


@pytest.mark.anyio
async def test_non_loopback_clients_are_refused() -> None:
    sim = KrillSimulator(SimulatorConfig(cpes=5))
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        ("192.0.2.7", 40000) if name == "peername" else default
    )
    request = make_mocked_request(
        "PUT", "/_simulator/config", headers={"Content-Type": "application/json"}, transport=transport
    )
    assert request.remote == "192.0.2.7"
    resp = await sim._handle(request)
    assert resp.status == 403
    assert sim.config.latency == 0.0


def test_changes_a_spawned_simulator_at_runtime() -> None:
    with spawn_simulator(cpes=20) as url:
        for latency in (0.2, 0.0):
            assert call(url, "/_simulator/config", method="PUT", body={"latency": latency})[0] == 200
            started = time.perf_counter()
            status, _ = call(url, "/api/v2/isp/cpes/?limit=5", auth=BASIC)
            elapsed = time.perf_counter() - started
            assert status == 200
            assert (elapsed >= 0.2) if latency else (elapsed < 0.15)
