"""``krill.auth``, ``me``, ``installer``, ``docsis``, ``plankton`` and ``isp.cpe_profiles`` over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from krill_async import (
    BadRequest,
    BasicAuth,
    Cpe,
    CpeProfile,
    InvalidCredentials,
    Krill,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
)
from krill_async.apps import AuthApp
from krill_async.models import TokenPair, User
from krill_async.testing import KrillSimulator

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


def test_auth_is_the_namespace_and_credentials_the_auth_object() -> None:
    krill = Krill("https://krill.example.net", auth=AUTH)
    assert isinstance(krill.auth, AuthApp)
    assert isinstance(krill.credentials, BasicAuth) and krill.credentials.username == "usuario"
    assert "auth=BasicAuth" in repr(krill)


async def test_login_refresh_and_current_user(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    async with Krill(sim.url, auth=AUTH) as krill:
        tokens = await krill.auth.login("usuario", "contraseña")
        assert isinstance(tokens, TokenPair) and tokens.access and tokens.refresh
        assert tokens.access not in repr(tokens) and "***" in repr(tokens)
        renewed = await krill.auth.refresh(tokens.refresh)
        assert renewed.access and renewed.access != tokens.access
        with pytest.raises(Unauthorized):
            await krill.auth.refresh("not-a-token")
        with pytest.raises(InvalidCredentials):
            await krill.auth.login("usuario", "wrong")
        user = await krill.auth.user()
    assert sim.stats.logins == 1 and sim.stats.failed_logins == 1  # a refused login is sent once
    assert isinstance(user, User) and user.username == "usuario" and user.pk == 1
    async with Krill(sim.url, token=tokens.access) as with_token:
        assert (await with_token.auth.user()).username == "usuario"


async def test_me_apps(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        apps = await krill.me.apps.list().collect()
    assert {"isp", "rubik", "pbx"} <= {a["name"] for a in apps}


async def test_installer_lookup_and_info(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    target = next(c for c in sim.network.cpes.values() if c["tech"] == "gpon")
    async with Krill(sim.url, auth=AUTH) as krill:
        by_id = await krill.installer.cpes.get(target["id"])
        by_name = await krill.installer.cpes.get(target["internal_id"])
        by_sn = await krill.installer.cpes.list(sn=target["sn"]).collect()
        info: Any = await krill.installer.cpes.info(target["id"])
        onus = await krill.installer.unconfigured_onus.list().collect()
        with pytest.raises(NotFound):
            await krill.installer.cpes.info(999_999)
    assert isinstance(by_id, Cpe) and by_id == by_name and [c.id for c in by_sn] == [target["id"]]
    assert info["registration"]["host"].lower().startswith("olt")
    assert onus and all(o.sn for o in onus)
    assert f"/api/v2/installer/cpes/{target['id']}/info/" in [r.path_qs for r in sim.requests]


async def test_docsis_plant(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        cmtss = await krill.docsis.cmtss.list().collect()
        domains = await krill.docsis.mac_domains.list(cmts=cmtss[0]["id"]).collect()
        nodes = await krill.docsis.fiber_nodes.list(search="FN-00").collect()
        node = await krill.docsis.fiber_nodes.get(nodes[0]["id"])
        with pytest.raises(MethodNotAllowed):
            await krill.docsis.cmtss.create({"name": "CMTS03"})
    assert [c["name"] for c in cmtss] == ["CMTS01", "CMTS02"]
    assert domains and all(d["cmts"] == cmtss[0]["id"] for d in domains)
    assert len(nodes) == 9 and node == nodes[0]


async def test_plankton_services_crud(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    cpe = next(iter(sim.network.cpes))
    async with Krill(sim.url, auth=AUTH) as krill:
        services = krill.plankton.services
        existing = await services.list().collect()
        created = await services.create({"crm_external_id": "CRM-1", "cpe": cpe})
        assert created["state"] == "pending" and created["id"] == len(existing) + 1
        patched = await services.patch(created["id"], {"state": "active"})
        assert patched["state"] == "active" and patched["crm_external_id"] == "CRM-1"
        replaced = await services.update(created["id"], {"crm_external_id": "CRM-2", "cpe": cpe})
        assert replaced["crm_external_id"] == "CRM-2"
        with pytest.raises(BadRequest) as info:
            await services.create({"crm_external_id": "CRM-3", "cpe": 999_999})
        assert "cpe" in info.value.field_errors
        await services.delete(created["id"])
        with pytest.raises(NotFound):
            await services.get(created["id"])
    assert len(existing) == 12


async def test_cpe_profiles(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    async with Krill(sim.url, auth=AUTH) as krill:
        profiles = await krill.isp.cpe_profiles.list().collect()
        one = await krill.isp.cpe_profiles.get(3)
    assert [p.id for p in profiles] == list(range(1, 13)) and all(isinstance(p, CpeProfile) for p in profiles)
    assert sum(p.cpes_count or 0 for p in profiles) == len(sim.network.cpes)
    assert one == profiles[2]
