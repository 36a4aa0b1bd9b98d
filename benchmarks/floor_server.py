"""The data and the independent fast server of `floor.py` (issue #13), in a process of its own.

The records are taken once from the project's simulator (then cached in the temp dir); the serving code is
plain aiohttp, not the simulator's: pages joined from pre-encoded records (no encoding per request), absolute
``next`` links like DRF's, a fixed latency per request, and a JWT login for the peer client.

    python benchmarks/floor_server.py CPES.jsonl HOSTS.jsonl LATENCY_S HOSTS_TOTAL   # prints READY <url>
"""

import asyncio
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "usuario", "contraseña"
CPES_PATH = "/api/v2/isp/cpes/"
HOSTS_PATH = "/api/v2/monitoring/search/"


# -- the data ---------------------------------------------------------------------------------------------


def cached_records(kind: str, count: int) -> Path:
    """A file of one JSON record per line, taken from the project's simulator once and cached."""
    path = Path(tempfile.gettempdir()) / f"krill-floor-{kind}-{count}.jsonl"
    if path.exists():
        return path
    import msgspec

    sys.path.insert(0, str(ROOT))
    from krill_async.testing import spawn_simulator

    config: dict[str, Any] = {"max_limit": 5000, "links": "absolute", "startup_timeout": 900}
    if kind == "cpes":
        config["cpes"] = count
        route = CPES_PATH + "?limit=5000&offset={offset}"
    else:
        config.update(cpes=min(2000, count), monitoring_hosts=count)
        route = HOSTS_PATH + "?type=Host&limit=5000&offset={offset}"
    auth = "Basic " + __import__("base64").b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    envelope = msgspec.json.Decoder(dict[str, Any] | Any)
    raw_page = msgspec.json.Decoder(list[msgspec.Raw])
    records: list[bytes] = []
    with spawn_simulator(**config) as url:
        while len(records) < count:
            request = urllib.request.Request(url + route.format(offset=len(records)), headers={"Authorization": auth})
            body = urllib.request.urlopen(request).read()
            start = body.index(b'"results":') + len(b'"results":')
            items = raw_page.decode(body[start : body.rindex(b"]") + 1])
            envelope.decode(body)  # checks the page is JSON
            if not items:
                break
            records.extend(bytes(item) for item in items)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(b"\n".join(records[:count]) + b"\n")
    tmp.rename(path)
    return path


# -- the independent fast server ------------------------------------------------------------------------


def serve(cpes: Path, hosts: Path, latency: float, hosts_total: int) -> None:
    """Plain aiohttp: pages assembled from pre-encoded records (a join, no encoding per request)."""
    from aiohttp import web

    data = {
        CPES_PATH.rstrip("/"): cpes.read_bytes().splitlines(),
        HOSTS_PATH.rstrip("/"): hosts.read_bytes().splitlines(),
    }
    if hosts_total:  # a bigger scan repeats the records
        base = data[HOSTS_PATH.rstrip("/")]
        data[HOSTS_PATH.rstrip("/")] = [base[i % len(base)] for i in range(hosts_total)]

    async def login(request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        return web.json_response({"access": "a.b.c", "refresh": "r.s.t"})

    async def page(request: web.Request) -> web.StreamResponse:
        records = data.get(request.path.rstrip("/"))
        if records is None:
            return web.json_response({"detail": "Not found."}, status=404)
        query = request.query
        limit = min(int(query.get("limit", "100")), 1000)
        offset = int(query.get("offset", "0"))
        total = len(records)
        base = f"http://{request.host}{request.path}"

        def link(at: int) -> str:
            params = [(k, v) for k, v in query.items() if k not in ("limit", "offset")]
            params += [("limit", str(limit)), ("offset", str(at))]
            return json.dumps(base + "?" + "&".join(f"{k}={v}" for k, v in params))

        next_ = link(offset + limit) if offset + limit < total else "null"
        previous = link(max(0, offset - limit)) if offset > 0 else "null"
        body = b"".join(
            [
                f'{{"count":{total},"next":{next_},"previous":{previous},"results":['.encode(),
                b",".join(records[offset : offset + limit]),
                b"]}",
            ]
        )
        await asyncio.sleep(latency)
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/api/v2/auth/login", login)
    app.router.add_post("/api/v2/auth/login/", login)
    app.router.add_get("/{tail:.*}", page)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"READY http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


class Server:
    def __init__(self, cpes: Path, hosts: Path, latency: float, hosts_total: int = 0) -> None:
        cmd = [sys.executable, __file__, str(cpes), str(hosts), str(latency), str(hosts_total)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError("the fast server did not start")
        self.url = line.split()[1]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
