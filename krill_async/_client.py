"""The client: one Krill deployment, one connection pool, shared safely by many tasks."""

from __future__ import annotations

import ssl as _ssl
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from yarl import URL

from ._admission import Admission
from ._auth import Auth, BasicAuth, BearerToken
from ._body import DEFAULT_MAX_BODY_SIZE
from ._limiter import VegasLimiter
from ._pacer import PACED_INITIAL_LIMIT, SMALL_SERVER, Pacer
from ._paging import DEFAULT_EXPORT_PAGE_SIZE, DEFAULT_PAGE_SIZE
from ._resource import App
from ._retry import RetryPolicy
from ._throttle import Throttle
from ._timeouts import Timeout, TimeoutTypes, resolve_timeout
from ._transport import Response, Transport, TransportStats
from ._urls import encode_params, join_api_path, normalise_base_url

if TYPE_CHECKING:
    import aiohttp

    from .apps import ApiV1, AuthApp, Docsis, Gpon, Installer, Isp, Me, Monitoring, Oratio, PbxApp, Plankton, Rubik

__all__ = ["Krill"]

_VERSION = "0.1.0"
#: ``Krill(max_concurrency=)``'s default: the adaptive export's bound on pages in flight (also its memory:
#: an export holds up to ``concurrency + 4`` pages; benchmarks/README.md says why 16).
DEFAULT_MAX_CONCURRENCY = 16


class Krill:
    """Async client for one Krill deployment.

    Use it as ``async with Krill(url, auth=...) as krill:`` or call [`aclose()`][krill_async.Krill.aclose] yourself; it
    is safe to share one client between many concurrent tasks (create it in your web app's lifespan).

    ``auth`` is a ``(username, password)`` tuple (HTTP Basic), a [`JWTLogin`][krill_async.JWTLogin], a
    [`BearerToken`][krill_async.BearerToken] or any `Auth`; ``token`` is a shortcut for ``BearerToken(token)``.
    ``concurrency="auto"`` (the default) lets exports find the server's pace: the number of pages in flight
    adapts to the round trips and overload answers the server shows, between 1 and ``max_concurrency``,
    shared by every export of the client; a number fixes it as before. Interactive calls (a ``get()``,
    an action, a small list) always take the next free slot before queued export pages, one slot
    (``reserve``) is kept for them, and they are not held to the pages' limit: up to ``max_in_flight``
    of them may be in flight. ``pacing="auto"`` (the default) also paces adaptive exports to the
    server's measured pace when the server turns out small (one or two workers), which keeps it from
    holding a queued page in front of those calls; the limit then starts at 2 pages instead of 8.
    ``pacing=True`` paces whatever the server (it can take the client's own pace for the server's on a
    large one: see docs/reliability.md), ``pacing=False`` never does. Pass ``session`` to use your own
    ``aiohttp.ClientSession`` (the client then never closes it); ``ssl`` takes an ``ssl.SSLContext`` for
    a private CA (``False`` disables verification: never do that in production).

    ``retry`` is the [`RetryPolicy`][krill_async.RetryPolicy] for every call (``NO_RETRIES`` turns retries off);
    ``max_in_flight`` caps requests in flight across every call and export (default: the concurrency bound
    plus the reserve);
    ``rate_limit`` caps requests per second. A 429 pauses every request of the client (for at most the
    retry policy's ``max_retry_after``). ``max_body_size`` bounds every answer's body, decompressed (128 MiB
    by default): a larger one raises [ResponseTooLarge][krill_async.ResponseTooLarge].
    """

    def __init__(
        self,
        base_url: str | URL,
        *,
        auth: Auth | tuple[str, str] | None = None,
        token: str | None = None,
        timeout: Timeout | float | None = None,
        concurrency: int | Literal["auto"] = "auto",
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        reserve: int = 1,
        pacing: bool | Literal["auto"] = "auto",
        page_size: int = DEFAULT_PAGE_SIZE,
        export_page_size: int = DEFAULT_EXPORT_PAGE_SIZE,
        session: aiohttp.ClientSession | None = None,
        ssl: _ssl.SSLContext | bool = True,
        user_agent: str | None = None,
        retry: RetryPolicy | None = None,
        max_in_flight: int | None = None,
        rate_limit: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        if auth is not None and token is not None:
            raise ValueError("give either auth= or token=, not both")
        if isinstance(auth, tuple):
            if len(auth) != 2 or not all(isinstance(part, str) for part in auth):
                raise TypeError("auth tuple must be (username, password)")
            auth = BasicAuth(*auth)
        elif token is not None:
            auth = BearerToken(token)
        elif auth is not None and not isinstance(auth, Auth):
            raise TypeError("auth must be a (username, password) tuple or an Auth instance")
        if concurrency != "auto" and (isinstance(concurrency, bool) or not isinstance(concurrency, int)):
            raise TypeError(f"concurrency must be 'auto' or a number of requests, not {concurrency!r}")
        bound = max_concurrency if concurrency == "auto" else concurrency
        if bound < 1 or reserve < 0:
            raise ValueError("concurrency (and max_concurrency) must be at least 1, reserve 0 or more")
        if max_in_flight is not None and (isinstance(max_in_flight, bool) or max_in_flight < 1):
            raise ValueError("max_in_flight must be at least 1 (or None: the concurrency bound plus the reserve)")
        in_flight_cap = bound + reserve if max_in_flight is None else max_in_flight
        # (the pages' limit never reaches past the cap less the reserve: a page admitted would only wait there)
        adaptive_bound = min(bound, max(1, in_flight_cap - reserve))
        if page_size < 1 or export_page_size < 1:
            raise ValueError("page sizes must be positive")
        self.root = normalise_base_url(base_url)
        self.timeout = resolve_timeout(timeout, Timeout())
        #: Pages an export has in flight at most (it holds 4 more done, waiting for the consumer).
        self.concurrency = bound
        #: ``"auto"`` (adaptive) or the fixed number of export pages in flight.
        self.concurrency_mode: int | Literal["auto"] = concurrency
        if pacing not in (True, False, "auto"):
            raise TypeError(f"pacing must be 'auto', True or False, not {pacing!r}")
        pacer: Pacer | None = None
        if concurrency == "auto":
            if pacing:
                limiter = VegasLimiter(
                    initial=min(PACED_INITIAL_LIMIT, adaptive_bound), max_limit=adaptive_bound, verify_knee=True
                )
                pacer = Pacer(small_server=SMALL_SERVER if pacing == "auto" else None)
            else:
                limiter = VegasLimiter(initial=min(VegasLimiter.INITIAL, adaptive_bound), max_limit=adaptive_bound)
        else:
            limiter = VegasLimiter(initial=bound, min_limit=bound, max_limit=bound)
        #: Client-wide admission: every request of this client goes through it (interactive calls first);
        #: adaptive exports are also paced to a small server's measured pace (``pacing``).
        #: Interactive calls are capped by ``max_in_flight`` (and by their own overload answers), not by the
        #: pages' limit (which learns from pages only, and stays at its first value on a client that runs
        #: no export).
        self.admission = Admission(limiter, reserve=reserve, pacer=pacer, max_in_flight=in_flight_cap)
        self.page_size = page_size
        self.export_page_size = export_page_size
        #: The credentials object (``krill.auth`` is the ``/api/v2/auth/`` namespace).
        self.credentials = auth
        self.transport = Transport(
            root=self.root,
            auth=auth,
            timeout=self.timeout,
            max_connections=bound + reserve,
            session=session,
            ssl_context=ssl,
            user_agent=user_agent or f"krill-async/{_VERSION}",
            retry=retry,
            throttle=Throttle(in_flight_cap, rate_limit, admission=self.admission),
            max_body_size=max_body_size,
        )

    def __repr__(self) -> str:
        auth = type(self.credentials).__name__ if self.credentials is not None else None
        return f"<Krill {self.root} auth={auth} concurrency={self.concurrency_mode!r}>"

    # -- lifecycle ------------------------------------------------------------------------------------

    async def __aenter__(self) -> Krill:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool the client created (a caller-owned session is left open)."""
        await self.transport.aclose()

    @property
    def closed(self) -> bool:
        return self.transport.closed

    @property
    def stats(self) -> TransportStats:
        """Requests sent, retries and final failures of this client so far."""
        return self.transport.stats

    # -- namespaces -----------------------------------------------------------------------------------

    @cached_property
    def isp(self) -> Isp:
        """CRM: customers, CPEs, POTS lines."""
        from .apps.isp import Isp

        return Isp(self)

    @cached_property
    def monitoring(self) -> Monitoring:
        """Monitoring: typed search of hosts and services, live CPE info, graphs, datasets."""
        from .apps.monitoring import Monitoring

        return Monitoring(self)

    @cached_property
    def pbx(self) -> PbxApp:
        """Virtual PBX: pbxs, receptionists, groups, queues, DDIs, schedules, holidays."""
        from .apps.pbx import PbxApp

        return PbxApp(self)

    @cached_property
    def oratio(self) -> Oratio:
        """RADIUS: PPPoE accounting sessions, disconnect, IP pool usage."""
        from .apps.oratio import Oratio

        return Oratio(self)

    @cached_property
    def gpon(self) -> Gpon:
        """GPON: live ONU status per PON port, unconfigured ONUs."""
        from .apps.gpon import Gpon

        return Gpon(self)

    @cached_property
    def docsis(self) -> Docsis:
        """DOCSIS: CMTSs, MAC domains, fiber nodes."""
        from .apps.docsis import Docsis

        return Docsis(self)

    @cached_property
    def rubik(self) -> Rubik:
        """Wholesale FTTH: addresses, coverage, services, tickets."""
        from .apps.rubik import Rubik

        return Rubik(self)

    @cached_property
    def plankton(self) -> Plankton:
        """Plankton FTTH services."""
        from .apps.plankton import Plankton

        return Plankton(self)

    @cached_property
    def auth(self) -> AuthApp:
        """``/api/v2/auth/``: login, token refresh, current user (the credentials are ``krill.credentials``)."""
        from .apps.auth import AuthApp

        return AuthApp(self)

    @cached_property
    def me(self) -> Me:
        """What the calling user may use."""
        from .apps.me import Me

        return Me(self)

    @cached_property
    def installer(self) -> Installer:
        """The installer app's CPE lookup and unconfigured ONUs."""
        from .apps.installer import Installer

        return Installer(self)

    @cached_property
    def v1(self) -> ApiV1:
        """API v1 (``/api/cpes/``...): bare-array answers, being retired; see docs/migration.md."""
        from .apps.v1 import ApiV1

        return ApiV1(self)

    def app(self, name: str) -> App:
        """Any app by name, for resources this library does not declare: ``krill.app("pbx").resource("queues")``."""
        return App(self, name)

    # -- raw access -----------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
    ) -> Response:
        """Send any request. ``path`` is relative to ``/api/v2/`` (``"isp/cpes/74/"``), or absolute from
        the deployment root (``"/api/cpes/"`` for API v1). Returns the complete [`Response`][krill_async.Response];
        HTTP errors raise like everywhere else."""
        return await self.transport.request(
            method,
            join_api_path(self.root, path),
            params=encode_params(params),
            json=json,
            data=data,
            headers=headers,
            timeout=resolve_timeout(timeout, self.timeout),
        )
