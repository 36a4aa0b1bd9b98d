"""An ordered export keeps `concurrency` requests in flight while the page it waits for is slow.

The server here is the test's own: every fourth page (the first of each round of 4) takes 0.3 s, the
others answer at once. In order, the consumer waits for the slow page while the three after it are done;
without read-ahead those three keep their places and no request is in flight for 0.3 s but the slow one.
With it, the next pages are asked for meanwhile, and the server still never sees more than
`concurrency` requests at once.
"""

from __future__ import annotations

import anyio
import pytest
from aiohttp import web

from krill_async._export import Export

from ._hostile import client, cpe, page, serve

pytestmark = pytest.mark.anyio

ROWS = [cpe(i) for i in range(40)]
CONCURRENCY = 4


async def test_pages_are_asked_for_while_the_awaited_one_is_slow_and_never_more_than_concurrency() -> None:
    in_flight = peak = 0
    slow_pending: set[int] = set()  # page numbers of slow pages being served
    beyond_the_round: list[int] = []  # pages asked for that could not be without read-ahead

    async def handler(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        number = int(request.query.get("offset", "0")) // 2
        slow = number > 0 and number % CONCURRENCY == 0
        in_flight += 1
        peak = max(peak, in_flight)
        # Without read-ahead, while page N is awaited only N+1..N+3 can be held besides it.
        if slow_pending and number > min(slow_pending) + CONCURRENCY - 1:
            beyond_the_round.append(number)
        try:
            if slow:
                slow_pending.add(number)
                try:
                    await anyio.sleep(0.3)
                finally:
                    slow_pending.discard(number)
            return page(request, ROWS)
        finally:
            in_flight -= 1

    with anyio.fail_after(20):
        async with serve(handler) as srv, client(srv.url, concurrency=8) as krill:
            async with krill.isp.cpes.export(concurrency=CONCURRENCY, page_size=2) as records:
                ids = [r.id async for r in records]
    assert ids == list(range(40))
    assert peak <= CONCURRENCY  # read-ahead holds pages that are done, never more requests
    # Pages past the three done behind a slow one were asked for while it was being served.
    assert beyond_the_round and len(beyond_the_round) >= Export.READ_AHEAD  # [8..11, 16..19] here
