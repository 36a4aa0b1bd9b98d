"""API v1 (``/api/cpes/``, ``/api/customers/``, ``/api/potses/``): still served, being retired.

v1 answers bare JSON arrays (no ``count``/``next``: one page holds everything) and CPE records without
``_links``, ``_services``, ``avatar``, ``is_router`` and ``tr069``. Use it to migrate, then move to
``krill.isp`` (see docs/migration.md).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .._resource import Resource
from ..models import Cpe, Customer, Pots

if TYPE_CHECKING:
    from .._client import Krill

__all__ = ["ApiV1"]


class ApiV1:
    """The three v1 resources, with the same calls as their v2 counterparts."""

    def __init__(self, client: Krill) -> None:
        self.client = client

    def __repr__(self) -> str:
        return "<API v1 /api/>"

    @cached_property
    def cpes(self) -> Resource[Cpe]:
        return Resource(self.client, "/api/cpes", Cpe)

    @cached_property
    def customers(self) -> Resource[Customer]:
        return Resource(self.client, "/api/customers", Customer)

    @cached_property
    def potses(self) -> Resource[Pots]:
        return Resource(self.client, "/api/potses", Pots)
