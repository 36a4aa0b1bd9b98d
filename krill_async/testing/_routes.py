"""Which URLs the real Krill resolves, and with which trailing slash (the simulator's strict mode).

Krill is a Django app: its URL resolver runs before any view, so a URL that matches no pattern gets
Django's HTML "Not Found" page (``DEBUG=False``), and ``CommonMiddleware`` with ``APPEND_SLASH`` answers
``301`` to the slashed URL (query string kept) when only the slashed form resolves, whatever the method
(so a ``POST`` to a slashless URL is redirected too, and clients that follow it lose the body). All this
happens before authentication.

Each route below carries the slash policy its evidence supports (krill-api-facts and the vendor's samples):

* ``SLASH``: DRF's router default; the slashless form is redirected. Every route without other evidence.
* ``NOSLASH``: a vendor sample or link shows the slashless form working and nothing shows the slashed one
  (``/monitoring/hosts/{name}``, ``/monitoring/cpes/{id}/info``, the ``_links`` of CPE actions and related
  resources, Rubik ``products``); the slashed form is a 404, since Django never removes a slash.
* ``BOTH``: working samples show both forms (``/auth/login``: jmq-krill and the changelog;
  ``/monitoring/search``: the Spanish overview and jmq-krill; Rubik ``subaddresses``), or the vendor names a
  DRF route slashless (``/monitoring/status/summary``, ``/monitoring/hostgroups`` in the changelog;
  ``/oratio/accounting`` in the Phicus UI prototype).

The lenient mode (``SimulatorConfig(strict=False)``) accepts any slash form and answers DRF's JSON 404.
"""

from __future__ import annotations

import re
from enum import Enum

from aiohttp import web

from ._http import _COMMON_HEADERS

__all__ = [
    "NOT_FOUND_HTML",
    "Policy",
    "cpe_layout_of",
    "not_found_page",
    "policy_for",
    "redirect_to_slash",
    "slash_check",
]


class Policy(Enum):
    SLASH = "slash"
    NOSLASH = "noslash"
    BOTH = "both"


_ID = r"[^/]+"
_CPE_SUB = (
    "reboot|factory|reconfig|reprovision|unprovision|cwmp_diagnostic|"
    "customer|potses|profile|model|events|logs|livestatus|links|info|cwmp_info"
)
_TABLE = {
    "pbx": "pbxs|recepcionists|groups|queues|ddis|schedules|holidays",
    "docsis": "cmtss|mac-domains|fiber-nodes",
}
_RAW_ROUTES: list[tuple[str, Policy]] = [
    # API v1 and the CRM (the overview's requests are all slashed)
    (rf"/api/(cpes|customers|potses)(/{_ID})?", Policy.SLASH),
    (rf"/api/v2/isp/(cpes|customers|potses|cpe-profiles)(/{_ID})?", Policy.SLASH),
    # CPE actions and related resources: the _links of the overview, of 2025 data and of the Postman sample
    (rf"/api/v2/(isp/)?cpes/{_ID}/({_CPE_SUB})", Policy.NOSLASH),
    (r"/api/v2/auth/login", Policy.BOTH),
    (r"/api/v2/auth/(token|refresh|user)", Policy.SLASH),
    (r"/api/v2/me/apps", Policy.SLASH),
    (r"/api/v2/monitoring/search", Policy.BOTH),
    (rf"/api/v2/monitoring/hosts/{_ID}", Policy.NOSLASH),
    (rf"/api/v2/monitoring/cpes/{_ID}/info", Policy.NOSLASH),
    (r"/api/v2/monitoring/(graphs|datasets)", Policy.SLASH),
    (r"/api/v2/monitoring/(status/summary|hostgroups)", Policy.BOTH),
    (rf"/api/v2/gpon/olts/{_ID}/frames/{_ID}/slots/{_ID}/ports/{_ID}/onus/status", Policy.SLASH),
    (rf"/api/v2/gpon/unconfigured(/{_ID})?(/enable)?", Policy.SLASH),
    (rf"/api/v2/installer/cpes(/{_ID})?(/info)?", Policy.SLASH),
    (r"/api/v2/installer/gpon/unconfigured", Policy.SLASH),
    (r"/api/v2/oratio/accounting", Policy.BOTH),
    (rf"/api/v2/oratio/(accounting/{_ID}/disconnect|pools/{_ID}/stats)", Policy.SLASH),
    (rf"/api/v2/pbx/({_TABLE['pbx']})(/{_ID})?", Policy.SLASH),
    (rf"/api/v2/pbx/customers/{_ID}/pbxs/{_ID}/(ddis|queues|groups|recepcionists)", Policy.SLASH),
    (r"/api/v2/rubik/(addresses|verify|owner-settings)", Policy.SLASH),
    (r"/api/v2/rubik/subaddresses", Policy.BOTH),
    (r"/api/v2/rubik/products", Policy.NOSLASH),
    (rf"/api/v2/rubik/(services|tickets)(/{_ID})?", Policy.SLASH),
    (rf"/api/v2/docsis/({_TABLE['docsis']})(/{_ID})?", Policy.SLASH),
    (rf"/api/v2/plankton/services(/{_ID})?", Policy.SLASH),
]
_ROUTES = [(re.compile(f"^{pattern}$"), policy) for pattern, policy in _RAW_ROUTES]

NOT_FOUND_HTML = b"""<!doctype html>
<html lang="en">
<head>
  <title>Not Found</title>
</head>
<body>
  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>
</body>
</html>
"""
"""Django's default 404 page with ``DEBUG=False`` (``django.views.defaults.page_not_found``)."""


def policy_for(path: str) -> Policy | None:
    """The slash policy of the route ``path`` (with or without its trailing slash) resolves to, if any."""
    bare = path[:-1] if path.endswith("/") and len(path) > 1 else path
    for pattern, policy in _ROUTES:
        if pattern.match(bare):
            return policy
    return None


def slash_check(path: str) -> str | None:
    """``"ok"`` when the path resolves as sent, ``"redirect"`` when Django would append a slash, ``None``
    when it resolves to nothing (a 404 page)."""
    policy = policy_for(path)
    if policy is None:
        return None
    slashed = path.endswith("/")
    if policy is Policy.BOTH or (policy is Policy.SLASH) == slashed:
        return "ok"
    return "redirect" if policy is Policy.SLASH else None


_CPE_SUB_RE = re.compile(rf"^/api/v2/(isp/)?cpes/{_ID}/({_CPE_SUB})/?$")


def cpe_layout_of(path: str) -> str | None:
    """``"vendor"`` for ``/api/v2/cpes/{id}/<x>``, ``"isp"`` for ``/api/v2/isp/cpes/{id}/<x>``, else None."""
    match = _CPE_SUB_RE.match(path)
    if match is None:
        return None
    return "isp" if match.group(1) else "vendor"


def not_found_page() -> web.Response:
    """Django's HTML 404 (``text/html``), as the real server answers a URL that resolves to nothing."""
    resp = web.Response(status=404, body=NOT_FOUND_HTML, headers=_COMMON_HEADERS)
    resp.content_type = "text/html"
    resp.charset = "utf-8"
    return resp


def redirect_to_slash(raw_path: str, raw_query: str) -> web.Response:
    """``CommonMiddleware``'s ``301`` to the slashed URL; like Django >= 1.9 the Location is the path with
    the query string as sent (not an absolute URL)."""
    location = raw_path + "/" + (f"?{raw_query}" if raw_query else "")
    resp = web.Response(status=301, headers=_COMMON_HEADERS)
    resp.content_type = "text/html"
    resp.charset = "utf-8"
    resp.headers["Location"] = location
    return resp
