"""The layering written in docs/architecture.md, enforced on the code: imports only run downward, no cycles.

The layers are read from the picture in docs/architecture.md (its ``layers`` block), so the document and
the rule cannot drift apart. Every import counts, including ones inside functions: an import tucked into
a function to dodge a cycle is still a cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"


def layers() -> dict[str, int]:
    """Package (or top-level module) -> floor, from the ```layers block of docs/architecture.md."""
    block = re.search(r"```layers\n(.*?)```", DOC.read_text("utf-8"), re.S)
    assert block, "docs/architecture.md has no ```layers block"
    floors: dict[str, int] = {}
    for line in block.group(1).splitlines():
        match = re.match(r"\s*(\d+)\s+(.*)", line)
        if match:
            for name in re.findall(r"(?<![\w./])([a-z_.]+?)(?:/|\.py)(?=\s|$)", match.group(2)):
                floors[name] = int(match.group(1))
    return floors


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the product and its entry files (tests, bench and
    scripts and eval are tooling: they may import anything)."""
    modules = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "bench", "scripts", "eval", "build", "instance"} or rel.parts[0].startswith("."):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def top(module: str) -> str:
    """The floor a module is on is its top-level package's (``gunicorn.conf`` is the file gunicorn.conf.py)."""
    return module if module in TOP_FILES else module.split(".")[0]


TOP_FILES = {"gunicorn.conf", "wsgi"}


def imports_of(path: Path, module: str, known: set[str]) -> set[str]:
    """Project modules imported by this file (absolute and relative imports, anywhere in the file)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {m: imports_of(p, m, set(modules)) for m, p in modules.items()}


def test_every_package_of_the_product_has_a_floor() -> None:
    floors = layers()
    tops = {top(m) for m in project_modules()}
    assert tops - set(floors) == set(), "add these to the layers block of docs/architecture.md"


def test_imports_only_run_downward() -> None:
    floors = layers()
    upward = []
    for module, targets in graph().items():
        here = top(module)
        for target in targets:
            there = top(target)
            if there != here and floors[there] >= floors[here]:
                upward.append(f"{module} (floor {floors[here]}) imports {target} (floor {floors[there]})")
    assert upward == []


def test_no_import_cycles() -> None:
    edges = graph()
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: an upward import and a cycle in a tiny tree are found."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "a.py").write_text("def f():\n    from bot import b\n")
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "b.py").write_text("from core.a import f\n")
    known = {"core.a", "bot.b", "bot", "core"}
    assert imports_of(tmp_path / "core" / "a.py", "core.a", known) == {"bot.b"}
    assert imports_of(tmp_path / "bot" / "b.py", "bot.b", known) == {"core.a"}
