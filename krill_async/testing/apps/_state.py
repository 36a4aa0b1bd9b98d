"""Shared machinery of the simulated apps: per-simulator state, DRF model collections, the action log.

State lives beside the simulator (not in it), created on first use from the simulator's seed and
network, so every app stays deterministic and the server core needs no change. Tests reach it with
`app_state()`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .._query import limit_offset, make_predicate, page_links, parse_list_query, sort_records

if TYPE_CHECKING:
    from .._apps import AppRequest
    from .._server import KrillSimulator

__all__ = [
    "ActionCall",
    "AppState",
    "Table",
    "app_state",
    "filter_records",
    "paginate_relative",
    "require",
    "serve_table",
]

Record = dict[str, Any]
Validator = Callable[["AppRequest", Record, bool, "Record | None"], Record]
"""``(request, data, partial, instance) -> clean data``; fails the request with a DRF 400 when invalid."""

_ALLOW_LIST = "GET, POST, HEAD, OPTIONS"
_ALLOW_DETAIL = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
_ALLOW_READ = "GET, HEAD, OPTIONS"


@dataclass(frozen=True)
class ActionCall:
    """One side-effecting request a simulated app received (accepted or refused)."""

    method: str
    path: str
    app: str
    target: int | str
    action: str
    body: Any
    status: int


class Table:
    """An in-memory Django model table: id -> record, ids assigned like a sequence."""

    def __init__(self, records: Iterable[Record] = (), *, key: str = "id") -> None:
        self.key = key
        self.records: dict[Any, Record] = {rec[key]: rec for rec in records}
        numeric = [k for k in self.records if isinstance(k, int)]
        self.next_id = max(numeric, default=0) + 1

    def __len__(self) -> int:
        return len(self.records)

    def values(self) -> list[Record]:
        return list(self.records.values())

    def get(self, key: str) -> Record | None:
        """By the key as it appears in a path (numeric ids arrive as text)."""
        if key in self.records:
            return self.records[key]
        if key.isdigit():
            return self.records.get(int(key))
        return None

    def insert(self, data: Record) -> Record:
        record = {self.key: self.next_id, **data} if self.key == "id" else dict(data)
        self.records[record[self.key]] = record
        if isinstance(record[self.key], int):
            self.next_id = max(self.next_id, record[self.key] + 1)
        return record


@dataclass
class AppState:
    """Everything the simulated apps keep for one simulator."""

    sim: KrillSimulator
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: Every action received, in order (CPE actions, session disconnects, ONU enables).
    actions: list[ActionCall] = field(default_factory=list)
    #: Forced answers for actions on a target: ``{cpe_id: (status, body)}``.
    action_failures: dict[int | str, tuple[int, Any]] = field(default_factory=dict)
    _tables: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str, build: Callable[[], Any]) -> Any:
        """The app data called ``name``, built once by ``build``."""
        with self.lock:
            value = self._tables.get(name)
            if value is None:
                value = self._tables[name] = build()
            return value

    def actions_on(self, target: int | str, action: str | None = None) -> list[ActionCall]:
        """The actions received for one target (optionally one kind)."""
        return [a for a in self.actions if a.target == target and (action is None or a.action == action)]


_STATES: weakref.WeakKeyDictionary[KrillSimulator, AppState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def app_state(sim: KrillSimulator) -> AppState:
    """The simulated apps' state of ``sim`` (created on first use)."""
    with _STATES_LOCK:
        state = _STATES.get(sim)
        if state is None:
            state = _STATES[sim] = AppState(sim)
        return state


async def paginate_relative(req: AppRequest, records: list[Any], *, allow: str | None = None) -> web.StreamResponse:
    """A DRF page whose ``next``/``previous`` are relative (``/api/v2/rubik/services/?limit=5&offset=10``),
    as Rubik answers whatever the link mode."""
    from .._http import _ENCODER, envelope

    cfg = req.sim.config
    limit, offset = limit_offset(req.query, cfg.default_page_size, cfg.max_limit)
    count = len(records)
    page = records[offset : offset + limit] if offset <= count else []
    raw_path = req.request.raw_path.partition("?")[0]
    nxt, prev = page_links(raw_path, req.raw_query, count, limit, offset)
    encoded = b",".join(r if isinstance(r, bytes) else _ENCODER.encode(r) for r in page)
    return await req.sim.send_json(req.request, envelope(count, nxt, prev, encoded), allow)


def filter_records(items: list[tuple[str, str]], records: list[Record], *, search: Iterable[str] = ()) -> list[Record]:
    """Field equality and Django lookups, ``sort``, ``attrs`` and (over the ``search`` fields) ``search``."""
    fields: set[str] = set()
    for record in records:
        fields.update(record)
    query = parse_list_query(items, fields)
    result = records
    if query.filters:
        predicate = make_predicate(query.filters)
        result = [r for r in result if predicate(r)]
    text = query.params.get("search", "").strip().casefold()
    if text:
        names = tuple(search)
        result = [r for r in result if any(text in str(r.get(n) or "").casefold() for n in names)]
    if query.sort:
        result = sort_records(result, query.sort)
    if query.attrs is not None:
        result = [{k: r[k] for k in query.attrs if k in r} for r in result]
    return result


async def serve_table(
    req: AppRequest,
    table: Table,
    key: str | None,
    *,
    lock: threading.RLock,
    validate: Validator | None = None,
    writable: bool = True,
    search: Iterable[str] = (),
    relative_links: bool = False,
) -> web.StreamResponse:
    """A DRF ``ModelViewSet`` over ``table``: list (paginated, filtered), create (201), retrieve, update,
    partial update, destroy (204); 404 and 405 as DRF words them."""
    method = req.method
    if key is None:
        allow = _ALLOW_LIST if writable else _ALLOW_READ
        if method in ("GET", "HEAD"):
            with lock:
                records = filter_records(req.items, table.values(), search=search)
            if relative_links:
                return await paginate_relative(req, records, allow=allow)
            return await req.paginate(records, allow=allow)
        if method != "POST" or not writable:
            req.not_allowed()
        data = await req.body()
        with lock:
            clean = validate(req, data, False, None) if validate else data
            created = table.insert(clean)
        return req.respond(created, 201, allow=allow)
    allow = _ALLOW_DETAIL if writable else _ALLOW_READ
    with lock:
        record = table.get(key)
    if record is None:
        req.not_found()
    if method in ("GET", "HEAD"):
        return req.respond(record, allow=allow)
    if not writable or method not in ("PUT", "PATCH", "DELETE"):
        req.not_allowed()
    if method == "DELETE":
        with lock:
            table.records.pop(record[table.key], None)
        return web.Response(status=204, headers={"Allow": allow})
    data = await req.body()
    with lock:
        clean = validate(req, data, method == "PATCH", record) if validate else data
        record.update(clean)
    return req.respond(record, allow=allow)


def require(req: AppRequest, data: Record, names: Iterable[str], partial: bool) -> None:
    """DRF's ``This field is required.`` for each missing required field (not on PATCH)."""
    if partial:
        return
    missing = {name: ["This field is required."] for name in names if name not in data or data[name] in (None, "")}
    if missing:
        req.fail(400, missing)
