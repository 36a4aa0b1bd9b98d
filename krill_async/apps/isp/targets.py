"""What a CPE action or link is addressed to: the names Krill uses and the identity of a CPE (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..._checks import InvalidArgument
from ..._urls import quote_identifier
from ...models import Cpe

__all__ = ["ACTIONS", "LINKS", "CpeTarget", "cpe_key", "plan_bulk"]

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
