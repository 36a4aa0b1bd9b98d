"""``python -m krill_async demo``: export every CPE of a simulated Krill, concurrently, and time it."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Literal

import anyio

from . import JWTLogin, Krill


def _concurrency(text: str) -> int | Literal["auto"]:
    if text == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'auto' or a number of pages, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1 page")
    return value


async def _demo(url: str, *, concurrency: int | Literal["auto"], page_size: int, jwt: bool) -> int:
    auth = JWTLogin("usuario", "contraseña") if jwt else ("usuario", "contraseña")
    async with Krill(url, auth=auth, concurrency=concurrency) as krill:
        started = time.perf_counter()
        seen = 0
        async with krill.isp.cpes.export(page_size=page_size) as cpes:
            async for _cpe in cpes:
                seen += 1
            expected = cpes.count
        elapsed = time.perf_counter() - started
    print(f"exported {seen} CPEs (server count {expected}) in {elapsed:.2f} s: {seen / elapsed:,.0f} records/s")
    mode = f"adaptive (ended at {krill.admission.bulk_limit} pages)" if concurrency == "auto" else concurrency
    print(f"  concurrency {mode}, page size {page_size}, auth {'JWT' if jwt else 'Basic'}")
    return 0 if seen == expected else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m krill_async", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="start a simulated Krill on loopback and export every CPE concurrently")
    demo.add_argument("--cpes", type=int, default=20_000, help="CPEs in the simulated network (default 20000)")
    demo.add_argument("--latency-ms", type=float, default=30.0, help="simulated latency per request (default 30)")
    demo.add_argument(
        "--concurrency", type=_concurrency, default="auto", help="pages in flight: 'auto' (default) or a number"
    )
    demo.add_argument("--page-size", type=int, default=1000, help="records per page (default 1000)")
    demo.add_argument("--jwt", action="store_true", help="log in with JWT instead of HTTP Basic")
    demo.add_argument("--url", help="use this running server instead of starting the simulator")
    args = parser.parse_args(argv)

    if args.url:
        return anyio.run(lambda: _demo(args.url, concurrency=args.concurrency, page_size=args.page_size, jwt=args.jwt))

    from .testing import spawn_simulator

    print(f"starting the simulated Krill ({args.cpes} CPEs, {args.latency_ms:g} ms latency)...", flush=True)
    with spawn_simulator(cpes=args.cpes, latency=args.latency_ms / 1000) as url:
        print(f"simulator at {url}", flush=True)
        return anyio.run(lambda: _demo(url, concurrency=args.concurrency, page_size=args.page_size, jwt=args.jwt))


if __name__ == "__main__":
    sys.exit(main())
