"""Simulated Krill apps beyond ``isp``: one module each, registering itself with ``register_app``.

Modules here are imported on the first request to an app that is not built in; see ``_apps.py``.
`app_state()` gives tests what the apps keep: ``app_state(sim).actions`` (every CPE action, session
disconnect and ONU enable received) and ``app_state(sim).action_failures`` (forced answers per CPE).
"""

from ._state import ActionCall, AppState, app_state

__all__ = ["ActionCall", "AppState", "app_state"]
