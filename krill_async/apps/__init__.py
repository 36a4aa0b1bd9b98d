"""Per-app namespaces: thin declarations of resources over the generic machinery."""

from __future__ import annotations

from typing import TYPE_CHECKING

from krill_async._lazy import lazy_attributes

if TYPE_CHECKING:
    from .auth import AuthApp
    from .docsis import Docsis
    from .gpon import Gpon
    from .installer import Installer
    from .isp import Isp
    from .me import Me
    from .monitoring import Monitoring
    from .oratio import Oratio
    from .pbx import PbxApp
    from .plankton import Plankton
    from .rubik import Rubik
    from .v1 import ApiV1

__all__ = [
    "ApiV1",
    "AuthApp",
    "Docsis",
    "Gpon",
    "Installer",
    "Isp",
    "Me",
    "Monitoring",
    "Oratio",
    "PbxApp",
    "Plankton",
    "Rubik",
]

# Names are imported on first use, so `import krill_async` stays light (aiohttp, the app namespaces
# and their models load when something needs them). Type checkers read the imports above.
_LAZY: dict[str, str] = {
    "AuthApp": ".auth",
    "Docsis": ".docsis",
    "Gpon": ".gpon",
    "Installer": ".installer",
    "Isp": ".isp",
    "Me": ".me",
    "Monitoring": ".monitoring",
    "Oratio": ".oratio",
    "PbxApp": ".pbx",
    "Plankton": ".plankton",
    "Rubik": ".rubik",
    "ApiV1": ".v1",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
