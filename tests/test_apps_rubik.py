"""``krill.rubik``: the documented flow addresses -> subaddresses -> products -> verify -> service create,
byte-exact padded ids, coverage as a typed answer, services with relative links, open states, ``planned``."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from krill_async import (
    BadRequest,
    CoverageCheck,
    InvalidArgument,
    Krill,
    RubikService,
    ServiceOrder,
    ServiceState,
)
from krill_async._checks import format_planned
from krill_async.apps.rubik import with_planned
from krill_async.models import AddressSearch, RubikAddress, RubikUid
from krill_async.testing import KrillSimulator

from ._samples import RUBIK_ADDRESS_ID, RUBIK_SERVICE_BODY

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


def test_documented_service_sample_decodes() -> None:
    service = msgspec.json.decode(RUBIK_SERVICE_BODY, type=RubikService)
    assert (service.state, service.owner_state, service.order_id) == (
        ServiceState.IN_PROGRESS,
        "VAL",
        "42:231110172544:",
    )
    assert service.address_uid == RUBIK_ADDRESS_ID and len(RUBIK_ADDRESS_ID) == 24  # trailing spaces kept
    assert service.planned == "2023-11-20 09:30" and service.created is not None
    assert service.created.microsecond == 123456


def test_documented_search_and_coverage_shapes() -> None:
    body = {
        "addresses": [
            {"id": RUBIK_ADDRESS_ID, "uid": RUBIK_ADDRESS_ID, "streetNr": 2, "type": "finca", "source": "neba"}
        ],
        "_meta": {"clues": {"postcode": ["30001"], "streetNr": ["2", "4"]}, "errors": [{"code": "X"}]},
    }
    search = msgspec.json.decode(msgspec.json.encode(body), type=AddressSearch)
    assert search.addresses and search.addresses[0].id == RUBIK_ADDRESS_ID
    assert search.meta and search.meta.clues and search.meta.clues.streetNr == ["2", "4"]
    assert search.errors == [{"code": "X"}]
    no = msgspec.json.decode(
        b'{"code": 302, "message": "SIN COBERTURA", "description": "", "_meta": []}', type=CoverageCheck
    )
    yes = msgspec.json.decode(b'{"code": 100, "message": "OK", "description": "", "_meta": [{}]}', type=CoverageCheck)
    assert (no.covered, no.not_covered, yes.covered, yes.not_covered) == (False, True, True, False)


def test_planned_is_written_the_rubik_way() -> None:
    assert format_planned(dt.datetime(2025, 3, 4, 9, 5, 59)) == "2025-03-04 09:05"
    assert format_planned("2025-03-04 09:05") == "2025-03-04 09:05"
    for bad in ("2025-03-04T09:05", "2025-03-04 09:05:00", "2025-02-30 10:00", "04/03/2025 09:05"):
        with pytest.raises(InvalidArgument):
            format_planned(bad)
    assert with_planned({"planned": dt.datetime(2025, 1, 2, 3, 4)}) == {"planned": "2025-01-02 03:04"}
    assert with_planned(ServiceOrder(owner="neba")) == {"owner": "neba"}
    order = ServiceOrder(owner="neba", planned=dt.datetime(2025, 1, 2, 3, 4))  # type: ignore[arg-type]
    assert with_planned(order) == {"owner": "neba", "planned": "2025-01-02 03:04"}


async def test_the_documented_flow(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    async with Krill(sim.url, auth=AUTH) as krill:
        rubik = krill.rubik
        settings = await rubik.owner_settings()
        owner = next(name for name, s in settings.items() if s.has_products_api)
        search = await rubik.search_addresses(postCode="30001", streetName="mayor", streetNr=2)
        assert search.errors == [] and search.meta and search.meta.clues
        assert search.meta.clues.streetNr == ["2"]
        address = search.addresses[0] if search.addresses else RubikAddress()
        assert isinstance(address, RubikAddress) and address.id == RUBIK_ADDRESS_ID  # padding kept
        subaddresses = await rubik.subaddresses(address)
        mine = [s for s in subaddresses if s.owner == owner]
        assert mine and all(s.uids for s in mine)
        checks: list[tuple[RubikUid, CoverageCheck]] = []
        for subaddress in mine:
            products = await rubik.products(subaddress)
            assert products.owner == owner and products.uids
            checks.append((products.uids[0], await rubik.verify(products)))
        covered = [(uid, check) for uid, check in checks if check.covered]
        uncovered = [(uid, check) for uid, check in checks if check.not_covered]
        assert covered and uncovered  # no coverage is an answer (HTTP 200, code 302), not an error
        assert all(uid.no_coverage for uid, _ in uncovered) and not any(uid.no_coverage for uid, _ in covered)
        uid = covered[0][0]
        order = ServiceOrder(
            owner=owner,
            service_profile="FTTH_1G",
            crm_external_id="CLI-9001",
            crm_customer_label="Incredulo Trotamundos",
            crm_phone_label="600000000",
            uids=[uid],
            address=address,
            ppai="NO_APLICA",
        )
        created = await rubik.services.create(order)
        fetched = await rubik.services.get(created.id or 0)
    assert created == fetched
    assert (created.state, created.owner_state, created.address_uid) == ("InProgress", "VAL", RUBIK_ADDRESS_ID)
    assert created.product == uid.product and created.order_id and created.order_id.startswith("42:")


async def test_a_trimmed_address_id_is_another_address(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        address = (await krill.rubik.search_addresses(city="murcia", streetNr=2)).addresses or []
        assert address and address[0].id == RUBIK_ADDRESS_ID
        with pytest.raises(BadRequest, match="no encontrada"):
            await krill.rubik.subaddresses({**address[0].to_dict(), "id": RUBIK_ADDRESS_ID.strip()})


async def test_search_problems_come_back_in_meta(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        nothing = await krill.rubik.search_addresses(postCode="99999")
        vague = await krill.rubik.search_addresses(streetName="mayor")
    assert nothing.addresses == [] and [e["code"] for e in nothing.errors] == ["NOT_FOUND"]
    assert [e["code"] for e in vague.errors] == ["MISSING_PARAMS"]


async def test_neba_flat_order_with_planned(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    async with Krill(sim.url, auth=AUTH) as krill:
        before = sim.stats.requests
        with pytest.raises(InvalidArgument):
            await krill.rubik.services.create({"owner": "neba", "planned": "2025-03-04T10:00:00"})
        assert sim.stats.requests == before  # refused before sending
        created = await krill.rubik.services.create(
            {
                "owner": "neba",
                "service_profile": "NEBA_600",
                "crm_external_id": "CLI-77",
                "address_uid": RUBIK_ADDRESS_ID,
                "product": "ftth-residencial",
                "extrainfo": {"NU-CMR-IUA": "12345", "IN-SER-MTO-PMM": "N", "IN-PORTABILIDAD": "N"},
                "planned": dt.datetime(2025, 4, 1, 9, 30),
            }
        )
        assert created.planned == "2025-04-01 09:30" and created.owner == "neba"
        moved = await krill.rubik.services.patch(created.id or 0, {"planned": dt.datetime(2025, 4, 2, 16, 0)})
        assert moved.planned == "2025-04-02 16:00" and moved.crm_external_id == "CLI-77"
        renamed = await krill.rubik.services.update(created.id or 0, {"crm_customer_label": "Nuevo titular"})
        assert renamed.crm_customer_label == "Nuevo titular"
        with pytest.raises(BadRequest) as info:
            await krill.rubik.services.create({"owner": "neba", "service_profile": "NEBA_600"})
        assert "crm_external_id" in info.value.field_errors


async def test_services_list_relative_links_and_open_states(krill_simulator_factory: object) -> None:
    sim: KrillSimulator = krill_simulator_factory(links="internal")  # type: ignore[operator]
    async with Krill(sim.url, auth=AUTH) as krill:
        services = krill.rubik.services
        first = await services.list(page_size=5).first_page()
        every = await services.list(page_size=5).collect()
        newest = await services.list(sort="-id", page_size=5).collect()
        neba = await services.list(owner="neba").collect()
        completed_old = await services.list(state="completed").collect()
        found = await services.list(search="cli-2003").collect()
        async with services.export(page_size=4, concurrency=3) as exported:
            exported_ids = [s.id async for s in exported]
        tickets = await krill.rubik.tickets.list().collect()
    assert first.count == len(every) == 23 and first.next_url is not None
    assert str(first.next_url).startswith(sim.url)  # the relative link, rebased onto our origin
    assert [s.id for s in every] == list(range(1, 24)) == exported_ids
    assert [s.id for s in newest] == list(range(23, 0, -1))
    assert neba and all(s.owner == "neba" for s in neba)
    states = {s.state for s in every}
    assert states & {"completed", "reserved", "ordered"} and states & {"InProgress", "Completed", "Acknowledged"}
    assert completed_old and all(s.state == ServiceState.COMPLETED_OLD for s in completed_old)
    assert [s.crm_external_id for s in found] == ["CLI-2003"]
    assert all(s.planned is None or len(s.planned) == 16 for s in every)
    assert tickets and tickets[0].symptom
    next_links = [r.path_qs for r in sim.requests if "rubik/services/?" in r.path_qs and "offset=5" in r.path_qs]
    # followed as the server wrote them: relative, with DRF's alphabetically re-sorted query
    assert next_links == [
        "/api/v2/rubik/services/?limit=5&offset=5",
        "/api/v2/rubik/services/?limit=5&offset=5&sort=-id",
    ]
