"""Tests of the simulated Krill server itself, with plain urllib/aiohttp (never the krill_async client)."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from krill_async.testing import KrillSimulator, Network, SimulatorConfig, spawn_simulator
from krill_async.testing.pytest_plugin import krill_simulator, krill_simulator_factory  # noqa: F401

BASIC = "Basic " + base64.b64encode("usuario:contraseña".encode()).decode()
CPE_V2_KEYS = {
    "_links", "_services", "access", "active", "address", "address_profile", "avatar", "bridge", "city",
    "country", "cpename", "created", "customer", "disable_provision", "disable_reconfig", "dsn",
    "enable_notifications", "expiration_date", "external_id", "external_voip", "fixed_address", "has_tr069",
    "id", "internal_id", "is_bitstream", "is_router", "lan_cidr", "latitude", "line_profile", "locality",
    "longitude", "mac", "me_vlan", "model", "mtamac", "notes", "postalcode", "pppoe_password", "pppoe_username",
    "probe", "profile", "realm", "remote_id", "sn", "tech", "tech_updated", "topology", "tr069", "tv_profile",
    "updated", "voip_profile", "wanmac", "wifi_password", "wifi_profile", "wifi_ssid",
}  # fmt: skip
CUSTOMER_KEYS = {
    "address", "city", "comment", "country", "created", "external_id", "id", "latitude", "longitude", "name",
    "postalcode", "realm", "surname", "updated",
}  # fmt: skip
POTS_KEYS = {
    "billing_profile", "cli", "context", "contextname", "cpe", "custom_digitmap", "dtmf", "id", "label",
    "language", "lineid", "order", "password", "pbx_extension", "username", "voicemail", "voicemail_password",
}  # fmt: skip
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+01:00$")


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    sim: KrillSimulator,
    path: str,
    *,
    method: str = "GET",
    auth: str | None = BASIC,
    body: Any = None,
    form: dict[str, str] | None = None,
    raw: bytes | None = None,
    content_type: str | None = None,
) -> Reply:
    headers: dict[str, str] = {}
    data: bytes | None = None
    if auth:
        headers["Authorization"] = auth
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif raw is not None:
        data = raw
        headers["Content-Type"] = content_type or "application/json"
    req = urllib.request.Request(sim.url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req) as resp:
            return Reply(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return Reply(err.code, dict(err.headers), err.read())


@pytest.fixture(scope="module")
def sim() -> Iterator[KrillSimulator]:
    """A shared read-only simulator (tests that mutate use their own)."""
    simulator = KrillSimulator()
    with simulator.run_in_thread():
        yield simulator


@pytest.fixture
def fresh() -> Iterator[KrillSimulator]:
    simulator = KrillSimulator(SimulatorConfig(cpes=60))
    with simulator.run_in_thread():
        yield simulator


# ---------------------------------------------------------------------- pagination
def test_vendor_pagination_sample(sim: KrillSimulator) -> None:
    reply = call(sim, "/api/v2/isp/cpes/?attrs=id&offset=42&limit=3")
    assert reply.status == 200
    assert reply.body.startswith(b'{"count":200,"next":')
    page = reply.json()
    assert list(page) == ["count", "next", "previous", "results"]
    assert page["next"] == "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=45"
    assert page["previous"] == "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=39"
    ids = sim.network.ids("cpes")
    assert page["results"] == [{"id": i} for i in ids[42:45]]


def test_previous_drops_offset_and_edges(sim: KrillSimulator) -> None:
    for offset in (2, 3):
        page = call(sim, f"/api/v2/isp/cpes/?limit=3&offset={offset}").json()
        assert page["previous"] == "http://pre1:4280/api/v2/isp/cpes/?limit=3"
    first = call(sim, "/api/v2/isp/cpes/?limit=3").json()
    assert first["previous"] is None
    assert first["next"] == "http://pre1:4280/api/v2/isp/cpes/?limit=3&offset=3"
    last = call(sim, "/api/v2/isp/cpes/?limit=3&offset=197").json()
    assert last["next"] is None and len(last["results"]) == 3
    beyond = call(sim, "/api/v2/isp/cpes/?limit=3&offset=500").json()
    assert beyond["results"] == [] and beyond["next"] is None
    assert beyond["previous"] == "http://pre1:4280/api/v2/isp/cpes/?limit=3&offset=497"


def test_links_keep_all_params_sorted(sim: KrillSimulator) -> None:
    page = call(sim, "/api/v2/isp/cpes/?zeta=1&attrs=id,sn&foo=b&foo=a&limit=2&offset=2").json()
    assert page["next"] == ("http://pre1:4280/api/v2/isp/cpes/?attrs=id%2Csn&foo=b&foo=a&limit=2&offset=4&zeta=1")
    assert page["previous"] == "http://pre1:4280/api/v2/isp/cpes/?attrs=id%2Csn&foo=b&foo=a&limit=2&zeta=1"
    assert page["count"] == 200  # unknown params are ignored by the filters


def test_link_modes_and_slash_form(fresh: KrillSimulator) -> None:
    fresh.config.links = "relative"
    fresh.config.strict = False  # strict (the default) redirects: tests/test_simulator_strict.py
    page = call(fresh, "/api/v2/isp/cpes?limit=5").json()
    assert page["next"] == "/api/v2/isp/cpes?limit=5&offset=5"
    fresh.config.links = "absolute"
    page = call(fresh, "/api/v2/isp/customers/?limit=5&offset=5").json()
    assert page["next"] == f"{fresh.url}/api/v2/isp/customers/?limit=5&offset=10"
    assert page["previous"] == f"{fresh.url}/api/v2/isp/customers/?limit=5"


def test_limits(fresh: KrillSimulator) -> None:
    assert len(call(fresh, "/api/v2/isp/cpes/").json()["results"]) == 10
    for bad in ("0", "-3", "abc", ""):
        page = call(fresh, f"/api/v2/isp/cpes/?limit={bad}").json()
        assert len(page["results"]) == 10
        assert "limit=10" in page["next"]
    for bad in ("-4", "x"):
        page = call(fresh, f"/api/v2/isp/cpes/?limit=2&offset={bad}").json()
        assert page["previous"] is None
        assert page["results"][0]["id"] == fresh.network.ids("cpes")[0]
    fresh.config.max_limit = 25
    page = call(fresh, "/api/v2/isp/cpes/?limit=5000").json()
    assert len(page["results"]) == 25
    assert page["next"].endswith("?limit=25&offset=25")
    fresh.config.default_page_size = 7
    assert len(call(fresh, "/api/v2/isp/cpes/").json()["results"]) == 7


def test_big_page_is_streamed_with_length() -> None:
    simulator = KrillSimulator(SimulatorConfig(cpes=1200))
    with simulator.run_in_thread():
        reply = call(simulator, "/api/v2/isp/cpes/?limit=1000&offset=100")
    assert len(reply.body) > 256 * 1024
    assert int(reply.headers["Content-Length"]) == len(reply.body)
    page = reply.json()
    assert len(page["results"]) == 1000
    assert page["next"] == "http://pre1:4280/api/v2/isp/cpes/?limit=1000&offset=1100"


# ---------------------------------------------------------------------- records
def test_record_shapes(sim: KrillSimulator) -> None:
    net = sim.network
    cpes = call(sim, "/api/v2/isp/cpes/?limit=1000").json()["results"]
    assert len(cpes) == 200
    realms = {c["realm"] for c in cpes}
    assert realms == {"pim", "cpe"}
    assert sum(c["realm"] == "pim" for c in cpes) > 100
    for cpe in cpes:
        assert set(cpe) == CPE_V2_KEYS
        assert cpe["cpename"] == f"{cpe['realm']}{cpe['id']:04d}" == cpe["internal_id"]
        assert re.fullmatch(r"[0-9a-f]{16}", cpe["sn"])
        assert ISO_RE.match(cpe["created"]) and ISO_RE.match(cpe["updated"])
        assert cpe["customer"] in net.customers
        assert cpe["_links"]["actions"]["diagnostic"] == f"/api/v2/cpes/{cpe['id']}/cwmp_diagnostic"
        assert cpe["_links"]["links"]["cdrs"] == f"/api/v2/cpes/{cpe['id']}/events?type=cdr"
        for coord in ("latitude", "longitude"):
            assert cpe[coord] is None or re.fullmatch(r"-?\d+\.\d{7}", cpe[coord])
    assert sum(c["tech"] == "gpon" for c in cpes) > 150
    assert any(c["latitude"] for c in cpes) and any(c["latitude"] is None for c in cpes)
    assert any(c["pppoe_password"] for c in cpes) and any(c["wifi_password"] for c in cpes)
    assert any("." in c["created"] for c in cpes) and any("." not in c["created"] for c in cpes)
    assert any(c["expiration_date"] for c in cpes)
    ids = [c["id"] for c in cpes]
    assert ids == sorted(ids) and ids[0] == 1
    # raw keys are sorted like the real server
    raw = net.encoded("cpes", ids[0])
    keys = list(json.loads(raw))
    assert keys == sorted(keys)
    customers = call(sim, "/api/v2/isp/customers/?limit=1000").json()["results"]
    assert len(customers) == 100 and all(set(c) == CUSTOMER_KEYS for c in customers)
    potses = call(sim, "/api/v2/isp/potses/?limit=1000").json()["results"]
    assert 40 < len(potses) < 140
    for pots in potses:
        assert set(pots) == POTS_KEYS
        assert pots["lineid"] == f"{net.cpes[pots['cpe']]['cpename']}-{pots['order']}"


def test_attrs_and_joins(sim: KrillSimulator) -> None:
    net = sim.network
    cpe = next(c for c in net.cpes.values() if len(net.potses_of(c["id"])) == 2)
    detail = call(sim, f"/api/v2/isp/cpes/{cpe['id']}/?attrs=id,cpename,nonexistent").json()
    assert detail == {"cpename": cpe["cpename"], "id": cpe["id"]}
    reply = call(sim, f"/api/v2/isp/cpes/{cpe['id']}/?attrs=id&joins=customer,potses")
    joined = reply.json()
    assert list(joined) == ["customer", "id", "potses"]
    assert joined["customer"] == net.customers[cpe["customer"]]
    assert [p["lineid"] for p in joined["potses"]] == [f"{cpe['cpename']}-1", f"{cpe['cpename']}-2"]
    assert all("cpe" not in p and p["dtmf"] == "auto" for p in joined["potses"])
    page = call(sim, "/api/v2/isp/cpes/?joins=customer&limit=3").json()
    assert all(isinstance(c["customer"], dict) and "_links" in c for c in page["results"])
    cust = call(sim, f"/api/v2/isp/customers/{cpe['customer']}/?attrs=id&joins=cpes").json()
    assert cpe["id"] in [c["id"] for c in cust["cpes"]]


def test_sort(sim: KrillSimulator) -> None:
    ids = sorted(sim.network.cpes)
    desc = call(sim, "/api/v2/isp/cpes/?attrs=id&sort=-id&limit=1000").json()["results"]
    assert [c["id"] for c in desc] == ids[::-1]
    by_created = call(sim, "/api/v2/isp/cpes/?attrs=created&sort=created&limit=1000").json()["results"]
    stamps = [c["created"] for c in by_created]
    assert stamps == sorted(stamps)
    multi = call(sim, "/api/v2/isp/cpes/?attrs=id,realm&sort=realm,-id&limit=1000").json()["results"]
    assert multi == sorted(multi, key=lambda c: (c["realm"], -c["id"]))
    page = call(sim, "/api/v2/isp/cpes/?attrs=id&sort=-id&limit=2").json()
    assert page["next"] == "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=2&offset=2&sort=-id"


def test_filters_and_lookups(sim: KrillSimulator) -> None:
    net = sim.network
    cpes = list(net.cpes.values())

    def ids(query: str) -> list[int]:
        page = call(sim, f"/api/v2/isp/cpes/?attrs=id&limit=1000&{query}").json()
        assert page["count"] == len(page["results"])
        return [c["id"] for c in page["results"]]

    assert ids("realm=cpe") == [c["id"] for c in cpes if c["realm"] == "cpe"]
    target = cpes[17]
    assert ids(f"sn={target['sn']}") == [target["id"]]
    assert ids(f"customer={target['customer']}") == [c["id"] for c in cpes if c["customer"] == target["customer"]]
    assert ids("id__in=3,5,999999") == [i for i in (3, 5) if i in net.cpes]
    assert ids("id__gte=50&id__lt=60") == [c["id"] for c in cpes if 50 <= c["id"] < 60]
    assert ids("active=false") == [c["id"] for c in cpes if not c["active"]]
    assert ids("external_id__isnull=false") == [c["id"] for c in cpes if c["external_id"] is not None]
    assert ids("cpename__icontains=CPE0") == [c["id"] for c in cpes if "cpe0" in c["cpename"]]
    assert ids("latitude__gt=38") == [c["id"] for c in cpes if c["latitude"] is not None and float(c["latitude"]) > 38]
    assert ids("created__lt=2021-01-01") == [c["id"] for c in cpes if c["created"] < "2021-01-01"]
    assert ids("topology=") == [c["id"] for c in cpes]  # empty value: filter ignored
    assert ids("bogus=1&nonsense__gt=4") == [c["id"] for c in cpes]
    assert ids("sn=doesnotexist") == []
    pots = call(sim, f"/api/v2/isp/potses/?cpe={target['id']}").json()
    assert pots["count"] == len(net.potses_of(target["id"]))


def test_mono_kiwi_lookup(sim: KrillSimulator) -> None:
    cpe = next(c for c in sim.network.cpes.values() if c["external_id"])
    assert call(sim, f"/api/v2/isp/cpes/{cpe['internal_id']}/?attrs=id").json() == {"id": cpe["id"]}
    assert call(sim, f"/api/v2/isp/cpes/{cpe['external_id']}?attrs=id").json() == {"id": cpe["id"]}


def test_not_found_and_method_not_allowed(sim: KrillSimulator) -> None:
    for path in (
        "/api/v2/isp/cpes/999999/",
        "/api/v2/isp/cpes/nonsense/",
        "/api/v2/isp/customers/abc/",
    ):
        reply = call(sim, path)
        assert (reply.status, reply.json()) == (404, {"detail": "Not found."}), path
    for path in ("/api/v2/isp/nothing/", "/api/v2/monitoring/whatever", "/elsewhere"):
        reply = call(sim, path)  # no URL pattern: Django's HTML page, before any view (and any auth) runs
        assert (reply.status, reply.headers["Content-Type"]) == (404, "text/html; charset=utf-8"), path
        assert b"<h1>Not Found</h1>" in reply.body
    for method, path in (("POST", "/api/v2/isp/potses/"), ("DELETE", "/api/v2/isp/potses/1/")):
        reply = call(sim, path, method=method, body={})
        assert reply.status == 405
        assert reply.json() == {"detail": f'Method "{method}" not allowed.'}
    reply = call(sim, "/api/v2/isp/potses/")
    assert reply.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert call(sim, "/api/v2/isp/cpes/1/", method="POST", body={}).status == 405


def test_request_log_is_bounded() -> None:
    from krill_async.testing._server import RequestLog, RequestRecord

    log = RequestLog(maxlen=3)
    for i in range(10):
        log.append(RequestRecord("GET", f"/{i}", None))
    assert [r.path_qs for r in log] == ["/7", "/8", "/9"]


def test_headers(sim: KrillSimulator) -> None:
    reply = call(sim, "/api/v2/isp/cpes/1/")
    h = reply.headers
    assert h["Content-Type"] == "application/json"
    assert h["Allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
    assert h["Vary"] == "Accept, Cookie"
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["Server"] == "nginx/1.18.0 (Ubuntu)"
    assert h["Access-Control-Allow-Origin"] == "*"
    assert h["Access-Control-Allow-Credentials"] == "True"
    assert call(sim, "/api/v2/isp/cpes/").headers["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_v1_bare_arrays(sim: KrillSimulator) -> None:
    target = sim.network.cpes[sim.network.ids("cpes")[5]]
    reply = call(sim, f"/api/cpes/?sn={target['sn']}")
    data = reply.json()
    assert isinstance(data, list) and len(data) == 1
    assert set(data[0]) == CPE_V2_KEYS - {"_links", "_services", "avatar", "is_router", "tr069"}
    assert len(call(sim, "/api/customers").json()) == 100
    assert len(call(sim, "/api/potses/").json()) == len(sim.network.potses)
    assert call(sim, f"/api/cpes/{target['id']}/").json()["sn"] == target["sn"]


# ---------------------------------------------------------------------- writes
def test_create_update_delete_cpe(fresh: KrillSimulator) -> None:
    net = fresh.network
    top = max(net.cpes)
    customer = next(iter(net.customers.values()))
    reply = call(
        fresh,
        "/api/v2/isp/cpes/",
        method="POST",
        body={"sn": "0000deadbeef0000", "customer": customer["id"], "latitude": 38.0124867, "bogus": 1},
    )
    assert reply.status == 201
    created = reply.json()
    assert set(created) == CPE_V2_KEYS
    assert created["id"] > top
    assert created["cpename"] == f"{customer['realm']}{created['id']:04d}"
    assert created["latitude"] == "38.0124867"
    assert call(fresh, f"/api/v2/isp/cpes/{created['id']}/").json() == created

    reply = call(fresh, f"/api/v2/isp/cpes/{created['id']}/", method="PATCH", body={"notes": "hola"})
    assert reply.status == 200 and reply.json()["notes"] == "hola" and reply.json()["sn"] == created["sn"]
    reply = call(fresh, f"/api/v2/isp/cpes/{created['id']}/", method="PUT", body={"notes": "x"})
    assert reply.status == 400
    assert reply.json() == {"customer": ["This field is required."], "sn": ["This field is required."]}
    reply = call(
        fresh,
        f"/api/v2/isp/cpes/{created['id']}/",
        method="PUT",
        body={"sn": "00000000deadbeef", "customer": customer["id"], "active": "false"},
    )
    assert reply.status == 200 and reply.json()["active"] is False

    reply = call(fresh, f"/api/v2/isp/cpes/{created['id']}/", method="DELETE")
    assert reply.status == 204 and reply.body == b""
    assert call(fresh, f"/api/v2/isp/cpes/{created['id']}/").status == 404


def test_write_validation_errors(fresh: KrillSimulator) -> None:
    reply = call(fresh, "/api/v2/isp/cpes/", method="POST", body={})
    assert reply.status == 400
    assert reply.json() == {"customer": ["This field is required."], "sn": ["This field is required."]}
    reply = call(fresh, "/api/v2/isp/cpes/", method="POST", body={"sn": "ab", "customer": 999})
    assert reply.json() == {"customer": ['Invalid pk "999" - object does not exist.']}
    reply = call(fresh, "/api/v2/isp/cpes/", method="POST", body={"sn": None, "customer": "x", "active": 3})
    assert reply.json() == {
        "active": ["Must be a valid boolean."],
        "customer": ["Incorrect type. Expected pk value, received str."],
        "sn": ["This field may not be null."],
    }
    reply = call(fresh, "/api/v2/isp/cpes/", method="POST", raw=b'{"sn": ')
    assert reply.status == 400
    assert reply.json()["detail"].startswith("JSON parse error - ")
    reply = call(fresh, "/api/v2/isp/cpes/", method="POST", raw=b"[1]")
    assert reply.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    reply = call(fresh, "/api/v2/isp/cpes/", method="POST", raw=b"sn=1", content_type="text/plain")
    assert reply.status == 415
    reply = call(fresh, "/api/v2/isp/customers/", method="POST", form={"name": "Begoña", "surname": "Ruiz"})
    assert reply.status == 201 and reply.json()["name"] == "Begoña"


def test_pots_update(fresh: KrillSimulator) -> None:
    ids = fresh.network.ids("potses")
    first, second = ids[0], ids[1]
    reply = call(fresh, f"/api/v2/isp/potses/{first}/", method="PATCH", body={"cli": "911000111"})
    assert reply.status == 200 and reply.json()["cli"] == "911000111"
    reply = call(fresh, f"/api/v2/isp/potses/{second}/", method="PATCH", body={"cli": "911000111"})
    assert reply.status == 400 and reply.json() == {"cli": ["pots with this cli already exists."]}


def test_network_mutations_and_hooks(fresh: KrillSimulator) -> None:
    net = fresh.network
    before = call(fresh, "/api/v2/isp/cpes/?limit=1").json()["count"]
    seen: list[str] = []

    def hook(info: Any) -> None:
        seen.append(info.path)
        if info.query.get("offset") == "10" and len(seen) == 2:
            net.add_cpe(notes="inserted mid-export")

    fresh.add_hook(hook)
    call(fresh, "/api/v2/isp/cpes/?limit=10")
    page = call(fresh, "/api/v2/isp/cpes/?limit=10&offset=10").json()
    fresh.remove_hook(hook)
    assert page["count"] == before + 1
    assert seen == ["/api/v2/isp/cpes/", "/api/v2/isp/cpes/"]
    new = net.cpes[max(net.cpes)]
    assert new["notes"] == "inserted mid-export" and new["cpename"].endswith(f"{new['id']:04d}")
    victim = net.ids("cpes")[0]
    net.delete_cpe(victim)
    assert call(fresh, f"/api/v2/isp/cpes/{victim}/").status == 404
    cust = net.add_customer(name="Zoe")
    assert call(fresh, f"/api/v2/isp/customers/{cust['id']}/?attrs=name").json() == {"name": "Zoe"}
    net.update_cpe(net.ids("cpes")[0], notes="changed")
    assert call(fresh, f"/api/v2/isp/cpes/{net.ids('cpes')[0]}/?attrs=notes").json() == {"notes": "changed"}


# ---------------------------------------------------------------------- auth
def test_auth_required_and_basic(fresh: KrillSimulator) -> None:
    reply = call(fresh, "/api/v2/isp/cpes/", auth=None)
    assert reply.status == 401
    assert reply.json() == {"detail": "Authentication credentials were not provided."}
    assert reply.headers["WWW-Authenticate"] == 'Basic realm="api"'
    wrong = "Basic " + base64.b64encode(b"usuario:contrasena").decode()
    reply = call(fresh, "/api/v2/isp/cpes/", auth=wrong)
    assert (reply.status, reply.json()) == (401, {"detail": "Invalid username/password."})
    latin1 = "Basic " + base64.b64encode("usuario:contraseña".encode("latin-1")).decode()
    assert call(fresh, "/api/v2/isp/cpes/", auth=latin1).status == 200
    assert call(fresh, "/api/cpes/", auth=None).status == 401
    assert fresh.requests[-1] == ("GET", "/api/cpes/", None)
    assert fresh.requests[-2] == ("GET", "/api/v2/isp/cpes/", "Basic")
    assert "contrase" not in repr(list(fresh.requests))


def test_jwt_login_refresh_expiry(fresh: KrillSimulator) -> None:
    reply = call(
        fresh, "/api/v2/auth/login", method="POST", auth=None, form={"username": "usuario", "password": "contraseña"}
    )
    assert reply.status == 200
    tokens = reply.json()
    assert set(tokens) == {"access", "refresh"}
    head, payload, _ = tokens["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert list(claims) == ["token_type", "exp", "iat", "jti", "user_id"]
    assert claims["token_type"] == "access" and claims["exp"] - claims["iat"] == 86400
    assert json.loads(base64.urlsafe_b64decode(head + "==")) == {"typ": "JWT", "alg": "HS256"}
    bearer = f"Bearer {tokens['access']}"
    assert call(fresh, "/api/v2/isp/cpes/", auth=bearer).status == 200
    assert fresh.requests[-1].auth_scheme == "Bearer"

    reply = call(fresh, "/api/v2/auth/login/", method="POST", auth=None, body={"username": "usuario", "password": "x"})
    assert reply.status == 400
    assert reply.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert (fresh.stats.logins, fresh.stats.failed_logins) == (1, 1)

    fresh.expire_tokens()
    reply = call(fresh, "/api/v2/isp/cpes/", auth=bearer)
    assert reply.status == 401
    assert reply.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert list(reply.json()) == ["detail", "code", "messages"]  # DRF order, not sorted
    assert reply.json() == {
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": "Token is invalid or expired"}],
    }
    reply = call(fresh, "/api/v2/auth/refresh/", method="POST", auth=None, body={"refresh": tokens["refresh"]})
    assert reply.status == 200 and set(reply.json()) == {"access"}
    assert call(fresh, "/api/v2/isp/cpes/", auth=f"Bearer {reply.json()['access']}").status == 200
    assert fresh.stats.refreshes == 1
    reply = call(fresh, "/api/v2/auth/refresh/", method="POST", auth=None, form={"refresh": "garbage"})
    assert reply.status == 401
    assert reply.json() == {"detail": "Token is invalid or expired", "code": "token_not_valid"}
    reply = call(fresh, "/api/v2/auth/refresh/", method="POST", auth=None, body={"refresh": tokens["access"]})
    assert reply.json() == {"detail": "Token has wrong type", "code": "token_not_valid"}
    assert call(fresh, "/api/v2/isp/cpes/", auth=f"Bearer {tokens['refresh']}").status == 401
    assert call(fresh, "/api/v2/auth/login/", auth=None).status == 405


def test_short_token_lifetime() -> None:
    simulator = KrillSimulator(SimulatorConfig(cpes=5, access_token_lifetime=0.3))
    with simulator.run_in_thread():
        tokens = simulator.issue_tokens()
        assert call(simulator, "/api/v2/isp/cpes/", auth=f"Bearer {tokens['access']}").status == 200
        time.sleep(0.4)
        reply = call(simulator, "/api/v2/isp/cpes/", auth=f"Bearer {tokens['access']}")
        assert reply.status == 401 and reply.json()["code"] == "token_not_valid"
    assert simulator.stats.logins == 0


# ---------------------------------------------------------------------- running modes
def test_latency(fresh: KrillSimulator) -> None:
    fresh.config.latency = 0.2
    start = time.perf_counter()
    call(fresh, "/api/v2/isp/cpes/1/")
    assert time.perf_counter() - start >= 0.2


def test_run_in_thread_stops_cleanly() -> None:
    simulator = KrillSimulator(SimulatorConfig(cpes=3))
    before = {t.name for t in threading.enumerate()}
    with simulator.run_in_thread():
        url = simulator.url
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert not simulator.running
    assert "krill-simulator" not in {t.name for t in threading.enumerate()} - before
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/api/v2/isp/cpes/", timeout=2)


@pytest.mark.anyio
async def test_async_context_manager() -> None:
    async with (
        KrillSimulator(SimulatorConfig(cpes=20)) as simulator,
        aiohttp.ClientSession(headers={"Authorization": BASIC}) as session,
    ):
        async with session.get(simulator.url + "/api/v2/isp/cpes/?limit=5&attrs=id") as resp:
            assert resp.status == 200
            page = await resp.json()
        assert page["count"] == 20 and len(page["results"]) == 5
        async with session.head(simulator.url + "/api/v2/isp/cpes/") as resp:
            assert resp.status == 200 and await resp.read() == b""


def test_determinism() -> None:
    assert Network.generate(seed=1, cpes=300).dumps() == Network.generate(seed=1, cpes=300).dumps()
    assert Network.generate(seed=2, cpes=300).dumps() != Network.generate(seed=1, cpes=300).dumps()
    bodies = []
    for _ in range(2):
        simulator = KrillSimulator(SimulatorConfig(cpes=50))
        with simulator.run_in_thread():
            bodies.append(call(simulator, "/api/v2/isp/cpes/?limit=50&joins=customer,potses").body)
    assert bodies[0] == bodies[1]


def test_spawn_simulator_cli() -> None:
    with spawn_simulator(cpes=30, users={"ana": "clave"}, links="relative") as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        auth = "Basic " + base64.b64encode(b"ana:clave").decode()
        req = urllib.request.Request(
            url + "/api/v2/isp/cpes/?attrs=id&limit=3&offset=3", headers={"Authorization": auth}
        )
        with urllib.request.urlopen(req) as resp:
            page = json.loads(resp.read())
    assert page["count"] == 30
    assert page["previous"] == "/api/v2/isp/cpes/?attrs=id&limit=3"


def test_cli_exits_cleanly_on_signal() -> None:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "krill_async.testing", "--port", "0", "--cpes", "5", "--latency-ms", "1"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert re.fullmatch(r"Krill simulator listening on http://127\.0\.0\.1:\d+\n", line)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_pytest_plugin_fixtures(krill_simulator: KrillSimulator, krill_simulator_factory: Any) -> None:  # noqa: F811
    assert call(krill_simulator, "/api/v2/isp/cpes/").json()["count"] == 200
    small = krill_simulator_factory(cpes=4, default_page_size=2)
    page = call(small, "/api/v2/isp/cpes/").json()
    assert page["count"] == 4 and len(page["results"]) == 2
