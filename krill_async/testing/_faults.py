"""Fault injection for the simulator: what a flaky WAN, an overloaded Krill or its nginx really do.

Faults are configured per path on a running simulator (``sim.inject("reset", path="/isp/cpes", rate=0.05)``)
and may be changed at any time. Each answers a matching request instead of (or on top of) the real one.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from aiohttp import web

if TYPE_CHECKING:
    from ._server import KrillSimulator

__all__ = ["FAULT_KINDS", "Fault", "FaultKind"]

FaultKind = Literal[
    "status",  # a DRF-shaped JSON error with `status` (500 by default)
    "throttle",  # 429 with Retry-After: `retry_after` seconds
    "nginx",  # a 5xx (`status`, 502 by default) with nginx's HTML page
    "reset",  # headers and half the body, then the connection is dropped
    "truncate",  # a complete HTTP answer whose JSON body is cut in the middle
    "invalid_json",  # 200 with a body that is not JSON
    "wrong_content_type",  # 200 text/html: a proxy's login page
    "slow_body",  # half the body, a pause of `delay` seconds (longer than the client's read timeout), the rest
    "expire_tokens",  # every access token issued so far is revoked, then the request is served
    "insert_rows",  # `rows` new CPEs are inserted at random positions, then the request is served
    "delete_rows",  # `rows` random CPEs are deleted, then the request is served
]
FAULT_KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]

_BODY_FAULTS = frozenset({"reset", "truncate", "slow_body"})
_NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>"
    "\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


@dataclass
class Fault:
    """One kind of failure injected into requests whose path matches ``path`` (a regular expression searched
    in the path, ``""`` for every API path but login/refresh).

    ``rate`` is the share of matching requests hit (drawn from a seeded generator, so runs repeat);
    ``after`` lets that many matching requests through first; ``times`` caps how many are hit.
    """

    kind: FaultKind
    path: str = ""
    rate: float = 1.0
    after: int = 0
    times: int | None = None
    status: int | None = None
    retry_after: float = 1.0
    delay: float = 2.0
    rows: int = 1
    seed: int = 0
    #: How many requests this fault has hit so far.
    injected: int = 0
    _seen: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._pattern = re.compile(self.path)
        self._rng.seed(self.seed)

    @property
    def body_fault(self) -> bool:
        return self.kind in _BODY_FAULTS

    def strikes(self, path: str) -> bool:
        """Whether this request is hit (counts it when it is)."""
        if "/auth/" in path or not self._pattern.search(path):
            return False
        self._seen += 1
        if self._seen <= self.after or (self.times is not None and self.injected >= self.times):
            return False
        if self.rate < 1.0 and self._rng.random() >= self.rate:
            return False
        self.injected += 1
        return True

    def answer(self, sim: KrillSimulator) -> web.Response | None:
        """The answer replacing the real one, or None when the real one is served (maybe altered later)."""
        from ._http import _json_response

        if self.kind == "status":
            status = self.status or 500
            return _json_response(status, {"detail": "A server error occurred."})
        if self.kind == "throttle":
            wait = self.retry_after
            body = {"detail": f"Request was throttled. Expected available in {wait:g} seconds."}
            return _json_response(429, body, headers={"Retry-After": f"{wait:g}"})
        if self.kind == "nginx":
            status = self.status or 502
            page = _NGINX_PAGE.format(status=status, reason=_REASONS.get(status, "Error"))
            return web.Response(status=status, text=page, content_type="text/html", headers={"Server": "nginx"})
        if self.kind == "invalid_json":
            return web.Response(
                status=200,
                body=b'{"count": 3, "next": null, "results": [{"id": 1},, {]',
                content_type="application/json",
            )
        if self.kind == "wrong_content_type":
            return web.Response(
                status=200, text="<html><body><form>Sign in</form></body></html>", content_type="text/html"
            )
        if self.kind == "expire_tokens":
            sim.expire_tokens()
        elif self.kind == "insert_rows":
            with sim.network.lock:
                for _ in range(self.rows):
                    sim.network.add_cpe()
        elif self.kind == "delete_rows":
            with sim.network.lock:
                ids = list(sim.network.cpes)
                for rid in self._rng.sample(ids, min(self.rows, len(ids))):
                    sim.network.delete_cpe(rid)
        return None

    async def send_body(self, request: web.Request, body: bytes) -> web.StreamResponse:
        """Send ``body`` with this body fault applied."""
        from ._http import _COMMON_HEADERS

        resp = web.StreamResponse(status=200, headers=_COMMON_HEADERS)
        resp.content_type = "application/json"
        half = max(1, len(body) // 2)
        if self.kind == "truncate":
            resp.content_length = half
            await resp.prepare(request)
            await resp.write(body[:half])
            await resp.write_eof()
            return resp
        resp.content_length = len(body)
        await resp.prepare(request)
        await resp.write(body[:half])
        if self.kind == "reset":
            transport = request.transport
            if transport is not None:
                transport.abort()  # the client sees the connection cut in the middle of the body
            return resp
        await asyncio.sleep(self.delay)  # slow_body
        await resp.write(body[half:])
        await resp.write_eof()
        return resp
