"""Authentication records: JWT pairs and the current user."""

from __future__ import annotations

from typing import ClassVar

from ._base import UNSET, Record, seal_records

__all__ = ["TokenPair", "User"]


class TokenPair(Record):
    """SimpleJWT tokens from ``auth/login`` (both) or ``auth/refresh`` (``access`` only). Hidden in ``repr``."""

    __secret_fields__: ClassVar[frozenset[str]] = frozenset({"access", "refresh"})

    access: str | None = UNSET
    refresh: str | None = UNSET


class User(Record):
    """The calling user (dj-rest-auth ``user/`` shape, inferred)."""

    pk: int | None = UNSET
    id: int | None = UNSET
    username: str | None = UNSET
    email: str | None = UNSET
    first_name: str | None = UNSET
    last_name: str | None = UNSET


seal_records(list(globals().values()))
