"""The layout holds its design: imports run one way, pure packages stay pure, modules stay small.

Read from the source (no import runs), so a forbidden import fails here even inside a function
or under `TYPE_CHECKING`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"

PURE = {"reader", "guidance", "triage", "followup", "render"}
EDGE_LIBRARIES = {"telegram", "sqlite3", "sqlite_utils", "aiohttp"}

# What each package may import of the bot, besides itself. The table is ordered bottom-up, and
# each row names only rows above it, so it cannot hold a loop.
MAY_IMPORT: dict[str, set[str]] = {
    "reader": set(),
    "privacy": set(),
    "emulator": set(),
    "guidance": {"reader"},
    "triage": {"reader", "guidance"},
    "followup": {"guidance"},
    "render": {"reader", "guidance", "triage", "followup"},
    "store": PURE | {"privacy"},
    "delivery": PURE | {"privacy", "store"},
    "clinic": PURE | {"privacy", "store"},
    "services": PURE | {"privacy", "store", "delivery", "clinic"},
    "telegram": PURE | {"privacy", "store", "delivery", "clinic", "services"},
    "web": PURE | {"privacy", "store", "delivery", "clinic", "services"},
    "cli": PURE | {"privacy", "store", "clinic"},
    "demo": PURE
    | {"privacy", "store", "delivery", "clinic", "services", "telegram", "web", "cli", "emulator"},
    "__main__": PURE
    | {"privacy", "store", "delivery", "clinic", "services", "telegram", "web", "cli", "demo"},
}

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "__pycache__" not in p.parts)


def dotted(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> set[str]:
    """Every module `path` names in an import, resolved to a dotted name."""
    module = dotted(path)
    base = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.split(".")[: len(base.split(".")) - node.level + 1]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def bot_modules() -> set[str]:
    return {dotted(p) for p in modules()}


def test_every_package_is_in_the_table():
    packages = {package_of(dotted(p)) for p in modules()} - {"__init__"}
    assert packages <= set(MAY_IMPORT), packages - set(MAY_IMPORT)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(BOT.parent)))
def test_imports_run_one_way(path):
    own = package_of(dotted(path))
    known = bot_modules()
    wrong = sorted(
        name
        for name in imports(path)
        if name in known and package_of(name) not in MAY_IMPORT.get(own, set()) | {own, "__init__"}
    )
    assert not wrong, f"{own} may not import {wrong}"


@pytest.mark.parametrize(
    "path",
    [p for p in modules() if package_of(dotted(p)) in PURE],
    ids=lambda p: str(p.relative_to(BOT.parent)),
)
def test_pure_packages_import_no_edge_library(path):
    edges = sorted(name for name in imports(path) if name.split(".")[0] in EDGE_LIBRARIES)
    assert not edges, edges


def test_no_import_cycle_between_modules():
    # Package __init__ files hold a docstring only: `from bot.pkg import module` names one but
    # runs nothing of it, so edges to them carry no loop.
    inits = {dotted(p) for p in modules() if p.name == "__init__.py"}
    known = bot_modules() - inits
    graph = {dotted(p): sorted(n for n in imports(p) if n in known and n != dotted(p)) for p in modules()}
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            raise AssertionError(" -> ".join(trail[trail.index(module) :] + [module]))
        if module not in done:
            for target in graph.get(module, []):
                visit(target, trail + [module])
            done.add(module)

    for module in sorted(graph):
        visit(module, [])


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(BOT.parent)))
def test_modules_and_functions_stay_small(path):
    lines = path.read_text().splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{len(lines)} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, long
