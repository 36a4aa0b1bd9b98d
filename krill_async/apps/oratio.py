"""``/api/v2/oratio/``: RADIUS accounting (PPPoE sessions), session disconnect, IP pool usage.

``accounting`` is the URL the Krill UI itself calls (no trailing slash). The disconnect and pool paths
are **unverified** (one undocumented source); the disconnect method is undocumented too (that source
says GET): it is sent with POST, once, never retried. Correct either with one line here.
"""

from __future__ import annotations

from typing import Any

from .._actions import ActionResult, acknowledgement
from .._checks import InvalidArgument
from .._pagination import ListQuery
from .._resource import App, Fields, Resource, declare
from .._retry import NO_RETRIES
from .._timeouts import TimeoutTypes, resolve_timeout
from .._urls import join_api_path, quote_identifier
from ..models.oratio import AccountingSession

__all__ = ["Oratio"]


class Oratio(App):
    """RADIUS sessions and IP pools."""

    name = "oratio"
    disconnect_path = "accounting/{id}/disconnect/"
    disconnect_method = "POST"
    pool_stats_path = "pools/{name}/stats/"

    accounting: declare[Resource[AccountingSession]] = declare("accounting", AccountingSession, trailing_slash=False)

    def sessions(
        self, *, online: bool | None = True, sort: Fields = None, **filters: Any
    ) -> ListQuery[AccountingSession]:
        """Accounting sessions, online ones by default (``online=None`` for every session the server keeps);
        ``sort="username"``, ``"-acctstarttime"``..."""
        return self.accounting.list(online=online, sort=sort, **filters)

    async def disconnect(self, session: AccountingSession | str, *, timeout: TimeoutTypes = None) -> ActionResult:
        """Disconnect a session by its ``acctuniqueid``; returns the server's message."""
        ident = session.acctuniqueid if isinstance(session, AccountingSession) else session
        if not ident:
            raise InvalidArgument("the session has no acctuniqueid (was it listed with attrs= leaving it out?)")
        path = self.disconnect_path.format(id=quote_identifier(ident))
        response = await self.client.transport.request(
            self.disconnect_method,
            join_api_path(self.client.root, f"{self.name}/{path}"),
            timeout=resolve_timeout(timeout, self.client.timeout),
            retry=NO_RETRIES,
        )
        return acknowledgement(ident, "disconnect", response)

    async def pool_stats(self, pool: str, *, into: Any = Any, timeout: TimeoutTypes = None) -> Any:
        """Usage of one IP pool (shape undocumented: plain JSON unless ``into`` is given)."""
        path = self.pool_stats_path.format(name=quote_identifier(pool))
        response = await self.client.transport.request(
            "GET",
            join_api_path(self.client.root, f"{self.name}/{path}"),
            timeout=resolve_timeout(timeout, self.client.timeout),
        )
        return response.json(into)
