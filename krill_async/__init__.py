"""krill_async: async client for the Krill (Phicus) ISP management REST API v2.

async with Krill("https://krill.example.net", auth=("usuario", "contraseña")) as krill:
    async for cpe in krill.isp.cpes.list(realm="pim", attrs=["id", "cpename", "sn"]):
        ...
"""

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
    MethodNotAllowed,
    NotFound,
    PaginationError,
    RequestTimeout,
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
    "MethodNotAllowed",
    "Metric",
    "MetricFilter",
    "MonitoringObject",
    "NotFound",
    "ObjectStream",
    "Page",
    "PaginationError",
    "Pots",
    "Record",
    "RequestTimeout",
    "Resource",
    "Response",
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
    "__version__",
    "declare",
    "perf",
    "projection",
]
