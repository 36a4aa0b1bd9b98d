"""Simulated Krill apps beyond ``isp``: one module each, registering itself with ``register_app``.

Modules here are imported on the first request to an app that is not built in; see ``_apps.py``.
"""
