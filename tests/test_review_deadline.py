"""Review of 8eaefc1 (an attempt inside a call that ends first opens no cancel scope of its own).

The skip trusts the per-task call record (`_Call`) to mean "a cancel scope of ours that ends no later than
this call encloses this code". Two ways the record says so while no such scope binds the code:

- the record's owner is a task id, ``id(task)`` on asyncio: once the owner has finished and been freed,
  a task started later from a context that still carries the record (a grandchild of the call) can get
  the same address, and takes the dead call for its own (a past end): its calls open no scope at all;
- a shielded scope inside a call (a custom ``Auth`` protecting its shared login from one caller's
  cancellation): the record is the caller's, but the caller's scope cannot reach inside the shield.

Either way the call is bounded by nothing: a ``Retry-After`` or a client-wide pause is waited in full,
far past ``timeout.total``. Before 8eaefc1 each call opened its own scope and was bounded by its timeout.
Servers here are the test's own (port 0).
"""

from __future__ import annotations

import contextlib

import anyio
import anyio.lowlevel
import pytest
from aiohttp import web

from krill_async import Auth, Krill, KrillError, RetryPolicy, Timeout
from krill_async._deadline import _call, call_deadline

from ._hostile import serve

pytestmark = pytest.mark.anyio

SLOW = RetryPolicy(attempts=5, backoff=1.0, max_backoff=1.0, jitter=False, max_retry_after=60)


async def answer_503_retry_after(request: web.Request) -> web.Response:
    return web.json_response({"detail": "down"}, status=503, headers={"Retry-After": "30"})


async def test_a_grandchild_reusing_a_dead_callers_task_id_keeps_its_own_deadline() -> None:
    """A task started inside a call outlives it and starts tasks of its own (a worker pool): one of them
    lands on the freed address of the call's task. Its own call must still be bounded by its timeout."""
    outcome: list[str] = []
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:

            async def caller() -> None:
                with call_deadline(0.05, method="GET", url="/dead-call"):
                    tg.start_soon(keeper)

            async def keeper() -> None:
                record = _call.get()
                assert record is not None
                owner = record.task
                await anyio.sleep(0.1)  # the caller's call is over and its task gone

                async def worker() -> None:
                    if anyio.get_current_task().id != owner or outcome:
                        await anyio.lowlevel.checkpoint()
                        return
                    start = anyio.current_time()
                    with anyio.move_on_after(2) as guard:
                        try:
                            with call_deadline(0.2, method="GET", url="/grandchild"):
                                await anyio.sleep(5)
                        except KrillError as exc:
                            outcome.append(f"bounded: {exc}")
                    if guard.cancelled_caught:
                        outcome.append(f"unbounded: still running after {anyio.current_time() - start:.1f} s")

                for _ in range(200):  # until a worker gets the dead caller's id (within a batch or two)
                    async with anyio.create_task_group() as pool:
                        for _ in range(50):
                            pool.start_soon(worker)
                    if outcome:
                        return

            tg.start_soon(caller)
    if not outcome:
        pytest.skip("no task reused the dead caller's id on this interpreter")
    assert outcome[0].startswith("bounded:") and "/grandchild" in outcome[0], outcome[0]


async def test_a_get_from_a_task_pool_started_by_an_auth_is_bounded_by_its_timeout() -> None:
    """Public API: an Auth starts a background pool on its first use (from inside that first call); the
    pool's workers call get() against a server answering 503 Retry-After: 30 with timeout 0.3 s (the first
    call's 503 pauses the client for 30 s). The worker that lands on the first caller's freed task id must
    still end within its timeout, not wait out the pause."""
    durations: list[float] = []

    async with serve(answer_503_retry_after) as srv, anyio.create_task_group() as app:

        class StartsAPool(Auth):
            started = False
            owner: int | None = None

            async def authorization(self, post):  # type: ignore[no-untyped-def]
                if not self.started:
                    self.started = True
                    self.owner = anyio.get_current_task().id
                    app.start_soon(pool)
                return "Basic dTpw", 0

        auth = StartsAPool()
        done = anyio.Event()

        async with Krill(srv.url, auth=auth, retry=SLOW, timeout=Timeout(total=0.3)) as krill:

            async def worker() -> None:
                if anyio.get_current_task().id != auth.owner or durations:
                    await anyio.sleep(0.001)
                    return
                start = anyio.current_time()
                with anyio.move_on_after(3):  # the test's bound (the 503's Retry-After is 30 s)
                    with contextlib.suppress(KrillError):
                        await krill.isp.cpes.get(1)
                durations.append(anyio.current_time() - start)

            async def pool() -> None:
                # spawns workers all along, so that the first caller's freed task is soon reused by one
                for _ in range(2000):
                    async with anyio.create_task_group() as workers:
                        for _ in range(20):
                            workers.start_soon(worker)
                    if durations:
                        break
                done.set()

            async def first_call() -> None:
                with contextlib.suppress(KrillError):
                    await krill.isp.cpes.get(1)

            with anyio.fail_after(15):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(first_call)
                await done.wait()
    if not durations:
        pytest.skip("no worker reused the first caller's task id on this interpreter")
    assert durations[0] < 1.0, f"get() with a 0.3 s timeout took {durations[0]:.2f} s"


async def test_a_login_in_a_shielded_scope_is_bounded_by_its_own_timeout() -> None:
    """A custom Auth logs in under a shield (so that one caller's cancellation does not break a login
    others wait for). While the client is paused by a 503 Retry-After, that login waits for its turn:
    the login request's own 0.3 s timeout must bound it, as it did before 8eaefc1."""

    async def handler(request: web.Request) -> web.Response:
        if request.path.endswith("/login/"):
            return web.json_response({"access": "tok"})
        return web.json_response({"detail": "down"}, status=503, headers={"Retry-After": "3"})

    class ShieldedLogin(Auth):
        logged_in = False

        async def authorization(self, post):  # type: ignore[no-untyped-def]
            if self.logged_in:
                with anyio.CancelScope(shield=True):
                    await post("auth/login/", data={"username": "u", "password": "p"})
            self.logged_in = True
            return "Bearer tok", 0

    async with serve(handler) as srv:
        async with Krill(srv.url, auth=ShieldedLogin(), retry=SLOW, timeout=Timeout(total=0.3)) as krill:
            with pytest.raises(KrillError):  # the 503 with Retry-After: 3 pauses the client for 3 s
                # (kept short: no scope of the test's own can reach into the shield either)
                await krill.isp.cpes.get(1)
            start = anyio.current_time()
            with pytest.raises(KrillError):
                await krill.isp.cpes.get(1)
            elapsed = anyio.current_time() - start
    assert elapsed < 1.0, f"get() with a 0.3 s timeout took {elapsed:.2f} s"
