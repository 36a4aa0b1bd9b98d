"""Standalone simulator: ``python -m krill_async.testing --port 4780 --cpes 50000``.

Prints ``Krill simulator listening on http://HOST:PORT`` once ready, then serves until SIGINT or
SIGTERM and exits cleanly. Try it with the vendor's own example:
``http -a usuario:contraseña :4780/api/v2/isp/cpes/ attrs==id limit==3 offset==42``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
import socket
import sys
from collections.abc import Sequence

from ._capacity import add_capacity_arguments, capacity_config
from ._data import Network
from ._server import KrillSimulator, SimulatorConfig


def _flag(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m krill_async.testing", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=4780, help="0 picks a free port")
    p.add_argument("--cpes", type=int, default=200)
    p.add_argument("--customers", type=int, default=None, help="default: cpes // 2")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--latency-ms", type=float, default=0.0, help="added before every response")
    add_capacity_arguments(p)
    p.add_argument("--page-size", type=int, default=10, help="default limit")
    p.add_argument("--max-limit", type=int, default=1000)
    p.add_argument("--links", choices=["internal", "absolute", "relative"], default="internal")
    p.add_argument("--internal-origin", default="http://pre1:4280")
    p.add_argument(
        "--monitoring-links",
        choices=["internal", "absolute", "relative"],
        default="absolute",
        help="next links of /monitoring/search (default: the request's own host)",
    )
    p.add_argument(
        "--lenient",
        action="store_true",
        help="accept any trailing-slash form and answer JSON 404s (default: Django-like strict URLs)",
    )
    p.add_argument(
        "--cpe-links",
        choices=["vendor", "isp"],
        default="vendor",
        help="CPE actions and links under /api/v2/cpes/{id}/ (vendor) or /api/v2/isp/cpes/{id}/",
    )
    p.add_argument(
        "--monitoring-unregistered",
        type=float,
        default=None,
        help="share of monitoring hosts without a registration (default 0.3)",
    )
    p.add_argument("--user", action="append", default=None, metavar="USER:PASSWORD", help="repeatable; default usuario")
    p.add_argument("--token-lifetime", type=float, default=86400.0, help="access token lifetime (s)")
    p.add_argument("--refresh-token-lifetime", type=float, default=604800.0)
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND:RATE[:PATH]",
        help="inject a fault (repeatable), e.g. reset:0.05:/isp/cpes; kinds: see krill_async.testing.Fault",
    )
    p.add_argument("--monitoring-hosts", type=int, default=None, help="monitoring Host objects (default: one per CPE)")
    p.add_argument("--monitoring-drift", type=float, default=0.1, help="share of objects with real-data drift")
    p.add_argument("--monitoring-chunked", type=_flag, default=False, help="chunked monitoring answers (true/false)")
    p.add_argument("--monitoring-live-delay", type=float, default=0.0, help="seconds per live CPE info query")
    return p


def _config(args: argparse.Namespace) -> SimulatorConfig:
    config = SimulatorConfig(
        seed=args.seed,
        customers=args.customers,
        cpes=args.cpes,
        default_page_size=args.page_size,
        max_limit=args.max_limit,
        links=args.links,
        internal_origin=args.internal_origin,
        monitoring_links=args.monitoring_links,
        strict=not args.lenient,
        cpe_links=args.cpe_links,
        access_token_lifetime=args.token_lifetime,
        refresh_token_lifetime=args.refresh_token_lifetime,
        latency=args.latency_ms / 1000.0,
        host=args.host,
        port=args.port,
        monitoring_hosts=args.monitoring_hosts,
        monitoring_drift=args.monitoring_drift,
        monitoring_chunked=args.monitoring_chunked,
        monitoring_live_delay=args.monitoring_live_delay,
        capacity=capacity_config(args) if args.workers else None,
    )
    if args.monitoring_unregistered is not None:
        config.monitoring_unregistered = args.monitoring_unregistered
    if args.user:
        users: dict[str, str] = {}
        for item in args.user:
            name, sep, password = item.partition(":")
            if not sep:
                raise SystemExit(f"--user expects USER:PASSWORD, got {item!r}")
            users[name] = password
        config.users = users
    return config


def _faults(specs: Sequence[str]) -> list[dict[str, object]]:
    faults: list[dict[str, object]] = []
    for spec in specs:
        kind, _, rest = spec.partition(":")
        rate, _, path = rest.partition(":")
        try:
            faults.append({"kind": kind, "rate": float(rate or 1.0), "path": path, "seed": len(faults)})
        except ValueError:
            raise SystemExit(f"--fault expects KIND:RATE[:PATH], got {spec!r}") from None
    return faults


async def _serve(config: SimulatorConfig, faults: Sequence[dict[str, object]] = ()) -> None:
    network = Network.generate(seed=config.seed, customers=config.customers, cpes=config.cpes)
    network.warm()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with KrillSimulator(config, network) as sim:
        for fault in faults:
            sim.inject(**fault)  # type: ignore[arg-type]
        if config.monitoring_hosts:  # encode the monitoring objects before announcing readiness
            from .apps.monitoring import monitoring_data

            monitoring_data(sim).warm()
        print(f"Krill simulator listening on {sim.url}", flush=True)
        await stop.wait()


def busy_port_message(host: str, port: int) -> str | None:
    """One line saying the way out when ``host:port`` cannot be listened on, else None.

    Checked before the data is generated (seconds for large networks), so a busy port fails at once.
    """
    if port == 0:
        return None
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
            probe.bind((host, port))
    except OSError as exc:
        return _bind_failure(host, port, exc)
    return None


_BIND_ERRORS = frozenset({errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES})


def _bind_failure(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use (another simulator?): choose another with --port, or --port 0"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}; try --port 0 for a free port"


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; exit status 2 (and one line on stderr) when the port cannot be listened on."""
    args = _parser().parse_args(argv)
    problem = busy_port_message(args.host, args.port)
    try:
        if problem is None:
            # KeyboardInterrupt only escapes if the signal arrives before the handlers are installed.
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_serve(_config(args), _faults(args.fault)))
    except OSError as exc:  # taken between the check and the bind
        if exc.errno not in _BIND_ERRORS:
            raise
        problem = _bind_failure(args.host, args.port, exc)
    if problem is not None:
        print(f"krill simulator: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
