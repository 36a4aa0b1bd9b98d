"""``krill.pbx``: declared resources over HTTP, and holiday days checked before sending."""

from __future__ import annotations

import datetime as dt

import pytest

from krill_async import BadRequest, Holiday, InvalidArgument, Krill
from krill_async._checks import EASTER, check_holiday_day
from krill_async.models.pbx import Pbx, PbxGroup, PbxQueue, PbxSchedule, Receptionist
from krill_async.testing import KrillSimulator

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


@pytest.mark.parametrize("day", ["01/01", "29/02", "31/12", "06/01", EASTER])
def test_valid_holiday_days(day: str) -> None:
    assert check_holiday_day(day) == day


@pytest.mark.parametrize(
    "day", ["1/1", "32/01", "30/02", "01/13", "00/05", "01-01", "01/01/2025", "$Easter$", "", " 01/01"]
)
def test_invalid_holiday_days(day: str) -> None:
    with pytest.raises(InvalidArgument):
        check_holiday_day(day)


def test_a_date_becomes_dd_mm() -> None:
    assert check_holiday_day(dt.date(2025, 3, 19)) == "19/03"


async def test_every_pbx_resource_lists_typed_records(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        pbx = krill.pbx
        pbxs = await pbx.pbxs.list().collect()
        receptionists = await pbx.receptionists.list().collect()
        groups = await pbx.groups.list().collect()
        queues = await pbx.queues.list().collect()
        ddis = await pbx.ddis.list(pbx=pbxs[0].id).collect()
        schedules = await pbx.schedules.list().collect()
        one = await pbx.pbxs.get(pbxs[1].id or 0)
    assert pbxs and all(isinstance(p, Pbx) for p in pbxs)
    assert one == pbxs[1] and one.ring_time == 20
    assert receptionists and all(isinstance(r, Receptionist) for r in receptionists)
    assert receptionists[0].options and receptionists[0].options[0].decoded_jump == "Grupo Ventas 1"
    assert groups and all(isinstance(g, PbxGroup) for g in groups)
    assert queues and all(isinstance(q, PbxQueue) and q.wrapup_time == 5 for q in queues)
    assert sorted(d["ddi"] for d in ddis) == sorted(pbxs[0].ddis)
    assert schedules and isinstance(schedules[0], PbxSchedule) and schedules[0].items
    paths = {r.path_qs.split("?")[0] for r in krill_simulator.requests}
    assert "/api/v2/pbx/recepcionists/" in paths  # Krill's own spelling


async def test_nested_customer_pbx(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        first = (await krill.pbx.pbxs.list().collect())[0]
        assert first.id is not None and isinstance(first.customer, int)
        nested = krill.pbx.customer_pbx(first.customer, first.id)
        ddis = await nested.ddis.list().collect()
        queues = await nested.queues.list().collect()
    assert sorted(d["ddi"] for d in ddis) == sorted(first.ddis)
    assert [q.id for q in queues] == [first.id]
    assert f"/api/v2/pbx/customers/{first.customer}/pbxs/{first.id}/ddis/?limit=100" in [
        r.path_qs for r in krill_simulator.requests
    ]


async def test_holidays_crud_with_checks(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    async with Krill(sim.url, auth=AUTH) as krill:
        holidays = krill.pbx.holidays
        created = await holidays.create(Holiday(day=dt.date(2025, 9, 8), comment="Fiestas locales"))
        assert created.day == "08/09" and created.id is not None
        moved = await holidays.patch(created.id, {"day": "09/09"})
        assert moved.day == "09/09" and moved.comment == "Fiestas locales"
        replaced = await holidays.update(created.id, {"day": "10/09", "comment": "Feria", "realm": "pim"})
        assert (replaced.day, replaced.comment) == ("10/09", "Feria")
        requests_before = sim.stats.requests
        for bad in ({"day": "31/04"}, {"day": "easter"}):
            with pytest.raises(InvalidArgument):
                await holidays.create(bad)
        with pytest.raises(InvalidArgument):
            await holidays.patch(created.id, {"day": "9/9"})
        assert sim.stats.requests == requests_before  # refused before sending
        with pytest.raises(BadRequest) as info:  # duplicates are the server's to refuse
            await holidays.create({"day": "25/12", "comment": "otra vez"})
        assert "non_field_errors" in info.value.field_errors
        await holidays.delete(created.id)
        assert created.id not in [h.id for h in await holidays.list().collect()]
