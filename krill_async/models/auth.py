"""Authentication records: JWT pairs and the current user."""

from __future__ import annotations

from typing import ClassVar

from ._base import Record

__all__ = ["TokenPair", "User"]


class TokenPair(Record):
    """SimpleJWT tokens from ``auth/login`` (both) or ``auth/refresh`` (``access`` only). Hidden in ``repr``."""

    __secret_fields__: ClassVar[frozenset[str]] = frozenset({"access", "refresh"})

    access: str | None = None
    refresh: str | None = None


class User(Record):
    """The calling user (dj-rest-auth ``user/`` shape, inferred)."""

    pk: int | None = None
    id: int | None = None
    username: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
