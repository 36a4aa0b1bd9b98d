"""CPE actions (reboot, factory reset, ...) and related resources (customer, events, ...), one CPE or many.

Where to send them: a v2 CPE record carries ``_links`` whose prefix differs between deployments
(``/api/v2/cpes/{id}/...`` in the 2023 docs and 2025 real data, ``/api/v2/isp/cpes/{id}/...`` in the
2023 Postman sample), so a record's own link is always followed; without one (a bare id, ``attrs=``
without ``_links``, API v1) the path comes from :attr:`CpeResource.path_template`.

Actions are side effects that the ACS or the OLT apply later: they are sent once, with POST, and never
retried automatically (a lost answer does not mean a lost action). A bulk run acts at most once per
distinct CPE and always returns one outcome per CPE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import msgspec
from yarl import URL

from ._checks import InvalidArgument
from ._pagination import ListQuery
from ._resource import Resource
from ._retry import NO_RETRIES
from ._timeouts import TimeoutTypes, resolve_timeout
from ._transport import Response
from ._urls import encode_params, join_api_path, quote_identifier, rebase_link
from .errors import KrillError
from .models import Cpe, Customer, Pots
from .models.profiles import CpeProfile

__all__ = [
    "ACTIONS",
    "ActionOutcome",
    "ActionResult",
    "BulkActionError",
    "BulkReport",
    "CpeRef",
    "CpeResource",
    "acknowledgement",
    "action_message",
    "cpe_key",
    "plan_bulk",
    "resolve_cpe_path",
]

#: Action name (as in ``_links.actions``) -> path segment. Only ``diagnostic`` differs.
ACTIONS: Mapping[str, str] = {
    "reboot": "reboot",
    "factory": "factory",
    "reconfig": "reconfig",
    "reprovision": "reprovision",
    "unprovision": "unprovision",
    "diagnostic": "cwmp_diagnostic",
}

#: Link name (as in ``_links.links``) -> path segment (``cdrs`` is ``events?type=cdr``).
LINKS: Mapping[str, str] = {
    "customer": "customer",
    "potses": "potses",
    "profile": "profile",
    "model": "model",
    "events": "events",
    "cdrs": "events?type=cdr",
    "logs": "logs",
    "livestatus": "livestatus",
    "links": "links",
    "info": "info",
    "cwmp_info": "cwmp_info",
}

#: What identifies a CPE: a record (its ``_links`` are followed), its numeric id, or a string id
#: (``internal_id``/``external_id`` in mono-kiwi deployments).
CpeTarget = Cpe | int | str

_MESSAGE_KEYS = ("message", "detail", "msg", "status", "result", "description")


# ---------------------------------------------------------------------------------------- pure helpers


def cpe_key(target: CpeTarget) -> int | str:
    """The identity of a CPE for deduplication: ``350``, ``"350"`` and a record with id 350 are one CPE.

    A string that is not a number (``"pim0350"``) is its own key: it cannot be matched to a numeric id
    without asking the server.
    """
    if isinstance(target, Cpe):
        if target.id is not None:
            return target.id
        if target.internal_id:
            return target.internal_id
        raise InvalidArgument("a CPE record without id or internal_id cannot be acted on (fetch it with attrs=id)")
    if isinstance(target, bool) or not isinstance(target, (int, str)):
        raise InvalidArgument(f"a CPE is a Cpe record, an int id or a str id, not {type(target).__name__}")
    quote_identifier(target)  # refuses "/", "?", dot segments... before anything is sent
    if isinstance(target, str) and target.isascii() and target.isdigit():
        return int(target)
    return target


def resolve_cpe_path(
    target: CpeTarget, kind: Literal["actions", "links"], name: str, segment: str, template: str
) -> str:
    """Where to send an action or read a link: the record's own ``_links`` path when it has one,
    otherwise ``template`` filled with the quoted id and the segment."""
    if isinstance(target, Cpe) and target.links is not None:
        paths = target.links.actions if kind == "actions" else target.links.links
        link = paths.get(name) if paths is not None else None
        if link:
            return link
    ident = quote_identifier(cpe_key(target))
    return template.format(id=ident, segment=segment)


def action_message(data: Any) -> str | None:
    """The human-readable message of an action's answer, whatever its shape (undocumented: Krill returns
    a message text, seen as ``detail``, ``message`` or a bare string)."""
    if isinstance(data, str):
        return data or None
    if isinstance(data, Mapping):
        for key in _MESSAGE_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
        return None
    if isinstance(data, list) and data and all(isinstance(item, str) for item in data):
        return "; ".join(data)
    return None


def plan_bulk(targets: Iterable[CpeTarget]) -> tuple[list[CpeTarget], int]:
    """The distinct CPEs of ``targets`` in first-seen order, and how many repeats were dropped.

    A repeat never causes a second action. When a CPE appears both as an id and as a record, the record
    is kept (its ``_links`` say where to send the action). Invalid targets raise before anything is sent.
    """
    order: dict[int | str, CpeTarget] = {}
    seen = 0
    for target in targets:
        seen += 1
        key = cpe_key(target)
        known = order.get(key)
        if known is None or (not isinstance(known, Cpe) and isinstance(target, Cpe)):
            order[key] = target
    return list(order.values()), seen - len(order)


# ---------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ActionResult:
    """The server's acknowledgement of one action. ``message`` is its text (None if it sent none);
    ``data`` the decoded body. Acknowledged is not done: confirm the effect with ``info``/``cwmp_info``."""

    cpe: int | str
    action: str
    status: int
    message: str | None
    data: Any = None

    def __str__(self) -> str:
        return self.message or f"{self.action} accepted (HTTP {self.status})"


@dataclass(frozen=True)
class ActionOutcome:
    """What happened to one CPE in a bulk run: a result, or the typed error that stopped it."""

    cpe: int | str
    action: str
    result: ActionResult | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        return str(self.result) if self.result is not None else str(self.error)


class BulkActionError(KrillError):
    """Raised by :meth:`BulkReport.raise_for_failures`; ``report`` holds every outcome."""

    def __init__(self, report: BulkReport) -> None:
        self.report = report
        failed = report.failed
        sample = "; ".join(f"{o.cpe}: {o.message}" for o in failed[:3])
        more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
        super().__init__(f"{report.action} failed on {len(failed)} of {len(report)} CPEs: {sample}{more}")


@dataclass(frozen=True)
class BulkReport:
    """One outcome per distinct CPE, in the order given; ``duplicates`` repeats were skipped."""

    action: str
    outcomes: tuple[ActionOutcome, ...]
    duplicates: int = 0

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def succeeded(self) -> list[ActionOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[ActionOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        """True when every CPE acknowledged the action."""
        return all(o.ok for o in self.outcomes)

    def raise_for_failures(self) -> BulkReport:
        """Raise :class:`BulkActionError` if any CPE failed; return the report otherwise."""
        if not self.ok:
            raise BulkActionError(self)
        return self

    def __repr__(self) -> str:
        return f"<BulkReport {self.action}: {len(self.succeeded)} ok, {len(self.failed)} failed>"


def acknowledgement(target: int | str, action: str, response: Response) -> ActionResult:
    """An :class:`ActionResult` from an action's answer: JSON of any shape, plain text, or nothing."""
    content = response.content
    decoded: Any = None
    if content.strip():
        try:
            decoded = msgspec.json.decode(content)
        except msgspec.DecodeError:
            decoded = content.decode("utf-8", "replace").strip()
    return ActionResult(target, action, response.status, action_message(decoded), decoded)


# ---------------------------------------------------------------------------------------- the resource


class CpeResource(Resource[Cpe]):
    """``/api/v2/isp/cpes/`` with CPE actions and related resources, for one CPE or many.

    ``path_template`` is the fallback used when a record carries no ``_links`` (relative to
    ``/api/v2/``, or from the root when it starts with ``/``). The facts advise the ``isp/`` form; if
    your deployment only answers the other one, set ``krill.isp.cpes.path_template =
    "/api/v2/cpes/{id}/{segment}"``. ``action_method`` is POST (the method is undocumented; a read-only
    GET would be cached or retried by proxies, which an action must never be).
    """

    path_template: str = "isp/cpes/{id}/{segment}"
    action_method: str = "POST"

    def _url(self, path: str) -> URL:
        """A URL on our own origin for a link path (rebased like pagination links) or a template path."""
        if path.startswith("/") or "://" in path:
            root = self._client.root
            return rebase_link(path, root=root, request_url=root)
        base, _, query = path.partition("?")
        url = join_api_path(self._client.root, base)
        return url.with_query(query) if query else url

    def of(self, cpe: CpeTarget) -> CpeRef:
        """The CPE as a handle: ``await krill.isp.cpes.of(cpe).reboot()``, ``...of(cpe).events(type="cdr")``."""
        cpe_key(cpe)
        return CpeRef(self, cpe)

    # -- actions -------------------------------------------------------------------------------------

    async def action(
        self, cpe: CpeTarget, name: str, *, data: Any = None, timeout: TimeoutTypes = None
    ) -> ActionResult:
        """Send action ``name`` (a key of :data:`ACTIONS`, or any other the record's ``_links`` name) once.

        Raises a typed :class:`~krill_async.KrillError` when refused; never retried automatically.
        """
        segment = ACTIONS.get(name)
        key = cpe_key(cpe)
        if segment is None:  # only a name the record itself links to
            linked = cpe.links.actions if isinstance(cpe, Cpe) and cpe.links else None
            path = linked.get(name) if linked is not None else None
            if not path:
                raise InvalidArgument(f"unknown CPE action {name!r}; known: {', '.join(ACTIONS)}")
        else:
            path = resolve_cpe_path(cpe, "actions", name, segment, self.path_template)
        body = msgspec.to_builtins(data) if isinstance(data, msgspec.Struct) else data
        response = await self._client.transport.request(
            self.action_method,
            self._url(path),
            json=body,
            timeout=resolve_timeout(timeout, self._client.timeout),
            retry=NO_RETRIES,
        )
        return acknowledgement(key, name, response)

    async def reboot(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> ActionResult:
        """Restart the CPE."""
        return await self.action(cpe, "reboot", timeout=timeout)

    async def factory(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> ActionResult:
        """Reset the CPE to factory settings."""
        return await self.action(cpe, "factory", timeout=timeout)

    async def reconfig(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> ActionResult:
        """Reconfigure the CPE in its next ACS (TR-069) session."""
        return await self.action(cpe, "reconfig", timeout=timeout)

    async def reprovision(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> ActionResult:
        """Remove the ONT's service ports from the OLT and insert them again."""
        return await self.action(cpe, "reprovision", timeout=timeout)

    async def unprovision(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> ActionResult:
        """Remove the ONT's service ports from the OLT."""
        return await self.action(cpe, "unprovision", timeout=timeout)

    async def diagnostic(self, cpe: CpeTarget, data: Any = None, *, timeout: TimeoutTypes = None) -> ActionResult:
        """Run TR-069 diagnostics (``cwmp_diagnostic``). The body is undocumented: ``data`` is sent as given."""
        return await self.action(cpe, "diagnostic", data=data, timeout=timeout)

    async def bulk(
        self,
        action: str,
        cpes: Iterable[CpeTarget],
        *,
        data: Any = None,
        concurrency: int | None = None,
        timeout: TimeoutTypes = None,
    ) -> BulkReport:
        """Run one action over many CPEs, at most ``concurrency`` at a time (default: the client's).

        Each distinct CPE is acted on exactly once (repeats are counted in ``duplicates``); a failure is
        recorded in its outcome and never stops the others. Cancelling the call cancels the requests in
        flight and starts no new one.
        """
        if action not in ACTIONS:
            raise InvalidArgument(f"unknown CPE action {action!r}; known: {', '.join(ACTIONS)}")
        limit = self._client.concurrency if concurrency is None else concurrency
        if limit < 1:
            raise InvalidArgument("concurrency must be at least 1")
        plan, duplicates = plan_bulk(cpes)
        outcomes: list[ActionOutcome | None] = [None] * len(plan)
        jobs = iter(enumerate(plan))

        async def worker() -> None:
            for index, target in jobs:  # one shared iterator: each CPE is taken by exactly one worker
                key = cpe_key(target)
                try:
                    result = await self.action(target, action, data=data, timeout=timeout)
                except Exception as exc:  # typed KrillError normally; anything else is reported, not lost
                    outcomes[index] = ActionOutcome(key, action, error=exc)
                else:
                    outcomes[index] = ActionOutcome(key, action, result=result)

        async with anyio.create_task_group() as tg:
            for _ in range(min(limit, len(plan))):
                tg.start_soon(worker)
        done = tuple(o for o in outcomes if o is not None)
        assert len(done) == len(plan)
        return BulkReport(action, done, duplicates)

    # -- related resources ---------------------------------------------------------------------------

    def _link_path(self, cpe: CpeTarget, name: str) -> str:
        return resolve_cpe_path(cpe, "links", name, LINKS.get(name, name), self.path_template)

    async def link(
        self,
        cpe: CpeTarget,
        name: str,
        *,
        model: Any = Any,
        params: Mapping[str, Any] | None = None,
        timeout: TimeoutTypes = None,
    ) -> Any:
        """GET any related resource by its ``_links`` name, decoded into ``model`` (plain JSON by default)."""
        url = self._url(self._link_path(cpe, name))
        response = await self._client.transport.request(
            "GET", url, params=encode_params(params), timeout=resolve_timeout(timeout, self._client.timeout)
        )
        return response.json(model)

    def link_list(
        self,
        cpe: CpeTarget,
        name: str,
        *,
        model: Any = dict,
        page_size: int | None = None,
        sort: str | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: TimeoutTypes = None,
        **filters: Any,
    ) -> ListQuery[Any]:
        """A list of related records (paginated or a bare list; both are read the same way)."""
        url = self._url(self._link_path(cpe, name))
        base = url.with_query(None)
        query = list(url.query.items()) + self._query(sort=sort, params=params, filters=filters)
        client = self._client
        return ListQuery(
            client.transport,
            base,
            params=query,
            model=model,
            page_size=page_size or client.page_size,
            timeout=resolve_timeout(timeout, client.timeout) if timeout is not None else None,
            concurrency=client.concurrency,
        )

    async def customer(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> Customer:
        """The CPE's customer."""
        result: Customer = await self.link(cpe, "customer", model=Customer, timeout=timeout)
        return result

    def potses(self, cpe: CpeTarget, *, page_size: int | None = None) -> ListQuery[Pots]:
        """The CPE's telephone lines."""
        return self.link_list(cpe, "potses", model=Pots, page_size=page_size)

    async def profile(self, cpe: CpeTarget, *, timeout: TimeoutTypes = None) -> CpeProfile:
        """The CPE's profile."""
        result: CpeProfile = await self.link(cpe, "profile", model=CpeProfile, timeout=timeout)
        return result

    async def device_model(self, cpe: CpeTarget, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """The CPE's hardware model (the ``model`` link; shape undocumented)."""
        return await self.link(cpe, "model", model=model, timeout=timeout)

    def events(
        self,
        cpe: CpeTarget,
        *,
        type: str | None = None,
        sort: str | None = None,
        model: Any = dict,
        page_size: int | None = None,
        **filters: Any,
    ) -> ListQuery[Any]:
        """The CPE's events; ``type="cdr"`` gives call records, ``"cwmp"`` TR-069 sessions (also seen:
        ``iplease6``, ``iplease6pd``); ``sort="-start_time"`` newest first (parameter name inferred)."""
        return self.link_list(cpe, "events", model=model, page_size=page_size, sort=sort, type=type, **filters)

    def cdrs(self, cpe: CpeTarget, *, model: Any = dict, page_size: int | None = None) -> ListQuery[Any]:
        """The CPE's call records (its ``cdrs`` link, ``events?type=cdr``)."""
        return self.link_list(cpe, "cdrs", model=model, page_size=page_size)

    def logs(
        self, cpe: CpeTarget, *, model: Any = dict, page_size: int | None = None, **filters: Any
    ) -> ListQuery[Any]:
        """The CPE's log entries."""
        return self.link_list(cpe, "logs", model=model, page_size=page_size, **filters)

    async def livestatus(self, cpe: CpeTarget, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """Live monitoring status (queried now: may be slow)."""
        return await self.link(cpe, "livestatus", model=model, timeout=timeout)

    async def links(self, cpe: CpeTarget, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """The CPE's ``links`` resource (shape undocumented)."""
        return await self.link(cpe, "links", model=model, timeout=timeout)

    async def info(self, cpe: CpeTarget, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """Real-time information (the OLT or CMTS is asked now: give slow networks a longer ``timeout``)."""
        return await self.link(cpe, "info", model=model, timeout=timeout)

    async def cwmp_info(self, cpe: CpeTarget, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """TR-069 (CWMP) information from the ACS."""
        return await self.link(cpe, "cwmp_info", model=model, timeout=timeout)


class CpeRef:
    """One CPE bound to its resource: every action and link without repeating the CPE.

    Built by :meth:`CpeResource.of` from a fetched record (its ``_links`` are followed) or an id.
    """

    def __init__(self, resource: CpeResource, cpe: CpeTarget) -> None:
        self.resource = resource
        self.cpe = cpe

    def __repr__(self) -> str:
        return f"<CpeRef {cpe_key(self.cpe)!r}>"

    async def action(self, name: str, *, data: Any = None, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.action(self.cpe, name, data=data, timeout=timeout)

    async def reboot(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.reboot(self.cpe, timeout=timeout)

    async def factory(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.factory(self.cpe, timeout=timeout)

    async def reconfig(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.reconfig(self.cpe, timeout=timeout)

    async def reprovision(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.reprovision(self.cpe, timeout=timeout)

    async def unprovision(self, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.unprovision(self.cpe, timeout=timeout)

    async def diagnostic(self, data: Any = None, *, timeout: TimeoutTypes = None) -> ActionResult:
        return await self.resource.diagnostic(self.cpe, data, timeout=timeout)

    async def customer(self, *, timeout: TimeoutTypes = None) -> Customer:
        return await self.resource.customer(self.cpe, timeout=timeout)

    def potses(self, *, page_size: int | None = None) -> ListQuery[Pots]:
        return self.resource.potses(self.cpe, page_size=page_size)

    async def profile(self, *, timeout: TimeoutTypes = None) -> CpeProfile:
        return await self.resource.profile(self.cpe, timeout=timeout)

    async def device_model(self, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.device_model(self.cpe, model=model, timeout=timeout)

    def events(
        self, *, type: str | None = None, sort: str | None = None, model: Any = dict, **filters: Any
    ) -> ListQuery[Any]:
        return self.resource.events(self.cpe, type=type, sort=sort, model=model, **filters)

    def cdrs(self, *, model: Any = dict) -> ListQuery[Any]:
        return self.resource.cdrs(self.cpe, model=model)

    def logs(self, *, model: Any = dict, **filters: Any) -> ListQuery[Any]:
        return self.resource.logs(self.cpe, model=model, **filters)

    async def livestatus(self, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.livestatus(self.cpe, model=model, timeout=timeout)

    async def links(self, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.links(self.cpe, model=model, timeout=timeout)

    async def info(self, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.info(self.cpe, model=model, timeout=timeout)

    async def cwmp_info(self, *, model: Any = Any, timeout: TimeoutTypes = None) -> Any:
        return await self.resource.cwmp_info(self.cpe, model=model, timeout=timeout)
