"""Where a CPE action or link goes, given what the client knows: pure functions, no I/O.

Deployments link CPE actions and related resources under different prefixes: ``/api/v2/cpes/{id}/...``
(the vendor's overview, 2023, and real data, 2025) or ``/api/v2/isp/cpes/{id}/...`` (a 2023 Postman
sample). A record's own ``_links`` are the truth for that record; for a bare id the client fills a
*template* learnt from any ``_links`` it has decoded, else the vendor's form. A guess that answers 404 has
done nothing, so one informed retry (from the CPE's own ``_links``) is safe: `informed_attempt()`
chooses it, or says there is none.

Every URL is built with the client's own helpers (`rebase_link()` for links,
`join_api_path()` for templates), so it stays on the configured origin; a link
those helpers refuse (``file:///etc/passwd``) raises [`UnsafeURLError`][krill_async.errors.UnsafeURLError], a
[`KrillError`][krill_async.KrillError], never a bare ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from yarl import URL

from ..._urls import join_api_path, quote_identifier, rebase_link
from ...errors import KrillError, UnsafeURLError
from ...models import Cpe
from .targets import ACTIONS, LINKS, CpeTarget, cpe_key

__all__ = [
    "ISP_TEMPLATE",
    "KNOWN_TEMPLATES",
    "VENDOR_TEMPLATE",
    "Attempt",
    "Kind",
    "LayoutMemory",
    "cpe_url",
    "fill",
    "first_attempt",
    "informed_attempt",
    "learn_template",
    "record_links",
    "resolve_cpe_path",
    "template_from_link",
]

Kind = Literal["actions", "links"]
Source = Literal["record", "forced", "learnt", "default", "informed"]
KINDS: tuple[Kind, Kind] = ("actions", "links")

#: The vendor's documented form (overview 2023, real data 2025): tried first when nothing is known.
VENDOR_TEMPLATE = "/api/v2/cpes/{id}/{segment}"
#: The 2023 Postman sample's form.
ISP_TEMPLATE = "/api/v2/isp/cpes/{id}/{segment}"
#: Both known forms, in the order an uninformed retry tries them.
KNOWN_TEMPLATES = (VENDOR_TEMPLATE, ISP_TEMPLATE)

_PROBE_ROOT = URL("http://probe.invalid/")
_PLACEHOLDER = re.compile(r"\{(id|segment)\}")


@dataclass(frozen=True)
class Attempt:
    """One path to try. ``link`` paths come from ``_links`` (rebased); others are filled templates
    (relative to ``/api/v2/``, or from the root when they start with ``/``)."""

    path: str
    source: Source
    link: bool = False

    @property
    def may_retry(self) -> bool:
        """Only a guess may be corrected after a 404: a record's own link or a forced template is final."""
        return self.source in ("learnt", "default")


def fill(template: str, ident: str, segment: str) -> str:
    """``template`` with ``{id}`` and ``{segment}`` replaced; a segment's query (``events?type=cdr``)
    goes after the whole path, so a trailing-slash template stays well-formed.

    One pass, not ``str.format``: a value is never read as a placeholder, and a template learnt from a
    server's link cannot reach attributes the way a format field could.
    """
    segment_path, sep, query = segment.partition("?")
    values = {"id": ident, "segment": segment_path}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template) + sep + query


def cpe_url(root: URL, attempt: Attempt) -> URL:
    """The URL for ``attempt`` on the client's origin; a link the helpers refuse raises UnsafeURLError."""
    try:
        if attempt.link:
            return rebase_link(attempt.path, root=root, request_url=root)
        base, sep, query = attempt.path.partition("?")
        url = join_api_path(root, base)
        return url.with_query(query) if sep else url
    except KrillError:
        raise
    except ValueError as exc:  # rebase_link refuses a scheme or an empty link with a bare ValueError
        raise UnsafeURLError(f"refusing the CPE link {attempt.path!r}: {exc}") from None


def _ident_of(record: Cpe | Mapping[str, Any]) -> str | None:
    value = record.id if isinstance(record, Cpe) else record.get("id")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        return quote_identifier(value)
    except ValueError:
        return None


def record_links(record: Cpe | Mapping[str, Any] | None, kind: Kind) -> dict[str, str] | None:
    """The ``_links.<kind>`` entries of a record (a [`Cpe`][krill_async.Cpe] or a plain dict), or None when the
    record carries no ``_links`` at all (an empty dict means ``_links`` without this kind)."""
    if record is None:
        return None
    if isinstance(record, Cpe):
        if record.links is None:
            return None
        paths = record.links.actions if kind == "actions" else record.links.links
        if paths is None:
            return {}
        found = {name: getattr(paths, name) for name in paths.__struct_fields__}
        return {name: value for name, value in found.items() if isinstance(value, str) and value}
    links = record.get("_links")
    if not isinstance(links, Mapping):
        return None
    entries = links.get(kind)
    if not isinstance(entries, Mapping):
        return {}
    return {str(k): v for k, v in entries.items() if isinstance(v, str) and v}


def template_from_link(link: str, ident: str | None, segment: str) -> str | None:
    """The template a link follows (``/api/v2/cpes/350/reboot`` -> ``/api/v2/cpes/{id}/{segment}``), or
    None when the link does not have the expected shape ``<prefix>/<id>/<segment>[/]`` (or a scheme the
    client refuses: such a link teaches nothing)."""
    try:
        url = rebase_link(link, root=_PROBE_ROOT, request_url=_PROBE_ROOT)
    except ValueError:
        return None
    raw = url.raw_path
    trailing = raw.endswith("/") and raw != "/"
    head, _, last = raw.rstrip("/").rpartition("/")
    prefix, _, id_segment = head.rpartition("/")
    if last != segment.partition("?")[0] or not id_segment or not prefix.startswith("/"):
        return None
    if (ident is not None and id_segment != ident) or "{" in prefix or "}" in prefix:
        return None
    return prefix + "/{id}/{segment}" + ("/" if trailing else "")


def learn_template(record: Cpe | Mapping[str, Any], kind: Kind) -> str | None:
    """The template of the first ``_links.<kind>`` entry of ``record`` that has the expected shape."""
    entries = record_links(record, kind)
    if not entries:
        return None
    names = ACTIONS if kind == "actions" else LINKS
    ident = _ident_of(record)
    for name, link in entries.items():
        segment = names.get(name)
        template = template_from_link(link, ident, segment) if segment is not None else None
        if template is not None:
            return template
    return None


def first_attempt(
    target: CpeTarget, kind: Kind, name: str, segment: str, *, forced: str | None, learnt: str | None
) -> Attempt:
    """Which path to try first: the record's own link, else the forced template, else the template learnt
    on this client, else the vendor's form."""
    if isinstance(target, Cpe):
        link = (record_links(target, kind) or {}).get(name)
        if link:
            return Attempt(link, "record", link=True)
    ident = quote_identifier(cpe_key(target))
    if forced is not None:
        return Attempt(fill(forced, ident, segment), "forced")
    if learnt is not None:
        return Attempt(fill(learnt, ident, segment), "learnt")
    return Attempt(fill(VENDOR_TEMPLATE, ident, segment), "default")


def informed_attempt(
    tried: URL,
    fetched: Cpe | Mapping[str, Any] | None,
    kind: Kind,
    name: str,
    segment: str,
    ident: str,
    root: URL,
) -> Attempt | None:
    """The one retry after a guess at ``tried`` answered 404, from the CPE record fetched since, or None.

    The record's own link wins; a record with ``_links`` but not this one lends the layout of its other
    entries; a record without ``_links`` (or none fetched) leaves the known forms. A candidate equal to
    ``tried`` is no retry: the server has already said 404 there.
    """
    entries = record_links(fetched, kind)
    candidates: list[Attempt] = []
    if entries is not None and fetched is not None:
        if name in entries:
            candidates.append(Attempt(entries[name], "informed", link=True))
        else:
            other: Kind = "links" if kind == "actions" else "actions"
            template = learn_template(fetched, kind) or learn_template(fetched, other)
            if template is not None:
                candidates.append(Attempt(fill(template, ident, segment), "informed"))
    else:
        candidates.extend(Attempt(fill(t, ident, segment), "informed") for t in KNOWN_TEMPLATES)
    for candidate in candidates:
        if cpe_url(root, candidate) != tried:
            return candidate
    return None


class LayoutMemory:
    """What one client knows of its deployment's CPE paths: one template per kind.

    Kept on the client's ``krill.isp.cpes`` (never module-wide), so two clients for two deployments
    never share it. A kind not seen borrows the other kind's template (every known deployment uses one
    prefix for both).
    """

    def __init__(self) -> None:
        self._templates: dict[Kind, str] = {}

    def __repr__(self) -> str:
        return f"<LayoutMemory {self._templates!r}>"

    def template(self, kind: Kind) -> str | None:
        other: Kind = "links" if kind == "actions" else "actions"
        return self._templates.get(kind) or self._templates.get(other)

    @property
    def complete(self) -> bool:
        """Both kinds known: decoded records need not be looked at any more."""
        return len(self._templates) == len(KINDS)

    def remember(self, kind: Kind, template: str) -> None:
        self._templates[kind] = template

    def forget(self) -> None:
        self._templates.clear()

    def learn(self, record: Cpe | Mapping[str, Any], *, replace: bool = False) -> bool:
        """Learn from a record's ``_links``; True when something was learnt. Without ``replace`` what is
        known stays (a record fetched because a guess failed does replace it)."""
        learnt = False
        for kind in KINDS:
            if replace or kind not in self._templates:
                template = learn_template(record, kind)
                if template is not None:
                    self._templates[kind] = template
                    learnt = True
        return learnt

    def confirm(self, kind: Kind, attempt: Attempt, ident: str, segment: str) -> None:
        """A path answered with success: remember the template it follows (when it has one)."""
        if attempt.source == "forced":
            return
        path = attempt.path if attempt.link or attempt.path.startswith("/") else "/api/v2/" + attempt.path
        template = template_from_link(path, None if attempt.link else ident, segment)  # a link may name
        if template is not None:  # the CPE by its numeric id where the caller gave an internal_id
            self._templates[kind] = template


def resolve_cpe_path(target: CpeTarget, kind: Kind, name: str, segment: str, template: str) -> str:
    """Kept for code written before layouts were learnt: the record's own link, else ``template`` filled.
    The client itself uses `first_attempt()`."""
    link = (record_links(target, kind) or {}).get(name) if isinstance(target, Cpe) else None
    return link or fill(template, quote_identifier(cpe_key(target)), segment)
