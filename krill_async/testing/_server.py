"""The simulated Krill API server (aiohttp.web), behaving like the real Django REST Framework app.

It serves ``/api/v2/isp/{cpes,customers,potses}`` (paginated) and the v1 bare-array
``/api/{cpes,customers,potses}``, with HTTP Basic and SimpleJWT-like Bearer auth, and exposes
counters, a request log, hooks and runtime-editable config so client tests can assert on traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import secrets
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

if TYPE_CHECKING:
    from ._capacity import ServerCapacity

from ._apps import AppRequest, handler_for
from ._auth import _ALLOW_AUTH, AuthMixin
from ._config import (
    CpeLinkLayout,
    Hook,
    LinkMode,
    RequestInfo,
    RequestLog,
    RequestRecord,
    SimulatorConfig,
    SimulatorStats,
)
from ._crud import CrudMixin
from ._data import Network, ResourceName
from ._faults import Fault, FaultKind
from ._http import _CHUNK, _COMMON_HEADERS, _STREAM_THRESHOLD, HTTPError, _auth_scheme, json_response, read_body
from ._query import parse_list_query
from ._routes import cpe_layout_of, not_found_page, redirect_to_slash, slash_check

__all__ = [
    "CpeLinkLayout",
    "KrillSimulator",
    "LinkMode",
    "RequestInfo",
    "RequestLog",
    "RequestRecord",
    "SimulatorConfig",
    "SimulatorStats",
]

log = logging.getLogger("krill_async.testing")


_ALLOW_LIST = "GET, POST, HEAD, OPTIONS"
_ALLOW_DETAIL = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
_ALLOW_POTS_LIST = "GET, HEAD, OPTIONS"
_ALLOW_POTS_DETAIL = "GET, PUT, PATCH, HEAD, OPTIONS"
_AUTH_RE = re.compile(r"^/api/v2/auth/(login|token|refresh)/?$")
_BODY_FAULT = web.RequestKey("krill_body_fault", Fault)
_APP_RE = re.compile(r"^/api/v2/([a-z][a-z0-9_-]*)/(.*)$")
_RESOURCE_RE = re.compile(r"^/api/(v2/isp/)?(cpes|customers|potses)(?:/([^/]+))?/?$")
_MODEL_NAMES = {"cpes": "Cpe", "customers": "Customer", "potses": "Pots"}


class KrillSimulator(AuthMixin, CrudMixin):
    """A fake Krill server for tests and benchmarks.

    Use ``async with KrillSimulator() as sim`` inside a running loop, or
    ``with sim.run_in_thread():`` from synchronous code. ``sim.url`` is the base URL.
    """

    def __init__(self, config: SimulatorConfig | None = None, network: Network | None = None) -> None:
        self.config = config if config is not None else SimulatorConfig()
        #: The capacity model when ``config.capacity`` is set (counters: served, rejected, peaks).
        self.capacity: ServerCapacity | None = None
        if network is None:
            network = Network.generate(seed=self.config.seed, customers=self.config.customers, cpes=self.config.cpes)
        network.set_link_layout(self.config.cpe_links)
        self.network = network
        self.stats = SimulatorStats()
        self.requests = RequestLog()
        self._url: str | None = None
        self._hooks: list[Hook] = []
        #: Faults injected into matching requests, first match wins (see
        #: [`inject()`][krill_async.testing.KrillSimulator.inject]).
        self.faults: list[Fault] = []
        self._secret = secrets.token_bytes(32)
        self._user_ids: dict[str, int] = {}
        self._live_access: set[str] = set()
        self._revoked: set[str] = set()
        self._runner: web.AppRunner | None = None
        self._id_cache: dict[tuple[Any, ...], tuple[int, list[int]]] = {}
        self._state_lock = threading.Lock()

    # ------------------------------------------------------------------ public helpers
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash) once started."""
        if self._url is None:
            raise RuntimeError("the simulator is not running")
        return self._url

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._url is not None

    def add_hook(self, fn: Hook) -> None:
        """Call ``fn(RequestInfo)`` (sync or async) before each request is handled."""
        self._hooks.append(fn)

    def remove_hook(self, fn: Hook) -> None:
        """Unregister a hook added with [`add_hook()`][krill_async.testing.KrillSimulator.add_hook]."""
        self._hooks.remove(fn)

    def clear_hooks(self) -> None:
        """Unregister every hook."""
        self._hooks.clear()

    def inject(self, kind: FaultKind, **options: Any) -> Fault:
        """Inject a fault into matching requests from now on (see [`Fault`][krill_async.testing.Fault] for the
        options)."""
        fault = Fault(kind, **options)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Serve every request normally again."""
        self.faults.clear()

    def expire_tokens(self) -> None:
        """Make every access token issued so far invalid now (refresh tokens stay valid)."""
        with self._state_lock:
            self._revoked |= self._live_access
            self._live_access = set()

    def issue_tokens(self, username: str | None = None) -> dict[str, str]:
        """Mint ``{"access", "refresh"}`` for a configured user without counting a login."""
        if username is None:
            username = next(iter(self.config.users))
        return self._issue_pair(username)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start listening on ``config.host``/``config.port`` in the running loop."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        from ._capacity import ServerCapacity, capacity_middleware, control_handler

        if self.config.capacity is not None and self.capacity is None:
            self.capacity = ServerCapacity(self.config.capacity)
        middlewares = [capacity_middleware(self.capacity)] if self.capacity is not None else []
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=middlewares)
        if self.capacity is not None:
            app.router.add_route("*", "/_capacity", control_handler(self.capacity))
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.host, self.config.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        runner, self._runner = self._runner, None
        self._url = None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> KrillSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def run_in_thread(self) -> Iterator[KrillSimulator]:
        """Serve from a daemon thread with its own event loop; stops and joins on exit."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        errors: list[BaseException] = []

        def target() -> None:
            asyncio.set_event_loop(loop)
            try:
                try:
                    loop.run_until_complete(self.start())
                except BaseException as exc:
                    errors.append(exc)
                    return
                finally:
                    ready.set()
                loop.run_forever()
                loop.run_until_complete(self.stop())
            finally:
                with contextlib.suppress(Exception):
                    loop.run_until_complete(loop.shutdown_asyncgens())
                    loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()

        thread = threading.Thread(target=target, name="krill-simulator", daemon=True)
        thread.start()
        ready.wait()
        if errors:
            thread.join()
            raise errors[0]
        try:
            yield self
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)

    # ------------------------------------------------------------------ request entry point
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.stats.requests += 1
        raw = request.raw_path
        raw_path, _, raw_query = raw.partition("?")
        scheme = _auth_scheme(request.headers.get("Authorization"))
        self.requests.append(RequestRecord(request.method, raw, scheme))
        items = parse_qsl(raw_query, keep_blank_values=True)
        if self._hooks:
            info = RequestInfo(request.method, request.path, dict(items), items, raw, scheme)
            for hook in list(self._hooks):
                result = hook(info)
                if inspect.isawaitable(result):
                    await result
        latency = self.config.latency
        if latency > 0:
            await asyncio.sleep(latency)
        for fault in list(self.faults):
            if fault.strikes(request.path):
                replacement = fault.answer(self)
                if replacement is not None:
                    return replacement
                if fault.body_fault:
                    request[_BODY_FAULT] = fault
                break
        allow: list[str] = []  # the view's Allow header, set once the route is known
        try:
            resp = await self._dispatch(request, raw_path, raw_query, items, allow)
        except HTTPError as exc:
            if exc.status == 401:
                self.stats.unauthorized += 1
            resp = json_response(exc.status, exc.body, allow[0] if allow else None, exc.headers)
        except Exception:
            log.exception("simulator error on %s %s", request.method, raw)
            resp = json_response(500, {"detail": "A server error occurred."})
        if isinstance(resp, web.Response) and isinstance(resp.body, bytes):
            body_fault: Fault | None = request.get(_BODY_FAULT)
            if body_fault is not None and resp.status == 200:
                del request[_BODY_FAULT]
                return await body_fault.send_body(request, resp.body)
            self.stats.bytes_sent += len(resp.body)
        return resp

    async def _dispatch(
        self,
        request: web.Request,
        raw_path: str,
        raw_query: str,
        items: list[tuple[str, str]],
        allow_out: list[str],
    ) -> web.StreamResponse:
        path = request.path
        method = request.method.upper()
        if path.rstrip("/") == "/_simulator/config":  # loopback control, no auth (docs/testing.md)
            return await self._control(request, method)
        if self.config.strict:
            verdict = slash_check(path)
            layout = cpe_layout_of(path)
            if verdict is None or (layout is not None and layout != self.config.cpe_links):
                return not_found_page()
            if verdict == "redirect":
                return redirect_to_slash(raw_path, raw_query)
        match = _AUTH_RE.match(path)
        if match:
            allow_out.append(_ALLOW_AUTH)
            if method == "OPTIONS":
                return self._options(match.group(1).capitalize(), _ALLOW_AUTH)
            if method != "POST":
                raise HTTPError(405, {"detail": f'Method "{method}" not allowed.'})
            data = await self._read_body(request)
            if match.group(1) == "refresh":
                return self._refresh(data)
            return self._login(data, simplejwt=match.group(1) == "token")
        match = _RESOURCE_RE.match(path)
        if not match:
            app_match = _APP_RE.match(path)
            handler = handler_for(app_match.group(1)) if app_match else None
            if handler is None or app_match is None:
                if self.config.strict:
                    return not_found_page()
                raise HTTPError(404, {"detail": "Not found."})
            self._authenticate(request)
            return await handler(AppRequest(self, request, app_match.group(1), app_match.group(2), raw_query, items))
        v1 = match.group(1) is None
        kind: ResourceName = match.group(2)  # type: ignore[assignment]
        key = match.group(3)
        if kind == "potses":
            allow = _ALLOW_POTS_LIST if key is None else _ALLOW_POTS_DETAIL
        else:
            allow = _ALLOW_LIST if key is None else _ALLOW_DETAIL
        allow_out.append(allow)
        self._authenticate(request)
        if method not in allow.split(", "):
            raise HTTPError(405, {"detail": f'Method "{method}" not allowed.'})
        if method == "OPTIONS":
            suffix = "List" if key is None else "Instance"
            return self._options(f"{_MODEL_NAMES[kind]} {suffix}", allow)
        if key is None:
            if method in ("GET", "HEAD"):
                return await self._list(request, kind, v1, raw_path, raw_query, items, allow)
            data = await self._read_body(request)
            return self._create(kind, v1, data, allow)
        record = self._lookup(kind, key)
        if method in ("GET", "HEAD"):
            query = parse_list_query(items, ())
            return self._detail(kind, v1, record, query, allow)
        if method == "DELETE":
            self._delete(kind, record["id"])
            resp = web.Response(status=204, headers=_COMMON_HEADERS)
            resp.headers["Allow"] = allow
            return resp
        data = await self._read_body(request)
        return self._update(kind, v1, record, data, partial=method == "PATCH", allow=allow)

    async def _control(self, request: web.Request, method: str) -> web.Response:
        """``GET``/``PUT /_simulator/config``: read or change ``latency``, ``max_limit``, ``default_page_size``
        and ``links`` at runtime (a subprocess simulator has no other handle); loopback clients only."""
        import ipaddress

        fields_ = ("latency", "max_limit", "default_page_size", "links", "monitoring_links")
        try:
            loopback = ipaddress.ip_address((request.remote or "").split("%")[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise HTTPError(403, {"detail": "The simulator control route is for loopback clients only."})
        cfg = self.config
        if method == "PUT":
            data = await self._read_body(request)
            errors: dict[str, list[str]] = {}
            for name, value in data.items():
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                if name == "latency" and number and 0 <= value <= 60:
                    continue
                if name in ("max_limit", "default_page_size") and type(value) is int and value > 0:
                    continue
                if name in ("links", "monitoring_links") and value in ("internal", "absolute", "relative"):
                    continue
                errors[name] = ["Unknown setting." if name not in fields_ else "Invalid value."]
            if errors:
                raise HTTPError(400, errors)
            for name, value in data.items():
                setattr(cfg, name, float(value) if name == "latency" else value)
        elif method != "GET":
            raise HTTPError(405, {"detail": f'Method "{method}" not allowed.'})
        return json_response(200, {name: getattr(cfg, name) for name in fields_}, "GET, PUT")

    def _options(self, name: str, allow: str) -> web.Response:
        body = {
            "name": name,
            "description": "",
            "renders": ["application/json", "text/html"],
            "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
        }
        return json_response(200, body, allow)

    # ------------------------------------------------------------------ authentication
    async def _read_body(self, request: web.Request) -> dict[str, Any]:
        """DRF parsers: JSON, form and multipart; 415 for anything else."""
        return await read_body(request)

    def _link_base(self, request: web.Request, raw_path: str, mode: LinkMode | None = None) -> str:
        """Where ``next``/``previous`` point: ``mode`` (default ``config.links``) picks the origin."""
        mode = mode or self.config.links
        if mode == "relative":
            return raw_path
        if mode == "absolute":
            return f"{request.scheme}://{request.host}{raw_path}"
        return self.config.internal_origin.rstrip("/") + raw_path

    async def send_json(self, request: web.Request, body: bytes, allow: str | None = None) -> web.StreamResponse:
        """A JSON answer; big bodies are streamed in ~128 KB writes with an exact Content-Length, like a
        proxied gunicorn."""
        body_fault: Fault | None = request.get(_BODY_FAULT)
        if body_fault is not None:
            del request[_BODY_FAULT]
            return await body_fault.send_body(request, body)
        if len(body) <= _STREAM_THRESHOLD or request.method == "HEAD":
            return json_response(200, body, allow)
        self.stats.bytes_sent += len(body)
        resp = web.StreamResponse(status=200, headers=_COMMON_HEADERS)
        resp.content_type = "application/json"
        if allow:
            resp.headers["Allow"] = allow
        resp.content_length = len(body)
        await resp.prepare(request)
        view = memoryview(body)
        for start in range(0, len(view), _CHUNK):
            await resp.write(view[start : start + _CHUNK])
        await resp.write_eof()
        return resp
