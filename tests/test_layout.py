"""The house keeps its layers: imports point down, no circle, small modules.

Read from the code's own imports (every ``import`` and ``from ... import`` of the
package, inside functions too), so a change that breaks the layout fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "autometa"
MAX_LINES = 400
MAX_ROOT_MODULES = 10
#: The layers, bottom first: a module imports its own layer or lower ones only. The few
#: shared basics at the root are the ground; ``__init__``, ``__main__`` and the public
#: name ``autometa.learners`` stand on top.
LAYERS = [
    {"exceptions", "paths", "device", "artifacts", "machine", "interrupts"},
    {"table"},
    {"metafeatures"},
    {"space"},
    {"metadataset", "maml"},
    {"selectors"},
    {"search"},
    {"reporting"},
    {"estimators"},
    {"__init__", "__main__", "learners"},
]
#: The search knows proposals, costs and curves, not the meta-model or the meta-dataset.
FORBIDDEN = {"search": {"selectors", "metadataset"}}


def _room(module: str) -> str:
    """autometa.search.state -> search; autometa -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The autometa modules ``name`` imports (the longest of ``known`` prefixes of each)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("autometa") and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def test_imports_point_down_the_layers() -> None:
    level = {room: i for i, rooms in enumerate(LAYERS) for room in rooms}
    rooms = {_room(m) for m in _modules()}
    assert rooms <= set(level), f"rooms without a layer: {rooms - set(level)}"
    upward = [
        f"{a} -> {b}"
        for a, targets in _graph().items()
        for b in targets
        if level[_room(b)] > level[_room(a)] or _room(b) in FORBIDDEN.get(_room(a), set())
    ]
    assert not upward, "imports that run back up:\n" + "\n".join(sorted(upward))


def test_no_import_circle() -> None:
    graph = _graph()
    circles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in graph.get(node, ()):
            if nxt in path:
                circle = path[path.index(nxt) :]
                # A package's __init__ re-exporting its own modules is not a loop of code.
                if not any(graph.get(m) and m + "." in n for m in circle for n in circle):
                    circles.append(" -> ".join([*circle, nxt]))
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for start in graph:
        visit(start, [start])
    assert not circles, "import circles:\n" + "\n".join(sorted(set(circles))[:10])


def test_modules_are_small_and_the_root_is_short() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root) <= MAX_ROOT_MODULES, root
