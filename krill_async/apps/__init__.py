"""Per-app namespaces: thin declarations of resources over the generic machinery."""

from .auth import AuthApp
from .docsis import Docsis
from .gpon import Gpon
from .installer import Installer
from .isp import Isp
from .me import Me
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
    "Oratio",
    "PbxApp",
    "Plankton",
    "Rubik",
]
