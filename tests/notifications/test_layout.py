"""Imports run one way: statuspage -> endpoints -> notifications -> maintenance, and inside each app no module imports
another that imports it back, not even from inside a function. Read from the source with ``ast``, so nothing is
imported here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Each app, and the apps it may import.
APPS = {
    "maintenance": set(),
    "notifications": {"maintenance"},
    "endpoints": {"maintenance", "notifications"},
    "statuspage": {"maintenance", "notifications", "endpoints"},
}


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules():
    """{dotted name: path} of every module of the apps, packages and migrations included."""
    return {module_name(path): path for app in APPS for path in sorted((ROOT / app).rglob("*.py"))}


def imported_names(source, module, is_package=False):
    """Every dotted name an ``import`` in ``source`` may load, wherever the statement is (a function, a class, an if).

    ``from a import b`` gives both ``a.b`` (b may be a module) and ``a``; relative imports are made absolute.
    """
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            else:
                base = node.module
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def resolve(name, modules):
    """The project module that importing ``name`` runs last: the longest known prefix, or None outside the apps."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph():
    """{module: {project modules it imports}} for every module of the apps."""
    modules = project_modules()
    graph = {}
    for name, path in modules.items():
        found = imported_names(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        graph[name] = {target for target in (resolve(n, modules) for n in found) if target and target != name}
    return graph


def app_of(module):
    return module.split(".")[0]


def circles(graph):
    """The strongly connected groups of two or more modules (Tarjan), each sorted, inside one app."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if app_of(target) != app_of(node):
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_no_app_imports_an_app_above_it():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if app_of(target) != app_of(module) and app_of(target) not in APPS[app_of(module)]
    )
    assert wrong == [], "imports run statuspage -> endpoints -> notifications -> maintenance only:\n" + "\n".join(wrong)


def test_no_two_modules_of_an_app_import_each_other():
    graph = import_graph()
    pairs = sorted(
        f"{module} <-> {target}"
        for module, targets in graph.items()
        for target in targets
        if module < target and app_of(module) == app_of(target) and module in graph[target]
    )
    assert pairs == [], "these modules import each other:\n" + "\n".join(pairs)


def test_imports_inside_each_app_run_one_way():
    found = circles(import_graph())
    assert found == [], "these modules import each other through a circle:\n" + "\n".join(map(", ".join, found))


def test_the_reader_sees_imports_inside_functions_and_relative_ones():
    source = (
        "from notifications import outbox\n"
        "def later():\n"
        "    from .models import Delivery\n"
        "    import maintenance.rule\n"
        "class Config:\n"
        "    def ready(self):\n"
        "        from . import receivers\n"
    )
    names = imported_names(source, "notifications.tasks")
    assert names == {
        "notifications",
        "notifications.outbox",
        "notifications.models",
        "notifications.models.Delivery",
        "maintenance.rule",
        "notifications.receivers",
    }
    assert imported_names("from .caching import forget\n", "statuspage.api", is_package=True) == {
        "statuspage.api.caching",
        "statuspage.api.caching.forget",
    }
    modules = {"notifications": None, "notifications.models": None}
    assert resolve("notifications.models.Delivery", modules) == "notifications.models"
    assert resolve("django.db", modules) is None


def test_a_circle_of_three_is_found():
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x", "b.w"}, "b.w": set(), "a.solo": {"a.x"}}
    assert circles(graph) == [["a.x", "a.y", "a.z"]]
