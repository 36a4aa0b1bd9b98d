"""Per-app namespaces: thin declarations of resources over the generic machinery."""

from .isp import Isp

__all__ = ["Isp"]
