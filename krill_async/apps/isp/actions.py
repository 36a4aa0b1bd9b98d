"""CPE actions (reboot, factory reset, ...), one CPE or many, on the deployment's own path.

Actions are side effects that the ACS or the OLT apply later: they are POSTed once and never retried by
the retry policy (a lost answer does not mean a lost action). The one exception is a *guessed* path
answering 404: a 404 proves nothing was done, so one informed attempt follows (see `.resolve`). A
bulk run acts at most once per distinct CPE and always returns one outcome per CPE.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import anyio
import msgspec
from yarl import URL

from ..._actions import ActionOutcome, ActionResult, BulkReport, acknowledgement
from ..._checks import InvalidArgument
from ..._retry import NO_RETRIES
from ..._timeouts import TimeoutTypes, resolve_timeout
from ...models import Cpe
from .layout import record_links
from .related import CpeRelated
from .targets import ACTIONS, CpeTarget, cpe_key, plan_bulk

if TYPE_CHECKING:
    from .ref import CpeRef

__all__ = ["CpeResource"]


class CpeResource(CpeRelated):
    """``/api/v2/isp/cpes/`` with CPE actions and related resources, for one CPE or many.

    Where they go: a record's own ``_links``; for a bare id, the layout learnt from any ``_links`` this
    client has decoded, else the vendor's ``/api/v2/cpes/{id}/{segment}``, corrected once after a 404.
    Set ``path_template`` to force a form (``"/api/v2/isp/cpes/{id}/{segment}"``). ``action_method`` is POST
    (the method is undocumented; a read-only GET would be cached or retried by proxies, which an action
    must never be).
    """

    action_method: str = "POST"

    def of(self, cpe: CpeTarget) -> CpeRef:
        """The CPE as a handle: ``await krill.isp.cpes.of(cpe).reboot()``, ``...of(cpe).events(type="cdr")``."""
        from .ref import CpeRef

        cpe_key(cpe)
        return CpeRef(self, cpe)

    async def action(
        self, cpe: CpeTarget, name: str, *, data: Any = None, timeout: TimeoutTypes = None
    ) -> ActionResult:
        """Send action ``name`` (a key of `ACTIONS`, or any other the record's ``_links`` name) once.

        Raises a typed [`KrillError`][krill_async.KrillError] when refused; never retried automatically.
        """
        key = cpe_key(cpe)
        segment = ACTIONS.get(name)
        if segment is None:  # only a name the record itself links to
            linked = record_links(cpe, "actions") if isinstance(cpe, Cpe) else None
            if not linked or name not in linked:
                raise InvalidArgument(f"unknown CPE action {name!r}; known: {', '.join(ACTIONS)}")
            segment = name
        body = msgspec.to_builtins(data) if isinstance(data, msgspec.Struct) else data
        transport = self._client.transport
        limits = resolve_timeout(timeout, self._client.timeout)

        async def send(url: URL) -> ActionResult:
            response = await transport.request(self.action_method, url, json=body, timeout=limits, retry=NO_RETRIES)
            return acknowledgement(key, name, response)

        return await self._reach(cpe, "actions", name, segment, send)

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
