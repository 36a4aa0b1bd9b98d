"""Minimal HS256 JWTs shaped like djangorestframework-simplejwt tokens.

Only the stdlib is used so the simulator does not depend on PyJWT. The claims mirror the
SimpleJWT access token decoded from the Krill widget guide: ``token_type``, ``exp``, ``iat``,
``jti`` and ``user_id``; the header is ``{"typ":"JWT","alg":"HS256"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

__all__ = ["TokenError", "decode", "encode", "make_token"]

_HEADER = {"typ": "JWT", "alg": "HS256"}


class TokenError(Exception):
    """Raised when a token cannot be used; the message is SimpleJWT's wording."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def encode(payload: dict[str, Any], secret: bytes) -> str:
    """Sign ``payload`` with HS256 and return the compact JWT."""
    signing_input = f"{_b64url(_json(_HEADER))}.{_b64url(_json(payload))}"
    sig = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(sig)}"


def decode(token: str, secret: bytes, *, token_type: str, now: float | None = None) -> dict[str, Any]:
    """Verify signature, expiry and ``token_type``; return the claims.

    Raises `TokenError` with SimpleJWT's messages ("Token is invalid or expired",
    "Token has wrong type").
    """
    try:
        head_b64, body_b64, sig_b64 = token.split(".")
        signing_input = f"{head_b64}.{body_b64}".encode("ascii")
        expected = hmac.new(secret, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64url_decode(sig_b64)):
            raise TokenError("Token is invalid or expired")
        header = json.loads(_b64url_decode(head_b64))
        claims = json.loads(_b64url_decode(body_b64))
    except (ValueError, UnicodeError, TypeError) as exc:
        raise TokenError("Token is invalid or expired") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise TokenError("Token is invalid or expired")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise TokenError("Token is invalid or expired")
    if (time.time() if now is None else now) >= exp:
        raise TokenError("Token is invalid or expired")
    if claims.get("token_type") != token_type:
        raise TokenError("Token has wrong type")
    return claims


def make_token(
    token_type: str, user_id: int, lifetime: float, secret: bytes, *, now: float | None = None
) -> tuple[str, dict[str, Any]]:
    """Create a SimpleJWT-like token; returns ``(token, claims)``.

    ``iat`` is an integer like SimpleJWT's; ``exp`` stays an integer for whole-second
    lifetimes and becomes a float only for sub-second test lifetimes (JWT NumericDate allows it).
    """
    current = time.time() if now is None else now
    iat = int(current)
    exp: int | float
    exp = iat + int(lifetime) if float(lifetime).is_integer() else round(current + lifetime, 6)
    claims: dict[str, Any] = {
        "token_type": token_type,
        "exp": exp,
        "iat": iat,
        "jti": uuid.uuid4().hex,
        "user_id": user_id,
    }
    return encode(claims, secret), claims
