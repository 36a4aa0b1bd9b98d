"""An export's position is one list iterator shared by ``async for``, ``__anext__``, ``pages()`` and the
resume point: loops left by ``break`` and mixed protocols carry on where the last one stopped."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from krill_async import Krill

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


async def test_a_loop_left_by_break_is_continued_by_the_next(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=95)
    every = sorted(sim.network.cpes)
    async with Krill(sim.url, auth=AUTH) as krill, krill.isp.cpes.export(page_size=20, concurrency=2) as records:
        first: list[int] = []
        async for cpe in records:
            first.append(cpe.id)
            if len(first) == 25:
                break
        assert records.records_yielded == 25
        point = records.resume_point
        assert point.offset == 25 and point.partial_page is None  # ordered: the offset says it all
        second = [(await records.__anext__()).id, (await records.__anext__()).id]
        assert records.records_yielded == 27
        rest = [cpe.id async for cpe in records]
        assert records.records_yielded == 95
    assert first + second + rest == every


async def test_records_yielded_counts_while_a_page_is_read(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=45)
    async with Krill(sim.url, auth=AUTH) as krill, krill.isp.cpes.export(page_size=20, concurrency=3) as records:
        counts = []
        async for _cpe in records:
            counts.append(records.records_yielded)
    assert counts == list(range(1, 46))


async def test_unordered_partial_page_and_resume(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=60)
    every = sorted(sim.network.cpes)
    async with Krill(sim.url, auth=AUTH) as krill:
        seen: list[int] = []
        async with krill.isp.cpes.export(page_size=20, concurrency=1, ordered=False) as records:
            async for cpe in records:
                seen.append(cpe.id)
                if len(seen) == 27:
                    break
            point = records.resume_point
        assert point.partial_page == (20, 7)
        async with krill.isp.cpes.export(resume=point) as records:
            seen += [cpe.id async for cpe in records]
            assert records.records_yielded == 33
    assert sorted(seen) == every and len(seen) == len(every)


async def test_pages_after_records_and_no_task_left_behind(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=60)
    tasks_before = asyncio.all_tasks()
    async with Krill(sim.url, auth=AUTH) as krill:
        async with krill.isp.cpes.export(page_size=20, concurrency=2) as records:
            async for _cpe in records:
                break
            sizes = [len(page) async for page in records.pages()]  # the rest of the first page is skipped
            assert records.records_yielded == 1 + 40
        assert asyncio.all_tasks() == tasks_before  # the generator left by `break` was closed on exit
    assert sizes == [20, 20]


def test_page_keys_read_the_slots_of_sealed_records() -> None:
    from krill_async import Cpe
    from krill_async._drift import _page_keys

    class Mine(Cpe):  # not sealed: read through its (inherited) properties
        pass

    assert "id" in Cpe.__raw_readers__
    records = [Cpe(id=1), Cpe(id=None), Cpe(sn="no id"), Cpe(id=2)]
    assert _page_keys(records, "id") == frozenset({1, 2})  # absent (UNSET) and null are no keys
    assert _page_keys([Mine(id=3), Mine()], "id") == frozenset({3})
    assert _page_keys([Cpe(id=4), {"id": 5}], "id") == frozenset({4, 5})  # mixed: the general path
