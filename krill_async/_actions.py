"""Action results, shared by every app that sends actions (ISP CPEs, GPON ONUs, Oratio sessions).

An action's answer is undocumented: `acknowledgement()` reads any shape into an
`ActionResult`; a bulk run is a `BulkReport` of one `ActionOutcome` per target.

CPE actions themselves belong to the ISP app (`krill_async.apps.isp`); their names are still
importable from here (``from krill_async._actions import CpeResource, cpe_key``) for code written
before the move.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from ._lazy import lazy_attributes
from ._transport import Response
from .errors import KrillError

if TYPE_CHECKING:
    from .apps.isp.actions import CpeResource as CpeResource
    from .apps.isp.layout import resolve_cpe_path as resolve_cpe_path
    from .apps.isp.ref import CpeRef as CpeRef
    from .apps.isp.targets import ACTIONS as ACTIONS
    from .apps.isp.targets import LINKS as LINKS
    from .apps.isp.targets import CpeTarget as CpeTarget
    from .apps.isp.targets import cpe_key as cpe_key
    from .apps.isp.targets import plan_bulk as plan_bulk

__all__ = [
    "ActionOutcome",
    "ActionResult",
    "BulkActionError",
    "BulkReport",
    "acknowledgement",
    "action_message",
]

_MESSAGE_KEYS = ("message", "detail", "msg", "status", "result", "description")

# Moved to the ISP app; resolved on first use (no import cycle: the ISP app imports this module).
_MOVED: dict[str, str] = {
    "ACTIONS": "krill_async.apps.isp.targets",
    "LINKS": "krill_async.apps.isp.targets",
    "CpeTarget": "krill_async.apps.isp.targets",
    "cpe_key": "krill_async.apps.isp.targets",
    "plan_bulk": "krill_async.apps.isp.targets",
    "resolve_cpe_path": "krill_async.apps.isp.layout",
    "CpeResource": "krill_async.apps.isp.actions",
    "CpeRef": "krill_async.apps.isp.ref",
}


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
    """Raised by `BulkReport.raise_for_failures()`; ``report`` holds every outcome."""

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

    def __iter__(self) -> Iterator[ActionOutcome]:
        """The outcomes in the order the CPEs were given (``for outcome in report``)."""
        return iter(self.outcomes)

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
        """Raise `BulkActionError` if any CPE failed; return the report otherwise."""
        if not self.ok:
            raise BulkActionError(self)
        return self

    def __repr__(self) -> str:
        return f"<BulkReport {self.action}: {len(self.succeeded)} ok, {len(self.failed)} failed>"


def acknowledgement(target: int | str, action: str, response: Response) -> ActionResult:
    """An `ActionResult` from an action's answer: JSON of any shape, plain text, or nothing."""
    content = response.content
    decoded: Any = None
    if content.strip():
        try:
            decoded = msgspec.json.decode(content)
        except msgspec.DecodeError:
            decoded = content.decode("utf-8", "replace").strip()
    return ActionResult(target, action, response.status, action_message(decoded), decoded)


__getattr__, _ = lazy_attributes(__name__, _MOVED)
