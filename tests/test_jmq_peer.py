"""The other Python client, jmq-krill 0.2.1 (``jmq_krill``, with ``requests``), unmodified, against the simulator.

It was written against a real Krill (real 2025 data ships with it), so every one of its methods must work
here as it does there, in the simulator's default (strict) mode. Its monitoring paging starts at
``offset=1``, skipping the first object (offset is 0-based in DRF): that is the peer's bug, asserted below as
its behaviour, not ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jmq_krill.krill_api import APIError, PyJMQKrill

from krill_async.testing import KrillSimulator, SimulatorConfig
from krill_async.testing.apps.monitoring import monitoring_data


@pytest.fixture(scope="module")
def sim() -> Iterator[KrillSimulator]:
    server = KrillSimulator(SimulatorConfig(cpes=300))
    with server.run_in_thread():  # jmq-krill is synchronous: the server runs in its own thread
        yield server


@pytest.fixture
def peer(sim: KrillSimulator) -> Any:
    client = PyJMQKrill(sim.url, "usuario", "contraseña")
    client.login()
    return client


def _gpon_hosts(sim: KrillSimulator) -> list[str]:
    return [f.name for f in monitoring_data(sim).facts if "cpegpon" in f.groups]


def test_login_posts_the_form_to_the_slashless_path(sim: KrillSimulator) -> None:
    before = sim.stats.logins
    client = PyJMQKrill(sim.url, "usuario", "contraseña")
    token = client.login()
    assert token.count(".") == 2 and client.session.headers["Authorization"] == f"Bearer {token}"
    assert sim.stats.logins == before + 1
    assert sim.requests[-1][:2] == ("POST", "/api/v2/auth/login")
    with pytest.raises(APIError, match="HTTP 400"):
        PyJMQKrill(sim.url, "usuario", "wrong").login()


def test_get_cpes_by_gen_equipos(sim: KrillSimulator, peer: Any) -> None:
    topology = next(c["topology"] for c in sim.network.cpes.values() if c["topology"].count("-") == 4)
    page = peer.get_cpes_by_gen_equipos(topology)
    expected = [c["id"] for c in sim.network.cpes.values() if c["topology"] == topology]
    assert page["count"] == len(expected) and [c["id"] for c in page["results"]] == expected[:10]


def test_get_cpe_info(sim: KrillSimulator, peer: Any) -> None:
    facts = monitoring_data(sim).by_cpe[350]
    info = peer.get_cpe_info(350)
    assert info["state"] == ("up" if facts.state == 0 else "down")
    assert info["registration"]["host"] == facts.olt_label and info["registration"]["id"] == facts.regid
    with pytest.raises(APIError, match="HTTP 404"):
        peer.get_cpe_info(99999999)


def test_get_cpes_by_olt_at_its_own_example_position(sim: KrillSimulator, peer: Any) -> None:
    onus = peer.get_cpes_by_olt("oltCEEIM", "0", "05", "15")  # the example of jmq-krill's README
    here = [f for f in monitoring_data(sim).facts if f.olt == "oltCEEIM" and f.pon == (0, 5, 15) and f.registered]
    assert onus and [onu["onu_id"] for onu in onus] == sorted(f.onu for f in here)
    assert {onu["sn"] for onu in onus} == {sim.network.cpes[f.cpe_id]["sn"] for f in here}
    statuses = {onu["onu_id"]: onu["status"] for onu in onus}
    assert all(statuses[f.onu] == ("online" if f.states[0] == "online" else "offline") for f in here)


def test_get_cpes_monitoring_skips_the_first_host(sim: KrillSimulator, peer: Any) -> None:
    hosts = peer.get_cpes_monitoring(limit=40)
    expected = _gpon_hosts(sim)
    # the peer's offset=1 start: every host but the first, then it follows `next` (on our own host) to the end
    assert [h["name"] for h in hosts] == expected[1:] and expected[0] == "cpe41385"
    joined = hosts[0]["joins"]["services"]
    assert joined and all("joins" not in s and "vars" not in s["attrs"] for s in joined)
    searches = [path for method, path, _ in sim.requests if path.startswith("/api/v2/monitoring/search")]
    assert searches[0].startswith("/api/v2/monitoring/search/?") and "offset=1" in searches[0]


def test_get_cpes_monitoring_of_one_topology(sim: KrillSimulator, peer: Any) -> None:
    facts = [f for f in monitoring_data(sim).facts if "cpegpon" in f.groups and f.topology]
    topology = facts[0].topology
    hosts = peer.get_cpes_monitoring(topology=topology)
    expected = [f.name for f in facts if f.topology == topology]
    assert [h["name"] for h in hosts] == expected[1:]


def test_iter_cpes_monitoring_pages(sim: KrillSimulator, peer: Any) -> None:
    pages = list(peer.iter_cpes_monitoring_pages(limit=50, include_services=False))
    expected = _gpon_hosts(sim)
    assert [h["name"] for page in pages for h in page] == expected[1:]
    assert [len(p) for p in pages[:-1]] == [50] * (len(pages) - 1) and all(
        "services" not in p[0]["joins"] for p in pages
    )
    olt03 = list(peer.iter_cpes_monitoring_pages(limit=10, cpe_registration_host="OLT03"))
    names = [
        f.name for f in monitoring_data(sim).facts if "cpegpon" in f.groups and f.registered and f.olt_label == "OLT03"
    ]
    assert [h["name"] for page in olt03 for h in page] == names[1:] and names[0] == "cpe18838"
