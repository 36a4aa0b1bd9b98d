"""Typed records (msgspec Structs) for Krill resources."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import Record
    from .auth import TokenPair, User
    from .gpon import OnuStatus, UnconfiguredOnu
    from .isp import Cpe, CpeActions, CpeLinkPaths, CpeLinks, Customer, Pots
    from .monitoring import (
        AdministrativeInfo,
        CheckResult,
        CpeInfo,
        DataPoint,
        DatasetMetric,
        Graph,
        GraphDataset,
        Host,
        HostAttrs,
        HostVars,
        MonitoringObject,
        ObjectAttrs,
        PerfData,
        PonPort,
        Registration,
        Series,
        Service,
        ServiceAttrs,
    )
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
    "AdministrativeInfo",
    "CheckResult",
    "CoverageCheck",
    "Cpe",
    "CpeActions",
    "CpeInfo",
    "CpeLinkPaths",
    "CpeLinks",
    "CpeProfile",
    "Customer",
    "DataPoint",
    "DatasetMetric",
    "Graph",
    "GraphDataset",
    "Holiday",
    "Host",
    "HostAttrs",
    "HostVars",
    "IpPoolEntry",
    "MonitoringObject",
    "ObjectAttrs",
    "OnuStatus",
    "OwnerSettings",
    "Pbx",
    "PbxGroup",
    "PbxQueue",
    "PbxSchedule",
    "PerfData",
    "PonPort",
    "Pots",
    "Receptionist",
    "ReceptionistOption",
    "Record",
    "Registration",
    "RubikAddress",
    "RubikProducts",
    "RubikService",
    "RubikSubaddress",
    "RubikTicket",
    "RubikUid",
    "Series",
    "Service",
    "ServiceAttrs",
    "ServiceOrder",
    "ServiceState",
    "TokenPair",
    "UnconfiguredOnu",
    "User",
]

# Names are imported on first use, so `import krill_async` stays light (aiohttp, the app namespaces
# and their models load when something needs them). Type checkers read the imports above.
_LAZY: dict[str, str] = {
    "Record": "._base",
    "TokenPair": ".auth",
    "User": ".auth",
    "OnuStatus": ".gpon",
    "UnconfiguredOnu": ".gpon",
    "Cpe": ".isp",
    "CpeActions": ".isp",
    "CpeLinkPaths": ".isp",
    "CpeLinks": ".isp",
    "Customer": ".isp",
    "Pots": ".isp",
    "AdministrativeInfo": ".monitoring",
    "CheckResult": ".monitoring",
    "CpeInfo": ".monitoring",
    "DataPoint": ".monitoring",
    "DatasetMetric": ".monitoring",
    "Graph": ".monitoring",
    "GraphDataset": ".monitoring",
    "Host": ".monitoring",
    "HostAttrs": ".monitoring",
    "HostVars": ".monitoring",
    "MonitoringObject": ".monitoring",
    "ObjectAttrs": ".monitoring",
    "PerfData": ".monitoring",
    "PonPort": ".monitoring",
    "Registration": ".monitoring",
    "Series": ".monitoring",
    "Service": ".monitoring",
    "ServiceAttrs": ".monitoring",
    "AccountingSession": ".oratio",
    "IpPoolEntry": ".oratio",
    "Holiday": ".pbx",
    "Pbx": ".pbx",
    "PbxGroup": ".pbx",
    "PbxQueue": ".pbx",
    "PbxSchedule": ".pbx",
    "Receptionist": ".pbx",
    "ReceptionistOption": ".pbx",
    "CpeProfile": ".profiles",
    "AddressSearch": ".rubik",
    "CoverageCheck": ".rubik",
    "OwnerSettings": ".rubik",
    "RubikAddress": ".rubik",
    "RubikProducts": ".rubik",
    "RubikService": ".rubik",
    "RubikSubaddress": ".rubik",
    "RubikTicket": ".rubik",
    "RubikUid": ".rubik",
    "ServiceOrder": ".rubik",
    "ServiceState": ".rubik",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
