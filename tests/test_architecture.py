"""The shape of the source tree: short modules, no import circle, the layer contracts kept."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src" / "closedloop"
LIMIT = 400


def test_no_module_is_over_the_limit() -> None:
    sizes = {p.relative_to(SOURCE): len(p.read_text().splitlines()) for p in SOURCE.rglob("*.py")}
    assert len(sizes) > 50
    assert {path: n for path, n in sizes.items() if n >= LIMIT} == {}


def test_no_module_imports_itself_through_others() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("closedloop")
    modules = set(graph.modules)
    imports = {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}
    # Tarjan's strongly connected components: a component of two or more is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in imports[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = [stack.pop()]
            while component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(modules)))
    for module in sorted(modules):
        if module not in index:
            visit(module)
    assert circles == []


def test_the_layer_contracts_are_kept() -> None:
    command = shutil.which("lint-imports")
    if command is None:
        pytest.skip("import-linter is not installed (it is in the test extra)")
    done = subprocess.run(
        [command, "--no-cache"], capture_output=True, text=True, cwd=SOURCE.parent.parent
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout
