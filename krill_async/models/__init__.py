"""Typed records (msgspec Structs) for Krill resources."""

from ._base import Record
from .isp import Cpe, CpeActions, CpeLinkPaths, CpeLinks, Customer, Pots

__all__ = ["Cpe", "CpeActions", "CpeLinkPaths", "CpeLinks", "Customer", "Pots", "Record"]
