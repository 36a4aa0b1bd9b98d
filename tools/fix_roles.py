"""Turn Sphinx roles in docstrings (``:class:`Page```, ``:meth:`export```) into mkdocstrings cross-references.

The API reference renders docstrings as Markdown (mkdocstrings, ``docstring_style: null``), where a Sphinx
role shows up raw. Each role becomes ``[`Page`][krill_async.Page]`` when the site documents its target, or
plain code (``` `Page` ```) when it does not (a private helper, a test), so ``mkdocs build --strict``
never meets an unresolved reference. Targets are resolved like Sphinx does: relative to the class the
docstring is in, then to its module; the identifier used is the one the site's ``objects.inv`` knows (the
public name first, ``krill_async.ListQuery`` rather than ``krill_async._pagination.ListQuery``).

    PYTHONPATH=$PWD python tools/fix_roles.py            # every .py file of the checkout
    PYTHONPATH=$PWD python tools/fix_roles.py krill_async/cli/_bulk.py ...

Needs mkdocs with the docs extras (it builds the site once, to a temp dir, to read ``objects.inv``).
Lines pushed past the 120 columns of ruff's ``line-length`` are wrapped at a space, keeping the indent.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import os
import re
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ROLE = re.compile(r":(class|meth|func|attr|exc|data|obj|mod|py:\w+):`([^`]+)`")
WIDTH = 120
PUBLIC = ("krill_async", "krill_async.models", "krill_async.errors", "krill_async.testing")
SKIP_DIRS = {".git", ".venv", "venv", "site", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def inventory() -> set[str]:
    """Every identifier the documentation site can link to (its ``objects.inv``)."""
    with tempfile.TemporaryDirectory() as site:
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", site], cwd=ROOT, env=env, check=True
        )
        data = (Path(site) / "objects.inv").read_bytes()
    for _ in range(4):  # four plain-text header lines, then zlib
        data = data[data.index(b"\n") + 1 :]
    return {line.split(" ", 1)[0] for line in zlib.decompress(data).decode().splitlines() if line}


def module_name(path: Path) -> str | None:
    try:
        parts = list(path.resolve().relative_to(ROOT).with_suffix("").parts)
    except ValueError:
        return None
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and parts[0] == "krill_async" else None


def classes_by_line(tree: ast.Module) -> list[tuple[int, int, str]]:
    """``(first line, last line, qualified name)`` of every class, innermost last."""
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                name = f"{prefix}{child.name}"
                found.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, prefix)

    visit(tree, "")
    return found


def public_path(obj: Any) -> list[str]:
    """Names the object is documented under: public namespaces first, then where it is defined."""
    paths = []
    for namespace in PUBLIC:
        module = importlib.import_module(namespace)
        for name in getattr(module, "__all__", ()):
            if getattr(module, name, None) is obj:
                paths.append(f"{namespace}.{name}")
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if module and qualname:
        paths.append(f"{module}.{qualname}")
    return paths


def candidates(target: str, module: str | None, cls: str | None) -> list[str]:
    """Identifiers ``target`` may mean, written in ``module`` inside class ``cls``, best first."""
    head, _, rest = target.partition(".")
    scopes: list[Any] = []
    if module:
        mod = importlib.import_module(module)
        if cls:
            owner: Any = mod
            for part in cls.split("."):
                owner = getattr(owner, part, None)
            if owner is not None and hasattr(owner, head):
                return [f"{path}.{target}" for path in public_path(owner)]
        scopes.append(mod)
    found = []
    for scope in scopes:
        if hasattr(scope, head):
            obj = getattr(scope, head)
            found += [f"{path}.{rest}" if rest else path for path in public_path(obj)]
    for namespace in PUBLIC:  # a name the module imports only for type checkers (TYPE_CHECKING)
        public = importlib.import_module(namespace)
        if head in getattr(public, "__all__", ()):
            found.append(f"{namespace}.{target}")
    if target.startswith("krill_async."):
        found.insert(0, target)
        module_part, _, attr = target.rpartition(".")
        with contextlib.suppress(ImportError, AttributeError):
            found += public_path(getattr(importlib.import_module(module_part), attr))
    return found


def replacement(kind: str, text: str, known: set[str], module: str | None, cls: str | None) -> str:
    target = text.strip().lstrip("~").removesuffix("()")
    shown = target.rsplit(".", 1)[-1] if text.strip().startswith("~") else target
    if kind in ("meth", "func", "py:meth", "py:func"):
        shown += "()"
    try:
        options = candidates(target, module, cls)
    except ImportError:
        options = []
    ident = next((option for option in options if option in known), None)
    return f"[`{shown}`][{ident}]" if ident else f"`{shown}`"


_PREFIX = re.compile(r"^(\s*(?:#: |# )?)")
_NOT_PROSE = re.compile(r'^\s*(?:#: |# )?(?:[-*|>]|\d+\.|```|"""|$)')


def prefix_of(line: str) -> str:
    """The indent (and ``#:``/``#`` comment marker) a continuation of ``line`` needs."""
    match = _PREFIX.match(line)
    return match.group(1) if match else ""


def text_blocks(tree: ast.Module, count: int) -> list[int | None]:
    """For each line, the docstring (or string literal) it belongs to, as the literal's first line."""
    owner: list[int | None] = [None] * count
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                owner[number - 1] = node.lineno
    return owner


def reflow(lines: list[str], owner: list[int | None], index: int) -> None:
    """Bring ``lines[index]`` back within ``WIDTH``: the words past it move to the start of the next line
    when that line continues the same paragraph (same docstring or ``#:`` comment, same prefix, prose),
    else onto a line of their own; repeated down the paragraph while lines overflow."""
    while index < len(lines):
        line = lines[index].rstrip("\n")
        if len(line) <= WIDTH:
            return
        prefix = prefix_of(line)
        cut = line.rfind(" ", len(prefix) + 1, WIDTH + 1)
        if cut <= len(prefix):
            return  # one word longer than the line: leave it
        head, overflow = line[:cut], line[cut + 1 :]
        lines[index] = head + "\n"
        following = lines[index + 1].rstrip("\n") if index + 1 < len(lines) else None
        same_text = following is not None and (
            (owner[index] is not None and owner[index] == owner[index + 1]) or prefix.strip().startswith("#")
        )
        if (
            following is not None
            and same_text
            and '"""' not in overflow
            and prefix_of(following) == prefix
            and not _NOT_PROSE.match(following)
        ):
            lines[index + 1] = f"{prefix}{overflow} {following[len(prefix) :]}\n"
        else:
            lines.insert(index + 1, f"{prefix}{overflow}\n")
            owner.insert(index + 1, owner[index])
        index += 1


def fix(path: Path, known: set[str]) -> int:
    source = path.read_text(encoding="utf-8")
    if not ROLE.search(source):
        return 0
    module = module_name(path)
    tree = ast.parse(source)
    spans = classes_by_line(tree)
    lines = source.splitlines(keepends=True)
    owner = text_blocks(tree, len(lines))
    changed = 0
    touched: list[int] = []
    for index, line in enumerate(lines):
        cls = next((name for first, last, name in reversed(spans) if first <= index + 1 <= last), None)

        def sub(match: re.Match[str], cls: str | None = cls) -> str:
            return replacement(match.group(1), match.group(2), known, module, cls)

        lines[index], count = ROLE.subn(sub, line)
        if count:
            changed += count
            touched.append(index)
    for index in reversed(touched):  # from the bottom: inserted lines do not shift those still to do
        reflow(lines, owner, index)
    path.write_text("".join(lines), encoding="utf-8")
    return changed


def python_files(args: list[str]) -> list[Path]:
    if args:
        return [Path(arg).resolve() for arg in args]
    found = []
    for directory, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        found += [Path(directory) / name for name in files if name.endswith(".py")]
    # this tool and the test that looks for roles hold roles on purpose (as examples)
    keep = {Path(__file__).resolve(), (ROOT / "tests" / "test_docs_roles.py").resolve()}
    return sorted(path for path in found if path.resolve() not in keep)


def main(args: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    known = inventory()
    total = 0
    for path in python_files(args):
        count = fix(path, known)
        if count:
            print(f"{path.relative_to(ROOT)}: {count} role(s) converted")
            total += count
    print(f"{total} role(s) converted")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
