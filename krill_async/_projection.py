"""jq-like path projections: decode only the paths a caller asks for.

``projection(cpe="name", olt="attrs.vars.cpe_registration_host")`` builds (once, cached) a minimal msgspec
Struct tree holding just those paths. msgspec skips every other key at parse speed, which is several times
faster than decoding whole objects; the result is a small [`Selection`][krill_async.Selection] record whose
attributes are the names asked for (``rec.cpe``, ``rec.olt``), ``None`` where a path is missing, like jq's
``null``.
"""

from __future__ import annotations

import functools
import keyword
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

__all__ = ["PathSpec", "Selection", "parse_path", "projection"]

#: What a selected name maps to: a path (values decoded as plain JSON), or ``(path, type)`` to decode the
#: value into ``type`` (``("attrs.state", int)``).
PathSpec = str | tuple[str, Any]

_SEGMENT = re.compile(r'\.?(?:"((?:[^"\\]|\\.)*)"|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|([^.\["]+))')
_RESERVED = frozenset({"to_dict"})


def parse_path(path: str) -> tuple[str, ...]:
    """The keys of a jq-like path: ``attrs.vars.sn``, ``.attrs.vars.sn``, ``.attrs."odd.key"``, ``.["k"]``.

    Only object keys are supported (no array indexes or filters): an array value is returned whole.
    """
    if not isinstance(path, str):
        raise TypeError(f"a path must be a string like 'attrs.vars.cpe_registration_host', not {path!r}")
    text = path.strip()
    keys: list[str] = []
    pos = 0
    while pos < len(text):
        match = _SEGMENT.match(text, pos)
        if match is None or (pos > 0 and text[pos] not in ".["):
            raise ValueError(f'cannot parse path {path!r} at position {pos}: write keys as a.b.c or .a."b.c"')
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        key = _unescape(quoted) if quoted is not None else match.group(3).strip()
        if not key:
            raise ValueError(f"empty key in path {path!r}")
        keys.append(key)
        pos = match.end()
    if not keys:
        raise ValueError("empty path")
    return tuple(keys)


def _unescape(text: str) -> str:
    value: str = msgspec.json.decode(f'"{text}"'.encode())
    return value


class _Node(msgspec.Struct, gc=False):
    """Base of the generated Struct tree (projections never form reference cycles: ``gc=False`` is safe)."""


class Selection(_Node, gc=False):
    """A record holding the selected paths under the names asked for; missing paths read as ``None``.

    The names are chosen at run time, so a type checker cannot know them: every attribute of a selection
    type-checks as ``Any``. For checked types, declare the shape (see "Typed views" in the monitoring guide).
    """

    __selection__: ClassVar[tuple[str, ...]] = ()
    __paths__: ClassVar[dict[str, tuple[str, ...]]] = {}

    if TYPE_CHECKING:  # for type checkers only: at run time the names are properties of the generated class

        def __getattr__(self, name: str) -> Any: ...

    def to_dict(self) -> dict[str, Any]:
        """``{name: value}`` in the order the names were selected."""
        return {name: getattr(self, name) for name in self.__selection__}

    def __iter__(self) -> Iterator[Any]:
        """The values in selection order, so ``cpe, olt = rec`` works."""
        return (getattr(self, name) for name in self.__selection__)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__selection__)
        return f"Selection({inner})"

    __str__ = __repr__


@dataclass
class _Tree:
    children: dict[str, _Tree] = field(default_factory=dict)
    leaf: bool = False
    leaf_type: Any = Any


def _getter(steps: tuple[tuple[str | None, str], ...]) -> Callable[[Any], Any]:
    """The value at a path: ``attrgetter`` (C speed) through the generated nodes; the Python walk only when
    a node is missing or not an object (only generated nodes have ``_<n>`` attributes, so such values
    always raise ``AttributeError``), or below a shorter selected path (plain dicts)."""
    walk = _walker(steps)
    names = [attr for attr, _ in steps]
    if any(name is None for name in names):
        return walk
    chain = operator.attrgetter(".".join(name for name in names if name is not None))
    if len(names) == 1:
        return chain  # a top-level field: no intermediate node can be missing

    def get(self: Any) -> Any:
        try:
            return chain(self)
        except AttributeError:
            return walk(self)

    return get


def _walker(steps: tuple[tuple[str | None, str], ...]) -> Callable[[Any], Any]:
    """Walks generated nodes by attribute, then plain dicts by key (below a shorter selected path)."""

    def get(self: Any) -> Any:
        value = self
        for attr, key in steps:
            if attr is not None and isinstance(value, _Node):
                value = getattr(value, attr)
            elif isinstance(value, dict):
                value = value.get(key)
            else:
                return None  # a missing key, or a scalar/array where an object was expected (jq: null)
        return value

    return get


def _attr_name(index: int) -> str:
    return f"_{index}"


def _build(tree: _Tree, name: str, base: type[_Node], namespace: dict[str, Any]) -> type[_Node]:
    """The Struct class of one level of the tree (children first); key ``i`` is attribute ``_i``."""
    fields: list[tuple[str, Any, Any]] = []
    for index, (key, child) in enumerate(tree.children.items()):
        attr = _attr_name(index)
        if child.leaf:
            type_: Any = Any if child.leaf_type is Any else child.leaf_type | None
        else:
            node = _build(child, f"{name}_{index}", _Node, {})
            # tolerant: a scalar or array where an object is expected reads as None instead of failing the page
            type_ = node | list[Any] | str | int | float | bool | None
        fields.append((attr, type_, msgspec.field(default=None, name=key)))
    cls = msgspec.defstruct(name, fields, bases=(base,), namespace=namespace, gc=False)
    return cls  # type: ignore[return-value]  # defstruct is typed as returning type[Struct]


@functools.lru_cache(maxsize=128)
def _projection(items: tuple[tuple[str, tuple[str, ...], Any], ...]) -> type[Selection]:
    root = _Tree()
    for _name, keys, type_ in items:
        node = root
        for depth, key in enumerate(keys):
            if node.leaf:
                break  # a shorter selected path already takes this subtree whole
            node = node.children.setdefault(key, _Tree())
            if depth == len(keys) - 1:
                if node.leaf and node.leaf_type != type_:
                    raise ValueError(f"path {'.'.join(keys)!r} is selected twice with different types")
                node.leaf, node.leaf_type = True, type_
                node.children.clear()
    namespace: dict[str, Any] = {
        "__selection__": tuple(name for name, _, _ in items),
        "__paths__": {name: keys for name, keys, _ in items},
    }
    for name, keys, _ in items:
        steps: list[tuple[str | None, str]] = []
        node = root
        for key in keys:
            if node.leaf or key not in node.children:
                steps.append((None, key))  # below a whole-subtree leaf: plain dict lookups
                continue
            steps.append((_attr_name(list(node.children).index(key)), key))
            node = node.children[key]
        namespace[name] = property(_getter(tuple(steps)))
    cls = _build(root, "Selection", Selection, namespace)
    return cls  # type: ignore[return-value]


def projection(**paths: PathSpec) -> type[Selection]:
    """A Struct type decoding only ``paths``; its instances expose them under the names given.

    ``projection(cpe="name", olt="attrs.vars.cpe_registration_host")`` is the client-side equivalent of
    jq's ``{cpe: .name, olt: .attrs.vars.cpe_registration_host}``. Types are cached per selection.
    """
    if not paths:
        raise ValueError("select at least one path, e.g. select(name='name')")
    items: list[tuple[str, tuple[str, ...], Any]] = []
    for name, spec in paths.items():
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_") or name in _RESERVED:
            raise ValueError(f"{name!r} cannot be a selected name: use an identifier not starting with '_'")
        if isinstance(spec, tuple):
            if len(spec) != 2:
                raise TypeError(f"{name}=: give a path or (path, type), not {spec!r}")
            path, type_ = spec
        else:
            path, type_ = spec, Any
        items.append((name, parse_path(path), type_))
    return _projection(tuple(items))
