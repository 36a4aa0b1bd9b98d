"""``/api/v2/plankton/``: CRUD of Plankton FTTH services, for external CRMs.

Only the purpose is documented: the ``services`` path is an **unverified** guess and records are plain
dicts. Correct the path with one line here, or reach another with ``krill.plankton.resource("...")``.
"""

from __future__ import annotations

from typing import Any

from .._resource import App, Resource, declare

__all__ = ["Plankton"]


class Plankton(App):
    """Plankton FTTH services: list, get, create, update, patch, delete."""

    name = "plankton"

    services: declare[Resource[dict[str, Any]]] = declare("services", dict[str, Any])
