"""``/api/v2/me/``: what the calling user may use (named in the guide; ``apps/`` is **unverified**)."""

from __future__ import annotations

from typing import Any

from .._resource import App, Resource, declare

__all__ = ["Me"]


class Me(App):
    """The calling user's view of Krill."""

    name = "me"

    apps: declare[Resource[dict[str, Any]]] = declare("apps", dict[str, Any])
