"""A simulated Krill (Phicus) API server for testing and benchmarking krill_async.

The simulator is written from the documented facts of the real API, independently of the
client, so it can catch client bugs. Names are imported lazily so that loading the pytest
plugin (which lives in this package) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._data import Network
    from ._faults import Fault
    from ._server import KrillSimulator, RequestInfo, RequestRecord, SimulatorConfig, SimulatorStats
    from ._spawn import spawn_simulator

__all__ = [
    "Fault",
    "KrillSimulator",
    "Network",
    "RequestInfo",
    "RequestRecord",
    "SimulatorConfig",
    "SimulatorStats",
    "spawn_simulator",
]

_LOCATIONS = {
    "KrillSimulator": "._server",
    "RequestInfo": "._server",
    "RequestRecord": "._server",
    "SimulatorConfig": "._server",
    "SimulatorStats": "._server",
    "Network": "._data",
    "Fault": "._faults",
    "spawn_simulator": "._spawn",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
