"""krill_async: async client for the Krill (Phicus) ISP management REST API v2.

async with Krill("https://krill.example.net", auth=("usuario", "contraseña")) as krill:
    async for cpe in krill.isp.cpes.list(realm="pim", attrs=["id", "cpename", "sn"]):
        ...
"""

from ._auth import Auth, BasicAuth, BearerToken, JWTLogin
from ._client import Krill
from ._pagination import Export, ListQuery, Page
from ._resource import App, Resource, declare
from ._timeouts import Timeout
from ._transport import Response
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
from .models import Cpe, CpeLinks, Customer, Pots, Record

__version__ = "0.1.0"

__all__ = [
    "APIStatusError",
    "App",
    "Auth",
    "BadRequest",
    "BasicAuth",
    "BearerToken",
    "ConnectError",
    "Cpe",
    "CpeLinks",
    "Customer",
    "DecodeError",
    "Export",
    "Forbidden",
    "IncompleteBody",
    "InvalidCredentials",
    "InvalidIdentifier",
    "JWTLogin",
    "Krill",
    "KrillError",
    "ListQuery",
    "MethodNotAllowed",
    "NotFound",
    "Page",
    "PaginationError",
    "Pots",
    "Record",
    "RequestTimeout",
    "Resource",
    "Response",
    "ServerError",
    "Throttled",
    "Timeout",
    "TransportError",
    "Unauthorized",
    "UnsafeURLError",
    "__version__",
    "declare",
]
