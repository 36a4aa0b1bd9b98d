"""``/api/v2/docsis/``: CMTSs, MAC domains and fiber nodes.

The guide names these objects and nothing else: the three paths are **unverified** guesses in Krill's
naming style (``cpe-profiles``) and the records are plain dicts until a real answer is seen. Correct a
path with one line here; pass ``into=`` your own Struct to any call for typed records.
"""

from __future__ import annotations

from typing import Any

from .._resource import App, Resource, declare

__all__ = ["Docsis"]


class Docsis(App):
    """Cable (DOCSIS) plant: CMTSs, their MAC domains, fiber nodes."""

    name = "docsis"

    cmtss: declare[Resource[dict[str, Any]]] = declare("cmtss", dict[str, Any])
    mac_domains: declare[Resource[dict[str, Any]]] = declare("mac-domains", dict[str, Any])
    fiber_nodes: declare[Resource[dict[str, Any]]] = declare("fiber-nodes", dict[str, Any])
