"""Per-app namespaces: thin declarations of resources over the generic machinery."""

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
