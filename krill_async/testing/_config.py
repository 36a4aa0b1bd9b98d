"""The simulator's settings and the records it keeps for tests: config, counters, the request log.

Kept apart from the server so the mixins and apps can name these types without importing the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from ._capacity import CapacityConfig

__all__ = [
    "CpeLinkLayout",
    "Hook",
    "LinkMode",
    "RequestInfo",
    "RequestLog",
    "RequestRecord",
    "SimulatorConfig",
    "SimulatorStats",
]

LinkMode = Literal["internal", "absolute", "relative"]
CpeLinkLayout = Literal["vendor", "isp"]
Hook = Callable[["RequestInfo"], object]
"""A hook may be a plain function or a coroutine function (its result is awaited)."""


@dataclass
class SimulatorConfig:
    """Simulator settings; attributes may be changed while the server runs."""

    seed: int = 1
    customers: int | None = None
    cpes: int = 200
    default_page_size: int = 10
    max_limit: int = 1000
    #: Django-like URL resolution (see ``_routes.py``): a slashless URL whose route wants a slash answers
    #: ``301`` to it, an unknown URL Django's HTML 404. ``False`` accepts every slash form (JSON 404).
    strict: bool = True
    #: ``next``/``previous`` of the CRM (and the other DRF apps): ``internal`` names ``internal_origin`` as
    #: the overview's sample does; ``absolute`` the request's own host; ``relative`` a bare path.
    links: LinkMode = "internal"
    internal_origin: str = "http://pre1:4280"
    #: ``next``/``previous`` of ``/monitoring/search``: the request's own host by default, like the
    #: overview's monitoring sample (DRF's ``build_absolute_uri``).
    monitoring_links: LinkMode = "absolute"
    #: Where CPE actions and related resources live and what ``_links`` say: ``vendor`` is
    #: ``/api/v2/cpes/{id}/<x>`` (the overview and 2025 data), ``isp`` is ``/api/v2/isp/cpes/{id}/<x>``
    #: (the 2023-02 Postman sample). Strict mode serves only the chosen layout; lenient serves both.
    cpe_links: CpeLinkLayout = "vendor"
    users: dict[str, str] = field(default_factory=lambda: {"usuario": "contraseña"})
    access_token_lifetime: float = 86400.0
    refresh_token_lifetime: float = 604800.0
    latency: float = 0.0
    #: A server with a capacity (workers, service time per record, a bounded queue answering 503/429):
    #: see ``krill_async.testing._capacity``. None: every request is served at once, however many.
    capacity: CapacityConfig | None = None
    host: str = "127.0.0.1"
    port: int = 0
    #: ``/api/v2/monitoring`` (testing/apps/monitoring.py): Host objects (default one per CPE; more are
    #: CPE-like extras), share of objects carrying real-data drift, chunked answers, delay of live queries.
    monitoring_hosts: int | None = None
    monitoring_drift: float = 0.1
    #: Share of hosts monitoring knows without a registration (``__reghost__``-style placeholders or no
    #: registration keys at all): 97 of 111 hosts in one real 2025 sample, so code must meet them often.
    monitoring_unregistered: float = 0.3
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
