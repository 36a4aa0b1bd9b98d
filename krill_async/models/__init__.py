"""Typed records (msgspec Structs) for Krill resources."""

from ._base import Record
from .auth import TokenPair, User
from .gpon import OnuStatus, UnconfiguredOnu
from .isp import Cpe, CpeActions, CpeLinkPaths, CpeLinks, Customer, Pots
from .oratio import AccountingSession, IpPoolEntry
from .pbx import Holiday, Pbx, PbxGroup, PbxQueue, PbxSchedule, Receptionist, ReceptionistOption
from .profiles import CpeProfile
from .rubik import (
    AddressSearch,
    CoverageCheck,
    OwnerSettings,
    RubikAddress,
    RubikProducts,
    RubikService,
    RubikSubaddress,
    RubikTicket,
    RubikUid,
    ServiceOrder,
    ServiceState,
)

__all__ = [
    "AccountingSession",
    "AddressSearch",
    "CoverageCheck",
    "Cpe",
    "CpeActions",
    "CpeLinkPaths",
    "CpeLinks",
    "CpeProfile",
    "Customer",
    "Holiday",
    "IpPoolEntry",
    "OnuStatus",
    "OwnerSettings",
    "Pbx",
    "PbxGroup",
    "PbxQueue",
    "PbxSchedule",
    "Pots",
    "Receptionist",
    "ReceptionistOption",
    "Record",
    "RubikAddress",
    "RubikProducts",
    "RubikService",
    "RubikSubaddress",
    "RubikTicket",
    "RubikUid",
    "ServiceOrder",
    "ServiceState",
    "TokenPair",
    "UnconfiguredOnu",
    "User",
]
