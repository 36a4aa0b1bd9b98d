"""The simulated Krill API server (aiohttp.web), behaving like the real Django REST Framework app.

It serves ``/api/v2/isp/{cpes,customers,potses}`` (paginated) and the v1 bare-array
``/api/{cpes,customers,potses}``, with HTTP Basic and SimpleJWT-like Bearer auth, and exposes
counters, a request log, hooks and runtime-editable config so client tests can assert on traffic.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import inspect
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

from . import _jwt
from ._apps import AppRequest, handler_for
from ._data import (
    CPE_SCHEMA,
    CUSTOMER_SCHEMA,
    FIELDS,
    POTS_SCHEMA,
    V1_CPE_EXCLUDED,
    FieldSpec,
    Network,
    Record,
    ResourceName,
)
from ._faults import Fault, FaultKind
from ._query import ListQuery, limit_offset, make_predicate, page_links, parse_list_query, sort_records

__all__ = ["KrillSimulator", "RequestInfo", "RequestRecord", "SimulatorConfig", "SimulatorStats"]

log = logging.getLogger("krill_async.testing")

LinkMode = Literal["internal", "absolute", "relative"]
Hook = Callable[["RequestInfo"], object]
"""A hook may be a plain function or a coroutine function (its result is awaited)."""

_ENCODER = msgspec.json.Encoder(order="sorted")  # records: keys sorted like the real server
_PLAIN_ENCODER = msgspec.json.Encoder()  # envelopes and errors: DRF's insertion order
_STREAM_THRESHOLD = 256 * 1024
_CHUNK = 128 * 1024
_COMMON_HEADERS = {
    "Access-Control-Allow-Credentials": "True",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Methods": "*",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "*",
    "Referrer-Policy": "same-origin",
    "Server": "nginx/1.18.0 (Ubuntu)",
    "Vary": "Accept, Cookie",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
_ALLOW_LIST = "GET, POST, HEAD, OPTIONS"
_ALLOW_DETAIL = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
_ALLOW_POTS_LIST = "GET, HEAD, OPTIONS"
_ALLOW_POTS_DETAIL = "GET, PUT, PATCH, HEAD, OPTIONS"
_ALLOW_AUTH = "POST, OPTIONS"
_AUTH_RE = re.compile(r"^/api/v2/auth/(login|token|refresh)/?$")
_BODY_FAULT = web.RequestKey("krill_body_fault", Fault)
_APP_RE = re.compile(r"^/api/v2/([a-z][a-z0-9_-]*)/(.*)$")
_RESOURCE_RE = re.compile(r"^/api/(v2/isp/)?(cpes|customers|potses)(?:/([^/]+))?/?$")
_BASIC_HEADER = 'Basic realm="api"'
_BEARER_HEADER = 'Bearer realm="api"'
_SCHEMAS: dict[str, dict[str, FieldSpec]] = {
    "cpes": CPE_SCHEMA,
    "customers": CUSTOMER_SCHEMA,
    "potses": POTS_SCHEMA,
}
_MODEL_NAMES = {"cpes": "Cpe", "customers": "Customer", "potses": "Pots"}
_TRUE = frozenset({"t", "true", "y", "yes", "on", "1"})
_FALSE = frozenset({"f", "false", "n", "no", "off", "0"})
_DEC_PLACES = 7
_DEC_DIGITS = 10


@dataclass
class SimulatorConfig:
    """Simulator settings; attributes may be changed while the server runs."""

    seed: int = 1
    customers: int | None = None
    cpes: int = 200
    default_page_size: int = 10
    max_limit: int = 1000
    links: LinkMode = "internal"
    internal_origin: str = "http://pre1:4280"
    users: dict[str, str] = field(default_factory=lambda: {"usuario": "contraseña"})
    access_token_lifetime: float = 86400.0
    refresh_token_lifetime: float = 604800.0
    latency: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    #: ``/api/v2/monitoring`` (testing/apps/monitoring.py): Host objects (default one per CPE; more are
    #: CPE-like extras), share of objects carrying real-data drift, chunked answers, delay of live queries.
    monitoring_hosts: int | None = None
    monitoring_drift: float = 0.1
    monitoring_chunked: bool = False
    monitoring_live_delay: float = 0.0


@dataclass
class SimulatorStats:
    """Traffic counters for assertions (successful and failed logins, refreshes, ...)."""

    requests: int = 0
    logins: int = 0
    failed_logins: int = 0
    refreshes: int = 0
    failed_refreshes: int = 0
    unauthorized: int = 0
    bytes_sent: int = 0

    def reset(self) -> None:
        """Zero every counter."""
        for f in fields(self):
            setattr(self, f.name, 0)


class RequestRecord(NamedTuple):
    """One logged request; the credentials themselves are never recorded."""

    method: str
    path_qs: str
    auth_scheme: str | None


@dataclass(frozen=True)
class RequestInfo:
    """What a hook sees about the request about to be handled."""

    method: str
    path: str
    query: dict[str, str]
    query_items: list[tuple[str, str]]
    path_qs: str
    auth_scheme: str | None


class RequestLog(list[RequestRecord]):
    """A list that keeps only the last ``maxlen`` records."""

    def __init__(self, maxlen: int = 10_000) -> None:
        super().__init__()
        self.maxlen = maxlen

    def append(self, item: RequestRecord) -> None:
        super().append(item)
        if len(self) > self.maxlen:
            del self[: len(self) - self.maxlen]


class _HTTPError(Exception):
    """Short-circuits a handler with a JSON error response."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _auth_scheme(header: str | None) -> str | None:
    if not header or not header.strip():
        return None
    scheme = header.split()[0]
    lowered = scheme.lower()
    if lowered == "basic":
        return "Basic"
    if lowered == "bearer":
        return "Bearer"
    return scheme


def _json_response(
    status: int, body: Any, allow: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    payload = body if isinstance(body, bytes) else _PLAIN_ENCODER.encode(body)
    resp = web.Response(status=status, body=payload, headers=_COMMON_HEADERS)
    resp.content_type = "application/json"
    if allow:
        resp.headers["Allow"] = allow
    if headers:
        resp.headers.update(headers)
    return resp


def envelope(count: int, nxt: str | None, prev: str | None, results: bytes) -> bytes:
    """A DRF LimitOffsetPagination body around already-encoded, comma-joined records."""
    return b"".join(
        [
            b'{"count":',
            str(count).encode(),
            b',"next":',
            _ENCODER.encode(nxt),
            b',"previous":',
            _ENCODER.encode(prev),
            b',"results":[',
            results,
            b"]}",
        ]
    )


def _token_invalid(message: str) -> _HTTPError:
    return _HTTPError(
        401,
        {
            "detail": "Given token not valid for any token type",
            "code": "token_not_valid",
            "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}],
        },
        {"WWW-Authenticate": _BEARER_HEADER},
    )


class KrillSimulator:
    """A fake Krill server for tests and benchmarks.

    Use ``async with KrillSimulator() as sim`` inside a running loop, or
    ``with sim.run_in_thread():`` from synchronous code. ``sim.url`` is the base URL.
    """

    def __init__(self, config: SimulatorConfig | None = None, network: Network | None = None) -> None:
        self.config = config if config is not None else SimulatorConfig()
        if network is None:
            network = Network.generate(seed=self.config.seed, customers=self.config.customers, cpes=self.config.cpes)
        self.network = network
        self.stats = SimulatorStats()
        self.requests = RequestLog()
        self._url: str | None = None
        self._hooks: list[Hook] = []
        #: Faults injected into matching requests, first match wins (see :meth:`inject`).
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
        """Unregister a hook added with :meth:`add_hook`."""
        self._hooks.remove(fn)

    def clear_hooks(self) -> None:
        """Unregister every hook."""
        self._hooks.clear()

    def inject(self, kind: FaultKind, **options: Any) -> Fault:
        """Inject a fault into matching requests from now on (see :class:`Fault` for the options)."""
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
        app = web.Application(client_max_size=64 * 1024 * 1024)
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
        except _HTTPError as exc:
            if exc.status == 401:
                self.stats.unauthorized += 1
            resp = _json_response(exc.status, exc.body, allow[0] if allow else None, exc.headers)
        except Exception:
            log.exception("simulator error on %s %s", request.method, raw)
            resp = _json_response(500, {"detail": "A server error occurred."})
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
        match = _AUTH_RE.match(path)
        if match:
            allow_out.append(_ALLOW_AUTH)
            if method == "OPTIONS":
                return self._options(match.group(1).capitalize(), _ALLOW_AUTH)
            if method != "POST":
                raise _HTTPError(405, {"detail": f'Method "{method}" not allowed.'})
            data = await self._read_body(request)
            if match.group(1) == "refresh":
                return self._refresh(data)
            return self._login(data, simplejwt=match.group(1) == "token")
        match = _RESOURCE_RE.match(path)
        if not match:
            app_match = _APP_RE.match(path)
            handler = handler_for(app_match.group(1)) if app_match else None
            if handler is None or app_match is None:
                raise _HTTPError(404, {"detail": "Not found."})
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
            raise _HTTPError(405, {"detail": f'Method "{method}" not allowed.'})
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

        fields_ = ("latency", "max_limit", "default_page_size", "links")
        try:
            loopback = ipaddress.ip_address((request.remote or "").split("%")[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise _HTTPError(403, {"detail": "The simulator control route is for loopback clients only."})
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
                if name == "links" and value in ("internal", "absolute", "relative"):
                    continue
                errors[name] = ["Unknown setting." if name not in fields_ else "Invalid value."]
            if errors:
                raise _HTTPError(400, errors)
            for name, value in data.items():
                setattr(cfg, name, float(value) if name == "latency" else value)
        elif method != "GET":
            raise _HTTPError(405, {"detail": f'Method "{method}" not allowed.'})
        return _json_response(200, {name: getattr(cfg, name) for name in fields_}, "GET, PUT")

    def _options(self, name: str, allow: str) -> web.Response:
        body = {
            "name": name,
            "description": "",
            "renders": ["application/json", "text/html"],
            "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
        }
        return _json_response(200, body, allow)

    # ------------------------------------------------------------------ authentication
    def _user_id(self, username: str) -> int:
        with self._state_lock:
            uid = self._user_ids.get(username)
            if uid is None:
                uid = len(self._user_ids) + 1
                self._user_ids[username] = uid
            return uid

    def _issue_pair(self, username: str) -> dict[str, str]:
        uid = self._user_id(username)
        refresh, _ = _jwt.make_token("refresh", uid, self.config.refresh_token_lifetime, self._secret)
        access = self._issue_access(uid)
        return {"access": access, "refresh": refresh}

    def _issue_access(self, uid: int) -> str:
        access, claims = _jwt.make_token("access", uid, self.config.access_token_lifetime, self._secret)
        with self._state_lock:
            self._live_access.add(claims["jti"])
        return access

    def _authenticate(self, request: web.Request) -> None:
        """DRF BasicAuthentication + SimpleJWT JWTAuthentication; raises on failure."""
        header = request.headers.get("Authorization", "")
        parts = header.split()
        if parts and parts[0] == "Bearer":
            if len(parts) != 2:
                raise _HTTPError(
                    401,
                    {
                        "detail": "Authorization header must contain two space-delimited values",
                        "code": "bad_authorization_header",
                    },
                    {"WWW-Authenticate": _BEARER_HEADER},
                )
            try:
                claims = _jwt.decode(parts[1], self._secret, token_type="access")
            except _jwt.TokenError as exc:
                raise _token_invalid(str(exc)) from None
            if claims.get("jti") in self._revoked:
                raise _token_invalid("Token is invalid or expired")
            uid = claims.get("user_id")
            with self._state_lock:
                names = [name for name, i in self._user_ids.items() if i == uid]
            if not names or names[0] not in self.config.users:
                raise _HTTPError(
                    401,
                    {"detail": "User not found", "code": "user_not_found"},
                    {"WWW-Authenticate": _BEARER_HEADER},
                )
            return
        if parts and parts[0].lower() == "basic":
            basic = {"WWW-Authenticate": _BASIC_HEADER}
            if len(parts) == 1:
                raise _HTTPError(401, {"detail": "Invalid basic header. No credentials provided."}, basic)
            if len(parts) > 2:
                msg = "Invalid basic header. Credentials string should not contain spaces."
                raise _HTTPError(401, {"detail": msg}, basic)
            try:
                decoded_bytes = base64.b64decode(parts[1])
                try:
                    decoded = decoded_bytes.decode("utf-8")
                except UnicodeDecodeError:
                    decoded = decoded_bytes.decode("latin-1")
                username, password = decoded.split(":", 1)
            except (TypeError, ValueError, binascii.Error):
                msg = "Invalid basic header. Credentials not correctly base64 encoded."
                raise _HTTPError(401, {"detail": msg}, basic) from None
            expected = self.config.users.get(username)
            if expected is None or not secrets.compare_digest(expected.encode(), password.encode()):
                raise _HTTPError(401, {"detail": "Invalid username/password."}, basic)
            return
        raise _HTTPError(
            401, {"detail": "Authentication credentials were not provided."}, {"WWW-Authenticate": _BASIC_HEADER}
        )

    def _login(self, data: dict[str, Any], *, simplejwt: bool) -> web.Response:
        username = data.get("username")
        password = data.get("password")
        errors: dict[str, list[str]] = {}
        if simplejwt and username is None:
            errors["username"] = ["This field is required."]
        if password is None:
            errors["password"] = ["This field is required."]
        if errors:
            raise _HTTPError(400, errors)
        if not simplejwt and not username:
            # dj-rest-auth LoginSerializer: username is optional but needed without an email
            self.stats.failed_logins += 1
            raise _HTTPError(400, {"non_field_errors": ['Must include "username" and "password".']})
        ok = isinstance(username, str) and isinstance(password, str) and self.config.users.get(username) == password
        if not ok:
            self.stats.failed_logins += 1
            if simplejwt:
                raise _HTTPError(
                    401,
                    {"detail": "No active account found with the given credentials"},
                    {"WWW-Authenticate": _BEARER_HEADER},
                )
            raise _HTTPError(400, {"non_field_errors": ["Unable to log in with provided credentials."]})
        self.stats.logins += 1
        assert isinstance(username, str)
        return _json_response(200, self._issue_pair(username), _ALLOW_AUTH)

    def _refresh(self, data: dict[str, Any]) -> web.Response:
        token = data.get("refresh")
        if token is None:
            raise _HTTPError(400, {"refresh": ["This field is required."]})
        try:
            if not isinstance(token, str):
                raise _jwt.TokenError("Token is invalid or expired")
            claims = _jwt.decode(token, self._secret, token_type="refresh")
        except _jwt.TokenError as exc:
            self.stats.failed_refreshes += 1
            raise _HTTPError(
                401, {"detail": str(exc), "code": "token_not_valid"}, {"WWW-Authenticate": _BEARER_HEADER}
            ) from None
        self.stats.refreshes += 1
        return _json_response(200, {"access": self._issue_access(int(claims["user_id"]))}, _ALLOW_AUTH)

    # ------------------------------------------------------------------ request bodies
    async def _read_body(self, request: web.Request) -> dict[str, Any]:
        """DRF parsers: JSON, form and multipart; 415 for anything else."""
        raw = await request.read()
        if not raw:
            return {}
        content_type = request.headers.get("Content-Type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        data: Any
        if media == "application/json" or media.endswith("+json"):
            try:
                data = json.loads(raw.decode("utf-8"))
            except ValueError as exc:
                raise _HTTPError(400, {"detail": f"JSON parse error - {exc}"}) from None
        elif media == "application/x-www-form-urlencoded":
            data = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif media == "multipart/form-data":
            form = await request.post()
            data = {k: v for k, v in form.items() if isinstance(v, str)}
        else:
            raise _HTTPError(415, {"detail": f'Unsupported media type "{content_type}" in request.'})
        if not isinstance(data, dict):
            name = type(data).__name__
            raise _HTTPError(400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {name}."]})
        return data

    # ------------------------------------------------------------------ reads
    def _lookup(self, kind: ResourceName, key: str) -> Record:
        net = self.network
        record: Record | None
        record = net.find_cpe(key) if kind == "cpes" else net.table(kind).get(int(key)) if key.isdigit() else None
        if record is None:
            raise _HTTPError(404, {"detail": "Not found."})
        return record

    def _matching_ids(self, kind: ResourceName, query: ListQuery) -> list[int]:
        net = self.network
        if not query.filters and not query.sort:
            return net.ids(kind)
        cache_key = (kind, query.filters, query.sort)
        cached = self._id_cache.get(cache_key)
        if cached is not None and cached[0] == net.version:
            return cached[1]
        records = list(net.iter_records(kind))
        if query.filters:
            predicate = make_predicate(query.filters)
            records = [r for r in records if predicate(r)]
        if query.sort:
            records = sort_records(records, query.sort)
        ids = [int(r["id"]) for r in records]
        if len(self._id_cache) > 64:
            self._id_cache.clear()
        self._id_cache[cache_key] = (net.version, ids)
        return ids

    def _shape(self, kind: ResourceName, record: Record, query: ListQuery, v1: bool) -> Record:
        """Apply ``attrs`` projection and ``joins`` embedding to one record."""
        net = self.network
        base = _v1_cpe(record) if v1 and kind == "cpes" else record
        out = {name: base[name] for name in query.attrs if name in base} if query.attrs is not None else dict(base)
        joins = query.joins
        if kind == "cpes":
            if "customer" in joins:
                customer = net.customers.get(record["customer"])
                out["customer"] = dict(customer) if customer is not None else record["customer"]
            if "potses" in joins:
                out["potses"] = [{k: v for k, v in pots.items() if k != "cpe"} for pots in net.potses_of(record["id"])]
        elif kind == "customers" and "cpes" in joins:
            out["cpes"] = [_v1_cpe(c) if v1 else dict(c) for c in net.cpes_of(record["id"])]
        elif kind == "potses" and "cpe" in joins:
            cpe = net.cpes.get(record["cpe"])
            if cpe is not None:
                out["cpe"] = _v1_cpe(cpe) if v1 else dict(cpe)
        return out

    def _encode_records(self, kind: ResourceName, ids: list[int], query: ListQuery, v1: bool) -> bytes:
        net = self.network
        if not query.shaped:
            return b",".join([net.encoded(kind, rid, v1=v1) for rid in ids])
        table = net.table(kind)
        return b",".join([_ENCODER.encode(self._shape(kind, table[rid], query, v1)) for rid in ids])

    def _link_base(self, request: web.Request, raw_path: str) -> str:
        mode = self.config.links
        if mode == "relative":
            return raw_path
        if mode == "absolute":
            return f"{request.scheme}://{request.host}{raw_path}"
        return self.config.internal_origin.rstrip("/") + raw_path

    async def _list(
        self,
        request: web.Request,
        kind: ResourceName,
        v1: bool,
        raw_path: str,
        raw_query: str,
        items: list[tuple[str, str]],
        allow: str,
    ) -> web.StreamResponse:
        net = self.network
        cfg = self.config
        with net.lock:
            query = parse_list_query(items, FIELDS[kind])
            ids = self._matching_ids(kind, query)
            if v1:
                body = b"[" + self._encode_records(kind, ids, query, v1) + b"]"
            else:
                limit, offset = limit_offset(query.params, cfg.default_page_size, cfg.max_limit)
                count = len(ids)
                page = ids[offset : offset + limit] if offset <= count else []
                nxt, prev = page_links(self._link_base(request, raw_path), raw_query, count, limit, offset)
                body = envelope(count, nxt, prev, self._encode_records(kind, page, query, v1))
        return await self.send_json(request, body, allow)

    async def send_json(self, request: web.Request, body: bytes, allow: str | None = None) -> web.StreamResponse:
        """A JSON answer; big bodies are streamed in ~128 KB writes with an exact Content-Length, like a
        proxied gunicorn."""
        body_fault: Fault | None = request.get(_BODY_FAULT)
        if body_fault is not None:
            del request[_BODY_FAULT]
            return await body_fault.send_body(request, body)
        if len(body) <= _STREAM_THRESHOLD or request.method == "HEAD":
            return _json_response(200, body, allow)
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

    def _detail(self, kind: ResourceName, v1: bool, record: Record, query: ListQuery, allow: str) -> web.Response:
        net = self.network
        with net.lock:
            if query.shaped:
                body = _ENCODER.encode(self._shape(kind, record, query, v1))
            else:
                body = net.encoded(kind, record["id"], v1=v1)
        return _json_response(200, body, allow)

    # ------------------------------------------------------------------ writes
    def _validate(
        self, kind: ResourceName, data: dict[str, Any], *, partial: bool, instance: Record | None
    ) -> dict[str, Any]:
        schema = _SCHEMAS[kind]
        errors: dict[str, list[str]] = {}
        clean: dict[str, Any] = {}
        for name, spec in schema.items():
            if name not in data:
                if spec.required and not partial:
                    errors[name] = ["This field is required."]
                continue
            try:
                clean[name] = self._convert(spec, data[name])
            except ValueError as exc:
                errors[name] = [str(exc)]
        if kind == "potses" and clean.get("cli") is not None:
            own = instance["id"] if instance is not None else None
            for pots in self.network.potses.values():
                if pots["cli"] == clean["cli"] and pots["id"] != own:
                    errors["cli"] = ["pots with this cli already exists."]
                    break
        if errors:
            raise _HTTPError(400, errors)
        return clean

    def _convert(self, spec: FieldSpec, value: Any) -> Any:
        """DRF field ``to_internal_value`` with its default error messages."""
        if value is None:
            if spec.nullable:
                return None
            raise ValueError("This field may not be null.")
        kind = spec.kind
        if kind == "any":
            return value
        if kind == "str":
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ValueError("Not a valid string.")
            text = str(value).strip()
            if not text and not spec.allow_blank:
                raise ValueError("This field may not be blank.")
            return text
        if kind == "bool":
            if value is True or value is False:
                return value
            if isinstance(value, (int, str)):
                lowered = str(value).strip().lower()
                if lowered in _TRUE:
                    return True
                if lowered in _FALSE:
                    return False
            raise ValueError("Must be a valid boolean.")
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError("A valid integer is required.")
            try:
                return int(re.sub(r"\.0*\s*$", "", str(value)))
            except ValueError:
                raise ValueError("A valid integer is required.") from None
        if kind == "decimal":
            return _decimal(value)
        if kind == "date":
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    if len(value.strip()) == 10:
                        return date.fromisoformat(value.strip()).isoformat()
            raise ValueError("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
        if kind == "customer":
            if isinstance(value, bool) or not isinstance(value, (int, str, float)):
                raise ValueError(f"Incorrect type. Expected pk value, received {type(value).__name__}.")
            text = str(value).strip()
            try:
                pk = int(float(text)) if isinstance(value, float) else int(text)
            except ValueError:
                raise ValueError(f"Incorrect type. Expected pk value, received {type(value).__name__}.") from None
            if pk not in self.network.customers:
                raise ValueError(f'Invalid pk "{value}" - object does not exist.')
            return pk
        raise ValueError("Invalid value.")  # pragma: no cover

    def _create(self, kind: ResourceName, v1: bool, data: dict[str, Any], allow: str) -> web.Response:
        net = self.network
        with net.lock:
            clean = self._validate(kind, data, partial=False, instance=None)
            record = net.create_cpe(clean) if kind == "cpes" else net.create_customer(clean)
            body = net.encoded(kind, record["id"], v1=v1)
        return _json_response(201, body, allow)

    def _update(
        self, kind: ResourceName, v1: bool, record: Record, data: dict[str, Any], *, partial: bool, allow: str
    ) -> web.Response:
        net = self.network
        with net.lock:
            rid = int(record["id"])
            clean = self._validate(kind, data, partial=partial, instance=record)
            if rid not in net.table(kind):
                raise _HTTPError(404, {"detail": "Not found."})
            if kind == "cpes":
                net.update_cpe(rid, **clean)
            elif kind == "customers":
                net.update_customer(rid, **clean)
            else:
                net.update_pots(rid, **clean)
            body = net.encoded(kind, rid, v1=v1)
        return _json_response(200, body, allow)

    def _delete(self, kind: ResourceName, rid: int) -> None:
        net = self.network
        with net.lock:
            if kind == "cpes":
                net.delete_cpe(rid)
            elif kind == "customers":
                net.delete_customer(rid)


def _v1_cpe(record: Record) -> Record:
    return {k: v for k, v in record.items() if k not in V1_CPE_EXCLUDED}


def _decimal(value: Any) -> str:
    """DRF ``DecimalField(max_digits=10, decimal_places=7)`` with string output."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError("A valid number is required.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("A valid number is required.") from None
    if not number.is_finite():
        raise ValueError("A valid number is required.")
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0:
        total = whole = len(digits) + exponent
        places = 0
    elif len(digits) > -exponent:
        total, places = len(digits), -exponent
        whole = total - places
    else:
        total = places = -exponent
        whole = 0
    if total > _DEC_DIGITS:
        raise ValueError(f"Ensure that there are no more than {_DEC_DIGITS} digits in total.")
    if places > _DEC_PLACES:
        raise ValueError(f"Ensure that there are no more than {_DEC_PLACES} decimal places.")
    if whole > _DEC_DIGITS - _DEC_PLACES:
        raise ValueError(
            f"Ensure that there are no more than {_DEC_DIGITS - _DEC_PLACES} digits before the decimal point."
        )
    return format(number.quantize(Decimal(1).scaleb(-_DEC_PLACES)), "f")
