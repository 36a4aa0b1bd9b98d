"""krill_async: async client for the Krill (Phicus) ISP management REST API v2.

async with Krill("https://krill.example.net", auth=("usuario", "contraseña")) as krill:
    async for cpe in krill.isp.cpes.list(realm="pim", attrs=["id", "cpename", "sn"]):
        ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from krill_async._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._actions import ActionOutcome, ActionResult, BulkActionError, BulkReport, CpeRef, CpeResource
    from ._auth import Auth, BasicAuth, BearerToken, JWTLogin
    from ._checks import InvalidArgument
    from ._client import Krill
    from ._pagination import DriftReport, Export, ListQuery, Page
    from ._projection import Selection, projection
    from ._resource import App, Resource, declare
    from ._resume import ResumePoint
    from ._retry import NO_RETRIES, RetryPolicy
    from ._stream_decode import ObjectStream
    from ._throttle import Throttle
    from ._timeouts import Timeout
    from ._transport import Response, TransportStats
    from ._write import WriteReport, write
    from ._writers import MissingExtra
    from .apps.monitoring import Metric, MetricFilter, SearchQuery, perf
    from .errors import (
        APIStatusError,
        BadRequest,
        ConnectError,
        DecodeError,
        Forbidden,
        IncompleteBody,
        InvalidCredentials,
        InvalidIdentifier,
        KrillError,
        LoginFailed,
        MethodNotAllowed,
        NotFound,
        PaginationError,
        RedirectError,
        RequestTimeout,
        ResponseTooLarge,
        ServerError,
        Throttled,
        TransportError,
        Unauthorized,
        UnsafeURLError,
    )
    from .models import (
        CoverageCheck,
        Cpe,
        CpeInfo,
        CpeLinks,
        CpeProfile,
        Customer,
        Graph,
        Holiday,
        Host,
        MonitoringObject,
        Pots,
        Record,
        RubikService,
        Series,
        Service,
        ServiceOrder,
        ServiceState,
    )

__version__ = "0.1.0"

__all__ = [
    "NO_RETRIES",
    "APIStatusError",
    "ActionOutcome",
    "ActionResult",
    "App",
    "Auth",
    "BadRequest",
    "BasicAuth",
    "BearerToken",
    "BulkActionError",
    "BulkReport",
    "ConnectError",
    "CoverageCheck",
    "Cpe",
    "CpeInfo",
    "CpeLinks",
    "CpeProfile",
    "CpeRef",
    "CpeResource",
    "Customer",
    "DecodeError",
    "DriftReport",
    "Export",
    "Forbidden",
    "Graph",
    "Holiday",
    "Host",
    "IncompleteBody",
    "InvalidArgument",
    "InvalidCredentials",
    "InvalidIdentifier",
    "JWTLogin",
    "Krill",
    "KrillError",
    "ListQuery",
    "LoginFailed",
    "MethodNotAllowed",
    "Metric",
    "MetricFilter",
    "MissingExtra",
    "MonitoringObject",
    "NotFound",
    "ObjectStream",
    "Page",
    "PaginationError",
    "Pots",
    "Record",
    "RedirectError",
    "RequestTimeout",
    "Resource",
    "Response",
    "ResponseTooLarge",
    "ResumePoint",
    "RetryPolicy",
    "RubikService",
    "SearchQuery",
    "Selection",
    "Series",
    "ServerError",
    "Service",
    "ServiceOrder",
    "ServiceState",
    "Throttle",
    "Throttled",
    "Timeout",
    "TransportError",
    "TransportStats",
    "Unauthorized",
    "UnsafeURLError",
    "WriteReport",
    "__version__",
    "declare",
    "perf",
    "projection",
    "write",
]

# Names are imported on first use, so `import krill_async` stays light (aiohttp, the app namespaces
# and their models load when something needs them). Type checkers read the imports above.
_LAZY: dict[str, str] = {
    "ActionOutcome": "._actions",
    "ActionResult": "._actions",
    "BulkActionError": "._actions",
    "BulkReport": "._actions",
    "CpeRef": "._actions",
    "CpeResource": "._actions",
    "Auth": "._auth",
    "BasicAuth": "._auth",
    "BearerToken": "._auth",
    "JWTLogin": "._auth",
    "InvalidArgument": "._checks",
    "Krill": "._client",
    "DriftReport": "._pagination",
    "Export": "._pagination",
    "ListQuery": "._pagination",
    "Page": "._pagination",
    "Selection": "._projection",
    "projection": "._projection",
    "App": "._resource",
    "Resource": "._resource",
    "declare": "._resource",
    "ResumePoint": "._resume",
    "NO_RETRIES": "._retry",
    "RetryPolicy": "._retry",
    "ObjectStream": "._stream_decode",
    "Throttle": "._throttle",
    "Timeout": "._timeouts",
    "Response": "._transport",
    "TransportStats": "._transport",
    "WriteReport": "._write",
    "write": "._write",
    "MissingExtra": "._writers",
    "Metric": ".apps.monitoring",
    "MetricFilter": ".apps.monitoring",
    "SearchQuery": ".apps.monitoring",
    "perf": ".apps.monitoring",
    "APIStatusError": ".errors",
    "BadRequest": ".errors",
    "ConnectError": ".errors",
    "DecodeError": ".errors",
    "Forbidden": ".errors",
    "IncompleteBody": ".errors",
    "InvalidCredentials": ".errors",
    "InvalidIdentifier": ".errors",
    "KrillError": ".errors",
    "LoginFailed": ".errors",
    "RedirectError": ".errors",
    "ResponseTooLarge": ".errors",
    "MethodNotAllowed": ".errors",
    "NotFound": ".errors",
    "PaginationError": ".errors",
    "RequestTimeout": ".errors",
    "ServerError": ".errors",
    "Throttled": ".errors",
    "TransportError": ".errors",
    "Unauthorized": ".errors",
    "UnsafeURLError": ".errors",
    "CoverageCheck": ".models",
    "Cpe": ".models",
    "CpeInfo": ".models",
    "CpeLinks": ".models",
    "CpeProfile": ".models",
    "Customer": ".models",
    "Graph": ".models",
    "Holiday": ".models",
    "Host": ".models",
    "MonitoringObject": ".models",
    "Pots": ".models",
    "Record": ".models",
    "RubikService": ".models",
    "Series": ".models",
    "Service": ".models",
    "ServiceOrder": ".models",
    "ServiceState": ".models",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
