"""A server with a capacity: workers, a service time per page, a bounded queue, latency on the wire.

A real Krill is Django REST Framework behind nginx: a handful of workers, each serving one request at a
time, for a time that grows with the records on the page (and, with offset paging, with the offset).
Requests beyond the workers wait; beyond ``queue_limit`` waiting ones the proxy answers 503 (or 429 with
``Retry-After``). Network latency is added before and after service and holds no worker.

`capacity_middleware()` puts this in front of any aiohttp handler; `make_capacity_app()` wraps a
[`KrillSimulator`][krill_async.testing.KrillSimulator]'s handler with it today; ``python -m
krill_async.testing._capacity`` serves one (same readiness line as the simulator). The modelled service
time replaces the simulator's own (tiny) CPU time: the worker is released before the real handler runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

if TYPE_CHECKING:  # (imported late: _server.py can import this module to wire the middleware in)
    from ._server import KrillSimulator

__all__ = [
    "CapacityConfig",
    "CapacityStats",
    "ServerCapacity",
    "capacity_config",
    "capacity_flags",
    "capacity_middleware",
    "control_handler",
    "main",
    "make_capacity_app",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_READY = "Krill simulator listening on "


@dataclass
class CapacityConfig:
    """How much the server can do; every attribute may be changed while it runs (``workers`` too).

    Service time is ``base + per_record * records + per_offset * offset`` seconds, where ``records`` is the
    request's ``limit`` (capped at ``max_records``; 1 without one: a detail or an action)."""

    workers: int = 4
    base: float = 0.002
    per_record: float = 0.0002
    per_offset: float = 0.0
    max_records: int = 1000
    queue_limit: int | None = 16
    reject_status: Literal[503, 429] = 503
    retry_after: float | None = 1.0
    latency_before: float = 0.0
    latency_after: float = 0.0

    def service_time(self, records: int, offset: int = 0) -> float:
        return self.base + self.per_record * min(max(records, 1), self.max_records) + self.per_offset * offset


@dataclass
class CapacityStats:
    """Counters: requests served and rejected, and the peaks (waiting, busy workers, inside the server)."""

    served: int = 0
    rejected: int = 0
    peak_queue: int = 0
    peak_busy: int = 0
    peak_in_flight: int = 0
    busy_seconds: float = 0.0

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, type(getattr(self, f.name))())


class Overloaded(Exception):
    """The queue is full: the request is answered with ``reject_status`` at once."""


class ServerCapacity:
    """The worker pool and its FIFO queue. ``sleep`` (service) and ``wire`` (latency) are injectable so
    that tests can hold a request in either phase."""

    def __init__(
        self,
        config: CapacityConfig | None = None,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        wire: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.config = config if config is not None else CapacityConfig()
        self.stats = CapacityStats()
        self.busy = 0
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._sleep = sleep
        self.wire = wire

    @property
    def queued(self) -> int:
        return len(self._waiters)

    def resize(self, workers: int) -> None:
        """Change the number of workers now (waiting requests start if workers were added)."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.config.workers = workers
        self._wake()

    async def serve(self, records: int, offset: int = 0) -> None:
        """Wait for a worker, hold it for the service time, release it; raise `Overloaded` if full."""
        cfg = self.config
        if self.busy >= cfg.workers or self._waiters:
            if cfg.queue_limit is not None and len(self._waiters) >= cfg.queue_limit:
                self.stats.rejected += 1
                raise Overloaded
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            self.stats.peak_queue = max(self.stats.peak_queue, len(self._waiters))
            try:
                await waiter  # granted: busy was counted for us by _wake
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._release()
                else:
                    with contextlib.suppress(ValueError):  # (already dropped by _wake)
                        self._waiters.remove(waiter)
                raise
        else:
            self.busy += 1
        self.stats.peak_busy = max(self.stats.peak_busy, self.busy)
        service = cfg.service_time(records, offset)
        try:
            await self._sleep(service)
        finally:
            self.stats.busy_seconds += service
            self._release()
        self.stats.served += 1

    def _release(self) -> None:
        self.busy -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.busy < self.config.workers:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.busy += 1
                waiter.set_result(None)

    def rejection(self) -> web.Response:
        cfg = self.config
        headers = {"Retry-After": f"{cfg.retry_after:g}"} if cfg.retry_after is not None else {}
        detail = "Request was throttled." if cfg.reject_status == 429 else "Service Temporarily Unavailable"
        return web.json_response({"detail": detail}, status=cfg.reject_status, headers=headers)


def records_of(request: web.Request) -> tuple[int, int]:
    """(records, offset) a request asks for: its ``limit`` (1 without one) and its ``offset``."""

    def number(name: str, default: int) -> int:
        try:
            return max(0, int(request.query.get(name, default)))
        except ValueError:
            return default

    return number("limit", 1), number("offset", 0)


def capacity_middleware(capacity: ServerCapacity) -> Any:
    """An aiohttp middleware putting ``capacity`` in front of every request but control paths (``/_...``)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_"):
            return await handler(request)
        cfg = capacity.config
        capacity.in_flight += 1
        capacity.stats.peak_in_flight = max(capacity.stats.peak_in_flight, capacity.in_flight)
        try:
            if cfg.latency_before > 0:
                await capacity.wire(cfg.latency_before)
            try:
                await capacity.serve(*records_of(request))
            except Overloaded:
                rejected: web.StreamResponse | None = capacity.rejection()
            else:
                rejected = None
            if cfg.latency_after > 0:
                await capacity.wire(cfg.latency_after)
            return rejected if rejected is not None else await handler(request)
        finally:
            capacity.in_flight -= 1

    return middleware


async def _control(capacity: ServerCapacity, request: web.Request) -> web.Response:
    """``GET /_capacity`` reads config, stats and the current load; ``POST`` a JSON object to change the
    config (``reset``: true zeroes the stats)."""
    if request.method == "POST":
        changes = await request.json()
        if changes.pop("reset", False):
            capacity.stats.reset()
        workers = changes.pop("workers", None)
        for name, value in changes.items():
            if not hasattr(capacity.config, name):
                return web.json_response({"detail": f"unknown setting {name!r}"}, status=400)
            setattr(capacity.config, name, value)
        if workers is not None:
            capacity.resize(int(workers))
    now = {"busy": capacity.busy, "queued": capacity.queued, "in_flight": capacity.in_flight}
    return web.json_response({"config": asdict(capacity.config), "stats": asdict(capacity.stats), "now": now})


def control_handler(capacity: ServerCapacity) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The ``/_capacity`` handler (loopback control, no auth, like ``/_simulator/config``)."""

    async def control(request: web.Request) -> web.Response:
        return await _control(capacity, request)

    return control


def make_capacity_app(sim: KrillSimulator, capacity: ServerCapacity) -> web.Application:
    """An app serving ``sim``'s API behind ``capacity`` (``sim`` itself need not be started)."""
    app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[capacity_middleware(capacity)])
    app.router.add_route("*", "/_capacity", control_handler(capacity))
    app.router.add_route("*", "/{tail:.*}", sim._handle)
    return app


# -- command line (to be folded into `python -m krill_async.testing`) -------------------------------------


def add_capacity_arguments(p: argparse.ArgumentParser) -> None:
    """The proposed simulator flags (``--workers 0`` turns the model off)."""
    d = CapacityConfig()
    p.add_argument("--workers", type=int, default=0, help="server workers (0: unlimited, no capacity model)")
    p.add_argument("--service-base-ms", type=float, default=d.base * 1000, help="service time of any request")
    p.add_argument("--service-per-record-ms", type=float, default=d.per_record * 1000, help="... plus per record")
    p.add_argument("--service-per-offset-us", type=float, default=0.0, help="... plus per offset row skipped")
    p.add_argument(
        "--queue-limit", type=int, default=d.queue_limit, help="waiting requests before rejecting (-1: none)"
    )
    p.add_argument("--reject-status", type=int, choices=[503, 429], default=d.reject_status)
    p.add_argument("--retry-after", type=float, default=d.retry_after, help="Retry-After of rejections (s; -1: none)")
    p.add_argument("--wire-latency-ms", type=float, default=0.0, help="round trip on the wire, half each way")


def capacity_flags(config: CapacityConfig) -> list[str]:
    """The command line for ``config`` (for ``spawn_simulator(capacity=...)``); the inverse of
    `capacity_config()` (the wire latency is sent as its two halves' sum)."""
    flags = ["--workers", str(config.workers), "--service-base-ms", repr(config.base * 1000)]
    flags += ["--service-per-record-ms", repr(config.per_record * 1000)]
    flags += ["--service-per-offset-us", repr(config.per_offset * 1e6)]
    flags += ["--queue-limit", str(-1 if config.queue_limit is None else config.queue_limit)]
    flags += ["--reject-status", str(config.reject_status)]
    flags += ["--retry-after", repr(-1.0 if config.retry_after is None else config.retry_after)]
    return [*flags, "--wire-latency-ms", repr((config.latency_before + config.latency_after) * 1000)]


def capacity_config(args: argparse.Namespace) -> CapacityConfig:
    return CapacityConfig(
        workers=max(1, args.workers),
        base=args.service_base_ms / 1000,
        per_record=args.service_per_record_ms / 1000,
        per_offset=args.service_per_offset_us / 1e6,
        queue_limit=args.queue_limit if args.queue_limit is None or args.queue_limit >= 0 else None,
        reject_status=args.reject_status,
        retry_after=args.retry_after if args.retry_after is not None and args.retry_after >= 0 else None,
        latency_before=args.wire_latency_ms / 2000,
        latency_after=args.wire_latency_ms / 2000,
    )


async def _serve(args: argparse.Namespace) -> None:
    from ._data import Network
    from ._server import KrillSimulator, SimulatorConfig

    config = SimulatorConfig(seed=args.seed, cpes=args.cpes, max_limit=args.max_limit, host=args.host)
    network = Network.generate(seed=config.seed, customers=None, cpes=config.cpes)
    network.warm()
    sim = KrillSimulator(config, network)
    capacity = ServerCapacity(capacity_config(args))
    runner = web.AppRunner(make_capacity_app(sim, capacity), access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await web.TCPSite(runner, args.host, args.port).start()
        host, port = runner.addresses[0][:2]
        print(f"{_READY}http://{host}:{port}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m krill_async.testing._capacity", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cpes", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-limit", type=int, default=1000)
    add_capacity_arguments(p)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
