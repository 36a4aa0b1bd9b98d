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


def wrap(line: str) -> list[str]:
    """A line past ``WIDTH`` split at the last space that fits, continued with the same indent."""
    if len(line) <= WIDTH:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    cut = line.rfind(" ", len(indent) + 1, WIDTH + 1)
    if cut <= len(indent):
        return [line]
    return [line[:cut], *wrap(indent + line[cut + 1 :])]


def fix(path: Path, known: set[str]) -> int:
    source = path.read_text(encoding="utf-8")
    if not ROLE.search(source):
        return 0
    module = module_name(path)
    spans = classes_by_line(ast.parse(source))
    lines = source.splitlines(keepends=True)
    changed = 0
    out: list[str] = []
    for number, line in enumerate(lines, 1):
        cls = next((name for first, last, name in reversed(spans) if first <= number <= last), None)

        def sub(match: re.Match[str], cls: str | None = cls) -> str:
            return replacement(match.group(1), match.group(2), known, module, cls)

        new, count = ROLE.subn(sub, line)
        if count:
            changed += count
            ending = "\n" if new.endswith("\n") else ""
            out += [part + "\n" for part in wrap(new.rstrip("\n"))[:-1]] + [wrap(new.rstrip("\n"))[-1] + ending]
        else:
            out.append(line)
    path.write_text("".join(out), encoding="utf-8")
    return changed


def python_files(args: list[str]) -> list[Path]:
    if args:
        return [Path(arg).resolve() for arg in args]
    found = []
    for directory, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        found += [Path(directory) / name for name in files if name.endswith(".py")]
    return sorted(path for path in found if path.resolve() != Path(__file__).resolve())


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
