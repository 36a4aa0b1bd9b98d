"""The strict (Django-like) URL resolution of the simulator, and its lenient alternative.

Requests go through ``http.client`` so that redirects are seen, not followed.
"""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from krill_async.testing import KrillSimulator, SimulatorConfig, spawn_simulator
from krill_async.testing._routes import NOT_FOUND_HTML

BASIC = "Basic " + base64.b64encode("usuario:contraseña".encode()).decode()


def fetch(url: str, path: str, method: str = "GET", body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    headers = {"Authorization": BASIC}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def strict() -> Iterator[KrillSimulator]:
    sim = KrillSimulator(SimulatorConfig(cpes=60))
    with sim.run_in_thread():
        yield sim


@pytest.fixture(scope="module")
def lenient() -> Iterator[KrillSimulator]:
    sim = KrillSimulator(SimulatorConfig(cpes=60, strict=False))
    with sim.run_in_thread():
        yield sim


def test_strict_is_the_default_of_every_helper(
    krill_simulator: KrillSimulator, krill_simulator_factory: object
) -> None:
    assert SimulatorConfig().strict is True
    assert krill_simulator.config.strict is True
    assert fetch(krill_simulator.url, "/api/v2/isp/cpes")[0] == 301


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "HEAD", "OPTIONS"])
def test_a_slashless_url_is_moved_permanently_for_any_method(strict: KrillSimulator, method: str) -> None:
    body = b"{}" if method in ("POST", "PUT") else None
    status, headers, _ = fetch(strict.url, "/api/v2/isp/cpes/74?attrs=id,cpename&joins=customer", method, body)
    assert status == 301
    assert headers["Location"] == "/api/v2/isp/cpes/74/?attrs=id,cpename&joins=customer"


def test_the_redirect_comes_before_authentication(strict: KrillSimulator) -> None:
    parts = urlsplit(strict.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("GET", "/api/v2/isp/customers")
    resp = conn.getresponse()
    assert (resp.status, resp.getheader("Location")) == (301, "/api/v2/isp/customers/")
    conn.close()


def test_unknown_urls_get_djangos_html_page(strict: KrillSimulator) -> None:
    for path in ("/api/v2/isp/nothing/", "/api/v2/nothing/", "/api/v3/isp/cpes/", "/", "/api/v2/monitoring/hosts/x/"):
        status, headers, body = fetch(strict.url, path)
        assert (status, headers["Content-Type"], body) == (404, "text/html; charset=utf-8", NOT_FOUND_HTML), path
    # a URL that resolves but names no record is DRF's JSON 404, from the view
    status, headers, body = fetch(strict.url, "/api/v2/isp/cpes/999999/")
    assert (status, json.loads(body)) == (404, {"detail": "Not found."})


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/monitoring/search?type=Host&limit=1",  # the overview's httpie examples
        "/api/v2/monitoring/search/?type=Host&limit=1",  # jmq-krill
        "/api/v2/monitoring/hosts/pim0350",  # the Postman sample's form
        "/api/v2/monitoring/cpes/350/info",
        "/api/v2/monitoring/graphs/?host_name=pim0350",
        "/api/v2/cpes/350/info",  # the CPE's own _links (vendor layout)
        "/api/v2/cpes/350/events?type=cdr",
        "/api/v2/isp/cpes/?sn=0000deadbeef0000",
        "/api/v2/isp/cpes/74/?attrs=id,cpename",
        "/api/cpes/?sn=0000deadbeef0000",
    ],
)
def test_what_the_vendors_samples_show_working_answers_200(strict: KrillSimulator, path: str) -> None:
    assert fetch(strict.url, path)[0] == 200, path


def test_slashless_only_routes_do_not_take_a_slash(strict: KrillSimulator) -> None:
    for path in ("/api/v2/monitoring/cpes/350/info/", "/api/v2/monitoring/hosts/pim0350/"):
        assert fetch(strict.url, path)[:1] == (404,), path


def test_login_takes_both_forms_and_a_slashless_post_elsewhere_is_redirected(strict: KrillSimulator) -> None:
    form = b'{"username": "usuario", "password": "contrase\\u00f1a"}'
    assert fetch(strict.url, "/api/v2/auth/login", "POST", form)[0] == 200  # jmq-krill's form
    assert fetch(strict.url, "/api/v2/auth/login/", "POST", form)[0] == 200
    status, headers, _ = fetch(strict.url, "/api/v2/monitoring/datasets", "POST", b"{}")
    assert (status, headers["Location"]) == (301, "/api/v2/monitoring/datasets/")


def test_only_the_configured_cpe_link_layout_is_served() -> None:
    for layout, served, refused in (
        ("vendor", "/api/v2/cpes/", "/api/v2/isp/cpes/"),
        ("isp", "/api/v2/isp/cpes/", "/api/v2/cpes/"),
    ):
        sim = KrillSimulator(SimulatorConfig(cpes=60, cpe_links=layout))  # type: ignore[arg-type]
        with sim.run_in_thread():
            _, _, body = fetch(sim.url, "/api/v2/isp/cpes/350/")
            links = json.loads(body)["_links"]
            assert links["actions"]["reboot"] == f"{served}350/reboot"
            assert links["links"]["cdrs"] == f"{served}350/events?type=cdr"
            assert fetch(sim.url, f"{served}350/customer")[0] == 200
            assert fetch(sim.url, f"{refused}350/customer")[0] == 404
            assert fetch(sim.url, f"{served}350/reboot", "POST")[0] == 202


def test_lenient_mode_takes_any_slash_and_both_layouts(lenient: KrillSimulator) -> None:
    for path in (
        "/api/v2/isp/cpes",
        "/api/v2/isp/cpes/74",
        "/api/v2/monitoring/cpes/350/info/",
        "/api/v2/isp/cpes/350/customer",
    ):
        assert fetch(lenient.url, path)[0] == 200, path
    status, headers, body = fetch(lenient.url, "/api/v2/isp/nothing/")
    assert (status, headers["Content-Type"], json.loads(body)) == (404, "application/json", {"detail": "Not found."})


def test_cli_flag_and_spawn_option_select_lenient_mode() -> None:
    with spawn_simulator(cpes=10, strict=False) as url:
        assert fetch(url, "/api/v2/isp/cpes")[0] == 200
    with spawn_simulator(cpes=10) as url:
        assert fetch(url, "/api/v2/isp/cpes")[0] == 301
    out = subprocess.run(
        [sys.executable, "-m", "krill_async.testing", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--lenient" in out and "--cpe-links" in out and "--monitoring-unregistered" in out
